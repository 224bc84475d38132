#!/usr/bin/env python3
"""Independent CDR encoder for the codec tests: parses ROS 2 .msg text itself (the full definition
as rosbag2 stores it: the type's text, then "=====...\\nMSG: pkg/Type" blocks) and packs messages
field by field with Python's struct module, following the specifications rather than any
serialisation library:

- OMG DDSI-RTPS 2.3, ch. 10: a 4-byte SerializedPayloadHeader; CDR_LE = 00 01, CDR_BE = 00 00,
  options 00 00.
- OMG CORBA 3.3 Part 2, 9.3: primitives aligned on their size (1, 2, 4, 8) relative to the start
  of the CDR stream (after the header), zero padding; string = uint32 byte count including the NUL,
  bytes, NUL; sequence = uint32 element count, elements; fixed array = elements only.
- ROS 2: strings are UTF-8; `byte` and `char` are one octet; a message without fields is one zero
  octet (rosidl's structure_needs_at_least_one_member); builtin_interfaces/Time and Duration are
  {int32 sec, uint32 nanosec}.
- rmw_cyclonedds_cpp (Serialization.cpp, serialize_many): an empty sequence's elements are not
  aligned ("nothing to do; not even alignment").

stdin: line 1 is {"schemas": {"pkg/msg/Type": "<full text>", ...}}; every further line is
{"type": "pkg/msg/Type", "msg": {...}, "big_endian": false} with the message as tagged JSON
({"$b": "123"} for a 64-bit integer, {"$f": "nan"|"inf"|"-inf"|"-0"} for those floats).
stdout: one hex line per message.
"""
import json
import re
import struct
import sys

DELIMITER = "=" * 80
SIZES = {
    "bool": ("?", 1), "byte": ("B", 1), "char": ("B", 1), "int8": ("b", 1), "uint8": ("B", 1),
    "int16": ("h", 2), "uint16": ("H", 2), "int32": ("i", 4), "uint32": ("I", 4),
    "int64": ("q", 8), "uint64": ("Q", 8), "float32": ("f", 4), "float64": ("d", 8),
}
TYPE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_/]*)(?:<=(\d+))?(?:\[(<=)?(\d*)\])?$")


def parse_schema(text):
    """{type name: [(field name, base type, string bound, array spec)]}; the first block is the root."""
    blocks = text.split("\n" + DELIMITER + "\n")
    types = {}
    root = None
    for i, block in enumerate(blocks):
        lines = block.split("\n")
        if i == 0:
            name = None
        else:
            assert lines[0].startswith("MSG: "), lines[0]
            name = lines[0][5:].strip().replace("/msg/", "/")
            lines = lines[1:]
        fields = []
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            tokens = line.split()
            ftype, fname = tokens[0], tokens[1]
            if "=" in fname or (len(tokens) > 2 and tokens[2].startswith("=")):
                continue  # a constant
            m = TYPE_RE.match(ftype)
            assert m, ftype
            base, sbound, bounded, size = m.group(1), m.group(2), m.group(3), m.group(4)
            if m.group(0).endswith("]"):
                array = ("bounded", int(size)) if bounded else (("fixed", int(size)) if size else ("sequence", None))
            else:
                array = None
            fields.append((fname, base, int(sbound) if sbound else None, array))
        if name is None:
            root = fields
        else:
            types[name] = fields
    return root, types


class Encoder:
    def __init__(self, types, big_endian):
        self.types = types
        self.e = ">" if big_endian else "<"
        self.b = bytearray(b"\x00\x00\x00\x00" if big_endian else b"\x00\x01\x00\x00")

    def align(self, n):
        self.b += b"\x00" * ((-(len(self.b) - 4)) % n)

    def prim(self, t, v):
        fmt, size = SIZES[t]
        self.align(size)
        if t == "bool":
            v = bool(v)
        self.b += struct.pack(self.e + fmt, v)

    def u32(self, n):
        self.align(4)
        self.b += struct.pack(self.e + "I", n)

    def string(self, s):
        data = s.encode("utf-8")
        self.u32(len(data) + 1)
        self.b += data + b"\x00"

    def resolve(self, base, pkg):
        if base in ("time", "builtin_interfaces/Time", "duration", "builtin_interfaces/Duration"):
            return "@time"
        return base if "/" in base else pkg + "/" + base

    def value(self, base, pkg, v):
        if base in SIZES:
            self.prim(base, v)
        elif base == "string":
            self.string(v)
        elif base == "wstring":
            raise ValueError("wstring")
        else:
            name = self.resolve(base, pkg)
            if name == "@time":
                self.prim("int32", v["sec"])
                self.prim("uint32", v["nanosec"])
            else:
                self.struct(self.types[name], name.split("/")[0], v)

    def struct(self, fields, pkg, m):
        if not fields:
            self.b += b"\x00"
            return
        for fname, base, _sbound, array in fields:
            v = m[fname]
            if array is None:
                self.value(base, pkg, v)
                continue
            kind, n = array
            if kind == "fixed":
                assert len(v) == n, (fname, len(v), n)
            else:
                self.u32(len(v))
            for item in v:
                self.value(base, pkg, item)


def untag(o):
    if isinstance(o, dict) and len(o) == 1:
        if "$b" in o:
            return int(o["$b"])
        if "$f" in o:
            return {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "-0": -0.0}[o["$f"]]
    return o


def main():
    header = json.loads(sys.stdin.readline())
    schemas = {t: parse_schema(text) for t, text in header["schemas"].items()}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line, object_hook=untag)
        root, types = schemas[req["type"]]
        enc = Encoder(types, req.get("big_endian", False))
        enc.struct(root, req["type"].split("/")[0], req["msg"])
        print(enc.b.hex())


main()

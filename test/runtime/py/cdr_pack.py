#!/usr/bin/env python3
"""Independent CDR encoder for the local-graph tests: packs ROS 2 messages field by field with
Python's struct module, following the specifications rather than any serialisation library:

- OMG DDSI-RTPS 2.3, ch. 10 "Serialized Payload Representation": a 4-byte SerializedPayloadHeader,
  representation identifier CDR_LE = 0x00 0x01, representation options 0x00 0x00.
- OMG CORBA 3.3 Part 2, 9.3 "CDR Transfer Syntax": primitives aligned on their natural size
  (1, 2, 4, 8) relative to the start of the CDR stream, which begins after the 4-byte header;
  padding bytes are zero; a string is an unsigned long length that counts the terminating NUL,
  the characters, then NUL; a sequence is an unsigned long element count, then the elements;
  a fixed-size array is its elements only. ROS 2 strings carry UTF-8.
- Field order is the order of the .msg file (ROS 2 interface definition).

Reads one JSON object per stdin line: {"type": "...", "msg": {...}} (64-bit integers as decimal
strings, bytes as lists of ints), writes one hex line per message.
"""
import json
import struct
import sys


class Writer:
    def __init__(self):
        self.b = bytearray(b"\x00\x01\x00\x00")

    def align(self, n):
        self.b += b"\x00" * ((-(len(self.b) - 4)) % n)

    def prim(self, fmt, value):
        size = struct.calcsize("<" + fmt)
        self.align(size)
        self.b += struct.pack("<" + fmt, value)

    def string(self, s):
        data = s.encode("utf-8")
        self.prim("I", len(data) + 1)
        self.b += data + b"\x00"

    def time(self, t):
        self.prim("i", t["sec"])
        self.prim("I", t["nanosec"])

    def header(self, h):
        self.time(h["stamp"])
        self.string(h["frame_id"])


def std_msgs_string(w, m):
    w.string(m["data"])


def navsatfix(w, m):
    w.header(m["header"])
    w.prim("b", m["status"]["status"])
    w.prim("H", m["status"]["service"])
    w.prim("d", m["latitude"])
    w.prim("d", m["longitude"])
    w.prim("d", m["altitude"])
    for v in m["position_covariance"]:  # float64[9]: no length prefix
        w.prim("d", v)
    w.prim("B", m["position_covariance_type"])


def sentence(w, m):
    w.header(m["header"])
    w.string(m["sentence"])


def can_frame(w, m):
    w.header(m["header"])
    w.prim("I", m["id"])
    w.prim("B", 1 if m["is_rtr"] else 0)
    w.prim("B", 1 if m["is_extended"] else 0)
    w.prim("B", 1 if m["is_error"] else 0)
    w.prim("B", m["dlc"])
    w.b += bytes(m["data"])  # uint8[8]


def diagnostic_array(w, m):
    w.header(m["header"])
    w.prim("I", len(m["status"]))
    for s in m["status"]:
        w.prim("B", s["level"])
        w.string(s["name"])
        w.string(s["message"])
        w.string(s["hardware_id"])
        w.prim("I", len(s["values"]))
        for kv in s["values"]:
            w.string(kv["key"])
            w.string(kv["value"])


def int64_multi_array(w, m):
    w.prim("I", len(m["layout"]["dim"]))
    for d in m["layout"]["dim"]:
        w.string(d["label"])
        w.prim("I", d["size"])
        w.prim("I", d["stride"])
    w.prim("I", m["layout"]["data_offset"])
    w.prim("I", len(m["data"]))
    for v in m["data"]:
        w.prim("q", int(v))


ENCODERS = {
    "std_msgs/msg/String": std_msgs_string,
    "sensor_msgs/msg/NavSatFix": navsatfix,
    "nmea_msgs/msg/Sentence": sentence,
    "can_msgs/msg/Frame": can_frame,
    "diagnostic_msgs/msg/DiagnosticArray": diagnostic_array,
    "std_msgs/msg/Int64MultiArray": int64_multi_array,
}

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    w = Writer()
    ENCODERS[req["type"]](w, req["msg"])
    print(w.b.hex())

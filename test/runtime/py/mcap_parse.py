#!/usr/bin/env python3
"""Independent MCAP reader for the local-graph tests, written from the MCAP format specification
(mcap.dev/spec, format version 0) with Python's struct and zlib only: no MCAP library. zstd
chunks (what rosbag2 writes with its zstd presets) are decompressed by the zstd command-line tool.

Checks what a reader such as rosbag2's mcap storage plugin relies on, and fails (exit 1, message
on stderr) on the first violation:
- leading and trailing magic, Header, DataEnd with the CRC-32 of the data section;
- every Chunk's uncompressed CRC-32, the Message records inside it, and the MessageIndex records
  that follow it (each offset must land on a Message with that log time);
- the summary section: Schema/Channel records repeated, Statistics matching what was counted,
  ChunkIndex records pointing at the Chunks, SummaryOffset records, Footer summary CRC.
Prints a JSON document: header, schemas, channels, metadata, statistics, chunk count and every
message (channel topic, sequence, log/publish time as decimal strings, data as hex).
"""
import json
import struct
import subprocess
import sys
import zlib

MAGIC = b"\x89MCAP0\r\n"
OP = {0x01: "Header", 0x02: "Footer", 0x03: "Schema", 0x04: "Channel", 0x05: "Message", 0x06: "Chunk",
      0x07: "MessageIndex", 0x08: "ChunkIndex", 0x09: "Attachment", 0x0A: "AttachmentIndex",
      0x0B: "Statistics", 0x0C: "Metadata", 0x0D: "MetadataIndex", 0x0E: "SummaryOffset", 0x0F: "DataEnd"}


def fail(msg):
    sys.stderr.write("mcap_parse: " + msg + "\n")
    sys.exit(1)


class Cur:
    def __init__(self, b, pos=0, end=None):
        self.b, self.pos, self.end = b, pos, len(b) if end is None else end

    def take(self, n):
        if self.pos + n > self.end:
            fail("record overruns its bounds at %d" % self.pos)
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def u(self, fmt):
        size = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(size))[0]

    def string(self):
        return self.take(self.u("I")).decode("utf-8")

    def bytes32(self):
        return self.take(self.u("I"))

    def str_map(self):
        n = self.u("I")
        sub = Cur(self.b, self.pos, self.pos + n)
        out = {}
        while sub.pos < sub.end:
            k = sub.string()
            out[k] = sub.string()
        self.pos += n
        return out


def decompress(compression, data, usize, where):
    if compression == "":
        return data
    if compression != "zstd":
        fail("chunk at %d: compression %r: this checker reads uncompressed and zstd chunks only" % (where, compression))
    try:
        r = subprocess.run(["zstd", "-d", "-c", "-q"], input=data, capture_output=True, check=False)
    except FileNotFoundError:
        fail("zstd chunks need the zstd command-line tool (apt install zstd)")
    if r.returncode != 0:
        fail("chunk at %d: zstd cannot decompress it: %s" % (where, r.stderr.decode(errors="replace").strip()))
    if len(r.stdout) != usize:
        fail("chunk at %d: decompressed to %d bytes, the chunk says %d" % (where, len(r.stdout), usize))
    return r.stdout


def records(b, pos, end):
    while pos < end:
        op = b[pos]
        length = struct.unpack_from("<Q", b, pos + 1)[0]
        start = pos + 9
        if start + length > end:
            fail("record %#x at %d overruns the section" % (op, pos))
        yield pos, op, start, start + length
        pos = start + length


def main(path):
    b = open(path, "rb").read()
    if b[:8] != MAGIC or b[-8:] != MAGIC:
        fail("missing leading or trailing magic")
    out = {"schemas": [], "channels": [], "metadata": [], "messages": [], "checks": []}
    channels = {}
    chunk_offsets = []
    data_end = None
    footer_pos = len(b) - 8 - 29  # Footer: opcode, u64 length 20, u64, u64, u32
    if b[footer_pos] != 0x02:
        fail("no Footer before the trailing magic")
    summary_start, summary_offset_start, summary_crc = struct.unpack_from("<QQI", b, footer_pos + 9)
    last_chunk = None
    msg_offsets = {}  # (chunk position, offset of the Message record in its records) -> log_time
    compressions = set()

    def message(c, rec_key):
        ch = c.u("H")
        seq = c.u("I")
        log_time = c.u("Q")
        pub_time = c.u("Q")
        data = c.take(c.end - c.pos)
        if ch not in channels:
            fail("message on unknown channel %d" % ch)
        out["messages"].append({"topic": channels[ch]["topic"], "sequence": seq, "log_time": str(log_time),
                                "publish_time": str(pub_time), "data": data.hex()})
        msg_offsets[rec_key] = log_time

    def schema_or_channel(op, c, where):
        if op == 0x03:
            s = {"id": c.u("H"), "name": c.string(), "encoding": c.string()}
            s["data"] = c.bytes32().decode("utf-8")
            if where == "data":
                out["schemas"].append(s)
            return s
        ch = {"id": c.u("H"), "schema_id": c.u("H"), "topic": c.string(), "message_encoding": c.string()}
        ch["metadata"] = c.str_map()
        if where == "data":
            channels[ch["id"]] = ch
            out["channels"].append(ch)
        return ch

    for pos, op, start, end in records(b, 8, summary_start if summary_start else footer_pos):
        c = Cur(b, start, end)
        if op == 0x01:
            out["header"] = {"profile": c.string(), "library": c.string()}
        elif op in (0x03, 0x04):
            schema_or_channel(op, c, "data")
        elif op == 0x06:
            start_t, end_t, usize, ucrc = c.u("Q"), c.u("Q"), c.u("Q"), c.u("I")
            compression = c.string()
            n = c.u("Q")
            recs = decompress(compression, c.take(n), usize, pos)
            compressions.add(compression)
            # rosbag2 writes no chunk CRC (noChunkCRC): 0 means "not computed".
            if len(recs) != usize or (ucrc != 0 and zlib.crc32(recs) != ucrc):
                fail("chunk at %d: size or CRC-32 mismatch" % pos)
            chunk_offsets.append((pos, end - pos))
            last_chunk = pos
            for rpos, rop, rs, re in records(recs, 0, len(recs)):
                rc = Cur(recs, rs, re)
                if rop == 0x05:
                    message(rc, (pos, rpos))
                    lt = msg_offsets[(pos, rpos)]
                    if not (start_t <= lt <= end_t):
                        fail("message log time outside its chunk's time range")
                elif rop in (0x03, 0x04):
                    schema_or_channel(rop, rc, "data")
                else:
                    fail("unexpected record %#x inside a chunk" % rop)
        elif op == 0x07:
            ch = c.u("H")
            n = c.u("I")
            for _ in range(n // 16):
                t, off = c.u("Q"), c.u("Q")
                if msg_offsets.get((last_chunk, off)) != t:
                    fail("MessageIndex of channel %d points at %d, which is no message with log time %d" % (ch, off, t))
        elif op == 0x05:
            message(c, ("data", pos))
        elif op == 0x0C:
            out["metadata"].append({"name": c.string(), "metadata": c.str_map()})
        elif op == 0x0F:
            data_end = pos
            crc = c.u("I")
            if crc != 0 and crc != zlib.crc32(b[:pos]):
                fail("DataEnd CRC-32 does not match the data section")
            out["checks"].append("data section crc")
        elif op in OP:
            pass
        else:
            fail("unknown opcode %#x" % op)
    if data_end is None:
        fail("no DataEnd record")
    if summary_start:
        if summary_crc != 0 and zlib.crc32(b[summary_start:footer_pos + 9 + 16]) != summary_crc:
            fail("Footer summary CRC-32 mismatch")
        out["checks"].append("summary crc")
        stats = None
        chunk_indexes = []
        for pos, op, start, end in records(b, summary_start, footer_pos):
            c = Cur(b, start, end)
            if op == 0x0B:
                stats = {"message_count": c.u("Q"), "schema_count": c.u("H"), "channel_count": c.u("I"),
                         "attachment_count": c.u("I"), "metadata_count": c.u("I"), "chunk_count": c.u("I"),
                         "message_start_time": str(c.u("Q")), "message_end_time": str(c.u("Q"))}
            elif op == 0x08:
                ci = {"start": c.u("Q"), "end": c.u("Q"), "offset": c.u("Q"), "length": c.u("Q")}
                chunk_indexes.append((ci["offset"], ci["length"]))
            elif op in (0x03, 0x04):
                schema_or_channel(op, c, "summary")
        if stats is None:
            fail("no Statistics record in the summary")
        if stats["message_count"] != len(out["messages"]):
            fail("Statistics message_count %d but %d messages found" % (stats["message_count"], len(out["messages"])))
        if stats["chunk_count"] != len(chunk_offsets) or sorted(chunk_indexes) != sorted(chunk_offsets):
            fail("ChunkIndex records do not match the chunks")
        out["statistics"] = stats
        out["checks"].append("statistics and chunk indexes")
    out["chunks"] = len(chunk_offsets)
    out["chunk_compression"] = sorted(compressions)
    print(json.dumps(out))


main(sys.argv[1])

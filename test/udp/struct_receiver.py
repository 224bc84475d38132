#!/usr/bin/env python3
"""Independent reference decoder for vil UDP layouts (test judge).

Reads a layout (the YAML file converted to JSON by the test), builds Python `struct` formats from
it with its own reading of the layout rules, binds a UDP socket on 127.0.0.1, prints
{"port": N} and then one JSON line per datagram with the raw wire values, the header and whether
zlib.crc32 agrees. Knows nothing of vil's TypeScript code.
Offline: `struct_receiver.py LAYOUT.json --hex FILE` decodes hex lines instead.

Layout rules as written in the layout reference: header slots in the order magic, version, flags,
sequence, send_time, payload_length; then the fields in order, tightly packed; `pad: N` adds N
zero bytes; `align: N` pads to a multiple of N (from the packet start at top level, from the
element start inside an array); an array block repeats its element `max_count` times; the CRC-32
(u32) follows the payload and covers every byte before it.
"""
import json
import socket
import struct
import sys
import zlib

ALIASES = {
    'uint8': 'u8', 'uint16': 'u16', 'uint32': 'u32', 'uint64': 'u64',
    'int8': 'i8', 'int16': 'i16', 'int32': 'i32', 'int64': 'i64',
    'float32': 'f32', 'float64': 'f64', 'single': 'f32', 'double': 'f64', 'float': 'f32', 'boolean': 'bool',
}
CODES = {'u8': 'B', 'u16': 'H', 'u32': 'I', 'u64': 'Q', 'i8': 'b', 'i16': 'h', 'i32': 'i', 'i64': 'q',
         'f32': 'f', 'f64': 'd', 'bool': '?'}


def code(type_name):
    t = ALIASES.get(type_name, type_name)
    if t.startswith('char['):
        return '%ds' % int(t[5:-1])
    return CODES[t]


def endian(e):
    return '<' if e == 'little' else '>'


class Reader:
    def __init__(self, data):
        self.data = data

    def get(self, fmt, pos):
        return struct.unpack_from(fmt, self.data, pos)[0], pos + struct.calcsize(fmt)


def header_slots(layout):
    h = layout.get('header') or {}
    slots = []
    def typ(entry, default):
        if isinstance(entry, str):
            return entry
        if isinstance(entry, dict):
            return entry.get('type', default)
        return default
    if 'magic' in h:
        m = h['magic']
        value = m['value'] if isinstance(m, dict) else m
        t = m.get('type') if isinstance(m, dict) else None
        if t is None:
            t = 'char[%d]' % len(value) if isinstance(value, str) else 'u32'
        slots.append(('magic', t))
    if 'version' in h:
        slots.append(('version', typ(h['version'], 'u8')))
    if 'flags' in h:
        slots.append(('flags', typ(h['flags'], 'u8')))
    if 'sequence' in h:
        slots.append(('sequence', typ(h['sequence'], 'u32')))
    if 'send_time' in h:
        slots.append(('send_time', typ(h['send_time'], 'f64')))
    if 'payload_length' in h:
        slots.append(('payload_length', typ(h['payload_length'], 'u16')))
    return slots


def decode_items(items, rd, pos, scope_start, default_endian, out):
    for it in items:
        if 'pad' in it:
            pos += it['pad']
            continue
        if 'align' in it:
            a = it['align']
            rel = pos - scope_start
            pos += (-rel) % a
            continue
        if 'fields' in it:
            elems = []
            for _ in range(it['max_count']):
                el = {}
                pos = decode_items(it['fields'], rd, pos, pos, default_endian, el)
                elems.append(el)
            out[it['name']] = elems
            continue
        e = endian(it.get('endianness', default_endian))
        c = code(it['type'])
        n = it.get('count', 1)
        vals = []
        for _ in range(n):
            v, pos = rd.get(e + c, pos)
            if isinstance(v, bytes):
                v = v.rstrip(b'\0').decode('latin-1')
            vals.append(v)
        out[it['name']] = vals if 'count' in it else vals[0]
    return pos


def decode(layout, data):
    rd = Reader(data)
    e = endian(layout.get('endianness', 'little'))
    pos = 0
    header = {}
    for name, t in header_slots(layout):
        v, pos = rd.get(e + code(t), pos)
        if isinstance(v, bytes):
            v = v.decode('latin-1')
        header[name] = v
    payload_start = pos
    fields = {}
    # top-level align counts from the packet start: scope_start 0
    pos = decode_items(layout['fields'], rd, pos, 0, layout.get('endianness', 'little'), fields)
    result = {'size': len(data), 'header': header, 'fields': fields, 'payload_size': pos - payload_start}
    h = layout.get('header') or {}
    if 'crc32' in h:
        ce = h['crc32'].get('endianness') if isinstance(h['crc32'], dict) else None
        got, end = rd.get(endian(ce or layout.get('endianness', 'little')) + 'I', pos)
        result['crc_ok'] = got == (zlib.crc32(data[:pos]) & 0xffffffff)
        pos = end
    result['expected_size'] = pos
    return result


def big_ints_as_text(o):
    """JSON readers in JavaScript round integers beyond 2**53: send those as decimal text."""
    if isinstance(o, dict):
        return {k: big_ints_as_text(v) for k, v in o.items()}
    if isinstance(o, list):
        return [big_ints_as_text(v) for v in o]
    if isinstance(o, int) and not isinstance(o, bool) and abs(o) > 2**53 - 1:
        return str(o)
    return o


def main():
    layout = json.load(open(sys.argv[1]))
    if sys.argv[2] == '--hex':
        # Offline mode: one datagram per line of hex digits.
        for line in open(sys.argv[3]):
            line = line.split('#')[0].strip().replace(' ', '').replace(':', '')
            if line:
                print(json.dumps(big_ints_as_text(decode(layout, bytes.fromhex(line)))), flush=True)
        return 0
    count = int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    group = sys.argv[5] if len(sys.argv) > 5 else ''
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    if group:
        # A multicast receiver: the group on the loopback interface.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('', port))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton('127.0.0.1'))
    else:
        sock.bind(('127.0.0.1', port))
    # count 0: every datagram until the process is ended (no idle timeout).
    sock.settimeout(timeout if count > 0 else None)
    print(json.dumps({'port': sock.getsockname()[1]}), flush=True)
    received = 0
    while count <= 0 or received < count:
        received += 1
        try:
            data, _addr = sock.recvfrom(65535)
        except socket.timeout:
            print(json.dumps({'timeout': True}), flush=True)
            return 1
        print(json.dumps(big_ints_as_text(decode(layout, data))), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

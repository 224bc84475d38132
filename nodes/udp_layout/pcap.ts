// UDP datagrams out of a classic pcap file as tcpdump writes it (micro- or nanosecond time stamps,
// either byte order). Link types: Ethernet (with 802.1Q tags), Linux cooked v1/v2 (`-i any`), raw
// IP, BSD loopback. IPv4 only; fragmented datagrams are reassembled. Pure: bytes in, datagrams out.

export interface UdpDatagram {
  /** Capture time, seconds since the epoch. */
  time: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payload: Uint8Array;
}

export interface PcapStats {
  records: number;
  udp: number;
  /** Not IPv4/UDP (ARP, IPv6, TCP, ...). */
  otherProtocol: number;
  /** Captured shorter than sent (snap length): skipped. */
  truncated: number;
  /** Fragments still waiting for the rest at the end of the file. */
  incompleteFragments: number;
  /** Malformed headers. */
  malformed: number;
}

export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, LINUX_SLL2: 276 } as const;
const RAW_ALIASES = new Set([12, 14, LINKTYPE.RAW]);

export function isPcap(data: Uint8Array): boolean {
  if (data.length < 24) return false;
  const m = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, false);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1;
}

export function isPcapng(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x0a && data[1] === 0x0d && data[2] === 0x0d && data[3] === 0x0a;
}

export class PcapError extends Error {}

/** Parses the whole file; `stats` is filled as a side result. */
export function readPcapDatagrams(data: Uint8Array, stats: PcapStats = emptyStats()): UdpDatagram[] {
  if (isPcapng(data)) throw new PcapError('this is a pcapng file; capture with `tcpdump -w` (classic pcap) or convert: `editcap -F pcap in.pcapng out.pcap`');
  if (!isPcap(data)) throw new PcapError('not a pcap file (bad magic number)');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = dv.getUint32(0, false);
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  if (![LINKTYPE.NULL, LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2, LINKTYPE.IPV4, ...RAW_ALIASES].includes(linkType)) {
    throw new PcapError(`link type ${linkType} is not supported (Ethernet, Linux cooked, raw IP and BSD loopback are)`);
  }
  const out: UdpDatagram[] = [];
  const frags = new Map<string, Fragments>();
  let pos = 24;
  while (pos + 16 <= data.length) {
    const sec = dv.getUint32(pos, le);
    const frac = dv.getUint32(pos + 4, le);
    const capLen = dv.getUint32(pos + 8, le);
    const origLen = dv.getUint32(pos + 12, le);
    pos += 16;
    if (pos + capLen > data.length) {
      stats.malformed++;
      break;
    }
    stats.records++;
    const frame = data.subarray(pos, pos + capLen);
    pos += capLen;
    if (capLen < origLen) {
      stats.truncated++;
      continue;
    }
    const ipAt = ipOffset(frame, linkType);
    if (ipAt < 0) {
      stats.otherProtocol++;
      continue;
    }
    const time = sec + frac * (nano ? 1e-9 : 1e-6);
    const d = ipv4Udp(frame.subarray(ipAt), time, frags, stats);
    if (d) {
      stats.udp++;
      out.push(d);
    }
  }
  stats.incompleteFragments = frags.size;
  return out;
}

export function emptyStats(): PcapStats {
  return { records: 0, udp: 0, otherProtocol: 0, truncated: 0, incompleteFragments: 0, malformed: 0 };
}

/** Offset of the IPv4 header in a frame, or -1 when the frame does not carry IPv4. */
function ipOffset(f: Uint8Array, linkType: number): number {
  const u16 = (o: number) => (f[o] << 8) | f[o + 1];
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      if (f.length < 14) return -1;
      let o = 12;
      let type = u16(o);
      while ((type === 0x8100 || type === 0x88a8) && f.length >= o + 6) {
        o += 4;
        type = u16(o);
      }
      return type === 0x0800 ? o + 2 : -1;
    }
    case LINKTYPE.LINUX_SLL:
      return f.length >= 16 && u16(14) === 0x0800 ? 16 : -1;
    case LINKTYPE.LINUX_SLL2:
      return f.length >= 20 && u16(0) === 0x0800 ? 20 : -1;
    case LINKTYPE.NULL: {
      if (f.length < 4) return -1;
      const family = f[0] | (f[1] << 8) | (f[2] << 16) | (f[3] << 24);
      const familyBE = (f[0] << 24) | (f[1] << 16) | (f[2] << 8) | f[3];
      return family === 2 || familyBE === 2 ? 4 : -1;
    }
    default:
      // raw IP
      return f.length >= 20 && f[0] >> 4 === 4 ? 0 : -1;
  }
}

interface Fragments {
  parts: { offset: number; data: Uint8Array }[];
  total?: number;
  header: Uint8Array;
}

function ipv4Udp(ip: Uint8Array, time: number, frags: Map<string, Fragments>, stats: PcapStats): UdpDatagram | undefined {
  if (ip.length < 20 || ip[0] >> 4 !== 4) {
    stats.otherProtocol++;
    return undefined;
  }
  const ihl = (ip[0] & 0x0f) * 4;
  const totalLen = (ip[2] << 8) | ip[3];
  if (ihl < 20 || totalLen < ihl || totalLen > ip.length) {
    stats.malformed++;
    return undefined;
  }
  if (ip[9] !== 17) {
    stats.otherProtocol++;
    return undefined;
  }
  const flagsFrag = (ip[6] << 8) | ip[7];
  const moreFragments = (flagsFrag & 0x2000) !== 0;
  const fragOffset = (flagsFrag & 0x1fff) * 8;
  let body = ip.subarray(ihl, totalLen);
  const src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
  if (moreFragments || fragOffset > 0) {
    const key = `${src}>${dst}#${(ip[4] << 8) | ip[5]}`;
    let f = frags.get(key);
    if (!f) {
      f = { parts: [], header: ip.subarray(0, ihl) };
      frags.set(key, f);
    }
    f.parts.push({ offset: fragOffset, data: body.slice() });
    if (!moreFragments) f.total = fragOffset + body.length;
    if (f.total === undefined) return undefined;
    const covered = f.parts.reduce((n, p) => n + p.data.length, 0);
    if (covered < f.total) return undefined;
    const whole = new Uint8Array(f.total);
    for (const p of f.parts) whole.set(p.data, p.offset);
    frags.delete(key);
    body = whole;
  }
  if (body.length < 8) {
    stats.malformed++;
    return undefined;
  }
  const udpLen = (body[4] << 8) | body[5];
  if (udpLen < 8 || udpLen > body.length) {
    stats.malformed++;
    return undefined;
  }
  return {
    time,
    src,
    srcPort: (body[0] << 8) | body[1],
    dst,
    dstPort: (body[2] << 8) | body[3],
    payload: body.subarray(8, udpLen),
  };
}

/** Hex dump input: one datagram per line, hex digits with optional spaces or colons; `#` comments. */
export function parseHexLines(text: string): { line: number; payload: Uint8Array }[] {
  const out: { line: number; payload: Uint8Array }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/#.*$/, '').replace(/^0x/i, '').replace(/[\s:]/g, '');
    if (!l) continue;
    if (!/^[0-9a-fA-F]*$/.test(l) || l.length % 2 !== 0) throw new PcapError(`line ${i + 1}: not an even number of hex digits`);
    out.push({ line: i + 1, payload: Uint8Array.from(Buffer.from(l, 'hex')) });
  }
  return out;
}

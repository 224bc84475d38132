// `vil udp decode` and `vil udp listen`: the receiving engineer's view of what vil sends. Both
// print one JSON object per datagram on stdout, decoded with the same layout file the node uses.
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { ConfigError } from '../runtime/errors.js';
import { planLayoutFile } from './compile.js';
import { decodePacket, type DecodeOptions } from './decoder.js';
import type { LayoutPlan } from './plan.js';
import { isMulticast } from './udp_sender.js';
import { emptyStats, isPcap, isPcapng, parseHexLines, PcapError, readPcapDatagrams } from './pcap.js';

const DECODE_HELP = `Usage: vil udp decode --layout FILE [INPUT] [--port N] [--raw] [--all-slots]

Decodes captured datagrams with a layout and prints one JSON object per datagram.
INPUT (default: stdin) is either
  - a classic pcap file from tcpdump (e.g. tcpdump -i eth0 -w cap.pcap udp port 30001);
    link types Ethernet, Linux cooked (-i any), raw IP; IPv4/UDP, fragments reassembled
  - text: one datagram per line as hex digits (spaces and colons allowed, # comments).
Options:
  --port N      pcap only: keep datagrams whose destination port is N
  --raw         wire values as sent (no inverse scale/offset/unit)
  --all-slots   decode every array slot, not only the first <count>
Exit status: 0 when every datagram decoded cleanly, 1 when any had errors (size, magic, CRC), 2 on bad usage.
`;

const LISTEN_HELP = `Usage: vil udp listen --layout FILE --port N [--host ADDR] [--group MCAST] [--count N] [--raw] [--all-slots]

Binds a UDP socket (default 0.0.0.0) and prints every datagram decoded with the layout as a JSON line
(with the sender and the receive time). --group joins a multicast group. Ctrl-C ends it.
`;

interface Args {
  layout?: string;
  input?: string;
  port?: number;
  host: string;
  group?: string;
  count?: number;
  options: DecodeOptions;
  help: boolean;
}

function parseArgs(args: string[]): Args | string {
  const out: Args = { host: '0.0.0.0', options: {}, help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = (): string | undefined => args[++i];
    switch (a) {
      case '--layout':
      case '-l':
        out.layout = val();
        break;
      case '--port':
      case '-p': {
        const p = Number(val());
        if (!Number.isInteger(p) || p < 0 || p > 65535) return `--port expects 0..65535`;
        out.port = p;
        break;
      }
      case '--host':
        out.host = val() ?? '';
        break;
      case '--group': {
        const g = val() ?? '';
        if (!isMulticast(g)) return `--group expects an IPv4 multicast address (224.0.0.0 to 239.255.255.255), got "${g}"`;
        out.group = g;
        break;
      }
      case '--count': {
        const n = Number(val());
        if (!Number.isInteger(n) || n < 1) return '--count expects a positive integer';
        out.count = n;
        break;
      }
      case '--raw':
        out.options.raw = true;
        break;
      case '--all-slots':
        out.options.allSlots = true;
        break;
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
        if (out.input !== undefined) return `one INPUT only (got ${out.input} and ${a})`;
        out.input = a;
    }
  }
  return out;
}

function loadPlan(file: string): LayoutPlan | undefined {
  try {
    return planLayoutFile(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`vil udp: ${e.message}\n`);
      return undefined;
    }
    throw e;
  }
}

function readInput(input: string | undefined): Buffer {
  if (input === undefined || input === '-') return readFileSync(0);
  return readFileSync(input);
}

export async function decodeMain(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`vil udp decode: ${args}\n\n${DECODE_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(DECODE_HELP);
    return 0;
  }
  if (!args.layout) {
    process.stderr.write(`vil udp decode: --layout FILE is required\n\n${DECODE_HELP}`);
    return 2;
  }
  const plan = loadPlan(args.layout);
  if (!plan) return 2;
  let data: Buffer;
  try {
    data = readInput(args.input);
  } catch (e) {
    process.stderr.write(`vil udp decode: cannot read ${args.input ?? 'stdin'}: ${(e as Error).message}\n`);
    return 2;
  }
  let bad = 0;
  const print = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  try {
    if (isPcap(data) || isPcapng(data)) {
      const stats = emptyStats();
      for (const d of readPcapDatagrams(data, stats)) {
        if (args.port !== undefined && d.dstPort !== args.port) continue;
        const r = decodePacket(plan, d.payload, args.options);
        if (!r.ok) bad++;
        print({ time: d.time, src: `${d.src}:${d.srcPort}`, dst: `${d.dst}:${d.dstPort}`, ...r });
      }
      const skipped = stats.otherProtocol + stats.truncated + stats.malformed + stats.incompleteFragments;
      if (skipped) process.stderr.write(`vil udp decode: skipped records: ${JSON.stringify(stats)}\n`);
    } else {
      for (const { line, payload } of parseHexLines(data.toString('utf8'))) {
        const r = decodePacket(plan, payload, args.options);
        if (!r.ok) bad++;
        print({ line, ...r });
      }
    }
  } catch (e) {
    if (e instanceof PcapError) {
      process.stderr.write(`vil udp decode: ${args.input ?? 'stdin'}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return bad ? 1 : 0;
}

export async function listenMain(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`vil udp listen: ${args}\n\n${LISTEN_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(LISTEN_HELP);
    return 0;
  }
  if (!args.layout || args.port === undefined) {
    process.stderr.write(`vil udp listen: --layout FILE and --port N are required\n\n${LISTEN_HELP}`);
    return 2;
  }
  const plan = loadPlan(args.layout);
  if (!plan) return 2;
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  let received = 0;
  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      try {
        sock.close();
      } catch {
        // closed already
      }
      resolve(code);
    };
    sock.on('error', (e) => {
      process.stderr.write(`vil udp listen: ${e.message}\n`);
      finish(1);
    });
    sock.on('message', (msg, rinfo) => {
      const r = decodePacket(plan, msg, args.options);
      process.stdout.write(`${JSON.stringify({ time: Date.now() / 1000, src: `${rinfo.address}:${rinfo.port}`, ...r })}\n`);
      if (args.count !== undefined && ++received >= args.count) finish(0);
    });
    sock.bind(args.port, args.host, () => {
      if (args.group) {
        try {
          sock.addMembership(args.group);
        } catch (e) {
          process.stderr.write(`vil udp listen: cannot join multicast group ${args.group} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): is there an interface with multicast on this machine? Fix: check the group, or --host the interface address\n`);
          finish(1);
          return;
        }
      }
      const a = sock.address();
      process.stderr.write(`vil udp listen: ${plan.doc.name} (${plan.totalSize} bytes) on ${a.address}:${a.port}\n`);
    });
    process.once('SIGINT', () => finish(0));
    process.once('SIGTERM', () => finish(0));
  });
}

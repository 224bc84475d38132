// candump log lines (nodes/buslog/candump.ts). Inputs: lines of the real candump dumps of the
// recordings (test/fixtures/buslogs), generated lines of every frame kind (classic, extended, FD
// with flags, remote with and without length, len8_dlc, error frames, '.' separators, R/T
// suffixes), with character-level edits and nasty time stamps; and generated frames for the writer.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CandumpParseError, formatCandumpLine, parseCandumpLine, type CandumpFrame } from '../../../nodes/buslog/candump.js';
import { projectRoot } from '../../../nodes/runtime/msg_registry.js';
import { checkFrame, checkTime, FD_LEN } from '../frame_rules.js';
import { invariant, sameData, show, type FuzzProbe, type FuzzTarget } from '../target.js';

const ROOT = join(projectRoot(), 'test/fixtures/buslogs');
const REAL_LINES: string[] = [];
for (const dir of readdirSync(ROOT)) {
  if (dir.includes('.')) continue;
  for (const f of readdirSync(join(ROOT, dir))) {
    if (!f.endsWith('.candump')) continue;
    const lines = readFileSync(join(ROOT, dir, f), 'latin1').split('\n').filter(Boolean);
    // A sample of each dump: every kind of line they hold, not 10,000 of the same.
    for (let i = 0; i < lines.length; i += Math.max(1, Math.floor(lines.length / 200))) REAL_LINES.push(lines[i]);
  }
}

const hex = (n: number, digits: number) => n.toString(16).toUpperCase().padStart(digits, '0');
const bytesHex = (b: Uint8Array, sep: boolean) => Array.from(b, (x) => hex(x, 2)).join(sep ? '.' : '');

const TIME_TEXT = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 999999 })).map(([s, u]) => `${s}.${String(u).padStart(6, '0')}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('0.000000', '2147483647.999999', '2147483648.000000', '4294967296.5', '4294967295.999999', '1e23', '100000000000000000000000.000001', '0000000000001.1', '01.1', '1.', '.5', '1.1234567890', '1.123456789', '-1.0', '+1.0', '1..0', '18446744073709551615.999999', '2147483647', '00000000000000000000002147483647.000001'),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9]{1,30}(\.[0-9]{0,12})?$/) },
);
const IFACE = fc.oneof(fc.constantFrom('can0', 'can1', 'vcan3', 'slcan12', 'any', 'canA', 'can', 'can9999999999', 'x#y', '(', 'ü'), fc.stringMatching(/^[a-z]{1,6}[0-9]{0,12}$/));
const ID = fc.oneof(
  fc.integer({ min: 0, max: 0x7ff }).map((i) => hex(i, 3)),
  fc.integer({ min: 0, max: 0xfff }).map((i) => hex(i, 3)),
  fc.integer({ min: 0, max: 0x1fffffff }).map((i) => hex(i, 8)),
  fc.integer({ min: 0, max: 0xffffffff }).map((i) => hex(i, 8)),
  fc.constantFrom('20000080', 'E0000000', '60000000', '7FF', '800', '000', 'FFFFFFFF', '1FFFFFFF', '12', '1234', '123456789', 'xyz', 'fff'),
);
const BODY = fc.oneof(
  fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.boolean()).map(([b, s]) => bytesHex(b, s)),
  fc.tuple(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 15 })).map(([b, d]) => `${bytesHex(b, false)}_${hex(d, 1)}`),
  fc.tuple(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 64 }), fc.boolean()).map(([flags, b, s]) => `#${hex(flags, 1)}${bytesHex(b, s)}`),
  fc.integer({ min: 0, max: 16 }).map((n) => (n === 16 ? 'R' : `R${hex(n, 1)}`)),
  fc.constantFrom('', 'r', 'R', 'R9', 'RF', 'R0', '#', '##', '#X', '1', '123', '11.22', '..', '1122334455667788_', '1122334455667788_8', '11_9', 'GG', '#4', `#1${'00'.repeat(65)}`, '00'.repeat(9)),
);
const SUFFIX = fc.constantFrom('', '', '', ' R', ' T', '\tT', ' X', '  ');

const GENERATED_LINE = fc.tuple(TIME_TEXT, IFACE, ID, BODY, SUFFIX, fc.constantFrom(' ', ' ', '\t', '  ')).map(([t, i, id, b, s, sp]) => `(${t})${sp}${i}${sp}${id}#${b}${s}`);

type CharEdit = { at: number; op: 'delete' | 'insert' | 'replace'; ch: string };
const CHAR_EDIT: fc.Arbitrary<CharEdit> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete' as const, 'insert' as const, 'replace' as const),
  ch: fc.constantFrom('(', ')', '.', '#', '_', 'R', ' ', '\t', '0', '9', 'F', 'f', 'G', '-', '+', 'e', '\u0000', '\u00ff', '\n'),
});

function edit(line: string, edits: readonly CharEdit[]): string {
  let s = line;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    if (e.op === 'insert') s = s.slice(0, at) + e.ch + s.slice(at);
    else if (e.op === 'delete') s = s.slice(0, at) + s.slice(at + 1);
    else s = s.slice(0, at) + e.ch + s.slice(at + 1);
  }
  return s;
}

const LINE = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...REAL_LINES), fc.array(CHAR_EDIT, { maxLength: 4 })).map(([l, e]) => edit(l, e)) },
  { weight: 5, arbitrary: fc.tuple(GENERATED_LINE, fc.array(CHAR_EDIT, { maxLength: 2 })).map(([l, e]) => edit(l, e)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

const FRAME: fc.Arbitrary<CandumpFrame> = fc
  .record({
    sec: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(-1, 2 ** 31, 1.5, NaN, Infinity)),
    nanosec: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom(-1, 1e9, 0.5)),
    iface: fc.constantFrom('can0', 'can1', 'vcan0'),
    kind: fc.constantFrom('classic', 'extended', 'fd', 'rtr', 'error', 'len8'),
    id: fc.nat(),
    data: fc.uint8Array({ maxLength: 64 }),
    n: fc.integer({ min: 0, max: 15 }),
    brs: fc.boolean(),
    esi: fc.boolean(),
  })
  .map(({ sec, nanosec, iface, kind, id, data, n, brs, esi }) => {
    const base = { time: { sec, nanosec }, iface, extended: kind === 'extended', error: kind === 'error', fd: false, brs: false, esi: false, rtr: false };
    switch (kind) {
      case 'fd': {
        const d = Uint8Array.from({ length: FD_LEN[n] }, (_, i) => data[i] ?? 0);
        return { ...base, id: id % 0x800, fd: true, brs, esi, data: d, dlc: n };
      }
      case 'rtr':
        return { ...base, id: id % 0x800, rtr: true, data: new Uint8Array(0), dlc: n % 9 };
      case 'error':
        return { ...base, id: id % 0x20000000, data: data.slice(0, 8), dlc: Math.min(8, data.length) };
      case 'len8':
        return { ...base, id: id % 0x800, data: Uint8Array.from({ length: 8 }, (_, i) => data[i] ?? 0), dlc: 9 + (n % 7) };
      default: {
        const d = data.slice(0, 8);
        return { ...base, id: id % (kind === 'extended' ? 0x20000000 : 0x800), data: d, dlc: d.length };
      }
    }
  });

function parse(line: string): CandumpFrame | null | 'refused' {
  try {
    return parseCandumpLine(line);
  } catch (e) {
    if (e instanceof CandumpParseError) return 'refused';
    throw e;
  }
}

const truncated = (f: CandumpFrame): CandumpFrame => ({ ...f, time: { sec: f.time.sec, nanosec: Math.floor(f.time.nanosec / 1000) * 1000 } });

export function checkLine(line: string): void {
  const f = parse(line);
  if (f === 'refused') return;
  if (f === null) {
    invariant(line.trim() === '', `null (blank) for the non-blank line ${JSON.stringify(line)}`);
    return;
  }
  const what = `line ${JSON.stringify(line)}`;
  checkTime(f.time.sec, f.time.nanosec, what);
  checkFrame(f, what);
  invariant(f.iface.length > 0 && !/\s/.test(f.iface), `${what}: interface ${JSON.stringify(f.iface)}`);
  let text: string;
  try {
    text = formatCandumpLine(f);
  } catch (e) {
    invariant(false, `${what}: the writer refuses a frame the reader accepted: ${(e as Error).message}`);
  }
  const again = parse(text);
  invariant(again !== 'refused' && again !== null, `${what}: the reader refuses what the writer made of it: ${JSON.stringify(text)}`);
  invariant(sameData(again, truncated(f)), () => `${what}: parse(format(parse(line))) = ${show(again)} differs from ${show(truncated(f))} (written ${JSON.stringify(text)})`);
  invariant(formatCandumpLine(again) === text, `${what}: format is not stable: ${JSON.stringify(text)} → ${JSON.stringify(formatCandumpLine(again))}`);
}

export function checkWriter(f: CandumpFrame): void {
  let text: string;
  try {
    text = formatCandumpLine(f);
  } catch (e) {
    invariant(e instanceof RangeError, `the writer threw ${(e as Error).name}: ${(e as Error).message}`);
    const t = f.time;
    invariant(!(Number.isInteger(t.sec) && t.sec >= 0 && t.sec <= 2 ** 31 - 1 && Number.isInteger(t.nanosec) && t.nanosec >= 0 && t.nanosec < 1e9), `the writer refused a valid frame ${show(f)}: ${(e as Error).message}`);
    return;
  }
  const back = parse(text);
  invariant(back !== 'refused' && back !== null, `the reader refuses the writer's line ${JSON.stringify(text)} for ${show(f)}`);
  invariant(sameData(back, truncated(f)), () => `write → read of ${show(f)} gives ${show(back)} (line ${JSON.stringify(text)})`);
}

export const candumpTarget: FuzzTarget = {
  name: 'candump',
  checks: [
    'parseCandumpLine returns a frame, null for a blank line, or throws CandumpParseError: nothing else escapes',
    'every accepted frame is valid: time a ROS time stamp (0..2^31-1 s, ns < 1e9), id within 11/29 bits, dlc 0..15 with the data length rules (classic, len8_dlc, remote, FD), no BRS/ESI on classic frames',
    'parse → format → parse is the identity (time to the microsecond the format holds), and format is stable',
    'format of a generated frame reads back as that frame; the writer refuses (RangeError) only times a ROS stamp cannot hold',
  ],
  property: (probe: FuzzProbe) =>
    fc.property(fc.oneof({ weight: 4, arbitrary: LINE.map((l) => ({ line: l })) }, { weight: 1, arbitrary: FRAME.map((f) => ({ frame: f })) }), (x) => {
      if ('line' in x) {
        probe.begin(x.line);
        checkLine(x.line);
      } else {
        probe.begin(show(x.frame));
        checkWriter(x.frame);
      }
      return true;
    }),
  replay(_name, bytes) {
    for (const line of Buffer.from(bytes).toString('utf8').split('\n')) checkLine(line);
  },
  corpusFile: (x) => ('line' in (x as object) ? { ext: '.candump', bytes: Buffer.from(`${(x as { line: string }).line}\n`, 'utf8') } : undefined),
};

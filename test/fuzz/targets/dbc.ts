// DBC parsing and the compiled codecs (nodes/dbc). Inputs: windows of the real DBC files
// (test/fixtures/dbc, test/fixtures/buslogs/dbc) and generated DBC text (messages with simple and
// extended multiplexing, one-branch switches, value tables, float signals, long names, J1939 and
// FD frame formats, attributes), with token, line and byte edits; random payloads of every length.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalSegments } from '../../../nodes/dbc/bits.js';
import { compileDatabase, DECODE_SHORT, type CanDatabase, type MessageCodec } from '../../../nodes/dbc/codec.js';
import type { DbcDatabase } from '../../../nodes/dbc/model.js';
import { DbcParseError, parseDbc } from '../../../nodes/dbc/parse.js';
import { projectRoot } from '../../../nodes/runtime/msg_registry.js';
import { applyEdits, byteEdit, type ByteEdit } from '../mutate.js';
import { invariant, show, type FuzzProbe, type FuzzTarget } from '../target.js';
import { prng } from '../../helpers/prng.js';

const ROOT = projectRoot();
const FILES: string[] = ['test/fixtures/dbc', 'test/fixtures/buslogs/dbc'].flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => f.endsWith('.dbc'))
    .sort()
    .map((f) => readFileSync(join(ROOT, d, f), 'latin1')),
);
const FILE_LINES = FILES.map((t) => t.split('\n'));

// ---- generated DBC text ----

const NAME = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/), fc.constantFrom('M', 'm0', 'SG_', '__proto__', 'constructor', 'toString', 'x'.repeat(40), 'Vector__XXX', 'VECTOR__INDEPENDENT_SIG_MSG'));
const NUMBER = fc.oneof(
  fc.constantFrom('0', '1', '-1', '0.1', '0.5', '0.01', '0.001', '1e-3', '1E3', '100', '-40', '3.4028235e38', '1e308', '1e309', '-1e309', '4294967295', '9007199254740993', '0.3333333333333333', '1.5', '-0', '+5', '2147483648', '00', '1.', '10e'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer({ min: -1000, max: 1000 }).map(String),
);
const SCALE = fc.oneof(fc.constantFrom('1', '0.1', '0.5', '0.25', '0.01', '0.001', '2', '10', '-1', '0.0625', '1e-6', '0.3333333333333333', '0'), NUMBER);
const OFFSET = fc.oneof(fc.constantFrom('0', '-40', '-1000', '0.5', '100', '-0.5'), NUMBER);

interface GenSignal {
  name: string;
  mux: string;
  start: number;
  length: number;
  order: '0' | '1';
  sign: '+' | '-';
  scale: string;
  offset: string;
  min: string;
  max: string;
  valueType: number;
  choices: [number, string][];
  longName: string | null;
}
interface GenMessage {
  id: number;
  name: string;
  length: number;
  signals: GenSignal[];
  frameFormat: string | null;
  longName: string | null;
  muxValues: string[];
}

const SIGNAL: fc.Arbitrary<GenSignal> = fc.record({
  name: NAME,
  mux: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 }).map((n) => `m${n}`) }, { weight: 1, arbitrary: fc.constantFrom('M', 'm1M', 'm0M', 'm', 'mx', 'M2') }),
  start: fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 520 })),
  length: fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 64 }), fc.constantFrom(0, 65, 512, 513)),
  order: fc.constantFrom('0' as const, '1' as const),
  sign: fc.constantFrom('+' as const, '-' as const),
  scale: SCALE,
  offset: OFFSET,
  min: fc.oneof(fc.constant('0'), NUMBER),
  max: fc.oneof(fc.constant('0'), NUMBER),
  valueType: fc.constantFrom(0, 0, 0, 0, 1, 2, 3),
  choices: fc.array(fc.tuple(fc.oneof(fc.integer({ min: -2, max: 20 }), fc.integer()), fc.stringMatching(/^[A-Za-z0-9 _]{0,10}$/)), { maxLength: 4 }),
  longName: fc.option(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{32,40}$/), { freq: 8 }),
});

const MESSAGE: fc.Arbitrary<GenMessage> = fc.record({
  id: fc.oneof(fc.integer({ min: 0, max: 0x7ff }), fc.integer({ min: 0, max: 0x1fffffff }).map((i) => i + 0x80000000), fc.constantFrom(0x800, 0xffffffff, 0x80000000, 2 ** 32)),
  name: NAME,
  length: fc.oneof(fc.constantFrom(8, 8, 8, 0, 1, 4, 12, 16, 32, 48, 64, 65), fc.integer({ min: 0, max: 64 })),
  signals: fc.array(SIGNAL, { maxLength: 8 }),
  frameFormat: fc.option(fc.constantFrom('0', '1', '3', '14', '15', '99'), { freq: 3 }),
  longName: fc.option(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{32,40}$/), { freq: 8 }),
  muxValues: fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 25 })).map(([a, b, lo, hi]) => `${a}|${b}|${lo}-${hi}`) },
      // Many wide ranges: what an expansion without bound turns into millions of values.
      { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 300 })).map(([a, b, n]) => `${a}|${b}|${Array(n).fill('0-65535').join(', ')}`) },
    ),
    { maxLength: 3 },
  ),
});

function renderDbc(messages: GenMessage[], extras: string[]): string {
  const lines = ['VERSION "fuzz"', '', 'NS_ :', '\tCM_', '\tBA_DEF_', '', 'BS_:', '', 'BU_: ECU1 ECU2', ''];
  const tail: string[] = [
    'BA_DEF_ BO_ "VFrameFormat" ENUM "StandardCAN","ExtendedCAN","reserved","J1939PG","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","StandardCAN_FD","ExtendedCAN_FD";',
    'BA_DEF_ SG_ "SystemSignalLongSymbol" STRING ;',
    'BA_DEF_ BO_ "SystemMessageLongSymbol" STRING ;',
    'BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;',
    'BA_DEF_DEF_ "VFrameFormat" "StandardCAN";',
    'BA_DEF_DEF_ "GenMsgCycleTime" 0;',
  ];
  for (const m of messages) {
    lines.push(`BO_ ${m.id} ${m.name}: ${m.length} ECU1`);
    for (const s of m.signals) {
      lines.push(` SG_ ${s.name} ${s.mux}${s.mux ? ' ' : ''}: ${s.start}|${s.length}@${s.order}${s.sign} (${s.scale},${s.offset}) [${s.min}|${s.max}] "u" ECU2`);
      if (s.valueType) tail.push(`SIG_VALTYPE_ ${m.id} ${s.name} : ${s.valueType};`);
      if (s.choices.length) tail.push(`VAL_ ${m.id} ${s.name} ${s.choices.map(([v, l]) => `${v} "${l}"`).join(' ')} ;`);
      if (s.longName) tail.push(`BA_ "SystemSignalLongSymbol" SG_ ${m.id} ${s.name} "${s.longName}";`);
    }
    lines.push('');
    if (m.frameFormat !== null) tail.push(`BA_ "VFrameFormat" BO_ ${m.id} ${m.frameFormat};`);
    if (m.longName) tail.push(`BA_ "SystemMessageLongSymbol" BO_ ${m.id} "${m.longName}";`);
    for (const mv of m.muxValues) {
      const [a, b, range] = mv.split('|');
      const names = m.signals.map((s) => s.name);
      if (names.length) tail.push(`SG_MUL_VAL_ ${m.id} ${names[Number(a) % names.length]} ${names[Number(b) % names.length]} ${range};`);
    }
  }
  return [...lines, ...tail, ...extras, ''].join('\n');
}

const EXTRA = fc.constantFrom(
  'CM_ "a comment";',
  'CM_ BO_ 100 "msg comment";',
  'VAL_TABLE_ T 0 "a" 1 "b" ;',
  'BO_TX_BU_ 100 : ECU1,ECU2;',
  'SIG_GROUP_ 100 G 1 : A B;',
  'EV_ E: 0 [0|1] "" 0 1 DUMMY_NODE_VECTOR0 Vector__XXX;',
  'CM_ "never closed',
  'BA_ "GenMsgCycleTime" BO_ 100 -5;',
  'SG_MUL_VAL_ 100 A B 8-8;',
  'SG_MUL_VAL_ 100 A B 0-4294967295;',
  '"',
  '\u0000\u00ff',
  'BO_ 100 DUP: 8 ECU1',
);

// ---- edits ----

type TextEdit =
  | { op: 'dropLine'; line: number }
  | { op: 'dupLine'; line: number; to: number }
  | { op: 'token'; line: number; token: number; value: string }
  | { op: 'dropToken'; line: number; token: number }
  | { op: 'cut'; at: number };

const TOKEN_VALUE = fc.oneof(NUMBER, NAME, fc.constantFrom('', ';', ':', '|', '@', '(', ')', '[', ']', ',', '"', '""', 'BO_', 'SG_', 'VAL_', 'BA_', 'M', 'm0', 'm1M', '-', '+', '@0+', '@1-', '0|0', '63|64', '0|65', '7|1@0+', '//', '\t', '\n'));
const TEXT_EDIT: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropLine' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dupLine' as const), line: fc.nat(), to: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('token' as const), line: fc.nat(), token: fc.nat(), value: TOKEN_VALUE }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dropToken' as const), line: fc.nat(), token: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), at: fc.nat() }) },
);

function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  let lines = text.split('\n');
  for (const e of edits) {
    if (!lines.length) break;
    if (e.op === 'cut') {
      const t = lines.join('\n');
      lines = t.slice(0, e.at % (t.length + 1)).split('\n');
      continue;
    }
    const i = e.line % lines.length;
    if (e.op === 'dropLine') lines.splice(i, 1);
    else if (e.op === 'dupLine') lines.splice(e.to % (lines.length + 1), 0, lines[i]);
    else {
      // Tokens: runs of non-space, or single punctuation.
      const parts = lines[i].split(/(\s+|[;:|@()[\],])/).filter((p) => p !== '');
      const k = parts.length ? e.token % parts.length : 0;
      if (e.op === 'token') parts[k] = e.value;
      else parts.splice(k, 1);
      lines[i] = parts.join('');
    }
  }
  return lines.join('\n');
}

export interface DbcInput {
  text: string;
  payloadSeed: number;
}

const fromFile = fc
  .record({ file: fc.nat({ max: FILES.length - 1 }), start: fc.nat(), count: fc.integer({ min: 1, max: 400 }), edits: fc.array(TEXT_EDIT, { maxLength: 8 }) })
  .map(({ file, start, count, edits }) => {
    const lines = FILE_LINES[file];
    // A window of a big file (parsing 100 kB per input would make the run 50× slower), or a small file whole.
    const from = lines.length <= 400 ? 0 : start % lines.length;
    return applyTextEdits(lines.slice(from, from + (lines.length <= 400 ? lines.length : count)).join('\n'), edits);
  });

const generated = fc
  .record({ messages: fc.array(MESSAGE, { minLength: 1, maxLength: 4 }), extras: fc.array(EXTRA, { maxLength: 3 }), edits: fc.array(TEXT_EDIT, { maxLength: 3 }) })
  .map(({ messages, extras, edits }) => applyTextEdits(renderDbc(messages, extras), edits));

export const dbcInput: fc.Arbitrary<DbcInput> = fc.record({
  text: fc.oneof(fromFile, generated),
  bytes: fc.oneof({ weight: 5, arbitrary: fc.constant([] as ByteEdit[]) }, { weight: 1, arbitrary: fc.array(byteEdit(8), { maxLength: 4 }) }),
  payloadSeed: fc.nat(),
}).map(({ text, bytes, payloadSeed }) => ({ text: bytes.length ? Buffer.from(applyEdits(Buffer.from(text, 'latin1'), bytes)).toString('latin1') : text, payloadSeed }));

// ---- checks ----


const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Payloads for one message: full length, short, long, all-zero, all-ones, random. */
function payloads(c: MessageCodec, rnd: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const len = c.length;
  const random = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
  out.push(new Uint8Array(len), new Uint8Array(len).fill(0xff));
  for (let i = 0; i < 6; i++) out.push(random(len));
  out.push(random(Math.floor(rnd() * (len + 1))), random(len + 1 + Math.floor(rnd() * 8)), random(0));
  return out;
}

function checkMessage(g: MessageCodec, i: MessageCodec, rnd: () => number): void {
  invariant(g.name === i.name && g.length === i.length && g.signalNames.length === i.signalNames.length, `codegen and interpreted databases disagree on ${g.name}`);
  const n = g.signalNames.length;
  const a = new Float64Array(n + 2);
  const b = new Float64Array(n + 2);
  for (const data of payloads(g, rnd)) {
    a.fill(7);
    b.fill(7);
    const sa = g.decodeInto(data, a, 1);
    const sb = i.decodeIntoInterpreted(data, b, 1);
    const where = () => `${g.name} (id 0x${g.id.toString(16)}, ${g.length} bytes), payload ${Buffer.from(data).toString('hex')} (${data.length} bytes)`;
    invariant(sa === sb, () => `${where()}: generated status ${sa}, interpreted ${sb}`);
    invariant(a[0] === 7 && b[0] === 7 && a[n + 1] === 7 && b[n + 1] === 7, () => `${where()}: decodeInto wrote outside its slots`);
    for (let k = 1; k <= n; k++) invariant(same(a[k], b[k]), () => `${where()}: signal ${g.signalNames[k - 1]}: generated ${a[k]}, interpreted ${b[k]}`);
    invariant((sa & DECODE_SHORT) !== 0 === data.length < g.length, () => `${where()}: DECODE_SHORT is ${(sa & DECODE_SHORT) !== 0}`);
    // Named values: the new object and the reused one give the same values as decodeInto.
    const fresh = g.decodeValues(data);
    const statusFresh = g.lastStatus;
    const into = g.decodeValues(data, g.createValues());
    invariant(statusFresh === sa && g.lastStatus === sa, () => `${where()}: decodeValues status ${statusFresh}/${g.lastStatus}, decodeInto ${sa}`);
    for (let k = 0; k < n; k++) {
      const name = g.signalNames[k];
      const slot = g.indexOf(name);
      invariant(same(fresh[name], a[1 + slot]) && same(into[name], a[1 + slot]), () => `${where()}: decodeValues ${name} = ${fresh[name]}/${into[name]}, decodeInto ${a[1 + slot]}`);
    }
    g.decode(data);
    g.decodeRaw(data);
    if (data.length === g.length) roundTrip(i, data, b.subarray(1, n + 1), where);
  }
}

/**
 * decode → encodeInto → decode gives the same values for every active signal whose raw value the
 * encoder can recover from its physical value in doubles (round((v - offset) / scale) = raw);
 * messages whose active signals overlap are left out (their bits cannot all be written).
 */
function roundTrip(c: MessageCodec, data: Uint8Array, values: Float64Array, where: () => string): void {
  const raw = c.decodeRaw(data);
  const signals = c.message.signals;
  const used = new Uint8Array(c.length * 8);
  for (let k = 0; k < signals.length; k++) {
    if (Number.isNaN(values[k]) && !(signals[k].name in raw)) continue;
    const s = signals[k];
    // encodeInto refuses NaN (a float signal carrying NaN) and values beyond a double (raw × a huge scale).
    if (!Number.isFinite(values[k])) return;
    // A raw value beyond 2^53 is rounded in the double (2^64 - 1 reads as 2^64): the encoder rightly refuses what does not fit.
    const r = raw[s.name];
    if (typeof r === 'bigint' && (r >= 2n ** 53n || r <= -(2n ** 53n))) return;
    for (const seg of signalSegments(s.byteOrder, s.start, s.length)) {
      for (let bit = 0; bit < seg.bits; bit++) {
        const at = seg.byte * 8 + seg.shift + bit;
        if (used[at]) return;
        used[at] = 1;
      }
    }
  }
  const recoverable = (k: number): boolean => {
    const s = signals[k];
    const r = raw[s.name];
    if (r === undefined) return true;
    const identity = s.scale === 1 && s.offset === 0;
    if (s.valueType !== 'integer') return identity;
    if (typeof r === 'bigint' || Math.abs(r) > 2 ** 53) return false;
    return identity || roundHalfEven((values[k] - s.offset) / s.scale) === r;
  };
  // A switch the encoder cannot recover would move its branch: nothing to compare then. Any
  // other signal it cannot recover is given raw 0 (its offset) instead.
  const given = Float64Array.from(values);
  for (let k = 0; k < signals.length; k++) {
    if (raw[signals[k].name] === undefined || recoverable(k)) continue;
    if (signals[k].isMultiplexer) return;
    given[k] = signals[k].offset;
  }
  let encoded: Uint8Array;
  try {
    encoded = c.encodeInto(given, new Uint8Array(c.length));
  } catch (e) {
    invariant(false, `${where()}: encodeInto of the decoded values ${show(Array.from(given))} threw ${(e as Error).name}: ${(e as Error).message}`);
  }
  const again = new Float64Array(signals.length);
  c.decodeIntoInterpreted(encoded, again, 0);
  for (let k = 0; k < signals.length; k++) {
    const s = signals[k];
    if (raw[s.name] === undefined) continue;
    invariant(again[k] === given[k] || (Number.isNaN(again[k]) && Number.isNaN(given[k])), () => `${where()}: signal ${s.name}: encodeInto of ${given[k]} decodes to ${again[k]} (payload after encode ${Buffer.from(encoded).toString('hex')})`);
  }
}

export function checkDbc(text: string, payloadSeed: number): void {
  let model: DbcDatabase;
  try {
    model = parseDbc(text, 'fuzz.dbc');
  } catch (e) {
    invariant(e instanceof DbcParseError, () => `parseDbc threw ${(e as Error)?.name}: ${(e as Error)?.message} (not a DbcParseError)`);
    invariant(Number.isInteger(e.line) && e.line >= 1 && Number.isInteger(e.column) && e.column >= 1, `DbcParseError at line ${e.line} column ${e.column}`);
    return;
  }
  for (const w of model.warnings) invariant(Number.isInteger(w.source.line) && w.source.line >= 1 && typeof w.message === 'string' && w.message.length > 0, () => `warning ${show(w)}`);
  for (const m of model.messages) {
    invariant(Number.isInteger(m.id) && m.id >= 0 && m.id <= (m.extended ? 0x1fffffff : 0x7ff), `message ${m.name}: id 0x${m.id.toString(16)} (${m.extended ? 'extended' : 'standard'})`);
    invariant(Number.isInteger(m.length) && m.length >= 0 && m.length <= 64, `message ${m.name}: length ${m.length}`);
  }
  let gen: CanDatabase;
  let interp: CanDatabase;
  // The model is plain data, but compiling must not change it: each database gets its own copy.
  const copy = structuredClone(model);
  try {
    gen = compileDatabase(model, { codegen: true });
    interp = compileDatabase(copy, { codegen: false });
  } catch (e) {
    invariant(false, `compileDatabase threw ${(e as Error).name}: ${(e as Error).message} (a message it cannot compile must be left out with a warning)`);
  }
  invariant(gen.messages.length === interp.messages.length, `codegen compiled ${gen.messages.length} messages, interpreted ${interp.messages.length}`);
  for (const d of gen.dropped) invariant(typeof d.reason === 'string' && d.reason.length > 0, `dropped message without a reason: ${show(d)}`);
  const rnd = prng(payloadSeed);
  for (let k = 0; k < gen.messages.length; k++) {
    const m = gen.messages[k];
    invariant(gen.lookup(m.id, m.extended) !== undefined, `message ${m.name} cannot be looked up by its id 0x${m.id.toString(16)}`);
    checkMessage(m, interp.messages[k], rnd);
  }
}

export const dbcTarget: FuzzTarget = {
  name: 'dbc',
  checks: [
    'parseDbc returns a model (with warnings for what it left out) or throws DbcParseError (with line and column): nothing else escapes; never hangs (watchdog)',
    'every message in the model has an id within 11/29 bits and a length 0..64; every warning names a line',
    'compileDatabase never throws: a message it cannot compile is left out with a reason',
    'for every message: generated and interpreted decoders agree (status bits, every value, NaN for inactive) on random payloads: full, short (DECODE_SHORT set exactly when short), long, zeros, ones (unknown mux values included); decodeInto writes only its own slots',
    'decodeValues (new object and reused) equals decodeInto; decode() and decodeRaw() do not throw',
    'decode → encodeInto → decode gives the same value for every active signal whose raw value the scale and offset let a double recover (messages with overlapping active signals left out)',
  ],
  property: (probe: FuzzProbe) =>
    fc.property(dbcInput, (x) => {
      probe.begin(x.text);
      checkDbc(x.text, x.payloadSeed);
      return true;
    }),
  replay(_name, bytes) {
    const text = Buffer.from(bytes).toString('latin1');
    for (let seed = 1; seed <= 8; seed++) checkDbc(text, seed);
  },
  corpusFile: (x) => ({ ext: '.dbc', bytes: Buffer.from((x as DbcInput).text, 'latin1') }),
  describe: (x) => `payload seed ${(x as DbcInput).payloadSeed}, text:\n${(x as DbcInput).text.length > 2500 ? `${(x as DbcInput).text.slice(0, 2500)}…` : (x as DbcInput).text}`,
};

// Shared by the CDR codec tests: seeded random messages of any planned type (edge cases mixed in),
// the decoded shape a message must come back in, and the two independent references: the Python
// struct-based encoder (test/cdr/py/cdr_ref.py, which parses the .msg text itself) and
// @foxglove/rosmsg2-serialization (what the local graph used before; a devDependency now).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { TYPED_ARRAY, type Element, type NumericType, type PlannedField, type PrimitiveType } from '../../nodes/cdr/schema.js';
import type { MessageRegistry } from '../../nodes/runtime/msg_registry.js';

const here = dirname(fileURLToPath(import.meta.url));
export type Struct = Element & { kind: 'struct' };
export type Rng = () => number;

const F32_MAX = 3.4028234663852886e38;
const INT: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

const STRINGS = ['', 'a', 'gnss', 'base_link', '°', 'Temperatur 80 °C ≥ limit', 'ä', '漢字', '😀 emoji (surrogate pair)', 'tab\there', '$GNGGA,003956.00,4552.65403,S,17030.00668,E,1,12,0.64,14.2,M,1.8,M,,*56'];

function pick<T>(rnd: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function int(rnd: Rng, min: number, max: number): number {
  return min + Math.floor(rnd() * (max - min + 1));
}

function randomString(rnd: Rng, bound?: number): string {
  let s: string;
  const r = rnd();
  if (r < 0.6) s = pick(rnd, STRINGS);
  else if (r < 0.8) s = Array.from({ length: int(rnd, 0, 40) }, () => String.fromCharCode(int(rnd, 32, 126))).join('');
  else if (r < 0.95) s = Array.from({ length: int(rnd, 1, 30) }, () => pick(rnd, ['x', 'ß', '€', '𝄞', 'y', 'ü'])).join('');
  else s = 'long '.repeat(int(rnd, 20, 90));
  if (bound === undefined) return s;
  // Whole code points only (a cut surrogate pair is not UTF-8), at most `bound` UTF-16 units.
  let out = '';
  for (const c of s) {
    if (out.length + c.length > bound) break;
    out += c;
  }
  return out;
}

/** A value of primitive `t`; 64-bit integers as bigint (or, when `numberOk`, sometimes as a safe-integer number). */
export function randomPrimitive(rnd: Rng, t: PrimitiveType, numberOk: boolean): unknown {
  const r = rnd();
  switch (t) {
    case 'bool':
      return r < 0.5;
    case 'float64':
      if (r < 0.25) return pick(rnd, [Number.NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e-300, 2 ** 53 + 2]);
      return (rnd() - 0.5) * 10 ** int(rnd, -5, 12);
    case 'float32':
      if (r < 0.25) return pick(rnd, [Number.NaN, Infinity, -Infinity, -0, 0, F32_MAX, -F32_MAX, Math.fround(1.4e-45), Math.fround(1.17549435e-38)]);
      // Some values float32 cannot hold exactly (0.1, 1/3): both ends must round them the same way.
      if (r < 0.4) return pick(rnd, [0.1, 1 / 3, -2.5e-7, 123456.789]);
      return Math.fround((rnd() - 0.5) * 10 ** int(rnd, -5, 12));
    case 'int64':
    case 'uint64': {
      const [min, max] = t === 'int64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      let v: bigint;
      if (r < 0.3) v = pick(rnd, [min, max, 0n, 1n, t === 'int64' ? -1n : 2n ** 63n, 2n ** 53n, 2n ** 32n - 1n]);
      else v = min + (BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(rnd() * 2 ** 32))) % (max - min + 1n);
      if (numberOk && rnd() < 0.3) {
        const n = Number(v % 2n ** 52n);
        return t === 'uint64' ? Math.abs(n) : n;
      }
      return v;
    }
    default: {
      const [min, max] = INT[t];
      if (r < 0.3) return pick(rnd, [min, max, 0, min < 0 ? -1 : 1]);
      return int(rnd, min, max);
    }
  }
}

function arrayLength(rnd: Rng, f: PlannedField): number {
  const a = f.array!;
  if (a.fixed !== undefined) return a.fixed;
  const r = rnd();
  let n = r < 0.2 ? 0 : r < 0.85 ? int(rnd, 1, 5) : int(rnd, 6, 40);
  if (a.bound !== undefined) n = Math.min(n, a.bound);
  return n;
}

/** A random message of the planned type: every field set, numeric arrays as arrays or typed arrays. */
export function randomMessage(rnd: Rng, s: Struct, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) out[f.name] = randomField(rnd, f, depth);
  return out;
}

function randomElement(rnd: Rng, e: Element, depth: number, numberOk: boolean): unknown {
  if (e.kind === 'primitive') return randomPrimitive(rnd, e.type, numberOk);
  if (e.kind === 'string') return randomString(rnd, e.bound);
  return randomMessage(rnd, e, depth + 1);
}

function randomField(rnd: Rng, f: PlannedField, depth: number): unknown {
  if (!f.array) return randomElement(rnd, f.element, depth, true);
  // Deep nesting multiplies array sizes: keep nested arrays short.
  let n = arrayLength(rnd, f);
  if (depth > 1 && f.array.fixed === undefined) n = Math.min(n, 2);
  const e = f.element;
  const items = Array.from({ length: n }, () => randomElement(rnd, e, depth, false));
  if (e.kind === 'primitive' && e.type !== 'bool' && rnd() < 0.5) {
    const Typed = TYPED_ARRAY[e.type as NumericType] as unknown as { from(xs: unknown[]): unknown };
    return Typed.from(items);
  }
  return items;
}

/** What decode must return for `msg`: the shapes rclnodejs and the nodes use. */
export function expectedDecoded(s: Struct, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) out[f.name] = expectedField(f, msg[f.name]);
  return out;
}

function expectedPrimitive(t: PrimitiveType, v: unknown): unknown {
  if (t === 'int64' || t === 'uint64') return BigInt(v as number | bigint);
  if (t === 'float32') return Math.fround(v as number);
  if (t !== 'bool' && t !== 'float64' && Object.is(v, -0)) return 0;
  return v;
}

function expectedElement(e: Element, v: unknown): unknown {
  if (e.kind === 'primitive') return expectedPrimitive(e.type, v);
  if (e.kind === 'string') return v;
  return expectedDecoded(e, v as Record<string, unknown>);
}

function expectedField(f: PlannedField, v: unknown): unknown {
  if (!f.array) return expectedElement(f.element, v);
  const items = Array.from(v as ArrayLike<unknown>);
  const e = f.element;
  if (e.kind === 'primitive' && e.type !== 'bool') {
    const Typed = TYPED_ARRAY[e.type as NumericType] as unknown as { from(xs: unknown[]): unknown };
    return Typed.from(items.map((x) => expectedPrimitive(e.type, x)));
  }
  return items.map((x) => expectedElement(e, x));
}

/** JSON for cdr_ref.py: 64-bit integers and the floats JSON cannot spell are tagged; typed arrays become arrays. */
export function taggedJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _k: string, v: unknown) {
    if (typeof v === 'bigint') return { $b: v.toString() };
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return { $f: 'nan' };
      if (v === Infinity) return { $f: 'inf' };
      if (v === -Infinity) return { $f: '-inf' };
      if (Object.is(v, -0)) return { $f: '-0' };
      return v;
    }
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>);
    return v;
  });
}

/** Hex of the struct-based reference encoding of each request (one python3 process for all). */
export function pythonEncode(registry: MessageRegistry, requests: { type: string; msg: unknown; bigEndian?: boolean }[]): string[] {
  const schemas: Record<string, string> = {};
  for (const r of requests) schemas[r.type] ??= registry.schemaText(r.type);
  const input = [JSON.stringify({ schemas }), ...requests.map((r) => `{"type":${JSON.stringify(r.type)},"big_endian":${r.bigEndian === true},"msg":${taggedJson(r.msg)}}`)].join('\n');
  const p = spawnSync('python3', [join(here, 'py', 'cdr_ref.py')], { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (p.error) throw new Error(`python3 could not run (${p.error.message}); scripts/ensure-tools.sh installs it`);
  if (p.status !== 0) throw new Error(`cdr_ref.py failed (exit ${p.status}): ${p.stderr}`);
  const out = p.stdout.trim().split('\n');
  if (out.length !== requests.length) throw new Error(`cdr_ref.py answered ${out.length} lines for ${requests.length} messages`);
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

// ---- @foxglove/rosmsg2-serialization, as the local graph used it (with its UTF-8 fix) ----

interface CdrWriterInternals {
  string(value: string, writeLength?: boolean): unknown;
  uint32(value: number): unknown;
  resizeIfNeeded(bytes: number): void;
  array: Uint8Array;
  offset: number;
}

let patched = false;

/**
 * @foxglove/cdr 3.5's CdrWriter.string() sizes a string by its UTF-16 length, so non-ASCII text is
 * cut off; the local graph patched it (nodes/runtime/local/cdr_utf8.ts, removed with the switch to
 * nodes/cdr) and the reference keeps that patch: ASCII unchanged, anything else as UTF-8 bytes.
 */
function patchFoxgloveUtf8(): void {
  if (patched) return;
  patched = true;
  const require = createRequire(import.meta.url);
  const fromSerialization = createRequire(require.resolve('@foxglove/rosmsg2-serialization'));
  const { CdrWriter } = fromSerialization('@foxglove/cdr') as { CdrWriter: { prototype: CdrWriterInternals } };
  const proto = CdrWriter.prototype;
  const original = proto.string;
  const encoder = new TextEncoder();
  proto.string = function string(this: CdrWriterInternals, value: string, writeLength = true) {
    if (!/[^\x00-\x7f]/.test(value)) return original.call(this, value, writeLength);
    const bytes = encoder.encode(value);
    if (writeLength) this.uint32(bytes.length + 1);
    this.resizeIfNeeded(bytes.length + 1);
    this.array.set(bytes, this.offset);
    this.array[this.offset + bytes.length] = 0;
    this.offset += bytes.length + 1;
    return this;
  };
}

export interface FoxgloveCodec {
  encode(msg: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

export function foxgloveCodec(registry: MessageRegistry, type: string): FoxgloveCodec {
  patchFoxgloveUtf8();
  const defs = registry.definitions(type);
  const writer = new MessageWriter(defs);
  const reader = new MessageReader(defs, { timeType: 'sec,nanosec' });
  let scratch = new ArrayBuffer(1024);
  return {
    encode(msg) {
      const out = writer.writeMessage(msg, scratch as unknown as Uint8Array);
      if (out.buffer !== scratch) scratch = out.buffer as ArrayBuffer;
      return out.slice();
    },
    decode: (bytes) => reader.readMessage(bytes.slice()),
  };
}


// Compiles a DbcDatabase into per-message decoders and encoders, once, at load.
//
// Semantics are cantools's (message.py, utils.py, conversion.py): value = raw * scale + offset,
// IEEE float32/float64 for SIG_VALTYPE_ 1/2, two's complement for signed, no clamping to
// [min|max], labels looked up by raw value. Multiplexing: a signal is active when its switch is
// active and the switch's value is one of its ids; the switch value is the raw value when it has a
// label (cantools's choice_to_number), else trunc(scaled). Inactive signals decode to NaN.
// Where cantools raises on a frame, the decoder reports instead (a node never stops on bad input):
//  - payload shorter than the message: signals that fit are decoded, the rest are NaN (DECODE_SHORT)
//  - switch value with no branch: the branch is not decoded (DECODE_UNKNOWN_MUX)
// Payload longer than the message is decoded from its first `length` bytes (cantools's allow_excess).
//
// Hot path: `decodeInto(data, out, base)` writes every signal's value (NaN when inactive) into a
// caller-owned Float64Array at precomputed indices, allocating nothing. Each message gets its own
// generated function (`new Function`) with byte indices, shifts, masks, scale and offset as
// literals; only numbers computed here go into the generated source, never text from the file.
// Where code generation is disabled (--disallow-code-generation-from-strings) an interpreted
// decoder with the same results is used.
//
// Named values: `decodeValues(data, into?)` gives an object of signal name → physical value
// (every signal of the message; NaN when inactive or beyond a short payload), the form a user
// reads (`v.WHEEL_SPEED_FR`). Each message has a generated constructor and decoder for its own
// object shape: the names come from an array the generated code indexes (K[i]), so V8 sees one
// key per store site and keeps both monomorphic. With `into` (an object from createValues() or
// an earlier call) nothing is allocated.
import { ConfigError } from '../runtime/errors.js';
import type { DbcDatabase, DbcMessage, DbcSignal, DbcWarning, DroppedMessage } from './model.js';
import {
  type BitSegment,
  bigIntToHalves,
  bytesNeeded,
  halvesToBigInt,
  halvesToNumber,
  readHalves,
  signalSegments,
  writeHalves,
} from './bits.js';

/** Status bits returned by decodeInto. 0 = every signal of the frame decoded. */
export const DECODE_OK = 0;
/** The payload was shorter than the message: signals beyond it are NaN. */
export const DECODE_SHORT = 1;
/** A multiplexer switch had a value without a branch in the DBC (its branch is NaN). */
export const DECODE_UNKNOWN_MUX = 2;

export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}

export interface DecodedFrame {
  /** Physical values of the active signals. */
  signals: Record<string, number>;
  /** Value-table labels of active signals whose raw value has one. */
  labels: Record<string, string>;
  /** DECODE_* bits. */
  status: number;
}

export type EncodeValue = number | bigint | string;

export interface EncodeOptions {
  /**
   * cantools's strict mode (default true): every active signal must be given, no signal that is
   * not active may be given, and values must lie within [minimum|maximum] (unless labelled).
   */
  strict?: boolean;
}

interface CompiledSignal {
  sig: DbcSignal;
  index: number;
  segs: BitSegment[];
  need: number;
  isFloat: boolean;
  identity: boolean;
  /** Index of the switch this signal depends on; -1 = root; -2 = never active. */
  parent: number;
  /** Sorted ids of the switch for which this signal is active. */
  ids: number[];
  choices: Map<number, string> | null;
  labelToRaw: Map<string, number> | null;
  /** For switches: every value with a branch (children ids ∪ labels); null = not a switch. */
  branchIds: Set<number> | null;
}

// Reinterpretation scratch for IEEE values (one shared set; decoding is synchronous).
const F32 = new Float32Array(1);
const F32U = new Uint32Array(F32.buffer);
const F64 = new Float64Array(1);
const F64U = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const F64_LO = LITTLE_ENDIAN_HOST ? 0 : 1;
const F64_HI = LITTLE_ENDIAN_HOST ? 1 : 0;
const FLOAT32_MAX = 3.4028234663852886e38;

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Numeric literal that reads back as exactly `x`. */
function lit(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return String(x);
}

/** JS condition "v is one of ids" with runs of consecutive ids as ranges. */
function idCondition(v: string, ids: readonly number[]): string {
  if (ids.length === 0) return 'false';
  const parts: string[] = [];
  let a = ids[0];
  let b = ids[0];
  const flush = (): void => {
    parts.push(a === b ? `${v} === ${lit(a)}` : `(${v} >= ${lit(a)} && ${v} <= ${lit(b)})`);
  };
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] === b + 1) b = ids[i];
    else {
      flush();
      a = b = ids[i];
    }
  }
  flush();
  return parts.length === 1 ? parts[0] : `(${parts.join(' || ')})`;
}

type DecodeFn = (d: Uint8Array, o: Float64Array, b: number) => number;
type DecodeValuesFn = (d: Uint8Array, o: SignalValues) => number;
type DecodeNewValuesFn = (d: Uint8Array) => SignalValues;

/** Signal name → physical value of one message's signals (NaN: inactive or not in the payload). */
export type SignalValues = Record<string, number>;

export class MessageCodec {
  readonly message: DbcMessage;
  readonly name: string;
  readonly id: number;
  readonly extended: boolean;
  /** Declared payload length in bytes. */
  readonly length: number;
  /**
   * Sent as a CAN FD frame: the DBC says so (VFrameFormat, cantools's `is_fd`) or the payload
   * cannot fit a classic frame (opendbc's FD files declare 16..64-byte messages without it).
   */
  readonly needsFd: boolean;
  /** Signal names by output index (the order of the DBC). */
  readonly signalNames: readonly string[];
  /** Index in a database-wide output array where this message's signals start (see CanDatabase). */
  readonly base: number;
  private readonly signals: CompiledSignal[];
  private readonly byName: Map<string, CompiledSignal>;
  /** Switches before the signals that depend on them. */
  private readonly order: CompiledSignal[];
  private readonly fast: DecodeFn | null;
  private readonly fastValues: DecodeValuesFn | null;
  private readonly fastNewValues: DecodeNewValuesFn | null;
  /** Constructor of this message's SignalValues shape: one argument per signal, in signal order. */
  private readonly ValuesShape: (new (...values: number[]) => SignalValues) | null;
  private readonly scratch: Float64Array;
  private readonly halves: [number, number] = [0, 0];

  constructor(message: DbcMessage, base: number, options: { codegen?: boolean } = {}) {
    this.message = message;
    this.name = message.name;
    this.id = message.id;
    this.extended = message.extended;
    this.length = message.length;
    this.needsFd = message.fd || message.length > 8;
    this.base = base;
    this.signalNames = message.signals.map((s) => s.name);
    this.scratch = new Float64Array(message.signals.length);
    this.signals = message.signals.map((sig, index) => compileSignal(message, sig, index));
    this.byName = new Map(this.signals.map((s) => [s.sig.name, s]));
    // The 32-character DBC names of long-named signals find them too (config may use either).
    for (const s of this.signals) if (s.sig.shortName !== undefined && !this.byName.has(s.sig.shortName)) this.byName.set(s.sig.shortName, s);
    for (const s of this.signals) {
      const sw = s.sig.multiplexerSignal;
      if (sw === null) continue;
      const parent = this.byName.get(sw);
      s.parent = parent && parent.sig.isMultiplexer && s.ids.length > 0 ? parent.index : -2;
    }
    for (const s of this.signals) {
      if (!s.sig.isMultiplexer) continue;
      const ids = new Set<number>();
      for (const c of this.signals) if (c.parent === s.index) for (const id of c.ids) ids.add(id);
      if (s.choices) for (const v of s.choices.keys()) ids.add(v);
      s.branchIds = ids;
    }
    this.order = topoOrder(message, this.signals);
    let fast: DecodeFn | null = null;
    let fastValues: DecodeValuesFn | null = null;
    let fastNewValues: DecodeNewValuesFn | null = null;
    let shape: (new (...values: number[]) => SignalValues) | null = null;
    if (options.codegen !== false) {
      try {
        shape = this.generateShape();
        fast = this.generate((i) => `o[b + ${i}]`, 'into', 'd, o, b', shape) as DecodeFn;
        fastValues = this.generate((i) => `o[K[${i}]]`, 'into', 'd, o', shape) as DecodeValuesFn;
        // The new object is made in the generated function itself: one constructor per call site
        // lets V8 allocate it inline.
        fastNewValues = this.generate((i) => `x${i}`, 'new', 'd', shape) as DecodeNewValuesFn;
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        fast = fastValues = fastNewValues = shape = null;
      }
    }
    this.fast = fast;
    this.fastValues = fastValues;
    this.fastNewValues = fastNewValues;
    this.ValuesShape = shape;
  }

  /** Output index of a signal (by its name or, for a long-named signal, its short DBC name), or -1. */
  indexOf(signal: string): number {
    return this.byName.get(signal)?.index ?? -1;
  }

  /** A Float64Array sized for this message's signals. */
  createOutput(): Float64Array {
    return new Float64Array(this.signals.length);
  }

  /**
   * Decodes a payload into out[base + i] (i = signal index; NaN = inactive or not in the
   * payload). Returns DECODE_* status bits. Allocates nothing.
   */
  decodeInto(data: Uint8Array, out: Float64Array, base = 0): number {
    if (this.fast !== null && data.length >= this.length) return this.fast(data, out, base);
    return this.interpret(data, out, base);
  }

  /** A SignalValues object of this message's shape, every signal NaN (for decodeValues's `into`). */
  createValues(): SignalValues {
    if (this.ValuesShape !== null) return new this.ValuesShape(...this.signalNames.map(() => NaN));
    const o: SignalValues = {};
    for (const name of this.signalNames) defineValue(o, name, NaN);
    return o;
  }

  /**
   * Decodes a payload into named physical values: `into` (allocation-free; an object from
   * createValues() or an earlier call for this message) or a new object. Every signal of the
   * message is set, NaN when inactive or not in the payload. The DECODE_* status of the frame
   * goes to `lastStatus`.
   */
  decodeValues(data: Uint8Array, into?: SignalValues): SignalValues {
    if (this.fastValues !== null && data.length >= this.length) {
      if (into === undefined) return this.fastNewValues!(data);
      this.lastStatus = this.fastValues(data, into);
      return into;
    }
    const o = into ?? this.createValues();
    const v = this.scratch;
    this.lastStatus = this.interpret(data, v, 0);
    const names = this.signalNames;
    for (let i = 0; i < names.length; i++) o[names[i]] = v[i];
    return o;
  }

  /** DECODE_* status bits of the last decodeValues() call. */
  lastStatus = DECODE_OK;

  /** The interpreted decoder (reference for the generated one; used for short payloads). */
  decodeIntoInterpreted(data: Uint8Array, out: Float64Array, base = 0): number {
    return this.interpret(data, out, base);
  }

  /** Convenience decode (allocates): values and labels of the active signals. */
  decode(data: Uint8Array): DecodedFrame {
    const v = this.scratch;
    const status = this.decodeInto(data, v, 0);
    const signals: Record<string, number> = {};
    const labels: Record<string, string> = {};
    for (const s of this.signals) {
      const x = v[s.index];
      if (Number.isNaN(x) && !this.activeNaN(data, s)) continue;
      signals[s.sig.name] = x;
      const label = this.labelOf(s.index, x);
      if (label !== undefined) labels[s.sig.name] = label;
    }
    return { signals, labels, status };
  }

  /**
   * Raw (unscaled) values of the active signals: bigint for integer signals longer than 53 bits
   * (exact), numbers otherwise (float signals give their IEEE value).
   */
  decodeRaw(data: Uint8Array): Record<string, number | bigint> {
    const act = this.scratch;
    this.decodeInto(data, act, 0);
    const out: Record<string, number | bigint> = {};
    const payload = data.length > this.length ? data.subarray(0, this.length) : data;
    for (const s of this.signals) {
      if (Number.isNaN(act[s.index]) && !this.activeNaN(payload, s)) continue;
      readHalves(payload, s.segs, this.halves);
      const [hi, lo] = this.halves;
      if (s.isFloat) out[s.sig.name] = ieee(s, hi, lo);
      else if (s.sig.length > 53) out[s.sig.name] = halvesToBigInt(hi, lo, s.sig.length, s.sig.signed);
      else out[s.sig.name] = halvesToNumber(hi, lo, s.sig.length, s.sig.signed);
    }
    return out;
  }

  /** Value-table label of a decoded value of signal `index`, if its raw value has one. */
  labelOf(index: number, value: number): string | undefined {
    const s = this.signals[index];
    if (!s?.choices || Number.isNaN(value)) return undefined;
    if (s.identity) return s.choices.get(value);
    // Recover the raw integer exactly: the decoded value is raw*scale+offset in doubles.
    const { scale, offset } = s.sig;
    const r = Math.round((value - offset) / scale);
    if (r * scale + offset === value) return s.choices.get(r);
    if ((r - 1) * scale + offset === value) return s.choices.get(r - 1);
    if ((r + 1) * scale + offset === value) return s.choices.get(r + 1);
    return undefined;
  }

  /**
   * Encodes physical values (or labels) into a payload of `length` bytes, cantools-style.
   * Throws EncodeError for a missing signal, an unknown label, a value that does not fit its
   * bits, and in strict mode for signals that are not active or values outside [min|max].
   */
  encode(values: Record<string, EncodeValue>, options: EncodeOptions = {}): Uint8Array {
    const strict = options.strict ?? true;
    const out = new Uint8Array(this.length);
    const used = new Set<string>();
    const muxValue = new Float64Array(this.signals.length).fill(NaN);
    for (const s of this.order) {
      if (!this.isActiveGiven(s, muxValue)) continue;
      const name = s.sig.name;
      const v = values[name];
      if (v === undefined) throw new EncodeError(`${this.name}: the signal "${name}" is required for encoding`);
      used.add(name);
      const raw = this.toRaw(s, v, strict);
      if (s.branchIds) muxValue[s.index] = this.switchNumber(s, raw);
      writeHalves(out, s.segs, this.halves[0], this.halves[1]);
    }
    if (strict) {
      const extra = Object.keys(values).filter((k) => !used.has(k));
      if (extra.length) throw new EncodeError(`${this.name}: signals given but not encoded (unknown or not active): ${extra.join(', ')}`);
    }
    for (const s of this.signals) {
      if (s.branchIds && !Number.isNaN(muxValue[s.index]) && s.branchIds.size > 0 && !s.branchIds.has(muxValue[s.index])) {
        throw new EncodeError(`${this.name}: multiplexer "${s.sig.name}" value ${muxValue[s.index]} has no branch; expected one of ${[...s.branchIds].sort((a, b) => a - b).join(', ')}`);
      }
    }
    return out;
  }

  /**
   * Encodes physical values given by signal index (as decodeInto writes them; NaN or inactive
   * entries are ignored) into `out` (zeroed first, at least `length` bytes). For senders: no
   * allocation, no labels, no range checks beyond the bit width.
   */
  encodeInto(values: ArrayLike<number>, out: Uint8Array, base = 0): Uint8Array {
    out.fill(0, 0, this.length);
    const muxValue = this.scratch;
    muxValue.fill(NaN);
    for (const s of this.order) {
      if (!this.isActiveGiven(s, muxValue)) continue;
      const v = values[base + s.index];
      if (Number.isNaN(v)) throw new EncodeError(`${this.name}: the active signal "${s.sig.name}" has no value (NaN)`);
      const raw = this.toRaw(s, v, false);
      if (s.branchIds) muxValue[s.index] = this.switchNumber(s, raw);
      writeHalves(out, s.segs, this.halves[0], this.halves[1]);
    }
    return out;
  }

  // -- internals -------------------------------------------------------------------------------

  /** A NaN in the output that is the signal's real value (float signal carrying NaN). */
  private activeNaN(data: Uint8Array, s: CompiledSignal): boolean {
    if (!s.isFloat || data.length < s.need) return false;
    return this.isActiveIn(data, s);
  }

  private isActiveIn(data: Uint8Array, s: CompiledSignal): boolean {
    if (s.parent === -1) return true;
    if (s.parent === -2) return false;
    const p = this.signals[s.parent];
    if (data.length < p.need || !this.isActiveIn(data, p)) return false;
    readHalves(data, p.segs, this.halves);
    const raw = p.isFloat ? ieee(p, this.halves[0], this.halves[1]) : halvesToNumber(this.halves[0], this.halves[1], p.sig.length, p.sig.signed);
    return s.ids.includes(this.switchNumber(p, raw));
  }

  private isActiveGiven(s: CompiledSignal, muxValue: Float64Array): boolean {
    if (s.parent === -1) return true;
    if (s.parent === -2) return false;
    const m = muxValue[s.parent];
    return !Number.isNaN(m) && s.ids.includes(m);
  }

  /** cantools's _get_mux_number: the raw value if labelled, else trunc of the scaled value. */
  private switchNumber(s: CompiledSignal, raw: number): number {
    if (s.identity || s.choices?.has(raw)) return raw;
    return Math.trunc(raw * s.sig.scale + s.sig.offset);
  }

  /** Raw value of a physical value (or label); its unsigned bit halves go to this.halves. */
  private toRaw(s: CompiledSignal, v: EncodeValue, strict: boolean): number {
    const sig = s.sig;
    const where = `${this.name}.${sig.name}`;
    let raw: number;
    let big: bigint | null = null;
    if (typeof v === 'string') {
      const r = s.labelToRaw?.get(v);
      if (r === undefined) throw new EncodeError(`${where}: "${v}" is not a label of this signal`);
      raw = r;
    } else if (typeof v === 'bigint') {
      if (s.isFloat || !s.identity) throw new EncodeError(`${where}: bigint values are accepted only for unscaled integer signals`);
      big = v;
      raw = Number(v);
    } else {
      if (!Number.isFinite(v) && !s.isFloat) throw new EncodeError(`${where}: ${v} is not a finite number`);
      let x: number;
      if (s.identity) x = v;
      else if (sig.scale === 0) {
        // Every raw value decodes to the offset: that value is raw 0, any other has no raw value.
        if (v !== sig.offset) throw new EncodeError(`${where}: ${v} cannot be encoded: the scale is 0, every raw value decodes to ${sig.offset}`);
        x = 0;
      } else x = (v - sig.offset) / sig.scale;
      raw = s.isFloat ? x : roundHalfEven(x);
      if (!s.isFloat && !Number.isFinite(raw)) throw new EncodeError(`${where}: ${v} gives raw value ${raw}, which does not fit ${sig.length} bits`);
      if (strict && !(s.choices?.has(raw) ?? false)) {
        const tol = Math.abs(sig.scale) * 1e-6;
        if (sig.minimum !== null && v < sig.minimum - tol) throw new EncodeError(`${where}: ${v} is below the minimum ${sig.minimum}`);
        if (sig.maximum !== null && v > sig.maximum + tol) throw new EncodeError(`${where}: ${v} is above the maximum ${sig.maximum}`);
      }
    }
    if (s.isFloat) {
      if (sig.valueType === 'float32') {
        if (Number.isFinite(raw) && Math.abs(raw) > FLOAT32_MAX) throw new EncodeError(`${where}: ${raw} does not fit a float32`);
        F32[0] = raw;
        this.halves[0] = 0;
        this.halves[1] = F32U[0];
        return raw;
      }
      F64[0] = raw;
      this.halves[0] = F64U[F64_HI];
      this.halves[1] = F64U[F64_LO];
      return raw;
    }
    const len = sig.length;
    if (len > 53 || big !== null) {
      const b = big ?? BigInt(raw);
      const lo = sig.signed ? -(1n << BigInt(len - 1)) : 0n;
      const hi = sig.signed ? (1n << BigInt(len - 1)) - 1n : (1n << BigInt(len)) - 1n;
      if (b < lo || b > hi) throw new EncodeError(`${where}: raw value ${b} does not fit ${len} ${sig.signed ? 'signed' : 'unsigned'} bits`);
      const [h, l] = bigIntToHalves(b, len);
      this.halves[0] = h;
      this.halves[1] = l;
      return raw;
    }
    const min = sig.signed ? -(2 ** (len - 1)) : 0;
    const max = sig.signed ? 2 ** (len - 1) - 1 : 2 ** len - 1;
    if (raw < min || raw > max) throw new EncodeError(`${where}: raw value ${raw} does not fit ${len} ${sig.signed ? 'signed' : 'unsigned'} bits (${min}..${max})`);
    const u = raw < 0 ? raw + 2 ** len : raw;
    this.halves[0] = Math.floor(u / 4294967296);
    this.halves[1] = u % 4294967296;
    return raw;
  }

  private interpret(data: Uint8Array, out: Float64Array, base: number): number {
    let status = data.length < this.length ? DECODE_SHORT : DECODE_OK;
    const mux = this.scratchMux ?? (this.scratchMux = new Float64Array(this.signals.length));
    mux.fill(NaN);
    for (const s of this.order) {
      let active = true;
      if (s.parent === -2) active = false;
      else if (s.parent >= 0) {
        const m = mux[s.parent];
        active = !Number.isNaN(m) && s.ids.includes(m);
      }
      if (!active || data.length < s.need) {
        out[base + s.index] = NaN;
        continue;
      }
      readHalves(data, s.segs, this.halves);
      const [hi, lo] = this.halves;
      const raw = s.isFloat ? ieee(s, hi, lo) : halvesToNumber(hi, lo, s.sig.length, s.sig.signed);
      out[base + s.index] = s.identity ? raw : raw * s.sig.scale + s.sig.offset;
      if (s.branchIds) {
        const mv = this.switchNumber(s, raw);
        mux[s.index] = mv;
        if (s.branchIds.size > 0 && !s.branchIds.has(mv)) status |= DECODE_UNKNOWN_MUX;
      }
    }
    return status;
  }

  private scratchMux: Float64Array | null = null;

  /**
   * Generates the straight-line decoder of this message; `out(i)` is the JS expression of signal
   * i's output slot (only numbers go into it: names are read from K at run time).
   */
  private generate(out: (index: number) => string, mode: 'into' | 'new', params: string, shape: new (...values: number[]) => SignalValues): DecodeFn | DecodeValuesFn | DecodeNewValuesFn {
    const lines: string[] = ['let st = 0, r = 0, h = 0, v = 0;'];
    // 'new': values go to locals x<i>, then into the object's constructor in one go.
    const locals = this.signals.map((s) => `x${s.index}`);
    if (mode === 'new' && locals.length > 0) lines.push(`let ${locals.map((x) => `${x} = NaN`).join(', ')};`);
    const choiceSets: Set<number>[] = [];
    for (const s of this.signals) if (s.branchIds) lines.push(`let m${s.index} = NaN;`);
    for (const s of this.order) {
      const body: string[] = [];
      const o = out(s.index);
      body.push(...rawExpression(s));
      const value = s.identity ? 'r' : `r * ${lit(s.sig.scale)} + ${lit(s.sig.offset)}`;
      if (s.branchIds) body.push(`v = ${value};`, `${o} = v;`);
      else body.push(`${o} = ${value};`);
      if (s.branchIds) {
        let mv: string;
        if (s.identity) mv = 'r';
        else if (s.choices) {
          choiceSets.push(new Set(s.choices.keys()));
          mv = `(C[${choiceSets.length - 1}].has(r) ? r : Math.trunc(v))`;
        } else mv = `Math.trunc(v)`;
        body.push(`m${s.index} = ${mv};`);
        // Parenthesised: a one-branch condition is a bare `m === 1`, and `!m === 1` would test (!m) === 1.
        if (s.branchIds.size > 0) body.push(`if (!(${idCondition(`m${s.index}`, [...s.branchIds].sort((a, b) => a - b))})) st |= ${DECODE_UNKNOWN_MUX};`);
      }
      if (s.parent === -1) lines.push(...body);
      else if (s.parent === -2) lines.push(`${o} = NaN;`);
      else lines.push(`if (${idCondition(`m${s.parent}`, s.ids)}) {`, ...body.map((l) => `  ${l}`), `} else ${o} = NaN;`);
    }
    if (mode === 'new') lines.push(`const o = new V(${locals.join(', ')});`, 'R.lastStatus = st;', 'return o;');
    else lines.push('return st;');
    const src = `"use strict";\nreturn function decode_${this.extended ? 'x' : 's'}${this.id}(${params}) {\n  ${lines.join('\n  ')}\n};`;
    const factory = new Function('F32', 'F32U', 'F64', 'F64U', 'C', 'K', 'V', 'R', src) as (...a: unknown[]) => DecodeFn | DecodeValuesFn | DecodeNewValuesFn;
    return factory(F32, F32U, F64, F64U, choiceSets, this.signalNames, shape, this);
  }

  /** Generates the constructor of this message's SignalValues shape (names from K, see generate). */
  private generateShape(): new (...values: number[]) => SignalValues {
    const args = this.signalNames.map((_, i) => `a${i}`);
    const lines = this.signalNames.map((name, i) => (name === '__proto__' ? `D(this, K[${i}], a${i});` : `this[K[${i}]] = a${i};`));
    const src = `"use strict";\nreturn function Values(${args.join(', ')}) {\n  ${lines.join('\n  ')}\n};`;
    return new Function('K', 'D', src)(this.signalNames, defineValue) as new (...values: number[]) => SignalValues;
  }
}

/** An own, enumerable, writable property `name` (also for a signal named "__proto__"). */
function defineValue(o: SignalValues, name: string, value: number): void {
  Object.defineProperty(o, name, { value, writable: true, enumerable: true, configurable: true });
}

function ieee(s: CompiledSignal, hi: number, lo: number): number {
  if (s.sig.valueType === 'float32') {
    F32U[0] = lo;
    return F32[0];
  }
  F64U[F64_LO] = lo;
  F64U[F64_HI] = hi;
  return F64[0];
}

/** Straight-line JS computing `r` (the raw value as a number) for one signal. */
function rawExpression(s: CompiledSignal): string[] {
  const term = (seg: BitSegment, shiftBase: number): string => {
    let t = `d[${seg.byte}]`;
    if (seg.shift > 0) t = `(${t} >>> ${seg.shift})`;
    if (seg.shift + seg.bits < 8) t = `(${t} & ${(1 << seg.bits) - 1})`;
    const vs = seg.valueShift - shiftBase;
    return vs > 0 ? `(${t} << ${vs})` : t;
  };
  const lo = s.segs.filter((g) => g.valueShift < 32).map((g) => term(g, 0));
  const hi = s.segs.filter((g) => g.valueShift >= 32).map((g) => term(g, 32));
  const len = s.sig.length;
  const loExpr = lo.join(' | ');
  const out: string[] = [];
  if (s.isFloat) {
    if (s.sig.valueType === 'float32') {
      out.push(`F32U[0] = ${loExpr};`, 'r = F32[0];');
    } else {
      out.push(`F64U[${F64_LO}] = ${loExpr};`, `F64U[${F64_HI}] = ${hi.join(' | ')};`, 'r = F64[0];');
    }
    return out;
  }
  if (len <= 32) {
    if (s.sig.signed) out.push(len === 32 ? `r = (${loExpr}) | 0;` : `r = ((${loExpr}) << ${32 - len}) >> ${32 - len};`);
    else out.push(len === 32 ? `r = (${loExpr}) >>> 0;` : `r = ${loExpr};`);
    return out;
  }
  // 33..64 bits: exact 32-bit halves, one rounding when combined (see halvesToNumber).
  const hiBits = len - 32;
  const hiExpr = hi.join(' | ');
  if (s.sig.signed) out.push(hiBits === 32 ? `h = (${hiExpr}) | 0;` : `h = ((${hiExpr}) << ${32 - hiBits}) >> ${32 - hiBits};`);
  else out.push(hiBits === 32 ? `h = (${hiExpr}) >>> 0;` : `h = ${hiExpr};`);
  out.push(`r = h * 4294967296 + ((${loExpr}) >>> 0);`);
  return out;
}

function compileSignal(message: DbcMessage, sig: DbcSignal, index: number): CompiledSignal {
  const where = { source: `${sig.source.file}:${sig.source.line}`, key: `BO_ ${message.name} / SG_ ${sig.name}` };
  if (sig.length > 64) {
    throw new ConfigError({ ...where, problem: `signal of ${sig.length} bits; vil decodes signals of 1..64 bits`, fix: 'split the signal or drop it from the DBC' });
  }
  if (!(Number.isInteger(sig.start) && sig.start >= 0 && sig.start < 512) || !(Number.isInteger(sig.length) && sig.length >= 1)) {
    // Bits before the payload would be read as undefined: NaN from generated code, 0 from the interpreter.
    throw new ConfigError({ ...where, problem: `start bit ${sig.start} is not a bit of the message (or the length ${sig.length} is not 1..64 bits)`, fix: 'correct the start bit and length of the signal' });
  }
  for (const [what, v] of [['scale', sig.scale], ['offset', sig.offset]] as const) {
    if (!Number.isFinite(v)) {
      throw new ConfigError({ ...where, problem: `${what} ${v}; scale and offset must be finite numbers`, fix: `correct the ${what} of the signal` });
    }
  }
  const segs = signalSegments(sig.byteOrder, sig.start, sig.length);
  const need = bytesNeeded(segs);
  if (segs.some((g) => g.byte < 0)) {
    throw new ConfigError({ ...where, problem: `the signal (start ${sig.start}, ${sig.length} bits, ${sig.byteOrder}) begins before the message`, fix: 'correct the start bit, length or byte order of the signal' });
  }
  if (need > message.length) {
    throw new ConfigError({
      ...where,
      problem: `the signal (start ${sig.start}, ${sig.length} bits, ${sig.byteOrder}) needs ${need} bytes but the message is ${message.length} bytes long`,
      fix: 'correct the start bit, length or byte order of the signal, or the message length',
    });
  }
  if (sig.byteOrder === 'big_endian' && sig.start >> 3 >= message.length) {
    throw new ConfigError({ ...where, problem: `start bit ${sig.start} is outside the ${message.length}-byte message`, fix: 'correct the start bit' });
  }
  const isFloat = sig.valueType !== 'integer';
  const choices = sig.choices ? new Map(sig.choices.map((c) => [c.value, c.label])) : null;
  const labelToRaw = sig.choices ? new Map(sig.choices.map((c) => [c.label, c.value])) : null;
  return {
    sig,
    index,
    segs,
    need,
    isFloat,
    identity: sig.scale === 1 && sig.offset === 0,
    parent: -1,
    ids: sig.multiplexerIds ?? [],
    choices,
    labelToRaw,
    branchIds: null,
  };
}

function topoOrder(message: DbcMessage, signals: CompiledSignal[]): CompiledSignal[] {
  const order: CompiledSignal[] = [];
  const state = new Uint8Array(signals.length); // 0 new, 1 visiting, 2 done
  const visit = (s: CompiledSignal): void => {
    if (state[s.index] === 2) return;
    if (state[s.index] === 1) {
      throw new ConfigError({
        source: `${s.sig.source.file}:${s.sig.source.line}`,
        key: `BO_ ${message.name} / SG_ ${s.sig.name}`,
        problem: 'multiplexer switches depend on each other in a cycle',
        fix: 'correct the SG_MUL_VAL_ lines of the message',
      });
    }
    state[s.index] = 1;
    if (s.parent >= 0) visit(signals[s.parent]);
    state[s.index] = 2;
    order.push(s);
  };
  for (const s of signals) visit(s);
  return order;
}

/** J1939 parameter group number of a 29-bit id, as cantools's pgn_from_frame_id computes it. */
export function j1939Pgn(id: number): number {
  const pgn = (id >>> 8) & 0x3ffff;
  // PDU1 (PDU format < 240): the PDU specific byte is a destination address, not part of the PGN.
  return ((pgn >>> 8) & 0xff) < 240 ? pgn & 0x3ff00 : pgn;
}

/**
 * Every message of a database, compiled, with id lookup and a database-wide output layout. A
 * message that cannot be compiled (multiplexer switches in a cycle, ...) is left out with a
 * warning, like the parser's own (see `dropped`, `warnings`).
 */
export class CanDatabase {
  readonly model: DbcDatabase;
  readonly messages: readonly MessageCodec[];
  /** Total number of signals: size of a Float64Array holding every message at its `base`. */
  readonly signalCount: number;
  /** Messages left out: by the parser and here. */
  readonly dropped: readonly DroppedMessage[];
  /** The parser's warnings and those of compiling, in line order. */
  readonly warnings: readonly DbcWarning[];
  private readonly standard: (MessageCodec | undefined)[] = new Array(2048);
  private readonly extendedIds = new Map<number, MessageCodec>();
  /** J1939 messages (VFrameFormat J1939PG) by PGN; the first message of a PGN wins. */
  private readonly pgns = new Map<number, MessageCodec>();
  private readonly names = new Map<string, MessageCodec>();

  constructor(model: DbcDatabase, options: { codegen?: boolean } = {}) {
    this.model = model;
    let base = 0;
    const codecs: MessageCodec[] = [];
    const dropped = [...(model.dropped ?? [])];
    const warnings = [...(model.warnings ?? [])];
    for (const m of model.messages) {
      let c: MessageCodec;
      try {
        c = new MessageCodec(m, base, options);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const reason = `${e.problem} (${e.key})`;
        dropped.push({ name: m.name, ...(m.shortName ? { shortName: m.shortName } : {}), id: m.id, extended: m.extended, reason, source: m.source });
        warnings.push({ message: `message ${m.name} left out: ${reason}`, source: m.source, leftOut: 'message' });
        continue;
      }
      base += m.signals.length;
      codecs.push(c);
      if (m.extended) this.extendedIds.set(m.id, c);
      else this.standard[m.id] = c;
      if (m.j1939 && m.extended && !this.pgns.has(j1939Pgn(m.id))) this.pgns.set(j1939Pgn(m.id), c);
    }
    // Names: long names first, then the short DBC names of long-named messages where free.
    for (const c of codecs) this.names.set(c.name, c);
    for (const c of codecs) if (c.message.shortName !== undefined && !this.names.has(c.message.shortName)) this.names.set(c.message.shortName, c);
    this.messages = codecs;
    this.signalCount = base;
    this.dropped = dropped;
    this.warnings = warnings.sort((a, b) => a.source.line - b.source.line);
  }

  /**
   * The message for a frame id (11-bit standard or 29-bit extended), or undefined. An extended id
   * the DBC does not list matches a J1939 message of the same PGN (any priority and source address).
   */
  lookup(id: number, extended: boolean): MessageCodec | undefined {
    if (!extended) return this.standard[id];
    const c = this.extendedIds.get(id);
    if (c !== undefined || this.pgns.size === 0) return c;
    return this.pgns.get(j1939Pgn(id));
  }

  /** A message by name (or, for a long-named message, its short DBC name). */
  byName(name: string): MessageCodec | undefined {
    return this.names.get(name);
  }

  /** A message left out of this database, by name (long or short) or id, for an error that says why. */
  droppedMessage(ref: string | number): DroppedMessage | undefined {
    return this.dropped.find((d) => (typeof ref === 'number' ? d.id === ref : d.name === ref || d.shortName === ref));
  }
}

/** Compiles a parsed database; messages that cannot be compiled are left out (see CanDatabase). */
export function compileDatabase(model: DbcDatabase, options: { codegen?: boolean } = {}): CanDatabase {
  return new CanDatabase(model, options);
}

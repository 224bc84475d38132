// The compiled encoder: one preallocated packet buffer and one JavaScript function generated once
// at start-up from the checked plan — straight-line DataView writes with constant offsets, a loop
// per array. One function (not a closure per field) keeps every intermediate double in registers,
// so encode() allocates nothing. The generated text contains only numbers, and property names that
// were checked against the message definition (and are quoted as string literals anyway).
import { ConfigError } from '../runtime/errors.js';
import type { Time } from '../runtime/ros.js';
import { crc32 } from './crc32.js';
import { F32_MAX } from './wire_types.js';
import { formatPath } from './schema.js';
import { FLAG_STALE, type LayoutPlan, type PlanArray, type PlanItem, type PlanScalar } from './plan.js';
import { resolvePath, type ResolvedPath, type Step, type TypeResolver } from './sources.js';

/** Counters of what did not fit or was not there; the node reports them on /diagnostics. */
export interface EncoderStats {
  packets: number;
  /** Packets not produced because a `refuse` field overflowed. */
  refused: number;
  /** Per scalar slot id (plan.scalars): values outside the wire type. */
  overflow: number[];
  /** Per scalar slot id: source missing (e.g. index beyond the array) → default written. */
  missing: number[];
  /** Per scalar slot id: NaN into an integer, or a character that is not one byte. */
  invalid: number[];
  /** Per array id (plan.arrays): more elements than max_count. */
  arrayOverflow: number[];
}

export interface FieldProblem {
  field: string;
  overflow: number;
  missing: number;
  invalid: number;
}

interface EncodeContext {
  seq: number;
  sec: number;
  nsec: number;
  flags: number;
  refused: boolean;
}

const TWO32 = 4294967296;

export class PacketEncoder {
  readonly plan: LayoutPlan;
  readonly size: number;
  /** The packet buffer: encode() rewrites it in place and returns it. */
  readonly bytes: Uint8Array;
  readonly stats: EncoderStats;
  /** Sequence number of the last packet produced (-1 before the first). */
  lastSequence = -1;
  /** The generated function's source, for debugging a layout. */
  readonly source: string;
  private readonly dv: DataView;
  private readonly fn: (message: unknown) => void;
  private readonly ctx: EncodeContext;
  private seq: number;

  constructor(plan: LayoutPlan, resolver: TypeResolver, messageType: string) {
    this.plan = plan;
    this.size = plan.totalSize;
    this.bytes = new Uint8Array(plan.totalSize);
    this.dv = new DataView(this.bytes.buffer);
    this.seq = plan.sequenceStart;
    const n = plan.scalars.length;
    this.stats = { packets: 0, refused: 0, overflow: new Array(n).fill(0), missing: new Array(n).fill(0), invalid: new Array(n).fill(0), arrayOverflow: new Array(plan.arrays.length).fill(0) };
    this.ctx = { seq: 0, sec: 0, nsec: 0, flags: 0, refused: false };
    const gen = new CodeGen(plan, resolver, this.dv, this.bytes, this.stats, this.ctx);
    for (const s of plan.header) gen.scalar(s, messageType, undefined, 'msg', '0');
    for (const it of plan.items) gen.item(it, messageType, undefined, 'msg', '0');
    const built = gen.build();
    this.fn = built.fn;
    this.source = built.source;
  }

  /**
   * Encodes one packet. `sendTime` is the ROS time now (header send_time / $send_time); `flags`
   * go to the header flags field (FLAG_STALE, ...). Returns the packet (this.bytes, valid until the
   * next call) or null when a `refuse` field overflowed (counted in stats.refused).
   */
  encode(message: unknown, sendTime: Time, flags = 0): Uint8Array | null {
    const ctx = this.ctx;
    ctx.refused = false;
    ctx.seq = this.seq;
    ctx.sec = sendTime.sec;
    ctx.nsec = sendTime.nanosec;
    ctx.flags = flags;
    this.fn(message);
    if (ctx.refused) {
      this.stats.refused++;
      return null;
    }
    const c = this.plan.crc32;
    if (c) this.dv.setUint32(c.offset, crc32(this.bytes, 0, c.offset), c.littleEndian);
    this.lastSequence = this.seq;
    this.seq = this.plan.sequenceModulo ? (this.seq + 1) % this.plan.sequenceModulo : this.seq + 1;
    this.stats.packets++;
    return this.bytes;
  }

  /** Fields with non-zero counters, for diagnostics and logs. */
  problems(): FieldProblem[] {
    const out: FieldProblem[] = [];
    const s = this.stats;
    for (const sc of this.plan.scalars) {
      const o = s.overflow[sc.id];
      const m = s.missing[sc.id];
      const v = s.invalid[sc.id];
      if (o || m || v) out.push({ field: sc.label, overflow: o, missing: m, invalid: v });
    }
    for (const a of this.plan.arrays) {
      const o = s.arrayOverflow[a.id];
      if (o) out.push({ field: `${a.label} (more than max_count ${a.maxCount})`, overflow: o, missing: 0, invalid: 0 });
    }
    return out;
  }

  totals(): { overflow: number; missing: number; invalid: number } {
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    return { overflow: sum(this.stats.overflow) + sum(this.stats.arrayOverflow), missing: sum(this.stats.missing), invalid: sum(this.stats.invalid) };
  }
}

/** A number as JavaScript source that reads back to exactly the same double. */
function lit(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return Object.is(v, -0) ? '-0' : `(${String(v)})`;
}

const DV_SET: Record<string, string> = { u8: 'setUint8', i8: 'setInt8', u16: 'setUint16', i16: 'setInt16', u32: 'setUint32', i32: 'setInt32' };

class CodeGen {
  private readonly lines: string[] = [];
  private readonly helpers: unknown[] = [];
  private uid = 0;

  constructor(
    private readonly plan: LayoutPlan,
    private readonly resolver: TypeResolver,
    private readonly dv: DataView,
    private readonly bytes: Uint8Array,
    private readonly stats: EncoderStats,
    private readonly ctx: EncodeContext,
  ) {}

  build(): { fn: (message: unknown) => void; source: string } {
    const source = `'use strict';\nreturn function encode(msg) {\n${this.lines.join('\n')}\n};`;
    const factory = new Function('dv', 'bytes', 'st', 'ctx', 'H', source) as (...a: unknown[]) => (m: unknown) => void;
    return { fn: factory(this.dv, this.bytes, this.stats, this.ctx, this.helpers), source };
  }

  private emit(line: string): void {
    this.lines.push(line);
  }

  private helper(f: unknown): string {
    this.helpers.push(f);
    return `H[${this.helpers.length - 1}]`;
  }

  private v(prefix: string): string {
    return `${prefix}${this.uid++}`;
  }

  private fail(s: { yamlPath: (string | number)[] }, key: string | undefined, problem: string, fix: string): never {
    const path = key ? [...s.yamlPath, key] : s.yamlPath;
    throw new ConfigError({ source: this.plan.doc.where(path), key: formatPath(path), problem, fix });
  }

  /** The accesses of a path: `["key"]` for a field, `[3]` for an index. */
  private accesses(steps: readonly Step[]): string[] {
    const out: string[] = [];
    for (const s of steps) {
      out.push(`[${JSON.stringify(s.key)}]`);
      if (s.index >= 0) out.push(`[${s.index}]`);
    }
    return out;
  }

  /** Emits `let <t> = <scope>.a.b[3]...`, undefined when anything along the way is missing. */
  private getter(steps: readonly Step[], scope: string): string {
    return this.walk(this.accesses(steps), scope);
  }

  private walk(accesses: string[], scope: string): string {
    const t = this.v('g');
    this.emit(`let ${t} = ${scope};`);
    for (const a of accesses) this.emit(`${t} = ${t} == null ? undefined : ${t}${a};`);
    return t;
  }

  /**
   * For number and bool leaves: walks to the object holding the value and returns it with the
   * last access. The value itself is then read inside its typeof test, so it never sits in a
   * variable that may also hold undefined (V8 would box the double: an allocation per field).
   */
  private parentOf(steps: readonly Step[], scope: string): { obj: string; last: string } {
    const acc = this.accesses(steps);
    const last = acc.pop()!;
    return { obj: this.walk(acc, scope), last };
  }

  private resolve(s: { yamlPath: (string | number)[] }, scopeType: string, source: string, arraySource: string | undefined): ResolvedPath {
    return resolvePath(this.resolver, scopeType, source, { where: this.plan.doc.where([...s.yamlPath, 'source']), key: [...s.yamlPath, 'source'] }, arraySource);
  }

  item(it: PlanItem, scopeType: string, arraySource: string | undefined, scope: string, base: string): void {
    if (it.kind === 'array') this.array(it, scopeType, arraySource, scope, base);
    else this.scalar(it, scopeType, arraySource, scope, base);
  }

  private pos(base: string, offset: number): string {
    return base === '0' ? String(offset) : `${base} + ${offset}`;
  }

  private array(a: PlanArray, scopeType: string, arraySource: string | undefined, scope: string, base: string): void {
    const src = a.source.replace(/\[\]$/, '');
    const r = this.resolve(a, scopeType, src, arraySource);
    if (!r.isArray || !r.elementType) {
      this.fail(a, 'source', `"${a.source}" is not an array of messages (it is ${r.isArray ? `an array of ${r.rosType}` : r.rosType})`, 'point an array block at an array of messages; for an array of numbers use a field with `count: N`');
    }
    const refuse = this.plan.doc.overflow === 'refuse';
    this.emit('{');
    const arr = this.getter(r.steps, scope);
    const n = this.v('n');
    const i = this.v('i');
    const e = this.v('e');
    const b = this.v('b');
    const start = this.pos(base, a.offset);
    this.emit(`let ${n} = ${arr} == null ? 0 : ${arr}.length;`);
    this.emit(`if (${n} > ${a.maxCount}) { st.arrayOverflow[${a.id}]++; ${refuse ? 'ctx.refused = true; ' : ''}${n} = ${a.maxCount}; }`);
    this.emit(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`);
    this.emit(`const ${e} = ${arr}[${i}]; const ${b} = ${start} + ${i} * ${a.stride};`);
    for (const it of a.items) this.item(it, r.elementType!, src, e, b);
    this.emit('}');
    this.emit(`if (${n} < ${a.maxCount}) bytes.fill(0, ${start} + ${n} * ${a.stride}, ${start} + ${a.maxCount * a.stride});`);
    this.emit('}');
  }

  scalar(s: PlanScalar, scopeType: string, arraySource: string | undefined, scope: string, base: string): void {
    const at = this.pos(base, s.offset);
    this.emit(`{ // ${s.label}`);
    if (s.role === 'value') {
      if (s.wire.kind === 'char') this.emit(`${this.helper(this.charWriter(s))}(${at}, ${JSON.stringify(s.constant)});`);
      else this.writeNumber(s, at, lit(numeric(s.constant!) * s.factor + s.add));
    } else if (s.role === 'count_of') {
      const a = s.countOf!;
      const r = this.resolve(a, scopeType, a.source.replace(/\[\]$/, ''), arraySource);
      const arr = this.getter(r.steps, scope);
      const n = this.v('n');
      this.emit(`let ${n} = ${arr} == null ? 0 : ${arr}.length; if (${n} > ${a.maxCount}) ${n} = ${a.maxCount};`);
      this.writeNumber(s, at, n);
    } else if (s.role === 'special') {
      this.special(s, at);
    } else {
      this.source(s, scopeType, arraySource, scope, at);
    }
    this.emit('}');
  }

  private linear(s: PlanScalar, x: string): string {
    let e = x;
    if (s.factor !== 1) e = `${e} * ${lit(s.factor)}`;
    if (s.add !== 0) e = `${e} + ${lit(s.add)}`;
    return e;
  }

  private special(s: PlanScalar, at: string): void {
    switch (s.special) {
      case '$sequence':
        return this.writeNumber(s, at, this.linear(s, 'ctx.seq'));
      case '$flags':
        return this.writeNumber(s, at, 'ctx.flags');
      case '$stale':
        return this.writeNumber(s, at, `(ctx.flags & ${FLAG_STALE} ? 1 : 0)`);
      case '$payload_length':
        return this.writeNumber(s, at, String(this.plan.payloadSize));
      case '$send_time':
        return this.writeTime(s, at, 'ctx.sec', 'ctx.nsec');
      case '$send_time.sec':
        return this.writeNumber(s, at, this.linear(s, 'ctx.sec'));
      case '$send_time.nanosec':
        return this.writeNumber(s, at, this.linear(s, 'ctx.nsec'));
      default:
        throw new Error(`unhandled special ${s.special}`);
    }
  }

  private source(s: PlanScalar, scopeType: string, arraySource: string | undefined, scope: string, at: string): void {
    const r = this.resolve(s, scopeType, s.source!, arraySource);
    this.checkLeaf(s, r);
    const direct = s.wire.kind !== 'char' && (r.leaf === 'number' || r.leaf === 'bool');
    if (s.count > 1 || r.isArray) {
      const arr = this.getter(r.steps, scope);
      const j = this.v('j');
      this.emit(`for (let ${j} = 0; ${j} < ${s.count}; ${j}++) {`);
      if (direct) this.direct(s, r, arr, `[${j}]`, `${at} + ${j} * ${s.wire.size}`);
      else {
        const el = this.v('x');
        this.emit(`const ${el} = ${arr} == null ? undefined : ${arr}[${j}];`);
        this.value(s, r, el, `${at} + ${j} * ${s.wire.size}`);
      }
      this.emit('}');
    } else if (direct) {
      const { obj, last } = this.parentOf(r.steps, scope);
      this.direct(s, r, obj, last, at);
    } else this.value(s, r, this.getter(r.steps, scope), at);
  }

  /** A number or bool leaf read in place: `obj[last]`. */
  private direct(s: PlanScalar, r: ResolvedPath, obj: string, last: string, at: string): void {
    const id = s.id;
    const miss = s.defaultValue === undefined ? 0 : numeric(s.defaultValue) * s.factor + s.add;
    const x = `${obj}${last}`;
    const w = this.v('w');
    const t = r.leaf === 'bool' ? 'boolean' : 'number';
    const fast = r.leaf === 'bool' ? this.linear(s, `(${x} ? 1 : 0)`) : this.linear(s, x);
    this.emit(`let ${w}; if (${obj} != null && typeof ${x} === '${t}') ${w} = ${fast};`);
    this.emit(`else { const v = ${obj} == null ? undefined : ${x}; if (v == null${r.leaf === 'bool' ? ' || typeof v !== "boolean"' : ''}) { st.missing[${id}]++; ${w} = ${lit(miss)}; } else ${w} = ${r.leaf === 'bool' ? lit(miss) : this.linear(s, 'Number(v)')}; }`);
    this.writeNumber(s, at, w);
  }

  /** Converts the raw source value `x` by leaf kind and writes it at `at`. */
  private value(s: PlanScalar, r: ResolvedPath, x: string, at: string): void {
    const id = s.id;
    if (s.wire.kind === 'char') {
      const def = typeof s.defaultValue === 'string' ? s.defaultValue : '';
      this.emit(`${this.helper(this.charWriter(s))}(${at}, typeof ${x} === 'string' ? ${x} : (st.missing[${id}]++, ${JSON.stringify(def)}));`);
      return;
    }
    const miss = s.defaultValue === undefined ? 0 : numeric(s.defaultValue) * s.factor + s.add;
    const w = this.v('w');
    switch (r.leaf) {
      case 'number':
        this.emit(`let ${w}; if (typeof ${x} === 'number') ${w} = ${this.linear(s, x)}; else if (${x} == null) { st.missing[${id}]++; ${w} = ${lit(miss)}; } else ${w} = ${this.linear(s, `Number(${x})`)};`);
        return this.writeNumber(s, at, w);
      case 'bool':
        this.emit(`let ${w}; if (typeof ${x} === 'boolean') ${w} = ${this.linear(s, `(${x} ? 1 : 0)`)}; else { st.missing[${id}]++; ${w} = ${lit(miss)}; }`);
        return this.writeNumber(s, at, w);
      case 'bigint':
        if (s.wire.kind === 'int' && s.wire.bits === 64 && !s.hasLinear) {
          this.emit(`if (typeof ${x} === 'bigint') ${this.helper(this.bigWriter(s))}(${at}, ${x}); else {`);
          this.emit(`let ${w}; if (typeof ${x} === 'number') ${w} = ${x}; else { st.missing[${id}]++; ${w} = ${lit(miss)}; }`);
          this.writeNumber(s, at, w);
          this.emit('}');
          return;
        }
        this.emit(`let ${w}; if (typeof ${x} === 'bigint' || typeof ${x} === 'number') ${w} = ${this.linear(s, `Number(${x})`)}; else { st.missing[${id}]++; ${w} = ${lit(miss)}; }`);
        return this.writeNumber(s, at, w);
      case 'time': {
        // sec/nanosec may arrive as bigint (a message built by hand, or a 64-bit decoder): converted.
        const sec = this.v('ts');
        const ns = this.v('tn');
        this.emit(`if (${x} == null || (typeof ${x}.sec !== 'number' && typeof ${x}.sec !== 'bigint')) {`);
        this.emit(`st.missing[${id}]++;`);
        this.writeNumber(s, at, lit(miss));
        this.emit('} else {');
        this.emit(`const ${sec} = Number(${x}.sec); const ${ns} = Number(${x}.nanosec ?? ${x}.nsec ?? 0);`);
        this.writeTime(s, at, sec, ns);
        this.emit('}');
        return;
      }
      case 'quaternion': {
        // Components through Number(): a bigint component would throw in the arithmetic below.
        const [qx, qy, qz, qw] = [this.v('qx'), this.v('qy'), this.v('qz'), this.v('qw')];
        const expr =
          s.quaternion === 'yaw'
            ? `Math.atan2(2 * (${qw} * ${qz} + ${qx} * ${qy}), 1 - 2 * (${qy} * ${qy} + ${qz} * ${qz}))`
            : s.quaternion === 'roll'
              ? `Math.atan2(2 * (${qw} * ${qx} + ${qy} * ${qz}), 1 - 2 * (${qx} * ${qx} + ${qy} * ${qy}))`
              : `Math.asin(Math.max(-1, Math.min(1, 2 * (${qw} * ${qy} - ${qz} * ${qx}))))`;
        this.emit(`let ${w}; if (${x} == null) { st.missing[${id}]++; ${w} = ${lit(miss)}; } else {`);
        this.emit(`const ${qx} = Number(${x}.x), ${qy} = Number(${x}.y), ${qz} = Number(${x}.z), ${qw} = Number(${x}.w);`);
        this.emit(`${w} = ${this.linear(s, expr)}; }`);
        return this.writeNumber(s, at, w);
      }
      default:
        throw new Error(`unhandled leaf ${r.leaf}`);
    }
  }

  /** Time stamp → f32/f64 seconds (scale/offset apply) or an exact integer count of time_unit. */
  private writeTime(s: PlanScalar, at: string, sec: string, nsec: string): void {
    if (s.wire.kind !== 'int') return this.writeNumber(s, at, this.linear(s, `(${sec} + ${nsec} * 1e-9)`));
    const unit = s.timeUnit ?? 'ns';
    if (unit === 's') return this.writeNumber(s, at, sec);
    if (unit === 'ms') return this.writeNumber(s, at, `(${sec} * 1e3 + Math.floor(${nsec} / 1e6))`);
    if (unit === 'us') return this.writeNumber(s, at, `(${sec} * 1e6 + Math.floor(${nsec} / 1e3))`);
    this.emit(`${this.helper(this.nsWriter(s))}(${at}, ${sec}, ${nsec});`);
  }

  /** Writes a wire-domain number expression into an int/float/bool slot with the overflow policy. */
  private writeNumber(s: PlanScalar, at: string, expr: string): void {
    const w = s.wire;
    const le = s.littleEndian;
    const id = s.id;
    const policy = s.overflow;
    if (w.kind === 'bool') return this.emit(`dv.setUint8(${at}, (${expr}) ? 1 : 0);`);
    if (w.kind === 'float') {
      if (w.bits === 64) return this.emit(`dv.setFloat64(${at}, ${expr}, ${le});`);
      const f = this.v('f');
      this.emit(`let ${f} = ${expr};`);
      this.emit(`if ((${f} > ${F32_MAX} || ${f} < -${F32_MAX}) && ${f} !== Infinity && ${f} !== -Infinity) { st.overflow[${id}]++; ${policy === 'clamp' ? `${f} = ${f} > 0 ? ${F32_MAX} : -${F32_MAX};` : policy === 'refuse' ? 'ctx.refused = true;' : ''} }`);
      return this.emit(`dv.setFloat32(${at}, ${f}, ${le});`);
    }
    const nanDef = s.defaultValue === undefined ? 0 : numeric(s.defaultValue) * s.factor + s.add;
    const r = this.v('r');
    this.emit(`let ${r} = ${expr};`);
    this.emit(`if (${r} !== ${r}) { st.invalid[${id}]++; ${r} = ${lit(nanDef)}; }`);
    this.emit(`${r} = Math.round(${r});`);
    if (w.bits === 64) {
      const maxEx = w.signed ? 2 ** (w.bits - 1) : 2 ** w.bits;
      const clampBig = policy === 'clamp' ? this.helper(this.bigClamp(s)) : '';
      this.emit(`if (${r} < ${lit(w.min)} || ${r} >= ${lit(maxEx)}) { st.overflow[${id}]++; ${policy === 'clamp' ? `${clampBig}(${at}, ${r} < 0);` : `${policy === 'refuse' ? 'ctx.refused = true; ' : ''}if (!Number.isFinite(${r})) ${r} = 0; ${this.write64(at, r, le)}`} } else { ${this.write64(at, r, le)} }`);
      return;
    }
    // 'count': written as a C cast would (DataView wraps modulo 2^bits).
    const onOverflow = policy === 'clamp' ? `${r} = ${r} < ${w.min} ? ${w.min} : ${w.max};` : policy === 'refuse' ? 'ctx.refused = true;' : '';
    this.emit(`if (${r} < ${w.min} || ${r} > ${w.max}) { st.overflow[${id}]++; ${onOverflow} }`);
    this.emit(w.bits === 8 ? `dv.${DV_SET[w.name]}(${at}, ${r});` : `dv.${DV_SET[w.name]}(${at}, ${r}, ${le});`);
  }

  /** Two's-complement 64-bit write of an integer-valued double from exact 32-bit halves. */
  private write64(at: string, r: string, le: boolean): string {
    const lo = `(${r} % ${TWO32} < 0 ? ${r} % ${TWO32} + ${TWO32} : ${r} % ${TWO32})`;
    const hi = `Math.floor(${r} / ${TWO32})`;
    return le ? `dv.setUint32(${at}, ${lo}, true); dv.setUint32(${at} + 4, ${hi}, true);` : `dv.setUint32(${at}, ${hi}, false); dv.setUint32(${at} + 4, ${lo}, false);`;
  }

  private bigClamp(s: PlanScalar): (pos: number, low: boolean) => void {
    const dv = this.dv;
    const le = s.littleEndian;
    const { minBig, maxBig, signed } = s.wire;
    return signed ? (pos, low) => dv.setBigInt64(pos, low ? minBig : maxBig, le) : (pos, low) => dv.setBigUint64(pos, low ? minBig : maxBig, le);
  }

  /** Nanoseconds since the epoch exceed 2^53: the 64-bit value from exact 32-bit halves. */
  private nsWriter(s: PlanScalar): (pos: number, sec: number, nsec: number) => void {
    const dv = this.dv;
    const le = s.littleEndian;
    return (pos, sec, nsec) => {
      const sh = Math.floor(sec / 65536);
      const sl = sec - sh * 65536;
      const a = sl * 1e9 + nsec; // < 2^47, exact
      const b = sh * 1e9; // < 2^46, exact
      const lowPart = (b % 65536) * 65536 + a; // < 2^48, exact
      const lo = lowPart % TWO32;
      const hi = Math.floor(b / 65536) + Math.floor(lowPart / TWO32);
      dv.setUint32(le ? pos : pos + 4, lo, le);
      dv.setUint32(le ? pos + 4 : pos, hi, le);
    };
  }

  private bigWriter(s: PlanScalar): (pos: number, v: bigint) => void {
    const dv = this.dv;
    const le = s.littleEndian;
    const stats = this.stats;
    const ctx = this.ctx;
    const id = s.id;
    const policy = s.overflow;
    const { minBig, maxBig, signed } = s.wire;
    const setBig = signed ? dv.setBigInt64.bind(dv) : dv.setBigUint64.bind(dv);
    return (pos, v) => {
      if (v < minBig || v > maxBig) {
        stats.overflow[id]++;
        if (policy === 'clamp') v = v < minBig ? minBig : maxBig;
        else if (policy === 'refuse') ctx.refused = true;
      }
      setBig(pos, v, le);
    };
  }

  /** Text into char[N]: one byte per character (Latin-1), zero-padded; longer text overflows. */
  private charWriter(s: PlanScalar): (pos: number, text: string) => void {
    const bytes = this.bytes;
    const n = s.wire.size;
    const stats = this.stats;
    const ctx = this.ctx;
    const id = s.id;
    const policy = s.overflow;
    return (pos, text) => {
      let len = text.length;
      if (len > n) {
        stats.overflow[id]++;
        if (policy === 'refuse') ctx.refused = true;
        len = n;
      }
      for (let i = 0; i < len; i++) {
        let ch = text.charCodeAt(i);
        if (ch > 255) {
          stats.invalid[id]++;
          ch = 63; // '?'
        }
        bytes[pos + i] = ch;
      }
      if (len < n) bytes.fill(0, pos + len, pos + n);
    };
  }

  private checkLeaf(s: PlanScalar, r: ResolvedPath): void {
    const k = s.wire.kind;
    if (r.isArray && s.count === 1) this.fail(s, 'source', `"${s.source}" is an array of ${r.rosType}`, 'index one element (name[0]) or give `count: N` to send N elements');
    if (!r.isArray && s.count > 1) this.fail(s, 'count', `"${s.source}" is a single ${r.rosType}, not an array`, 'remove count');
    if (r.isArray && r.elementType && !/^(u?int\d+|float\d+|byte|char|bool)$/.test(r.rosType)) {
      this.fail(s, 'source', `"${s.source}" is an array of messages`, 'use an array block for arrays of messages');
    }
    if (r.leaf === 'string' && k !== 'char') this.fail(s, 'type', `"${s.source}" is text (${r.rosType}), the field is ${s.wire.name}`, 'use char[N]');
    if (r.leaf !== 'string' && k === 'char') this.fail(s, 'type', `"${s.source}" is ${r.rosType}, not text`, 'use a numeric type');
    if (r.leaf === 'quaternion' && !s.quaternion) this.fail(s, 'source', `"${s.source}" is a quaternion`, 'add `quaternion: yaw` (or roll, pitch) to send that angle in radians, or pick .x/.y/.z/.w');
    if (r.leaf !== 'quaternion' && s.quaternion) this.fail(s, 'quaternion', `"${s.source}" is ${r.rosType}, not a quaternion`, 'remove quaternion or point source at a geometry_msgs/Quaternion');
    if (r.leaf === 'time') {
      if (k === 'bool') this.fail(s, 'type', 'a time stamp cannot be bool', 'use f64 or u64');
      if (k === 'int' && s.hasLinear) this.fail(s, undefined, 'scale/offset/unit with an integer time stamp', 'use time_unit (s, ms, us, ns) instead');
      // An epoch stamp needs 64 bits below seconds; a duration may fit 32 (overflow policy applies).
      const epoch = !/duration/i.test(r.rosType);
      if (epoch && k === 'int' && s.wire.bits < 64 && (s.timeUnit ?? 'ns') !== 's') this.fail(s, 'time_unit', `${s.wire.name} cannot hold an epoch time stamp in ${s.timeUnit ?? 'ns'}`, 'use u64/i64, or time_unit: s with u32');
    } else if (s.timeUnit) this.fail(s, 'time_unit', `"${s.source}" is not a time stamp`, 'remove time_unit');
  }
}

function numeric(v: number | boolean | string): number {
  return typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
}

/** Roll, pitch or yaw (rad, ZYX convention as tf2's getRPY) of a unit quaternion. */
export function quaternionAngle(x: number, y: number, z: number, w: number, which: 'roll' | 'pitch' | 'yaw'): number {
  if (which === 'yaw') return Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
  if (which === 'roll') return Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  const sp = 2 * (w * y - z * x);
  return Math.asin(sp > 1 ? 1 : sp < -1 ? -1 : sp);
}

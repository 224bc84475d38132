// The compiled encoder: one preallocated packet buffer and one closure per slot, built once at
// start-up. encode() writes a message into the buffer with DataView writes and allocates nothing.
import { ConfigError } from '../errors.js';
import type { Time } from '../ros.js';
import { crc32 } from './crc32.js';
import { F32_MAX } from './wire_types.js';
import { formatPath } from './schema.js';
import { FLAG_STALE, type LayoutPlan, type PlanArray, type PlanItem, type PlanScalar } from './plan.js';
import { makeGetter, resolvePath, type ResolvedPath, type TypeResolver } from './sources.js';

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

type Op = (base: number, scope: unknown) => void;
type NumberWriter = (pos: number, v: number) => void;

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
  private readonly dv: DataView;
  private readonly ops: Op[];
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
    const builder = new OpBuilder(plan, resolver, this.bytes, this.dv, this.stats, this.ctx);
    this.ops = [...plan.header.map((s) => builder.scalar(s, messageType, undefined)), ...plan.items.map((it) => builder.item(it, messageType, undefined))];
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
    const ops = this.ops;
    for (let i = 0; i < ops.length; i++) ops[i](0, message);
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

class OpBuilder {
  constructor(
    private readonly plan: LayoutPlan,
    private readonly resolver: TypeResolver,
    private readonly bytes: Uint8Array,
    private readonly dv: DataView,
    private readonly stats: EncoderStats,
    private readonly ctx: EncodeContext,
  ) {}

  private fail(s: { yamlPath: (string | number)[] }, key: string | undefined, problem: string, fix: string): never {
    const path = key ? [...s.yamlPath, key] : s.yamlPath;
    throw new ConfigError({ source: this.plan.doc.where(path), key: formatPath(path), problem, fix });
  }

  item(it: PlanItem, scopeType: string, arraySource: string | undefined): Op {
    return it.kind === 'array' ? this.array(it, scopeType, arraySource) : this.scalar(it, scopeType, arraySource);
  }

  private array(a: PlanArray, scopeType: string, arraySource: string | undefined): Op {
    const src = a.source.replace(/\[\]$/, '');
    const r = resolvePath(this.resolver, scopeType, src, { where: this.plan.doc.where([...a.yamlPath, 'source']), key: [...a.yamlPath, 'source'] }, arraySource);
    if (!r.isArray || !r.elementType) {
      this.fail(a, 'source', `"${a.source}" is not an array of messages (it is ${r.isArray ? `an array of ${r.rosType}` : r.rosType})`, 'point an array block at an array of messages; for an array of numbers use a field with `count: N`');
    }
    const get = makeGetter(r.steps);
    const ops = a.items.map((it) => this.item(it, r.elementType!, src));
    const { offset, stride, maxCount, id } = a;
    const bytes = this.bytes;
    const stats = this.stats;
    const ctx = this.ctx;
    const refuse = this.plan.doc.overflow === 'refuse';
    const nOps = ops.length;
    return (base, scope) => {
      const arr = get(scope) as ArrayLike<unknown> | undefined;
      let n = arr ? arr.length : 0;
      if (n > maxCount) {
        stats.arrayOverflow[id]++;
        if (refuse) ctx.refused = true;
        n = maxCount;
      }
      const start = base + offset;
      for (let i = 0; i < n; i++) {
        const e = arr![i];
        const b = start + i * stride;
        for (let j = 0; j < nOps; j++) ops[j](b, e);
      }
      if (n < maxCount) bytes.fill(0, start + n * stride, start + maxCount * stride);
    };
  }

  scalar(s: PlanScalar, scopeType: string, arraySource: string | undefined): Op {
    const off = s.offset;
    const ctx = this.ctx;

    if (s.role === 'value') {
      if (s.wire.kind === 'char') {
        const write = this.charWriter(s);
        const text = s.constant as string;
        return (base) => write(base + off, text);
      }
      const w = this.numberWriter(s);
      const v = numeric(s.constant!) * s.factor + s.add;
      return (base) => w(base + off, v);
    }
    if (s.role === 'count_of') {
      const a = s.countOf!;
      const src = a.source.replace(/\[\]$/, '');
      const r = resolvePath(this.resolver, scopeType, src, { where: this.plan.doc.where([...a.yamlPath, 'source']), key: [...a.yamlPath, 'source'] }, arraySource);
      const get = makeGetter(r.steps);
      const w = this.numberWriter(s);
      const max = a.maxCount;
      return (base, scope) => {
        const arr = get(scope) as ArrayLike<unknown> | undefined;
        const n = arr ? arr.length : 0;
        w(base + off, n > max ? max : n);
      };
    }
    if (s.role === 'special') {
      switch (s.special) {
        case '$sequence': {
          const w = this.numberWriter(s);
          return (base) => w(base + off, ctx.seq * s.factor + s.add);
        }
        case '$flags': {
          const w = this.numberWriter(s);
          return (base) => w(base + off, ctx.flags);
        }
        case '$stale': {
          const w = this.numberWriter(s);
          return (base) => w(base + off, ctx.flags & FLAG_STALE ? 1 : 0);
        }
        case '$payload_length': {
          const w = this.numberWriter(s);
          const len = this.plan.payloadSize;
          return (base) => w(base + off, len);
        }
        case '$send_time': {
          const w = this.timeWriter(s);
          return (base) => w(base + off, ctx.sec, ctx.nsec);
        }
        case '$send_time.sec': {
          const w = this.numberWriter(s);
          return (base) => w(base + off, ctx.sec * s.factor + s.add);
        }
        case '$send_time.nanosec': {
          const w = this.numberWriter(s);
          return (base) => w(base + off, ctx.nsec * s.factor + s.add);
        }
        default:
          throw new Error(`unhandled special ${s.special}`);
      }
    }

    // role: source
    const r = resolvePath(this.resolver, scopeType, s.source!, { where: this.plan.doc.where([...s.yamlPath, 'source']), key: [...s.yamlPath, 'source'] }, arraySource);
    this.checkLeaf(s, r);
    const get = makeGetter(r.steps);
    const read = this.reader(s, r);
    if (s.count > 1 || r.isArray) {
      const n = s.count;
      const size = s.wire.size;
      return (base, scope) => {
        const arr = get(scope) as ArrayLike<unknown> | undefined;
        const p = base + off;
        for (let i = 0; i < n; i++) read(p + i * size, arr ? arr[i] : undefined);
      };
    }
    return (base, scope) => read(base + off, get(scope));
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
      if (k === 'int' && s.wire.bits < 64 && (s.timeUnit ?? 'ns') !== 's') this.fail(s, 'time_unit', `${s.wire.name} cannot hold an epoch time stamp in ${s.timeUnit ?? 'ns'}`, 'use u64/i64, or time_unit: s with u32');
    } else if (s.timeUnit) this.fail(s, 'time_unit', `"${s.source}" is not a time stamp`, 'remove time_unit');
  }

  /** Reads a source value of the leaf's kind and writes it; handles missing values. */
  private reader(s: PlanScalar, r: ResolvedPath): (pos: number, raw: unknown) => void {
    const stats = this.stats;
    const id = s.id;
    const k = s.factor;
    const c = s.add;
    if (s.wire.kind === 'char') {
      const write = this.charWriter(s);
      const def = typeof s.defaultValue === 'string' ? s.defaultValue : '';
      return (pos, raw) => {
        if (typeof raw === 'string') write(pos, raw);
        else {
          stats.missing[id]++;
          write(pos, def);
        }
      };
    }
    const num = this.numberWriter(s);
    const missWire = s.defaultValue === undefined ? 0 : numeric(s.defaultValue) * k + c;
    const missing = (pos: number) => {
      stats.missing[id]++;
      num(pos, missWire);
    };
    switch (r.leaf) {
      case 'number':
        return (pos, raw) => (typeof raw === 'number' ? num(pos, raw * k + c) : raw == null ? missing(pos) : num(pos, Number(raw) * k + c));
      case 'bool':
        return (pos, raw) => (typeof raw === 'boolean' ? num(pos, (raw ? 1 : 0) * k + c) : missing(pos));
      case 'bigint': {
        if (s.wire.kind === 'int' && s.wire.bits === 64 && !s.hasLinear) {
          const big = this.bigWriter(s);
          return (pos, raw) => (typeof raw === 'bigint' ? big(pos, raw) : typeof raw === 'number' ? num(pos, raw) : missing(pos));
        }
        return (pos, raw) => (typeof raw === 'bigint' || typeof raw === 'number' ? num(pos, Number(raw) * k + c) : missing(pos));
      }
      case 'time': {
        const tw = this.timeWriter(s);
        return (pos, raw) => {
          const t = raw as { sec?: number; nanosec?: number; nsec?: number } | undefined;
          if (t == null || typeof t.sec !== 'number') return missing(pos);
          tw(pos, t.sec, t.nanosec ?? t.nsec ?? 0);
        };
      }
      case 'quaternion': {
        const which = s.quaternion!;
        return (pos, raw) => {
          const q = raw as { x: number; y: number; z: number; w: number } | undefined;
          if (q == null) return missing(pos);
          num(pos, quaternionAngle(q.x, q.y, q.z, q.w, which) * k + c);
        };
      }
      default:
        return missing;
    }
  }

  /** Time stamp (sec, nanosec) → f32/f64 seconds (scale/offset apply) or an exact integer count. */
  private timeWriter(s: PlanScalar): (pos: number, sec: number, nsec: number) => void {
    const num = this.numberWriter(s);
    const k = s.factor;
    const c = s.add;
    if (s.wire.kind !== 'int') return (pos, sec, nsec) => num(pos, (sec + nsec * 1e-9) * k + c);
    const unit = s.timeUnit ?? 'ns';
    if (unit === 's') return (pos, sec) => num(pos, sec);
    if (unit === 'ms') return (pos, sec, nsec) => num(pos, sec * 1e3 + Math.floor(nsec / 1e6));
    if (unit === 'us') return (pos, sec, nsec) => num(pos, sec * 1e6 + Math.floor(nsec / 1e3));
    // Nanoseconds since the epoch exceed 2^53: build the 64-bit value from exact 32-bit halves.
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

  /** Writes a wire-domain number into an int/float/bool slot with the overflow policy. */
  private numberWriter(s: PlanScalar): NumberWriter {
    const dv = this.dv;
    const le = s.littleEndian;
    const stats = this.stats;
    const ctx = this.ctx;
    const id = s.id;
    const policy = s.overflow;
    const w = s.wire;
    if (w.kind === 'bool') return (pos, v) => dv.setUint8(pos, v ? 1 : 0);
    if (w.kind === 'float') {
      if (w.bits === 64) return (pos, v) => dv.setFloat64(pos, v, le);
      return (pos, v) => {
        if (v > F32_MAX || v < -F32_MAX) {
          if (v === Infinity || v === -Infinity) {
            dv.setFloat32(pos, v, le);
            return;
          }
          stats.overflow[id]++;
          if (policy === 'clamp') v = v > 0 ? F32_MAX : -F32_MAX;
          else if (policy === 'refuse') ctx.refused = true;
        }
        dv.setFloat32(pos, v, le);
      };
    }
    const min = w.min;
    const maxExclusive = w.signed ? 2 ** (w.bits - 1) : 2 ** w.bits;
    const defaultOnNaN = s.defaultValue === undefined ? 0 : numeric(s.defaultValue) * s.factor + s.add;
    if (w.bits === 64) {
      const setBig = w.signed ? dv.setBigInt64.bind(dv) : dv.setBigUint64.bind(dv);
      const minBig = w.minBig;
      const maxBig = w.maxBig;
      return (pos, v) => {
        if (v !== v) {
          stats.invalid[id]++;
          v = defaultOnNaN;
        }
        let r = Math.round(v);
        if (r < min || r >= maxExclusive) {
          stats.overflow[id]++;
          if (policy === 'clamp') {
            setBig(pos, r < min ? minBig : maxBig, le);
            return;
          }
          if (policy === 'refuse') ctx.refused = true;
          if (!Number.isFinite(r)) r = 0;
        }
        const lo = r % TWO32;
        const hi = Math.floor(r / TWO32);
        dv.setUint32(le ? pos : pos + 4, lo < 0 ? lo + TWO32 : lo, le);
        dv.setUint32(le ? pos + 4 : pos, hi, le);
      };
    }
    const max = w.max;
    const set: (pos: number, v: number, le: boolean) => void =
      w.bits === 8
        ? w.signed
          ? (p, v) => dv.setInt8(p, v)
          : (p, v) => dv.setUint8(p, v)
        : w.bits === 16
          ? w.signed
            ? dv.setInt16.bind(dv)
            : dv.setUint16.bind(dv)
          : w.signed
            ? dv.setInt32.bind(dv)
            : dv.setUint32.bind(dv);
    return (pos, v) => {
      if (v !== v) {
        stats.invalid[id]++;
        v = defaultOnNaN;
      }
      let r = Math.round(v);
      if (r < min || r > max) {
        stats.overflow[id]++;
        if (policy === 'clamp') r = r < min ? min : max;
        else if (policy === 'refuse') ctx.refused = true;
        // 'count': written as a C cast would (DataView wraps modulo 2^bits).
      }
      set(pos, r, le);
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

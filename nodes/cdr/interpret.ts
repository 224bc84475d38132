// The same encoder and decoder as generate.ts, built from closures instead of generated source:
// used where code generation from strings is disallowed, and as a second implementation the tests
// hold against the first. Same acceptance, same bytes, same errors; alignment is computed at run
// time and capacity checked per value, so it is slower (test/bench/cdr.bench.ts measures by how much).
import type { DecodeHelpers, Scratch } from './codec.js';
import { minWireSize, PRIMITIVE_SIZE, TYPED_ARRAY, type Element, type NumericType, type PlannedField, type PrimitiveType } from './schema.js';
import { FLOAT32_MAX, INT64_MAX, INT64_MIN, UINT64_MAX } from './validate.js';
import { ALLOCATORS } from './slab.js';

type Struct = Element & { kind: 'struct' };

/** True when `x` is acceptable as a value of `t` (bigints for 64-bit handled by the writers). */
const ACCEPTS: Record<Exclude<PrimitiveType, 'int64' | 'uint64'>, (x: unknown) => boolean> = {
  bool: (x) => typeof x === 'boolean',
  uint8: (x) => typeof x === 'number' && (x & 255) === x,
  int8: (x) => typeof x === 'number' && ((x << 24) >> 24) === x,
  uint16: (x) => typeof x === 'number' && (x & 65535) === x,
  int16: (x) => typeof x === 'number' && ((x << 16) >> 16) === x,
  uint32: (x) => typeof x === 'number' && x >>> 0 === x,
  int32: (x) => typeof x === 'number' && (x | 0) === x,
  float32: (x) => typeof x === 'number' && !((x > FLOAT32_MAX && x !== Infinity) || (x < -FLOAT32_MAX && x !== -Infinity)),
  float64: (x) => typeof x === 'number',
};

export function interpretEncoder(root: Struct, W: Scratch): (m: unknown) => number {
  let o = 0;
  const ensure = (n: number) => {
    if (o + n > W.u8.length) W.grow(o + n);
  };
  const align = (a: number) => {
    const pad = (a - ((o - 4) % a)) % a;
    ensure(pad);
    for (let i = 0; i < pad; i++) W.u8[o++] = 0;
  };
  /** Writes an already accepted value. */
  const put = (t: PrimitiveType, x: unknown) => {
    const size = PRIMITIVE_SIZE[t];
    align(size);
    ensure(size);
    const dv = W.dv;
    switch (t) {
      case 'bool':
        W.u8[o] = x ? 1 : 0;
        break;
      case 'int8':
      case 'uint8':
        W.u8[o] = x as number;
        break;
      case 'int16':
        dv.setInt16(o, x as number, true);
        break;
      case 'uint16':
        dv.setUint16(o, x as number, true);
        break;
      case 'int32':
        dv.setInt32(o, x as number, true);
        break;
      case 'uint32':
        dv.setUint32(o, x as number, true);
        break;
      case 'float32':
        dv.setFloat32(o, x as number, true);
        break;
      case 'float64':
        dv.setFloat64(o, x as number, true);
        break;
      case 'int64':
      case 'uint64':
        if (typeof x === 'bigint') {
          if (t === 'int64') dv.setBigInt64(o, x, true);
          else dv.setBigUint64(o, x, true);
        } else {
          dv.setUint32(o, (x as number) >>> 0, true);
          if (t === 'int64') dv.setInt32(o + 4, Math.floor((x as number) / 4294967296), true);
          else dv.setUint32(o + 4, Math.floor((x as number) / 4294967296), true);
        }
        break;
    }
    o += size;
  };
  const accepts64 = (t: 'int64' | 'uint64', x: unknown, bigintOnly: boolean): boolean => {
    if (typeof x === 'bigint') return t === 'int64' ? x >= INT64_MIN && x <= INT64_MAX : x >= 0n && x <= UINT64_MAX;
    if (bigintOnly) return false;
    return Number.isSafeInteger(x) && (t === 'int64' || (x as number) >= 0);
  };
  const primitive = (t: PrimitiveType, bigintOnly = false): ((x: unknown) => boolean) => {
    if (t === 'int64' || t === 'uint64') {
      return (x) => {
        if (!accepts64(t, x, bigintOnly)) return false;
        put(t, x);
        return true;
      };
    }
    const ok = ACCEPTS[t];
    return (x) => {
      if (!ok(x)) return false;
      put(t, x);
      return true;
    };
  };
  const string = (bound: number | undefined) => (x: unknown): boolean => {
    if (typeof x !== 'string' || (bound !== undefined && x.length > bound)) return false;
    ensure(x.length * 3 + 8);
    align(4);
    const p = o;
    o += 4;
    o += W.utf8(x, o);
    W.u8[o++] = 0;
    W.dv.setUint32(p, o - p - 4, true);
    return true;
  };
  const count = (n: number) => {
    align(4);
    ensure(4);
    W.dv.setUint32(o, n, true);
    o += 4;
  };
  const element = (e: Element, bigintOnly = false): ((x: unknown) => boolean) =>
    e.kind === 'primitive' ? primitive(e.type, bigintOnly) : e.kind === 'string' ? string(e.bound) : struct(e);
  const array = (f: PlannedField): ((x: unknown) => boolean) => {
    const e = f.element;
    const { fixed, bound } = f.array!;
    const typed = e.kind === 'primitive' && e.type !== 'bool' ? (TYPED_ARRAY[e.type as NumericType] as unknown as new () => ArrayLike<unknown>) : undefined;
    const each = element(e, true);
    const put1 = e.kind === 'primitive' ? (x: unknown) => put(e.type, x) : undefined;
    return (x) => {
      let n: number;
      const plain = Array.isArray(x);
      if (plain) n = x.length;
      else if (typed !== undefined && x instanceof typed) n = (x as ArrayLike<unknown>).length;
      else return false;
      if (fixed !== undefined ? n !== fixed : bound !== undefined && n > bound) return false;
      if (fixed === undefined) count(n);
      const items = x as ArrayLike<unknown>;
      for (let i = 0; i < n; i++) {
        if (plain) {
          if (!each(items[i])) return false;
        } else put1!(items[i]);
      }
      return true;
    };
  };
  const structs = new Map<string, (x: unknown) => boolean>();
  function struct(s: Struct): (x: unknown) => boolean {
    const known = structs.get(s.type);
    if (known) return known;
    let fields: ((x: unknown) => boolean)[] = [];
    const names = s.fields.map((f) => f.name);
    const keys = new Set(names);
    const n = names.length;
    const fn = (x: unknown): boolean => {
      if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
      const v = x as Record<string, unknown>;
      if (n === 0) {
        ensure(1);
        W.u8[o++] = 0;
      }
      for (let i = 0; i < n; i++) if (!fields[i](v[names[i]])) return false;
      let c = 0;
      for (const k in v) {
        c++;
        void k;
      }
      if (c !== n) for (const k in v) if (!keys.has(k)) return false;
      return true;
    };
    structs.set(s.type, fn);
    fields = s.fields.map((f) => (f.array ? array(f) : element(f.element)));
    return fn;
  }
  const top = struct(root);
  return (m) => {
    o = 0;
    ensure(4);
    W.dv.setUint32(0, 0x100, true);
    o = 4;
    return top(m) ? o : -1;
  };
}

/** Path segments with index placeholders, filled from the loop indices when an error is raised. */
type Path = (string | null)[];

export function interpretDecoder(root: Struct, options: { littleEndian: boolean; helpers: DecodeHelpers }): (u8: Uint8Array, dv: DataView, end: number) => unknown {
  const le = options.littleEndian;
  const H = options.helpers;
  let u8: Uint8Array;
  let dv: DataView;
  let end = 0;
  let o = 0;
  const indices: number[] = [];
  const pathText = (p: Path): string => {
    let out = '';
    let d = 0;
    for (const s of p) out += s === null ? `[${indices[d++]}]` : out ? `.${s}` : s;
    return out;
  };
  const need = (p: Path, n: number) => {
    if (o + n > end) H.short(pathText(p), o, n, end);
  };
  const align = (a: number) => {
    o += (a - ((o - 4) % a)) % a;
  };
  const get = (t: PrimitiveType, at: number): unknown => {
    switch (t) {
      case 'bool':
        return u8[at] !== 0;
      case 'uint8':
        return u8[at];
      case 'int8':
        return (u8[at] << 24) >> 24;
      case 'int16':
        return dv.getInt16(at, le);
      case 'uint16':
        return dv.getUint16(at, le);
      case 'int32':
        return dv.getInt32(at, le);
      case 'uint32':
        return dv.getUint32(at, le);
      case 'int64':
        return dv.getBigInt64(at, le);
      case 'uint64':
        return dv.getBigUint64(at, le);
      case 'float32':
        return dv.getFloat32(at, le);
      case 'float64':
        return dv.getFloat64(at, le);
    }
  };
  const count = (p: Path): number => {
    align(4);
    need(p, 4);
    const n = dv.getUint32(o, le);
    o += 4;
    return n;
  };
  type Dec = () => unknown;
  const primitive = (t: PrimitiveType, p: Path): Dec => {
    const size = PRIMITIVE_SIZE[t];
    return () => {
      align(size);
      need(p, size);
      const v = get(t, o);
      o += size;
      return v;
    };
  };
  const string = (p: Path, bound: number | undefined): Dec => () => {
    const n = count(p);
    if (n > end - o) H.fail(pathText(p), o - 4, `string length ${n} exceeds the ${end - o} bytes that remain`);
    let s = '';
    if (n !== 0) {
      if (u8[o + n - 1] !== 0) H.fail(pathText(p), o + n - 1, `string of ${n} bytes does not end with NUL`);
      s = H.str(u8, o, o + n - 1);
      o += n;
    }
    if (bound !== undefined && s.length > bound) H.fail(pathText(p), o, `string of length ${s.length} exceeds its bound string<=${bound}`);
    return s;
  };
  const element = (e: Element, p: Path): Dec => (e.kind === 'primitive' ? primitive(e.type, p) : e.kind === 'string' ? string(p, e.bound) : struct(e, p));
  const array = (f: PlannedField, p: Path): Dec => {
    const e = f.element;
    const { fixed, bound } = f.array!;
    if (e.kind === 'primitive') {
      const t = e.type;
      const size = PRIMITIVE_SIZE[t];
      const alloc = t === 'bool' ? undefined : (ALLOCATORS[TYPED_ARRAY[t as NumericType].name as keyof typeof ALLOCATORS] as (n: number) => { [i: number]: unknown });
      return () => {
        let n: number;
        if (fixed !== undefined) n = fixed;
        else {
          n = count(p);
          if (bound !== undefined && n > bound) H.fail(pathText(p), o - 4, `sequence of ${n} elements exceeds its bound ${bound}`);
        }
        if (n > 0) align(size);
        if (fixed !== undefined) need(p, n * size);
        else if (n * size > end - o) H.fail(pathText(p), o, `sequence of ${n} elements needs ${n * size} bytes, ${end - o} remain`);
        const out = alloc ? alloc(n) : new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = get(t, o + i * size);
        o += n * size;
        return out;
      };
    }
    const min = minWireSize(e);
    const item = element(e, [...p, null]);
    return () => {
      let n: number;
      if (fixed !== undefined) n = fixed;
      else {
        n = count(p);
        if (bound !== undefined && n > bound) H.fail(pathText(p), o - 4, `sequence of ${n} elements exceeds its bound ${f.notation}`);
        if (n > (end - o) / min) H.fail(pathText(p), o - 4, `sequence of ${n} elements needs at least ${n * min} bytes, ${end - o} remain`);
      }
      const out: unknown[] = [];
      indices.push(0);
      for (let i = 0; i < n; i++) {
        indices[indices.length - 1] = i;
        out.push(item());
      }
      indices.pop();
      return out;
    };
  };
  const struct = (s: Struct, p: Path): Dec => {
    if (s.fields.length === 0) {
      return () => {
        need(p, 1);
        o += 1;
        return {};
      };
    }
    const names = s.fields.map((f) => f.name);
    const fields = s.fields.map((f) => (f.array ? array(f, [...p, f.name]) : element(f.element, [...p, f.name])));
    return () => {
      const v: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) v[names[i]] = fields[i]();
      return v;
    };
  };
  const top = struct(root, []);
  return (bytes, view, length) => {
    u8 = bytes;
    dv = view;
    end = length;
    o = 4;
    indices.length = 0;
    return top();
  };
}


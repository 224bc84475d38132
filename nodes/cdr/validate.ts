// Message validation with messages a person can act on, compiled once per type into closures.
// The compiled encoders check every value as they write it and refuse what this refuses; when they
// refuse, this runs to say what and where (the field path, what was expected, what was given).
// It is also usable on its own (validate()).
import { FieldError } from './errors.js';
import { TYPED_ARRAY, type Element, type NumericType, type PlannedField } from './schema.js';

export type Check = (value: unknown) => void;

function at(e: unknown, segment: string | number): unknown {
  if (e instanceof FieldError) e.segments.unshift(segment);
  return e;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}${'length' in v ? ` of length ${(v as { length: number }).length}` : ''}`;
  if (typeof v === 'object') return `an object with keys {${Object.keys(v).slice(0, 8).join(', ')}}`;
  return typeof v;
}

export const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
export const FLOAT32_MAX = 3.4028234663852886e38;

function intCheck(type: string, min: number, max: number): Check {
  return (v) => {
    if (typeof v !== 'number') throw new FieldError(`expected ${type} (an integer ${min}..${max}), got ${describe(v)}`);
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw new FieldError(`${v} is not a ${type}: expected an integer ${min}..${max}`);
  };
}

function int64Check(type: 'int64' | 'uint64'): Check {
  const min = type === 'int64' ? INT64_MIN : 0n;
  const max = type === 'int64' ? INT64_MAX : UINT64_MAX;
  return (v) => {
    if (typeof v === 'bigint') {
      if (v < min || v > max) throw new FieldError(`${v}n is out of range for ${type} (${min}..${max})`);
      return;
    }
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new FieldError(`${v} is not a safe integer for ${type}: pass a bigint (e.g. ${type === 'int64' ? '-5n' : '5n'}) for values beyond ±2^53`);
      if (v < 0 && type === 'uint64') throw new FieldError(`${v} is out of range for uint64 (0..${max})`);
      return;
    }
    throw new FieldError(`expected ${type} (a bigint, or a safe-integer number), got ${describe(v)}`);
  };
}

const PRIMITIVE_CHECKS: Record<string, Check> = {
  bool: (v) => {
    if (typeof v !== 'boolean') throw new FieldError(`expected bool (true or false), got ${describe(v)}`);
  },
  float64: (v) => {
    if (typeof v !== 'number') throw new FieldError(`expected float64 (a number), got ${describe(v)}`);
  },
  float32: (v) => {
    if (typeof v !== 'number') throw new FieldError(`expected float32 (a number), got ${describe(v)}`);
    // NaN and ±Infinity are valid float32; a finite value beyond its range would become Infinity.
    if ((v > FLOAT32_MAX || v < -FLOAT32_MAX) && Number.isFinite(v)) throw new FieldError(`${v} is out of range for float32 (±${FLOAT32_MAX})`);
  },
  string: (v) => {
    if (typeof v !== 'string') throw new FieldError(`expected string, got ${describe(v)}`);
  },
  int64: int64Check('int64'),
  uint64: int64Check('uint64'),
};
for (const [t, [min, max]] of Object.entries(INT_RANGES)) PRIMITIVE_CHECKS[t] = intCheck(t, min, max);

function boundedString(bound: number): Check {
  return (v) => {
    if (typeof v !== 'string') throw new FieldError(`expected string<=${bound}, got ${describe(v)}`);
    if (v.length > bound) throw new FieldError(`string of length ${v.length} exceeds the bound string<=${bound}`);
  };
}

function arrayCheck(f: PlannedField, element: Check): Check {
  const notation = f.notation;
  const e = f.element;
  const typed = e.kind === 'primitive' && e.type !== 'bool' ? (TYPED_ARRAY[e.type as NumericType] as unknown as new () => unknown) : undefined;
  const fixed = f.array!.fixed;
  const bound = f.array!.bound;
  const wide = e.kind === 'primitive' && (e.type === 'int64' || e.type === 'uint64');
  // int64[] from a plain array needs bigints (as `new BigInt64Array(array)` does).
  const elementCheck: Check = wide
    ? (v) => {
        if (typeof v !== 'bigint') throw new FieldError(`expected a bigint ${e.type} element, got ${describe(v)} (or pass the whole array as ${e.type === 'int64' ? 'BigInt64Array' : 'BigUint64Array'})`);
        element(v);
      }
    : element;
  const accepts = typed ? `an array or ${typed.name}` : 'an array';
  return (v) => {
    let length: number;
    if (Array.isArray(v)) {
      length = v.length;
      checkLength(length);
      for (let i = 0; i < length; i++) {
        try {
          elementCheck(v[i]);
        } catch (err) {
          throw at(err, i);
        }
      }
      return;
    }
    if (typed !== undefined && v instanceof typed) {
      checkLength((v as unknown as { length: number }).length);
      return;
    }
    throw new FieldError(`expected ${notation} (${accepts}), got ${describe(v)}`);
  };
  function checkLength(length: number): void {
    if (fixed !== undefined && length !== fixed) throw new FieldError(`expected exactly ${fixed} elements (${notation}), got ${length}`);
    if (bound !== undefined && length > bound) throw new FieldError(`${length} elements exceed the bound of ${notation}`);
  }
}

/** Compiles the check for a planned type (and, once each, every type it contains). */
export function compileValidator(root: Element & { kind: 'struct' }): Check {
  const cache = new Map<string, Check>();

  const elementCheck = (e: Element): Check => {
    if (e.kind === 'struct') return structCheck(e);
    if (e.kind === 'string') return e.bound !== undefined ? boundedString(e.bound) : PRIMITIVE_CHECKS.string;
    return PRIMITIVE_CHECKS[e.type];
  };

  const structCheck = (s: Element & { kind: 'struct' }): Check => {
    const cached = cache.get(s.type);
    if (cached) return cached;
    const t = s.type;
    const names = s.fields.map((f) => f.name);
    const checks = s.fields.map((f) => (f.array ? arrayCheck(f, elementCheck(f.element)) : elementCheck(f.element)));
    const n = names.length;
    const known = new Set(names);
    const list = names.length ? names.join(', ') : '(none)';
    const compiled: Check = (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
        throw new FieldError(`expected a ${t} object, got ${describe(v)}`);
      }
      const o = v as Record<string, unknown>;
      for (let i = 0; i < n; i++) {
        const x = o[names[i]];
        if (x === undefined) {
          const extra = Object.keys(o).filter((k) => !known.has(k));
          const hint = extra.length ? ` (given but unknown: ${extra.map((k) => `"${k}"`).join(', ')}: misspelt?)` : '';
          throw at(new FieldError(`missing: every field of ${t} must be set (ROS messages have no optional fields)${hint}; ${t} has: ${list}`), names[i]);
        }
        try {
          checks[i](x);
        } catch (e) {
          throw at(e, names[i]);
        }
      }
      let count = 0;
      for (const _k in o) count++;
      if (count !== n) {
        for (const k in o) {
          if (!known.has(k)) throw at(new FieldError(`unknown field: ${t} has no field "${k}"; its fields are: ${list}`), k);
        }
      }
    };
    cache.set(t, compiled);
    return compiled;
  };

  return structCheck(root);
}

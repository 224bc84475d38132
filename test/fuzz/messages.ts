// Random messages of a planned ROS type (nodes/cdr/schema.ts) as fast-check arbitraries: every
// field set, edge values mixed in (NaN, ±Infinity, -0, integer and 64-bit bounds as bigint,
// empty, long and non-ASCII strings), numeric arrays as plain or typed arrays. Used by the CDR and
// UDP layout targets.
import fc from 'fast-check';
import { TYPED_ARRAY, type Element, type NumericType, type PlannedField, type PrimitiveType } from '../../nodes/cdr/schema.js';

type Struct = Element & { kind: 'struct' };

const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function primitive(t: PrimitiveType): fc.Arbitrary<unknown> {
  switch (t) {
    case 'bool':
      return fc.boolean();
    case 'float64':
      return fc.double();
    case 'float32':
      return fc.float();
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'uint64':
      return fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
    default: {
      const [min, max] = INT_RANGE[t];
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, 0));
    }
  }
}

const TEXT = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom('', 'base_link', 'ä°€', '漢字', '😀', '\u0000', 'a\u0000b', 'x'.repeat(300)),
);

function element(e: Element, depth: number): fc.Arbitrary<unknown> {
  if (e.kind === 'primitive') return primitive(e.type);
  if (e.kind === 'string') return e.bound !== undefined ? fc.string({ maxLength: e.bound }) : TEXT;
  return message(e, depth + 1);
}

function fieldArb(f: PlannedField, depth: number): fc.Arbitrary<unknown> {
  const a = f.array;
  if (!a) return element(f.element, depth);
  const max = a.fixed ?? Math.min(a.bound ?? Infinity, depth > 1 ? 2 : 6);
  const min = a.fixed ?? 0;
  const items = fc.array(element(f.element, depth), { minLength: min, maxLength: max });
  const e = f.element;
  if (e.kind === 'primitive' && e.type !== 'bool') {
    const Typed = TYPED_ARRAY[e.type as NumericType] as unknown as { from(xs: unknown[]): unknown };
    // 64-bit elements of a plain array must be bigints (as `new BigInt64Array(array)` wants).
    const plain = e.type === 'int64' || e.type === 'uint64' ? items.map((xs) => xs.map((x) => BigInt(x as number | bigint))) : items;
    return fc.oneof(plain, items.map((xs) => Typed.from(xs.map((x) => (e.type === 'int64' || e.type === 'uint64' ? BigInt(x as number | bigint) : x)))));
  }
  return items;
}

export function message(s: Struct, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of s.fields) shape[f.name] = fieldArb(f, depth);
  return fc.record(shape) as fc.Arbitrary<Record<string, unknown>>;
}


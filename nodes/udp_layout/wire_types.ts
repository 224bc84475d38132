// Wire types of a UDP layout (what the receiver's struct holds) and the unit conversions a field
// may apply. Pure tables, no I/O.

export type IntTypeName = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';
export type WireTypeName = IntTypeName | 'f32' | 'f64' | 'bool' | `char[${number}]`;

export interface WireType {
  /** Canonical name as written in layouts, e.g. "u16", "char[8]". */
  name: string;
  kind: 'int' | 'float' | 'bool' | 'char';
  size: number;
  signed: boolean;
  bits: number;
  /** Representable range (ints: exact for ≤ 32 bits; 64-bit ints use the bigint bounds). */
  min: number;
  max: number;
  minBig: bigint;
  maxBig: bigint;
}

const INT_BITS: Record<IntTypeName, [number, boolean]> = {
  u8: [8, false],
  u16: [16, false],
  u32: [32, false],
  u64: [64, false],
  i8: [8, true],
  i16: [16, true],
  i32: [32, true],
  i64: [64, true],
};

/** Names people bring from C, Simulink and ROS, mapped to the canonical ones. */
const ALIASES: Record<string, string> = {
  uint8: 'u8',
  uint16: 'u16',
  uint32: 'u32',
  uint64: 'u64',
  int8: 'i8',
  int16: 'i16',
  int32: 'i32',
  int64: 'i64',
  uint8_t: 'u8',
  uint16_t: 'u16',
  uint32_t: 'u32',
  uint64_t: 'u64',
  int8_t: 'i8',
  int16_t: 'i16',
  int32_t: 'i32',
  int64_t: 'i64',
  float32: 'f32',
  float64: 'f64',
  float: 'f32',
  single: 'f32',
  double: 'f64',
  boolean: 'bool',
};

export const WIRE_TYPE_HELP = 'u8, u16, u32, u64, i8, i16, i32, i64, f32, f64, bool, char[N] (aliases: uint8..int64, single, double, boolean)';

/** Parses a type name; undefined when it is not one. */
export function wireType(name: string): WireType | undefined {
  const n = ALIASES[name] ?? name;
  if (n in INT_BITS) {
    const [bits, signed] = INT_BITS[n as IntTypeName];
    const minBig = signed ? -(1n << BigInt(bits - 1)) : 0n;
    const maxBig = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
    return { name: n, kind: 'int', size: bits / 8, signed, bits, min: Number(minBig), max: Number(maxBig), minBig, maxBig };
  }
  if (n === 'f32') return { name: n, kind: 'float', size: 4, signed: true, bits: 32, min: -F32_MAX, max: F32_MAX, minBig: 0n, maxBig: 0n };
  if (n === 'f64') return { name: n, kind: 'float', size: 8, signed: true, bits: 64, min: -Number.MAX_VALUE, max: Number.MAX_VALUE, minBig: 0n, maxBig: 0n };
  if (n === 'bool') return { name: n, kind: 'bool', size: 1, signed: false, bits: 8, min: 0, max: 1, minBig: 0n, maxBig: 1n };
  const m = /^char\[(\d+)\]$/.exec(n);
  if (m) {
    const len = Number(m[1]);
    if (len < 1 || len > 65507) return undefined;
    return { name: `char[${len}]`, kind: 'char', size: len, signed: false, bits: 8, min: 0, max: 255, minBig: 0n, maxBig: 255n };
  }
  return undefined;
}

export const F32_MAX = 3.4028234663852886e38;

/** Linear unit conversions: value_in_to = value_in_from × factor. */
const UNIT_GROUPS: Record<string, Record<string, number>> = {
  length: { m: 1, cm: 0.01, mm: 0.001, km: 1000, ft: 0.3048, in: 0.0254 },
  angle: { rad: 1, deg: Math.PI / 180, mrad: 0.001 },
  speed: { 'm/s': 1, 'km/h': 1 / 3.6, mph: 0.44704, kn: 1852 / 3600, 'cm/s': 0.01 },
  angular_rate: { 'rad/s': 1, 'deg/s': Math.PI / 180 },
  acceleration: { 'm/s^2': 1, 'm/s2': 1, g: 9.80665 },
  time: { s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9, min: 60, h: 3600 },
};

export const UNIT_HELP = Object.entries(UNIT_GROUPS)
  .map(([g, u]) => `${g}: ${Object.keys(u).join(', ')}`)
  .join('; ');

/**
 * Factor of a conversion written "from->to" (e.g. "rad->deg", "m/s->km/h"); undefined with a
 * reason when the units are unknown or of different quantities.
 */
export function unitFactor(spec: string): { factor: number } | { error: string } {
  const m = /^\s*([^\s>-][^>]*?)\s*->\s*(\S+)\s*$/.exec(spec);
  if (!m) return { error: `"${spec}" is not of the form from->to` };
  const [, from, to] = m;
  for (const units of Object.values(UNIT_GROUPS)) {
    if (from in units && to in units) return { factor: units[from] / units[to] };
  }
  const known = (u: string) => Object.values(UNIT_GROUPS).some((g) => u in g);
  if (!known(from)) return { error: `unknown unit "${from}"` };
  if (!known(to)) return { error: `unknown unit "${to}"` };
  return { error: `"${from}" and "${to}" measure different quantities` };
}

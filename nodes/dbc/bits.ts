// Where a signal's bits are in the payload, computed once per signal. DBC numbering (as in
// cantools's utils.start_bit / sawtooth_to_network_bitnum):
//  - little_endian (Intel, @1): `start` is the LSB; bit k of the payload is byte k>>3, bit k&7
//    (bit 0 = least significant bit of byte 0); the value's bits go upwards from there.
//  - big_endian (Motorola, @0): `start` is the MSB in "sawtooth" numbering (byte 0 = bits 7..0,
//    byte 1 = 15..8, ...). In network order (byte 0 MSB first = 0) the MSB is at
//    8*(start>>3) + 7-(start&7) and the following bits run MSB→LSB through increasing network bits.
// Each payload byte a signal touches becomes one segment: `bits` bits at `shift` within the byte,
// landing at `valueShift` in the raw value. Segments never straddle value bit 32, so a raw value
// can be assembled as two exact 32-bit halves (lo: value bits 0..31, hi: 32..63).
import type { ByteOrder } from './model.js';

export interface BitSegment {
  /** Payload byte index. */
  byte: number;
  /** Lowest bit within the byte (0 = LSB). */
  shift: number;
  /** Number of bits (1..8). */
  bits: number;
  /** Position of the segment's lowest bit in the raw value. */
  valueShift: number;
}

/** Payload (byte, bit) of value bit j. */
function bitPosition(byteOrder: ByteOrder, start: number, length: number, j: number): [number, number] {
  if (byteOrder === 'little_endian') {
    const k = start + j;
    return [k >> 3, k & 7];
  }
  const msbNetwork = 8 * (start >> 3) + 7 - (start & 7);
  const n = msbNetwork + (length - 1 - j);
  return [n >> 3, 7 - (n & 7)];
}

/** Segments of a signal, lowest value bits first. */
export function signalSegments(byteOrder: ByteOrder, start: number, length: number): BitSegment[] {
  const segs: BitSegment[] = [];
  let cur: BitSegment | null = null;
  for (let j = 0; j < length; j++) {
    const [byte, bit] = bitPosition(byteOrder, start, length, j);
    if (cur && cur.byte === byte && cur.shift + cur.bits === bit && j !== 32) {
      cur.bits++;
    } else {
      cur = { byte, shift: bit, bits: 1, valueShift: j };
      segs.push(cur);
    }
  }
  return segs;
}

/** Number of payload bytes needed to hold every bit of the signal. */
export function bytesNeeded(segs: readonly BitSegment[]): number {
  let max = -1;
  for (const s of segs) if (s.byte > max) max = s.byte;
  return max + 1;
}

/**
 * Raw bits of a signal as two unsigned 32-bit halves [hi, lo] (hi = value bits 32..63). Plain
 * number arithmetic: each half is exact.
 */
export function readHalves(data: Uint8Array, segs: readonly BitSegment[], out: [number, number]): void {
  let lo = 0;
  let hi = 0;
  for (const s of segs) {
    const part = (data[s.byte] >>> s.shift) & ((1 << s.bits) - 1);
    if (s.valueShift >= 32) hi += part * 2 ** (s.valueShift - 32);
    else lo += part * 2 ** s.valueShift;
  }
  out[0] = hi;
  out[1] = lo;
}

/** ORs the raw bits given as unsigned 32-bit halves into the payload. */
export function writeHalves(data: Uint8Array, segs: readonly BitSegment[], hi: number, lo: number): void {
  for (const s of segs) {
    const src = s.valueShift >= 32 ? hi : lo;
    const sh = s.valueShift >= 32 ? s.valueShift - 32 : s.valueShift;
    const part = Math.floor(src / 2 ** sh) % 2 ** s.bits;
    data[s.byte] |= part << s.shift;
  }
}

/**
 * Signed or unsigned integer of `length` bits from its unsigned halves, as the nearest double.
 * hi*2^32 is exact and the one addition rounds once, so the result is the correctly rounded
 * value even for 54..64-bit fields — no BigInt needed on the decode path.
 */
export function halvesToNumber(hi: number, lo: number, length: number, signed: boolean): number {
  if (length <= 32) {
    if (signed && lo >= 2 ** (length - 1)) return lo - 2 ** length;
    return lo;
  }
  const hiBits = length - 32;
  let h = hi;
  if (signed && h >= 2 ** (hiBits - 1)) h -= 2 ** hiBits;
  return h * 4294967296 + lo;
}

/** Exact raw integer from its halves. */
export function halvesToBigInt(hi: number, lo: number, length: number, signed: boolean): bigint {
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  return signed ? BigInt.asIntN(length, u) : u;
}

/** Unsigned 32-bit halves of a raw integer (two's complement within `length` bits). */
export function bigIntToHalves(raw: bigint, length: number): [number, number] {
  const u = BigInt.asUintN(length, raw);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

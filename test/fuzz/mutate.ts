// Byte-level mutations of real files, as fast-check arbitraries: a list of edits (bit flips, byte
// sets, inserts, deletes, duplicated or spliced ranges, truncation) applied in order. Positions are
// drawn as plain integers and taken modulo the current length, so fast-check shrinks a failing
// input by dropping edits and moving positions towards the start.
import fc from 'fast-check';

export type ByteEdit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; length: number }
  | { op: 'copy'; from: number; length: number; to: number }
  | { op: 'splice'; donor: number; from: number; length: number; to: number }
  | { op: 'truncate'; at: number }
  | { op: 'int'; at: number; width: 1 | 2 | 4 | 8; value: number; littleEndian: boolean };

/** Values that break length and count fields (all-ones, sign bits, powers of two, zero). */
export const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 28, 2 ** 31 - 8, 2 ** 53 - 1, 2 ** 63, 2 ** 64 - 1];

export function byteEdit(maxInsert = 32): fc.Arbitrary<ByteEdit> {
  const at = fc.nat();
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at, value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x20, 0x2c, 0x23, 0x24, 0x2a, 0x2e, 0x2d, 0x30, 0x39)) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: maxInsert }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('copy' as const), from: fc.nat(), length: fc.integer({ min: 1, max: 256 }), to: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('splice' as const), donor: fc.nat(), from: fc.nat(), length: fc.integer({ min: 1, max: 512 }), to: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('int' as const),
        at,
        width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
        value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat()),
        littleEndian: fc.boolean(),
      }),
    },
  );
}

/** Applies edits to a copy of `input`; `donors` are the other files a splice may take bytes from. */
export function applyEdits(input: Uint8Array, edits: readonly ByteEdit[], donors: readonly Uint8Array[] = []): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  for (const e of edits) {
    const n = b.length;
    switch (e.op) {
      case 'flip':
        if (n) b[e.at % n] ^= 1 << e.bit;
        break;
      case 'set':
        if (n) b[e.at % n] = e.value;
        break;
      case 'insert': {
        const at = e.at % (n + 1);
        b = concat(b.subarray(0, at), e.bytes, b.subarray(at));
        break;
      }
      case 'delete': {
        if (!n) break;
        const at = e.at % n;
        b = concat(b.subarray(0, at), b.subarray(Math.min(n, at + e.length)));
        break;
      }
      case 'copy': {
        if (!n) break;
        const from = e.from % n;
        const piece = b.slice(from, Math.min(n, from + e.length));
        const to = e.to % (n + 1);
        b = concat(b.subarray(0, to), piece, b.subarray(to));
        break;
      }
      case 'splice': {
        const d = donors.length ? donors[e.donor % donors.length] : b;
        if (!d.length) break;
        const from = e.from % d.length;
        const piece = d.slice(from, Math.min(d.length, from + e.length));
        const to = e.to % (n + 1);
        b = concat(b.subarray(0, to), piece, b.subarray(to));
        break;
      }
      case 'truncate':
        b = b.slice(0, e.at % (n + 1));
        break;
      case 'int': {
        if (n < e.width) break;
        const at = e.at % (n - e.width + 1);
        const v = BigInt.asUintN(64, BigInt(Math.trunc(e.value)));
        for (let i = 0; i < e.width; i++) {
          const byte = Number((v >> BigInt(8 * i)) & 0xffn);
          b[at + (e.littleEndian ? i : e.width - 1 - i)] = byte;
        }
        break;
      }
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One of `files`, mutated by up to `maxEdits` edits (none: the file as it is). */
export function mutatedFile(files: readonly Uint8Array[], maxEdits = 8): fc.Arbitrary<{ file: number; edits: ByteEdit[] }> {
  return fc.record({ file: fc.nat({ max: files.length - 1 }), edits: fc.array(byteEdit(), { maxLength: maxEdits }) });
}

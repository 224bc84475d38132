// The arrays the codec hands out (an encoded message the caller keeps, a decoded numeric array)
// are carved out of shared slabs instead of being allocated one by one: V8 keeps a typed array of
// more than 64 bytes outside its heap, so `new Float64Array(9)` or `bytes.slice()` costs a malloc
// and external-memory bookkeeping (~250 ns measured), while a view into an existing ArrayBuffer
// costs ~20 ns. A region is never handed out twice, so every view is its owner's alone; a slab is
// freed by the GC once no view into it is left (a message kept for long keeps its slab alive:
// at most SLAB_BYTES per kept message).

const SLAB_BYTES = 256 * 1024;
/** Larger arrays get their own buffer (one allocation is small beside their copy). */
const SLAB_MAX = 16 * 1024;
/** V8's typed_array_max_size_in_heap: up to this, `new T(n)` stays on the heap and is cheap. */
const ON_HEAP = 64;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** Offset of `bytes` fresh bytes (8-byte aligned) in the current slab; the slab may change. */
function take(bytes: number): number {
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const at = used;
  used += (bytes + 7) & ~7;
  return at;
}

type TypedArrayClass<T> = { new (n: number): T; new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** `n` zeroed elements of the class: on V8's heap when small, else in a slab or a buffer of their own. */
export function allocator<T>(Typed: TypedArrayClass<T>): (n: number) => T {
  const size = Typed.BYTES_PER_ELEMENT;
  return (n) => {
    const bytes = n * size;
    if (bytes <= ON_HEAP || bytes > SLAB_MAX) return new Typed(n);
    const at = take(bytes);
    return new Typed(slab, at, n);
  };
}

export const newBytes = allocator(Uint8Array);

/** The typed-array allocators generated decoders call, by class name. */
export const ALLOCATORS = {
  Int8Array: allocator(Int8Array),
  Uint8Array: newBytes,
  Int16Array: allocator(Int16Array),
  Uint16Array: allocator(Uint16Array),
  Int32Array: allocator(Int32Array),
  Uint32Array: allocator(Uint32Array),
  BigInt64Array: allocator(BigInt64Array),
  BigUint64Array: allocator(BigUint64Array),
  Float32Array: allocator(Float32Array),
  Float64Array: allocator(Float64Array),
};

// One CDR codec per message type, compiled once from the type's definition: an encoder that checks
// and writes a message straight into a reusable buffer, and a decoder that reads CDR into a plain
// object. Both ROS implementations use it: the local graph (which queues the bytes) and rclnodejs
// (which publishes the bytes as a serialised message and hands raw subscriptions' bytes to decode).
//
// Decoded shapes (what rclnodejs's object path and the nodes expect): builtin_interfaces Time and
// Duration as {sec, nanosec}; int64/uint64 as bigint; numeric arrays as typed arrays (uint8[] →
// Uint8Array, float64[9] → Float64Array, int64[] → BigInt64Array); bool[] and string[] as arrays;
// nested messages as objects with their fields in .msg order. A decoded message owns its memory.
// Accepted on encode: every field present and no other, numbers in their type's range, 64-bit
// integers as bigint or safe-integer numbers, numeric arrays as arrays or their typed array.
import { CdrError, FieldError } from './errors.js';
import { generateDecoder, generateEncoder, HOST_LITTLE_ENDIAN } from './generate.js';
import { interpretDecoder, interpretEncoder } from './interpret.js';
import { plan, type CdrSchema, type Element } from './schema.js';
import { ALLOCATORS, newBytes } from './slab.js';
import { compileValidator, type Check } from './validate.js';

export interface CdrCodec {
  readonly type: string;
  /** Throws a FieldError (with .path and .problem) when the message does not match the type. */
  validate(message: unknown): void;
  /** CDR with the encapsulation header: a fresh array of exactly the message's size (its own region of a shared slab, see slab.ts). Throws FieldError. */
  encode(message: unknown): Uint8Array;
  /**
   * The same bytes as a view into the codec's reusable buffer: valid until this codec encodes
   * again. For handing straight to a middleware that copies (rcl_publish_serialized_message).
   */
  encodeShared(message: unknown): Buffer;
  /** A new message object (never shares memory with `bytes`). Throws CdrError for bytes that are not a message of this type. */
  decode<T = unknown>(bytes: Uint8Array): T;
}

export interface CompileOptions {
  /**
   * Generated code (default) or closures. Generated code is used unless code generation from
   * strings is disallowed (node --disallow-code-generation-from-strings), where closures take over.
   */
  codegen?: boolean;
}

type EncodeFn = (m: unknown) => number;
type DecodeFn = (u8: Uint8Array, dv: DataView, end: number) => unknown;

const INITIAL_CAPACITY = 256;
/** Beyond this a message is refused rather than grown into (CDR lengths are uint32; offsets here are int32). */
const MAX_MESSAGE_BYTES = 0x7fff_ffff;

/** The reusable output buffer the encoders write into; grown (and copied) when a message needs more. */
export class Scratch {
  u8: Uint8Array;
  dv: DataView;
  buf: Buffer;

  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
    this.u8 = new Uint8Array(this.buf.buffer, this.buf.byteOffset, capacity);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, capacity);
  }

  grow(need: number): void {
    if (need > MAX_MESSAGE_BYTES) throw new FieldError(`the message needs more than ${MAX_MESSAGE_BYTES} bytes of CDR`);
    const next = new Scratch(Math.min(MAX_MESSAGE_BYTES, Math.max(need, this.u8.length * 2)));
    next.u8.set(this.u8);
    this.buf = next.buf;
    this.u8 = next.u8;
    this.dv = next.dv;
  }

  /** Writes `s` as UTF-8 at `offset` (capacity ensured by the caller); returns the bytes written. */
  utf8(s: string, offset: number): number {
    return this.buf.write(s, offset);
  }
}

const utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (this: Uint8Array, start: number, end: number) => string }).utf8Slice;
const textDecoder = new TextDecoder();

/** UTF-8 bytes [start, end) as a string; invalid sequences become U+FFFD (as rclnodejs and rclpy's 'replace' do). */
export const utf8Decode: (u8: Uint8Array, start: number, end: number) => string =
  typeof utf8Slice === 'function' ? (u8, start, end) => utf8Slice.call(u8, start, end) : (u8, start, end) => textDecoder.decode(u8.subarray(start, end));

function unknownKey(o: object, known: Set<string>): boolean {
  for (const k in o) if (!known.has(k)) return true;
  return false;
}

/** The helpers generated decoders call; `fail` throws the CdrError. */
export interface DecodeHelpers {
  fail(path: string, offset: number, problem: string): never;
  /** Fresh typed arrays by class name (see slab.ts). */
  A: typeof ALLOCATORS;
  short(path: string, offset: number, need: number, end: number): never;
  /** A run of fixed-size reads at `offset` does not fit: names the first read cut off. */
  shortRun(offset: number, end: number, at: number[], sizes: number[], paths: string[]): never;
  str(u8: Uint8Array, start: number, end: number): string;
}

export function decodeHelpers(type: string): DecodeHelpers {
  const fail = (path: string, offset: number, problem: string): never => {
    throw new CdrError(type, path, offset, problem);
  };
  const short = (path: string, offset: number, need: number, end: number): never => fail(path, offset, `truncated: ${need} bytes needed, ${Math.max(0, end - offset)} remain`);
  return {
    fail,
    A: ALLOCATORS,
    short,
    shortRun: (offset, end, at, sizes, paths) => {
      for (let i = 0; i < at.length; i++) if (offset + at[i] + sizes[i] > end) short(paths[i], offset + at[i], sizes[i], end);
      return fail(paths[0] ?? '', offset, 'truncated');
    },
    str: utf8Decode,
  };
}

function codegenAllowed(): boolean {
  try {
    return (new Function('return 1') as () => number)() === 1;
  } catch {
    return false;
  }
}

class Codec implements CdrCodec {
  private readonly scratch = new Scratch();
  private readonly encodeFn: EncodeFn;
  private readonly decodeLE: DecodeFn;
  private decodeBE: DecodeFn | undefined;
  private check: Check | undefined;

  constructor(
    readonly type: string,
    private readonly root: Element & { kind: 'struct' },
    private readonly codegen: boolean,
  ) {
    if (codegen) {
      const enc = generateEncoder(root, { bulk: HOST_LITTLE_ENDIAN });
      this.encodeFn = (new Function('W', 'H', enc.source) as (w: Scratch, h: unknown) => EncodeFn)(this.scratch, { unknownKey, K: enc.keySets });
      this.decodeLE = this.compileDecoder(true);
    } else {
      this.encodeFn = interpretEncoder(root, this.scratch);
      this.decodeLE = interpretDecoder(root, { littleEndian: true, helpers: decodeHelpers(type) });
    }
  }

  private compileDecoder(littleEndian: boolean): DecodeFn {
    if (!this.codegen) return interpretDecoder(this.root, { littleEndian, helpers: decodeHelpers(this.type) });
    const src = generateDecoder(this.root, { littleEndian, bulk: HOST_LITTLE_ENDIAN });
    return (new Function('H', src) as (h: DecodeHelpers) => DecodeFn)(decodeHelpers(this.type));
  }

  validate(message: unknown): void {
    this.check ??= compileValidator(this.root);
    this.check(message);
  }

  private write(message: unknown): number {
    const end = this.encodeFn(message);
    if (end >= 0) return end;
    // The encoder refused a value: the validator says which and why.
    this.validate(message);
    throw new Error(`${this.type}: the encoder refused a message that validation accepts (a bug in nodes/cdr)`);
  }

  encode(message: unknown): Uint8Array {
    const end = this.write(message);
    const out = newBytes(end);
    this.scratch.buf.copy(out, 0, 0, end);
    return out;
  }

  /** The last view encodeShared returned: a type whose messages keep one size (a CAN frame) reuses it. */
  private shared: Buffer | undefined;

  encodeShared(message: unknown): Buffer {
    const end = this.write(message);
    const last = this.shared;
    if (last !== undefined && last.length === end && last.buffer === this.scratch.buf.buffer) return last;
    return (this.shared = this.scratch.buf.subarray(0, end));
  }

  decode<T>(bytes: Uint8Array): T {
    // A Buffer's slice() shares memory; read through a plain Uint8Array so copies are copies.
    const u8 = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (u8.length < 4) throw new CdrError(this.type, '', 0, `${u8.length} bytes: shorter than the 4-byte encapsulation header`);
    const kind = u8[1];
    if (u8[0] !== 0 || kind > 1) {
      throw new CdrError(this.type, '', 0, `unsupported encapsulation ${hex(u8[0])} ${hex(u8[1])}: expected plain CDR, 00 01 (little-endian) or 00 00 (big-endian)`);
    }
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    const decode = kind === 1 ? this.decodeLE : (this.decodeBE ??= this.compileDecoder(false));
    try {
      return decode(u8, dv, u8.length) as T;
    } catch (e) {
      if (e instanceof CdrError) throw e;
      // Unreachable when every read is bounds-checked; keep the promise of one error type anyway.
      throw new CdrError(this.type, '', -1, `malformed: ${(e as Error).message}`);
    }
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** Compiles the codec of `type` (and every type it contains). Throws an Error naming what CDR cannot carry (wstring, unknown types). */
export function compileCodec(schema: CdrSchema, type: string, options: CompileOptions = {}): CdrCodec {
  const root = plan(schema, type);
  return new Codec(type, root, options.codegen !== false && codegenAllowed());
}

const caches = new WeakMap<CdrSchema, Map<string, CdrCodec>>();

/** The codec of `type` for this schema, compiled on first use and kept. */
export function codecFor(schema: CdrSchema, type: string): CdrCodec {
  let byType = caches.get(schema);
  if (!byType) {
    byType = new Map();
    caches.set(schema, byType);
  }
  let c = byType.get(type);
  if (!c) {
    c = compileCodec(schema, type);
    byType.set(type, c);
  }
  return c;
}

// One codec per message type, built on first use and kept: the compiled validator, a CDR
// MessageWriter writing into a reused scratch buffer, and a MessageReader returning ROS 2 shapes
// ({sec, nanosec} stamps, typed arrays for numeric arrays, bigint for 64-bit integers).
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { messageRegistry, type MessageRegistry } from '../msg_registry.js';
import { installCdrUtf8Fix } from './cdr_utf8.js';
import { compileValidator, type Check } from './validate.js';

export interface TypeCodec {
  readonly type: string;
  /** Throws a FieldError (with .path and .problem) when the message does not match the type. */
  readonly validate: Check;
  /** CDR (little-endian, with the 4-byte encapsulation header): a fresh array of exactly the message's size. */
  encode(message: unknown): Uint8Array;
  /** A new message object; never shares memory with `bytes` (callers may keep or mutate it). */
  decode<T = unknown>(bytes: Uint8Array): T;
}

const codecs = new WeakMap<MessageRegistry, Map<string, TypeCodec>>();

class Codec implements TypeCodec {
  readonly validate: Check;
  private readonly writer: MessageWriter;
  private readonly reader: MessageReader;
  private scratch = new ArrayBuffer(512);
  /** The reader returns views into its input for numeric arrays: decode from a copy then. */
  private readonly readerAliases: boolean;

  constructor(
    readonly type: string,
    registry: MessageRegistry,
  ) {
    installCdrUtf8Fix();
    this.validate = compileValidator(registry, type);
    const defs = registry.definitions(type);
    this.writer = new MessageWriter(defs);
    this.reader = new MessageReader(defs, { timeType: 'sec,nanosec' });
    this.readerAliases = defs.some((d) => d.definitions.some((f) => f.isArray === true && f.isComplex !== true && f.type !== 'string' && f.type !== 'bool' && f.type !== 'time' && f.type !== 'duration'));
  }

  encode(message: unknown): Uint8Array {
    // writeMessage() hands its `output` to CdrWriter as an ArrayBuffer (it grows a new one when
    // the message does not fit; keep that for the next message).
    const out = this.writer.writeMessage(message, this.scratch as unknown as Uint8Array);
    if (out.buffer !== this.scratch) this.scratch = out.buffer as ArrayBuffer;
    return out.slice();
  }

  decode<T>(bytes: Uint8Array): T {
    return this.reader.readMessage<T>(this.readerAliases ? bytes.slice() : bytes);
  }
}

export function codecFor(type: string, registry: MessageRegistry = messageRegistry()): TypeCodec {
  let byType = codecs.get(registry);
  if (!byType) {
    byType = new Map();
    codecs.set(registry, byType);
  }
  let c = byType.get(type);
  if (!c) {
    c = new Codec(type, registry);
    byType.set(type, c);
  }
  return c;
}

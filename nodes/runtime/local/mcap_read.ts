// Reads an MCAP file back with nothing but what the file says: its summary, its ros2msg schemas
// (parsed with @foxglove/rosmsg) and its CDR messages (decoded by nodes/cdr compiled from those
// schemas). Deliberately independent of the message registry, so a successful read proves the
// recording is self-describing.
import { open } from 'node:fs/promises';
import { zstdDecompressSync } from 'node:zlib';
import { McapIndexedReader, type McapTypes } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import type { MessageDefinition } from '@foxglove/message-definition';
import { compileCodec, type CdrCodec } from '../../cdr/codec.js';
import type { CdrField, CdrSchema } from '../../cdr/schema.js';

export interface McapMessage {
  topic: string;
  /** The schema name, e.g. "sensor_msgs/msg/NavSatFix". */
  type: string;
  logTime: bigint;
  publishTime: bigint;
  sequence: number;
  message: unknown;
}

export interface McapInfo {
  profile: string;
  library: string;
  schemas: { id: number; name: string; encoding: string; text: string }[];
  channels: { id: number; topic: string; schemaId: number; messageEncoding: string; metadata: Record<string, string> }[];
  statistics: McapTypes.Statistics | undefined;
  chunks: number;
  metadata: { name: string; metadata: Record<string, string> }[];
}

async function withReader<R>(path: string, use: (reader: McapIndexedReader) => Promise<R>): Promise<R> {
  const handle = await open(path, 'r');
  try {
    const size = BigInt((await handle.stat()).size);
    const readable = {
      size: async () => size,
      read: async (offset: bigint, length: bigint) => {
        const buf = new Uint8Array(Number(length));
        const { bytesRead } = await handle.read(buf, 0, buf.length, Number(offset));
        if (bytesRead !== buf.length) throw new Error(`${path}: short read at ${offset} (${bytesRead} of ${length} bytes)`);
        return buf;
      },
    };
    // rosbag2's zstd chunks, decompressed with Node's own zstd.
    const decompressHandlers = { zstd: (data: Uint8Array) => new Uint8Array(zstdDecompressSync(data)) };
    return await use(await McapIndexedReader.Initialize({ readable, decompressHandlers }));
  } finally {
    await handle.close();
  }
}

export function readMcapInfo(path: string): Promise<McapInfo> {
  return withReader(path, async (reader) => {
    const metadata: McapInfo['metadata'] = [];
    for await (const m of reader.readMetadata()) metadata.push({ name: m.name, metadata: Object.fromEntries(m.metadata) });
    const decoder = new TextDecoder();
    return {
      profile: reader.header.profile,
      library: reader.header.library,
      schemas: [...reader.schemasById.values()].map((s) => ({ id: s.id, name: s.name, encoding: s.encoding, text: decoder.decode(s.data) })),
      channels: [...reader.channelsById.values()].map((c) => ({ id: c.id, topic: c.topic, schemaId: c.schemaId, messageEncoding: c.messageEncoding, metadata: Object.fromEntries(c.metadata) })),
      statistics: reader.statistics,
      chunks: reader.chunkIndexes.length,
      metadata,
    };
  });
}

const TIME = 'builtin_interfaces/msg/Time';
const DURATION = 'builtin_interfaces/msg/Duration';
const STAMP_FIELDS: readonly CdrField[] = [
  { name: 'sec', type: 'int32', isComplex: false, isArray: false },
  { name: 'nanosec', type: 'uint32', isComplex: false, isArray: false },
];

/**
 * A ros2msg schema as the codec's schema: the root is the first definition (named `root`), nested
 * types by the names the parser gives them; the parser's `time`/`duration` are builtin_interfaces'.
 */
export function schemaFromDefinitions(root: string, defs: MessageDefinition[]): CdrSchema {
  const byName = new Map<string, MessageDefinition>();
  defs.forEach((d, i) => byName.set(i === 0 ? root : (d.name ?? ''), d));
  return {
    fields(type) {
      if (type === TIME || type === DURATION) return STAMP_FIELDS;
      const d = byName.get(type);
      if (!d) throw new Error(`schema ${root} does not define ${type}`);
      return d.definitions
        .filter((f) => f.isConstant !== true)
        .map((f): CdrField => {
          const stamp = f.type === 'time' ? TIME : f.type === 'duration' ? DURATION : undefined;
          const field: CdrField = { name: f.name, type: stamp ?? f.type, isComplex: stamp !== undefined || f.isComplex === true, isArray: f.isArray === true };
          if (f.arrayLength !== undefined) field.arrayLength = f.arrayLength;
          if (f.arrayUpperBound !== undefined) field.arrayUpperBound = f.arrayUpperBound;
          if (f.upperBound !== undefined) field.upperBound = f.upperBound;
          return field;
        });
    },
  };
}

/** Every message in log-time order, decoded with the file's own schemas (CRCs checked). */
export function readMcap(path: string): Promise<McapMessage[]> {
  return withReader(path, async (reader) => {
    const decoder = new TextDecoder();
    const readers = new Map<number, { type: string; codec: CdrCodec }>();
    for (const c of reader.channelsById.values()) {
      const schema = reader.schemasById.get(c.schemaId);
      if (!schema) throw new Error(`${path}: channel ${c.topic} refers to missing schema ${c.schemaId}`);
      if (schema.encoding !== 'ros2msg' || c.messageEncoding !== 'cdr') {
        throw new Error(`${path}: channel ${c.topic} is ${c.messageEncoding}/${schema.encoding}, expected cdr/ros2msg`);
      }
      const defs = parse(decoder.decode(schema.data), { ros2: true });
      readers.set(c.id, { type: schema.name, codec: compileCodec(schemaFromDefinitions(schema.name, defs), schema.name) });
    }
    const out: McapMessage[] = [];
    for await (const m of reader.readMessages({ validateCrcs: true })) {
      const ch = reader.channelsById.get(m.channelId)!;
      const r = readers.get(m.channelId)!;
      out.push({ topic: ch.topic, type: r.type, logTime: m.logTime, publishTime: m.publishTime, sequence: m.sequence, message: r.codec.decode(m.data) });
    }
    return out;
  });
}

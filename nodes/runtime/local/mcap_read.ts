// Reads an MCAP file back with nothing but what the file says: its summary, its ros2msg schemas
// (parsed with @foxglove/rosmsg) and its CDR messages. Deliberately independent of the message
// registry, so a successful read proves the recording is self-describing.
import { open } from 'node:fs/promises';
import { zstdDecompressSync } from 'node:zlib';
import { McapIndexedReader, type McapTypes } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';

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

/** Every message in log-time order, decoded with the file's own schemas (CRCs checked). */
export function readMcap(path: string): Promise<McapMessage[]> {
  return withReader(path, async (reader) => {
    const decoder = new TextDecoder();
    const readers = new Map<number, { type: string; reader: MessageReader }>();
    for (const c of reader.channelsById.values()) {
      const schema = reader.schemasById.get(c.schemaId);
      if (!schema) throw new Error(`${path}: channel ${c.topic} refers to missing schema ${c.schemaId}`);
      if (schema.encoding !== 'ros2msg' || c.messageEncoding !== 'cdr') {
        throw new Error(`${path}: channel ${c.topic} is ${c.messageEncoding}/${schema.encoding}, expected cdr/ros2msg`);
      }
      readers.set(c.id, { type: schema.name, reader: new MessageReader(parse(decoder.decode(schema.data), { ros2: true }), { timeType: 'sec,nanosec' }) });
    }
    const out: McapMessage[] = [];
    for await (const m of reader.readMessages({ validateCrcs: true })) {
      const ch = reader.channelsById.get(m.channelId)!;
      const r = readers.get(m.channelId)!;
      out.push({ topic: ch.topic, type: r.type, logTime: m.logTime, publishTime: m.publishTime, sequence: m.sequence, message: r.reader.readMessage(m.data) });
    }
    return out;
  });
}

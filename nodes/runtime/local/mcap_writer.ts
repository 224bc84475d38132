// A chunked, indexed MCAP writer (mcap.dev/spec, format version 0) for the recorder's hot path:
// messages are appended to the open chunk synchronously, times are (sec, nanosec) pairs written as
// u64 without BigInt, and only a finished chunk (compressed, with its message indexes) goes to
// the sink, which is when a caller may have to wait. Writes what readers such as rosbag2's mcap
// storage plugin use: Header, Schema/Channel (in the chunk before their first message and again
// in the summary), Chunk + MessageIndex, Metadata, DataEnd, a summary with Statistics,
// MetadataIndex and ChunkIndex records, SummaryOffsets and the Footer. CRC-32s (chunk, data
// section, summary) with Node's native zlib.crc32.
import { crc32 } from 'node:zlib';

const MAGIC = Uint8Array.of(0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a);
const OP = {
  header: 0x01,
  footer: 0x02,
  schema: 0x03,
  channel: 0x04,
  message: 0x05,
  chunk: 0x06,
  messageIndex: 0x07,
  chunkIndex: 0x08,
  statistics: 0x0b,
  metadata: 0x0c,
  metadataIndex: 0x0d,
  summaryOffset: 0x0e,
  dataEnd: 0x0f,
} as const;

const TWO32 = 4294967296;
const NS = 1_000_000_000;

/** Where the file's bytes go. write() may return a promise (the caller then waits: backpressure). */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void> | void;
}

export interface McapWriterOptions {
  /** Uncompressed bytes after which a chunk is closed. */
  chunkSize: number;
  /** Chunk compression: its name in the file and the function (undefined: stored). */
  compression?: { name: string; compress(data: Uint8Array): Uint8Array };
}

/** A growable byte buffer with little-endian writers. */
class Bytes {
  buf: Uint8Array;
  view: DataView;
  length = 0;
  private readonly encoder = new TextEncoder();

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  /** A non-negative integer below 2^53 as u64. */
  u64(v: number): void {
    this.ensure(8);
    this.view.setUint32(this.length, v % TWO32, true);
    this.view.setUint32(this.length + 4, Math.floor(v / TWO32), true);
    this.length += 8;
  }
  /** sec·10^9 + nsec as u64, exactly (sec < 2^33). */
  time(sec: number, nsec: number): void {
    this.ensure(8);
    writeTime(this.view, this.length, sec, nsec);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = this.encoder.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  /** Writes a u64 placeholder; returns its position. */
  reserve64(): number {
    this.ensure(8);
    const at = this.length;
    this.length += 8;
    return at;
  }
  set64(at: number, v: number): void {
    this.view.setUint32(at, v % TWO32, true);
    this.view.setUint32(at + 4, Math.floor(v / TWO32), true);
  }
  /** Starts a record; returns the position of its length field. */
  record(op: number): number {
    this.u8(op);
    return this.reserve64();
  }
  end(lengthAt: number): void {
    this.set64(lengthAt, this.length - lengthAt - 8);
  }
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** sec·10^9 + nsec as a little-endian u64 at `at`, computed exactly in doubles. */
function writeTime(view: DataView, at: number, sec: number, nsec: number): void {
  // sec = aHi·2^16 + aLo; sec·10^9 = aHi·10^9·2^16 + aLo·10^9, each product below 2^53.
  const aLo = sec % 65536;
  const aHi = (sec - aLo) / 65536;
  const x = aLo * NS + nsec;
  const y = aHi * NS;
  const yL = y % 65536;
  const yH = (y - yL) / 65536;
  const low = x + yL * 65536;
  const lo32 = low % TWO32;
  const hi32 = yH + (low - lo32) / TWO32;
  view.setUint32(at, lo32, true);
  view.setUint32(at + 4, hi32, true);
}

interface Schema {
  id: number;
  name: string;
  encoding: string;
  data: Uint8Array;
}
interface Channel {
  id: number;
  schemaId: number;
  topic: string;
  messageEncoding: string;
  metadata: ReadonlyMap<string, string>;
}

/** Per channel in the open chunk: log times and record offsets, for its MessageIndex. */
interface ChunkChannelIndex {
  sec: number[];
  nsec: number[];
  offset: number[];
}

export class McapStreamWriter {
  private readonly out = new Bytes(1 << 12);
  private readonly chunk: Bytes;
  private position = 0;
  private dataCrc = 0;
  private readonly schemas: Schema[] = [];
  private readonly channels: Channel[] = [];
  /** By channel id: its message index in the open chunk (undefined: no message there yet). */
  private chunkIndex: (ChunkChannelIndex | undefined)[] = [];
  private chunkChannels: number[] = [];
  private chunkStartSec = Infinity;
  private chunkStartNsec = 0;
  private chunkEndSec = -Infinity;
  private chunkEndNsec = 0;
  private readonly chunkIndexes: Uint8Array[] = [];
  private readonly metadataIndexes: Uint8Array[] = [];
  private chunkCount = 0;
  private metadataCount = 0;
  private messageCount = 0;
  /** Messages per channel id. */
  private readonly channelCounts: number[] = [];
  private startSec = Infinity;
  private startNsec = 0;
  private endSec = -Infinity;
  private endNsec = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly options: McapWriterOptions,
  ) {
    this.chunk = new Bytes(Math.max(1 << 16, options.chunkSize + (options.chunkSize >> 2)));
  }

  get messages(): number {
    return this.messageCount;
  }

  /** Messages written on a channel. */
  countOf(channelId: number): number {
    return this.channelCounts[channelId] ?? 0;
  }

  /** First and last log time written, as (sec, nsec); undefined before the first message. */
  get start(): [number, number] | undefined {
    return this.messageCount ? [this.startSec, this.startNsec] : undefined;
  }

  get end(): [number, number] {
    return this.messageCount ? [this.endSec, this.endNsec] : [0, 0];
  }

  private emit(): Promise<void> | void {
    if (this.out.length === 0) return;
    const bytes = this.out.take();
    this.position += bytes.length;
    return this.sink.write(bytes);
  }

  /** Data-section bytes: counted in the data CRC. */
  private emitData(): Promise<void> | void {
    if (this.out.length) this.dataCrc = crc32(this.out.buf.subarray(0, this.out.length), this.dataCrc);
    return this.emit();
  }

  /** A data-section buffer handed to the sink as it is (the caller does not reuse it). */
  private emitBytes(bytes: Uint8Array): Promise<void> | void {
    if (bytes.length === 0) return;
    this.dataCrc = crc32(bytes, this.dataCrc);
    this.position += bytes.length;
    return this.sink.write(bytes);
  }

  begin(profile: string, library: string): Promise<void> | void {
    this.out.bytes(MAGIC);
    const at = this.out.record(OP.header);
    this.out.string(profile);
    this.out.string(library);
    this.out.end(at);
    return this.emitData();
  }

  addSchema(name: string, encoding: string, data: Uint8Array): number {
    const id = this.schemas.length + 1;
    this.schemas.push({ id, name, encoding, data });
    return id;
  }

  addChannel(topic: string, schemaId: number, messageEncoding: string, metadata: ReadonlyMap<string, string>): number {
    const id = this.channels.length;
    this.channels.push({ id, schemaId, topic, messageEncoding, metadata });
    return id;
  }

  private writeSchema(b: Bytes, s: Schema): void {
    const at = b.record(OP.schema);
    b.u16(s.id);
    b.string(s.name);
    b.string(s.encoding);
    b.u32(s.data.length);
    b.bytes(s.data);
    b.end(at);
  }

  private writeChannel(b: Bytes, c: Channel): void {
    const at = b.record(OP.channel);
    b.u16(c.id);
    b.u16(c.schemaId);
    b.string(c.topic);
    b.string(c.messageEncoding);
    writeMap(b, c.metadata);
    b.end(at);
  }

  /**
   * Appends a message to the open chunk. Returns a promise only when this closed a chunk and the
   * sink asks to wait.
   */
  addMessage(channelId: number, sequence: number, logSec: number, logNsec: number, pubSec: number, pubNsec: number, data: Uint8Array): Promise<void> | void {
    const c = this.chunk;
    let idx = this.chunkIndex[channelId];
    if (idx === undefined) {
      // The channel (and its schema) in every chunk that has its messages: chunks stand alone.
      const ch = this.channels[channelId];
      if (ch.schemaId !== 0) this.writeSchema(c, this.schemas[ch.schemaId - 1]);
      this.writeChannel(c, ch);
      this.chunkIndex[channelId] = idx = { sec: [], nsec: [], offset: [] };
      this.chunkChannels.push(channelId);
    }
    idx.sec.push(logSec);
    idx.nsec.push(logNsec);
    idx.offset.push(c.length);
    c.ensure(31 + data.length);
    const v = c.view;
    const p = c.length;
    c.buf[p] = OP.message;
    v.setUint32(p + 1, 22 + data.length, true);
    v.setUint32(p + 5, 0, true);
    v.setUint16(p + 9, channelId, true);
    v.setUint32(p + 11, sequence, true);
    writeTime(v, p + 15, logSec, logNsec);
    if (pubSec === logSec && pubNsec === logNsec) c.buf.copyWithin(p + 23, p + 15, p + 23);
    else writeTime(v, p + 23, pubSec, pubNsec);
    c.buf.set(data, p + 31);
    c.length = p + 31 + data.length;
    // Times: the chunk's range and the file's.
    if (logSec < this.chunkStartSec || (logSec === this.chunkStartSec && logNsec < this.chunkStartNsec)) {
      this.chunkStartSec = logSec;
      this.chunkStartNsec = logNsec;
      if (logSec < this.startSec || (logSec === this.startSec && logNsec < this.startNsec)) {
        this.startSec = logSec;
        this.startNsec = logNsec;
      }
    }
    if (logSec > this.chunkEndSec || (logSec === this.chunkEndSec && logNsec > this.chunkEndNsec)) {
      this.chunkEndSec = logSec;
      this.chunkEndNsec = logNsec;
      if (logSec > this.endSec || (logSec === this.endSec && logNsec > this.endNsec)) {
        this.endSec = logSec;
        this.endNsec = logNsec;
      }
    }
    this.messageCount++;
    this.channelCounts[channelId] = (this.channelCounts[channelId] ?? 0) + 1;
    if (c.length >= this.options.chunkSize) return this.closeChunk();
  }

  private closeChunk(): Promise<void> | void {
    const c = this.chunk;
    if (c.length === 0) return;
    const records = c.buf.subarray(0, c.length);
    const uncompressedCrc = crc32(records);
    const compressed = this.options.compression ? this.options.compression.compress(records) : records;
    const compression = this.options.compression?.name ?? '';
    const o = this.out;
    const chunkStartOffset = this.position + o.length;
    // The chunk record's fields, then its records as a buffer of their own (not copied into `out`).
    o.u8(OP.chunk);
    o.u64(8 + 8 + 8 + 4 + 4 + new TextEncoder().encode(compression).length + 8 + compressed.length);
    o.time(this.chunkStartSec, this.chunkStartNsec);
    o.time(this.chunkEndSec, this.chunkEndNsec);
    o.u64(records.length);
    o.u32(uncompressedCrc);
    o.string(compression);
    o.u64(compressed.length);
    const head = this.emitData();
    // The compressed buffer is the compressor's own; stored records live in the reused chunk buffer.
    const body = this.emitBytes(compressed === records ? records.slice() : compressed);
    const chunkLength = this.position + o.length - chunkStartOffset;
    // Message indexes, one record per channel, right after the chunk.
    const indexOffsets: [number, number][] = [];
    const indexStart = this.position + o.length;
    for (const channelId of this.chunkChannels) {
      const idx = this.chunkIndex[channelId]!;
      indexOffsets.push([channelId, this.position + o.length]);
      const mi = o.record(OP.messageIndex);
      o.u16(channelId);
      const n = idx.sec.length;
      o.u32(n * 16);
      o.ensure(n * 16);
      const v = o.view;
      let q = o.length;
      for (let i = 0; i < n; i++) {
        writeTime(v, q, idx.sec[i], idx.nsec[i]);
        v.setUint32(q + 8, idx.offset[i], true);
        v.setUint32(q + 12, 0, true);
        q += 16;
      }
      o.length = q;
      o.end(mi);
    }
    const indexLength = this.position + o.length - indexStart;
    // Its ChunkIndex record, kept for the summary.
    const ci = new Bytes(64 + indexOffsets.length * 10);
    const cat = ci.record(OP.chunkIndex);
    ci.time(this.chunkStartSec, this.chunkStartNsec);
    ci.time(this.chunkEndSec, this.chunkEndNsec);
    ci.u64(chunkStartOffset);
    ci.u64(chunkLength);
    ci.u32(indexOffsets.length * 10);
    for (const [ch, off] of indexOffsets) {
      ci.u16(ch);
      ci.u64(off);
    }
    ci.u64(indexLength);
    ci.string(compression);
    ci.u64(compressed.length);
    ci.u64(records.length);
    ci.end(cat);
    this.chunkIndexes.push(ci.take());
    this.chunkCount++;
    c.length = 0;
    this.chunkIndex = [];
    this.chunkChannels = [];
    this.chunkStartSec = Infinity;
    this.chunkStartNsec = 0;
    this.chunkEndSec = -Infinity;
    this.chunkEndNsec = 0;
    const tail = this.emitData();
    if (head || body || tail) return Promise.all([head, body, tail]).then(() => undefined);
  }

  /** A Metadata record (outside chunks), indexed in the summary. */
  addMetadata(name: string, metadata: ReadonlyMap<string, string>): Promise<void> | void {
    const closed = this.closeChunk();
    const write = (): Promise<void> | void => {
      const o = this.out;
      const offset = this.position + o.length;
      const at = o.record(OP.metadata);
      o.string(name);
      writeMap(o, metadata);
      o.end(at);
      const length = this.position + o.length - offset;
      const mi = new Bytes(64);
      const mat = mi.record(OP.metadataIndex);
      mi.u64(offset);
      mi.u64(length);
      mi.string(name);
      mi.end(mat);
      this.metadataIndexes.push(mi.take());
      this.metadataCount++;
      return this.emitData();
    };
    return closed ? closed.then(write) : write();
  }

  /** Closes the last chunk, writes DataEnd, the summary and the footer. */
  async finish(): Promise<void> {
    await this.closeChunk();
    const o = this.out;
    // The data-section CRC covers everything before the DataEnd record.
    const de = o.record(OP.dataEnd);
    o.u32(this.dataCrc);
    o.end(de);
    await this.emit();
    const summaryStart = this.position;
    const groups: { op: number; start: number; length: number }[] = [];
    const group = (op: number, fill: () => void): void => {
      const start = this.position + o.length;
      fill();
      const length = this.position + o.length - start;
      if (length) groups.push({ op, start, length });
    };
    group(OP.schema, () => this.schemas.forEach((s) => this.writeSchema(o, s)));
    group(OP.channel, () => this.channels.forEach((c) => this.writeChannel(o, c)));
    group(OP.statistics, () => {
      const at = o.record(OP.statistics);
      o.u64(this.messageCount);
      o.u16(this.schemas.length);
      o.u32(this.channels.length);
      o.u32(0);
      o.u32(this.metadataCount);
      o.u32(this.chunkCount);
      const s = this.start ?? [0, 0];
      const e = this.end;
      o.time(s[0], s[1]);
      o.time(e[0], e[1]);
      const counted = this.channelCounts.map((n, ch) => [ch, n] as const).filter(([, n]) => n !== undefined && n > 0);
      o.u32(counted.length * 10);
      for (const [ch, n] of counted) {
        o.u16(ch);
        o.u64(n);
      }
      o.end(at);
    });
    group(OP.metadataIndex, () => this.metadataIndexes.forEach((r) => o.bytes(r)));
    group(OP.chunkIndex, () => this.chunkIndexes.forEach((r) => o.bytes(r)));
    const summaryOffsetStart = this.position + o.length;
    for (const g of groups) {
      const at = o.record(OP.summaryOffset);
      o.u8(g.op);
      o.u64(g.start);
      o.u64(g.length);
      o.end(at);
    }
    const footer = o.record(OP.footer);
    o.set64(footer, 20);
    o.u64(summaryStart);
    o.u64(summaryOffsetStart);
    // The summary CRC covers the summary and the footer up to this field.
    const crc = crc32(o.buf.subarray(0, o.length));
    o.u32(crc);
    o.end(footer);
    o.bytes(MAGIC);
    await this.emit();
  }
}

function writeMap(b: Bytes, m: ReadonlyMap<string, string>): void {
  const lengthAt = b.length;
  b.u32(0);
  for (const [k, v] of m) {
    b.string(k);
    b.string(v);
  }
  b.view.setUint32(lengthAt, b.length - lengthAt - 4, true);
}

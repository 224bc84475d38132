// Records every message the local graph carries into an MCAP file as rosbag2's mcap storage
// plugin writes it: profile "ros2", one ros2msg schema per type (the .msg text with its
// dependencies), one "cdr" channel per topic with the publishers' offered QoS, chunked and
// indexed with statistics so `ros2 bag info/play`, Foxglove and Lichtblick can seek in it.
//
// publish() only appends to an in-memory queue; a pump on the event loop feeds McapWriter (whose
// calls must not overlap) and the file stream, yielding between slices so a backlog never starves
// message delivery.
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { McapWriter, type IWritable } from '@mcap/core';
import { stringify as stringifyYaml } from 'yaml';
import type { Logger } from 'pino';
import type { QosSettings, Time } from '../ros.js';
import type { MessageRegistry } from '../msg_registry.js';
import { ConfigError } from '../errors.js';
import type { MessageSink, RecordingStats, TopicState } from './graph.js';

/** Messages handed to McapWriter before the pump yields to the event loop. */
const SLICE = 512;
/** Queued bytes beyond which new messages are not recorded (counted) rather than eat all memory. */
const MAX_BACKLOG_BYTES = 256 * 1024 * 1024;

class FileSink implements IWritable {
  private pos = 0n;
  private error: Error | undefined;

  constructor(private readonly stream: WriteStream) {
    stream.on('error', (e) => {
      this.error = e;
    });
  }

  async write(buffer: Uint8Array): Promise<void> {
    if (this.error) throw this.error;
    this.pos += BigInt(buffer.byteLength);
    // McapWriter hands over copies, so the stream may keep the buffer until it is flushed.
    if (!this.stream.write(buffer)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.stream.off('error', onError);
          resolve();
        };
        const onError = (e: Error) => {
          this.stream.off('drain', onDrain);
          reject(e);
        };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
  }

  position(): bigint {
    return this.pos;
  }

  end(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.error) {
        reject(this.error);
        return;
      }
      // end()'s callback gets the stream's error, if a write failed (ENOSPC, EIO).
      this.stream.end((err?: Error | null) => {
        const e = err ?? this.error;
        if (e) reject(e);
        else resolve();
      });
    });
  }
}

/** rmw's enum values, as rosbag2 metadata version ≤ 8 serialises QoS (read by Humble and Jazzy alike). */
function qosYaml(profiles: QosSettings[]): string {
  const zero = { sec: 0, nsec: 0 };
  return stringifyYaml(
    profiles.map((q) => ({
      history: q.history === 'keep_last' ? 1 : 2,
      depth: q.history === 'keep_last' ? q.depth : 0,
      reliability: q.reliability === 'reliable' ? 1 : 2,
      durability: q.durability === 'transient_local' ? 1 : 2,
      deadline: zero,
      lifespan: zero,
      liveliness: 1,
      liveliness_lease_duration: zero,
      avoid_ros_namespace_conventions: false,
    })),
  );
}

export class McapRecorder implements MessageSink {
  private readonly writer: McapWriter;
  private readonly file: FileSink;
  private readonly schemaIds = new Map<string, number>();
  private readonly sequences = new Map<number, number>();
  private topics: TopicState[] = [];
  private times: Time[] = [];
  private datas: Uint8Array[] = [];
  private pumping: Promise<void> | undefined;
  private backlogBytes = 0;
  private started: Promise<void>;
  private failed: Error | undefined;
  private closing = false;
  private readonly encoder = new TextEncoder();
  readonly stats: RecordingStats;

  constructor(
    readonly path: string,
    private readonly registry: MessageRegistry,
    private readonly logger: Logger,
  ) {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new ConfigError({ source: 'command line', key: `--record ${path}`, problem: `cannot create the file (${(e as Error).message})`, fix: 'give a path in an existing, writable directory' });
    }
    let stream: WriteStream;
    try {
      stream = createWriteStream(path, { fd, highWaterMark: 1 << 20 });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.stats = { path, messages: 0, bytes: 0, maxBacklog: 0, dropped: 0 };
    this.file = new FileSink(stream);
    this.writer = new McapWriter({ writable: this.file, useChunks: true, chunkSize: 1 << 20, useStatistics: true, useSummaryOffsets: true, useChunkIndex: true, useMessageIndex: true });
    this.started = this.run(async () => {
      await this.writer.start({ profile: 'ros2', library: 'vil local graph (mcap-typescript)' });
      // rosbag2 reads its own metadata record; an empty serialized_metadata tells it to read the
      // channels' QoS in the integer form used above (see rosbag2_storage_mcap read_metadata).
      await this.writer.addMetadata({ name: 'rosbag2', metadata: new Map([['serialized_metadata', ''], ['ROS_DISTRO', 'jazzy']]) });
    });
  }

  write(topic: TopicState, logTime: Time, data: Uint8Array): void {
    if (this.failed || this.closing) return;
    if (this.backlogBytes > MAX_BACKLOG_BYTES) {
      if (this.stats.dropped++ === 0) {
        this.logger.error({ record: this.path }, `recording to ${this.path} falls behind by more than ${MAX_BACKLOG_BYTES >> 20} MiB: messages are left out of the file (counted) until it catches up`);
      }
      return;
    }
    this.backlogBytes += data.byteLength;
    // The channel is registered later by the pump; the endpoints may be gone by then.
    topic.offeredQos ??= [...topic.publishers].map((p) => p.qos);
    this.topics.push(topic);
    this.times.push(logTime);
    this.datas.push(data);
    if (this.topics.length > this.stats.maxBacklog) this.stats.maxBacklog = this.topics.length;
    if (this.pumping === undefined) this.pumping = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.pump());
  }

  private async run(step: () => Promise<void>): Promise<void> {
    if (this.failed) return;
    try {
      await step();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.stats.error = e.message;
    this.topics = [];
    this.times = [];
    this.datas = [];
    this.logger.error({ record: this.path, err: e }, `recording to ${this.path} failed and stopped (the graph keeps running): ${e.message}`);
  }

  private async pump(): Promise<void> {
    await this.started;
    while (this.topics.length > 0 && !this.failed) {
      const topics = this.topics;
      const times = this.times;
      const datas = this.datas;
      this.topics = [];
      this.times = [];
      this.datas = [];
      await this.run(async () => {
        for (let i = 0; i < topics.length; i++) {
          const state = topics[i];
          const channelId = state.channelId ?? (await this.registerChannel(state));
          const seq = (this.sequences.get(channelId) ?? 0) + 1;
          this.sequences.set(channelId, seq);
          const t = times[i];
          const ns = BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
          await this.writer.addMessage({ channelId, sequence: seq, logTime: ns, publishTime: ns, data: datas[i] });
          this.stats.messages++;
          this.stats.bytes += datas[i].byteLength;
          this.backlogBytes -= datas[i].byteLength;
          if (i % SLICE === SLICE - 1) await new Promise<void>((resolve) => setImmediate(resolve));
        }
      });
    }
    this.pumping = undefined;
  }

  private async registerChannel(state: TopicState): Promise<number> {
    let schemaId = this.schemaIds.get(state.type);
    if (schemaId === undefined) {
      schemaId = await this.writer.registerSchema({ name: state.type, encoding: 'ros2msg', data: this.encoder.encode(this.registry.schemaText(state.type)) });
      this.schemaIds.set(state.type, schemaId);
    }
    const qos = state.offeredQos ?? [...state.publishers].map((p) => p.qos);
    const channelId = await this.writer.registerChannel({
      topic: state.name,
      schemaId,
      messageEncoding: 'cdr',
      metadata: new Map([['offered_qos_profiles', qosYaml(qos)]]),
    });
    state.channelId = channelId;
    return channelId;
  }

  /** Writes what is queued, the summary and the footer, and closes the file. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.started;
    while (this.pumping) await this.pumping;
    await this.run(() => this.writer.end());
    try {
      await this.file.end();
    } catch (e) {
      this.fail(e as Error);
    }
  }
}

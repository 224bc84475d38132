// Records every message the local graph carries into an MCAP file as rosbag2's mcap storage
// plugin writes it (rosbag2_mcap.ts: profile "ros2", ros2msg schemas, cdr channels with offered
// QoS and type hash, zstd chunks, indexes, statistics, the rosbag2 metadata record), so
// `ros2 bag info/play`, Foxglove and Lichtblick open it.
//
// publish() only appends to an in-memory queue; a pump on the event loop feeds the writer (whose
// calls must not overlap) and the file stream, yielding between slices so a backlog never starves
// message delivery.
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { ByteSink } from './mcap_writer.js';
import type { Logger } from 'pino';
import type { Time } from '../ros.js';
import type { MessageRegistry } from '../msg_registry.js';
import { ConfigError } from '../errors.js';
import type { MessageSink, RecordingStats, TopicState } from './graph.js';
import { Rosbag2McapWriter, type Rosbag2WriterOptions } from './rosbag2_mcap.js';

/** Messages handed to McapWriter before the pump yields to the event loop. */
const SLICE = 2048;
/** Queued bytes beyond which new messages are not recorded (counted) rather than eat all memory. */
const MAX_BACKLOG_BYTES = 256 * 1024 * 1024;

class FileSink implements ByteSink {
  private error: Error | undefined;

  constructor(private readonly stream: WriteStream) {
    stream.on('error', (e) => {
      this.error = e;
    });
  }

  /** Queues the bytes; returns a promise only when the stream asks to wait (drain). */
  write(buffer: Uint8Array): Promise<void> | void {
    if (this.error) throw this.error;
    // The writer hands over a buffer it does not reuse, so the stream may keep it until flushed.
    if (this.stream.write(buffer)) return;
    return new Promise<void>((resolve, reject) => {
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

export class McapRecorder implements MessageSink {
  private readonly writer: Rosbag2McapWriter;
  private readonly file: FileSink;
  private topics: TopicState[] = [];
  /** Log times as (sec, nanosec) pairs, flat. */
  private times: number[] = [];
  private datas: Uint8Array[] = [];
  private pumping: Promise<void> | undefined;
  /** Bytes of messages queued for the writer. */
  backlogBytes = 0;
  /** Messages taken from the queue by the pump and not yet written. */
  private inFlight = 0;
  private belowWaiters: { limit: number; maxBytes: number; resolve: () => void }[] = [];
  private started: Promise<void>;
  private failed: Error | undefined;
  private closing = false;
  readonly stats: RecordingStats;

  constructor(
    readonly path: string,
    registry: MessageRegistry,
    private readonly logger: Logger,
    options: Omit<Rosbag2WriterOptions, 'fileName'> = {},
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
    this.writer = new Rosbag2McapWriter(this.file, registry, { library: 'vil local graph (mcap-typescript)', ...options, fileName: path });
    this.started = this.run(() => this.writer.start());
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
    this.times.push(logTime.sec, logTime.nanosec);
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
    this.backlogBytes = 0;
    this.inFlight = 0;
    queueMicrotask(() => this.wakeBelow());
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
      this.inFlight = topics.length;
      await this.run(async () => {
        for (let i = 0; i < topics.length; i++) {
          const state = topics[i];
          const channelId = state.channelId ?? this.registerChannel(state);
          const data = datas[i];
          const wait = this.writer.write(channelId, times[2 * i], times[2 * i + 1], data);
          if (wait) await wait;
          this.stats.messages++;
          this.stats.bytes += data.byteLength;
          this.backlogBytes -= data.byteLength;
          this.inFlight--;
          if (this.belowWaiters.length && (i & 63) === 0) this.wakeBelow();
          if (i % SLICE === SLICE - 1) await new Promise<void>((resolve) => setImmediate(resolve));
        }
      });
    }
    this.pumping = undefined;
    this.wakeBelow();
  }

  /** Seconds between the first and the last log time written. */
  dataSpanSeconds(): number {
    const s = this.writer.span();
    return s ? Number(s.end - s.start) / 1e9 : 0;
  }

  /** Messages waiting for the writer. */
  get backlog(): number {
    return this.topics.length + this.inFlight;
  }

  /**
   * Resolves once at most `limit` messages and `maxBytes` bytes wait for the writer (at once when
   * fewer do, or when the recording failed or closed): backpressure for producers that can wait
   * (vil import).
   */
  backlogBelow(limit: number, maxBytes = Infinity): Promise<void> {
    if ((this.backlog <= limit && this.backlogBytes <= maxBytes) || this.failed || this.closing) return Promise.resolve();
    return new Promise((resolve) => this.belowWaiters.push({ limit, maxBytes, resolve }));
  }

  private wakeBelow(): void {
    if (this.belowWaiters.length === 0) return;
    const done = this.failed !== undefined || this.closing;
    const keep: { limit: number; maxBytes: number; resolve: () => void }[] = [];
    for (const w of this.belowWaiters) {
      if (done || (this.backlog <= w.limit && this.backlogBytes <= w.maxBytes)) w.resolve();
      else keep.push(w);
    }
    this.belowWaiters = keep;
  }

  private registerChannel(state: TopicState): number {
    const channelId = this.writer.addTopic({ name: state.name, type: state.type, offeredQos: state.offeredQos ?? [...state.publishers].map((p) => p.qos) });
    state.channelId = channelId;
    return channelId;
  }

  /** Writes what is queued, the rosbag2 metadata, the summary and the footer, and closes the file. */
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

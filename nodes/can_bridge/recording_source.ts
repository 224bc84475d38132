// Offline intake of can_bridge from vehicle recordings: MF4 bus logging, BLF, ASC or candump
// files (nodes/buslog readers, chosen by contents), several files of one drive merged in time
// order, replayed at their recorded pace or as fast as possible.
//
// Stamps: 'log' keeps the recorded times (a recording whose times are relative to its
// measurement start, e.g. ASC, is placed at the start time the file states, when it states one);
// 'replay' shifts them so the first frame is at the ROS time the replay started (intervals kept
// exactly, in integer nanoseconds).
// Window: `startS` seconds after the recording's first frame (frames before are read, not
// replayed), for `durationS` seconds (0: to the end). Backpressure: on the local graph the source
// waits after a frame while a subscriber in the process is behind (RosNode.backpressure), so a
// replay, realtime or not, never makes a subscription queue drop.
// Stopping is prompt at any moment: the wait for the next frame's time is a timer stop() clears,
// however long the gap in the recording, and reading stops at the next batch.
import type { Logger } from 'pino';
import type { Time } from '../runtime/ros.js';
import type { BusLogReader, LogFrame, RecordingInfo, SkipCounters } from '../buslog/frame.js';
import { MergedRecording } from '../buslog/merge.js';
import { openRecording } from '../buslog/open.js';
import type { CanFrame } from './socketcan_source.js';

export interface RecordingSourceOptions {
  paths: readonly string[];
  /** true: wait for each frame's recorded time; false: as fast as possible. */
  realtime: boolean;
  stamps: 'log' | 'replay';
  now: () => Time;
  logger: Logger;
  /** Frames between yields to the event loop in fast mode (lets subscribers drain). Default 1024. */
  yieldEvery?: number;
  /** Seconds after the recording's first frame where the replay starts (default 0). */
  startS?: number;
  /** Seconds replayed from there; 0 or absent: to the end. */
  durationS?: number;
  /** Awaited after a frame when it returns a promise (RosNode.backpressure: subscribers behind). */
  backpressure?: () => Promise<void> | undefined;
}

export interface RecordingEvents {
  /** A frame of the recording's bus `channel` (as recorded). */
  frame(channel: number, f: CanFrame): void;
  /** The recordings ended (or one could not be read further: `error`). Not called after stop(). */
  end(error?: Error): void;
}

export interface RecordingCounters {
  /** Frames replayed (handed to the frame event). */
  frames: number;
  /** Frames before the window's start: read, not replayed. */
  beforeStart: number;
  /** Times the replay waited for subscribers to catch up (backpressure). */
  heldBySubscribers: number;
  /** Frames per recorded channel. */
  channels: Map<number, number>;
  handlerErrors: number;
}

/** What the source waits for in realtime mode: the data time of the next frame. */
export interface RecordingWait {
  /** Recorded time of the frame it waits for. */
  frameTime: Time;
  /** Wall-clock milliseconds it will sleep. */
  ms: number;
}

const NS = 1_000_000_000;

export class RecordingSource {
  readonly counters: RecordingCounters = { frames: 0, beforeStart: 0, heldBySubscribers: 0, channels: new Map(), handlerErrors: 0 };
  /** Resolves when the replay ended or was stopped. */
  done: Promise<void> = Promise.resolve();
  finished = false;
  /** The recordings' own descriptions, once opened. */
  infos: RecordingInfo[] = [];
  /** Set while waiting for a frame's recorded time (realtime mode). */
  waiting: RecordingWait | undefined;
  /** True when stop() came while the source was waiting for a frame's time. */
  stoppedWhileWaiting = false;
  /**
   * Awaited at every yield to the event loop when set and it returns a promise: lets a consumer
   * downstream hold a replay that runs as fast as possible until it has caught up (vil import
   * waits for its MCAP writer, so memory stays bounded whatever the recording's size).
   */
  gate: (() => Promise<void> | undefined) | undefined;
  private stopped = false;
  private recording: MergedRecording | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: RecordingSourceOptions,
    private readonly events: RecordingEvents,
  ) {}

  /** What was left out of the recordings (groups, objects, lines), by reason. */
  get skipped(): SkipCounters {
    return this.recording?.skipped ?? {};
  }

  start(): void {
    this.done = this.run().then(
      () => {
        this.finished = true;
        if (!this.stopped) this.events.end();
      },
      (e: Error) => {
        this.finished = true;
        if (!this.stopped) this.events.end(e);
      },
    );
  }

  /** Stops at once: a wait for the next frame's time is cut short; resolves when reading ended. */
  async stop(): Promise<void> {
    if (this.stopped) return this.done;
    this.stopped = true;
    if (this.waiting) this.stoppedWhileWaiting = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    await this.done;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    }).finally(() => {
      this.wake = undefined;
      this.timer = undefined;
    });
  }

  private async run(): Promise<void> {
    const readers: BusLogReader[] = [];
    try {
      for (const p of this.opts.paths) readers.push(await openRecording(p));
      this.recording = new MergedRecording(readers);
      this.infos = await this.recording.infos();
      if (new Set(this.infos.map((i) => i.absoluteTime)).size > 1) {
        const rel = this.infos.filter((i) => !i.absoluteTime).map((i) => i.path);
        throw new Error(`cannot merge recordings with absolute times and recordings with times since their measurement start (${rel.join(', ')}): replay them separately`);
      }
    } catch (e) {
      await Promise.all(readers.map((r) => r.close()));
      throw e;
    }
    // Relative recordings (times since the measurement start) placed at their stated start.
    const offsets = this.infos.map((i) => (!i.absoluteTime && i.start && this.opts.stamps === 'log' ? i.start : undefined));
    const needsOffset = offsets.some((o) => o !== undefined);
    if (needsOffset && this.infos.length > 1) {
      // Merging happens on the files' own times; shifting per file would reorder them.
      offsets.fill(undefined);
    }
    const offset = offsets[0];
    const yieldEvery = this.opts.yieldEvery ?? 1024;
    const backpressure = this.opts.backpressure;
    // The window in nanoseconds after the recording's first frame (integers well within 2^53).
    const startNs = Math.round((this.opts.startS ?? 0) * 1e9);
    const endNs = this.opts.durationS ? startNs + Math.round(this.opts.durationS * 1e9) : Infinity;
    let origin: Time | undefined;
    let first: Time | undefined;
    let base: Time = { sec: 0, nanosec: 0 };
    let wall0 = 0;
    let sinceYield = 0;
    const channels = this.counters.channels;
    try {
      for await (const batch of this.recording.batches()) {
        if (this.stopped) break;
        for (let i = 0; i < batch.length; i++) {
          const lf = batch[i];
          if (origin === undefined) origin = { sec: lf.sec, nanosec: lf.nanosec };
          if (startNs !== 0 || endNs !== Infinity) {
            const ns = (lf.sec - origin.sec) * 1e9 + (lf.nanosec - origin.nanosec);
            if (ns < startNs) {
              this.counters.beforeStart++;
              continue;
            }
            if (ns >= endNs) return;
          }
          if (first === undefined) {
            first = { sec: lf.sec, nanosec: lf.nanosec };
            base = this.opts.stamps === 'replay' ? this.opts.now() : offset ? add(offset, lf.sec, lf.nanosec) : first;
            wall0 = performance.now();
          }
          const dSec = lf.sec - first.sec;
          const dNsec = lf.nanosec - first.nanosec;
          if (this.opts.realtime) {
            const wait = wall0 + dSec * 1000 + dNsec / 1e6 - performance.now();
            if (wait >= 1) {
              this.waiting = { frameTime: { sec: lf.sec, nanosec: lf.nanosec }, ms: wait };
              await this.sleep(wait);
              this.waiting = undefined;
              sinceYield = 0;
              if (this.stopped) return;
            }
          }
          const frame = toCanFrame(lf, add(base, dSec, dNsec));
          this.counters.frames++;
          channels.set(lf.channel, (channels.get(lf.channel) ?? 0) + 1);
          try {
            this.events.frame(lf.channel, frame);
          } catch (e) {
            this.counters.handlerErrors++;
            this.opts.logger.error({ err: e }, `recording frame handler threw: ${(e as Error).message}`);
          }
          if (backpressure !== undefined) {
            const behind = backpressure();
            if (behind !== undefined) {
              this.counters.heldBySubscribers++;
              await behind;
              sinceYield = 0;
              if (this.stopped) return;
            }
          }
          if (++sinceYield >= yieldEvery) {
            sinceYield = 0;
            await new Promise<void>((r) => setImmediate(r));
            const held = this.gate?.();
            if (held) await held;
            if (this.stopped) return;
          }
        }
      }
    } finally {
      await this.recording.close();
    }
  }
}

function toCanFrame(f: LogFrame, stamp: Time): CanFrame {
  return { id: f.id, extended: f.extended, rtr: f.rtr, error: f.error, fd: f.fd, brs: f.brs, esi: f.esi, dlc: f.dlc, data: f.data, stamp };
}

/** base + (dSec, dNsec), normalised (dNsec may be negative). */
function add(base: Time, dSec: number, dNsec: number): Time {
  let sec = base.sec + dSec;
  let nanosec = base.nanosec + dNsec;
  if (nanosec < 0) {
    const borrow = Math.ceil(-nanosec / NS);
    nanosec += borrow * NS;
    sec -= borrow;
  } else if (nanosec >= NS) {
    const carry = Math.floor(nanosec / NS);
    nanosec -= carry * NS;
    sec += carry;
  }
  return { sec, nanosec };
}

// Offline intake of can_bridge: replays a `candump -L` log file (candump.ts reads the lines) as
// CanFrame events, at its recorded pace (default) or as fast as possible, so a recorded drive
// runs through the same path as live SocketCAN frames without a CAN interface.
//
// Stamps: 'log' keeps the recorded kernel times; 'replay' shifts them so the first frame is at
// the ROS time the replay started (intervals kept exactly, in integer nanoseconds), which is what
// ages, rviz lifetimes and a live ROS graph expect. Lines that are not frames are counted and
// logged at a rate limit; the replay goes on.
//
// Shutdown is prompt: stop() aborts the wait for the next frame's recorded time (a log may hold a
// gap of days), so SIGINT during a realtime replay ends the node at once.
import { createReadStream, type ReadStream } from 'node:fs';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Time } from '../runtime/ros.js';
import { ThrottledLog } from '../runtime/logger.js';
import { CandumpParseError, parseCandumpLine, type CandumpFrame } from '../buslog/candump.js';
import type { CanFrame } from './socketcan_source.js';

export interface CandumpSourceOptions {
  path: string;
  /** true: wait for each frame's recorded time; false: as fast as possible. */
  realtime: boolean;
  stamps: 'log' | 'replay';
  now: () => Time;
  logger: Logger;
  /** Frames between yields to the event loop in fast mode (lets subscribers drain). Default 256. */
  batch?: number;
  /** Awaited after a frame when it returns a promise (RosNode.backpressure: subscribers behind). */
  backpressure?: () => Promise<void> | undefined;
}

export interface CandumpEvents {
  frame(iface: string, f: CanFrame): void;
  /** The log ended (or could not be read: `error`). Not called after stop(). */
  end(error?: Error): void;
}

export interface CandumpCounters {
  lines: number;
  frames: number;
  badLines: number;
  handlerErrors: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Node's timers hold at most 2^31 − 1 ms (longer ones fire after 1 ms): longer waits go in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Bytes read at a time. */
const CHUNK = 64 << 10;
/** A "line" longer than this means the file is not a candump log. */
const MAX_LINE = 1 << 20;
/** A wait for the next frame at least this long is logged (a gap in the log, not a hang). */
const GAP_LOG_MS = 5000;

/** Waits until performance.now() reaches `due`; false when aborted first. */
async function sleepUntil(due: number, signal: AbortSignal): Promise<boolean> {
  for (let wait = due - performance.now(); wait >= 1; wait = due - performance.now()) {
    try {
      await sleepFor(Math.min(wait, MAX_TIMER_MS), undefined, { signal });
    } catch {
      return false; // AbortError: stop() was called
    }
  }
  return !signal.aborted;
}

export class CandumpSource {
  readonly counters: CandumpCounters = { lines: 0, frames: 0, badLines: 0, handlerErrors: 0 };
  /** Resolves when the replay ended or was stopped. */
  done: Promise<void> = Promise.resolve();
  finished = false;
  private stopped = false;
  /** Aborts the wait for the next frame's time when stop() is called. */
  private readonly abort = new AbortController();
  private stream: ReadStream | undefined;
  private readonly log: ThrottledLog;

  constructor(
    private readonly opts: CandumpSourceOptions,
    private readonly events: CandumpEvents,
  ) {
    this.log = new ThrottledLog(opts.logger);
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

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.stream?.destroy();
    await this.done;
  }

  /** One line (no line break) → its frame; null for a blank or unreadable line (counted, logged). */
  private parse(text: string): CandumpFrame | null {
    this.counters.lines++;
    try {
      return parseCandumpLine(text);
    } catch (e) {
      if (!(e instanceof CandumpParseError)) throw e;
      this.counters.badLines++;
      this.log.warn('candump-line', `${this.opts.path}:${this.counters.lines}: not a candump frame: ${e.message}`);
      return null;
    }
  }

  private deliver(parsed: CandumpFrame, stamp: Time): void {
    const frame: CanFrame = {
      id: parsed.id,
      extended: parsed.extended,
      rtr: parsed.rtr,
      error: parsed.error,
      fd: parsed.fd,
      brs: parsed.brs,
      esi: parsed.esi,
      dlc: parsed.dlc,
      data: parsed.data,
      stamp,
    };
    this.counters.frames++;
    try {
      this.events.frame(parsed.iface, frame);
    } catch (e) {
      this.counters.handlerErrors++;
      this.log.error('candump-handler', `frame handler threw: ${(e as Error).message}`);
    }
  }

  private async run(): Promise<void> {
    const stream = createReadStream(this.opts.path, { encoding: 'latin1', highWaterMark: CHUNK });
    this.stream = stream;
    const opened = new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    await opened;
    const batch = this.opts.batch ?? 256;
    let first: Time | undefined;
    let base: Time = { sec: 0, nanosec: 0 };
    let wall0 = 0;
    let sinceYield = 0;
    let rest = '';
    let last = false;
    try {
      // Lines are split here rather than by readline, whose async iterator costs a promise per
      // line (a third of the intake's own time per frame); this loop awaits only to wait for a
      // frame's time or to yield. "\n" ends a line and a "\r" before it is dropped, as
      // text_lines.ts does for the recording readers; a last line without "\n" counts too.
      const chunks = (stream as AsyncIterable<string>)[Symbol.asyncIterator]();
      while (!last && !this.stopped) {
        const next = await chunks.next();
        let text: string;
        if (next.done) {
          if (rest.length === 0) break;
          text = `${rest}\n`;
          last = true;
        } else text = rest.length ? rest + next.value : next.value;
        let from = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
          const parsed = this.parse(text.slice(from, nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
          from = nl + 1;
          if (parsed === null) continue;
          const t = parsed.time;
          if (first === undefined) {
            first = t;
            base = this.opts.stamps === 'replay' ? this.opts.now() : t;
            wall0 = performance.now();
          }
          const dSec = t.sec - first.sec;
          const dNsec = t.nanosec - first.nanosec;
          if (this.opts.realtime) {
            const due = wall0 + dSec * 1000 + dNsec / 1e6;
            const wait = due - performance.now();
            if (wait >= 1) {
              if (wait >= GAP_LOG_MS) {
                this.log.info('candump-gap', `${this.opts.path}:${this.counters.lines}: the next frame is ${(wait / 1000).toFixed(1)} s later in the log; waiting for it (realtime replay)`, { waitS: wait / 1000 });
              }
              if (!(await sleepUntil(due, this.abort.signal))) return;
              sinceYield = 0;
              if (this.stopped) return;
            }
          }
          this.deliver(parsed, this.opts.stamps === 'replay' ? addTime(base, dSec, dNsec) : t);
          // A replay never outruns its subscribers (RosNode.backpressure): it waits while one is behind.
          const behind = this.opts.backpressure?.();
          if (behind !== undefined) {
            await behind;
            sinceYield = 0;
            if (this.stopped) return;
          }
          if (++sinceYield >= batch) {
            sinceYield = 0;
            await tick();
            if (this.stopped) return;
          }
        }
        rest = text.slice(from);
        if (rest.length > MAX_LINE) throw new Error(`${this.opts.path}: a line longer than ${MAX_LINE} bytes: not a candump log`);
      }
    } finally {
      stream.destroy();
    }
  }
}

function addTime(base: Time, dSec: number, dNsec: number): Time {
  let sec = base.sec + dSec;
  let nanosec = base.nanosec + dNsec;
  while (nanosec < 0) {
    nanosec += 1_000_000_000;
    sec--;
  }
  while (nanosec >= 1_000_000_000) {
    nanosec -= 1_000_000_000;
    sec++;
  }
  return { sec, nanosec };
}

// The intake: where every source's frames end (SocketCAN, candump log, recording, raw topic).
// Per frame: count, advance the data-time schedules, publish it raw, follow error frames into the
// bus state, decode it with the bus's DBC into the bus's value array, and feed the outputs its
// message is routed to. This is the hot path: nothing is looked up by name and nothing is
// allocated for a frame that goes only to raw and decoded topics.
import type { Logger } from 'pino';
import type { Time } from '../runtime/ros.js';
import { ThrottledLog } from '../runtime/logger.js';
import { DECODE_SHORT, DECODE_UNKNOWN_MUX } from '../dbc/codec.js';
import type { Bus } from './bus.js';
import { decodeCanError } from './can_error.js';
import type { Outputs } from './outputs.js';
import type { CanFrame } from './socketcan_source.js';

/** Unknown ids listed per bus on /diagnostics (all are counted). */
export const MAX_LISTED_UNKNOWN = 32;

export class Intake {
  private readonly throttled: ThrottledLog;
  /** Frames whose processing threw (a bug in a decoder or mapping): logged, counted, skipped. */
  failures = 0;

  constructor(
    private readonly outputs: Outputs,
    logger: Logger,
  ) {
    this.throttled = new ThrottledLog(logger);
  }

  /** One frame of `bus`. A failure in a decoder or mapping is logged, never thrown. */
  frame(bus: Bus, f: CanFrame): void {
    try {
      this.take(bus, f);
    } catch (e) {
      // A bug in a decoder or mapping must not take the node down: count, log, carry on.
      this.failures++;
      this.throttled.error(`intake:${bus.plan.name}`, `${bus.plan.name}: frame 0x${f.id.toString(16)} failed: ${(e as Error).message}`, { stack: (e as Error).stack });
    }
  }

  private take(bus: Bus, f: CanFrame): void {
    // Data-time schedules first: what they publish is due before this frame.
    const tickers = this.outputs.tickers;
    for (let i = 0; i < tickers.length; i++) tickers[i].advance(f.stamp);
    bus.rate.add();
    bus.lastFrame = f.stamp;
    if (f.fd && !bus.plan.fd) {
      bus.ignoredFd++;
      return;
    }
    if (bus.rawPub !== undefined) {
      if (f.fd) bus.fdPub?.publish(bus.fdWriter.fill(f));
      else bus.rawPub.publish(bus.classic.fill(f));
    }
    if (f.error) {
      this.errorFrame(bus, f);
      return;
    }
    if (f.fd) bus.fdFrames++;
    if (f.rtr) return;
    const db = bus.plan.db;
    if (db === undefined) return;
    const codec = db.lookup(f.id, f.extended);
    if (codec === undefined) {
      bus.unknownFrames++;
      if (bus.unknownIds.size < MAX_LISTED_UNKNOWN && !bus.unknownIds.has(f.id)) bus.unknownIds.add(f.id);
      return;
    }
    const st = codec.decodeInto(f.data, bus.values, codec.base);
    if (st !== 0) {
      if (st & DECODE_SHORT) bus.shortFrames++;
      if (st & DECODE_UNKNOWN_MUX) bus.unknownMux++;
    }
    const r = bus.routes.get(codec);
    if (r === undefined) return;
    const dec = r.decoded;
    for (let i = 0; i < dec.length; i++) dec[i].pub.publish(dec[i].writer.fill(f.stamp, f.id));
    if (r.vehicle) this.outputs.vehicle!.builder.update(codec, bus.values, codec.base, f.stamp);
    const gs = r.groups;
    if (gs.length && (st & DECODE_SHORT) === 0) {
      const ms = f.stamp.sec * 1000 + f.stamp.nanosec / 1e6;
      for (let i = 0; i < gs.length; i++) {
        const g = gs[i].group;
        if (g.push(f, ms) && g.plan.rateHz === 0) g.publishLatest(gs[i].send);
      }
    }
  }

  private errorFrame(bus: Bus, f: CanFrame): void {
    bus.errorFrames++;
    const info = decodeCanError(f.id, f.data);
    if (info.txErrors !== undefined) bus.txErrors = info.txErrors;
    if (info.rxErrors !== undefined) bus.rxErrors = info.rxErrors;
    if (bus.source !== undefined) return; // SocketCanSource follows the state (and counts overflows) itself
    if (info.rxOverflow) bus.drops++;
    const changed = bus.tracker.update(info);
    if (changed !== undefined) this.throttled.warn(`bus-state:${bus.plan.name}`, `${bus.plan.name}: bus state ${changed}`, { bus: bus.plan.name, busState: changed });
  }

  /** End of a replay: the data-time schedules fire up to the last frame. */
  flush(last: Time): void {
    for (const t of this.outputs.tickers) t.flush(last);
    for (const end of this.outputs.endOfData) end(last);
  }
}

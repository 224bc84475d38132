// A periodic tick in data time (pure): for replays, where "now" is the time of the frames, not
// the wall clock. advance(stamp) fires every tick due strictly before the frame's stamp (so a tick
// at T sees every frame stamped ≤ T); flush(last) fires those up to the last frame at the end.
// Integer nanoseconds (sec, nanosec) throughout, so tick times are exact. After a gap in the data
// longer than `maxCatchUp` periods, the missed ticks are skipped (counted), not fired in a burst.
import type { Time } from '../runtime/ros.js';

const NS = 1_000_000_000;

export class DataTicker {
  private nextSec = NaN;
  private nextNsec = 0;
  private readonly periodNs: number;
  /** Ticks not fired because the data jumped ahead. */
  skipped = 0;
  fired = 0;

  constructor(
    rateHz: number,
    private readonly fire: (t: Time) => void,
    private readonly maxCatchUp = 100,
  ) {
    this.periodNs = Math.max(1, Math.round(NS / rateHz));
  }

  /** Fires the ticks before `stamp`; the first frame starts the schedule one period later. */
  advance(stamp: Time): void {
    if (Number.isNaN(this.nextSec)) {
      this.nextSec = stamp.sec;
      this.nextNsec = stamp.nanosec;
      this.step(1);
      return;
    }
    this.run(stamp, false);
  }

  /** Fires the ticks up to and including `last` (end of a replay). */
  flush(last: Time): void {
    if (!Number.isNaN(this.nextSec)) this.run(last, true);
  }

  private run(stamp: Time, inclusive: boolean): void {
    const due = () => this.nextSec < stamp.sec || (this.nextSec === stamp.sec && (inclusive ? this.nextNsec <= stamp.nanosec : this.nextNsec < stamp.nanosec));
    if (!due()) return;
    const behindNs = (stamp.sec - this.nextSec) * NS + (stamp.nanosec - this.nextNsec);
    const behind = Math.floor(behindNs / this.periodNs);
    if (behind > this.maxCatchUp) {
      this.skipped += behind;
      this.step(behind);
    }
    while (due()) {
      this.fired++;
      this.fire({ sec: this.nextSec, nanosec: this.nextNsec });
      this.step(1);
    }
  }

  private step(n: number): void {
    const total = this.nextNsec + n * this.periodNs;
    const carry = Math.floor(total / NS);
    this.nextSec += carry;
    this.nextNsec = total - carry * NS;
  }
}

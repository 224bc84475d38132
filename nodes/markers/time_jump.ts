// Backward time jumps: a bag that loops (`ros2 bag play --loop`) restarts its /clock and its
// message stamps; rviz then clears its TF buffer, and markers from the previous pass must go too.
// Each time source (the ROS clock, each input topic's stamps) is watched on its own, because they
// may be in different time bases (a bag played without --clock: wall clock vs recorded stamps).
import { timeToNs, type Time } from '../runtime/ros.js';

export class TimeJumpDetector {
  private readonly last = new Map<string, bigint>();
  private readonly thresholdNs: bigint;

  /** `thresholdS`: how far back a time may step before it counts as a jump (jitter, reordering). */
  constructor(thresholdS: number) {
    this.thresholdNs = BigInt(Math.round(thresholdS * 1e9));
  }

  /**
   * Records `t` for `source`; true when it lies more than the threshold before the latest time
   * seen from that source. A zero time (no clock yet under use_sim_time) is ignored.
   */
  observe(source: string, t: Time): boolean {
    if (t.sec === 0 && t.nanosec === 0) return false;
    const ns = timeToNs(t);
    const prev = this.last.get(source);
    if (prev === undefined || ns > prev) {
      this.last.set(source, ns);
      return false;
    }
    if (prev - ns > this.thresholdNs) {
      this.last.set(source, ns);
      return true;
    }
    return false;
  }

  /**
   * After a reset at time `t` (the time after the jump): every source's latest time is lowered to
   * `t` so the same loop seen a moment later on another source (the clock behind the data, or the
   * reverse) does not count as a second jump. Lowering never creates a jump for a source in
   * another time base: it only makes later times look newer.
   */
  rebase(t: Time): void {
    const ns = timeToNs(t);
    for (const [k, v] of this.last) if (v > ns) this.last.set(k, ns);
  }

  /** Forgets everything (an explicit reset). */
  clear(): void {
    this.last.clear();
  }
}

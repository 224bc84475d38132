// System time (CLOCK_REALTIME, what ROS calls RCL_SYSTEM_TIME) with sub-millisecond resolution:
// Date.now() has only milliseconds, so the wall time is anchored once and advanced with the
// monotonic performance.now(); when the two drift apart (NTP slews the system clock by up to
// 0.5 ms/s) or the system clock is stepped, it re-anchors.
//
// Re-anchoring after a drift would make the time step back by up to STEP_TOLERANCE_MS, and
// messages recorded in that moment would land out of order in an MCAP (readers order by log
// time). So a backward correction smaller than a real clock step is absorbed: the clock holds
// until the system time catches up. A step back of more than BACKWARD_STEP_MS (someone set the
// clock) is followed, as ROS's system clock follows it.
import type { Time } from '../ros.js';

const STEP_TOLERANCE_MS = 2;
const BACKWARD_STEP_MS = 1000;

let anchorWallMs = Date.now();
let anchorPerfMs = performance.now();
let lastMs = -Infinity;

/** The clock's milliseconds (fractional); see the top of the file. */
export function wallNowMs(): number {
  const perf = performance.now();
  let wallMs = anchorWallMs + (perf - anchorPerfMs);
  const coarse = Date.now();
  if (wallMs - coarse > STEP_TOLERANCE_MS || coarse - wallMs > STEP_TOLERANCE_MS) {
    anchorWallMs = coarse;
    anchorPerfMs = perf;
    wallMs = coarse;
  }
  if (wallMs < lastMs && lastMs - wallMs < BACKWARD_STEP_MS) wallMs = lastMs;
  lastMs = wallMs;
  return wallMs;
}

/** Nanoseconds since the epoch, split to stay exact in doubles. */
export function wallNow(): Time {
  const wallMs = wallNowMs();
  const sec = Math.floor(wallMs / 1000);
  let nanosec = Math.round((wallMs - sec * 1000) * 1e6);
  if (nanosec >= 1_000_000_000) nanosec = 999_999_999;
  return { sec, nanosec };
}

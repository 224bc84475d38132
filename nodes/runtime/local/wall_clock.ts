// System time (CLOCK_REALTIME, what ROS calls RCL_SYSTEM_TIME) with sub-millisecond resolution:
// Date.now() has only milliseconds, so the wall time is anchored once and advanced with the
// monotonic performance.now(); a step of the system clock (NTP, manual set) re-anchors.
import type { Time } from '../ros.js';

const STEP_TOLERANCE_MS = 2;

let anchorWallMs = Date.now();
let anchorPerfMs = performance.now();

/** Nanoseconds since the epoch, split to stay exact in doubles. */
export function wallNow(): Time {
  const perf = performance.now();
  let wallMs = anchorWallMs + (perf - anchorPerfMs);
  const coarse = Date.now();
  if (wallMs - coarse > STEP_TOLERANCE_MS || coarse - wallMs > STEP_TOLERANCE_MS) {
    anchorWallMs = coarse;
    anchorPerfMs = perf;
    wallMs = coarse;
  }
  const sec = Math.floor(wallMs / 1000);
  let nanosec = Math.round((wallMs - sec * 1000) * 1e6);
  if (nanosec >= 1_000_000_000) nanosec = 999_999_999;
  return { sec, nanosec };
}

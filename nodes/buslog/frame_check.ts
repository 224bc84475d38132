// What every reader's frames must be before they leave it: a frame that breaks one of these rules
// comes from a corrupt or foreign recording, and is left out and counted by reason (the readers'
// `skipped`) instead of reaching can_bridge, which could not publish it (a ROS time stamp has
// int32 seconds) or would publish a frame no bus can carry.
import type { LogFrame } from './frame.js';

/** builtin_interfaces/Time.sec is int32: the latest second a ROS time stamp holds (2038-01-19 03:14:07 UTC). */
export const MAX_ROS_SEC = 2 ** 31 - 1;

export const OUT_OF_ROS_TIME = 'frames with a time no ROS time stamp holds (before 1970 or after 2038-01-19 03:14:07 UTC)';
export const ID_TOO_WIDE = 'frames with an id wider than 11 bits (standard) or 29 bits (extended)';

/** The skip reason of a frame that cannot be carried, or undefined when it is fine. */
export function frameDefect(f: LogFrame): string | undefined {
  const sec = f.sec;
  const ns = f.nanosec;
  if (!(sec >= 0 && sec <= MAX_ROS_SEC && Number.isInteger(sec) && ns >= 0 && ns < 1e9 && Number.isInteger(ns))) return OUT_OF_ROS_TIME;
  if (!(f.id >= 0 && f.id <= (f.extended || f.error ? 0x1fffffff : 0x7ff))) return ID_TOO_WIDE;
  return undefined;
}

// What every reader's frames must be before they leave it (a time a ROS stamp holds, an id that
// fits its format, a channel number, a data length its DLC stands for): a frame that breaks one of these rules
// comes from a corrupt or foreign recording, and is left out and counted by reason (the readers'
// `skipped`) instead of reaching can_bridge, which could not publish it (a ROS time stamp has
// int32 seconds) or would publish a frame no bus can carry.
import type { LogFrame } from './frame.js';

/** builtin_interfaces/Time.sec is int32: the latest second a ROS time stamp holds (2038-01-19 03:14:07 UTC). */
export const MAX_ROS_SEC = 2 ** 31 - 1;

export const OUT_OF_ROS_TIME = 'frames with a time no ROS time stamp holds (before 1970 or after 2038-01-19 03:14:07 UTC)';
export const ID_TOO_WIDE = 'frames with an id wider than 11 bits (standard) or 29 bits (extended)';
export const LENGTH_NOT_DLC = 'frames whose data length does not match their DLC';
export const BAD_CHANNEL = 'frames with a channel number that is not an integer 0..4294967295';

/** Payload bytes of each CAN FD DLC. */
const FD_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];

/** The skip reason of a frame that cannot be carried, or undefined when it is fine. */
export function frameDefect(f: LogFrame): string | undefined {
  const sec = f.sec;
  const ns = f.nanosec;
  if (!(sec >= 0 && sec <= MAX_ROS_SEC && Number.isInteger(sec) && ns >= 0 && ns < 1e9 && Number.isInteger(ns))) return OUT_OF_ROS_TIME;
  if (!(f.id >= 0 && f.id <= (f.extended || f.error ? 0x1fffffff : 0x7ff))) return ID_TOO_WIDE;
  if (!(Number.isInteger(f.channel) && f.channel >= 0 && f.channel <= 0xffffffff)) return BAD_CHANNEL;
  // DLC and data length come from separate fields (MF4 DLC and DataLength, BLF dlc and valid bytes,
  // ASC's two numbers): a frame whose two disagree has lost bytes or gained junk.
  const dlc = f.dlc;
  const n = f.data.length;
  if (!(Number.isInteger(dlc) && dlc >= 0 && dlc <= 15)) return LENGTH_NOT_DLC;
  if (f.error) return n <= 64 ? undefined : LENGTH_NOT_DLC;
  if (f.rtr) return n === 0 ? undefined : LENGTH_NOT_DLC;
  if (f.fd) return n <= FD_LEN[dlc] && (dlc === 0 || n > FD_LEN[dlc - 1]) ? undefined : LENGTH_NOT_DLC;
  return n === (dlc < 8 ? dlc : 8) ? undefined : LENGTH_NOT_DLC;
}

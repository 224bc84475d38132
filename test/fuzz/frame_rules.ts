// What makes a CAN frame valid, as the readers promise it (nodes/buslog/frame.ts) and as
// can_msgs/Frame and a ROS time stamp can carry it. Shared by the candump and bus-log targets.
import { invariant } from './target.js';

export const FD_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];
export const ROS_MAX_SEC = 2 ** 31 - 1;

export interface FrameLike {
  id: number;
  extended: boolean;
  rtr: boolean;
  error: boolean;
  fd: boolean;
  brs: boolean;
  esi: boolean;
  dlc: number;
  data: Uint8Array;
}

export function checkTime(sec: number, nanosec: number, what: string): void {
  invariant(Number.isInteger(sec) && sec >= 0 && sec <= ROS_MAX_SEC, `${what}: time ${sec} s is not a ROS time stamp (integer 0..${ROS_MAX_SEC})`);
  invariant(Number.isInteger(nanosec) && nanosec >= 0 && nanosec < 1e9, `${what}: nanosec ${nanosec} is not 0..999999999`);
}

export function checkFrame(f: FrameLike, what: string): void {
  invariant(Number.isInteger(f.id) && f.id >= 0 && f.id <= (f.extended || f.error ? 0x1fffffff : 0x7ff), `${what}: id 0x${f.id.toString(16)} does not fit ${f.extended ? 29 : 11} bits`);
  invariant(f.data instanceof Uint8Array, `${what}: data is not a Uint8Array`);
  invariant(Number.isInteger(f.dlc) && f.dlc >= 0 && f.dlc <= 15, `${what}: dlc ${f.dlc} is not 0..15`);
  // CAN FD has no remote frames, but recordings hold them (python-can reads an ASC CANFD line of
  // length 0 as one, and its BLF writer keeps it): carried as recorded, with no data.
  invariant(f.fd || (!f.brs && !f.esi), `${what}: BRS/ESI on a classic frame`);
  const n = f.data.length;
  if (f.error) invariant(n <= 64, `${what}: error frame with ${n} data bytes`);
  else if (f.rtr) invariant(n === 0, `${what}: remote frame with ${n} data bytes`);
  else if (f.fd) invariant(n <= FD_LEN[f.dlc] && (f.dlc === 0 || n > FD_LEN[f.dlc - 1]), `${what}: CAN FD dlc ${f.dlc} (${FD_LEN[f.dlc]} bytes) with ${n} data bytes`);
  else invariant(n === Math.min(f.dlc, 8), `${what}: classic dlc ${f.dlc} with ${n} data bytes`);
}

// Raw CAN frames as ROS messages and back (pure):
//   classic (and error, remote) frames  ⇄ can_msgs/msg/Frame (data always 8 bytes, dlc = length)
//   CAN FD frames                       ⇄ ros2_socketcan_msgs/msg/FdFrame (len + up to 64 bytes)
// FdFrame is ros2_socketcan's type: its receiver publishes it and its sender takes it, so a bag
// of vil's FD topic drives ros2_socketcan's sender and the other way round. It has no BRS/ESI
// flags; the socketcan addon cannot report them on receipt anyway (socketcan_source.ts).
// The *Writer classes fill one reusable message per bus: publish() serialises synchronously, so
// nothing is allocated per frame.
import type { Time } from '../runtime/ros.js';
import type { CanFrame } from './socketcan_source.js';

/** can_msgs/msg/Frame */
export interface CanMsgsFrame {
  header: { stamp: Time; frame_id: string };
  id: number;
  is_rtr: boolean;
  is_extended: boolean;
  is_error: boolean;
  dlc: number;
  /** uint8[8] */
  data: Uint8Array;
}

/** ros2_socketcan_msgs/msg/FdFrame */
export interface FdFrameMsg {
  header: { stamp: Time; frame_id: string };
  id: number;
  is_extended: boolean;
  is_error: boolean;
  len: number;
  /** uint8[<=64] */
  data: Uint8Array;
}

export const CAN_FRAME_TYPE = 'can_msgs/msg/Frame';
export const FD_FRAME_TYPE = 'ros2_socketcan_msgs/msg/FdFrame';

const LEN_TO_DLC = (len: number): number =>
  len <= 8 ? len : len <= 12 ? 9 : len <= 16 ? 10 : len <= 20 ? 11 : len <= 24 ? 12 : len <= 32 ? 13 : len <= 48 ? 14 : 15;

/** Fills a reusable can_msgs/Frame; header.frame_id is the interface. */
export class ClassicFrameWriter {
  readonly message: CanMsgsFrame;

  constructor(frameId: string) {
    this.message = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId }, id: 0, is_rtr: false, is_extended: false, is_error: false, dlc: 0, data: new Uint8Array(8) };
  }

  fill(f: CanFrame): CanMsgsFrame {
    const m = this.message;
    m.header.stamp = f.stamp;
    m.id = f.id >>> 0;
    m.is_rtr = f.rtr;
    m.is_extended = f.extended;
    m.is_error = f.error;
    const n = f.data.length < 8 ? f.data.length : 8;
    m.dlc = f.rtr ? f.dlc : f.error ? 8 : f.dlc <= 8 ? n : f.dlc; // a raw DLC 9..15 (len8_dlc) is kept
    const d = m.data;
    d.set(n === f.data.length ? f.data : f.data.subarray(0, n));
    d.fill(0, n);
    return m;
  }
}

/** Fills a reusable FdFrame around the frame's own payload (no copy). */
export class FdFrameWriter {
  readonly message: FdFrameMsg;

  constructor(frameId: string) {
    this.message = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId }, id: 0, is_extended: false, is_error: false, len: 0, data: new Uint8Array(0) };
  }

  fill(f: CanFrame): FdFrameMsg {
    const m = this.message;
    m.header.stamp = f.stamp;
    m.id = f.id >>> 0;
    m.is_extended = f.extended;
    m.is_error = f.error;
    m.len = f.data.length;
    m.data = f.data;
    return m;
  }
}

/** A received can_msgs/Frame as a CanFrame (its payload is the first dlc bytes). */
export function frameFromClassic(m: CanMsgsFrame): CanFrame {
  const len = m.is_rtr ? 0 : m.is_error ? 8 : Math.min(m.dlc, 8);
  return {
    id: m.id,
    extended: m.is_extended,
    rtr: m.is_rtr,
    error: m.is_error,
    fd: false,
    brs: false,
    esi: false,
    dlc: m.dlc,
    data: m.data.subarray(0, Math.min(len, m.data.length)),
    stamp: m.header.stamp,
  };
}

/** A received FdFrame as a CanFrame. */
export function frameFromFd(m: FdFrameMsg): CanFrame {
  const data = m.data.length > m.len ? m.data.subarray(0, m.len) : m.data;
  return { id: m.id, extended: m.is_extended, rtr: false, error: m.is_error, fd: true, brs: false, esi: false, dlc: LEN_TO_DLC(data.length), data, stamp: m.header.stamp };
}

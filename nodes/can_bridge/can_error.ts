// SocketCAN error frames (linux/can/error.h) decoded into what a bridge reports: the controller's
// bus state, its error counters and whether it lost received frames. Pure: no I/O.
//
// An error frame is a classic frame with CAN_ERR_FLAG in can_id; the rest of can_id is a mask of
// error classes and the 8 data bytes carry the details of some classes.
import { CAN_ERR_FLAG, CAN_ERR_MASK } from '../buslog/can_id.js';

/** Error classes: bits of can_id (the part under CAN_ERR_MASK). */
export const CAN_ERR_TX_TIMEOUT = 0x001; // TX timeout (by netdevice driver)
export const CAN_ERR_LOSTARB = 0x002; // lost arbitration / data[0]
export const CAN_ERR_CRTL = 0x004; // controller problems / data[1]
export const CAN_ERR_PROT = 0x008; // protocol violations / data[2..3]
export const CAN_ERR_TRX = 0x010; // transceiver status / data[4]
export const CAN_ERR_ACK = 0x020; // received no ACK on transmission
export const CAN_ERR_BUSOFF = 0x040; // bus off
export const CAN_ERR_BUSERROR = 0x080; // bus error (may flood!)
export const CAN_ERR_RESTARTED = 0x100; // controller restarted
export const CAN_ERR_CNT = 0x200; // TX error counter / data[6], RX error counter / data[7]

/** Controller status, data[1] of a CAN_ERR_CRTL frame. */
export const CAN_ERR_CRTL_RX_OVERFLOW = 0x01;
export const CAN_ERR_CRTL_TX_OVERFLOW = 0x02;
export const CAN_ERR_CRTL_RX_WARNING = 0x04;
export const CAN_ERR_CRTL_TX_WARNING = 0x08;
export const CAN_ERR_CRTL_RX_PASSIVE = 0x10;
export const CAN_ERR_CRTL_TX_PASSIVE = 0x20;
export const CAN_ERR_CRTL_ACTIVE = 0x40; // recovered to error active state

/** Error counter thresholds of the CAN protocol (error.h "CAN state thresholds"). */
export const CAN_ERROR_WARNING_THRESHOLD = 96;
export const CAN_ERROR_PASSIVE_THRESHOLD = 128;
export const CAN_BUS_OFF_THRESHOLD = 256;

export { CAN_ERR_FLAG, CAN_ERR_MASK };

export type BusState = 'error-active' | 'error-warning' | 'error-passive' | 'bus-off' | 'unknown';

export interface CanErrorInfo {
  /** The class mask (can_id & CAN_ERR_MASK). */
  classes: number;
  /** The bus state this frame announces; undefined when it says nothing about the state. */
  busState: BusState | undefined;
  /** The controller's receive buffer overflowed: frames were lost before they reached the kernel. */
  rxOverflow: boolean;
  txOverflow: boolean;
  /** Error counters (data[6], data[7]) when the frame carries them (CAN_ERR_CNT or non-zero). */
  txErrors: number | undefined;
  rxErrors: number | undefined;
}

/** The state the protocol assigns to a pair of error counters. */
export function stateFromCounters(txErrors: number, rxErrors: number): BusState {
  const worst = Math.max(txErrors, rxErrors);
  if (txErrors >= CAN_BUS_OFF_THRESHOLD) return 'bus-off';
  if (worst >= CAN_ERROR_PASSIVE_THRESHOLD) return 'error-passive';
  if (worst >= CAN_ERROR_WARNING_THRESHOLD) return 'error-warning';
  return 'error-active';
}

/**
 * Decodes one error frame. `classes` is the can_id without its flags (the socketcan addon hands
 * it over that way); `data` its 8 data bytes (shorter arrays read as zero-filled).
 * The state it announces, most severe first: CAN_ERR_BUSOFF; CAN_ERR_CRTL's passive, then
 * warning bits; CAN_ERR_CRTL_ACTIVE or CAN_ERR_RESTARTED (a restarted controller is error
 * active); and, only when the frame has none of those but carries counters (CAN_ERR_CNT),
 * the state of those counters.
 */
export function decodeCanError(classes: number, data: Uint8Array): CanErrorInfo {
  const cls = classes & CAN_ERR_MASK;
  const ctrl = cls & CAN_ERR_CRTL ? (data[1] ?? 0) : 0;
  const d6 = data[6] ?? 0;
  const d7 = data[7] ?? 0;
  // Drivers before CAN_ERR_CNT existed already filled data[6..7] on controller frames; can-utils
  // shows them whenever they are non-zero, and so do we.
  const hasCounters = (cls & CAN_ERR_CNT) !== 0 || d6 !== 0 || d7 !== 0;
  let busState: BusState | undefined;
  if (cls & CAN_ERR_BUSOFF) busState = 'bus-off';
  else if (ctrl & (CAN_ERR_CRTL_TX_PASSIVE | CAN_ERR_CRTL_RX_PASSIVE)) busState = 'error-passive';
  else if (ctrl & (CAN_ERR_CRTL_TX_WARNING | CAN_ERR_CRTL_RX_WARNING)) busState = 'error-warning';
  else if (ctrl & CAN_ERR_CRTL_ACTIVE || cls & CAN_ERR_RESTARTED) busState = 'error-active';
  else if (cls & CAN_ERR_CNT) busState = stateFromCounters(d6, d7);
  return {
    classes: cls,
    busState,
    rxOverflow: (ctrl & CAN_ERR_CRTL_RX_OVERFLOW) !== 0,
    txOverflow: (ctrl & CAN_ERR_CRTL_TX_OVERFLOW) !== 0,
    txErrors: hasCounters ? d6 : undefined,
    rxErrors: hasCounters ? d7 : undefined,
  };
}

const CLASS_NAMES: [number, string][] = [
  [CAN_ERR_TX_TIMEOUT, 'tx-timeout'],
  [CAN_ERR_LOSTARB, 'lost-arbitration'],
  [CAN_ERR_CRTL, 'controller'],
  [CAN_ERR_PROT, 'protocol-violation'],
  [CAN_ERR_TRX, 'transceiver'],
  [CAN_ERR_ACK, 'no-ack'],
  [CAN_ERR_BUSOFF, 'bus-off'],
  [CAN_ERR_BUSERROR, 'bus-error'],
  [CAN_ERR_RESTARTED, 'restarted'],
  [CAN_ERR_CNT, 'counters'],
];

const CTRL_NAMES: [number, string][] = [
  [CAN_ERR_CRTL_RX_OVERFLOW, 'rx-overflow'],
  [CAN_ERR_CRTL_TX_OVERFLOW, 'tx-overflow'],
  [CAN_ERR_CRTL_RX_WARNING, 'rx-warning'],
  [CAN_ERR_CRTL_TX_WARNING, 'tx-warning'],
  [CAN_ERR_CRTL_RX_PASSIVE, 'rx-passive'],
  [CAN_ERR_CRTL_TX_PASSIVE, 'tx-passive'],
  [CAN_ERR_CRTL_ACTIVE, 'active'],
];

/** One line for logs and state reasons, e.g. "controller{tx-passive} counters tx=130 rx=0". */
export function describeCanError(classes: number, data: Uint8Array): string {
  const info = decodeCanError(classes, data);
  const parts: string[] = [];
  for (const [bit, name] of CLASS_NAMES) {
    if (!(info.classes & bit) || bit === CAN_ERR_CNT) continue;
    if (bit === CAN_ERR_CRTL) {
      const c = data[1] ?? 0;
      parts.push(`controller{${CTRL_NAMES.filter(([b]) => c & b).map(([, n]) => n).join(',') || 'unspecified'}}`);
    } else parts.push(name);
  }
  if (info.txErrors !== undefined) parts.push(`counters tx=${info.txErrors} rx=${info.rxErrors}`);
  return parts.join(' ') || 'error frame without class';
}

/**
 * Follows the bus state through a stream of error frames. `update` returns the new state when a
 * frame changes it, else undefined. Starts (and `reset`s, e.g. when the socket is reopened) in
 * 'unknown': SocketCAN reports state transitions, not the state itself.
 */
export class BusStateTracker {
  private current: BusState = 'unknown';

  get state(): BusState {
    return this.current;
  }

  update(info: CanErrorInfo): BusState | undefined {
    if (info.busState === undefined || info.busState === this.current) return undefined;
    this.current = info.busState;
    return this.current;
  }

  reset(): void {
    this.current = 'unknown';
  }
}

// The demo's radar bus, GENERATED (the real drive has no radar): a Delphi ESR (opendbc ESR.dbc)
// encoded with vil's own DBC encoder from a scripted scene: per 50 ms scan one ESR_Status header
// (scan index) and the 64 track frames Target1..Target64, with three tracked road users (a car
// ahead, oncoming traffic in the left lane, a pedestrian crossing); the other slots report "no
// target". The scene script is the ground truth the demo checks every published object list
// against (demo_checks.ts). Pure: parameters in, candump frames out (time-ordered).
import type { CanDatabase, EncodeValue } from '../dbc/codec.js';
import type { CandumpFrame } from '../buslog/candump.js';

/** One track of the scene in a scan, in the radar's terms (ESR: angle positive to the left). */
export interface Track {
  slot: number; // 1..64
  status: number;
  range: number;
  angleDeg: number;
  rangeRate: number;
  width: number;
}

const NS_PER_S = 1e9;

/** Three scripted road users seen by the ego car's forward radar, t seconds after the radar's start. */
export function sceneTracks(t: number): Track[] {
  const tracks: Track[] = [];
  // A car ahead in the same lane, creeping forward and back in the queue (range 18..26 m).
  const rAhead = 22 + 4 * Math.sin((2 * Math.PI * t) / 16);
  tracks.push({ slot: 1, status: t < 0.1 ? 1 : 3, range: rAhead, angleDeg: 0.5, rangeRate: ((2 * Math.PI * 4) / 16) * Math.cos((2 * Math.PI * t) / 16), width: 1.8 });
  // Oncoming traffic in the left lane (3.5 m to the left), 12 m/s, a new vehicle every 10 s.
  const tc = t % 10;
  const x = 110 - 12 * tc;
  if (x > 4) {
    const range = Math.hypot(x, 3.5);
    // ESR angle as the shipped config/can_bridge.yaml reads it (angle_sign: 1): positive to the
    // left, so the left lane is positive and rviz shows the scene as described here.
    tracks.push({ slot: 2, status: tc < 0.1 ? 1 : 3, range, angleDeg: (Math.atan2(3.5, x) * 180) / Math.PI, rangeRate: (-12 * x) / range, width: 2.0 });
  }
  // A pedestrian crossing 12 m ahead, right to left at 1.4 m/s, every 14 s.
  const tp = t % 14;
  const y = -7 + 1.4 * tp;
  if (y < 7) {
    const range = Math.hypot(12, y);
    tracks.push({ slot: 3, status: tp < 0.1 ? 1 : 3, range, angleDeg: (Math.atan2(y, 12) * 180) / Math.PI, rangeRate: (1.4 * y) / range, width: 0.5 });
  }
  return tracks;
}

function codec(db: CanDatabase, name: string) {
  const c = db.byName(name);
  if (!c) throw new Error(`demo drive: message ${name} not in the DBC`);
  return c;
}

/**
 * The demo's radar bus: every 50 ms (scan k at k·50 ms + 0.5 ms after `startNs`) one ESR_Status
 * header with scan index k, then the 64 track frames Target1..Target64 100 µs apart, carrying the
 * scene's tracks (sceneTracks) at the DBC's resolution; slots without a track report "no target".
 * Only whole scans that end before `durationS`. `egoSpeed(t)` fills the header's vehicle speed.
 */
export function radarScanFrames(o: { radar: CanDatabase; startNs: bigint; durationS: number; iface: string; egoSpeed?: (t: number) => number }): CandumpFrame[] {
  const out: CandumpFrame[] = [];
  // Times in whole microseconds (what a candump log holds), never before startNs.
  const at = (t: number) => {
    const us = (o.startNs + BigInt(Math.round(t * NS_PER_S)) + 999n) / 1000n;
    return { sec: Number(us / 1_000_000n), nanosec: Number(us % 1_000_000n) * 1000 };
  };
  const enc = (name: string, values: Record<string, EncodeValue>) => {
    const c = codec(o.radar, name);
    // Signals the scene does not drive (fault bits, counters of other ECUs) are sent as 0.
    const all: Record<string, EncodeValue> = {};
    for (const s of c.signalNames) all[s] = values[s] ?? 0;
    return { id: c.id, data: c.encode(all, { strict: false }) };
  };
  const frame = (t: number, m: { id: number; data: Uint8Array }): CandumpFrame => ({ time: at(t), iface: o.iface, id: m.id, extended: m.id > 0x7ff, fd: false, brs: false, esi: false, rtr: false, error: false, data: m.data, dlc: m.data.length });
  for (let scan = 0; scan * SCAN_S + SCAN_SPAN_S < o.durationS; scan++) {
    const t = scanTime(scan);
    const v = Math.max(0, o.egoSpeed?.(t) ?? 0);
    out.push(
      frame(
        t,
        enc('ESR_Status', {
          CAN_TX_SCAN_INDEX: scan & 0xffff,
          CAN_TX_ROLLING_COUNT_1: scan & 3,
          CAN_TX_VEHICLE_SPEED_CALC: Number.isFinite(v) ? v : 0,
          CAN_TX_YAW_RATE_CALC: 0,
          CAN_TX_DSP_TIMESTAMP: (scan * 50) % 256 & ~1,
        }),
      ),
    );
    const tracks = new Map(sceneTracks(t).map((tr) => [tr.slot, tr]));
    for (let slot = 1; slot <= 64; slot++) {
      const tr = tracks.get(slot);
      const m = enc(`Target${slot}`, {
        CAN_TX_TRACK_STATUS: tr?.status ?? 0,
        CAN_TX_TRACK_RANGE: tr ? tr.range : 0,
        CAN_TX_TRACK_ANGLE: tr ? tr.angleDeg : 0,
        CAN_TX_TRACK_RANGE_RATE: tr ? tr.rangeRate : 0,
        CAN_TX_TRACK_WIDTH: tr ? tr.width : 0,
        CAN_TX_TRACK_ROLLING_COUNT: scan & 1,
        CAN_TX_TRACK_ONCOMING: tr?.slot === 2 ? 1 : 0,
      });
      out.push(frame(t + slot * TRACK_GAP_S, m));
    }
  }
  return out;
}

/** Scan period of the ESR [s]. */
export const SCAN_S = 0.05;
/** Gap between a scan's frames [s]. */
const TRACK_GAP_S = 0.0001;
/** From a scan's header to its last track frame [s]. */
const SCAN_SPAN_S = 0.0005 + 64 * TRACK_GAP_S;

/** Scene time of scan k (its header frame) [s after the radar's start]. */
export function scanTime(scan: number): number {
  return scan * SCAN_S + 0.0005;
}

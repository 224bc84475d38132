// The demo's CAN traffic, GENERATED (no licensed real CAN log was available): frames of the
// bundled DBCs encoded with vil's own encoder along the bundled receiver log's trajectory.
//   can0: the Toyota powertrain bus (opendbc toyota_new_mc_pt_generated.dbc): speed, wheel speeds,
//         yaw rate and accelerations, steering angle, gear — consistent with the receiver's speed.
//   can1: a Delphi ESR radar (opendbc ESR.dbc): per 50 ms scan one ESR_Status header (scan index)
//         and the 64 track frames Target1..Target64, with three tracked road users in a scripted
//         scene (a car ahead, oncoming traffic in the left lane, a pedestrian crossing); the other
//         slots report "no target".
// Pure: parameters in, candump frames out (time-ordered).
import type { CanDatabase, EncodeValue } from '../dbc/codec.js';
import type { CandumpFrame } from '../buslog/candump.js';
import { NmeaDecoder } from '../rtk_serial/nmea_decoder.js';

export interface DemoDriveInput {
  powertrain: CanDatabase;
  radar: CanDatabase;
  /** Start of the drive, seconds since the epoch (the candump stamps). */
  startSec: number;
  durationSec: number;
  /** Ego speed over ground [m/s] at time t since start (from the receiver log). */
  egoSpeed(t: number): number;
}

interface Track {
  slot: number; // 1..64
  status: number;
  range: number;
  angleDeg: number;
  rangeRate: number;
  width: number;
}

const NS_PER_S = 1e9;

/** Three scripted road users seen by a forward radar on a car waiting at a junction. */
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

function frame(iface: string, tNs: number, id: number, data: Uint8Array): CandumpFrame {
  const sec = Math.floor(tNs / NS_PER_S);
  return { time: { sec, nanosec: Math.round(tNs - sec * NS_PER_S) }, iface, id, extended: id > 0x7ff, fd: false, brs: false, esi: false, rtr: false, error: false, data, dlc: data.length };
}

function codec(db: CanDatabase, name: string) {
  const c = db.byName(name);
  if (!c) throw new Error(`demo drive: message ${name} not in the DBC`);
  return c;
}

export function generateDemoDrive(input: DemoDriveInput): CandumpFrame[] {
  const out: CandumpFrame[] = [];
  const t0 = input.startSec * NS_PER_S;
  const enc = (db: CanDatabase, name: string, values: Record<string, EncodeValue>) => {
    const c = codec(db, name);
    // Signals the scene does not drive (fault bits, counters of other ECUs) are sent as 0.
    const all: Record<string, EncodeValue> = {};
    for (const s of c.signalNames) all[s] = values[s] ?? 0;
    return { id: c.id, data: c.encode(all, { strict: false }) };
  };

  // Powertrain at 50 Hz (gear at 5 Hz), staggered by 1 ms per message as real ECUs send.
  for (let k = 0; k * 0.02 < input.durationSec; k++) {
    const t = k * 0.02;
    const v = Math.max(0, input.egoSpeed(t));
    const kmh = v * 3.6;
    const msgs = [
      enc(input.powertrain, 'SPEED', { SPEED: kmh, ENCODER: k & 0xff, CHECKSUM: 0 }),
      enc(input.powertrain, 'WHEEL_SPEEDS', { WHEEL_SPEED_FL: kmh, WHEEL_SPEED_FR: kmh, WHEEL_SPEED_RL: kmh, WHEEL_SPEED_RR: kmh }),
      enc(input.powertrain, 'KINEMATICS', { YAW_RATE: 0, ACCEL_X: 0, ACCEL_Y: 0 }),
      enc(input.powertrain, 'STEER_ANGLE_SENSOR', { STEER_ANGLE: 0, STEER_FRACTION: 0, STEER_RATE: 0 }),
    ];
    if (k % 10 === 0) msgs.push(enc(input.powertrain, 'GEAR_PACKET', { GEAR: 'D' }));
    msgs.forEach((m, i) => out.push(frame('can0', t0 + (t + i * 0.001) * NS_PER_S, m.id, m.data)));
  }

  // Radar: a scan every 50 ms: header, then the 64 track slots 100 µs apart.
  for (let scan = 0; scan * 0.05 < input.durationSec; scan++) {
    const t = scan * 0.05 + 0.0005;
    const v = Math.max(0, input.egoSpeed(t));
    const header = enc(input.radar, 'ESR_Status', {
      CAN_TX_SCAN_INDEX: scan & 0xffff,
      CAN_TX_ROLLING_COUNT_1: scan & 3,
      CAN_TX_VEHICLE_SPEED_CALC: v,
      CAN_TX_YAW_RATE_CALC: 0,
      CAN_TX_DSP_TIMESTAMP: (scan * 50) % 256 & ~1,
    });
    out.push(frame('can1', t0 + t * NS_PER_S, header.id, header.data));
    const tracks = new Map(sceneTracks(t).map((tr) => [tr.slot, tr]));
    for (let slot = 1; slot <= 64; slot++) {
      const tr = tracks.get(slot);
      const m = enc(input.radar, `Target${slot}`, {
        CAN_TX_TRACK_STATUS: tr?.status ?? 0,
        CAN_TX_TRACK_RANGE: tr ? Math.round(tr.range * 10) / 10 : 0,
        CAN_TX_TRACK_ANGLE: tr ? Math.round(tr.angleDeg * 10) / 10 : 0,
        CAN_TX_TRACK_RANGE_RATE: tr ? Math.round(tr.rangeRate * 100) / 100 : 0,
        CAN_TX_TRACK_WIDTH: tr ? Math.round(tr.width * 2) / 2 : 0,
        CAN_TX_TRACK_ROLLING_COUNT: scan & 1,
        CAN_TX_TRACK_ONCOMING: tr?.slot === 2 ? 1 : 0,
      });
      out.push(frame('can1', t0 + (t + slot * 0.0001) * NS_PER_S, m.id, m.data));
    }
  }
  out.sort((a, b) => a.time.sec - b.time.sec || a.time.nanosec - b.time.nanosec);
  return out;
}

/** A receiver log as epochs (a u-blox epoch starts with RMC), CR LF line endings as on the wire. */
export function nmeaEpochs(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('$')) continue;
    if (line.slice(3, 6) === 'RMC' || out.length === 0) out.push('');
    out[out.length - 1] += `${line}\r\n`;
  }
  return out;
}

/** Speed over ground [m/s] per epoch, decoded from the log with vil's own decoder. */
export function speedsOf(epochs: readonly string[]): number[] {
  const speeds: number[] = [];
  const decoder = new NmeaDecoder(
    { frameId: 'gnss', stamp: 'receive' },
    { fix: () => undefined, heading: () => undefined, status: () => undefined, velocity: (m) => speeds.push(Math.hypot(m.twist.twist.linear.x, m.twist.twist.linear.y)) },
  );
  for (const e of epochs) for (const s of e.split('\r\n')) if (s) decoder.push(s, { sec: 0, nanosec: 0 });
  decoder.flush();
  return speeds;
}

/** The demo's CAN drive along a receiver log: the ego speed of each second from that log. */
export function demoDriveFromLog(o: { powertrain: CanDatabase; radar: CanDatabase; epochs: readonly string[]; startSec: number; durationSec: number }): CandumpFrame[] {
  const speeds = speedsOf(o.epochs);
  return generateDemoDrive({
    powertrain: o.powertrain,
    radar: o.radar,
    startSec: o.startSec,
    durationSec: o.durationSec,
    egoSpeed: (t) => speeds[Math.min(speeds.length - 1, Math.floor(t))] ?? 0,
  });
}

// DBC decode throughput on a real powertrain database (commaai/opendbc
// toyota_new_mc_pt_generated.dbc) with the frame mix a Toyota bus really carries: the chassis
// messages at their usual rates (wheel speeds, steering angle and yaw at ~80 Hz, torque/EPS at
// 50 Hz, speed, brake, gas, cruise at 33..40 Hz, engine rpm, gear at a few Hz). Frames are built
// with the encoder from plausible, varying values (a drive at 30..70 km/h with steering).
// Measured: id lookup + decodeInto into one database-wide Float64Array (no allocation), on one
// core. Target: >= 2M frames/s.
//   VIL_BENCH_SECONDS (default 2 per case)
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDbcFile } from '../../nodes/dbc/load.js';
import type { CanDatabase, EncodeValue } from '../../nodes/dbc/codec.js';

// Compiled to dist/test/bench/; the fixtures stay in the source tree.
const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(`${join('dist', 'test')}`) ? join(here, '../../..') : join(here, '../..');
const DBC = join(root, 'test/fixtures/dbc/toyota_new_mc_pt_generated.dbc');

interface Frame {
  id: number;
  extended: boolean;
  data: Uint8Array;
}

/** Message name, rate in Hz, values at drive time t (s). */
const MIX: [string, number, (t: number) => Record<string, EncodeValue>][] = [
  ['WHEEL_SPEEDS', 80, (t) => {
    const v = 50 + 20 * Math.sin(t / 7);
    return { WHEEL_SPEED_FR: v + 0.3, WHEEL_SPEED_FL: v - 0.3, WHEEL_SPEED_RR: v + 0.1, WHEEL_SPEED_RL: v - 0.1, WHEEL_SPEED_FR_FAULT: 0, WHEEL_SPEED_FL_FAULT: 0, WHEEL_SPEED_RR_FAULT: 0, WHEEL_SPEED_RL_FAULT: 0 };
  }],
  ['STEER_ANGLE_SENSOR', 80, (t) => ({ STEER_ANGLE: 30 * Math.sin(t / 3), STEER_FRACTION: 0.3, STEER_RATE: Math.round(10 * Math.cos(t / 3)) })],
  ['KINEMATICS', 80, (t) => ({ YAW_RATE: 5 * Math.sin(t / 3), ACCEL_X: 0.5 * Math.cos(t / 7), ACCEL_Y: 1.5 * Math.sin(t / 3) })],
  ['STEER_TORQUE_SENSOR', 50, (t) => ({ STEER_TORQUE_EPS: Math.round(300 * Math.sin(t)), STEER_TORQUE_DRIVER: Math.round(80 * Math.sin(t / 3)), STEER_ANGLE: 30 * Math.sin(t / 3), STEER_ANGLE_INITIALIZING: 0, STEER_OVERRIDE: 0, CHECKSUM: Math.floor(t * 50) & 255 })],
  ['EPS_STATUS', 50, (t) => ({ IPAS_STATE: 1, LKA_STATE: 5, TYPE: 0, CHECKSUM: Math.floor(t * 50) & 255 })],
  ['SPEED', 40, (t) => ({ ENCODER: Math.floor(t * 40) & 255, SPEED: 50 + 20 * Math.sin(t / 7), CHECKSUM: Math.floor(t * 40) & 255 })],
  ['BRAKE_MODULE', 40, (t) => ({ BRAKE_PRESSURE: Math.sin(t / 5) > 0.8 ? 400 : 0, BRAKE_PRESSED: Math.sin(t / 5) > 0.8 ? 1 : 0 })],
  ['GAS_PEDAL', 33, (t) => ({ GAS_RELEASED: 0, ETQLVSC: 40, ETQREAL: 38.5, ETQISC: -10, GAS_PEDAL: Math.round(40 + 20 * Math.sin(t)), CHECKSUM: Math.floor(t * 33) & 255 })],
  ['PCM_CRUISE', 33, (t) => ({ GAS_RELEASED: 0, CRUISE_ACTIVE: 1, ACC_BRAKING: 0, ACCEL_NET: 0.25 * Math.sin(t), NEUTRAL_FORCE: -200, CRUISE_STATE: 8, CANCEL_REQ: 0, CHECKSUM: Math.floor(t * 33) & 255 })],
  ['PCM_CRUISE_2', 33, () => ({ BRAKE_PRESSED: 0, PCM_FOLLOW_DISTANCE: 2, LOW_SPEED_LOCKOUT: 1, MAIN_ON: 1, SET_SPEED: 60, ACC_FAULTED: 0, CHECKSUM: 0x5a })],
  ['ENGINE_RPM', 20, (t) => ({ RPM: Math.round((1800 + 400 * Math.sin(t)) / 0.78125) * 0.78125, ENGINE_RUNNING: 1 })],
  ['GEAR_PACKET', 5, () => ({ SPORT_ON: 0, GEAR: 'D', SPORT_GEAR_ON: 'off', SPORT_GEAR: 0, ECON_ON: 0, B_GEAR_ENGAGED: 0, DRIVE_ENGAGED: 1 })],
];

/** One second of bus traffic after another, interleaved by time, until `count` frames. */
function buildFrames(db: CanDatabase, count: number): Frame[] {
  const events: { t: number; name: string; values: (t: number) => Record<string, EncodeValue> }[] = [];
  const seconds = Math.ceil(count / MIX.reduce((n, m) => n + m[1], 0)) + 1;
  for (const [name, hz, values] of MIX) for (let k = 0; k < seconds * hz; k++) events.push({ t: k / hz + name.length * 1e-4, name, values });
  events.sort((a, b) => a.t - b.t);
  return events.slice(0, count).map((e) => {
    const codec = db.byName(e.name);
    if (!codec) throw new Error(`no message ${e.name} in the DBC`);
    return { id: codec.id, extended: codec.extended, data: codec.encode(e.values(e.t), { strict: false }) };
  });
}

function measure(db: CanDatabase, frames: Frame[], seconds: number, interpreted: boolean): { rate: number; signals: number } {
  const out = new Float64Array(db.signalCount);
  let signals = 0;
  for (const f of frames) signals += db.lookup(f.id, f.extended)!.signalNames.length;
  let sink = 0;
  const pass = (): void => {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const c = db.lookup(f.id, f.extended)!;
      sink += interpreted ? c.decodeIntoInterpreted(f.data, out, c.base) : c.decodeInto(f.data, out, c.base);
    }
  };
  for (let i = 0; i < 200; i++) pass(); // JIT warm-up
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let passes = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 20; i++) pass();
    passes += 20;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  if (sink !== 0) throw new Error(`decode reported status ${sink}: the frame mix is not what the DBC expects`);
  // The figures count only if the output is right: the shared array holds each message's last frame.
  const last = new Map<string, Frame>();
  for (const f of frames) last.set(`${f.extended}:${f.id}`, f);
  for (const f of last.values()) {
    const c = db.lookup(f.id, f.extended)!;
    const want = c.decode(f.data).signals;
    c.signalNames.forEach((name, i) => {
      if (!Object.is(out[c.base + i], want[name])) throw new Error(`${c.name}.${name}: ${out[c.base + i]} != ${want[name]}`);
    });
  }
  const s = Number(elapsed) / 1e9;
  return { rate: (passes * frames.length) / s, signals: (passes * signals) / s };
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.VIL_BENCH_SECONDS ?? 2);
  const db = loadDbcFile(DBC);
  const frames = buildFrames(db, 4096);
  const perFrame = frames.reduce((n, f) => n + db.lookup(f.id, f.extended)!.signalNames.length, 0) / frames.length;
  console.log(`dbc mix: ${frames.length} frames of ${MIX.length} Toyota messages, ${perFrame.toFixed(1)} signals/frame on average`);
  const fast = measure(db, frames, seconds, false);
  console.log(`dbc decodeInto (generated), toyota mix: ${Math.round(fast.rate).toLocaleString('en')} frames/s (target >= 2,000,000)`);
  console.log(`dbc decodeInto (generated), toyota mix: ${(1e9 / fast.rate).toFixed(1)} ns/frame`);
  console.log(`dbc decodeInto (generated), toyota mix: ${Math.round(fast.signals).toLocaleString('en')} signals/s`);
  const slow = measure(db, frames, seconds, true);
  console.log(`dbc decodeInto (interpreted fallback), toyota mix: ${Math.round(slow.rate).toLocaleString('en')} frames/s`);
  console.log(`dbc decodeInto (interpreted fallback), toyota mix: ${(1e9 / slow.rate).toFixed(1)} ns/frame`);
  // The convenience decode (objects per frame) for the CLI and tests, for scale.
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (process.hrtime.bigint() - t0 < BigInt(Math.round(seconds * 1e9 / 2))) {
    for (const f of frames) db.lookup(f.id, f.extended)!.decode(f.data);
    n += frames.length;
  }
  const conv = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  console.log(`dbc decode() → {signals, labels} objects, toyota mix: ${Math.round(conv).toLocaleString('en')} frames/s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();

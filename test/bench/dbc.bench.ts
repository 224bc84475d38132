// DBC decoding end to end: frame → message lookup by id → every signal's physical value under its
// name, each value read back (for…in over the object) into a checksum (so nothing is optimised
// away), on one core.
// Inputs:
// - Toyota: commaai/opendbc toyota_new_mc_pt_generated.dbc with the frame mix a Toyota powertrain bus
//   carries (wheel speeds, steering, yaw at ~80 Hz, torque/EPS 50 Hz, speed, brake, gas, cruise
//   33..40 Hz, rpm 20 Hz, gear 5 Hz): 60 s of traffic whose payloads vil's encoder builds from a
//   plausible drive (no real Toyota recording is at hand);
// - three real CANedge recordings (CSS-Electronics, test/fixtures/buslogs) with their DBCs: every
//   data frame the DBC knows (J1939: by PGN), in recorded order.
// Each input is decoded in passes for VIL_BENCH_SECONDS (default 2); figures are frames/s of wall
// and of CPU time (process.cpuUsage) for:
//   decodeValues, new object    a fresh {signal: value} object per frame (what cantools returns)
//   decodeValues, reused object one object per message, overwritten (allocation-free)
//   DecodedSignals              the message can_bridge publishes: values of the bus array plus labels
//   decode()                    the convenience {signals, labels} of active signals (allocates two objects)
//   decodeInto (best case)      values into one shared Float64Array, nothing read back
// Reference: cantools (Python) `db.decode_message(id, data, decode_choices=False)` on the same
// frames, each value read (sum of the dict's values), timed with time.perf_counter and
// time.process_time, when `python3 -c 'import cantools'` works with VIL_BENCH_PYTHON (default
// python3) and VIL_BENCH_PYTHONPATH; its checksum must equal vil's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDbcFile } from '../../nodes/dbc/load.js';
import { parseCandumpLine } from '../../nodes/buslog/candump.js';
import type { CanDatabase, EncodeValue, MessageCodec, SignalValues } from '../../nodes/dbc/codec.js';
import { DecodedSignalsWriter } from '../../nodes/can_bridge/decoded_signals.js';
import { BENCH_SECONDS, findFixture, n, rates, timePasses } from './timing.js';

interface Frame {
  id: number;
  extended: boolean;
  data: Uint8Array;
}

interface Input {
  name: string;
  dbcPath: string;
  db: CanDatabase;
  frames: Frame[];
  what: string;
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

/** `seconds` of bus traffic, interleaved by time. */
function toyota(seconds: number): Input {
  const dbcPath = findFixture('test/fixtures/dbc/toyota_new_mc_pt_generated.dbc');
  const db = loadDbcFile(dbcPath);
  const events: { t: number; name: string; values: (t: number) => Record<string, EncodeValue> }[] = [];
  for (const [name, hz, values] of MIX) for (let k = 0; k < seconds * hz; k++) events.push({ t: k / hz + name.length * 1e-4, name, values });
  events.sort((a, b) => a.t - b.t);
  const frames = events.map((e) => {
    const codec = db.byName(e.name);
    if (!codec) throw new Error(`no message ${e.name} in the DBC`);
    return { id: codec.id, extended: codec.extended, data: codec.encode(e.values(e.t), { strict: false }) };
  });
  return { name: 'Toyota', dbcPath, db, frames, what: `toyota_new_mc_pt_generated.dbc, ${seconds} s of a ${MIX.length}-message powertrain mix (payloads encoded from a plausible drive)` };
}

/** Every data frame of a recording that the DBC decodes, in recorded order. */
function recording(name: string, candump: string, dbc: string): Input {
  const dbcPath = findFixture(`test/fixtures/buslogs/dbc/${dbc}`);
  const db = loadDbcFile(dbcPath);
  const frames: Frame[] = [];
  let total = 0;
  for (const line of readFileSync(findFixture(`test/fixtures/buslogs/mf4/${candump}`), 'latin1').split('\n')) {
    const f = line ? parseCandumpLine(line) : null;
    if (!f) continue;
    total++;
    if (f.error || f.rtr || f.fd) continue;
    const c = db.lookup(f.id, f.extended);
    if (c && f.data.length >= c.length) frames.push({ id: f.id, extended: f.extended, data: f.data });
  }
  return { name, dbcPath, db, frames, what: `${candump.replace('.candump', '')} with ${dbc}: ${frames.length} of its ${total} frames (those the DBC decodes)` };
}

interface Figures {
  line: string;
  checksum: number;
}

/** Sum of a value, NaN (inactive) counting 0: the same rule as the Python side. */
function measure(inp: Input, label: string, decodePass: () => number): Figures {
  let checksum = 0;
  const r = timePasses(() => {
    checksum = decodePass();
  }, BENCH_SECONDS, 20);
  return { line: `  vil ${label}: ${rates(r.passes * inp.frames.length, r, 'frames')}`, checksum };
}

function codecsOf(inp: Input): MessageCodec[] {
  return inp.frames.map((f) => inp.db.lookup(f.id, f.extended)!);
}

function vilFigures(inp: Input): { lines: string[]; checksum: number } {
  const { db, frames } = inp;
  const lines: string[] = [];
  // The end-to-end figure: a new object per frame, as a caller that keeps them gets.
  const fresh = measure(inp, 'decodeValues, new {signal: value} object per frame, every value read (for…in)', () => {
    let sum = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const c = db.lookup(f.id, f.extended)!;
      const v = c.decodeValues(f.data);
      for (const name in v) {
        const x = v[name];
        if (x === x) sum += x;
      }
    }
    return sum;
  });
  lines.push(fresh.line);
  const reused = new Map<MessageCodec, SignalValues>();
  for (const c of codecsOf(inp)) if (!reused.has(c)) reused.set(c, c.createValues());
  // Per message its object: looked up like the codec (an array index for standard ids would do too).
  const objects = db.messages.map((c) => reused.get(c) ?? c.createValues());
  const indexOf = new Map(db.messages.map((c, i) => [c, i]));
  const slot = codecsOf(inp).map((c) => indexOf.get(c)!);
  const into = measure(inp, 'decodeValues into one reused object per message, every value read (for…in)', () => {
    let sum = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const c = db.lookup(f.id, f.extended)!;
      const v = c.decodeValues(f.data, objects[slot[i]]);
      for (const name in v) {
        const x = v[name];
        if (x === x) sum += x;
      }
    }
    return sum;
  });
  lines.push(into.line);
  // can_bridge's generic output: decodeInto the bus array, then the message's labels.
  const values = new Float64Array(db.signalCount);
  const writers = db.messages.map((c) => new DecodedSignalsWriter(c, values, 'can0'));
  const stamp = { sec: 1, nanosec: 0 };
  const decoded = measure(inp, 'DecodedSignals message as can_bridge fills it (names, values, labels), values and labels read', () => {
    let sum = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const c = db.lookup(f.id, f.extended)!;
      c.decodeInto(f.data, values, c.base);
      const m = writers[slot[i]].fill(stamp, f.id);
      const vs = m.values;
      for (let k = 0; k < vs.length; k++) {
        const x = vs[k];
        if (x === x) sum += x;
        sum += m.labels[k].length;
      }
    }
    return sum;
  });
  lines.push(decoded.line);
  const convenience = measure(inp, 'decode() → {signals, labels} of the active signals, every value read', () => {
    let sum = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const d = db.lookup(f.id, f.extended)!.decode(f.data);
      for (const k in d.signals) {
        const x = d.signals[k];
        if (x === x) sum += x;
      }
    }
    return sum;
  });
  lines.push(convenience.line);
  const best = measure(inp, 'decodeInto one shared Float64Array, nothing read back (best case)', () => {
    let st = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const c = db.lookup(f.id, f.extended)!;
      st |= c.decodeInto(f.data, values, c.base);
    }
    return st;
  });
  lines.push(best.line);
  if (into.checksum !== fresh.checksum || decoded.checksum < fresh.checksum) throw new Error(`${inp.name}: checksums differ between decode paths`);
  return { lines, checksum: fresh.checksum };
}

// The reference, run as its own process: cantools as its users call it.
const CANTOOLS_SCRIPT = `
import sys, time, json
import cantools
dbc, frames_file, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
db = cantools.database.load_file(dbc, strict=False)
frames = []
for line in open(frames_file):
    fid, ext, data = line.split()
    frames.append((int(fid), ext == '1', bytes.fromhex(data)))
decode = db.decode_message
def one_pass():
    s = 0.0
    for fid, ext, data in frames:
        for v in decode(fid, data, decode_choices=False, force_extended_id=ext).values():
            if v == v:
                s += v
    return s
for _ in range(3):
    one_pass()
passes = 0
w0 = time.perf_counter(); c0 = time.process_time()
while True:
    checksum = one_pass()
    passes += 1
    w = time.perf_counter() - w0
    if w >= seconds:
        break
c = time.process_time() - c0
print(json.dumps({"frames": passes * len(frames), "wall": w, "cpu": c, "checksum": checksum, "version": getattr(cantools, '__version__', '(version unknown)')}))
`;

function cantoolsEnv(): { python: string; env: NodeJS.ProcessEnv } {
  const python = process.env.VIL_BENCH_PYTHON ?? 'python3';
  const env = { ...process.env };
  if (process.env.VIL_BENCH_PYTHONPATH) env.PYTHONPATH = process.env.VIL_BENCH_PYTHONPATH;
  return { python, env };
}

function cantoolsImportable(): string | undefined {
  const { python, env } = cantoolsEnv();
  const r = spawnSync(python, ['-c', 'import cantools; print(getattr(cantools, "__version__", "(version unknown)"))'], { env, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function cantoolsFigures(inp: Input, dir: string): { line: string; checksum: number } {
  const { python, env } = cantoolsEnv();
  const framesFile = join(dir, `${inp.name}.frames`);
  // cantools finds a J1939 message by the DBC's id, not by PGN: give it that id.
  writeFileSync(framesFile, inp.frames.map((f) => {
    const c = inp.db.lookup(f.id, f.extended)!;
    return `${c.id} ${c.extended ? 1 : 0} ${Buffer.from(f.data).toString('hex')}\n`;
  }).join(''));
  const r = spawnSync(python, ['-c', CANTOOLS_SCRIPT, inp.dbcPath, framesFile, String(BENCH_SECONDS)], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cantools failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { frames: number; wall: number; cpu: number; checksum: number; version: string };
  return { line: `  cantools ${out.version} decode_message(id, data, decode_choices=False) → dict, every value read (reference): ${rates(out.frames, out, 'frames')}`, checksum: out.checksum };
}

export async function run(): Promise<void> {
  const inputs = [
    toyota(60),
    recording('canmod-gps', 'css_2F6913DB_0004_00000001.MF4.candump', 'canmod-gps.dbc'),
    recording('gnss', 'css_2F6913DB_1089_00000001.MF4.candump', 'gnss.dbc'),
    recording('J1939', 'css_FCBF0606_3482_00000001.MF4.candump', 'CSS-Electronics-SAE-J1939-DEMO.dbc'),
  ];
  const cantools = cantoolsImportable();
  const dir = mkdtempSync(join(tmpdir(), 'vil-bench-dbc-'));
  try {
    for (const inp of inputs) {
      const perFrame = inp.frames.reduce((k, f) => k + inp.db.lookup(f.id, f.extended)!.signalNames.length, 0) / inp.frames.length;
      console.log(`\n${inp.name}: ${inp.what}; ${n(inp.frames.length)} frames, ${perFrame.toFixed(1)} signals/frame`);
      const vil = vilFigures(inp);
      for (const l of vil.lines) console.log(l);
      if (cantools) {
        const ref = cantoolsFigures(inp, dir);
        console.log(ref.line);
        // Same values, same order of frames; the order of signals within a frame may differ: equal to rounding.
        const agree = Math.abs(ref.checksum - vil.checksum) <= 1e-9 * Math.max(1, Math.abs(vil.checksum));
        console.log(`  checksum over one pass: vil ${vil.checksum}, cantools ${ref.checksum}${agree ? ' (equal)' : ' — DIFFERENT'}`);
        if (!agree) throw new Error(`${inp.name}: vil and cantools decoded different values`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!cantools) console.log('\ncantools not importable: set VIL_BENCH_PYTHON / VIL_BENCH_PYTHONPATH so that `python3 -c "import cantools"` works (pip install cantools) to run the reference');
  console.log('\nreproduce: npm run bench dbc   (VIL_BENCH_SECONDS sets the seconds per case, default 2)');
  console.log('  with the reference: VIL_BENCH_PYTHON=/usr/bin/python3 VIL_BENCH_PYTHONPATH=<dir with cantools> npm run bench dbc');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();

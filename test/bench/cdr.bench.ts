// CDR encode and decode per message, nodes/cdr against what the local graph used before
// (@foxglove/rosmsg2-serialization's MessageWriter/MessageReader behind validate.ts's checks).
// Messages as the nodes publish them: a can_msgs/Frame (can_bridge raw), a NavSatFix (gpsd's
// decoding of a real u-blox F9P fix), a 64-track ESR ObjectList (can_bridge assembly) and a
// 64-marker MarkerArray (the markers node's boxes, labels and arrows for that scan).
// Per message, wall ns and CPU ns (process.cpuUsage, user + system) over the same loop:
//   encode, checked   — nodes/cdr encode(): checks fused into the writer, a fresh copy (the local graph)
//   encodeShared      — the same into the reusable buffer, no copy (the rclnodejs publish path)
//   closures          — the fallback without code generation
//   before            — validate (closures) + MessageWriter into a reused buffer + copy
//   decode            — bytes → a fresh message (typed arrays, bigint, {sec, nanosec})
//   VIL_BENCH_SECONDS (default 1 per case)
import { compileCodec, type CdrCodec } from '../../nodes/cdr/codec.js';
import { compileValidator } from '../../nodes/cdr/validate.js';
import { plan } from '../../nodes/cdr/schema.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { MarkerArrayBuilder } from '../../nodes/markers/marker_array.js';
import { ObjectListMarkers } from '../../nodes/markers/object_markers.js';
import type { ObjectListMsg } from '../../nodes/runtime/msg_types.js';
import { foxgloveCodec } from '../cdr/helpers.js';

const SECONDS = Number(process.env.VIL_BENCH_SECONDS ?? 1);
const registry = messageRegistry();
const stamp = { sec: 1555029596, nanosec: 250_000_000 };

function frame(i: number) {
  return { header: { stamp: { sec: stamp.sec, nanosec: i * 1000 }, frame_id: 'can0' }, id: 0x0aa + (i & 7), is_rtr: false, is_extended: false, is_error: false, dlc: 8, data: Uint8Array.of(0x1a, 0x6f, 0x1a, 0x5d, 0x1a, 0x69, 0x1a, i & 255) };
}

// gpsd 3.20's TPV for $GNGGA,003956.00,4552.65403,S,17030.00668,E,1,12,0.64,14.2,M,1.8,M,,*56
function fix(i: number) {
  return {
    header: { stamp: { sec: stamp.sec, nanosec: i * 1000 }, frame_id: 'gnss' },
    status: { status: 0, service: 1 },
    latitude: -45.877567167,
    longitude: 170.500111333,
    altitude: 16.0,
    position_covariance: [147.8656, 0, 0, 0, 147.8656, 0, 0, 0, 364.4281],
    position_covariance_type: 1,
  };
}

/** A full ESR scan as can_bridge assembles it: 64 tracks (as in markers.bench.ts). */
function scan(n: number): ObjectListMsg {
  const objects = [];
  for (let i = 1; i <= 64; i++) {
    const range = Math.round((5 + ((i * 37 + n) % 1900) / 10) * 10) / 10;
    const angle = (Math.round(((i * 13) % 900) - 450) / 10) * (Math.PI / 180);
    const rr = Math.round(((i * 7) % 4000) - 2000) / 100;
    objects.push({
      id: i,
      classification: 0,
      class_label: '',
      position: { x: range * Math.cos(angle), y: range * Math.sin(angle), z: 0 },
      velocity: { x: rr * Math.cos(angle), y: rr * Math.sin(angle), z: 0 },
      acceleration: { x: 0, y: 0, z: 0 },
      size: { x: 0, y: ((i % 15) + 1) * 0.5, z: 0 },
      yaw: Number.NaN,
      existence_probability: Number.NaN,
      status: 3,
      status_label: '',
    });
  }
  return { header: { stamp, frame_id: 'radar_esr' }, source: 'esr', cycle_counter: n, frames_in_cycle: 65, objects };
}

/** The markers node's output for a scan, cut to its first 64 markers (boxes, labels and arrows). */
function markers(n: number): unknown {
  const builder = new MarkerArrayBuilder();
  const m = new ObjectListMarkers({ group: 'esr', lifetimeS: 1, defaultFrame: 'base_link', textHeight: 0.6, arrowSeconds: 1, minArrowSpeed: 0.2, alpha: 0.8, coastedAlpha: 0.3, coastedStatus: new Set([4, 6, 7]), hiddenStatus: new Set() });
  builder.begin();
  m.apply(scan(n), stamp, builder);
  // A deep copy: the builder reuses its objects for the next scan.
  const array = structuredClone(builder.finish()) as { markers: unknown[] };
  array.markers = array.markers.slice(0, 64);
  return array;
}

interface Figure {
  wall: number;
  cpu: number;
}

function measure(fn: (i: number) => void): Figure {
  for (let i = 0; i < 20_000; i++) fn(i); // warm-up: let V8 optimise
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(SECONDS * 1e9));
  let now = t0;
  while (now < end) {
    for (let k = 0; k < 200; k++) fn(n++);
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  return { wall: Number(now - t0) / n, cpu: ((cpu.user + cpu.system) * 1000) / n };
}

function fmt(f: Figure): string {
  const n = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} µs` : `${x.toFixed(0)} ns`);
  return `${n(f.wall).padStart(9)} wall ${n(f.cpu).padStart(9)} CPU`;
}

export async function run(): Promise<void> {
  const cases: [string, string, unknown[]][] = [
    ['can_msgs/Frame', 'can_msgs/msg/Frame', Array.from({ length: 64 }, (_, i) => frame(i))],
    ['NavSatFix', 'sensor_msgs/msg/NavSatFix', Array.from({ length: 64 }, (_, i) => fix(i))],
    ['ObjectList, 64 objects', 'vil/msg/ObjectList', Array.from({ length: 8 }, (_, i) => scan(i))],
    ['MarkerArray, 64 markers', 'visualization_msgs/msg/MarkerArray', Array.from({ length: 8 }, (_, i) => markers(i))],
  ];
  const rows: string[] = [];
  for (const [label, type, msgs] of cases) {
    const codec: CdrCodec = compileCodec(registry, type);
    const closures = compileCodec(registry, type, { codegen: false });
    const validate = compileValidator(plan(registry, type));
    const before = foxgloveCodec(registry, type);
    const k = msgs.length - 1;
    const bytes = msgs.map((m) => codec.encode(m));
    for (let i = 0; i < msgs.length; i++) {
      if (Buffer.compare(bytes[i], before.encode(msgs[i])) !== 0) throw new Error(`${type}: the codecs disagree on message ${i}`);
    }
    const size = bytes[0].length;
    console.log(`\n${label} (${type}, ${size} bytes of CDR)`);
    const enc = measure((i) => codec.encode(msgs[i & k]));
    const shared = measure((i) => codec.encodeShared(msgs[i & k]));
    const encC = measure((i) => closures.encode(msgs[i & k]));
    const encB = measure((i) => {
      validate(msgs[i & k]);
      before.encode(msgs[i & k]);
    });
    const dec = measure((i) => codec.decode(bytes[i & k]));
    const decC = measure((i) => closures.decode(bytes[i & k]));
    const decB = measure((i) => before.decode(bytes[i & k]));
    console.log(`  encode, checked (nodes/cdr)        ${fmt(enc)}`);
    console.log(`  encodeShared (rclnodejs path)      ${fmt(shared)}`);
    console.log(`  encode, closures (no codegen)      ${fmt(encC)}`);
    console.log(`  encode before (validate+foxglove)  ${fmt(encB)}   → ${(encB.cpu / enc.cpu).toFixed(1)}× the CPU of nodes/cdr`);
    console.log(`  decode (nodes/cdr)                 ${fmt(dec)}`);
    console.log(`  decode, closures (no codegen)      ${fmt(decC)}`);
    console.log(`  decode before (foxglove)           ${fmt(decB)}   → ${(decB.cpu / dec.cpu).toFixed(1)}× the CPU of nodes/cdr`);
    rows.push(`| ${label} | ${size} | ${(enc.cpu / 1000).toFixed(2)} | ${(encB.cpu / 1000).toFixed(2)} | ${(dec.cpu / 1000).toFixed(2)} | ${(decB.cpu / 1000).toFixed(2)} |`);
  }
  console.log('\nCPU µs per message (README table):');
  console.log('| message | CDR bytes | encode nodes/cdr | encode before | decode nodes/cdr | decode before |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

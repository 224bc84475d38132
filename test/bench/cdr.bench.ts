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
import { foxgloveCodec } from '../cdr/helpers.js';
import { SAMPLE_CASES, sampleMessages } from './sample_messages.js';

const SECONDS = Number(process.env.VIL_BENCH_SECONDS ?? 1);
const registry = messageRegistry();
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
  const cases = SAMPLE_CASES.map((c): [string, string, unknown[]] => [c.label, c.type, sampleMessages(c.type)]);
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

// The local ROS graph's hot path with sensor_msgs/NavSatFix (gpsd's decoding of a real u-blox
// F9P fix): publish → CDR encode (nodes/cdr, values checked as written) → queue → setImmediate →
// CDR decode → callback.
// Figures: per-stage cost, publish→deliver latency p50/p99 (one message in flight), throughput
// (bursts of 1000), and the same with MCAP recording on (publish must not wait for the disk).
//   VIL_BENCH_SECONDS (default 2 per case)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { codecFor } from '../../nodes/runtime/codecs.js';
import type { Publisher, QosSettings } from '../../nodes/runtime/ros.js';

const SECONDS = Number(process.env.VIL_BENCH_SECONDS ?? 2);
const TYPE = 'sensor_msgs/msg/NavSatFix';

// gpsd 3.20's TPV for $GNGGA,003956.00,4552.65403,S,17030.00668,E,1,12,0.64,14.2,M,1.8,M,,*56
function fix(i: number) {
  return {
    header: { stamp: { sec: 1555029596, nanosec: i % 1_000_000_000 }, frame_id: 'gnss' },
    status: { status: 0, service: 1 },
    latitude: -45.877567167,
    longitude: 170.500111333,
    altitude: 16.0,
    position_covariance: [147.8656, 0, 0, 0, 147.8656, 0, 0, 0, 364.4281],
    position_covariance_type: 1,
  };
}

const KEEP_ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function perMessageNs(label: string, fn: (i: number) => void): number {
  for (let i = 0; i < 20_000; i++) fn(i); // warm-up: let V8 optimise
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(SECONDS * 0.5e9));
  let now = t0;
  while (now < end) {
    for (let k = 0; k < 1000; k++) fn(n++);
    now = process.hrtime.bigint();
  }
  const ns = Number(now - t0) / n;
  console.log(`${label}: ${ns.toFixed(0)} ns/msg`);
  return ns;
}

async function latency(ctx: LocalContext, label: string): Promise<void> {
  const a = ctx.createNode('bench_pub');
  const b = ctx.createNode('bench_sub');
  let resolveOne: (() => void) | undefined;
  let t0 = 0;
  const samples: number[] = [];
  b.createSubscription(TYPE, '/bench/fix', KEEP_ALL, () => {
    samples.push(performance.now() - t0);
    resolveOne!();
  });
  const pub: Publisher<ReturnType<typeof fix>> = a.createPublisher(TYPE, '/bench/fix', KEEP_ALL);
  const msgs = Array.from({ length: 64 }, (_, i) => fix(i));
  const until = performance.now() + SECONDS * 1000;
  let i = 0;
  while (performance.now() < until || i < 2000) {
    const delivered = new Promise<void>((r) => (resolveOne = r));
    t0 = performance.now();
    pub.publish(msgs[i++ & 63]);
    await delivered;
  }
  const warm = Float64Array.from(samples.slice(500)).sort();
  const p50 = percentile(warm, 0.5) * 1000;
  const p99 = percentile(warm, 0.99) * 1000;
  console.log(`${label} latency p50: ${p50.toFixed(1)} µs (target < 200 µs)`);
  console.log(`${label} latency p99: ${p99.toFixed(1)} µs (target well under 1000 µs)`);
  console.log(`${label} latency max: ${(warm[warm.length - 1] * 1000).toFixed(1)} µs (${warm.length} samples)`);
  a.destroy();
  b.destroy();
}

async function throughput(ctx: LocalContext, label: string): Promise<void> {
  const a = ctx.createNode('bench_tp_pub');
  const b = ctx.createNode('bench_tp_sub');
  let received = 0;
  b.createSubscription(TYPE, '/bench/tp', KEEP_ALL, () => {
    received++;
  });
  const pub = a.createPublisher<ReturnType<typeof fix>>(TYPE, '/bench/tp', KEEP_ALL);
  const msgs = Array.from({ length: 64 }, (_, i) => fix(i));
  let sent = 0;
  let publishNs = 0n;
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  while (performance.now() < until) {
    const p0 = process.hrtime.bigint();
    for (let k = 0; k < 1000; k++) pub.publish(msgs[sent++ & 63]);
    publishNs += process.hrtime.bigint() - p0;
    await ctx.graph.idle();
  }
  const secs = (performance.now() - t0) / 1000;
  if (received !== sent) throw new Error(`${label}: sent ${sent}, received ${received}`);
  console.log(`${label} throughput: ${Math.round(sent / secs)} msgs/s end to end (target > 100000 msgs/s)`);
  console.log(`${label} publish() cost: ${(Number(publishNs) / sent).toFixed(0)} ns/msg (caller's time: checked encode + queue)`);
  a.destroy();
  b.destroy();
}

export async function run(): Promise<void> {
  process.env.VIL_LOG_LEVEL ??= 'warn';
  const codec = codecFor(TYPE);
  const m = fix(0);
  const bytes = codec.encode(m);
  console.log(`NavSatFix CDR size: ${bytes.byteLength} bytes`);
  perMessageNs('validate alone (what a refused message runs to explain itself)', () => codec.validate(m));
  perMessageNs('encode (nodes/cdr, checks included)', () => codec.encode(m));
  perMessageNs('decode (nodes/cdr)', () => codec.decode(bytes));

  const plain = createLocalContext(parseRosArgs([]));
  await latency(plain, 'graph');
  await throughput(plain, 'graph');
  await plain.shutdown();

  const dir = mkdtempSync(join(tmpdir(), 'vil-bench-'));
  const path = join(dir, 'bench.mcap');
  try {
    const rec = createLocalContext(parseRosArgs([]), { recordPath: path });
    await latency(rec, 'graph+record');
    await throughput(rec, 'graph+record');
    const t0 = performance.now();
    await rec.shutdown();
    const stats = rec.graph.recording()!;
    if (stats.error) throw new Error(`recording failed: ${stats.error}`);
    console.log(`record: ${stats.messages} msgs, ${(statSync(path).size / 1e6).toFixed(1)} MB file, max backlog ${stats.maxBacklog} msgs, ${stats.dropped} left out, final flush ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// markers: cost of a full ESR scan (64 tracks → 64 boxes, labels, arrows) in the pure builder, and
// end to end on the local graph (ObjectList in → MarkerArray delivered, CDR both ways).
//   VIL_BENCH_SCANS (default 20000)
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes } from '../../nodes/runtime/run.js';
import { markersNode } from '../../nodes/markers/main.js';
import { MarkerArrayBuilder } from '../../nodes/markers/marker_array.js';
import { ObjectListMarkers } from '../../nodes/markers/object_markers.js';
import type { MarkerArrayMsg, ObjectListMsg } from '../../nodes/runtime/msg_types.js';
import { scan as sampleScan } from './sample_messages.js';

/** Scan n of sample_messages.ts, stamped 50 ms after scan n − 1 (the ESR's cycle). */
function scan(n: number): ObjectListMsg {
  const m = sampleScan(n);
  const ns = n * 50_000_000;
  m.header = { stamp: { sec: 1000 + Math.floor(ns / 1e9), nanosec: ns % 1e9 }, frame_id: 'radar_esr' };
  return m;
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

export async function run(): Promise<void> {
  const n = Number(process.env.VIL_BENCH_SCANS ?? 20_000);
  const lists = Array.from({ length: 16 }, (_, i) => scan(i));

  // Pure builder.
  const markers = new ObjectListMarkers({
    group: 'esr',
    lifetimeS: 1,
    defaultFrame: 'base_link',
    textHeight: 0.6,
    arrowSeconds: 1,
    minArrowSpeed: 0.2,
    alpha: 0.8,
    coastedAlpha: 0.3,
    coastedStatus: new Set([4, 6, 7]),
    hiddenStatus: new Set(),
  });
  const b = new MarkerArrayBuilder();
  for (let i = 0; i < 2000; i++) {
    b.begin();
    markers.apply(lists[i % 16], lists[i % 16].header.stamp, b);
  }
  const h0 = heapMb();
  let t0 = performance.now();
  let count = 0;
  for (let i = 0; i < n; i++) {
    b.begin();
    markers.apply(lists[i % 16], lists[i % 16].header.stamp, b);
    count += b.length;
  }
  let dt = performance.now() - t0;
  console.log(`markers build, 64-track ESR scan: ${((dt * 1000) / n).toFixed(1)} µs/scan (target < 500 µs: 1% of the 50 ms ESR cycle)`);
  console.log(`markers build, markers per scan: ${(count / n).toFixed(0)} markers`);
  console.log(`markers build, heap after ${n} scans: ${(heapMb() - h0).toFixed(2)} MB growth (target ≈ 0: pooled markers)`);

  // End to end on the local graph.
  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'error', '-p', "ego_pose_topic:=''"]));
  const started = await startNodes(ctx, [markersNode]);
  const probe = ctx.createNode('bench_probe');
  let bytes = 0;
  let got = 0;
  probe.createSubscription<MarkerArrayMsg>('visualization_msgs/msg/MarkerArray', '/vil/markers', { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 }, () => {
    got++;
  });
  const pub = probe.createPublisher<ObjectListMsg>('vil/msg/ObjectList', '/vil/can/objects/esr', 'default');
  await ctx.graph.idle();
  const m = Math.min(n, 5000);
  const before = got;
  t0 = performance.now();
  for (let i = 0; i < m; i++) {
    pub.publish(lists[i % 16]);
    await ctx.graph.idle();
  }
  dt = performance.now() - t0;
  const stat = ctx.graph.stats().find((s) => s.topic === '/vil/markers');
  bytes = stat ? stat.bytes / stat.messages : 0;
  console.log(`markers node on the local graph, scan in → MarkerArray out: ${((dt * 1000) / m).toFixed(0)} µs/scan (target < 2000 µs; includes CDR of the list and the array)`);
  console.log(`markers node, MarkerArray size: ${(bytes / 1024).toFixed(1)} KiB/scan (${got - before} arrays for ${m} scans)`);
  await started.stop();
  await ctx.shutdown();
}

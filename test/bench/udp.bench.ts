// UDP layouts and dspace_relay on the local graph with real sockets on 127.0.0.1:
//   - publish → datagram received latency (p50/p99), one message in flight at a time
//   - 10 routes × 1 kHz for VIL_BENCH_UDP_SECONDS (default 30): loss counted from sequence numbers
//   - encode throughput of a 64-object ObjectList layout (packets/s)
//   VIL_BENCH_UDP_SAMPLES (default 5000) latency samples.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import type { Publisher } from '../../nodes/runtime/ros.js';
import type { DetectedObjectMsg, ObjectListMsg, PoseStampedMsg } from '../../nodes/runtime/msg_types.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { compileLayout } from '../../nodes/udp_layout/compile.js';
import { parseLayout } from '../../nodes/udp_layout/schema.js';
import { dspaceRelayNode } from '../../nodes/dspace_relay/main.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-udp-bench-'));

const POSE_LAYOUT = `name: pose_bench
message: geometry_msgs/msg/PoseStamped
header:
  magic: {value: 0x504F5345, type: u32}
  sequence: u32
  send_time: f64
  crc32: true
fields:
  - {name: stamp, type: f64, source: header.stamp}
  - {name: x, type: f64, source: pose.position.x}
  - {name: y, type: f64, source: pose.position.y}
  - {name: z, type: f32, source: pose.position.z}
  - {name: yaw, type: f32, source: pose.orientation, quaternion: yaw}
`;

const OBJECTS_64 = `name: objects_64
message: vil/msg/ObjectList
header:
  magic: {value: 0x4F424A31, type: u32}
  version: 1
  flags: u8
  sequence: u16
  send_time: f64
  payload_length: u16
  crc32: true
fields:
  - {name: stamp, type: f64, source: header.stamp}
  - {name: cycle_counter, type: u32, source: cycle_counter}
  - {name: object_count, type: u8, count_of: objects}
  - {pad: 3}
  - name: objects
    source: objects
    max_count: 64
    fields:
      - {name: id, type: u32, source: id}
      - {name: classification, type: u8, source: classification}
      - {name: status, type: u8, source: status}
      - {name: x, type: f32, source: position.x}
      - {name: y, type: f32, source: position.y}
      - {name: vx, type: f32, source: velocity.x}
      - {name: vy, type: f32, source: velocity.y}
      - {name: length_cm, type: u16, source: size.x, unit: m->cm}
      - {name: width_cm, type: u16, source: size.y, unit: m->cm}
      - {name: yaw_mrad, type: i16, source: yaw, unit: rad->mrad, default: 0}
      - {name: existence_pct, type: u8, source: existence_probability, scale: 100}
      - {pad: 3}
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function pose(i: number): PoseStampedMsg {
  return { header: { stamp: { sec: 1000 + i, nanosec: 0 }, frame_id: 'map' }, pose: { position: { x: i, y: -i, z: 0.5 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } };
}

async function receiver(): Promise<{ sock: dgram.Socket; port: number }> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port };
}

async function relay(routes: { topic: string; port: number }[]): Promise<{ ctx: LocalContext; started: StartedNodes; pubs: Publisher<PoseStampedMsg>[] }> {
  const layout = join(dir, 'pose.yaml');
  writeFileSync(layout, POSE_LAYOUT);
  const file = join(dir, `routes-${routes.length}.yaml`);
  writeFileSync(
    file,
    `routes:\n${routes.map((r, i) => `  - {name: r${i}, topic: ${r.topic}, type: geometry_msgs/msg/PoseStamped, layout: ${layout}, destination: "127.0.0.1:${r.port}", qos: default, depth: 1000}`).join('\n')}\n`,
  );
  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'error', '-p', `routes_file:=${file}`]));
  const probe = ctx.createNode('bench_probe');
  const started = await startNodes(ctx, [dspaceRelayNode]);
  const pubs = routes.map((r) => probe.createPublisher<PoseStampedMsg>('geometry_msgs/msg/PoseStamped', r.topic, { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1000 }));
  return { ctx, started, pubs };
}

async function latency(): Promise<void> {
  const n = Number(process.env.VIL_BENCH_UDP_SAMPLES ?? 5000);
  const rx = await receiver();
  const { ctx, started, pubs } = await relay([{ topic: '/bench/pose', port: rx.port }]);
  let resolve: (() => void) | undefined;
  let t1 = 0;
  rx.sock.on('message', () => {
    t1 = performance.now();
    resolve?.();
  });
  const samples: number[] = [];
  for (let i = 0; i < n + 200; i++) {
    const msg = pose(i);
    const arrived = new Promise<void>((r) => (resolve = r));
    const t0 = performance.now();
    pubs[0].publish(msg);
    await arrived;
    if (i >= 200) samples.push((t1 - t0) * 1000); // first 200: warm-up (JIT)
  }
  samples.sort((a, b) => a - b);
  console.log(`udp publish → datagram received p50: ${percentile(samples, 50).toFixed(1)} µs (local graph CDR + encode + sendto + recv, ${n} samples)`);
  console.log(`udp publish → datagram received p99: ${percentile(samples, 99).toFixed(1)} µs (target < 500 µs)`);
  console.log(`udp publish → datagram received max: ${samples.at(-1)!.toFixed(1)} µs`);
  await started.stop();
  await ctx.shutdown();
  rx.sock.close();
}

async function tenRoutes(): Promise<void> {
  const seconds = Number(process.env.VIL_BENCH_UDP_SECONDS ?? 30);
  const routes = 10;
  const rxs = await Promise.all(Array.from({ length: routes }, () => receiver()));
  const received = new Array(routes).fill(0);
  const lastSeq = new Array(routes).fill(-1);
  const gaps = new Array(routes).fill(0);
  rxs.forEach((rx, i) =>
    rx.sock.on('message', (b: Buffer) => {
      received[i]++;
      const seq = b.readUInt32LE(4);
      if (lastSeq[i] >= 0 && seq !== lastSeq[i] + 1) gaps[i] += seq - lastSeq[i] - 1;
      lastSeq[i] = seq;
    }),
  );
  const { ctx, started, pubs } = await relay(rxs.map((rx, i) => ({ topic: `/bench/route${i}`, port: rx.port })));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let published = 0;
  const msg = pose(1);
  // 1 kHz per route on average: each tick publishes what the elapsed time calls for.
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const due = Math.min(Math.floor((performance.now() - t0)), seconds * 1000);
      for (; published < due; published++) for (const p of pubs) p.publish(msg);
      if (published >= seconds * 1000) {
        clearInterval(timer);
        done();
      }
    }, 1);
  });
  const elapsed = (performance.now() - t0) / 1000;
  await sleep(300);
  await ctx.graph.idle();
  await sleep(200);
  const cpu = process.cpuUsage(cpu0);
  const sent = published * routes;
  const got = received.reduce((a, b) => a + b, 0);
  // Packets the relay produced: sequence numbers start at 0 (the last one is checked as received).
  const produced = lastSeq.reduce((a, b) => a + b + 1, 0);
  const queueDrops = ctx.graph.stats().reduce((a, t) => a + (t.topic.startsWith('/bench/') ? t.dropped : 0), 0);
  console.log(`udp 10 routes × 1 kHz for ${seconds} s: ${got} of ${produced} datagrams sent by the relay received, ${produced - got} lost on UDP (target 0); sequence gaps ${gaps.reduce((a, b) => a + b, 0)}`);
  console.log(`udp 10 routes × 1 kHz end to end: ${got} of ${sent} published messages arrived as datagrams (${sent - got} missing; ROS subscription queue drops ${queueDrops})`);
  console.log(`udp 10 routes × 1 kHz rate: ${(got / elapsed).toFixed(0)} datagrams/s; process CPU ${(((cpu.user + cpu.system) / 1e6 / elapsed) * 100).toFixed(0)} % of one core (publisher, graph, relay and receivers in one process)`);
  await started.stop();
  await ctx.shutdown();
  for (const rx of rxs) rx.sock.close();
}

function obj(i: number): DetectedObjectMsg {
  return {
    id: i,
    classification: i % 9,
    class_label: '',
    position: { x: i * 1.5, y: -i, z: 0 },
    velocity: { x: 10 - i * 0.1, y: 0.2, z: 0 },
    acceleration: { x: 0, y: 0, z: 0 },
    size: { x: 4.5, y: 1.8, z: 1.5 },
    yaw: 0.01 * i,
    existence_probability: 0.9,
    status: 1,
    status_label: '',
  };
}

function encodeThroughput(): void {
  const c = compileLayout(parseLayout(OBJECTS_64, 'objects_64.yaml'), messageRegistry());
  const list: ObjectListMsg = { header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'radar' }, source: 'esr', cycle_counter: 1, frames_in_cycle: 65, objects: Array.from({ length: 64 }, (_, i) => obj(i)) };
  const t = { sec: 1, nanosec: 0 };
  for (let i = 0; i < 20000; i++) c.encoder.encode(list, t, 0); // warm-up
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const n = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) c.encoder.encode(list, t, 0);
  const dt = (performance.now() - t0) / 1000;
  const heap1 = process.memoryUsage().heapUsed;
  console.log(`udp encode 64-object list (${c.plan.totalSize} bytes, 12 fields × 64): ${(n / dt).toFixed(0)} packets/s (${((dt / n) * 1e6).toFixed(2)} µs/packet; 10 routes × 1 kHz need 10000/s)`);
  console.log(`udp encode heap growth over ${n} packets: ${((heap1 - heap0) / n).toFixed(2)} bytes/packet (target 0: no per-packet allocation)`);
}

export async function run(): Promise<void> {
  try {
    encodeThroughput();
    await latency();
    await tenRoutes();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

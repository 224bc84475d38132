// can_bridge benchmark: CAN frame intake → DecodedSignals delivered on the local graph.
//
// 1. In a User-mode Linux VM (scripts/canvm.sh; a ONE-CPU UML guest, Linux 6.1 run as a process,
//    every syscall trapped by ptrace, so far slower per frame than a native kernel): the node with
//    source socketcan on vcan0..vcan3, canplayer sending a Toyota frame mix at
//    VIL_BENCH_CAN_RATE (default 8000) frames/s per interface for VIL_BENCH_CAN_SECONDS (default
//    10: the guest then drains its socket queues for several times as long) s. Figures: drops
//    (frames sent − received by the node), CPU of the node process in % of one core, latency kernel receive stamp → decoded message delivered (p50/p99). canplayer and
//    the UML kernel share the guest's one CPU with the node. Then one interface at the target rate
//    and four at an eighth of it, nearer what the guest sustains (VIL_BENCH_CAN_EXTRA=0 skips
//    these). UML figures measure the emulation as much as the node: compare the host figure.
// 2. On the host, without a kernel CAN stack: the same frames replayed from a candump log as
//    fast as possible through the same intake (raw + decoded publishing, CDR both ways), which
//    gives the node's own cost per frame.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes } from '../../nodes/runtime/run.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import { canBridgeNode, type CanBridgeRunning } from '../../nodes/can_bridge/main.js';
import { loadDbcFile } from '../../nodes/dbc/load.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(join('dist', 'test')) ? join(here, '../../..') : join(here, '../..');
const DBC = join(root, 'test/fixtures/dbc/toyota_new_mc_pt_generated.dbc');
const MIX = ['KINEMATICS', 'STEER_ANGLE_SENSOR', 'WHEEL_SPEEDS', 'SPEED', 'GEAR_PACKET', 'BRAKE_MODULE', 'GAS_PEDAL', 'PCM_CRUISE', 'STEER_TORQUE_SENSOR', 'ENG2F41'];

interface VmResult {
  seconds: number;
  ratePerInterface: number;
  interfaces: string[];
  playMs: number;
  wallMs: number;
  sent: number;
  received: Record<string, number>;
  decodedDelivered: number;
  graphDropped: number;
  nodeCpuPercent: number;
  guestCpuBusyPercent: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  cpus: number;
  rmemDefault: number;
}

function inVm(seconds: number, rate: number, ifaces: number): VmResult {
  const r = spawnSync(
    'bash',
    [
      join(root, 'scripts/canvm.sh'),
      join(root, 'node_modules/.bin/node'),
      '--experimental-transform-types',
      '--no-warnings',
      '--import',
      join(root, 'test/canvm/ts_resolve.mjs'),
      join(root, 'test/canvm/bridge_bench.ts'),
      String(seconds),
      String(rate),
      String(ifaces),
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, VIL_CANVM_MEM: '1536M', VIL_CANVM_TIMEOUT: String(seconds * 20 + 300), VIL_LOG_PRETTY: '0', VIL_LOG_LEVEL: 'error' }, maxBuffer: 64 << 20 },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`VM benchmark failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(line.slice(7)) as VmResult;
}

function report(label: string, r: VmResult, target: boolean): void {
  const received = Object.values(r.received).reduce((a, b) => a + b, 0);
  const sent = r.sent * r.interfaces.length;
  const rate = `${r.interfaces.length} × ${r.ratePerInterface} frames/s`;
  console.log(`${label} [${rate}, ${r.seconds} s, one-CPU UML guest (${r.cpus} CPU), rmem_default ${r.rmemDefault} B]`);
  console.log(`  drops: ${sent - received} frames of ${sent} (${(((sent - received) / sent) * 100).toFixed(2)} %)${target ? ' (target 0)' : ''}`);
  console.log(`  decoded delivered: ${r.decodedDelivered} of ${sent} (graph queue drops ${r.graphDropped})`);
  console.log(`  node cpu: ${r.nodeCpuPercent.toFixed(1)} % of one core (guest busy ${r.guestCpuBusyPercent.toFixed(1)} %, canplayer and the UML kernel included)`);
  console.log(`  latency kernel stamp → decoded delivered: p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, max ${r.latencyMs.max.toFixed(2)} ms`);
  console.log(`  canplayer took ${(r.playMs / 1000).toFixed(2)} s for ${r.seconds} s of traffic; drained after ${(r.wallMs / 1000).toFixed(2)} s`);
}

/** The host part: the node's own cost per frame, candump replay as fast as possible. */
export async function hostReplay(frames: number, ifaces: number): Promise<void> {
  const db = loadDbcFile(DBC);
  const codecs = MIX.map((n) => db.byName(n)!).filter(Boolean);
  const dir = mkdtempSync(join(tmpdir(), 'vil-can-bench-'));
  const names = Array.from({ length: ifaces }, (_, i) => `can${i}`);
  const config = join(dir, 'can_bridge.yaml');
  writeFileSync(
    config,
    `buses:\n${names.map((i) => `  ${i}: {dbc: ${DBC}}`).join('\n')}\ndecoded:\n${names.map((i) => `  - {bus: ${i}, messages: [${codecs.map((c) => c.name).join(', ')}], topic: vil/can/${i}/decoded}`).join('\n')}\n`,
  );
  const payloads = codecs.map((c) => Buffer.from(c.encodeInto(Float64Array.from(c.signalNames, () => 0), new Uint8Array(c.length))).toString('hex').toUpperCase());
  const lines: string[] = [];
  for (let k = 0; k < frames / ifaces; k++) {
    const c = k % codecs.length;
    for (const i of names) lines.push(`(${(1_700_000_000 + k / 8000).toFixed(6)}) ${i} ${codecs[c].id.toString(16).toUpperCase().padStart(3, '0')}#${payloads[c]}`);
  }
  const log = join(dir, 'traffic.log');
  writeFileSync(log, `${lines.join('\n')}\n`);
  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'error', '-p', `config_file:=${config}`, '-p', 'source:=candump', '-p', `candump_file:=${log}`, '-p', 'candump_realtime:=false']));
  const probe = ctx.createNode('probe');
  const qos: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1000 };
  let delivered = 0;
  for (const i of names) probe.createSubscription(`vil/msg/DecodedSignals`, `/vil/can/${i}/decoded`, qos, () => delivered++);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const started = await startNodes(ctx, [canBridgeNode]);
  await (started.nodes[0] as CanBridgeRunning).replayDone;
  await ctx.graph.idle();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await started.stop();
  await ctx.shutdown();
  rmSync(dir, { recursive: true, force: true });
  const n = lines.length;
  console.log(`host, candump replay as fast as possible (${ifaces} buses, ${n} frames; parse + raw publish + decode + DecodedSignals publish + delivery, CDR both ways):`);
  console.log(`  intake throughput: ${Math.round(n / (ms / 1000))} frames/s on one core (${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU per frame); decoded delivered ${delivered} of ${n}`);
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.VIL_BENCH_CAN_SECONDS ?? 10);
  const rate = Number(process.env.VIL_BENCH_CAN_RATE ?? 8000);
  const ifaces = Number(process.env.VIL_BENCH_CAN_IFACES ?? 4);
  report('can_bridge in the UML VM (target)', inVm(seconds, rate, ifaces), true);
  if (process.env.VIL_BENCH_CAN_EXTRA !== '0') {
    report('can_bridge in the UML VM, one interface at the target rate', inVm(seconds, rate, 1), false);
    report('can_bridge in the UML VM, four interfaces at an eighth of the rate', inVm(seconds, Math.round(rate / 8), ifaces), false);
  }
  await hostReplay(200_000, ifaces);
}

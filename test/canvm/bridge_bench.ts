// In the VM (for test/bench/can_bridge.bench.ts): the can_bridge node with source socketcan on
// vcan0..vcan3 (vcan2/3 created here), each carrying a Toyota powertrain frame mix at `rate`
// frames/s for `seconds`, sent by one canplayer from a generated candump log. A probe node on the
// same local graph receives every DecodedSignals message and measures intake → delivery latency
// against the frame's kernel receive stamp. Prints RESULT {...}.
// Usage: bridge_bench.ts <seconds> <rate per interface> <interfaces>
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { wallNow } from '../../nodes/runtime/local/wall_clock.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes } from '../../nodes/runtime/run.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import { canBridgeNode, type CanBridgeRunning } from '../../nodes/can_bridge/main.js';
import { loadDbcFile } from '../../nodes/dbc/load.js';
import type { DecodedSignalsMsg } from '../../nodes/can_bridge/decoded_signals.js';
import { hex, main, must, result, sleep, waitFor } from './vm_util.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DBC = `${ROOT}test/fixtures/dbc/toyota_new_mc_pt_generated.dbc`;
const SECONDS = Number(process.argv[2] ?? 30);
const RATE = Number(process.argv[3] ?? 8000);
const N_IF = Number(process.argv[4] ?? 4);
/** Extra node parameters, e.g. kernel_stamps:=false */
const EXTRA = process.argv.slice(5);
// The Toyota frames the DBC benchmark uses too: what a powertrain bus is busy with.
const MIX = ['KINEMATICS', 'STEER_ANGLE_SENSOR', 'WHEEL_SPEEDS', 'SPEED', 'GEAR_PACKET', 'BRAKE_MODULE', 'GAS_PEDAL', 'PCM_CRUISE', 'STEER_TORQUE_SENSOR', 'ENG2F41'];

function cpuTimes(): { idle: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
}

main(async () => {
  const ifaces = Array.from({ length: N_IF }, (_, i) => `vcan${i}`);
  for (const i of ifaces.slice(2)) {
    await must('ip', 'link', 'add', i, 'type', 'vcan');
    await must('ip', 'link', 'set', i, 'up');
  }
  const dir = mkdtempSync('/tmp/bench-');
  const db = loadDbcFile(DBC);
  const codecs = MIX.map((n) => db.byName(n)).filter((c) => c !== undefined);
  const config = join(dir, 'can_bridge.yaml');
  writeFileSync(
    config,
    `buses:\n${ifaces.map((i) => `  ${i}: {dbc: ${DBC}}`).join('\n')}\ndecoded:\n${ifaces.map((i) => `  - {bus: ${i}, messages: [${codecs.map((c) => c.name).join(', ')}], topic: vil/can/${i}/decoded}`).join('\n')}\n`,
  );

  // The log: each interface at RATE frames/s, interleaved in time; payloads from the encoder.
  const payloads = codecs.map((c) => hex(c.encodeInto(Float64Array.from(c.signalNames, () => 0), new Uint8Array(c.length))));
  const total = SECONDS * RATE;
  const lines: string[] = [];
  const t0 = 1_700_000_000;
  for (let k = 0; k < total; k++) {
    const t = t0 + k / RATE;
    const c = k % codecs.length;
    const id = codecs[c].id.toString(16).toUpperCase().padStart(3, '0');
    for (let i = 0; i < ifaces.length; i++) lines.push(`(${(t + i * 1e-6).toFixed(6)}) ${ifaces[i]} ${id}#${payloads[c]}`);
  }
  writeFileSync(join(dir, 'traffic.log'), `${lines.join('\n')}\n`);
  lines.length = 0;

  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'error', '-p', `config_file:=${config}`, ...EXTRA.flatMap((e) => ['-p', e])]));
  const probe = ctx.createNode('probe');
  const latency = new Float64Array(total * ifaces.length + 1000);
  let n = 0;
  const qos: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1000 };
  for (const i of ifaces) {
    probe.createSubscription<DecodedSignalsMsg>('vil/msg/DecodedSignals', `/vil/can/${i}/decoded`, qos, (m) => {
      const now = wallNow();
      if (n < latency.length) latency[n] = (now.sec - m.header.stamp.sec) * 1e3 + (now.nanosec - m.header.stamp.nanosec) / 1e6;
      n++;
    });
  }
  const started = await startNodes(ctx, [canBridgeNode]);
  const bridge = started.nodes[0] as CanBridgeRunning;
  const framesOf = (i: string) => Number(bridge.diagnostics().status.find((s) => s.name === `can_bridge: bus ${i}`)!.values.find((v) => v.key === 'frames')!.value);
  // every socket open and stamping before the measured traffic
  const until = Date.now() + 20_000;
  while (!ifaces.every((i) => framesOf(i) > 0)) {
    if (Date.now() > until) throw new Error('probe frames not seen');
    for (const i of ifaces) await must('cansend', i, '7FF#01');
    await sleep(100);
  }
  await sleep(300);
  const before = Object.fromEntries(ifaces.map((i) => [i, framesOf(i)]));
  n = 0;

  const cpu0 = process.cpuUsage();
  const sys0 = cpuTimes();
  const wall0 = performance.now();
  const player = spawn('canplayer', ['-I', join(dir, 'traffic.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const playerDone = new Promise<number>((r) => player.on('close', (c) => r(c ?? -1)));
  const code = await playerDone;
  const playMs = performance.now() - wall0;
  let last = -1;
  let still = 0;
  await waitFor(
    'traffic drained',
    () => {
      if (n >= total * ifaces.length) return true;
      still = n === last ? still + 1 : 0;
      last = n;
      return still > 100;
    },
    120_000,
  );
  await ctx.graph.idle();
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const sys1 = cpuTimes();
  const received = Object.fromEntries(ifaces.map((i) => [i, framesOf(i) - before[i]]));
  const lat = latency.slice(0, Math.min(n, latency.length)).sort();
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  const graph = ctx.graph.stats().filter((s) => s.topic.startsWith('/vil/can/'));
  await started.stop();
  await ctx.shutdown();
  result({
    seconds: SECONDS,
    ratePerInterface: RATE,
    interfaces: ifaces,
    canplayerExit: code,
    playMs,
    wallMs,
    sent: total,
    received,
    decodedDelivered: n,
    graphDropped: graph.reduce((a, s) => a + s.dropped, 0),
    nodeCpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    guestCpuBusyPercent: (1 - (sys1.idle - sys0.idle) / (sys1.total - sys0.total)) * 100,
    latencyMs: { p50: q(0.5), p99: q(0.99), p999: q(0.999), max: lat[lat.length - 1] },
    cpus: readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length,
    rmemDefault: Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8')),
  });
});

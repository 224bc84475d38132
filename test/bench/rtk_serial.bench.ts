// rtk_serial end to end: latency from a pty write to the NavSatFix delivered on the local graph,
// and the resident memory of one rtk_serial process fed at 20 Hz.
//   VIL_BENCH_EPOCHS (default 10000), VIL_BENCH_RSS_SECONDS (default 60)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { PtyPair, waitFor } from '../helpers/pty.js';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes } from '../../nodes/runtime/run.js';
import { rtkSerialNode } from '../../nodes/rtk_serial/main.js';
import type { NavSatFixMsg } from '../../nodes/runtime/msg_types.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const LOG = join(root, 'test/fixtures/gnss/ublox-zed-f9p-nmea.log');

function epochs(): string[] {
  const out: string[] = [];
  for (const l of readFileSync(LOG, 'latin1').split(/\r?\n/)) {
    if (!l.startsWith('$')) continue;
    if (l.slice(3, 6) === 'RMC' || out.length === 0) out.push('');
    out[out.length - 1] += `${l}\r\n`;
  }
  return out;
}

/** Every pty pair this benchmark started, so a failure still ends their socat processes. */
const openPairs: PtyPair[] = [];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(): Promise<void> {
  const n = Number(process.env.VIL_BENCH_EPOCHS ?? 10_000);
  const dir = mkdtempSync(join(tmpdir(), 'vil-bench-'));
  const pty = new PtyPair(join(dir, 'tty'), join(dir, 'feed'));
  openPairs.push(pty);
  await pty.start();
  const ctx = createLocalContext(parseRosArgs(['--ros-args', '-p', `port:=${pty.device}`]));
  const nodes = await startNodes(ctx, [rtkSerialNode]);
  const probe = ctx.createNode('probe');
  let delivered = 0;
  let open = false;
  probe.createSubscription<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', 'sensor_data', () => delivered++);
  probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', 'default', (d) => {
    open = d.status.some((s) => s.values.some((v) => v.key === 'port_state' && v.value === 'open'));
  });
  await waitFor(() => open, 'port open');
  const ep = epochs();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const want = delivered + 1;
    const t0 = performance.now();
    pty.write(ep[i % ep.length]);
    while (delivered < want) await new Promise<void>((r) => setImmediate(r));
    samples.push(performance.now() - t0);
    if (i % 2000 === 1999) process.stderr.write(`  ${i + 1}/${n} epochs\n`);
  }
  samples.sort((a, b) => a - b);
  console.log(`pty write → NavSatFix delivered (local graph), ${n} epochs of the ZED-F9P log (~${Math.round(ep[0].length)} bytes each):`);
  console.log(`  p50: ${percentile(samples, 50).toFixed(3)} ms   p99: ${percentile(samples, 99).toFixed(3)} ms   max: ${samples[samples.length - 1].toFixed(3)} ms   (target p99 < 1 ms)`);
  await nodes.stop();
  await ctx.shutdown();
  await pty.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function rss(): Promise<void> {
  const seconds = Number(process.env.VIL_BENCH_RSS_SECONDS ?? 60);
  const dir = mkdtempSync(join(tmpdir(), 'vil-bench-'));
  const pty = new PtyPair(join(dir, 'tty'), join(dir, 'feed'));
  openPairs.push(pty);
  await pty.start();
  const child = spawn(process.execPath, [join(root, 'dist/nodes/cli/main.js'), 'run', 'rtk_serial', '--ros', 'local', '--ros-args', '-p', `port:=${pty.device}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VIL_LOG_PRETTY: '0' },
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(() => log.includes('receiver port open'), 'rtk_serial process to open the port', 20_000);
  const ep = epochs();
  const end = Date.now() + seconds * 1000;
  let i = 0;
  let next = Date.now();
  while (Date.now() < end) {
    pty.write(ep[i++ % ep.length]);
    next += 50; // 20 Hz
    await sleep(Math.max(0, next - Date.now()));
    if (i % 400 === 0) process.stderr.write(`  ${Math.round((end - Date.now()) / 1000)} s left\n`);
  }
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  console.log(`RSS of one rtk_serial process (local graph) after ${seconds} s at 20 Hz: ${(rssKb / 1024).toFixed(1)} MiB (peak ${(hwmKb / 1024).toFixed(1)} MiB), ${i} epochs`);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await pty.stop();
  rmSync(dir, { recursive: true, force: true });
}

export async function run(): Promise<void> {
  try {
    await latency();
    await rss();
  } finally {
    // A failed run must not leave its socat behind (PtyPair.stop is idempotent per pair).
    for (const p of openPairs) await p.stop();
  }
}

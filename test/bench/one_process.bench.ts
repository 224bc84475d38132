// One process or many: memory of `vil run all` (every node in one Node.js process, one ROS
// context) against one process per node (`vil run <node>` × 5, as the launch file starts them),
// each way fed for N seconds with the demo's inputs (nodes/cli/demo_inputs.ts): the NMEA derived
// from the real CANedge drive written into a pty (socat) one epoch per second, and the drive's
// recording plus the generated radar log replayed by can_bridge at their recorded pace. Built CLI,
// local graph (no ROS 2 here).
//   VIL_BENCH_ONEPROC_SECONDS (default 20; at most 60: the demo's drive lasts 77 s)
// Read from /proc/<pid>/status: VmRSS at the end of the run and VmHWM (peak); also Pss from
// /proc/<pid>/smaps_rollup, which splits pages shared between processes (the node binary, shared
// libraries) among them — a sum of RSS counts those once per process.
// Caveat: on the local graph separate processes do not see each other, so in the many-process run
// sim_pose, markers and dspace_relay receive nothing (with ROS 2 they would); their figures are
// those of idle nodes, which understates the many-process total a little.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { projectRoot } from '../../nodes/runtime/msg_registry.js';
import { DEMO_FILES, prepareDemoDrive } from '../../nodes/cli/demo_inputs.js';
import { doubleText } from '../../nodes/runtime/params_yaml.js';

const NODES = ['rtk_serial', 'can_bridge', 'markers', 'sim_pose', 'dspace_relay'];

interface Mem {
  rssKb: number;
  hwmKb: number;
  pssKb: number;
}

function memOf(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string, text: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  let pssKb = NaN;
  try {
    pssKb = kb('Pss', readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    // kernels before 4.14 have no smaps_rollup
  }
  return { rssKb: kb('VmRSS', status), hwmKb: kb('VmHWM', status), pssKb };
}

async function startPty(dir: string): Promise<{ device: string; fd: number; socat: ChildProcess }> {
  const device = join(dir, 'ttyGNSS');
  const feed = join(dir, 'feed');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${feed}`], { stdio: 'ignore' });
  const started = Date.now();
  while (!(existsSync(device) && existsSync(feed))) {
    if (socat.exitCode !== null || Date.now() - started > 10_000) throw new Error('socat did not create the pseudo-terminals (apt-get install socat)');
    await sleep(10);
  }
  return { device, fd: openSync(feed, constants.O_RDWR | constants.O_NOCTTY), socat };
}

interface Proc {
  name: string;
  child: ChildProcess;
  stderr: string;
  exited: Promise<number | null>;
}

function startCli(cli: string, nodes: string[], args: string[]): Proc {
  const child = spawn(process.execPath, [cli, 'run', ...nodes, '--ros', 'local', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VIL_LOG_PRETTY: '0' } });
  const p: Proc = { name: nodes.join('+'), child, stderr: '', exited: new Promise((res) => child.once('exit', (c) => res(c))) };
  // Keep only the tail: the start-up lines are what is looked for.
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (p.stderr = (p.stderr + d).slice(-200_000)));
  return p;
}

async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Feeds one epoch a second for `seconds` while sampling memory; returns the last and peak figures per process. */
async function feed(procs: Proc[], ptyFd: number, epochs: string[], seconds: number): Promise<Map<string, { last: Mem; peakRssKb: number }>> {
  const out = new Map<string, { last: Mem; peakRssKb: number }>();
  const sample = () => {
    for (const p of procs) {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited early (${p.child.exitCode}):\n${p.stderr.slice(-2000)}`);
      const m = memOf(p.child.pid!);
      const prev = out.get(p.name);
      out.set(p.name, { last: m, peakRssKb: Math.max(prev?.peakRssKb ?? 0, m.rssKb) });
    }
  };
  const t0 = performance.now();
  for (let i = 0; i < seconds; i++) {
    const buf = Buffer.from(epochs[i % epochs.length], 'latin1');
    let off = 0;
    while (off < buf.length) off += writeSync(ptyFd, buf, off, buf.length - off);
    for (let half = 1; half <= 2; half++) {
      await sleep(Math.max(0, t0 + i * 1000 + half * 500 - performance.now()));
      sample();
    }
  }
  return out;
}

async function stopAll(procs: Proc[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGINT');
  const codes = await Promise.all(procs.map((p) => p.exited));
  codes.forEach((c, i) => {
    if (c !== 0) console.log(`  (${procs[i].name} exited ${c}: ${procs[i].stderr.slice(-500)})`);
  });
}

const mb = (kb: number) => (kb / 1024).toFixed(1);

export async function run(): Promise<void> {
  const seconds = Number(process.env.VIL_BENCH_ONEPROC_SECONDS ?? 20);
  if (!(seconds >= 2 && seconds <= 60)) throw new Error('VIL_BENCH_ONEPROC_SECONDS must be 2..60');
  const root = projectRoot();
  const cli = join(root, 'dist/nodes/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'vil-bench-oneproc-'));
  const sinks = [createSocket('udp4'), createSocket('udp4')];
  for (const s of sinks) await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const [simPort, dspacePort] = sinks.map((s) => s.address().port);
  const pty = await startPty(dir);
  try {
    // The demo's inputs: the whole drive (77 s), longer than the run with its start-up.
    const drive = await prepareDemoDrive({ root, outDir: dir });
    const epochs = drive.nmea;
    const frames = [...drive.frames.values()].reduce((a, l) => a + l.length, 0) + drive.radarFrames.length;
    const routes = join(dir, 'routes.yaml');
    writeFileSync(
      routes,
      toYaml({ routes: [{ name: 'esr_objects', topic: '/vil/can/objects/esr', type: 'vil/msg/ObjectList', layout: join(root, 'config/layouts/object_list_to_dspace.yaml'), destination: `127.0.0.1:${dspacePort}`, mode: 'on_message', depth: 100 }] }),
    );
    // The same arguments for every process (per-node -p reach only that node), as `vil demo` sets them.
    const args = [
      '--ros-args',
      '--log-level', 'info',
      '--params-file', join(root, 'config/demo.params.yaml'),
      '-p', `rtk_serial:port:=${pty.device}`,
      '-p', `can_bridge:config_file:=${join(root, DEMO_FILES.canConfig)}`,
      '-p', `can_bridge:recording_files:=[${drive.recordingFiles.map((f) => JSON.stringify(f)).join(', ')}]`,
      '-p', `can_bridge:recording_start:=${doubleText(drive.startS)}`,
      '-p', `sim_pose:udp_layout:=${join(root, 'config/layouts/sim_pose_ego.yaml')}`,
      '-p', `sim_pose:udp_destination:=127.0.0.1:${simPort}`,
      '-p', `dspace_relay:routes_file:=${routes}`,
    ];
    // Measuring starts once the receiver port is open and the CAN replay runs.
    const ready = async (procs: Proc[]) => {
      const rtk = procs.find((p) => p.name === 'all' || p.name === 'rtk_serial')!;
      const can = procs.find((p) => p.name === 'all' || p.name === 'can_bridge')!;
      await waitFor(() => rtk.stderr.includes('"msg":"receiver port open"'), 'rtk_serial to open the pty');
      await waitFor(() => can.stderr.includes('"msg":"can_bridge started"'), 'can_bridge to start');
    };

    console.log(`one_process: each way fed ${seconds} s (1 receiver epoch/s over a pty, ${(frames / (drive.durationS || drive.epochs.length)).toFixed(0)} CAN frames/s from the recording and the radar log)`);

    // 1. vil run all: one process.
    const all = [startCli(cli, ['all'], args)];
    await ready(all);
    const one = (await feed(all, pty.fd, epochs, seconds)).get('all')!;
    await stopAll(all);

    // 2. One process per node, all running at once.
    const many = NODES.map((n) => startCli(cli, [n], args));
    await ready(many);
    const each = await feed(many, pty.fd, epochs, seconds);
    await stopAll(many);

    for (const n of NODES) {
      const m = each.get(n)!;
      console.log(`one_process.node_rss.${n}: ${mb(m.last.rssKb)} MB (peak ${mb(m.peakRssKb)} MB, Pss ${mb(m.last.pssKb)} MB)`);
    }
    const sum = (f: (m: { last: Mem; peakRssKb: number }) => number) => NODES.reduce((s, n) => s + f(each.get(n)!), 0);
    const manyRss = sum((m) => m.last.rssKb);
    const manyPss = sum((m) => m.last.pssKb);
    console.log(`one_process.run_all_rss: ${mb(one.last.rssKb)} MB (peak ${mb(one.peakRssKb)} MB, Pss ${mb(one.last.pssKb)} MB) (target: below the sum of separate processes)`);
    console.log(`one_process.separate_rss_sum: ${mb(manyRss)} MB (peak sum ${mb(sum((m) => m.peakRssKb))} MB, Pss sum ${mb(manyPss)} MB)`);
    console.log(`one_process.rss_saved: ${mb(manyRss - one.last.rssKb)} MB (${((1 - one.last.rssKb / manyRss) * 100).toFixed(0)} % of the separate sum; Pss ${mb(manyPss - one.last.pssKb)} MB)`);
  } finally {
    pty.socat.kill('SIGTERM');
    closeSync(pty.fd);
    for (const s of sinks) s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

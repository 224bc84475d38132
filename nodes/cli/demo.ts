// `vil demo` (npm run demo): the main job on the embedded default. Every node runs in this process
// on the local graph, fed by a bundled drive the way the vehicle feeds them:
//   real u-blox ZED-F9P log ──pty (socat)──▶ rtk_serial
//   generated candump log (toyota + ESR radar) ──▶ can_bridge (source candump)
//   sim_pose ──UDP──▶ a receiver in this process (decodes with the layout, checks CRC and sequence)
//   dspace_relay ──UDP──▶ a receiver in this process (same checks)
//   markers ──▶ MarkerArray + /tf
// Everything that flows is recorded to an MCAP file; the end prints a summary and checks it.
import { mkdirSync, readFileSync, writeFileSync, statSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { projectRoot } from '../runtime/msg_registry.js';
import { rootLogger } from '../runtime/logger.js';
import { createLocalContext } from '../runtime/local/context.js';
import { readMcapInfo } from '../runtime/local/mcap_read.js';
import { parseRosArgs } from '../runtime/params.js';
import { startNodes } from '../runtime/run.js';
import { planLayoutFile } from '../udp_layout/compile.js';
import { decodePacket } from '../udp_layout/decoder.js';
import type { LayoutPlan } from '../udp_layout/plan.js';
import { loadDbcFile } from '../dbc/load.js';
import { formatCandumpLine } from '../buslog/candump.js';
import { demoDriveFromLog, nmeaEpochs } from './demo_drive.js';
import { NODES } from './registry.js';
import { parseListenAddress, type ListenAddress } from '../foxglove/address.js';
import type { FoxgloveLiveView } from '../foxglove/server.js';

const HELP = `Usage: vil demo [--epochs N] [--out DIR] [--foxglove [HOST:]PORT]

Runs every vil node in this process on the local ROS graph, fed by a bundled drive:
a real u-blox ZED-F9P receiver log through rtk_serial (over a pseudo-terminal, as on the vehicle),
a generated CAN log (Toyota powertrain + Delphi ESR radar, encoded from the bundled DBCs) through
can_bridge, sim_pose and dspace_relay sending UDP to receivers the demo starts and checks, and the
markers node for rviz. Prints progress and a summary; records every topic to DIR/vil-demo.mcap
(open it in Foxglove or Lichtblick, or: ros2 bag play DIR/vil-demo.mcap).

Options:
  --epochs N   receiver epochs to play (1 per second; default: the whole log, 29)
  --out DIR    output directory (default: demo-out)
  --foxglove [HOST:]PORT
               serve a live view to Foxglove / Lichtblick while the drive runs (HOST defaults to
               127.0.0.1), and keep serving after it until Ctrl-C; then the summary and checks.
Needs socat (apt-get install socat). Exit code 0 when every check of the summary passed.
`;

interface UdpReceiver {
  socket: Socket;
  port: number;
  packets: number;
  badPackets: number;
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  gaps: number;
  stale: number;
}

async function udpReceiver(plan: LayoutPlan): Promise<UdpReceiver> {
  const socket = createSocket('udp4');
  const r: UdpReceiver = { socket, port: 0, packets: 0, badPackets: 0, firstSeq: undefined, lastSeq: undefined, gaps: 0, stale: 0 };
  socket.on('message', (data) => {
    const d = decodePacket(plan, data);
    if (!d.ok) {
      r.badPackets++;
      return;
    }
    r.packets++;
    const seq = Number(d.header.sequence);
    if (r.lastSeq !== undefined && seq !== r.lastSeq + 1) r.gaps++;
    r.firstSeq ??= seq;
    r.lastSeq = seq;
    if ((Number(d.header.flags ?? 0) & 1) === 1) r.stale++;
  });
  await new Promise<void>((res) => socket.bind(0, '127.0.0.1', () => res()));
  r.port = socket.address().port;
  return r;
}

async function startPty(dir: string): Promise<{ device: string; feed: string; socat: ChildProcess }> {
  const device = join(dir, 'ttyGNSS');
  const feed = join(dir, 'feed');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${feed}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const spawnError = new Promise<never>((_, reject) => socat.once('error', (e) => reject(new Error(`cannot start socat (${e.message}): apt-get install socat`))));
  const started = Date.now();
  while (!(existsSync(device) && existsSync(feed))) {
    await Promise.race([sleep(10), spawnError]);
    if (socat.exitCode !== null || Date.now() - started > 10_000) throw new Error('socat did not create the pseudo-terminals');
  }
  return { device, feed, socat };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  // Text columns (all but numbers) left-aligned.
  const numeric = rows[0].map((_, c) => rows.slice(1).every((r) => /^[\d.]+$/.test(r[c])));
  return rows.map((r) => r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

export async function main(args: string[]): Promise<number> {
  let epochsWanted = Infinity;
  let outDir = 'demo-out';
  let foxglove: ListenAddress | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--help' || args[i] === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else if (args[i] === '--epochs') epochsWanted = Number(args[++i]);
    else if (args[i] === '--out') outDir = args[++i];
    else if (args[i] === '--foxglove') {
      try {
        foxglove = parseListenAddress(args[++i]);
      } catch (e) {
        process.stderr.write(`vil demo: ${(e as Error).message}\n`);
        return 2;
      }
    } else {
      process.stderr.write(`vil demo: unknown argument ${args[i]}\n\n${HELP}`);
      return 2;
    }
  }
  if (!(epochsWanted >= 2)) {
    process.stderr.write('vil demo: --epochs needs a number ≥ 2\n');
    return 2;
  }
  // The progress lines are the demo's output; node logs only when something is wrong.
  rootLogger(process.env.VIL_LOG_LEVEL ?? 'warn');
  const root = projectRoot();
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const say = (s: string) => process.stdout.write(`${s}\n`);

  // 1. The drive: the real receiver log, and CAN traffic generated along its trajectory.
  const epochs = nmeaEpochs(readFileSync(join(root, 'config/demo/ublox-zed-f9p-nmea.log'), 'latin1')).slice(0, epochsWanted);
  const frames = demoDriveFromLog({
    powertrain: loadDbcFile(join(root, 'config/dbc/toyota_new_mc_pt_generated.dbc')),
    radar: loadDbcFile(join(root, 'config/dbc/ESR.dbc')),
    epochs,
    startSec: Math.floor(Date.now() / 1000),
    durationSec: epochs.length,
  });
  const candumpFile = join(out, 'drive.candump.log');
  writeFileSync(candumpFile, frames.map((f) => formatCandumpLine(f)).join('\n') + '\n');
  say(`vil demo: ${epochs.length} epochs of a real u-blox ZED-F9P log (${epochs.length} s), ${frames.length} generated CAN frames on can0/can1 (${candumpFile})`);

  // 2. The devices: a pseudo-terminal pair for the receiver, UDP receivers for the simulator and dSPACE.
  const ptyDir = mkdtempSync(join(tmpdir(), 'vil-demo-'));
  const pty = await startPty(ptyDir);
  const simPlan = planLayoutFile(join(root, 'config/layouts/sim_pose_ego.yaml'));
  const dspacePlan = planLayoutFile(join(root, 'config/layouts/object_list_to_dspace.yaml'));
  const simRx = await udpReceiver(simPlan);
  const dspaceRx = await udpReceiver(dspacePlan);
  const routesFile = join(out, 'dspace_routes.yaml');
  writeFileSync(
    routesFile,
    toYaml({
      routes: [
        { name: 'esr_objects', topic: '/vil/can/objects/esr', type: 'vil/msg/ObjectList', layout: join(root, 'config/layouts/object_list_to_dspace.yaml'), destination: `127.0.0.1:${dspaceRx.port}`, mode: 'on_message', depth: 100 },
      ],
    }),
  );

  // 3. Every node in this process (one-process mode), on the local graph, recording to MCAP.
  const mcapFile = join(out, 'vil-demo.mcap');
  const argv = [
    '--ros-args',
    '--params-file', join(root, 'config/demo.params.yaml'),
    '-p', `rtk_serial:port:=${pty.device}`,
    '-p', `can_bridge:candump_file:=${candumpFile}`,
    '-p', `can_bridge:config_file:=${join(root, 'config/can_bridge.yaml')}`,
    '-p', `sim_pose:udp_layout:=${join(root, 'config/layouts/sim_pose_ego.yaml')}`,
    '-p', `sim_pose:udp_destination:=127.0.0.1:${simRx.port}`,
    '-p', `dspace_relay:routes_file:=${routesFile}`,
  ];
  const ctx = createLocalContext(parseRosArgs(argv), { recordPath: mcapFile });
  let view: FoxgloveLiveView | undefined;
  if (foxglove) {
    // Before the nodes, so every topic is advertised as it appears and /tf_static is kept for late clients.
    const { startLiveView, openInstructions } = await import('../foxglove/cli.js');
    try {
      view = await startLiveView(ctx, foxglove);
    } catch (e) {
      process.stderr.write(`vil demo: ${(e as Error).message}\n`);
      await ctx.shutdown();
      pty.socat.kill('SIGTERM');
      simRx.socket.close();
      dspaceRx.socket.close();
      rmSync(ptyDir, { recursive: true, force: true });
      return 2;
    }
    say(openInstructions(view));
  }
  const defs = await Promise.all(Object.values(NODES).map((n) => n.load()));
  const started = await startNodes(ctx, defs);
  say(`nodes: ${defs.map((d) => d.name).join(', ')} — one process, local graph, recording to ${mcapFile}`);

  const count = (topic: string) => ctx.graph.stats().find((s) => s.topic === topic)?.messages ?? 0;
  const feed = (await import('node:fs')).openSync(pty.feed, 'r+');
  const { writeSync } = await import('node:fs');
  const t0 = performance.now();
  let seconds = 0;
  let liveStats: ReturnType<FoxgloveLiveView['stats']> | undefined;
  // Ctrl-C ends the drive early; the nodes are stopped and the recording is finalised all the same.
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const wait = (ms: number) => sleep(ms, undefined, { signal: interrupt.signal }).catch(() => undefined);
  let driveInterrupted = false;
  try {
    // The receiver: one epoch per second, as the real one sent them.
    await wait(300);
    for (let i = 0; i < epochs.length && !interrupt.signal.aborted; i++) {
      writeSync(feed, Buffer.from(epochs[i], 'latin1'));
      const next = t0 + (i + 1) * 1000;
      await wait(Math.max(0, next - performance.now()));
      say(
        `[${String(i + 1).padStart(2)}/${epochs.length}] fixes ${count('/vil/rtk/fix')}  CAN frames ${count('/vil/can/can0/raw') + count('/vil/can/can1/raw')}  ` +
          `object lists ${count('/vil/can/objects/esr')}  sim UDP ${simRx.packets}  dSPACE UDP ${dspaceRx.packets}  markers ${count('/vil/markers')}`,
      );
    }
    await wait(500);
    driveInterrupted = interrupt.signal.aborted;
    if (view && !driveInterrupted) {
      say(`\ndrive done; the live view keeps serving on ws://${view.host}:${view.port} (nodes still running) — Ctrl-C to end and print the summary`);
      await new Promise<void>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Rates are over the whole run (with --foxglove, the nodes ran on until Ctrl-C).
    seconds = (performance.now() - t0) / 1000;
    if (view) liveStats = view.stats();
    await view?.close();
    await started.stop();
    await ctx.shutdown();
    pty.socat.kill('SIGTERM');
    simRx.socket.close();
    dspaceRx.socket.close();
    rmSync(ptyDir, { recursive: true, force: true });
  }
  if (driveInterrupted) {
    say(`\ninterrupted: nodes stopped, recording finalised (${mcapFile})`);
    return 130;
  }

  // 4. Summary and checks.
  const stats = ctx.graph.stats().filter((s) => s.messages > 0);
  say('\nTopics');
  say(table([['topic', 'type', 'messages', 'rate/s', 'dropped'], ...stats.map((s) => [s.topic, s.type, String(s.messages), (s.messages / seconds).toFixed(1), String(s.dropped)])]));
  const udpRow = (name: string, r: UdpReceiver) => {
    const sent = r.firstSeq === undefined ? 0 : r.lastSeq! - r.firstSeq + 1;
    return [name, String(sent), String(r.packets), String(Math.max(0, sent - r.packets)), String(r.badPackets), String(r.stale)];
  };
  say('\nUDP (sent = sequence span seen by the receiver)');
  say(table([['receiver', 'sent', 'received', 'lost', 'bad', 'stale'], udpRow(`simulator :${simRx.port}`, simRx), udpRow(`dSPACE :${dspaceRx.port}`, dspaceRx)]));
  if (liveStats) {
    say(`\nLive view: ${liveStats.messagesSent} messages sent to clients, ${liveStats.messagesDropped} dropped for slow clients, ${liveStats.clientMessages} published by clients, ${liveStats.malformedFrames} malformed frames refused`);
  }
  const info = await readMcapInfo(mcapFile);
  const recorded = Number(info.statistics?.messageCount ?? 0n);
  const published = stats.reduce((n, s) => n + s.messages, 0);
  say(`\nMCAP ${mcapFile}: ${(statSync(mcapFile).size / 1e6).toFixed(1)} MB, ${recorded} messages on ${info.channels.length} topics (opens in Foxglove/Lichtblick; ros2 bag play ${outDir}/vil-demo.mcap)`);

  const checks: [string, boolean][] = [
    ['raw NMEA sentences published', count('/vil/rtk/raw') > 0],
    ['NavSatFix published', count('/vil/rtk/fix') >= epochs.length - 2],
    ['raw CAN frames on both buses', count('/vil/can/can0/raw') > 0 && count('/vil/can/can1/raw') > 0],
    ['vehicle state published', count('/vil/can/vehicle_state') > 0],
    ['ESR object lists published', count('/vil/can/objects/esr') > 0],
    ['ego pose published', count('/vil/sim/ego_pose') > 0],
    ['simulator UDP received, no loss, no bad packet', simRx.packets > 0 && simRx.gaps === 0 && simRx.badPackets === 0],
    ['dSPACE UDP received, no loss, no bad packet', dspaceRx.packets > 0 && dspaceRx.gaps === 0 && dspaceRx.badPackets === 0],
    ['markers and /tf published', count('/vil/markers') > 0 && count('/tf') > 0],
    ['no queue drops on any topic', stats.every((s) => s.dropped === 0)],
    ['every published message recorded', recorded === published],
  ];
  say('\nChecks');
  for (const [name, ok] of checks) say(`  ${ok ? 'ok  ' : 'FAIL'} ${name}`);
  const failed = checks.filter(([, ok]) => !ok).length;
  say(failed ? `\n${failed} check(s) failed` : '\nall checks passed');
  return failed ? 1 : 0;
}

// `vil demo` (npm run demo): the main job on the embedded default. Every node runs in this process
// on the local graph, fed by a real drive the way the vehicle feeds them (demo_inputs.ts):
//   real CANedge recording (MF4: GNSS/IMU module, diagnostics) ─┐
//   generated radar log (scripted scene, candump) ──────────────┴─ can_bridge (source recording)
//   NMEA derived from the drive's GNSS epochs ──pty (python3 or socat)──▶ rtk_serial
//   sim_pose ──UDP──▶ a receiver here (layout decode, CRC, sequence; poses kept for the checks)
//   dspace_relay ──UDP──▶ a receiver here (same)
//   markers ──▶ MarkerArray + /tf
// The replay is realtime for a person watching (--foxglove), but nothing depends on the pace: the
// recording source waits for the graph's subscribers (backpressure), and each receiver epoch is
// written when the replay reaches the drive's position frame of that epoch and after rtk_serial has
// taken the previous one. Everything that flows is recorded to an MCAP file; at the end the demo
// checks what the nodes produced against references (demo_checks.ts), draws the drive (drive.svg)
// and exits 0 only when every check passed.
import { mkdirSync, readFileSync, writeFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { projectRoot } from '../runtime/msg_registry.js';
import { rootLogger } from '../runtime/logger.js';
import { createLocalContext } from '../runtime/local/context.js';
import { readMcapInfo } from '../runtime/local/mcap_read.js';
import { parseRosArgs } from '../runtime/params.js';
import { doubleText } from '../runtime/params_yaml.js';
import { startNodes } from '../runtime/run.js';
import type { QosSettings, Time } from '../runtime/ros.js';
import type { DiagnosticArrayMsg } from '../runtime/diagnostics.js';
import type { NavSatFixMsg, ObjectListMsg, TwistWithCovarianceStampedMsg } from '../runtime/msg_types.js';
import type { CanMsgsFrame } from '../can_bridge/raw_frames.js';
import type { DecodedSignalsMsg } from '../can_bridge/decoded_signals.js';
import type { VehicleStateMsg } from '../can_bridge/vehicle_state.js';
import { planLayoutFile } from '../udp_layout/compile.js';
import { decodePacket } from '../udp_layout/decoder.js';
import type { LayoutPlan } from '../udp_layout/plan.js';
import { MapProjection, parseProjectionSpec } from '../sim_pose/projection.js';
import { NODES } from './registry.js';
import { parseListenAddress, type ListenAddress } from '../foxglove/address.js';
import type { FoxgloveLiveView } from '../foxglove/server.js';
import { openPtyPair, PtyUnavailable, type PtyPair } from './pty_pair.js';
import { DEMO_FILES, GNSS_CHANNEL, prepareDemoDrive, type DemoDrive } from './demo_inputs.js';
import { checkDecoded, checkFixes, checkObjectLists, checkPoses, checkRawFrames, checkUdp, type Check, type PosePacket, type Projector } from './demo_checks.js';
import { driveSvg, type Snapshot } from './drive_svg.js';

const HELP = `Usage: vil demo [--epochs N] [--out DIR] [--foxglove [HOST:]PORT]

Runs every vil node in this process on the local ROS graph (no ROS 2 needed), fed by a real drive:
  can_bridge   replays a real CANedge recording (config/demo/*.MF4): a car with a GNSS/IMU module
               on can2 (gnss.dbc) and diagnostic traffic on can1, plus a GENERATED radar bus (a
               Delphi ESR seeing a scripted scene; the drive has no radar)
  rtk_serial   reads the drive's own GNSS positions as NMEA over a pseudo-terminal, framed as a
               real u-blox ZED-F9P sends it (config/demo/ublox-zed-f9p-nmea.log)
  sim_pose, dspace_relay   send UDP to receivers the demo starts and checks
  markers      draws objects, ego vehicle and trail for rviz / Foxglove
The drive starts 2 s before the car sets off and runs at its recorded pace (about 77 s: it drives
130 m north at up to 7.4 m/s, turns and reverses, and drives back south).

It prints a progress line per receiver epoch (one a second), then a summary and checks that
compare what the nodes produced with references: fixes vs the drive's GNSS epochs, poses vs PROJ's
cs2cs, radar object lists vs the scene script, raw and decoded CAN vs the recording, UDP received vs
sent. Writes into DIR:
  vil-demo.mcap   every topic (Foxglove, Lichtblick, ros2 bag play)
  drive.svg       the drive: GNSS trail on map axes, radar objects at a few moments, speed over time
  radar.candump.log   the generated radar bus

Options:
  --epochs N   play only the first N receiver epochs (N ≥ 2; about N seconds)
  --out DIR    output directory (default: demo-out; created if missing)
  --foxglove [HOST:]PORT
               serve a live view to Foxglove / Lichtblick while the drive runs (HOST defaults to
               127.0.0.1) and keep serving after it until Ctrl-C; then the summary and checks.
  -h, --help   this text
Needs python3 or socat for the receiver's pseudo-terminal; proj-bin (cs2cs) for the pose check
(without it that check says "not checked"). Node logs: errors only; VIL_LOG_LEVEL=warn for more. Exit code 0 when every check passed, 1 when one
failed, 2 for a usage error, 130 when interrupted (the recording is finalised all the same).
`;

/** Keep-all subscriptions for the demo's own probe: nothing is lost, whatever the pace. */
const KEEP_ALL: QosSettings = { reliability: 'best_effort', durability: 'volatile', history: 'keep_all', depth: 0 };

interface UdpReceiver {
  socket: Socket;
  port: number;
  packets: number;
  badPackets: number;
  lastSeq: number | undefined;
  gaps: number;
  stale: number;
}

async function udpReceiver(plan: LayoutPlan, onPacket?: (fields: Record<string, unknown>) => void): Promise<UdpReceiver> {
  const socket = createSocket('udp4');
  const r: UdpReceiver = { socket, port: 0, packets: 0, badPackets: 0, lastSeq: undefined, gaps: 0, stale: 0 };
  socket.on('message', (data) => {
    const d = decodePacket(plan, data);
    if (!d.ok) {
      r.badPackets++;
      return;
    }
    r.packets++;
    const seq = Number(d.header.sequence);
    if (r.lastSeq !== undefined && seq !== r.lastSeq + 1) r.gaps++;
    r.lastSeq = seq;
    if ((Number(d.header.flags ?? 0) & 1) === 1) r.stale++;
    onPacket?.(d.fields);
  });
  await new Promise<void>((res) => socket.bind(0, '127.0.0.1', () => res()));
  // Room for what arrives while the event loop is busy elsewhere (capped by net.core.rmem_max).
  try {
    socket.setRecvBufferSize(8 << 20);
  } catch {
    // the kernel's default then
  }
  r.port = socket.address().port;
  return r;
}

/**
 * Creates `dir` and its missing parents, one mkdir at a time; the problem as text, or undefined.
 * Not mkdirSync({recursive}): on /proc it retries forever (procfs answers ENOENT for a child it
 * cannot create, and Node's recursive mkdir reads that as a missing parent).
 */
function makeDirectory(dir: string): string | undefined {
  const parts = dir.split('/').filter(Boolean);
  let path = '';
  for (const part of parts) {
    path += `/${part}`;
    try {
      mkdirSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return `${path}: ${code === 'ENOENT' ? 'cannot be created here' : (e as Error).message}`;
      try {
        if (!statSync(path).isDirectory()) return `${path} is a file, not a directory`;
      } catch (err) {
        return `${path}: ${(err as Error).message}`;
      }
    }
  }
  return undefined;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  // Text columns (all but numbers) left-aligned.
  const numeric = rows[0].map((_, c) => rows.slice(1).every((r) => /^[\d.]+$/.test(r[c])));
  return rows.map((r) => r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

/** PROJ's cs2cs from WGS 84 lon/lat to `projection`; undefined when cs2cs is not installed. */
export function cs2csProjector(projection: string): Projector {
  return (lonLat) => {
    if (lonLat.length === 0) return [];
    const r = spawnSync('cs2cs', ['-f', '%.6f', '+proj=longlat', '+datum=WGS84', '+to', ...projection.split(/\s+/).filter(Boolean)], { input: lonLat.map(([lo, la]) => `${lo} ${la}`).join('\n') + '\n', encoding: 'utf8' });
    if (r.error) return undefined;
    const lines = r.stdout.trim().split('\n');
    if (r.status !== 0 || lines.length !== lonLat.length) throw new Error(`cs2cs failed (exit ${r.status}): ${r.stderr.trim()}`);
    return lines.map((l) => l.trim().split(/\s+/).slice(0, 2).map(Number) as [number, number]);
  };
}

const stampS = (t: Time) => t.sec + t.nanosec * 1e-9;
const diagValue = (d: DiagnosticArrayMsg | undefined, status: string, key: string) => d?.status.find((s) => s.name === status)?.values.find((v) => v.key === key)?.value;

interface DemoParams {
  projection: string;
  leverArm: [number, number, number];
  fixedZ: number;
  radarMount: [number, number];
}

/** What the checks and the picture need from config/demo.params.yaml (the values the nodes get). */
function demoParams(root: string): DemoParams {
  const y = parseYaml(readFileSync(join(root, DEMO_FILES.params), 'utf8')) as {
    sim_pose: { ros__parameters: { map_projection: string; lever_arm: number[]; fixed_z: number } };
    markers: { ros__parameters: { static_frames: string[] } };
  };
  const sp = y.sim_pose.ros__parameters;
  const radar = y.markers.ros__parameters.static_frames.map((s) => s.trim().split(/\s+/)).find((f) => f[0] === 'radar_esr');
  return { projection: sp.map_projection, leverArm: [sp.lever_arm[0], sp.lever_arm[1], sp.lever_arm[2]], fixedZ: sp.fixed_z, radarMount: radar ? [Number(radar[2]), Number(radar[3])] : [0, 0] };
}

export async function main(args: string[]): Promise<number> {
  let epochsWanted: number | undefined;
  let outDir = 'demo-out';
  let foxglove: ListenAddress | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else if (a === '--epochs') {
      epochsWanted = Number(args[++i]);
      if (!(Number.isInteger(epochsWanted) && epochsWanted >= 2)) {
        process.stderr.write(`vil demo: --epochs needs a whole number ≥ 2 (got ${args[i] ?? 'nothing'})\n`);
        return 2;
      }
    } else if (a === '--out') {
      outDir = args[++i];
      if (!outDir) {
        process.stderr.write('vil demo: --out needs a directory\n');
        return 2;
      }
    } else if (a === '--foxglove') {
      try {
        foxglove = parseListenAddress(args[++i]);
      } catch (e) {
        process.stderr.write(`vil demo: ${(e as Error).message}\n`);
        return 2;
      }
    } else {
      process.stderr.write(`vil demo: unknown argument ${a}\n\n${HELP}`);
      return 2;
    }
  }
  // The progress lines are the demo's output; node logs only errors (the checks judge the rest):
  // VIL_LOG_LEVEL=warn shows warnings too (e.g. gnss.dbc names each message twice).
  rootLogger(process.env.VIL_LOG_LEVEL ?? 'error');
  const root = projectRoot();
  const out = resolve(outDir);
  const outError = makeDirectory(out);
  if (outError) {
    process.stderr.write(`vil demo: cannot use ${out} as the output directory: ${outError}. Fix: give --out a directory you can write to (it is created if missing)\n`);
    return 2;
  }
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const params = demoParams(root);

  // 1. The drive: the recording's window, the receiver's NMEA derived from it, the radar log.
  const drive: DemoDrive = await prepareDemoDrive({ root, outDir: out, epochs: epochsWanted });
  if (epochsWanted !== undefined && epochsWanted > drive.epochs.length) say(`vil demo: the drive has ${drive.epochs.length} epochs from its start; playing all of them`);
  const n = drive.epochs.length;
  const windowS = drive.durationS || n;
  const frameCount = [...drive.frames.values()].reduce((a, l) => a + l.length, 0);
  say(`vil demo: a real drive, ${n} s from ${new Date(drive.epochs[0].utc * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC (${drive.startS} s into the recording)`);
  say(`  CAN:   the real CANedge recording ${DEMO_FILES.recording} replayed by can_bridge (source recording): ${frameCount} frames (can1 diagnostics, can2 GNSS/IMU module)`);
  say(`  GNSS:  positions of the real CANedge drive (CANmod.gps gnss_pos/speed/attitude/altitude/time, 1 Hz), framed as the real u-blox ZED-F9P log, into a pseudo-terminal`);
  say(`  Radar: GENERATED: a Delphi ESR seeing a scripted scene, ${drive.radarScans} scans (${join(outDir, 'radar.candump.log')}); the drive has no radar`);

  // 2. The devices: a pseudo-terminal pair for the receiver, UDP receivers for the simulator and dSPACE.
  const ptyDir = mkdtempSync(join(tmpdir(), 'vil-demo-'));
  let pty: PtyPair;
  try {
    pty = await openPtyPair(ptyDir);
  } catch (e) {
    rmSync(ptyDir, { recursive: true, force: true });
    if (!(e instanceof PtyUnavailable)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  const simPlan = planLayoutFile(join(root, 'config/layouts/sim_pose_ego.yaml'));
  const dspacePlan = planLayoutFile(join(root, 'config/layouts/object_list_to_dspace.yaml'));
  const posePackets: PosePacket[] = [];
  const simRx = await udpReceiver(simPlan, (f) => posePackets.push({ fixTime: Number(f.fix_time), x: Number(f.x), y: Number(f.y), z: Number(f.z), yaw: Number(f.yaw) }));
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
    '--params-file', join(root, DEMO_FILES.params),
    '-p', `rtk_serial:port:=${pty.device}`,
    '-p', `can_bridge:config_file:=${join(root, DEMO_FILES.canConfig)}`,
    '-p', `can_bridge:recording_files:=[${drive.recordingFiles.map((f) => JSON.stringify(f)).join(', ')}]`,
    '-p', `can_bridge:recording_start:=${doubleText(drive.startS)}`,
    '-p', `can_bridge:recording_duration:=${doubleText(drive.durationS)}`,
    '-p', `sim_pose:udp_layout:=${join(root, 'config/layouts/sim_pose_ego.yaml')}`,
    '-p', `sim_pose:udp_destination:=127.0.0.1:${simRx.port}`,
    '-p', `dspace_relay:routes_file:=${routesFile}`,
  ];
  const ctx = createLocalContext(parseRosArgs(argv), { recordPath: mcapFile });
  const closeDevices = async () => {
    await pty.stop();
    simRx.socket.close();
    dspaceRx.socket.close();
    rmSync(ptyDir, { recursive: true, force: true });
  };

  // The demo's own eyes on the graph (keep-all: it sees every message, in order).
  const probe = ctx.createNode('vil_demo');
  const keep = <T>(type: string, topic: string, onMessage?: (m: T) => void): T[] => {
    const list: T[] = [];
    probe.createSubscription<T>(type, topic, KEEP_ALL, (m) => {
      list.push(m);
      onMessage?.(m);
    });
    return list;
  };
  let positionsReplayed = 0;
  let wakeWriter: (() => void) | undefined;
  const fixes = keep<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix');
  const velocities = keep<TwistWithCovarianceStampedMsg>('geometry_msgs/msg/TwistWithCovarianceStamped', '/vil/rtk/velocity');
  const vehicleStates = keep<VehicleStateMsg>('vil/msg/VehicleState', '/vil/can/vehicle_state');
  const objectLists = keep<ObjectListMsg>('vil/msg/ObjectList', '/vil/can/objects/esr');
  const rawBuses = ['can1', 'can2', 'radar'];
  const raw = new Map(rawBuses.map((b) => [b, keep<CanMsgsFrame>('can_msgs/msg/Frame', `/vil/can/${b}/raw`)]));
  const gnssMessages = [...new Set(drive.gnssFrames.map((f) => f.message))];
  const decoded = new Map(
    gnssMessages.map((m) => [
      m,
      keep<DecodedSignalsMsg>('vil/msg/DecodedSignals', `/vil/can/decoded/${m}`, m === 'gnss_pos' ? () => {
        positionsReplayed++;
        wakeWriter?.();
      } : undefined),
    ]),
  );

  let view: FoxgloveLiveView | undefined;
  if (foxglove) {
    // Before the nodes, so every topic is advertised as it appears and /tf_static is kept for late clients.
    const { startLiveView, openInstructions } = await import('../foxglove/cli.js');
    try {
      view = await startLiveView(ctx, foxglove);
    } catch (e) {
      process.stderr.write(`vil demo: ${(e as Error).message}\n`);
      await ctx.shutdown();
      await closeDevices();
      return 2;
    }
    say(openInstructions(view));
  }
  const defs = await Promise.all(Object.values(NODES).map((nd) => nd.load()));
  const started = await startNodes(ctx, defs);
  const running = (name: string) => started.nodes[defs.findIndex((d) => d.name === name)];
  say(`nodes: ${defs.map((d) => d.name).join(', ')} — one process, local graph, recording to ${mcapFile}; receiver on a pseudo-terminal (${pty.helper})\n`);

  const count = (topic: string) => ctx.graph.stats().find((s) => s.topic === topic)?.messages ?? 0;
  const t0 = performance.now();
  let seconds = 0;
  let liveStats: ReturnType<FoxgloveLiveView['stats']> | undefined;
  // Ctrl-C ends the drive early; the nodes are stopped and the recording is finalised all the same.
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const aborted = () => interrupt.signal.aborted;
  /** Waits for a condition of the graph (not for a time): polls it, gives up after `limitMs` or on Ctrl-C. */
  const until = async (cond: () => boolean, limitMs: number): Promise<boolean> => {
    const end = performance.now() + limitMs;
    while (!cond()) {
      if (aborted() || performance.now() > end) return false;
      await sleep(5);
    }
    return true;
  };
  const problems: string[] = [];
  let driveInterrupted = false;
  let sentences = 0;
  try {
    // The receiver's port must be open before its first byte.
    const rtk = running('rtk_serial');
    if (!(await until(() => diagValue(rtk.diagnostics?.(), 'rtk_serial: receiver', 'port_state') === 'open', 30_000)) && !aborted()) problems.push('rtk_serial did not open the pseudo-terminal within 30 s');
    const replayDone = (running('can_bridge') as unknown as { replayDone: Promise<void> }).replayDone;
    let replayEnded = false;
    void replayDone.then(() => {
      replayEnded = true;
      wakeWriter?.();
    });
    // The receiver: epoch k when the replay has put epoch k's position frame on the bus, and only
    // after rtk_serial has published every sentence of epoch k − 1.
    for (let k = 0; k < n && !aborted(); k++) {
      await new Promise<void>((res) => {
        if (positionsReplayed > k || replayEnded || aborted()) return res();
        wakeWriter = res;
        interrupt.signal.addEventListener('abort', () => res(), { once: true });
      });
      wakeWriter = undefined;
      if (aborted()) break;
      if (positionsReplayed <= k) {
        problems.push(`the replay ended after ${positionsReplayed} of ${n} position frames`);
        break;
      }
      pty.write(Buffer.from(drive.nmea[k], 'latin1'));
      sentences += drive.nmea[k].split('\r\n').length - 1;
      if (!(await until(() => count('/vil/rtk/raw') >= sentences, 30_000))) {
        if (!aborted()) problems.push(`rtk_serial published ${count('/vil/rtk/raw')} of the ${sentences} sentences written within 30 s`);
        break;
      }
      await ctx.graph.idle();
      const e = drive.epochs[k];
      say(
        `[${String(k + 1).padStart(String(n).length)}/${n}] ${new Date(Math.round(e.utc) * 1000).toISOString().slice(11, 19)} UTC  ${e.latitude.toFixed(6)} ${e.longitude.toFixed(6)}  ${e.speed.toFixed(1)} m/s  ` +
          `fixes ${fixes.length}  CAN frames ${rawBuses.reduce((a, b) => a + count(`/vil/can/${b}/raw`), 0)}  object lists ${objectLists.length}  sim UDP ${simRx.packets}  dSPACE UDP ${dspaceRx.packets}  markers ${count('/vil/markers')}`,
      );
    }
    if (!aborted()) {
      await Promise.race([replayDone, new Promise<void>((res) => interrupt.signal.addEventListener('abort', () => res(), { once: true }))]);
      await ctx.graph.idle();
    }
    driveInterrupted = aborted();
    if (view && !driveInterrupted) {
      say(`\ndrive done; the live view keeps serving on ws://${view.host}:${view.port} (nodes still running) — Ctrl-C to end and print the summary`);
      await new Promise<void>((res) => interrupt.signal.addEventListener('abort', () => res(), { once: true }));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Rates are over the whole run (with --foxglove, the nodes ran on until Ctrl-C).
    seconds = (performance.now() - t0) / 1000;
    if (view) liveStats = view.stats();
    await view?.close();
    await started.stop();
  }
  // The senders' own counts, final once their nodes have stopped; then what is still on its way
  // over loopback arrives (a condition, with a generous limit).
  const simSent = Number(diagValue(running('sim_pose').diagnostics?.(), 'sim_pose: udp', 'packets_sent'));
  const dspaceSent = Number(diagValue(running('dspace_relay').diagnostics?.(), 'dspace_relay: route esr_objects', 'packets_sent'));
  const settle = performance.now() + 5000;
  while ((simRx.packets + simRx.badPackets < simSent || dspaceRx.packets + dspaceRx.badPackets < dspaceSent) && performance.now() < settle) await sleep(10);
  await ctx.graph.idle();
  const stats = ctx.graph.stats().filter((s) => s.messages > 0);
  await ctx.shutdown();
  await closeDevices();
  if (driveInterrupted) {
    say(`\ninterrupted: nodes stopped, recording finalised (${mcapFile})`);
    return 130;
  }

  // 4. Summary.
  say('\nTopics');
  say(table([['topic', 'type', 'messages', 'rate/s', 'dropped'], ...stats.map((s) => [s.topic, s.type, String(s.messages), (s.messages / seconds).toFixed(1), String(s.dropped)])]));
  say('\nUDP');
  say(
    table([
      ['receiver', 'sent (sender)', 'received', 'malformed', 'sequence gaps', 'stale flag'],
      [`simulator :${simRx.port}`, String(simSent), String(simRx.packets), String(simRx.badPackets), String(simRx.gaps), String(simRx.stale)],
      [`dSPACE :${dspaceRx.port}`, String(dspaceSent), String(dspaceRx.packets), String(dspaceRx.badPackets), String(dspaceRx.gaps), String(dspaceRx.stale)],
    ]),
  );
  if (liveStats) {
    say(`\nLive view: ${liveStats.messagesSent} messages sent to clients, ${liveStats.messagesDropped} dropped for slow clients, ${liveStats.clientMessages} published by clients, ${liveStats.malformedFrames} malformed frames refused`);
  }
  const info = await readMcapInfo(mcapFile);
  const recorded = Number(info.statistics?.messageCount ?? 0n);
  const published = stats.reduce((a, s) => a + s.messages, 0);
  say(`\nMCAP ${mcapFile}: ${(statSync(mcapFile).size / 1e6).toFixed(1)} MB, ${recorded} messages on ${info.channels.length} topics (opens in Foxglove/Lichtblick; ros2 bag play ${join(outDir, 'vil-demo.mcap')})`);

  // 5. Checks.
  const frameRefs = (ch: number) => (drive.frames.get(ch) ?? []).map((r) => ({ id: r.frame.id, data: r.frame.data }));
  const radarRefs = drive.radarFrames.map((f) => ({ id: f.id, data: f.data }));
  const checks: Check[] = [
    checkFixes(drive.epochs, fixes),
    checkPoses(posePackets, fixes, params.leverArm, params.fixedZ, cs2csProjector(params.projection)),
    checkObjectLists(objectLists, drive.radarDb, drive.radarScans),
    checkRawFrames(new Map([['can1', frameRefs(1)], ['can2', frameRefs(GNSS_CHANNEL)], ['radar', radarRefs]]), raw),
    checkDecoded(drive.gnssFrames, decoded, 'the recording\'s frames decoded with gnss.dbc outside can_bridge'),
    checkUdp({ label: 'simulator', sent: Number.isFinite(simSent) ? simSent : undefined, received: simRx.packets, bad: simRx.badPackets, gaps: simRx.gaps }),
    checkUdp({ label: 'dSPACE', sent: Number.isFinite(dspaceSent) ? dspaceSent : undefined, received: dspaceRx.packets, bad: dspaceRx.badPackets, gaps: dspaceRx.gaps }),
    { name: 'no queue drops on any topic', status: stats.every((s) => s.dropped === 0) ? 'ok' : 'FAIL', detail: stats.filter((s) => s.dropped).map((s) => `${s.topic}: ${s.dropped}`).join(', ') || `${stats.length} topics` },
    { name: 'every published message recorded', status: recorded === published ? 'ok' : 'FAIL', detail: `${recorded} of ${published}` },
    ...problems.map((p): Check => ({ name: 'the drive ran to its end', status: 'FAIL', detail: p })),
  ];

  // 6. The picture.
  const svgFile = join(out, 'drive.svg');
  writeFileSync(svgFile, drivePicture(drive, params, fixes, velocities, vehicleStates, objectLists, posePackets, raw));

  say('\nChecks');
  for (const c of checks) say(`  ${c.status === 'ok' ? 'ok  ' : c.status === 'FAIL' ? 'FAIL' : 'not checked:'} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  say(`\nPicture: ${svgFile} (open it in a browser)`);
  const failed = checks.filter((c) => c.status === 'FAIL').length;
  const unchecked = checks.filter((c) => c.status === 'not checked').length;
  say(failed ? `\n${failed} check(s) failed` : unchecked ? `\nevery check that ran passed; ${unchecked} not checked (see above)` : '\nall checks passed');
  return failed ? 1 : 0;
}

/** The drive overview: the fixes projected as sim_pose projects them, objects at four moments, speeds. */
function drivePicture(
  drive: DemoDrive,
  params: DemoParams,
  fixes: readonly NavSatFixMsg[],
  velocities: readonly TwistWithCovarianceStampedMsg[],
  vehicleStates: readonly VehicleStateMsg[],
  lists: readonly ObjectListMsg[],
  poses: readonly PosePacket[],
  raw: ReadonlyMap<string, readonly CanMsgsFrame[]>,
): string {
  const spec = parseProjectionSpec(params.projection, []);
  const projection = 'error' in spec ? undefined : new MapProjection(spec);
  const v = { x: 0, y: 0, z: 0 };
  const trail = projection ? fixes.filter((f) => f.status.status !== -1).map((f) => ({ ...projection.project(f.latitude, f.longitude, 0, v) })) : [];
  // Time zero: the replay's first frame (its stamp is the moment the drive started).
  const firsts = [...raw.values()].filter((l) => l.length).map((l) => stampS(l[0].header.stamp));
  const t0 = firsts.length ? Math.min(...firsts) : 0;
  const snapshots: Snapshot[] = [];
  const moments = lists.length ? [0.15, 0.4, 0.65, 0.9].map((q) => lists[Math.min(lists.length - 1, Math.floor(q * lists.length))]) : [];
  for (const l of moments) {
    const t = stampS(l.header.stamp);
    let best: PosePacket | undefined;
    for (const p of poses) if (p.fixTime <= t && (!best || p.fixTime > best.fixTime)) best = p;
    if (!best) continue;
    const c = Math.cos(best.yaw);
    const s = Math.sin(best.yaw);
    snapshots.push({
      t: t - t0,
      ego: { x: best.x, y: best.y, yaw: best.yaw },
      objects: l.objects.map((o) => {
        const bx = o.position.x + params.radarMount[0];
        const by = o.position.y + params.radarMount[1];
        return { id: o.id, x: best.x + c * bx - s * by, y: best.y + s * bx + c * by };
      }),
    });
  }
  const start = new Date(drive.epochs[0].utc * 1000).toISOString().slice(0, 10);
  return driveSvg({
    title: 'vil demo — drive overview',
    sources: [
      `Real drive: CSS-Electronics CANedge recording 2F6913DB/00001089 (GNSS/IMU module on can2), ${start}, ${drive.epochs.length} s; MIT, github.com/CSS-Electronics/api-examples`,
      'Trail: rtk_serial fixes of the NMEA derived from the drive; objects: radar tracks of a GENERATED scene, placed with the pose sim_pose sent',
    ],
    projection: params.projection,
    trail,
    snapshots,
    speeds: [
      { label: 'GNSS speed (rtk_serial velocity)', color: '#1565c0', points: velocities.map((m) => [stampS(m.header.stamp) - t0, Math.hypot(m.twist.twist.linear.x, m.twist.twist.linear.y)]) },
      { label: 'vehicle state speed (can_bridge)', color: '#e65100', points: vehicleStates.map((m) => [stampS(m.header.stamp) - t0, m.speed]) },
    ],
  });
}

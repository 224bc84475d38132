// In the VM: the can_bridge node (source socketcan) on a local ROS graph, driven with can-utils
// (cansend, canplayer, cangen) and watched by candump beside it. Observations go back to the
// host test (test/can_bridge/node_socketcan.test.ts) as one RESULT line.
//   vcan0: Toyota powertrain DBC (classic); vcan1: Hyundai CAN FD DBC (fd: true);
//   vcan2 (created here): Delphi ESR, object lists from a canplayer replay.
// Usage: bridge_node.ts [burstCount]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes } from '../../nodes/runtime/run.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import type { ObjectListMsg } from '../../nodes/runtime/msg_types.js';
import { canBridgeNode, type CanBridgeRunning } from '../../nodes/can_bridge/main.js';
import { loadDbcFile } from '../../nodes/dbc/load.js';
import type { CanMsgsFrame, FdFrameMsg } from '../../nodes/can_bridge/raw_frames.js';
import type { DecodedSignalsMsg } from '../../nodes/can_bridge/decoded_signals.js';
import { LineTool, hex, main, must, result, run, sleep, waitFor } from './vm_util.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DBC = (n: string) => `${ROOT}test/fixtures/dbc/${n}`;
const BURST = Number(process.argv[2] ?? 10_000);
const ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };

main(async () => {
  await must('ip', 'link', 'add', 'vcan2', 'type', 'vcan');
  await must('ip', 'link', 'set', 'vcan2', 'up');
  const dir = mkdtempSync('/tmp/bridge-');
  const config = join(dir, 'can_bridge.yaml');
  writeFileSync(
    config,
    `buses:
  vcan0: {dbc: ${DBC('toyota_new_mc_pt_generated.dbc')}}
  vcan1: {dbc: ${DBC('hyundai_canfd_generated.dbc')}, fd: true}
  vcan2:
    dbc: ${DBC('ESR.dbc')}
    filters: [{id: 0x4E0, mask: 0x7FF}, {id: 0x500, mask: 0x7C0}]   # ESR_Status and 0x500..0x53F only
decoded:
  - {bus: vcan0, messages: [SPEED]}
  - {bus: vcan1, messages: [WHEEL_SPEEDS], topic: vil/can/fd/decoded}
object_lists:
  esr:
    bus: vcan2
    frame_id: radar_esr
    header: {message: ESR_Status, counter: CAN_TX_SCAN_INDEX}
    members: {first: 0x500, last: 0x53F}
    ordered: true
    timeout_ms: 40
    object:
      position: {range: CAN_TX_TRACK_RANGE, angle: CAN_TX_TRACK_ANGLE}
      status: {signal: CAN_TX_TRACK_STATUS}
      drop_status: [0]
`,
  );

  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'error', '-p', `config_file:=${config}`, '-p', 'reopen_min_ms:=50', '-p', 'reopen_max_ms:=200']));
  const probe = ctx.createNode('probe');
  const raw0: CanMsgsFrame[] = [];
  const fdRaw: FdFrameMsg[] = [];
  const raw1: CanMsgsFrame[] = [];
  const raw2: CanMsgsFrame[] = [];
  const decoded: DecodedSignalsMsg[] = [];
  const fdDecoded: DecodedSignalsMsg[] = [];
  const lists: ObjectListMsg[] = [];
  probe.createSubscription<CanMsgsFrame>('can_msgs/msg/Frame', '/vil/can/vcan0/raw', ALL, (m) => raw0.push(m));
  probe.createSubscription<FdFrameMsg>('ros2_socketcan_msgs/msg/FdFrame', '/vil/can/vcan1/raw_fd', ALL, (m) => fdRaw.push(m));
  probe.createSubscription<CanMsgsFrame>('can_msgs/msg/Frame', '/vil/can/vcan1/raw', ALL, (m) => raw1.push(m));
  probe.createSubscription<CanMsgsFrame>('can_msgs/msg/Frame', '/vil/can/vcan2/raw', ALL, (m) => raw2.push(m));
  probe.createSubscription<DecodedSignalsMsg>('vil/msg/DecodedSignals', '/vil/can/decoded', ALL, (m) => decoded.push(m));
  probe.createSubscription<DecodedSignalsMsg>('vil/msg/DecodedSignals', '/vil/can/fd/decoded', ALL, (m) => fdDecoded.push(m));
  probe.createSubscription<ObjectListMsg>('vil/msg/ObjectList', '/vil/can/objects/esr', ALL, (m) => lists.push(m));
  const started = await startNodes(ctx, [canBridgeNode]);
  const bridge = started.nodes[0] as CanBridgeRunning;
  const diag = (name: string) => {
    const s = bridge.diagnostics().status.find((x) => x.name === `can_bridge: ${name}`)!;
    return { level: s.level, message: s.message, ...Object.fromEntries(s.values.map((v) => [v.key, v.value])) } as Record<string, string | number>;
  };

  const candump = new LineTool('candump', ['-L', 'vcan0', 'vcan1']);
  // Every listener really listening before the test traffic starts. The probes also switch on
  // the sockets' kernel stamping (the addon's first SIOCGSTAMP; see socketcan_source.ts), so
  // the frames under test carry their kernel receive time.
  const until = Date.now() + 20_000;
  const seen = (iface: string, list: CanMsgsFrame[]) => list.some((m) => m.id === 0x7ff) && candump.lines.some((l) => l.includes(`${iface} 7FF#`));
  while (!(seen('vcan0', raw0) && seen('vcan1', raw1))) {
    if (Date.now() > until) throw new Error('probe frame never seen');
    await must('cansend', 'vcan0', '7FF#01');
    await must('cansend', 'vcan1', '7FF#01');
    await sleep(100);
  }
  const out: Record<string, unknown> = {};

  // -- classic frame: SPEED raw 0x1234 (bytes 5..6) -------------------------------------------
  await must('cansend', 'vcan0', '0B4#0000000000123400');
  await waitFor('SPEED decoded', () => decoded.length >= 1);
  await ctx.graph.idle();
  const speedRaw = raw0.find((m) => m.id === 0xb4)!;
  out.classic = {
    raw: { id: speedRaw.id, dlc: speedRaw.dlc, data: hex(speedRaw.data), ext: speedRaw.is_extended, stamp: speedRaw.header.stamp, frame_id: speedRaw.header.frame_id },
    decoded: { name: decoded[0].message_name, names: decoded[0].signal_names, values: [...decoded[0].values], stamp: decoded[0].header.stamp },
  };

  // -- CAN FD: WHEEL_SPEEDS (0xA0, 24 bytes), bit-rate switch ----------------------------------
  const fdData = new Uint8Array(24);
  const wheels = [0x0abc, 0x0abd, 0x0123, 0x3fff]; // FL FR RL RR, 14-bit little endian at bytes 8, 10, 12, 14
  wheels.forEach((w, i) => {
    fdData[8 + 2 * i] = w & 0xff;
    fdData[9 + 2 * i] = w >> 8;
  });
  await must('cansend', 'vcan1', `0A0##1${hex(fdData)}`);
  await waitFor('FD decoded', () => fdDecoded.length >= 1 && fdRaw.length >= 1);
  out.fd = {
    raw: { id: fdRaw[0].id, len: fdRaw[0].len, data: hex(fdRaw[0].data), stamp: fdRaw[0].header.stamp, frame_id: fdRaw[0].header.frame_id },
    decoded: Object.fromEntries(fdDecoded[0].signal_names.map((n, i) => [n, fdDecoded[0].values[i]])),
    wheels,
  };

  // -- the judge's view of the same two frames -------------------------------------------------
  await sleep(200);
  out.candump = candump.lines.filter((l) => / vcan0 0B4#| vcan1 0A0##/.test(l));

  // -- ESR scans replayed by canplayer onto vcan2 ----------------------------------------------
  const esr = loadDbcFile(DBC('ESR.dbc'));
  const logLines: string[] = [];
  for (let k = 0; k < 5; k++) {
    const base = 1_700_000_000 + k * 0.05;
    const line = (t: number, id: number, d: Uint8Array) => `(${t.toFixed(6)}) can1 ${id.toString(16).toUpperCase().padStart(3, '0')}#${hex(d)}`;
    const st = esr.byName('ESR_Status')!;
    const sv: Record<string, number> = Object.fromEntries(st.signalNames.map((n) => [n, 0]));
    sv.CAN_TX_SCAN_INDEX = 700 + k;
    logLines.push(line(base, st.id, st.encode(sv)));
    for (let j = 0; j < 64; j++) {
      const c = esr.lookup(0x500 + j, false)!;
      const v: Record<string, number> = Object.fromEntries(c.signalNames.map((n) => [n, 0]));
      v.CAN_TX_TRACK_RANGE = Number((20 + k).toFixed(1));
      v.CAN_TX_TRACK_ANGLE = Number(((j % 20) - 10).toFixed(1));
      v.CAN_TX_TRACK_STATUS = j < 6 ? 3 : 0;
      logLines.push(line(base + 0.0002 * (j + 1), c.id, c.encode(v)));
    }
  }
  writeFileSync(join(dir, 'esr.log'), `${logLines.join('\n')}\n`);
  await must('canplayer', '-I', join(dir, 'esr.log'), 'vcan2=can1');
  await waitFor('5 ESR lists', () => lists.length >= 5);
  out.esr = lists.map((l) => ({ counter: l.cycle_counter, frames: l.frames_in_cycle, ids: l.objects.map((o) => o.id), ranges: l.objects.map((o) => Math.hypot(o.position.x, o.position.y)) }));
  out.esrDiag = diag('objects esr');

  // -- kernel filters from the config: vcan2 takes ESR_Status and 0x500..0x53F only ------------
  const esrDump = new LineTool('candump', ['-L', 'vcan2']);
  await sleep(200);
  for (const f of ['5D0#0102', '540#0304', '4E0#0000000000000000', '53F#0506']) await must('cansend', 'vcan2', f);
  await waitFor('filtered frames', () => raw2.some((m) => m.id === 0x53f) && esrDump.lines.filter((l) => l.includes(' vcan2 ')).length >= 4);
  await ctx.graph.idle();
  out.filters = { bridge: raw2.slice(-2).map((m) => m.id), candump: (await esrDump.stop()).filter((l) => l.includes(' vcan2 ')).map((l) => l.split(' ')[2]), rawTotal: raw2.length };

  // -- error frames → bus state on /diagnostics ------------------------------------------------
  const states: Record<string, string | number>[] = [];
  for (const [frame, want] of [
    ['20000004#0020000000008000', 'error-passive'], // controller: tx passive, counters tx 128 rx 0
    ['20000040#0000000000000000', 'bus-off'],
    ['20000100#0000000000000000', 'error-active'], // controller restarted
  ] as const) {
    await must('cansend', 'vcan0', frame);
    await waitFor(`bus state ${want}`, () => diag('bus vcan0').bus_state === want);
    states.push(diag('bus vcan0'));
  }
  out.errorStates = states;
  out.errorRaw = raw0.filter((m) => m.is_error).map((m) => ({ id: m.id, data: hex(m.data) }));

  // -- interface down and up: reported, reopened, frames resume without a restart -------------
  await must('ip', 'link', 'set', 'vcan0', 'down');
  await waitFor('link down reported', () => diag('bus vcan0').link === 'down');
  const down = diag('bus vcan0');
  const whileDown = await run('cansend', ['vcan0', '0B4#0000000000000100']);
  await sleep(300);
  await must('ip', 'link', 'set', 'vcan0', 'up');
  await waitFor('link up again', () => diag('bus vcan0').link === 'up');
  const before = decoded.length;
  const resumeUntil = Date.now() + 20_000;
  while (decoded.length === before) {
    if (Date.now() > resumeUntil) throw new Error('frames did not resume after the interface came back');
    await must('cansend', 'vcan0', '0B4#0000000000020000');
    await sleep(100);
  }
  out.link = { down, cansendWhileDown: whileDown.code, up: diag('bus vcan0'), resumedValue: decoded.at(-1)!.values[1] };

  // -- burst: BURST frames back to back; every one raw and decoded -----------------------------
  await ctx.graph.idle();
  const rawBefore = raw0.filter((m) => m.id === 0xb4).length;
  const decBefore = decoded.length;
  const dropsBefore = Number(diag('bus vcan0').drops);
  const burstDump = new LineTool('candump', ['-d', '-L', 'vcan0,0B4:7FF']);
  await sleep(300);
  const t0 = performance.now();
  await must('cangen', 'vcan0', '-g', '0', '-n', String(BURST), '-I', 'B4', '-L', '8', '-D', 'i');
  const sentMs = performance.now() - t0;
  let last = '';
  let still = 0;
  await waitFor(
    'burst drained',
    () => {
      const got = `${raw0.length}/${decoded.length}`;
      if (decoded.length - decBefore >= BURST) return true;
      still = got === last ? still + 1 : 0;
      last = got;
      return still > 100;
    },
    120_000,
  );
  await ctx.graph.idle();
  // candump reads on its own: stop it only once it has every frame (or has stopped receiving).
  let dumped = -1;
  let dumpStill = 0;
  await waitFor(
    'candump to drain the burst',
    () => {
      const n = burstDump.lines.filter((l) => l.includes('vcan0 0B4#')).length;
      if (n >= BURST) return true;
      dumpStill = n === dumped ? dumpStill + 1 : 0;
      dumped = n;
      return dumpStill > 100;
    },
    60_000,
  );
  const dumpLines = await burstDump.stop();
  const burstDecoded = decoded.slice(decBefore);
  // cangen -D i: an incrementing 64-bit little-endian payload; SPEED (bytes 5..6) follows it
  let outOfSequence = 0;
  for (let i = 1; i < burstDecoded.length; i++) if (burstDecoded[i].header.stamp.sec < burstDecoded[i - 1].header.stamp.sec) outOfSequence++;
  out.burst = {
    count: BURST,
    raw: raw0.filter((m) => m.id === 0xb4).length - rawBefore,
    decoded: burstDecoded.length,
    drops: Number(diag('bus vcan0').drops) - dropsBefore,
    candumpFrames: dumpLines.filter((l) => l.includes('vcan0 0B4#')).length,
    candumpDropLines: dumpLines.filter((l) => l.startsWith('DROPCOUNT')),
    cangenMs: sentMs,
    outOfSequence,
    rmemDefault: Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8')),
    graph: ctx.graph.stats().filter((s) => s.topic.startsWith('/vil/can/')).map((s) => ({ topic: s.topic, messages: s.messages, dropped: s.dropped })),
  };
  out.finalBus = diag('bus vcan0');

  await candump.stop();
  await started.stop();
  await ctx.shutdown();
  result(out);
});

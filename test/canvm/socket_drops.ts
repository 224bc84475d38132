// In the VM: frames lost in can_bridge's own socket queue (socket_drops.ts), on /diagnostics.
// The can_bridge node (source socketcan) runs on a local ROS graph with vcan0 (no kernel filter,
// error frames on: an "all" and an "err" receiver), vcan1 (two disjoint filters) and vcan2 (two
// overlapping filters: unavailable). candump -d -L vcan0 runs beside it from before the node
// starts (another CAN_RAW socket on the same interface) and is the judge: cangen sends COUNT
// frames back to back; candump's frames plus the drops the kernel reports on its own socket
// (SO_RXQ_OVFL, "DROPCOUNT ... (total drops N)") must make COUNT. A sentinel frame after the
// burst makes candump report its final drop count and gives the node's count an idle moment.
// With "hidden", kernel.kptr_restrict=2 first: /proc/net/can prints no socket addresses, and the
// node finds its receivers by their filters (a fingerprint split on vcan0), data frames only.
// Usage: socket_drops.ts [count] [hidden]   (net.core.rmem_default is the harness's VIL_CANVM_RMEM)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes } from '../../nodes/runtime/run.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import { canBridgeNode, type CanBridgeRunning } from '../../nodes/can_bridge/main.js';
import type { CanMsgsFrame } from '../../nodes/can_bridge/raw_frames.js';
import { RCV_LISTS } from '../../nodes/can_bridge/socket_drops.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import { LineTool, main, must, rawSocketsBound, result, sleep, waitFor } from './vm_util.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const COUNT = Number(process.argv[2] ?? 10_000);
const HIDDEN = process.argv[3] === 'hidden';
const ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };
const sysfs = (iface: string, stat: string) => Number(readFileSync(`/sys/class/net/${iface}/statistics/${stat}`, 'utf8'));
/** The kernel's receiver lists as they are (net/can/proc.c). */
const rcvlists = () => Object.fromEntries(RCV_LISTS.map((l) => [l, readFileSync(`/proc/net/can/rcvlist_${l}`, 'utf8')]));

main(async () => {
  if (HIDDEN) await must('sysctl', '-q', '-w', 'kernel.kptr_restrict=2');
  await must('ip', 'link', 'add', 'vcan2', 'type', 'vcan');
  await must('ip', 'link', 'set', 'vcan2', 'up');
  const dir = mkdtempSync('/tmp/socket-drops-');
  const config = join(dir, 'can_bridge.yaml');
  writeFileSync(
    config,
    `buses:
  vcan0: {dbc: ${ROOT}test/fixtures/dbc/toyota_new_mc_pt_generated.dbc}
  vcan1: {filters: [{id: 0x0B4, mask: 0x7FF, extended: false}, {id: 0x100, mask: 0x700, extended: false}]}
  vcan2: {filters: [{id: 0x100, mask: 0x700}, {id: 0x120, mask: 0x7F0}]}
decoded:
  - {bus: vcan0, messages: [SPEED]}
`,
  );
  // The judge, bound before the node's sockets exist.
  const candump = new LineTool('candump', ['-d', '-L', 'vcan0']);
  await rawSocketsBound('vcan0', 1);

  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'warn', '-p', `config_file:=${config}`]));
  const probe = ctx.createNode('probe');
  const raw0: CanMsgsFrame[] = [];
  probe.createSubscription<CanMsgsFrame>('can_msgs/msg/Frame', '/vil/can/vcan0/raw', ALL, (m) => raw0.push(m));
  // What /diagnostics carried for vcan0 (the node's own 1 Hz publication).
  const published: { level: number; message: string }[] = [];
  probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', ALL, (m) => {
    for (const s of m.status) if (s.name === 'can_bridge: bus vcan0') published.push({ level: s.level, message: s.message });
  });
  const started = await startNodes(ctx, [canBridgeNode]);
  const bridge = started.nodes[0] as CanBridgeRunning;
  const diag = (bus: string) => {
    const s = bridge.diagnostics().status.find((x) => x.name === `can_bridge: bus ${bus}`)!;
    return { level: s.level, message: s.message, ...Object.fromEntries(s.values.map((v) => [v.key, v.value])) } as Record<string, string | number>;
  };
  const seen = (list: CanMsgsFrame[], id: number, byte0: number) => list.some((m) => m.id === id && m.data[0] === byte0);
  const candumpSaw = (frame: string) => candump.lines.some((l) => l.endsWith(` vcan0 ${frame}`));
  const until = Date.now() + 20_000;
  while (!(seen(raw0, 0x7ff, 0x01) && candumpSaw('7FF#01'))) {
    if (Date.now() > until) throw new Error('probe frame never seen');
    await must('cansend', 'vcan0', '7FF#01');
    await sleep(100);
  }
  // An idle moment so the count is settled before the burst.
  await waitFor('settled before the burst', () => String(diag('vcan0').socket_drops_note).startsWith('exact'), 120_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${diag('vcan0').socket_drops_note}`);
  });
  const before = diag('vcan0');
  // Judged from here on: before the first frame the node rightly warned 'no frame received yet'.
  const publishedBefore = published.length;
  const kernelBefore = rcvlists();
  const rxPacketsBefore = sysfs('vcan0', 'rx_packets');
  const rawBefore = raw0.length;

  await must('cangen', 'vcan0', '-g', '0', '-n', String(COUNT), '-I', 'B4', '-L', '8', '-D', 'i');
  // Drained when the node has had nothing new for 2 s.
  let last = -1;
  let still = 0;
  await waitFor('burst drained', () => {
    still = raw0.length === last ? still + 1 : 0;
    last = raw0.length;
    return still > 100;
  }, 120_000);
  await ctx.graph.idle();
  const burstRaw = raw0.slice(rawBefore).filter((m) => m.id === 0xb4).length;
  // The sentinel: candump prints its final drop count with it; then wait for an idle sample.
  const untilSentinel = Date.now() + 20_000;
  while (!(seen(raw0, 0x7ff, 0xee) && candumpSaw('7FF#EE'))) {
    if (Date.now() > untilSentinel) throw new Error('sentinel never seen');
    await must('cansend', 'vcan0', '7FF#EE');
    await sleep(200);
  }
  const sentinels = raw0.filter((m) => m.id === 0x7ff && m.data[0] === 0xee).length;
  let after: Record<string, string | number> = {};
  await waitFor('settled after the burst', () => String((after = diag('vcan0')).socket_drops_note).startsWith('exact'), 120_000);
  // Two more /diagnostics publications after the settled sample: the warning has been followed by OK.
  const settledAt = published.length;
  await waitFor('two /diagnostics publications after the burst settled', () => published.length > settledAt + 1, 120_000);
  const kernelAfter = rcvlists();
  const rxPacketsAfter = sysfs('vcan0', 'rx_packets');
  const lines = await candump.stop();
  const dropLines = lines.filter((l) => l.startsWith('DROPCOUNT'));
  const totalDrops = dropLines.length ? Number(/total drops (\d+)/.exec(dropLines.at(-1)!)![1]) : 0;
  result({
    count: COUNT,
    burstRaw,
    sentinels,
    before,
    after,
    publishedWarnings: published.slice(publishedBefore).filter((p) => p.level !== 0),
    publishedLast: published.at(-1),
    vcan1: diag('vcan1'),
    vcan2: diag('vcan2'),
    candumpFrames: lines.filter((l) => l.includes(' vcan0 0B4#')).length,
    candumpTotalDrops: totalDrops,
    candumpDropLines: dropLines,
    rxPacketsDelta: rxPacketsAfter - rxPacketsBefore,
    kernelBefore,
    kernelAfter,
    kptrRestrict: Number(readFileSync('/proc/sys/kernel/kptr_restrict', 'utf8')),
    rmemDefault: Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8')),
  });
  await started.stop();
  await ctx.shutdown();
});

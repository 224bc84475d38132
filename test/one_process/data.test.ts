// One process or many (DESIGN rule 9), part 2: the data, in-process.
//
// Mode ONE: all five nodes on one local context (as `vil run all`), recording to MCAP, fed the
// demo's inputs: can_bridge replays the demo's window of the real CANedge drive with the generated
// radar log (recording_realtime:=false, recording_stamps:=log: deterministic contents and stamps),
// rtk_serial runs with source:=topic and the test publishes the NMEA derived from the drive as
// nmea_msgs/Sentence on /vil/rtk/raw (stamped with each epoch's UTC), one epoch every 200 ms.
// Mode MANY: each node on its own context (a process of its own on the local graph sees nobody
// else, so each gets its inputs from the test):
//   - device nodes get the same inputs: their outputs must be the same messages, stamps included
//     (every published topic except /diagnostics, whose values are wall-clock rates and ages);
//   - downstream nodes (sim_pose, markers, dspace_relay) get the upstream topics recorded in mode
//     ONE, played back from the MCAP at the recorded pace (as `ros2 bag play` does). Compared:
//     markers — the same /vil/markers, /tf and /tf_static messages, in order, contents included;
//     dspace_relay — the same UDP payloads (the layout's header carries send time, so header and
//     CRC are left out; the sequence counts from 0 in both);
//     sim_pose — publishes at its own timer rate, so counts follow wall time; compared are the
//     distinct poses (one per fix: extrapolate:=false in both modes so a pose is a function of
//     its inputs, not of the moment the timer fires) and the UDP packet count ≈ rate.
// The same parameters in every mode: config/demo.params.yaml plus the run's values (helpers.ts).
import { rawOutputQos } from '../../nodes/runtime/qos_profiles.js';
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { readMcap, type McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type NodeDefinition } from '../../nodes/runtime/run.js';
import type { CanBridgeRunning } from '../../nodes/can_bridge/main.js';
import { NODES } from '../../nodes/cli/registry.js';
import { Marker, type MarkerArrayMsg, type NmeaSentenceMsg, type PoseStampedMsg, type TFMessageMsg } from '../../nodes/runtime/msg_types.js';
import { inDataOrder } from '../helpers/mcap_order.js';
import { byTopic, demoRosArgs, play, probe, sentenceMessages, tempDir, udpSink, writeDemoInputs, type UdpSink } from './helpers.js';

/** Receiver epochs of the drive (one a second): also the length of the CAN window. */
const EPOCHS = 6;
/** Wall time between epochs in mode ONE (sim_pose ticks at 100 Hz in between). */
const EPOCH_PACE_MS = 200;
/** After the inputs end: object markers expire (lifetime 1 s) so both modes end in the same state. */
const TAIL_MS = 1500;

const RTK_TOPICS = [
  ['sensor_msgs/msg/NavSatFix', '/vil/rtk/fix'],
  ['geometry_msgs/msg/TwistWithCovarianceStamped', '/vil/rtk/velocity'],
  ['geometry_msgs/msg/QuaternionStamped', '/vil/rtk/heading'],
  ['vil/msg/GnssStatus', '/vil/rtk/status'],
] as const;
const CAN_TOPICS = [
  ['can_msgs/msg/Frame', '/vil/can/can1/raw'],
  ['can_msgs/msg/Frame', '/vil/can/can2/raw'],
  ['can_msgs/msg/Frame', '/vil/can/radar/raw'],
  ['vil/msg/DecodedSignals', '/vil/can/decoded/gnss_pos'],
  ['vil/msg/DecodedSignals', '/vil/can/decoded/gnss_imu'],
  ['vil/msg/DecodedSignals', '/vil/can/radar/decoded'],
  ['vil/msg/VehicleState', '/vil/can/vehicle_state'],
  ['vil/msg/ObjectList', '/vil/can/objects/esr'],
] as const;
const MARKER_TOPICS = [
  ['visualization_msgs/msg/MarkerArray', '/vil/markers'],
  ['tf2_msgs/msg/TFMessage', '/tf'],
  ['tf2_msgs/msg/TFMessage', '/tf_static'],
] as const;

let dir: string;
let argv: readonly string[];
let defs: Record<string, NodeDefinition>;
let sentences: NmeaSentenceMsg[][];
/** ESR scans in the drive's window (one object list and one dSPACE datagram each). */
let scans: number;
const sinks: Record<'sim' | 'dspace', UdpSink[]> = { sim: [], dspace: [] };

/** Mode ONE's results. */
let one: { mcap: McapMessage[]; got: Map<string, unknown[]>; simPackets: Buffer[]; dspacePackets: Buffer[]; dropped: Map<string, number> };

/** Feeds the epochs as nmea_msgs/Sentence, each delivered before the next (rtk_serial's queue keeps 5). */
async function feedSentences(ctx: LocalContext, paceMs: number): Promise<void> {
  const feeder = ctx.createNode('feeder');
  const pub = feeder.createPublisher<NmeaSentenceMsg>('nmea_msgs/msg/Sentence', '/vil/rtk/raw', rawOutputQos());
  for (const epoch of sentences) {
    for (const s of epoch) {
      pub.publish(s);
      await ctx.graph.idle();
    }
    if (paceMs) await sleep(paceMs);
  }
}

setupAll(async () => {
  dir = tempDir();
  const sim = await udpSink();
  const dspace = await udpSink();
  sinks.sim.push(sim);
  sinks.dspace.push(dspace);
  const inputs = await writeDemoInputs(dir, EPOCHS, dspace.port);
  scans = inputs.drive.radarScans;
  argv = demoRosArgs({ inputs, simPort: sim.port, extra: ['rtk_serial:source:=topic', 'sim_pose:extrapolate:=false'] });
  defs = Object.fromEntries(await Promise.all(Object.entries(NODES).map(async ([k, n]) => [k, await n.load()] as const)));
  sentences = sentenceMessages(inputs.drive);

  // ---- mode ONE
  const mcapFile = join(dir, 'one.mcap');
  const ctx = createLocalContext(parseRosArgs(argv), { recordPath: mcapFile });
  const got = probe(ctx, [...RTK_TOPICS, ...CAN_TOPICS, ...MARKER_TOPICS, ['geometry_msgs/msg/PoseStamped', '/vil/sim/ego_pose']]);
  const started = await startNodes(ctx, Object.values(defs));
  const bridge = started.nodes[Object.keys(defs).indexOf('can_bridge')] as CanBridgeRunning;
  await Promise.all([feedSentences(ctx, EPOCH_PACE_MS), bridge.replayDone]);
  await ctx.graph.idle();
  await sleep(TAIL_MS);
  await started.stop();
  await ctx.graph.idle();
  const dropped = new Map(ctx.graph.stats().map((s) => [s.topic, s.dropped]));
  await ctx.shutdown();
  await sleep(100); // the last UDP datagrams on loopback
  one = { mcap: inDataOrder(await readMcap(mcapFile)), got, simPackets: [...sim.packets], dspacePackets: [...dspace.packets], dropped };
}, 600_000);

afterAll(() => {
  for (const s of [...sinks.sim, ...sinks.dspace]) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * One node alone on its own context with the same arguments (plus `extra`, only to point a UDP
 * output at this test's own receiver); `feed` drives its inputs.
 */
async function alone(name: string, topics: readonly (readonly [string, string])[], feed: (ctx: LocalContext, running: unknown) => Promise<void>, extra: string[] = []) {
  const ctx = createLocalContext(parseRosArgs([...argv, ...extra.flatMap((e) => ['-p', e])]));
  const got = probe(ctx, topics);
  const started = await startNodes(ctx, [defs[name]]);
  try {
    await feed(ctx, started.nodes[0]);
    await ctx.graph.idle();
  } finally {
    await started.stop();
    await ctx.graph.idle();
    await ctx.shutdown();
  }
  return got;
}

const upstream = (topics: string[]) => one.mcap.filter((m) => topics.includes(m.topic));

describe('mode ONE ran cleanly (precondition of every comparison)', () => {
  it('every node published, nothing the comparisons use was dropped from a queue, the recording holds what the probe saw', () => {
    const recorded = byTopic(one.mcap);
    for (const [, topic] of [...RTK_TOPICS, ...CAN_TOPICS, ...MARKER_TOPICS]) {
      if (topic === '/vil/rtk/heading') continue; // the u-blox log has no HDT/THS
      expect(one.got.get(topic)!.length, topic).toBeGreaterThan(0);
      expect(recorded.get(topic), topic).toEqual(one.got.get(topic));
    }
    expect(one.got.get('/vil/rtk/fix')).toHaveLength(EPOCHS);
    expect(one.got.get('/vil/can/objects/esr')).toHaveLength(scans);
    expect(scans).toBeGreaterThanOrEqual(EPOCHS * 20 - 1);
    for (const topic of ['/vil/rtk/raw', '/vil/rtk/fix', '/vil/can/objects/esr', '/vil/sim/ego_pose']) expect(one.dropped.get(topic), topic).toBe(0);
    expect(one.simPackets.length).toBeGreaterThan(0);
    expect(one.dspacePackets).toHaveLength(scans);
  });
});

describe('device nodes alone, same inputs: the same messages as in one process', () => {
  it('can_bridge: raw frames, decoded signals, vehicle state and ESR object lists identical, stamps included', async () => {
    const got = await alone('can_bridge', CAN_TOPICS, async (_ctx, running) => (running as CanBridgeRunning).replayDone);
    for (const [, topic] of CAN_TOPICS) {
      expect(got.get(topic)!.length, topic).toBe(one.got.get(topic)!.length);
      expect(got.get(topic), topic).toEqual(one.got.get(topic));
    }
  });

  it('rtk_serial (source topic, the same Sentence list): fix, velocity, heading and status identical, stamps included', async () => {
    const got = await alone('rtk_serial', RTK_TOPICS, (ctx) => feedSentences(ctx, 0));
    for (const [, topic] of RTK_TOPICS) expect(got.get(topic), topic).toEqual(one.got.get(topic));
    expect(got.get('/vil/rtk/fix')).toHaveLength(EPOCHS);
  });
});

describe('downstream nodes alone, fed by playing back what mode ONE recorded', () => {
  it('markers: the same MarkerArrays, /tf and /tf_static, in order and content', async () => {
    const input = upstream(['/vil/can/objects/esr', '/vil/sim/ego_pose', '/vil/rtk/fix']);
    const got = await alone('markers', MARKER_TOPICS, async (ctx) => {
      await play(ctx, input);
      await sleep(TAIL_MS);
    });
    const recorded = byTopic(one.mcap);
    for (const [, topic] of MARKER_TOPICS) expect(got.get(topic)!.length, topic).toBe(recorded.get(topic)!.length);
    expect(got.get('/tf')).toEqual(recorded.get('/tf'));
    // Three streams make up /vil/markers: arrays for an object list (stamped with the list), for an
    // ego pose (stamped with the pose), and the node's own clock-driven ones (the DELETEALL at
    // start, expiry after the lifetime): stamped with the node's clock, placed by its 100 ms timer.
    // The first two must be identical; the third the same but for stamps (and place among the others).
    const streams = (arrays: unknown[]) => {
      const s = { objects: [] as MarkerArrayMsg[], ego: [] as MarkerArrayMsg[], clock: [] as MarkerArrayMsg[] };
      for (const a of arrays as MarkerArrayMsg[]) {
        if (a.markers.some((m) => m.ns.startsWith('ego/'))) s.ego.push(a);
        else if (a.markers.some((m) => m.ns.startsWith('esr/') && m.action === Marker.ADD)) s.objects.push(a);
        else s.clock.push(a);
      }
      return s;
    };
    const mine = streams(got.get('/vil/markers')!);
    const theirs = streams(recorded.get('/vil/markers')!);
    expect(theirs.objects).toHaveLength(scans);
    expect(theirs.ego.length).toBeGreaterThan(0);
    expect(mine.objects).toEqual(theirs.objects);
    expect(mine.ego).toEqual(theirs.ego);
    const unstampMarkers = (a: MarkerArrayMsg) => a.markers.map((m) => ({ ...m, header: { ...m.header, stamp: 0 } }));
    expect(theirs.clock.map((a) => a.markers.map((m) => m.action))).toEqual([[Marker.DELETEALL], Array(theirs.clock[1]?.markers.length ?? 0).fill(Marker.DELETE)]);
    expect(mine.clock.map(unstampMarkers)).toEqual(theirs.clock.map(unstampMarkers));
    // Static frames are stamped with the node's start time: equal but for that stamp.
    const unstamp = (m: unknown) => (m as TFMessageMsg).transforms.map((x) => ({ ...x, header: { ...x.header, stamp: 0 } }));
    expect(unstamp(got.get('/tf_static')![0])).toEqual(unstamp(recorded.get('/tf_static')![0]));
  });

  it('dspace_relay: one UDP packet per object list, the same payloads in the same order', async () => {
    const sink = await udpSink();
    sinks.dspace.push(sink);
    const routes = join(dir, 'dspace_routes_alone.yaml');
    writeFileSync(routes, readFileSync(join(dir, 'dspace_routes.yaml'), 'utf8').replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${sink.port}`));
    await alone(
      'dspace_relay',
      [],
      async (ctx) => {
        await play(ctx, upstream(['/vil/can/objects/esr']));
        await sleep(100);
      },
      [`dspace_relay:routes_file:=${routes}`],
    );
    // object_list_to_dspace.yaml: 18-byte header (magic, version, flags, u16 sequence, f64 send
    // time, u16 length), payload, u32 CRC. Send time differs by run; everything else must not.
    const seq = (b: Buffer) => b.readUInt16LE(6);
    const payload = (b: Buffer) => b.subarray(18, b.length - 4).toString('hex');
    expect(sink.packets).toHaveLength(one.dspacePackets.length);
    expect(sink.packets.map(seq)).toEqual(one.dspacePackets.map(seq));
    expect(sink.packets.map(payload)).toEqual(one.dspacePackets.map(payload));
    expect(sink.packets.map((b) => b.subarray(0, 6).toString('hex'))).toEqual(one.dspacePackets.map((b) => b.subarray(0, 6).toString('hex')));
  });

  it('sim_pose: the same distinct poses (one per fix), published at its own rate', async () => {
    const sink = await udpSink();
    sinks.sim.push(sink);
    const got = await alone(
      'sim_pose',
      [['geometry_msgs/msg/PoseStamped', '/vil/sim/ego_pose']],
      async (ctx) => {
        await play(ctx, upstream(['/vil/rtk/fix', '/vil/rtk/velocity', '/vil/rtk/heading', '/vil/can/vehicle_state']));
        await sleep(EPOCH_PACE_MS);
      },
      [`sim_pose:udp_destination:=127.0.0.1:${sink.port}`],
    );
    const distinct = (poses: unknown[]) => {
      const out: PoseStampedMsg[] = [];
      for (const p of poses as PoseStampedMsg[]) {
        const last = out.at(-1);
        if (!last || last.header.stamp.sec !== p.header.stamp.sec || last.header.stamp.nanosec !== p.header.stamp.nanosec) out.push(p);
      }
      return out;
    };
    const mine = distinct(got.get('/vil/sim/ego_pose')!);
    const theirs = distinct(one.got.get('/vil/sim/ego_pose')!);
    expect(theirs).toHaveLength(EPOCHS);
    expect(mine).toEqual(theirs);
    // One pose per fix stamp, the fix's stamp (extrapolate off).
    const fixes = one.got.get('/vil/rtk/fix') as { header: { stamp: unknown } }[];
    expect(mine.map((p) => p.header.stamp)).toEqual(fixes.map((f) => f.header.stamp));
    // Timer-driven: both modes sent poses over UDP while they had a fix (counts follow wall time).
    expect(sink.packets.length).toBeGreaterThan(EPOCHS);
    expect(one.simPackets.length).toBeGreaterThan(EPOCHS);
  });
});

// The markers node on the local ROS graph: every message crosses the graph as CDR against the real
// visualization_msgs/Marker, tf2_msgs/TFMessage ... definitions (the graph refuses a message that
// does not match its type), and every MarkerArray is also held to rviz2's acceptance rules.
// Object lists are ESR-like (helpers.ts), built in the test: can_bridge's ESR assembly is not
// available to these tests yet.
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { MessageValidationError } from '../../nodes/runtime/local/graph.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import type { Publisher, QosSettings, RosNode, Time } from '../../nodes/runtime/ros.js';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { markersNode } from '../../nodes/markers/main.js';
import { quaternionFromYaw } from '../../nodes/markers/geometry.js';
import { createMarker } from '../../nodes/markers/marker_array.js';
import { Marker, type MarkerArrayMsg, type NavSatFixMsg, type ObjectListMsg, type PoseStampedMsg, type TFMessageMsg } from '../../nodes/runtime/msg_types.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import { SCAN_A, esrList, find, keys, quaternionMatrix, rpyMatrix, rvizProblems } from './helpers.js';

const ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };
const LATCHED: QosSettings = { reliability: 'reliable', durability: 'transient_local', history: 'keep_last', depth: 1 };
const t = (sec: number, nanosec = 0): Time => ({ sec, nanosec });

interface Rig {
  ctx: LocalContext;
  started: StartedNodes;
  probe: RosNode;
  arrays: MarkerArrayMsg[];
  tf: TFMessageMsg[];
  diagnostics: DiagnosticArrayMsg[];
  objects: Publisher<ObjectListMsg>;
  pose: Publisher<PoseStampedMsg>;
  fix: Publisher<NavSatFixMsg>;
  clock: Publisher<{ clock: Time }>;
  reset: Publisher<Record<string, never>>;
  /** Waits until every message published so far (and what callbacks published) was delivered. */
  settle(): Promise<void>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.started.stop();
  await rig?.ctx.shutdown();
  rig = undefined;
});

/** A graph with a probe node (subscribed before the markers node starts) and the markers node. */
async function start(params: string[] = []): Promise<Rig> {
  const args = parseRosArgs(['--ros-args', '--log-level', 'error', ...params.flatMap((p) => ['-p', p])]);
  const ctx = createLocalContext(args);
  const probe = ctx.createNode('probe');
  const arrays: MarkerArrayMsg[] = [];
  const tf: TFMessageMsg[] = [];
  const diagnostics: DiagnosticArrayMsg[] = [];
  probe.createSubscription<MarkerArrayMsg>('visualization_msgs/msg/MarkerArray', '/vil/markers', ALL, (m) => {
    expect(rvizProblems(m)).toEqual([]);
    arrays.push(m);
  });
  probe.createSubscription<TFMessageMsg>('tf2_msgs/msg/TFMessage', '/tf', ALL, (m) => tf.push(m));
  probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', ALL, (m) => diagnostics.push(m));
  const started = await startNodes(ctx, [markersNode]);
  rig = {
    ctx,
    started,
    probe,
    arrays,
    tf,
    diagnostics,
    objects: probe.createPublisher<ObjectListMsg>('vil/msg/ObjectList', '/vil/can/objects/esr', 'default'),
    pose: probe.createPublisher<PoseStampedMsg>('geometry_msgs/msg/PoseStamped', '/vil/sim/ego_pose', 'default'),
    fix: probe.createPublisher<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', 'sensor_data'),
    clock: probe.createPublisher<{ clock: Time }>('rosgraph_msgs/msg/Clock', '/clock', 'default'),
    reset: probe.createPublisher<Record<string, never>>('std_msgs/msg/Empty', '/vil/markers/reset', 'default'),
    settle: () => ctx.graph.idle(),
  };
  await rig.settle();
  return rig;
}

/** Waits (polling the graph) until `cond` holds; fails after `ms`. For timer-driven output only. */
async function until(cond: () => boolean, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
    await rig!.ctx.graph.idle();
  }
}

function egoPose(x: number, y: number, yaw: number, stamp: Time): PoseStampedMsg {
  return { header: { stamp, frame_id: 'map' }, pose: { position: { x, y, z: 0 }, orientation: quaternionFromYaw(yaw) } };
}

function diagValue(r: Rig, key: string): string | undefined {
  const last = r.diagnostics.at(-1);
  return last?.status.find((s) => s.name === 'markers: markers')?.values.find((v) => v.key === key)?.value;
}

describe('markers node on the local graph', () => {
  it('starts with a DELETEALL (clears what a previous run left in rviz)', async () => {
    const r = await start();
    expect(r.arrays).toHaveLength(1);
    expect(r.arrays[0].markers).toHaveLength(1);
    expect(r.arrays[0].markers[0]).toMatchObject({ action: Marker.DELETEALL, ns: '' });
  });

  it('object markers: stable ids across scans, DELETE for tracks that left, in the list\'s frame', async () => {
    const r = await start();
    r.objects.publish(esrList(1, t(100), SCAN_A));
    r.objects.publish(esrList(2, t(100, 50_000_000), SCAN_A));
    r.objects.publish(esrList(3, t(100, 100_000_000), SCAN_A.filter((tr) => tr.track !== 12)));
    await r.settle();
    const [, a, b, c] = r.arrays;
    expect(r.arrays).toHaveLength(4);
    expect(keys(a, Marker.ADD)).toHaveLength(11);
    expect(keys(b, Marker.ADD)).toEqual(keys(a, Marker.ADD));
    expect(keys(b, Marker.DELETE)).toEqual([]);
    expect(keys(c, Marker.DELETE)).toEqual(['esr/box/12', 'esr/label/12', 'esr/velocity/12']);
    expect(keys(c, Marker.ADD)).toEqual(keys(a, Marker.ADD).filter((k) => !k.endsWith('/12')));
    for (const m of [...a.markers, ...c.markers]) expect(m.header.frame_id).toBe('radar_esr');
    expect(find(b, 'esr/box', 3)!.header.stamp).toEqual(t(100, 50_000_000));
  });

  it('the graph refuses a Marker that does not match visualization_msgs/msg/Marker; the node\'s pass', async () => {
    const r = await start();
    const bad = r.probe.createPublisher<MarkerArrayMsg>('visualization_msgs/msg/MarkerArray', '/vil/markers', 'default');
    const { mesh_file: _dropped, ...noMesh } = createMarker();
    expect(() => bad.publish({ markers: [noMesh as never] })).toThrow(MessageValidationError);
    expect(() => bad.publish({ markers: [{ ...createMarker(), id: 2 ** 31 }] })).toThrow(MessageValidationError);
    r.objects.publish(esrList(1, t(100), SCAN_A));
    await r.settle();
    expect(r.arrays.at(-1)!.markers.length).toBe(11);
    await until(() => diagValue(r, 'marker_arrays') !== undefined);
    expect(diagValue(r, 'publish_errors')).toBe('0');
  });

  it('DELETEALL when the stamps of an input jump back (a bag looping without --clock), then draws the new pass', async () => {
    const r = await start();
    r.objects.publish(esrList(1, t(100), SCAN_A));
    r.objects.publish(esrList(2, t(130), SCAN_A));
    r.objects.publish(esrList(1, t(100, 20_000_000), SCAN_A.slice(0, 2)));
    await r.settle();
    const looped = r.arrays.at(-1)!;
    expect(looped.markers[0]).toMatchObject({ action: Marker.DELETEALL, ns: '' });
    // After the DELETEALL nothing is left to delete: only the new pass's objects, same ids.
    expect(keys(looped, Marker.DELETE)).toEqual([]);
    expect(keys(looped, Marker.ADD)).toEqual(['esr/box/3', 'esr/box/7', 'esr/label/3', 'esr/label/7', 'esr/velocity/3', 'esr/velocity/7']);
    // Small backward steps (reordering, jitter) are not a loop.
    r.objects.publish(esrList(3, t(100, 10_000_000), SCAN_A.slice(0, 2)));
    await r.settle();
    expect(r.arrays.at(-1)!.markers.some((m) => m.action === Marker.DELETEALL)).toBe(false);
  });

  it('DELETEALL when /clock jumps back under use_sim_time (ros2 bag play --clock --loop), from the ROS clock alone', async () => {
    const r = await start(['use_sim_time:=true']);
    r.clock.publish({ clock: t(200) });
    await r.settle();
    r.objects.publish(esrList(1, t(200), SCAN_A));
    await r.settle();
    r.clock.publish({ clock: t(230) });
    await r.settle();
    r.objects.publish(esrList(2, t(230), SCAN_A));
    await r.settle();
    const before = r.arrays.length;
    r.clock.publish({ clock: t(200, 5_000_000) });
    // No input arrives: the node's own clock check finds the jump.
    await until(() => r.arrays.length > before);
    const cleared = r.arrays[before];
    expect(cleared.markers).toHaveLength(1);
    expect(cleared.markers[0]).toMatchObject({ action: Marker.DELETEALL, ns: '', header: { stamp: t(200, 5_000_000) } });
  });

  it('lifetimes run on ROS time: a paused bag keeps its markers, advancing /clock past the lifetime deletes them', async () => {
    const r = await start(['use_sim_time:=true', 'object_lifetime:=0.5']);
    r.clock.publish({ clock: t(300) });
    await r.settle();
    r.objects.publish(esrList(1, t(300), SCAN_A));
    await r.settle();
    const drawn = r.arrays.at(-1)!;
    for (const m of drawn.markers) {
      expect(m.lifetime).toEqual({ sec: 0, nanosec: 500_000_000 });
      expect(m.header.stamp).toEqual(t(300));
    }
    // Paused: /clock stands still while the wall clock runs on through many expiry checks (the
    // node checks every 100 ms; two diagnostics publications are at least one wall second).
    const count = r.arrays.length;
    const diags = r.diagnostics.length;
    await until(() => r.diagnostics.length >= diags + 2, 240_000);
    expect(r.arrays.length).toBe(count);
    r.clock.publish({ clock: t(300, 400_000_000) });
    await until(() => r.diagnostics.length >= diags + 3, 240_000);
    expect(r.arrays.length).toBe(count);
    // Played on past the lifetime: deleted, stamped with the ROS (sim) time of the decision.
    r.clock.publish({ clock: t(300, 600_000_000) });
    await until(() => r.arrays.length > count);
    const gone = r.arrays[count];
    expect(keys(gone, Marker.DELETE)).toEqual(keys(drawn, Marker.ADD));
    for (const m of gone.markers) expect(m.header.stamp).toEqual(t(300, 600_000_000));
  }, 600_000);

  it('a reset message clears everything with one DELETEALL; the next scan is drawn from scratch', async () => {
    const r = await start();
    r.objects.publish(esrList(1, t(100), SCAN_A));
    r.pose.publish(egoPose(0, 0, 0, t(100)));
    await r.settle();
    r.reset.publish({});
    await r.settle();
    expect(r.arrays.at(-1)!.markers.map((m) => m.action)).toEqual([Marker.DELETEALL]);
    r.objects.publish(esrList(2, t(100, 50_000_000), SCAN_A.slice(1)));
    await r.settle();
    expect(keys(r.arrays.at(-1)!, Marker.DELETE)).toEqual([]);
  });
});

describe('TF from the markers node', () => {
  it('/tf_static: one transient-local message with every sensor frame, received by a subscriber that comes later', async () => {
    const r = await start(['static_frames:=["radar_esr base_link 3.7 0 0.45 0 0 0", "gnss_antenna base_link -0.5 0.1 1.6 0.01 -0.02 1.5708"]']);
    const late = r.ctx.createNode('rviz');
    const statics: TFMessageMsg[] = [];
    late.createSubscription<TFMessageMsg>('tf2_msgs/msg/TFMessage', '/tf_static', LATCHED, (m) => statics.push(m));
    await r.settle();
    expect(statics).toHaveLength(1);
    const [esr, gnss] = statics[0].transforms;
    expect(esr).toMatchObject({ header: { frame_id: 'base_link' }, child_frame_id: 'radar_esr', transform: { translation: { x: 3.7, y: 0, z: 0.45 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } });
    expect(gnss.child_frame_id).toBe('gnss_antenna');
    const want = rpyMatrix(0.01, -0.02, 1.5708);
    const got = quaternionMatrix(gnss.transform.rotation);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(got[i][j]).toBeCloseTo(want[i][j], 12);
    // tf2's static broadcaster QoS: a volatile publisher would not reach this transient-local reader.
    expect(r.ctx.graph.qosIncompatibilities()).toEqual([]);
  });

  it('/tf: map → base_link per ego pose with the pose\'s stamp; a repeated stamp is not sent again', async () => {
    const r = await start();
    r.pose.publish(egoPose(5, 6, 1.0, t(100, 10_000_000)));
    r.pose.publish(egoPose(5.1, 6, 1.0, t(100, 20_000_000)));
    r.pose.publish(egoPose(5.2, 6, 1.0, t(100, 20_000_000)));
    await r.settle();
    expect(r.tf).toHaveLength(2);
    expect(r.tf[0].transforms).toEqual([
      {
        header: { stamp: t(100, 10_000_000), frame_id: 'map' },
        child_frame_id: 'base_link',
        transform: { translation: { x: 5, y: 6, z: 0 }, rotation: quaternionFromYaw(1.0) },
      },
    ]);
    expect(r.tf[1].transforms[0].header.stamp).toEqual(t(100, 20_000_000));
  });

  it('no static frames configured: no /tf_static publisher; publish_tf:=false: no /tf', async () => {
    const r = await start(['publish_tf:=false']);
    const topics = r.ctx.graph.stats().filter((s) => s.publishers > 0).map((s) => s.topic);
    expect(topics).not.toContain('/tf_static');
    expect(topics.filter((x) => x === '/tf')).toEqual([]); // the probe only subscribes
    r.pose.publish(egoPose(5, 6, 1.0, t(100)));
    await r.settle();
    expect(r.tf).toEqual([]);
    expect(find(r.arrays.at(-1)!, 'ego/vehicle', 0)).toBeDefined();
  });

  it('bad static_frames stop the start with a ConfigError naming the entry and the fix', async () => {
    const args = parseRosArgs(['--ros-args', '--log-level', 'error', '-p', 'static_frames:=["radar_esr base_link 3.7 0 0.45 0 0 90"]']);
    const ctx = createLocalContext(args);
    try {
      await expect(startNodes(ctx, [markersNode])).rejects.toThrow(ConfigError);
      await expect(startNodes(ctx, [markersNode])).rejects.toThrow(/static_frames\[0\].*yaw 90 is beyond ±2π.*Fix: angles are radians/);
    } finally {
      await ctx.shutdown();
    }
  });
});

describe('ego markers over the graph', () => {
  it('vehicle box and ellipse in map at the pose, the trail growing, ego markers limited to ego_rate by pose stamps', async () => {
    const r = await start(['ego_rate:=10.0', 'trail_spacing:=0.5']);
    const fix: NavSatFixMsg = {
      header: { stamp: t(100), frame_id: 'gnss' },
      status: { status: 2, service: 1 },
      latitude: 48.1,
      longitude: 11.5,
      altitude: 520,
      position_covariance: [0.04, 0, 0, 0, 0.09, 0, 0, 0, 0.25],
      position_covariance_type: 2,
    };
    r.fix.publish(fix);
    await r.settle();
    const before = r.arrays.length;
    // One second of 100 Hz poses, driving east at 10 m/s (delivered one by one: the subscription
    // keeps the last 5, as sensor-data QoS does).
    for (let i = 0; i < 100; i++) {
      r.pose.publish(egoPose(i * 0.1, 0, 0, t(100, i * 10_000_000)));
      await r.settle();
    }
    const egoArrays = r.arrays.slice(before).filter((a) => find(a, 'ego/vehicle', 0));
    expect(egoArrays).toHaveLength(10);
    expect(r.tf).toHaveLength(100);
    const last = egoArrays.at(-1)!;
    const box = find(last, 'ego/vehicle', 0)!;
    expect(box.header).toEqual({ stamp: t(100, 900_000_000), frame_id: 'map' });
    expect(box.pose.position.x).toBeCloseTo(9.0 + 1.4, 9);
    const ellipse = find(last, 'ego/covariance', 0)!;
    expect(ellipse.pose.position.x).toBeCloseTo(9.0, 9);
    expect(ellipse.scale.x).toBeCloseTo(0.6, 12); // 2 × 1σ north (0.3 m), the major axis
    expect(ellipse.scale.y).toBeCloseTo(0.4, 12); // 2 × 1σ east (0.2 m)
    const trail = find(last, 'ego/trail', 0)!;
    expect(trail.points.length).toBe(19); // 0, 0.5, ..., 9.0
    expect(trail.points.at(-1)!.x).toBeCloseTo(9.0, 9);
  });
});

// ROS tier: a drive recorded by vil (the demo's MCAP, made by the built CLI on the local graph)
// replayed as a user replays it — `ros2 launch vil replay.launch.py bag:=… rviz:=false`: rosbag2
// plays the raw topics with --clock, vil decodes them on sim time. Judged by an rclpy node: every
// fix the vehicle decoded comes out again (no raw sentence lost between player and decoder), and
// what the decoders and markers publish carries the bag's time, not the wall clock's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readMcap, type McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import { launch, Probe, ros2, until, vilEnv, type Proc } from './procs.js';
import { root } from './helpers.js';

type Time = { sec: number; nanosec: number };
const ns = (t: Time) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);

describe('ros2 launch vil replay.launch.py of a bag vil recorded (rosbag2 --clock, decoders on sim time)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vil-ros-replay-'));
  let launched: Proc | undefined;
  let probe: Probe | undefined;
  const env = () => vilEnv(64);
  afterAll(async () => {
    await launched?.stop('SIGINT');
    await probe?.stop('SIGINT');
    ros2(env(), ['daemon', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  });

  let recorded: McapMessage[] = [];
  let replayStartedAtWall = 0n;
  const played = (async () => {
    // The drive, recorded by vil itself: 8 receiver epochs of the demo.
    const demo = spawnSync(process.execPath, [join(root, 'dist/nodes/cli/main.js'), 'demo', '--epochs', '8', '--out', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (demo.status !== 0) throw new Error(`vil demo failed (exit ${demo.status}):\n${demo.stdout}\n${demo.stderr}`);
    const bag = join(dir, 'vil-demo.mcap');
    recorded = await readMcap(bag);
    const e = env();
    probe = new Probe(e, [
      { topic: '/vil/rtk/fix', type: 'sensor_msgs/msg/NavSatFix' },
      { topic: '/vil/can/vehicle_state', type: 'vil/msg/VehicleState' },
      { topic: '/vil/can/objects/esr', type: 'vil/msg/ObjectList' },
      { topic: '/vil/markers', type: 'visualization_msgs/msg/MarkerArray' },
      { topic: '/diagnostics', type: 'diagnostic_msgs/msg/DiagnosticArray' },
    ]);
    await until('the rclpy probe to subscribe', () => probe!.ready || probe!.exit !== undefined, () => probe!.output());
    const share = join(inject('vilWorkspace'), 'install/vil/share/vil');
    replayStartedAtWall = BigInt(Date.now()) * 1_000_000n;
    launched = launch(e, 'replay.launch.py', { bag, rviz: 'false', params_file: join(share, 'config/demo.params.yaml') });
    const fixes = recorded.filter((m) => m.topic === '/vil/rtk/fix').length;
    await until(
      `the ${fixes} fixes of the bag decoded again, and bag play finished`,
      () => {
        if (launched!.exit) throw new Error(`replay.launch.py ended early: ${launched!.output()}`);
        return probe!.on('/vil/rtk/fix').length >= fixes && /\[bag_play-\d+\]: process has finished cleanly/.test(launched!.output());
      },
      () => `${launched!.output()}\n${probe!.output()}`,
    );
  })();
  played.catch(() => undefined);

  it('every fix the vehicle decoded is decoded again from the played raw sentences, equal in value and stamp', async () => {
    await played;
    const want = recorded.filter((m) => m.topic === '/vil/rtk/fix').map((m) => m.message as { header: { stamp: Time }; latitude: number; longitude: number; altitude: number });
    const got = probe!.on('/vil/rtk/fix').map((m) => m.msg as { header: { stamp: Time }; latitude: number; longitude: number; altitude: number });
    expect(got.length).toBe(want.length);
    got.forEach((f, i) => {
      expect(f.header.stamp).toEqual(want[i].header.stamp);
      expect(f.latitude).toBe(want[i].latitude);
      expect(f.longitude).toBe(want[i].longitude);
      expect(f.altitude).toBe(want[i].altitude);
    });
  });

  it('vehicle state, object lists, markers and each node\'s clock (/diagnostics) are on sim time: inside the bag\'s time, not the wall clock of the replay', async () => {
    await played;
    const logTimes = recorded.map((m) => m.logTime);
    const first = logTimes.reduce((a, b) => (a < b ? a : b));
    const last = logTimes.reduce((a, b) => (a > b ? a : b));
    expect(replayStartedAtWall).toBeGreaterThan(last); // the two clocks can be told apart
    const stamps = (topic: string, get: (m: Record<string, unknown>) => Time[]) => probe!.on(topic).flatMap((m) => get(m.msg!));
    const header = (m: Record<string, unknown>) => [(m.header as { stamp: Time }).stamp];
    const checks: [string, Time[]][] = [
      // Stamped with node.now(): the ROS clock itself, i.e. /clock from the player.
      ['/diagnostics', stamps('/diagnostics', header)],
      ['/vil/can/vehicle_state', stamps('/vil/can/vehicle_state', header)],
      ['/vil/can/objects/esr', stamps('/vil/can/objects/esr', header)],
      // A DELETEALL (sent at start) carries no stamp of its own; every other marker does.
      ['/vil/markers', stamps('/vil/markers', (m) => (m.markers as { header: { stamp: Time }; action: number }[]).filter((k) => k.action !== 3).map((k) => k.header.stamp))],
    ];
    for (const [topic, ts] of checks) {
      expect(ts.length, topic).toBeGreaterThan(0);
      // Without /clock a sim-time node's clock reads 0: that fails here too.
      for (const t of ts) {
        expect(ns(t) >= first - 2_000_000_000n && ns(t) <= last + 2_000_000_000n, `${topic} stamp ${t.sec}.${t.nanosec} within the bag ${first}..${last}`).toBe(true);
      }
    }
  });

  it('Ctrl-C ends the replay cleanly', async () => {
    await played;
    await launched!.stop('SIGINT');
    const out = launched!.output();
    expect(out).not.toMatch(/process has died/);
    for (const n of ['rtk_serial', 'can_bridge', 'markers', 'sim_pose']) expect(out).toMatch(new RegExp(`\\[${n}-\\d+\\]: process has finished cleanly`));
  });
});

// sim_pose end to end on the local ROS graph with real sockets: the test publishes NavSatFix,
// heading and velocity of a vehicle driving a real geodesic (positions from PROJ's geod); sim_pose
// sends its UDP layout to test/udp/struct_receiver.py on 127.0.0.1. The judge of every pose is
// PROJ (cs2cs position, proj -V convergence and scale) plus the lever arm and the packet's own
// extrapolation interval. Then the fixes stop: packets turn stale and /diagnostics says so.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import type { NavSatFixMsg, PoseMsg, PoseStampedMsg, QuaternionStampedMsg, TwistWithCovarianceStampedMsg } from '../../nodes/runtime/msg_types.js';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { simPoseNode } from '../../nodes/sim_pose/main.js';
import { startStructReceiver, startStructStream, type PyPacket } from '../udp/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LAYOUT = `${root}config/layouts/sim_pose_ego.yaml`;
const TMERC = '+proj=tmerc +lat_0=49 +lon_0=8 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';
const ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };
const LEVER = [1.2, 0.3, 1.5];
const AZIMUTH = 45; // deg from north: ENU yaw π/4
const SPEED = 10; // m/s

let ctx: LocalContext | undefined;
let started: StartedNodes | undefined;
afterEach(async () => {
  await started?.stop();
  await ctx?.shutdown();
  ctx = undefined;
  started = undefined;
});

function run(cmd: string, args: string[], input: string): string {
  const r = spawnSync(cmd, args, { input: `${input}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}

/** Points every 1 m along the geodesic from (49.01, 8.02) at AZIMUTH, from PROJ's geod. */
function trajectory(n: number): [number, number][] {
  const lines = Array.from({ length: n }, (_, i) => `49.01 8.02 ${AZIMUTH} ${i}`).join('\n');
  return run('geod', ['+ellps=WGS84', '-f', '%.12f'], lines)
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).slice(0, 2).map(Number) as [number, number]);
}

function fixMsg(lat: number, lon: number, stamp: { sec: number; nanosec: number }): NavSatFixMsg {
  return {
    header: { stamp, frame_id: 'gnss' },
    status: { status: 2, service: 1 },
    latitude: lat,
    longitude: lon,
    altitude: 312.5,
    position_covariance: [0.0001, 0, 0, 0, 0.0001, 0, 0, 0, 0.0004],
    position_covariance_type: 2,
  };
}

async function rig(params: string[]) {
  const args = parseRosArgs(['--ros-args', '--log-level', 'error', ...params.flatMap((p) => ['-p', p])]);
  ctx = createLocalContext(args);
  const probe = ctx.createNode('probe');
  const poses: PoseStampedMsg[] = [];
  const carla: PoseMsg[] = [];
  const diags: DiagnosticArrayMsg[] = [];
  probe.createSubscription<PoseStampedMsg>('geometry_msgs/msg/PoseStamped', '/vil/sim/ego_pose', ALL, (m) => poses.push(m));
  probe.createSubscription<PoseMsg>('geometry_msgs/msg/Pose', '/carla/ego_vehicle/control/set_transform', ALL, (m) => carla.push(m));
  probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', ALL, (m) => diags.push(m));
  started = await startNodes(ctx, [simPoseNode]);
  return {
    probe,
    poses,
    carla,
    diags,
    fix: probe.createPublisher<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', 'sensor_data'),
    heading: probe.createPublisher<QuaternionStampedMsg>('geometry_msgs/msg/QuaternionStamped', '/vil/rtk/heading', 'sensor_data'),
    velocity: probe.createPublisher<TwistWithCovarianceStampedMsg>('geometry_msgs/msg/TwistWithCovarianceStamped', '/vil/rtk/velocity', 'sensor_data'),
  };
}

describe('sim_pose on the local graph → UDP on 127.0.0.1', () => {
  it('sends poses at the configured rate with increasing sequence numbers, positions as PROJ computes them, stale when fixes stop', async () => {
    // Phases move on conditions (what arrived), never on sleeps: the machine may be loaded.
    const rx = await startStructStream(LAYOUT);
    const r = await rig([
      `map_projection:=${TMERC}`,
      'rate_hz:=100.0',
      `lever_arm:=[${LEVER.join(', ')}]`,
      'altitude_mode:=fixed',
      'fixed_z:=0.5',
      'stale_timeout_ms:=300.0',
      `udp_layout:=${LAYOUT}`,
      `udp_destination:=127.0.0.1:${rx.port}`,
      'carla_pose_topic:=/carla/ego_vehicle/control/set_transform',
    ]);
    const traj = trajectory(400);
    const published = new Map<number, [number, number]>(); // fix stamp (s) → lat, lon
    let i = 0;
    let paused = false;
    const yaw = Math.PI / 2 - (AZIMUTH * Math.PI) / 180;
    const ve = SPEED * Math.cos(yaw);
    const vn = SPEED * Math.sin(yaw);
    const publishFix = () => {
      if (paused || i >= traj.length) return;
      const stamp = r.probe.now();
      const [lat, lon] = traj[i++];
      published.set(stamp.sec + stamp.nanosec * 1e-9, [lat, lon]);
      r.heading.publish({ header: { stamp, frame_id: 'gnss' }, quaternion: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) } });
      r.velocity.publish({
        header: { stamp, frame_id: 'gnss' },
        twist: { twist: { linear: { x: ve, y: vn, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, covariance: new Array(36).fill(0) },
      });
      r.fix.publish(fixMsg(lat, lon, stamp));
    };
    publishFix();
    const timer = setInterval(publishFix, 100);
    const wallStart = process.hrtime.bigint();
    const fixTimes = (ps: PyPacket[]) => new Set(ps.filter((p) => !p.fields.stale).map((p) => p.fields.fix_time)).size;
    let packets: PyPacket[];
    let staleDiag: DiagnosticArrayMsg | undefined;
    const staleReported = () =>
      (staleDiag = r.diags.find((d) => d.status.some((s) => s.name === 'sim_pose: pose' && s.level === 2 && s.message.startsWith('stale'))));
    try {
      await rx.until('5 fixes sent on as fresh poses', (ps) => fixTimes(ps) >= 5);
      paused = true; // fixes stop: stale 300 ms after the last one
      await rx.until('10 stale packets', (ps) => ps.filter((p) => p.fields.stale).length >= 10);
      await rx.until('/diagnostics reporting the stale pose', () => staleReported() !== undefined);
      paused = false;
      const resumedAt = rx.packets.length;
      await rx.until('fresh packets after the fixes resumed', (ps) => ps.slice(resumedAt).some((p) => !p.fields.stale));
    } finally {
      clearInterval(timer);
    }
    const wallS = Number(process.hrtime.bigint() - wallStart) / 1e9;
    await started?.stop();
    started = undefined;
    packets = await rx.stop();

    // Every packet whole, CRC right, sequence numbers +1 each.
    packets.forEach((p, k) => {
      expect(p.size).toBe(p.expected_size);
      expect(p.crc_ok).toBe(true);
      if (k > 0) expect(p.header.sequence).toBe((packets[k - 1].header.sequence as number) + 1);
    });
    // Never faster than the configured 100 Hz (a loaded machine can only make it slower, so there
    // is no upper bound on the interval here): the median interval of the send stamps ≥ 9 ms, and
    // no more packets than the elapsed time allows.
    const sendTimes = packets.map((p) => Number(BigInt(p.header.send_time as string | number)) / 1e9);
    const gaps = sendTimes.slice(1).map((t, k) => t - sendTimes[k]).sort((a, b) => a - b);
    expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual(0.009);
    expect(packets.length).toBeLessThanOrEqual(wallS * 100 + 2);

    // Fresh packets: position and yaw as PROJ computes them, plus lever arm and extrapolation.
    const fresh = packets.filter((p) => !p.fields.stale);
    const stale = packets.filter((p) => p.fields.stale);
    expect(fresh.length).toBeGreaterThanOrEqual(5);
    expect(stale.length).toBeGreaterThan(10);
    const checked = new Set<number>();
    // The first packet after each fix, and every 7th beside (each spawns PROJ twice).
    for (const p of fresh.filter((q, k) => k % 7 === 0 || q.fields.fix_time !== fresh[k - 1]?.fields.fix_time)) {
      const f = p.fields;
      const ll = published.get(f.fix_time);
      expect(ll).toBeDefined();
      const [lat, lon] = ll!;
      const [x0, y0] = run('cs2cs', ['-f', '%.6f', '+proj=longlat', '+datum=WGS84', '+to', ...TMERC.split(' ')], `${lon} ${lat}`).trim().split(/\s+/).map(Number);
      const pv = run('proj', ['-V', ...TMERC.split(' ')], `${lon} ${lat}`);
      const conv = (Number(/Convergence\s*:.*\[\s*(-?[\d.]+)\s*\]/.exec(pv)![1]) * Math.PI) / 180;
      const k = Number(/Meridian scale \(h\)\s*:\s*([\d.]+)/.exec(pv)![1]);
      const mapYaw = yaw + conv;
      const dt = f.extrapolation_us / 1e6;
      // reference = antenna − k·R(yaw)·lever + k·R(conv)·v·dt
      const ex = x0 - k * (Math.cos(mapYaw) * LEVER[0] - Math.sin(mapYaw) * LEVER[1]) + k * (Math.cos(conv) * ve - Math.sin(conv) * vn) * dt;
      const ey = y0 - k * (Math.sin(mapYaw) * LEVER[0] + Math.cos(mapYaw) * LEVER[1]) + k * (Math.sin(conv) * ve + Math.cos(conv) * vn) * dt;
      expect(Math.abs(f.x - ex)).toBeLessThan(1e-3);
      expect(Math.abs(f.y - ey)).toBeLessThan(1e-3);
      expect(f.z).toBeCloseTo(0.5, 6);
      expect(Math.abs(f.yaw - mapYaw)).toBeLessThan(1e-6); // f32 on the wire
      expect(f.pose_time).toBeCloseTo(f.fix_time + dt, 5);
      expect(f.heading_valid).toBe(true);
      expect(p.header.flags).toBe(0);
      checked.add(f.fix_time);
    }
    expect(checked.size).toBe(fixTimes(packets));

    // Stale packets: flagged in the header and the payload, the pose held (not extrapolated on).
    for (const p of stale) expect(p.header.flags).toBe(1);
    const firstStale = packets.findIndex((p) => p.fields.stale);
    const backFresh = packets.findIndex((p, k) => k > firstStale && !p.fields.stale);
    const held = packets.slice(firstStale, backFresh);
    expect(held.every((p) => p.fields.stale)).toBe(true);
    expect(new Set(held.map((p) => `${p.fields.x},${p.fields.y}`)).size).toBe(1);
    expect(held[0].fields.extrapolation_us).toBe(200_000); // max_extrapolation_ms
    // Fresh again after fixes resume.
    expect(backFresh).toBeGreaterThan(firstStale);
    expect(staleDiag).toBeDefined();

    // ROS outputs: PoseStamped in map while fresh; the CARLA Pose is the same pose.
    expect(r.poses.length).toBeGreaterThanOrEqual(5);
    expect(r.poses.every((m) => m.header.frame_id === 'map')).toBe(true);
    expect(r.carla.length).toBe(r.poses.length);
    expect(r.carla.at(-1)).toEqual(r.poses.at(-1)!.pose);
  });

  it('takes speed and yaw rate from vil/msg/VehicleState when configured (turning extrapolation)', async () => {
    const N = 20;
    const rx = await startStructReceiver(LAYOUT, N, 30);
    const lat0 = 48.7823;
    const lon0 = 9.1801;
    const r = await rig([
      'map_projection:=enu',
      `enu_origin:=[${lat0}, ${lon0}, 250.0]`,
      'rate_hz:=50.0',
      'vehicle_state_topic:=/vil/can/vehicle_state',
      'speed_source:=vehicle_state',
      'max_extrapolation_ms:=1000.0',
      'stale_timeout_ms:=5000.0',
      // The inputs stay current however long the machine takes between them and the fix.
      'input_timeout_ms:=600000.0',
      'heading_timeout_ms:=600000.0',
      `udp_layout:=${LAYOUT}`,
      `udp_destination:=127.0.0.1:${rx.port}`,
    ]);
    const vs = r.probe.createPublisher<Record<string, unknown>>('vil/msg/VehicleState', '/vil/can/vehicle_state', 'sensor_data');
    const yaw0 = 0.3;
    const v = 8;
    const w = -0.4;
    const stamp = r.probe.now();
    vs.publish({
      header: { stamp, frame_id: 'base_link' },
      speed: v,
      speed_age: 0.01,
      yaw_rate: w,
      yaw_rate_age: 0.01,
      steering_wheel_angle: Number.NaN,
      steering_wheel_angle_age: Number.NaN,
      longitudinal_acceleration: Number.NaN,
      longitudinal_acceleration_age: Number.NaN,
      lateral_acceleration: Number.NaN,
      lateral_acceleration_age: Number.NaN,
      gear: 1,
      gear_label: 'D',
      gear_age: 0.1,
      wheel_speeds: [v, v, v, v],
      wheel_speed_ages: [0.01, 0.01, 0.01, 0.01],
    });
    r.heading.publish({ header: { stamp, frame_id: 'gnss' }, quaternion: { x: 0, y: 0, z: Math.sin(yaw0 / 2), w: Math.cos(yaw0 / 2) } });
    // The fix must find heading and vehicle state already taken in: wait until sim_pose reports them.
    const counted = (key: string) =>
      r.diags.some((d) => d.status.some((st) => st.name === 'sim_pose: pose' && st.values.some((kv) => kv.key === key && Number(kv.value) >= 1)));
    for (let waited = 0; !(counted('headings') && counted('vehicle_states')); waited += 10) {
      if (waited > 120_000) throw new Error('sim_pose never reported the heading and vehicle state it was sent: hung?');
      await new Promise((res) => setTimeout(res, 10));
    }
    r.fix.publish({ ...fixMsg(lat0, lon0, r.probe.now()), altitude: 250 });
    const packets = await rx.packets;
    for (const p of packets) {
      const f = p.fields;
      expect(f.speed).toBe(v);
      expect(f.yaw_rate).toBeCloseTo(w, 6);
      const dt = f.extrapolation_us / 1e6;
      let x = 0;
      let y = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) {
        const a = yaw0 + w * ((i + 0.5) * dt) / n;
        x += v * Math.cos(a) * (dt / n);
        y += v * Math.sin(a) * (dt / n);
      }
      expect(Math.abs(f.x - x)).toBeLessThan(1e-5);
      expect(Math.abs(f.y - y)).toBeLessThan(1e-5);
      expect(Math.abs(f.yaw - (yaw0 + w * dt))).toBeLessThan(1e-6);
    }
    expect(packets.at(-1)!.fields.extrapolation_us).toBeGreaterThan(packets[0].fields.extrapolation_us);
  });

  it('refuses to start without a map projection, naming the parameter', async () => {
    await expect(rig([])).rejects.toThrow(ConfigError);
    await expect(rig([])).rejects.toThrow(/map_projection: not set/);
  });

  it('refuses a layout whose source does not exist in sim_pose/EgoState, naming file and key', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = `${mkdtempSync(`${tmpdir()}/vil-sp-`)}/bad.yaml`;
    writeFileSync(file, 'message: sim_pose/EgoState\nfields:\n  - {name: x, type: f64, source: x}\n  - {name: v, type: f32, source: velocity}\n');
    await expect(rig([`map_projection:=${TMERC}`, `udp_layout:=${file}`])).rejects.toThrow(/bad\.yaml:4: fields\[1\]\.source: "velocity": sim_pose\/EgoState has no field "velocity"/);
  });
});

export type { PyPacket };

// Ego markers without the graph: TF from the pose, vehicle box, bounded trail, covariance ellipse.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EgoMarkers, EGO_NS, type EgoOptions } from '../../nodes/markers/ego_markers.js';
import { MarkerArrayBuilder } from '../../nodes/markers/marker_array.js';
import { quaternionFromYaw, yawOf } from '../../nodes/markers/geometry.js';
import { Marker, type NavSatFixMsg, type PoseStampedMsg } from '../../nodes/runtime/msg_types.js';
import { FIXTURES, find, keys, rvizProblems, snapshot } from './helpers.js';

const OPTIONS: EgoOptions = {
  mapFrame: 'map',
  baseFrame: 'base_link',
  vehicleSize: { x: 4.6, y: 1.9, z: 1.5 },
  vehicleOffset: { x: 1.4, y: 0, z: 0.75 },
  lifetimeS: 1,
  trailPoints: 5,
  trailSpacing: 0.5,
  trailBreak: 50,
  trailWidth: 0.2,
  sigma: 1,
  fixTimeoutS: 2,
};

const t = (sec: number, nanosec = 0) => ({ sec, nanosec });

function pose(x: number, y: number, yaw: number, stamp = t(100), frame = 'map'): PoseStampedMsg {
  return { header: { stamp, frame_id: frame }, pose: { position: { x, y, z: 0.2 }, orientation: quaternionFromYaw(yaw) } };
}

/** The first GST epoch of the PolaRx2 capture as rtk_serial publishes it: diagonal σ lon², σ lat², σ alt². */
function polarxFix(): NavSatFixMsg {
  const line = readFileSync(join(FIXTURES, 'polarx2.log'), 'latin1').split('\n').find((l) => l.startsWith('$GPGST'))!;
  const f = line.slice(0, line.indexOf('*')).split(',').map(Number);
  const [lat, lon, alt] = [f[6], f[7], f[8]];
  return {
    header: { stamp: t(100), frame_id: 'gnss' },
    status: { status: 0, service: 1 },
    latitude: 0,
    longitude: 0,
    altitude: 0,
    position_covariance: [lon * lon, 0, 0, 0, lat * lat, 0, 0, 0, alt * alt],
    position_covariance_type: 2,
  };
}

function build(ego: EgoMarkers, now = t(100)) {
  const b = new MarkerArrayBuilder();
  b.begin();
  ego.build(now, b);
  const out = snapshot(b.finish());
  expect(rvizProblems(out)).toEqual([]);
  return out;
}

describe('ego pose → TF map → base_link', () => {
  it('one transform per pose: parent = the pose frame, child = base_link, the pose as translation and rotation', () => {
    const ego = new EgoMarkers(OPTIONS);
    const p = pose(12.5, -3.25, 0.7, t(100, 10_000_000));
    const tf = structuredClone(ego.onPose(p)!);
    expect(tf.transforms).toHaveLength(1);
    expect(tf.transforms[0]).toEqual({
      header: { stamp: t(100, 10_000_000), frame_id: 'map' },
      child_frame_id: 'base_link',
      transform: { translation: { x: 12.5, y: -3.25, z: 0.2 }, rotation: p.pose.orientation },
    });
  });

  it('a pose with the same stamp gives no TF (tf2 would warn TF_REPEATED_DATA); a non-finite pose is ignored', () => {
    const ego = new EgoMarkers(OPTIONS);
    expect(ego.onPose(pose(0, 0, 0, t(100)))).toBeDefined();
    expect(ego.onPose(pose(1, 0, 0, t(100)))).toBeUndefined();
    expect(ego.counters.repeated_stamps).toBe(1);
    expect(ego.onPose(pose(Number.NaN, 0, 0, t(101)))).toBeUndefined();
    expect(ego.counters.invalid_poses).toBe(1);
    expect(ego.onPose(pose(2, 0, 0, t(101)))).toBeDefined();
  });

  it('normalises the rotation (rviz and tf2 need unit quaternions) and uses the map frame when the pose has none', () => {
    const ego = new EgoMarkers(OPTIONS);
    const p = pose(0, 0, 0, t(100), '');
    p.pose.orientation = { x: 0, y: 0, z: 2, w: 2 };
    const tf = ego.onPose(p)!;
    expect(tf.transforms[0].header.frame_id).toBe('map');
    expect(tf.transforms[0].transform.rotation.z).toBeCloseTo(Math.SQRT1_2, 12);
    expect(tf.transforms[0].transform.rotation.w).toBeCloseTo(Math.SQRT1_2, 12);
  });
});

describe('ego markers in the map frame', () => {
  it('the vehicle box sits at the pose, shifted forward along the heading by the offset', () => {
    const ego = new EgoMarkers(OPTIONS);
    ego.onPose(pose(100, 50, Math.PI, t(100)));
    const out = build(ego);
    const box = find(out, EGO_NS.vehicle, 0)!;
    expect(box.type).toBe(Marker.CUBE);
    expect(box.header).toEqual({ stamp: t(100), frame_id: 'map' });
    expect(box.pose.position.x).toBeCloseTo(100 - 1.4, 12); // heading west
    expect(box.pose.position.y).toBeCloseTo(50, 12);
    expect(box.pose.position.z).toBeCloseTo(0.95, 12);
    expect(Math.abs(yawOf(box.pose.orientation))).toBeCloseTo(Math.PI, 12);
    expect(box.scale).toEqual({ x: 4.6, y: 1.9, z: 1.5 });
    expect(box.lifetime).toEqual({ sec: 1, nanosec: 0 });
    expect(find(out, EGO_NS.trail, 0)).toBeUndefined(); // one point is no line
  });

  it('the trail adds a point per trail_spacing metres, keeps the newest trail_points, and breaks at a jump', () => {
    const ego = new EgoMarkers(OPTIONS);
    for (let i = 0; i <= 40; i++) ego.onPose(pose(i * 0.1, 0, 0, t(100, i * 1_000_000)));
    // 0, 0.5, ..., 4.0 → 9 points, bounded to the newest 5.
    let trail = find(build(ego), EGO_NS.trail, 0)!;
    expect(trail.type).toBe(Marker.LINE_STRIP);
    expect(trail.points.map((p) => Number(p.x.toFixed(6)))).toEqual([2, 2.5, 3, 3.5, 4]);
    expect(trail.lifetime).toEqual({ sec: 0, nanosec: 0 });
    expect(trail.scale.x).toBe(0.2);
    ego.onPose(pose(500, 0, 0, t(101)));
    ego.onPose(pose(501, 0, 0, t(102)));
    trail = find(build(ego), EGO_NS.trail, 0)!;
    expect(trail.points.map((p) => p.x)).toEqual([500, 501]);
    expect(ego.counters.trail_breaks).toBe(1);
  });

  it('the fix covariance becomes an ellipse of 2·k·σ diameters at the ego pose (PolaRx2 GST σ lat 317.563, σ lon 10.659)', () => {
    const ego = new EgoMarkers({ ...OPTIONS, sigma: 2 });
    ego.onPose(pose(10, 20, 0.3, t(100)));
    ego.onFix(polarxFix(), t(100));
    const e = find(build(ego), EGO_NS.covariance, 0)!;
    expect(e.type).toBe(Marker.CYLINDER);
    expect(e.pose.position).toEqual({ x: 10, y: 20, z: 0.2 });
    expect(e.scale.x).toBeCloseTo(2 * 2 * 317.563, 9);
    expect(e.scale.y).toBeCloseTo(2 * 2 * 10.659, 9);
    // Major axis along north (map +y): yaw π/2, whatever the vehicle heading.
    expect(yawOf(e.pose.orientation)).toBeCloseTo(Math.PI / 2, 12);
  });

  it('no ellipse without a covariance; the ellipse is deleted once the fix is older than fix_timeout in ROS time', () => {
    const ego = new EgoMarkers(OPTIONS);
    ego.onPose(pose(0, 0, 0, t(100)));
    ego.onFix({ ...polarxFix(), position_covariance_type: 0 }, t(100));
    expect(find(build(ego), EGO_NS.covariance, 0)).toBeUndefined();
    expect(ego.counters.fixes_without_covariance).toBe(1);
    ego.onFix(polarxFix(), t(100));
    expect(find(build(ego, t(102)), EGO_NS.covariance, 0)!.action).toBe(Marker.ADD);
    const late = build(ego, t(102, 1));
    expect(keys(late, Marker.DELETE)).toEqual(['ego/covariance/0']);
    expect(find(build(ego, t(103)), EGO_NS.covariance, 0)).toBeUndefined();
    ego.onFix({ ...polarxFix(), position_covariance: [1, 5, 0, 5, 1, 0, 0, 0, 1] }, t(104));
    expect(ego.counters.invalid_covariances).toBe(1);
  });

  it('reset forgets pose, trail and ellipse', () => {
    const ego = new EgoMarkers(OPTIONS);
    ego.onPose(pose(0, 0, 0, t(100)));
    ego.onPose(pose(1, 0, 0, t(101)));
    ego.reset();
    expect(build(ego).markers).toEqual([]);
    expect(ego.trailLength).toBe(0);
    // The TF stamp memory is gone too: an older stamp after a reset (bag loop) is published.
    expect(ego.onPose(pose(0, 0, 0, t(50)))).toBeDefined();
  });
});

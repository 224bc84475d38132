// PoseSolver: lever arm, heading → map yaw (PROJ's convergence as judge), latency compensation
// (straight and turning, against a fine numerical integration), staleness, altitude modes.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { emptyEgoState } from '../../nodes/sim_pose/ego_state.js';
import { MapProjection } from '../../nodes/sim_pose/projection.js';
import { PoseSolver, type PoseSolverOptions } from '../../nodes/sim_pose/pose_solver.js';
import { quatFromYaw } from '../../nodes/runtime/quaternion.js';

const LAT = 48.7823;
const LON = 9.1801;
const H = 251.3;

function solver(over: Partial<PoseSolverOptions> = {}, projection = new MapProjection({ kind: 'enu', lat0: LAT, lon0: LON, h0: H })): PoseSolver {
  return new PoseSolver({
    projection,
    altitudeMode: 'ellipsoidal',
    geoidSeparation: 0,
    fixedZ: 0,
    mapOffset: [0, 0, 0],
    leverArm: [0, 0, 0],
    extrapolate: true,
    maxExtrapolationS: 0.2,
    speedSource: 'velocity',
    yawRateSource: 'none',
    courseMinSpeed: 1,
    headingTimeoutMs: 500,
    inputTimeoutMs: 500,
    staleTimeoutMs: 300,
    ...over,
  });
}

const q = (yaw: number) => quatFromYaw(yaw, { x: 0, y: 0, z: 0, w: 1 });
const fix = (sec: number, nanosec = 0, lat = LAT, lon = LON, h = H, status = 2) => ({ stamp: { sec, nanosec }, latitude: lat, longitude: lon, altitude: h, status });

describe('PoseSolver', () => {
  it('puts the reference point a lever arm behind the antenna, rotated by the heading', () => {
    const s = solver({ leverArm: [1.5, 0.5, 1.2] });
    s.heading(q(Math.PI / 2), 0); // facing north
    expect(s.fix(fix(100), 0)).toBe(true);
    const e = emptyEgoState();
    expect(s.solve({ sec: 100, nanosec: 0 }, 0, e)).toBe(true);
    // Antenna at the ENU origin; facing north, vehicle x → north, y (left) → west: R·lever = (−0.5, 1.5, 1.2).
    expect(e.x).toBeCloseTo(0.5, 9);
    expect(e.y).toBeCloseTo(-1.5, 9);
    expect(e.z).toBeCloseTo(-1.2, 9);
    expect(e.yaw).toBeCloseTo(Math.PI / 2, 12);
    expect(e.heading_valid).toBe(true);
    expect(e.stale).toBe(false);
  });

  it('extrapolates along the velocity from the fix stamp to send time, and stamps the pose with it', () => {
    const s = solver();
    s.heading(q(0.3), 0);
    s.velocity(3, 4, 0, 0, 0);
    s.fix(fix(100, 900_000_000), 0);
    const e = emptyEgoState();
    s.solve({ sec: 101, nanosec: 0 }, 10, e);
    expect(e.extrapolation).toBeCloseTo(0.1, 12);
    expect(e.x).toBeCloseTo(0.3, 9);
    expect(e.y).toBeCloseTo(0.4, 9);
    expect(e.stamp).toEqual({ sec: 101, nanosec: 0 });
    expect(e.fix_stamp).toEqual({ sec: 100, nanosec: 900_000_000 });
    expect(e.speed).toBeCloseTo(5, 12);
  });

  it('turns with the yaw rate (constant turn rate) — agrees with a fine numerical integration', () => {
    const s = solver({ yawRateSource: 'vehicle_state', maxExtrapolationS: 1 });
    const yaw0 = 0.7;
    const w = 0.5;
    const v = 12;
    s.heading(q(yaw0), 0);
    s.velocity(v * Math.cos(yaw0), v * Math.sin(yaw0), 0, 0, 0);
    s.vehicleState(v, w, 0);
    s.fix(fix(50), 0);
    const e = emptyEgoState();
    const dt = 0.4;
    s.solve({ sec: 50, nanosec: dt * 1e9 }, 0, e);
    let x = 0;
    let y = 0;
    const n = 100000;
    for (let i = 0; i < n; i++) {
      const a = yaw0 + w * ((i + 0.5) * dt) / n;
      x += v * Math.cos(a) * (dt / n);
      y += v * Math.sin(a) * (dt / n);
    }
    expect(Math.abs(e.x - x)).toBeLessThan(1e-6);
    expect(Math.abs(e.y - y)).toBeLessThan(1e-6);
    expect(e.yaw).toBeCloseTo(yaw0 + w * dt, 12);
    expect(e.yaw_rate).toBe(w);
  });

  it('limits extrapolation to max_extrapolation and counts it; no extrapolation when switched off', () => {
    const s = solver({ maxExtrapolationS: 0.2 });
    s.velocity(10, 0, 0, 0, 0);
    s.fix(fix(10), 0);
    const e = emptyEgoState();
    s.solve({ sec: 11, nanosec: 0 }, 0, e);
    expect(e.extrapolation).toBeCloseTo(0.2, 12);
    expect(e.x).toBeCloseTo(2, 9);
    expect(s.counters.extrapolationClamped).toBe(1);
    const off = solver({ extrapolate: false });
    off.velocity(10, 0, 0, 0, 0);
    off.fix(fix(10), 0);
    off.solve({ sec: 10, nanosec: 100_000_000 }, 0, e);
    expect(e.x).toBeCloseTo(0, 9);
    expect(e.stamp).toEqual({ sec: 10, nanosec: 0 });
  });

  it('marks the pose stale after stale_timeout of receive time without a fix, fresh again with the next fix', () => {
    const s = solver({ staleTimeoutMs: 300 });
    s.fix(fix(1), 1000);
    const e = emptyEgoState();
    s.solve({ sec: 1, nanosec: 0 }, 1299, e);
    expect(e.stale).toBe(false);
    s.solve({ sec: 1, nanosec: 0 }, 1301, e);
    expect(e.stale).toBe(true);
    expect(e.fix_age).toBeCloseTo(0.301, 9);
    s.fix(fix(2), 1400);
    s.solve({ sec: 2, nanosec: 0 }, 1401, e);
    expect(e.stale).toBe(false);
  });

  it('stale_timeout 0 follows the receiver: 2.5 fix intervals for a 1 Hz and a 20 Hz receiver, robust to one late epoch', () => {
    const e = emptyEgoState();
    // 1 Hz (the shipped config's old fixed 300 ms flipped stale/fresh twice a second here).
    const slow = solver({ staleTimeoutMs: 0 });
    expect(slow.staleTimeoutMs).toBe(2500); // before two fixes: the initial value
    for (let i = 0; i < 5; i++) slow.fix(fix(1 + i), 1000 * i);
    expect(slow.staleTimeoutMs).toBe(2500);
    slow.solve({ sec: 5, nanosec: 0 }, 4000 + 1900, e); // one epoch missed: not stale
    expect(e.stale).toBe(false);
    slow.solve({ sec: 5, nanosec: 0 }, 4000 + 2501, e);
    expect(e.stale).toBe(true);
    // 20 Hz, with one epoch 300 ms late: the median ignores it.
    const fast = solver({ staleTimeoutMs: 0 });
    let t = 0;
    for (let i = 0; i < 12; i++) {
      t += i === 6 ? 300 : 50;
      fast.fix(fix(1, t * 1e6), t);
    }
    expect(fast.staleTimeoutMs).toBe(125);
    fast.solve({ sec: 1, nanosec: 0 }, t + 124, e);
    expect(e.stale).toBe(false);
    fast.solve({ sec: 1, nanosec: 0 }, t + 126, e);
    expect(e.stale).toBe(true);
    // A configured value wins.
    const fixed = solver({ staleTimeoutMs: 300 });
    for (let i = 0; i < 5; i++) fixed.fix(fix(1 + i), 1000 * i);
    expect(fixed.staleTimeoutMs).toBe(300);
  });

  it('falls back to the course over ground when the heading is stale and the vehicle moves; otherwise heading_valid is false', () => {
    const s = solver({ headingTimeoutMs: 100 });
    const e = emptyEgoState();
    s.heading(q(1.0), 0);
    s.velocity(0, -5, 0, 0, 1000); // moving south
    s.fix(fix(5), 1000);
    s.solve({ sec: 5, nanosec: 0 }, 1000, e);
    expect(e.yaw).toBeCloseTo(-Math.PI / 2, 9);
    expect(e.heading_valid).toBe(true);
    s.velocity(0, 0.2, 0, 0, 2000); // creeping: no course
    s.fix(fix(6), 2000);
    s.solve({ sec: 6, nanosec: 0 }, 2000, e);
    expect(e.heading_valid).toBe(false);
  });

  it('rejects fixes without a fix or position and counts them', () => {
    const s = solver();
    expect(s.fix(fix(1, 0, LAT, LON, H, -1), 0)).toBe(false);
    expect(s.fix(fix(1, 0, Number.NaN), 0)).toBe(false);
    expect(s.counters.rejectedFixes).toBe(2);
    expect(s.solve({ sec: 1, nanosec: 0 }, 0, emptyEgoState())).toBe(false);
  });

  it('UTM: position from cs2cs, map yaw = ENU yaw + PROJ convergence (proj -V), msl and fixed altitude', () => {
    const def = ['+proj=utm', '+zone=32', '+datum=WGS84'];
    const lat = 52.41;
    const lon = 10.78;
    const cs = spawnSync('cs2cs', ['-f', '%.6f', '+proj=longlat', '+datum=WGS84', '+to', ...def], { input: `${lon} ${lat}\n`, encoding: 'utf8' }).stdout.trim().split(/\s+/).map(Number);
    const pv = spawnSync('proj', ['-V', ...def], { input: `${lon} ${lat}\n`, encoding: 'utf8' }).stdout;
    const convDeg = Number(/Convergence\s*:.*\[\s*(-?[\d.]+)\s*\]/.exec(pv)![1]);
    const proj = new MapProjection({ kind: 'utm', zone: 32, south: false });
    const s = solver({ altitudeMode: 'msl', geoidSeparation: 45.2, mapOffset: [600000, 5800000, 10] }, proj);
    const enuYaw = 0.4;
    s.heading(q(enuYaw), 0);
    s.fix(fix(1, 0, lat, lon, 120.5), 0);
    const e = emptyEgoState();
    s.solve({ sec: 1, nanosec: 0 }, 0, e);
    expect(e.x).toBeCloseTo(cs[0] - 600000, 5);
    expect(e.y).toBeCloseTo(cs[1] - 5800000, 5);
    expect(e.z).toBeCloseTo(120.5 - 45.2 - 10, 9);
    expect(Math.abs(e.yaw - (enuYaw + (convDeg * Math.PI) / 180))).toBeLessThan(2e-9);
    const fixed = solver({ altitudeMode: 'fixed', fixedZ: 3.25 }, proj);
    fixed.fix(fix(1, 0, lat, lon, Number.NaN), 0);
    fixed.solve({ sec: 1, nanosec: 0 }, 0, e);
    expect(e.z).toBe(3.25);
  });
});

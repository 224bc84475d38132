// Fix + heading + velocity (+ vehicle speed / yaw rate) → the vehicle reference point's pose in the
// map frame, extrapolated to send time. Pure: times come in as arguments (ROS time for stamps,
// a steady millisecond clock for ages), nothing is read from a clock here.
import type { Time } from '../runtime/ros.js';
import type { EgoState } from './ego_state.js';
import type { MapProjection, Quat, Vec3 } from './projection.js';
import { quatFromYaw, quatMultiply, quatNormalize, quatRotate, quatToRpy, quatYaw } from '../runtime/quaternion.js';

export type AltitudeMode = 'ellipsoidal' | 'msl' | 'fixed';

export interface PoseSolverOptions {
  projection: MapProjection;
  altitudeMode: AltitudeMode;
  /** Geoid undulation N at the site [m]: msl height = ellipsoidal − N. */
  geoidSeparation: number;
  fixedZ: number;
  /** Subtracted from projected coordinates (map origin ≠ projection origin). */
  mapOffset: readonly [number, number, number];
  /** Antenna position in the vehicle frame (x forward, y left, z up) from the reference point [m]. */
  leverArm: readonly [number, number, number];
  extrapolate: boolean;
  maxExtrapolationS: number;
  speedSource: 'velocity' | 'vehicle_state';
  yawRateSource: 'none' | 'velocity' | 'vehicle_state';
  /** Below this speed the course over ground is no heading (fallback when the heading is stale). */
  courseMinSpeed: number;
  headingTimeoutMs: number;
  /** Velocity / vehicle state older than this at the last fix is not used for extrapolation. */
  inputTimeoutMs: number;
  /**
   * No fix for this long: stale. 0 = automatic: STALE_INTERVALS × the receiver's fix interval
   * (the median of the last few), so a 1 Hz and a 20 Hz receiver both work unconfigured.
   */
  staleTimeoutMs: number;
}

/** Automatic stale timeout: this many fix intervals without a fix (one missed epoch is tolerated). */
export const STALE_INTERVALS = 2.5;
/** Automatic stale timeout before two fixes have shown the interval, and its bounds [ms]. */
export const STALE_AUTO_INITIAL_MS = 2500;
const STALE_AUTO_MIN_MS = 50;
const STALE_AUTO_MAX_MS = 10_000;
const INTERVALS_KEPT = 9;

export interface FixInput {
  stamp: Time;
  latitude: number;
  longitude: number;
  altitude: number;
  status: number;
}

export interface SolverCounters {
  fixes: number;
  /** Status NO_FIX, or a non-finite latitude/longitude. */
  rejectedFixes: number;
  /** A non-finite altitude with altitude_mode ≠ fixed: the last good z is kept. */
  noAltitude: number;
  headings: number;
  velocities: number;
  vehicleStates: number;
  /** Send time before the fix stamp (clock skew): sent unextrapolated. */
  fixFromFuture: number;
  /** Extrapolation limited to max_extrapolation. */
  extrapolationClamped: number;
  staleSends: number;
}

const NO_FIX = -1;

export class PoseSolver {
  readonly counters: SolverCounters = { fixes: 0, rejectedFixes: 0, noAltitude: 0, headings: 0, velocities: 0, vehicleStates: 0, fixFromFuture: 0, extrapolationClamped: 0, staleSends: 0 };
  // Latest inputs.
  private headingEnu: Quat = { x: 0, y: 0, z: 0, w: 1 };
  private headingAt = -Infinity;
  private velEnu: Vec3 = { x: 0, y: 0, z: 0 };
  private velAngularZ = 0;
  private velAt = -Infinity;
  private vsSpeed = Number.NaN;
  private vsYawRate = Number.NaN;
  private vsAt = -Infinity;
  // State at the last fix (reference point, map frame).
  private haveFix = false;
  private fixAt = -Infinity;
  private readonly fixStamp: Time = { sec: 0, nanosec: 0 };
  private readonly pos: Vec3 = { x: 0, y: 0, z: 0 };
  private readonly q: Quat = { x: 0, y: 0, z: 0, w: 1 };
  private headingValid = false;
  private readonly rot: Quat = { x: 0, y: 0, z: 0, w: 1 };
  private scale = 1;
  private convergence = 0;
  private lat = 0;
  private lon = 0;
  private alt = 0;
  private status = 0;
  private lastZ = 0;
  /** Recent fix intervals [ms] (ring) for the automatic stale timeout. */
  private readonly intervals = new Float64Array(INTERVALS_KEPT);
  private readonly sorted = new Float64Array(INTERVALS_KEPT);
  private intervalCount = 0;
  private autoStaleMs = STALE_AUTO_INITIAL_MS;
  // Scratch.
  private readonly tmpV: Vec3 = { x: 0, y: 0, z: 0 };
  private readonly tmpQ: Quat = { x: 0, y: 0, z: 0, w: 1 };
  private readonly tmpQ2: Quat = { x: 0, y: 0, z: 0, w: 1 };

  constructor(private readonly o: PoseSolverOptions) {}

  get hasFix(): boolean {
    return this.haveFix;
  }

  /** The stale timeout in force [ms]: the configured one, or the automatic one. */
  get staleTimeoutMs(): number {
    return this.o.staleTimeoutMs > 0 ? this.o.staleTimeoutMs : this.autoStaleMs;
  }

  /** ms (steady clock) of the last accepted fix, -Infinity before. */
  get lastFixAt(): number {
    return this.fixAt;
  }

  heading(q: Quat, nowMs: number): void {
    const n = Math.hypot(q.x, q.y, q.z, q.w);
    if (!(n > 0.5 && n < 1.5)) return; // not a rotation: ignore (NaN included)
    this.headingEnu.x = q.x / n;
    this.headingEnu.y = q.y / n;
    this.headingEnu.z = q.z / n;
    this.headingEnu.w = q.w / n;
    this.headingAt = nowMs;
    this.counters.headings++;
  }

  /** ENU velocity [m/s] and the twist's angular z [rad/s]. */
  velocity(east: number, north: number, up: number, angularZ: number, nowMs: number): void {
    if (!Number.isFinite(east) || !Number.isFinite(north)) return;
    this.velEnu.x = east;
    this.velEnu.y = north;
    this.velEnu.z = Number.isFinite(up) ? up : 0;
    this.velAngularZ = Number.isFinite(angularZ) ? angularZ : 0;
    this.velAt = nowMs;
    this.counters.velocities++;
  }

  vehicleState(speed: number, yawRate: number, nowMs: number): void {
    this.vsSpeed = speed;
    this.vsYawRate = yawRate;
    this.vsAt = nowMs;
    this.counters.vehicleStates++;
  }

  /** A new fix: projects it and fixes the reference point's pose at the fix's stamp. */
  fix(f: FixInput, nowMs: number): boolean {
    if (f.status === NO_FIX || !Number.isFinite(f.latitude) || !Number.isFinite(f.longitude)) {
      this.counters.rejectedFixes++;
      return false;
    }
    const o = this.o;
    const proj = o.projection;
    let h = f.altitude;
    if (o.altitudeMode !== 'fixed' && !Number.isFinite(h)) {
      this.counters.noAltitude++;
      h = Number.NaN;
    } else if (o.altitudeMode === 'msl') h -= o.geoidSeparation;
    const hProj = Number.isFinite(h) ? h : 0;
    const ant = proj.project(f.latitude, f.longitude, hProj, this.tmpV);
    const ax = ant.x - o.mapOffset[0];
    const ay = ant.y - o.mapOffset[1];
    let az: number;
    if (o.altitudeMode === 'fixed') az = o.fixedZ;
    else if (Number.isFinite(h)) az = ant.z - o.mapOffset[2];
    else az = Number.NaN;
    proj.localToMap(f.latitude, f.longitude, hProj, this.rot);
    this.scale = proj.scale(f.latitude, f.longitude, hProj);
    this.convergence = proj.convergence(f.latitude, f.longitude, hProj);

    // Orientation: heading topic while fresh, else course over ground when moving, else held.
    if (nowMs - this.headingAt <= o.headingTimeoutMs) {
      quatMultiply(this.rot, this.headingEnu, this.q);
      this.headingValid = true;
    } else if (nowMs - this.velAt <= o.inputTimeoutMs && Math.hypot(this.velEnu.x, this.velEnu.y) >= o.courseMinSpeed) {
      quatFromYaw(Math.atan2(this.velEnu.y, this.velEnu.x), this.tmpQ);
      quatMultiply(this.rot, this.tmpQ, this.q);
      this.headingValid = true;
    } else {
      this.headingValid = false;
    }
    quatNormalize(this.q);

    // Reference point = antenna − R·lever (in map metres: × scale).
    const lever = this.tmpV;
    lever.x = o.leverArm[0];
    lever.y = o.leverArm[1];
    lever.z = o.leverArm[2];
    quatRotate(this.q, lever, lever);
    this.pos.x = ax - this.scale * lever.x;
    this.pos.y = ay - this.scale * lever.y;
    if (o.altitudeMode === 'fixed') this.pos.z = o.fixedZ; // the reference point's z, as configured
    else if (Number.isFinite(az)) {
      this.pos.z = az - lever.z;
      this.lastZ = this.pos.z;
    } else this.pos.z = this.lastZ;

    this.fixStamp.sec = f.stamp.sec;
    this.fixStamp.nanosec = f.stamp.nanosec;
    this.lat = f.latitude;
    this.lon = f.longitude;
    this.alt = f.altitude;
    this.status = f.status;
    if (this.haveFix && nowMs > this.fixAt) this.observeInterval(nowMs - this.fixAt);
    this.fixAt = nowMs;
    this.haveFix = true;
    this.counters.fixes++;
    return true;
  }

  /**
   * The pose for `sendTime` (ROS time) into `out`; false before the first fix. Stale (no fix for
   * stale_timeout) is reported in out.stale, and a stale pose is not extrapolated further than
   * max_extrapolation past its fix.
   */
  solve(sendTime: Time, nowMs: number, out: EgoState): boolean {
    if (!this.haveFix) return false;
    const o = this.o;
    const age = nowMs - this.fixAt;
    out.stale = age > this.staleTimeoutMs;
    if (out.stale) this.counters.staleSends++;
    out.fix_age = age / 1000;

    // Velocity in the map frame and yaw rate.
    const v = this.tmpV;
    let speed = 0;
    // Inputs count when they are current with the fix (not with now): a stale pose is then held
    // at one consistent extrapolation instead of jumping back when the velocity ages out too.
    const velFresh = this.velAt >= this.fixAt - o.inputTimeoutMs;
    const vsFresh = this.vsAt >= this.fixAt - o.inputTimeoutMs;
    if (o.speedSource === 'vehicle_state') {
      speed = vsFresh && Number.isFinite(this.vsSpeed) ? this.vsSpeed : 0;
      const yaw = quatYaw(this.q);
      v.x = speed * Math.cos(yaw) * this.scale;
      v.y = speed * Math.sin(yaw) * this.scale;
      v.z = 0;
    } else if (velFresh) {
      quatRotate(this.rot, this.velEnu, v);
      v.x *= this.scale;
      v.y *= this.scale;
      speed = Math.hypot(this.velEnu.x, this.velEnu.y);
    } else {
      v.x = 0;
      v.y = 0;
      v.z = 0;
    }
    let w = 0;
    if (o.yawRateSource === 'vehicle_state' && vsFresh && Number.isFinite(this.vsYawRate)) w = this.vsYawRate;
    else if (o.yawRateSource === 'velocity' && velFresh) w = this.velAngularZ;

    // Extrapolation interval: fix stamp → send time.
    let dt = 0;
    if (o.extrapolate) {
      dt = sendTime.sec - this.fixStamp.sec + (sendTime.nanosec - this.fixStamp.nanosec) * 1e-9;
      if (dt < 0) {
        this.counters.fixFromFuture++;
        dt = 0;
      } else if (dt > o.maxExtrapolationS) {
        this.counters.extrapolationClamped++;
        dt = o.maxExtrapolationS;
      }
    }
    // Constant turn rate: the velocity vector turns with the yaw rate.
    let dx: number;
    let dy: number;
    const wdt = w * dt;
    if (Math.abs(wdt) < 1e-9) {
      dx = v.x * dt;
      dy = v.y * dt;
    } else {
      const s = Math.sin(wdt) / w;
      const c = (1 - Math.cos(wdt)) / w;
      dx = s * v.x - c * v.y;
      dy = c * v.x + s * v.y;
    }
    out.x = this.pos.x + dx;
    out.y = this.pos.y + dy;
    out.z = this.pos.z;
    quatMultiply(quatFromYaw(wdt, this.tmpQ2), this.q, out.orientation);
    const rpy = quatToRpy(out.orientation);
    out.roll = rpy.roll;
    out.pitch = rpy.pitch;
    out.yaw = rpy.yaw;
    // Map-frame velocity at the extrapolated time.
    const cw = Math.cos(wdt);
    const sw = Math.sin(wdt);
    out.vx = cw * v.x - sw * v.y;
    out.vy = sw * v.x + cw * v.y;
    out.speed = speed;
    out.yaw_rate = w;
    out.extrapolation = dt;
    out.fix_stamp.sec = this.fixStamp.sec;
    out.fix_stamp.nanosec = this.fixStamp.nanosec;
    if (dt > 0) {
      addSeconds(this.fixStamp, dt, out.stamp);
    } else {
      out.stamp.sec = this.fixStamp.sec;
      out.stamp.nanosec = this.fixStamp.nanosec;
    }
    out.latitude = this.lat;
    out.longitude = this.lon;
    out.altitude = this.alt;
    out.fix_status = this.status;
    out.heading_valid = this.headingValid;
    out.convergence = this.convergence;
    out.fix_count = this.counters.fixes;
    return true;
  }

  /** Median of the last fix intervals × STALE_INTERVALS (a dropped epoch or a burst moves it little). */
  private observeInterval(ms: number): void {
    this.intervals[this.intervalCount % INTERVALS_KEPT] = ms;
    this.intervalCount++;
    const n = Math.min(this.intervalCount, INTERVALS_KEPT);
    for (let i = 0; i < n; i++) this.sorted[i] = this.intervals[i];
    const view = this.sorted.subarray(0, n).sort();
    const median = n % 2 ? view[(n - 1) >> 1] : (view[n / 2 - 1] + view[n / 2]) / 2;
    this.autoStaleMs = Math.min(STALE_AUTO_MAX_MS, Math.max(STALE_AUTO_MIN_MS, STALE_INTERVALS * median));
  }
}

function addSeconds(t: Time, s: number, out: Time): void {
  let ns = t.nanosec + Math.round(s * 1e9);
  let sec = t.sec;
  while (ns >= 1e9) {
    ns -= 1e9;
    sec++;
  }
  out.sec = sec;
  out.nanosec = ns;
}

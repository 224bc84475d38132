// What sim_pose knows about the ego vehicle at send time, and its definition as a message type
// (`sim_pose/EgoState`) so UDP layouts name its fields as sources and have them checked at
// start-up like any ROS type. Not published on ROS: it exists for layouts.
import type { Time } from '../runtime/ros.js';
import type { FieldDef, TypeResolver } from '../udp_layout/sources.js';
import type { Quat } from './projection.js';

export const EGO_STATE_TYPE = 'sim_pose/EgoState';

export interface EgoState {
  /** Time the pose holds for: the send time when extrapolated, else the fix's stamp. */
  stamp: Time;
  /** Stamp of the NavSatFix the pose came from. */
  fix_stamp: Time;
  /** Vehicle reference point in the map frame [m]. */
  x: number;
  y: number;
  z: number;
  /** Map-frame orientation [rad] (ZYX). */
  roll: number;
  pitch: number;
  yaw: number;
  orientation: Quat;
  /** Map-frame horizontal velocity [m/s]. */
  vx: number;
  vy: number;
  /** Horizontal speed [m/s] (signed when it comes from the vehicle state). */
  speed: number;
  /** [rad/s], positive counter-clockwise. */
  yaw_rate: number;
  /** The antenna fix (WGS84, degrees, ellipsoidal metres). */
  latitude: number;
  longitude: number;
  altitude: number;
  /** NavSatStatus.status of the fix. */
  fix_status: number;
  /** Seconds the pose was extrapolated beyond the fix's stamp. */
  extrapolation: number;
  /** Seconds since the fix arrived (receive time). */
  fix_age: number;
  /** No fix for longer than stale_timeout_ms. */
  stale: boolean;
  /** Orientation from the heading topic (or course over ground); false: held or unknown. */
  heading_valid: boolean;
  /** Grid convergence at the fix [rad] (map_yaw = enu_yaw − convergence). */
  convergence: number;
  /** Fixes used so far. */
  fix_count: number;
}

export function emptyEgoState(): EgoState {
  return {
    stamp: { sec: 0, nanosec: 0 },
    fix_stamp: { sec: 0, nanosec: 0 },
    x: 0,
    y: 0,
    z: 0,
    roll: 0,
    pitch: 0,
    yaw: 0,
    orientation: { x: 0, y: 0, z: 0, w: 1 },
    vx: 0,
    vy: 0,
    speed: 0,
    yaw_rate: 0,
    latitude: 0,
    longitude: 0,
    altitude: 0,
    fix_status: 0,
    extrapolation: 0,
    fix_age: 0,
    stale: false,
    heading_valid: false,
    convergence: 0,
    fix_count: 0,
  };
}

const f = (name: string, type: string, isComplex = false): FieldDef => ({ name, type, isComplex, isArray: false });

export const EGO_STATE_FIELDS: readonly FieldDef[] = [
  f('stamp', 'builtin_interfaces/msg/Time', true),
  f('fix_stamp', 'builtin_interfaces/msg/Time', true),
  f('x', 'float64'),
  f('y', 'float64'),
  f('z', 'float64'),
  f('roll', 'float64'),
  f('pitch', 'float64'),
  f('yaw', 'float64'),
  f('orientation', 'geometry_msgs/msg/Quaternion', true),
  f('vx', 'float64'),
  f('vy', 'float64'),
  f('speed', 'float64'),
  f('yaw_rate', 'float64'),
  f('latitude', 'float64'),
  f('longitude', 'float64'),
  f('altitude', 'float64'),
  f('fix_status', 'int8'),
  f('extrapolation', 'float64'),
  f('fix_age', 'float64'),
  f('stale', 'bool'),
  f('heading_valid', 'bool'),
  f('convergence', 'float64'),
  f('fix_count', 'uint32'),
];

/** The registry plus sim_pose/EgoState. */
export function egoStateResolver(base: TypeResolver): TypeResolver {
  return {
    has: (t) => t === EGO_STATE_TYPE || base.has(t),
    fields: (t) => (t === EGO_STATE_TYPE ? EGO_STATE_FIELDS : base.fields(t)),
  };
}

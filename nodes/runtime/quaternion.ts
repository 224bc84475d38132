// Small quaternion helpers (Hamilton convention, as ROS/tf2): products, rotating vectors, yaw.
// Shared by sim_pose (map-frame poses) and markers (marker geometry, TF).

/** Structurally a geometry_msgs Vector3/Point. */
export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** Structurally a geometry_msgs Quaternion. */
export interface Quat {
  x: number;
  y: number;
  z: number;
  w: number;
}

/** out = a ⊗ b (apply b first, then a). `out` may alias neither input. */
export function quatMultiply(a: Quat, b: Quat, out: Quat): Quat {
  out.w = a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z;
  out.x = a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y;
  out.y = a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x;
  out.z = a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w;
  return out;
}

/** out = q · v · q*  (`out` may be `v`). */
export function quatRotate(q: Quat, v: Vec3, out: Vec3): Vec3 {
  // t = 2 q_vec × v; v' = v + w t + q_vec × t
  const tx = 2 * (q.y * v.z - q.z * v.y);
  const ty = 2 * (q.z * v.x - q.x * v.z);
  const tz = 2 * (q.x * v.y - q.y * v.x);
  const x = v.x + q.w * tx + (q.y * tz - q.z * ty);
  const y = v.y + q.w * ty + (q.z * tx - q.x * tz);
  const z = v.z + q.w * tz + (q.x * ty - q.y * tx);
  out.x = x;
  out.y = y;
  out.z = z;
  return out;
}

export function quatNormalize(q: Quat): Quat {
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  if (n > 0) {
    q.x /= n;
    q.y /= n;
    q.z /= n;
    q.w /= n;
  }
  return q;
}

/** Rotation about z by `yaw` [rad]. */
export function quatFromYaw(yaw: number, out: Quat): Quat {
  out.x = 0;
  out.y = 0;
  out.z = Math.sin(yaw / 2);
  out.w = Math.cos(yaw / 2);
  return out;
}

/** Roll, pitch, yaw (ZYX, as tf2's getRPY). */
export function quatToRpy(q: Quat): { roll: number; pitch: number; yaw: number } {
  const sp = 2 * (q.w * q.y - q.z * q.x);
  return {
    roll: Math.atan2(2 * (q.w * q.x + q.y * q.z), 1 - 2 * (q.x * q.x + q.y * q.y)),
    pitch: Math.asin(sp > 1 ? 1 : sp < -1 ? -1 : sp),
    yaw: Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z)),
  };
}

export function quatYaw(q: Quat): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
}

export function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

// Small rigid-body helpers for markers and TF: quaternions from angles (tf2's conventions),
// rotating offsets into a pose, and the 1σ ellipse of a 2×2 position covariance.
import type { PointMsg, PoseMsg, QuaternionMsg, Vector3Msg } from '../runtime/msg_types.js';
import { quatFromYaw, quatRotate, quatYaw } from '../runtime/quaternion.js';

/**
 * tf2::Quaternion::setRPY: roll about x, then pitch about y, then yaw about z, all about the
 * fixed axes (R = Rz(yaw)·Ry(pitch)·Rx(roll)), as static_transform_publisher reads them.
 */
export function quaternionFromRpy(roll: number, pitch: number, yaw: number, out: QuaternionMsg = { x: 0, y: 0, z: 0, w: 1 }): QuaternionMsg {
  const cr = Math.cos(roll / 2);
  const sr = Math.sin(roll / 2);
  const cp = Math.cos(pitch / 2);
  const sp = Math.sin(pitch / 2);
  const cy = Math.cos(yaw / 2);
  const sy = Math.sin(yaw / 2);
  out.x = sr * cp * cy - cr * sp * sy;
  out.y = cr * sp * cy + sr * cp * sy;
  out.z = cr * cp * sy - sr * sp * cy;
  out.w = cr * cp * cy + sr * sp * sy;
  return out;
}

/** Rotation about z only (headings in a plane). */
export function quaternionFromYaw(yaw: number, out: QuaternionMsg = { x: 0, y: 0, z: 0, w: 1 }): QuaternionMsg {
  return quatFromYaw(yaw, out);
}

/** Yaw of a quaternion (rotation about z of its x axis), as tf2::getYaw. */
export function yawOf(q: QuaternionMsg): number {
  return quatYaw(q);
}

/** q normalised; a zero or non-finite quaternion becomes the identity (rviz would refuse it). */
export function normalisedQuaternion(q: QuaternionMsg, out: QuaternionMsg = { x: 0, y: 0, z: 0, w: 1 }): QuaternionMsg {
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  if (!(n > 1e-9) || !Number.isFinite(n)) {
    out.x = 0;
    out.y = 0;
    out.z = 0;
    out.w = 1;
  } else {
    out.x = q.x / n;
    out.y = q.y / n;
    out.z = q.z / n;
    out.w = q.w / n;
  }
  return out;
}

/** v rotated by the unit quaternion q (v' = q v q*), written to out. */
export function rotate(q: QuaternionMsg, v: Vector3Msg | PointMsg, out: PointMsg = { x: 0, y: 0, z: 0 }): PointMsg {
  return quatRotate(q, v, out);
}

/** The pose of a point fixed in the body at `offset` (body axes), for a body at `pose`. */
export function offsetPose(pose: PoseMsg, offset: Vector3Msg, out: PoseMsg): PoseMsg {
  rotate(pose.orientation, offset, out.position);
  out.position.x += pose.position.x;
  out.position.y += pose.position.y;
  out.position.z += pose.position.z;
  out.orientation.x = pose.orientation.x;
  out.orientation.y = pose.orientation.y;
  out.orientation.z = pose.orientation.z;
  out.orientation.w = pose.orientation.w;
  return out;
}

export interface Ellipse2 {
  /** σ along the major axis [m] (√ of the larger eigenvalue). */
  sigmaMajor: number;
  /** σ along the minor axis [m]. */
  sigmaMinor: number;
  /** Angle of the major axis from +x (east in an ENU map) towards +y (north) [rad], in (-π/2, π/2]. */
  angle: number;
}

/**
 * The 1σ ellipse of the 2×2 covariance [[xx, xy], [xy, yy]]: its eigen-decomposition. Undefined
 * when the matrix is not a covariance (non-finite, negative variance, not positive semi-definite).
 */
export function covarianceEllipse(xx: number, xy: number, yy: number): Ellipse2 | undefined {
  if (!Number.isFinite(xx) || !Number.isFinite(xy) || !Number.isFinite(yy) || xx < 0 || yy < 0) return undefined;
  const mean = (xx + yy) / 2;
  const half = (xx - yy) / 2;
  const r = Math.hypot(half, xy);
  const l1 = mean + r;
  let l2 = mean - r;
  // Rounding can leave a tiny negative minor eigenvalue for a rank-one matrix; a clearly negative
  // one means the matrix is not a covariance.
  if (l2 < 0) {
    if (l2 < -1e-9 * Math.max(1, l1)) return undefined;
    l2 = 0;
  }
  const angle = r === 0 ? 0 : 0.5 * Math.atan2(2 * xy, xx - yy);
  return { sigmaMajor: Math.sqrt(l1), sigmaMinor: Math.sqrt(l2), angle };
}

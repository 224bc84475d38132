// The ego vehicle in the map frame, from the ego pose (geometry_msgs/PoseStamped, sim_pose's
// vil/sim/ego_pose) and the GNSS fix (sensor_msgs/NavSatFix):
//   - map → base_link as TF, one transform per pose;
//   - a box for the vehicle (CUBE), placed in the body by an offset from base_link;
//   - the trail of past positions (LINE_STRIP), bounded, from the poses rather than from fixes
//     projected here, so it lies in exactly the map the simulator uses;
//   - the fix's horizontal position covariance as an ellipse (CYLINDER, k σ on each axis) at the
//     ego pose. The map frame is taken as ENU-aligned (x east, y north), as NavSatFix's covariance is.
import { Marker, NavSatFixCovariance, type NavSatFixMsg, type PointMsg, type PoseMsg, type PoseStampedMsg, type TFMessageMsg } from '../runtime/msg_types.js';
import { secondsToTime, timeToNs, type Time } from '../runtime/ros.js';
import { covarianceEllipse, normalisedQuaternion, offsetPose, quaternionFromYaw, type Ellipse2 } from './geometry.js';
import type { MarkerArrayBuilder } from './marker_array.js';

export const EGO_NS = { vehicle: 'ego/vehicle', trail: 'ego/trail', covariance: 'ego/covariance' } as const;

export interface EgoOptions {
  /** Frame of poses whose header has none, and the parent of the TF. */
  mapFrame: string;
  /** TF child frame of the ego pose. */
  baseFrame: string;
  /** Vehicle box [m]: length, width, height, and its centre in base_link axes. */
  vehicleSize: { x: number; y: number; z: number };
  vehicleOffset: { x: number; y: number; z: number };
  /** Ego markers' lifetime [s of ROS time]; 0: until replaced. */
  lifetimeS: number;
  /** Trail: at most this many points, one per `trailSpacing` metres; a jump longer than `trailBreak` starts a new trail. */
  trailPoints: number;
  trailSpacing: number;
  trailBreak: number;
  trailWidth: number;
  /** Ellipse half-axes are `sigma` × σ. */
  sigma: number;
  /** No ellipse when the last fix is older than this [s of ROS time]. */
  fixTimeoutS: number;
}

export interface EgoCounters {
  poses: number;
  /** Poses with non-finite values: ignored. */
  invalid_poses: number;
  /** Poses whose stamp was not newer than the previous one: no TF (tf2 warns TF_REPEATED_DATA). */
  repeated_stamps: number;
  fixes: number;
  /** Fixes with covariance type unknown: no ellipse. */
  fixes_without_covariance: number;
  /** Fixes whose covariance is not a covariance (NaN, negative, not positive semi-definite). */
  invalid_covariances: number;
  trail_breaks: number;
}

export class EgoMarkers {
  readonly counters: EgoCounters = {
    poses: 0,
    invalid_poses: 0,
    repeated_stamps: 0,
    fixes: 0,
    fixes_without_covariance: 0,
    invalid_covariances: 0,
    trail_breaks: 0,
  };
  private readonly pose: PoseMsg = { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };
  private readonly boxPose: PoseMsg = { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };
  private havePose = false;
  private frame = '';
  private readonly stamp: Time = { sec: 0, nanosec: 0 };
  private lastTfNs: bigint | undefined;
  /** Trail, oldest first; its Point objects are recycled once it is full. */
  private readonly trail: PointMsg[] = [];
  private ellipse: Ellipse2 | undefined;
  private fixAtNs: bigint | undefined;
  private ellipseShown = false;
  private readonly lifetime: Time;
  private readonly fixTimeoutNs: bigint;
  private readonly tfMsg: TFMessageMsg;

  constructor(private readonly o: EgoOptions) {
    this.lifetime = secondsToTime(o.lifetimeS);
    this.fixTimeoutNs = BigInt(Math.round(o.fixTimeoutS * 1e9));
    this.tfMsg = {
      transforms: [
        {
          header: { stamp: { sec: 0, nanosec: 0 }, frame_id: o.mapFrame },
          child_frame_id: o.baseFrame,
          transform: { translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
        },
      ],
    };
  }

  get hasPose(): boolean {
    return this.havePose;
  }

  get trailLength(): number {
    return this.trail.length;
  }

  /**
   * Takes a pose. Returns the TF message to publish (reused object), or undefined when the pose
   * is invalid or not newer than the previous one.
   */
  onPose(msg: PoseStampedMsg): TFMessageMsg | undefined {
    const c = this.counters;
    const p = msg.pose.position;
    const q = msg.pose.orientation;
    if (!(Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.z) && Number.isFinite(q.x) && Number.isFinite(q.y) && Number.isFinite(q.z) && Number.isFinite(q.w))) {
      c.invalid_poses++;
      return undefined;
    }
    c.poses++;
    const frame = msg.header.frame_id || this.o.mapFrame;
    if (frame !== this.frame) {
      // A trail is only meaningful in one frame.
      this.trail.length = 0;
      this.frame = frame;
    }
    this.pose.position.x = p.x;
    this.pose.position.y = p.y;
    this.pose.position.z = p.z;
    normalisedQuaternion(q, this.pose.orientation);
    this.havePose = true;
    this.stamp.sec = msg.header.stamp.sec;
    this.stamp.nanosec = msg.header.stamp.nanosec;
    this.extendTrail(p);

    const ns = timeToNs(msg.header.stamp);
    if (this.lastTfNs !== undefined && ns <= this.lastTfNs) {
      c.repeated_stamps++;
      return undefined;
    }
    this.lastTfNs = ns;
    const t = this.tfMsg.transforms[0];
    t.header.stamp.sec = msg.header.stamp.sec;
    t.header.stamp.nanosec = msg.header.stamp.nanosec;
    t.header.frame_id = frame;
    t.transform.translation.x = p.x;
    t.transform.translation.y = p.y;
    t.transform.translation.z = p.z;
    const r = t.transform.rotation;
    r.x = this.pose.orientation.x;
    r.y = this.pose.orientation.y;
    r.z = this.pose.orientation.z;
    r.w = this.pose.orientation.w;
    return this.tfMsg;
  }

  /** Takes a fix received at ROS time `now`: its horizontal covariance becomes the ellipse. */
  onFix(msg: NavSatFixMsg, now: Time): void {
    const c = this.counters;
    c.fixes++;
    if (msg.position_covariance_type === NavSatFixCovariance.COVARIANCE_TYPE_UNKNOWN) {
      c.fixes_without_covariance++;
      this.ellipse = undefined;
      return;
    }
    // Row-major ENU: [0] east², [1] east·north, [4] north².
    const cov = msg.position_covariance;
    const e = covarianceEllipse(cov[0], cov[1], cov[4]);
    if (e === undefined) {
      c.invalid_covariances++;
      this.ellipse = undefined;
      return;
    }
    this.ellipse = e;
    this.fixAtNs = timeToNs(now);
  }

  /** Adds the ego markers for the latest pose (at ROS time `now`) to `out`. */
  build(now: Time, out: MarkerArrayBuilder): void {
    if (!this.havePose) return;
    const o = this.o;
    const stamp = this.stamp;

    const box = out.add(EGO_NS.vehicle, 0, Marker.ADD, this.frame, stamp);
    box.type = Marker.CUBE;
    offsetPose(this.pose, o.vehicleOffset, this.boxPose);
    copyPose(this.boxPose, box.pose);
    box.scale.x = o.vehicleSize.x;
    box.scale.y = o.vehicleSize.y;
    box.scale.z = o.vehicleSize.z;
    box.color.r = 0.1;
    box.color.g = 0.8;
    box.color.b = 0.3;
    box.color.a = 0.8;
    box.lifetime.sec = this.lifetime.sec;
    box.lifetime.nanosec = this.lifetime.nanosec;

    if (this.trail.length >= 2) {
      const line = out.add(EGO_NS.trail, 0, Marker.ADD, this.frame, stamp);
      line.type = Marker.LINE_STRIP;
      line.scale.x = o.trailWidth;
      line.color.r = 0.2;
      line.color.g = 1.0;
      line.color.b = 0.4;
      line.color.a = 0.9;
      // lifetime 0: the trail stays until a reset or a time jump clears it.
      out.lendPoints(this.trail);
    }

    const fresh = this.ellipse !== undefined && this.fixAtNs !== undefined && (this.fixTimeoutNs === 0n || timeToNs(now) - this.fixAtNs <= this.fixTimeoutNs);
    if (fresh) {
      const e = this.ellipse!;
      const m = out.add(EGO_NS.covariance, 0, Marker.ADD, this.frame, stamp);
      m.type = Marker.CYLINDER;
      m.pose.position.x = this.pose.position.x;
      m.pose.position.y = this.pose.position.y;
      m.pose.position.z = this.pose.position.z;
      quaternionFromYaw(e.angle, m.pose.orientation);
      // CYLINDER: scale x, y are the diameters of its ellipse, z its height.
      m.scale.x = 2 * o.sigma * e.sigmaMajor;
      m.scale.y = 2 * o.sigma * e.sigmaMinor;
      m.scale.z = 0.05;
      m.color.r = 1.0;
      m.color.g = 0.6;
      m.color.b = 0.0;
      m.color.a = 0.45;
      m.lifetime.sec = this.lifetime.sec;
      m.lifetime.nanosec = this.lifetime.nanosec;
      this.ellipseShown = true;
    } else if (this.ellipseShown) {
      out.add(EGO_NS.covariance, 0, Marker.DELETE, this.frame, stamp).type = Marker.CYLINDER;
      this.ellipseShown = false;
    }
  }

  /** Forgets everything (after a DELETEALL: a bag loop or a reset). */
  reset(): void {
    this.havePose = false;
    this.trail.length = 0;
    this.ellipse = undefined;
    this.fixAtNs = undefined;
    this.ellipseShown = false;
    this.lastTfNs = undefined;
  }

  private extendTrail(p: PointMsg): void {
    const o = this.o;
    const n = this.trail.length;
    if (n > 0) {
      const last = this.trail[n - 1];
      const d = Math.hypot(p.x - last.x, p.y - last.y, p.z - last.z);
      if (d < o.trailSpacing) return;
      if (o.trailBreak > 0 && d > o.trailBreak) {
        // A teleport (simulator reset, a new pose source): a line across it would be a lie.
        this.counters.trail_breaks++;
        this.trail.length = 0;
      }
    }
    let pt: PointMsg;
    if (this.trail.length >= o.trailPoints) {
      pt = this.trail.shift()!;
    } else {
      pt = { x: 0, y: 0, z: 0 };
    }
    pt.x = p.x;
    pt.y = p.y;
    pt.z = p.z;
    this.trail.push(pt);
  }
}

function copyPose(from: PoseMsg, to: PoseMsg): void {
  to.position.x = from.position.x;
  to.position.y = from.position.y;
  to.position.z = from.position.z;
  to.orientation.x = from.orientation.x;
  to.orientation.y = from.orientation.y;
  to.orientation.z = from.orientation.z;
  to.orientation.w = from.orientation.w;
}

// The markers of one object-list topic: per object a CUBE (box), a TEXT_VIEW_FACING label
// ("id" and speed) and an ARROW (velocity), in the list's own frame (the sensor's), with marker ids
// stable per object id. An object missing from the next list gets DELETE markers; a list that stops
// coming expires after `lifetimeS` of ROS time (so a paused bag keeps its last scan on screen).
import { Marker, type ObjectListMsg, type DetectedObjectMsg } from '../runtime/msg_types.js';
import { secondsToTime, timeToNs, type Time } from '../runtime/ros.js';
import { quaternionFromYaw } from './geometry.js';
import { MarkerIdAllocator } from './id_allocator.js';
import type { MarkerArrayBuilder } from './marker_array.js';
import { classColour, classSize, dimension } from './object_style.js';

export interface ObjectMarkerOptions {
  /** Marker namespace prefix: `<group>/box`, `<group>/label`, `<group>/velocity`. */
  group: string;
  /** Marker lifetime and expiry after the last list [s of ROS time]; 0: until deleted. */
  lifetimeS: number;
  /** Frame when a list's header has none. */
  defaultFrame: string;
  /** Label text height [m]. */
  textHeight: number;
  /** The velocity arrow shows where the object is after this many seconds [s]. */
  arrowSeconds: number;
  /** No arrow below this speed [m/s]. */
  minArrowSpeed: number;
  /** Box opacity, and that of tracks whose status is in `coastedStatus`. */
  alpha: number;
  coastedAlpha: number;
  coastedStatus: ReadonlySet<number>;
  /** Track status values that are not objects (e.g. ESR 0 "no target"): not drawn. */
  hiddenStatus: ReadonlySet<number>;
}

export interface ObjectMarkerCounters {
  lists: number;
  objects: number;
  /** Objects skipped: non-finite position. */
  invalid_objects: number;
  /** Objects skipped: an id already seen in the same list. */
  duplicate_ids: number;
  hidden_objects: number;
  /** Lists without header.frame_id (drawn in the default frame). */
  lists_without_frame: number;
  deletes: number;
  expiries: number;
}

interface Tracked {
  markerId: number;
  /** The update in which the object was last present. */
  seen: number;
  arrow: boolean;
}

export class ObjectListMarkers {
  readonly counters: ObjectMarkerCounters = {
    lists: 0,
    objects: 0,
    invalid_objects: 0,
    duplicate_ids: 0,
    hidden_objects: 0,
    lists_without_frame: 0,
    deletes: 0,
    expiries: 0,
  };
  private readonly ids = new MarkerIdAllocator();
  private readonly tracked = new Map<number, Tracked>();
  private readonly nsBox: string;
  private readonly nsLabel: string;
  private readonly nsVelocity: string;
  private readonly lifetimeNs: bigint;
  private readonly lifetime: Time;
  private update = 0;
  private frame = '';
  /** ROS time of the last list, for expiry; undefined when nothing is shown. */
  private lastAt: bigint | undefined;

  constructor(private readonly o: ObjectMarkerOptions) {
    this.nsBox = `${o.group}/box`;
    this.nsLabel = `${o.group}/label`;
    this.nsVelocity = `${o.group}/velocity`;
    this.lifetimeNs = BigInt(Math.round(o.lifetimeS * 1e9));
    this.lifetime = secondsToTime(o.lifetimeS);
  }

  get namespaces(): string[] {
    return [this.nsBox, this.nsLabel, this.nsVelocity];
  }

  /** Objects with markers on screen. */
  get size(): number {
    return this.tracked.size;
  }

  /**
   * Adds the markers of `list` (received at ROS time `now`) to `out`: ADD for every object,
   * DELETE for every object of the previous list that is gone.
   */
  apply(list: ObjectListMsg, now: Time, out: MarkerArrayBuilder): void {
    const o = this.o;
    const c = this.counters;
    c.lists++;
    const update = ++this.update;
    let frame = list.header.frame_id;
    if (frame === '') {
      c.lists_without_frame++;
      frame = o.defaultFrame;
    }
    // A frame change deletes nothing by itself: the same (ns, id) is simply redrawn in the new frame.
    this.frame = frame;
    const stamp = list.header.stamp;
    for (let i = 0; i < list.objects.length; i++) {
      const obj = list.objects[i];
      const p = obj.position;
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y) || !Number.isFinite(p.z)) {
        c.invalid_objects++;
        continue;
      }
      if (o.hiddenStatus.has(obj.status)) {
        c.hidden_objects++;
        continue;
      }
      let t = this.tracked.get(obj.id);
      if (t === undefined) {
        t = { markerId: this.ids.acquire(obj.id), seen: 0, arrow: false };
        this.tracked.set(obj.id, t);
      } else if (t.seen === update) {
        c.duplicate_ids++;
        continue;
      }
      t.seen = update;
      c.objects++;
      this.addObject(obj, t, frame, stamp, out);
    }
    for (const [objectId, t] of this.tracked) {
      if (t.seen === update) continue;
      this.deleteObject(t, stamp, out);
      this.tracked.delete(objectId);
      this.ids.release(objectId);
    }
    this.lastAt = this.tracked.size > 0 ? timeToNs(now) : undefined;
  }

  /**
   * When no list came for the lifetime (ROS time), deletes what is shown. Viewers expire the
   * markers by their lifetime themselves; the explicit DELETE keeps viewers that ignore lifetimes
   * right and this bookkeeping small. Returns true when it added markers.
   */
  expire(now: Time, out: MarkerArrayBuilder): boolean {
    if (this.lastAt === undefined || this.lifetimeNs === 0n) return false;
    if (timeToNs(now) - this.lastAt < this.lifetimeNs) return false;
    this.counters.expiries++;
    for (const t of this.tracked.values()) this.deleteObject(t, now, out);
    this.forget();
    return true;
  }

  /** Forgets every object without emitting anything (after a DELETEALL). */
  forget(): void {
    this.tracked.clear();
    this.ids.clear();
    this.lastAt = undefined;
  }

  private addObject(obj: DetectedObjectMsg, t: Tracked, frame: string, stamp: Time, out: MarkerArrayBuilder): void {
    const o = this.o;
    const size = classSize(obj.classification);
    const lx = dimension(obj.size.x, size.x);
    const wy = dimension(obj.size.y, size.y);
    const hz = dimension(obj.size.z, size.z);
    const rgb = classColour(obj.classification);
    const alpha = o.coastedStatus.has(obj.status) ? o.coastedAlpha : o.alpha;
    const p = obj.position;

    const box = out.add(this.nsBox, t.markerId, Marker.ADD, frame, stamp);
    box.type = Marker.CUBE;
    box.pose.position.x = p.x;
    box.pose.position.y = p.y;
    box.pose.position.z = p.z;
    // yaw NaN: the sensor gives no heading; the box stays aligned with the sensor's axes.
    if (Number.isFinite(obj.yaw)) quaternionFromYaw(obj.yaw, box.pose.orientation);
    box.scale.x = lx;
    box.scale.y = wy;
    box.scale.z = hz;
    box.color.r = rgb.r;
    box.color.g = rgb.g;
    box.color.b = rgb.b;
    box.color.a = alpha;
    this.common(box);

    const v = obj.velocity;
    const velocityOk = Number.isFinite(v.x) && Number.isFinite(v.y) && Number.isFinite(v.z);
    const speed = velocityOk ? Math.hypot(v.x, v.y, v.z) : NaN;

    const label = out.add(this.nsLabel, t.markerId, Marker.ADD, frame, stamp);
    label.type = Marker.TEXT_VIEW_FACING;
    label.pose.position.x = p.x;
    label.pose.position.y = p.y;
    label.pose.position.z = p.z + hz / 2 + o.textHeight;
    label.scale.z = o.textHeight;
    label.color.r = 1;
    label.color.g = 1;
    label.color.b = 1;
    label.color.a = Math.max(alpha, 0.8);
    label.text = velocityOk ? `${obj.id}\n${speed.toFixed(1)} m/s` : `${obj.id}`;
    this.common(label);

    if (velocityOk && speed >= o.minArrowSpeed) {
      const arrow = out.add(this.nsVelocity, t.markerId, Marker.ADD, frame, stamp);
      arrow.type = Marker.ARROW;
      const pts = out.points(2);
      pts[0].x = p.x;
      pts[0].y = p.y;
      pts[0].z = p.z;
      pts[1].x = p.x + v.x * o.arrowSeconds;
      pts[1].y = p.y + v.y * o.arrowSeconds;
      pts[1].z = p.z + v.z * o.arrowSeconds;
      // With two points: shaft diameter, head diameter, head length (rviz clamps it to the length).
      arrow.scale.x = 0.15;
      arrow.scale.y = 0.35;
      arrow.scale.z = 0.4;
      arrow.color.r = rgb.r;
      arrow.color.g = rgb.g;
      arrow.color.b = rgb.b;
      arrow.color.a = 1;
      this.common(arrow);
      t.arrow = true;
    } else if (t.arrow) {
      out.add(this.nsVelocity, t.markerId, Marker.DELETE, frame, stamp).type = Marker.ARROW;
      this.counters.deletes++;
      t.arrow = false;
    }
  }

  private common(m: { lifetime: { sec: number; nanosec: number }; frame_locked: boolean }): void {
    m.lifetime.sec = this.lifetime.sec;
    m.lifetime.nanosec = this.lifetime.nanosec;
    // Sensor frames hang off base_link, which moves in map: re-transformed with the latest TF
    // (rviz looks frame-locked markers up at time 0), so a list stamped a few ms after the last
    // pose never hits tf2's "extrapolation into the future".
    m.frame_locked = true;
  }

  private deleteObject(t: Tracked, stamp: Time, out: MarkerArrayBuilder): void {
    out.add(this.nsBox, t.markerId, Marker.DELETE, this.frame, stamp).type = Marker.CUBE;
    out.add(this.nsLabel, t.markerId, Marker.DELETE, this.frame, stamp).type = Marker.TEXT_VIEW_FACING;
    this.counters.deletes += 2;
    if (t.arrow) {
      out.add(this.nsVelocity, t.markerId, Marker.DELETE, this.frame, stamp).type = Marker.ARROW;
      this.counters.deletes++;
    }
  }
}

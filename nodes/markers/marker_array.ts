// Builds MarkerArray messages from a pool of Marker objects that are reused from one publish to
// the next (publish() serialises synchronously, so reuse is safe): an ESR scan is up to 64
// objects × 3 markers, 20 times a second, and none of that needs fresh objects.
import { Marker, type MarkerArrayMsg, type MarkerMsg, type PointMsg } from '../runtime/msg_types.js';
import type { Time } from '../runtime/ros.js';

// Shared, never written: the texture and mesh fields vil never uses.
const NO_TEXTURE = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, format: '', data: new Uint8Array(0) };
const NO_MESH = { filename: '', data: new Uint8Array(0) };

/** A Marker with every field of visualization_msgs/msg/Marker at its default (ADD, identity pose). */
export function createMarker(): MarkerMsg {
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    ns: '',
    id: 0,
    type: Marker.CUBE,
    action: Marker.ADD,
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    scale: { x: 0, y: 0, z: 0 },
    color: { r: 0, g: 0, b: 0, a: 0 },
    lifetime: { sec: 0, nanosec: 0 },
    frame_locked: false,
    points: [],
    colors: [],
    texture_resource: '',
    texture: NO_TEXTURE,
    uv_coordinates: [],
    text: '',
    mesh_resource: '',
    mesh_file: NO_MESH,
    mesh_use_embedded_materials: false,
  };
}

interface Slot {
  msg: MarkerMsg;
  /** The slot's own points array (msg.points, unless another array was lent for one publish). */
  own: PointMsg[];
  /** Point objects owned by this slot, put into `own` by points(). */
  store: PointMsg[];
}

export class MarkerArrayBuilder {
  private readonly slots: Slot[] = [];
  private count = 0;
  private readonly array: MarkerArrayMsg = { markers: [] };

  /** Starts a new array (the previous one must have been published already). */
  begin(): void {
    this.count = 0;
    this.array.markers.length = 0;
  }

  /** Appends a marker reset to defaults, with the given identity and header. */
  add(ns: string, id: number, action: number, frameId: string, stamp: Time): MarkerMsg {
    let slot = this.slots[this.count];
    if (!slot) {
      const msg = createMarker();
      slot = { msg, own: msg.points, store: [] };
      this.slots.push(slot);
    }
    this.count++;
    const m = slot.msg;
    m.header.stamp.sec = stamp.sec;
    m.header.stamp.nanosec = stamp.nanosec;
    m.header.frame_id = frameId;
    m.ns = ns;
    m.id = id;
    m.type = Marker.CUBE;
    m.action = action;
    const p = m.pose.position;
    p.x = 0;
    p.y = 0;
    p.z = 0;
    const q = m.pose.orientation;
    q.x = 0;
    q.y = 0;
    q.z = 0;
    q.w = 1;
    m.scale.x = 0;
    m.scale.y = 0;
    m.scale.z = 0;
    m.color.r = 0;
    m.color.g = 0;
    m.color.b = 0;
    m.color.a = 0;
    m.lifetime.sec = 0;
    m.lifetime.nanosec = 0;
    m.frame_locked = false;
    m.points = slot.own;
    m.points.length = 0;
    m.text = '';
    this.array.markers.push(m);
    return m;
  }

  /** The marker last added, with `n` points (reused objects, values to be written by the caller). */
  points(n: number): PointMsg[] {
    const slot = this.slots[this.count - 1];
    const store = slot.store;
    while (store.length < n) store.push({ x: 0, y: 0, z: 0 });
    const pts = slot.msg.points;
    pts.length = 0;
    for (let i = 0; i < n; i++) pts.push(store[i]);
    return pts;
  }

  /**
   * The marker last added shows `points` as they are (e.g. a trail kept by its owner): the array is
   * only referenced until the next begin().
   */
  lendPoints(points: PointMsg[]): void {
    this.slots[this.count - 1].msg.points = points;
  }

  /** A DELETEALL (empty ns: every namespace of the display, as rviz2 and Foxglove read it). */
  deleteAll(stamp: Time): MarkerMsg {
    return this.add('', 0, Marker.DELETEALL, '', stamp);
  }

  get length(): number {
    return this.count;
  }

  /** The array built since begin(). */
  finish(): MarkerArrayMsg {
    return this.array;
  }
}

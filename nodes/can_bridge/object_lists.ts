// Object lists from CAN (pure): turns a configured group (bridge_config.ts GroupPlan) into the
// frame assembly of assembly.ts — header decode (cycle counter, announced count) and member
// decode (one DetectedObject per member frame) — and a committed cycle into vil/msg/ObjectList.
//
// Decoding reads the values the node already wrote with decodeInto into the bus's
// database-wide Float64Array (CycleAssembler.push runs right after it, synchronously), so a
// frame is decoded once whatever consumes it. Signal indices are resolved per member message
// at start-up.
//
// Geometry: polar members (range r, angle a, positive to the left unless angle_sign: -1) give
// x = r·cos a, y = r·sin a; a range rate (and range acceleration) points along the bearing.
import type { Time } from '../runtime/ros.js';
import type { DetectedObjectMsg, ObjectListMsg } from '../runtime/msg_types.js';
import { CycleAssembler, type AssemblyFrame, type CycleSnapshot, type GroupSpec } from './assembly.js';
import type { MessageCodec } from '../dbc/codec.js';
import type { GroupPlan, MemberField, ObjectMapping } from './bridge_config.js';

export interface CycleHeader {
  counter: number;
  count: number;
}

// Field slots of a member message, in this order (-1 = not configured).
const F_ID = 0;
const F_P0 = 1; // range or x
const F_P1 = 2; // angle or y
const F_P2 = 3; // z
const F_V0 = 4; // range rate or x
const F_V1 = 5;
const F_V2 = 6;
const F_A0 = 7;
const F_A1 = 8;
const F_A2 = 9;
const F_SX = 10;
const F_SY = 11;
const F_SZ = 12;
const F_YAW = 13;
const F_EXIST = 14;
const F_CLASS = 15;
const F_STATUS = 16;
const N_FIELDS = 17;

interface MemberPlan {
  codec: MessageCodec;
  /** 0-based member position. */
  position: number;
  index: Int32Array;
}

function fieldsOf(o: ObjectMapping): (MemberField | undefined)[] {
  const f: (MemberField | undefined)[] = new Array(N_FIELDS).fill(undefined);
  if (o.id.kind === 'signal') f[F_ID] = o.id.field;
  if (o.position.kind === 'polar') {
    f[F_P0] = o.position.range;
    f[F_P1] = o.position.angle;
  } else {
    f[F_P0] = o.position.x;
    f[F_P1] = o.position.y;
    f[F_P2] = o.position.z;
  }
  const motion = (m: ObjectMapping['velocity'], base: number) => {
    if (!m) return;
    if (m.kind === 'radial') f[base] = m.rate;
    else {
      f[base] = m.x;
      f[base + 1] = m.y;
      f[base + 2] = m.z;
    }
  };
  motion(o.velocity, F_V0);
  motion(o.acceleration, F_A0);
  f[F_SX] = o.size.x;
  f[F_SY] = o.size.y;
  f[F_SZ] = o.size.z;
  f[F_YAW] = o.yaw;
  f[F_EXIST] = o.existence;
  f[F_CLASS] = o.classification?.field;
  f[F_STATUS] = o.status?.field;
  return f;
}

/** The assembly of one configured group plus its ObjectList message. */
export class ObjectListGroup {
  readonly assembler: CycleAssembler<CycleHeader, DetectedObjectMsg>;
  private readonly members = new Map<number, MemberPlan>();
  private readonly factors: Float64Array;
  private readonly message: ObjectListMsg;
  private lastPublishedSeq = 0;
  /** Cycles handed to `send` so far. */
  published = 0;

  /**
   * `values` is the bus's database-wide output array that the node decodes every frame into
   * (decodeInto(data, values, codec.base)) before it calls push().
   */
  constructor(
    readonly plan: GroupPlan,
    private readonly values: Float64Array,
  ) {
    const fields = fieldsOf(plan.object);
    this.factors = Float64Array.from(fields, (f) => f?.factor ?? 1);
    plan.members.forEach((codec, position) => {
      const index = Int32Array.from(fields, (f) => (f ? codec.indexOf(f.signal) : -1));
      this.members.set(codec.id, { codec, position, index });
    });
    const h = plan.header;
    const spec: GroupSpec<CycleHeader, DetectedObjectMsg> = {
      name: plan.name,
      header: {
        id: h.codec.id,
        extended: h.codec.extended,
        decode: () => ({
          counter: h.counter >= 0 ? this.values[h.codec.base + h.counter] : NaN,
          count: h.count >= 0 ? this.values[h.codec.base + h.count] : NaN,
        }),
        counter: h.counter >= 0 ? (x) => x.counter : undefined,
        counterModulo: h.counterModulo,
      },
      members: {
        ids: plan.members.map((c) => c.id),
        extended: plan.extended,
        decode: (f) => this.decodeMember(f),
        ordered: plan.ordered,
      },
      complete: plan.complete === 'all_members' ? 'all-members' : plan.complete === 'next_header' ? 'next-header' : { count: (x) => x.count },
      timeoutMs: plan.timeoutMs,
      maxMembers: Math.max(plan.members.length, 1),
    };
    this.assembler = new CycleAssembler(spec);
    this.message = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: plan.frameId },
      source: plan.name,
      cycle_counter: 0,
      frames_in_cycle: 0,
      objects: [],
    };
  }

  /** The messages (header and members) whose frames this group takes. */
  codecs(): MessageCodec[] {
    return [this.plan.header.codec, ...this.plan.members];
  }

  /** Feeds one decoded frame; true when it completed (committed) a cycle. `nowMs`: data time. */
  push(f: AssemblyFrame, nowMs: number): boolean {
    return this.assembler.push(f, nowMs);
  }

  /**
   * Under the assembly's read lock: the last committed cycle as an ObjectList, handed to `send`
   * (which must serialise synchronously, as publish() does). A cycle is sent once; returns false
   * when there is no cycle newer than the last one sent.
   */
  publishLatest(send: (m: ObjectListMsg) => void): boolean {
    return this.assembler.read((snap) => {
      if (snap === undefined || snap.seq === this.lastPublishedSeq) return false;
      this.lastPublishedSeq = snap.seq;
      this.published++;
      send(this.fill(snap));
      return true;
    });
  }

  private fill(snap: CycleSnapshot<CycleHeader, DetectedObjectMsg>): ObjectListMsg {
    const m = this.message;
    m.header.stamp = copyTime(snap.stamp);
    m.cycle_counter = snap.counter !== undefined && Number.isFinite(snap.counter) ? snap.counter >>> 0 : snap.seq >>> 0;
    m.frames_in_cycle = 1 + snap.members.length;
    const drop = this.plan.object.dropStatus;
    const out: DetectedObjectMsg[] = [];
    for (const o of snap.members) if (o !== undefined && !drop.has(o.status)) out.push(o);
    m.objects = out;
    return m;
  }

  private decodeMember(f: AssemblyFrame): DetectedObjectMsg {
    const mp = this.members.get(f.id)!;
    const base = mp.codec.base;
    const idx = mp.index;
    const k = this.factors;
    const values = this.values;
    const get = (slot: number): number => (idx[slot] < 0 ? NaN : values[base + idx[slot]] * k[slot]);
    const o = this.plan.object;
    const obj: DetectedObjectMsg = {
      id: 0,
      classification: 0,
      class_label: '',
      position: { x: 0, y: 0, z: 0 },
      velocity: { x: 0, y: 0, z: 0 },
      acceleration: { x: 0, y: 0, z: 0 },
      size: { x: 0, y: 0, z: 0 },
      yaw: NaN,
      existence_probability: NaN,
      status: 0,
      status_label: '',
    };
    obj.id = o.id.kind === 'member' ? (mp.position + o.id.offset) >>> 0 : toUint(get(F_ID), 0xffffffff);
    let cosA = 1;
    let sinA = 0;
    if (o.position.kind === 'polar') {
      const r = get(F_P0);
      const a = get(F_P1);
      cosA = Math.cos(a);
      sinA = Math.sin(a);
      obj.position.x = r * cosA;
      obj.position.y = r * sinA;
    } else {
      obj.position.x = orZero(get(F_P0), idx[F_P0]);
      obj.position.y = orZero(get(F_P1), idx[F_P1]);
      obj.position.z = orZero(get(F_P2), idx[F_P2]);
    }
    const motion = (m: ObjectMapping['velocity'], first: number, out: { x: number; y: number; z: number }) => {
      if (!m) return;
      if (m.kind === 'radial') {
        const rate = get(first);
        out.x = rate * cosA;
        out.y = rate * sinA;
      } else {
        out.x = orZero(get(first), idx[first]);
        out.y = orZero(get(first + 1), idx[first + 1]);
        out.z = orZero(get(first + 2), idx[first + 2]);
      }
    };
    motion(o.velocity, F_V0, obj.velocity);
    motion(o.acceleration, F_A0, obj.acceleration);
    obj.size.x = orZero(get(F_SX), idx[F_SX]);
    obj.size.y = orZero(get(F_SY), idx[F_SY]);
    obj.size.z = orZero(get(F_SZ), idx[F_SZ]);
    if (idx[F_YAW] >= 0) obj.yaw = get(F_YAW);
    if (idx[F_EXIST] >= 0) obj.existence_probability = get(F_EXIST);
    if (o.classification) {
      const raw = values[base + idx[F_CLASS]];
      const label = mp.codec.labelOf(idx[F_CLASS], raw);
      obj.class_label = label ?? '';
      obj.classification = (label !== undefined ? o.classification.map.get(label) : undefined) ?? o.classification.map.get(String(raw * k[F_CLASS])) ?? 0;
    }
    if (o.status) {
      const raw = values[base + idx[F_STATUS]];
      const s = toUint(raw * k[F_STATUS], 0xff);
      obj.status = s;
      obj.status_label = o.status.labels.get(s) ?? mp.codec.labelOf(idx[F_STATUS], raw) ?? '';
    }
    return obj;
  }
}

function orZero(v: number, index: number): number {
  return index < 0 ? 0 : v;
}

function toUint(v: number, max: number): number {
  if (!Number.isFinite(v)) return 0;
  const r = Math.round(v);
  return r < 0 ? 0 : r > max ? max : r;
}

function copyTime(t: Time): Time {
  return { sec: t.sec, nanosec: t.nanosec };
}

// VehicleState from decoded CAN signals (pure): each quantity keeps the last value seen and the
// stamp of the frame it came from; build() fills one reusable vil/msg/VehicleState with SI values
// and each quantity's age at the given time. Nothing is allocated per frame or per message.
import type { Time } from '../runtime/ros.js';
import type { MessageCodec } from '../dbc/codec.js';
import type { GearTarget, QuantityPlan, VehicleStatePlan } from './bridge_config.js';

/** vil/msg/VehicleState constants (msgs/msg/VehicleState.msg). */
export const Gear = { UNKNOWN: -128, PARK: -2, REVERSE: -1, NEUTRAL: 0, DRIVE: 1 } as const;

/** vil/msg/VehicleState */
export interface VehicleStateMsg {
  header: { stamp: Time; frame_id: string };
  speed: number;
  speed_age: number;
  yaw_rate: number;
  yaw_rate_age: number;
  steering_wheel_angle: number;
  steering_wheel_angle_age: number;
  longitudinal_acceleration: number;
  longitudinal_acceleration_age: number;
  lateral_acceleration: number;
  lateral_acceleration_age: number;
  /** int8, Gear.* or the forward gear number */
  gear: number;
  gear_label: string;
  gear_age: number;
  wheel_speeds: number[];
  wheel_speed_ages: number[];
}

/** One quantity: where it comes from and its last value. */
class Slot {
  value = NaN;
  /** Stamp of the frame the value came from (sec NaN = never); kept as sec/nanosec so ages are exact. */
  atSec = NaN;
  atNsec = 0;
  constructor(
    readonly index: number,
    readonly factor: number,
  ) {}
}

const GEAR_CODES: Record<Exclude<GearTarget, number>, number> = { park: Gear.PARK, reverse: Gear.REVERSE, neutral: Gear.NEUTRAL, drive: Gear.DRIVE, unknown: Gear.UNKNOWN };

export class VehicleStateBuilder {
  readonly message: VehicleStateMsg;
  private readonly speed: Slot | undefined;
  private readonly yawRate: Slot | undefined;
  private readonly steering: Slot | undefined;
  private readonly longAccel: Slot | undefined;
  private readonly latAccel: Slot | undefined;
  private readonly wheels: (Slot | undefined)[];
  private readonly gearSlot: Slot | undefined;
  private gearCode: number = Gear.UNKNOWN;
  private gearLabel = '';
  /** Slots fed by each message. */
  private readonly byCodec = new Map<MessageCodec, Slot[]>();
  private readonly gearCodec: MessageCodec | undefined;
  private readonly gearMap: Map<string, GearTarget>;

  constructor(plan: VehicleStatePlan) {
    const slot = (q: QuantityPlan | undefined): Slot | undefined => {
      if (!q) return undefined;
      const s = new Slot(q.ref.index, q.factor);
      const list = this.byCodec.get(q.ref.codec) ?? [];
      list.push(s);
      this.byCodec.set(q.ref.codec, list);
      return s;
    };
    this.speed = slot(plan.speed);
    this.yawRate = slot(plan.yawRate);
    this.steering = slot(plan.steeringWheelAngle);
    this.longAccel = slot(plan.longitudinalAcceleration);
    this.latAccel = slot(plan.lateralAcceleration);
    this.wheels = plan.wheelSpeeds.map(slot);
    this.gearMap = plan.gear?.map ?? new Map();
    if (plan.gear) {
      this.gearCodec = plan.gear.ref.codec;
      this.gearSlot = new Slot(plan.gear.ref.index, 1);
      if (!this.byCodec.has(this.gearCodec)) this.byCodec.set(this.gearCodec, []);
    }
    this.message = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: plan.frameId },
      speed: NaN,
      speed_age: NaN,
      yaw_rate: NaN,
      yaw_rate_age: NaN,
      steering_wheel_angle: NaN,
      steering_wheel_angle_age: NaN,
      longitudinal_acceleration: NaN,
      longitudinal_acceleration_age: NaN,
      lateral_acceleration: NaN,
      lateral_acceleration_age: NaN,
      gear: Gear.UNKNOWN,
      gear_label: '',
      gear_age: NaN,
      wheel_speeds: [NaN, NaN, NaN, NaN],
      wheel_speed_ages: [NaN, NaN, NaN, NaN],
    };
  }

  /** The messages this builder reads (the node routes only these to update()). */
  codecs(): MessageCodec[] {
    return [...this.byCodec.keys()];
  }

  /**
   * Takes the values of one decoded frame of `codec` (values[base + i], NaN = not in the frame),
   * received at `stamp`.
   */
  update(codec: MessageCodec, values: Float64Array, base: number, stamp: Time): void {
    const slots = this.byCodec.get(codec);
    if (slots === undefined) return;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const v = values[base + s.index];
      if (Number.isNaN(v)) continue; // not in this frame (short payload, inactive mux branch)
      s.value = v * s.factor;
      s.atSec = stamp.sec;
      s.atNsec = stamp.nanosec;
    }
    const g = this.gearSlot;
    if (g !== undefined && codec === this.gearCodec) {
      const v = values[base + g.index];
      if (!Number.isNaN(v)) {
        g.value = v;
        g.atSec = stamp.sec;
        g.atNsec = stamp.nanosec;
        const label = codec.labelOf(g.index, v);
        this.gearLabel = label ?? '';
        this.gearCode = this.mapGear(label, v);
      }
    }
  }

  private mapGear(label: string | undefined, v: number): number {
    let t = label !== undefined ? (this.gearMap.get(label) ?? this.gearMap.get(label.toUpperCase())) : undefined;
    if (t === undefined) t = this.gearMap.get(String(v));
    if (t === undefined) return Gear.UNKNOWN;
    return typeof t === 'number' ? t : GEAR_CODES[t];
  }

  /** Fills and returns the reusable message for time `now` (ages = now − frame stamp). */
  build(now: Time): VehicleStateMsg {
    const m = this.message;
    m.header.stamp = now;
    m.speed = val(this.speed);
    m.speed_age = age(this.speed, now);
    m.yaw_rate = val(this.yawRate);
    m.yaw_rate_age = age(this.yawRate, now);
    m.steering_wheel_angle = val(this.steering);
    m.steering_wheel_angle_age = age(this.steering, now);
    m.longitudinal_acceleration = val(this.longAccel);
    m.longitudinal_acceleration_age = age(this.longAccel, now);
    m.lateral_acceleration = val(this.latAccel);
    m.lateral_acceleration_age = age(this.latAccel, now);
    m.gear = this.gearCode;
    m.gear_label = this.gearLabel;
    m.gear_age = age(this.gearSlot, now);
    for (let i = 0; i < 4; i++) {
      m.wheel_speeds[i] = val(this.wheels[i]);
      m.wheel_speed_ages[i] = age(this.wheels[i], now);
    }
    return m;
  }
}

function val(s: Slot | undefined): number {
  return s === undefined ? NaN : s.value;
}

function age(s: Slot | undefined, now: Time): number {
  return s === undefined || Number.isNaN(s.atSec) ? NaN : now.sec - s.atSec + (now.nanosec - s.atNsec) * 1e-9;
}

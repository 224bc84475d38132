// One configured bus at run time: its raw publishers, the database-wide decode array, the route
// of each DBC message to its outputs, and the counters /diagnostics reports.
import type { Publisher, QosSettings, RosNode, Time } from '../runtime/ros.js';
import type { ObjectListMsg } from '../runtime/msg_types.js';
import { RateCounter } from '../runtime/diagnostics.js';
import type { MessageCodec } from '../dbc/codec.js';
import type { BridgePlan, BusPlan } from './bridge_config.js';
import { BusStateTracker } from './can_error.js';
import { ClassicFrameWriter, FdFrameWriter, CAN_FRAME_TYPE, FD_FRAME_TYPE, type CanMsgsFrame, type FdFrameMsg } from './raw_frames.js';
import type { DecodedSignalsWriter, DecodedSignalsMsg } from './decoded_signals.js';
import type { ObjectListGroup } from './object_lists.js';
import type { SocketCanSource } from './socketcan_source.js';

/** Where a decoded DBC message goes. */
export interface Route {
  decoded: { writer: DecodedSignalsWriter; pub: Publisher<DecodedSignalsMsg> }[];
  vehicle: boolean;
  /** Object lists the message is a member or header of, with their publish function. */
  groups: { group: ObjectListGroup; send: (m: ObjectListMsg) => void }[];
}

export interface Bus {
  plan: BusPlan;
  /** Every signal of the bus's DBC at its codec's base (decodeInto writes here). */
  values: Float64Array;
  routes: Map<MessageCodec, Route>;
  rawPub: Publisher<CanMsgsFrame> | undefined;
  fdPub: Publisher<FdFrameMsg> | undefined;
  classic: ClassicFrameWriter;
  fdWriter: FdFrameWriter;
  rate: RateCounter;
  errorFrames: number;
  fdFrames: number;
  ignoredFd: number;
  unknownFrames: number;
  unknownIds: Set<number>;
  shortFrames: number;
  unknownMux: number;
  drops: number;
  txErrors: number;
  rxErrors: number;
  tracker: BusStateTracker;
  /** The SocketCAN source of this bus (source socketcan). */
  source: SocketCanSource | undefined;
  lastFrame: Time | undefined;
  /** socket_drops_min at the previous report (a rise is a WARN). */
  socketDropsReported: number;
}

/** The selected buses of the plan, with their raw publishers (unless `publishRaw` is off). */
export function createBuses(node: RosNode, plan: BridgePlan, selected: readonly string[], publishRaw: boolean, qos: QosSettings): Map<string, Bus> {
  const buses = new Map<string, Bus>();
  for (const b of plan.buses) {
    if (!selected.includes(b.name)) continue;
    buses.set(b.name, {
      plan: b,
      values: new Float64Array(b.db?.signalCount ?? 0),
      routes: new Map(),
      rawPub: publishRaw ? node.createPublisher<CanMsgsFrame>(CAN_FRAME_TYPE, `vil/can/${b.name}/raw`, qos) : undefined,
      fdPub: publishRaw && b.fd ? node.createPublisher<FdFrameMsg>(FD_FRAME_TYPE, `vil/can/${b.name}/raw_fd`, qos) : undefined,
      classic: new ClassicFrameWriter(b.iface),
      fdWriter: new FdFrameWriter(b.iface),
      rate: new RateCounter(),
      errorFrames: 0,
      fdFrames: 0,
      ignoredFd: 0,
      unknownFrames: 0,
      unknownIds: new Set(),
      shortFrames: 0,
      unknownMux: 0,
      drops: 0,
      txErrors: NaN,
      rxErrors: NaN,
      tracker: new BusStateTracker(),
      source: undefined,
      lastFrame: undefined,
      socketDropsReported: 0,
    });
  }
  return buses;
}

/** The route of a message on a bus, created on first use. */
export function routeOf(bus: Bus, codec: MessageCodec): Route {
  let r = bus.routes.get(codec);
  if (!r) bus.routes.set(codec, (r = { decoded: [], vehicle: false, groups: [] }));
  return r;
}

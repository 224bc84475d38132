// The decoded outputs of can_bridge and their publishers: generic DecodedSignals (per entry, or
// per message), VehicleState at its rate, object lists on commit or at their rate. Each DBC
// message a bus decodes gets a route listing the outputs it feeds, so the intake looks up nothing
// by name per frame. Rates run on the ROS clock, or in data time (replays) through DataTickers
// the intake advances with every frame's stamp.
import type { Publisher, QosSettings, RosNode, Time, Timer } from '../runtime/ros.js';
import type { ObjectListMsg } from '../runtime/msg_types.js';
import type { BridgePlan, VehicleStatePlan } from './bridge_config.js';
import { routeOf, type Bus } from './bus.js';
import { DataTicker } from './data_ticker.js';
import { DecodedSignalsWriter, type DecodedSignalsMsg } from './decoded_signals.js';
import { ObjectListGroup } from './object_lists.js';
import { VehicleStateBuilder, type VehicleStateMsg } from './vehicle_state.js';

export interface ObjectListOutput {
  group: ObjectListGroup;
  pub: Publisher<ObjectListMsg>;
  bus: Bus;
  send: (m: ObjectListMsg) => void;
}

export interface Outputs {
  vehicle: { builder: VehicleStateBuilder; plan: VehicleStatePlan; published: number } | undefined;
  groups: ObjectListOutput[];
  /** Data-time schedules (timebase data): advanced by every frame, flushed at a replay's end. */
  tickers: DataTicker[];
  /** Called once a replay has ended, after the tickers' flush, with the last frame's stamp. */
  endOfData: ((last: Time) => void)[];
}

export interface OutputOptions {
  /** Rates run in data time (DataTicker) instead of on ROS timers. */
  dataTime: boolean;
  streamQos: QosSettings;
  listQos: QosSettings;
}

export function createOutputs(node: RosNode, plan: BridgePlan, buses: Map<string, Bus>, o: OutputOptions): Outputs {
  const tickers: DataTicker[] = [];
  const every = (rateHz: number, fn: (now: Time) => void): Timer | undefined => {
    if (o.dataTime) {
      tickers.push(new DataTicker(rateHz, fn));
      return undefined;
    }
    return node.createTimer(1000 / rateHz, () => fn(node.now()));
  };

  // Generic decoded signals: one topic per entry, or one per message.
  for (const d of plan.decoded) {
    const bus = buses.get(d.bus);
    if (!bus) continue;
    const shared = d.perMessage ? undefined : node.createPublisher<DecodedSignalsMsg>('vil/msg/DecodedSignals', d.topic, o.streamQos);
    for (const codec of d.codecs) {
      const pub = shared ?? node.createPublisher<DecodedSignalsMsg>('vil/msg/DecodedSignals', `${d.topic}/${codec.name}`, o.streamQos);
      routeOf(bus, codec).decoded.push({ writer: new DecodedSignalsWriter(codec, bus.values, bus.plan.iface), pub });
    }
  }

  // Vehicle state: the builder keeps the latest value of each quantity; published at its rate.
  let vehicle: Outputs['vehicle'];
  const vs = plan.vehicleState;
  if (vs && buses.has(vs.bus)) {
    const bus = buses.get(vs.bus)!;
    const builder = new VehicleStateBuilder(vs);
    const v = { builder, plan: vs, published: 0 };
    vehicle = v;
    for (const codec of builder.codecs()) routeOf(bus, codec).vehicle = true;
    const pub = node.createPublisher<VehicleStateMsg>('vil/msg/VehicleState', vs.topic, o.listQos);
    every(vs.rateHz, (now) => {
      pub.publish(builder.build(now));
      v.published++;
    });
  }

  // Object lists: assembled per cycle, published on commit or at a rate.
  const groups: ObjectListOutput[] = [];
  for (const g of plan.groups) {
    const bus = buses.get(g.bus);
    if (!bus) continue;
    const group = new ObjectListGroup(g, bus.values);
    const pub = node.createPublisher<ObjectListMsg>('vil/msg/ObjectList', g.topic, o.listQos);
    const send = (m: ObjectListMsg) => pub.publish(m);
    for (const codec of group.codecs()) routeOf(bus, codec).groups.push({ group, send });
    groups.push({ group, pub, bus, send });
    if (g.rateHz > 0) every(g.rateHz, () => group.publishLatest(send));
  }

  return { vehicle, groups, tickers, endOfData: [] };
}

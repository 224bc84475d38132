// can_bridge: vehicle CAN → ROS.
//
//   SocketCAN <iface> ──┐                        ┌─▶ vil/can/<bus>/raw      (can_msgs/Frame)
//   candump -L log ─────┼── CanFrame ─▶ intake ──┼─▶ vil/can/<bus>/raw_fd   (ros2_socketcan_msgs/FdFrame)
//   vil/can/<bus>/raw ──┘   (stamped)            ├─▶ error frames ─▶ bus state ─▶ /diagnostics
//                                                └─▶ DBC decodeInto (one Float64Array per bus)
//                                                      ├─▶ vil/can/decoded[/<MSG>]  (vil/msg/DecodedSignals)
//                                                      ├─▶ VehicleStateBuilder ─(rate)─▶ vil/can/vehicle_state
//                                                      └─▶ ObjectListGroup: staging ─commit(lock)─▶ snapshot
//                                                                 ─(on commit | rate)─▶ vil/can/objects/<group>
//
// Every source goes through the same intake, so a recorded candump log or a bag of the raw
// topics replays into the same decoded topics with any DBC version. Structured settings (buses,
// DBCs, signal mappings, assembly groups) are in the YAML named by `config_file`
// (bridge_config.ts); scalar settings are the parameters below.
import type { RosNode, Time, Publisher, QosSettings, Timer } from '../runtime/ros.js';
import type { NodeDefinition, RunningNode } from '../runtime/run.js';
import { defineParams } from '../runtime/params.js';
import { ConfigError } from '../runtime/errors.js';
import { Diagnostics, DiagnosticLevel, RateCounter, type DiagnosticReport } from '../runtime/diagnostics.js';
import { ThrottledLog } from '../runtime/logger.js';
import type { ObjectListMsg } from '../runtime/msg_types.js';
import { loadBridgeConfig, resolveFile, type BridgePlan, type BusPlan } from './bridge_config.js';
import { DECODE_SHORT, DECODE_UNKNOWN_MUX, type MessageCodec } from '../dbc/codec.js';
import { describeDbcWarnings } from '../dbc/load.js';
import { decodeCanError, BusStateTracker, type BusState } from './can_error.js';
import { SocketCanSource, type CanFrame } from './socketcan_source.js';
import { CandumpSource } from './candump_source.js';
import { ClassicFrameWriter, FdFrameWriter, CAN_FRAME_TYPE, FD_FRAME_TYPE, frameFromClassic, frameFromFd, type CanMsgsFrame, type FdFrameMsg } from './raw_frames.js';
import { DecodedSignalsWriter, type DecodedSignalsMsg } from './decoded_signals.js';
import { VehicleStateBuilder, type VehicleStateMsg } from './vehicle_state.js';
import { ObjectListGroup } from './object_lists.js';
import { DataTicker } from './data_ticker.js';
import { readReceiveBufferSysctls, receiveBufferWarning } from './socket_drops.js';

export const canBridgeParams = defineParams({
  source: {
    type: 'string',
    default: 'socketcan',
    choices: ['socketcan', 'candump', 'topic'],
    description: 'socketcan: the kernel CAN interfaces; candump: replay candump_file; topic: decode vil/can/<bus>/raw(_fd) (bag replay)',
  },
  config_file: {
    type: 'string',
    default: 'config/can_bridge.yaml',
    description: 'YAML with buses (interface, DBC, kernel filters), decoded messages, vehicle_state and object_lists',
    hint: 'absolute, or relative to the working directory or the vil project',
  },
  interfaces: {
    type: 'string_array',
    default: [],
    description: 'buses of the config file to run (by bus name); [] runs them all',
  },
  candump_file: { type: 'string', default: '', description: 'source candump: the candump -L log to replay' },
  candump_realtime: { type: 'bool', default: true, description: 'source candump: true replays at the recorded pace, false as fast as possible' },
  candump_stamps: {
    type: 'string',
    default: 'replay',
    choices: ['replay', 'log'],
    description: 'source candump: replay shifts the recorded times to start now (intervals kept); log keeps the recorded times',
  },
  timebase: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'clock', 'data'],
    description:
      'what paces vehicle_state and rate-published object lists, and what ages are measured against: clock = the ROS clock; data = the stamps of the frames (replays); auto = data for candump, clock otherwise',
  },
  publish_raw: { type: 'bool', default: true, description: 'publish every received frame on vil/can/<bus>/raw (and raw_fd); ignored with source topic' },
  qos_depth: { type: 'integer', default: 1000, min: 1, max: 100_000, description: 'keep-last depth of the raw and decoded topics (bursts of a busy bus must fit)' },
  error_frames: { type: 'bool', default: true, description: 'socketcan: receive error frames (bus state, error counters) and publish them on the raw topic' },
  kernel_stamps: { type: 'bool', default: true, description: 'socketcan: stamp frames with the kernel receive time (off, or under use_sim_time: the ROS clock)' },
  reopen_min_ms: { type: 'integer', default: 100, min: 10, max: 60_000, description: 'first wait before reopening a lost interface [ms]' },
  reopen_max_ms: { type: 'integer', default: 2000, min: 10, max: 600_000, description: 'longest wait between reopen attempts [ms]' },
});

export const canBridgeNode: NodeDefinition = {
  name: 'can_bridge',
  description: 'vehicle CAN (SocketCAN, candump log or raw topic) → raw frames, decoded signals, vehicle state, object lists',
  start: startCanBridge,
};

/** What start() returns, for tests and tools: the replay's end and the counters. */
export interface CanBridgeRunning extends RunningNode {
  /** Resolves when a candump replay has ended (immediately for other sources). */
  readonly replayDone: Promise<void>;
  readonly plan: BridgePlan;
  /** The /diagnostics content now. */
  diagnostics(): ReturnType<Diagnostics['collect']>;
}

interface Route {
  decoded: { writer: DecodedSignalsWriter; pub: Publisher<DecodedSignalsMsg> }[];
  vehicle: boolean;
  groups: ObjectListGroup[];
}

interface Bus {
  plan: BusPlan;
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
  source: SocketCanSource | undefined;
  lastFrame: Time | undefined;
  /** socket_drops_min at the previous report (a rise is a WARN). */
  socketDropsReported: number;
}

const MAX_LISTED_UNKNOWN = 32;

async function startCanBridge(node: RosNode): Promise<CanBridgeRunning> {
  const p = node.declareParameters(canBridgeParams);
  const log = node.logger;
  const throttled = new ThrottledLog(log);

  const configPath = resolveFile(p.config_file, 'parameter config_file', 'config_file', 'set config_file to a can_bridge YAML file (absolute, or relative to the working directory or the vil project), e.g. config/can_bridge.yaml');
  const plan = loadBridgeConfig(configPath);
  // A DBC's defects (messages or statements left out) once at start; the configuration does not
  // use what was left out, or loading it would have failed.
  for (const db of new Set(plan.buses.map((b) => b.db))) {
    const lines = db ? describeDbcWarnings(db) : [];
    if (lines.length) log.warn({ dbc: db!.model.file, warnings: db!.warnings.length }, lines.join('\n'));
  }
  const selected = p.interfaces.length ? p.interfaces : plan.buses.map((b) => b.name);
  for (const name of selected) {
    if (!plan.buses.some((b) => b.name === name)) {
      throw new ConfigError({ source: 'parameter interfaces', key: 'interfaces', problem: `no bus "${name}" in ${configPath}`, fix: `use bus names of the config file: ${plan.buses.map((b) => b.name).join(', ')}` });
    }
  }
  if (p.source === 'candump' && p.candump_file === '') {
    throw new ConfigError({ source: 'parameters', key: 'candump_file', problem: 'source candump needs a log file', fix: 'set candump_file to a candump -L log (or choose another source)' });
  }
  if (p.reopen_max_ms < p.reopen_min_ms) {
    throw new ConfigError({ source: 'parameters', key: 'reopen_max_ms', problem: `${p.reopen_max_ms} is below reopen_min_ms ${p.reopen_min_ms}`, fix: 'raise reopen_max_ms or lower reopen_min_ms' });
  }
  const dataTime = p.timebase === 'data' || (p.timebase === 'auto' && p.source === 'candump');
  const publishRaw = p.publish_raw && p.source !== 'topic';
  const streamQos: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: p.qos_depth };
  const listQos: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 };

  // -- buses: one raw channel each, one decode array each ---------------------------------
  const buses = new Map<string, Bus>();
  for (const b of plan.buses) {
    if (!selected.includes(b.name)) continue;
    buses.set(b.name, {
      plan: b,
      values: new Float64Array(b.db?.signalCount ?? 0),
      routes: new Map(),
      rawPub: publishRaw ? node.createPublisher<CanMsgsFrame>(CAN_FRAME_TYPE, `vil/can/${b.name}/raw`, streamQos) : undefined,
      fdPub: publishRaw && b.fd ? node.createPublisher<FdFrameMsg>(FD_FRAME_TYPE, `vil/can/${b.name}/raw_fd`, streamQos) : undefined,
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
  const route = (bus: Bus, codec: MessageCodec): Route => {
    let r = bus.routes.get(codec);
    if (!r) bus.routes.set(codec, (r = { decoded: [], vehicle: false, groups: [] }));
    return r;
  };

  // -- generic decoded signals ---------------------------------------------------------------
  for (const d of plan.decoded) {
    const bus = buses.get(d.bus);
    if (!bus) continue;
    const shared = d.perMessage ? undefined : node.createPublisher<DecodedSignalsMsg>('vil/msg/DecodedSignals', d.topic, streamQos);
    for (const codec of d.codecs) {
      const pub = shared ?? node.createPublisher<DecodedSignalsMsg>('vil/msg/DecodedSignals', `${d.topic}/${codec.name}`, streamQos);
      route(bus, codec).decoded.push({ writer: new DecodedSignalsWriter(codec, bus.values, bus.plan.iface), pub });
    }
  }

  // -- vehicle state -------------------------------------------------------------------------
  const tickers: DataTicker[] = [];
  const every = (rateHz: number, fn: (now: Time) => void): Timer | undefined => {
    if (dataTime) {
      tickers.push(new DataTicker(rateHz, fn));
      return undefined;
    }
    return node.createTimer(1000 / rateHz, () => fn(node.now()));
  };
  let vehicle: VehicleStateBuilder | undefined;
  let vehiclePublished = 0;
  const vs = plan.vehicleState;
  if (vs && buses.has(vs.bus)) {
    const bus = buses.get(vs.bus)!;
    const builder = new VehicleStateBuilder(vs);
    vehicle = builder;
    for (const codec of builder.codecs()) route(bus, codec).vehicle = true;
    const pub = node.createPublisher<VehicleStateMsg>('vil/msg/VehicleState', vs.topic, listQos);
    every(vs.rateHz, (now) => {
      pub.publish(builder.build(now));
      vehiclePublished++;
    });
  }

  // -- object lists --------------------------------------------------------------------------
  const groups: { group: ObjectListGroup; pub: Publisher<ObjectListMsg>; bus: Bus }[] = [];
  for (const g of plan.groups) {
    const bus = buses.get(g.bus);
    if (!bus) continue;
    const group = new ObjectListGroup(g, bus.values);
    const pub = node.createPublisher<ObjectListMsg>('vil/msg/ObjectList', g.topic, listQos);
    for (const codec of group.codecs()) route(bus, codec).groups.push(group);
    groups.push({ group, pub, bus });
    if (g.rateHz > 0) every(g.rateHz, () => group.publishLatest((m) => pub.publish(m)));
  }
  const sendOf = new Map(groups.map((x) => [x.group, (m: ObjectListMsg) => x.pub.publish(m)]));

  // -- the intake: every source ends here ----------------------------------------------------
  const intake = (bus: Bus, f: CanFrame): void => {
    bus.rate.add();
    bus.lastFrame = f.stamp;
    for (let i = 0; i < tickers.length; i++) tickers[i].advance(f.stamp);
    if (f.fd && !bus.plan.fd) {
      bus.ignoredFd++;
      return;
    }
    if (bus.rawPub !== undefined) {
      if (f.fd) bus.fdPub?.publish(bus.fdWriter.fill(f));
      else bus.rawPub.publish(bus.classic.fill(f));
    }
    if (f.error) {
      onErrorFrame(bus, f);
      return;
    }
    if (f.fd) bus.fdFrames++;
    if (f.rtr) return;
    const db = bus.plan.db;
    if (db === undefined) return;
    const codec = db.lookup(f.id, f.extended);
    if (codec === undefined) {
      bus.unknownFrames++;
      if (bus.unknownIds.size < MAX_LISTED_UNKNOWN && !bus.unknownIds.has(f.id)) bus.unknownIds.add(f.id);
      return;
    }
    const st = codec.decodeInto(f.data, bus.values, codec.base);
    if (st !== 0) {
      if (st & DECODE_SHORT) bus.shortFrames++;
      if (st & DECODE_UNKNOWN_MUX) bus.unknownMux++;
    }
    const r = bus.routes.get(codec);
    if (r === undefined) return;
    const dec = r.decoded;
    for (let i = 0; i < dec.length; i++) dec[i].pub.publish(dec[i].writer.fill(f.stamp));
    if (r.vehicle) vehicle!.update(codec, bus.values, codec.base, f.stamp);
    const gs = r.groups;
    if (gs.length && (st & DECODE_SHORT) === 0) {
      const ms = f.stamp.sec * 1000 + f.stamp.nanosec / 1e6;
      for (let i = 0; i < gs.length; i++) {
        const g = gs[i];
        if (g.push(f, ms) && g.plan.rateHz === 0) g.publishLatest(sendOf.get(g)!);
      }
    }
  };

  const onErrorFrame = (bus: Bus, f: CanFrame): void => {
    bus.errorFrames++;
    const info = decodeCanError(f.id, f.data);
    if (info.txErrors !== undefined) bus.txErrors = info.txErrors;
    if (info.rxErrors !== undefined) bus.rxErrors = info.rxErrors;
    if (bus.source !== undefined) return; // SocketCanSource follows the state (and counts overflows) itself
    if (info.rxOverflow) bus.drops++;
    const changed = bus.tracker.update(info);
    if (changed !== undefined) throttled.warn(`bus-state:${bus.plan.name}`, `${bus.plan.name}: bus state ${changed}`, { bus: bus.plan.name, busState: changed });
  };

  const safeIntake = (bus: Bus, f: CanFrame): void => {
    try {
      intake(bus, f);
    } catch (e) {
      // A bug in a decoder or mapping must not take the node down: count, log, carry on.
      throttled.error(`intake:${bus.plan.name}`, `${bus.plan.name}: frame 0x${f.id.toString(16)} failed: ${(e as Error).message}`, { stack: (e as Error).stack });
    }
  };

  // -- sources -------------------------------------------------------------------------------
  let replay: CandumpSource | undefined;
  let replayError: Error | undefined;
  let unconfiguredFrames = 0;
  const unconfigured = new Set<string>();
  const byIface = new Map([...buses.values()].map((b) => [b.plan.iface, b]));
  let lastStamp: Time | undefined;

  if (p.source === 'socketcan') {
    const rmem = readReceiveBufferSysctls();
    const rmemWarning = rmem && receiveBufferWarning(rmem);
    if (rmemWarning) log.warn({ rmemDefault: rmem.rmemDefault, rmemMax: rmem.rmemMax }, rmemWarning);
    const kernelStamps = p.kernel_stamps && !node.useSimTime;
    for (const bus of buses.values()) {
      bus.source = new SocketCanSource(
        {
          iface: bus.plan.iface,
          fd: bus.plan.fd,
          filters: bus.plan.filters,
          errorFrames: p.error_frames,
          reopenMinMs: p.reopen_min_ms,
          reopenMaxMs: p.reopen_max_ms,
          kernelStamps,
          now: () => node.now(),
          logger: log,
          configSource: `${configPath}: buses.${bus.plan.name}`,
        },
        {
          frame: (f) => safeIntake(bus, f),
          state: (s) => {
            if (s.up) log.info({ bus: bus.plan.name, iface: s.iface }, `${bus.plan.name}: ${s.iface} ${s.reason ?? 'up'}`);
          },
        },
      );
    }
    for (const bus of buses.values()) bus.source!.start();
    // No timer drops stalled assembly cycles: the timeout is judged in data time (assembly.ts), or
    // a backlog of frames already received would lose complete cycles. /diagnostics reports a
    // cycle left open past its timeout instead (below).
  } else if (p.source === 'candump') {
    const file = resolveFile(p.candump_file, 'parameter candump_file', 'candump_file', 'set candump_file to an existing candump -L log');
    replay = new CandumpSource(
      { path: file, realtime: p.candump_realtime, stamps: p.candump_stamps, now: () => node.now(), logger: log },
      {
        frame: (iface, f) => {
          lastStamp = f.stamp;
          const bus = byIface.get(iface);
          if (bus === undefined) {
            unconfiguredFrames++;
            if (!unconfigured.has(iface) && unconfigured.size < 16) {
              unconfigured.add(iface);
              log.warn({ iface }, `${file}: frames of interface ${iface}, which no selected bus has; ignored`);
            }
            return;
          }
          safeIntake(bus, f);
        },
        end: (e) => {
          if (e) {
            replayError = e;
            log.error({ err: e }, `candump replay of ${file} failed: ${e.message}`);
          } else log.info({ file, frames: replay?.counters.frames }, 'candump replay finished');
          if (lastStamp) for (const t of tickers) t.flush(lastStamp);
        },
      },
    );
    replay.start();
  } else {
    const subQos: QosSettings = { reliability: 'best_effort', durability: 'volatile', history: 'keep_last', depth: p.qos_depth };
    for (const bus of buses.values()) {
      node.createSubscription<CanMsgsFrame>(CAN_FRAME_TYPE, `vil/can/${bus.plan.name}/raw`, subQos, (m) => safeIntake(bus, frameFromClassic(m)));
      if (bus.plan.fd) node.createSubscription<FdFrameMsg>(FD_FRAME_TYPE, `vil/can/${bus.plan.name}/raw_fd`, subQos, (m) => safeIntake(bus, frameFromFd(m)));
    }
  }

  log.info(
    { source: p.source, config: configPath, buses: [...buses.keys()], decoded: plan.decoded.length, vehicleState: vehicle !== undefined, objectLists: groups.map((g) => g.group.plan.name), timebase: dataTime ? 'data' : 'clock' },
    'can_bridge started',
  );

  // -- diagnostics ---------------------------------------------------------------------------
  const diagnostics = new Diagnostics(node);
  for (const bus of buses.values()) {
    diagnostics.add(`bus ${bus.plan.name}`, bus.plan.iface, () => busReport(bus, p.source, node.now()));
  }
  if (vehicle && vs) {
    const v = vehicle;
    diagnostics.add('vehicle state', vs.topic, () => {
      const m = v.message;
      const ages: Record<string, number> = {
        speed: m.speed_age,
        yaw_rate: m.yaw_rate_age,
        steering_wheel_angle: m.steering_wheel_angle_age,
        longitudinal_acceleration: m.longitudinal_acceleration_age,
        lateral_acceleration: m.lateral_acceleration_age,
        gear: m.gear_age,
      };
      const configured = { speed: vs.speed, yaw_rate: vs.yawRate, steering_wheel_angle: vs.steeringWheelAngle, longitudinal_acceleration: vs.longitudinalAcceleration, lateral_acceleration: vs.lateralAcceleration, gear: vs.gear };
      const stale = Object.entries(ages).filter(([k, a]) => (configured as Record<string, unknown>)[k] !== undefined && !(a < 1)).map(([k]) => k);
      return {
        level: stale.length ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
        message: stale.length ? `no recent value: ${stale.join(', ')}` : 'all quantities fresh',
        values: { published: vehiclePublished, ...Object.fromEntries(Object.entries(ages).map(([k, a]) => [`${k}_age_s`, Number.isNaN(a) ? 'never' : a])) },
      };
    });
  }
  for (const { group, bus } of groups) {
    let lastDrops = 0;
    diagnostics.add(`objects ${group.plan.name}`, `${bus.plan.name}: ${group.plan.topic}`, () => {
      const c = group.assembler.counters;
      const drops = c.incomplete + c.timeout + c.duplicate + c.outOfOrder + c.overflow;
      const fresh = drops - lastDrops;
      lastDrops = drops;
      // Frames stamped by the clock (socketcan): a cycle open longer than its timeout by the clock
      // means the sensor stopped mid-cycle (it is counted as timed out when the next frame comes).
      const since = group.assembler.openSinceMs;
      let openAge = NaN;
      if (since !== undefined && p.source === 'socketcan') {
        const now = node.now();
        openAge = (now.sec * 1000 + now.nanosec / 1e6 - since) / 1000;
      }
      const stalled = openAge * 1000 > group.plan.timeoutMs;
      return {
        level: fresh > 0 || stalled ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
        message:
          fresh > 0
            ? `${fresh} cycle(s) dropped since the last report`
            : stalled
              ? `a cycle has been open ${openAge.toFixed(3)} s, past timeout_ms ${group.plan.timeoutMs}: the sensor stopped mid-cycle? (counted as timed out when the next frame comes)`
              : c.committed
                ? 'cycles complete'
                : 'no cycle yet',
        values: {
          committed: c.committed,
          published: group.published,
          incomplete: c.incomplete,
          timed_out: c.timeout,
          duplicated: c.duplicate,
          out_of_order: c.outOfOrder,
          overflow: c.overflow,
          orphan_frames: c.orphans,
          missed_cycles: c.missedCycles,
          open_cycle_age_s: since === undefined ? 'none' : Number.isNaN(openAge) ? 'open' : openAge,
        },
      };
    });
  }
  if (replay) {
    const r = replay;
    diagnostics.add('candump replay', p.candump_file, () => ({
      level: replayError ? DiagnosticLevel.ERROR : r.counters.badLines ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
      message: replayError ? `replay failed: ${replayError.message}` : r.finished ? 'replay finished' : 'replaying',
      values: { lines: r.counters.lines, frames: r.counters.frames, bad_lines: r.counters.badLines, unconfigured_interface_frames: unconfiguredFrames, finished: r.finished },
    }));
  }

  return {
    plan,
    replayDone: replay ? replay.done : Promise.resolve(),
    diagnostics: () => diagnostics.collect(),
    async stop() {
      for (const bus of buses.values()) bus.source?.stop();
      await replay?.stop();
    },
  };
}

function busReport(bus: Bus, source: string, now: Time): DiagnosticReport {
  const src = bus.source;
  const up = src ? src.state.up : true;
  const busState: BusState = src ? src.state.busState : bus.tracker.state;
  const drops = src ? src.counters.drops : bus.drops;
  const sock = src?.socketDrops();
  const freshSocketDrops = sock ? sock.min - bus.socketDropsReported : 0;
  if (sock) bus.socketDropsReported = sock.min;
  const lastAge = bus.lastFrame ? now.sec - bus.lastFrame.sec + (now.nanosec - bus.lastFrame.nanosec) * 1e-9 : NaN;
  let level: DiagnosticReport['level'] = DiagnosticLevel.OK;
  let message = 'receiving';
  if (!up) {
    level = DiagnosticLevel.ERROR;
    message = `interface not usable: ${src?.state.reason ?? 'down'}; reopening`;
  } else if (busState === 'bus-off') {
    level = DiagnosticLevel.ERROR;
    message = 'bus-off';
  } else if (busState === 'error-passive' || busState === 'error-warning') {
    level = DiagnosticLevel.WARN;
    message = busState;
  } else if (freshSocketDrops > 0) {
    level = DiagnosticLevel.WARN;
    message = `${freshSocketDrops} frame(s) lost in the socket receive queue since the last report: raise net.core.rmem_default (scripts/can-up.sh)`;
  } else if (bus.lastFrame === undefined) {
    level = DiagnosticLevel.WARN;
    message = 'no frame received yet';
  }
  return {
    level,
    message,
    values: {
      interface: bus.plan.iface,
      source,
      link: src ? (up ? 'up' : 'down') : source,
      bus_state: busState,
      frames_per_s: bus.rate.takeRate(),
      frames: bus.rate.total,
      fd_frames: bus.fdFrames,
      error_frames: bus.errorFrames,
      drops,
      ...(sock && {
        socket_drops_min: sock.available || sock.min > 0 ? sock.min : 'unknown',
        socket_drops_max: sock.max ?? 'unknown',
        socket_drops_note: sock.note,
      }),
      tx_error_counter: Number.isNaN(bus.txErrors) ? 'unknown' : bus.txErrors,
      rx_error_counter: Number.isNaN(bus.rxErrors) ? 'unknown' : bus.rxErrors,
      unknown_id_frames: bus.unknownFrames,
      unknown_ids: [...bus.unknownIds].map((id) => `0x${id.toString(16)}`).join(' '),
      short_frames: bus.shortFrames,
      unknown_mux_values: bus.unknownMux,
      ignored_fd_frames: bus.ignoredFd + (src?.counters.ignored ?? 0),
      reopens: src?.counters.reopens ?? 0,
      reopen_attempts: src?.counters.reopenAttempts ?? 0,
      last_frame_age_s: Number.isNaN(lastAge) ? 'never' : lastAge,
    },
  };
}

// can_bridge: vehicle CAN → ROS.
//
//   SocketCAN <iface> ───┐                      ┌─▶ vil/can/<bus>/raw      (can_msgs/Frame)
//   candump -L log ──────┤                      ├─▶ vil/can/<bus>/raw_fd   (ros2_socketcan_msgs/FdFrame)
//   MF4/BLF/ASC/candump ─┼─ CanFrame ─▶ intake ─┼─▶ error frames ─▶ bus state ─▶ /diagnostics
//   vil/can/<bus>/raw ───┘  (stamped)           └─▶ DBC decodeInto (one Float64Array per bus)
//                                                     ├─▶ vil/can/decoded[/<MSG>]  (vil/msg/DecodedSignals)
//                                                     ├─▶ VehicleStateBuilder ─(rate)─▶ vil/can/vehicle_state
//                                                     └─▶ ObjectListGroup: staging ─commit(lock)─▶ snapshot
//                                                                ─(on commit | rate)─▶ vil/can/objects/<group>
//
// Every source goes through the same intake, so a recorded drive (candump log, MF4/BLF/ASC
// recording, or a bag of the raw topics) replays into the same decoded topics with any DBC
// version. Structured settings (buses, DBCs, signal mappings, assembly groups, recording channels)
// are in the YAML named by `config_file` (bridge_config.ts); scalar settings are the parameters
// below. The pieces: bus.ts (per-bus publishers and counters), outputs.ts (decoded publishers),
// intake.ts (the per-frame path), sources.ts (where frames come from), bridge_diagnostics.ts.
import { OUTPUT_QOS, rawOutputQos } from '../runtime/qos_profiles.js';
import type { RosNode } from '../runtime/ros.js';
import type { NodeDefinition, RunningNode } from '../runtime/run.js';
import { defineParams } from '../runtime/params.js';
import { ConfigError } from '../runtime/errors.js';
import type { Diagnostics } from '../runtime/diagnostics.js';
import { describeDbcWarnings } from '../dbc/load.js';
import { loadBridgeConfig, resolveFile, type BridgePlan } from './bridge_config.js';
import { createBuses } from './bus.js';
import { createOutputs } from './outputs.js';
import { Intake } from './intake.js';
import { startSource, type SourceKind, type StartedSource } from './sources.js';
import { createBridgeDiagnostics } from './bridge_diagnostics.js';

export const canBridgeParams = defineParams({
  source: {
    type: 'string',
    default: 'socketcan',
    choices: ['socketcan', 'candump', 'recording', 'topic'],
    description: 'socketcan: the kernel CAN interfaces; candump: replay candump_file; recording: replay recording_files (MF4, BLF, ASC, candump); topic: decode vil/can/<bus>/raw(_fd) (bag replay)',
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
  recording_files: {
    type: 'string_array',
    default: [],
    description: 'source recording: MF4 bus logging, BLF, ASC or candump files of one drive (merged by time); each bus takes its recording_channel (config file)',
  },
  recording_realtime: { type: 'bool', default: true, description: 'source recording: true replays at the recorded pace, false as fast as possible' },
  recording_stamps: {
    type: 'string',
    default: 'replay',
    choices: ['replay', 'log'],
    description: 'source recording: replay shifts the recorded times to start now (intervals kept); log keeps the recorded times',
  },
  recording_start: { type: 'double', default: 0, min: 0, description: 'source recording: seconds after the recordings\' first frame where the replay starts (earlier frames are skipped)' },
  recording_duration: { type: 'double', default: 0, min: 0, description: 'source recording: seconds replayed from recording_start; 0 = to the end' },
  timebase: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'clock', 'data'],
    description:
      'what paces vehicle_state, rate-published object lists and /diagnostics, and what ages are measured against: clock = the ROS clock; data = the stamps of the frames (replays); auto = data for candump and recording, clock otherwise',
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
  description: 'vehicle CAN (SocketCAN, candump log, MF4/BLF/ASC recording or raw topic) → raw frames, decoded signals, vehicle state, object lists',
  start: startCanBridge,
};

/** What start() returns, for tests and tools: the replay's end and the counters. */
export interface CanBridgeRunning extends RunningNode {
  /** Resolves when a candump or recording replay has ended (immediately for other sources). */
  readonly replayDone: Promise<void>;
  readonly plan: BridgePlan;
  /** The source, with its counters (the recording source's frames per channel, ...). */
  readonly source: StartedSource;
  /** Frames whose processing failed (a bug; each logged at a rate limit). */
  intakeFailures(): number;
  /** The selected buses' counters, by bus name. */
  busCounters(): Map<string, { frames: number; unknownFrames: number; unknownIds: number[]; errorFrames: number; fdFrames: number; ignoredFd: number }>;
  /** The /diagnostics content now. */
  diagnostics(): ReturnType<Diagnostics['collect']>;
}

async function startCanBridge(node: RosNode): Promise<CanBridgeRunning> {
  const p = node.declareParameters(canBridgeParams);
  const log = node.logger;

  // -- configuration: the YAML, the selected buses, the DBCs' warnings once ------------------
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
  const source = p.source as SourceKind;
  const dataTime = p.timebase === 'data' || (p.timebase === 'auto' && (source === 'candump' || source === 'recording'));
  const streamQos = rawOutputQos(p.qos_depth);
  const listQos = OUTPUT_QOS;

  // -- buses, their decoded outputs, the intake they share, the source that feeds it ----------
  const buses = createBuses(node, plan, selected, p.publish_raw && source !== 'topic', streamQos);
  const outputs = createOutputs(node, plan, buses, { dataTime, streamQos, listQos });
  const intake = new Intake(outputs, log);
  const started = startSource({ ...p, source, candump_stamps: p.candump_stamps as 'replay' | 'log', recording_stamps: p.recording_stamps as 'replay' | 'log' }, { node, buses, intake, log, configPath });

  log.info(
    { source, config: configPath, buses: [...buses.keys()], decoded: plan.decoded.length, vehicleState: outputs.vehicle !== undefined, objectLists: outputs.groups.map((g) => g.group.plan.name), timebase: dataTime ? 'data' : 'clock' },
    'can_bridge started',
  );

  // -- diagnostics ---------------------------------------------------------------------------
  const diagnostics = createBridgeDiagnostics(node, source, buses, outputs, started, dataTime);

  return {
    plan,
    source: started,
    replayDone: started.done,
    diagnostics: () => diagnostics.collect(),
    intakeFailures: () => intake.failures,
    busCounters: () =>
      new Map(
        [...buses.values()].map((b) => [
          b.plan.name,
          { frames: b.rate.total, unknownFrames: b.unknownFrames, unknownIds: [...b.unknownIds], errorFrames: b.errorFrames, fdFrames: b.fdFrames, ignoredFd: b.ignoredFd },
        ]),
      ),
    stop: () => started.stop(),
  };
}

// The sources of can_bridge, each feeding the intake with CanFrames of its buses:
//   socketcan  one raw socket per bus interface (kernel stamps, error frames, filters, reopen)
//   candump    a candump -L log replayed (interface name → bus)
//   recording  MF4 / BLF / ASC / candump recordings replayed, merged in time (channel → bus)
//   topic      the raw topics of a bag being played (vil/can/<bus>/raw, raw_fd)
import { rawInputQos } from '../runtime/qos_profiles.js';
import type { Logger } from 'pino';
import type { RosNode, Time } from '../runtime/ros.js';
import { ConfigError } from '../runtime/errors.js';
import { DiagnosticLevel, type DiagnosticReport } from '../runtime/diagnostics.js';
import { resolveFile } from './bridge_config.js';
import type { Bus } from './bus.js';
import { CandumpSource } from './candump_source.js';
import type { Intake } from './intake.js';
import { CAN_FRAME_TYPE, FD_FRAME_TYPE, frameFromClassic, frameFromFd, type CanMsgsFrame, type FdFrameMsg } from './raw_frames.js';
import { RecordingSource } from './recording_source.js';
import { readReceiveBufferSysctls, receiveBufferWarning } from './socket_drops.js';
import { SocketCanSource } from './socketcan_source.js';

export type SourceKind = 'socketcan' | 'candump' | 'recording' | 'topic';

export interface SourceParams {
  source: SourceKind;
  candump_file: string;
  candump_realtime: boolean;
  candump_stamps: 'replay' | 'log';
  recording_files: string[];
  recording_realtime: boolean;
  recording_stamps: 'replay' | 'log';
  recording_start: number;
  recording_duration: number;
  error_frames: boolean;
  kernel_stamps: boolean;
  reopen_min_ms: number;
  reopen_max_ms: number;
  qos_depth: number;
}

export interface SourceDeps {
  node: RosNode;
  buses: Map<string, Bus>;
  intake: Intake;
  log: Logger;
  configPath: string;
}

/** A running source: its end (replays), its stop, and its own /diagnostics status. */
export interface StartedSource {
  /** Resolves when a replay has ended (at once for live sources). */
  done: Promise<void>;
  stop(): Promise<void>;
  status?: { name: string; hardwareId: string; report(): DiagnosticReport };
  /** The recording source (source recording), for tools that report on it (vil import). */
  recording?: RecordingSource;
  /** Frames of recorded channels no selected bus takes, by channel. */
  unmapped?: Map<number, number>;
  /** Why a replay ended early (a truncated or corrupt file), once it has. */
  error?: () => Error | undefined;
}

export function startSource(p: SourceParams, deps: SourceDeps): StartedSource {
  switch (p.source) {
    case 'socketcan':
      return startSocketCan(p, deps);
    case 'candump':
      return startCandump(p, deps);
    case 'recording':
      return startRecording(p, deps);
    case 'topic':
      return startTopic(p, deps);
  }
}

function startSocketCan(p: SourceParams, { node, buses, intake, log, configPath }: SourceDeps): StartedSource {
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
        frame: (f) => intake.frame(bus, f),
        state: (s) => {
          if (s.up) log.info({ bus: bus.plan.name, iface: s.iface }, `${bus.plan.name}: ${s.iface} ${s.reason ?? 'up'}`);
        },
      },
    );
  }
  for (const bus of buses.values()) bus.source!.start();
  // No timer drops stalled assembly cycles: the timeout is judged in data time (assembly.ts), or
  // a backlog of frames already received would lose complete cycles. /diagnostics reports a
  // cycle left open past its timeout instead.
  return {
    done: Promise.resolve(),
    async stop() {
      for (const bus of buses.values()) bus.source?.stop();
    },
  };
}

function startCandump(p: SourceParams, { node, buses, intake, log }: SourceDeps): StartedSource {
  const file = resolveFile(p.candump_file, 'parameter candump_file', 'candump_file', 'set candump_file to an existing candump -L log');
  const byIface = new Map([...buses.values()].map((b) => [b.plan.iface, b]));
  const unconfigured = new Set<string>();
  let unconfiguredFrames = 0;
  let lastStamp: Time | undefined;
  let replayError: Error | undefined;
  const replay: CandumpSource = new CandumpSource(
    { path: file, realtime: p.candump_realtime, stamps: p.candump_stamps, now: () => node.now(), logger: log, backpressure: node.backpressure?.bind(node) },
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
        intake.frame(bus, f);
      },
      end: (e) => {
        if (e) {
          replayError = e;
          log.error({ err: e }, `candump replay of ${file} failed: ${e.message}`);
        } else log.info({ file, frames: replay.counters.frames }, 'candump replay finished');
        if (lastStamp) intake.flush(lastStamp);
      },
    },
  );
  replay.start();
  return {
    done: replay.done,
    stop: () => replay.stop(),
    error: () => replayError,
    status: {
      name: 'candump replay',
      hardwareId: p.candump_file,
      report: () => ({
        level: replayError ? DiagnosticLevel.ERROR : replay.counters.badLines ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
        message: replayError ? `replay failed: ${replayError.message}` : replay.finished ? 'replay finished' : 'replaying',
        values: { lines: replay.counters.lines, frames: replay.counters.frames, bad_lines: replay.counters.badLines, unconfigured_interface_frames: unconfiguredFrames, finished: replay.finished },
      }),
    },
  };
}

/** Recorded channel → bus: each bus's recording_channel (or its interface's number). */
export function channelMap(buses: Iterable<Bus>, configPath: string): Map<number, Bus> {
  const out = new Map<number, Bus>();
  for (const bus of buses) {
    const ch = bus.plan.recordingChannel;
    if (ch === undefined) continue;
    const other = out.get(ch);
    if (other) {
      throw new ConfigError({
        source: configPath,
        key: `buses.${bus.plan.name}.recording_channel`,
        problem: `buses ${other.plan.name} and ${bus.plan.name} both take recording channel ${ch} (a bus without recording_channel takes the number its interface name ends with)`,
        fix: 'give each bus its own recording_channel: the channel number as the recordings carry it (vil import --list shows them)',
      });
    }
    out.set(ch, bus);
  }
  return out;
}

function startRecording(p: SourceParams, { node, buses, intake, log, configPath }: SourceDeps): StartedSource {
  if (p.recording_files.length === 0) {
    throw new ConfigError({ source: 'parameters', key: 'recording_files', problem: 'source recording needs at least one recording', fix: 'set recording_files to MF4, BLF, ASC or candump files, e.g. -p recording_files:="[drive.MF4]"' });
  }
  const files = p.recording_files.map((f, i) => resolveFile(f, 'parameter recording_files', `recording_files[${i}]`, 'give existing recording files (absolute, or relative to the working directory)'));
  const byChannel = channelMap(buses.values(), configPath);
  for (const bus of buses.values()) {
    if (bus.plan.recordingChannel === undefined) log.warn({ bus: bus.plan.name }, `bus ${bus.plan.name} has no recording channel (set buses.${bus.plan.name}.recording_channel in ${configPath}): it gets no frames from the recordings`);
  }
  const unmapped = new Map<number, number>();
  let lastStamp: Time | undefined;
  let replayError: Error | undefined;
  // A direct array lookup for the usual small channel numbers.
  const fast: (Bus | undefined)[] = [];
  for (const [ch, bus] of byChannel) if (ch < 256) fast[ch] = bus;
  const source: RecordingSource = new RecordingSource(
    {
      paths: files,
      realtime: p.recording_realtime,
      stamps: p.recording_stamps,
      startS: p.recording_start,
      durationS: p.recording_duration,
      now: () => node.now(),
      logger: log,
      backpressure: node.backpressure?.bind(node),
    },
    {
      frame: (channel, f) => {
        lastStamp = f.stamp;
        const bus = channel < 256 ? fast[channel] : byChannel.get(channel);
        if (bus === undefined) {
          const n = unmapped.get(channel) ?? 0;
          unmapped.set(channel, n + 1);
          if (n === 0 && unmapped.size <= 16) log.warn({ channel }, `recording channel ${channel} is no selected bus's (recording_channel in ${configPath}); its frames are ignored`);
          return;
        }
        intake.frame(bus, f);
      },
      end: (e) => {
        if (e) {
          replayError = e;
          log.error({ err: e }, `recording replay failed: ${e.message}`);
        } else log.info({ files, frames: source.counters.frames }, 'recording replay finished');
        if (lastStamp) intake.flush(lastStamp);
      },
    },
  );
  source.start();
  return {
    done: source.done,
    stop: () => source.stop(),
    recording: source,
    unmapped,
    error: () => replayError,
    status: {
      name: 'recording replay',
      hardwareId: files.join(' '),
      report: () => {
        const skipped = source.skipped;
        const skippedCount = Object.values(skipped).reduce((a, b) => a + b, 0);
        let unmappedFrames = 0;
        for (const n of unmapped.values()) unmappedFrames += n;
        return {
          level: replayError ? DiagnosticLevel.ERROR : DiagnosticLevel.OK,
          message: replayError ? `replay failed: ${replayError.message}` : source.finished ? 'replay finished' : source.waiting ? 'replaying (waiting for the next frame\'s time)' : 'replaying',
          values: {
            files: files.length,
            frames: source.counters.frames,
            frames_before_start: source.counters.beforeStart,
            held_for_subscribers: source.counters.heldBySubscribers,
            frames_per_channel: [...source.counters.channels].map(([c, n]) => `${c}: ${n}`).join(', '),
            unmapped_channel_frames: unmappedFrames,
            skipped: skippedCount,
            skipped_reasons: Object.entries(skipped).map(([k, n]) => `${k}: ${n}`).join(', '),
            finished: source.finished,
          },
        };
      },
    },
  };
}

function startTopic(p: SourceParams, { node, buses, intake }: SourceDeps): StartedSource {
  const subQos = rawInputQos(p.qos_depth);
  for (const bus of buses.values()) {
    node.createSubscription<CanMsgsFrame>(CAN_FRAME_TYPE, `vil/can/${bus.plan.name}/raw`, subQos, (m) => intake.frame(bus, frameFromClassic(m)));
    if (bus.plan.fd) node.createSubscription<FdFrameMsg>(FD_FRAME_TYPE, `vil/can/${bus.plan.name}/raw_fd`, subQos, (m) => intake.frame(bus, frameFromFd(m)));
  }
  return { done: Promise.resolve(), stop: async () => {} };
}

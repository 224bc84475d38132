// `vil import RECORDING... --dbc [CHANNEL=]FILE... | --config FILE --out drive.mcap`: a vehicle
// recording (MF4 bus logging, BLF, ASC, candump; several files of one drive merged in time) to a
// ROS 2 bag, through the same path as a live bus: the real can_bridge node runs on the local
// graph with source recording, as fast as possible, every frame stamped with the recording's own
// time, and the local graph's recorder writes what it publishes (raw frames, decoded signals,
// vehicle state, object lists, diagnostics) as rosbag2 writes MCAP. The ROS clock of the run is
// the data's time, so log times and diagnostics read as if the drive had been recorded live.
//
// First the recordings are read once (channels, frame counts for the progress, the first time);
// then converted. Memory is bounded: the replay waits for the MCAP writer when it falls behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { basename, extname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { stringify as stringifyYaml } from 'yaml';
import { createLocalContext } from '../runtime/local/context.js';
import type { McapRecorder } from '../runtime/local/recorder.js';
import { parseRosArgs } from '../runtime/params.js';
import { rclYamlText } from '../runtime/params_yaml.js';
import { startNodes, type StartedNodes } from '../runtime/run.js';
import { ConfigError } from '../runtime/errors.js';
import type { Time } from '../runtime/ros.js';
import { RecordingError, type RecordingInfo } from '../buslog/frame.js';
import { openRecording } from '../buslog/open.js';
import { describeDbcWarnings } from '../dbc/load.js';
import { DbcParseError } from '../dbc/parse.js';
import { canBridgeNode, type CanBridgeRunning } from '../can_bridge/main.js';
import { Progress, formatCount, formatDuration, formatRate } from './progress.js';

export const IMPORT_HELP = `Usage: vil import RECORDING... [--dbc [CHANNEL=]FILE]... [--out drive.mcap]
       vil import RECORDING... --config can_bridge.yaml [--out drive.mcap]
       vil import --frames RECORDING...     print the frames as candump -L lines
       vil import --list RECORDING...       what a recording holds (channels, groups, counts)

Converts vehicle recordings into a ROS 2 bag (MCAP, as rosbag2 writes it: zstd chunks, offered
QoS and type hash per topic, the rosbag2 metadata) by running can_bridge over them: every frame
goes through the same path as on a live bus, as fast as possible, stamped with the recording's
own time. The bag holds the raw frames (vil/can/<bus>/raw, raw_fd), the decoded signals, the
vehicle state and object lists the configuration asks for, and /diagnostics; \`ros2 bag play\`,
Foxglove and Lichtblick open it, and replay.launch.py plays it into rviz.

RECORDING: ASAM MDF 4 bus logging (.MF4: CANedge, CANape, CANoe, ...), Vector BLF or ASC, or a
candump log, recognised by contents. Several files of one drive (split files, one file per bus)
are merged in time order.

Which bus a frame belongs to (channel = the bus channel number as recorded: MF4 BusChannel,
BLF/ASC channel, candump canN → N; \`vil import --list\` shows them):
  --dbc CHANNEL=FILE   channel CHANNEL is bus canCHANNEL, decoded with FILE (repeat per channel)
  --dbc FILE           every other channel is decoded with FILE
                       Decoded signals go to vil/can/can<N>/decoded (vil/msg/DecodedSignals, every
                       message of the DBC); channels without a DBC are written raw only.
  --config FILE        a can_bridge configuration instead: buses with their recording_channel and
                       DBC, decoded messages, vehicle_state, object_lists (README: can_bridge)

Options:
  --out FILE           the bag to write (default: the first recording's name with .mcap, here);
                       --out alone converts to raw frames only
  --force              overwrite FILE if it exists
  --no-raw             leave the raw frame topics out of the bag
  --compression zstd|none   chunk compression (default zstd)
  --print-config       print the can_bridge configuration the import would use, and stop
  -q, --quiet          no progress, only the summary
  -h, --help           this text

The DBC's defects (messages or statements left out, each with file, line and reason) are printed
once; a configuration that uses a message left out is refused. Progress on a terminal: a bar with
frames/s and ETA (a line every few seconds otherwise). At the end, a summary: frames per bus,
decoded messages, unknown ids, skipped groups. Exit status 0; 1 when a recording is truncated or
corrupt (the bag holds every frame before the damage) or the bag cannot be written; 2 for a usage
or configuration error; 130 when interrupted (the bag holds what was converted so far).
`;

export interface ImportIo {
  stdout: Writable;
  stderr: Writable;
  /** Progress redrawn in place (stderr is a terminal). */
  tty: boolean;
  /** Progress off. */
  quiet?: boolean;
  /** Called with a stop function while converting; a signal handler calls it (SIGINT). */
  onStoppable?: (stop: (() => void) | undefined) => void;
}

export interface ImportOptions {
  recordings: string[];
  dbcs: { channel: number | undefined; file: string }[];
  config: string | undefined;
  out: string;
  force: boolean;
  raw: boolean;
  compression: 'zstd' | 'none';
  printConfig: boolean;
  quiet: boolean;
}

class UsageError extends Error {}

export function parseImportArgs(args: string[]): ImportOptions | 'help' {
  const o: ImportOptions = { recordings: [], dbcs: [], config: undefined, out: '', force: false, raw: true, compression: 'zstd', printConfig: false, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string): string => {
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') return 'help';
    else if (a === '--dbc' || a.startsWith('--dbc=')) {
      const v = value('--dbc');
      const m = /^(\d{1,9})=(.+)$/.exec(v);
      o.dbcs.push(m ? { channel: Number(m[1]), file: m[2] } : { channel: undefined, file: v });
    } else if (a === '--config' || a.startsWith('--config=')) o.config = value('--config');
    else if (a === '--out' || a === '-o' || a.startsWith('--out=')) o.out = value('--out');
    else if (a === '--compression' || a.startsWith('--compression=')) {
      const v = value('--compression');
      if (v !== 'zstd' && v !== 'none') throw new UsageError(`--compression ${v}: expected zstd or none`);
      o.compression = v;
    } else if (a === '--force') o.force = true;
    else if (a === '--no-raw') o.raw = false;
    else if (a === '--print-config') o.printConfig = true;
    else if (a === '-q' || a === '--quiet') o.quiet = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else o.recordings.push(a);
  }
  if (o.recordings.length === 0) throw new UsageError('give at least one RECORDING');
  // Converting writes a file: it takes one of its options, so a bare `vil import FILE` writes nothing.
  if (o.dbcs.length === 0 && o.config === undefined && o.out === '' && !o.printConfig) {
    throw new UsageError('give a mode (--frames, --list) or what to convert with (--dbc, --config, --out)');
  }
  if (o.config !== undefined && o.dbcs.length) throw new UsageError('give either --config or --dbc, not both (a configuration names its DBCs itself)');
  if (o.dbcs.filter((d) => d.channel === undefined).length > 1) throw new UsageError('one --dbc without a channel only (it decodes every channel not given its own); use CHANNEL=FILE for the others');
  const seen = new Set<number>();
  for (const d of o.dbcs) {
    if (d.channel === undefined) continue;
    if (seen.has(d.channel)) throw new UsageError(`--dbc ${d.channel}=...: channel ${d.channel} given twice`);
    seen.add(d.channel);
  }
  if (o.out === '') o.out = `${basename(o.recordings[0], extname(o.recordings[0]))}.mcap`;
  return o;
}

/** What a first read of the recordings found. */
export interface RecordingScan {
  infos: RecordingInfo[];
  /** Frames per recorded channel. */
  channels: Map<number, number>;
  frames: number;
  /** The first frame's time on the bag's time base (relative recordings placed at their start). */
  first: Time | undefined;
  /** A truncated or corrupt file: where reading stopped. */
  error: RecordingError | undefined;
  seconds: number;
}

export async function scanRecordings(paths: readonly string[], progress?: (frames: number) => void): Promise<RecordingScan> {
  const started = performance.now();
  const infos: RecordingInfo[] = [];
  const channels = new Map<number, number>();
  let frames = 0;
  let first: Time | undefined;
  let error: RecordingError | undefined;
  for (const path of paths) {
    const reader = await openRecording(path);
    try {
      const info = await reader.info();
      infos.push(info);
      let firstOfFile: Time | undefined;
      try {
        for await (const batch of reader.batches()) {
          if (batch.length && firstOfFile === undefined) firstOfFile = { sec: batch[0].sec, nanosec: batch[0].nanosec };
          for (let i = 0; i < batch.length; i++) {
            const ch = batch[i].channel;
            channels.set(ch, (channels.get(ch) ?? 0) + 1);
          }
          frames += batch.length;
          progress?.(frames);
        }
      } catch (e) {
        if (!(e instanceof RecordingError)) throw e;
        error ??= e;
      }
      if (firstOfFile !== undefined) {
        // A relative recording alone is placed at the start time it states (as the replay does).
        if (!info.absoluteTime && info.start && paths.length === 1) firstOfFile = addTime(info.start, firstOfFile);
        if (first === undefined || firstOfFile.sec < first.sec || (firstOfFile.sec === first.sec && firstOfFile.nanosec < first.nanosec)) first = firstOfFile;
      }
    } finally {
      await reader.close();
    }
  }
  if (new Set(infos.map((i) => i.absoluteTime)).size > 1) {
    const rel = infos.filter((i) => !i.absoluteTime).map((i) => i.path);
    throw new ConfigError({ source: 'command line', key: 'RECORDING', problem: `${rel.join(', ')} count time from their measurement start, the others carry absolute times: they cannot be merged into one drive`, fix: 'import them separately' });
  }
  return { infos, channels, frames, first, error, seconds: (performance.now() - started) / 1000 };
}

function addTime(a: Time, b: Time): Time {
  const ns = a.nanosec + b.nanosec;
  return { sec: a.sec + b.sec + Math.floor(ns / 1e9), nanosec: ns % 1e9 };
}

/** The can_bridge configuration of a --dbc import: channel N → bus canN, its DBC, all its messages decoded. */
export function dbcImportConfig(dbcs: ImportOptions['dbcs'], channels: Iterable<number>): string {
  const byChannel = new Map<number, string>();
  for (const d of dbcs) if (d.channel !== undefined) byChannel.set(d.channel, resolve(d.file));
  const fallback = dbcs.find((d) => d.channel === undefined);
  const all = [...new Set([...channels, ...byChannel.keys()])].sort((a, b) => a - b);
  const buses: Record<string, Record<string, unknown>> = {};
  const decoded: Record<string, unknown>[] = [];
  for (const ch of all) {
    const bus = `can${ch}`;
    const dbc = byChannel.get(ch) ?? (fallback ? resolve(fallback.file) : undefined);
    buses[bus] = { recording_channel: ch, ...(dbc ? { dbc } : {}) };
    if (dbc) decoded.push({ bus, topic: `vil/can/${bus}/decoded` });
  }
  const doc: Record<string, unknown> = { buses };
  if (decoded.length) doc.decoded = decoded;
  return `# can_bridge configuration written by vil import: recorded channel N → bus canN\n${stringifyYaml(doc)}`;
}

/**
 * The old-space limit a conversion runs with, in MB. V8 grows its heap lazily, far beyond what a
 * conversion holds (the replay waits for the writer, so that is bounded): without a limit a
 * 5 M-frame recording reached 212 MB RSS, with one it stays at about 160 MB whatever the size.
 */
export const IMPORT_HEAP_MB = 192;

/** `--max-old-space-size` already given to this Node (its options or NODE_OPTIONS). */
function heapLimitGiven(): boolean {
  const options = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return options.some((o) => /^--max[-_]old[-_]space[-_]size\b/.test(o));
}

/**
 * This process image's peak RSS in kB: VmHWM on Linux (getrusage's maxRSS also counts the pages of
 * the parent it was forked from, held until exec), else getrusage.
 */
function peakRssKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

/** The same command in a child Node with IMPORT_HEAP_MB; its exit code, or 128 + signal. */
function inChildWithHeapLimit(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${IMPORT_HEAP_MB}`, ...process.argv.slice(1)], { stdio: 'inherit' });
  // Ctrl-C at a terminal reaches both (one process group); a signal sent to this process alone
  // is passed on. The child stops the conversion and finalises the bag; this one waits for it.
  const pass = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = pass('SIGINT');
  const onTerm = pass('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    const done = (code: number) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    child.on('error', (e) => {
      process.stderr.write(`vil import: cannot start ${process.execPath}: ${e.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
  });
}

export async function main(args: string[]): Promise<number> {
  if (!heapLimitGiven()) return inChildWithHeapLimit();
  let stop: (() => void) | undefined;
  let stopping = false;
  // SIGINT or SIGTERM: the conversion stops and the bag is finalised (once, however many come).
  const onSignal = () => {
    if (!stop) process.exit(130);
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runImport(args, {
      stdout: process.stdout,
      stderr: process.stderr,
      tty: !!process.stderr.isTTY,
      onStoppable: (s) => {
        stop = s;
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The command with its streams given (tests pass their own). */
export async function runImport(args: string[], io: ImportIo): Promise<number> {
  let o: ImportOptions | 'help';
  try {
    o = parseImportArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`vil import: ${e.message}\n\n${IMPORT_HELP}`);
    return 2;
  }
  if (o === 'help') {
    io.stdout.write(IMPORT_HELP);
    return 0;
  }
  const say = (line: string) => io.stderr.write(`${line}\n`);
  const quiet = o.quiet || io.quiet === true;
  const out = resolve(o.out);
  if (!o.printConfig && existsSync(out) && !o.force) {
    say(`vil import: ${out} exists; give --force to overwrite it, or another --out`);
    return 2;
  }
  if (o.config !== undefined && !existsSync(o.config)) {
    say(`vil import: --config ${o.config}: no such file`);
    return 2;
  }
  for (const d of o.dbcs) {
    if (!existsSync(d.file)) {
      say(`vil import: --dbc ${d.channel !== undefined ? `${d.channel}=` : ''}${d.file}: no such file`);
      return 2;
    }
  }

  // -- 1. read the recordings once: channels, frame counts, first time ------------------------
  let scan: RecordingScan;
  const scanProgress = quiet ? undefined : new Progress(io.stderr, 'reading', { tty: io.tty, unit: 'frames' });
  try {
    scan = await scanRecordings(o.recordings, (n) => scanProgress?.update(n));
  } catch (e) {
    scanProgress?.end();
    if (e instanceof RecordingError || e instanceof ConfigError) {
      say(`vil import: ${e.message}`);
      return e instanceof ConfigError ? 2 : 1;
    }
    throw e;
  }
  scanProgress?.end();
  if (!quiet) {
    for (const i of scan.infos) say(`${i.path}: ${i.detail}`);
    say(`read ${formatCount(scan.frames)} frames in ${scan.seconds.toFixed(1)} s (${formatRate(scan.frames / Math.max(scan.seconds, 1e-9))} frames/s); channels ${[...scan.channels].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}: ${formatCount(n)}`).join(', ') || 'none'}`);
  }

  // -- 2. the can_bridge configuration and parameters ------------------------------------------
  const work = mkdtempSync(join(tmpdir(), 'vil-import-'));
  const part = `${out}.part`;
  try {
    const configText = o.config === undefined ? dbcImportConfig(o.dbcs, scan.channels.keys()) : undefined;
    const configPath = o.config !== undefined ? resolve(o.config) : join(work, 'can_bridge.yaml');
    if (configText !== undefined) writeFileSync(configPath, configText);
    if (o.printConfig) {
      io.stdout.write(configText ?? `# ${configPath} is used as it is\n`);
      return 0;
    }
    const paramsPath = join(work, 'params.yaml');
    // Written with the types rcl gives them (strings quoted: a file named `yes` stays a string).
    const params: [string, Parameters<typeof rclYamlText>[0], unknown][] = [
      ['source', 'string', 'recording'],
      ['config_file', 'string', configPath],
      ['recording_files', 'string_array', o.recordings.map((r) => resolve(r))],
      ['recording_realtime', 'bool', false],
      ['recording_stamps', 'string', 'log'],
      ['timebase', 'string', 'data'],
      ['publish_raw', 'bool', o.raw],
    ];
    writeFileSync(paramsPath, ['/**:', '  ros__parameters:', ...params.map(([k, t, v]) => `    ${k}: ${rclYamlText(t, v)}`), ''].join('\n'));

    // -- 3. convert: can_bridge on the local graph, recorded with the data's clock --------------
    if (existsSync(part)) rmSync(part);
    const start = scan.first ?? { sec: 0, nanosec: 0 };
    // The node's own log stays quiet: what it would say is in the summary below.
    const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'fatal', '--params-file', paramsPath]), { recordPath: part, record: { compression: o.compression }, dataClock: { start } });
    let started: StartedNodes;
    try {
      started = await startNodes(ctx, [canBridgeNode]);
    } catch (e) {
      await ctx.shutdown();
      rmSync(part, { force: true });
      if (e instanceof ConfigError || e instanceof DbcParseError) {
        say(`vil import: ${e.message}`);
        return 2;
      }
      throw e;
    }
    const run = started.nodes[0] as CanBridgeRunning;
    const dbs = [...new Set(run.plan.buses.map((b) => b.db).filter((d) => d !== undefined))];
    for (const db of dbs) for (const line of describeDbcWarnings(db!)) say(line);

    const recorder = ctx.graph.sink as McapRecorder;
    const source = run.source.recording!;
    // Backpressure: the replay waits while more than 8192 messages or 16 MiB wait for the writer
    // (large messages such as object lists count by their bytes), so memory stays bounded.
    source.gate = () => (recorder.backlog > 8192 || recorder.backlogBytes > 16 << 20 ? recorder.backlogBelow(2048, 4 << 20) : undefined);
    let interrupted = false;
    io.onStoppable?.(() => {
      interrupted = true;
      void run.stop();
    });
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const progress = quiet ? undefined : new Progress(io.stderr, 'converting', { tty: io.tty, unit: 'frames' });
    const ticker = progress ? setInterval(() => progress.update(source.counters.frames, scan.frames), 100) : undefined;
    try {
      await run.replayDone;
      await ctx.graph.idle();
    } finally {
      if (ticker) clearInterval(ticker);
      progress?.end();
      io.onStoppable?.(undefined);
    }
    const counters = run.busCounters();
    const recordingError = run.source.error?.();
    const unmapped = run.source.unmapped ?? new Map<number, number>();
    const skipped = source.skipped;
    await started.stop();
    await ctx.shutdown();
    const wall = (performance.now() - wall0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const rec = ctx.graph.recording()!;
    if (rec.error !== undefined) {
      say(`vil import: writing ${out} failed: ${rec.error}`);
      rmSync(part, { force: true });
      return 1;
    }
    renameSync(part, out);

    // -- 4. summary -----------------------------------------------------------------------------
    const topics = ctx.graph.stats().filter((t) => t.messages > 0);
    const lines: string[] = [];
    const frames = source.counters.frames;
    lines.push(`${interrupted ? 'interrupted: ' : ''}${formatCount(frames)} frames converted in ${wall.toFixed(1)} s (${formatRate(frames / Math.max(wall, 1e-9))} frames/s, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU, peak RSS ${Math.round(peakRssKb() / 1024)} MB, heap limit ${Math.round(getHeapStatistics().heap_size_limit / 2 ** 20)} MB)`);
    lines.push(`${out}: ${formatCount(rec.messages)} messages on ${topics.length} topics, ${(statSync(out).size / 1e6).toFixed(1)} MB (${o.compression === 'zstd' ? 'zstd' : 'uncompressed'}), ${formatDuration(recorder.dataSpanSeconds())} of data`);
    for (const b of run.plan.buses) {
      const c = counters.get(b.name);
      if (!c) continue;
      const decodedTopics = topics.filter((t) => t.type === 'vil/msg/DecodedSignals' && run.plan.decoded.some((d) => d.bus === b.name && (t.topic === `/${d.topic}` || t.topic.startsWith(`/${d.topic}/`))));
      const decoded = decodedTopics.reduce((n, t) => n + t.messages, 0);
      const unknown = c.unknownFrames ? `, ${formatCount(c.unknownFrames)} with ids the DBC does not know (${c.unknownIds.slice(0, 8).map((id) => `0x${id.toString(16)}`).join(' ')}${c.unknownIds.length > 8 ? ' ...' : ''})` : '';
      lines.push(
        `  bus ${b.name} (channel ${b.recordingChannel ?? 'none'}${b.dbcPath ? `, ${basename(b.dbcPath)}` : ', no DBC'}): ${formatCount(c.frames)} frames, ${formatCount(decoded)} decoded${unknown}` +
          (c.errorFrames ? `, ${formatCount(c.errorFrames)} error frames` : '') +
          (c.ignoredFd ? `, ${formatCount(c.ignoredFd)} CAN FD frames ignored (the bus is not fd: true)` : ''),
      );
    }
    for (const t of topics.filter((x) => x.type === 'vil/msg/VehicleState' || x.type === 'vil/msg/ObjectList')) lines.push(`  ${t.topic}: ${formatCount(t.messages)} messages`);
    if (unmapped.size) lines.push(`  channels no bus takes (frames left out): ${[...unmapped].map(([c, n]) => `${c}: ${formatCount(n)}`).join(', ')} — map them with --dbc CHANNEL=FILE or recording_channel`);
    const skippedGroups = new Map<string, number>();
    for (const i of scan.infos) {
      for (const g of i.groups) {
        if (g.status === 'read') continue;
        const key = `${g.name} (${g.status.skipped})`;
        skippedGroups.set(key, (skippedGroups.get(key) ?? 0) + 1);
      }
    }
    if (skippedGroups.size) {
      const files = scan.infos.length > 1 ? (n: number) => ` in ${n} of ${scan.infos.length} files` : () => '';
      lines.push(`  groups skipped: ${[...skippedGroups].map(([k, n]) => `${k}${files(n)}`).join(', ')}`);
    }
    const skippedCounts = Object.entries(skipped);
    if (skippedCounts.length) lines.push(`  left out of the recordings: ${skippedCounts.map(([k, n]) => `${k}: ${formatCount(n)}`).join(', ')}`);
    const dbcWarnings = dbs.reduce((n, db) => n + db!.warnings.length, 0);
    if (dbcWarnings) lines.push(`  DBC warnings: ${dbcWarnings} (printed above)`);
    if (rec.dropped) lines.push(`  ${formatCount(rec.dropped)} messages could not be written (the writer fell behind)`);
    const failures = run.intakeFailures();
    if (failures) lines.push(`  ${formatCount(failures)} frames failed in can_bridge and are missing from the decoded topics (a bug: please report it)`);
    for (const l of lines) say(l);
    if (recordingError) {
      say(`vil import: ${recordingError.message}`);
      say(`  ${out} holds every frame before that point`);
      return 1;
    }
    return interrupted ? 130 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// pino logs on stderr (stdout stays free for CLI output): readable lines when a person is watching
// (stdout or stderr is a terminal), JSON lines otherwise (a pipe, a file, systemd).
// VIL_LOG_JSON=1 (or `vil --log-json`) asks for JSON at a terminal too; VIL_LOG_PRETTY=1|0 forces
// one or the other. Every line names its logger: the node, or "vil" for the process itself.
// On the real middleware the lines go to ROS's logging instead (routeLogs): the console in ROS's
// format, /rosout, launch's log files — unless JSON was asked for explicitly.
import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** The name of the process-level logger (start-up, shutdown, the ROS implementation chosen). */
export const PROCESS_LOGGER = 'vil';

function prettyStream(): DestinationStream {
  return {
    write(line: string) {
      try {
        const { level, time, name, msg, pid: _pid, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
        const t = new Date(time as number).toISOString().slice(11, 23);
        process.stderr.write(`[${LEVEL_NAMES[level as number] ?? level}] [${t}] [${name ?? PROCESS_LOGGER}]: ${msg}${extra}\n`);
      } catch {
        process.stderr.write(line);
      }
    },
  };
}

/** Where a log line goes instead of stderr (rcutils on rclnodejs). pino level numbers. */
export type LogSink = (level: number, name: string, msg: string, fields: Record<string, unknown>) => void;

let sink: LogSink | undefined;

/** From now on every logger (those made before too) writes through `to`; undefined: back to stderr. */
export function routeLogs(to: LogSink | undefined): void {
  sink = to;
}

/** VIL_LOG_JSON=1 / --log-json / VIL_LOG_PRETTY=0: JSON lines wanted whatever else is possible. */
export function jsonLogsRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VIL_LOG_JSON === '1' || env.VIL_LOG_PRETTY === '0';
}

/** One stream for every logger: the routed sink when set, else JSON or readable lines on stderr. */
function outputStream(json: boolean): DestinationStream {
  const pretty = json ? undefined : prettyStream();
  return {
    write(line: string) {
      if (sink) {
        let o: Record<string, unknown> | undefined;
        try {
          o = JSON.parse(line) as Record<string, unknown>;
        } catch {
          // not JSON: falls through to stderr
        }
        if (o) {
          const { level, time: _t, name, msg, pid: _pid, hostname: _h, ...rest } = o;
          try {
            sink(level as number, (name as string | undefined) ?? PROCESS_LOGGER, String(msg ?? ''), rest);
            return;
          } catch (e) {
            process.stderr.write(`vil: log routing failed (${(e as Error).message}); logging on stderr\n`);
            sink = undefined;
          }
        }
      }
      if (pretty) pretty.write(line);
      else process.stderr.write(line);
    },
  };
}

/** JSON lines or readable ones: see the top of this file. */
export function wantJsonLogs(env: NodeJS.ProcessEnv = process.env, stdoutTty = process.stdout.isTTY === true, stderrTty = process.stderr.isTTY === true): boolean {
  if (env.VIL_LOG_JSON === '1' || env.VIL_LOG_PRETTY === '0') return true;
  if (env.VIL_LOG_JSON === '0' || env.VIL_LOG_PRETTY === '1') return false;
  return !(stdoutTty || stderrTty);
}

/** Maps ROS log levels (debug, info, warn, error, fatal) to pino's. */
export function rosLevelToPino(level: string | undefined): LevelWithSilent {
  switch ((level ?? '').toLowerCase()) {
    case 'debug':
      return 'debug';
    case 'warn':
      return 'warn';
    case 'error':
      return 'error';
    case 'fatal':
      return 'fatal';
    case 'silent':
    case 'none':
      return 'silent';
    default:
      return 'info';
  }
}

/** The unnamed base every named logger is a child of (a name given twice would repeat the key). */
let base: Logger | undefined;
let root: Logger | undefined;

function baseLogger(level?: string): Logger {
  if (!base) {
    const lvl = rosLevelToPino(level ?? process.env.VIL_LOG_LEVEL);
    const json = wantJsonLogs();
    base = pino({ level: lvl, base: json ? { pid: process.pid } : undefined }, outputStream(json));
  } else if (level) {
    base.level = rosLevelToPino(level);
  }
  return base;
}

/** The process-level logger ("vil"); `level` (a ROS level) also sets the default of every logger made after. */
export function rootLogger(level?: string): Logger {
  const b = baseLogger(level);
  root ??= b.child({ name: PROCESS_LOGGER });
  if (level) root.level = b.level;
  return root;
}

/** A named logger: a node's (its rcl logger name), or a part of the process such as the recorder. */
export function nodeLogger(nodeName: string, level?: string): Logger {
  const l = baseLogger().child({ name: nodeName });
  if (level) l.level = rosLevelToPino(level);
  return l;
}

/**
 * Logs a recurring problem at most once per interval per key, with the count of what it
 * suppressed, so a stream of bad input cannot flood the log.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {}

  info(key: string, msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', key, msg, fields);
  }

  warn(key: string, msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', key, msg, fields);
  }

  error(key: string, msg: string, fields?: Record<string, unknown>): void {
    this.emit('error', key, msg, fields);
  }

  private emit(level: 'info' | 'warn' | 'error', key: string, msg: string, fields?: Record<string, unknown>): void {
    const now = performance.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.logger[level](suppressed ? { ...fields, suppressed } : (fields ?? {}), msg);
  }
}

// pino logs: JSON lines on stderr (stdout stays free for CLI output); a short human line format
// when a person is watching (stderr is a terminal) or VIL_LOG_PRETTY=1.
import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function prettyStream(): DestinationStream {
  return {
    write(line: string) {
      try {
        const { level, time, name, msg, pid: _pid, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
        const t = new Date(time as number).toISOString().slice(11, 23);
        process.stderr.write(`[${LEVEL_NAMES[level as number] ?? level}] [${t}] [${name}]: ${msg}${extra}\n`);
      } catch {
        process.stderr.write(line);
      }
    },
  };
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

let root: Logger | undefined;

export function rootLogger(level?: string): Logger {
  if (!root) {
    const pretty = process.env.VIL_LOG_PRETTY === '1' || (process.env.VIL_LOG_PRETTY !== '0' && process.stderr.isTTY === true);
    const lvl = rosLevelToPino(level ?? process.env.VIL_LOG_LEVEL);
    root = pretty
      ? pino({ level: lvl, base: undefined }, prettyStream())
      : pino({ level: lvl, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
  } else if (level) {
    root.level = rosLevelToPino(level);
  }
  return root;
}

export function nodeLogger(nodeName: string, level?: string): Logger {
  const l = rootLogger().child({ name: nodeName });
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

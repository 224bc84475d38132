// Progress of long command-line work on stderr: on a terminal a bar redrawn in place (done/total,
// rate, ETA); otherwise (a log file, CI) one plain line every few seconds.
import type { Writable } from 'node:stream';

export interface ProgressOptions {
  /** Redraw in place (a terminal). */
  tty: boolean;
  /** What is counted, e.g. "frames". */
  unit: string;
  /** Plain-line interval when not a terminal [ms]. */
  lineEveryMs?: number;
  /** Redraw interval on a terminal [ms]. */
  redrawEveryMs?: number;
  now?: () => number;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e4) return `${Math.round(perSecond / 1e3)} k`;
  return `${Math.round(perSecond)}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export class Progress {
  private readonly started: number;
  private last = -Infinity;
  private drawn = false;
  private readonly now: () => number;

  constructor(
    private readonly out: Writable,
    private readonly label: string,
    private readonly opts: ProgressOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** `done` of `total` (total unknown: rate only). Cheap to call often: it draws at its own pace. */
  update(done: number, total?: number): void {
    const t = this.now();
    const every = this.opts.tty ? (this.opts.redrawEveryMs ?? 200) : (this.opts.lineEveryMs ?? 5000);
    if (t - this.last < every) return;
    this.last = t;
    const line = this.line(done, total, t);
    if (this.opts.tty) {
      const cols = (this.out as { columns?: number }).columns ?? 100;
      this.out.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 2))}`);
      this.drawn = true;
    } else this.out.write(`${line}\n`);
  }

  /** Clears the bar (terminal) so the next output starts on a clean line. */
  end(): void {
    if (this.opts.tty && this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private line(done: number, total: number | undefined, t: number): string {
    const secs = (t - this.started) / 1000;
    const rate = secs > 0 ? done / secs : NaN;
    const unit = this.opts.unit;
    if (total === undefined || total <= 0) return `${this.label}: ${formatCount(done)} ${unit}, ${formatRate(rate)} ${unit}/s`;
    const frac = Math.min(1, done / total);
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const width = 24;
    const bar = this.opts.tty ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ` : '';
    return `${this.label}: ${bar}${(frac * 100).toFixed(0).padStart(3)}% ${formatCount(done)}/${formatCount(total)} ${unit}, ${formatRate(rate)} ${unit}/s, ETA ${formatDuration(eta)}`;
  }
}

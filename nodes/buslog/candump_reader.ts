// The candump log format (nodes/buslog/candump.ts) as a BusLogReader, so `vil import` and the
// recording source take candump files like MF4/BLF/ASC ones.
// Channel numbers: an interface name ending in digits gives that number (can0 → 0, vcan3 → 3,
// slcan12 → 12). A name without trailing digits ("any", "canA"), or a second name ending in a
// number another name already took (can0 and vcan0), gets the next free number from 1000 on.
// `interfaces` maps every name met to its number, and info() lists the names of the first MiB.
import { CandumpParseError, parseCandumpLine } from './candump.js';
import type { BusLogReader, LogFrame, RecordingInfo, SkipCounters } from './frame.js';
import { asRecordingError, RandomAccessFile } from './file_source.js';
import { BATCH } from './merge.js';
import { ReorderWindow } from './reorder.js';
import { readLines } from './text_lines.js';

const FIRST_FREE = 1000;

/** candump -x appends " T" to frames the host sent (" R" to received ones). */
function isTx(line: string): boolean {
  const t = line.trimEnd();
  return t.length > 2 && t.charCodeAt(t.length - 1) === 84 && (t.charCodeAt(t.length - 2) === 32 || t.charCodeAt(t.length - 2) === 9);
}

export class CandumpReader implements BusLogReader {
  readonly format = 'candump' as const;
  readonly skipped: SkipCounters = {};
  /** Interface name → channel number, as assigned so far. */
  readonly interfaces = new Map<string, number>();
  private readonly taken = new Set<number>();
  private nextFree = FIRST_FREE;
  private file: RandomAccessFile | undefined;
  /** The first lines that did not parse (line number and why), for error messages. */
  readonly badLines: string[] = [];

  constructor(readonly path: string) {}

  private async open(): Promise<RandomAccessFile> {
    this.file ??= await RandomAccessFile.open(this.path);
    return this.file;
  }

  /** The channel number of an interface name (assigned on first sight, see the file comment). */
  channelOf(iface: string): number {
    let n = this.interfaces.get(iface);
    if (n !== undefined) return n;
    const m = /(\d+)$/.exec(iface);
    n = m && m[1].length <= 9 && !this.taken.has(Number(m[1])) ? Number(m[1]) : undefined;
    if (n === undefined) {
      while (this.taken.has(this.nextFree)) this.nextFree++;
      n = this.nextFree++;
    }
    this.taken.add(n);
    this.interfaces.set(iface, n);
    return n;
  }

  async info(): Promise<RecordingInfo> {
    const names = new Map<string, number>();
    let first: { sec: number; nanosec: number } | undefined;
    for await (const { lines } of readLines(await this.open(), 1 << 20)) {
      for (const line of lines) {
        try {
          const f = parseCandumpLine(line);
          if (!f) continue;
          first ??= f.time;
          names.set(f.iface, (names.get(f.iface) ?? 0) + 1);
        } catch {
          // counted when the frames are read
        }
      }
    }
    const file = await this.open();
    return {
      path: this.path,
      format: 'candump',
      detail: `candump log (${file.size} bytes); interfaces in the first MiB: ${[...names.keys()].map((n) => `${n} → channel ${this.channelOf(n)}`).join(', ') || 'none'}`,
      absoluteTime: true,
      ...(first ? { start: first } : {}),
      groups: [...names.keys()].map((n) => ({ name: n, status: 'read' as const, detail: `channel ${this.channelOf(n)}` })),
    };
  }

  async *batches(): AsyncGenerator<LogFrame[]> {
    const window = new ReorderWindow();
    let ready: LogFrame[] = [];
    let failure: unknown;
    try {
      for await (const { lines, first } of readLines(await this.open())) {
        for (let i = 0; i < lines.length; i++) {
          let f;
          try {
            f = parseCandumpLine(lines[i]);
          } catch (e) {
            if (!(e instanceof CandumpParseError)) throw e;
            this.skipped['lines that are not frames'] = (this.skipped['lines that are not frames'] ?? 0) + 1;
            if (this.badLines.length < 5) this.badLines.push(`line ${first + i}: ${e.message}`);
            continue;
          }
          if (!f) continue;
          window.push(
            {
              sec: f.time.sec,
              nanosec: f.time.nanosec,
              channel: this.channelOf(f.iface),
              id: f.id,
              extended: f.extended,
              rtr: f.rtr,
              error: f.error,
              fd: f.fd,
              brs: f.brs,
              esi: f.esi,
              tx: isTx(lines[i]),
              dlc: f.dlc,
              data: f.data,
            },
            0,
          );
          if ((i & 511) === 511) window.drain(ready, false);
        }
        window.drain(ready, false);
        if (ready.length >= BATCH) {
          yield ready;
          ready = [];
        }
      }
    } catch (e) {
      failure = asRecordingError(this.path, e);
    }
    window.drain(ready, true);
    if (window.late) this.skipped['frames more than 1024 places out of time order (emitted late)'] = window.late;
    for (const [why, n] of Object.entries(window.rejected)) this.skipped[why] = (this.skipped[why] ?? 0) + n;
    if (ready.length) yield ready;
    await this.close();
    if (failure) throw failure;
  }

  async close(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    await f?.close();
  }
}

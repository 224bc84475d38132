// Vector ASC (text) reader. Line syntax as python-can's ASCReader reads it (can/io/asc.py):
//   date <weekday> <month> <day> <h:m:s[.ms]> [am|pm] <year>       measurement start (wall clock)
//   base hex|dec  timestamps absolute|relative                      number base of ids and bytes
//   [no] internal events logged, // comments, Begin/End Triggerblock
//   <t> <ch> <id>[x] Rx|Tx d <dlc> <bytes...> [Length = ... ]         classic data frame
//   <t> <ch> <id>[x] Rx|Tx r [<dlc>] [...]                           remote frame
//   <t> <ch> ErrorFrame [...]                                        error frame
//   <t> CANFD <ch> Rx|Tx <id>[x] [<name>] <brs> <esi> <dlc> <len> <bytes...> <duration> <length> <flags> ...
//   <t> CANFD <ch> Rx|Tx ErrorFrame ...                              CAN FD error frame
// A CANFD line with data length 0 is a remote frame (as python-can reads it). Every other line
// (start of measurement, chip status, statistics, J1939TP reassemblies, system variables, ...) is
// skipped and counted by reason.
// Times: seconds since the measurement start as written; with `timestamps relative` each time is
// added to the previous event's. The date line gives RecordingInfo.start, read as UTC (the file
// does not say its time zone).
import type { BusLogReader, LogFrame, RecordingInfo, SkipCounters } from './frame.js';
import { asRecordingError, RandomAccessFile } from './file_source.js';
import { BATCH } from './merge.js';
import { ReorderWindow } from './reorder.js';
import { readLines } from './text_lines.js';

const EMPTY: Uint8Array = new Uint8Array(0);
const FD_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];
const HEADER_BYTES = 64 << 10;

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
  // German month names as CANoe writes them (UTF-8 or cp1252 "Mär", read here as Latin-1).
  'm\u00e4r': 3, 'm\u00c3\u00a4r': 3, mrz: 3, mai: 5, okt: 10, dez: 12,
};

/**
 * The wall-clock time of a `date` / `Begin Triggerblock` line's text after the weekday
 * ("Sep 30 15:06:13.191 2017", "Apr 28 10:44:52.480 am 2022") as ms since the epoch, read as UTC;
 * undefined when it does not parse.
 */
export function parseAscDate(text: string): number | undefined {
  const t = text.trim().split(/\s+/);
  if (t.length < 4) return undefined;
  const month = MONTHS[t[0].toLowerCase()];
  const day = Number(t[1]);
  const m = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(t[2]);
  let i = 3;
  let ampm = '';
  if (/^(am|pm)$/i.test(t[i])) ampm = t[i++].toLowerCase();
  const year = Number(t[i]);
  if (!month || !m || !Number.isInteger(day) || !Number.isInteger(year) || day < 1 || day > 31) return undefined;
  let hour = Number(m[1]);
  if (ampm) {
    if (hour < 1 || hour > 12) {
      if (hour > 12) ampm = ''; // "15:06:13 pm": a 24-hour time with a stray marker
    } else hour = (hour % 12) + (ampm === 'pm' ? 12 : 0);
  }
  const ms = m[4] ? Math.floor(Number(`0.${m[4]}`) * 1000 + 1e-9) : 0;
  if (hour > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCMonth() !== month - 1) return undefined;
  d.setUTCHours(hour, Number(m[2]), Number(m[3]), ms);
  return d.getTime();
}

interface AscHeader {
  hex: boolean;
  relative: boolean;
  internalEvents: boolean | undefined;
  version: string | undefined;
  date: string | undefined;
  startMs: number | undefined;
}

export class AscReader implements BusLogReader {
  readonly format = 'asc' as const;
  readonly skipped: SkipCounters = {};
  private file: RandomAccessFile | undefined;

  constructor(readonly path: string) {}

  private async open(): Promise<RandomAccessFile> {
    this.file ??= await RandomAccessFile.open(this.path);
    return this.file;
  }

  /** The header lines (date, base, timestamps, version) from the start of the file. */
  private async header(): Promise<AscHeader> {
    const h: AscHeader = { hex: true, relative: false, internalEvents: undefined, version: undefined, date: undefined, startMs: undefined };
    for await (const { lines } of readLines(await this.open(), HEADER_BYTES)) {
      for (const raw of lines) {
        const line = raw.trim();
        if (this.headerLine(line, h) === 'frame') return h;
      }
    }
    return h;
  }

  /** Applies a header line; 'frame' for a timestamped event line, 'other' for anything else. */
  private headerLine(line: string, h: AscHeader): 'header' | 'frame' | 'other' {
    let m: RegExpExecArray | null;
    if ((m = /^date\s+\S+\s+(.+)$/i.exec(line))) {
      h.date = m[1];
      h.startMs = parseAscDate(m[1]);
      return 'header';
    }
    if ((m = /^base\s+(hex|dec)(?:\s+timestamps\s+(absolute|relative))?/i.exec(line))) {
      h.hex = m[1].toLowerCase() === 'hex';
      if (m[2]) h.relative = m[2].toLowerCase() === 'relative';
      return 'header';
    }
    if ((m = /^(no\s+)?internal\s+events\s+logged/i.exec(line))) {
      h.internalEvents = !m[1];
      return 'header';
    }
    if ((m = /^\/\/\s*version\s+(\S+)/i.exec(line))) {
      h.version = m[1];
      return 'header';
    }
    if ((m = /^begin\s+triggerblock\s+\S+\s+(.+)$/i.exec(line))) {
      if (h.startMs === undefined) h.startMs = parseAscDate(m[1]);
      return 'header';
    }
    return /^\d+\.\d+\s/.test(line) ? 'frame' : 'other';
  }

  async info(): Promise<RecordingInfo> {
    const h = await this.header();
    const parts = [`Vector ASC, base ${h.hex ? 'hex' : 'dec'}, timestamps ${h.relative ? 'relative' : 'absolute'}`];
    if (h.internalEvents !== undefined) parts.push(h.internalEvents ? 'internal events logged' : 'no internal events logged');
    if (h.version) parts.push(`version ${h.version}`);
    if (h.date) parts.push(`date "${h.date}"${h.startMs === undefined ? ' (not understood)' : ' (read as UTC)'}`);
    return {
      path: this.path,
      format: 'asc',
      detail: `${parts.join(', ')}; frame times are seconds since the measurement start`,
      absoluteTime: false,
      ...(h.startMs !== undefined ? { start: { sec: Math.floor(h.startMs / 1000), nanosec: (((h.startMs % 1000) + 1000) % 1000) * 1e6 } } : {}),
      groups: [
        { name: 'CAN frames (data, remote, ErrorFrame lines)', status: 'read' },
        { name: 'CANFD lines', status: 'read' },
        { name: 'other events (status, statistics, J1939TP, system variables, ...)', status: { skipped: 'not CAN frames (counted by kind)' } },
      ],
    };
  }

  async *batches(): AsyncGenerator<LogFrame[]> {
    const window = new ReorderWindow();
    let ready: LogFrame[] = [];
    let failure: unknown;
    try {
      const h: AscHeader = { hex: true, relative: false, internalEvents: undefined, version: undefined, date: undefined, startMs: undefined };
      const clock = { sec: 0, nsec: 0 };
      for await (const { lines } of readLines(await this.open())) {
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i].trim();
          if (line === '') continue;
          const f = this.line(line, h, clock);
          if (f) window.push(f, 0);
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
    if (window.late) this.count('frames more than 1024 places out of time order (emitted late)', window.late);
    for (const [why, n] of Object.entries(window.rejected)) this.count(why, n);
    if (ready.length) yield ready;
    await this.close();
    if (failure) throw failure;
  }

  private count(key: string, n = 1): void {
    this.skipped[key] = (this.skipped[key] ?? 0) + n;
  }

  /** One trimmed, non-empty line: a frame, or undefined (counted) for anything else. */
  private line(line: string, h: AscHeader, clock: { sec: number; nsec: number }): LogFrame | undefined {
    const c = line.charCodeAt(0);
    if (c < 48 || c > 57) {
      if (line.startsWith('//')) this.count('comment lines');
      else if (/^(begin|end)\s+triggerblock/i.test(line)) {
        this.headerLine(line, h);
        this.count('trigger block lines');
      } else if (this.headerLine(line, h) === 'header') this.count('header lines');
      else this.count('lines that are not events');
      return undefined;
    }
    const tok = line.split(/\s+/);
    const tm = /^(\d+)\.(\d+)$/.exec(tok[0]);
    if (!tm) {
      this.count('lines that are not events');
      return undefined;
    }
    let sec = Number(tm[1]);
    let nsec = Number(tm[2].slice(0, 9).padEnd(9, '0'));
    if (h.relative) {
      // Each time counts from the event before.
      sec += clock.sec;
      nsec += clock.nsec;
      if (nsec >= 1e9) {
        sec++;
        nsec -= 1e9;
      }
      clock.sec = sec;
      clock.nsec = nsec;
    }
    const t1 = tok[1] ?? '';
    if (t1 === 'CANFD') return this.fdLine(tok, h, sec, nsec, line);
    if (/^\d+$/.test(t1)) {
      const t2 = tok[2] ?? '';
      if (/^errorframe$/i.test(t2)) return frameOf(sec, nsec, Number(t1), 0, false, false, true, false, false, false, false, 0, EMPTY);
      if (/^statistic:?$/i.test(t2)) return this.skip('statistic lines');
      if (/^j1939tp$/i.test(t2)) return this.skip('J1939TP lines (reassembled transport-protocol messages)');
      const dir = tok[3] ?? '';
      if (/^(rx|tx)$/i.test(dir)) return this.classic(tok, h, sec, nsec, Number(t1), dir.toLowerCase() === 'tx', line);
      if (/^txrq$/i.test(dir)) return this.skip('TxRq lines (transmit requests)');
      return this.skip('other events');
    }
    if (t1 === 'Start' && tok[2] === 'of' && tok[3] === 'measurement') return this.skip('start of measurement lines');
    if (t1 === 'CAN' && /^status:/i.test(tok[3] ?? '')) return this.skip('chip status lines');
    return this.skip('other events');
  }

  private skip(key: string): undefined {
    this.count(key);
    return undefined;
  }

  private id(text: string, h: AscHeader): { id: number; extended: boolean } | undefined {
    let t = text;
    let extended = false;
    if (t.endsWith('x') || t.endsWith('X')) {
      extended = true;
      t = t.slice(0, -1);
    }
    if (!(h.hex ? /^[0-9A-Fa-f]{1,8}$/ : /^\d{1,10}$/).test(t)) return undefined;
    const id = parseInt(t, h.hex ? 16 : 10);
    if (id > 0x1fffffff) return undefined;
    // An id above 11 bits without the "x" can only be an extended one.
    return { id, extended: extended || id > 0x7ff };
  }

  /** Up to n data bytes from tok[from..]; stops at the first token that is not a byte. */
  private bytes(tok: string[], from: number, n: number, h: AscHeader): Uint8Array {
    const out = new Uint8Array(n);
    let k = 0;
    for (let i = from; k < n && i < tok.length; i++) {
      const t = tok[i];
      if (!(h.hex ? /^[0-9A-Fa-f]{1,2}$/ : /^\d{1,3}$/).test(t)) break;
      const b = parseInt(t, h.hex ? 16 : 10);
      if (b > 255) break;
      out[k++] = b;
    }
    return k === n ? out : out.subarray(0, k);
  }

  private classic(tok: string[], h: AscHeader, sec: number, nsec: number, channel: number, tx: boolean, line: string): LogFrame | undefined {
    const id = this.id(tok[2], h);
    const kind = (tok[4] ?? '').toLowerCase();
    if (!id || (kind !== 'd' && kind !== 'r')) return this.bad(line);
    if (kind === 'r') {
      const d = tok[5];
      const dlc = d !== undefined && /^\d+$/.test(d) ? parseInt(d, h.hex ? 16 : 10) : 0;
      return frameOf(sec, nsec, channel, id.id, id.extended, true, false, false, false, false, tx, dlc & 15, EMPTY);
    }
    const dlcText = tok[5] ?? '';
    if (!(h.hex ? /^[0-9A-Fa-f]{1,2}$/ : /^\d{1,2}$/).test(dlcText)) return this.bad(line);
    const dlc = parseInt(dlcText, h.hex ? 16 : 10);
    if (dlc > 15) return this.bad(line);
    // Fewer bytes than the DLC says (a cut or broken line): no frame a bus could have carried.
    const data = this.bytes(tok, 6, Math.min(8, FD_LEN[dlc]), h);
    if (data.length !== Math.min(8, FD_LEN[dlc])) return this.bad(line);
    return frameOf(sec, nsec, channel, id.id, id.extended, false, false, false, false, false, tx, dlc, data);
  }

  private fdLine(tok: string[], h: AscHeader, sec: number, nsec: number, line: string): LogFrame | undefined {
    const channel = Number(tok[2]);
    const dir = (tok[3] ?? '').toLowerCase();
    if (!/^\d+$/.test(tok[2] ?? '') || (dir !== 'rx' && dir !== 'tx')) return this.bad(line);
    const tx = dir === 'tx';
    if (/^errorframe$/i.test(tok[4] ?? '')) return frameOf(sec, nsec, channel, 0, false, false, true, true, false, false, tx, 0, EMPTY);
    const id = this.id(tok[4] ?? '', h);
    if (!id) return this.bad(line);
    // An optional symbolic name sits between the id and the BRS flag.
    let i = /^\d+$/.test(tok[5] ?? '') ? 5 : 6;
    const brs = tok[i++];
    const esi = tok[i++];
    const dlcText = tok[i++] ?? '';
    const lenText = tok[i++] ?? '';
    if (!/^[01]$/.test(brs ?? '') || !/^[01]$/.test(esi ?? '') || !(h.hex ? /^[0-9A-Fa-f]{1,2}$/ : /^\d{1,2}$/).test(dlcText) || !/^\d{1,2}$/.test(lenText)) return this.bad(line);
    const dlc = parseInt(dlcText, h.hex ? 16 : 10);
    const len = Number(lenText);
    if (dlc > 15 || len > 64) return this.bad(line);
    if (len === 0) return frameOf(sec, nsec, channel, id.id, id.extended, true, false, true, brs === '1', esi === '1', tx, dlc, EMPTY);
    // The length must be one the DLC stands for, and every byte of it there.
    if (len > FD_LEN[dlc] || (dlc > 0 && len <= FD_LEN[dlc - 1])) return this.bad(line);
    const data = this.bytes(tok, i, len, h);
    if (data.length !== len) return this.bad(line);
    return frameOf(sec, nsec, channel, id.id, id.extended, false, false, true, brs === '1', esi === '1', tx, dlc, data);
  }

  private bad(_line: string): undefined {
    this.count('frame lines that do not parse');
    return undefined;
  }

  async close(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    await f?.close();
  }
}

function frameOf(sec: number, nanosec: number, channel: number, id: number, extended: boolean, rtr: boolean, error: boolean, fd: boolean, brs: boolean, esi: boolean, tx: boolean, dlc: number, data: Uint8Array): LogFrame {
  return { sec, nanosec, channel, id, extended, rtr, error, fd, brs, esi, tx, dlc, data };
}

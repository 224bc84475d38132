// Vector BLF (binary logging format) reader. Layout as read by python-can (can/io/blf.py) and
// vector_blf (Technica-Engineering): a file header ("LOGG", its size, application and binlog
// versions, object count, start/stop SYSTEMTIME), then objects ("LOBJ" + header size, header
// version, object size, object type), padded by object size % 4. Objects normally sit inside
// LOG_CONTAINER objects (type 10; zlib-compressed or stored) whose contents form one stream:
// an object may span two containers. Read: CAN_MESSAGE (1), CAN_MESSAGE2 (86), CAN_FD_MESSAGE
// (100), CAN_FD_MESSAGE_64 (101, also when its data is shorter than its valid-byte count, as
// python-can PR #1906 reads it), CAN_ERROR_EXT (73); every other type is skipped and counted.
// Object headers v1 and v2; times in 10 µs or 1 ns units (object flags 1 / 2).
// Time = header start time (SYSTEMTIME read as UTC, ms) + object time; a zero start time gives
// times since the measurement start (absoluteTime false).
import { constants, inflateSync } from 'node:zlib';
import { RecordingError, type BusLogReader, type LogFrame, type RecordingInfo, type SkipCounters } from './frame.js';
import { asRecordingError, RandomAccessFile } from './file_source.js';
import { BATCH } from './merge.js';
import { ReorderWindow } from './reorder.js';

const LOBJ = 0x4a424f4c; // "LOBJ" little-endian
const LOG_CONTAINER = 10;
const CAN_MESSAGE = 1;
const CAN_ERROR_EXT = 73;
const CAN_MESSAGE2 = 86;
const CAN_FD_MESSAGE = 100;
const CAN_FD_MESSAGE_64 = 101;
/** An object larger than this is taken as corrupt (CAN objects are < 200 bytes). */
const MAX_OBJECT = 16 << 20;
/** A container inflating to more than this is refused (writers use 128 kB). */
const MAX_CONTAINER = 64 << 20;
const READ_CHUNK = 1 << 20;
const EMPTY: Uint8Array = new Uint8Array(0);

/** Object type names for the skip counters (vector_blf ObjectType). */
const TYPE_NAMES: Record<number, string> = {
  1: 'CAN_MESSAGE',
  2: 'CAN_ERROR',
  3: 'CAN_OVERLOAD',
  4: 'CAN_STATISTIC',
  5: 'APP_TRIGGER',
  6: 'ENV_INTEGER',
  7: 'ENV_DOUBLE',
  8: 'ENV_STRING',
  9: 'ENV_DATA',
  10: 'LOG_CONTAINER',
  11: 'LIN_MESSAGE',
  31: 'CAN_DRIVER_ERROR',
  65: 'APP_TEXT',
  71: 'FLEXRAY_VFR_RECEIVE_MSG',
  72: 'CAN_DRIVER_SYNC',
  73: 'CAN_ERROR_EXT',
  74: 'CAN_DRIVER_ERROR_EXT',
  86: 'CAN_MESSAGE2',
  92: 'EVENT_COMMENT',
  96: 'GLOBAL_MARKER',
  100: 'CAN_FD_MESSAGE',
  101: 'CAN_FD_MESSAGE_64',
  102: 'ETHERNET_FRAME_EX',
  103: 'ETHERNET_FRAME_FORWARDED',
  104: 'CAN_FD_ERROR_64',
  105: 'LIN_SHORT_OR_SLOW_RESPONSE2',
  115: 'TEST_STRUCTURE',
  118: 'FUNCTION_BUS',
  119: 'DATA_LOST_BEGIN',
  120: 'DATA_LOST_END',
  124: 'REALTIME_CLOCK',
};

const FD_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];

export interface BlfHeader {
  headerSize: number;
  applicationId: number;
  applicationVersion: string;
  binlogVersion: string;
  fileSize: number;
  uncompressedSize: number;
  objectCount: number;
  /** Start time in ms since the epoch (SYSTEMTIME as UTC), 0 when not set or invalid. */
  startMs: number;
  stopMs: number;
}

/** SYSTEMTIME (year, month, day of week, day, hour, minute, second, ms) as UTC ms; 0 when not a valid date. */
export function systemTimeMs(v: DataView, at: number): number {
  const f = (i: number): number => v.getUint16(at + i * 2, true);
  const [year, month, day, hour, minute, second, ms] = [f(0), f(1), f(3), f(4), f(5), f(6), f(7)];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || ms > 999) return 0;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCMonth() !== month - 1) return 0; // day beyond the month's end
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

export function parseBlfHeader(path: string, b: Uint8Array): BlfHeader {
  if (b.length < 72 || b[0] !== 0x4c || b[1] !== 0x4f || b[2] !== 0x47 || b[3] !== 0x47) throw new RecordingError(path, 0, 'not a BLF file (no "LOGG" header)');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerSize = v.getUint32(4, true);
  if (headerSize < 72 || headerSize > 1 << 16) throw new RecordingError(path, 4, `BLF header claims ${headerSize} bytes`);
  const u64 = (at: number): number => v.getUint32(at, true) + v.getUint32(at + 4, true) * 0x1_0000_0000;
  return {
    headerSize,
    applicationId: b[8],
    applicationVersion: `${b[9]}.${b[10]}.${b[11]}`,
    binlogVersion: `${b[12]}.${b[13]}.${b[14]}.${b[15]}`,
    fileSize: u64(16),
    uncompressedSize: u64(24),
    objectCount: v.getUint32(32, true),
    startMs: systemTimeMs(v, 40),
    stopMs: b.length >= 72 ? systemTimeMs(v, 56) : 0,
  };
}

export class BlfReader implements BusLogReader {
  readonly format = 'blf' as const;
  readonly skipped: SkipCounters = {};
  private file: RandomAccessFile | undefined;
  private header: BlfHeader | undefined;

  constructor(readonly path: string) {}

  private async open(): Promise<{ file: RandomAccessFile; header: BlfHeader }> {
    if (!this.file) this.file = await RandomAccessFile.open(this.path);
    this.header ??= parseBlfHeader(this.path, await this.file.read(0, 144));
    return { file: this.file, header: this.header };
  }

  async info(): Promise<RecordingInfo> {
    const { header: h } = await this.open();
    const app = h.applicationId === 5 ? 'CANape / python-can' : h.applicationId === 1 ? 'CANalyzer' : h.applicationId === 2 ? 'CANoe' : `application ${h.applicationId}`;
    return {
      path: this.path,
      format: 'blf',
      detail: `BLF ${h.binlogVersion}, written by ${app} ${h.applicationVersion}, ${h.objectCount} objects in the header${h.startMs ? '' : ', no start time (times since the measurement start)'}`,
      absoluteTime: h.startMs !== 0,
      ...(h.startMs ? { start: { sec: Math.floor(h.startMs / 1000), nanosec: (h.startMs % 1000) * 1e6 } } : {}),
      groups: [
        { name: 'CAN_MESSAGE / CAN_MESSAGE2', status: 'read' },
        { name: 'CAN_FD_MESSAGE / CAN_FD_MESSAGE_64', status: 'read' },
        { name: 'CAN_ERROR_EXT', status: 'read' },
        { name: 'other object types', status: { skipped: 'not CAN frames (counted by type)' } },
      ],
    };
  }

  async *batches(): AsyncGenerator<LogFrame[]> {
    let failure: unknown;
    const window = new ReorderWindow();
    let ready: LogFrame[] = [];
    try {
      const { file, header } = await this.open();
      const parser = new ObjectParser(this.path, header.startMs, this.skipped, window);
      const top = new TopLevel(file, header.headerSize);
      for (;;) {
        const obj = await top.next();
        if (!obj) break;
        if (obj.type === LOG_CONTAINER) {
          const { data, damage } = this.container(obj);
          try {
            if (data) parser.feed(data, obj.offset, ready);
          } catch (e) {
            // What inflated before the damage may end in garbage: the damage is the cause to report.
            throw damage ?? e;
          }
          // A cut or damaged container still gives the frames its first part holds, then the error.
          if (damage) throw damage;
          if (obj.truncated) throw new RecordingError(this.path, obj.offset, obj.truncated);
        } else if (obj.truncated) {
          throw new RecordingError(this.path, obj.offset, obj.truncated);
        } else {
          // An object outside any container: python-can ignores these; counted.
          this.count(`top-level ${typeName(obj.type)} objects`, 1);
        }
        window.drain(ready, false);
        if (ready.length >= BATCH) {
          yield ready;
          ready = [];
        }
      }
      parser.finish();
      // Writers set the file size in the header when they close the file.
      if (header.fileSize > file.size) throw new RecordingError(this.path, file.size, `the file has ${file.size} bytes, its header says ${header.fileSize}: truncated`);
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

  private count(key: string, n: number): void {
    this.skipped[key] = (this.skipped[key] ?? 0) + n;
  }

  /**
   * The contents of a LOG_CONTAINER object, inflated. A container whose compressed data is damaged
   * gives what inflates before the damage, and the error to raise after its frames: the same
   * frames a file cut at the damage would give.
   */
  private container(obj: TopObject): { data?: Uint8Array; damage?: RecordingError } {
    const b = obj.bytes;
    if (b.length < 32) throw new RecordingError(this.path, obj.offset, 'LOG_CONTAINER object too short');
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const method = v.getUint16(16, true);
    const size = v.getUint32(24, true);
    const payload = b.subarray(32);
    if (method === 0) return { data: payload };
    if (method !== 2) {
      this.count(`containers with unknown compression method ${method}`, 1);
      return {};
    }
    if (size > MAX_CONTAINER) throw new RecordingError(this.path, obj.offset, `log container claims ${size} uncompressed bytes`);
    const max = Math.max(size, 1);
    try {
      return { data: inflateSync(payload, { maxOutputLength: max, ...(obj.truncated ? { finishFlush: constants.Z_SYNC_FLUSH } : {}) }) };
    } catch (e) {
      const damage = new RecordingError(this.path, obj.offset, obj.truncated ?? `log container does not inflate: ${(e as Error).message}`);
      return { data: inflatePrefix(payload, max), damage };
    }
  }

  async close(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    await f?.close();
  }
}

/**
 * What inflates of a damaged deflate stream before the damage: the output of its longest prefix
 * that inflates without an error (found by bisection; a deflate error, once met, stays). Only for
 * damaged containers: about 17 inflates of one container.
 */
function inflatePrefix(payload: Uint8Array, maxOutputLength: number): Uint8Array | undefined {
  const attempt = (n: number): Uint8Array | undefined => {
    try {
      return inflateSync(payload.subarray(0, n), { maxOutputLength, finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
  };
  let lo = 0;
  let hi = payload.length;
  let best: Uint8Array | undefined;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const out = attempt(mid);
    if (out) {
      best = out;
      lo = mid;
    } else hi = mid - 1;
  }
  return best;
}

function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `type ${t}`;
}

interface TopObject {
  type: number;
  offset: number;
  /** The whole object (header included), padding excluded; only its start when truncated. */
  bytes: Uint8Array;
  /** Set when the file ends inside the object. */
  truncated?: string;
}

/** The file's top-level objects, read through a 1 MiB window. */
class TopLevel {
  private buf: Uint8Array = EMPTY;
  private base = 0;

  constructor(
    private readonly file: RandomAccessFile,
    private pos: number,
  ) {}

  /** Bytes [at, at + n) or fewer at the end of the file. */
  private async get(at: number, n: number): Promise<Uint8Array> {
    if (at < this.base || at + n > this.base + this.buf.length) {
      this.buf = await this.file.read(at, Math.max(n, READ_CHUNK));
      this.base = at;
    }
    return this.buf.subarray(at - this.base, at - this.base + n);
  }

  async next(): Promise<TopObject | undefined> {
    const size = this.file.size;
    if (this.pos >= size) return undefined;
    const h = await this.get(this.pos, 16);
    if (h.length < 16) {
      if (h.every((x) => x === 0)) return undefined; // trailing padding
      throw new RecordingError(this.file.path, this.pos, 'file ends inside an object header: truncated');
    }
    const v = new DataView(h.buffer, h.byteOffset, 16);
    if (v.getUint32(0, true) !== LOBJ) {
      if (h.every((x) => x === 0)) return undefined;
      throw new RecordingError(this.file.path, this.pos, 'expected an object ("LOBJ"): corrupt');
    }
    const objSize = v.getUint32(8, true);
    const type = v.getUint32(12, true);
    if (objSize < 16 || objSize > MAX_CONTAINER) throw new RecordingError(this.file.path, this.pos, `object claims ${objSize} bytes: corrupt`);
    const offset = this.pos;
    const truncated = offset + objSize > size;
    const bytes = await this.get(offset, truncated ? size - offset : objSize);
    this.pos = truncated ? size : offset + objSize + (objSize % 4);
    return { type, offset, bytes, truncated: truncated ? `object of ${objSize} bytes at byte ${offset} runs past the end of the file (${size} bytes): truncated` : undefined };
  }
}

/** Parses the objects inside the containers; an object may continue in the next container. */
class ObjectParser {
  private tail: Uint8Array = EMPTY;
  private objects = 0;
  private readonly startSec: number;
  private readonly startNsec: number;

  constructor(
    private readonly path: string,
    startMs: number,
    private readonly skipped: SkipCounters,
    private readonly window: ReorderWindow,
  ) {
    this.startSec = Math.floor(startMs / 1000);
    this.startNsec = (startMs % 1000) * 1e6;
  }

  private count(key: string): void {
    this.skipped[key] = (this.skipped[key] ?? 0) + 1;
  }

  /** Parses a container's objects into the window, moving frames that may leave to `ready` as it goes. */
  feed(chunk: Uint8Array, containerOffset: number, ready: LogFrame[]): void {
    const data = this.tail.length ? concatBytes(this.tail, chunk) : chunk;
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const n = data.length;
    let pos = 0;
    for (;;) {
      // The next object starts within 8 bytes (padding differs between writers).
      let at = -1;
      for (let k = pos; k < pos + 8 && k + 4 <= n; k++) {
        if (data[k] === 0x4c && v.getUint32(k, true) === LOBJ) {
          at = k;
          break;
        }
      }
      if (at < 0) {
        if (n - pos >= 8 + 4) throw new RecordingError(this.path, containerOffset, 'no object signature ("LOBJ") where the next object should start: corrupt');
        break;
      }
      pos = at;
      if (n - pos < 16) break;
      const headerSize = v.getUint16(pos + 4, true);
      const headerVersion = v.getUint16(pos + 6, true);
      const objSize = v.getUint32(pos + 8, true);
      const type = v.getUint32(pos + 12, true);
      if (objSize < 16 || objSize > MAX_OBJECT) throw new RecordingError(this.path, containerOffset, `an object claims ${objSize} bytes: corrupt`);
      if (pos + objSize > n) break; // continues in the next container
      this.object(data, v, pos, headerSize, headerVersion, objSize, type);
      pos += objSize;
      if ((++this.objects & 511) === 0) this.window.drain(ready, false);
    }
    this.tail = pos < n ? data.slice(pos) : EMPTY;
  }

  finish(): void {
    if (this.tail.length >= 16 && this.tail.some((x) => x !== 0)) throw new RecordingError(this.path, undefined, 'the last log container ends inside an object: truncated');
  }

  private object(d: Uint8Array, v: DataView, pos: number, headerSize: number, version: number, objSize: number, type: number): void {
    if (type !== CAN_MESSAGE && type !== CAN_MESSAGE2 && type !== CAN_FD_MESSAGE && type !== CAN_FD_MESSAGE_64 && type !== CAN_ERROR_EXT) {
      this.count(`${typeName(type)} objects`);
      return;
    }
    let p: number;
    if (version === 1) p = pos + 32;
    else if (version === 2) p = pos + 40;
    else {
      this.count(`objects with header version ${version}`);
      return;
    }
    const end = pos + objSize;
    const flags = v.getUint32(pos + 16, true);
    const ts = v.getUint32(pos + 24, true) + v.getUint32(pos + 28, true) * 0x1_0000_0000;
    // Object flags: 1 = 10 µs units, 2 = 1 ns units.
    const ns = flags & 2 ? ts : flags & 1 ? ts * 10_000 : ts;
    const secs = Math.floor(ns / 1e9);
    let sec = this.startSec + secs;
    let nanosec = this.startNsec + (ns - secs * 1e9);
    if (nanosec >= 1e9) {
      sec++;
      nanosec -= 1e9;
    }
    const need = (bytes: number): boolean => {
      if (p + bytes <= end) return true;
      this.count(`${typeName(type)} objects too short`);
      return false;
    };
    let f: LogFrame;
    switch (type) {
      case CAN_MESSAGE:
      case CAN_MESSAGE2: {
        if (!need(16)) return;
        const fl = d[p + 2];
        const dlc = d[p + 3];
        const id = v.getUint32(p + 4, true);
        const rtr = (fl & 0x80) !== 0;
        f = frame(sec, nanosec, v.getUint16(p, true), id, rtr, false, false, false, false, (fl & 1) !== 0, dlc, rtr ? EMPTY : d.subarray(p + 8, p + 8 + Math.min(dlc, 8)));
        break;
      }
      case CAN_FD_MESSAGE: {
        if (!need(20)) return;
        const fl = d[p + 2];
        const dlc = d[p + 3];
        const id = v.getUint32(p + 4, true);
        const fdFlags = d[p + 13];
        const valid = Math.min(d[p + 14], 64, end - (p + 20));
        const rtr = (fl & 0x80) !== 0;
        f = frame(sec, nanosec, v.getUint16(p, true), id, rtr, false, (fdFlags & 1) !== 0, (fdFlags & 2) !== 0, (fdFlags & 4) !== 0, (fl & 1) !== 0, dlc, rtr ? EMPTY : d.subarray(p + 20, p + 20 + valid));
        break;
      }
      case CAN_FD_MESSAGE_64: {
        if (!need(40)) return;
        const dlc = d[p + 1];
        const valid = d[p + 2];
        const id = v.getUint32(p + 4, true);
        const fl = v.getUint32(p + 12, true);
        const extOffset = d[p + 35];
        // Writers may store fewer bytes than validDataBytes (python-can #1905): zero-pad.
        const avail = Math.max(0, Math.min(valid, (extOffset || objSize) - headerSize - 40, end - (p + 40)));
        let data = d.subarray(p + 40, p + 40 + avail);
        if (avail < valid) {
          const padded = new Uint8Array(valid);
          padded.set(data);
          data = padded;
        }
        const rtr = (fl & 0x10) !== 0;
        f = frame(sec, nanosec, d[p], id, rtr, false, (fl & 0x1000) !== 0, (fl & 0x2000) !== 0, (fl & 0x4000) !== 0, d[p + 34] !== 0, dlc, rtr ? EMPTY : data);
        break;
      }
      default: {
        // CAN_ERROR_EXT
        if (!need(24)) return;
        const dlc = d[p + 10];
        const id = v.getUint32(p + 16, true);
        const n = Math.min(dlc, 8, Math.max(0, end - (p + 24)));
        f = frame(sec, nanosec, v.getUint16(p, true), id, false, true, false, false, false, false, dlc, d.subarray(p + 24, p + 24 + n));
      }
    }
    this.window.push(f, 0);
  }
}

function frame(sec: number, nanosec: number, channel: number, rawId: number, rtr: boolean, error: boolean, fd: boolean, brs: boolean, esi: boolean, tx: boolean, dlc: number, data: Uint8Array): LogFrame {
  // BRS and ESI mean nothing without EDL: a classic frame has neither, whatever its flag bits say.
  return { sec, nanosec, channel, id: rawId & 0x1fffffff, extended: rawId >= 0x80000000, rtr, error, fd, brs: fd && brs, esi: fd && esi, tx, dlc, data };
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export { FD_LEN };

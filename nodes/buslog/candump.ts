// The candump log format (can-utils `candump -L` / `-l`, read by canplayer, log2asc, log2long):
//   (1436509052.249713) can0 123#DEADBEEF          classic, 3 hex digits = 11-bit id
//   (1436509052.249713) can0 12345678#DEADBEEF     8 hex digits = 29-bit extended id
//   (1436509052.249713) can0 123#R  /  123#R5      remote request (optionally with its length)
//   (1436509052.249713) can0 123#1122334455667788_E  classic with a raw DLC 9..15 (len8_dlc)
//   (1436509052.249713) can0 123##1DEADBEEF        CAN FD: flags nibble (BRS 1, ESI 2, FDF 4), data
//   (1436509052.249713) can0 20000080#0000000000000000   error frame (CAN_ERR_FLAG in the id)
// Data bytes may be separated by '.', as can-utils's parse_canframe accepts; an optional trailing
// " R"/" T" (receive/transmit, candump -x) is accepted. Timestamps keep their digits: the
// fraction is read as decimal into nanoseconds (candump writes microseconds).
//
// Seconds must fit a ROS time stamp (builtin_interfaces/Time: int32 sec, so 0..2^31-1, until
// 2038-01-19): candump writes tv_sec as an unsigned 64-bit number, so a later or corrupt stamp
// (`(4294967296.5)`, 24 digits) is an unreadable line, not a frame with a stamp no message can
// carry. The writer refuses what the reader would refuse, so it never formats a line that is
// not one.
import { CAN_ERR_FLAG, CAN_ERR_MASK } from './can_id.js';

export { CAN_ERR_FLAG, CAN_ERR_MASK };
export const CANFD_BRS = 0x01;
export const CANFD_ESI = 0x02;
export const CANFD_FDF = 0x04;

export interface CandumpFrame {
  time: { sec: number; nanosec: number };
  iface: string;
  /** 11- or 29-bit id; for error frames the error class bits (id & CAN_ERR_MASK). */
  id: number;
  extended: boolean;
  fd: boolean;
  /** CAN FD bit-rate switch. */
  brs: boolean;
  /** CAN FD error state indicator. */
  esi: boolean;
  rtr: boolean;
  error: boolean;
  data: Uint8Array;
  /**
   * Classic CAN DLC: data.length, the requested length of a remote frame (123#R5 → 5), or the
   * raw 9..15 of a len8_dlc frame (_X suffix). For FD frames: the FD DLC code of data.length.
   */
  dlc: number;
}

export class CandumpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CandumpParseError';
  }
}

/** Largest seconds value of a ROS time stamp (builtin_interfaces/Time.sec is int32). */
export const CANDUMP_MAX_SEC = 2 ** 31 - 1;

const FD_LEN_TO_DLC = (len: number): number =>
  len <= 8 ? len : len <= 12 ? 9 : len <= 16 ? 10 : len <= 20 ? 11 : len <= 24 ? 12 : len <= 32 ? 13 : len <= 48 ? 14 : 15;

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Hex bytes from s[from, to), '.' separators allowed; null if malformed or more than `max`. */
function parseData(s: string, from: number, to: number, max: number): Uint8Array | null {
  const bytes: number[] = [];
  let i = from;
  while (i < to) {
    if (s.charCodeAt(i) === 46) {
      i++;
      continue;
    }
    if (i + 1 >= to) return null;
    const hi = hexNibble(s.charCodeAt(i));
    const lo = hexNibble(s.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return null;
    bytes.push((hi << 4) | lo);
    if (bytes.length > max) return null;
    i += 2;
  }
  return Uint8Array.from(bytes);
}

/**
 * Parses one log line. Returns null for a blank line; throws CandumpParseError (naming what is
 * wrong) for anything else that is not a frame.
 */
export function parseCandumpLine(line: string): CandumpFrame | null {
  return parseClassicLine(line) ?? parseCandumpLineGeneral(line);
}

/** The last interface name read: lines of one bus reuse its string (no new string to hash per line). */
let lastIface = '';

/**
 * The form candump -L writes for nearly every frame, read without a regular expression or
 * intermediate strings: "(<1..10 digits>.<1..9 digits>) <iface> <3 or 8 hex digits>#<0..16 hex
 * digits>", single spaces, nothing after. undefined for anything else (other frame kinds, other
 * spacing, errors), which parseCandumpLineGeneral then reads; for what it accepts it gives what
 * parseCandumpLineGeneral gives (test/dbc/candump.test.ts compares them).
 */
export function parseClassicLine(line: string): CandumpFrame | undefined {
  const n = line.length;
  if (n < 9 || line.charCodeAt(0) !== 40) return undefined; // '('
  let i = 1;
  let sec = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) break;
    sec = sec * 10 + (c - 48);
    i++;
  }
  if (i === 1 || i > 11 || sec > CANDUMP_MAX_SEC || line.charCodeAt(i) !== 46) return undefined; // '.'
  const fracStart = ++i;
  let nanosec = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) break;
    nanosec = nanosec * 10 + (c - 48);
    i++;
  }
  const fracDigits = i - fracStart;
  if (fracDigits < 1 || fracDigits > 9 || line.charCodeAt(i) !== 41 || line.charCodeAt(i + 1) !== 32) return undefined; // ') '
  for (let k = fracDigits; k < 9; k++) nanosec *= 10;
  const ifaceStart = i + 2;
  i = ifaceStart;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 32) break;
    if (c < 33 || c > 126) return undefined;
    i++;
  }
  const ifaceLen = i - ifaceStart;
  if (ifaceLen === 0 || i === n) return undefined;
  const iface = ifaceLen === lastIface.length && line.startsWith(lastIface, ifaceStart) ? lastIface : (lastIface = line.slice(ifaceStart, i));
  const idStart = i + 1;
  let rawId = 0;
  i = idStart;
  while (i < n) {
    const v = hexNibble(line.charCodeAt(i));
    if (v < 0) break;
    rawId = rawId * 16 + v;
    i++;
  }
  const idLen = i - idStart;
  if ((idLen !== 3 && idLen !== 8) || line.charCodeAt(i) !== 35) return undefined; // '#'
  if (idLen === 3 && rawId > 0x7ff) return undefined; // a standard id has 11 bits: the general parser says why
  const error = idLen === 8 && (rawId & CAN_ERR_FLAG) !== 0;
  if (idLen === 8 && !error && rawId > CAN_ERR_MASK) return undefined;
  const dataStart = i + 1;
  const digits = n - dataStart;
  if (digits > 16 || (digits & 1) !== 0) return undefined;
  const data = new Uint8Array(digits >> 1);
  for (let k = 0, p = dataStart; p < n; k++, p += 2) {
    const hi = hexNibble(line.charCodeAt(p));
    const lo = hexNibble(line.charCodeAt(p + 1));
    if (hi < 0 || lo < 0) return undefined;
    data[k] = (hi << 4) | lo;
  }
  return {
    time: { sec, nanosec },
    iface,
    id: error ? rawId & CAN_ERR_MASK : rawId,
    extended: idLen === 8 && !error,
    error,
    fd: false,
    brs: false,
    esi: false,
    rtr: false,
    data,
    dlc: data.length,
  };
}

/** parseCandumpLine for every form the format allows (and every error): the specification. */
export function parseCandumpLineGeneral(line: string): CandumpFrame | null {
  const text = line.trim();
  if (text === '') return null;
  const m = /^\((\d+)(?:\.(\d{1,9}))?\)\s+(\S+)\s+(\S+)(?:\s+([RT]))?$/.exec(text);
  if (!m) throw new CandumpParseError(`expected "(seconds.fraction) interface frame", got ${JSON.stringify(text.slice(0, 80))}`);
  // More than 10 digits (leading zeros aside) cannot be ≤ 2^31-1; Number() of them may round.
  const secText = m[1].replace(/^0+(?=\d)/, '');
  const sec = secText.length > 10 ? Infinity : Number(secText);
  if (!(sec <= CANDUMP_MAX_SEC)) {
    throw new CandumpParseError(`time stamp ${m[1].length > 24 ? `${m[1].slice(0, 24)}...` : m[1]} s is beyond a ROS time stamp (0..${CANDUMP_MAX_SEC} s, until 2038-01-19)`);
  }
  const nanosec = m[2] ? Number(m[2].padEnd(9, '0')) : 0;
  const iface = m[3];
  const f = m[4];
  const hash = f.indexOf('#');
  if (hash !== 3 && hash !== 8) throw new CandumpParseError(`frame ${f}: expected 3 or 8 hex digits of id before "#"`);
  let rawId = 0;
  for (let i = 0; i < hash; i++) {
    const n = hexNibble(f.charCodeAt(i));
    if (n < 0) throw new CandumpParseError(`frame ${f}: id is not hexadecimal`);
    rawId = rawId * 16 + n;
  }
  const error = hash === 8 && (rawId & CAN_ERR_FLAG) !== 0;
  if (hash === 8 && !error && rawId > CAN_ERR_MASK) throw new CandumpParseError(`frame ${f}: extended id 0x${rawId.toString(16)} exceeds 29 bits`);
  // Three hex digits reach 0xFFF; a standard frame carries 11 bits on the bus.
  if (hash === 3 && rawId > 0x7ff) throw new CandumpParseError(`frame ${f}: standard id 0x${rawId.toString(16)} exceeds 11 bits (0..7FF)`);
  const extended = hash === 8 && !error;
  const id = error ? rawId & CAN_ERR_MASK : rawId;
  const base = { time: { sec, nanosec }, iface, id, extended, error };
  let p = hash + 1;
  const c = f[p];
  if (c === 'R' || c === 'r') {
    let dlc = 0;
    if (p + 1 < f.length) {
      const n = hexNibble(f.charCodeAt(p + 1));
      if (f.length !== p + 2 || n < 0 || n > 8) throw new CandumpParseError(`frame ${f}: expected a remote-request length 0..8 after "R"`);
      dlc = n;
    }
    return { ...base, fd: false, brs: false, esi: false, rtr: true, data: new Uint8Array(0), dlc };
  }
  if (c === '#') {
    const flags = hexNibble(f.charCodeAt(p + 1));
    if (flags < 0) throw new CandumpParseError(`frame ${f}: expected a CAN FD flags nibble after "##"`);
    const data = parseData(f, p + 2, f.length, 64);
    if (!data) throw new CandumpParseError(`frame ${f}: expected up to 64 data bytes in hex after the flags`);
    return { ...base, fd: true, brs: (flags & CANFD_BRS) !== 0, esi: (flags & CANFD_ESI) !== 0, rtr: false, data, dlc: FD_LEN_TO_DLC(data.length) };
  }
  let end = f.length;
  let dlc = -1;
  const us = f.indexOf('_', p);
  if (us >= 0) {
    const n = hexNibble(f.charCodeAt(us + 1));
    if (f.length !== us + 2 || n < 9) throw new CandumpParseError(`frame ${f}: expected a DLC 9..F after "_"`);
    dlc = n;
    end = us;
  }
  const data = parseData(f, p, end, 8);
  if (!data) throw new CandumpParseError(`frame ${f}: expected up to 8 data bytes in hex after "#"`);
  if (dlc >= 0 && data.length !== 8) throw new CandumpParseError(`frame ${f}: a DLC after "_" needs 8 data bytes`);
  return { ...base, fd: false, brs: false, esi: false, rtr: false, data, dlc: dlc >= 0 ? dlc : data.length };
}

function hex2(b: number): string {
  return (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
}

/**
 * One candump log line (no newline), as `candump -L` writes it: seconds padded to 10 digits,
 * microseconds (nanoseconds are truncated), upper-case hex.
 */
export function formatCandumpLine(frame: CandumpFrame): string {
  const { sec, nanosec } = frame.time;
  if (!(Number.isInteger(sec) && sec >= 0 && sec <= CANDUMP_MAX_SEC && Number.isInteger(nanosec) && nanosec >= 0 && nanosec < 1e9)) {
    throw new RangeError(`candump line: time ${sec} s + ${nanosec} ns is not a time stamp a candump log can hold here (integer seconds 0..${CANDUMP_MAX_SEC}, nanoseconds 0..999999999)`);
  }
  const usec = Math.floor(frame.time.nanosec / 1000);
  const ts = `(${String(frame.time.sec).padStart(10, '0')}.${String(usec).padStart(6, '0')})`;
  let id: string;
  if (frame.error) id = ((frame.id & CAN_ERR_MASK) | CAN_ERR_FLAG).toString(16).toUpperCase().padStart(8, '0');
  else if (frame.extended) id = frame.id.toString(16).toUpperCase().padStart(8, '0');
  else id = frame.id.toString(16).toUpperCase().padStart(3, '0');
  let body = '';
  if (frame.rtr && !frame.fd) {
    body = frame.dlc > 0 && frame.dlc <= 8 ? `R${frame.dlc}` : 'R';
  } else {
    if (frame.fd) body = `#${((frame.brs ? CANFD_BRS : 0) | (frame.esi ? CANFD_ESI : 0)).toString(16).toUpperCase()}`;
    for (const b of frame.data) body += hex2(b);
    if (!frame.fd && frame.data.length === 8 && frame.dlc > 8 && frame.dlc <= 15) body += `_${frame.dlc.toString(16).toUpperCase()}`;
  }
  return `${ts} ${frame.iface} ${id}#${body}`;
}

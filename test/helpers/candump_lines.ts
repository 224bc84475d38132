// Reads candump's output lines in the SocketCAN tests (the judge's words, parsed by the test
// itself, independent of the product's code):
//   -L (log format, can-utils lib.c): "(sec.usec) iface ID#DATA", "ID#R[len]", "ID##<flags>DATA";
//      an 8-digit ID is a 29-bit frame; <flags> is a hex nibble of CANFD_BRS 1, CANFD_ESI 2, CANFD_FDF 4.
//   -e (error frames, human-readable): a header line per frame, then one indented line per finding.

export interface DumpedFrame {
  sec: number;
  usec: number;
  iface: string;
  id: number;
  extended: boolean;
  rtr: boolean;
  /** Length of an RTR request, else of the payload. */
  len: number;
  fd: boolean;
  brs: boolean;
  esi: boolean;
  /** Upper-case hex payload ('' for RTR). */
  data: string;
}

const LOG_LINE = /^\((\d+)\.(\d{6})\) (\S+) ([0-9A-F]{3}|[0-9A-F]{8})(?:##([0-9A-F])([0-9A-F]*)|#R(\d*)|#([0-9A-F]*))$/;

export function parseCandumpLog(line: string): DumpedFrame {
  const m = LOG_LINE.exec(line);
  if (!m) throw new Error(`not a candump -L line: ${line}`);
  const [, sec, usec, iface, id, fdFlags, fdData, rtrLen, data] = m;
  const base = { sec: Number(sec), usec: Number(usec), iface, id: parseInt(id, 16), extended: id.length === 8 };
  if (fdFlags !== undefined) {
    const flags = parseInt(fdFlags, 16);
    return { ...base, rtr: false, len: fdData.length / 2, fd: true, brs: (flags & 1) !== 0, esi: (flags & 2) !== 0, data: fdData };
  }
  if (rtrLen !== undefined) return { ...base, rtr: true, len: rtrLen === '' ? 0 : Number(rtrLen), fd: false, brs: false, esi: false, data: '' };
  return { ...base, rtr: false, len: data.length / 2, fd: false, brs: false, esi: false, data };
}

export interface DumpedError {
  sec: number;
  usec: number;
  /** can_id with CAN_ERR_FLAG, as printed. */
  canId: number;
  data: string;
  /** The indented lines candump printed about the frame (its decoding), trimmed, empty ones dropped. */
  findings: string[];
}

const ERROR_HEADER = /^\s*\((\d+)\.(\d{6})\)\s+\S+\s+(?:(?:RX|TX)\s+\S+\s+\S+\s+)?([0-9A-F]{8})\s+\[(\d)\]\s+((?:[0-9A-F]{2} ?)*)\s+ERRORFRAME$/;

export function parseCandumpErrors(lines: string[]): DumpedError[] {
  const out: DumpedError[] = [];
  for (const line of lines) {
    const m = ERROR_HEADER.exec(line);
    if (m) {
      out.push({ sec: Number(m[1]), usec: Number(m[2]), canId: parseInt(m[3], 16), data: m[5].replace(/ /g, ''), findings: [] });
    } else if (/^\s/.test(line) && out.length) {
      if (line.trim()) out[out.length - 1].findings.push(line.trim());
    } else if (line.trim()) {
      throw new Error(`unexpected candump -e line: ${line}`);
    }
  }
  return out;
}

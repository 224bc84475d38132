// The reference dumps beside the shared recordings (made by asammdf 8.0.0 / python-can, see
// test/fixtures/buslogs/ATTRIBUTION.md), parsed here by the tests themselves, independent of the
// product's formatter: `(SECONDS.MICROS) canN ID#DATA[_L] | ID#R[L] | ID##FDATA | ERROR`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BusLogReader, LogFrame } from '../../nodes/buslog/frame.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/buslogs');

export interface RefFrame {
  /** Microseconds since the time base (exact integer). */
  us: number;
  channel: number;
  kind: 'data' | 'remote' | 'error';
  id: number;
  extended: boolean;
  fd: boolean;
  brs: boolean;
  esi: boolean;
  /** DLC for remote frames and classic frames with _L; undefined when the line does not give one. */
  dlc?: number;
  data: string;
  line: string;
}

const LINE = /^\((-?)(\d+)\.(\d{6})\) can(\d+) (?:(ERROR)|([0-9A-F]{3}|[0-9A-F]{8})(?:##([0-9A-F])([0-9A-F]*)|#R([0-9A-F]?)|#([0-9A-F]*)(?:_([9A-F]))?))$/;

export function parseRefLine(line: string): RefFrame {
  const m = LINE.exec(line);
  if (!m) throw new Error(`not a reference line: ${line}`);
  const [, neg, s, us, ch, err, id, fdFlags, fdData, rtrLen, data, longDlc] = m;
  const t = (Number(s) * 1e6 + Number(us)) * (neg ? -1 : 1);
  const base = { us: t, channel: Number(ch), line, brs: false, esi: false, fd: false };
  if (err) return { ...base, kind: 'error', id: 0, extended: false, data: '' };
  const common = { ...base, id: parseInt(id, 16), extended: id.length === 8 };
  if (fdFlags !== undefined) {
    const f = parseInt(fdFlags, 16);
    return { ...common, kind: 'data', fd: true, brs: (f & 1) !== 0, esi: (f & 2) !== 0, data: fdData };
  }
  if (rtrLen !== undefined) return { ...common, kind: 'remote', dlc: rtrLen === '' ? 0 : parseInt(rtrLen, 16), data: '' };
  return { ...common, kind: 'data', data, ...(longDlc ? { dlc: parseInt(longDlc, 16) } : {}) };
}

export function readRef(path: string): RefFrame[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(parseRefLine);
}

export interface Recording {
  /** e.g. "mf4/css_2F6913DB_0004_00000001.MF4" */
  name: string;
  path: string;
  dir: 'mf4' | 'blf' | 'asc';
  json: Record<string, unknown>;
  ref: RefFrame[];
}

export function recordings(): Recording[] {
  const out: Recording[] = [];
  for (const dir of ['mf4', 'blf', 'asc'] as const) {
    for (const f of readdirSync(join(FIXTURES, dir)).sort()) {
      if (!/\.(mf4|blf|asc)$/i.test(f)) continue;
      const path = join(FIXTURES, dir, f);
      out.push({ name: `${dir}/${f}`, path, dir, json: JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Record<string, unknown>, ref: readRef(`${path}.candump`) });
    }
  }
  return out;
}

export async function readAll(r: BusLogReader): Promise<LogFrame[]> {
  const out: LogFrame[] = [];
  for await (const b of r.batches()) for (const f of b) out.push(f);
  return out;
}

/** Reads until the reader ends or throws; returns the frames and the error, if any. */
export async function readUntilError(r: BusLogReader): Promise<{ frames: LogFrame[]; error: unknown }> {
  const frames: LogFrame[] = [];
  try {
    for await (const b of r.batches()) for (const f of b) frames.push(f);
    return { frames, error: undefined };
  } catch (e) {
    return { frames, error: e };
  }
}

export function hex(d: Uint8Array): string {
  let s = '';
  for (const b of d) s += b.toString(16).toUpperCase().padStart(2, '0');
  return s;
}

/** A LogFrame's time in µs, rounded half-up (the reference's rounding), as an exact number. */
export function frameUs(f: LogFrame): number {
  return f.sec * 1e6 + Math.floor((f.nanosec + 500) / 1000);
}

/** Compares a frame with a reference line field by field; returns the differences (empty when equal). */
export function differences(f: LogFrame, r: RefFrame): string[] {
  const d: string[] = [];
  const dt = Math.abs(f.sec * 1e6 + f.nanosec / 1000 - r.us);
  if (!(dt <= 1)) d.push(`time ${f.sec}.${String(f.nanosec).padStart(9, '0')} vs ${r.us / 1e6} (${dt} µs)`);
  if (f.channel !== r.channel) d.push(`channel ${f.channel} vs ${r.channel}`);
  const kind = f.error ? 'error' : f.rtr ? 'remote' : 'data';
  if (kind !== r.kind) d.push(`kind ${kind} vs ${r.kind}`);
  if (r.kind === 'error') return d;
  if (f.id !== r.id) d.push(`id ${f.id.toString(16)} vs ${r.id.toString(16)}`);
  if (f.extended !== r.extended) d.push(`extended ${f.extended} vs ${r.extended}`);
  if (r.kind === 'remote') {
    if ((f.dlc ?? 0) !== r.dlc) d.push(`remote dlc ${f.dlc} vs ${r.dlc}`);
    return d;
  }
  if (f.fd !== r.fd) d.push(`fd ${f.fd} vs ${r.fd}`);
  if (r.fd && (f.brs !== r.brs || f.esi !== r.esi)) d.push(`brs/esi ${f.brs}/${f.esi} vs ${r.brs}/${r.esi}`);
  if (hex(f.data) !== r.data) d.push(`data ${hex(f.data)} vs ${r.data}`);
  if (!r.fd) {
    // A classic DLC above 8 shows as _L; otherwise the DLC is the payload length.
    const want = r.dlc ?? r.data.length / 2;
    if (f.dlc !== want) d.push(`dlc ${f.dlc} vs ${want}`);
  }
  return d;
}

/** The .json summary's counts, recomputed from frames (same keys as the reference's). */
export function summarise(frames: readonly { channel: number; error: boolean; rtr: boolean; fd: boolean; tx: boolean; extended: boolean }[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const f of frames) {
    const c = (out[`can${f.channel}`] ??= {});
    const kind = (f.error ? 'error' : f.rtr ? 'remote' : 'data') + (f.fd ? '_fd' : '');
    c[kind] = (c[kind] ?? 0) + 1;
    if (f.tx) c.tx = (c.tx ?? 0) + 1;
    if (f.extended && !f.error) c.extended_id = (c.extended_id ?? 0) + 1;
  }
  return out;
}

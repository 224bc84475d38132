// Shared by the local-graph tests: real messages built from the GPSD u-blox ZED-F9P capture
// (test/fixtures/runtime), the independent Python references, and small graph utilities.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '../fixtures/runtime');

export interface Tpv {
  time: string;
  lat: number;
  lon: number;
  altHAE?: number;
  mode: number;
  eph?: number;
  epv?: number;
}

export interface F9pExcerpt {
  /** Every NMEA sentence of the excerpt, in order, as the receiver sent it. */
  sentences: string[];
  /** gpsd's TPV reports (its decoding of the sentences). */
  tpv: Tpv[];
  /** gpsd's SKY report: DOPs. */
  sky: { hdop: number; vdop: number; pdop: number };
}

export function loadF9p(): F9pExcerpt {
  const lines = readFileSync(join(FIXTURES, 'ublox-zed-f9p-excerpt.log.chk'), 'latin1').split('\n');
  const sentences = lines.filter((l) => l.startsWith('$'));
  const reports = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { class: string } & Record<string, unknown>);
  const tpv = reports.filter((r) => r.class === 'TPV') as unknown as Tpv[];
  const sky = reports.find((r) => r.class === 'SKY') as unknown as F9pExcerpt['sky'];
  return { sentences, tpv, sky };
}

export function stampOf(iso: string): { sec: number; nanosec: number } {
  const ms = Date.parse(iso);
  return { sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1e6 };
}

/** sensor_msgs/NavSatFix from a gpsd TPV report (diagonal covariance from eph/epv when given). */
export function navSatFix(t: Tpv) {
  const h = t.eph ?? 0;
  const v = t.epv ?? 0;
  return {
    header: { stamp: stampOf(t.time), frame_id: 'gnss' },
    status: { status: t.mode >= 2 ? 0 : -1, service: 1 },
    latitude: t.lat,
    longitude: t.lon,
    altitude: t.altHAE ?? Number.NaN,
    position_covariance: [h * h, 0, 0, 0, h * h, 0, 0, 0, v * v],
    position_covariance_type: t.eph !== undefined ? 1 : 0,
  };
}

export function sentenceMsg(s: string, stamp: { sec: number; nanosec: number }) {
  return { header: { stamp, frame_id: 'gnss' }, sentence: s };
}

/** Runs test/runtime/py/<script> with python3 (installed by scripts/ensure-tools.sh). */
export function python(script: string, args: string[] = [], input?: string): string {
  const r = spawnSync('python3', [join(here, 'py', script), ...args], { input, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw new Error(`python3 could not run (${r.error.message}); scripts/ensure-tools.sh installs it`);
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A local context from a command line, e.g. ctx('-r', '__ns:=/vil'). */
export function context(...rosArgs: string[]): LocalContext {
  return createLocalContext(parseRosArgs(rosArgs.length ? ['--ros-args', ...rosArgs] : []));
}

/** Collects what a subscription receives. */
export function collector<T>(): { got: T[]; cb: (m: T) => void } {
  const got: T[] = [];
  return { got, cb: (m: T) => got.push(m) };
}

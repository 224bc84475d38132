// Test-side helpers for the NMEA tests: reading the gpsd fixtures, gpsd's .chk reports, and
// running logs through vil's framer + decoder with a record of what came out and when.
// This file parses with split/regex on purpose: it is the independent reading of the fixtures.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GnssStatusMsg, NavSatFixMsg, QuaternionStampedMsg, TwistWithCovarianceStampedMsg } from '../../nodes/runtime/msg_types.js';
import { NmeaDecoder, type NmeaDecoderOptions } from '../../nodes/rtk_serial/nmea_decoder.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/gnss');

export type LogName = 'ublox-zed-f9p-nmea' | 'polarx2' | 'hemi';

export function readLog(name: LogName): Buffer {
  return readFileSync(join(FIXTURES, `${name}.log`));
}

/** The sentence lines of a log (comments and blank lines left out), in order. */
export function logSentences(name: LogName): string[] {
  return readLog(name)
    .toString('latin1')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('$'));
}

/** One input line of a .chk file and the JSON reports gpsd printed after it. */
export interface ChkEntry {
  sentence: string;
  reports: Record<string, unknown>[];
}

export function readChk(name: LogName): ChkEntry[] {
  const out: ChkEntry[] = [];
  for (const line of readFileSync(join(FIXTURES, `${name}.log.chk`), 'latin1').split(/\r?\n/)) {
    if (line.startsWith('$')) out.push({ sentence: line, reports: [] });
    else if (line.startsWith('{')) out[out.length - 1].reports.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

/** Sentence type ("GGA") of "$GPGGA,...". */
export function typeOf(sentence: string): string {
  return sentence.slice(3, 6);
}

/** Comma fields of a sentence without its checksum; [0] is the address. */
export function fieldsOf(sentence: string): string[] {
  return sentence.replace(/\*[0-9A-Fa-f]{2}$/, '').slice(1).split(',');
}

/** The UTC time field ("hhmmss.ss") of a sentence that has one, else undefined. */
export function timeFieldOf(sentence: string): string | undefined {
  const f = fieldsOf(sentence);
  const idx: Record<string, number> = { GGA: 1, GNS: 1, RMC: 1, GST: 1, ZDA: 1, GBS: 1, GRS: 1, GLL: 5 };
  const i = idx[typeOf(sentence)];
  return i !== undefined && f[i] ? f[i] : undefined;
}

/** "hhmmss.ss" → "hh:mm:ss.sss" as in gpsd's ISO times. */
export function isoTimeOfDay(hhmmss: string): string {
  const frac = hhmmss.length > 6 ? Number(`0${hhmmss.slice(6)}`) : 0;
  return `${hhmmss.slice(0, 2)}:${hhmmss.slice(2, 4)}:${hhmmss.slice(4, 6)}.${Math.round(frac * 1000).toString().padStart(3, '0')}`;
}

/** Appends "*hh" to "$...": for the few sentences the logs do not contain (e.g. RTK qualities). */
export function withChecksum(body: string): string {
  let x = 0;
  for (let i = 1; i < body.length; i++) x ^= body.charCodeAt(i);
  return `${body}*${x.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** What a decoder run produced, each message tagged with the index of the input sentence being pushed when it came out. */
export interface Run {
  decoder: NmeaDecoder;
  fixes: { msg: NavSatFixMsg; status: GnssStatusMsg; emittedAt: number }[];
  statuses: { msg: GnssStatusMsg; emittedAt: number }[];
  velocities: { msg: TwistWithCovarianceStampedMsg; emittedAt: number }[];
  headings: { msg: QuaternionStampedMsg; emittedAt: number }[];
}

/**
 * Pushes sentences into a decoder; sentence i gets receive time {sec: i, nanosec: 0}, so a
 * message's receive stamp names the sentence it was decoded from.
 */
export function decode(sentences: readonly string[], options: Partial<NmeaDecoderOptions> = {}): Run {
  let at = -1;
  let pendingFix: NavSatFixMsg | undefined;
  const run: Run = { decoder: undefined as unknown as NmeaDecoder, fixes: [], statuses: [], velocities: [], headings: [] };
  run.decoder = new NmeaDecoder(
    { frameId: 'gnss', stamp: 'receive', ...options },
    {
      fix: (m) => {
        pendingFix = m;
      },
      status: (m) => {
        run.statuses.push({ msg: m, emittedAt: at });
        if (pendingFix) run.fixes.push({ msg: pendingFix, status: m, emittedAt: at });
        pendingFix = undefined;
      },
      velocity: (m) => run.velocities.push({ msg: m, emittedAt: at }),
      heading: (m) => run.headings.push({ msg: m, emittedAt: at }),
    },
  );
  sentences.forEach((s, i) => {
    at = i;
    run.decoder.push(s, { sec: i, nanosec: 0 });
  });
  at = sentences.length;
  run.decoder.flush();
  return run;
}

/** ISO 8601 of a {sec, nanosec} UTC time, millisecond precision like gpsd. */
export function iso(t: { sec: number; nanosec: number }): string {
  return new Date(t.sec * 1000 + Math.round(t.nanosec / 1e6)).toISOString();
}

/** Heading (degrees clockwise from north) back from an ENU yaw quaternion about z. */
export function headingOf(q: { z: number; w: number }): number {
  const yawDeg = (2 * Math.atan2(q.z, q.w) * 180) / Math.PI;
  return (((90 - yawDeg) % 360) + 360) % 360;
}

export { prng } from '../helpers/prng.js';

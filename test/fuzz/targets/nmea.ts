// NMEA framer + decoder (nodes/rtk_serial). Inputs: windows of the real receiver logs
// (test/fixtures/gnss) with field-level edits (digits, signs, huge numbers, empty fields, extra
// commas, swapped and repeated sentences; checksums made right again so the decoder sees them),
// streams of generated sentences of every type the decoder handles, byte edits on top of either,
// and random chunk boundaries.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NmeaDecoder, QUALITY_NAMES, type NmeaDecoderCounters, type NmeaSink } from '../../../nodes/rtk_serial/nmea_decoder.js';
import { NmeaFramer, type FramerCounters } from '../../../nodes/rtk_serial/nmea_framer.js';
import type { SatellitesInView } from '../../../nodes/rtk_serial/nmea_gsv.js';
import { codecFor } from '../../../nodes/runtime/codecs.js';
import { projectRoot } from '../../../nodes/runtime/msg_registry.js';
import type { Time } from '../../../nodes/runtime/ros.js';
import { applyEdits, byteEdit, type ByteEdit } from '../mutate.js';
import { invariant, sameData, show, type FuzzProbe, type FuzzTarget } from '../target.js';

// ---- inputs ----

const LOG_DIR = join(projectRoot(), 'test/fixtures/gnss');
const LOGS: string[][] = readdirSync(LOG_DIR)
  .filter((f) => f.endsWith('.log'))
  .sort()
  .map((f) => readFileSync(join(LOG_DIR, f), 'latin1').split(/\r?\n/).filter((l) => l.startsWith('$') || l.startsWith('!')));

/** "$GPGGA,..." without its checksum, or the line itself when it has none. */
function body(line: string): string {
  const star = line.lastIndexOf('*');
  return star > 0 && star === line.length - 3 ? line.slice(0, star) : line;
}

function checksum(b: string): string {
  let x = 0;
  for (let i = 1; i < b.length; i++) x ^= b.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

const DIGITS = fc.stringMatching(/^[0-9]{1,25}$/);
/** Field values meant to break number, time and coordinate parsing. */
const NASTY = fc.oneof(
  fc.constantFrom('', '-', '+', '.', '..', '-0', '+0', '-.5', '1e5', '1E-3', '0x1F', ' 1', '1 ', 'NaN', 'Infinity', '-Infinity', '4807.038.1', '12,34', ',,,', '*', '**', 'a*b', '$', '!',
    '99999999999999999999', '9'.repeat(400), '9'.repeat(309), `1${'0'.repeat(308)}.5`, `0.${'0'.repeat(330)}1`, `1.${'0'.repeat(30)}1`, '0'.repeat(40) + '1', '-999999', '65535', '65536', '4294967296', '3.4028235e38', '340282350000000000000000000000000000000', '3'.repeat(60),
    '235960', '240000', '236000', '000000.', '000000.1234567890123', '123519.00', '999999', '12351', '1235190', '4807.038', '01131.000', '9000.0001', '18000.0001', '8959.99999999999999999', '0000.0000', '00000.00000', '-4807.038',
    'N', 'S', 'E', 'W', 'n', 'X', 'A', 'V', 'D', 'T', 'M', 'K', 'R', 'F', 'P', 'E', '0', '1', '4', '9', '10', '255', '-1', '311299', '290200', '290201', '010138', '190138', '010180', '2038', '2106', '2199', '2200', '1969', '32', '13', '00'),
  DIGITS,
  DIGITS.map((d) => `${d}.${d}`),
  DIGITS.map((d) => `-${d}`),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
);

const num = (min: number, max: number, digits: number) => fc.double({ min, max, noNaN: true }).map((v) => v.toFixed(digits));
const int = (min: number, max: number) => fc.integer({ min, max }).map(String);
const two = (n: number) => String(n).padStart(2, '0');
const TIME = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 60 }), fc.constantFrom('', '.00', '.50', '.123', '.1234567891')).map(([h, m, s, f]) => `${two(h)}${two(m)}${two(s)}${f}`);
const LAT = fc.tuple(fc.integer({ min: 0, max: 90 }), fc.double({ min: 0, max: 59.99999, noNaN: true })).map(([d, m]) => `${two(d)}${m.toFixed(5).padStart(8, '0')}`);
const LON = fc.tuple(fc.integer({ min: 0, max: 180 }), fc.double({ min: 0, max: 59.99999, noNaN: true })).map(([d, m]) => `${String(d).padStart(3, '0')}${m.toFixed(5).padStart(8, '0')}`);
const DATE = fc.tuple(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 99 })).map(([d, m, y]) => `${two(d)}${two(m)}${two(y)}`);

/** A field: mostly plausible, sometimes nasty. */
function field(plausible: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 1, arbitrary: fc.constant('') }, { weight: 2, arbitrary: NASTY });
}

const TALKER = fc.constantFrom('GP', 'GN', 'GL', 'GA', 'GB', 'BD', 'GQ', 'GI', 'II', 'IN');
const HEMI_NS = fc.constantFrom('N', 'S');
const HEMI_EW = fc.constantFrom('E', 'W');
const prn = int(1, 437);

/** Fields (after the address) of each sentence type the decoder reads, and two it does not. */
const SENTENCES: Record<string, fc.Arbitrary<string[]>> = {
  GGA: fc.tuple(TIME, LAT, HEMI_NS, LON, HEMI_EW, int(0, 9), int(0, 40), num(0, 50, 2), num(-400, 9000, 1), fc.constant('M'), num(-100, 100, 1), fc.constant('M'), num(0, 99, 1), int(0, 4095)).map((x) => x as string[]),
  GNS: fc.tuple(TIME, LAT, HEMI_NS, LON, HEMI_EW, fc.stringMatching(/^[NADPRFEMS]{1,6}$/), int(0, 99), num(0, 50, 2), num(-400, 9000, 1), num(-100, 100, 1), num(0, 99, 1), int(0, 4095), fc.constantFrom('S', 'C', 'U', 'V')).map((x) => x as string[]),
  RMC: fc.tuple(TIME, fc.constantFrom('A', 'V', 'D'), LAT, HEMI_NS, LON, HEMI_EW, num(0, 300, 3), num(0, 359.9, 2), DATE, num(0, 20, 1), HEMI_EW, fc.constantFrom('A', 'D', 'N', 'E', 'F', 'R'), fc.constantFrom('V', 'S', 'C', 'U')).map((x) => x as string[]),
  VTG: fc.tuple(num(0, 359.9, 2), fc.constant('T'), num(0, 359.9, 2), fc.constant('M'), num(0, 300, 3), fc.constant('N'), num(0, 600, 3), fc.constant('K'), fc.constantFrom('A', 'D', 'N', 'E')).map((x) => x as string[]),
  GSA: fc.tuple(fc.constantFrom('A', 'M'), int(1, 3), fc.array(field(prn), { minLength: 12, maxLength: 12 }), num(0, 99, 2), num(0, 99, 2), num(0, 99, 2), fc.option(int(0, 7), { nil: undefined })).map(([m, f, p, a, b, c, s]) => [m, f, ...p, a, b, c, ...(s === undefined ? [] : [s])]),
  GST: fc.tuple(TIME, num(0, 99, 1), num(0, 99, 3), num(0, 99, 3), num(0, 359, 1), num(0, 99, 3), num(0, 99, 3), num(0, 99, 3)).map((x) => x as string[]),
  HDT: fc.tuple(num(0, 360, 3), fc.constant('T')).map((x) => x as string[]),
  THS: fc.tuple(num(0, 360, 2), fc.constantFrom('A', 'E', 'M', 'S', 'V')).map((x) => x as string[]),
  ZDA: fc.tuple(TIME, int(1, 31), int(1, 12), int(1970, 2199), int(-13, 13), int(0, 59)).map((x) => x as string[]),
  GLL: fc.tuple(LAT, HEMI_NS, LON, HEMI_EW, TIME, fc.constantFrom('A', 'V'), fc.constantFrom('A', 'D', 'N')).map((x) => x as string[]),
  GBS: fc.tuple(TIME, num(0, 9, 1), num(0, 9, 1), num(0, 9, 1), prn, num(0, 1, 3), num(-9, 9, 1), num(0, 9, 1)).map((x) => x as string[]),
  GRS: fc.tuple(TIME, int(0, 1), fc.array(num(-99, 99, 1), { minLength: 12, maxLength: 12 })).map(([t, m, r]) => [t, m, ...r]),
  GSV: fc.tuple(int(1, 9), int(1, 9), int(0, 99), fc.array(fc.tuple(prn, int(-90, 90), int(0, 359), int(0, 99)), { maxLength: 4 }), fc.option(fc.constantFrom('0', '1', '7', 'B', 'F', 'x'), { nil: undefined })).map(([n, k, t, sats, sig]) => [n, k, t, ...sats.flat(), ...(sig === undefined ? [] : [sig])]),
  TXT: fc.tuple(int(1, 9), int(1, 9), int(0, 99), fc.stringMatching(/^[ -)+-~]{0,40}$/)).map((x) => x as string[]),
};
const TYPES = Object.keys(SENTENCES);

/** A generated sentence body ("$GPGGA,..." without checksum); fields may be replaced by nasty ones. */
const GENERATED: fc.Arbitrary<string> = fc
  .tuple(TALKER, fc.constantFrom(...TYPES), fc.nat(), fc.array(fc.tuple(fc.nat(), NASTY), { maxLength: 3 }))
  .chain(([talker, type, , nasty]) => SENTENCES[type].map((fields) => ({ talker, type, fields, nasty })))
  .map(({ talker, type, fields, nasty }) => {
    const f = [...fields];
    for (const [at, v] of nasty) if (f.length) f[at % f.length] = v;
    return `$${talker}${type},${f.join(',')}`;
  });

const PROPRIETARY = fc.constantFrom('$PUBX,00,003956.00,4552.65403,S,17030.00668,E,14.2,G3,1.2,2.0,0.04,0.0,0.0,,0.64,1.05,0.8,12,0,0', '$PSRF150,1', '!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0', '$GP', '$GPGGA', '$', '$GPGGA*', '$GPXYZ,1,2', '$PG', '$GPGG');

type SentenceEdit =
  | { op: 'field'; line: number; field: number; value: string }
  | { op: 'dropField'; line: number; field: number }
  | { op: 'extraComma'; line: number; field: number }
  | { op: 'repeat'; line: number }
  | { op: 'swap'; line: number; other: number }
  | { op: 'insert'; line: number; sentence: string }
  | { op: 'wrongChecksum'; line: number };

const SENTENCE_EDIT: fc.Arbitrary<SentenceEdit> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('field' as const), line: fc.nat(), field: fc.nat(), value: fc.oneof(NASTY, TIME, LAT, LON, DATE) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropField' as const), line: fc.nat(), field: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('extraComma' as const), line: fc.nat(), field: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), line: fc.nat(), other: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), line: fc.nat(), sentence: fc.oneof(GENERATED, PROPRIETARY) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrongChecksum' as const), line: fc.nat() }) },
);

function applySentenceEdits(lines: string[], edits: readonly SentenceEdit[]): { text: string; bad: Set<number> }[] {
  const out = lines.map((l) => ({ text: body(l), bad: false }));
  for (const e of edits) {
    const n = out.length;
    if (e.op === 'insert') {
      out.splice(e.line % (n + 1), 0, { text: e.sentence, bad: false });
      continue;
    }
    if (!n) continue;
    const s = out[e.line % n];
    const fields = s.text.split(',');
    switch (e.op) {
      case 'field':
        fields[1 + (e.field % Math.max(1, fields.length - 1))] = e.value;
        s.text = fields.join(',');
        break;
      case 'dropField':
        if (fields.length > 1) fields.splice(1 + (e.field % (fields.length - 1)), 1);
        s.text = fields.join(',');
        break;
      case 'extraComma':
        fields.splice(1 + (e.field % fields.length), 0, '');
        s.text = fields.join(',');
        break;
      case 'repeat':
        out.splice(e.line % n, 0, { ...s });
        break;
      case 'swap': {
        const j = e.other % n;
        const i = e.line % n;
        [out[i], out[j]] = [out[j], out[i]];
        break;
      }
      case 'wrongChecksum':
        s.bad = true;
        break;
    }
  }
  return out.map((s) => ({ text: s.text, bad: new Set(s.bad ? [1] : []) }));
}

export interface NmeaInput {
  /** The bytes fed to the framer. */
  bytes: Uint8Array;
  /** Chunk boundaries (sorted byte offsets) for the chunked feed. */
  cuts: number[];
  maxLength: number;
  acceptMissingChecksum: boolean;
}

const EOL = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r', '', '\n\r');

function render(sentences: { text: string; bad: Set<number> }[], eols: string[]): string {
  return sentences.map((s, i) => `${s.text}${s.text.startsWith('$') || s.text.startsWith('!') ? `*${s.bad.size ? 'ZZ' : checksum(s.text)}` : ''}${eols.length ? eols[i % eols.length] : '\r\n'}`).join('');
}

const fromLog = fc
  .record({ log: fc.nat({ max: LOGS.length - 1 }), start: fc.nat(), count: fc.integer({ min: 1, max: 200 }), edits: fc.array(SENTENCE_EDIT, { maxLength: 12 }), eols: fc.array(EOL, { maxLength: 3 }) })
  .map(({ log, start, count, edits, eols }) => {
    const lines = LOGS[log];
    const from = start % lines.length;
    return render(applySentenceEdits(lines.slice(from, from + count), edits), eols);
  });

const generated = fc
  .record({ sentences: fc.array(fc.oneof({ weight: 10, arbitrary: GENERATED }, { weight: 1, arbitrary: PROPRIETARY }), { minLength: 1, maxLength: 60 }), bad: fc.array(fc.nat(), { maxLength: 2 }), eols: fc.array(EOL, { maxLength: 3 }) })
  .map(({ sentences, bad, eols }) => render(sentences.map((text, i) => ({ text, bad: new Set(bad.some((b) => b % sentences.length === i) ? [1] : []) })), eols));

export const nmeaInput: fc.Arbitrary<NmeaInput> = fc
  .record({
    text: fc.oneof(fromLog, generated),
    edits: fc.oneof({ weight: 3, arbitrary: fc.constant([] as ByteEdit[]) }, { weight: 1, arbitrary: fc.array(byteEdit(16), { maxLength: 6 }) }),
    cuts: fc.array(fc.nat(), { maxLength: 40 }),
    maxLength: fc.constantFrom(256, 256, 82, 8, 12, 300, 4096, 4096),
    acceptMissingChecksum: fc.boolean(),
  })
  .map(({ text, edits, cuts, maxLength, acceptMissingChecksum }) => {
    const bytes = applyEdits(Buffer.from(text, 'latin1'), edits);
    return { bytes, cuts: [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), maxLength, acceptMissingChecksum };
  });

// ---- the reference framer: the framer's documented rules, written plainly ----

interface ModelResult {
  sentences: { text: string; start: number }[];
  counters: FramerCounters;
}

export function modelFramer(bytes: Uint8Array, maxLength: number, acceptMissing: boolean): ModelResult {
  const max = Math.max(8, Math.floor(maxLength));
  const counters: FramerCounters = { sentences: 0, badChecksum: 0, missingChecksum: 0, garbageBytes: 0, overlong: 0 };
  const sentences: { text: string; start: number }[] = [];
  let state: 'hunt' | 'body' | 'skip' = 'hunt';
  let cur: number[] = [];
  let start = 0;
  const isStart = (b: number) => b === 0x24 || b === 0x21;
  const isEol = (b: number) => b === 0x0a || b === 0x0d;
  const finish = () => {
    const text = String.fromCharCode(...cur);
    const star = text.lastIndexOf('*');
    if (star < 0) {
      counters.missingChecksum++;
      if (acceptMissing && text.length > 1) {
        counters.sentences++;
        sentences.push({ text, start });
      }
      return;
    }
    if (star !== text.length - 3 || !/^[0-9A-Fa-f]{2}$/.test(text.slice(star + 1))) {
      counters.badChecksum++;
      return;
    }
    let x = 0;
    for (let i = 1; i < star; i++) x ^= text.charCodeAt(i);
    if (x !== parseInt(text.slice(star + 1), 16)) {
      counters.badChecksum++;
      return;
    }
    counters.sentences++;
    sentences.push({ text, start });
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (state === 'body') {
      if (b >= 0x20 && b <= 0x7e && !isStart(b)) {
        if (cur.length === max) {
          counters.overlong++;
          state = 'skip';
        } else cur.push(b);
      } else if (isEol(b)) {
        finish();
        state = 'hunt';
      } else if (isStart(b)) {
        counters.garbageBytes += cur.length;
        cur = [b];
        start = i;
      } else {
        counters.garbageBytes += cur.length + 1;
        state = 'hunt';
      }
    } else if (isStart(b)) {
      cur = [b];
      start = i;
      state = 'body';
    } else if (isEol(b)) {
      if (state === 'skip') state = 'hunt';
    } else if (state === 'hunt') counters.garbageBytes++;
  }
  return { sentences, counters };
}

// ---- the decoder's outputs ----

const FIX = codecFor('sensor_msgs/msg/NavSatFix');
const TWIST = codecFor('geometry_msgs/msg/TwistWithCovarianceStamped');
const QUAT = codecFor('geometry_msgs/msg/QuaternionStamped');
const STATUS = codecFor('vil/msg/GnssStatus');
const SENTENCE = codecFor('nmea_msgs/msg/Sentence');

type Published = { kind: 'fix' | 'velocity' | 'heading' | 'status' | 'satellites'; msg: unknown };

function cdrValid(codec: ReturnType<typeof codecFor>, msg: unknown, what: string): void {
  try {
    codec.encode(msg);
  } catch (e) {
    invariant(false, `${what} fails the CDR codec's validation (${codec.type}): ${(e as Error).message}\n  message: ${show(msg)}`);
  }
}

function stampOk(t: Time, what: string): void {
  invariant(Number.isInteger(t.nanosec) && t.nanosec >= 0 && t.nanosec < 1e9, `${what}: header.stamp.nanosec ${t.nanosec} is not 0..999999999`);
}

function finiteNonNegativeDiagonal(cov: ArrayLike<number>, n: number, what: string): void {
  for (let i = 0; i < cov.length; i++) invariant(Number.isFinite(cov[i]), () => `${what}: covariance[${i}] is ${cov[i]}`);
  for (let i = 0; i < n; i++) invariant(cov[i * (n + 1)] >= 0, () => `${what}: covariance[${i * (n + 1)}] (a variance) is ${cov[i * (n + 1)]}`);
}

/** Checks one published message against its ROS type (through the CDR codec) and its meaning. */
function checkPublished(p: Published): void {
  const m = p.msg as any;
  switch (p.kind) {
    case 'fix': {
      cdrValid(FIX, m, 'NavSatFix');
      stampOk(m.header.stamp, 'NavSatFix');
      invariant(m.latitude >= -90 && m.latitude <= 90, `NavSatFix latitude ${m.latitude} outside -90..90`);
      invariant(m.longitude >= -180 && m.longitude <= 180, `NavSatFix longitude ${m.longitude} outside -180..180`);
      invariant(!Number.isFinite(m.altitude) ? Number.isNaN(m.altitude) : true, `NavSatFix altitude ${m.altitude} is infinite`);
      finiteNonNegativeDiagonal(m.position_covariance, 3, 'NavSatFix');
      invariant([0, 1, 2, 3].includes(m.position_covariance_type), `NavSatFix covariance type ${m.position_covariance_type}`);
      if (m.position_covariance_type === 0) invariant(m.position_covariance.every((x: number) => x === 0), 'NavSatFix: covariance UNKNOWN but not all zeros');
      invariant([-1, 0, 1, 2].includes(m.status.status), `NavSatFix status ${m.status.status}`);
      break;
    }
    case 'velocity': {
      cdrValid(TWIST, m, 'TwistWithCovarianceStamped');
      stampOk(m.header.stamp, 'velocity');
      const l = m.twist.twist.linear;
      invariant(Number.isFinite(l.x) && Number.isFinite(l.y) && l.z === 0, `velocity linear ${show(l)} not finite`);
      finiteNonNegativeDiagonal(m.twist.covariance, 6, 'velocity');
      break;
    }
    case 'heading': {
      cdrValid(QUAT, m, 'QuaternionStamped');
      stampOk(m.header.stamp, 'heading');
      const q = m.quaternion;
      const norm = Math.hypot(q.x, q.y, q.z, q.w);
      invariant(Math.abs(norm - 1) < 1e-9, `heading quaternion ${show(q)} has norm ${norm}`);
      break;
    }
    case 'status': {
      cdrValid(STATUS, m, 'GnssStatus');
      stampOk(m.header.stamp, 'GnssStatus');
      invariant(Number.isInteger(m.quality) && m.quality >= 0 && m.quality <= 9, `GnssStatus quality ${m.quality}`);
      invariant(m.quality_name === QUALITY_NAMES[m.quality], `GnssStatus quality_name ${m.quality_name} for quality ${m.quality}`);
      for (const k of ['hdop', 'vdop', 'pdop', 'age_of_corrections']) invariant(!(m[k] === Infinity || m[k] === -Infinity), `GnssStatus ${k} is ${m[k]}`);
      if (m.gnss_time_valid) stampOk(m.gnss_time, 'GnssStatus.gnss_time');
      break;
    }
    case 'satellites': {
      const v = m as SatellitesInView;
      invariant(v.count >= 0 && v.count <= v.prn.length, `GSV count ${v.count} with arrays of ${v.prn.length}`);
      invariant(Number.isInteger(v.announced) && v.announced >= 0, `GSV announced ${v.announced}`);
      invariant(Number.isInteger(v.signalId) && v.signalId >= -1 && v.signalId <= 15, `GSV signal id ${v.signalId}`);
      for (let i = 0; i < v.count; i++) {
        invariant(Number.isInteger(v.prn[i]) && v.prn[i] >= 0, `GSV prn ${v.prn[i]}`);
        invariant(Number.isNaN(v.elevation[i]) || (v.elevation[i] >= -90 && v.elevation[i] <= 90), `GSV elevation ${v.elevation[i]}`);
        invariant(Number.isNaN(v.azimuth[i]) || (v.azimuth[i] >= 0 && v.azimuth[i] <= 360), `GSV azimuth ${v.azimuth[i]}`);
        invariant(Number.isNaN(v.snr[i]) || (v.snr[i] >= 0 && v.snr[i] <= 99), `GSV snr ${v.snr[i]}`);
      }
      break;
    }
  }
}

function copySatellites(v: SatellitesInView): SatellitesInView {
  return { ...v, prn: v.prn.slice(0, v.count), elevation: v.elevation.slice(0, v.count), azimuth: v.azimuth.slice(0, v.count), snr: v.snr.slice(0, v.count) };
}

const HANDLED = new Set(['GGA', 'GNS', 'RMC', 'VTG', 'GSA', 'GST', 'HDT', 'THS', 'ZDA', 'GLL', 'GSV', 'GBS', 'GRS']);

/** Runs the decoder on sentences; checks every message as it comes out and the counters at the end. */
function decodeAll(sentences: readonly string[], stamp: 'receive' | 'gnss'): Published[] {
  const out: Published[] = [];
  const calls = { fix: 0, velocity: 0, heading: 0, status: 0, satellites: 0 };
  const sink: NmeaSink = {
    fix: (m) => (calls.fix++, out.push({ kind: 'fix', msg: structuredClone(m) })),
    velocity: (m) => (calls.velocity++, out.push({ kind: 'velocity', msg: structuredClone(m) })),
    heading: (m) => (calls.heading++, out.push({ kind: 'heading', msg: structuredClone(m) })),
    status: (m) => (calls.status++, out.push({ kind: 'status', msg: structuredClone(m) })),
    satellites: (v) => (calls.satellites++, out.push({ kind: 'satellites', msg: copySatellites(v) })),
  };
  const d = new NmeaDecoder({ frameId: 'gnss', stamp }, sink);
  const receive: Time = { sec: 1_700_000_000, nanosec: 5 };
  let handled = 0;
  for (const s of sentences) {
    const key = s.slice(3, 6);
    if (s[0] === '$' && s[1] !== 'P' && (s[6] === ',' || s[6] === '*') && HANDLED.has(key)) handled++;
    d.push(s, receive);
  }
  d.flush();
  for (const p of out) checkPublished(p);
  const c: NmeaDecoderCounters = d.counters;
  invariant(c.decoded === sentences.length, `decoded ${c.decoded} for ${sentences.length} sentences pushed`);
  invariant(c.fixes === calls.fix && c.velocities === calls.velocity && c.headings === calls.heading && c.statuses === calls.status && c.satelliteGroups === calls.satellites,
    () => `counters ${show(c)} do not match the messages published ${show(calls)}`);
  invariant(c.decoded === c.proprietary + c.unsupported + handled, () => `decoded ${c.decoded} != proprietary ${c.proprietary} + unsupported ${c.unsupported} + handled ${handled}`);
  invariant(c.fixes <= c.statuses, `${c.fixes} fixes but ${c.statuses} statuses (every fix comes with its epoch's status)`);
  for (const [k, v] of Object.entries(c)) invariant(Number.isInteger(v) && v >= 0, `counter ${k} is ${v}`);
  return out;
}

export function checkNmea(input: NmeaInput): void {
  const { bytes, cuts, maxLength, acceptMissingChecksum } = input;
  const opts = { maxLength, acceptMissingChecksum };
  const model = modelFramer(bytes, maxLength, acceptMissingChecksum);

  // Whole feed: equals the model.
  const whole: { text: string; time: Time }[] = [];
  const fw = new NmeaFramer((s, t) => whole.push({ text: s, time: t }), opts);
  fw.push(bytes, { sec: 7, nanosec: 0 });
  invariant(sameData(fw.counters, model.counters), () => `framer counters ${show(fw.counters)} != the rules' ${show(model.counters)}`);
  invariant(whole.length === model.sentences.length && whole.every((w, i) => w.text === model.sentences[i].text),
    () => `framer sentences differ from the rules': ${show(whole.map((w) => w.text).slice(0, 5))} vs ${show(model.sentences.map((s) => s.text).slice(0, 5))}`);

  // Chunked feed: the same sentences and counters; each stamped with the time of the chunk that held its first byte.
  const chunked: { text: string; time: Time }[] = [];
  const fc2 = new NmeaFramer((s, t) => chunked.push({ text: s, time: t }), opts);
  const bounds = [0, ...cuts, bytes.length];
  for (let k = 0; k + 1 < bounds.length; k++) fc2.push(bytes.subarray(bounds[k], bounds[k + 1]), { sec: k, nanosec: 0 });
  invariant(sameData(fc2.counters, fw.counters), () => `chunked counters ${show(fc2.counters)} != whole ${show(fw.counters)} (cuts ${show(cuts)})`);
  invariant(chunked.length === whole.length && chunked.every((c, i) => c.text === whole[i].text), () => `chunked sentences differ from the whole feed's (cuts ${show(cuts)})`);
  for (let i = 0; i < chunked.length; i++) {
    const start = model.sentences[i].start;
    let k = 0;
    while (k + 2 < bounds.length && bounds[k + 1] <= start) k++;
    invariant(chunked[i].time.sec === k, () => `sentence ${i} starts at byte ${start} (chunk ${k}) but is stamped with chunk ${chunked[i].time.sec}`);
  }
  for (const s of whole) {
    invariant(s.text.length <= Math.max(8, maxLength), `sentence of ${s.text.length} characters beyond maxLength ${maxLength}`);
    cdrValid(SENTENCE, { header: { stamp: s.time, frame_id: 'gnss' }, sentence: s.text }, 'nmea_msgs/Sentence');
  }

  // Decoder: every message valid, counters add up; the same messages from the chunked feed.
  const texts = whole.map((w) => w.text);
  for (const mode of ['receive', 'gnss'] as const) {
    const a = decodeAll(texts, mode);
    const b = decodeAll(chunked.map((c) => c.text), mode);
    invariant(sameData(a, b), `${mode}: the chunked feed decodes to other messages than the whole feed`);
  }
}

export const nmeaTarget: FuzzTarget = {
  name: 'nmea',
  checks: [
    'framer (whole feed) = a plain model of its documented rules: same sentences, same counters (sentences, bad/missing checksums, garbage bytes, overlong lines)',
    'chunked feed (random chunk boundaries) = whole feed: same sentences and counters; each sentence stamped with the receive time of the chunk holding its first byte',
    'every sentence fits maxLength and is a valid nmea_msgs/Sentence',
    'every NavSatFix, TwistWithCovarianceStamped, QuaternionStamped, GnssStatus passes the CDR codec (nodes/cdr) for its ROS type, in receive and gnss stamp modes',
    'meaning: latitude/longitude in range, finite velocity and covariances with non-negative variances, unit quaternions, stamp nanosec < 1e9, quality 0..9 with its name, GSV values in range',
    'decoder counters add up: decoded = pushed = proprietary + unsupported + handled types; fixes/velocities/headings/statuses/satellite groups = messages published; fixes <= statuses',
    'the decoder output of the chunked feed equals that of the whole feed; no exception escapes',
  ],
  property: (probe: FuzzProbe) =>
    fc.property(nmeaInput, (input) => {
      probe.begin(input.bytes);
      checkNmea(input);
      return true;
    }),
  replay(_name, bytes) {
    // Stored inputs: the bytes; replayed whole, byte by byte, in halves and with seeded random cuts.
    const cutSets: number[][] = [[], Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1), [bytes.length >> 1]];
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    cutSets.push([...new Set(Array.from({ length: 16 }, () => Math.floor(rnd() * (bytes.length + 1))))].sort((a, b) => a - b));
    for (const cuts of cutSets) for (const maxLength of [256, 4096, 82]) for (const accept of [false, true]) checkNmea({ bytes, cuts, maxLength, acceptMissingChecksum: accept });
  },
  corpusFile: (input) => ({ ext: '.nmea', bytes: (input as NmeaInput).bytes }),
  describe: (input) => {
    const i = input as NmeaInput;
    return `maxLength ${i.maxLength}, acceptMissingChecksum ${i.acceptMissingChecksum}, cuts ${show(i.cuts)}, bytes (latin1):\n${JSON.stringify(Buffer.from(i.bytes).toString('latin1'))}`;
  },
};

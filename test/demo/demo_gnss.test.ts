// The demo's receiver line, derived from the real drive (nodes/cli/demo_gnss.ts), judged by:
//   - cantools's decode of the recording (test/demo/reference.ts): the NMEA is built here from
//     cantools's values, not vil's, and every field that carries the drive is parsed back by this
//     test's own arithmetic and compared with them;
//   - the real u-blox log it is framed as: sentence set, order, talkers, field counts, and the
//     sentences that carry nothing of the drive byte for byte;
//   - the NMEA checksum computed here;
//   - rtk_serial's NMEA decoder on the derived bytes: its NavSatFix per epoch = cantools's values;
//   - and the demo's own inputs (vil's MF4 reader + DBC codec, demo_inputs.ts) = cantools's epochs.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gnssEpochsOf, logEpochs, nmeaAngle, nmeaOfDrive, type GnssEpoch } from '../../nodes/cli/demo_gnss.js';
import { DEMO_START_S, prepareDemoDrive } from '../../nodes/cli/demo_inputs.js';
import { NmeaDecoder } from '../../nodes/rtk_serial/nmea_decoder.js';
import type { NavSatFixMsg } from '../../nodes/runtime/msg_types.js';
import { cantoolsRows, ggaQualityOfFixType, ROOT } from './reference.js';

const rows = cantoolsRows();
const gnssRows = rows.filter((r) => r.channel === 2);
const epochs = gnssEpochsOf(gnssRows.map((r) => ({ ns: BigInt(r.us) * 1000n, message: r.message, values: r.values })));
const templates = logEpochs(readFileSync(join(ROOT, 'config/demo/ublox-zed-f9p-nmea.log'), 'latin1'));
const nmea = nmeaOfDrive(templates, epochs);
const sentences = (epoch: string) => epoch.split('\r\n').slice(0, -1);

/** The test's own reading of NMEA latitude/longitude fields. */
function angle(v: string, hemi: string, degDigits: number): number {
  const deg = Number(v.slice(0, degDigits)) + Number(v.slice(degDigits)) / 60;
  return hemi === 'S' || hemi === 'W' ? -deg : deg;
}

function checksum(body: string): string {
  let x = 0;
  for (const c of body) x ^= c.charCodeAt(0);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

const fieldsOf = (epoch: string, type: string) => sentences(epoch).find((s) => s.slice(3, 6) === type)!.split('*')[0].split(',');

describe('the demo\'s GNSS epochs from the drive (cantools\'s decode in, NMEA out)', () => {
  it('one epoch per gnss_pos frame of the recording, each with the module\'s burst around it', () => {
    expect(gnssRows.filter((r) => r.message === 'gnss_pos')).toHaveLength(168);
    expect(epochs).toHaveLength(168);
    for (const e of epochs) {
      expect(e.timeValid && e.positionValid && e.altitudeValid).toBe(true);
      // The burst: status first, position within 5 ms.
      expect(Number(e.posNs - e.firstNs)).toBeLessThan(5e6);
    }
  });

  it('every sentence is framed as the real u-blox epoch it copies: same types, talkers, order, field count; valid checksums, CR LF', () => {
    expect(templates).toHaveLength(29);
    for (let k = 0; k < nmea.length; k++) {
      const t = templates[k % templates.length];
      const got = sentences(nmea[k]);
      expect(nmea[k].endsWith('\r\n')).toBe(true);
      expect(got.map((s) => s.slice(0, 6))).toEqual(t.map((s) => s.slice(0, 6)));
      for (let i = 0; i < got.length; i++) {
        const [body, sum] = got[i].slice(1).split('*');
        expect(sum, got[i]).toBe(checksum(body));
        expect(body.split(',').length, got[i]).toBe(t[i].split('*')[0].split(',').length);
        // What carries nothing of the drive is the real receiver's own sentence, unchanged.
        if (['GSA', 'GSV'].includes(got[i].slice(3, 6))) expect(got[i]).toBe(t[i]);
      }
    }
  });

  it('the fields carry the drive exactly to their precision: position, altitude, quality, satellites, time, date, speed, course, accuracy', () => {
    const statusOf = (e: GnssEpoch) => gnssRows.find((r) => r.message === 'gnss_status' && BigInt(r.us) * 1000n === e.firstNs)!;
    for (let k = 0; k < epochs.length; k++) {
      const e = epochs[k];
      const gga = fieldsOf(nmea[k], 'GGA');
      const rmc = fieldsOf(nmea[k], 'RMC');
      const vtg = fieldsOf(nmea[k], 'VTG');
      const gst = fieldsOf(nmea[k], 'GST');
      const zda = fieldsOf(nmea[k], 'ZDA');
      const gll = fieldsOf(nmea[k], 'GLL');
      // 1e-6° is 6e-5 minutes: exact in ddmm.mmmmm, so the difference is float rounding only.
      for (const [lat, ns, lon, ew] of [gga.slice(2, 6), rmc.slice(3, 7), gll.slice(1, 5)]) {
        expect(Math.abs(angle(lat, ns, 2) - e.latitude)).toBeLessThan(1e-12);
        expect(Math.abs(angle(lon, ew, 3) - e.longitude)).toBeLessThan(1e-12);
      }
      expect(Number(gga[9])).toBeCloseTo(e.altitude, 9);
      expect(gga[11]).toBe('0.0');
      const st = statusOf(e);
      expect(Number(gga[6])).toBe(ggaQualityOfFixType(st.values.FixType, e.positionValid));
      expect(Number(gga[7])).toBe(st.values.Satellites);
      // UTC at the sentence's 0.01 s.
      const cs = Math.round(e.utc * 100);
      const d = new Date(Math.floor(cs / 100) * 1000);
      const hms = d.toISOString().slice(11, 19).replace(/:/g, '') + `.${String(cs % 100).padStart(2, '0')}`;
      for (const t of [gga[1], rmc[1], gst[1], zda[1], gll[5]]) expect(t).toBe(hms);
      expect(rmc[9]).toBe(`${d.toISOString().slice(8, 10)}${d.toISOString().slice(5, 7)}${d.toISOString().slice(2, 4)}`);
      expect(zda.slice(2, 5)).toEqual([d.toISOString().slice(8, 10), d.toISOString().slice(5, 7), d.toISOString().slice(0, 4)]);
      // Speed in knots and km/h to the sentence's 0.001; course = the module's heading. A speed the
      // module marked invalid (the first epochs, standing) is left empty, and so is the course.
      if (e.speedValid) {
        expect(Math.abs(Number(rmc[7]) - (e.speed * 3600) / 1852)).toBeLessThanOrEqual(0.0005 + 1e-12);
        expect(Math.abs(Number(vtg[7]) - e.speed * 3.6)).toBeLessThanOrEqual(0.0005 + 1e-12);
        expect(Number(rmc[8])).toBeCloseTo(e.heading, 9);
      } else expect([rmc[7], rmc[8], vtg[5], vtg[7]]).toEqual(['', '', '', '']);
      expect(vtg[1]).toBe(rmc[8]);
      expect(Number(gst[6])).toBe(e.positionAccuracy);
      expect(Number(gst[8])).toBe(e.altitudeAccuracy);
      // Valid; mode A (autonomous GNSS fix) for quality 1, E (estimated: dead reckoning) for 6.
      const mode = Number(gga[6]) === 6 ? 'E' : 'A';
      expect([rmc[2], gll[6], rmc[12], gll[7], vtg[9]]).toEqual(['A', 'A', mode, mode, mode]);
    }
  });

  it('rtk_serial\'s decoder on the derived bytes gives, per epoch, the drive\'s position, altitude and status as cantools decoded them', () => {
    const fixes: NavSatFixMsg[] = [];
    const decoder = new NmeaDecoder({ frameId: 'gnss', stamp: 'receive' }, { fix: (m) => fixes.push(structuredClone(m)), velocity: () => undefined, heading: () => undefined, status: () => undefined });
    for (const e of nmea) for (const s of sentences(e)) decoder.push(s, { sec: 0, nanosec: 0 });
    decoder.flush();
    expect(fixes).toHaveLength(epochs.length);
    const pos = gnssRows.filter((r) => r.message === 'gnss_pos');
    const alt = gnssRows.filter((r) => r.message === 'gnss_altitude');
    for (let k = 0; k < fixes.length; k++) {
      expect(Math.abs(fixes[k].latitude - pos[k].values.Latitude)).toBeLessThan(1e-12);
      expect(Math.abs(fixes[k].longitude - pos[k].values.Longitude)).toBeLessThan(1e-12);
      expect(fixes[k].altitude).toBeCloseTo(alt[k].values.Altitude, 9);
      expect(fixes[k].status.status).toBe(0); // STATUS_FIX: GGA quality 1 (FixType 4) and 6 (FixType 1)
    }
  });

  it('the demo\'s inputs (vil\'s MF4 reader and DBC codec) hold the same epochs as cantools\'s decode, from DEMO_START_S on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-demo-gnss-'));
    try {
      const drive = await prepareDemoDrive({ root: ROOT, outDir: dir });
      const first = rows[0].us; // the recording's first frame is a GNSS frame
      const want = epochs.filter((e) => Number(e.firstNs / 1000n) - first >= DEMO_START_S * 1e6);
      expect(drive.epochs).toHaveLength(want.length);
      expect(drive.epochs.length).toBe(77);
      for (let k = 0; k < want.length; k++) {
        const a = drive.epochs[k];
        const b = want[k];
        // The reference's times are µs; the recording's are ns.
        expect(a.posNs / 1000n).toBe(b.posNs / 1000n);
        for (const key of ['fixType', 'satellites', 'utc', 'latitude', 'longitude', 'altitude', 'heading', 'speed', 'positionAccuracy', 'altitudeAccuracy'] as const) {
          expect(Math.abs(a[key] - b[key]), `epoch ${k} ${key}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b[key])));
        }
      }
      // And the same NMEA bytes.
      expect(drive.nmea).toEqual(nmeaOfDrive(templates, want));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NMEA angles', () => {
  it('never print 60 minutes: a value that rounds up carries into the degrees', () => {
    expect(nmeaAngle(56 + 59.999999 / 60, 2, 5, ['N', 'S'])).toEqual(['5700.00000', 'N']);
    expect(nmeaAngle(-(10 + 0.5 / 60), 3, 5, ['E', 'W'])).toEqual(['01000.50000', 'W']);
    expect(nmeaAngle(NaN, 2, 5, ['N', 'S'])).toEqual(['', '']);
  });
});

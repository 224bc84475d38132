// GSV (satellites in view) against gpsd 3.20's SKY reports of the same real receiver logs, the
// receivers' own satellite counts, and broken groups.
import { describe, expect, it } from 'vitest';
import { NmeaDecoder, type SatellitesInView } from '../../nodes/rtk_serial/nmea_decoder.js';
import { logSentences, readChk, typeOf, withChecksum, type LogName } from './nmea_helpers.js';

interface Group {
  talker: string;
  signalId: number;
  announced: number;
  sats: { prn: number; el: number; az: number; snr: number }[];
}

function run(sentences: readonly string[]): { groups: Group[]; decoder: NmeaDecoder } {
  const groups: Group[] = [];
  const decoder = new NmeaDecoder(
    { frameId: 'gnss', stamp: 'receive' },
    {
      fix: () => {},
      status: () => {},
      velocity: () => {},
      heading: () => {},
      satellites: (v: SatellitesInView) => {
        const sats = [];
        for (let i = 0; i < v.count; i++) sats.push({ prn: v.prn[i], el: v.elevation[i], az: v.azimuth[i], snr: v.snr[i] });
        groups.push({ talker: String.fromCharCode(v.talker >> 8, v.talker & 0xff), signalId: v.signalId, announced: v.announced, sats });
      },
    },
  );
  for (const s of sentences) decoder.push(s, { sec: 0, nanosec: 0 });
  return { groups, decoder };
}

/**
 * gpsd's (gnssid, svid) for an NMEA satellite id under a talker (gpsd 3.20, driver_nmea0183.c).
 * gpsd numbers every id 33..64 as SBAS (120..151) whatever the talker: the ZED-F9P's $GAGSV lists
 * Galileo E33 (NMEA 4.10 numbers Galileo 1..36), which gpsd reports as SBAS 120. Mimicked here.
 */
function gpsdId(talker: string, prn: number): [number, number] {
  if (prn >= 33 && prn <= 64) return [1, prn + 87];
  if (talker === 'GL') return [6, prn >= 65 ? prn - 64 : prn];
  if (talker === 'GA') return [2, prn];
  if (talker === 'GB' || talker === 'BD') return [3, prn];
  if (prn >= 65 && prn <= 96) return [6, prn - 64];
  return [0, prn];
}

describe('GSV: satellites in view', () => {
  for (const name of ['ublox-zed-f9p-nmea', 'polarx2'] as LogName[]) {
    it(`${name}: every satellite gpsd lists in its SKY reports, with elevation, azimuth and SNR, and no other`, () => {
      const { groups, decoder } = run(logSentences(name));
      const gsv = logSentences(name).filter((s) => typeOf(s) === 'GSV');
      // Groups: as many as sentences numbered "1 of n".
      expect(groups.length).toBe(gsv.filter((s) => s.split(',')[2] === '1').length);
      expect(decoder.counters.satelliteGroups).toBe(groups.length);
      expect(decoder.counters.incompleteSatelliteGroups).toBe(0);
      expect(decoder.counters.malformed).toBe(0);
      expect(decoder.counters.unsupported).toBe(0);
      // Each group lists as many satellites as the receiver announced.
      for (const g of groups) expect(g.sats.length, `${g.talker} signal ${g.signalId}`).toBe(g.announced);

      const key = (gnss: [number, number], el: number, az: number, ss: number) => `${gnss[0]} ${gnss[1]} ${el} ${az} ${ss}`;
      const vil = new Set<string>();
      // gpsd prints an untracked satellite's SNR as 0.
      for (const g of groups) for (const s of g.sats) vil.add(key(gpsdId(g.talker, s.prn), s.el, s.az, Number.isNaN(s.snr) ? 0 : s.snr));
      const gpsd = new Set<string>();
      for (const e of readChk(name)) {
        for (const r of e.reports) {
          if (r.class !== 'SKY') continue;
          for (const s of r.satellites as { gnssid: number; svid: number; el: number; az: number; ss: number }[]) gpsd.add(key([s.gnssid, s.svid], s.el, s.az, s.ss));
        }
      }
      expect(gpsd.size).toBeGreaterThan(0);
      expect([...vil].filter((k) => !gpsd.has(k))).toEqual([]);
      expect([...gpsd].filter((k) => !vil.has(k))).toEqual([]);
    });
  }

  it('NMEA 4.10 signal ids are kept per group; a group without one has -1', () => {
    const { groups } = run(logSentences('ublox-zed-f9p-nmea').slice(0, 40));
    expect(groups.map((g) => `${g.talker}${g.signalId}`)).toEqual(['GP1', 'GP6', 'GL1', 'GL3', 'GA7', 'GA2', 'GB1', 'GB-1']);
    expect(groups[0].sats[0]).toEqual({ prn: 5, el: 6, az: 110, snr: 19 });
    expect(groups[0].sats[7].snr).toBeNaN(); // "24,07,045,," — not tracked
  });

  const GP = [
    withChecksum('$GPGSV,3,1,09,01,10,100,40,02,20,200,41,03,30,300,42,04,40,010,43'),
    withChecksum('$GPGSV,3,2,09,05,50,020,44,06,60,030,45,07,70,040,46,08,80,050,47'),
    withChecksum('$GPGSV,3,3,09,09,90,060,48'),
  ];

  it('a group with a missing, repeated or out-of-order sentence is dropped whole and counted once', () => {
    const cases: [string[], number][] = [
      [[GP[0], GP[2]], 1], // 2 of 3 missing
      [[GP[0], GP[1], GP[1], GP[2]], 1], // 2 repeated: the rest of the group is skipped, not counted again
      [[GP[1], GP[2]], 1], // 1 missing: the strays of one group count once
      [[GP[1], GP[0], GP[2]], 2], // a stray 2, then a group whose 2 is missing
    ];
    for (const [broken, dropped] of cases) {
      const r = run([...broken, ...GP]);
      expect(r.groups, broken.join(' ')).toHaveLength(1);
      expect(r.groups[0].sats.map((s) => s.prn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(r.decoder.counters.incompleteSatelliteGroups, broken.join(' ')).toBe(dropped);
    }
    // Another talker's sentence inside the group breaks it too.
    const r = run([GP[0], GP[1].replace('$GP', '$GL').replace(/\*..$/, ''), GP[2]].map((s) => (s.includes('*') ? s : withChecksum(s))));
    expect(r.groups).toHaveLength(0);
    expect(r.decoder.counters.incompleteSatelliteGroups).toBe(1);
  });

  it('values out of range are NaN and the sentence counts as malformed; empty values are NaN', () => {
    const r = run([withChecksum('$GPGSV,1,1,03,01,95,100,40,02,20,400,41,03,,,')]);
    expect(r.groups[0].sats).toEqual([
      { prn: 1, el: NaN, az: 100, snr: 40 },
      { prn: 2, el: 20, az: NaN, snr: 41 },
      { prn: 3, el: NaN, az: NaN, snr: NaN },
    ]);
    expect(r.decoder.counters.malformed).toBe(1);
  });

  it('a satellite id beyond any numbering (here 7,000,000,000) is malformed and its block skipped (found by npm run fuzz)', () => {
    // It was stored into the Int32Array as -1,589,934,592.
    const r = run([withChecksum('$GPGSV,1,1,03,7000000000,10,100,40,12345,20,200,41,03,30,300,42')]);
    expect(r.groups[0].sats).toEqual([{ prn: 3, el: 30, az: 300, snr: 42 }]);
    expect(r.decoder.counters.malformed).toBe(1);
  });

  it('more satellites than nine sentences of four hold: the group grows', () => {
    const sentences: string[] = [];
    for (let k = 1; k <= 12; k++) {
      const blocks = [0, 1, 2, 3].map((b) => `${(k - 1) * 4 + b + 1},45,180,30`).join(',');
      sentences.push(withChecksum(`$GPGSV,12,${k},48,${blocks}`));
    }
    const r = run(sentences);
    expect(r.groups).toHaveLength(1);
    expect(r.groups[0].sats.map((s) => s.prn)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
  });
});

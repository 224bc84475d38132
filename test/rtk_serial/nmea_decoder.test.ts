// NmeaDecoder behaviour beyond the gpsd comparison: the GST wait and its per-stream learning,
// quality → NavSatStatus mapping, UERE fallback, GNSS-time stamps and dates, constellations,
// heading/velocity variants, and robustness against malformed fields. Inputs are the real logs,
// or a real sentence with one field changed (checksum recomputed) where the logs lack a case;
// expected values come from the mapping tables, the formulas documented in
// nmea_decoder.ts, the sentences' own fields, or JavaScript's Date.UTC — never from a previous run.
import { describe, expect, it } from 'vitest';
import { GnssStatus, NavSatFixCovariance, NavSatStatus } from '../../nodes/runtime/msg_types.js';
import { collectOverrides, parseRosArgs, resolveParams } from '../../nodes/runtime/params.js';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { rtkDecoderParams, decoderOptionsFromParams } from '../../nodes/rtk_serial/params.js';
import { decode, fieldsOf, headingOf, iso, logSentences, prng, timeFieldOf, typeOf, withChecksum } from './nmea_helpers.js';

/** A real sentence with fields replaced (index → value), checksum recomputed. */
function edit(sentence: string, changes: Record<number, string>): string {
  const f = fieldsOf(sentence);
  for (const [i, v] of Object.entries(changes)) f[Number(i)] = v;
  return withChecksum(`$${f.join(',')}`);
}

const HEMI = logSentences('hemi');
const UBLOX = logSentences('ublox-zed-f9p-nmea');
const POLARX = logSentences('polarx2');
/** A positioned hemi GGA (4 satellites, HDOP 1.4, geoid separation -33.057). */
const GGA = HEMI.find((s) => s.startsWith('$GPGGA,194058.00'))!;

describe('quality → NavSatStatus', () => {
  // The table, with vil's documented choices for 3 (PPS: a real fix), 6 (dead reckoning:
  // usable, covariance says how good), 7 (manual) and 8 (simulation): never passed off as a fix.
  const expected: Record<number, [number, string]> = {
    0: [NavSatStatus.STATUS_NO_FIX, 'no_fix'],
    1: [NavSatStatus.STATUS_FIX, 'gps'],
    2: [NavSatStatus.STATUS_SBAS_FIX, 'dgps'],
    3: [NavSatStatus.STATUS_FIX, 'pps'],
    4: [NavSatStatus.STATUS_GBAS_FIX, 'rtk_fixed'],
    5: [NavSatStatus.STATUS_GBAS_FIX, 'rtk_float'],
    6: [NavSatStatus.STATUS_FIX, 'estimated'],
    7: [NavSatStatus.STATUS_NO_FIX, 'manual'],
    8: [NavSatStatus.STATUS_NO_FIX, 'simulation'],
    9: [NavSatStatus.STATUS_SBAS_FIX, 'sbas'],
  };
  for (const [q, [status, name]] of Object.entries(expected)) {
    it(`GGA quality ${q} → status ${status}, quality_name ${name}`, () => {
      const r = decode([edit(GGA, { 6: q })]);
      expect(r.fixes).toHaveLength(1);
      expect(r.fixes[0].msg.status.status).toBe(status);
      expect(r.fixes[0].status.quality).toBe(Number(q));
      expect(r.fixes[0].status.quality_name).toBe(name);
    });
  }

  it('covariance: HDOP × per-quality UERE (defaults RTK fixed 0.02, float 0.5, DGPS 0.7, GPS 3 m); unknown for no fix, manual, simulation', () => {
    const hdop = Number(fieldsOf(GGA)[8]);
    const uere: Record<number, number | undefined> = { 0: undefined, 1: 3, 2: 0.7, 4: 0.02, 5: 0.5, 7: undefined, 8: undefined };
    for (const [q, u] of Object.entries(uere)) {
      const fix = decode([edit(GGA, { 6: q })]).fixes[0].msg;
      if (u === undefined) {
        expect(fix.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_UNKNOWN);
        expect(fix.position_covariance).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
      } else {
        expect(fix.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_APPROXIMATED);
        expect(fix.position_covariance[0]).toBeCloseTo((hdop * u) ** 2 / 2, 15);
        expect(fix.position_covariance[4]).toBeCloseTo((hdop * u) ** 2 / 2, 15);
        expect(fix.position_covariance[8]).toBeCloseTo((2 * hdop * u) ** 2, 15);
      }
    }
  });

  it('GNS mode letters: the best constellation\'s mode gives the quality (R → RTK fixed), and each non-N letter a service bit', () => {
    const gns = POLARX.find((s) => typeOf(s) === 'GNS')!;
    const r = decode([edit(gns, { 6: 'RFNA' })]);
    expect(r.fixes[0].status.quality).toBe(GnssStatus.QUALITY_RTK_FIXED);
    expect(r.fixes[0].msg.status.status).toBe(NavSatStatus.STATUS_GBAS_FIX);
    expect(r.fixes[0].msg.status.service).toBe(NavSatStatus.SERVICE_GPS | NavSatStatus.SERVICE_GLONASS | NavSatStatus.SERVICE_COMPASS);
  });
});

describe('GST wait, learnt per stream', () => {
  // The u-blox log with every GST from epoch 00:40:05 on removed: a GST stream that stops sending it.
  const cutAt = UBLOX.findIndex((s) => s.startsWith('$GNGST,004005.00'));
  const withoutLateGst = UBLOX.filter((s, i) => !(i >= cutAt && typeOf(s) === 'GST'));
  const r = decode(withoutLateGst);
  const fixOf = (hhmmss: string) => r.fixes.find((f) => timeFieldOf(withoutLateGst[f.msg.header.stamp.sec]) === hhmmss)!;

  it('while GST comes, each fix waits for it (published on the GST line)', () => {
    const f = fixOf('004004.00');
    expect(typeOf(withoutLateGst[f.emittedAt])).toBe('GST');
    expect(f.msg.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_DIAGONAL_KNOWN);
  });

  it('an epoch whose GST does not come is published when the next epoch starts, with the HDOP/VDOP covariance, and counted', () => {
    for (const t of ['004005.00', '004006.00', '004007.00']) {
      const f = fixOf(t);
      const next = withoutLateGst[f.emittedAt];
      expect(typeOf(next)).toBe('RMC');
      expect(timeFieldOf(next)).not.toBe(t);
      const gga = fieldsOf(withoutLateGst[f.msg.header.stamp.sec]);
      const hdop = Number(gga[8]);
      // VDOP of the epoch's own GSA (the fix waited until the epoch ended, so its GSA is known).
      let j = f.emittedAt;
      while (typeOf(withoutLateGst[j]) !== 'GSA') j--;
      let k = j;
      while (!timeFieldOf(withoutLateGst[k])) k--;
      expect(timeFieldOf(withoutLateGst[k])).toBe(t);
      const vdop = Number(fieldsOf(withoutLateGst[j])[17]);
      expect(f.msg.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_APPROXIMATED);
      expect(f.msg.position_covariance[0]).toBeCloseTo((hdop * 3) ** 2 / 2, 12);
      expect(f.msg.position_covariance[8]).toBeCloseTo((vdop * 3) ** 2, 12);
    }
    expect(r.decoder.counters.gstMissing).toBe(3);
  });

  it('after gst_miss_limit (3) epochs without GST the stream counts as GST-less: fixes go out at GGA, no latency', () => {
    const late = r.fixes.filter((f) => timeFieldOf(withoutLateGst[f.msg.header.stamp.sec])! > '004007.00');
    expect(late.length).toBeGreaterThan(10);
    for (const f of late) expect(f.emittedAt).toBe(f.msg.header.stamp.sec);
  });

  it('GST seen again: fixes wait for it again', () => {
    const back = UBLOX.filter((s, i) => !(i >= cutAt && i < cutAt + 35 * 5 && typeOf(s) === 'GST'));
    const rb = decode(back);
    const last = rb.fixes[rb.fixes.length - 1];
    expect(typeOf(back[last.emittedAt])).toBe('GST');
    expect(last.msg.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_DIAGONAL_KNOWN);
  });

  it('a GST that only comes after the next epoch began is ignored (lateGst); the stream is treated as GST-less', () => {
    // The u-blox log with each GST moved behind the next epoch's RMC.
    const moved: string[] = [];
    let held: string | undefined;
    for (const s of UBLOX) {
      if (typeOf(s) === 'GST') {
        held = s;
        continue;
      }
      moved.push(s);
      if (typeOf(s) === 'RMC' && held) {
        moved.push(held);
        held = undefined;
      }
    }
    const rl = decode(moved);
    expect(rl.fixes).toHaveLength(29);
    expect(rl.decoder.counters.lateGst).toBe(28);
    for (const f of rl.fixes) expect(f.msg.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_APPROXIMATED);
    for (const f of rl.fixes.slice(1)) expect(f.emittedAt).toBe(f.msg.header.stamp.sec);
  });

  it('GSA after GGA in a stream without GST: service bits from the previous epoch\'s GSA (all four constellations)', () => {
    const noGst = UBLOX.filter((s) => typeOf(s) !== 'GST');
    const rn = decode(noGst);
    expect(rn.fixes).toHaveLength(29);
    for (const f of rn.fixes) expect(f.msg.status.service).toBe(15);
  });

  it('GST with σ lat/lon but no σ alt: horizontal from GST, vertical approximated → APPROXIMATED', () => {
    const gst = POLARX[0];
    const r2 = decode([edit(gst, { 8: '' }), ...POLARX.slice(1, 3)]);
    const fix = r2.fixes[0].msg;
    expect(fix.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_APPROXIMATED);
    expect(fix.position_covariance[0]).toBeCloseTo(Number(fieldsOf(gst)[7]) ** 2, 9);
    expect(fix.position_covariance[4]).toBeCloseTo(Number(fieldsOf(gst)[6]) ** 2, 9);
    const hdop = Number(fieldsOf(POLARX[2])[8]);
    expect(fix.position_covariance[8]).toBeCloseTo((2 * hdop * 3) ** 2, 9);
  });

  it('flush() publishes a fix still waiting at the end of input', () => {
    const upToGga = UBLOX.slice(0, UBLOX.findIndex((s) => typeOf(s) === 'GGA') + 1);
    const r3 = decode(upToGga);
    expect(r3.fixes).toHaveLength(1);
    expect(r3.fixes[0].emittedAt).toBe(upToGga.length); // i.e. during flush()
  });
});

describe('stamps and dates', () => {
  it('stamp gnss: fix, status and velocity carry the epoch\'s UTC (RMC date), not the receive time', () => {
    const r = decode(UBLOX, { stamp: 'gnss' });
    expect(r.fixes).toHaveLength(29);
    for (const f of r.fixes) {
      expect(f.msg.header.stamp).toEqual(f.status.gnss_time);
      expect(f.status.header.stamp).toEqual(f.status.gnss_time);
    }
    expect(iso(r.fixes[0].msg.header.stamp)).toBe('2019-04-12T00:39:56.000Z');
    const rmcTimes = UBLOX.filter((s) => typeOf(s) === 'RMC').map((s) => `2019-04-12T${timeFieldOf(s)!.replace(/^(..)(..)(..)\.(..)$/, '$1:$2:$3.$40')}Z`);
    expect(r.velocities.map((v) => iso(v.msg.header.stamp))).toEqual(rmcTimes);
    expect(r.decoder.counters.noGnssTime).toBe(0);
  });

  it('stamp gnss before any date is known: the epoch is dropped and counted (PolaRx2 sends RMC/ZDA after GGA)', () => {
    const r = decode(POLARX, { stamp: 'gnss' });
    expect(r.fixes).toHaveLength(4);
    expect(r.decoder.counters.noGnssTime).toBe(1);
    expect(iso(r.fixes[0].msg.header.stamp)).toBe('2012-03-22T11:22:58.000Z');
  });

  it('stamp gnss for HDT (no time field): the time of the current epoch with the ZDA date', () => {
    const r = decode(HEMI, { stamp: 'gnss' });
    expect(r.headings).toHaveLength(4);
    for (const h of r.headings) {
      // hemi sends HDT right after the epoch's VTG: the current epoch is the preceding GGA's.
      const before = HEMI.slice(0, h.emittedAt).reverse().find((s) => timeFieldOf(s))!;
      const t = timeFieldOf(before)!;
      expect(iso(h.msg.header.stamp)).toBe(`2018-09-07T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}.${t.slice(7)}0Z`);
    }
  });

  it('stamp receive: the receive time of the sentence\'s first byte (GGA for fix/status, RMC for velocity)', () => {
    const r = decode(UBLOX);
    for (const f of r.fixes) expect(typeOf(UBLOX[f.msg.header.stamp.sec])).toBe('GGA');
    for (const v of r.velocities) expect(typeOf(UBLOX[v.msg.header.stamp.sec])).toBe('RMC');
  });

  it('the date rolls over at midnight for epochs after the last RMC/ZDA', () => {
    const rmc = UBLOX.find((s) => typeOf(s) === 'RMC')!;
    const gga = UBLOX.find((s) => typeOf(s) === 'GGA')!;
    const r = decode([edit(rmc, { 1: '235959.50', 9: '311219' }), edit(gga, { 1: '235959.50' }), edit(gga, { 1: '000000.00' })], { stamp: 'gnss' });
    expect(r.fixes.map((f) => f.msg.header.stamp)).toEqual([
      { sec: Date.UTC(2019, 11, 31, 23, 59, 59) / 1000, nanosec: 500_000_000 },
      { sec: Date.UTC(2020, 0, 1, 0, 0, 0) / 1000, nanosec: 0 },
    ]);
  });

  it('RMC two-digit years: 1980-2079 without ZDA; the century of a ZDA wins', () => {
    const rmc = UBLOX.find((s) => typeOf(s) === 'RMC')!;
    const gga = UBLOX.find((s) => typeOf(s) === 'GGA')!;
    const run = (date: string, zda?: string) => decode([...(zda ? [zda] : []), edit(rmc, { 9: date }), gga], { stamp: 'gnss' });
    const year = (date: string, zda?: string) => iso(run(date, zda).fixes[0].msg.header.stamp).slice(0, 10);
    expect(year('120437')).toBe('2037-04-12');
    expect(year('120480')).toBe('1980-04-12');
    // 75 is 2075 in the window, but 1975 after a ZDA of 1999.
    expect(year('120475', withChecksum('$GNZDA,003955.00,11,04,1999,00,00'))).toBe('1975-04-12');
    // 2079 (and 2075 without ZDA) lie beyond a ROS time stamp (int32 seconds end in 2038): the
    // fix keeps its receive stamp (the helper stamps sentence i with i seconds: the GGA is 1), counted.
    const late = run('120479');
    expect(late.fixes[0].msg.header.stamp).toEqual({ sec: 1, nanosec: 0 });
    expect(late.decoder.counters.gnssTimeBeyondInt32).toBeGreaterThan(0);
  });
});

describe('heading, velocity, status fields', () => {
  it('HDT 0°, 90°, 180°, 270° → ENU yaw π/2, 0, −π/2, π', () => {
    const hdt = HEMI.find((s) => s.startsWith('$GPHDT,274'))!;
    const yaws = ['0.00', '90.00', '180.00', '270.00'].map((h) => {
      const q = decode([edit(hdt, { 1: h })]).headings[0].msg.quaternion;
      return 2 * Math.atan2(q.z, q.w);
    });
    expect(yaws[0]).toBeCloseTo(Math.PI / 2, 12);
    expect(yaws[1]).toBeCloseTo(0, 12);
    expect(yaws[2]).toBeCloseTo(-Math.PI / 2, 12);
    expect(Math.abs(yaws[3])).toBeCloseTo(Math.PI, 12);
  });

  it('THS (NMEA 4.1 true heading with mode) is decoded like HDT; mode V publishes nothing', () => {
    const r = decode([withChecksum('$GNTHS,123.45,A'), withChecksum('$GNTHS,123.45,V'), withChecksum('$GNTHS,,V')]);
    expect(r.headings).toHaveLength(1);
    expect(headingOf(r.headings[0].msg.quaternion)).toBeCloseTo(123.45, 9);
    expect(r.decoder.counters.emptyHeading).toBe(2);
  });

  it('RMC with status V or mode N gives no velocity; VTG falls back to km/h when knots are empty', () => {
    const rmc = POLARX.find((s) => typeOf(s) === 'RMC')!;
    expect(decode([edit(rmc, { 2: 'V' })]).velocities).toHaveLength(0);
    expect(decode([edit(rmc, { 12: 'N' })]).velocities).toHaveLength(0);
    const vtg = HEMI.find((s) => s.startsWith('$GPVTG,97.75'))!; // 0.04 kn = 0.07 km/h
    const v = decode([edit(vtg, { 5: '' })]).velocities[0].msg.twist.twist.linear;
    expect(Math.hypot(v.x, v.y)).toBeCloseTo(Number(fieldsOf(vtg)[7]) / 3.6, 12);
  });

  it('age of corrections and reference station id from GGA fields 13/14', () => {
    const s = decode([edit(GGA, { 6: '4', 13: '1.2', 14: '0123' })]).statuses[0].msg;
    expect(s.age_of_corrections).toBeCloseTo(1.2, 12);
    expect(s.station_id).toBe('0123');
  });

  it('a GGA repeating an epoch already reported is ignored and counted', () => {
    const r = decode([GGA, GGA]);
    expect(r.fixes).toHaveLength(1);
    expect(r.decoder.counters.repeatedEpoch).toBe(1);
  });

  it('GN GSA without NMEA 4.1 system id: constellations from the satellite numbers (1-32 GPS, 65-96 GLONASS, 301-336 Galileo, 401-437 BeiDou)', () => {
    const gsa = withChecksum('$GNGSA,A,3,05,70,305,410,,,,,,,,,1.2,0.7,1.0');
    const gga = edit(UBLOX.find((s) => typeOf(s) === 'GGA')!, {});
    const fix = decode([gga, gsa]).fixes[0].msg; // held for the first epoch (GST not yet known): GSA of the epoch counts
    expect(fix.status.service).toBe(15);
  });

  it('MSL altitude without geoid separation: altitude NaN (no geoid model in vil), counted', () => {
    const r = decode([edit(GGA, { 11: '' })]);
    expect(r.fixes[0].msg.altitude).toBeNaN();
    expect(r.decoder.counters.noGeoidSeparation).toBe(1);
  });
});

describe('malformed input', () => {
  it('malformed coordinates are counted and never become a fix', () => {
    for (const bad of [edit(GGA, { 2: '42x1.8' }), edit(GGA, { 3: 'Q' }), edit(GGA, { 2: '4299.0' }), edit(GGA, { 4: '18100.0' }), edit(GGA, { 2: '-4221.0' })]) {
      const r = decode([bad]);
      expect(r.fixes, bad).toHaveLength(0);
      expect(r.decoder.counters.malformed, bad).toBe(1);
      expect(r.statuses, bad).toHaveLength(1); // the epoch's status still goes out
    }
  });

  it('proprietary ($P...) and unknown sentence types are counted, not decoded', () => {
    const r = decode([withChecksum('$PUBX,00,003956.00,4552.65403,S'), withChecksum('$PGRME,15.0,M,45.0,M,25.0,M'), withChecksum('$GPXYZ,1,2'), withChecksum('$GPGGAX,1'), '!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26']);
    expect(r.decoder.counters.proprietary).toBe(2);
    expect(r.decoder.counters.unsupported).toBe(3);
    expect(r.statuses).toHaveLength(0);
  });

  it('a malformed time keeps a valid position (receive stamp) but no GNSS time; counted', () => {
    const r = decode([HEMI.find((s) => typeOf(s) === 'ZDA')!, edit(GGA, { 1: '19x058.00' })]);
    expect(r.fixes).toHaveLength(1);
    expect(r.fixes[0].status.gnss_time_valid).toBe(false);
    expect(r.decoder.counters.malformed).toBe(1);
    expect(decode([HEMI.find((s) => typeOf(s) === 'ZDA')!, edit(GGA, { 1: '19x058.00' })], { stamp: 'gnss' }).fixes).toHaveLength(0);
  });

  it('a number beyond a double (309 digits) is malformed, never Infinity: no infinite velocity, altitude or covariance (found by npm run fuzz)', () => {
    const huge = '9'.repeat(309); // Number() of it is Infinity
    const rmc = UBLOX.find((s) => typeOf(s) === 'RMC')!;
    const fast = decode([edit(rmc, { 7: huge })]);
    expect(fast.velocities).toHaveLength(0); // was {x: Infinity, y: -Infinity}: a speed, not a number
    expect(fast.decoder.counters.malformed).toBe(1);
    const high = decode([edit(GGA, { 9: huge })]);
    expect(high.fixes).toHaveLength(1);
    expect(high.fixes[0].msg.altitude).toBeNaN(); // was Infinity
    expect(high.decoder.counters.malformed).toBe(1);
    // The whole log with its first GST's σ latitude replaced: the first epoch's fix uses that GST.
    const gst = UBLOX.find((s) => typeOf(s) === 'GST')!;
    const withGst = decode(UBLOX.map((s) => (s === gst ? edit(gst, { 6: huge }) : s)));
    expect(withGst.fixes.length).toBeGreaterThan(10);
    for (const f of withGst.fixes) for (const c of f.msg.position_covariance) expect(Number.isFinite(c)).toBe(true);
    const speed = decode([edit(rmc, { 7: `-${huge}` })]);
    expect(speed.velocities).toHaveLength(0);
  });

  it('finite but impossible values never make an infinite covariance or altitude (found by npm run fuzz)', () => {
    const huge = `1${'0'.repeat(300)}`; // 1e300: a double, but its square is not
    const vtg = UBLOX.find((s) => typeOf(s) === 'VTG')!;
    // A speed faster than light (here 1e300 knots, no course): was published with covariance Infinity.
    const fast = decode([edit(vtg, { 1: '', 5: huge })]);
    expect(fast.velocities).toHaveLength(0);
    expect(fast.decoder.counters.malformed).toBe(1);
    const rmc = UBLOX.find((s) => typeOf(s) === 'RMC')!;
    expect(decode([edit(rmc, { 7: '600000000' })]).velocities).toHaveLength(0); // 600,000,000 knots > c
    expect(decode([edit(rmc, { 7: '500' })]).velocities).toHaveLength(1);
    // GST σ whose square is beyond a double, or negative: not used (HDOP covariance instead), malformed.
    const gst = UBLOX.find((s) => typeOf(s) === 'GST')!;
    const good = decode(UBLOX);
    expect(good.fixes[0].msg.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_DIAGONAL_KNOWN);
    for (const sigma of [huge, '-1.5']) {
      const r = decode(UBLOX.map((s) => (s === gst ? edit(gst, { 6: sigma, 7: sigma }) : s)));
      expect(r.fixes.length).toBe(good.fixes.length);
      for (const f of r.fixes) for (const c of f.msg.position_covariance) expect(Number.isFinite(c)).toBe(true);
      // The first epoch's GST has no usable horizontal σ: its covariance comes from HDOP.
      expect(r.fixes[0].msg.position_covariance_type).toBe(NavSatFixCovariance.COVARIANCE_TYPE_APPROXIMATED);
      expect(r.decoder.counters.malformed).toBe(good.decoder.counters.malformed + 1);
    }
    // MSL altitude + geoid separation beyond a double: altitude NaN, malformed.
    const high = decode([edit(GGA, { 9: `${huge}${'0'.repeat(8)}`, 11: `${huge}${'0'.repeat(8)}` })]);
    expect(high.fixes[0].msg.altitude).toBeNaN();
    expect(high.decoder.counters.malformed).toBe(1);
  });

  it('property: random corruption of real sentences (checksum recomputed) never throws and never yields NaN in a fix, velocity or heading', () => {
    const all = [...UBLOX, ...POLARX, ...HEMI];
    const alphabet = '0123456789.,-+NSEWATVMR*$ \u00ff';
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      const corrupted = all.map((s) => {
        const body = s.replace(/\*[0-9A-F]{2}$/, '').split('');
        const n = 1 + Math.floor(rnd() * 3);
        for (let k = 0; k < n; k++) {
          const at = 1 + Math.floor(rnd() * (body.length - 1));
          const op = rnd();
          if (op < 0.4) body[at] = alphabet[Math.floor(rnd() * alphabet.length)];
          else if (op < 0.7) body.splice(at, 1);
          else body.splice(at, 0, alphabet[Math.floor(rnd() * alphabet.length)]);
        }
        return withChecksum(body.join(''));
      });
      const r = decode(corrupted, { stamp: seed % 2 ? 'gnss' : 'receive' });
      for (const f of r.fixes) {
        expect(Number.isFinite(f.msg.latitude) && Math.abs(f.msg.latitude) <= 90).toBe(true);
        expect(Number.isFinite(f.msg.longitude) && Math.abs(f.msg.longitude) <= 180).toBe(true);
        for (const c of f.msg.position_covariance) expect(Number.isFinite(c) && c >= 0).toBe(true);
        expect(Number.isInteger(f.msg.header.stamp.sec) && Number.isInteger(f.msg.header.stamp.nanosec)).toBe(true);
      }
      for (const v of r.velocities) for (const x of [v.msg.twist.twist.linear.x, v.msg.twist.twist.linear.y, ...v.msg.twist.covariance]) expect(Number.isFinite(x)).toBe(true);
      for (const h of r.headings) expect(Number.isFinite(h.msg.quaternion.z) && Number.isFinite(h.msg.quaternion.w)).toBe(true);
      expect(r.decoder.counters.malformed).toBeGreaterThan(0);
    }
  });
});

describe('parameters', () => {
  // Overrides as -p gives them (values typed by rcl's rules).
  const override = (entries: Record<string, string>) => collectOverrides(parseRosArgs(['--ros-args', ...Object.entries(entries).flatMap(([k, v]) => ['-p', `${k}:=${v}`])]), '/n', 'n');

  it('defaults map to the decoder\'s defaults; uere.* overrides reach the covariance', () => {
    const { values } = resolveParams(rtkDecoderParams, override({ 'uere.rtk_fixed': '0.05', stamp_source: 'gnss', frame_id: 'gps_antenna' }));
    const opts = decoderOptionsFromParams(values);
    expect(opts.stamp).toBe('gnss');
    expect(opts.frameId).toBe('gps_antenna');
    const hdop = Number(fieldsOf(GGA)[8]);
    const r = decode([HEMI.find((s) => typeOf(s) === 'ZDA')!, edit(GGA, { 6: '4' })], opts);
    expect(r.fixes[0].msg.header.frame_id).toBe('gps_antenna');
    expect(r.fixes[0].msg.position_covariance[0]).toBeCloseTo((hdop * 0.05) ** 2 / 2, 15);
  });

  it('a bad value is refused with a ConfigError naming the key', () => {
    expect(() => resolveParams(rtkDecoderParams, override({ stamp_source: 'gps' }))).toThrow(ConfigError);
    expect(() => resolveParams(rtkDecoderParams, override({ 'uere.gps': '-1.0' }))).toThrow(/uere\.gps/);
    expect(() => resolveParams(rtkDecoderParams, override({ 'uere.gps': '3' }))).toThrow(/uere\.gps: expected a double, got an integer: 3 .*Fix: write 3\.0 for a double/);
  });
});

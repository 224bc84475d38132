// Regression (issue 9, defect 3): a coordinate with more than 15 significant digits. Before the
// fix decimal() handed such a field to Number() but left the previous field's mantissa in place,
// and coordinate() split degrees and minutes from that stale mantissa: the GGA
//   $GPGGA,123519.00,4807.038,N,01131.0000000000000,E,1,08,0.9,545.4,M,47.0,M,,*hh
// published longitude 48.1173 (its latitude).
//
// The judge is exact rational arithmetic, not vil: /usr/bin/python3's fractions.Fraction computes
// degrees + minutes/60 from the field's digits exactly (DDDMM.mmmm: the digits before the last two
// are degrees, the rest are minutes — gpsd's decode_lat_or_lon reads them the same way), and
// float() rounds that once. vil may round more than once (minutes / 60, then + degrees), so
// the test allows one unit in the last place, about 1e-15 degrees (0.1 nm on the ground); the
// defect was off by degrees.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { NmeaFields } from '../../nodes/rtk_serial/nmea_fields.js';
import { decode, withChecksum } from './nmea_helpers.js';

const PYTHON = '/usr/bin/python3';

/** Signed degrees of each [field, hemisphere], from python3's exact Fractions, correctly rounded. */
function exactDegrees(fields: [string, string][]): number[] {
  const script = `
import json, sys
from fractions import Fraction
out = []
for text, hemi in json.load(sys.stdin):
    t = text.lstrip('+')
    whole, _, frac = t.partition('.')
    deg = Fraction(int(whole[:-2] or '0'))
    minutes = Fraction(whole[-2:] + '.' + (frac or '0'))
    v = float(deg + minutes / 60)
    out.append(repr(-v if hemi in 'SW' else v))
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(fields), encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${PYTHON} failed (the reference cannot be computed): ${r.error?.message ?? r.stderr}`);
  return (JSON.parse(r.stdout) as string[]).map(Number);
}

/** The spacing of doubles at x. */
function ulp(x: number): number {
  const a = Math.abs(x);
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}

const gga = (lat: string, ns: string, lon: string, ew: string) => withChecksum(`$GPGGA,123519.00,${lat},${ns},${lon},${ew},1,08,0.9,545.4,M,47.0,M,,`);

// [latitude, N/S, longitude, E/W]
const CASES: [string, string, string, string][] = [
  ['4807.038', 'N', '01131.0000000000000', 'E'], // the GGA: 17 digits, trailing zeros
  ['4807.038', 'N', '01131.000000000000000000000000', 'E'], // 28 fraction digits, all zeros
  ['4807.038', 'N', '01131.01234567890123456789', 'E'], // 26 significant digits
  ['4807.03812345678901234', 'S', '01131.5', 'W'], // the long field first, then a short one
  ['4807.03812345678901234', 'N', '12259.99999999999999999999', 'W'], // minutes just below 60
  ['0000000004807.038', 'N', '00000000001131.0000000000000000001', 'E'], // leading zeros, a 1 far out
  ['8959.9999999999999999', 'N', '17959.999999999999999', 'E'], // close to the poles and the antimeridian
  ['4807.0380000000000000000', 'N', '01131.0000000000000000010', 'E'], // nonzero digit at 22/23 places
];

describe('NMEA coordinates with more than 15 significant digits', () => {
  const expected = exactDegrees(CASES.flatMap(([la, ns, lo, ew]) => [[la, ns], [lo, ew]] as [string, string][]));

  CASES.forEach(([la, ns, lo, ew], k) => {
    it(`GGA ${la},${ns},${lo},${ew}`, () => {
      const run = decode([gga(la, ns, lo, ew)]);
      expect(run.fixes).toHaveLength(1);
      const fix = run.fixes[0].msg;
      const [wantLat, wantLon] = [expected[2 * k], expected[2 * k + 1]];
      expect(Math.abs(fix.latitude - wantLat), `latitude ${fix.latitude} vs exact ${wantLat}`).toBeLessThanOrEqual(ulp(wantLat));
      expect(Math.abs(fix.longitude - wantLon), `longitude ${fix.longitude} vs exact ${wantLon}`).toBeLessThanOrEqual(ulp(wantLon));
      expect(run.decoder.counters.malformed).toBe(0);
    });
  });

  it('the issue\'s GGA: longitude 11.516666666666667 (11° 31\'), not the latitude 48.1173', () => {
    const fix = decode([gga('4807.038', 'N', '01131.0000000000000', 'E')]).fixes[0].msg;
    expect(fix.longitude).toBe(11 + 31 / 60);
    expect(fix.latitude).toBe(48 + 7.038 / 60);
  });

  it('fields of exactly representable value give the exact double, however many zeros they carry', () => {
    const f = new NmeaFields();
    // 12.5 minutes = 0.208333… degrees is not exact, but 30 minutes is: 10.5 degrees exactly.
    f.load('$GPGGA,,1030.00000000000000000000,N,00030.000000000000000000000000000,W');
    expect(f.coordinate(2, 90)).toBe(10.5);
    expect(f.coordinate(4, 180)).toBe(-0.5);
    expect(f.malformed).toBe(false);
  });

  it('still refuses minutes of 60 or more and degrees beyond the limit, long or short', () => {
    const f = new NmeaFields();
    f.load('$GPGGA,,4860.000000000000000001,N,18100.0000000000000000001,E');
    expect(f.coordinate(2, 90)).toBeNaN();
    expect(f.malformed).toBe(true);
    f.malformed = false;
    expect(f.coordinate(4, 180)).toBeNaN();
    expect(f.malformed).toBe(true);
    // The same limits on short fields (the exact path).
    f.load('$GPGGA,,4860.0,N,18100.5,E');
    expect(f.coordinate(2, 90)).toBeNaN();
    f.malformed = false;
    expect(f.coordinate(4, 180)).toBeNaN();
    expect(f.malformed).toBe(true);
  });
});

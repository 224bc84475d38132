// The references the demo's tests judge by, read here by the tests themselves:
//   - cantools 42.0.3's decode of the demo's recording with gnss.dbc (the .gnss.decoded.csv beside
//     the recording in test/fixtures/buslogs/mf4, made for the shared data set; see its ATTRIBUTION.md);
//   - asammdf 8.0.0's frame list of the same recording (.candump beside it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, readRef, type RefFrame } from '../buslog/reference.js';

export const ROOT = join(import.meta.dirname, '../..');
export const RECORDING = join(FIXTURES, 'mf4/css_2F6913DB_1089_00000001.MF4');

export interface DecodedRow {
  /** Microseconds since the Unix epoch (the .candump's time of the frame). */
  us: number;
  channel: number;
  id: number;
  message: string;
  values: Record<string, number>;
}

/** The cantools decode: one row per frame gnss.dbc knows, in time order. */
export function cantoolsRows(): DecodedRow[] {
  const rows: DecodedRow[] = [];
  for (const line of readFileSync(`${RECORDING}.gnss.decoded.csv`, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('t,')) continue;
    const [t, ch, id, message, signals] = line.split(',');
    const [s, frac] = t.split('.');
    const values: Record<string, number> = {};
    for (const kv of signals.split(';')) {
      const eq = kv.indexOf('=');
      values[kv.slice(0, eq)] = Number(kv.slice(eq + 1));
    }
    rows.push({ us: Number(s) * 1e6 + Number(frac.padEnd(6, '0')), channel: Number(ch.replace('can', '')), id: parseInt(id, 16), message, values });
  }
  return rows;
}

/** asammdf's frame list of the recording. */
export function referenceFrames(): RefFrame[] {
  return readRef(`${RECORDING}.candump`);
}

/** The u-blox mapping of the CANmod's fix type (UBX fixType) to a GGA quality, as its manuals give it. */
export function ggaQualityOfFixType(fixType: number, positionValid: boolean): number {
  if (!positionValid) return 0;
  return fixType === 1 ? 6 : fixType >= 2 && fixType <= 4 ? 1 : 0;
}

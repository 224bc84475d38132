// `vil decode nmea`: JSON lines per NavSatFix, checked against gpsd's TPV reports of the same log.
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../nodes/rtk_serial/cli.js';
import { FIXTURES, readChk, readLog, timeFieldOf, isoTimeOfDay } from './nmea_helpers.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCli(args: string[], stdin?: Buffer): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const capture = (sink: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  vi.spyOn(process.stdout, 'write').mockImplementation(capture((s) => (stdout += s)));
  vi.spyOn(process.stderr, 'write').mockImplementation(capture((s) => (stderr += s)));
  const original = Object.getOwnPropertyDescriptor(process, 'stdin');
  if (stdin) Object.defineProperty(process, 'stdin', { value: Readable.from([stdin]), configurable: true });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    if (stdin && original) Object.defineProperty(process, 'stdin', original);
    vi.restoreAllMocks();
  }
}

type Line = { lat: number; lon: number; alt: number | null; status: number; service: number; position_covariance: number[]; position_covariance_type: number; quality: number; stamp_gnss: string | null };

afterEach(() => vi.restoreAllMocks());

describe('vil decode nmea', () => {
  it('u-blox log: one JSON line per fix with the documented keys; positions and times agree with gpsd', async () => {
    const r = await runCli([join(FIXTURES, 'ublox-zed-f9p-nmea.log')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines).toHaveLength(29);
    // gpsd's last positioned TPV of each epoch (epochs keyed by the inputs' UTC time), in order.
    const byEpoch = new Map<string, Record<string, unknown>>();
    let key = '';
    for (const e of readChk('ublox-zed-f9p-nmea')) {
      key = timeFieldOf(e.sentence) ?? key;
      for (const r of e.reports) if (r.class === 'TPV' && typeof r.lat === 'number') byEpoch.set(key, r);
    }
    const tpvs = [...byEpoch.values()];
    expect(tpvs).toHaveLength(29);
    lines.forEach((l, i) => {
      expect(Object.keys(l)).toEqual(['lat', 'lon', 'alt', 'status', 'service', 'position_covariance', 'position_covariance_type', 'quality', 'stamp_gnss']);
      expect(Math.abs(l.lat - (tpvs[i].lat as number))).toBeLessThanOrEqual(5.01e-10);
      expect(Math.abs(l.lon - (tpvs[i].lon as number))).toBeLessThanOrEqual(5.01e-10);
      expect(Math.abs(l.alt! - (tpvs[i].altHAE as number))).toBeLessThanOrEqual(5.01e-4);
      expect(l.stamp_gnss).toBe(tpvs[i].time);
      expect(l.quality).toBe(1);
      expect(l.status).toBe(0);
      expect(l.position_covariance_type).toBe(2);
    });
    expect(r.stderr).toMatch(/framer: \{"sentences":1015,/);
    expect(r.stderr).toMatch(/decoder: \{.*"fixes":29/);
  });

  it('stdin (-): same output as the file; # lines skipped, not counted as garbage', async () => {
    const fromFile = await runCli([join(FIXTURES, 'polarx2.log')]);
    const fromStdin = await runCli(['-'], readLog('polarx2'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect(fromStdin.stderr).toMatch(/"garbageBytes":0/);
    const lines = fromStdin.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines).toHaveLength(5);
    expect(lines[0].alt).toBeNull(); // no altitude in the PolaRx2 GGA
    expect(lines[0].stamp_gnss).toBeNull(); // no date before the first GGA
    const ggaTimes = readChk('polarx2').filter((e) => e.sentence.startsWith('$GPGGA')).map((e) => isoTimeOfDay(timeFieldOf(e.sentence)!));
    expect(lines.slice(1).map((l) => l.stamp_gnss)).toEqual(ggaTimes.slice(1).map((t) => `2012-03-22T${t}Z`));
  });

  it('hemi log: empty no-fix GGAs print nothing; the 21 positioned epochs print', async () => {
    const r = await runCli([join(FIXTURES, 'hemi.log')]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(21);
    expect(r.stderr).toMatch(/"emptyFix":194/);
  });

  it('--help explains the output; bad arguments and missing files give non-zero exit codes', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/stamp_gnss/);
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(['--bogus'])).code).toBe(2);
    const missing = await runCli([join(FIXTURES, 'no-such.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});

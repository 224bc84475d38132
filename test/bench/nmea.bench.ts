// NMEA core throughput: framing + decoding of the u-blox ZED-F9P log (real receiver output,
// gpsd's regression suite), repeated, on one core. Figures: sentences/s and MB/s, for serial-sized
// chunks (64 bytes) and large reads (4 KiB). Target: > 500k sentences/s.
//   VIL_BENCH_SECONDS (default 2 per case)
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NmeaFramer } from '../../nodes/rtk_serial/nmea_framer.js';
import { NmeaDecoder } from '../../nodes/rtk_serial/nmea_decoder.js';
import type { Time } from '../../nodes/runtime/ros.js';

// Run from source or compiled under dist/: the fixtures stay in the source tree, found upwards.
function findFixture(rel: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    if (dirname(dir) === dir) throw new Error(`${rel} not found above ${fileURLToPath(import.meta.url)}`);
  }
}
const LOG = findFixture('test/fixtures/gnss/ublox-zed-f9p-nmea.log');

function logBytes(keep: (line: string) => boolean = () => true): { bytes: Buffer; sentences: number } {
  const lines = readFileSync(LOG, 'latin1')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('$') && keep(l));
  return { bytes: Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1'), sentences: lines.length };
}

function measure(bytes: Buffer, perPass: number, chunk: number, seconds: number): { rate: number; mbps: number; fixes: number } {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  let fixes = 0;
  const decoder = new NmeaDecoder(
    { frameId: 'gnss', stamp: 'receive' },
    { fix: () => fixes++, velocity: () => {}, heading: () => {}, status: () => {} },
  );
  const framer = new NmeaFramer((s, t) => decoder.push(s, t));
  const t: Time = { sec: 1, nanosec: 0 };
  const pass = (): void => {
    for (const c of chunks) framer.push(c, t);
  };
  // Warm up the JIT, then time whole passes until the budget is spent.
  for (let i = 0; i < 50; i++) pass();
  const before = framer.counters.sentences;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let passes = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 10; i++) pass();
    passes += 10;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  const s = Number(elapsed) / 1e9;
  const delivered = framer.counters.sentences - before;
  if (delivered !== passes * perPass) throw new Error(`framer delivered ${delivered} sentences, expected ${passes * perPass}`);
  return { rate: delivered / s, mbps: (passes * bytes.length) / s / 1e6, fixes };
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.VIL_BENCH_SECONDS ?? 2);
  const { bytes, sentences } = logBytes();
  for (const chunk of [64, 4096]) {
    const r = measure(bytes, sentences, chunk, seconds);
    console.log(`nmea framing+decoding, ZED-F9P log, ${chunk} B chunks: ${Math.round(r.rate).toLocaleString('en')} sentences/s (target > 500,000)`);
    console.log(`nmea framing+decoding, ZED-F9P log, ${chunk} B chunks: ${r.mbps.toFixed(1)} MB/s`);
  }
  // Two thirds of the log are GSV, which the decoder skips after reading the type: the same log
  // without GSV shows the rate when every sentence is parsed field by field.
  const decoded = logBytes((l) => l.slice(3, 6) !== 'GSV');
  const r = measure(decoded.bytes, decoded.sentences, 64, seconds);
  console.log(`nmea framing+decoding, ZED-F9P log without GSV (all parsed), 64 B chunks: ${Math.round(r.rate).toLocaleString('en')} sentences/s (target > 500,000)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();

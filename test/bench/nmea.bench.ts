// NMEA end to end: framing + decoding of every sentence of three real receiver logs (gpsd's
// regression suite: u-blox ZED-F9P, Septentrio PolaRx2, Hemisphere), each repeated to about 200,000
// sentences, read in 4 KiB chunks as from a file (the ZED-F9P also in 64 B chunks, as from a serial
// port). Every sentence of the logs is decoded: GGA GNS RMC VTG GSA GST ZDA HDT field by field, GSV
// into satellites with PRN, elevation, azimuth and SNR, GLL GBS GRS for their time of day (they mark
// epochs; vil takes position and errors from GGA/GNS and GST); every value that comes out (each
// NavSatFix, velocity, heading, GnssStatus and satellites-in-view group) is added into a checksum, so
// nothing is optimised away. Figures: sentences/s of wall and of CPU time (process.cpuUsage).
//
// Reference: gpsd's `gpsdecode` on the same bytes (a file of the repeated log), its CPU time as
// bash's `time` reports it for the child: it frames, decodes and prints a JSON report (TPV, SKY,
// GST ...) per epoch/group to /dev/null. Not installed → says how to install it.
// Best case beside it, labelled so: framing alone (checksum-valid sentence strings, no decoding).
//   VIL_BENCH_SECONDS (default 2 per case)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NmeaFramer } from '../../nodes/rtk_serial/nmea_framer.js';
import { NmeaDecoder, type NmeaSink } from '../../nodes/rtk_serial/nmea_decoder.js';
import type { Time } from '../../nodes/runtime/ros.js';
import { BENCH_SECONDS, findFixture, n, rates, timeChildMedian, timePasses, which } from './timing.js';

const LOGS = [
  { name: 'ZED-F9P', file: 'ublox-zed-f9p-nmea.log' },
  { name: 'PolaRx2', file: 'polarx2.log' },
  { name: 'Hemisphere', file: 'hemi.log' },
];
/** Sentences per repeated log: enough for gpsdecode to run about a second. */
const TARGET_SENTENCES = 200_000;

interface Input {
  name: string;
  file: string;
  repeats: number;
  sentences: number;
  bytes: Buffer;
  types: Map<string, number>;
}

function input(name: string, file: string): Input {
  const lines = readFileSync(findFixture(`test/fixtures/gnss/${file}`), 'latin1')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('$'));
  const repeats = Math.ceil(TARGET_SENTENCES / lines.length);
  const once = lines.map((l) => `${l}\r\n`).join('');
  const types = new Map<string, number>();
  for (const l of lines) types.set(l.slice(3, 6), (types.get(l.slice(3, 6)) ?? 0) + 1);
  return { name, file, repeats, sentences: lines.length * repeats, bytes: Buffer.from(once.repeat(repeats), 'latin1'), types };
}

/** A sink that reads every value it is given into a checksum. */
function checksumSink(): NmeaSink & { sum: number; messages: number } {
  const v = (x: number) => (x === x ? x : 0);
  const sink = {
    sum: 0,
    messages: 0,
    fix(m) {
      let s = v(m.latitude) + v(m.longitude) + v(m.altitude) + m.status.status + m.status.service + m.position_covariance_type + m.header.stamp.sec;
      for (let i = 0; i < 9; i++) s += m.position_covariance[i];
      sink.sum += s;
      sink.messages++;
    },
    velocity(m) {
      const t = m.twist.twist;
      let s = t.linear.x + t.linear.y + t.linear.z + t.angular.x + t.angular.y + t.angular.z + m.header.stamp.sec;
      for (let i = 0; i < 36; i++) s += m.twist.covariance[i];
      sink.sum += s;
      sink.messages++;
    },
    heading(m) {
      sink.sum += m.quaternion.x + m.quaternion.y + m.quaternion.z + m.quaternion.w + m.header.stamp.sec;
      sink.messages++;
    },
    status(m) {
      sink.sum += m.quality + m.quality_name.length + m.fix_mode + m.satellites_used + v(m.hdop) + v(m.vdop) + v(m.pdop) + v(m.age_of_corrections) + m.station_id.length + (m.gnss_time_valid ? 1 : 0) + m.gnss_time.sec + m.gnss_time.nanosec;
      sink.messages++;
    },
    satellites(g) {
      let s = g.talker + g.signalId + g.announced;
      for (let i = 0; i < g.count; i++) s += g.prn[i] + v(g.elevation[i]) + v(g.azimuth[i]) + v(g.snr[i]);
      sink.sum += s;
      sink.messages++;
    },
  } satisfies NmeaSink & { sum: number; messages: number };
  return sink;
}

function chunksOf(bytes: Buffer, chunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  return out;
}

function decodeAll(inp: Input, chunk: number): { sentencesPerS: string; t: { wall: number; cpu: number }; perPass: number; messages: number; checksum: number } {
  const chunks = chunksOf(inp.bytes, chunk);
  const sink = checksumSink();
  const decoder = new NmeaDecoder({ frameId: 'gnss', stamp: 'receive' }, sink);
  const framer = new NmeaFramer((s, t) => decoder.push(s, t));
  const t: Time = { sec: 1, nanosec: 0 };
  const pass = (): void => {
    for (let i = 0; i < chunks.length; i++) framer.push(chunks[i], t);
  };
  const r = timePasses(pass, BENCH_SECONDS, 3);
  const total = (r.passes + 3) * inp.sentences;
  if (framer.counters.sentences !== total || decoder.counters.decoded !== total) throw new Error(`${inp.name}: ${framer.counters.sentences} sentences framed, ${decoder.counters.decoded} decoded, expected ${total}`);
  if (decoder.counters.unsupported !== 0 || decoder.counters.proprietary !== 0) throw new Error(`${inp.name}: ${decoder.counters.unsupported} sentences of a type vil does not decode`);
  const messages = sink.messages / (r.passes + 3);
  return { sentencesPerS: rates(r.passes * inp.sentences, r, 'sentences'), t: r, perPass: inp.sentences, messages, checksum: onePassChecksum(chunks) };
}

/** The checksum of one pass from a fresh decoder: equal for every chunk size, or framing depends on where reads end. */
function onePassChecksum(chunks: readonly Uint8Array[]): number {
  const sink = checksumSink();
  const decoder = new NmeaDecoder({ frameId: 'gnss', stamp: 'receive' }, sink);
  const framer = new NmeaFramer((s, t) => decoder.push(s, t));
  const t: Time = { sec: 1, nanosec: 0 };
  for (let i = 0; i < chunks.length; i++) framer.push(chunks[i], t);
  decoder.flush();
  return sink.sum;
}

function frameOnly(inp: Input): string {
  const chunks = chunksOf(inp.bytes, 4096);
  let chars = 0;
  const framer = new NmeaFramer((s) => {
    chars += s.length;
  });
  const t: Time = { sec: 1, nanosec: 0 };
  const r = timePasses(() => {
    for (let i = 0; i < chunks.length; i++) framer.push(chunks[i], t);
  }, BENCH_SECONDS / 2, 3);
  if (chars === 0) throw new Error('nothing framed');
  return rates(r.passes * inp.sentences, r, 'sentences');
}

export async function run(): Promise<void> {
  const gpsdecode = which('gpsdecode');
  const dir = mkdtempSync(join(tmpdir(), 'vil-bench-nmea-'));
  try {
    for (const { name, file } of LOGS) {
      const inp = input(name, file);
      const mix = [...inp.types].sort((a, b) => b[1] - a[1]).map(([t, k]) => `${t} ${k}`).join(', ');
      console.log(`\n${name} (test/fixtures/gnss/${file}: ${inp.sentences / inp.repeats} sentences: ${mix}) × ${inp.repeats} = ${n(inp.sentences)} sentences, ${(inp.bytes.length / 1e6).toFixed(1)} MB`);
      const chunkSizes = name === 'ZED-F9P' ? [4096, 64] : [4096];
      let checksum: number | undefined;
      for (const chunk of chunkSizes) {
        const r = decodeAll(inp, chunk);
        console.log(`  vil framing + decoding, all sentences, values consumed, ${chunk} B chunks: ${r.sentencesPerS} (${n(r.messages)} messages per ${n(inp.sentences)} sentences; checksum of one pass ${r.checksum})`);
        if (checksum !== undefined && r.checksum !== checksum) throw new Error(`${name}: ${chunk} B chunks decode to other values than 4096 B chunks`);
        checksum = r.checksum;
      }
      console.log(`  vil framing only (best case: no decoding), 4096 B chunks: ${frameOnly(inp)}`);
      const logFile = join(dir, `${file}.x${inp.repeats}`);
      writeFileSync(logFile, inp.bytes);
      const reproduce = `for i in $(seq ${inp.repeats}); do grep '^\\$' test/fixtures/gnss/${file} | tr -d '\\r' | sed 's/$/\\r/'; done > /tmp/${file}.x${inp.repeats}; time gpsdecode < /tmp/${file}.x${inp.repeats} > /dev/null`;
      if (gpsdecode) {
        const g = timeChildMedian(3, gpsdecode, [], logFile);
        if (g.status !== 0) throw new Error(`gpsdecode exited ${g.status}`);
        console.log(`  gpsdecode (reference; JSON reports to /dev/null; median of 3 runs): ${rates(inp.sentences, g, 'sentences')}`);
        console.log(`    reproduce: ${reproduce}`);
      } else {
        console.log('  gpsdecode not installed: apt install gpsd-clients (it ships /usr/bin/gpsdecode)');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\nreproduce: npm run bench nmea   (VIL_BENCH_SECONDS sets the seconds per case, default 2)');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();

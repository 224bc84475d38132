// Bus-log readers alone (no decoding, no output): frames/s (wall and CPU, process.cpuUsage) and
// peak RSS while reading.
//   - css_matlab_00000001_fin.MF4, the largest shared MF4 (CANedge, finalised + sorted, payloads
//     in an SD block), read again and again to >= 1 M frames (each pass opens the file anew)
//   - css_94C49784_00000002.MF4, an unfinalised unsorted CANedge file (VLSD payload group), same
//   - the BLF python-can wrote from css_2F6913DB_0004, same
//   - one large unfinalised CANedge-layout MF4 (VIL_BENCH_BUSLOG_FRAMES frames, default 3 M, about
//     100 MB) built in a temporary directory: one pass, to show memory does not grow with the file
// Target: >= 1,000,000 frames/s for the reader alone, RSS < 200 MB regardless of file size.
// (No reference figure here: asammdf / python-can are not installed on this machine.)
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRecording } from '../../nodes/buslog/open.js';
import { busChannels, Mdf4Writer, putBits, type FieldDef } from '../buslog/mdf4_writer.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(`${join('dist', 'test')}`) ? join(here, '../../..') : join(here, '../..');
const FIX = join(root, 'test/fixtures/buslogs');
const TARGET = 1_000_000;

interface Result {
  frames: number;
  wall: number;
  cpu: number;
  peakRss: number;
}

async function readPasses(path: string, minFrames: number): Promise<Result & { passes: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  let frames = 0;
  let passes = 0;
  let peakRss = process.memoryUsage().rss;
  let checksum = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  while (frames < minFrames) {
    const r = await openRecording(path);
    for await (const b of r.batches()) {
      frames += b.length;
      // Touch every frame so nothing is optimised away.
      for (let i = 0; i < b.length; i++) checksum += b[i].id + b[i].data.length;
      if ((frames & 0xffff) < b.length) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    passes++;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (checksum === 0) throw new Error('no frames read');
  return { frames, passes, wall, cpu: (c.user + c.system) / 1e6, peakRss: Math.max(peakRss, process.memoryUsage().rss) };
}

function report(name: string, r: Result & { passes?: number }): void {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en');
  console.log(
    `buslog ${name}: ${fmt(r.frames)} frames${r.passes ? ` (${r.passes} passes)` : ''} in ${r.wall.toFixed(2)} s: ` +
      `${fmt(r.frames / r.wall)} frames/s wall, ${fmt(r.frames / r.cpu)} frames/s CPU (target >= ${fmt(TARGET)}), peak RSS ${(r.peakRss / 1e6).toFixed(0)} MB`,
  );
}

/**
 * An unfinalised MF4 in the CANedge FW 01.04 layout (unsorted DG, 1-byte record ids, float64 ns
 * master, bit-packed fields, payloads in a VLSD group), its records written straight to disk:
 * the DT block says 24 bytes and the records run to the end of the file, as the logger leaves it.
 */
export function buildLargeMf4(path: string, count: number): void {
  const w = new Mdf4Writer({ fileId: 'UnFinMF ', unfinalisedFlags: 0x25, programId: 'CE' });
  const master: FieldDef = { name: 'Timestamp', bitCount: 64, dataType: 4, cc: w.cc(1, [0, 1e-9]) };
  const vlsd = w.cg({ recordId: 2, flags: 1 });
  const fields: FieldDef[] = [
    { name: 'BusChannel', byteOffset: 8, bitOffset: 1, bitCount: 2 },
    { name: 'ID', byteOffset: 8, bitOffset: 3, bitCount: 29 },
    { name: 'IDE', byteOffset: 8, bitCount: 1 },
    { name: 'DLC', byteOffset: 13, bitOffset: 4, bitCount: 4 },
    { name: 'DataLength', byteOffset: 12, bitOffset: 1, bitCount: 7 },
    { name: 'DataBytes', byteOffset: 14, bitCount: 64, dataType: 10, cnType: 1, data: vlsd },
    { name: 'Dir', byteOffset: 12, bitCount: 1 },
  ];
  const cn = busChannels(w, 'CAN_DataFrame', master, fields, 22);
  const cg = w.cg({ next: vlsd, firstCn: cn, acqName: 'CAN_DataFrame', source: w.si(2), recordId: 1, flags: 6, dataBytes: 22 });
  const dg = w.dg({ firstCg: cg, data: 0, recordIdSize: 1 });
  w.link(dg, 2, w.dt(new Uint8Array(0), '##DT', 24));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, w.finish(dg, 1_700_000_000_000_000_000n));
    const REC = 23 + 13; // frame record + VLSD record of 8 bytes
    const chunk = new Uint8Array(REC * 65536);
    const v = new DataView(chunk.buffer);
    let offset = 0;
    for (let done = 0; done < count; ) {
      const n = Math.min(65536, count - done);
      chunk.fill(0);
      for (let i = 0; i < n; i++) {
        const k = done + i;
        const at = i * REC;
        chunk[at] = 1;
        v.setFloat64(at + 1, k * 250_000, true); // 4 kHz of bus traffic
        const b = chunk.subarray(at + 1, at + 23);
        putBits(b, 8, 0, 1, k & 1);
        putBits(b, 8, 1, 2, 1 + (k & 1));
        putBits(b, 8, 3, 29, k & 1 ? 0x18fef100 + (k & 0xff) : 0x100 + (k & 0x3ff));
        putBits(b, 12, 1, 7, 8);
        putBits(b, 13, 4, 4, 8);
        v.setBigUint64(at + 1 + 14, BigInt(offset), true);
        chunk[at + 23] = 2;
        v.setUint32(at + 24, 8, true);
        v.setUint32(at + 28, k, true);
        v.setUint32(at + 32, ~k, true);
        offset += 12;
      }
      writeSync(fd, chunk.subarray(0, n * REC));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

export async function run(): Promise<void> {
  report('MF4 css_matlab_00000001_fin (finalised, sorted, SD payloads)', await readPasses(join(FIX, 'mf4/css_matlab_00000001_fin.MF4'), 1_000_000));
  report('MF4 css_94C49784_00000002 (unfinalised CANedge, unsorted, VLSD group)', await readPasses(join(FIX, 'mf4/css_94C49784_00000002.MF4'), 1_000_000));
  report('BLF derived_pycanblfwriter_css_2F6913DB_0004 (zlib containers)', await readPasses(join(FIX, 'blf/derived_pycanblfwriter_css_2F6913DB_0004_00000001.blf'), 1_000_000));
  const count = Number(process.env.VIL_BENCH_BUSLOG_FRAMES ?? 3_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'vil-buslog-bench-'));
  try {
    const big = join(dir, 'large.MF4');
    buildLargeMf4(big, count);
    const r = await readPasses(big, 1);
    if (r.frames !== count) throw new Error(`read ${r.frames} frames of ${count}`);
    report(`MF4 synthetic unfinalised CANedge layout, one ${(count * 36 / 1e6).toFixed(0)} MB file`, r);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();

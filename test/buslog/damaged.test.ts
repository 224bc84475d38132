// Truncated and corrupted copies of the shared recordings: a reader must give good frames and then
// a RecordingError, or simply fewer frames (an unfinalised MF4's last block legitimately runs to
// the end of the file) — never another exception, never a hang, never more frames than the file
// holds. Cut positions: inside block headers, inside DT data, inside DZ blocks, inside BLF
// containers, plus seeded random ones; corruption: seeded random byte flips.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingError } from '../../nodes/buslog/frame.js';
import { formatFrameLine } from '../../nodes/buslog/frame_text.js';
import { openRecording } from '../../nodes/buslog/open.js';
import { prng } from '../helpers/prng.js';
import { readUntilError, recordings } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-buslog-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function readCopy(bytes: Uint8Array, ext: string): Promise<{ lines: string[]; error: unknown }> {
  const p = join(dir, `copy${n++}${ext}`);
  writeFileSync(p, bytes);
  try {
    const r = await openRecording(p);
    const { frames, error } = await readUntilError(r);
    return { lines: frames.map(formatFrameLine), error };
  } catch (e) {
    return { lines: [], error: e };
  } finally {
    rmSync(p, { force: true });
  }
}

/** Offsets inside the structures named (the bytes of a block id found in the file, plus an offset). */
function cutsInside(buf: Buffer, dirName: string): { at: number; why: string }[] {
  const out: { at: number; why: string }[] = [];
  const each = (tag: string, plus: (pos: number) => number, why: string, max = 3): void => {
    let found = 0;
    for (let p = buf.indexOf(tag); p >= 0 && found < max; p = buf.indexOf(tag, p + 1), found++) {
      const at = plus(p);
      if (at > 0 && at < buf.length) out.push({ at, why: `${why} at ${p}` });
    }
  };
  if (dirName === 'mf4') {
    each('##HD', (p) => p + 9, 'inside the HD header', 1);
    each('##DG', (p) => p + 20, 'inside a DG header');
    each('##CG', (p) => p + 40, 'inside a CG');
    each('##CN', (p) => p + 100, 'inside a CN');
    each('##DT', (p) => p + 10, 'inside a DT header');
    each('##DT', (p) => p + 24 + Math.floor(Math.max(0, Math.min(Number(buf.readBigUInt64LE(p + 8)), buf.length - p) - 24) / 2) + 3, 'inside DT data');
    each('##DZ', (p) => p + 30, 'inside a DZ header');
    each('##DZ', (p) => p + 48 + 17, 'inside DZ data');
    each('##SD', (p) => p + 24 + 37, 'inside SD data');
  } else if (dirName === 'blf') {
    each('LOGG', (p) => p + 50, 'inside the file header', 1);
    each('LOBJ', (p) => p + 9, 'inside a container header');
    each('LOBJ', (p) => p + 32 + 11, 'inside container data');
  } else {
    out.push({ at: Math.floor(buf.length / 2), why: 'mid-file' });
  }
  return out;
}

describe('truncated recordings: good frames, then a RecordingError or fewer frames', () => {
  for (const rec of recordings()) {
    it(rec.name, async () => {
      const full = readFileSync(rec.path);
      const ext = rec.path.slice(rec.path.lastIndexOf('.'));
      const rnd = prng(0x5eed + full.length);
      const cuts = [...cutsInside(full, rec.dir), ...Array.from({ length: 30 }, () => ({ at: Math.floor(rnd() * full.length), why: 'seeded random' }))];
      expect(cuts.length).toBeGreaterThan(30);
      const ref = rec.ref.map((r) => r.line);
      const lastFrameEnd = rec.dir === 'asc' ? full.lastIndexOf('\n', full.indexOf(rec.ref[rec.ref.length - 1].line.slice(1, 9).replace(/^0+/, ''))) : full.length;
      for (const { at, why } of cuts) {
        const { lines, error } = await readCopy(full.subarray(0, at), ext);
        const label = `${rec.name} cut at ${at} (${why})`;
        if (error !== undefined && !(error instanceof RecordingError)) throw new Error(`${label}: ${(error as Error).stack}`);
        // A text log cut after its last frame line looks complete; anything else loses frames or says so.
        if (rec.dir !== 'asc' || at < lastFrameEnd) expect(error !== undefined || lines.length < ref.length, `${label}: neither an error nor fewer frames`).toBe(true);
        if (rec.dir !== 'asc') {
          // Records / objects are in write order, which may differ from time order (a Tx frame
          // logged late, BLF objects out of order): a cut keeps some of them, so the frames are a subset of the true list, in time order.
          const left = new Map<string, number>();
          for (const l of ref) left.set(l, (left.get(l) ?? 0) + 1);
          const extra = lines.filter((l) => {
            const k = left.get(l) ?? 0;
            left.set(l, k - 1);
            return k <= 0;
          });
          expect(extra, label).toEqual([]);
          const sorted = [...lines].sort((a, b) => Number(a.slice(1, a.indexOf(')'))) - Number(b.slice(1, b.indexOf(')'))));
          expect(lines.map((l) => l.slice(0, l.indexOf(')'))), label).toEqual(sorted.map((l) => l.slice(0, l.indexOf(')'))));
        } else {
          // Text lines here are in time order: the frames are the start of the true list (the log
          // may lose half of its last line at the cut).
          const bad = lines.findIndex((l, i) => l !== ref[i]);
          expect(bad === -1 || bad === lines.length - 1, `${label}: frame #${bad} ${lines[bad]} vs ${ref[bad]}`).toBe(true);
        }
      }
    });
  }

  it('a cut inside DT data of a sorted, finalised file still gives the frames before the cut', async () => {
    const rec = recordings().find((r) => r.name === 'mf4/css_matlab_00000001_fin.MF4')!;
    const full = readFileSync(rec.path);
    // The CAN DG's DT is the one block that is not 24 bytes long (the other groups are empty).
    let dt = full.indexOf('##DT');
    while (full.readUInt32LE(dt + 8) === 24) dt = full.indexOf('##DT', dt + 1);
    const { lines, error } = await readCopy(full.subarray(0, dt + 24 + 22 * 5000 + 7), '.MF4');
    expect(error).toBeInstanceOf(RecordingError);
    expect((error as Error).message).toMatch(/truncated/);
    expect(lines.length).toBeGreaterThan(4000);
    expect(lines).toEqual(rec.ref.slice(0, lines.length).map((r) => r.line));
  });
});

describe('corrupted recordings (seeded byte flips): a RecordingError or frames, never a crash or a hang', () => {
  for (const rec of recordings()) {
    it(rec.name, async () => {
      const full = readFileSync(rec.path);
      const ext = rec.path.slice(rec.path.lastIndexOf('.'));
      const rnd = prng(0xc0ffee + full.length);
      let errors = 0;
      for (let k = 0; k < 40; k++) {
        const copy = Buffer.from(full);
        const flips = 1 + Math.floor(rnd() * 8);
        const where: number[] = [];
        for (let i = 0; i < flips; i++) {
          const p = Math.floor(rnd() * copy.length);
          copy[p] ^= 1 + Math.floor(rnd() * 255);
          where.push(p);
        }
        const { lines, error } = await readCopy(copy, ext);
        if (error !== undefined && !(error instanceof RecordingError)) throw new Error(`${rec.name} flipped at ${where.join(',')}: ${(error as Error).stack}`);
        if (error) errors++;
        if (rec.dir === 'asc') {
          // A flipped byte spoils a line (skipped, counted) or a value in it, never adds frames.
          expect(lines.length).toBeLessThanOrEqual(rec.ref.length);
        } else {
          // A flipped record id or length can shift records, but never invent more than the bytes hold.
          expect(lines.length).toBeLessThanOrEqual(Math.max(rec.ref.length * 2, full.length / 4));
        }
      }
      if (rec.dir !== 'asc') expect(errors).toBeGreaterThan(0);
    });
  }
});

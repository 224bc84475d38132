// Format sniffing by contents (not by name), clear errors for files that are none of them, and the
// k-way time merge of several sources (stable; a failing source reported after the others' frames).
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingError, type LogFrame } from '../../nodes/buslog/frame.js';
import { MergedRecording, mergeByTime } from '../../nodes/buslog/merge.js';
import { openRecording, sniffFormat } from '../../nodes/buslog/open.js';
import { FIXTURES, hex, readAll, recordings } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openRecording', () => {
  it('recognises every shared recording by its contents, also under a misleading name', async () => {
    for (const rec of recordings()) {
      const copy = join(dir, `renamed-${rec.dir}.dat`);
      copyFileSync(rec.path, copy);
      expect(await sniffFormat(copy), rec.name).toBe(rec.dir);
    }
    const log = join(dir, 'drive.txt');
    writeFileSync(log, '\n(1436509052.249713) can0 123#DEADBEEF\n');
    expect((await openRecording(log)).format).toBe('candump');
  });

  it('says clearly what is wrong with a file that is no recording', async () => {
    const cases: [string, string | Uint8Array | null, RegExp][] = [
      ['missing.mf4', null, /cannot open: no such file/],
      ['empty.blf', '', /the file is empty/],
      ['junk.bin', Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255), /unknown format: not MF4 \(MDF\), BLF \(LOGG\), ASC or candump/],
      ['notes.txt', 'shopping list\nmilk\n', /unknown format: a text file, but neither Vector ASC/],
    ];
    for (const [name, content, why] of cases) {
      const p = join(dir, name);
      if (content !== null) writeFileSync(p, content);
      const e = await openRecording(p).catch((x: unknown) => x);
      expect(e, name).toBeInstanceOf(RecordingError);
      expect((e as Error).message, name).toMatch(why);
      expect((e as Error).message, name).toContain(p);
    }
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    await expect(openRecording(sub)).rejects.toThrow(/is a directory/);
  });
});

const f = (sec: number, id: number): LogFrame => ({ sec, nanosec: 0, channel: 0, id, extended: false, rtr: false, error: false, fd: false, brs: false, esi: false, tx: false, dlc: 0, data: new Uint8Array(0) });
async function* source(batches: LogFrame[][], fail?: string): AsyncGenerator<LogFrame[]> {
  for (const b of batches) yield b;
  if (fail) throw new RecordingError('x', 1, fail);
}

describe('mergeByTime', () => {
  it('merges by time; equal times come in source order, then stream order', async () => {
    const out: number[] = [];
    for await (const b of mergeByTime([source([[f(1, 10), f(3, 11)], [f(3, 12), f(5, 13)]]), source([[f(0, 20), f(3, 21)], [], [f(4, 22)]]), source([[f(3, 30)]])], 2)) {
      expect(b.length).toBeLessThanOrEqual(2);
      out.push(...b.map((x) => x.id));
    }
    expect(out).toEqual([20, 10, 11, 12, 21, 30, 22, 13]);
  });

  it('a failing source ends there; the others go on and the failure comes after their frames', async () => {
    const out: number[] = [];
    const err = await (async () => {
      try {
        for await (const b of mergeByTime([source([[f(1, 10)]], 'cut here'), source([[f(0, 20), f(2, 21), f(9, 22)]])])) out.push(...b.map((x) => x.id));
      } catch (e) {
        return e;
      }
    })();
    expect(out).toEqual([20, 10, 21, 22]);
    expect((err as Error).message).toMatch(/cut here/);
  });

  it('MergedRecording: a CANedge MF4 and its BLF copy merge by time, the first file first at equal times', async () => {
    const mf4 = join(FIXTURES, 'mf4/css_2F6913DB_0004_00000001.MF4');
    const blf = join(FIXTURES, 'blf/derived_pycanblfwriter_css_2F6913DB_0004_00000001.blf');
    const m = new MergedRecording([await openRecording(mf4), await openRecording(blf)]);
    const frames: LogFrame[] = [];
    for await (const b of m.batches()) frames.push(...b);
    const a = await readAll(await openRecording(mf4));
    const b = await readAll(await openRecording(blf));
    // The merge's definition, computed here: a stable sort by time, then file.
    const want = [...a.map((x) => ({ x, s: 0 })), ...b.map((x) => ({ x, s: 1 }))].sort((p, q) => p.x.sec - q.x.sec || p.x.nanosec - q.x.nanosec || p.s - q.s).map((p) => p.x);
    expect(frames.length).toBe(a.length + b.length);
    const key = (x: LogFrame): string => `${x.sec}.${x.nanosec} ${x.channel} ${x.id} ${hex(x.data)}`;
    expect(frames.map(key)).toEqual(want.map(key));
    expect((await m.infos()).map((i) => i.format)).toEqual(['mf4', 'blf']);
  });
});

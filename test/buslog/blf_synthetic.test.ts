// BLF files built by the test-only writer (blf_writer.ts) for what the shared BLFs lack:
// CAN_ERROR_EXT with an id, CAN_FD_MESSAGE_64 stored shorter than its valid-byte count (python-can
// #1905), v2 object headers, 10 µs times, objects spanning stored and zlib containers, other
// object types counted, a zero or invalid start time, truncation inside a container.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlfReader } from '../../nodes/buslog/blf.js';
import { RecordingError, type LogFrame } from '../../nodes/buslog/frame.js';
import { blfFile, blfObject, canErrorExt, canFdMessage, canFdMessage64, canMessage } from './blf_writer.js';
import { hex, readAll, readUntilError } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-blf-synthetic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;
function save(b: Uint8Array): string {
  const p = join(dir, `f${k++}.blf`);
  writeFileSync(p, b);
  return p;
}

const START_MS = Date.UTC(2024, 1, 29, 23, 59, 58, 750); // a leap day, late in the day

function view(f: LogFrame): Record<string, unknown> {
  return { t: `${f.sec}.${String(f.nanosec).padStart(9, '0')}`, ch: f.channel, id: f.id, ext: f.extended, rtr: f.rtr, err: f.error, fd: f.fd, brs: f.brs, esi: f.esi, tx: f.tx, dlc: f.dlc, data: hex(f.data) };
}

const objects = [
  // CAN_MESSAGE, 1 ns units, Rx, 11-bit
  blfObject({ type: 1, ts: 1_000, payload: canMessage(1, 0, 3, 0x123, [1, 2, 3]) }),
  // CAN_MESSAGE2, Tx, extended, 10 µs units, v2 header
  blfObject({ type: 86, ts: 150, flags: 1, headerVersion: 2, payload: canMessage(2, 1, 8, 0x80000000 | 0x18feef00, [9, 8, 7, 6, 5, 4, 3, 2], true) }),
  // remote frame (flags 0x80) with DLC 5
  blfObject({ type: 1, ts: 2_000_000, payload: canMessage(1, 0x80, 5, 0x7df, [0, 0, 0, 0, 0, 0, 0, 0]) }),
  // classic DLC 13: 8 bytes stored
  blfObject({ type: 1, ts: 2_500_000, payload: canMessage(3, 0, 13, 0x3ff, [0x55, 0xaa, 1, 2, 3, 4, 5, 6]) }),
  // CAN_FD_MESSAGE: FD + BRS, 12 bytes (DLC 9)
  blfObject({ type: 100, ts: 3_000_000, payload: canFdMessage(2, 0, 9, 0x200, 0x1 | 0x2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) }),
  // CAN_FD_MESSAGE_64: FD + ESI, Tx, 64 valid bytes but only 5 stored (zero-padded)
  blfObject({ type: 101, ts: 4_000_000, headerVersion: 2, payload: canFdMessage64(4, 15, 64, 0x80000000 | 0x1234567, 0x1000 | 0x4000, 1, [0xde, 0xad, 0xbe, 0xef, 0x01]) }),
  // APP_TEXT and GLOBAL_MARKER: not frames
  blfObject({ type: 65, ts: 4_500_000, payload: new Uint8Array(24) }),
  blfObject({ type: 96, ts: 4_600_000, payload: new Uint8Array(40) }),
  // CAN_ERROR_EXT with an id and two bytes
  blfObject({ type: 73, ts: 5_000_000, payload: canErrorExt(2, 2, 0x80000000 | 0x1abcd, [0xee, 0xff, 0, 0, 0, 0, 0, 0]) }),
  // an object earlier than the one before it (writers do that): sorted on output
  blfObject({ type: 1, ts: 4_900_000, payload: canMessage(1, 0, 1, 0x10, [0x42]) }),
];

const EXPECTED = (base: { sec: number; ns: number }): Record<string, unknown>[] => {
  const t = (ns: number): string => {
    const total = BigInt(base.sec) * 1_000_000_000n + BigInt(base.ns) + BigInt(ns);
    return `${total / 1_000_000_000n}.${String(total % 1_000_000_000n).padStart(9, '0')}`;
  };
  const f = (ns: number, o: Record<string, unknown>): Record<string, unknown> => ({ t: t(ns), ext: false, rtr: false, err: false, fd: false, brs: false, esi: false, tx: false, ...o });
  return [
    f(1_000, { ch: 1, id: 0x123, dlc: 3, data: '010203' }),
    f(1_500_000, { ch: 2, id: 0x18feef00, ext: true, tx: true, dlc: 8, data: '0908070605040302' }),
    f(2_000_000, { ch: 1, id: 0x7df, rtr: true, dlc: 5, data: '' }),
    f(2_500_000, { ch: 3, id: 0x3ff, dlc: 13, data: '55AA010203040506' }),
    f(3_000_000, { ch: 2, id: 0x200, fd: true, brs: true, dlc: 9, data: '0102030405060708090A0B0C' }),
    f(4_000_000, { ch: 4, id: 0x1234567, ext: true, fd: true, esi: true, tx: true, dlc: 15, data: `DEADBEEF01${'00'.repeat(59)}` }),
    f(4_900_000, { ch: 1, id: 0x10, dlc: 1, data: '42' }),
    f(5_000_000, { ch: 2, id: 0x1abcd, ext: true, err: true, dlc: 2, data: 'EEFF' }),
  ];
};

describe('BLF objects', () => {
  it('every CAN object type, v1 and v2 headers, 10 µs and 1 ns times, objects spanning stored and zlib containers', async () => {
    const total = objects.reduce((n, o) => n + o.length, 0);
    const file = blfFile(objects, { startMs: START_MS, cuts: [10, 57, 200, total - 30], stored: (i) => i % 2 === 1 });
    const r = new BlfReader(save(file));
    const info = await r.info();
    expect(info.absoluteTime).toBe(true);
    expect(info.start).toEqual({ sec: Math.floor(START_MS / 1000), nanosec: 750_000_000 });
    expect((await readAll(r)).map(view)).toEqual(EXPECTED({ sec: Math.floor(START_MS / 1000), ns: 750_000_000 }));
    expect(r.skipped).toEqual({ 'APP_TEXT objects': 1, 'GLOBAL_MARKER objects': 1 });
  });

  it('a zero start time gives times since the measurement start; an invalid SYSTEMTIME counts as none', async () => {
    for (const startMs of [0, [2024, 13, 0, 1, 0, 0, 0, 0], [2023, 2, 0, 29, 0, 0, 0, 0]]) {
      const r = new BlfReader(save(blfFile(objects, { startMs })));
      const info = await r.info();
      expect(info.absoluteTime).toBe(false);
      expect(info.start).toBeUndefined();
      expect((await readAll(r)).map(view)).toEqual(EXPECTED({ sec: 0, ns: 0 }));
    }
  });

  it('objects outside containers and containers with an unknown compression are counted', async () => {
    const r = new BlfReader(save(blfFile(objects.slice(0, 2), { cuts: [objects[0].length], method: (i) => (i === 1 ? 7 : 2), topLevel: [objects[2]] })));
    expect((await readAll(r)).map((f) => f.id)).toEqual([0x123]);
    expect(r.skipped).toEqual({ 'containers with unknown compression method 7': 1, 'top-level CAN_MESSAGE objects': 1 });
  });

  it('a file cut inside a zlib container gives the frames before the cut, then a RecordingError', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => blfObject({ type: 1, ts: i * 1000, payload: canMessage(1, 0, 8, i & 0x7ff, [i & 255, 1, 2, 3, 4, 5, 6, 7]) }));
    const file = blfFile(many, { startMs: START_MS });
    const { frames, error } = await readUntilError(new BlfReader(save(file.subarray(0, Math.floor(file.length * 0.6)))));
    expect(error).toBeInstanceOf(RecordingError);
    expect((error as Error).message).toMatch(/truncated/);
    expect(frames.length).toBeGreaterThan(100);
    expect(frames.length).toBeLessThan(2000);
    frames.forEach((f, i) => expect([f.id, f.data[0]]).toEqual([i & 0x7ff, i & 255]));
  });

  it('a zlib container corrupted in the middle gives the frames before the damage, then a RecordingError (found by npm run fuzz)', async () => {
    // Before: the whole container was lost (0 frames) while a copy cut at the same byte gave its first frames.
    const many = Array.from({ length: 2000 }, (_, i) => blfObject({ type: 1, ts: i * 1000, payload: canMessage(1, 0, 8, i & 0x7ff, [i & 255, 1, 2, 3, 4, 5, 6, 7]) }));
    const file = blfFile(many, { startMs: START_MS });
    const at = Math.floor(file.length * 0.6);
    const corrupt = new Uint8Array(file.length + 1);
    corrupt.set(file.subarray(0, at));
    corrupt[at] = 0x4c;
    corrupt.set(file.subarray(at), at + 1);
    const damaged = await readUntilError(new BlfReader(save(corrupt)));
    expect(damaged.error).toBeInstanceOf(RecordingError);
    expect((damaged.error as Error).message).toMatch(/log container does not inflate/);
    const cut = await readUntilError(new BlfReader(save(file.subarray(0, at))));
    expect(cut.frames.length).toBeGreaterThan(100);
    expect(damaged.frames.length).toBeGreaterThanOrEqual(cut.frames.length);
    damaged.frames.forEach((f, i) => expect([f.id, f.data[0]]).toEqual([i & 0x7ff, i & 255]));
  });

  it('a file shorter than its header says is truncated even when it ends between objects', async () => {
    const file = blfFile(objects.slice(0, 3), { startMs: START_MS, fileSize: 100_000 });
    const { frames, error } = await readUntilError(new BlfReader(save(file)));
    expect(frames.length).toBe(3);
    expect((error as Error).message).toMatch(/header says 100000: truncated/);
  });

  it('garbage where an object should start is a RecordingError, not a crash', async () => {
    const junk = new Uint8Array(40).fill(0x5a);
    const { frames, error } = await readUntilError(new BlfReader(save(blfFile([objects[0], junk, objects[1]], { startMs: START_MS }))));
    expect(frames.map((f) => f.id)).toEqual([0x123]);
    expect((error as Error).message).toMatch(/LOBJ/);
  });
});

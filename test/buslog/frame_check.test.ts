// Frames no bus or ROS message can carry are left out and counted by every reader (found by npm run
// fuzz): a time beyond a ROS time stamp, an 11-bit frame with an id above 7FF.
//
// A frame whose time no ROS time stamp holds (builtin_interfaces/Time: int32 seconds, so
// 1970-01-01 .. 2038-01-19 03:14:07) is left out and counted by every reader: can_bridge could not
// publish it, and a corrupt start time must not turn a recording into stamps from the year 2158.
// Found by npm run fuzz (an MF4 with a flipped bit in its HD start time gave sec 5,937,830,752).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRecording } from '../../nodes/buslog/open.js';
import { ID_TOO_WIDE, LENGTH_NOT_DLC, OUT_OF_ROS_TIME } from '../../nodes/buslog/frame_check.js';
import { blfFile, blfObject, canFdMessage, canMessage } from './blf_writer.js';
import { FIXTURES, readAll, readUntilError } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-buslog-time-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;
function save(b: Uint8Array, ext: string): string {
  const p = join(dir, `f${k++}${ext}`);
  writeFileSync(p, b);
  return p;
}

const SKIPPED = OUT_OF_ROS_TIME;
const Y2200_MS = Date.UTC(2200, 0, 1);

describe('frames whose time is beyond a ROS time stamp are left out and counted', () => {
  it('MF4 whose HD start time is in 2200: no frame, every one counted', async () => {
    const bytes = Buffer.from(readFileSync(join(FIXTURES, 'mf4/css_17BD1DB7_00000170.MF4')));
    const whole = await readAll(await openRecording(save(bytes, '.MF4')));
    expect(whole.length).toBeGreaterThan(1000);
    const hd = bytes.indexOf('##HD');
    bytes.writeBigUInt64LE(BigInt(Y2200_MS) * 1_000_000n, hd + 72); // hd_start_time_ns
    const r = await openRecording(save(bytes, '.MF4'));
    expect(await readAll(r)).toEqual([]);
    expect(r.skipped[SKIPPED]).toBe(whole.length);
  });

  it('BLF whose header start time is in 2200; a frame 100 years after a 2024 start', async () => {
    const objects = [blfObject({ type: 1, ts: 1_000, payload: canMessage(1, 0, 1, 0x123, [1]) }), blfObject({ type: 1, ts: 2_000, payload: canMessage(1, 0, 1, 0x124, [2]) })];
    const late = await openRecording(save(blfFile(objects, { startMs: Y2200_MS }), '.blf'));
    expect(await readAll(late)).toEqual([]);
    expect(late.skipped[SKIPPED]).toBe(2);
    const century = 100 * 365.25 * 86400 * 1e9;
    const mixed = await openRecording(save(blfFile([objects[0], blfObject({ type: 1, ts: century, payload: canMessage(1, 0, 1, 0x125, [3]) })], { startMs: Date.UTC(2024, 0, 1) }), '.blf'));
    expect((await readAll(mixed)).map((f) => f.id)).toEqual([0x123]);
    expect(mixed.skipped[SKIPPED]).toBe(1);
  });

  it('ASC: an event 3,000,000,000 s after the measurement start', async () => {
    const text = ['date Mon Jan 1 00:00:00.000 am 2024', 'base hex  timestamps absolute', '0.010000 1  123  Rx   d 1 01', '3000000000.000000 1  124  Rx   d 1 02', '0.020000 1  125  Rx   d 1 03', ''].join('\n');
    const r = await openRecording(save(Buffer.from(text), '.asc'));
    expect((await readAll(r)).map((f) => f.id)).toEqual([0x123, 0x125]);
    expect(r.skipped[SKIPPED]).toBe(1);
  });
});

describe('a standard frame with an id above 7FF is left out and counted', () => {
  it('BLF: CAN_MESSAGE id 0x81B without the extended bit; the extended 0x8000081B is read', async () => {
    const r = await openRecording(
      save(
        blfFile([
          blfObject({ type: 1, ts: 1_000, payload: canMessage(1, 0, 1, 0x81b, [1]) }),
          blfObject({ type: 1, ts: 2_000, payload: canMessage(1, 0, 1, 0x8000081b, [2]) }),
          blfObject({ type: 1, ts: 3_000, payload: canMessage(1, 0, 1, 0x7ff, [3]) }),
        ], { startMs: Date.UTC(2024, 0, 1) }),
        '.blf',
      ),
    );
    expect((await readAll(r)).map((f) => [f.id, f.extended])).toEqual([[0x81b, true], [0x7ff, false]]);
    expect(r.skipped[ID_TOO_WIDE]).toBe(1);
  });
});

describe('a frame whose data length does not match its DLC is left out and counted', () => {
  it('MF4: a record whose DataLength field was zeroed (DLC 8, no data bytes) — found by npm run fuzz', async () => {
    const bytes = Buffer.from(readFileSync(join(FIXTURES, 'mf4/css_17BD1DB7_00000170.MF4')));
    const whole = await readAll(await openRecording(save(bytes, '.MF4')));
    // The two bytes the fuzzer zeroed: the DataLength of one record (its DLC still says 8).
    bytes[55298] = 0;
    bytes[55301] = 0;
    const r = await openRecording(save(bytes, '.MF4'));
    const frames = await readAll(r);
    expect(r.skipped[LENGTH_NOT_DLC]).toBe(1);
    expect(frames.length).toBe(whole.length - 1);
    for (const f of frames) expect(f.data.length).toBe(Math.min(f.dlc, 8));
  });

  it('BLF: CAN_MESSAGE with DLC 9..15 carries 8 bytes and is read; the rules hold for every shared recording', async () => {
    const r = await openRecording(save(blfFile([blfObject({ type: 1, ts: 1_000, payload: canMessage(1, 0, 13, 0x123, [1, 2, 3, 4, 5, 6, 7, 8]) })], { startMs: Date.UTC(2024, 0, 1) }), '.blf'));
    expect((await readAll(r)).map((f) => [f.dlc, f.data.length])).toEqual([[13, 8]]);
    expect(r.skipped[LENGTH_NOT_DLC]).toBeUndefined();
  });
});

describe('BRS and ESI are CAN FD bits: a classic frame never carries them (found by npm run fuzz)', () => {
  it('MF4: records shifted by a 23-byte delete set the ESI bit of classic frames; it is read only with EDL', async () => {
    const whole = readFileSync(join(FIXTURES, 'mf4/css_matlab_00000001_fin.MF4'));
    const shifted = Buffer.concat([whole.subarray(0, 266845), whole.subarray(266845 + 23)]);
    // The shift also breaks the block chain after the data: the good frames, then a RecordingError.
    const { frames } = await readUntilError(await openRecording(save(shifted, '.MF4')));
    expect(frames.length).toBeGreaterThan(1000);
    for (const f of frames) if (!f.fd) expect([f.brs, f.esi]).toEqual([false, false]);
  });

  it('BLF: CAN_FD_MESSAGE with BRS and ESI but without EDL is a classic frame without them', async () => {
    const r = await openRecording(save(blfFile([blfObject({ type: 100, ts: 1_000, payload: canFdMessage(1, 0, 2, 0x123, 0x2 | 0x4, [1, 2]) }), blfObject({ type: 100, ts: 2_000, payload: canFdMessage(1, 0, 2, 0x124, 0x1 | 0x2 | 0x4, [1, 2]) })], { startMs: Date.UTC(2024, 0, 1) }), '.blf'));
    expect((await readAll(r)).map((f) => [f.id, f.fd, f.brs, f.esi])).toEqual([[0x123, false, false, false], [0x124, true, true, true]]);
  });
});

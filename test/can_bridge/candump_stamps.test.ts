// Regression (issue 9, defect 2): candump time stamps a ROS time stamp cannot hold.
// builtin_interfaces/Time.sec is int32, so a frame's seconds must be 0..2^31-1 (2038-01-19
// 03:14:07 UTC); candump itself prints tv_sec as an unsigned 64-bit number, so larger values are
// possible in a file (a clock far off, or corruption). Before the fix they were accepted —
// (4294967296.5) as a frame at 4294967296 s, 24 digits as 1e23 s, 400 digits as Infinity — and
// the writer formatted such a frame as "(00Infinity.300900)". Now: an unreadable line (counted by
// the replay, which goes on), and the writer refuses to format a time it would not read back.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CandumpParseError, formatCandumpLine, parseCandumpLine, type CandumpFrame } from '../../nodes/buslog/candump.js';
import { CandumpSource } from '../../nodes/can_bridge/candump_source.js';

const INT32_MAX = 2147483647;

const frame = (time: { sec: number; nanosec: number }): CandumpFrame => ({
  time,
  iface: 'can0',
  id: 0x7e0,
  extended: false,
  fd: false,
  brs: false,
  esi: false,
  rtr: false,
  error: false,
  data: Uint8Array.of(1),
  dlc: 1,
});

const beyond = [
  '(4294967296.5) can0 7E0#01',
  `(1${'0'.repeat(23)}.300900) can0 7E0#01`, // 1e23 s
  `(${'9'.repeat(400)}.300900) can0 7E0#01`, // Number() → Infinity
  '(2147483648.000000) can0 7E0#01', // 2^31: one past int32
  '(99999999999.000000) can0 7E0#01',
];

describe('candump time stamps beyond a ROS time stamp', () => {
  for (const line of beyond) {
    it(`rejects ${line.slice(0, 40)}${line.length > 40 ? '...' : ''} as an unreadable line`, () => {
      expect(() => parseCandumpLine(line)).toThrow(CandumpParseError);
      expect(() => parseCandumpLine(line)).toThrow(/beyond a ROS time stamp/);
    });
  }

  it('accepts the last second int32 holds, and leading zeros', () => {
    expect(parseCandumpLine('(2147483647.999999) can0 7E0#01')?.time).toEqual({ sec: INT32_MAX, nanosec: 999999000 });
    expect(parseCandumpLine('(00000000002147483647.000001) can0 7E0#01')?.time).toEqual({ sec: INT32_MAX, nanosec: 1000 });
    expect(parseCandumpLine('(0000000000.000000) can0 7E0#01')?.time).toEqual({ sec: 0, nanosec: 0 });
  });

  it('the writer formats no time it would not read back', () => {
    for (const time of [
      { sec: Infinity, nanosec: 300900000 },
      { sec: 1e23, nanosec: 0 },
      { sec: 2 ** 31, nanosec: 0 },
      { sec: -1, nanosec: 0 },
      { sec: NaN, nanosec: 0 },
      { sec: 1.5, nanosec: 0 },
      { sec: 1, nanosec: 1e9 },
      { sec: 1, nanosec: -1 },
    ]) {
      expect(() => formatCandumpLine(frame(time)), JSON.stringify(time)).toThrow(RangeError);
    }
    const last = formatCandumpLine(frame({ sec: INT32_MAX, nanosec: 999999999 }));
    expect(last).toBe('(2147483647.999999) can0 7E0#01');
    expect(parseCandumpLine(last)?.time).toEqual({ sec: INT32_MAX, nanosec: 999999000 });
  });
});

describe('a candump replay with such lines', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('counts them as bad lines and replays every other frame', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-candump-stamps-'));
    const path = join(dir, 'log');
    const good = ['(1700000000.000000) can0 7E0#01', '(1700000000.010000) can0 7E0#02', '(1700000000.020000) can0 7E0#03'];
    writeFileSync(path, [good[0], ...beyond, good[1], beyond[0], good[2]].join('\n') + '\n');
    const frames: { sec: number; nanosec: number; data: number[] }[] = [];
    let ended: Error | undefined | 'no' = 'no';
    const src = new CandumpSource(
      { path, realtime: false, stamps: 'log', now: () => ({ sec: 0, nanosec: 0 }), logger: pino({ level: 'silent' }) },
      { frame: (_iface, f) => frames.push({ ...f.stamp, data: [...f.data] }), end: (e) => (ended = e) },
    );
    src.start();
    await src.done;
    expect(ended).toBeUndefined();
    expect(src.counters).toMatchObject({ lines: good.length + beyond.length + 1, frames: 3, badLines: beyond.length + 1 });
    expect(frames).toEqual([
      { sec: 1700000000, nanosec: 0, data: [1] },
      { sec: 1700000000, nanosec: 10_000_000, data: [2] },
      { sec: 1700000000, nanosec: 20_000_000, data: [3] },
    ]);
  });
});

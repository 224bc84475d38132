// ASC and candump text logs written here line by line for what the shared ones lack: base dec,
// relative timestamps, CANFD lines with and without a symbolic name, TxRq and other events,
// unreadable lines counted; the date line in its forms; candump interface names and channels.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AscReader, parseAscDate } from '../../nodes/buslog/asc.js';
import { CandumpReader } from '../../nodes/buslog/candump_reader.js';
import type { LogFrame } from '../../nodes/buslog/frame.js';
import { formatFrameLine } from '../../nodes/buslog/frame_text.js';
import { readAll } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-text-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;
function save(text: string, ext: string): string {
  const p = join(dir, `f${k++}${ext}`);
  writeFileSync(p, text);
  return p;
}
const lines = (fs: LogFrame[]): string[] => fs.map(formatFrameLine);

describe('ASC', () => {
  it('base dec: decimal ids, DLCs and bytes', async () => {
    const r = new AscReader(save(['date Mon Jan 8 09:15:00.250 2024', 'base dec  timestamps absolute', 'no internal events logged', '   1.000000 1  291             Rx   d 3 1 2 255', '   1.500000 2  419360512x      Tx   d 2 16 32', '   2.000000 1  291             Rx   r 8', ''].join('\r\n'), '.asc'));
    const info = await r.info();
    expect(info.detail).toContain('base dec');
    expect(info.start).toEqual({ sec: Date.UTC(2024, 0, 8, 9, 15, 0) / 1000, nanosec: 250_000_000 });
    const fs = await readAll(r);
    expect(lines(fs)).toEqual(['(1.000000) can1 123#0102FF', '(1.500000) can2 18FEEF00#1020', '(2.000000) can1 123#R8']);
    expect(fs.map((f) => f.tx)).toEqual([false, true, false]);
  });

  it('timestamps relative: each time counts from the event before (status lines included)', async () => {
    const r = new AscReader(save(['date Mon Jan 8 09:15:00 2024', 'base hex  timestamps relative', '   0.500000 1  100 Rx d 1 01', '   0.250000 CAN 1 Status:chip status error active', '   0.250000 1  100 Rx d 1 02', ''].join('\n'), '.asc'));
    expect((await r.info()).detail).toContain('timestamps relative');
    expect(lines(await readAll(r))).toEqual(['(0.500000) can1 100#01', '(1.000000) can1 100#02']);
  });

  it('CANFD lines with and without a symbolic name, FD remote (length 0), FD error frames; DLC above 8 on classic lines', async () => {
    const text = [
      'date Thu Apr 28 10:44:52.480 am 2022',
      'base hex  timestamps absolute',
      '   1.000000 CANFD   1 Rx        1A2  EngineData                       1 0 d 32 ' + Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join(' ') + '   102203  133   303000 e0006659 46500250 4b140250 20011736 2001040d',
      '   1.100000 CANFD   2 Tx   18DAF110x                                   0 1 3  3 0a 0b 0c   102203  133   303000 e0006659 46500250 4b140250 20011736 2001040d',
      '   1.200000 CANFD   3 Rx        123                                   0 0 5 0 140000 73 200050 7a60 46500250 460a0250 20011736 20010205',
      '   1.300000 CANFD   1 Rx ErrorFrame Stuff error 0 0 0 0',
      '   1.400000 1  3FF             Tx   d F 01 02 03 04 05 06 07 08  Length = 232016 BitCount = 119 ID = 1023',
      'End TriggerBlock',
    ].join('\n');
    const r = new AscReader(save(text, '.asc'));
    expect((await r.info()).start).toEqual({ sec: Date.UTC(2022, 3, 28, 10, 44, 52) / 1000, nanosec: 480_000_000 });
    const fs = await readAll(r);
    expect(lines(fs)).toEqual([
      `(1.000000) can1 1A2##1${Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join('')}`,
      '(1.100000) can2 18DAF110##20A0B0C',
      '(1.200000) can3 123#R5',
      '(1.300000) can1 ERROR',
      '(1.400000) can1 3FF#0102030405060708_F',
    ]);
    expect(fs.map((f) => [f.fd, f.dlc, f.tx])).toEqual([
      [true, 13, false],
      [true, 3, true],
      [true, 5, false],
      [true, 0, false],
      [false, 15, true],
    ]);
  });

  it('lines that are not frames are skipped and counted by kind; broken frame lines too', async () => {
    const text = [
      'date Sam Sep 30 15:06:13.191 2017',
      'base hex  timestamps absolute',
      'internal events logged',
      '// version 9.0.0',
      'Begin Triggerblock Sam Sep 30 15:06:13.191 2017',
      '   0.000000 Start of measurement',
      '   0.015991 CAN 1 Status:chip status error passive - TxErr: 132 RxErr: 0',
      '   1.015991 1  Statistic: D 0 R 0 XD 0 XR 0 E 0 O 0 B 0.00%',
      '   1.100000 1  100             TxRq d 1 00',
      '   1.200000 1  J1939TP FEE3p        6    0  0   -   Rx   d 23 A0 0F',
      '   1.300000 SV: 1 0 1 ::Var = 5',
      '   1.400000 1  10G             Rx   d 1 00',
      '   1.500000 1  100             Rx   d 1 01',
      // Fewer bytes than the DLC or length says (a cut line, found by npm run fuzz): not a frame.
      '   1.600000 1  3FF             Tx   d D',
      '   1.700000 1  3FF             Tx   d 8 01 02 03',
      '   1.800000 CANFD   1 Rx        300                                   1 0 9 12 11 c2 03 04 05',
      // A length that is not the DLC's (DLC 9 is 12 bytes): not a frame either.
      '   1.900000 CANFD   1 Rx        300                                   1 0 9  5 11 c2 03 04 05',
      'garbage',
      'End TriggerBlock',
    ].join('\n');
    const r = new AscReader(save(text, '.asc'));
    expect(lines(await readAll(r))).toEqual(['(1.500000) can1 100#01']);
    expect(r.skipped).toEqual({
      'header lines': 3,
      'comment lines': 1,
      'trigger block lines': 2,
      'start of measurement lines': 1,
      'chip status lines': 1,
      'statistic lines': 1,
      'TxRq lines (transmit requests)': 1,
      'J1939TP lines (reassembled transport-protocol messages)': 1,
      'other events': 1,
      'frame lines that do not parse': 5,
      'lines that are not events': 1,
    });
  });

  it('parseAscDate reads English and German month names, 12- and 24-hour times, with or without ms', () => {
    expect(parseAscDate('Sep 30 15:06:13.191 2017')).toBe(Date.UTC(2017, 8, 30, 15, 6, 13, 191));
    expect(parseAscDate('Apr 28 10:44:52.480 am 2022')).toBe(Date.UTC(2022, 3, 28, 10, 44, 52, 480));
    expect(parseAscDate('Apr 28 12:00:01 am 2022')).toBe(Date.UTC(2022, 3, 28, 0, 0, 1));
    expect(parseAscDate('Apr 28 01:02:03.5 pm 2022')).toBe(Date.UTC(2022, 3, 28, 13, 2, 3, 500));
    expect(parseAscDate('Okt 3 08:00:00 2021')).toBe(Date.UTC(2021, 9, 3, 8));
    expect(parseAscDate('M\u00e4r 3 08:00:00 2021')).toBe(Date.UTC(2021, 2, 3, 8));
    expect(parseAscDate('Dez 24 18:00:00.000 2020')).toBe(Date.UTC(2020, 11, 24, 18));
    expect(parseAscDate('Feb 30 08:00:00 2021')).toBeUndefined();
    expect(parseAscDate('nonsense')).toBeUndefined();
  });
});

describe('candump logs as recordings', () => {
  it('channels from interface names: trailing digits, else numbers from 1000; -x direction; bad lines counted', async () => {
    const text = [
      '(1700000000.000001) can0 123#DEADBEEF',
      '(1700000000.000002) vcan3 12345678#R',
      '(1700000000.000003) any 7FF##3AABB',
      '(1700000000.000004) vcan0 100#11 T',
      '(1700000000.000005) can0 20000080#0000000000000000',
      'not a frame',
      '(1700000000.000006) canA 001#1122334455667788_C',
      '',
    ].join('\n');
    const r = new CandumpReader(save(text, '.log'));
    const info = await r.info();
    expect(info.groups.map((g) => g.name)).toEqual(['can0', 'vcan3', 'any', 'vcan0', 'canA']);
    const fs = await readAll(r);
    expect(lines(fs)).toEqual([
      '(1700000000.000001) can0 123#DEADBEEF',
      '(1700000000.000002) can3 12345678#R',
      '(1700000000.000003) can1000 7FF##3AABB',
      '(1700000000.000004) can1001 100#11',
      '(1700000000.000005) can0 ERROR',
      '(1700000000.000006) can1002 001#1122334455667788_C',
    ]);
    expect(fs.map((f) => f.tx)).toEqual([false, false, false, true, false, false]);
    expect(Object.fromEntries(r.interfaces)).toEqual({ can0: 0, vcan3: 3, any: 1000, vcan0: 1001, canA: 1002 });
    expect(r.skipped).toEqual({ 'lines that are not frames': 1 });
    expect(r.badLines[0]).toMatch(/^line 6: /);
  });
});

// candump log lines, judged by can-utils itself: log2long (classic frames: id, length, data,
// remote and error frames) and log2asc (CAN FD: BRS/ESI flags, length, data, relative time)
// read the same files our writer produced, and must see what our parser sees.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CandumpParseError, formatCandumpLine, parseCandumpLine, parseCandumpLineGeneral, parseClassicLine, type CandumpFrame } from '../../nodes/buslog/candump.js';
import { rng } from './helpers.js';

const frame = (over: Partial<CandumpFrame>): CandumpFrame => ({
  time: { sec: 0, nanosec: 0 },
  iface: 'can0',
  id: 0,
  extended: false,
  fd: false,
  brs: false,
  esi: false,
  rtr: false,
  error: false,
  data: new Uint8Array(0),
  dlc: 0,
  ...over,
});

describe('parseCandumpLine', () => {
  it('the example of the format: (1436509052.249713) can0 123#DEADBEEF', () => {
    expect(parseCandumpLine('(1436509052.249713) can0 123#DEADBEEF')).toEqual(
      frame({ time: { sec: 1436509052, nanosec: 249713000 }, id: 0x123, data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]), dlc: 4 }),
    );
  });

  it('every frame kind', () => {
    expect(parseCandumpLine('(1.5) vcan1 12345678#11.22.33')).toMatchObject({ time: { sec: 1, nanosec: 500000000 }, iface: 'vcan1', id: 0x12345678, extended: true, data: Uint8Array.from([0x11, 0x22, 0x33]) });
    expect(parseCandumpLine('(2.000000) can0 123##1DEADBEEF')).toMatchObject({ id: 0x123, fd: true, brs: true, esi: false, data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]), dlc: 4 });
    expect(parseCandumpLine('(2.000000) can0 1ABCDEF0##3' + 'AA'.repeat(64))).toMatchObject({ id: 0x1abcdef0, extended: true, fd: true, brs: true, esi: true, dlc: 15 });
    expect(parseCandumpLine('(2.000000) can0 123##0')).toMatchObject({ fd: true, data: new Uint8Array(0) });
    expect(parseCandumpLine('(3.000000) can0 123#R')).toMatchObject({ rtr: true, dlc: 0, data: new Uint8Array(0) });
    expect(parseCandumpLine('(3.000000) can0 00000123#R5')).toMatchObject({ rtr: true, extended: true, id: 0x123, dlc: 5 });
    expect(parseCandumpLine('(4.000000) can0 20000080#0000000000000000')).toMatchObject({ error: true, id: 0x80, extended: false, dlc: 8 });
    expect(parseCandumpLine('(5.000000) can0 123#1122334455667788_E')).toMatchObject({ dlc: 14, data: Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]) });
    expect(parseCandumpLine('(6.000000) can0 123#deadbeef R')).toMatchObject({ data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) });
    expect(parseCandumpLine('(7.123456789) can0 7FF#')).toMatchObject({ time: { sec: 7, nanosec: 123456789 }, id: 0x7ff, data: new Uint8Array(0) });
    expect(parseCandumpLine('   ')).toBeNull();
  });

  const bad: [string, RegExp][] = [
    ['can0 123#11', /expected "\(seconds\.fraction\) interface frame"/],
    ['(1.0) can0 1234#11', /3 or 8 hex digits of id/],
    ['(1.0) can0 12G#11', /id is not hexadecimal/],
    ['(1.0) can0 5FFFFFFF#11', /exceeds 29 bits/],
    // Found by npm run fuzz: three hex digits reach 0xFFF, but a standard id has 11 bits.
    ['(0.000000) a 800#', /standard id 0x800 exceeds 11 bits/],
    ['(1.0) can0 FFF#R', /standard id 0xfff exceeds 11 bits/],
    ['(1.0) can0 123#112', /up to 8 data bytes/],
    ['(1.0) can0 123#112233445566778899', /up to 8 data bytes/],
    ['(1.0) can0 123##G11', /flags nibble/],
    ['(1.0) can0 123##1' + '00'.repeat(65), /up to 64 data bytes/],
    ['(1.0) can0 123#R9', /remote-request length 0..8/],
    ['(1.0) can0 123#1122_E', /needs 8 data bytes/],
    ['(1.0) can0 123#1122334455667788_3', /DLC 9..F/],
  ];
  for (const [line, re] of bad) {
    it(`rejects ${JSON.stringify(line.slice(0, 40))}`, () => {
      expect(() => parseCandumpLine(line)).toThrow(CandumpParseError);
      expect(() => parseCandumpLine(line)).toThrow(re);
    });
  }
});

describe('parseClassicLine (the fast path) reads what parseCandumpLineGeneral reads', () => {
  /** What the general parser makes of a line: the frame, or the error's message. */
  const general = (line: string): CandumpFrame | null | string => {
    try {
      return parseCandumpLineGeneral(line);
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };

  it('for written lines and for lines with one character changed, inserted or removed', () => {
    const r = rng(7);
    const chars = '0123456789abcdefABCDEFRr#_.() \t\u00a0xG-';
    const lines: string[] = [];
    for (const f of randomFrames(3000, 11)) {
      const line = formatCandumpLine(f);
      lines.push(line);
      for (let k = 0; k < 4; k++) {
        const at = Math.floor(r() * (line.length + 1));
        const c = chars[Math.floor(r() * chars.length)];
        const op = Math.floor(r() * 3);
        lines.push(op === 0 ? line.slice(0, at) + c + line.slice(at + 1) : op === 1 ? line.slice(0, at) + c + line.slice(at) : line.slice(0, at) + line.slice(at + 1));
      }
    }
    lines.push('(0000000001.5) can0 123#11', '(99999999999.5) can0 123#11', '(2147483648.0) can0 123#11', '(2147483647.999999999) can0 123#', '(1.1234567891) can0 123#11', '(1) can0 123#11');
    let fast = 0;
    for (const line of lines) {
      const f = parseClassicLine(line);
      if (f === undefined) continue;
      fast++;
      expect(f, line).toStrictEqual(general(line));
    }
    // Most written classic frames take the fast path; the mutations mostly do not.
    expect(fast).toBeGreaterThan(1000);
    expect(fast).toBeLessThan(lines.length);
  });

  it('a second interface name is its own string (the reused last name never leaks to another bus)', () => {
    expect(parseClassicLine('(1.000001) can0 123#11')?.iface).toBe('can0');
    expect(parseClassicLine('(1.000002) can1 123#11')?.iface).toBe('can1');
    expect(parseClassicLine('(1.000003) can0 123#11')?.iface).toBe('can0');
    expect(parseClassicLine('(1.000004) can00 123#11')?.iface).toBe('can00');
  });
});

function randomFrames(n: number, seed: number): CandumpFrame[] {
  const r = rng(seed);
  const out: CandumpFrame[] = [];
  let t = 1700000000 * 1e6;
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(r() * 5000);
    const time = { sec: Math.floor(t / 1e6), nanosec: (t % 1e6) * 1000 };
    const kind = r();
    const extended = r() < 0.4;
    const id = extended ? Math.floor(r() * 0x20000000) : Math.floor(r() * 0x800);
    const bytes = (len: number) => Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
    if (kind < 0.1) out.push(frame({ time, id, extended, rtr: true, dlc: Math.floor(r() * 9) }));
    else if (kind < 0.15) out.push(frame({ time, id: Math.floor(r() * 0x200), error: true, data: bytes(8), dlc: 8 }));
    else if (kind < 0.45) {
      const lens = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];
      const len = lens[Math.floor(r() * lens.length)];
      out.push(frame({ time, id, extended, fd: true, brs: r() < 0.5, esi: r() < 0.3, data: bytes(len), dlc: lens.indexOf(len) }));
    } else {
      const len = Math.floor(r() * 9);
      out.push(frame({ time, id, extended, data: bytes(len), dlc: len }));
    }
  }
  return out;
}

describe('writer and parser against can-utils (log2long, log2asc)', () => {
  const frames = randomFrames(400, 42);
  const dir = mkdtempSync(join(tmpdir(), 'vil-candump-'));
  const path = join(dir, 'gen.log');
  writeFileSync(path, frames.map((f) => `${formatCandumpLine(f)}\n`).join(''));

  it('parse(format(frame)) gives the frame back', () => {
    for (const f of frames) expect(parseCandumpLine(formatCandumpLine(f))).toEqual(f);
  });

  it('log2long (can-utils) reads the same ids, lengths, data, remote and error frames as parseCandumpLine', () => {
    const long = execFileSync('log2long', [], { input: frames.map((f) => `${formatCandumpLine(f)}\n`).join(''), encoding: 'utf8' }).trimEnd().split('\n');
    expect(long).toHaveLength(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const ours = parseCandumpLine(formatCandumpLine(frames[i]))!;
      // "(1700000000.004223)  can0  1A2B3C4D  [04]  DE AD BE EF   '....'"
      const m = /^\((\d+\.\d+)\)\s+(\S+)\s+([0-9A-F]+)\s+\[(\d+)\]\s+(.*)$/.exec(long[i]);
      expect(m, long[i]).not.toBeNull();
      const [, ts, iface, idHex, len, rest] = m!;
      expect(ts).toBe(`${ours.time.sec}.${String(ours.time.nanosec / 1000).padStart(6, '0')}`);
      expect(iface).toBe(ours.iface);
      const id = parseInt(idHex, 16);
      if (ours.error) expect(id).toBe(ours.id | 0x20000000);
      else expect(id).toBe(ours.id);
      expect(idHex.length === 8, long[i]).toBe(ours.extended || ours.error);
      if (ours.rtr) {
        expect(rest.trim(), long[i]).toBe('remote request');
        expect(Number(len)).toBe(ours.dlc);
        continue;
      }
      expect(Number(len)).toBe(ours.data.length);
      const bytes = rest.trim().split(/\s+/).slice(0, ours.data.length).map((h) => parseInt(h, 16));
      expect(Uint8Array.from(bytes), long[i]).toEqual(ours.data);
      if (ours.error) expect(rest).toContain('ERRORFRAME');
    }
  });

  it('log2asc (can-utils) reads the same CAN FD flags, lengths, data and relative times', () => {
    const fd = frames.filter((f) => f.fd);
    const fdPath = join(dir, 'fd.log');
    writeFileSync(fdPath, fd.map((f) => `${formatCandumpLine(f)}\n`).join(''));
    const asc = execFileSync('log2asc', ['-I', fdPath, 'can0'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('CANFD'));
    expect(asc).toHaveLength(fd.length);
    const t0 = fd[0].time.sec * 1e6 + fd[0].time.nanosec / 1000;
    for (let i = 0; i < fd.length; i++) {
      const f = parseCandumpLine(formatCandumpLine(fd[i]))!;
      // "   0.000000 CANFD   1 Rx   12345678x    1 0 4  4 DE AD BE EF   130000 ..."
      const tok = asc[i].trim().split(/\s+/);
      expect(Math.round(Number(tok[0]) * 1e6)).toBe(f.time.sec * 1e6 + f.time.nanosec / 1000 - t0);
      expect(tok[4]).toBe(f.extended ? `${f.id.toString(16).toUpperCase()}x` : f.id.toString(16).toUpperCase());
      // BRS, ESI, DLC in hex, data length in decimal.
      const [brs, esi, dlc] = tok.slice(5, 8).map((x) => parseInt(x, 16));
      const len = parseInt(tok[8], 10);
      expect({ brs: brs === 1, esi: esi === 1, dlc, len }, asc[i]).toEqual({ brs: f.brs, esi: f.esi, dlc: f.dlc, len: f.data.length });
      expect(Uint8Array.from(tok.slice(9, 9 + len).map((h) => parseInt(h, 16))), asc[i]).toEqual(f.data);
    }
  });
});

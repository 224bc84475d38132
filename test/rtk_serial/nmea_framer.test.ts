// NmeaFramer on the real receiver logs: the reference is the logs' own sentence lines (gpsd's test
// input). Damage (garbage, truncation, bad checksums, over-long lines, binary bytes) is applied to
// the real byte stream and the framer must lose exactly the damaged sentences and count them.
import { describe, expect, it } from 'vitest';
import { NmeaFramer } from '../../nodes/rtk_serial/nmea_framer.js';
import type { Time } from '../../nodes/runtime/ros.js';
import { logSentences, prng, readLog, type LogName } from './nmea_helpers.js';

const LOGS: LogName[] = ['ublox-zed-f9p-nmea', 'polarx2', 'hemi'];

interface Framed {
  sentences: string[];
  times: Time[];
  framer: NmeaFramer;
}

function frame(chunks: Iterable<{ bytes: Uint8Array; time: Time }>, options?: ConstructorParameters<typeof NmeaFramer>[1]): Framed {
  const out: Framed = { sentences: [], times: [], framer: undefined as unknown as NmeaFramer };
  out.framer = new NmeaFramer((s, t) => {
    out.sentences.push(s);
    out.times.push(t);
  }, options);
  for (const c of chunks) out.framer.push(c.bytes, c.time);
  return out;
}

function whole(bytes: Uint8Array): { bytes: Uint8Array; time: Time }[] {
  return [{ bytes, time: { sec: 0, nanosec: 0 } }];
}

/** The log as the receiver sent it: sentence lines with CR LF. */
function wire(lines: readonly string[]): Buffer {
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
}

describe('NmeaFramer on the real logs', () => {
  for (const log of LOGS) {
    it(`${log}: delivers every sentence line exactly; the # comment lines count as garbage bytes`, () => {
      const raw = readLog(log);
      const r = frame(whole(raw));
      expect(r.sentences).toEqual(logSentences(log));
      const commentBytes = raw
        .toString('latin1')
        .split(/\r?\n/)
        .filter((l) => l.startsWith('#'))
        .reduce((n, l) => n + l.length, 0);
      expect(r.framer.counters).toEqual({ sentences: r.sentences.length, badChecksum: 0, missingChecksum: 0, garbageBytes: commentBytes, overlong: 0 });
    });
  }

  it('property: the u-blox log split at random points (1-200 byte chunks, 200 seeds) frames identically', () => {
    const bytes = wire(logSentences('ublox-zed-f9p-nmea'));
    const expected = frame(whole(bytes)).sentences;
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = prng(seed);
      const chunks: { bytes: Uint8Array; time: Time }[] = [];
      for (let i = 0; i < bytes.length; ) {
        const n = 1 + Math.floor(rnd() * (seed % 2 ? 200 : 8));
        chunks.push({ bytes: bytes.subarray(i, i + n), time: { sec: chunks.length, nanosec: 0 } });
        i += n;
      }
      const r = frame(chunks);
      expect(r.sentences, `seed ${seed}`).toEqual(expected);
      expect(r.framer.counters.garbageBytes).toBe(0);
    }
  });

  it('stamps each sentence with the receive time of the chunk holding its first byte', () => {
    const lines = logSentences('polarx2');
    const bytes = wire(lines);
    const rnd = prng(7);
    const chunks: { bytes: Uint8Array; time: Time }[] = [];
    const chunkOfByte: number[] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = 1 + Math.floor(rnd() * 40);
      for (let k = i; k < Math.min(bytes.length, i + n); k++) chunkOfByte[k] = chunks.length;
      chunks.push({ bytes: bytes.subarray(i, i + n), time: { sec: 1000 + chunks.length, nanosec: 5 } });
      i += n;
    }
    const r = frame(chunks);
    let offset = 0;
    lines.forEach((l, i) => {
      expect(r.times[i]).toEqual({ sec: 1000 + chunkOfByte[offset], nanosec: 5 });
      offset += l.length + 2;
    });
  });
});

describe('NmeaFramer on damaged input', () => {
  const lines = logSentences('ublox-zed-f9p-nmea');

  it('garbage bytes between sentences are counted and skipped', () => {
    const rnd = prng(3);
    let injected = 0;
    const parts: Buffer[] = [];
    for (const l of lines) {
      const n = Math.floor(rnd() * 5);
      // Any byte except the start characters and line ends (those would begin or end a line).
      const junk = Buffer.from(Array.from({ length: n }, () => [0x00, 0xb5, 0x62, 0x41, 0x2a, 0xff, 0x20, 0x7e][Math.floor(rnd() * 8)]));
      injected += n;
      parts.push(junk, Buffer.from(`${l}\r\n`, 'latin1'));
    }
    const r = frame(whole(Buffer.concat(parts)));
    expect(r.sentences).toEqual(lines);
    expect(r.framer.counters.garbageBytes).toBe(injected);
  });

  it('a truncated line (cut off by the next $) loses only that sentence; its bytes count as garbage', () => {
    const cut = [10, 100, 500];
    const text = lines.map((l, i) => (cut.includes(i) ? l.slice(0, 20) : `${l}\r\n`)).join('');
    const r = frame(whole(Buffer.from(text, 'latin1')));
    expect(r.sentences).toEqual(lines.filter((_, i) => !cut.includes(i)));
    expect(r.framer.counters.garbageBytes).toBe(60);
  });

  it('a truncated last line without line end is held, not delivered', () => {
    const r = frame(whole(Buffer.from(`${lines[0]}\r\n${lines[1].slice(0, 30)}`, 'latin1')));
    expect(r.sentences).toEqual([lines[0]]);
  });

  it('bad checksums (a flipped character, a wrong or malformed checksum) are dropped and counted', () => {
    const bad = [
      lines[0].replace('4552.65403', '4552.65413'),
      `${lines[1].slice(0, -2)}00`,
      `${lines[2].slice(0, -2)}G1`,
      `${lines[3].slice(0, -3)}*4`,
    ];
    const r = frame(whole(wire([...bad, lines[4]])));
    expect(r.sentences).toEqual([lines[4]]);
    expect(r.framer.counters.badChecksum).toBe(4);
  });

  it('lower-case checksum digits are valid NMEA', () => {
    const hemiHdt = '$GPHDT,274.07,T*03';
    const gga = '$GPGGA,194051.50,4221.8239037,N,07101.9411896,W,1,00,3.3,10.870,M,-33.057,M,,*6E';
    const r = frame(whole(wire([gga.replace('*6E', '*6e'), hemiHdt])));
    expect(r.sentences).toEqual([gga.replace('*6E', '*6e'), hemiHdt]);
  });

  it('missing checksums are dropped and counted, or delivered when acceptMissingChecksum is set', () => {
    const stripped = lines[0].replace(/\*[0-9A-F]{2}$/, '');
    const input = wire([stripped, lines[1]]);
    const strict = frame(whole(input));
    expect(strict.sentences).toEqual([lines[1]]);
    expect(strict.framer.counters.missingChecksum).toBe(1);
    const lenient = frame(whole(input), { acceptMissingChecksum: true });
    expect(lenient.sentences).toEqual([stripped, lines[1]]);
    expect(lenient.framer.counters.missingChecksum).toBe(1);
  });

  it('over-long lines are counted and skipped to their end; framing resumes at the next sentence', () => {
    const long = `$GPTXT,${'A'.repeat(300)}*00`;
    const r = frame(whole(wire([lines[0], long, lines[1]])), { maxLength: 256 });
    expect(r.sentences).toEqual([lines[0], lines[1]]);
    expect(r.framer.counters.overlong).toBe(1);
    // A sentence of exactly maxLength characters still passes.
    const exact = frame(whole(wire([lines[0]])), { maxLength: lines[0].length });
    expect(exact.sentences).toEqual([lines[0]]);
    const over = frame(whole(wire([lines[0]])), { maxLength: lines[0].length - 1 });
    expect(over.sentences).toEqual([]);
    expect(over.framer.counters.overlong).toBe(1);
  });

  it('binary bytes inside a sentence (e.g. a UBX frame interleaved, itself containing $) abort it', () => {
    const ubx = Buffer.from([0xb5, 0x62, 0x01, 0x07, 0x24, 0x00, 0x5c, 0x2a]); // 0x24 = '$'
    const damaged = Buffer.concat([Buffer.from(lines[0].slice(0, 15), 'latin1'), ubx, Buffer.from(`\r\n${lines[1]}\r\n`, 'latin1')]);
    const r = frame(whole(damaged));
    expect(r.sentences).toEqual([lines[1]]);
    expect(r.framer.counters.garbageBytes).toBeGreaterThan(15);
    expect(r.framer.counters.badChecksum + r.framer.counters.missingChecksum).toBeLessThanOrEqual(1);
  });

  it('property: random damage anywhere never stops the framer; every undamaged sentence still comes out in order', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = prng(1000 + seed);
      const damaged = new Set<number>();
      const bytes: number[] = [];
      lines.forEach((l, i) => {
        const b = Buffer.from(`${l}\r\n`, 'latin1');
        if (rnd() < 0.1) {
          damaged.add(i);
          const k = 1 + Math.floor(rnd() * (l.length - 1)); // never the leading '$'
          b[k] = [0x00, 0x0a, 0x24, 0x80, b[k] ^ 0x01][Math.floor(rnd() * 5)];
        }
        bytes.push(...b);
      });
      const buf = Uint8Array.from(bytes);
      const chunks: { bytes: Uint8Array; time: Time }[] = [];
      for (let i = 0; i < buf.length; ) {
        const n = 1 + Math.floor(rnd() * 100);
        chunks.push({ bytes: buf.subarray(i, i + n), time: { sec: 0, nanosec: 0 } });
        i += n;
      }
      const r = frame(chunks);
      const intact = lines.filter((_, i) => !damaged.has(i));
      expect(r.sentences.filter((s) => lines.includes(s)), `seed ${seed}`).toEqual(intact);
      // Whatever else came out is still checksum-valid (a damaged '*hh' can only fail, never pass as garbage).
      for (const s of r.sentences) expect(s.startsWith('$')).toBe(true);
    }
  });
});

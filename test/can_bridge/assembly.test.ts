// Multi-frame assembly (nodes/can_bridge/assembly.ts) with the Delphi ESR radar's frame layout
// from the real ESR.dbc (test/fixtures/dbc, opendbc): ESR_Status carries the 16-bit scan index,
// Target1..Target64 follow. The decode callbacks here read the signals at the DBC's bit
// positions by hand (standing in for the DBC codec); the frames are generated: each Target
// carries its scan's index in CAN_TX_TRACK_RANGE, so a snapshot that mixed scans would show it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CycleAssembler, type AssemblyFrame, type CycleSnapshot, type GroupSpec } from '../../nodes/can_bridge/assembly.js';
import { TripleBuffer } from '../../nodes/can_bridge/snapshot_buffer.js';

// ---- ESR.dbc: ids and bit positions --------------------------------------------------------
const dbc = readFileSync(new URL('../fixtures/dbc/ESR.dbc', import.meta.url), 'latin1');
const idOf = (name: string): number => {
  const m = new RegExp(`^BO_ (\\d+) ${name}:`, 'm').exec(dbc);
  if (!m) throw new Error(`${name} not in ESR.dbc`);
  return Number(m[1]);
};
const signal = (name: string): string => {
  const m = new RegExp(`SG_ ${name} : (\\d+\\|\\d+@\\d[+-])`).exec(dbc);
  if (!m) throw new Error(`${name} not in ESR.dbc`);
  return m[1];
};
const STATUS = idOf('ESR_Status');
const TARGETS = Array.from({ length: 64 }, (_, i) => idOf(`Target${i + 1}`));
const OTHER = [idOf('ESR_Status2'), idOf('ESR_SW'), idOf('Track_Sensor'), idOf('Vehicle_Data')];

// The test's hand decoding relies on these layouts (Motorola: start bit = MSB, byte-major).
it('ESR.dbc has the layout this test encodes: scan index 31|16@0+, track range 18|11@0+, Target1..64 = 0x500..0x53F', () => {
  expect(signal('CAN_TX_SCAN_INDEX')).toBe('31|16@0+');
  expect(signal('CAN_TX_TRACK_RANGE')).toBe('18|11@0+');
  expect([STATUS, TARGETS[0], TARGETS[63]]).toEqual([0x4e0, 0x500, 0x53f]);
});

interface EsrStatus {
  scan: number;
}
interface EsrTrack {
  id: number;
  range: number; // raw 11 bits
}
const scanIndex = (d: Uint8Array) => (d[3] << 8) | d[4]; // bits 31..16 Motorola
const trackRange = (d: Uint8Array) => ((d[2] & 0x07) << 8) | d[3]; // bits 18..8 Motorola

const t = (ms: number) => ({ sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1e6 });
function statusFrame(scan: number, ms = 0): AssemblyFrame {
  const d = new Uint8Array(8);
  d[3] = (scan >> 8) & 0xff;
  d[4] = scan & 0xff;
  return { id: STATUS, extended: false, data: d, stamp: t(ms) };
}
function targetFrame(slot: number, scan: number, ms = 0): AssemblyFrame {
  const d = new Uint8Array(8);
  const r = scan & 0x7ff;
  d[2] = r >> 8;
  d[3] = r & 0xff;
  return { id: TARGETS[slot], extended: false, data: d, stamp: t(ms) };
}

const esr = (over: Partial<GroupSpec<EsrStatus, EsrTrack>> = {}): GroupSpec<EsrStatus, EsrTrack> => ({
  name: 'esr_tracks',
  header: { id: STATUS, decode: (f) => ({ scan: scanIndex(f.data) }), counter: (h) => h.scan, counterModulo: 65536 },
  members: { ids: { first: TARGETS[0], last: TARGETS[63] }, decode: (f) => ({ id: f.id, range: trackRange(f.data) }) },
  complete: 'all-members',
  timeoutMs: 1000,
  ...over,
});

function scanFrames(scan: number): AssemblyFrame[] {
  return [statusFrame(scan), ...TARGETS.map((_, i) => targetFrame(i, scan))];
}

function feed<H, M>(a: CycleAssembler<H, M>, frames: AssemblyFrame[], now = 0): number {
  let commits = 0;
  for (const f of frames) if (a.push(f, now)) commits++;
  return commits;
}

/** A copy of the committed snapshot (read under the lock). */
function latest<H, M>(a: CycleAssembler<H, M>): CycleSnapshot<H, M> | undefined {
  return a.read((s) => (s ? structuredClone({ ...s, members: [...s.members] }) : undefined));
}

// ---- deterministic behaviour ---------------------------------------------------------------
describe('CycleAssembler: ESR scan = ESR_Status + Target1..Target64 (all-members)', () => {
  it('commits a complete scan at its 64th target, members in id order, stamped with the header time', () => {
    const a = new CycleAssembler(esr());
    const frames = [statusFrame(7, 1000), ...TARGETS.map((_, i) => targetFrame(i, 7, 1001 + i))];
    expect(frames.slice(0, -1).some((f) => a.push(f, 0))).toBe(false);
    expect(a.read((s) => s)).toBeUndefined();
    expect(a.push(frames[64], 0)).toBe(true);
    const s = latest(a)!;
    expect(s).toMatchObject({ group: 'esr_tracks', seq: 1, counter: 7, header: { scan: 7 }, stamp: t(1000), lastStamp: t(1064) });
    expect(s.members.map((m) => m.id)).toEqual(TARGETS);
    expect(s.members.every((m) => m.range === 7)).toBe(true);
  });

  it('ignores other ESR messages between the frames', () => {
    const a = new CycleAssembler(esr());
    const frames = scanFrames(3).flatMap((f, i) => [f, { ...statusFrame(0), id: OTHER[i % OTHER.length] }]);
    expect(feed(a, frames)).toBe(1);
    expect(a.counters).toMatchObject({ committed: 1, orphans: 0 });
  });

  it('a missing target: the scan is dropped as incomplete when the next header comes; the next scan commits', () => {
    const a = new CycleAssembler(esr());
    const s1 = scanFrames(1).filter((f) => f.id !== TARGETS[40]);
    expect(feed(a, [...s1, ...scanFrames(2)])).toBe(1);
    expect(a.counters).toMatchObject({ committed: 1, incomplete: 1 });
    expect(latest(a)!.counter).toBe(2);
  });

  it('a scan that stops arriving is dropped after timeoutMs (poll in data time)', () => {
    const a = new CycleAssembler(esr({ timeoutMs: 100 }));
    feed(a, scanFrames(1).slice(0, 30), 0);
    a.poll(100);
    expect(a.counters.timeout).toBe(0);
    a.poll(101);
    expect(a.counters.timeout).toBe(1);
    // the rest of it are orphans now, never a commit
    expect(feed(a, scanFrames(1).slice(30), 102)).toBe(0);
    expect(a.counters.orphans).toBe(35);
  });

  it('a target twice in one scan: dropped as duplicate, whatever follows', () => {
    const a = new CycleAssembler(esr());
    const f = scanFrames(1);
    expect(feed(a, [...f.slice(0, 10), f[5], ...f.slice(10), ...scanFrames(2)])).toBe(1);
    expect(a.counters).toMatchObject({ duplicate: 1, committed: 1 });
    expect(latest(a)!.counter).toBe(2);
  });

  it('ordered members: a lower id than the previous one drops the scan as out-of-order', () => {
    const a = new CycleAssembler(esr({ members: { ...esr().members, ordered: true } }));
    const f = scanFrames(1);
    [f[10], f[11]] = [f[11], f[10]];
    expect(feed(a, [...f, ...scanFrames(2)])).toBe(1);
    expect(a.counters).toMatchObject({ outOfOrder: 1, committed: 1 });
    // without `ordered`, the same swap is harmless
    const b = new CycleAssembler(esr());
    expect(feed(b, f)).toBe(1);
  });

  it('targets before any header are orphans', () => {
    const a = new CycleAssembler(esr());
    expect(feed(a, scanFrames(1).slice(1))).toBe(0);
    expect(a.counters).toMatchObject({ orphans: 64, committed: 0 });
  });

  it('header counter: a repeated header mid-scan drops the scan; an older header is out-of-order; a jump counts missed scans; 65535 → 0 wraps', () => {
    const a = new CycleAssembler(esr());
    const s = scanFrames(65534);
    feed(a, [...s.slice(0, 20), statusFrame(65534), ...s.slice(20)]);
    expect(a.counters.committed).toBe(0); // counted when the next header closes it:
    feed(a, scanFrames(65535));
    expect(a.counters).toMatchObject({ duplicate: 1, committed: 1 });
    feed(a, scanFrames(0)); // wrap
    expect(a.counters.committed).toBe(2);
    feed(a, scanFrames(65535)); // older than 0: dropped (counted when closed by the next header)
    feed(a, scanFrames(0)); // 0's header again, after its scan was committed: dropped
    expect(a.counters).toMatchObject({ outOfOrder: 1, committed: 2 });
    feed(a, scanFrames(4)); // 1, 2, 3 never came
    expect(a.counters).toMatchObject({ duplicate: 2, committed: 3, missedCycles: 3 });
    expect(latest(a)!.counter).toBe(4);
  });
});

describe('CycleAssembler: other completeness rules', () => {
  // An ARS408-style list: the header announces N objects, all sent with one id, told apart by an
  // object id in byte 0.
  const list = (over: Partial<GroupSpec<{ n: number; c: number }, { obj: number; cycle: number }>> = {}) =>
    new CycleAssembler<{ n: number; c: number }, { obj: number; cycle: number }>({
      name: 'objects',
      header: { id: 0x60a, decode: (f) => ({ n: f.data[0], c: f.data[1] }), counter: (h) => h.c, counterModulo: 256 },
      members: { ids: [0x60b], decode: (f) => ({ obj: f.data[0], cycle: f.data[1] }), key: (m) => m.obj },
      complete: { count: (h) => h.n },
      timeoutMs: 1000,
      maxMembers: 100,
      ...over,
    });
  const hdr = (n: number, c: number): AssemblyFrame => ({ id: 0x60a, extended: false, data: Uint8Array.of(n, c), stamp: t(0) });
  const obj = (o: number, c: number): AssemblyFrame => ({ id: 0x60b, extended: false, data: Uint8Array.of(o, c), stamp: t(0) });

  it('{ count }: commits when the announced number of objects arrived; 0 objects is an empty list', () => {
    const a = list();
    expect(feed(a, [hdr(3, 1), obj(5, 1), obj(2, 1)])).toBe(0);
    expect(a.push(obj(9, 1), 0)).toBe(true);
    expect(latest(a)!.members).toEqual([{ obj: 5, cycle: 1 }, { obj: 2, cycle: 1 }, { obj: 9, cycle: 1 }]);
    expect(a.push(hdr(0, 2), 0)).toBe(true);
    expect(latest(a)!.members).toEqual([]);
  });

  it('{ count }: the same object twice is a duplicate; more than maxMembers announced is an overflow', () => {
    const a = list();
    feed(a, [hdr(3, 1), obj(5, 1), obj(5, 1), obj(6, 1), hdr(101, 2), obj(1, 2)]);
    expect(a.counters).toMatchObject({ duplicate: 1, committed: 0 });
    feed(a, [hdr(1, 3)]);
    expect(a.counters).toMatchObject({ overflow: 1 });
  });

  it("'next-header': a cycle is what came between two headers; the last one waits for the next header", () => {
    const a = new CycleAssembler<number, number>({
      name: 'between',
      header: { id: 0x100, decode: (f) => f.data[0] },
      members: { ids: { first: 0x101, last: 0x10f }, decode: (f) => f.id },
      complete: 'next-header',
      timeoutMs: 50,
      maxMembers: 4,
    });
    const h = (v: number): AssemblyFrame => ({ id: 0x100, extended: false, data: Uint8Array.of(v), stamp: t(0) });
    const m = (id: number): AssemblyFrame => ({ id, extended: false, data: new Uint8Array(0), stamp: t(0) });
    expect(feed(a, [h(1), m(0x105), m(0x101)])).toBe(0);
    expect(a.push(h(2), 0)).toBe(true);
    expect(latest(a)).toMatchObject({ header: 1, members: [0x105, 0x101] });
    feed(a, [m(0x101), m(0x102), m(0x103), m(0x104), m(0x105), h(3)]); // 5 > maxMembers
    expect(a.counters).toMatchObject({ overflow: 1, committed: 1 });
    a.push(m(0x101), 10);
    a.poll(61); // cycle 3 never closed
    expect(a.counters).toMatchObject({ timeout: 1, committed: 1 });
  });

  it('refuses a group whose header id is also a member id, and repeated member ids', () => {
    expect(() => new CycleAssembler(esr({ header: { id: TARGETS[3], decode: () => ({ scan: 0 }) } }))).toThrow(RangeError);
    expect(() => new CycleAssembler(esr({ members: { ids: [1, 2, 2], decode: () => ({ id: 0, range: 0 }) } }))).toThrow(RangeError);
  });
});

// ---- the lock -----------------------------------------------------------------------------
describe('commit/snapshot discipline (TripleBuffer)', () => {
  it('a reader that awaits keeps a stable snapshot while scans keep committing; the newest wins after release', async () => {
    const a = new CycleAssembler(esr());
    feed(a, scanFrames(1));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const reading = a.read(async (s) => {
      const before = JSON.stringify(s);
      await gate; // meanwhile: more scans
      return { before, after: JSON.stringify(s), scan: s?.counter };
    });
    for (let scan = 2; scan <= 6; scan++) feed(a, scanFrames(scan));
    release();
    const r = await reading;
    expect(r.scan).toBe(1);
    expect(r.after).toBe(r.before);
    expect(latest(a)!.counter).toBe(6);
    expect(a.counters.committed).toBe(6);
    expect(a.counters.superseded).toBe(4); // 2..5 were replaced before anyone could read them
  });

  it('never needs more than 3 buffers, whatever readers do', async () => {
    const a = new CycleAssembler(esr());
    const rnd = mulberry32(7);
    const reads: Promise<unknown>[] = [];
    for (let scan = 0; scan < 300; scan++) {
      feed(a, scanFrames(scan));
      if (rnd() < 0.3) reads.push(a.read(async (s) => { await Promise.resolve(); return s?.counter; }));
      if (rnd() < 0.2) await Promise.all(reads.splice(0));
    }
    await Promise.all(reads);
    expect(a.buffersAllocated).toBeLessThanOrEqual(3);
    expect(latest(a)!.counter).toBe(299);
  });

  it('a reader that throws releases the lock', () => {
    const b = new TripleBuffer(() => ({ v: 0 }));
    b.stage.v = 1;
    b.commit();
    expect(() => b.read(() => { throw new Error('x'); })).toThrow('x');
    expect(b.activeReaders).toBe(0);
  });
});

// ---- properties ------------------------------------------------------------------------------
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Damage = 'drop-member' | 'drop-header' | 'dup-member' | 'swap' | 'late-member' | 'dup-header' | 'old-header';
const DAMAGE: Damage[] = ['drop-member', 'drop-header', 'dup-member', 'swap', 'late-member', 'dup-header', 'old-header'];

/**
 * A stream of ESR scans with random damage and unrelated frames interleaved. Returns the frames
 * and the scans no damage touched (these must be committed).
 */
function damagedStream(rnd: () => number, scans: number, first: number, ordered: boolean, kinds: Damage[]): { frames: AssemblyFrame[]; intact: Set<number> } {
  const frames: AssemblyFrame[] = [];
  const intact = new Set<number>();
  let carry: AssemblyFrame | undefined; // a target held back into the next scan
  const pick = <T,>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  for (let k = 0; k < scans; k++) {
    const scan = (first + k) % 65536;
    const f = scanFrames(scan);
    let touched = false;
    if (carry) {
      f.splice(1 + Math.floor(rnd() * 64), 0, carry); // arrives inside this scan
      carry = undefined;
      touched = true;
    }
    const damaged = rnd() < 0.45;
    if (damaged) {
      const d = pick(kinds);
      touched ||= d !== 'swap' || ordered; // a swap is harmless without ordering
      const i = 1 + Math.floor(rnd() * 64);
      if (d === 'drop-member') f.splice(i, 1);
      else if (d === 'drop-header') f.splice(0, 1);
      else if (d === 'dup-member') f.splice(i, 0, f[i]);
      else if (d === 'swap') {
        const j = i < 64 ? i + 1 : i - 1;
        [f[i], f[j]] = [f[j], f[i]];
      } else if (d === 'late-member') carry = f.splice(i, 1)[0];
      else if (d === 'dup-header') f.splice(i, 0, statusFrame(scan));
      else if (d === 'old-header') f.splice(i, 0, statusFrame((scan + 65536 - 1 - Math.floor(rnd() * 5)) % 65536));
    }
    // unrelated traffic anywhere
    for (let n = Math.floor(rnd() * 6); n > 0; n--) f.splice(Math.floor(rnd() * (f.length + 1)), 0, { ...statusFrame(0), id: pick(OTHER) });
    if (!touched) intact.add(scan);
    frames.push(...f);
  }
  return { frames, intact };
}

/** ESR with a member-level cycle marker: the test's targets carry their scan in the range field. */
const withMarker = (ordered: boolean) => esr({ members: { ...esr().members, ordered, belongs: (h, m) => m.range === (h.scan & 0x7ff) } });

describe('property: no committed snapshot ever mixes two scans (random damage, 200 runs × 40 scans each)', () => {
  const cases: { name: string; kinds: Damage[]; spec: (ordered: boolean) => GroupSpec<EsrStatus, EsrTrack> }[] = [
    { name: 'every damage incl. late targets, members carry a cycle marker (belongs)', kinds: DAMAGE, spec: withMarker },
    { name: 'every damage but late targets, no cycle marker', kinds: DAMAGE.filter((d) => d !== 'late-member'), spec: (ordered) => esr({ members: { ...esr().members, ordered } }) },
  ];
  for (const c of cases) {
    for (const ordered of [false, true]) {
      it(`${c.name}, members ${ordered ? 'ordered' : 'in any order'}: each commit is one whole scan, each untouched scan is committed`, () => {
        for (let run = 0; run < 200; run++) {
          const rnd = mulberry32(run * 7919 + (ordered ? 1 : 0));
          const first = Math.floor(rnd() * 65536);
          const { frames, intact } = damagedStream(rnd, 40, first, ordered, c.kinds);
          const a = new CycleAssembler(c.spec(ordered));
          const committed: number[] = [];
          for (const f of frames) {
            if (!a.push(f, 0)) continue;
            a.read((s) => {
              const scan = s?.counter ?? -1;
              // every slot filled once, each member from the header's scan
              const whole = s !== undefined && s.header.scan === scan && s.members.length === 64 &&
                s.members.every((m, i) => m.id === TARGETS[i] && m.range === (scan & 0x7ff));
              if (!whole) expect.fail(`run ${run}: committed snapshot is not one whole scan: ${JSON.stringify(s)}`);
              committed.push(scan);
            });
          }
          // each scan at most once, in stream order (modulo wrap)
          const order = committed.map((s) => (s - first + 65536) % 65536);
          expect(order).toEqual([...new Set(order)].sort((x, y) => x - y));
          for (const s of intact) expect(committed, `run ${run}: untouched scan ${s} not committed`).toContain(s);
          expect(a.counters.committed).toBe(committed.length);
          expect(a.counters.committed + a.counters.incomplete + a.counters.duplicate + a.counters.outOfOrder + a.counters.timeout).toBeGreaterThan(0);
        }
      });
    }
  }

  it('the limit without a marker: a late target filling the same gap in the next scan is indistinguishable', () => {
    const late = targetFrame(9, 100);
    const next = scanFrames(101).filter((f) => f.id !== TARGETS[9]);
    const stream = [...scanFrames(100).filter((f) => f.id !== TARGETS[9]), next[0], late, ...next.slice(1)];
    const plain = new CycleAssembler(esr());
    feed(plain, stream);
    expect(latest(plain)!.members[9].range).toBe(100); // mixed: why `belongs` exists
    const marked = new CycleAssembler(withMarker(false));
    feed(marked, stream);
    expect(latest(marked)).toBeUndefined();
    expect(marked.counters).toMatchObject({ incomplete: 1, committed: 0 });
    marked.push(statusFrame(102), 0);
    expect(marked.counters.outOfOrder).toBe(1);
  });
});

// socket_drops.ts on this host (no CAN here): parsing the kernel's receiver lists captured from a
// real Linux 6.1 CAN stack (test/fixtures/socketcan/rcvlist, made in the UML VM by its
// capture.sh), finding a new socket's receivers, the filter-overlap rule against the kernel's
// own matching rule applied frame by frame, and the monitor's bounds over a fake /proc/net/can
// built from those captures. The real kernel end to end: socket_drops_vm.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RCV_LISTS,
  SocketDropMonitor,
  filtersOverlap,
  addressesHidden,
  expectedKeys,
  fingerprintFilters,
  identifyByFilters,
  identifyReceivers,
  parseRcvlist,
  receiverKey,
  readRawReceivers,
  receiveBufferWarning,
  type KernelFilter,
  type RcvListName,
} from '../../nodes/can_bridge/socket_drops.js';

const FIX = new URL('../fixtures/socketcan/rcvlist/', import.meta.url).pathname;
const fixture = (set: string, list: RcvListName) => readFileSync(`${FIX}${set}_${list}.txt`, 'latin1');
const CANDUMP_A = '000000009e6e575b'; // the first candump on vcan0 (every filter kind)
const CANDUMP_B = '0000000005971226'; // the second one: no filter, error frames

describe('parseRcvlist reads /proc/net/can/rcvlist_* as Linux 6.1 prints it', () => {
  // The capture sent 123#01, 123#R, 12345678#02, 200#03, 7FF#04 and one error frame to vcan0 while
  // candump listened with 123:7FF, 123:C00007FF, 12345678:DFFFFFFF, 100~700 and #1FFFFFFF.
  // Expected lists, stored ids/masks and counts follow find_rcv_list()/can_rcv_filter().
  it('each filter kind in its list with the kernel-stored id and mask and the frames it matched', () => {
    const all = RCV_LISTS.flatMap((l) => parseRcvlist(fixture('before', l), l)).filter((e) => e.device === 'vcan0');
    expect(all.map(({ list, canId, mask, matches, userdata, ident }) => ({ list, canId, mask, matches, userdata, ident }))).toEqual([
      { list: 'fil', canId: 0x123, mask: 0x7ff, matches: 2, userdata: CANDUMP_A, ident: 'raw' }, // 123#01 and 123#R
      { list: 'inv', canId: 0x100, mask: 0x700, matches: 3, userdata: CANDUMP_A, ident: 'raw' }, // 12345678, 200, 7FF
      { list: 'sff', canId: 0x123, mask: 0xc00007ff, matches: 1, userdata: CANDUMP_A, ident: 'raw' }, // 123#01 only (no RTR)
      { list: 'eff', canId: 0x92345678, mask: 0xdfffffff, matches: 1, userdata: CANDUMP_A, ident: 'raw' },
      { list: 'err', canId: 0, mask: 0x1fffffff, matches: 1, userdata: CANDUMP_A, ident: 'raw' },
    ]);
  });
  it('"(dev: no entry)" lines and banners are skipped; other devices are kept apart', () => {
    expect(parseRcvlist(fixture('before', 'all'), 'all')).toEqual([
      { list: 'all', device: 'vcan1', canId: 0, mask: 0, userdata: '00000000dc90a01e', matches: 1, ident: 'raw' },
    ]);
  });
});

describe('identifyReceivers: the socket that appeared between two reads', () => {
  const read = (set: string) => RCV_LISTS.flatMap((l) => parseRcvlist(fixture(set, l), l)).filter((e) => e.device === 'vcan0');
  const noFilterWithErrors = expectedKeys([], true);
  it('the second candump (no filter + error frames): its address, lists all and err, what it was handed', () => {
    expect(noFilterWithErrors).toEqual([
      { list: 'all', canId: 0, mask: 0 },
      { list: 'err', canId: 0, mask: 0x1fffffff },
    ]);
    expect(identifyReceivers(read('before'), read('after'), noFilterWithErrors, 'vcan0')).toEqual({ userdata: CANDUMP_B, lists: ['all', 'err'], matches: 2 });
  });
  it('two sockets new at once: told apart by their receivers (the first candump has five filters)', () => {
    expect(identifyReceivers([], read('after'), noFilterWithErrors, 'vcan0')).toEqual({ userdata: CANDUMP_B, lists: ['all', 'err'], matches: 2 });
  });
  it('receivers other than ours, nothing new, or two new sockets alike: refused, not guessed', () => {
    expect(identifyReceivers(read('before'), read('after'), expectedKeys([], false), 'vcan0')).toMatchObject({ reason: expect.stringContaining('other kernel receivers') });
    expect(identifyReceivers(read('after'), read('after'), noFilterWithErrors, 'vcan0')).toMatchObject({ reason: expect.stringContaining('no new CAN_RAW receiver') });
    const twin = read('after').filter((e) => e.userdata === CANDUMP_B).map((e) => ({ ...e, userdata: '00000000feedf00d' }));
    expect(identifyReceivers(read('before'), [...read('after'), ...twin], noFilterWithErrors, 'vcan0')).toMatchObject({ reason: expect.stringContaining('2 CAN_RAW sockets with the same filters') });
  });
  it('kernel.kptr_restrict=2 prints zeros for every address: unavailable by address, naming the sysctl', () => {
    expect(identifyReceivers(read('before'), read('hidden'), noFilterWithErrors, 'vcan0')).toMatchObject({ reason: expect.stringContaining('kernel.kptr_restrict') });
  });
});

describe('receiverKey: where the kernel files a filter, as the captured lists show it', () => {
  // candump's filters of the capture in struct can_filter form (candump sets CAN_EFF_FLAG on an
  // 8-digit id and CAN_INV_FILTER for "~").
  const read = RCV_LISTS.flatMap((l) => parseRcvlist(fixture('before', l), l)).filter((e) => e.device === 'vcan0' && e.list !== 'err');
  it.each([
    [{ id: 0x123, mask: 0x7ff, invert: false }],
    [{ id: 0x123, mask: 0xc00007ff, invert: false }],
    [{ id: 0x92345678, mask: 0xdfffffff, invert: false }],
    [{ id: 0x100, mask: 0x700, invert: true }],
  ])('%o', (f) => {
    const k = receiverKey(f);
    expect(read.filter((e) => e.list === k.list && e.canId === k.canId && e.mask === k.mask)).toHaveLength(1);
  });
  it('no filter: the "all" list', () => {
    expect(receiverKey({ id: 0, mask: 0, invert: false })).toEqual({ list: 'all', canId: 0, mask: 0 });
    expect(parseRcvlist(fixture('after', 'all'), 'all').filter((e) => e.device === 'vcan0')[0]).toMatchObject({ canId: 0, mask: 0 });
  });
});

describe('identifyByFilters (addresses hidden)', () => {
  const read = (set: string) => RCV_LISTS.flatMap((l) => parseRcvlist(fixture(set, l), l)).filter((e) => e.device === 'vcan0');
  it('the one new "all" receiver on vcan0 in the kptr_restrict=2 capture', () => {
    expect(identifyByFilters(read('before'), read('hidden'), [], 'vcan0')).toEqual({ keys: [{ list: 'all', canId: 0, mask: 0 }], lists: ['all'], matches: 2 });
  });
  it('a filter another socket already has: refused', () => {
    expect(identifyByFilters(read('before'), read('hidden'), [{ id: 0x123, mask: 0x7ff, invert: false }], 'vcan0')).toMatchObject({ reason: expect.stringContaining('already has the filter fil:291:2047') });
  });
});

describe('fingerprintFilters pass every frame exactly once', () => {
  const EFF = 0x80000000;
  const RTR = 0x40000000;
  it('for 20 random draws, over every 11-bit id with and without EFF and RTR', () => {
    let seed = 3;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    const seen = new Set<string>();
    for (let n = 0; n < 20; n++) {
      const fs = fingerprintFilters(random);
      seen.add(JSON.stringify(fs));
      expect(fs).toHaveLength(4);
      expect(filtersOverlap(fs)).toBe(false);
      let notOnce = 0;
      for (let id = 0; id < 0x800; id++) {
        for (const flags of [0, RTR, EFF, EFF | RTR]) {
          const frame = (id | flags) >>> 0;
          if (fs.filter((f) => ((frame & f.mask) >>> 0) === f.id).length !== 1) notOnce++;
        }
      }
      expect(notOnce).toBe(0);
      expect(fs.every((f) => receiverKey(f).list === 'fil')).toBe(true);
    }
    expect(seen.size).toBeGreaterThan(5);
  });
});

describe('addressesHidden follows lib/vsprintf.c restricted_pointer()', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const setup = (restrict: number, capEff: string, uid = '1000\t1000\t1000\t1000') => {
    const d = mkdtempSync(join(tmpdir(), 'vil-kptr-'));
    dirs.push(d);
    writeFileSync(join(d, 'kptr_restrict'), `${restrict}\n`);
    writeFileSync(join(d, 'status'), `Name:\tnode\nUid:\t${uid}\nGid:\t1000\t1000\t1000\t1000\nCapEff:\t${capEff}\n`);
    return addressesHidden(d, join(d, 'status'));
  };
  it('0: hashed, shown; 2: hidden; 1: shown only with CAP_SYSLOG (bit 34) and real = effective ids', () => {
    expect(setup(0, '0000000000000000')).toBe(false);
    expect(setup(2, '000001ffffffffff')).toBe(true);
    expect(setup(1, '0000000000000000')).toBe(true);
    expect(setup(1, '0000000400000000')).toBe(false);
    expect(setup(1, '0000000400000000', '1000\t0\t0\t0')).toBe(true);
  });
});

describe('filtersOverlap agrees with the kernel matching every frame against both filters', () => {
  const EFF = 0x80000000;
  const RTR = 0x40000000;
  // can_rcv_filter(): a frame passes (id, mask) when (can_id & mask) == id, with the id stored
  // as id & mask. Over masks on bits 0..10, EFF and RTR, the 2^13 frames below are every case.
  const passes = (f: KernelFilter, frame: number) => ((frame & f.mask) >>> 0) === ((f.id & f.mask) >>> 0);
  const frames: number[] = [];
  for (let id = 0; id < 0x800; id++) for (const flags of [0, RTR, EFF, EFF | RTR]) frames.push((id | flags) >>> 0);
  const bruteOverlap = (a: KernelFilter, b: KernelFilter) => frames.some((x) => passes(a, x) && passes(b, x));
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const flagBits = [0, EFF, RTR, EFF | RTR];
  const randomFilter = (): KernelFilter => {
    const maskBits = [0, 0x7ff, 0x700, 0x7f0, 0x0ff, 0x400, 0x00f][rnd(7)] ^ (rnd(4) === 0 ? rnd(0x800) : 0);
    return { id: (rnd(0x800) | flagBits[rnd(4)]) >>> 0, mask: (maskBits | flagBits[rnd(4)]) >>> 0, invert: false };
  };
  it('2,000 random filter pairs: overlap exactly when some frame passes both', () => {
    let overlapping = 0;
    for (let i = 0; i < 2000; i++) {
      const a = randomFilter();
      const b = randomFilter();
      const truth = bruteOverlap(a, b);
      overlapping += truth ? 1 : 0;
      expect(filtersOverlap([a, b]), JSON.stringify([a, b])).toBe(truth);
    }
    expect(overlapping).toBeGreaterThan(100);
    expect(overlapping).toBeLessThan(1900);
  });
  it('an inverted filter or a single filter', () => {
    expect(filtersOverlap([{ id: 0x100, mask: 0x700, invert: true }])).toBe(true);
    expect(filtersOverlap([{ id: 0x100, mask: 0x700, invert: false }])).toBe(false);
    expect(filtersOverlap([])).toBe(false);
  });
});

describe('SocketDropMonitor over a /proc/net/can made of the captures', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const fakeProc = () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-rcvlist-'));
    dirs.push(dir);
    return dir;
  };
  /** Writes capture `set` into `dir`, with the second candump's "all" count set to `handed`. */
  const put = (dir: string, set: string, handed?: number, drop = false) => {
    for (const l of RCV_LISTS) {
      let text = fixture(set, l);
      if (drop) text = text.split('\n').filter((line) => !line.includes(CANDUMP_B)).join('\n');
      if (handed !== undefined && l === 'all') text = text.replace(new RegExp(`(${CANDUMP_B}\\s+)\\d+`), (_, pre: string) => `${pre}${handed}`);
      writeFileSync(join(dir, `rcvlist_${l}`), text);
    }
  };
  let t = 0;
  const make = (dir: string, filters: KernelFilter[] = []) => new SocketDropMonitor({ iface: 'vcan0', filters, errorFrames: true, procDir: dir, clock: () => t });

  it('the fake /proc reads back as the capture', () => {
    const dir = fakeProc();
    put(dir, 'after', 40);
    expect(readRawReceivers('vcan0', ['all'], dir).find((r) => r.userdata === CANDUMP_B)?.matches).toBe(40);
  });

  it('busy: min stays at the last idle moment, max = handed − read; idle: exact; sends lower the minimum only; close folds in what was still queued', () => {
    const dir = fakeProc();
    const m = make(dir);
    t = 0;
    put(dir, 'before');
    m.beforeOpen();
    put(dir, 'after'); // 2 handed at open
    m.opened({ read: 100, errorRead: 0, sent: 0 }); // the source had read 100 frames from earlier sockets
    expect(m.estimate()).toMatchObject({ available: true, min: 0, max: 2, exact: false });
    t = 1000;
    m.sample({ read: 101, errorRead: 0, sent: 0 }); // read 1 of the 2
    expect(m.estimate()).toMatchObject({ min: 0, max: 1, exact: false, note: expect.stringContaining('busy since it opened') });
    t = 2000;
    m.sample({ read: 102, errorRead: 0, sent: 0 });
    t = 3000;
    m.sample({ read: 102, errorRead: 0, sent: 0 }); // nothing handed or read for a period: idle
    expect(m.estimate()).toMatchObject({ min: 0, max: 0, exact: true, note: expect.stringMatching(/^exact/) });
    put(dir, 'after', 1002); // a burst: 1000 handed, 300 read so far
    t = 4000;
    m.sample({ read: 402, errorRead: 0, sent: 0 });
    expect(m.estimate()).toMatchObject({ min: 0, max: 700, exact: false, note: expect.stringContaining('last idle moment 1 s ago') });
    t = 5000;
    m.sample({ read: 402, errorRead: 0, sent: 0 });
    expect(m.estimate()).toMatchObject({ min: 700, max: 700, exact: true });
    put(dir, 'after', 1007); // 5 own frames looped back, discarded by raw_rcv()
    t = 6000;
    m.sample({ read: 402, errorRead: 0, sent: 5 });
    t = 7000;
    m.sample({ read: 402, errorRead: 0, sent: 5 });
    expect(m.estimate()).toMatchObject({ min: 700, max: 705, exact: false });
    put(dir, 'after', 1017); // 10 more handed, never read: the socket is closed with them queued
    m.closed({ read: 402, errorRead: 0, sent: 5 });
    expect(m.estimate()).toMatchObject({ available: false, min: 710, max: undefined, note: expect.stringContaining('socket closed') });
  });

  it('samples closer than minIdleMs never call the socket idle', () => {
    const dir = fakeProc();
    const m = make(dir);
    put(dir, 'before');
    m.beforeOpen();
    put(dir, 'after');
    t = 0;
    m.opened({ read: 0, errorRead: 0, sent: 0 });
    t = 50;
    m.sample({ read: 2, errorRead: 0, sent: 0 });
    t = 100;
    m.sample({ read: 2, errorRead: 0, sent: 0 });
    expect(m.estimate().exact).toBe(false);
    t = 400;
    m.sample({ read: 2, errorRead: 0, sent: 0 });
    expect(m.estimate()).toMatchObject({ exact: true, min: 0, max: 0 });
  });

  it('receivers gone (interface removed): min kept, max unknown from then on', () => {
    const dir = fakeProc();
    const m = make(dir);
    put(dir, 'before');
    m.beforeOpen();
    put(dir, 'after');
    t = 0;
    m.opened({ read: 0, errorRead: 0, sent: 0 });
    put(dir, 'after', undefined, true);
    t = 1000;
    m.sample({ read: 0, errorRead: 0, sent: 0 });
    expect(m.estimate()).toMatchObject({ available: false, min: 0, max: undefined, note: expect.stringContaining('are gone') });
  });

  it('an idle count below what was read cannot be this socket: the count stops', () => {
    const dir = fakeProc();
    const m = make(dir);
    put(dir, 'before');
    m.beforeOpen();
    put(dir, 'after');
    t = 0;
    m.opened({ read: 0, errorRead: 0, sent: 0 });
    t = 1000;
    m.sample({ read: 5, errorRead: 0, sent: 0 });
    t = 2000;
    m.sample({ read: 5, errorRead: 0, sent: 0 });
    expect(m.estimate()).toMatchObject({ available: false, note: expect.stringContaining('not this socket') });
  });

  it('hidden addresses (kptr_restrict 2): found by its filter instead, counting data frames only', () => {
    const dir = fakeProc();
    const m = make(dir);
    put(dir, 'before');
    m.beforeOpen();
    put(dir, 'hidden'); // the second candump's "all" receiver (0, 0) is the only one on vcan0
    t = 0;
    m.opened({ read: 10, errorRead: 4, sent: 0 });
    expect(m.estimate()).toMatchObject({ available: true, max: 2, note: expect.stringContaining('data frames only') });
    t = 1000;
    m.sample({ read: 13, errorRead: 5, sent: 0 }); // 2 data frames and an error frame read
    t = 2000;
    m.sample({ read: 13, errorRead: 5, sent: 0 });
    expect(m.estimate()).toMatchObject({ exact: true, min: 0, max: 0 });
  });

  it('hidden addresses and another socket already on our filter: unavailable, naming kptr_restrict', () => {
    const dir = fakeProc();
    const m = make(dir);
    put(dir, 'hidden');
    m.beforeOpen();
    m.opened({ read: 0, errorRead: 0, sent: 0 });
    expect(m.estimate()).toMatchObject({ available: false, max: undefined, note: expect.stringContaining('kernel.kptr_restrict') });
  });

  it('overlapping filters: unavailable with the reason', () => {
    const dir = fakeProc();
    put(dir, 'before');
    const o = make(dir, [
      { id: 0x100, mask: 0x700, invert: false },
      { id: 0x120, mask: 0x7f0, invert: false },
    ]);
    o.beforeOpen();
    o.opened({ read: 0, errorRead: 0, sent: 0 });
    expect(o.estimate().note).toMatch(/^unavailable: the kernel filters overlap/);
  });

  it('no /proc/net/can: unavailable, naming the path', () => {
    const m = new SocketDropMonitor({ iface: 'vcan0', filters: [], errorFrames: false, procDir: '/nonexistent/can' });
    m.beforeOpen();
    m.opened({ read: 0, errorRead: 0, sent: 0 });
    expect(m.estimate()).toMatchObject({ available: false, note: expect.stringContaining('/nonexistent/can cannot be read') });
  });
});

describe('receiveBufferWarning', () => {
  it("Linux's default 212,992 bytes: warns, naming the sysctl fix and scripts/can-up.sh", () => {
    const w = receiveBufferWarning({ rmemDefault: 212_992, rmemMax: 212_992 });
    expect(w).toContain('net.core.rmem_default is 212992 bytes');
    expect(w).toContain('sysctl -w net.core.rmem_default=16777216 net.core.rmem_max=16777216');
    expect(w).toContain('scripts/can-up.sh');
  });
  it('8 MiB and more: silent', () => {
    expect(receiveBufferWarning({ rmemDefault: 8 * 1024 * 1024, rmemMax: 212_992 })).toBeUndefined();
    expect(receiveBufferWarning({ rmemDefault: 16 * 1024 * 1024, rmemMax: 16 * 1024 * 1024 })).toBeUndefined();
  });
});

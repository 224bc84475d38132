// MF4 files built by the test-only writer (mdf4_writer.ts) for what the shared recordings lack:
// DL lists of several DT blocks with records split across them, HL lists, DZ of both zip types
// inside lists, unsorted data groups with 2/4/8-byte record ids, payloads in VLSD groups before
// and after their frame, SD lists, CAN FD in the CANedge >= 01.07 layout (virtual channels,
// value-to-value DataLength, u48 µs master, 32-bit VLSD offsets), unfinalised files, big-endian
// fields, link cycles. Every frame is checked against the values the test put in.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mf4Reader } from '../../nodes/buslog/mf4.js';
import { RecordingError, type LogFrame } from '../../nodes/buslog/frame.js';
import { openRecording } from '../../nodes/buslog/open.js';
import { prng } from '../helpers/prng.js';
import { busChannels, Mdf4Writer, putBits, type FieldDef } from './mdf4_writer.js';
import { hex, readAll, readUntilError } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-mf4-synthetic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function save(bytes: Uint8Array): string {
  const p = join(dir, `f${fileNo++}.mf4`);
  writeFileSync(p, bytes);
  return p;
}

const FD_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];
const START_NS = 1_700_000_000_123_456_789n;
const START = { sec: 1_700_000_000, nanosec: 123_456_789 };

interface In {
  /** ns after the HD start */
  t: number;
  channel: number;
  id: number;
  extended: boolean;
  fd: boolean;
  brs: boolean;
  esi: boolean;
  tx: boolean;
  dlc: number;
  data: Uint8Array;
  rtr?: boolean;
  error?: boolean;
}

function frames(seed: number, n: number, opts: { fd?: boolean; stepNs?: number } = {}): In[] {
  const rnd = prng(seed);
  const out: In[] = [];
  let t = 1000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rnd() * (opts.stepNs ?? 2_000_000)) + 1000;
    const extended = rnd() < 0.4;
    const fd = !!opts.fd && rnd() < 0.6;
    const dlc = Math.floor(rnd() * (fd ? 16 : 9));
    const len = fd ? FD_LEN[dlc] : dlc;
    const data = new Uint8Array(len);
    for (let k = 0; k < len; k++) data[k] = Math.floor(rnd() * 256);
    out.push({ t, channel: 1 + Math.floor(rnd() * 3), id: Math.floor(rnd() * (extended ? 0x20000000 : 0x800)), extended, fd, brs: fd && rnd() < 0.5, esi: fd && rnd() < 0.2, tx: rnd() < 0.3, dlc, data });
  }
  return out;
}

function expectFrames(got: LogFrame[], want: In[]): void {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  want.forEach((w, i) => {
    const g = got[i];
    const ns = BigInt(g.sec) * 1_000_000_000n + BigInt(g.nanosec) - START_NS;
    const exp = { t: BigInt(w.t), channel: w.channel, id: w.id, extended: w.extended, rtr: !!w.rtr, error: !!w.error, fd: w.fd, brs: w.brs, esi: w.esi, tx: w.tx, dlc: w.dlc, data: hex(w.data) };
    const act = { t: ns, channel: g.channel, id: g.id, extended: g.extended, rtr: g.rtr, error: g.error, fd: g.fd, brs: g.brs, esi: g.esi, tx: g.tx, dlc: g.dlc, data: hex(g.data) };
    if (bad.length < 5 && JSON.stringify(exp, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(act, (_, v) => (typeof v === 'bigint' ? v.toString() : v))) {
      bad.push(`#${i}: want ${JSON.stringify(exp, (_, v) => (typeof v === 'bigint' ? String(v) : v))} got ${JSON.stringify(act, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
  });
  expect(bad).toEqual([]);
}

// Layout A (sorted groups): f64 seconds master; BusChannel u8; ID u32 with bit 31 = IDE (no IDE
// channel); DLC 4 bits, Dir, EDL, BRS, ESI bits; DataLength u8; 64 DataBytes inline. 79 bytes.
const A_BYTES = 79;
const A_FIELDS: FieldDef[] = [
  { name: 'BusChannel', byteOffset: 8, bitCount: 8 },
  { name: 'ID', byteOffset: 9, bitCount: 32 },
  { name: 'DLC', byteOffset: 13, bitCount: 4 },
  { name: 'Dir', byteOffset: 13, bitOffset: 4, bitCount: 1 },
  { name: 'EDL', byteOffset: 13, bitOffset: 5, bitCount: 1 },
  { name: 'BRS', byteOffset: 13, bitOffset: 6, bitCount: 1 },
  { name: 'ESI', byteOffset: 13, bitOffset: 7, bitCount: 1 },
  { name: 'DataLength', byteOffset: 14, bitCount: 8 },
  { name: 'DataBytes', byteOffset: 15, bitCount: 512, dataType: 10 },
];
function recordA(f: In): Uint8Array {
  const r = new Uint8Array(A_BYTES);
  const v = new DataView(r.buffer);
  v.setFloat64(0, f.t / 1e9, true);
  r[8] = f.channel;
  v.setUint32(9, (f.id | (f.extended ? 0x80000000 : 0)) >>> 0, true);
  putBits(r, 13, 0, 4, f.dlc);
  putBits(r, 13, 4, 1, f.tx ? 1 : 0);
  putBits(r, 13, 5, 1, f.fd ? 1 : 0);
  putBits(r, 13, 6, 1, f.brs ? 1 : 0);
  putBits(r, 13, 7, 1, f.esi ? 1 : 0);
  r[14] = f.data.length;
  r.set(f.data, 15);
  return r;
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A sorted DG of layout A whose data link is made by `data` from the record bytes. */
function sortedA(w: Mdf4Writer, records: Uint8Array, count: number, data: (w: Mdf4Writer, bytes: Uint8Array) => number, next = 0): number {
  const link = data(w, records);
  const cn = busChannels(w, 'CAN_DataFrame', { name: 'time', bitCount: 64 }, A_FIELDS, A_BYTES);
  const cg = w.cg({ firstCn: cn, acqName: 'CAN', source: w.si(2), cycles: count, flags: 6, dataBytes: A_BYTES });
  return w.dg({ next, firstCg: cg, data: link });
}

describe('MF4 data lists', () => {
  const want = frames(1, 300, { fd: true });
  const records = concatAll(want.map(recordA));

  it('a DL chain of three DT blocks, records split across block boundaries (MDF 4.20)', async () => {
    const w = new Mdf4Writer({ version: 420 });
    const dg = sortedA(w, records, want.length, (w, b) => {
      // Cuts that are not record boundaries: a record continues in the next DT, and in the next DL.
      const c1 = 1000;
      const c2 = 12_345;
      const dt3 = w.dt(b.subarray(c2));
      const dl2 = w.dl(0, [dt3], [b.length - c2]);
      const dt1 = w.dt(b.subarray(0, c1));
      const dt2 = w.dt(b.subarray(c1, c2));
      return w.dl(dl2, [dt1, dt2], [c1, c2 - c1]);
    });
    const r = new Mf4Reader(save(w.finish(dg, START_NS)));
    const info = await r.info();
    expect(info.detail).toContain('MDF 4.20');
    expect(info.groups[0]).toMatchObject({ name: 'CAN', status: 'read', frames: 300 });
    expectFrames(await readAll(r), want);
  });

  it('an HL list over a DL of a deflate DZ, a transposed DZ (record-sized columns) and a DT', async () => {
    const w = new Mdf4Writer();
    const dg = sortedA(w, records, want.length, (w, b) => {
      const c1 = A_BYTES * 100 + 17;
      const c2 = A_BYTES * 210;
      const dz1 = w.dz('DT', b.subarray(0, c1), 0);
      const dz2 = w.dz('DT', b.subarray(c1, c2), 1, A_BYTES);
      const dt3 = w.dt(b.subarray(c2));
      return w.hl(w.dl(0, [dz1, dz2, dt3], [c1, c2 - c1, b.length - c2]), 1);
    });
    expectFrames(await readAll(new Mf4Reader(save(w.finish(dg, START_NS)))), want);
  });

  it('several sorted DGs merge in time order; equal times keep group order', async () => {
    const w = new Mdf4Writer();
    const a = frames(2, 120);
    const b = frames(3, 90).map((f, i) => ({ ...f, t: i < 30 ? a[i * 2].t : f.t + 7 })); // 30 times shared with a
    const dg2 = sortedA(w, concatAll(b.map(recordA)), b.length, (w, x) => w.dt(x));
    const dg1 = sortedA(w, concatAll(a.map(recordA)), a.length, (w, x) => w.dt(x), dg2);
    const all = [...a.map((f) => ({ f, g: 0 })), ...b.map((f) => ({ f, g: 1 }))].sort((x, y) => x.f.t - y.f.t || x.g - y.g).map((x) => x.f);
    expectFrames(await readAll(new Mf4Reader(save(w.finish(dg1, START_NS)))), all);
  });
});

// Layout U (unsorted groups): u64 ns master with linear 1e-9; BusChannel 2 bits; ID 29 bits;
// IDE 1 bit; DLC, DataLength, Dir; DataBytes = VLSD channel (u64 offset into a VLSD group).
function unsortedFile(idSize: 2 | 4 | 8, want: In[], remote: In[], opts: { vlsdAfter: (i: number) => boolean; unfinalised?: number; zeroOffsets?: boolean; dtLength?: number }): Uint8Array {
  const w = new Mdf4Writer(opts.unfinalised ? { fileId: 'UnFinMF ', unfinalisedFlags: opts.unfinalised } : {});
  const ids = idSize === 2 ? { data: 7, vlsd: 9, remote: 300, lin: 12, signals: 13 } : { data: 7, vlsd: 65_537, remote: 70_000, lin: 12, signals: 1 << 20 };
  const putId = (r: Uint8Array, id: number): void => {
    const v = new DataView(r.buffer, r.byteOffset);
    if (idSize === 2) v.setUint16(0, id, true);
    else if (idSize === 4) v.setUint32(0, id, true);
    else v.setBigUint64(0, BigInt(id), true);
  };
  const DATA_BYTES = 8 + 4 + 1 + 8; // time, id/ide/channel word, dlc/len/dir byte, vlsd offset
  const fields: FieldDef[] = [
    { name: 'BusChannel', byteOffset: 8, bitOffset: 30, bitCount: 2 },
    { name: 'ID', byteOffset: 8, bitCount: 29 },
    { name: 'IDE', byteOffset: 8, bitOffset: 29, bitCount: 1 },
    { name: 'DLC', byteOffset: 12, bitCount: 4 },
    { name: 'DataLength', byteOffset: 12, bitCount: 4 },
    { name: 'Dir', byteOffset: 12, bitOffset: 7, bitCount: 1 },
  ];
  const master: FieldDef = { name: 'Timestamp', bitCount: 64, dataType: 0, cc: w.cc(1, [0, 1e-9]) };
  // Groups in file order: signals, LIN, VLSD, remote, data. The VLSD group comes before the group
  // whose DataBytes point at it, so its "next" link is set once that group exists.
  const vlsdCg = w.cg({ recordId: ids.vlsd, flags: 1 });
  const dataCn = busChannels(w, 'CAN_DataFrame', master, [...fields, { name: 'DataBytes', byteOffset: 13, bitCount: 64, dataType: 10, cnType: 1, data: vlsdCg }], DATA_BYTES);
  const remoteCn = busChannels(w, 'CAN_RemoteFrame', master, fields, 13);
  const linCn = busChannels(w, 'LIN_Frame', master, [{ name: 'ID', byteOffset: 8, bitCount: 6 }], 9);
  const sigCn = w.cn({ name: 'EngineSpeed', byteOffset: 0, bitCount: 16 });
  const dataCg = w.cg({ firstCn: dataCn, acqName: 'CAN_DataFrame', source: w.si(2), recordId: ids.data, flags: 6, dataBytes: DATA_BYTES });
  const remoteCg = w.cg({ next: dataCg, firstCn: remoteCn, acqName: 'CAN_RemoteFrame', source: w.si(2), recordId: ids.remote, flags: 6, dataBytes: 13 });
  w.link(vlsdCg, 0, remoteCg);
  const linCg = w.cg({ next: vlsdCg, firstCn: linCn, acqName: 'LIN_Frame', source: w.si(3, 'LIN'), recordId: ids.lin, flags: 6, dataBytes: 9 });
  const sigCg = w.cg({ next: linCg, firstCn: sigCn, acqName: 'Engine', recordId: ids.signals, dataBytes: 2 });

  const parts: Uint8Array[] = [];
  const rec = (id: number, n: number): Uint8Array => {
    const r = new Uint8Array(idSize + n);
    putId(r, id);
    return r;
  };
  let vlsdOffset = 0;
  const frameRecord = (f: In, kindId: number, size: number, offset: number): Uint8Array => {
    const r = rec(kindId, size);
    const b = r.subarray(idSize);
    const v = new DataView(b.buffer, b.byteOffset);
    v.setBigUint64(0, BigInt(f.t), true);
    putBits(b, 8, 0, 29, f.id);
    putBits(b, 8, 29, 1, f.extended ? 1 : 0);
    putBits(b, 8, 30, 2, f.channel);
    putBits(b, 12, 0, 4, f.dlc);
    putBits(b, 12, 7, 1, f.tx ? 1 : 0);
    if (size > 13) v.setBigUint64(13, BigInt(opts.zeroOffsets ? 0 : offset), true);
    return r;
  };
  let ri = 0;
  want.forEach((f, i) => {
    while (ri < remote.length && remote[ri].t <= f.t) parts.push(frameRecord(remote[ri++], ids.remote, 13, 0));
    const v = rec(ids.vlsd, 4 + f.data.length);
    new DataView(v.buffer).setUint32(idSize, f.data.length, true);
    v.set(f.data, idSize + 4);
    const fr = frameRecord(f, ids.data, DATA_BYTES, vlsdOffset);
    vlsdOffset += 4 + f.data.length;
    const lin = rec(ids.lin, 9);
    const sig = rec(ids.signals, 2);
    if (opts.vlsdAfter(i)) parts.push(fr, lin, v, sig);
    else parts.push(v, sig, fr, lin);
  });
  while (ri < remote.length) parts.push(frameRecord(remote[ri++], ids.remote, 13, 0));
  const bytes = concatAll(parts);
  const dg = w.dg({ firstCg: sigCg, data: 0, recordIdSize: idSize });
  // The DT is the last block: an unfinalised file may leave its length at 24 (header only).
  w.link(dg, 2, w.dt(bytes, '##DT', opts.dtLength));
  return w.finish(dg, START_NS);
}

describe('MF4 unsorted data groups', () => {
  const want = frames(10, 400);
  const remote = frames(11, 25).map((f) => ({ ...f, rtr: true, data: new Uint8Array(0), t: f.t * 2 + 1 }));
  const merged = [...want, ...remote].sort((a, b) => a.t - b.t);

  for (const idSize of [2, 4, 8] as const) {
    it(`${idSize}-byte record ids; payloads in a VLSD group, before and after their frame; LIN and signal groups skipped and counted`, async () => {
      const r = new Mf4Reader(save(unsortedFile(idSize, want, remote, { vlsdAfter: (i) => i % 3 === 0 })));
      const info = await r.info();
      expect(info.groups.map((g) => [g.name, g.status === 'read' ? 'read' : 'skipped'])).toEqual([
        ['Engine', 'skipped'],
        ['LIN_Frame', 'skipped'],
        [`VLSD data (record id ${idSize === 2 ? 9 : 65537})`, 'read'],
        ['CAN_RemoteFrame', 'read'],
        ['CAN_DataFrame', 'read'],
      ]);
      expect(info.groups[1].status).toEqual({ skipped: expect.stringContaining('LIN') });
      expect(info.groups[0].status).toEqual({ skipped: expect.stringContaining('plain signals') });
      expectFrames(await readAll(r), merged);
      expect(r.skipped).toEqual({
        'Engine: not a bus-logging group (plain signals)': want.length,
        'LIN_Frame: LIN bus logging is not read (CAN only)': want.length,
      });
    });
  }

  it('unfinalised: the last DT says 24 bytes and the records run to the end of the file; a cut record at the end is counted', async () => {
    const r = new Mf4Reader(save(unsorted1(want, 0x25)));
    const info = await r.info();
    expect(info.detail).toContain('unfinalised (UnFinMF, flags 37');
    expect(info.groups.every((g) => g.frames === undefined)).toBe(true);
    expectFrames(await readAll(r), want);
    expect(r.skipped['incomplete last record (unfinalised file)']).toBe(1);
  });

  it('unfinalised with "VLSD offsets not updated" (flag 0x40): payloads matched to frames by order', async () => {
    const r = new Mf4Reader(save(unsortedFile(2, want, [], { vlsdAfter: (i) => i % 2 === 0, unfinalised: 0x65, zeroOffsets: true, dtLength: 24 })));
    expectFrames(await readAll(r), want);
  });

  it('a finalised file whose last record is cut ends with a RecordingError after the good frames', async () => {
    const bytes = unsortedFile(4, want, [], { vlsdAfter: () => false });
    // The file ends with the last frame's record (4 + 21 bytes) and a LIN record (4 + 9 bytes).
    for (const [cut, good] of [
      [3, want.length],
      [13 + 5, want.length - 1],
    ]) {
      const { frames: got, error } = await readUntilError(new Mf4Reader(save(bytes.subarray(0, bytes.length - cut))));
      expect(error).toBeInstanceOf(RecordingError);
      expect((error as Error).message).toMatch(/truncated/);
      expectFrames(got, want.slice(0, good));
    }
  });
});

/** A CANedge-FW-01.04-like unsorted file with 1-byte record ids (for the unfinalised test). */
function unsorted1(want: In[], flags: number): Uint8Array {
  const w = new Mdf4Writer({ fileId: 'UnFinMF ', unfinalisedFlags: flags, programId: 'CE' });
  const master: FieldDef = { name: 'Timestamp', bitCount: 64, dataType: 4, cc: w.cc(1, [0, 1e-9]) };
  const vlsd = w.cg({ recordId: 2, flags: 1 });
  const fields: FieldDef[] = [
    { name: 'BusChannel', byteOffset: 8, bitOffset: 1, bitCount: 2 },
    { name: 'ID', byteOffset: 8, bitOffset: 3, bitCount: 29 },
    { name: 'IDE', byteOffset: 8, bitCount: 1 },
    { name: 'DLC', byteOffset: 13, bitOffset: 4, bitCount: 4 },
    { name: 'DataLength', byteOffset: 12, bitOffset: 1, bitCount: 7 },
    { name: 'DataBytes', byteOffset: 14, bitCount: 64, dataType: 10, cnType: 1, data: vlsd },
    { name: 'Dir', byteOffset: 12, bitCount: 1 },
  ];
  const cn = busChannels(w, 'CAN_DataFrame', master, fields, 22);
  // vlsd must follow the data CG in the chain: the data CG links to it.
  const dataCg = w.cg({ next: vlsd, firstCn: cn, acqName: 'CAN_DataFrame', source: w.si(2), recordId: 1, flags: 6, dataBytes: 22 });
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const f of want) {
    const r = new Uint8Array(23);
    r[0] = 1;
    const b = r.subarray(1);
    new DataView(b.buffer, b.byteOffset).setFloat64(0, f.t, true);
    putBits(b, 8, 0, 1, f.extended ? 1 : 0);
    putBits(b, 8, 1, 2, f.channel);
    putBits(b, 8, 3, 29, f.id);
    putBits(b, 12, 0, 1, f.tx ? 1 : 0);
    putBits(b, 12, 1, 7, f.data.length);
    putBits(b, 13, 4, 4, f.dlc);
    new DataView(b.buffer, b.byteOffset).setBigUint64(14, BigInt(off), true);
    const v = new Uint8Array(5 + f.data.length);
    v[0] = 2;
    new DataView(v.buffer).setUint32(1, f.data.length, true);
    v.set(f.data, 5);
    off += 4 + f.data.length;
    parts.push(r, v);
  }
  parts.push(Uint8Array.of(1, 0, 0, 0)); // the logger stopped inside a record
  const dg = w.dg({ firstCg: dataCg, data: 0, recordIdSize: 1 });
  w.link(dg, 2, w.dt(concatAll(parts), '##DT', 24));
  return w.finish(dg, START_NS);
}

describe('MF4 CAN FD in the CANedge >= 01.07 layout', () => {
  it('virtual BusChannel/IDE/Dir/EDL, DataLength by a value-to-value table of the DLC, u48 µs master, 32-bit VLSD offsets', async () => {
    const want = frames(20, 200, { fd: true, stepNs: 3_000_000 })
      .filter((f) => f.fd)
      .map((f) => ({ ...f, t: Math.round(f.t / 1000) * 1000, channel: 2, extended: true, tx: true }));
    const w = new Mdf4Writer({ fileId: 'UnFinMF ', unfinalisedFlags: 0x25, programId: 'CE' });
    const konst = (v: number): number => w.cc(1, [v, 0]);
    const dlcTable = w.cc(5, FD_LEN.flatMap((len, dlc) => [dlc, len]));
    const vlsd = w.cg({ recordId: 41, flags: 1 });
    const cn = busChannels(
      w,
      'CAN_DataFrame',
      { name: 'Timestamp', bitCount: 48, dataType: 0, cc: w.cc(1, [0, 1e-6]) },
      [
        { name: 'BusChannel', cnType: 6, bitCount: 0, cc: konst(2) },
        { name: 'ID', byteOffset: 6, bitCount: 29 },
        { name: 'IDE', cnType: 6, bitCount: 0, cc: konst(1) },
        { name: 'DLC', byteOffset: 10, bitCount: 4 },
        { name: 'DataLength', byteOffset: 10, bitCount: 4, cc: dlcTable },
        { name: 'DataBytes', byteOffset: 11, bitCount: 32, dataType: 10, cnType: 1, data: vlsd },
        { name: 'Dir', cnType: 6, bitCount: 0, cc: konst(1) },
        { name: 'EDL', cnType: 6, bitCount: 0, cc: konst(1) },
        { name: 'ESI', byteOffset: 10, bitOffset: 7, bitCount: 1 },
        { name: 'BRS', byteOffset: 10, bitOffset: 6, bitCount: 1 },
      ],
      15,
    );
    const cg = w.cg({ next: vlsd, firstCn: cn, acqName: 'CAN2_Tx_FD_IDE_DLC_over_8', source: w.si(2), recordId: 40, flags: 6, dataBytes: 15 });
    const parts: Uint8Array[] = [];
    let off = 0;
    for (const f of want) {
      const r = new Uint8Array(16);
      r[0] = 40;
      const b = r.subarray(1);
      putBits(b, 0, 0, 48, BigInt(f.t / 1000));
      putBits(b, 6, 0, 29, f.id);
      putBits(b, 10, 0, 4, f.dlc);
      putBits(b, 10, 6, 1, f.brs ? 1 : 0);
      putBits(b, 10, 7, 1, f.esi ? 1 : 0);
      putBits(b, 11, 0, 32, off);
      const v = new Uint8Array(5 + f.data.length);
      v[0] = 41;
      new DataView(v.buffer).setUint32(1, f.data.length, true);
      v.set(f.data, 5);
      off += 4 + f.data.length;
      parts.push(r, v);
    }
    const dg = w.dg({ firstCg: cg, data: 0, recordIdSize: 1 });
    w.link(dg, 2, w.dt(concatAll(parts), '##DT', 24));
    const r = new Mf4Reader(save(w.finish(dg, START_NS)));
    const got = await readAll(r);
    expect(want.some((f) => f.dlc > 8)).toBe(true);
    expectFrames(got, want);
  });
});

describe('MF4 payloads in SD blocks (sorted files)', () => {
  it('a DL of an SD block and a DZ of SD; a record pointing back to an earlier entry', async () => {
    const want = frames(30, 150);
    const w = new Mdf4Writer();
    const entries: Uint8Array[] = [];
    const offsets: number[] = [];
    let off = 0;
    for (const f of want) {
      const e = new Uint8Array(4 + f.data.length);
      new DataView(e.buffer).setUint32(0, f.data.length, true);
      e.set(f.data, 4);
      offsets.push(off);
      off += e.length;
      entries.push(e);
    }
    // Frame 120 reuses frame 3's payload (its entry lies behind the window by then).
    want[120] = { ...want[120], data: want[3].data, dlc: want[3].dlc };
    offsets[120] = offsets[3];
    const sd = concatAll(entries);
    const cut = Math.floor(sd.length / 2) + 3;
    const sdLink = w.dl(0, [w.dt(sd.subarray(0, cut), '##SD'), w.dz('SD', sd.subarray(cut), 0)], [cut, sd.length - cut]);
    const fields: FieldDef[] = [
      { name: 'BusChannel', byteOffset: 8, bitCount: 8 },
      { name: 'ID', byteOffset: 9, bitCount: 29 },
      { name: 'IDE', byteOffset: 12, bitOffset: 5, bitCount: 1 },
      { name: 'DLC', byteOffset: 13, bitCount: 4 },
      { name: 'Dir', byteOffset: 13, bitOffset: 4, bitCount: 1 },
      { name: 'DataBytes', byteOffset: 14, bitCount: 64, dataType: 10, cnType: 1, data: sdLink },
    ];
    const records = concatAll(
      want.map((f, i) => {
        const r = new Uint8Array(22);
        const v = new DataView(r.buffer);
        v.setFloat64(0, f.t / 1e9, true);
        r[8] = f.channel;
        putBits(r, 9, 0, 29, f.id);
        putBits(r, 12, 5, 1, f.extended ? 1 : 0);
        putBits(r, 13, 0, 4, f.dlc);
        putBits(r, 13, 4, 1, f.tx ? 1 : 0);
        v.setBigUint64(14, BigInt(offsets[i]), true);
        return r;
      }),
    );
    const dt = w.dt(records);
    const cn = busChannels(w, 'CAN_DataFrame', { name: 't', bitCount: 64 }, fields, 22);
    const cg = w.cg({ firstCn: cn, acqName: 'CAN_DataFrame', source: w.si(2), cycles: want.length, flags: 6, dataBytes: 22 });
    const dg = w.dg({ firstCg: cg, data: dt });
    // No DataLength channel: the classic DLC gives the length.
    expectFrames(await readAll(new Mf4Reader(save(w.finish(dg, START_NS)))), want);
  });
});

describe('MF4 fields and groups', () => {
  it('error frames with ID, DataLength and DataBytes; remote frames keep their DLC; a big-endian ID', async () => {
    const w = new Mdf4Writer();
    const master: FieldDef = { name: 't', bitCount: 64 };
    const errCn = busChannels(w, 'CAN_ErrorFrame', master, [
      { name: 'BusChannel', byteOffset: 8, bitCount: 8 },
      { name: 'ID', byteOffset: 9, bitCount: 32, dataType: 1 },
      { name: 'IDE', byteOffset: 13, bitCount: 1 },
      { name: 'DataLength', byteOffset: 14, bitCount: 8 },
      { name: 'DataBytes', byteOffset: 15, bitCount: 64, dataType: 10 },
      { name: 'ErrorType', byteOffset: 23, bitCount: 8 },
    ], 24);
    const errRecs = [
      { t: 0.5, ch: 3, id: 0x123, ide: 0, len: 2, data: [0xaa, 0xbb] },
      { t: 0.75, ch: 4, id: 0x1abcdef, ide: 1, len: 0, data: [] },
    ].map((e) => {
      const r = new Uint8Array(24);
      const v = new DataView(r.buffer);
      v.setFloat64(0, e.t, true);
      r[8] = e.ch;
      v.setUint32(9, e.id, false);
      r[13] = e.ide;
      r[14] = e.len;
      r.set(e.data, 15);
      return r;
    });
    const errCg = w.cg({ firstCn: errCn, acqName: 'CAN_ErrorFrame', source: w.si(2), cycles: 2, flags: 6, dataBytes: 24 });
    const errDg = w.dg({ firstCg: errCg, data: w.dt(concatAll(errRecs)) });
    const got = await readAll(new Mf4Reader(save(w.finish(errDg, START_NS))));
    expect(got.map((f) => ({ t: f.nanosec, ch: f.channel, id: f.id, ext: f.extended, error: f.error, data: hex(f.data) }))).toEqual([
      { t: 623_456_789, ch: 3, id: 0x123, ext: false, error: true, data: 'AABB' },
      { t: 873_456_789, ch: 4, id: 0x1abcdef, ext: true, error: true, data: '' },
    ]);
  });

  it('the HD "local time" flag is reported and the time taken as UTC', async () => {
    const w = new Mdf4Writer();
    const want = frames(40, 5);
    const dg = sortedA(w, concatAll(want.map(recordA)), want.length, (w, b) => w.dt(b));
    const r = new Mf4Reader(save(w.finish(dg, START_NS, 1)));
    expect((await r.info()).detail).toContain('local time (taken as UTC)');
    expectFrames(await readAll(r), want);
  });

  it('a CAN_DataFrame group without an ID channel is listed as skipped with the reason', async () => {
    const w = new Mdf4Writer();
    const cn = busChannels(w, 'CAN_DataFrame', { name: 't', bitCount: 64 }, [{ name: 'DataBytes', byteOffset: 8, bitCount: 64, dataType: 10 }], 16);
    const cg = w.cg({ firstCn: cn, acqName: 'odd', source: w.si(2), flags: 6, dataBytes: 16, cycles: 1 });
    const dg = w.dg({ firstCg: cg, data: w.dt(new Uint8Array(16)) });
    const r = new Mf4Reader(save(w.finish(dg, START_NS)));
    expect((await r.info()).groups).toEqual([{ name: 'odd', frames: 1, status: { skipped: 'no readable ID channel' }, detail: expect.any(String) }]);
    expect(await readAll(r)).toEqual([]);
  });

  it('MDF 3 files and files that are not MDF are refused with a clear error', async () => {
    const w = new Mdf4Writer({ version: 330 });
    const p = save(w.finish(0, 0n));
    await expect(new Mf4Reader(p).info()).rejects.toThrow(/MDF version 3\.30 is not read/);
    await expect(openRecording(p)).resolves.toBeInstanceOf(Mf4Reader);
  });
});

describe('MF4 link cycles end with an error, never a hang', () => {
  it('a DG chain pointing back to itself', async () => {
    const w = new Mdf4Writer();
    const want = frames(50, 20);
    const dg = sortedA(w, concatAll(want.map(recordA)), want.length, (w, b) => w.dt(b));
    w.link(dg, 0, dg);
    const { frames: got, error } = await readUntilError(new Mf4Reader(save(w.finish(dg, START_NS))));
    expect(error).toBeInstanceOf(RecordingError);
    expect((error as Error).message).toMatch(/DG chain loops back/);
    expectFrames(got, want);
  });

  it('a DL chain pointing back to itself', async () => {
    const w = new Mdf4Writer();
    const want = frames(51, 20);
    let dlAddr = 0;
    const dg = sortedA(w, concatAll(want.map(recordA)), want.length, (w, b) => (dlAddr = w.dl(0, [w.dt(b)], [b.length])));
    w.link(dlAddr, 0, dlAddr);
    const { frames: got, error } = await readUntilError(new Mf4Reader(save(w.finish(dg, START_NS))));
    expect(error).toBeInstanceOf(RecordingError);
    expect((error as Error).message).toMatch(/DL chain loops back/);
    expectFrames(got, want);
  });

  it('a CN chain that loops: the group is skipped with the reason', async () => {
    const w = new Mdf4Writer();
    const want = frames(52, 5);
    const dg = sortedA(w, concatAll(want.map(recordA)), want.length, (w, b) => w.dt(b));
    // The first CN of the group: find it through the CG (link 1) and point its next to itself.
    const bytes = w.finish(dg, START_NS);
    const v = new DataView(bytes.buffer);
    const cg = Number(v.getBigUint64(dg + 24 + 8, true));
    const cn = Number(v.getBigUint64(cg + 24 + 8, true));
    v.setBigUint64(cn + 24, BigInt(cn), true);
    const r = new Mf4Reader(save(bytes));
    expect((await r.info()).groups[0].status).toEqual({ skipped: expect.stringMatching(/CN chain loops back/) });
    expect(await readAll(r)).toEqual([]);
  });
});

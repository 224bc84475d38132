// ASAM MDF 4.00-4.20 bus logging reader: CAN data, remote and error frames (classic and FD) from
// sorted and unsorted data groups, finalised or not (CANedge "UnFinMF" files), with payloads in
// the record, in VLSD channel groups or in SD blocks, data in DT / DZ / DL / HL blocks.
// Frame time = HD start time (ns, UTC; a "local time" HD is taken as UTC) + the master channel
// through its conversion. Data groups are read side by side and merged in time order.
// Memory: one data chunk (<= 1 MiB, or one inflated DZ block) per data group, plus a reorder
// window of ~1000 frames; never the whole file.
import { RecordingError, type BusLogReader, type LogFrame, type RecordingGroup, type RecordingInfo, type SkipCounters } from './frame.js';
import { asRecordingError, RandomAccessFile } from './file_source.js';
import {
  BlockReader,
  chain,
  parseCg,
  parseDg,
  parseHd,
  parseIdBlock,
  UNFIN_CYCLE_COUNTS,
  UNFIN_LAST_DT_LENGTH,
  UNFIN_VLSD_OFFSETS,
  type HdBlock,
  type IdBlock,
} from './mf4_blocks.js';
import { concat, DataStream, SdCursor } from './mf4_data.js';
import {
  fieldValue,
  planGroup,
  FIELD_ABSENT,
  PAYLOAD_INLINE,
  PAYLOAD_SD,
  PAYLOAD_VLSD_CG,
  type FramePlan,
  type GroupPlan,
} from './mf4_layout.js';
import { BATCH, mergeByTime } from './merge.js';
import { PENDING, ReorderWindow } from './reorder.js';

const EMPTY: Uint8Array = new Uint8Array(0);
/** A VLSD entry longer than this is taken as corrupt (CAN payloads are <= 64 bytes). */
const MAX_VLSD_ENTRY = 16 << 20;
/** A record longer than this makes its group unreadable (bus-logging records are tens of bytes). */
const MAX_RECORD = 1 << 20;
/** VLSD entries that arrived before their frame, kept until claimed (oldest dropped beyond). */
const MAX_STORED_PAYLOADS = 4096;

const FD_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];
function lenToDlc(n: number): number {
  if (n <= 8) return n;
  for (let i = 9; i < 16; i++) if (FD_LEN[i] >= n) return i;
  return 15;
}

interface DgPlan {
  index: number;
  address: number;
  dataLink: number;
  recordIdSize: number;
  groups: GroupPlan[];
}

interface Meta {
  id: IdBlock;
  hd: HdBlock;
  tool: string;
  dgs: DgPlan[];
  /** Where the block structure broke off (truncated or corrupt file), if it did. */
  damage: RecordingError | undefined;
}

export class Mf4Reader implements BusLogReader {
  readonly format = 'mf4' as const;
  readonly skipped: SkipCounters = {};
  private file: RandomAccessFile | undefined;
  private meta: Promise<Meta> | undefined;

  constructor(readonly path: string) {}

  private async open(): Promise<{ r: BlockReader; meta: Meta }> {
    if (!this.file) this.file = await RandomAccessFile.open(this.path);
    const r = new BlockReader(this.file, this.path);
    this.meta ??= this.load(r);
    return { r, meta: await this.meta };
  }

  private async load(r: BlockReader): Promise<Meta> {
    const id = parseIdBlock(this.path, await r.file.read(0, 64));
    const hd = parseHd(r, await r.block(64, ['##HD']));
    let tool = '';
    if (hd.firstFh) {
      // The writing tool, for people; a file cut before its history still reads.
      try {
        const fh = await r.block(hd.firstFh, ['##FH']);
        const xml = await r.text(fh.links[1] ?? 0);
        const tid = /<tool_id>([^<]*)<\/tool_id>/.exec(xml)?.[1]?.trim();
        const tver = /<tool_version>([^<]*)<\/tool_version>/.exec(xml)?.[1]?.trim();
        tool = [tid, tver].filter(Boolean).join(' ');
      } catch (e) {
        if (!(e instanceof RecordingError)) throw e;
      }
    }
    const names = new Map<number, string>();
    const dgs: DgPlan[] = [];
    let order = 0;
    // A broken DG or CG chain (truncated file) ends the listing there: the groups before it are
    // read, and the damage is reported after their frames.
    let damage: RecordingError | undefined;
    try {
      for await (const b of chain(r, hd.firstDg, '##DG')) {
        const dg = parseDg(r, b);
        const plan: DgPlan = { index: dgs.length, address: dg.address, dataLink: dg.data, recordIdSize: dg.recordIdSize, groups: [] };
        dgs.push(plan);
        if (dgs.length > 100000) r.fail(b.address, 'more than 100000 data groups: corrupt');
        try {
          for await (const cgb of chain(r, dg.firstCg, '##CG')) plan.groups.push(await planGroup(r, parseCg(r, cgb), plan.index, order++, names));
        } catch (e) {
          if (!(e instanceof RecordingError)) throw e;
          // Records of a group we cannot list make an unsorted DG unreadable; a sorted one has one group.
          if (plan.recordIdSize > 0) for (const g of plan.groups) if (g.role !== 'skipped') Object.assign(g, { role: 'skipped', reason: `its data group's channel groups are unreadable (${e.problem})` });
          throw e;
        }
      }
    } catch (e) {
      if (!(e instanceof RecordingError)) throw e;
      damage = e;
    }
    // Cross-checks that need every group of a DG: VLSD targets, record sizes, sorted DGs.
    for (const dg of dgs) {
      if (dg.recordIdSize === 0 && dg.groups.length > 1) {
        for (const g of dg.groups) if (g.role !== 'skipped') Object.assign(g, { role: 'skipped', reason: 'several channel groups in a data group without record ids: corrupt' });
      }
      for (const g of dg.groups) {
        if (g.role === 'frames' && g.recordBytes > MAX_RECORD) Object.assign(g, { role: 'skipped', reason: `${g.recordBytes}-byte records` });
        const plan = g.frames;
        if (g.role === 'frames' && plan?.payload === PAYLOAD_VLSD_CG) {
          const target = dg.groups.find((t) => t.cg.address === plan.vlsdCgAddress);
          if (!target || target.role !== 'vlsd') Object.assign(g, { role: 'skipped', reason: 'its DataBytes point to a channel group that is not a VLSD group of the same data group' });
          else target.payloadOf = target.payloadOf ? `${target.payloadOf}, ${g.name}` : g.name;
        }
      }
      if (dg.recordIdSize > 0) {
        const ids = new Set<number>();
        for (const g of dg.groups) {
          if (ids.has(g.cg.recordId)) r.fail(g.cg.address, `two channel groups with record id ${g.cg.recordId} in the data group at byte ${dg.address}: corrupt`);
          ids.add(g.cg.recordId);
        }
      }
      for (const g of dg.groups) {
        if (g.role === 'vlsd') g.detail = `${g.detail}${g.payloadOf ? `, payloads of ${g.payloadOf}` : ', payloads of no frame group'}`;
      }
    }
    if (dgs.length) r.knownAddresses.add(dgs[0].address);
    for (const dg of dgs) if (dg.dataLink) r.knownAddresses.add(dg.dataLink);
    return { id, hd, tool, dgs, damage };
  }

  async info(): Promise<RecordingInfo> {
    const { meta } = await this.open();
    const { id, hd, dgs } = meta;
    const countsValid = !(id.unfinalised && id.unfinalisedFlags & UNFIN_CYCLE_COUNTS);
    const groups: RecordingGroup[] = [];
    for (const dg of dgs) {
      for (const g of dg.groups) {
        const status: RecordingGroup['status'] = g.role === 'skipped' ? { skipped: g.reason ?? '' } : g.role === 'vlsd' && !g.payloadOf ? { skipped: 'payloads of no frame group that is read' } : 'read';
        const sorting = dg.recordIdSize ? `unsorted DG ${dg.index + 1}` : `sorted DG ${dg.index + 1}`;
        groups.push({
          name: g.name,
          ...(countsValid && g.role !== 'vlsd' ? { frames: g.cg.cycleCount } : {}),
          status,
          detail: `${sorting}, ${g.detail}`,
        });
      }
    }
    const cgCount = groups.length;
    if (meta.damage) groups.push({ name: '(the rest of the file)', status: { skipped: `unreadable: ${meta.damage.message}` } });
    const unsorted = dgs.filter((d) => d.recordIdSize > 0).length;
    const fin = id.unfinalised ? `unfinalised (${id.fileId}, flags ${id.unfinalisedFlags}${describeUnfin(id.unfinalisedFlags)})` : 'finalised';
    const layout = `${dgs.length} data group${dgs.length === 1 ? '' : 's'} (${unsorted ? `${unsorted} unsorted` : 'sorted'}${unsorted && unsorted < dgs.length ? `, ${dgs.length - unsorted} sorted` : ''}), ${cgCount} channel groups`;
    const timeNote = hd.timeFlags & 1 ? ', HD start time is local time (taken as UTC)' : '';
    return {
      path: this.path,
      format: 'mf4',
      detail: `MDF ${id.versionText}, ${fin}, ${layout}, written by ${meta.tool.startsWith(id.programId) && meta.tool ? meta.tool : `${id.programId || '?'}${meta.tool ? ` (${meta.tool})` : ''}`}${timeNote}${meta.damage ? ', DAMAGED (see the last group)' : ''}`,
      absoluteTime: true,
      start: { sec: hd.startSec, nanosec: hd.startNsec },
      groups,
    };
  }

  async *batches(): AsyncGenerator<LogFrame[]> {
    try {
      const { r, meta } = await this.open();
      const lastOpen = meta.id.unfinalised && (meta.id.unfinalisedFlags & UNFIN_LAST_DT_LENGTH) !== 0;
      const seqVlsd = meta.id.unfinalised && (meta.id.unfinalisedFlags & UNFIN_VLSD_OFFSETS) !== 0;
      const streams: DgDecoder[] = [];
      for (const dg of meta.dgs) {
        if (!dg.dataLink || !dg.groups.some((g) => g.role === 'frames')) continue;
        streams.push(new DgDecoder(r, dg, meta.hd, this.skipped, lastOpen, seqVlsd));
      }
      yield* mergeByTime(streams.map((s) => s.batches()));
      if (meta.damage) throw meta.damage;
    } catch (e) {
      throw asRecordingError(this.path, e);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    this.meta = undefined;
    await f?.close();
  }
}

function describeUnfin(flags: number): string {
  const what: string[] = [];
  if (flags & 0x1) what.push('cycle counts');
  if (flags & 0x2) what.push('SR cycle counts');
  if (flags & 0x4) what.push('last DT length');
  if (flags & 0x8) what.push('last RD length');
  if (flags & 0x10) what.push('last DL');
  if (flags & 0x20) what.push('VLSD byte counts');
  if (flags & 0x40) what.push('VLSD offsets');
  return what.length ? `: not updated ${what.join(', ')}` : '';
}

// --- one data group's records --------------------------------------------------------------

const NEED_DATA = 1;
const NEED_SD = 2;
/** The record budget ran out with records left in the chunk. */
const MORE = 3;
const DECODE_BUDGET = 512;

/** Per-group decoding state. */
interface GroupState {
  plan: GroupPlan;
  frames: FramePlan | undefined;
  /** Records seen (the index a virtual channel reads). */
  index: number;
  recordBytes: number;
  skipKey: string | undefined;
  /** VLSD groups: stream offset of the next entry, and whether its entries are payloads we keep. */
  vlsd: VlsdState | undefined;
  /** Frame groups with payloads in a VLSD group. */
  target: VlsdState | undefined;
  sd: SdCursor | undefined;
  rank: number;
}

interface VlsdState {
  offset: number;
  /** Entries seen, and frames that claimed one (matching by order when offsets are not valid). */
  seq: number;
  claims: number;
  keep: boolean;
  stored: Map<number, Uint8Array>;
  waiting: Map<number, { frame: LogFrame; len: number }>;
  /** The latest frame waiting for a payload (most payloads follow their frame at once). */
  lastFrame: LogFrame | undefined;
  lastKey: number;
  lastLen: number;
}

class DgDecoder {
  private readonly data: DataStream;
  private readonly byId: (GroupState | undefined)[] = [];
  private readonly byIdMap = new Map<number, GroupState>();
  private readonly only: GroupState | undefined;
  private readonly window = new ReorderWindow();
  private buf: Uint8Array = EMPTY;
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;
  /** File offset of buf[0] (for error messages). */
  private bufOffset = 0;
  private skipBytes = 0;
  private sdWanted: { cursor: SdCursor; offset: number } | undefined;
  private ready: LogFrame[] = [];
  private readonly startSec: number;
  private readonly startNsec: number;

  constructor(
    private readonly r: BlockReader,
    private readonly dg: DgPlan,
    hd: HdBlock,
    private readonly skipped: SkipCounters,
    private readonly lastOpen: boolean,
    private readonly seqVlsd: boolean,
  ) {
    this.startSec = hd.startSec;
    this.startNsec = hd.startNsec;
    this.data = new DataStream(r, dg.dataLink, { kind: 'DT', lastBlockOpen: lastOpen });
    const states: GroupState[] = dg.groups.map((g) => ({
      plan: g,
      frames: g.role === 'frames' ? g.frames : undefined,
      index: 0,
      recordBytes: g.recordBytes,
      skipKey: g.role === 'skipped' ? `${g.name}: ${g.reason}` : undefined,
      vlsd: undefined,
      target: undefined,
      sd: undefined,
      rank: g.order,
    }));
    for (const s of states) {
      if (s.plan.role === 'vlsd') {
        s.vlsd = { offset: 0, seq: 0, claims: 0, keep: !!s.plan.payloadOf, stored: new Map(), waiting: new Map(), lastFrame: undefined, lastKey: -1, lastLen: 0 };
        if (!s.vlsd.keep) s.skipKey = `${s.plan.name}: payloads of no frame group that is read`;
      }
    }
    for (const s of states) {
      const f = s.frames;
      if (f?.payload === PAYLOAD_VLSD_CG) s.target = states.find((t) => t.plan.cg.address === f.vlsdCgAddress)?.vlsd;
      if (f?.payload === PAYLOAD_SD) s.sd = new SdCursor(r, f.sdAddress, lastOpen);
      const id = s.plan.cg.recordId;
      if (id < 65536) this.byId[id] = s;
      else this.byIdMap.set(id, s);
    }
    this.only = dg.recordIdSize === 0 ? states[0] : undefined;
  }

  private fail(at: number, problem: string): never {
    throw new RecordingError(this.r.path, this.bufOffset + at, problem);
  }

  async *batches(): AsyncGenerator<LogFrame[]> {
    let failure: unknown;
    try {
      for (;;) {
        const status = this.decode();
        this.window.drain(this.ready, false);
        if (this.ready.length >= BATCH) {
          yield this.ready;
          this.ready = [];
        }
        if (status === NEED_SD) {
          const w = this.sdWanted!;
          this.sdWanted = undefined;
          await w.cursor.load(w.offset);
        } else if (status === NEED_DATA && !(await this.more())) break;
      }
    } catch (e) {
      failure = e;
    }
    // The good frames first (those still waiting for a payload are dropped), then the error.
    this.window.drain(this.ready, true);
    this.count('frames dropped: VLSD payload never came', this.window.dropped);
    this.count('frames more than 1024 places out of time order (emitted late)', this.window.late);
    for (const [why, n] of Object.entries(this.window.rejected)) this.count(why, n);
    if (this.ready.length) yield this.ready;
    this.ready = [];
    await this.data.close();
    for (const s of this.byId) await s?.sd?.close();
    if (failure) throw failure;
  }

  private count(key: string, n: number): void {
    if (n > 0) this.skipped[key] = (this.skipped[key] ?? 0) + n;
  }

  /** Appends the next chunk to what is left of the current one; false at the end of the data. */
  private async more(): Promise<boolean> {
    const chunk = await this.data.next();
    const rest = this.buf.length - this.pos;
    if (!chunk) {
      if (rest > 0) {
        if (this.lastOpen) this.count('incomplete last record (unfinalised file)', 1);
        else this.fail(this.pos, `the data ends inside a record (${rest} bytes left over): truncated`);
      }
      return false;
    }
    const bytes = rest > 0 ? concat(this.buf.subarray(this.pos), chunk.bytes) : chunk.bytes;
    this.bufOffset = chunk.fileOffset - rest;
    this.buf = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    return true;
  }

  /** Decodes records until the chunk runs out (NEED_DATA) or a payload must be read first (NEED_SD). */
  private decode(): number {
    const buf = this.buf;
    const end = buf.length;
    const idSize = this.dg.recordIdSize;
    let p = this.pos;
    // A few hundred records at a time, so frames leave for the consumer while they are young
    // (a whole 1 MiB chunk of frames at once would outlive the GC's young generation).
    let budget = DECODE_BUDGET;
    records: for (; budget > 0; budget--) {
      if (this.skipBytes > 0) {
        const n = Math.min(this.skipBytes, end - p);
        p += n;
        this.skipBytes -= n;
        if (this.skipBytes > 0) break records;
      }
      if (end - p < idSize || (idSize === 0 && p === end)) break records;
      let g: GroupState | undefined;
      let rid = 0;
      switch (idSize) {
        case 0:
          g = this.only;
          break;
        case 1:
          rid = buf[p];
          break;
        case 2:
          rid = buf[p] | (buf[p + 1] << 8);
          break;
        case 4:
          rid = this.dv.getUint32(p, true);
          break;
        default:
          rid = this.dv.getUint32(p, true) + this.dv.getUint32(p + 4, true) * 0x1_0000_0000;
      }
      if (idSize) g = rid < 65536 ? this.byId[rid] : this.byIdMap.get(rid);
      if (!g) this.fail(p, `record id ${rid} belongs to no channel group of the data group at byte ${this.dg.address}: corrupt`);
      const q = p + idSize;
      const v = g.vlsd;
      if (v) {
        if (end - q < 4) break records;
        const len = this.dv.getUint32(q, true);
        if (len > MAX_VLSD_ENTRY) this.fail(q, `a VLSD entry claims ${len} bytes: corrupt`);
        if (!v.keep) {
          if (g.skipKey) this.count(g.skipKey, 1);
          v.offset += 4 + len;
          p = q + 4;
          this.skipBytes = len;
          continue;
        }
        if (end - q < 4 + len) break records;
        this.deliver(v, this.seqVlsd ? v.seq++ : v.offset, buf, q + 4, len);
        v.offset += 4 + len;
        p = q + 4 + len;
        continue;
      }
      const f = g.frames;
      if (!f) {
        if (g.skipKey) this.count(g.skipKey, 1);
        g.index++;
        p = q;
        this.skipBytes = g.recordBytes;
        continue;
      }
      if (end - q < g.recordBytes) break records;
      if (this.frame(g, f, buf, q) === NEED_SD) {
        this.pos = p;
        return NEED_SD;
      }
      p = q + g.recordBytes;
    }
    this.pos = p;
    return budget === 0 ? MORE : NEED_DATA;
  }

  /** A VLSD entry (buf[at, at + len)) arrived: to the frame waiting for it, or kept for the frame to come. */
  private deliver(v: VlsdState, key: number, buf: Uint8Array, at: number, len: number): void {
    // Fast path: the frame just before (CANedge writes the frame, then its payload).
    if (v.lastFrame !== undefined && v.lastKey === key) {
      const n = len < v.lastLen ? len : v.lastLen;
      v.lastFrame.data = buf.subarray(at, at + n);
      v.lastFrame = undefined;
      return;
    }
    const w = v.waiting.get(key);
    if (w) {
      v.waiting.delete(key);
      w.frame.data = buf.subarray(at, at + (len < w.len ? len : w.len));
      return;
    }
    v.stored.set(key, buf.subarray(at, at + len));
    if (v.stored.size > MAX_STORED_PAYLOADS) v.stored.delete(v.stored.keys().next().value!);
  }

  /** A frame waits for its payload: in the one-frame slot, the older one (if any) moved to the map. */
  private wait(v: VlsdState, key: number, frame: LogFrame, len: number): void {
    if (v.lastFrame !== undefined) {
      v.waiting.set(v.lastKey, { frame: v.lastFrame, len: v.lastLen });
      // Payloads that never come: forget the oldest claim (the window drops its frame).
      if (v.waiting.size > MAX_STORED_PAYLOADS * 16) v.waiting.delete(v.waiting.keys().next().value!);
    }
    v.lastFrame = frame;
    v.lastKey = key;
    v.lastLen = len;
  }

  /** One frame record at buf[q]; NEED_SD when its payload must be read first. */
  private frame(g: GroupState, f: FramePlan, buf: Uint8Array, q: number): number {
    const dv = this.dv;
    const index = g.index;
    const t = fieldValue(f.time, buf, dv, q, index);
    if (!Number.isFinite(t)) {
      g.index++;
      this.count(`${g.plan.name}: records with an unreadable time`, 1);
      return 0;
    }
    // Seconds split off before scaling to ns, so large offsets keep their precision.
    let secs = Math.floor(t);
    let ns = Math.round((t - secs) * 1e9);
    if (ns >= 1e9) {
      secs++;
      ns -= 1e9;
    }
    let sec = this.startSec + secs;
    let nanosec = this.startNsec + ns;
    if (nanosec >= 1e9) {
      sec++;
      nanosec -= 1e9;
    }

    const kind = f.kind;
    const rawId = f.id.mode === FIELD_ABSENT ? 0 : fieldValue(f.id, buf, dv, q, index);
    const extended = fieldValue(f.ide, buf, dv, q, index) !== 0 || rawId >= 0x80000000;
    const fd = fieldValue(f.edl, buf, dv, q, index) !== 0;
    let dlc = f.dlc.mode === FIELD_ABSENT ? -1 : fieldValue(f.dlc, buf, dv, q, index);
    let len = f.dataLength.mode === FIELD_ABSENT ? -1 : fieldValue(f.dataLength, buf, dv, q, index);
    if (dlc < 0) dlc = len < 0 ? 0 : fd ? lenToDlc(len) : len;
    if (len < 0) len = fd ? FD_LEN[dlc & 15] : Math.min(dlc, 8);

    let data = EMPTY;
    let waitOn: VlsdState | undefined;
    let waitKey = 0;
    if (kind !== 'remote' && (kind === 'data' || f.dataLength.mode !== FIELD_ABSENT)) {
      switch (f.payload) {
        case PAYLOAD_INLINE: {
          const n = len < f.payloadBytes ? len : f.payloadBytes;
          data = buf.subarray(q + f.payloadOffset, q + f.payloadOffset + n);
          break;
        }
        case PAYLOAD_SD: {
          const off = fieldValue(f.payloadRef, buf, dv, q, index);
          const entry = g.sd!.lookup(off);
          if (entry === null) {
            this.sdWanted = { cursor: g.sd!, offset: off };
            return NEED_SD;
          }
          data = entry.length > len ? entry.subarray(0, len) : entry;
          break;
        }
        case PAYLOAD_VLSD_CG: {
          const v = g.target!;
          // Offsets into the VLSD group's entries; by order when the file says offsets were not updated.
          const key = this.seqVlsd ? v.claims++ : fieldValue(f.payloadRef, buf, dv, q, index);
          const entry = v.stored.size > 0 ? v.stored.get(key) : undefined;
          if (entry !== undefined) {
            v.stored.delete(key);
            data = entry.length > len ? entry.subarray(0, len) : entry;
          } else {
            data = PENDING;
            waitOn = v;
            waitKey = key;
          }
          break;
        }
      }
    }
    g.index++;
    const frame: LogFrame = {
      sec,
      nanosec,
      channel: fieldValue(f.channel, buf, dv, q, index),
      id: rawId < 0x80000000 ? rawId & 0x1fffffff : rawId % 0x20000000,
      extended,
      rtr: kind === 'remote',
      error: kind === 'error',
      fd,
      // BRS and ESI are valid only with EDL (ASAM MDF bus logging): a classic frame has neither.
      brs: fd && fieldValue(f.brs, buf, dv, q, index) !== 0,
      esi: fd && fieldValue(f.esi, buf, dv, q, index) !== 0,
      tx: fieldValue(f.dir, buf, dv, q, index) !== 0,
      dlc,
      data,
    };
    if (waitOn) this.wait(waitOn, waitKey, frame, len);
    this.window.push(frame, g.rank);
    return 0;
  }
}

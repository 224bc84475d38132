// ASAM MDF 4.x blocks as stored: every block starts with a 24-byte header ("##XX", reserved,
// u64 length, u64 link count), then its links (u64 file offsets, 0 = none), then its data section.
// This module reads and checks single blocks; what they mean for bus logging is in mf4_layout.ts.
// Layouts: ASAM MDF 4.2 as implemented by asammdf (blocks/v4_blocks.py, v4_constants.py).
import { RecordingError } from './frame.js';
import type { RandomAccessFile } from './file_source.js';

export const BLOCK_HEADER = 24;
/** Metadata blocks larger than this are taken as corrupt (a CN is ~160 bytes, a CC table a few kB). */
const MAX_META_BLOCK = 16 << 20;
const PAGE = 64 << 10;
const MAX_PAGES = 64;
/** Link count beyond which a block header is taken as corrupt. */
const MAX_LINKS = 1 << 20;

export interface Block {
  id: string;
  address: number;
  /** Length as the header states it. */
  length: number;
  links: number[];
  /** The data section (after the links). */
  data: DataView;
  bytes: Uint8Array;
}

export function u64(dv: DataView, at: number): number {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  return hi * 0x1_0000_0000 + lo;
}

/** Reads blocks from one MF4 file, checking that each lies inside the file and is the kind expected. */
export class BlockReader {
  /** Every block address and link target met so far: where an unfinalised last DT block ends. */
  readonly knownAddresses = new Set<number>();

  constructor(
    readonly file: RandomAccessFile,
    readonly path: string,
  ) {}

  fail(offset: number | undefined, problem: string): never {
    throw new RecordingError(this.path, offset, problem);
  }


  private readonly pages = new Map<number, Promise<Uint8Array>>();

  /**
   * Bytes [address, address + length) (fewer at the end of the file) through a cache of 64 KiB
   * pages: metadata blocks sit close together, so a file's hundreds of CN/TX/CC blocks cost a
   * few reads. Returned bytes may be a view of a cached page: read them, do not keep them.
   */
  private async readSmall(address: number, length: number): Promise<Uint8Array> {
    const first = Math.floor(address / PAGE);
    const last = Math.floor((address + length - 1) / PAGE);
    if (first !== last) return this.file.read(address, length);
    let page = this.pages.get(first);
    if (!page) {
      if (this.pages.size >= MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
      page = this.file.read(first * PAGE, PAGE);
      this.pages.set(first, page);
    }
    const p = await page;
    const from = address - first * PAGE;
    return p.subarray(from, Math.min(p.length, from + length));
  }

  private checkAddress(address: number): void {
    if (address < 64 || address + BLOCK_HEADER > this.file.size) {
      this.fail(address, `a link points to byte ${address}, outside the file (${this.file.size} bytes): truncated or corrupt`);
    }
  }

  /** The 24-byte header at `address`. */
  async header(address: number, expect?: readonly string[]): Promise<{ id: string; length: number; linkCount: number }> {
    this.checkAddress(address);
    return this.parseHeader(address, await this.readSmall(address, BLOCK_HEADER), expect);
  }

  private parseHeader(address: number, h: Uint8Array, expect?: readonly string[]): { id: string; length: number; linkCount: number } {
    if (h.length < BLOCK_HEADER) this.fail(address, 'file ends inside a block header');
    const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    const id = String.fromCharCode(h[0], h[1], h[2], h[3]);
    if (h[0] !== 0x23 || h[1] !== 0x23) this.fail(address, `expected a block ("##..") at byte ${address}, found ${JSON.stringify(id)}`);
    if (expect && !expect.includes(id)) this.fail(address, `expected ${expect.join(' or ')} at byte ${address}, found ${id}`);
    const length = u64(dv, 8);
    const linkCount = u64(dv, 16);
    if (linkCount > MAX_LINKS || length < BLOCK_HEADER + linkCount * 8) this.fail(address, `${id} block at byte ${address} has an impossible length ${length} for ${linkCount} links`);
    this.knownAddresses.add(address);
    return { id, length, linkCount };
  }

  /** A whole metadata block (header, links, data). */
  async block(address: number, expect?: readonly string[]): Promise<Block> {
    // One read for most blocks: the header and a guess of the rest, re-read when longer.
    this.checkAddress(address);
    let all = await this.readSmall(address, 512);
    const { id, length, linkCount } = this.parseHeader(address, all, expect);
    if (length > MAX_META_BLOCK) this.fail(address, `${id} block at byte ${address} claims ${length} bytes`);
    if (address + length > this.file.size) this.fail(address, `${id} block at byte ${address} (${length} bytes) runs past the end of the file (${this.file.size} bytes): truncated`);
    if (all.length < length) all = length <= PAGE ? await this.readSmall(address, length) : await this.file.read(address, length);
    else all = all.subarray(0, length);
    if (all.length < length) this.fail(address, `file ends inside the ${id} block at byte ${address}`);
    const dv = new DataView(all.buffer, all.byteOffset, all.byteLength);
    const links = new Array<number>(linkCount);
    for (let i = 0; i < linkCount; i++) {
      // Checked when followed (header()): a truncated file may still hold the blocks that matter.
      const l = u64(dv, BLOCK_HEADER + i * 8);
      links[i] = l;
      if (l && l < this.file.size) this.knownAddresses.add(l);
    }
    const start = BLOCK_HEADER + linkCount * 8;
    const bytes = all.subarray(start);
    return { id, address, length, links, data: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes };
  }

  /** A data block of any size that has no links (DZ): header checked, data section returned. */
  async block0(address: number, length: number): Promise<{ bytes: Uint8Array; data: DataView }> {
    const all = await this.file.read(address, length);
    if (all.length < length) this.fail(address, `file ends inside the block at byte ${address}`);
    const h = await this.header(address);
    const bytes = all.subarray(BLOCK_HEADER + h.linkCount * 8);
    return { bytes, data: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  /** Text of a TX or MD block (UTF-8, up to its first NUL); '' for link 0. */
  async text(address: number): Promise<string> {
    if (!address) return '';
    const b = await this.block(address, ['##TX', '##MD']);
    let end = b.bytes.indexOf(0);
    if (end < 0) end = b.bytes.length;
    return Buffer.from(b.bytes.buffer, b.bytes.byteOffset, end).toString('utf8');
  }
}

/** Needs at least `n` bytes of data section, else the block is corrupt. */
export function needData(r: BlockReader, b: Block, n: number): void {
  if (b.bytes.length < n) r.fail(b.address, `${b.id} block at byte ${b.address} has ${b.bytes.length} data bytes, needs ${n}`);
}

export function link(b: Block, i: number): number {
  return i < b.links.length ? b.links[i] : 0;
}

/** Follows a chain of blocks by their "next" link, refusing a link that points back (a cycle). */
export async function* chain(r: BlockReader, first: number, expect: string, nextLink = 0): AsyncGenerator<Block> {
  const seen = new Set<number>();
  for (let a = first; a; ) {
    if (seen.has(a)) r.fail(a, `${expect} chain loops back to byte ${a}: corrupt`);
    seen.add(a);
    const b = await r.block(a, [expect]);
    yield b;
    a = link(b, nextLink);
  }
}

// --- the blocks a bus-logging reader needs -------------------------------------------------

export interface IdBlock {
  fileId: string;
  versionText: string;
  programId: string;
  version: number;
  unfinalised: boolean;
  unfinalisedFlags: number;
  customUnfinalisedFlags: number;
}

export function parseIdBlock(path: string, b: Uint8Array): IdBlock {
  if (b.length < 64) throw new RecordingError(path, 0, 'file ends inside the 64-byte MDF identification block');
  const ascii = (from: number, to: number): string => Buffer.from(b.subarray(from, to)).toString('latin1').replace(/\0/g, ' ').trim();
  const fileId = ascii(0, 8);
  if (fileId !== 'MDF' && fileId !== 'UnFinMF') throw new RecordingError(path, 0, `not an MDF file (identification "${fileId}")`);
  const dv = new DataView(b.buffer, b.byteOffset, 64);
  const version = dv.getUint16(28, true);
  const versionText = ascii(8, 16);
  if (version < 400 || version >= 500) {
    throw new RecordingError(path, 28, `MDF version ${versionText || version} is not read (MDF 4.x only; MDF 3 files: convert with asammdf)`);
  }
  const unfinalisedFlags = dv.getUint16(60, true);
  return {
    fileId,
    versionText,
    programId: ascii(16, 24),
    version,
    unfinalised: fileId === 'UnFinMF',
    unfinalisedFlags: fileId === 'UnFinMF' ? unfinalisedFlags : 0,
    customUnfinalisedFlags: fileId === 'UnFinMF' ? dv.getUint16(62, true) : 0,
  };
}

export const UNFIN_CYCLE_COUNTS = 0x1;
export const UNFIN_LAST_DT_LENGTH = 0x4;
export const UNFIN_LAST_DL = 0x10;
export const UNFIN_VLSD_BYTES = 0x20;
export const UNFIN_VLSD_OFFSETS = 0x40;

export interface HdBlock {
  firstDg: number;
  firstFh: number;
  comment: number;
  /** hd_start_time_ns split exactly (it exceeds 2^53). */
  startSec: number;
  startNsec: number;
  tzOffsetMin: number;
  dstOffsetMin: number;
  timeFlags: number;
}

export function parseHd(r: BlockReader, b: Block): HdBlock {
  needData(r, b, 16);
  const ns = b.data.getBigUint64(0, true);
  return {
    firstDg: link(b, 0),
    firstFh: link(b, 1),
    comment: link(b, 5),
    startSec: Number(ns / 1_000_000_000n),
    startNsec: Number(ns % 1_000_000_000n),
    tzOffsetMin: b.data.getInt16(8, true),
    dstOffsetMin: b.data.getInt16(10, true),
    timeFlags: b.data.getUint8(12),
  };
}

export interface DgBlock {
  address: number;
  next: number;
  firstCg: number;
  data: number;
  recordIdSize: number;
}

export function parseDg(r: BlockReader, b: Block): DgBlock {
  needData(r, b, 1);
  const recordIdSize = b.data.getUint8(0);
  if (recordIdSize !== 0 && recordIdSize !== 1 && recordIdSize !== 2 && recordIdSize !== 4 && recordIdSize !== 8) {
    r.fail(b.address, `DG block at byte ${b.address} has record id size ${recordIdSize} (0, 1, 2, 4 or 8 expected)`);
  }
  return { address: b.address, next: link(b, 0), firstCg: link(b, 1), data: link(b, 2), recordIdSize };
}

export const CG_VLSD = 0x1;
export const CG_BUS_EVENT = 0x2;
export const CG_PLAIN_BUS_EVENT = 0x4;
export const CG_REMOTE_MASTER = 0x8;

export interface CgBlock {
  address: number;
  next: number;
  firstCn: number;
  acqName: number;
  acqSource: number;
  recordId: number;
  cycleCount: number;
  flags: number;
  dataBytes: number;
  invalBytes: number;
}

export function parseCg(r: BlockReader, b: Block): CgBlock {
  needData(r, b, 32);
  return {
    address: b.address,
    next: link(b, 0),
    firstCn: link(b, 1),
    acqName: link(b, 2),
    acqSource: link(b, 3),
    recordId: u64(b.data, 0),
    cycleCount: u64(b.data, 8),
    flags: b.data.getUint16(16, true),
    dataBytes: b.data.getUint32(24, true),
    invalBytes: b.data.getUint32(28, true),
  };
}

export const CN_FIXED = 0;
export const CN_VLSD = 1;
export const CN_MASTER = 2;
export const CN_VIRTUAL_MASTER = 3;
export const CN_SYNC = 4;
export const CN_MLSD = 5;
export const CN_VIRTUAL = 6;
export const CN_VLSC = 7;

export interface CnBlock {
  address: number;
  next: number;
  composition: number;
  name: number;
  source: number;
  conversion: number;
  dataLink: number;
  cnType: number;
  syncType: number;
  dataType: number;
  bitOffset: number;
  byteOffset: number;
  bitCount: number;
  flags: number;
}

export function parseCn(r: BlockReader, b: Block): CnBlock {
  needData(r, b, 20);
  return {
    address: b.address,
    next: link(b, 0),
    composition: link(b, 1),
    name: link(b, 2),
    source: link(b, 3),
    conversion: link(b, 4),
    dataLink: link(b, 5),
    cnType: b.data.getUint8(0),
    syncType: b.data.getUint8(1),
    dataType: b.data.getUint8(2),
    bitOffset: b.data.getUint8(3),
    byteOffset: b.data.getUint32(4, true),
    bitCount: b.data.getUint32(8, true),
    flags: b.data.getUint32(12, true),
  };
}

export interface CcBlock {
  address: number;
  type: number;
  refs: number[];
  values: Float64Array;
}

export function parseCc(r: BlockReader, b: Block): CcBlock {
  needData(r, b, 24);
  const refCount = b.data.getUint16(4, true);
  const valCount = b.data.getUint16(6, true);
  needData(r, b, 24 + valCount * 8);
  const values = new Float64Array(valCount);
  for (let i = 0; i < valCount; i++) values[i] = b.data.getFloat64(24 + i * 8, true);
  return { address: b.address, type: b.data.getUint8(0), refs: b.links.slice(4, 4 + refCount), values };
}

export const SOURCE_BUS = 2;
export const BUS_TYPES: Record<number, string> = { 0: 'none', 1: 'other', 2: 'CAN', 3: 'LIN', 4: 'MOST', 5: 'FlexRay', 6: 'K-Line', 7: 'Ethernet', 8: 'USB' };

export interface SiBlock {
  name: number;
  path: number;
  sourceType: number;
  busType: number;
}

export function parseSi(r: BlockReader, b: Block): SiBlock {
  needData(r, b, 3);
  return { name: link(b, 0), path: link(b, 1), sourceType: b.data.getUint8(0), busType: b.data.getUint8(1) };
}

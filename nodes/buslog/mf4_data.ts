// The data of an MF4 data group (records) or of a VLSD channel (SD entries) as a stream of byte
// chunks, following whatever the link points to: a DT / SD block (read in chunks), a DZ block
// (inflated one at a time: zip type 0 deflate, 1 transposition + deflate), a DL list of them
// (chained by dl_next) or an HL header list in front of DLs. Nothing is read before it is needed.
import { inflateSync } from 'node:zlib';
import { BLOCK_HEADER, chain, link, u64, type BlockReader } from './mf4_blocks.js';

export interface DataChunk {
  bytes: Uint8Array;
  /** File offset of bytes[0] for stored data; the DZ block's address for inflated data. */
  fileOffset: number;
}

export interface DataStreamOptions {
  /** The block kind the data is made of: DT for records, SD for VLSD entries. */
  kind: 'DT' | 'SD';
  /**
   * Unfinalised file whose last DT block length was not updated (UnFinMF flag 0x4): the last
   * block of the list runs to the next known block or the end of the file.
   */
  lastBlockOpen: boolean;
  /** Bytes per read from a stored block. */
  chunkBytes?: number;
}

/** A DZ block inflating to more than this is refused (asammdf writes <= 4 MiB; the bound keeps memory bounded). */
export const MAX_INFLATED = 256 << 20;
const DEFAULT_CHUNK = 1 << 20;

export class DataStream {
  private readonly it: AsyncGenerator<DataChunk>;
  private sortedKnown: number[] | undefined;

  constructor(
    private readonly r: BlockReader,
    first: number,
    private readonly opts: DataStreamOptions,
  ) {
    this.it = this.walk(first);
  }

  /** The next chunk of data, or null at the end. Throws RecordingError where the data is broken. */
  async next(): Promise<DataChunk | null> {
    const n = await this.it.next();
    return n.done ? null : n.value;
  }

  async close(): Promise<void> {
    await this.it.return(undefined);
  }

  private async *walk(first: number): AsyncGenerator<DataChunk> {
    if (!first) return;
    const { id } = await this.r.header(first);
    if (id === '##HL') {
      const hl = await this.r.block(first, ['##HL']);
      yield* this.list(link(hl, 0));
    } else if (id === '##DL') {
      yield* this.list(first);
    } else {
      yield* this.leaf(first, true);
    }
  }

  /** A DL chain: every data link of every DL in order. */
  private async *list(firstDl: number): AsyncGenerator<DataChunk> {
    for await (const dl of chain(this.r, firstDl, '##DL')) {
      if (dl.bytes.length < 8) this.r.fail(dl.address, `DL block at byte ${dl.address} is too short`);
      const count = dl.data.getUint32(4, true);
      const links = dl.links.slice(1, 1 + count);
      const lastDl = link(dl, 0) === 0;
      for (let i = 0; i < links.length; i++) {
        if (!links[i]) continue;
        yield* this.leaf(links[i], lastDl && i === links.length - 1);
      }
    }
  }

  private async *leaf(address: number, last: boolean): AsyncGenerator<DataChunk> {
    const h = await this.r.header(address);
    const kind = `##${this.opts.kind}`;
    if (h.id === kind) {
      yield* this.stored(address, h.length, h.linkCount, last);
    } else if (h.id === '##DZ') {
      yield this.inflate(address, h.length);
    } else if (h.id === '##DL' || h.id === '##HL') {
      this.r.fail(address, `${h.id} block at byte ${address} nested inside a data list: corrupt`);
    } else {
      const what: Record<string, string> = {
        '##LD': 'column-oriented data (LD list, MDF 4.2)',
        '##DV': 'column-oriented data values (DV, MDF 4.2)',
        '##RD': 'reduction data (RD)',
        '##RV': 'reduction data (RV)',
      };
      this.r.fail(address, `${what[h.id] ?? `a ${h.id} block`} at byte ${address} where ${kind} data was expected: not read`);
    }
  }

  private nextKnownAfter(address: number): number {
    if (!this.sortedKnown) this.sortedKnown = [...this.r.knownAddresses].sort((a, b) => a - b);
    for (const a of this.sortedKnown) if (a > address) return a;
    return this.r.file.size;
  }

  private async *stored(address: number, length: number, linkCount: number, last: boolean): AsyncGenerator<DataChunk> {
    const size = this.r.file.size;
    let start = address + BLOCK_HEADER + linkCount * 8;
    let end = address + length;
    if (this.opts.lastBlockOpen && last) end = Math.max(end, Math.min(this.nextKnownAfter(address), size));
    const chunk = this.opts.chunkBytes ?? DEFAULT_CHUNK;
    while (start < end && start < size) {
      const bytes = await this.r.file.read(start, Math.min(chunk, end - start));
      if (bytes.length === 0) break;
      yield { bytes, fileOffset: start };
      start += bytes.length;
    }
    if (start < end) {
      this.r.fail(start, `the ${this.opts.kind} block at byte ${address} claims ${length} bytes but the file ends at byte ${size}: truncated`);
    }
  }

  private async inflate(address: number, length: number): Promise<DataChunk> {
    if (address + length > this.r.file.size) this.r.fail(address, `DZ block at byte ${address} (${length} bytes) runs past the end of the file: truncated`);
    if (length > MAX_INFLATED) this.r.fail(address, `DZ block at byte ${address} claims ${length} bytes`);
    const b = await this.r.block0(address, length);
    const dv = b.data;
    if (b.bytes.length < 24) this.r.fail(address, `DZ block at byte ${address} is too short`);
    const orgType = String.fromCharCode(b.bytes[0], b.bytes[1]);
    const zipType = b.bytes[2];
    const columns = dv.getUint32(4, true);
    const orgLength = u64(dv, 8);
    const zipLength = u64(dv, 16);
    if (orgType !== this.opts.kind) this.r.fail(address, `DZ block at byte ${address} holds ${orgType} data where ${this.opts.kind} was expected`);
    if (orgLength > MAX_INFLATED) this.r.fail(address, `DZ block at byte ${address} inflates to ${orgLength} bytes, more than vil reads in one block (${MAX_INFLATED})`);
    if (24 + zipLength > b.bytes.length) this.r.fail(address, `DZ block at byte ${address} claims ${zipLength} compressed bytes in a ${length}-byte block`);
    if (zipType !== 0 && zipType !== 1) {
      const name: Record<number, string> = { 2: 'zstd', 3: 'transposition + zstd', 4: 'lz4', 5: 'transposition + lz4' };
      this.r.fail(address, `DZ block at byte ${address} uses zip type ${zipType}${name[zipType] ? ` (${name[zipType]}, MDF 4.3)` : ''}: only deflate (0) and transposition + deflate (1) are read`);
    }
    let out: Uint8Array;
    try {
      out = inflateSync(b.bytes.subarray(24, 24 + zipLength), { maxOutputLength: Math.max(orgLength, 1) });
    } catch (e) {
      this.r.fail(address, `DZ block at byte ${address} does not inflate: ${(e as Error).message}`);
    }
    if (out.length !== orgLength) this.r.fail(address, `DZ block at byte ${address} inflates to ${out.length} bytes, its header says ${orgLength}`);
    out = new Uint8Array(out.buffer, out.byteOffset, out.length);
    if (zipType === 1 && columns > 0) out = untranspose(out, columns);
    return { bytes: out, fileOffset: address };
  }
}

/**
 * Undoes the DZ transposition: the first floor(n / columns) * columns bytes were stored column by
 * column (byte c of every record, then byte c + 1, ...); the remainder is stored as is.
 */
export function untranspose(t: Uint8Array, columns: number): Uint8Array {
  const rows = Math.floor(t.length / columns);
  if (rows <= 1) return t;
  const out = new Uint8Array(t.length);
  for (let c = 0; c < columns; c++) {
    const from = c * rows;
    for (let r = 0, o = c; r < rows; r++, o += columns) out[o] = t[from + r];
  }
  out.set(t.subarray(rows * columns), rows * columns);
  return out;
}

const EMPTY = new Uint8Array(0);

/**
 * The VLSD entries (u32 length + bytes) of a channel whose data hangs off its cn_data link (SD
 * block, DZ of SD, DL of SD), read forward as records ask for them. An offset behind the window
 * restarts the stream from the beginning (asammdf-sorted files never do that).
 */
export class SdCursor {
  private stream: DataStream;
  private buf: Uint8Array = EMPTY;
  private base = 0;
  private rewinds = 0;

  constructor(
    private readonly r: BlockReader,
    private readonly first: number,
    private readonly lastBlockOpen: boolean,
  ) {
    this.stream = new DataStream(r, first, { kind: 'SD', lastBlockOpen });
  }

  /** The entry at `offset` when it is in the window, else null (call load first). */
  lookup(offset: number): Uint8Array | null {
    const rel = offset - this.base;
    const buf = this.buf;
    if (rel < 0 || rel + 4 > buf.length) return null;
    const len = (buf[rel] | (buf[rel + 1] << 8) | (buf[rel + 2] << 16) | (buf[rel + 3] << 24)) >>> 0;
    if (rel + 4 + len > buf.length) return null;
    return buf.subarray(rel + 4, rel + 4 + len);
  }

  /** Reads on until the entry at `offset` is in the window; throws RecordingError if it is not there. */
  async load(offset: number): Promise<void> {
    if (offset < this.base) {
      if (++this.rewinds > 1000) this.r.fail(undefined, 'VLSD offsets jump backwards more than 1000 times: corrupt');
      await this.stream.close();
      this.stream = new DataStream(this.r, this.first, { kind: 'SD', lastBlockOpen: this.lastBlockOpen });
      this.buf = EMPTY;
      this.base = 0;
    }
    while (this.lookup(offset) === null) {
      const keepFrom = Math.min(Math.max(0, offset - this.base), this.buf.length);
      const keep = this.buf.subarray(keepFrom);
      const chunk = await this.stream.next();
      if (!chunk) this.r.fail(undefined, `a record points at VLSD offset ${offset}, past the end of its SD data (${this.base + this.buf.length} bytes)`);
      const joined = keep.length === 0 ? chunk.bytes : concat(keep, chunk.bytes);
      this.base += keepFrom;
      this.buf = joined;
    }
  }

  async close(): Promise<void> {
    await this.stream.close();
  }
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

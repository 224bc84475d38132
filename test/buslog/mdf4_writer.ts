// A tiny ASAM MDF 4 writer for tests only: builds files with the features the shared recordings
// lack (DL lists with several DTs, HL lists, 2/4/8-byte record ids, CAN FD, SD lists, link
// cycles), from the block layouts of the standard, so the reader can be checked against values
// the test put in. Blocks are appended bottom-up (children first); ID and HD are patched last.
import { deflateSync } from 'node:zlib';

export class Mdf4Writer {
  private parts: Uint8Array[] = [];
  private size = 64 + 104; // ID block + HD block, written by finish()

  constructor(
    private readonly opts: { version?: number; fileId?: 'MDF     ' | 'UnFinMF '; unfinalisedFlags?: number; programId?: string } = {},
  ) {}

  private readonly patches: [number, number][] = [];

  /** Sets link `i` of the block at `addr` when the file is finished (for links to later blocks). */
  link(addr: number, i: number, value: number): void {
    this.patches.push([addr + 24 + i * 8, value]);
  }

  /** Current end of file (where the next block goes). */
  get end(): number {
    return this.size;
  }

  /** Appends a block (8-byte aligned), returns its address. */
  block(id: string, links: number[], data: Uint8Array, statedLength?: number): number {
    const pad = (8 - (this.size % 8)) % 8;
    if (pad) this.raw(new Uint8Array(pad));
    const addr = this.size;
    const b = new Uint8Array(24 + links.length * 8 + data.length);
    const v = new DataView(b.buffer);
    for (let i = 0; i < 4; i++) b[i] = id.charCodeAt(i);
    v.setBigUint64(8, BigInt(statedLength ?? b.length), true);
    v.setBigUint64(16, BigInt(links.length), true);
    links.forEach((l, i) => v.setBigUint64(24 + i * 8, BigInt(l), true));
    b.set(data, 24 + links.length * 8);
    this.raw(b);
    return addr;
  }

  raw(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  text(s: string): number {
    const t = Buffer.from(`${s}\0`, 'utf8');
    const data = new Uint8Array(Math.ceil(t.length / 8) * 8);
    data.set(t);
    return this.block('##TX', [], data);
  }

  /** cc_type with its values (linear: [b, a]; value-to-value: [key, value, ...]). */
  cc(type: number, values: number[]): number {
    const d = new Uint8Array(24 + values.length * 8);
    const v = new DataView(d.buffer);
    d[0] = type;
    v.setUint16(6, values.length, true);
    values.forEach((x, i) => v.setFloat64(24 + i * 8, x, true));
    return this.block('##CC', [0, 0, 0, 0], d);
  }

  si(busType: number, name = 'CAN'): number {
    const d = new Uint8Array(8);
    d[0] = 2; // source type bus
    d[1] = busType;
    const n = this.text(name);
    return this.block('##SI', [n, n, 0], d);
  }

  cn(c: { next?: number; composition?: number; name: string; cc?: number; data?: number; cnType?: number; syncType?: number; dataType?: number; bitOffset?: number; byteOffset?: number; bitCount: number }): number {
    const d = new Uint8Array(72);
    const v = new DataView(d.buffer);
    d[0] = c.cnType ?? 0;
    d[1] = c.syncType ?? 0;
    d[2] = c.dataType ?? 0;
    d[3] = c.bitOffset ?? 0;
    v.setUint32(4, c.byteOffset ?? 0, true);
    v.setUint32(8, c.bitCount, true);
    return this.block('##CN', [c.next ?? 0, c.composition ?? 0, this.text(c.name), 0, c.cc ?? 0, c.data ?? 0, 0, 0], d);
  }

  cg(c: { next?: number; firstCn?: number; acqName?: string; source?: number; recordId?: number; cycles?: number; flags?: number; dataBytes?: number; invalBytes?: number }): number {
    const d = new Uint8Array(32);
    const v = new DataView(d.buffer);
    v.setBigUint64(0, BigInt(c.recordId ?? 0), true);
    v.setBigUint64(8, BigInt(c.cycles ?? 0), true);
    v.setUint16(16, c.flags ?? 0, true);
    v.setUint32(24, c.dataBytes ?? 0, true);
    v.setUint32(28, c.invalBytes ?? 0, true);
    return this.block('##CG', [c.next ?? 0, c.firstCn ?? 0, c.acqName ? this.text(c.acqName) : 0, c.source ?? 0, 0, 0], d);
  }

  dg(d: { next?: number; firstCg: number; data: number; recordIdSize?: number }): number {
    const b = new Uint8Array(8);
    b[0] = d.recordIdSize ?? 0;
    return this.block('##DG', [d.next ?? 0, d.firstCg, d.data, 0], b);
  }

  dt(bytes: Uint8Array, kind: '##DT' | '##SD' = '##DT', statedLength?: number): number {
    return this.block(kind, [], bytes, statedLength);
  }

  dz(orig: 'DT' | 'SD', bytes: Uint8Array, zipType: 0 | 1, columns = 0): number {
    let t = bytes;
    if (zipType === 1) {
      const rows = Math.floor(bytes.length / columns);
      t = new Uint8Array(bytes.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) t[c * rows + r] = bytes[r * columns + c];
      t.set(bytes.subarray(rows * columns), rows * columns);
    }
    const z = deflateSync(t);
    const d = new Uint8Array(24 + z.length);
    const v = new DataView(d.buffer);
    d[0] = orig.charCodeAt(0);
    d[1] = orig.charCodeAt(1);
    d[2] = zipType;
    v.setUint32(4, columns, true);
    v.setBigUint64(8, BigInt(bytes.length), true);
    v.setBigUint64(16, BigInt(z.length), true);
    d.set(z, 24);
    return this.block('##DZ', [], d);
  }

  /** A DL block with offsets (not equal length). */
  dl(next: number, links: number[], lengths: number[]): number {
    const d = new Uint8Array(8 + links.length * 8);
    const v = new DataView(d.buffer);
    v.setUint32(4, links.length, true);
    let off = 0;
    links.forEach((_, i) => {
      v.setBigUint64(8 + i * 8, BigInt(off), true);
      off += lengths[i] ?? 0;
    });
    return this.block('##DL', [next, ...links], d);
  }

  hl(firstDl: number, zipType = 0): number {
    const d = new Uint8Array(8);
    d[2] = zipType;
    return this.block('##HL', [firstDl], d);
  }

  /** The file: ID block, HD (start time in ns since 1970 UTC, time flags) and the blocks. */
  finish(firstDg: number, startNs: bigint, timeFlags = 0): Uint8Array {
    const out = new Uint8Array(this.size);
    const id = new Uint8Array(64);
    const iv = new DataView(id.buffer);
    const ascii = (s: string, at: number): void => {
      for (let i = 0; i < s.length; i++) id[at + i] = s.charCodeAt(i);
    };
    const version = this.opts.version ?? 411;
    ascii(this.opts.fileId ?? 'MDF     ', 0);
    ascii(`${Math.floor(version / 100)}.${String(version % 100).padStart(2, '0')}    `, 8);
    ascii((this.opts.programId ?? 'viltest').padEnd(8, ' '), 16);
    iv.setUint16(28, version, true);
    iv.setUint16(60, this.opts.unfinalisedFlags ?? 0, true);
    out.set(id, 0);
    const hd = new Uint8Array(104);
    const hv = new DataView(hd.buffer);
    hd.set(Buffer.from('##HD'), 0);
    hv.setBigUint64(8, 104n, true);
    hv.setBigUint64(16, 6n, true);
    hv.setBigUint64(24, BigInt(firstDg), true);
    hv.setBigUint64(72, startNs, true);
    hd[84] = timeFlags;
    out.set(hd, 64);
    let at = 168;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    const ov = new DataView(out.buffer);
    for (const [where, value] of this.patches) ov.setBigUint64(where, BigInt(value), true);
    return out;
  }
}

/** Sets `bits` bits of `value` at byte `byte`, bit `bit` of a record, little-endian. */
export function putBits(rec: Uint8Array, byte: number, bit: number, bits: number, value: number | bigint): void {
  let v = BigInt(value);
  for (let i = 0; i < bits; i++) {
    const pos = bit + i;
    const b = byte + (pos >> 3);
    if (v & 1n) rec[b] |= 1 << (pos & 7);
    else rec[b] &= ~(1 << (pos & 7));
    v >>= 1n;
  }
}

export interface FieldDef {
  name: string;
  byteOffset?: number;
  bitOffset?: number;
  bitCount: number;
  dataType?: number;
  cnType?: number;
  cc?: number;
  data?: number;
}

/**
 * A bus-logging channel group's channels: the master, then `kind` (e.g. "CAN_DataFrame") composed
 * of "kind.Field" children. Returns the first CN.
 */
export function busChannels(w: Mdf4Writer, kind: string, master: FieldDef, fields: FieldDef[], recordBytes: number): number {
  let next = 0;
  for (let i = fields.length - 1; i >= 0; i--) {
    const f = fields[i];
    next = w.cn({ next, name: `${kind}.${f.name}`, cc: f.cc, data: f.data, cnType: f.cnType ?? 0, dataType: f.dataType ?? 0, bitOffset: f.bitOffset ?? 0, byteOffset: f.byteOffset ?? 0, bitCount: f.bitCount });
  }
  const top = w.cn({ name: kind, composition: next, dataType: 10, byteOffset: master.bitCount / 8, bitCount: (recordBytes - master.bitCount / 8) * 8 });
  return w.cn({ next: top, name: master.name, cnType: master.cnType ?? 2, syncType: 1, dataType: master.dataType ?? 4, bitCount: master.bitCount, cc: master.cc, byteOffset: master.byteOffset ?? 0 });
}

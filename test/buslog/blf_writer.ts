// A tiny Vector BLF writer for tests only (object layouts as python-can's blf.py and vector_blf
// define them): objects with v1 or v2 headers, split into log containers at any byte (so objects
// span containers), stored or zlib-compressed.
import { deflateSync } from 'node:zlib';

export interface BlfObject {
  type: number;
  /** Object time in its units (flags 1 = 10 µs, 2 = 1 ns). */
  ts: number;
  flags?: number;
  headerVersion?: 1 | 2;
  payload: Uint8Array;
}

export function blfObject(o: BlfObject): Uint8Array {
  const v2 = o.headerVersion === 2;
  const header = 16 + (v2 ? 24 : 16);
  const size = header + o.payload.length;
  const b = new Uint8Array(size + (size % 4));
  const v = new DataView(b.buffer);
  b.set(Buffer.from('LOBJ'), 0);
  v.setUint16(4, header, true);
  v.setUint16(6, v2 ? 2 : 1, true);
  v.setUint32(8, size, true);
  v.setUint32(12, o.type, true);
  v.setUint32(16, o.flags ?? 2, true);
  v.setBigUint64(24, BigInt(o.ts), true);
  b.set(o.payload, header);
  return b;
}

/** CAN_MESSAGE / CAN_MESSAGE2 payload. */
export function canMessage(channel: number, flags: number, dlc: number, id: number, data: number[], message2 = false): Uint8Array {
  const p = new Uint8Array(message2 ? 24 : 16);
  const v = new DataView(p.buffer);
  v.setUint16(0, channel, true);
  p[2] = flags;
  p[3] = dlc;
  v.setUint32(4, id >>> 0, true);
  p.set(data.slice(0, 8), 8);
  return p;
}

/** CAN_FD_MESSAGE payload (64-byte data field). */
export function canFdMessage(channel: number, flags: number, dlc: number, id: number, fdFlags: number, data: number[]): Uint8Array {
  const p = new Uint8Array(20 + 64 + 4);
  const v = new DataView(p.buffer);
  v.setUint16(0, channel, true);
  p[2] = flags;
  p[3] = dlc;
  v.setUint32(4, id >>> 0, true);
  p[13] = fdFlags;
  p[14] = data.length;
  p.set(data, 20);
  return p;
}

/** CAN_FD_MESSAGE_64 payload; `stored` data bytes follow (may be fewer than `valid`). */
export function canFdMessage64(channel: number, dlc: number, valid: number, id: number, flags: number, dir: number, stored: number[]): Uint8Array {
  const p = new Uint8Array(40 + stored.length);
  const v = new DataView(p.buffer);
  p[0] = channel;
  p[1] = dlc;
  p[2] = valid;
  v.setUint32(4, id >>> 0, true);
  v.setUint32(12, flags, true);
  p[34] = dir;
  p.set(stored, 40);
  return p;
}

/** CAN_ERROR_EXT payload. */
export function canErrorExt(channel: number, dlc: number, id: number, data: number[]): Uint8Array {
  const p = new Uint8Array(32);
  const v = new DataView(p.buffer);
  v.setUint16(0, channel, true);
  p[10] = dlc;
  v.setUint32(16, id >>> 0, true);
  p.set(data.slice(0, 8), 24);
  return p;
}

export function systemTime(ms: number): number[] {
  if (ms === 0) return [0, 0, 0, 0, 0, 0, 0, 0];
  const d = new Date(ms);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDay(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()];
}

/**
 * A BLF file: the objects' bytes concatenated and cut into containers at `cuts` (byte offsets into
 * that stream); container i is stored when `stored(i)`, else zlib. `topLevel` objects go after
 * the containers, outside any.
 */
export function blfFile(objects: Uint8Array[], opts: { startMs?: number | number[]; cuts?: number[]; stored?: (i: number) => boolean; method?: (i: number) => number; topLevel?: Uint8Array[]; fileSize?: number } = {}): Uint8Array {
  const stream = Buffer.concat(objects);
  const cuts = [0, ...(opts.cuts ?? []), stream.length];
  const parts: Uint8Array[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const chunk = stream.subarray(cuts[i], cuts[i + 1]);
    const method = opts.method?.(i) ?? (opts.stored?.(i) ? 0 : 2);
    const body = method === 2 ? deflateSync(chunk) : chunk;
    const size = 32 + body.length;
    const c = new Uint8Array(size + (size % 4));
    const v = new DataView(c.buffer);
    c.set(Buffer.from('LOBJ'), 0);
    v.setUint16(4, 16, true);
    v.setUint16(6, 1, true);
    v.setUint32(8, size, true);
    v.setUint32(12, 10, true);
    v.setUint16(16, method, true);
    v.setUint32(24, chunk.length, true);
    c.set(body, 32);
    parts.push(c);
  }
  for (const t of opts.topLevel ?? []) parts.push(t);
  const body = Buffer.concat(parts);
  const h = new Uint8Array(144);
  const v = new DataView(h.buffer);
  h.set(Buffer.from('LOGG'), 0);
  v.setUint32(4, 144, true);
  h[8] = 5;
  h.set([2, 6, 8, 1], 12);
  v.setBigUint64(16, BigInt(opts.fileSize ?? 144 + body.length), true);
  v.setUint32(32, objects.length, true);
  const st = Array.isArray(opts.startMs) ? opts.startMs : systemTime(opts.startMs ?? 0);
  st.forEach((x, i) => v.setUint16(40 + i * 2, x, true));
  return Buffer.concat([h, body]);
}

// The decoder matching a layout: packet bytes → plain JSON-able object. Used by `vil udp decode`
// and `vil udp listen` (the receiving engineer's view) and by tests. Not a hot path.
import { crc32 } from './crc32.js';
import type { LayoutPlan, PlanItem, PlanScalar } from './plan.js';

export interface DecodeOptions {
  /** Wire values as sent (no inverse scale/offset/unit). */
  raw?: boolean;
  /** Decode every array slot, not only the first `count` ones. */
  allSlots?: boolean;
}

export type JsonValue = number | string | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface DecodedPacket {
  layout: string;
  bytes: number;
  /** True when size, magic, payload length and CRC all check out. */
  ok: boolean;
  errors: string[];
  header: Record<string, JsonValue>;
  fields: Record<string, JsonValue>;
}

export function decodePacket(plan: LayoutPlan, data: Uint8Array, options: DecodeOptions = {}): DecodedPacket {
  const out: DecodedPacket = { layout: plan.doc.name, bytes: data.length, ok: true, errors: [], header: {}, fields: {} };
  const err = (m: string) => {
    out.ok = false;
    out.errors.push(m);
  };
  if (data.length < plan.totalSize) {
    err(`packet has ${data.length} bytes, the layout ${plan.totalSize}`);
    return out;
  }
  if (data.length > plan.totalSize) err(`packet has ${data.length} bytes, the layout ${plan.totalSize} (extra bytes ignored)`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const s of plan.header) {
    const v = readScalar(dv, data, s, 0, true);
    out.header[s.name] = v;
    if (s.name === 'magic' && v !== s.constant) err(`magic is ${JSON.stringify(v)}, expected ${JSON.stringify(s.constant)}`);
    if (s.name === 'payload_length' && v !== plan.payloadSize) err(`payload_length is ${String(v)}, the layout's payload is ${plan.payloadSize}`);
  }
  decodeItems(dv, data, plan.items, 0, out.fields, options, err);
  if (plan.crc32) {
    const c = plan.crc32;
    const got = dv.getUint32(c.offset, c.littleEndian);
    const want = crc32(data, 0, c.offset);
    out.header.crc32 = got;
    if (got !== want) err(`crc32 is 0x${got.toString(16).padStart(8, '0')}, computed 0x${want.toString(16).padStart(8, '0')}`);
  }
  return out;
}

function decodeItems(dv: DataView, data: Uint8Array, items: PlanItem[], base: number, out: Record<string, JsonValue>, options: DecodeOptions, err: (m: string) => void): void {
  for (const it of items) {
    if (it.kind === 'scalar') {
      out[it.name] = readScalar(dv, data, it, base, options.raw ?? false);
      continue;
    }
    let n = it.maxCount;
    if (it.countField && !options.allSlots) {
      const c = readScalar(dv, data, it.countField, base, true) as number;
      if (c > it.maxCount) err(`${it.countField.label} is ${c}, more than max_count ${it.maxCount} of ${it.label}`);
      n = Math.min(c, it.maxCount);
    }
    const list: JsonValue[] = [];
    for (let i = 0; i < n; i++) {
      const el: Record<string, JsonValue> = {};
      decodeItems(dv, data, it.items, base + it.offset + i * it.stride, el, options, err);
      list.push(el);
    }
    out[it.name] = list;
  }
}

function readScalar(dv: DataView, data: Uint8Array, s: PlanScalar, base: number, raw: boolean): JsonValue {
  if (s.count > 1) {
    const list: JsonValue[] = [];
    for (let i = 0; i < s.count; i++) list.push(readOne(dv, data, s, base + s.offset + i * s.wire.size, raw));
    return list;
  }
  return readOne(dv, data, s, base + s.offset, raw);
}

function readOne(dv: DataView, data: Uint8Array, s: PlanScalar, pos: number, raw: boolean): JsonValue {
  const w = s.wire;
  const le = s.littleEndian;
  if (w.kind === 'char') {
    let end = pos;
    while (end < pos + w.size && data[end] !== 0) end++;
    return Buffer.from(data.buffer, data.byteOffset + pos, end - pos).toString('latin1');
  }
  if (w.kind === 'bool') return data[pos] !== 0;
  let v: number;
  if (w.kind === 'float') v = w.bits === 64 ? dv.getFloat64(pos, le) : dv.getFloat32(pos, le);
  else if (w.bits === 64) {
    const b = w.signed ? dv.getBigInt64(pos, le) : dv.getBigUint64(pos, le);
    if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) return b.toString();
    v = Number(b);
  } else if (w.bits === 32) v = w.signed ? dv.getInt32(pos, le) : dv.getUint32(pos, le);
  else if (w.bits === 16) v = w.signed ? dv.getInt16(pos, le) : dv.getUint16(pos, le);
  else v = w.signed ? dv.getInt8(pos) : dv.getUint8(pos);
  if (raw || (s.factor === 1 && s.add === 0)) return jsonNumber(v);
  return jsonNumber((v - s.add) / s.factor);
}

/** NaN and ±Infinity are not JSON: spelled as strings. */
function jsonNumber(v: number): JsonValue {
  return Number.isFinite(v) ? v : String(v);
}

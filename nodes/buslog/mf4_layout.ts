// What an MF4 channel group holds for bus logging (ASAM MDF 4 "bus logging" channel names:
// CAN_DataFrame / CAN_RemoteFrame / CAN_ErrorFrame with the fields BusChannel, ID, IDE, DLC,
// DataLength, DataBytes, Dir, EDL, BRS, ESI as composed or flat channels), turned into a plan the
// record decoder follows: where each field sits in the record (bit position, type, conversion), or
// that it is virtual (cn_type 6: the record index through its conversion, which is how newer
// CANedge firmware stores a constant), and where the payload is (inline, VLSD CG, SD blocks).
// Groups that are not CAN frames (LIN, FlexRay, plain signals, ...) get a reason and are skipped.
import {
  BUS_TYPES,
  CG_BUS_EVENT,
  CG_VLSD,
  CN_FIXED,
  CN_MASTER,
  CN_MLSD,
  CN_VIRTUAL,
  CN_VIRTUAL_MASTER,
  CN_VLSD,
  CN_VLSC,
  parseCc,
  parseCn,
  parseSi,
  type BlockReader,
  type CgBlock,
  type CnBlock,
} from './mf4_blocks.js';
import { RecordingError } from './frame.js';

// --- conversions (cc_type) -------------------------------------------------------------------

export interface Conversion {
  apply(x: number): number;
}

class Linear implements Conversion {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {}
  apply(x: number): number {
    return this.a * x + this.b;
  }
}

class Rational implements Conversion {
  constructor(private readonly p: Float64Array) {}
  apply(x: number): number {
    const p = this.p;
    return (p[0] * x * x + p[1] * x + p[2]) / (p[3] * x * x + p[4] * x + p[5]);
  }
}

/** cc_type 4 (interpolated) and 5 (nearest key) value-to-value tables; keys ascending. */
class Table implements Conversion {
  private readonly keys: Float64Array;
  private readonly vals: Float64Array;
  constructor(
    values: Float64Array,
    private readonly interpolate: boolean,
  ) {
    const n = values.length >> 1;
    this.keys = new Float64Array(n);
    this.vals = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.keys[i] = values[2 * i];
      this.vals[i] = values[2 * i + 1];
    }
  }
  apply(x: number): number {
    const k = this.keys;
    const n = k.length;
    if (n === 0) return x;
    if (x <= k[0]) return this.vals[0];
    if (x >= k[n - 1]) return this.vals[n - 1];
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (k[mid] <= x) lo = mid;
      else hi = mid;
    }
    if (k[lo] === x) return this.vals[lo];
    if (this.interpolate) return this.vals[lo] + ((this.vals[hi] - this.vals[lo]) * (x - k[lo])) / (k[hi] - k[lo]);
    return x - k[lo] <= k[hi] - x ? this.vals[lo] : this.vals[hi];
  }
}

/** cc_type 6: [min, max] ranges to a value, with a default. */
class RangeTable implements Conversion {
  constructor(private readonly v: Float64Array) {}
  apply(x: number): number {
    const v = this.v;
    const n = Math.floor(v.length / 3);
    for (let i = 0; i < n; i++) if (x >= v[3 * i] && x <= v[3 * i + 1]) return v[3 * i + 2];
    return v.length > 3 * n ? v[3 * n] : x;
  }
}

/**
 * The numeric conversion of a channel: null for identity, undefined for one this reader does not
 * evaluate (algebraic formulas). Text conversions (7..11) leave the raw value, which is what a
 * bus-logging field means (Dir 0/1, ...).
 */
export async function loadConversion(r: BlockReader, address: number): Promise<Conversion | null | undefined> {
  if (!address) return null;
  const cc = parseCc(r, await r.block(address, ['##CC']));
  const v = cc.values;
  switch (cc.type) {
    case 0:
      return null;
    case 1:
      if (v.length < 2) r.fail(address, 'linear CC block without its two parameters');
      return v[0] === 0 && v[1] === 1 ? null : new Linear(v[1], v[0]);
    case 2:
      if (v.length < 6) r.fail(address, 'rational CC block without its six parameters');
      return new Rational(v.slice(0, 6));
    case 4:
    case 5:
      return new Table(v, cc.type === 4);
    case 6:
      return new RangeTable(v);
    case 3:
      return undefined;
    default:
      return null;
  }
}

// --- fields ----------------------------------------------------------------------------------

export const FIELD_ABSENT = 0;
export const FIELD_STORED = 1;
export const FIELD_VIRTUAL = 2;
export const FIELD_CONSTANT = 3;

// How a stored value is read (precomputed so the per-record read is one switch).
export const READ_LE_32 = 1; // unsigned LE, fits 32 bits after the shift
export const READ_LE = 2; // unsigned LE, any width up to 64 bits (exact to 2^53)
export const READ_BE = 3;
export const READ_F64_LE = 4;
export const READ_F32_LE = 5;
export const READ_F64_BE = 6;
export const READ_F32_BE = 7;
export const READ_TEXT = 8; // a string field: 1 when it starts with 'T' (Dir "Tx"), else 0

export interface Field {
  mode: number;
  read: number;
  byteOffset: number;
  bitOffset: number;
  bitCount: number;
  /** Bytes the value touches from byteOffset. */
  span: number;
  signed: boolean;
  conv: Conversion | null;
  constant: number;
}

export const ABSENT: Field = { mode: FIELD_ABSENT, read: 0, byteOffset: 0, bitOffset: 0, bitCount: 0, span: 0, signed: false, conv: null, constant: 0 };

/** Reads a field of the record starting at rec[p]; `index` is the record's number in its group. */
export function fieldValue(f: Field, rec: Uint8Array, dv: DataView, p: number, index: number): number {
  let raw: number;
  switch (f.mode) {
    case FIELD_STORED:
      raw = readStored(f, rec, dv, p + f.byteOffset);
      break;
    case FIELD_CONSTANT:
      return f.constant;
    case FIELD_VIRTUAL:
      raw = index;
      break;
    default:
      return 0;
  }
  return f.conv === null ? raw : f.conv.apply(raw);
}

function readStored(f: Field, b: Uint8Array, dv: DataView, o: number): number {
  switch (f.read) {
    case READ_LE_32: {
      let v = b[o];
      const n = f.span;
      if (n > 1) v |= b[o + 1] << 8;
      if (n > 2) v |= b[o + 2] << 16;
      if (n > 3) v |= b[o + 3] << 24;
      v >>>= f.bitOffset;
      if (f.bitCount < 32) v &= (1 << f.bitCount) - 1;
      else v >>>= 0;
      if (f.signed && f.bitCount < 32 && v >= 1 << (f.bitCount - 1)) return v - (1 << f.bitCount);
      if (f.signed && f.bitCount === 32) return v | 0;
      return v;
    }
    case READ_LE: {
      let v = 0;
      for (let i = f.span - 1; i >= 0; i--) v = v * 256 + b[o + i];
      return finishWide(f, v);
    }
    case READ_BE: {
      let v = 0;
      for (let i = 0; i < f.span; i++) v = v * 256 + b[o + i];
      return finishWide(f, v);
    }
    case READ_F64_LE:
      return dv.getFloat64(o, true);
    case READ_F32_LE:
      return dv.getFloat32(o, true);
    case READ_F64_BE:
      return dv.getFloat64(o, false);
    case READ_F32_BE:
      return dv.getFloat32(o, false);
    case READ_TEXT:
      return b[o] === 0x54 || b[o] === 0x74 ? 1 : 0;
    default:
      return 0;
  }
}

function finishWide(f: Field, v: number): number {
  if (f.bitOffset) v = Math.floor(v / 2 ** f.bitOffset);
  if (f.bitCount < 53) v %= 2 ** f.bitCount;
  if (f.signed && f.bitCount <= 53 && v >= 2 ** (f.bitCount - 1)) v -= 2 ** f.bitCount;
  return v;
}

// --- channel groups --------------------------------------------------------------------------

export type FrameKind = 'data' | 'remote' | 'error';
const KIND_BY_NAME: Record<string, FrameKind> = { CAN_DataFrame: 'data', CAN_RemoteFrame: 'remote', CAN_ErrorFrame: 'error' };

export const PAYLOAD_NONE = 0;
export const PAYLOAD_INLINE = 1;
export const PAYLOAD_VLSD_CG = 2;
export const PAYLOAD_SD = 3;

export interface FramePlan {
  kind: FrameKind;
  time: Field;
  channel: Field;
  id: Field;
  ide: Field;
  dlc: Field;
  dataLength: Field;
  dir: Field;
  edl: Field;
  brs: Field;
  esi: Field;
  payload: number;
  /** Inline payload: where and how many bytes. */
  payloadOffset: number;
  payloadBytes: number;
  /** VLSD payload: the u64 offset field in the record, and where the entries are. */
  payloadRef: Field;
  vlsdCgAddress: number;
  sdAddress: number;
}

export interface GroupPlan {
  /** Position of the CG in the file (DG order, then CG order): ties in time keep this order. */
  order: number;
  dgIndex: number;
  cg: CgBlock;
  name: string;
  /** Record bytes after the record id (data + invalidation bytes). */
  recordBytes: number;
  role: 'frames' | 'vlsd' | 'skipped';
  reason?: string;
  frames?: FramePlan;
  busType?: string;
  /** For VLSD CGs: the frame group whose payloads they hold. */
  payloadOf?: string;
  detail: string;
}

interface NamedChannel {
  cn: CnBlock;
  name: string;
  /** Name of the composed channel it belongs to ('' at the top level). */
  parent: string;
}

/** Flattens a CG's channels, composed ones included (CN compositions; CA arrays are not followed). */
async function channels(r: BlockReader, first: number, names: Map<number, string>): Promise<NamedChannel[]> {
  const out: NamedChannel[] = [];
  const seen = new Set<number>();
  const walk = async (addr: number, parent: string, depth: number): Promise<void> => {
    for (let a = addr; a; ) {
      if (seen.has(a)) r.fail(a, `CN chain loops back to byte ${a}: corrupt`);
      seen.add(a);
      if (seen.size > 65536) r.fail(a, 'more than 65536 channels in one channel group: corrupt');
      const cn = parseCn(r, await r.block(a, ['##CN']));
      let name = names.get(cn.name);
      if (name === undefined) {
        name = await r.text(cn.name);
        names.set(cn.name, name);
      }
      out.push({ cn, name, parent });
      if (cn.composition && depth < 8) {
        const h = await r.header(cn.composition);
        if (h.id === '##CN') await walk(cn.composition, name, depth + 1);
      }
      a = cn.next;
    }
  };
  await walk(first, '', 0);
  return out;
}

/**
 * Decides what vil does with a CG. A group whose channel blocks cannot be read (truncated or
 * corrupt file) is skipped with the reason, so the other groups stay readable.
 */
export async function planGroup(r: BlockReader, cg: CgBlock, dgIndex: number, order: number, names: Map<number, string>): Promise<GroupPlan> {
  try {
    return await plan(r, cg, dgIndex, order, names);
  } catch (e) {
    if (!(e instanceof RecordingError)) throw e;
    const recordBytes = cg.flags & CG_VLSD ? 0 : cg.dataBytes + cg.invalBytes;
    const name = names.get(cg.acqName) ?? `record id ${cg.recordId}`;
    return { order, dgIndex, cg, name, recordBytes, role: 'skipped', reason: `unreadable: ${e.message}`, detail: `record id ${cg.recordId}, ${recordBytes}-byte records` };
  }
}

async function plan(r: BlockReader, cg: CgBlock, dgIndex: number, order: number, names: Map<number, string>): Promise<GroupPlan> {
  const recordBytes = cg.dataBytes + cg.invalBytes;
  const acq = await r.text(cg.acqName);
  names.set(cg.acqName, acq);
  if (cg.flags & CG_VLSD) {
    return { order, dgIndex, cg, name: acq || `VLSD data (record id ${cg.recordId})`, recordBytes: 0, role: 'vlsd', detail: `record id ${cg.recordId}, variable-length entries` };
  }
  let busType: string | undefined;
  if (cg.acqSource) {
    const si = parseSi(r, await r.block(cg.acqSource, ['##SI']));
    busType = BUS_TYPES[si.busType] ?? `bus type ${si.busType}`;
  }
  const list = await channels(r, cg.firstCn, names);
  const base = { order, dgIndex, cg, recordBytes, busType };
  const detailOf = (what: string): string => `record id ${cg.recordId}, ${recordBytes}-byte records${busType ? `, ${busType} source` : ''}${what ? `, ${what}` : ''}`;

  // The frame kind: the composed channel's name, or the prefix of flat "CAN_DataFrame.ID" names.
  let kindName = '';
  for (const c of list) {
    const top = c.parent === '' ? c.name.split('.')[0] : c.parent.split('.')[0];
    if (KIND_BY_NAME[top]) {
      kindName = top;
      break;
    }
  }
  const nameHint = acq || list.find((c) => c.cn.cnType !== CN_MASTER && c.parent === '')?.name || `record id ${cg.recordId}`;
  const skip = (reason: string): GroupPlan => ({ ...base, name: nameHint, role: 'skipped', reason, detail: detailOf('') });
  if (!kindName) {
    const other = list.map((c) => (c.parent || c.name).split('.')[0]).find((n) => /^(CAN|LIN|FlexRay|FR|ETH|MOST|KLine)_/i.test(n));
    if (other && /^CAN_/i.test(other)) return skip(`${other} groups are not read (CAN data, remote and error frames only)`);
    if (other || (busType && busType !== 'CAN')) return skip(`${busType && busType !== 'CAN' ? busType : other!.split('_')[0]} bus logging is not read (CAN only)`);
    if (cg.flags & CG_BUS_EVENT) return skip('bus events without CAN_DataFrame / CAN_RemoteFrame / CAN_ErrorFrame channels');
    return skip('not a bus-logging group (plain signals)');
  }
  const kind = KIND_BY_NAME[kindName];
  const name = acq || kindName;
  const skipK = (reason: string): GroupPlan => ({ ...base, name, role: 'skipped', reason, detail: detailOf(kindName) });

  const master = list.find((c) => c.cn.cnType === CN_MASTER || c.cn.cnType === CN_VIRTUAL_MASTER);
  if (!master) return skipK('no master (time) channel');
  if (master.cn.syncType !== 1) return skipK(`its master channel is not time (sync type ${master.cn.syncType})`);

  const fields = new Map<string, CnBlock>();
  for (const c of list) {
    const owner = c.parent ? c.parent.split('.')[0] : c.name.split('.')[0];
    if (owner !== kindName || c.name === kindName) continue;
    const field = c.name.slice(c.name.lastIndexOf('.') + 1);
    if (!fields.has(field)) fields.set(field, c.cn);
  }

  const problems: string[] = [];
  const field = async (cn: CnBlock | undefined, label: string): Promise<Field> => {
    if (!cn) return ABSENT;
    const conv = await loadConversion(r, cn.conversion);
    if (conv === undefined) {
      problems.push(`${label}: algebraic conversion not evaluated`);
      return ABSENT;
    }
    if (cn.cnType === CN_VIRTUAL || cn.cnType === CN_VIRTUAL_MASTER) {
      if (conv instanceof Linear && conv.a === 0) return { ...ABSENT, mode: FIELD_CONSTANT, constant: conv.b };
      return { ...ABSENT, mode: FIELD_VIRTUAL, conv };
    }
    if (cn.cnType !== CN_FIXED && cn.cnType !== CN_MASTER && cn.cnType !== CN_VLSD && cn.cnType !== CN_MLSD) {
      problems.push(`${label}: channel type ${cn.cnType} not read`);
      return ABSENT;
    }
    const span = (cn.bitOffset + cn.bitCount + 7) >> 3;
    if (cn.byteOffset + span > cg.dataBytes) {
      problems.push(`${label}: bits ${cn.byteOffset * 8 + cn.bitOffset}..+${cn.bitCount} lie outside the ${cg.dataBytes}-byte record`);
      return ABSENT;
    }
    const f: Field = { ...ABSENT, mode: FIELD_STORED, byteOffset: cn.byteOffset, bitOffset: cn.bitOffset, bitCount: cn.bitCount, span, conv };
    const dt = cn.dataType;
    if (dt <= 3 || dt === 10) {
      if (cn.bitCount === 0 || cn.bitCount > 64) {
        problems.push(`${label}: ${cn.bitCount}-bit integer`);
        return ABSENT;
      }
      f.signed = dt === 2 || dt === 3;
      f.read = dt === 1 || dt === 3 ? READ_BE : span <= 4 && cn.bitOffset + cn.bitCount <= 32 ? READ_LE_32 : READ_LE;
    } else if ((dt === 4 || dt === 5) && cn.bitOffset === 0 && (cn.bitCount === 32 || cn.bitCount === 64)) {
      f.read = dt === 4 ? (cn.bitCount === 64 ? READ_F64_LE : READ_F32_LE) : cn.bitCount === 64 ? READ_F64_BE : READ_F32_BE;
    } else if (dt >= 6 && dt <= 9) {
      f.read = READ_TEXT;
    } else {
      problems.push(`${label}: data type ${dt} with ${cn.bitCount} bits not read`);
      return ABSENT;
    }
    return f;
  };

  const time = await field(master.cn, 'time master');
  if (time.mode === FIELD_ABSENT) return skipK(`its time channel cannot be read (${problems.join('; ')})`);
  const plan: FramePlan = {
    kind,
    time,
    channel: await field(fields.get('BusChannel'), 'BusChannel'),
    id: await field(fields.get('ID'), 'ID'),
    ide: await field(fields.get('IDE'), 'IDE'),
    dlc: await field(fields.get('DLC'), 'DLC'),
    dataLength: await field(fields.get('DataLength'), 'DataLength'),
    dir: await field(fields.get('Dir'), 'Dir'),
    edl: await field(fields.get('EDL'), 'EDL'),
    brs: await field(fields.get('BRS'), 'BRS'),
    esi: await field(fields.get('ESI'), 'ESI'),
    payload: PAYLOAD_NONE,
    payloadOffset: 0,
    payloadBytes: 0,
    payloadRef: ABSENT,
    vlsdCgAddress: 0,
    sdAddress: 0,
  };
  if (plan.channel.mode === FIELD_ABSENT) {
    // Not recorded: the bus number in the group or source name ("CAN2", "CAN2_Rx"), else 0.
    const m = /CAN\s*(\d+)/i.exec(acq) ?? /(\d+)$/.exec(acq);
    plan.channel = { ...ABSENT, mode: FIELD_CONSTANT, constant: m ? Number(m[1]) : 0 };
  }
  if (kind !== 'error' && plan.id.mode === FIELD_ABSENT) return skipK(`no readable ID channel${problems.length ? ` (${problems.join('; ')})` : ''}`);

  const bytesCn = fields.get('DataBytes');
  if (kind !== 'remote' && bytesCn) {
    if (bytesCn.cnType === CN_VLSD) {
      // The record holds an offset (u64 by the standard; CANedge FD groups use 32 bits).
      plan.payloadRef = await field({ ...bytesCn, dataType: 0, bitCount: bytesCn.bitCount || 64, conversion: 0 }, 'DataBytes offset');
      if (plan.payloadRef.mode !== FIELD_STORED) return skipK(`its DataBytes offsets cannot be read (${problems.join('; ')})`);
      if (bytesCn.dataLink) {
        const h = await r.header(bytesCn.dataLink);
        if (h.id === '##CG') {
          plan.payload = PAYLOAD_VLSD_CG;
          plan.vlsdCgAddress = bytesCn.dataLink;
        } else if (h.id === '##SD' || h.id === '##DZ' || h.id === '##DL' || h.id === '##HL') {
          plan.payload = PAYLOAD_SD;
          plan.sdAddress = bytesCn.dataLink;
        } else return skipK(`its DataBytes point to a ${h.id} block`);
      }
    } else if (bytesCn.cnType === CN_VLSC) {
      return skipK('DataBytes stored as VLSC (MDF 4.3) are not read');
    } else if (bytesCn.cnType === CN_FIXED || bytesCn.cnType === CN_MLSD) {
      const n = bytesCn.bitCount >> 3;
      if (bytesCn.bitOffset !== 0 || bytesCn.byteOffset + n > cg.dataBytes) return skipK('its DataBytes lie outside the record');
      plan.payload = PAYLOAD_INLINE;
      plan.payloadOffset = bytesCn.byteOffset;
      plan.payloadBytes = n;
    } else if (bytesCn.cnType === CN_VIRTUAL) {
      plan.payload = PAYLOAD_NONE;
    }
  } else if (kind === 'data' && !bytesCn) {
    return skipK('no DataBytes channel');
  }
  const where = plan.payload === PAYLOAD_VLSD_CG ? 'payload in a VLSD group' : plan.payload === PAYLOAD_SD ? 'payload in SD blocks' : plan.payload === PAYLOAD_INLINE ? `${plan.payloadBytes}-byte payload in the record` : '';
  return {
    ...base,
    name,
    role: 'frames',
    frames: plan,
    detail: detailOf([kindName, where, problems.length ? `ignored: ${problems.join('; ')}` : ''].filter(Boolean).join(', ')),
  };
}

// Layout document → byte plan: the offset, size and wire type of every slot of the packet, checked
// once (sizes, constants that must fit their type, counts that must fit their count field,
// asserted offsets). Knows nothing of ROS message types; sources.ts binds the paths.
import { ConfigError } from '../runtime/errors.js';
import { formatPath, type ArrayDoc, type HeaderDoc, type ItemDoc, type LayoutDoc, type OverflowPolicy, type ScalarDoc, type TimeUnit, type YamlPath } from './schema.js';
import { unitFactor, wireType, UNIT_HELP, type WireType } from './wire_types.js';

/** Largest UDP payload over IPv4 (65,535 − 20 IP − 8 UDP). */
export const MAX_UDP_PAYLOAD = 65_507;
/** IPv4 + UDP header bytes, subtracted from the MTU for the fragmentation warning. */
export const IPV4_UDP_OVERHEAD = 28;

/** Bit 0 of the header `flags` field: the data is stale (no fresh input within the timeout). */
export const FLAG_STALE = 1;

export type Special = '$sequence' | '$send_time' | '$send_time.sec' | '$send_time.nanosec' | '$stale' | '$flags' | '$payload_length' | '$crc32';
export const SPECIAL_SOURCES: readonly Special[] = ['$sequence', '$send_time', '$send_time.sec', '$send_time.nanosec', '$stale', '$flags'];

export interface PlanScalar {
  kind: 'scalar';
  /** Index into the encoder's per-slot counters. */
  id: number;
  name: string;
  section: 'header' | 'payload' | 'trailer';
  /** Dotted name for messages and decoder output, e.g. "objects[].x". */
  label: string;
  yamlPath: YamlPath;
  wire: WireType;
  littleEndian: boolean;
  /** Byte offset from the start of the enclosing scope (packet or array element). */
  offset: number;
  /** Elements when the field is a fixed array of primitives (`count: N`), else 1. */
  count: number;
  size: number;
  /** wire = source × factor + add (unit and scale folded together). */
  factor: number;
  add: number;
  overflow: OverflowPolicy;
  role: 'source' | 'value' | 'count_of' | 'special';
  source?: string;
  special?: Special;
  constant?: number | boolean | string;
  defaultValue?: number | boolean | string;
  timeUnit?: TimeUnit;
  quaternion?: 'roll' | 'pitch' | 'yaw';
  countOf?: PlanArray;
  /** Scale/offset/unit given explicitly (forbidden for exact time stamps). */
  hasLinear: boolean;
}

export interface PlanArray {
  kind: 'array';
  id: number;
  name: string;
  label: string;
  yamlPath: YamlPath;
  source: string;
  offset: number;
  stride: number;
  maxCount: number;
  size: number;
  items: PlanItem[];
  /** The count field that reports this array's length, if any. */
  countField?: PlanScalar;
}

export type PlanItem = PlanScalar | PlanArray;

export interface LayoutPlan {
  doc: LayoutDoc;
  /** Header slots (magic, version, flags, sequence, send_time, payload_length) in packet order. */
  header: PlanScalar[];
  items: PlanItem[];
  /** CRC-32 slot after the payload, if the header asks for one. */
  crc32?: PlanScalar;
  payloadOffset: number;
  payloadSize: number;
  totalSize: number;
  sequenceModulo: number;
  sequenceStart: number;
  /** Every scalar slot by id (header, payload incl. array elements, trailer). */
  scalars: PlanScalar[];
  arrays: PlanArray[];
  /** Non-fatal findings (e.g. packet larger than the MTU allows without fragmentation). */
  warnings: string[];
}

export function buildPlan(doc: LayoutDoc): LayoutPlan {
  const scalars: PlanScalar[] = [];
  const arrays: PlanArray[] = [];
  const warnings: string[] = [];
  const little = doc.endianness === 'little';
  const fail = (path: YamlPath, problem: string, fix: string): never => {
    throw new ConfigError({ source: doc.where(path), key: formatPath(path), problem, fix });
  };

  // ---- header
  const header: PlanScalar[] = [];
  let pos = 0;
  const h: HeaderDoc = doc.header ?? {};
  const headerSlot = (key: string, typeName: string, extra: Partial<PlanScalar>): PlanScalar => {
    const wire = wireType(typeName)!;
    const s: PlanScalar = {
      kind: 'scalar',
      id: scalars.length,
      name: key,
      section: 'header',
      label: key,
      yamlPath: ['header', key],
      wire,
      littleEndian: little,
      offset: pos,
      count: 1,
      size: wire.size,
      factor: 1,
      add: 0,
      overflow: 'refuse',
      role: 'special',
      hasLinear: false,
      ...extra,
    };
    scalars.push(s);
    header.push(s);
    pos += wire.size;
    return s;
  };
  if (h.magic) {
    const v = h.magic.value;
    const t = h.magic.type ?? (typeof v === 'string' ? `char[${Buffer.byteLength(v, 'latin1')}]` : 'u32');
    const s = headerSlot('magic', t, { role: 'value', constant: v });
    checkConstant(s, v, ['header', 'magic', 'value'], fail, true);
  }
  if (h.version) checkConstant(headerSlot('version', h.version.type, { role: 'value', constant: h.version.value }), h.version.value, ['header', 'version', 'value'], fail, true);
  if (h.flags) requireInt(headerSlot('flags', h.flags.type, { special: '$flags' }), fail);
  let sequenceModulo = 0;
  const sequenceStart = h.sequence?.start ?? 0;
  if (h.sequence) {
    const s = requireInt(headerSlot('sequence', h.sequence.type, { special: '$sequence' }), fail);
    const typeMod = s.wire.bits >= 53 ? 2 ** 53 : 2 ** s.wire.bits;
    sequenceModulo = h.sequence.modulo ?? typeMod;
    if (s.wire.signed && h.sequence.modulo === undefined) sequenceModulo = 2 ** (s.wire.bits - 1);
    if (sequenceModulo > typeMod) fail(['header', 'sequence', 'modulo'], `${sequenceModulo} does not fit ${s.wire.name}`, `use a modulo ≤ ${typeMod} or a wider type`);
    if (sequenceStart >= sequenceModulo) fail(['header', 'sequence', 'start'], `start ${sequenceStart} ≥ modulo ${sequenceModulo}`, 'use a start below the modulo');
  }
  if (h.send_time) {
    const s = headerSlot('send_time', h.send_time.type, { special: '$send_time', timeUnit: h.send_time.time_unit });
    checkTimeTarget(s, fail);
  }
  let payloadLength: PlanScalar | undefined;
  if (h.payload_length) payloadLength = requireInt(headerSlot('payload_length', h.payload_length.type, { special: '$payload_length' }), fail);
  const payloadOffset = pos;

  // ---- payload
  const { items, end: payloadEnd } = layoutScope(doc.fields, payloadOffset, '', 0, doc, scalars, arrays, fail);
  const payloadSize = payloadEnd - payloadOffset;
  pos = payloadEnd;
  linkCounts(items, fail);
  const unlinked = scalars.find((s) => s.role === 'count_of' && !s.countOf);
  if (unlinked) fail([...unlinked.yamlPath, 'count_of'], `no array named "${unlinked.constant}" in this scope`, 'name an array block of the same list (count fields sit beside their array)');

  // ---- trailer
  let crc32: PlanScalar | undefined;
  if (h.crc32) {
    const wire = wireType('u32')!;
    crc32 = {
      kind: 'scalar',
      id: scalars.length,
      name: 'crc32',
      section: 'trailer',
      label: 'crc32',
      yamlPath: ['header', 'crc32'],
      wire,
      littleEndian: (h.crc32.endianness ?? doc.endianness) === 'little',
      offset: pos,
      count: 1,
      size: 4,
      factor: 1,
      add: 0,
      overflow: 'refuse',
      role: 'special',
      special: '$crc32',
      hasLinear: false,
    };
    scalars.push(crc32);
    pos += 4;
  }
  const totalSize = pos;
  if (payloadLength && payloadSize > payloadLength.wire.max) {
    fail(['header', 'payload_length', 'type'], `payload of ${payloadSize} bytes does not fit ${payloadLength.wire.name}`, 'use a wider type (u16 or u32)');
  }
  if (totalSize === 0) fail(['fields'], 'the packet has no bytes (its fields are only align or pad of nothing)', 'add a field that carries a value');
  if (totalSize > MAX_UDP_PAYLOAD) {
    fail(['fields'], `packet is ${totalSize} bytes, more than the ${MAX_UDP_PAYLOAD} bytes a UDP datagram over IPv4 can carry`, 'reduce max_count of arrays or split the layout into several routes');
  }
  const mtuLimit = doc.mtu - IPV4_UDP_OVERHEAD;
  if (totalSize > mtuLimit) {
    warnings.push(`${doc.file}: packet is ${totalSize} bytes, more than MTU ${doc.mtu} − ${IPV4_UDP_OVERHEAD} = ${mtuLimit}: it will be IP-fragmented (a lost fragment loses the packet)`);
  }
  return { doc, header, items, crc32, payloadOffset, payloadSize, totalSize, sequenceModulo, sequenceStart, scalars, arrays, warnings };
}

type Fail = (path: YamlPath, problem: string, fix: string) => never;

/** Lays out one list of items from `start`; returns them and the position after the last byte. */
function layoutScope(
  docs: ItemDoc[],
  start: number,
  prefix: string,
  depth: number,
  doc: LayoutDoc,
  scalars: PlanScalar[],
  arrays: PlanArray[],
  fail: Fail,
): { items: PlanItem[]; end: number } {
  const out: PlanItem[] = [];
  const names = new Set<string>();
  let pos = start;
  for (const d of docs) {
    if (d.kind === 'pad') {
      pos += d.pad;
      continue;
    }
    if (d.kind === 'align') {
      // Top level: relative to the packet start (the whole packet is one C struct); inside an
      // array: relative to the element start (start is 0 there).
      pos = Math.ceil(pos / d.align) * d.align;
      continue;
    }
    if (names.has(d.name)) fail([...d.path, 'name'], `"${d.name}" is used twice in this list`, 'give every field of a list its own name');
    names.add(d.name);
    // `at`: byte offset in the packet at top level, in the element inside an array.
    if (d.at !== undefined && d.at !== pos) {
      fail([...d.path, 'at'], `field "${d.name}" is at byte ${pos}${depth ? ' of the element' : ''}, the layout says ${d.at}`, 'correct `at`, or add/remove padding before this field');
    }
    if (d.kind === 'array') {
      const a = planArray(d, pos, prefix, depth, doc, scalars, arrays, fail);
      out.push(a);
      pos += a.size;
    } else {
      const s = planScalar(d, pos, prefix, doc, scalars, fail);
      out.push(s);
      pos += s.size;
    }
  }
  return { items: out, end: pos };
}

function planArray(d: ArrayDoc, pos: number, prefix: string, depth: number, doc: LayoutDoc, scalars: PlanScalar[], arrays: PlanArray[], fail: Fail): PlanArray {
  const label = `${prefix}${d.name}`;
  const a: PlanArray = {
    kind: 'array',
    id: arrays.length,
    name: d.name,
    label,
    yamlPath: d.path,
    source: d.source,
    offset: pos,
    stride: 0,
    maxCount: d.max_count,
    size: 0,
    items: [],
  };
  arrays.push(a);
  // Element items get offsets relative to the element start.
  const el = layoutScope(d.fields, 0, `${label}[].`, depth + 1, doc, scalars, arrays, fail);
  a.items = el.items;
  a.stride = el.end;
  if (a.stride === 0) fail([...d.path, 'fields'], 'array element has no bytes', 'give the element at least one field');
  a.size = a.stride * a.maxCount;
  return a;
}

function planScalar(d: ScalarDoc, pos: number, prefix: string, doc: LayoutDoc, scalars: PlanScalar[], fail: Fail): PlanScalar {
  const wire = wireType(d.type)!;
  let factor = d.scale ?? 1;
  if (d.unit !== undefined) {
    const u = unitFactor(d.unit);
    if ('error' in u) fail([...d.path, 'unit'], u.error, `write from->to, e.g. rad->deg; known units: ${UNIT_HELP}`);
    else factor *= u.factor;
  }
  const count = d.count ?? 1;
  const s: PlanScalar = {
    kind: 'scalar',
    id: scalars.length,
    name: d.name,
    section: 'payload',
    label: `${prefix}${d.name}`,
    yamlPath: d.path,
    wire,
    littleEndian: (d.endianness ?? doc.endianness) === 'little',
    offset: pos,
    count,
    size: wire.size * count,
    factor,
    add: d.offset ?? 0,
    overflow: d.overflow ?? doc.overflow,
    role: d.count_of !== undefined ? 'count_of' : d.value !== undefined ? 'value' : 'source',
    source: d.source,
    constant: d.value ?? d.count_of,
    defaultValue: d.default,
    timeUnit: d.time_unit,
    quaternion: d.quaternion,
    hasLinear: d.scale !== undefined || d.offset !== undefined || d.unit !== undefined,
  };
  scalars.push(s);
  if (wire.kind === 'char' && (d.scale !== undefined || d.offset !== undefined || d.unit !== undefined)) {
    fail([...d.path, 'type'], 'a char field takes text: scale, offset and unit do not apply', 'remove scale/offset/unit or use a numeric type');
  }
  if (d.source?.startsWith('$')) {
    if (!SPECIAL_SOURCES.includes(d.source as Special)) fail([...d.path, 'source'], `unknown special source "${d.source}"`, `use one of ${SPECIAL_SOURCES.join(', ')} or a path in the message`);
    s.role = 'special';
    s.special = d.source as Special;
    if (s.special === '$send_time') checkTimeTarget(s, fail);
    else if (wire.kind === 'char') fail([...d.path, 'type'], `${d.source} is a number`, 'use a numeric type');
  }
  if (s.role === 'count_of') {
    requireInt(s, fail);
    if (count !== 1) fail([...d.path, 'count'], 'a count field is one number', 'remove count');
  }
  if (s.role === 'value') checkConstant(s, d.value!, [...d.path, 'value'], fail);
  if (d.default !== undefined) checkConstant(s, d.default, [...d.path, 'default'], fail);
  if (d.time_unit !== undefined && s.special !== '$send_time' && s.role !== 'source') fail([...d.path, 'time_unit'], 'time_unit applies to time stamps only', 'remove time_unit');
  return s;
}

/** Connects every `count_of` field to its array, which must be in the same list. */
function linkCounts(items: PlanItem[], fail: Fail): void {
  const here = items.filter((i): i is PlanArray => i.kind === 'array');
  for (const it of items) {
    if (it.kind === 'array') {
      linkCounts(it.items, fail);
      continue;
    }
    if (it.role !== 'count_of') continue;
    const name = it.constant as string;
    const target = here.find((a) => a.name === name);
    if (!target) continue; // reported by the caller with the key
    if (target.countField) fail([...it.yamlPath, 'count_of'], `array "${name}" already has the count field "${target.countField.label}"`, 'keep one count field per array');
    if (target.maxCount > it.wire.max) {
      fail([...it.yamlPath, 'type'], `max_count ${target.maxCount} of "${name}" overflows ${it.wire.name} (max ${it.wire.max})`, 'use a wider count type or a smaller max_count');
    }
    it.countOf = target;
    target.countField = it;
  }
}

function requireInt(s: PlanScalar, fail: Fail): PlanScalar {
  if (s.wire.kind !== 'int') fail([...s.yamlPath, 'type'], `${s.label} must be an integer type, not ${s.wire.name}`, 'use u8, u16, u32 or u64');
  return s;
}

function checkTimeTarget(s: PlanScalar, fail: Fail): void {
  if (s.wire.kind === 'char' || s.wire.kind === 'bool') fail([...s.yamlPath, 'type'], `a time stamp cannot be ${s.wire.name}`, 'use f64 (seconds) or u64/i64 (nanoseconds, or time_unit)');
  if (s.wire.kind === 'int' && s.hasLinear) fail([...s.yamlPath], 'scale/offset/unit with an integer time stamp', 'use time_unit (s, ms, us, ns) instead');
  if (s.wire.kind === 'int' && s.wire.bits < 64 && (s.timeUnit ?? 'ns') !== 's') {
    fail([...s.yamlPath, 'time_unit'], `${s.wire.name} cannot hold an epoch time stamp in ${s.timeUnit ?? 'ns'}`, 'use u64/i64, or time_unit: s with u32');
  }
}

/**
 * A constant (value, default, magic) must fit its slot after scale/offset: refused otherwise. A
 * bool holds 0 and 1 only. Header constants (`exact`: magic, version) are what the receiver
 * compares every packet against, so they must also arrive exactly: an f32 that would round the
 * value is refused (integers beyond 2^53 are refused by the schema already).
 */
function checkConstant(s: PlanScalar, v: number | boolean | string, path: YamlPath, fail: Fail, exact = false): void {
  if (s.wire.kind === 'char') {
    if (typeof v !== 'string') fail(path, `${s.wire.name} takes text, got ${JSON.stringify(v)}`, 'quote the text');
    else if (Buffer.byteLength(v as string, 'latin1') > s.wire.size) fail(path, `"${v}" is longer than ${s.wire.size} bytes`, `shorten it or use char[${Buffer.byteLength(v as string, 'latin1')}]`);
    return;
  }
  if (typeof v === 'string') return fail(path, `${s.wire.name} takes a number, got "${v}"`, 'write a number');
  const n = (typeof v === 'boolean' ? (v ? 1 : 0) : v) * s.factor + s.add;
  const show = typeof v === 'number' && Number.isInteger(v) && v > 255 ? `${v} (0x${v.toString(16).toUpperCase()})` : String(v);
  if (s.wire.kind === 'bool') {
    if (n !== 0 && n !== 1) fail(path, `${show} does not fit bool (0 or 1 on the wire)`, exact ? 'give the constant its real type, e.g. type: u32, or a value of true/false' : 'use true/false (0 or 1), or an integer type');
    return;
  }
  if (exact && s.wire.kind === 'float' && s.wire.bits === 32 && Math.fround(n) !== n) {
    fail(path, `${show} is not exact in f32 (it would be sent as ${Math.fround(n)}, so the receiver's comparison fails)`, 'use an integer type such as u32, f64, or a value f32 holds exactly');
  }
  if (s.wire.kind === 'int') {
    const r = Math.round(n);
    if (r < s.wire.min || r > s.wire.max) fail(path, `${v} is ${r} on the wire, outside ${s.wire.name} (${s.wire.min}..${s.wire.max})`, 'change the value, scale/offset or the type');
  } else if (s.wire.kind === 'float' && s.wire.bits === 32 && Number.isFinite(n) && Math.abs(n) > s.wire.max) {
    fail(path, `${v} overflows f32`, 'use f64');
  }
}

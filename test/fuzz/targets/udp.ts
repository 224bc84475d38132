// UDP layouts (nodes/udp_layout). Inputs: layout documents generated over real registry types
// (scalars of every wire type and byte order from number, bool, int64, string and time fields,
// scale/offset, defaults, constants, pads and aligns, array blocks with count fields, headers with
// magic, version, flags, sequence, send time, payload length and CRC, each overflow policy),
// printed as YAML, some with token and line edits that make them invalid; random messages of the
// type (NaN, ±Infinity, huge values, arrays longer than max_count); packets with byte edits and
// random bytes.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { plan as cdrPlan, type Element, type PlannedField } from '../../../nodes/cdr/schema.js';
import { ConfigError } from '../../../nodes/runtime/errors.js';
import { messageRegistry } from '../../../nodes/runtime/msg_registry.js';
import { compileLayout, type CompiledLayout } from '../../../nodes/udp_layout/compile.js';
import { decodePacket, type JsonValue } from '../../../nodes/udp_layout/decoder.js';
import type { PlanItem, PlanScalar } from '../../../nodes/udp_layout/plan.js';
import { parseLayout } from '../../../nodes/udp_layout/schema.js';
import { F32_MAX } from '../../../nodes/udp_layout/wire_types.js';
import { message } from '../messages.js';
import { applyEdits, byteEdit } from '../mutate.js';
import { invariant, show, type FuzzProbe, type FuzzTarget } from '../target.js';

type Struct = Element & { kind: 'struct' };
const registry = messageRegistry();
const TYPES = ['sensor_msgs/msg/NavSatFix', 'vil/msg/ObjectList', 'visualization_msgs/msg/MarkerArray', 'std_msgs/msg/Int64MultiArray', 'geometry_msgs/msg/PoseStamped', 'vil/msg/VehicleState', 'sensor_msgs/msg/Imu'].filter((t) => registry.has(t));
const PLANS = new Map(TYPES.map((t) => [t, cdrPlan(registry, t)]));

// ---- what a layout can point at ----

type LeafKind = 'number' | 'bool' | 'bigint' | 'string' | 'time' | 'quaternion';
interface Leaf {
  path: string;
  kind: LeafKind;
  /** A fixed primitive array (count: N applies). */
  fixed?: number;
}
interface ArraySite {
  path: string;
  element: Leaf[];
}

function leaves(s: Struct, prefix: string, depth: number, out: Leaf[], arrays: ArraySite[] | undefined): void {
  for (const f of s.fields) {
    const path = `${prefix}${f.name}`;
    const e = f.element;
    if (e.kind === 'struct') {
      if (e.type === 'builtin_interfaces/msg/Time' || e.type === 'builtin_interfaces/msg/Duration') {
        if (!f.array) out.push({ path, kind: 'time' });
        continue;
      }
      if (e.type === 'geometry_msgs/msg/Quaternion' && !f.array) out.push({ path, kind: 'quaternion' });
      if (f.array) {
        if (f.array.fixed === undefined && arrays && depth < 2) {
          const element: Leaf[] = [];
          leaves(e, '', depth + 1, element, undefined);
          if (element.length) arrays.push({ path, element });
        }
        continue;
      }
      if (depth < 3) leaves(e, `${path}.`, depth + 1, out, arrays);
      continue;
    }
    const kind: LeafKind = e.kind === 'string' ? 'string' : e.type === 'bool' ? 'bool' : e.type === 'int64' || e.type === 'uint64' ? 'bigint' : 'number';
    if (!f.array) out.push({ path, kind });
    else if (e.kind === 'primitive' && e.type !== 'bool') {
      out.push({ path: `${path}[0]`, kind });
      if (f.array.fixed !== undefined) out.push({ path: `${path}[${f.array.fixed - 1}]`, kind }, { path, kind, fixed: f.array.fixed });
    }
  }
}

const SITES = new Map(
  TYPES.map((t) => {
    const top: Leaf[] = [];
    const arrays: ArraySite[] = [];
    leaves(PLANS.get(t)!, '', 0, top, arrays);
    return [t, { top, arrays }] as const;
  }),
);

// ---- generated layout documents ----

const INT_WIRE = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64'];
const NUM_WIRE = [...INT_WIRE, 'f32', 'f64', 'bool', 'uint16', 'double', 'single'];
const SCALE = fc.constantFrom(undefined, undefined, 1, 0.01, 100, -1, 1e-6, 1e6, 0.1, 3.7);
const OFFSET = fc.constantFrom(undefined, undefined, 0, 1000, -0.5, 2 ** 40);
const POLICY = fc.constantFrom(undefined, undefined, 'clamp', 'count', 'refuse');

function scalarFor(leaf: Leaf, name: string): fc.Arbitrary<Record<string, unknown>> {
  const base = { name, source: leaf.path };
  switch (leaf.kind) {
    case 'string':
      return fc.record({ n: fc.integer({ min: 1, max: 12 }), overflow: POLICY, default: fc.constantFrom(undefined, undefined, 'n/a') }).map(({ n, overflow, default: d }) => clean({ ...base, type: `char[${n}]`, overflow, default: d }));
    case 'time':
      return fc.oneof(
        fc.constant({ ...base, type: 'f64' }),
        fc.constantFrom('ns', 'us', 'ms', 's').map((u) => ({ ...base, type: 'u64', time_unit: u })),
        fc.constant({ ...base, type: 'u32', time_unit: 's' }),
        fc.constant({ ...base, type: 'u16', time_unit: 'ms' }),
      );
    case 'quaternion':
      return fc.record({ q: fc.constantFrom('yaw', 'roll', 'pitch'), type: fc.constantFrom('f32', 'f64', 'i16'), scale: SCALE }).map(({ q, type, scale }) => clean({ ...base, type, quaternion: q, scale }));
    default:
      return fc
        .record({ type: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('f64', 'f32', 'i32', 'u16', 'i64', 'u64') }, { weight: 2, arbitrary: fc.constantFrom(...NUM_WIRE) }), scale: SCALE, offset: OFFSET, overflow: POLICY, endianness: fc.constantFrom(undefined, 'little', 'big'), default: fc.constantFrom(undefined, undefined, undefined, 0, 7, -1, 1e20, true), count: fc.boolean() })
        .map(({ type, scale, offset, overflow, endianness, default: d, count }) => clean({ ...base, type, scale, offset, overflow, endianness, default: d, ...(leaf.fixed !== undefined && count ? { count: leaf.fixed } : {}) }));
  }
}

function clean(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function items(type: string): fc.Arbitrary<Record<string, unknown>[]> {
  const { top, arrays } = SITES.get(type)!;
  const other = fc.oneof(
    fc.record({ name: fc.constant('x'), type: fc.constantFrom(...INT_WIRE, 'f32', 'f64', 'bool'), value: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, true) }, { weight: 1, arbitrary: fc.constantFrom(255, 65536, -1, 0.5, 3.4e38, 1e40) }) }),
    fc.record({ pad: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ align: fc.constantFrom(1, 2, 4, 8, 3) }),
    fc.record({ name: fc.constant('x'), type: fc.constantFrom('u32', 'u16', 'f64', 'u64'), source: fc.constantFrom('$sequence', '$send_time', '$send_time.sec', '$send_time.nanosec', '$stale', '$flags', '$nonsense') }),
  );
  const scalar = top.length ? fc.nat({ max: top.length - 1 }).chain((i) => scalarFor(top[i], 'x')) : other;
  const array =
    arrays.length === 0
      ? fc.constant(undefined)
      : fc.nat({ max: arrays.length - 1 }).chain((i) => {
          const site = arrays[i];
          return fc
            .record({
              max: fc.integer({ min: 1, max: 6 }),
              fields: fc.array(fc.nat({ max: site.element.length - 1 }).chain((k) => scalarFor(site.element[k], 'e')), { minLength: 1, maxLength: 4 }),
              count: fc.constantFrom(undefined, 'u8', 'u16', 'i8'),
            })
            .map(({ max, fields, count }) => ({ site, max, fields, count }));
        });
  return fc
    .record({ scalars: fc.array(fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: other }), { maxLength: 8 }), array, arrayAt: fc.nat() })
    .map(({ scalars, array, arrayAt }) => {
      const out: Record<string, unknown>[] = scalars.map((s, i) => ('name' in s ? { ...s, name: `f${i}` } : s));
      if (array) {
        const block = { name: 'list', source: array.site.path, max_count: array.max, fields: array.fields.map((f, i) => ({ ...f, name: `e${i}` })) };
        const at = arrayAt % (out.length + 1);
        out.splice(at, 0, block);
        if (array.count) out.splice(at, 0, { name: 'list_count', type: array.count, count_of: 'list' });
      }
      if (!out.length) out.push({ name: 'one', type: 'u8', value: 1 });
      return out;
    });
}

const HEADER = fc.option(
  fc
    .record({
      magic: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(undefined, 0x4f424a31, 'VIL1', { value: 0x45474f31, type: 'u32' }, { value: 1, type: 'u8' }) }, { weight: 1, arbitrary: fc.constantFrom({ value: 7, type: 'bool' }, { value: 16777217, type: 'f32' }) }),
      version: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(undefined, 1, { value: 3, type: 'u16' }) }, { weight: 1, arbitrary: fc.constant({ value: 300, type: 'u8' }) }),
      flags: fc.constantFrom(undefined, 'u8', { type: 'u16' }),
      sequence: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(undefined, 'u16', { type: 'u8', modulo: 5 }, { type: 'u32', modulo: 1000, start: 7 }) }, { weight: 1, arbitrary: fc.constant({ type: 'u8', modulo: 300 }) }),
      send_time: fc.constantFrom(undefined, 'f64', { type: 'u64', time_unit: 'ns' }, { type: 'u32', time_unit: 's' }),
      payload_length: fc.constantFrom(undefined, 'u16', 'u8'),
      crc32: fc.constantFrom(undefined, true, { endianness: 'big' }),
    })
    .map(clean),
  { freq: 2, nil: undefined },
);

type YamlEdit = { op: 'token'; line: number; token: number; value: string } | { op: 'dropLine'; line: number } | { op: 'dupLine'; line: number };
const YAML_EDIT: fc.Arbitrary<YamlEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('token' as const), line: fc.nat(), token: fc.nat(), value: fc.constantFrom('', ':', '-', '[', ']', '{', '}', '"', 'u128', 'f16', 'char[0]', 'char[99999]', '0', '-1', '1e400', '.nan', 'null', 'true', 'typ', 'sourc', 'max_count', 'count_of', 'fields', 'pad', 'align', '$crc32', 'objects[].x', 'a..b', 'x[', 'position_covariance[9]', '&a', '*a', '!!binary', '\t', '  ') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropLine' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dupLine' as const), line: fc.nat() }) },
);

function editYaml(text: string, edits: readonly YamlEdit[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    if (!lines.length) break;
    const i = e.line % lines.length;
    if (e.op === 'dropLine') lines.splice(i, 1);
    else if (e.op === 'dupLine') lines.splice(i, 0, lines[i]);
    else {
      const parts = lines[i].split(/(\s+|[:,{}[\]-])/).filter((p) => p !== '');
      if (parts.length) parts[e.token % parts.length] = e.value;
      lines[i] = parts.join('');
    }
  }
  return lines.join('\n');
}

export interface UdpInput {
  type: string;
  yaml: string;
  messages: Record<string, unknown>[];
  packetEdits: Parameters<typeof applyEdits>[1];
  random: Uint8Array;
  seconds: number;
}

export const udpInput: fc.Arbitrary<UdpInput> = fc.constantFrom(...TYPES).chain((type) =>
  fc.record({
    type: fc.constant(type),
    yaml: fc
      .record({ endianness: fc.constantFrom(undefined, 'little', 'big'), overflow: POLICY, header: HEADER, fields: items(type), mtu: fc.constantFrom(undefined, 1500, 68, 9000), edits: fc.oneof({ weight: 3, arbitrary: fc.constant([] as YamlEdit[]) }, { weight: 1, arbitrary: fc.array(YAML_EDIT, { minLength: 1, maxLength: 3 }) }) })
      .map(({ edits, ...doc }) => editYaml(stringify(clean({ name: 'fuzz', message: type, ...doc })), edits)),
    messages: fc.array(message(PLANS.get(type)!), { minLength: 1, maxLength: 3 }),
    packetEdits: fc.array(byteEdit(8), { maxLength: 4 }),
    random: fc.uint8Array({ maxLength: 128 }),
    seconds: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(0, 1_700_000_000)),
  }),
);

// ---- the model of one slot ----

const TWO64 = 2n ** 64n;

/** What decodePacket (raw) must read for a number written into slot `s`, or 'refuse'. */
function expectedWire(s: PlanScalar, v: number, policy: string): JsonValue | 'refuse' {
  const w = s.wire;
  let x = v;
  if (s.factor !== 1) x = x * s.factor;
  if (s.add !== 0) x = x + s.add;
  if (w.kind === 'bool') return x ? true : false;
  if (w.kind === 'float') {
    if (w.bits === 64) return jsonNumber(x);
    if ((x > F32_MAX || x < -F32_MAX) && Number.isFinite(x)) {
      if (policy === 'refuse') return 'refuse';
      if (policy === 'clamp') x = x > 0 ? F32_MAX : -F32_MAX;
    }
    return jsonNumber(Math.fround(x));
  }
  if (x !== x) x = s.defaultValue === undefined ? 0 : numeric(s.defaultValue) * s.factor + s.add;
  let r = Math.round(x);
  if (w.bits === 64) {
    const maxEx = w.signed ? 2 ** 63 : 2 ** 64;
    if (r < w.min || r >= maxEx) {
      if (policy === 'refuse') return 'refuse';
      if (policy === 'clamp') return big(r < 0 ? w.minBig : w.maxBig);
      if (!Number.isFinite(r)) r = 0;
      let b = BigInt(r) % TWO64;
      if (b < 0n) b += TWO64;
      return big(w.signed ? BigInt.asIntN(64, b) : b);
    }
    return big(BigInt(r));
  }
  if (r < w.min || r > w.max) {
    if (policy === 'refuse') return 'refuse';
    if (policy === 'clamp') r = r < w.min ? w.min : w.max;
    else {
      // DataView's setIntN/setUintN: ToIntN / ToUintN (modulo 2^bits; NaN and ±Infinity become 0).
      const m = 2 ** w.bits;
      let u = Number.isFinite(r) ? ((r % m) + m) % m : 0;
      if (w.signed && u >= m / 2) u -= m;
      r = u;
    }
  }
  return r;
}

function big(b: bigint): JsonValue {
  return b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER) ? b.toString() : Number(b);
}

function jsonNumber(v: number): JsonValue {
  return Number.isFinite(v) ? v : String(v);
}

function numeric(v: number | boolean | string): number {
  return typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
}

/** The value at a source path ("a.b[2].c") of a message, undefined when any step is missing. */
function at(o: unknown, path: string): unknown {
  let cur = o;
  for (const seg of path.split('.')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$/.exec(seg);
    if (!m || cur == null) return undefined;
    cur = (cur as Record<string, unknown>)[m[1]];
    if (m[2] !== undefined) cur = cur == null ? undefined : (cur as ArrayLike<unknown>)[Number(m[2])];
  }
  return cur;
}

const same = (a: JsonValue, b: JsonValue) => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));

/**
 * Compares the slots the model covers (number and bool sources, int64 sources as numbers) with
 * what decodePacket read; returns whether the model says a `refuse` field overflowed.
 */
function compareItems(items: PlanItem[], scope: unknown, decoded: Record<string, JsonValue>, policyOf: (s: PlanScalar) => string, where: string, arraySource?: string): boolean {
  let refuse = false;
  for (const it of items) {
    if (it.kind === 'array') {
      const list = at(scope, it.source.replace(/\[\]$/, '')) as unknown[] | undefined;
      const n = list == null ? 0 : list.length;
      if (n > it.maxCount && policyOf(it as unknown as PlanScalar) === 'refuse') refuse = true;
      const got = decoded[it.name] as JsonValue[];
      for (let i = 0; i < Math.min(n, it.maxCount, got.length); i++) {
        refuse = compareItems(it.items, list![i], got[i] as Record<string, JsonValue>, policyOf, `${where} ${it.name}[${i}]`, it.source) || refuse;
      }
      continue;
    }
    if (it.role !== 'source' || it.quaternion || it.timeUnit !== undefined || it.wire.kind === 'char') continue;
    let path = it.source!;
    if (arraySource !== undefined) {
      const full = arraySource.replace(/\[\]$/, '');
      for (const pre of [`${full}[].`, `${full.slice(full.lastIndexOf('.') + 1)}[].`]) if (path.startsWith(pre)) path = path.slice(pre.length);
    }
    const raw = at(scope, path);
    const values = it.count > 1 ? Array.from({ length: it.count }, (_, k) => (raw == null ? undefined : (raw as ArrayLike<unknown>)[k])) : [raw];
    const got = it.count > 1 ? (decoded[it.name] as JsonValue[]) : [decoded[it.name]];
    for (let k = 0; k < values.length; k++) {
      let v = values[k];
      if (typeof v === 'bigint') {
        if (it.wire.kind === 'int' && it.wire.bits === 64 && !it.hasLinear) continue; // exact bigint path: not modelled here
        v = Number(v);
      }
      if (typeof v === 'boolean') v = v ? 1 : 0;
      if (typeof v !== 'number') continue; // time stamps, missing values (defaults)
      const want = expectedWire(it, v, policyOf(it));
      if (want === 'refuse') {
        refuse = true;
        continue;
      }
      invariant(same(got[k], want), () => `${where} ${it.label}${it.count > 1 ? `[${k}]` : ''}: source ${v} → ${it.wire.name} (×${it.factor} +${it.add}, ${policyOf(it)}) should read back as ${show(want)}, decodePacket read ${show(got[k])}`);
    }
  }
  return refuse;
}

export function checkUdp(x: UdpInput): void {
  const label = 'fuzz.yaml';
  let layout: CompiledLayout;
  try {
    layout = compileLayout(parseLayout(x.yaml, label), registry, x.type);
  } catch (e) {
    invariant(e instanceof ConfigError, () => `loading the layout threw ${(e as Error)?.name}: ${(e as Error)?.message} (not a ConfigError)\n${(e as Error)?.stack}`);
    invariant(e.source.startsWith(label) && e.key.length > 0 && e.problem.length > 0 && e.fix.length > 0, () => `ConfigError without file, key, problem and fix: ${show({ source: e.source, key: e.key, problem: e.problem, fix: e.fix })}`);
    return;
  }
  const plan = layout.plan;
  invariant(plan.totalSize === layout.encoder.size && plan.totalSize > 0, `plan size ${plan.totalSize}, encoder ${layout.encoder.size}`);
  const policyOf = (s: PlanScalar) => s.overflow ?? plan.doc.overflow;
  const anyRefuse = plan.scalars.some((s) => policyOf(s) === 'refuse') || plan.doc.overflow === 'refuse';
  for (const msg of x.messages) {
    const time = { sec: x.seconds, nanosec: 123_456_789 };
    let bytes: Uint8Array | null;
    try {
      bytes = layout.encoder.encode(msg, time, 1);
    } catch (e) {
      invariant(false, `encode threw ${(e as Error).name}: ${(e as Error).message}`);
    }
    const raw = bytes ? decodePacket(plan, bytes, { raw: true }) : undefined;
    if (bytes === null) {
      invariant(anyRefuse, 'encode refused a packet though no field has the refuse policy');
      continue;
    }
    invariant(bytes.length === plan.totalSize, `packet of ${bytes.length} bytes, the layout says ${plan.totalSize}`);
    invariant(raw!.ok && raw!.errors.length === 0, () => `decodePacket of the encoder's own packet: ${raw!.errors.join('; ')}`);
    const refuse = compareItems(plan.items, msg, raw!.fields, policyOf, 'field');
    invariant(!refuse, 'the model says a refuse field overflowed, but encode gave a packet');
    decodePacket(plan, bytes);
    // Damaged and foreign packets: decoded without an exception, ok exactly when nothing is wrong.
    for (const data of [applyEdits(bytes, x.packetEdits), x.random, bytes.subarray(0, bytes.length >> 1), new Uint8Array(0)]) {
      for (const options of [{}, { raw: true }, { allSlots: true }]) {
        let d;
        try {
          d = decodePacket(plan, data, options);
        } catch (e) {
          invariant(false, `decodePacket threw ${(e as Error).name}: ${(e as Error).message} on ${data.length} bytes`);
        }
        invariant(d.ok === (d.errors.length === 0), `decodePacket: ok ${d.ok} with errors ${show(d.errors)}`);
        invariant(JSON.stringify(d) !== undefined, 'decodePacket output is not JSON');
      }
    }
  }
}

export const udpTarget: FuzzTarget = {
  name: 'udp',
  checks: [
    'loading a generated or damaged layout (parseLayout + compileLayout) gives a layout or a ConfigError naming the file:line, key, problem and fix: nothing else escapes',
    'encode never throws; a packet is refused only when some field has the refuse policy; every packet has the layout\'s size and decodePacket finds it ok (magic, payload length, CRC)',
    'encode → decodePacket (raw) gives back every number and bool source as the wire type carries it: × scale + offset, rounded, NaN → default, out of range clamped, wrapped (count) or refused per the overflow policy, f32 overflow, 64-bit values exact as numbers or decimal strings',
    'decodePacket on damaged, truncated, empty and random packets never throws; ok exactly when it reports no error; its output is JSON',
  ],
  property: (probe: FuzzProbe) =>
    fc.property(udpInput, (x) => {
      probe.begin(`${x.type}\n${x.yaml}`);
      checkUdp(x);
      return true;
    }),
  replay(_name, bytes) {
    // Stored inputs: "pkg/msg/Type\n" then the layout YAML; replayed with seeded random messages.
    const text = Buffer.from(bytes).toString('utf8');
    const nl = text.indexOf('\n');
    const type = text.slice(0, nl);
    const yaml = text.slice(nl + 1);
    const samples = fc.sample(fc.record({ messages: fc.array(message(cdrPlan(registry, type)), { minLength: 1, maxLength: 3 }), random: fc.uint8Array({ maxLength: 64 }), packetEdits: fc.array(byteEdit(8), { maxLength: 4 }) }), { seed: 42, numRuns: 20 });
    for (const s of samples) checkUdp({ type, yaml, seconds: 1_700_000_000, ...s });
  },
  corpusFile: (x) => ({ ext: '.layout', bytes: Buffer.from(`${(x as UdpInput).type}\n${(x as UdpInput).yaml}`) }),
  describe: (x) => {
    const i = x as UdpInput;
    return `${i.type}, time ${i.seconds}, layout:\n${i.yaml}\nmessages: ${show(i.messages, 1500)}`;
  },
};

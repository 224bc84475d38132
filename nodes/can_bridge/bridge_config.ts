// The can_bridge configuration file (YAML, named by the `config_file` parameter): which buses
// carry which DBC, which messages go out as generic DecodedSignals, which signals fill
// VehicleState (with their units), and which frames assemble into object lists.
//
// Validated once at start-up: the YAML shape with zod, then every message and signal name
// against the bus's DBC. Errors are ConfigErrors naming file:line, the YAML key path
// (object_lists.esr.object.position.range) and the fix (often the nearest DBC name).
// The result is a plan with names resolved to codecs and signal indices: nothing is looked up
// by name per frame.
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../runtime/errors.js';
import { formatPath } from '../udp_layout/schema.js';
import { projectRoot } from '../runtime/msg_registry.js';
import { loadDbcConfig } from '../dbc/load.js';
import type { CanDatabase, MessageCodec } from '../dbc/codec.js';
import type { CanFilter } from './socketcan_source.js';

type Path = (string | number)[];

// ---------------------------------------------------------------------------------- schema

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const TOPIC = /^\/?[A-Za-z~][A-Za-z0-9_/{}~]*$/;

const signalRef = z.union([z.string().min(1), z.strictObject({ signal: z.string().min(1), factor: z.number().finite().default(1) })]);

const quantity = z.strictObject({
  signal: z.string().min(1),
  unit: z.string().optional(),
  sign: z.union([z.literal(1), z.literal(-1)]).default(1),
  factor: z.number().finite().default(1),
});

const gearTarget = z.union([z.enum(['park', 'reverse', 'neutral', 'drive', 'unknown']), z.number().int().min(1).max(127)]);

const busSchema = z.strictObject({
  interface: z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'a network interface name (1-15 characters, no "/")').optional(),
  dbc: z.string().min(1).optional(),
  fd: z.boolean().default(false),
  recording_channel: z.number().int().min(0).optional(),
  filters: z
    .array(z.strictObject({ id: z.number().int().min(0), mask: z.number().int().min(0), extended: z.boolean().optional() }))
    .default([]),
});

const decodedSchema = z.strictObject({
  bus: z.string(),
  messages: z.union([z.literal('all'), z.array(z.union([z.string(), z.number().int().min(0)])).min(1)]).default('all'),
  topic: z.string().regex(TOPIC, 'a ROS topic name').default('vil/can/decoded'),
  per_message: z.boolean().default(false),
});

const vehicleStateSchema = z.strictObject({
  bus: z.string(),
  topic: z.string().regex(TOPIC, 'a ROS topic name').default('vil/can/vehicle_state'),
  frame_id: z.string().default('base_link'),
  rate_hz: z.number().positive().max(1000).default(50),
  speed: quantity.optional(),
  yaw_rate: quantity.optional(),
  steering_wheel_angle: quantity.optional(),
  longitudinal_acceleration: quantity.optional(),
  lateral_acceleration: quantity.optional(),
  gear: z.strictObject({ signal: z.string().min(1), map: z.record(z.string(), gearTarget).optional() }).optional(),
  wheel_speeds: z
    .strictObject({
      fl: z.string().min(1).optional(),
      fr: z.string().min(1).optional(),
      rl: z.string().min(1).optional(),
      rr: z.string().min(1).optional(),
      unit: z.string().optional(),
      sign: z.union([z.literal(1), z.literal(-1)]).default(1),
      factor: z.number().finite().default(1),
    })
    .optional(),
});

const vector = z.strictObject({ x: signalRef.optional(), y: signalRef.optional(), z: signalRef.optional() });
const motion = z.strictObject({ range_rate: signalRef.optional(), x: signalRef.optional(), y: signalRef.optional(), z: signalRef.optional() });

const CLASSES = ['unknown', 'car', 'truck', 'motorcycle', 'bicycle', 'pedestrian', 'animal', 'static', 'other'] as const;

const objectSchema = z.strictObject({
  id: z.union([z.literal('member'), z.string().min(1)]).default('member'),
  id_offset: z.number().int().default(1),
  position: z.strictObject({
    range: signalRef.optional(),
    angle: signalRef.optional(),
    angle_unit: z.enum(['deg', 'rad']).default('deg'),
    angle_sign: z.union([z.literal(1), z.literal(-1)]).default(1),
    x: signalRef.optional(),
    y: signalRef.optional(),
    z: signalRef.optional(),
  }),
  velocity: motion.optional(),
  acceleration: motion.optional(),
  size: vector.optional(),
  yaw: z.strictObject({ signal: z.string().min(1), unit: z.enum(['deg', 'rad']).default('rad'), sign: z.union([z.literal(1), z.literal(-1)]).default(1) }).optional(),
  existence_probability: signalRef.optional(),
  classification: z.strictObject({ signal: z.string().min(1), map: z.record(z.string(), z.enum(CLASSES)) }).optional(),
  status: z.strictObject({ signal: z.string().min(1), labels: z.record(z.string(), z.string()).optional() }).optional(),
  drop_status: z.array(z.number().int()).default([]),
});

const groupSchema = z.strictObject({
  bus: z.string(),
  topic: z.string().regex(TOPIC, 'a ROS topic name').optional(),
  frame_id: z.string().min(1),
  header: z.strictObject({ message: z.union([z.string(), z.number().int().min(0)]), counter: z.string().optional() }),
  members: z.strictObject({
    messages: z.array(z.union([z.string(), z.number().int().min(0)])).min(1).optional(),
    first: z.number().int().min(0).optional(),
    last: z.number().int().min(0).optional(),
    extended: z.boolean().default(false),
  }),
  complete: z.union([z.enum(['all_members', 'next_header']), z.strictObject({ count_signal: z.string().min(1) })]).default('all_members'),
  ordered: z.boolean().default(false),
  timeout_ms: z.number().positive().max(60_000).default(200),
  publish: z.union([z.literal('on_commit'), z.strictObject({ rate_hz: z.number().positive().max(1000) })]).default('on_commit'),
  object: objectSchema,
});

const fileSchema = z.strictObject({
  buses: z.record(z.string(), z.unknown()),
  decoded: z.array(z.unknown()).default([]),
  vehicle_state: z.unknown().optional(),
  object_lists: z.record(z.string(), z.unknown()).default({}),
});

// ------------------------------------------------------------------------------------ plan

export interface SignalRef {
  codec: MessageCodec;
  /** Index of the signal in the codec's output (add codec.base in a database-wide array). */
  index: number;
  /** "MESSAGE.SIGNAL" as configured. */
  name: string;
}

export interface BusPlan {
  /** Bus name: topics (vil/can/<name>/raw) and references in the file. */
  name: string;
  /** Kernel interface (and candump log interface) name. */
  iface: string;
  dbcPath: string | undefined;
  db: CanDatabase | undefined;
  fd: boolean;
  filters: CanFilter[];
  /**
   * Source recording: the channel number of this bus in the recordings (MF4 BusChannel, BLF/ASC
   * channel, candump canN → N); default: the number the interface name ends with (can1 → 1).
   */
  recordingChannel: number | undefined;
}

export interface DecodedPlan {
  bus: string;
  codecs: MessageCodec[];
  topic: string;
  perMessage: boolean;
}

/** A physical value: `decoded * factor` (unit conversion, sign and extra factor folded in). */
export interface QuantityPlan {
  ref: SignalRef;
  factor: number;
}

export type GearTarget = 'park' | 'reverse' | 'neutral' | 'drive' | 'unknown' | number;

export interface GearPlan {
  ref: SignalRef;
  /** By label (from the DBC's value table) or by the decoded value as text. */
  map: Map<string, GearTarget>;
}

export interface VehicleStatePlan {
  bus: string;
  topic: string;
  frameId: string;
  rateHz: number;
  speed?: QuantityPlan;
  yawRate?: QuantityPlan;
  steeringWheelAngle?: QuantityPlan;
  longitudinalAcceleration?: QuantityPlan;
  lateralAcceleration?: QuantityPlan;
  gear?: GearPlan;
  /** fl, fr, rl, rr */
  wheelSpeeds: (QuantityPlan | undefined)[];
}

/** A signal of each member message, scaled. */
export interface MemberField {
  signal: string;
  factor: number;
}

export interface ObjectMapping {
  id: { kind: 'member'; offset: number } | { kind: 'signal'; field: MemberField };
  position: { kind: 'polar'; range: MemberField; angle: MemberField } | { kind: 'cartesian'; x?: MemberField; y?: MemberField; z?: MemberField };
  velocity?: { kind: 'radial'; rate: MemberField } | { kind: 'cartesian'; x?: MemberField; y?: MemberField; z?: MemberField };
  acceleration?: { kind: 'radial'; rate: MemberField } | { kind: 'cartesian'; x?: MemberField; y?: MemberField; z?: MemberField };
  size: { x?: MemberField; y?: MemberField; z?: MemberField };
  yaw?: MemberField;
  existence?: MemberField;
  classification?: { field: MemberField; map: Map<string, number> };
  status?: { field: MemberField; labels: Map<number, string> };
  dropStatus: Set<number>;
}

export interface GroupPlan {
  name: string;
  bus: string;
  topic: string;
  frameId: string;
  header: { codec: MessageCodec; counter: number; counterModulo: number | undefined; count: number };
  /** Member messages in member order (member number = position + 1). */
  members: MessageCodec[];
  extended: boolean;
  complete: 'all_members' | 'next_header' | 'count';
  ordered: boolean;
  timeoutMs: number;
  /** 0: publish on commit. */
  rateHz: number;
  object: ObjectMapping;
}

export interface BridgePlan {
  file: string;
  buses: BusPlan[];
  decoded: DecodedPlan[];
  vehicleState: VehicleStatePlan | undefined;
  groups: GroupPlan[];
}

export const DetectedObjectClass: Record<(typeof CLASSES)[number], number> = {
  unknown: 0,
  car: 1,
  truck: 2,
  motorcycle: 3,
  bicycle: 4,
  pedestrian: 5,
  animal: 6,
  static: 7,
  other: 8,
};

// ------------------------------------------------------------------------------ units

type Quantity = 'speed' | 'angular_rate' | 'angle' | 'acceleration';

const UNITS: Record<Quantity, Record<string, number>> = {
  speed: { 'm/s': 1, 'km/h': 1 / 3.6, mph: 0.44704, kn: 1852 / 3600 },
  angular_rate: { 'rad/s': 1, 'deg/s': Math.PI / 180 },
  angle: { rad: 1, deg: Math.PI / 180 },
  acceleration: { 'm/s^2': 1, g: 9.80665 },
};

/** The unit spelled the way UNITS does, or undefined. */
export function normaliseUnit(unit: string): string | undefined {
  const u = unit.trim().toLowerCase().replace(/\s+/g, '').replace('°', 'deg').replace('²', '^2');
  const aliases: Record<string, string> = {
    'm/s': 'm/s',
    mps: 'm/s',
    'km/h': 'km/h',
    kph: 'km/h',
    kmh: 'km/h',
    mph: 'mph',
    kn: 'kn',
    kt: 'kn',
    knots: 'kn',
    'rad/s': 'rad/s',
    'deg/s': 'deg/s',
    degps: 'deg/s',
    rad: 'rad',
    deg: 'deg',
    degree: 'deg',
    degrees: 'deg',
    'm/s^2': 'm/s^2',
    'm/s2': 'm/s^2',
    'm/s/s': 'm/s^2',
    mps2: 'm/s^2',
    g: 'g',
  };
  return aliases[u];
}

// ------------------------------------------------------------------------------ loading

/**
 * A file named in configuration: absolute; else relative to `baseDir` (the file that names it)
 * when given; else to the working directory, then to the vil project (config/... works anywhere).
 */
export function resolveFile(path: string, source: string, key: string, fix: string, baseDir?: string): string {
  const candidates = isAbsolute(path) ? [path] : baseDir ? [resolve(baseDir, path)] : [resolve(path), resolve(projectRoot(), path)];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new ConfigError({ source, key, problem: `file not found: ${candidates.join(', ')}`, fix });
}

/** Reads, validates and resolves the configuration. Throws ConfigError. */
export function loadBridgeConfig(file: string, param = 'config_file'): BridgePlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError({ source: file, key: param, problem: `cannot read the configuration (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, fix: `set ${param} to an existing can_bridge YAML file, e.g. config/can_bridge.yaml` });
  }
  return parseBridgeConfig(text, file);
}

export function parseBridgeConfig(text: string, file: string): BridgePlan {
  const ctx = new ConfigContext(text, file);
  const top = ctx.check(fileSchema, ctx.doc.toJS() ?? {}, []);

  const buses = new Map<string, BusPlan>();
  for (const [name, raw] of Object.entries(top.buses)) {
    const path = ['buses', name];
    if (!NAME.test(name)) ctx.fail(path, `"${name}" is not a usable bus name (it becomes part of topic names)`, 'use letters, digits and _ and start with a letter, e.g. can0 or powertrain; set interface: for the kernel name');
    const b = ctx.check(busSchema, raw ?? {}, path);
    let db: CanDatabase | undefined;
    let dbcPath: string | undefined;
    if (b.dbc !== undefined) {
      dbcPath = resolveFile(b.dbc, ctx.where([...path, 'dbc']), formatPath([...path, 'dbc']), 'give an existing DBC file (absolute, or relative to this configuration file)', dirname(file));
      db = loadDbcConfig(dbcPath, `${file}: ${formatPath([...path, 'dbc'])}`);
    }
    b.filters.forEach((f, i) => {
      const max = f.extended === true ? 0x1fffffff : f.extended === false ? 0x7ff : 0x1fffffff;
      if (f.id > max) ctx.fail([...path, 'filters', i, 'id'], `0x${f.id.toString(16)} does not fit ${max === 0x7ff ? 11 : 29} bits`, 'correct the id');
      if (f.mask > max) ctx.fail([...path, 'filters', i, 'mask'], `0x${f.mask.toString(16)} does not fit ${max === 0x7ff ? 11 : 29} bits`, 'correct the mask');
    });
    const iface = b.interface ?? name;
    const trailing = /(\d+)$/.exec(iface);
    const recordingChannel = b.recording_channel ?? (trailing && trailing[1].length <= 9 ? Number(trailing[1]) : undefined);
    buses.set(name, { name, iface, dbcPath, db, fd: b.fd, filters: b.filters, recordingChannel });
  }
  if (buses.size === 0) ctx.fail(['buses'], 'no bus is configured', 'add at least one bus, e.g. buses: {can0: {dbc: dbc/vehicle.dbc}}');
  const ifaces = new Map<string, string>();
  const channels = new Map<number, string>();
  for (const b of buses.values()) {
    const other = ifaces.get(b.iface);
    if (other) ctx.fail(['buses', b.name, 'interface'], `interface ${b.iface} is already used by bus ${other}`, 'give every bus its own interface');
    ifaces.set(b.iface, b.name);
    // Explicit recording channels must differ; channels taken from interface names are checked
    // only where recordings are read (source recording).
    const explicit = getAt(top.buses, [b.name, 'recording_channel']);
    if (explicit === undefined) continue;
    const taken = channels.get(b.recordingChannel!);
    if (taken) ctx.fail(['buses', b.name, 'recording_channel'], `recording channel ${b.recordingChannel} is already bus ${taken}'s`, 'give every bus its own recording_channel (the channel number as the recordings carry it)');
    channels.set(b.recordingChannel!, b.name);
  }

  const busDb = (busName: string, path: Path, what: string): CanDatabase => {
    const b = buses.get(busName);
    if (!b) ctx.fail(path, `no bus "${busName}"`, `use one of the buses: ${[...buses.keys()].join(', ')}`);
    if (!b!.db) ctx.fail(path, `bus ${busName} has no dbc`, `add a dbc: file to buses.${busName} (needed for ${what})`);
    return b!.db!;
  };

  const decoded: DecodedPlan[] = [];
  const decodedTopics = new Set<string>();
  top.decoded.forEach((raw, i) => {
    const path: Path = ['decoded', i];
    const d = ctx.check(decodedSchema, raw, path);
    const db = busDb(d.bus, [...path, 'bus'], 'decoded signals');
    const codecs = d.messages === 'all' ? [...db.messages] : d.messages.map((m, j) => ctx.message(db, m, [...path, 'messages', j]));
    const topics = d.per_message ? codecs.map((c) => `${d.topic}/${c.name}`) : [d.topic];
    for (const t of topics) {
      if (decodedTopics.has(t)) ctx.fail([...path, 'topic'], `topic ${t} is already used by another decoded entry`, 'give each entry its own topic (or per_message: true)');
      decodedTopics.add(t);
    }
    decoded.push({ bus: d.bus, codecs, topic: d.topic, perMessage: d.per_message });
  });

  let vehicleState: VehicleStatePlan | undefined;
  if (top.vehicle_state !== undefined) {
    const path: Path = ['vehicle_state'];
    const v = ctx.check(vehicleStateSchema, top.vehicle_state, path);
    const db = busDb(v.bus, [...path, 'bus'], 'vehicle_state');
    const q = (key: keyof typeof v, kind: Quantity) => {
      const spec = v[key] as z.infer<typeof quantity> | undefined;
      if (!spec) return undefined;
      return ctx.quantity(db, spec.signal, spec.unit, spec.sign * spec.factor, kind, [...path, key, 'signal'], [...path, key, 'unit']);
    };
    const wheels: (QuantityPlan | undefined)[] = [undefined, undefined, undefined, undefined];
    if (v.wheel_speeds) {
      const w = v.wheel_speeds;
      (['fl', 'fr', 'rl', 'rr'] as const).forEach((k, i) => {
        const sig = w[k];
        if (sig !== undefined) wheels[i] = ctx.quantity(db, sig, w.unit, w.sign * w.factor, 'speed', [...path, 'wheel_speeds', k], [...path, 'wheel_speeds', 'unit']);
      });
    }
    let gear: GearPlan | undefined;
    if (v.gear) {
      const ref = ctx.signal(db, v.gear.signal, [...path, 'gear', 'signal']);
      const map = new Map<string, GearTarget>();
      if (v.gear.map) {
        const sig = ref.codec.message.signals[ref.index];
        const labels = new Set(sig.choices?.map((c) => c.label) ?? []);
        for (const [k, target] of Object.entries(v.gear.map)) {
          if (labels.size && !labels.has(k) && !/^-?\d+(\.\d+)?$/.test(k)) {
            ctx.fail([...path, 'gear', 'map', k], `"${k}" is neither a value label of ${ref.name} nor a number`, `use its labels (${[...labels].join(', ')}) or raw values`);
          }
          map.set(k, target);
        }
      } else {
        for (const [k, t] of DEFAULT_GEARS) map.set(k, t);
      }
      gear = { ref, map };
    }
    vehicleState = {
      bus: v.bus,
      topic: v.topic,
      frameId: v.frame_id,
      rateHz: v.rate_hz,
      speed: q('speed', 'speed'),
      yawRate: q('yaw_rate', 'angular_rate'),
      steeringWheelAngle: q('steering_wheel_angle', 'angle'),
      longitudinalAcceleration: q('longitudinal_acceleration', 'acceleration'),
      lateralAcceleration: q('lateral_acceleration', 'acceleration'),
      gear,
      wheelSpeeds: wheels,
    };
  }

  const groups: GroupPlan[] = [];
  for (const [name, raw] of Object.entries(top.object_lists)) {
    const path: Path = ['object_lists', name];
    if (!NAME.test(name)) ctx.fail(path, `"${name}" is not a usable group name (it becomes a topic name)`, 'use letters, digits and _, starting with a letter, e.g. esr');
    groups.push(ctx.group(name, ctx.check(groupSchema, raw, path), busDb, path));
  }
  const groupTopics = new Set<string>();
  for (const g of groups) {
    if (groupTopics.has(g.topic) || decodedTopics.has(g.topic)) ctx.fail(['object_lists', g.name, 'topic'], `topic ${g.topic} is used twice`, 'give each object list its own topic');
    groupTopics.add(g.topic);
  }

  return { file, buses: [...buses.values()], decoded, vehicleState, groups };
}

const DEFAULT_GEARS: [string, GearTarget][] = [
  ['P', 'park'],
  ['PARK', 'park'],
  ['R', 'reverse'],
  ['REVERSE', 'reverse'],
  ['N', 'neutral'],
  ['NEUTRAL', 'neutral'],
  ['D', 'drive'],
  ['DRIVE', 'drive'],
];

class ConfigContext {
  readonly doc: Document;
  private readonly lc = new LineCounter();

  constructor(
    text: string,
    readonly file: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lc, uniqueKeys: true });
    if (this.doc.errors.length) {
      const e = this.doc.errors[0];
      throw new ConfigError({ source: `${file}:${e.linePos?.[0]?.line ?? '?'}`, key: '(YAML)', problem: `not valid YAML: ${e.message.split('\n')[0]}`, fix: 'correct the YAML syntax at that line' });
    }
  }

  /** "file:line" of the deepest node of `path` that exists. */
  where(path: Path): string {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return `${this.file}:${this.lc.linePos(node.range[0]).line}`;
    }
    return this.file;
  }

  fail(path: Path, problem: string, fix: string): never {
    throw new ConfigError({ source: this.where(path), key: formatPath(path), problem, fix });
  }

  check<S extends z.ZodType>(schema: S, v: unknown, base: Path): z.infer<S> {
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const path = [...base, ...(issue.path as Path)];
    if (issue.code === 'unrecognized_keys') {
      this.fail([...path, issue.keys[0]], `unknown key "${issue.keys[0]}"`, 'remove it or correct its spelling (see the can_bridge configuration reference in README.md)');
    }
    if (issue.code === 'invalid_union') this.fail(path, `unexpected value ${JSON.stringify(getAt(v, issue.path as Path)) ?? 'undefined'}`, unionHint(path));
    this.fail(path, issue.message, 'see the can_bridge configuration reference in README.md');
  }

  message(db: CanDatabase, m: string | number, path: Path): MessageCodec {
    const c = typeof m === 'number' ? (db.lookup(m, false) ?? db.lookup(m, true)) : db.byName(m);
    if (c) return c;
    this.leftOut(db, m, path);
    if (typeof m === 'number') this.fail(path, `no message with id 0x${m.toString(16)} in ${dbName(db)}`, 'use an id or name of a message of that DBC');
    this.fail(path, `no message "${m}" in ${dbName(db)}`, suggest(m as string, db.messages.map((x) => x.name), 'a message name of that DBC'));
  }

  /** A message the DBC defines but vil left out for a defect: the start-up error says why. */
  leftOut(db: CanDatabase, m: string | number, path: Path): void {
    const d = db.droppedMessage(m);
    if (!d) return;
    const what = typeof m === 'number' ? `message 0x${m.toString(16)}${d.name ? ` (${d.name})` : ''}` : `message "${m}"`;
    this.fail(path, `${what} of ${d.source.file} is left out: ${d.reason} (${d.source.file}:${d.source.line})`, 'correct the DBC at that line, or remove the message from this configuration');
  }

  /** "MESSAGE.SIGNAL" of a bus's DBC. */
  signal(db: CanDatabase, ref: string, path: Path): SignalRef {
    const dot = ref.indexOf('.');
    if (dot <= 0) this.fail(path, `"${ref}" is not MESSAGE.SIGNAL`, 'write the message and signal names of the DBC, e.g. SPEED.SPEED');
    const codec = this.message(db, ref.slice(0, dot), path);
    const sig = ref.slice(dot + 1);
    const index = codec.indexOf(sig);
    if (index < 0) this.fail(path, `message ${codec.name} has no signal "${sig}"`, suggest(sig, [...codec.signalNames], `a signal of ${codec.name}`));
    return { codec, index, name: ref };
  }

  quantity(db: CanDatabase, ref: string, unit: string | undefined, factor: number, kind: Quantity, signalPath: Path, unitPath: Path): QuantityPlan {
    const r = this.signal(db, ref, signalPath);
    const dbcUnitText = r.codec.message.signals[r.index].unit;
    const dbcUnit = normaliseUnit(dbcUnitText);
    const table = UNITS[kind];
    const allowed = Object.keys(table).join(', ');
    let u: string | undefined;
    if (unit !== undefined) {
      u = normaliseUnit(unit);
      if (u === undefined || !(u in table)) this.fail(unitPath, `"${unit}" is not a unit of ${kind.replace('_', ' ')}`, `use one of: ${allowed}`);
      if (dbcUnit !== undefined && dbcUnit in table && dbcUnit !== u) {
        this.fail(unitPath, `the DBC gives ${r.name} in ${dbcUnitText}, not ${unit}`, `write unit: ${dbcUnitText} (the value is converted to SI), or leave unit out`);
      }
    } else {
      if (dbcUnit === undefined || !(dbcUnit in table)) {
        this.fail(unitPath, `${r.name} has no ${kind.replace('_', ' ')} unit in the DBC (${dbcUnitText ? `"${dbcUnitText}"` : 'none'})`, `add unit: one of ${allowed}`);
      }
      u = dbcUnit;
    }
    return { ref: r, factor: table[u!] * factor };
  }

  group(name: string, g: z.infer<typeof groupSchema>, busDb: (bus: string, path: Path, what: string) => CanDatabase, path: Path): GroupPlan {
    const db = busDb(g.bus, [...path, 'bus'], 'object lists');
    const header = this.message(db, g.header.message, [...path, 'header', 'message']);
    let counter = -1;
    let counterModulo: number | undefined;
    if (g.header.counter !== undefined) {
      counter = header.indexOf(g.header.counter);
      if (counter < 0) this.fail([...path, 'header', 'counter'], `message ${header.name} has no signal "${g.header.counter}"`, suggest(g.header.counter, [...header.signalNames], `a signal of ${header.name}`));
      const s = header.message.signals[counter];
      if (s.valueType === 'integer' && s.scale === 1 && s.offset === 0 && !s.signed) counterModulo = 2 ** s.length;
    }
    let members: MessageCodec[];
    const m = g.members;
    if (m.messages !== undefined) {
      if (m.first !== undefined || m.last !== undefined) this.fail([...path, 'members'], 'give either messages or first/last, not both', 'remove one of them');
      members = m.messages.map((x, i) => this.message(db, x, [...path, 'members', 'messages', i]));
    } else {
      if (m.first === undefined || m.last === undefined) this.fail([...path, 'members'], 'members need messages: [...] or an id range first/last', 'e.g. members: {first: 0x500, last: 0x53F}');
      if (m.last! < m.first!) this.fail([...path, 'members', 'last'], `last (0x${m.last!.toString(16)}) is below first (0x${m.first!.toString(16)})`, 'swap them');
      if (m.last! - m.first! >= 4096) this.fail([...path, 'members', 'last'], 'more than 4096 member ids', 'narrow the range');
      members = [];
      for (let id = m.first!; id <= m.last!; id++) {
        const c = db.lookup(id, m.extended);
        if (!c) this.leftOut(db, id, [...path, 'members']);
        if (!c) this.fail([...path, 'members'], `id 0x${id.toString(16)} of the range is not a message of ${dbName(db)}`, 'narrow the range to ids the DBC defines, or list the messages');
        members.push(c!);
      }
    }
    const seen = new Set<MessageCodec>();
    for (const [i, c] of members.entries()) {
      if (seen.has(c)) this.fail([...path, 'members'], `message ${c.name} is listed twice`, 'list each member once');
      if (c === header) this.fail([...path, 'members', ...(m.messages ? ['messages', i] : [])], `the header ${c.name} cannot also be a member`, 'remove it from the members');
      if (c.extended !== members[0].extended) this.fail([...path, 'members'], 'members mix 11-bit and 29-bit ids', 'split them into two groups');
      seen.add(c);
    }
    let complete: GroupPlan['complete'];
    let count = -1;
    if (typeof g.complete === 'object') {
      complete = 'count';
      count = header.indexOf(g.complete.count_signal);
      if (count < 0) this.fail([...path, 'complete', 'count_signal'], `message ${header.name} has no signal "${g.complete.count_signal}"`, suggest(g.complete.count_signal, [...header.signalNames], `a signal of ${header.name}`));
    } else complete = g.complete;

    const o = g.object;
    const op: Path = [...path, 'object'];
    const field = (ref: z.infer<typeof signalRef> | undefined, p: Path, extra = 1): MemberField | undefined => {
      if (ref === undefined) return undefined;
      const f = typeof ref === 'string' ? { signal: ref, factor: extra } : { signal: ref.signal, factor: ref.factor * extra };
      for (const c of members) {
        if (c.indexOf(f.signal) < 0) this.fail(p, `member message ${c.name} has no signal "${f.signal}"`, suggest(f.signal, [...c.signalNames], `a signal every member message has`));
      }
      return f;
    };
    const pos = o.position;
    let position: ObjectMapping['position'];
    const polar = pos.range !== undefined || pos.angle !== undefined;
    if (polar) {
      if (pos.range === undefined || pos.angle === undefined) this.fail([...op, 'position', pos.range === undefined ? 'range' : 'angle'], 'polar positions need both range and angle', 'add the missing one (or use x/y/z)');
      if (pos.x !== undefined || pos.y !== undefined || pos.z !== undefined) this.fail([...op, 'position'], 'give range/angle or x/y/z, not both', 'remove one kind');
      const angleFactor = (pos.angle_unit === 'deg' ? Math.PI / 180 : 1) * pos.angle_sign;
      position = { kind: 'polar', range: field(pos.range, [...op, 'position', 'range'])!, angle: field(pos.angle, [...op, 'position', 'angle'], angleFactor)! };
    } else {
      if (pos.x === undefined && pos.y === undefined) this.fail([...op, 'position'], 'no position signals', 'give range and angle, or x and y');
      position = { kind: 'cartesian', x: field(pos.x, [...op, 'position', 'x']), y: field(pos.y, [...op, 'position', 'y']), z: field(pos.z, [...op, 'position', 'z']) };
    }
    const motionOf = (mo: z.infer<typeof motion> | undefined, key: string): ObjectMapping['velocity'] => {
      if (!mo) return undefined;
      if (mo.range_rate !== undefined) {
        if (mo.x !== undefined || mo.y !== undefined || mo.z !== undefined) this.fail([...op, key], 'give range_rate or x/y/z, not both', 'remove one kind');
        if (position.kind !== 'polar') this.fail([...op, key, 'range_rate'], 'range_rate needs a polar position (range/angle) for its direction', 'use x/y instead');
        return { kind: 'radial', rate: field(mo.range_rate, [...op, key, 'range_rate'])! };
      }
      return { kind: 'cartesian', x: field(mo.x, [...op, key, 'x']), y: field(mo.y, [...op, key, 'y']), z: field(mo.z, [...op, key, 'z']) };
    };
    let id: ObjectMapping['id'];
    if (o.id === 'member') id = { kind: 'member', offset: o.id_offset };
    else id = { kind: 'signal', field: field(o.id, [...op, 'id'])! };
    const classification = o.classification
      ? {
          field: field(o.classification.signal, [...op, 'classification', 'signal'])!,
          map: new Map(Object.entries(o.classification.map).map(([k, v]) => [k, DetectedObjectClass[v]])),
        }
      : undefined;
    let status: ObjectMapping['status'];
    if (o.status) {
      const labels = new Map<number, string>();
      for (const [k, v] of Object.entries(o.status.labels ?? {})) {
        if (!/^\d+$/.test(k)) this.fail([...op, 'status', 'labels', k], `"${k}" is not a status value`, 'key the labels by the raw status number, e.g. 3: Updated_Target');
        labels.set(Number(k), v);
      }
      status = { field: field(o.status.signal, [...op, 'status', 'signal'])!, labels };
    }
    if (o.drop_status.length && !status) this.fail([...op, 'drop_status'], 'drop_status needs a status signal', 'add object.status.signal');

    return {
      name,
      bus: g.bus,
      topic: g.topic ?? `vil/can/objects/${name}`,
      frameId: g.frame_id,
      header: { codec: header, counter, counterModulo, count },
      members,
      extended: members[0].extended,
      complete,
      ordered: g.ordered,
      timeoutMs: g.timeout_ms,
      rateHz: g.publish === 'on_commit' ? 0 : g.publish.rate_hz,
      object: {
        id,
        position,
        velocity: motionOf(o.velocity, 'velocity'),
        acceleration: motionOf(o.acceleration, 'acceleration'),
        size: { x: field(o.size?.x, [...op, 'size', 'x']), y: field(o.size?.y, [...op, 'size', 'y']), z: field(o.size?.z, [...op, 'size', 'z']) },
        yaw: o.yaw ? field(o.yaw.signal, [...op, 'yaw', 'signal'], (o.yaw.unit === 'deg' ? Math.PI / 180 : 1) * o.yaw.sign) : undefined,
        existence: field(o.existence_probability, [...op, 'existence_probability']),
        classification,
        status,
        dropStatus: new Set(o.drop_status),
      },
    };
  }
}

function getAt(v: unknown, path: Path): unknown {
  let x = v;
  for (const p of path) x = (x as Record<string | number, unknown> | undefined)?.[p];
  return x;
}

function unionHint(path: Path): string {
  const last = path.at(-1);
  if (last === 'messages') return 'write all, or a list of message names/ids';
  if (last === 'complete') return 'write all_members, next_header, or {count_signal: SIGNAL}';
  if (last === 'publish') return 'write on_commit, or {rate_hz: N}';
  if (last === 'sign' || last === 'angle_sign') return 'write 1 or -1';
  if (last === 'id') return 'write member, or a signal name';
  return 'write a signal name, or {signal: NAME, factor: k}';
}

function dbName(db: CanDatabase): string {
  const f = db.model.messages[0]?.source.file;
  return f ? f.replace(/^.*\//, '') : 'the DBC';
}

/** "use X" with the nearest candidate by edit distance. */
function suggest(name: string, candidates: string[], what: string): string {
  let best: string | undefined;
  let bestD = Infinity;
  const a = name.toUpperCase();
  for (const c of candidates) {
    const d = editDistance(a, c.toUpperCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3))) return `did you mean ${best}? (names are case-sensitive)`;
  const list = candidates.slice(0, 12).join(', ');
  return `use ${what}${list ? `: ${list}${candidates.length > 12 ? ', ...' : ''}` : ''}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

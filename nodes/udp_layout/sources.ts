// Source paths (`pose.position.x`, `markers[].scale.x`, `position_covariance[8]`) checked against
// a message type's definition at start-up, and turned into allocation-free getters.
import { ConfigError } from '../runtime/errors.js';
import { formatPath, type YamlPath } from './schema.js';

import type { FieldDef } from '../runtime/msg_registry.js';
export type { FieldDef };

/** What the layout compiler needs from a message registry. */
export interface TypeResolver {
  has(type: string): boolean;
  fields(type: string): readonly FieldDef[];
}

export type LeafKind = 'number' | 'bigint' | 'bool' | 'string' | 'time' | 'quaternion';

export interface Step {
  key: string;
  /** Constant index into an array field, or -1. */
  index: number;
}

export interface ResolvedPath {
  steps: Step[];
  leaf: LeafKind;
  /** ROS type of the leaf, e.g. "float64", "geometry_msgs/msg/Quaternion". */
  rosType: string;
  /** The path ends at an array field without an index (fixed primitive arrays, array blocks). */
  isArray: boolean;
  /** For array blocks: the element message type. */
  elementType?: string;
  arrayLength?: number;
}

const NUMBER_TYPES = new Set(['byte', 'char', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64']);
const BIGINT_TYPES = new Set(['int64', 'uint64']);
const TIME_RE = /^(time|duration|builtin_interfaces\/(msg\/)?(Time|Duration))$/;
const QUAT_RE = /^geometry_msgs\/(msg\/)?Quaternion$/;
/** ROS 1-style primitive time (some registries): its two members. */
const TIME_MEMBERS: Record<string, string> = { sec: 'int32', nsec: 'uint32', nanosec: 'uint32' };

export function isTimeType(t: string): boolean {
  return TIME_RE.test(t);
}

export interface PathContext {
  /** Where the path was written: "file:line" and the YAML key, for errors. */
  where: string;
  key: YamlPath;
}

/**
 * Resolves `path` in `rootType`. `elementPrefix` is the source of an enclosing array block: a
 * path may repeat it (`markers[].pose.position.x`) or be relative (`pose.position.x`).
 */
export function resolvePath(resolver: TypeResolver, rootType: string, path: string, ctx: PathContext, elementPrefix?: string): ResolvedPath {
  const fail = (problem: string, fix: string): never => {
    throw new ConfigError({ source: ctx.where, key: formatPath(ctx.key), problem: `"${path}": ${problem}`, fix });
  };
  let p = path;
  if (elementPrefix !== undefined) {
    // Inside an array block a path may be relative (x), repeat the block's source as written
    // (markers[].points[].x) or only its last part (points[].x).
    const full = elementPrefix.replace(/\[\]$/, '');
    const last = full.slice(full.lastIndexOf('.') + 1); // "markers[].points" → "points"
    for (const pre of [`${full}[].`, `${last}[].`]) {
      if (p.startsWith(pre)) {
        p = p.slice(pre.length);
        break;
      }
    }
  }
  const segs = p.split('.');
  const steps: Step[] = [];
  let type = rootType;
  let isArray = false;
  let arrayLength: number | undefined;
  let primitiveTime = false;
  for (let i = 0; i < segs.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d*)\])?$/.exec(segs[i]);
    if (!m) fail(`"${segs[i]}" is not a field name (optionally with [index])`, 'write dotted field names, e.g. pose.position.x or position_covariance[0]');
    const [, name, idx] = m!;
    if (isArray) fail(`"${segs.slice(0, i).join('.')}" is an array`, 'index it, e.g. name[0].field, or use an array block for all elements');
    if (primitiveTime) {
      if (!(name in TIME_MEMBERS) || idx !== undefined) fail(`a time stamp has only sec and nanosec`, 'use .sec or .nanosec, or the stamp itself');
      steps.push({ key: name === 'nsec' ? 'nanosec' : name, index: -1 });
      type = TIME_MEMBERS[name];
      primitiveTime = false;
      continue;
    }
    if (!resolver.has(type)) fail(`message type ${type} is not known`, 'check the message type name (pkg/msg/Type) and that its package is installed');
    const defs = resolver.fields(type).filter((f) => !(f as { isConstant?: boolean }).isConstant);
    const f = defs.find((d) => d.name === name);
    if (!f) fail(`${type} has no field "${name}"`, `fields of ${type}: ${defs.map((d) => d.name).join(', ')}`);
    if (idx !== undefined && !f!.isArray) fail(`"${name}" is not an array`, `remove [${idx}]`);
    if (idx === '') {
      fail(`"${name}[]" (all elements) only works in an array block`, `make an array block with source: ${segs.slice(0, i + 1).join('.').replace(/\[\]$/, '')}, and relative sources inside`);
    }
    const index = idx === undefined ? -1 : Number(idx);
    if (index >= 0 && f!.arrayLength !== undefined && index >= f!.arrayLength) fail(`index ${index} is beyond ${name}'s fixed length ${f!.arrayLength}`, `use an index below ${f!.arrayLength}`);
    if (index >= 0 && f!.arrayUpperBound !== undefined && index >= f!.arrayUpperBound) fail(`index ${index} is beyond ${name}'s bound ${f!.arrayUpperBound}`, `use an index below ${f!.arrayUpperBound}`);
    steps.push({ key: name, index });
    type = f!.type;
    isArray = f!.isArray && index < 0;
    arrayLength = isArray ? f!.arrayLength : undefined;
    if (!f!.isComplex && isTimeType(type) && i < segs.length - 1) primitiveTime = true;
  }
  let leaf: LeafKind;
  if (NUMBER_TYPES.has(type)) leaf = 'number';
  else if (BIGINT_TYPES.has(type)) leaf = 'bigint';
  else if (type === 'bool') leaf = 'bool';
  else if (type === 'string' || type === 'wstring') leaf = 'string';
  else if (isTimeType(type)) leaf = 'time';
  else if (QUAT_RE.test(type)) leaf = 'quaternion';
  else if (isArray) {
    return { steps, leaf: 'number', rosType: type, isArray, elementType: type, arrayLength };
  } else {
    const names = resolver.has(type) ? resolver.fields(type).filter((f) => !(f as { isConstant?: boolean }).isConstant).map((f) => f.name) : [];
    return fail(`ends at a ${type} message, not at a value`, `continue the path to one of its fields: ${names.join(', ')}`);
  }
  return { steps, leaf, rosType: type, isArray, arrayLength };
}

export type Getter = (o: unknown) => unknown;

/** Compiles steps into a getter; undefined anywhere along the way yields undefined. */
export function makeGetter(steps: readonly Step[]): Getter {
  const keys = steps.map((s) => s.key);
  const idx = steps.map((s) => s.index);
  const n = keys.length;
  if (n === 1 && idx[0] < 0) {
    const k0 = keys[0];
    return (o) => (o as Record<string, unknown> | undefined)?.[k0];
  }
  if (n === 2 && idx[0] < 0 && idx[1] < 0) {
    const [k0, k1] = keys;
    return (o) => ((o as Record<string, Record<string, unknown> | undefined> | undefined)?.[k0])?.[k1];
  }
  if (n === 3 && idx[0] < 0 && idx[1] < 0 && idx[2] < 0) {
    const [k0, k1, k2] = keys;
    return (o) => ((o as Record<string, Record<string, Record<string, unknown> | undefined> | undefined> | undefined)?.[k0]?.[k1])?.[k2];
  }
  return (o) => {
    let v = o as Record<string, unknown> | undefined;
    for (let i = 0; i < n; i++) {
      if (v == null) return undefined;
      v = v[keys[i]] as Record<string, unknown> | undefined;
      const j = idx[i];
      if (j >= 0) {
        if (v == null) return undefined;
        v = (v as unknown as ArrayLike<unknown>)[j] as Record<string, unknown> | undefined;
      }
    }
    return v;
  };
}

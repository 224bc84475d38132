// The layout file format (YAML), validated with zod. Every error names the file, the line and the
// YAML path of the offending key (e.g. `objects.yaml:14: fields[2].fields[0].type`), so a
// dSPACE-side engineer can fix a layout without reading code.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../runtime/errors.js';
import { closestName } from '../runtime/params.js';
import { wireType, WIRE_TYPE_HELP } from './wire_types.js';

export type Endianness = 'little' | 'big';
export type OverflowPolicy = 'count' | 'clamp' | 'refuse';
export type TimeUnit = 's' | 'ms' | 'us' | 'ns';
export type YamlPath = (string | number)[];

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier (letters, digits, _; not starting with a digit)');
const endianness = z.enum(['little', 'big']);
const overflow = z.enum(['count', 'clamp', 'refuse']);
const timeUnit = z.enum(['s', 'ms', 'us', 'ns']);
const typeName = z.string().refine((t) => wireType(t) !== undefined, { message: `unknown type; use one of ${WIRE_TYPE_HELP}` });
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** `sequence: u16` is short for `sequence: {type: u16}`. */
const typeShorthand = (v: unknown) => (typeof v === 'string' ? { type: v } : v);

const headerSchema = z.strictObject({
  magic: z.preprocess(
    (v) => (typeof v === 'number' || typeof v === 'string' ? { value: v } : v),
    z.strictObject({ value: z.union([z.number().int().min(0), z.string().min(1)]), type: typeName.optional() }),
  ).optional(),
  version: z.preprocess((v) => (typeof v === 'number' ? { value: v } : v), z.strictObject({ value: z.number().int().min(0), type: typeName.default('u8') })).optional(),
  flags: z.preprocess(typeShorthand, z.strictObject({ type: typeName.default('u8') })).optional(),
  sequence: z.preprocess(
    typeShorthand,
    z.strictObject({ type: typeName.default('u32'), modulo: z.number().int().min(2).optional(), start: z.number().int().min(0).default(0) }),
  ).optional(),
  send_time: z.preprocess(typeShorthand, z.strictObject({ type: typeName.default('f64'), time_unit: timeUnit.optional() })).optional(),
  payload_length: z.preprocess(typeShorthand, z.strictObject({ type: typeName.default('u16') })).optional(),
  crc32: z.preprocess((v) => (v === true ? {} : v), z.strictObject({ endianness: endianness.optional() })).optional(),
});

const topSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  /** ROS type whose fields the sources refer to (may come from the node's config instead). */
  message: z.string().optional(),
  endianness: endianness.default('little'),
  /** Link MTU; packets larger than MTU − 28 (IPv4 + UDP headers) get a warning (fragmentation). */
  mtu: z.number().int().min(68).max(65535).default(1500),
  overflow: overflow.default('clamp'),
  header: headerSchema.optional(),
  fields: z.array(z.unknown()).min(1, 'a layout needs at least one field'),
});

const scalarSchema = z.strictObject({
  name: identifier,
  type: typeName,
  description: z.string().optional(),
  source: z.string().min(1).optional(),
  value: z.union([z.number(), z.boolean(), z.string()]).optional(),
  count_of: identifier.optional(),
  count: z.number().int().min(1).optional(),
  endianness: endianness.optional(),
  scale: finite.refine((v) => v !== 0, 'must not be 0').optional(),
  offset: finite.optional(),
  unit: z.string().optional(),
  default: z.union([finite, z.boolean(), z.string()]).optional(),
  overflow: overflow.optional(),
  time_unit: timeUnit.optional(),
  quaternion: z.enum(['roll', 'pitch', 'yaw']).optional(),
  at: z.number().int().min(0).optional(),
});

const arraySchema = z.strictObject({
  name: identifier,
  description: z.string().optional(),
  source: z.string().min(1),
  max_count: z.number().int().min(1),
  fields: z.array(z.unknown()).min(1, 'an array needs at least one field per element'),
  at: z.number().int().min(0).optional(),
});

const padSchema = z.strictObject({ pad: z.number().int().min(1), description: z.string().optional() });
const alignSchema = z.strictObject({ align: z.number().int().min(1).max(4096), description: z.string().optional() });

export type HeaderDoc = z.infer<typeof headerSchema>;

export interface ScalarDoc extends z.infer<typeof scalarSchema> {
  kind: 'scalar';
  path: YamlPath;
}
export interface ArrayDoc extends Omit<z.infer<typeof arraySchema>, 'fields'> {
  kind: 'array';
  path: YamlPath;
  fields: ItemDoc[];
}
export interface PadDoc {
  kind: 'pad';
  pad: number;
  path: YamlPath;
}
export interface AlignDoc {
  kind: 'align';
  align: number;
  path: YamlPath;
}
export type ItemDoc = ScalarDoc | ArrayDoc | PadDoc | AlignDoc;

export interface LayoutDoc {
  name: string;
  description?: string;
  message?: string;
  endianness: Endianness;
  mtu: number;
  overflow: OverflowPolicy;
  header?: HeaderDoc;
  fields: ItemDoc[];
  /** File name (or a label) the layout came from, for messages. */
  file: string;
  /** "file:line" for a YAML path, for error messages. */
  where(path: YamlPath): string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

/** Reads and validates a layout file. Throws ConfigError naming file:line and key. */
export function loadLayoutFile(file: string): LayoutDoc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError({ source: file, key: '(file)', problem: `cannot read the layout file (${(e as Error).message})`, fix: 'check the path of the layout' });
  }
  return parseLayout(text, file);
}

/** Validates layout YAML text; `file` names it in errors. */
export function parseLayout(text: string, file: string): LayoutDoc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    const lineText = line ? (text.split('\n')[line - 1] ?? '') : '';
    // `{type: char[8]}` in a flow mapping reads `[` as a list: the classic layout-file typo.
    const fix = /char\[\d+\]/.test(lineText) && !/["']char\[/.test(lineText) ? 'quote the type inside {...}: type: "char[8]"' : 'correct the YAML syntax at that line';
    throw new ConfigError({ source: line ? `${file}:${line}` : file, key: '(YAML)', problem: `not valid YAML: ${e.message.split('\n')[0]}`, fix });
  }
  const where = (path: YamlPath): string => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return `${file}:${lineCounter.linePos(node.range[0]).line}`;
    }
    return file;
  };
  const fail = (path: YamlPath, problem: string, fix: string): never => {
    throw new ConfigError({ source: where(path), key: formatPath(path), problem, fix });
  };
  const check = <S extends z.ZodType>(schema: S, value: unknown, base: YamlPath): z.infer<S> => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    // A misspelt key also makes the key it was meant to be missing: report the unknown key.
    const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0];
    const path = [...base, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0];
      const allowed = allowedKeys(schemaAt(schema, issue.path as (string | number)[]));
      const near = closestName(key, allowed);
      return fail([...path, key], `unknown key "${key}"${near ? ` (did you mean ${near}?)` : ''}`, `remove it or correct its spelling; allowed here: ${allowed.join(', ') || '(see the layout reference)'}`);
    }
    return fail(path, issue.message, fixFor(path));
  };

  let js: unknown;
  try {
    // Aliases resolve here: one to an anchor never set, or too many of them (an alias bomb), throws.
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError({ source: file, key: '(YAML)', problem: `not a usable YAML document: ${(e as Error).message.split('\n')[0]}`, fix: 'set every anchor (&name) before its alias (*name), or write the values out' });
  }
  const top = check(topSchema, js ?? {}, []);
  const parseItems = (items: unknown[], base: YamlPath): ItemDoc[] =>
    items.map((item, i) => {
      const path = [...base, i];
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        return fail(path, 'expected a mapping (a field, an array block, {pad: N} or {align: N})', 'write e.g. `- {name: x, type: f32, source: pose.position.x}`');
      }
      const o = item as Record<string, unknown>;
      if ('pad' in o) return { kind: 'pad', pad: check(padSchema, o, path).pad, path };
      if ('align' in o) return { kind: 'align', align: check(alignSchema, o, path).align, path };
      if ('fields' in o || 'max_count' in o) {
        const a = check(arraySchema, o, path);
        return { ...a, kind: 'array', path, fields: parseItems(a.fields, [...path, 'fields']) };
      }
      const s = check(scalarSchema, o, path);
      const givers = (['source', 'value', 'count_of'] as const).filter((k) => s[k] !== undefined);
      if (givers.length !== 1) {
        fail(path, givers.length ? `gives both ${givers.join(' and ')}` : 'says nowhere where its value comes from', 'give exactly one of source (a path in the message), value (a constant) or count_of (the name of an array)');
      }
      return { ...s, kind: 'scalar', path };
    });
  const fields = parseItems(top.fields, ['fields']);
  return {
    name: top.name ?? file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''),
    description: top.description,
    message: top.message,
    endianness: top.endianness,
    mtu: top.mtu,
    overflow: top.overflow,
    header: top.header,
    fields,
    file,
    where,
  };
}

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
}

const defOf = (schema: z.ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

/** Strips optional/default/nullable and preprocess (a pipe) down to the schema that checks the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  for (let s = schema; ; ) {
    const d = defOf(s);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'nonoptional') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.out) s = d.out;
    else return s;
  }
}

/** The schema at a path inside `schema` (object keys, array indexes). */
function schemaAt(schema: z.ZodType, path: readonly (string | number)[]): z.ZodType {
  let s = unwrap(schema);
  for (const p of path) {
    const d = defOf(s);
    const next = typeof p === 'number' ? d.element : d.shape?.[p];
    if (!next) return s;
    s = unwrap(next);
  }
  return s;
}

/** The keys an object schema allows ([] when it is not an object schema). */
function allowedKeys(schema: z.ZodType): string[] {
  return Object.keys(defOf(unwrap(schema)).shape ?? {});
}

function fixFor(path: YamlPath): string {
  const last = path[path.length - 1];
  switch (last) {
    case 'type':
      return `use one of ${WIRE_TYPE_HELP}`;
    case 'endianness':
      return 'use little or big';
    case 'overflow':
      return 'use count (write wrapped, count), clamp (saturate, count) or refuse (drop the packet, count)';
    case 'name':
    case 'count_of':
      return 'use an identifier such as object_count';
    default:
      return 'see the layout reference in the README';
  }
}

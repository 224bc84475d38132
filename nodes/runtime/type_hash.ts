// ROS 2 type hashes (REP-2011, "RIHS01"): what Jazzy's rosidl generates for every interface and
// what rosbag2 writes per topic (channel metadata "topic_type_hash", the bag's
// type_description_hash). Computed from the message definitions the registry holds, as
// rosidl_generator_type_description does: the type description (type name, fields with their type
// id, capacity, string capacity and nested type name; no default values, no constants) of the type
// and of every type it references, sorted by name, serialised as Python's json.dumps with
// separators (', ', ': '), hashed with SHA-256.
import { createHash } from 'node:crypto';
import type { FieldDef, MessageRegistry } from './msg_registry.js';

/** type_description_interfaces/msg/FieldType ids of the value types (suffixes added for arrays). */
const VALUE_TYPE_ID: Record<string, number> = {
  nested: 1,
  int8: 2,
  uint8: 3,
  int16: 4,
  uint16: 5,
  int32: 6,
  uint32: 7,
  int64: 8,
  uint64: 9,
  float32: 10,
  float64: 11,
  // .msg char is IDL uint8; .msg byte is IDL octet (rosidl_adapter's MSG_TYPE_TO_IDL).
  char: 3,
  bool: 15,
  byte: 16,
  string: 17,
  wstring: 18,
};
const BOUNDED_STRING = 21;
const BOUNDED_WSTRING = 22;
const ARRAY = 48;
const BOUNDED_SEQUENCE = 96;
const UNBOUNDED_SEQUENCE = 144;

interface FieldType {
  type_id: number;
  capacity: number;
  string_capacity: number;
  nested_type_name: string;
}

interface IndividualType {
  type_name: string;
  fields: { name: string; type: FieldType }[];
}

/**
 * The value type of each field as the .msg text writes it (the registry's parser folds byte and
 * char into uint8, which hash differently), by field name.
 */
function writtenTypes(registry: MessageRegistry, type: string): Map<string, string> {
  const own = registry.schemaText(type).split(`\n${'='.repeat(80)}\nMSG: `)[0];
  const out = new Map<string, string>();
  for (const raw of own.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const m = /^([A-Za-z0-9_/]+)(?:<=\d+)?(?:\[[^\]]*\])?\s+([A-Za-z][A-Za-z0-9_]*)\s*(=)?/.exec(line);
    if (!m || m[3] === '=') continue; // a constant
    out.set(m[2], m[1]);
  }
  return out;
}

function describe(registry: MessageRegistry, type: string): IndividualType {
  const written = writtenTypes(registry, type);
  const fields = registry.fields(type).map((f: FieldDef) => ({ name: f.name, type: fieldType(f, written.get(f.name)) }));
  // rosidl gives a message without fields one uint8 member (IDL structures cannot be empty).
  if (fields.length === 0) fields.push({ name: 'structure_needs_at_least_one_member', type: { type_id: VALUE_TYPE_ID.uint8, capacity: 0, string_capacity: 0, nested_type_name: '' } });
  return { type_name: type, fields };
}

function fieldType(f: FieldDef, written: string | undefined): FieldType {
  let id: number;
  let stringCapacity = 0;
  if (f.isComplex) id = VALUE_TYPE_ID.nested;
  else {
    const base = written === 'byte' || written === 'char' ? written : f.type;
    if ((base === 'string' || base === 'wstring') && f.upperBound !== undefined) {
      id = base === 'string' ? BOUNDED_STRING : BOUNDED_WSTRING;
      stringCapacity = f.upperBound;
    } else {
      id = VALUE_TYPE_ID[base];
      if (id === undefined) throw new Error(`type hash: field "${f.name}" has type "${f.type}", which REP-2011 does not define`);
    }
  }
  let capacity = 0;
  if (f.isArray) {
    if (f.arrayLength !== undefined) {
      id += ARRAY;
      capacity = f.arrayLength;
    } else if (f.arrayUpperBound !== undefined) {
      id += BOUNDED_SEQUENCE;
      capacity = f.arrayUpperBound;
    } else id += UNBOUNDED_SEQUENCE;
  }
  return { type_id: id, capacity, string_capacity: stringCapacity, nested_type_name: f.isComplex ? f.type : '' };
}

/** Python's json.dumps(..., separators=(', ', ': '), ensure_ascii=True) of the structures above. */
function pyJson(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${pyJson(k)}: ${pyJson(x)}`)
    .join(', ')}}`;
}

/** The hashed form of a type: its description and those of every type it references. */
export function typeDescriptionJson(registry: MessageRegistry, type: string): string {
  const root = describe(registry, normalise(type));
  const referenced = new Map<string, IndividualType>();
  const queue = root.fields.map((f) => f.type.nested_type_name).filter(Boolean);
  while (queue.length) {
    const t = queue.pop()!;
    if (referenced.has(t)) continue;
    const d = describe(registry, t);
    referenced.set(t, d);
    for (const f of d.fields) if (f.type.nested_type_name) queue.push(f.type.nested_type_name);
  }
  const sorted = [...referenced.keys()].sort().map((k) => referenced.get(k)!);
  return pyJson({ type_description: root, referenced_type_descriptions: sorted });
}

function normalise(type: string): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}

const cache = new WeakMap<MessageRegistry, Map<string, string>>();

/** "RIHS01_<64 hex digits>" of a message type ("pkg/msg/Type"), as rosidl generates it. */
export function typeHash(registry: MessageRegistry, type: string): string {
  let perRegistry = cache.get(registry);
  if (!perRegistry) cache.set(registry, (perRegistry = new Map()));
  const key = normalise(type);
  let hash = perRegistry.get(key);
  if (hash === undefined) {
    hash = `RIHS01_${createHash('sha256').update(typeDescriptionJson(registry, key), 'utf8').digest('hex')}`;
    perRegistry.set(key, hash);
  }
  return hash;
}

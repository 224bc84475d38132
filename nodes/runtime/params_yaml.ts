// Params files and `-p name:=value` read exactly as rcl reads them (rcl_yaml_param_parser, Jazzy:
// parse.c get_value/parse_value/parse_key/parse_file_events/parse_value_events, parser.c,
// namespace.c) and as rclpy and rclcpp hand them to a node (node.cpp
// _populate_node_parameters_from_rcl_params, parameter_map.cpp). The YAML text is parsed with the
// `yaml` package's failsafe schema (every scalar a string, with its quote style and tag), turned into
// the event stream libyaml gives rcl, and run through a port of rcl's event state machine, quirks
// included, so the local graph accepts exactly the files the real middleware accepts, with the same
// types. Checked against real rcl + rclpy by test/ros/params_parity.test.ts.
//
// The rules, in short:
//  - a scalar is a string when quoted or tagged !!str; else a bool for y/Y/yes/Yes/YES/true/True/
//    TRUE/on/On/ON (and the n/no/false/off family); else an integer when C strtoll(text, 0) takes all
//    of it (0x1F hex, 010 octal = 8; out of int64 it is not an integer); else a double when strtod
//    takes all of it without a range error (1e3, 1., .5, 08, inf, nan, .inf/.nan, 0x1p3); else a
//    string (~ and null are strings; 1e999 too);
//  - a list's elements must share one type ("Sequence should be of same type"); an empty list, or a
//    mapping `{}` as a value, gives the parameter no value at all;
//  - nested mappings under ros__parameters become dotted names (a: {b: 1} → a.b);
//  - node keys nest into namespaces (vil: {rtk: {ros__parameters: ...}} is vil/rtk) and must be valid
//    names, with * (one name) and ** (any) wildcards; aliases are refused, anchors ignored;
//  - every file and -p goes, in command-line order, into one table per node key. A value written
//    again replaces the earlier one of the same type only: `a: 1` then `-p a:=1.5` leaves both, and
//    the node gets the first in the order bool, integer, double, string, bool[], integer[], double[],
//    string[] (here the integer 1);
//  - a node reads every node key that matches its full name (`/*` one name, `/**` any), in the
//    order the keys first appeared; the last one that sets a name wins. `-p node:name:=v` is the key
//    `node`, i.e. `/node`: it reaches a node of that name in the root namespace only.
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { ConfigError } from './errors.js';

export type RclScalar =
  | { type: 'bool'; value: boolean }
  | { type: 'integer'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'string'; value: string };

/** A parameter value as rcl types it: integers are int64 (bigint), doubles IEEE doubles. */
export type RclValue =
  | RclScalar
  | { type: 'bool_array'; value: boolean[] }
  | { type: 'integer_array'; value: bigint[] }
  | { type: 'double_array'; value: number[] }
  | { type: 'string_array'; value: string[] }
  /** No value: an empty list (`[]`), or `{}` as a parameter's value. */
  | { type: 'not_set' };

export type RclType = RclValue['type'];
export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded';

/** What an override says about where it came from, for messages. */
export interface ParamOverride {
  value: RclValue;
  /** A file path with the key ("f.yaml (/**.ros__parameters.baud)") or "command line (-p baud:=...)". */
  source: string;
  /**
   * Addressed to this node by name (a params-file key whose last name is the node's, or
   * `-p node:name:=`), not only through a wildcard (`/**`, `/*`) or a bare `-p`, which every node of a
   * process sees: an undeclared name here is a misspelling, not another node's parameter.
   */
  explicit?: boolean;
  /** The YAML text as written (a scalar's text, a list's element texts), for fixes. */
  text?: string | string[];
  /** A later value of another type that rcl did not use (it keeps one value per type, see above). */
  unused?: { value: RclValue; source: string };
}

export const YAML_STR_TAG = 'tag:yaml.org,2002:str';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TRUE_WORDS = new Set(['Y', 'y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE_WORDS = new Set(['N', 'n', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const YAML_SPECIAL_FLOATS = new Set(['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF']);
// C isspace() in the "C" locale: what strtoll/strtod skip first.
const C_SPACE = '[ \\t\\n\\v\\f\\r]*';
// strtoll(text, &end, 0) with *end == '\0': hex, octal (a leading 0) or decimal, all of it.
const STRTOLL_BASE0 = new RegExp(`^${C_SPACE}([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$`);
// strtod (glibc) with *end == '\0'.
const STRTOD_DECIMAL = new RegExp(`^${C_SPACE}([+-]?)((?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$`);
const STRTOD_HEX = new RegExp(`^${C_SPACE}([+-]?)0[xX]([0-9a-fA-F]+\\.?[0-9a-fA-F]*|\\.[0-9a-fA-F]+)(?:[pP]([+-]?[0-9]+))?$`);
const STRTOD_WORD = new RegExp(`^${C_SPACE}([+-]?)(inf|infinity|nan(?:\\([0-9A-Za-z_]*\\))?)$`, 'i');
const DBL_MIN = 2.2250738585072014e-308;

/** C strtoll(text, &end, 0) when it takes the whole text without overflow; undefined otherwise. */
function strtollWhole(text: string): bigint | undefined {
  const m = STRTOLL_BASE0.exec(text);
  if (!m) return undefined;
  const digits = m[2];
  const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const v = m[1] === '-' ? -magnitude : magnitude;
  return v < INT64_MIN || v > INT64_MAX ? undefined : v; // ERANGE
}

/**
 * glibc strtod(text, &end) when it takes the whole text with errno 0; undefined otherwise. A range
 * error (overflow to ±inf, or an inexact result below DBL_MIN: 1e999, 1e-310) leaves errno set,
 * and rcl then keeps the text as a string.
 */
function strtodWhole(text: string): number | undefined {
  let m = STRTOD_WORD.exec(text);
  if (m) {
    const word = m[2].toLowerCase();
    const v = word.startsWith('inf') ? Infinity : NaN;
    return m[1] === '-' ? -v : v;
  }
  m = STRTOD_DECIMAL.exec(text);
  if (m) {
    const v = Number(m[2]);
    const magnitude = Math.abs(v);
    if (magnitude === Infinity) return undefined; // overflow
    // Underflow: a decimal below DBL_MIN is inexact (its exact value has hundreds of digits).
    if (magnitude < DBL_MIN && (magnitude !== 0 || /[1-9]/.test(m[2].split(/[eE]/)[0]))) return undefined;
    return m[1] === '-' ? -v : v;
  }
  m = STRTOD_HEX.exec(text);
  if (m) {
    const v = hexFloat(m[2], m[3] === undefined ? 0 : Number(m[3]));
    return v === undefined ? undefined : m[1] === '-' ? -v : v;
  }
  return undefined;
}

/** A C99 hex float's magnitude, rounded to nearest even; undefined on a range error (as glibc). */
function hexFloat(digits: string, exp2: number): number | undefined {
  const [whole, frac = ''] = digits.split('.');
  let mant = BigInt(`0x${whole || '0'}${frac}`);
  let e = exp2 - 4 * frac.length; // value = mant × 2^e
  if (mant === 0n) return 0;
  const bits = mant.toString(2).length;
  const top = bits - 1 + e; // value in [2^top, 2^(top+1))
  if (top > 1023) return undefined;
  // Keep 53 significant bits for a normal result; a subnormal one is a multiple of 2^-1074.
  const lowest = Math.max(top - 52, -1074);
  let exact = true;
  if (e < lowest) {
    const shift = BigInt(lowest - e);
    const rem = mant & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    mant >>= shift;
    if (rem !== 0n) exact = false;
    if (rem > half || (rem === half && (mant & 1n) === 1n)) mant += 1n;
    e = lowest;
  }
  if (top < -1022 && !exact) return undefined; // inexact subnormal: ERANGE
  if (mant === 0n) return undefined;
  const v = Number(mant) * 2 ** e;
  return v === Infinity ? undefined : v;
}

/**
 * rcl's get_value(): the type and value of one scalar as written. `text` is the scalar's content
 * (after YAML's own escapes and folding), `style` its quoting, `tag` its resolved tag if any.
 */
export function rclScalar(text: string, style: ScalarStyle = 'plain', tag?: string): RclScalar {
  const value = cString(text);
  if (tag === YAML_STR_TAG || style === 'single' || style === 'double') return { type: 'string', value };
  if (TRUE_WORDS.has(value)) return { type: 'bool', value: true };
  if (FALSE_WORDS.has(value)) return { type: 'bool', value: false };
  const i = strtollWhole(value);
  if (i !== undefined) return { type: 'integer', value: i };
  if (YAML_SPECIAL_FLOATS.has(value)) {
    const v = value.toLowerCase().endsWith('nan') ? NaN : Infinity;
    return { type: 'double', value: value.startsWith('-') ? -v : v };
  }
  const d = strtodWhole(value);
  if (d !== undefined) return { type: 'double', value: d };
  return { type: 'string', value };
}

/** rcl copies scalars as C strings: a "\0" escape ends them. */
function cString(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

// ---- Writing values so that rcl reads them with a given type -------------------------------------

/**
 * A double as YAML that rcl reads as that double: always a point or an exponent (10 → 10.0); a
 * subnormal as an exact C hex float (glibc's strtod flags 5e-324 as a range error, and rcl then
 * keeps the text as a string; 0x1p-1074 is exact and read as the double).
 */
export function doubleText(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  if (Object.is(v, -0)) return '-0.0';
  if (v !== 0 && Math.abs(v) < DBL_MIN) {
    // v = m × 2^-1074 exactly, m < 2^52.
    const m = BigInt(Math.abs(v) * 2 ** 1000 * 2 ** 74);
    return `${v < 0 ? '-' : ''}0x${m.toString(16)}p-1074`;
  }
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** A value as YAML text that rcl types as `type` (strings always quoted). */
export function rclYamlText(type: RclType | 'bool' | 'integer' | 'double' | 'string', value: unknown): string {
  switch (type) {
    case 'bool':
      return value ? 'true' : 'false';
    case 'integer':
      return String(value);
    case 'double':
      return doubleText(value as number);
    case 'string':
      return JSON.stringify(value);
    case 'bool_array':
    case 'integer_array':
    case 'double_array':
    case 'string_array': {
      const el = type.slice(0, -'_array'.length) as 'bool' | 'integer' | 'double' | 'string';
      return `[${(value as unknown[]).map((v) => rclYamlText(el, v)).join(', ')}]`;
    }
    case 'not_set':
      return '[]';
  }
}

/** An rcl value as YAML text (as rcl would read it back with the same type). */
export function showRclValue(v: RclValue): string {
  return v.type === 'not_set' ? '(no value)' : rclYamlText(v.type, v.value);
}

const TYPE_WORDS: Record<RclType, string> = {
  bool: 'a bool',
  integer: 'an integer',
  double: 'a double',
  string: 'a string',
  bool_array: 'a list of bools',
  integer_array: 'a list of integers',
  double_array: 'a list of doubles',
  string_array: 'a list of strings',
  not_set: 'no value',
};

/** "an integer", "a list of doubles", ... */
export function typeWords(t: RclType): string {
  return TYPE_WORDS[t];
}

// ---- YAML text → libyaml's event stream ------------------------------------------------------------

type YamlEvent =
  | { kind: 'scalar'; value: string; style: ScalarStyle; tag?: string; line: number; text: string }
  | { kind: 'seq_start'; line: number; items: readonly unknown[] }
  | { kind: 'seq_end'; line: number }
  | { kind: 'map_start'; line: number }
  | { kind: 'map_end'; line: number }
  | { kind: 'alias'; line: number; name: string };

const STYLES: Record<string, ScalarStyle> = {
  PLAIN: 'plain',
  QUOTE_SINGLE: 'single',
  QUOTE_DOUBLE: 'double',
  BLOCK_LITERAL: 'literal',
  BLOCK_FOLDED: 'folded',
};

class YamlSyntaxError extends Error {}

/** The events libyaml emits for `text` (documents one after another, as rcl reads them). */
function yamlEvents(text: string): YamlEvent[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: YamlEvent[] = [];
  const written = (n: YamlNode, value: string): string => (n.range ? text.slice(n.range[0], n.range[1]).trim() : value);
  const lineOf = (n: YamlNode | null | undefined, fallback: number): number => (n?.range ? lines.linePos(n.range[0]).line : fallback);
  const walk = (n: unknown, line: number): void => {
    if (n === null || n === undefined) {
      out.push({ kind: 'scalar', value: '', style: 'plain', line, text: '' });
    } else if (isScalar(n)) {
      const value = n.value === null || n.value === undefined ? '' : String(n.value);
      out.push({ kind: 'scalar', value, style: STYLES[n.type ?? 'PLAIN'] ?? 'plain', tag: n.tag, line: lineOf(n, line), text: written(n, value) });
    } else if (isAlias(n)) {
      out.push({ kind: 'alias', line: lineOf(n, line), name: n.source });
    } else if (isMap(n)) {
      const at = lineOf(n, line);
      out.push({ kind: 'map_start', line: at });
      for (const p of n.items) {
        const keyLine = lineOf(p.key as YamlNode, at);
        walk(p.key, keyLine);
        walk(p.value, keyLine);
      }
      out.push({ kind: 'map_end', line: at });
    } else if (isSeq(n)) {
      const at = lineOf(n, line);
      out.push({ kind: 'seq_start', line: at, items: n.items });
      for (const item of n.items) walk(item, at);
      out.push({ kind: 'seq_end', line: at });
    } else if (isPair(n)) {
      out.push({ kind: 'map_start', line });
      walk(n.key, line);
      walk(n.value, line);
      out.push({ kind: 'map_end', line });
    } else {
      throw new YamlSyntaxError(`unexpected YAML node at line ${line}`);
    }
  };
  for (const doc of list) {
    if (doc.errors.length) throw new YamlSyntaxError(doc.errors[0].message.split('\n')[0]);
    if (doc.contents !== null) walk(doc.contents, lineOf(doc.contents, 1));
  }
  return out;
}

// ---- rcl's table: node keys → parameter entries → one slot per type --------------------------------

type Written = Extract<YamlEvent, { kind: 'scalar' }>;

interface Slot {
  value: RclValue;
  /** The override's source ("f.yaml (/**.ros__parameters.baud)", "command line (-p baud:=...)"). */
  source: string;
  text: string | string[];
  /** Order of writing, to tell which of two slots was written last. */
  seq: number;
}

type SlotType = Exclude<RclType, 'not_set'>;

/** The order in which rclpy (node.cpp _parameter_from_rcl_variant) and rclcpp pick a slot. */
const PICK_ORDER: readonly SlotType[] = ['bool', 'integer', 'double', 'string', 'bool_array', 'integer_array', 'double_array', 'string_array'];

/** One parameter entry of a node key: rcl_variant_t, a slot per type (writing one does not clear the others). */
interface Entry {
  name: string;
  slots: Map<SlotType, Slot>;
  /** Where the entry was named, for an entry that never gets a value. */
  source: string;
}

interface NodeParams {
  /** The node key as rcl stores it ("/**", "vil/rtk_serial", "rtk_serial" from -p rtk_serial:...). */
  key: string;
  entries: Entry[];
}

/** One parameter of a node key, with the value rclpy would take from it. */
export interface RclParam {
  name: string;
  value: RclValue;
  source: string;
  text?: string | string[];
}

type ElementType = 'bool' | 'integer' | 'double' | 'string';

interface ListState {
  isSeq: boolean;
  /** The element type of the list being read (rcl's seq_data_type); undefined before its first element. */
  seqType: ElementType | undefined;
  items: readonly unknown[];
}

/** Where a value is written, for its override and for messages. */
interface ValueSite {
  /** The override's source string. */
  source: string;
  /** The file (or "command line") an error names. */
  where: string;
  /** The key an error names (without the line). */
  key: string;
  /** Files have lines; a -p value has none. */
  withLine: boolean;
}

/** The slot a node gets, and a slot of another type written after it, which it does not get. */
function pick(e: Entry): { slot?: Slot; unused?: Slot } {
  let slot: Slot | undefined;
  let latest: Slot | undefined;
  for (const t of PICK_ORDER) {
    const s = e.slots.get(t);
    if (!s) continue;
    if (!slot) slot = s;
    if (!latest || s.seq > latest.seq) latest = s;
  }
  return { slot, unused: latest !== slot ? latest : undefined };
}

/**
 * rcl_params_t: everything the params files and -p rules said, in command-line order. Read a node's
 * overrides with forNode(fqn). Errors are ConfigErrors naming the file, the key and the fix.
 */
export class RclParams {
  private readonly nodeList: NodeParams[] = [];
  private writes = 0;

  /** rcl_parse_yaml_file: a params file's text (`path` names it in messages). */
  addFile(path: string, text: string): void {
    new FileParser(this, path).run(text);
  }

  /** Reads a params file from disk (UTF-8, as libyaml insists) and adds it. */
  addFilePath(path: string): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new ConfigError({ source: path, key: '--params-file', problem: `cannot read the file (${(e as Error).message})`, fix: 'check the path given to --params-file' });
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ConfigError({ source: path, key: '(YAML)', problem: 'not valid YAML: the file is not UTF-8 text', fix: 'save the file as UTF-8' });
    }
    this.addFile(path, text);
  }

  /**
   * rcl_parse_yaml_value: `-p [node:]name:=text`, filed under the node key `node` ("/**" for a
   * bare -p). `source` names it in overrides ("command line (-p baud:=...)").
   */
  addValue(node: string, name: string, text: string, source: string): void {
    const key = `-p ${node === '/**' ? '' : `${node}:`}${name}:=${text}`;
    if (text === '') throw new ConfigError({ source: 'command line', key, problem: 'no value after :=', fix: `write -p ${name}:=<value> ("" for an empty string)` });
    let events: YamlEvent[];
    try {
      events = yamlEvents(text);
    } catch (e) {
      throw new ConfigError({ source: 'command line', key, problem: `the value is not valid YAML: ${(e as Error).message}`, fix: 'quote the value for YAML inside the shell\'s quotes, e.g. -p name:="\'a: b\'"' });
    }
    const entry = this.entry(this.node(node), name, source);
    const site: ValueSite = { source, where: 'command line', key, withLine: false };
    const list: ListState = { isSeq: false, seqType: undefined, items: [] };
    for (const ev of events) {
      switch (ev.kind) {
        case 'scalar':
          this.setValue(entry, ev, list, site);
          break;
        case 'seq_start':
          list.isSeq = true;
          list.seqType = undefined;
          list.items = ev.items;
          break;
        case 'seq_end':
          list.isSeq = false;
          break;
        default:
          // rcl: "Unknown YAML event" (a mapping, an alias).
          throw new ConfigError({
            source: 'command line',
            key,
            problem: ev.kind === 'alias' ? 'rcl refuses YAML aliases' : 'a mapping is not a parameter value for rcl',
            fix: `give one value or a list (-p ${name}:=[a, b]); set a group one name at a time (-p ${name}.x:=1)`,
          });
      }
    }
  }

  /** The node keys in the order rcl stores them, each with its parameters and the value rclpy would take. */
  nodes(): { key: string; params: RclParam[] }[] {
    return this.nodeList.map((n) => ({
      key: n.key,
      params: n.entries.map((e) => {
        const { slot } = pick(e);
        return slot ? { name: e.name, value: slot.value, source: slot.source, text: slot.text } : { name: e.name, value: { type: 'not_set' }, source: e.source };
      }),
    }));
  }

  /**
   * The overrides the node with full name `fqn` gets: rclpy/rclcpp take every node key that matches
   * the name, in table order, and the last one to set a name wins.
   */
  forNode(fqn: string): Map<string, ParamOverride> {
    const out = new Map<string, ParamOverride>();
    for (const n of this.nodeList) {
      if (!nodeKeyMatches(n.key, fqn)) continue;
      const last = n.key.split('/').filter(Boolean).pop() ?? '';
      const explicit = !last.includes('*');
      for (const e of n.entries) {
        const { slot, unused } = pick(e);
        const o: ParamOverride = slot ? { value: slot.value, source: slot.source, explicit, text: slot.text } : { value: { type: 'not_set' }, source: e.source, explicit };
        if (unused) o.unused = { value: unused.value, source: unused.source };
        out.set(e.name, o);
      }
    }
    return out;
  }

  // -- what rcl's parser calls -----------------------------------------------------------------------

  /** find_node */
  node(key: string): NodeParams {
    let n = this.nodeList.find((x) => x.key === key);
    if (!n) {
      n = { key, entries: [] };
      this.nodeList.push(n);
    }
    return n;
  }

  /** find_parameter: the first entry of that name, or a new one. */
  entry(node: NodeParams, name: string, source: string): Entry {
    let e = node.entries.find((x) => x.name === name);
    if (!e) {
      e = { name, slots: new Map(), source };
      node.entries.push(e);
    }
    return e;
  }

  /** parse_value: one scalar into an entry, as its value or as the next element of the list being read. */
  setValue(entry: Entry, ev: Written, list: ListState, site: ValueSite): void {
    const at = site.withLine ? `${site.key} (line ${ev.line})` : site.key;
    const quoted = ev.style === 'single' || ev.style === 'double';
    if (!quoted && ev.value.length === 0) {
      throw new ConfigError({
        source: site.where,
        key: at,
        problem: `no value (rcl: "No value at line ${ev.line}"; an empty value is not null for rcl)`,
        fix: 'give a value, or leave the parameter out to keep the node\'s default ("" is an empty string)',
      });
    }
    const v = rclScalar(ev.value, ev.style, ev.tag);
    const seq = ++this.writes;
    if (!list.isSeq) {
      entry.slots.set(v.type, { value: v, source: site.source, text: ev.text, seq });
      return;
    }
    const arrayType = `${v.type}_array` as const;
    if (list.seqType === undefined) {
      list.seqType = v.type;
      entry.slots.set(arrayType, { value: { type: arrayType, value: [] } as RclValue, source: site.source, text: [], seq });
    } else if (list.seqType !== v.type) {
      throw mixedListError(list, v.type, ev, site.where, at);
    }
    const slot = entry.slots.get(arrayType)!;
    (slot.value as { value: unknown[] }).value.push(v.value);
    (slot.text as string[]).push(ev.text);
    slot.seq = seq;
  }
}

/** An element of a list as rcl types it, with its text as written. */
function element(item: unknown): { type: ElementType; value: unknown; text: string } | undefined {
  if (!isScalar(item)) return undefined;
  const value = item.value === null || item.value === undefined ? '' : String(item.value);
  const s = rclScalar(value, STYLES[item.type ?? 'PLAIN'] ?? 'plain', item.tag);
  const quoted = item.type === 'QUOTE_DOUBLE' || item.type === 'QUOTE_SINGLE';
  return { type: s.type, value: s.value, text: quoted ? JSON.stringify(value) : value };
}

/** "Sequence should be of same type", with the list and a list that rcl would take. */
function mixedListError(list: ListState, got: ElementType, ev: Written, where: string, key: string): ConfigError {
  const els = list.items.map(element);
  const types = new Set(els.map((e) => e?.type));
  const shown = `[${els.map((e) => e?.text ?? '?').join(', ')}]`;
  let fix: string;
  if ([...types].every((t) => t === 'integer' || t === 'double')) {
    const doubles = els.map((e) => (e?.type === 'integer' ? doubleText(Number(e.value)) : (e?.text ?? '?')));
    fix = `write every element with a decimal point: [${doubles.join(', ')}] (rcl reads 0 as an integer and 0.0 as a double)`;
  } else if (types.has('string')) {
    fix = `quote every element: [${list.items.map((item) => (isScalar(item) ? JSON.stringify(String(item.value ?? '')) : '?')).join(', ')}]`;
  } else {
    fix = 'write every element as the same type';
  }
  const word = (t: ElementType) => typeWords(t).replace(/^an? /, '');
  return new ConfigError({
    source: where,
    key,
    problem: `a list of mixed types ${shown}: ${word(list.seqType!)} first, then the ${word(got)} ${ev.text} (rcl: "Sequence should be of same type"; the whole file is refused, every node fails to start)`,
    fix,
  });
}

// ---- rcl's parse_file_events, ported ---------------------------------------------------------------

const PARAMS_KEY = 'ros__parameters';
const NODE_LEVEL = 1;
const PARAMS_LEVEL = 2;

class FileParser {
  private isKey = true;
  private mapLevel = NODE_LEVEL;
  private mapDepth = 0;
  private isNewMap = false;
  private nodeNs: string | null = null;
  private numNodeNs = 0;
  private paramNs: string | null = null;
  private numParamNs = 0;
  private node: NodeParams | undefined;
  private entry: Entry | undefined;
  private list: ListState = { isSeq: false, seqType: undefined, items: [] };
  /** The depth of the ros__parameters mapping being read. */
  private paramsDepth = -1;
  /** Where an empty mapping ended ros__parameters early (rcl's MAPPING_END at the params level), for messages. */
  private earlyEnd: { line: number; name: string } | undefined;

  constructor(
    private readonly table: RclParams,
    private readonly path: string,
  ) {}

  run(text: string): void {
    let events: YamlEvent[];
    try {
      events = yamlEvents(text);
    } catch (e) {
      throw new ConfigError({ source: this.path, key: '(YAML)', problem: `not valid YAML: ${(e as Error).message}`, fix: 'correct the YAML syntax at the position shown' });
    }
    for (const ev of events) this.step(ev);
  }

  private fail(key: string, problem: string, fix: string): never {
    throw new ConfigError({ source: this.path, key, problem, fix });
  }

  private source(name: string): string {
    return `${this.path} (${this.node!.key}.${PARAMS_KEY}.${name})`;
  }

  private step(ev: YamlEvent): void {
    switch (ev.kind) {
      case 'scalar':
        if (this.isKey) {
          this.key(ev);
          this.isKey = false;
        } else {
          this.value(ev);
        }
        return;
      case 'seq_start':
        if (this.isKey) {
          this.fail(`line ${ev.line}`, 'a list where rcl expects a name (a list of lists, a list of mappings, or a list as a key)', 'a parameter\'s list holds single values only: name: [a, b, c]');
        }
        if (this.mapLevel < PARAMS_LEVEL) {
          const early = this.earlyEnd;
          this.fail(
            `${this.nodeNs ?? '(top level)'} (line ${ev.line})`,
            early ? `a list outside ros__parameters: the empty mapping {} of ${early.name} (line ${early.line}) ends ros__parameters for rcl` : 'a list outside ros__parameters',
            early ? `give ${early.name} a value or leave it out` : 'put the parameters under `<node>:` → `ros__parameters:`',
          );
        }
        this.list = { isSeq: true, seqType: undefined, items: ev.items };
        return;
      case 'seq_end':
        this.list.isSeq = false;
        this.isKey = true;
        return;
      case 'map_start':
        this.mapDepth++;
        this.isNewMap = true;
        this.isKey = true;
        // The ros__parameters mapping itself opens no parameter namespace.
        if (this.mapLevel === PARAMS_LEVEL && this.mapDepth - (this.numNodeNs + 1) === 2) {
          this.isNewMap = false;
          this.paramsDepth = this.mapDepth;
        }
        return;
      case 'map_end':
        if (this.mapLevel === PARAMS_LEVEL) {
          if (this.numParamNs > 0) {
            this.paramNs = remName(this.paramNs, this.numParamNs, '.');
            this.numParamNs--;
          } else {
            if (this.mapDepth !== this.paramsDepth) this.earlyEnd = { line: ev.line, name: this.entry?.name ?? '?' };
            this.mapLevel--;
          }
        } else if (this.mapLevel === NODE_LEVEL && this.mapDepth === this.numNodeNs + 1) {
          this.nodeNs = remName(this.nodeNs, this.numNodeNs, '/');
          if (this.numNodeNs > 0) this.numNodeNs--;
        }
        this.mapDepth--;
        return;
      case 'alias':
        this.fail(`line ${ev.line}`, `an alias (*${ev.name}): rcl refuses YAML aliases (an anchor alone is fine)`, 'write the value out in full');
    }
  }

  /** parse_key */
  private key(ev: Written): void {
    const value = cString(ev.value);
    if (ev.value.length === 0) this.fail(`line ${ev.line}`, `an empty key (rcl: "No key at line ${ev.line}")`, 'give the key a name, or remove the line');
    if (this.mapLevel === NODE_LEVEL) {
      if (!value.startsWith(PARAMS_KEY)) {
        this.nodeNs = addName(this.nodeNs, this.numNodeNs, value, '/');
        this.numNodeNs++;
        return;
      }
      if (this.numNodeNs === 0) {
        this.fail(`${value} (line ${ev.line})`, 'ros__parameters is not under a node name', 'put it under a node key: `/**:` for every node, `<node name>:` or `/<namespace>/<node name>:` for one');
      }
      const nodeKey = this.nodeNs!;
      const invalid = nodeKeyProblem(nodeKey);
      if (invalid) {
        this.fail(
          `${nodeKey} (line ${ev.line})`,
          `not a node key rcl accepts: ${invalid}`,
          'node keys are `/**` (every node), `<node>` or `/<namespace>/<node>`; `*` stands for one name, `**` for any number; names are letters, digits and _, not starting with a digit',
        );
      }
      this.node = this.table.node(nodeKey);
      this.entry = undefined;
      this.nodeNs = remName(this.nodeNs, this.numNodeNs, '/');
      this.numNodeNs--;
      this.mapLevel++;
      return;
    }
    // MAP_PARAMS_LVL: a parameter name, or the next name of a nested mapping (a: {b: 1} → a.b).
    if (this.isNewMap) {
      const outer = this.entry?.name;
      if (outer === undefined) this.fail(`line ${ev.line}`, 'a mapping where rcl expects a parameter name', 'write name: value pairs under ros__parameters');
      this.paramNs = outer;
      this.numParamNs++;
      this.isNewMap = false;
    }
    if (this.paramNs === null) {
      this.entry = this.table.entry(this.node!, value, this.source(value));
    } else {
      // rcl finds (or adds) the entry named after the namespace and renames it.
      const name = `${this.paramNs}.${value}`;
      this.entry = this.table.entry(this.node!, this.paramNs, this.source(name));
      this.entry.name = name;
      this.entry.source = this.source(name);
    }
  }

  /** The value branch of parse_file_events' SCALAR case, then parse_value. */
  private value(ev: Written): void {
    if (this.mapLevel < PARAMS_LEVEL) {
      const early = this.earlyEnd;
      const section = this.numNodeNs > 1 ? remName(this.nodeNs, this.numNodeNs, '/') : this.nodeNs;
      this.fail(
        `${section ?? '(top level)'} (line ${ev.line})`,
        early
          ? `a value outside ros__parameters: the empty mapping {} of ${early.name} (line ${early.line}) ends ros__parameters for rcl (rcl: "Cannot have a value before ros__parameters")`
          : `section has no ros__parameters (rcl: "Cannot have a value before ros__parameters")`,
        early ? `give ${early.name} a value or leave it out` : `indent the parameters under \`${section ?? '<node>'}:\` → \`ros__parameters:\``,
      );
    }
    const node = this.node!;
    if (node.entries.length === 0) {
      this.fail(
        `${node.key}.${PARAMS_KEY} (line ${ev.line})`,
        'ros__parameters holds no parameters: rcl refuses an empty or single value here (rcl: "Cannot have a value before ros__parameters")',
        'write `ros__parameters: {}` for none, or put the parameters under it',
      );
    }
    // rcl's parameter index starts at 0 in each file.
    const entry = (this.entry ??= node.entries[0]);
    this.table.setValue(entry, ev, this.list, { source: this.source(entry.name), where: this.path, key: `${node.key}.${PARAMS_KEY}.${entry.name}`, withLine: true });
    if (!this.list.isSeq) this.isKey = true;
  }
}

/** namespace.c add_name_to_ns */
function addName(ns: string | null, count: number, name: string, sep: string): string {
  if (count === 0 || ns === null) return name;
  return ns.endsWith(sep) ? `${ns}${name}` : `${ns}${sep}${name}`;
}

/** namespace.c rem_name_from_ns: drops the last name (nothing when there is no separator). */
function remName(ns: string | null, count: number, sep: string): string | null {
  if (count === 0) return ns;
  if (count === 1 || ns === null) return null;
  const at = ns.lastIndexOf(sep);
  return at < 0 ? ns : ns.slice(0, at);
}

// ---- node keys -------------------------------------------------------------------------------------

const RMW_NODE_NAME_MAX = 255;
const RMW_NAMESPACE_MAX = 255 - 8 - 2;

/** rmw_validate_node_name's verdict, or undefined when valid. */
function nodeNameProblem(name: string): string | undefined {
  if (name === '') return 'node name must not be empty';
  if (!/^[A-Za-z0-9_]+$/.test(name)) return "node name must not contain characters other than alphanumerics or '_'";
  if (/^[0-9]/.test(name)) return 'node name must not start with a number';
  if (name.length > RMW_NODE_NAME_MAX) return `node name length should not exceed '${RMW_NODE_NAME_MAX}'`;
  return undefined;
}

/** rmw_validate_namespace's verdict, or undefined when valid. */
function namespaceProblem(ns: string): string | undefined {
  if (ns === '/') return undefined;
  if (ns === '') return 'namespace must not be empty';
  if (!ns.startsWith('/')) return "namespace must be absolute, it must lead with a '/'";
  if (ns.endsWith('/')) return "namespace must not end with a '/', unless only a '/'";
  if (!/^[A-Za-z0-9_/]+$/.test(ns)) return "namespace must not contain characters other than alphanumerics, '_', or '/'";
  if (ns.includes('//')) return "namespace must not contain repeated '/'";
  if (/\/[0-9]/.test(ns)) return 'namespace must not have a token that starts with a number';
  if (ns.length > RMW_NAMESPACE_MAX) return `namespace should not exceed '${RMW_NAMESPACE_MAX}'`;
  return undefined;
}

/** parse.c _validate_name: why rcl refuses a node key, or undefined. */
export function nodeKeyProblem(key: string): string | undefined {
  if (key === '/**' || key === '/*') return undefined;
  const at = key.lastIndexOf('/');
  const name = at < 0 ? key : key.slice(at + 1);
  if (at >= 0) {
    const ns = key.startsWith('/') ? key.slice(0, at + 1) : `/${key.slice(0, at + 1)}`;
    let i = 0;
    let next = ns.indexOf('/', 1);
    if (next < 0) {
      const p = namespaceProblem(ns);
      if (p) return p;
    }
    while (next >= 0) {
      const piece = ns.slice(i, next);
      if (piece === '/') return `${ns} contains repeated forward slash`;
      if (piece !== '/**' && piece !== '/*') {
        const p = namespaceProblem(piece);
        if (p) return p;
      }
      i = next;
      next = ns.indexOf('/', i + 1);
    }
  }
  if (name !== '*' && name !== '**') return nodeNameProblem(name);
  return undefined;
}

/**
 * rclpy/rclcpp: does node key `key` apply to the node `fqn`? A "/" is put in front, every "/*"
 * becomes "(/\w+)" (so "/**" is "(/\w+)*"), and the result must match the whole name.
 */
export function nodeKeyMatches(key: string, fqn: string): boolean {
  const k = key.startsWith('/') ? key : `/${key}`;
  const pattern = k
    .split('/*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('(/\\w+)');
  try {
    return new RegExp(`^(?:${pattern})$`).test(fqn);
  } catch {
    return false;
  }
}

// Declared parameters, read the ROS way: defaults in code, then what `--params-file` files and
// `-p name:=value` say for the node, read exactly as rcl reads them (params_yaml.ts: rcl's types,
// rcl's refusals, its node-key matching and precedence), then checked as strictly as rclpy and
// rclcpp check a declared parameter: the value's type must be the declared type (an integer is not a
// double, a number is not a string), within the range and choices. Both ROS implementations use the
// same specs; the local graph also uses this resolver, so it accepts what the real middleware accepts.
import { ConfigError } from './errors.js';
import { doubleText, RclParams, rclYamlText, showRclValue, typeWords, type ParamOverride, type RclValue } from './params_yaml.js';

export { nodeKeyMatches, type ParamOverride, type RclValue } from './params_yaml.js';

export type ParamType =
  | 'bool'
  | 'integer'
  | 'double'
  | 'string'
  | 'bool_array'
  | 'integer_array'
  | 'double_array'
  | 'string_array';

interface ParamSpecBase<T> {
  default: T;
  description: string;
  /** Extra guidance printed with errors, e.g. the unit or an example. */
  hint?: string;
}

export type ParamSpec =
  | ({ type: 'bool' } & ParamSpecBase<boolean>)
  | ({ type: 'integer'; min?: number; max?: number } & ParamSpecBase<number>)
  | ({ type: 'double'; min?: number; max?: number } & ParamSpecBase<number>)
  | ({ type: 'string'; choices?: readonly string[] } & ParamSpecBase<string>)
  | ({ type: 'bool_array' } & ParamSpecBase<boolean[]>)
  | ({ type: 'integer_array' } & ParamSpecBase<number[]>)
  | ({ type: 'double_array' } & ParamSpecBase<number[]>)
  | ({ type: 'string_array' } & ParamSpecBase<string[]>);

export type ParamSpecs = Record<string, ParamSpec>;

type ValueOf<S extends ParamSpec> = S extends { type: 'bool' }
  ? boolean
  : S extends { type: 'integer' | 'double' }
    ? number
    : S extends { type: 'string'; choices: readonly (infer C)[] }
      ? C
      : S extends { type: 'string' }
        ? string
        : S extends { type: 'bool_array' }
          ? boolean[]
          : S extends { type: 'integer_array' | 'double_array' }
            ? number[]
            : string[];

export type ParamValues<S extends ParamSpecs> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Keeps literal types of a spec table (choices) while checking it against ParamSpecs. */
export function defineParams<const S extends ParamSpecs>(specs: S): S {
  return specs;
}

/** What `--ros-args` said, as far as vil needs it. */
export interface RosArgs {
  paramsFiles: string[];
  /** `-p name:=value` and `-p node:name:=value`, the value typed as rcl types it. */
  params: ParamRule[];
  /** `-r from:=to`, optionally `node:from:=to`. */
  remaps: { node?: string; from: string; to: string }[];
  namespace?: string;
  nodeName?: string;
  logLevel?: string;
  /** Arguments outside `--ros-args ... --` (or after it): the program's own. */
  rest: string[];
}

/** One `-p [node:]name:=value`. */
export interface ParamRule {
  /** The node name before `:`, if any (rcl files the value under that key: `/node`, the root namespace). */
  node?: string;
  name: string;
  /** The value as written. */
  text: string;
  /** The value as rcl types it. */
  value: RclValue;
  /** How many --params-file came before it: files and -p apply in command-line order. */
  afterFiles: number;
}

/** Parses ROS 2 command-line arguments as rcl documents them (`ros2 run --help`). */
export function parseRosArgs(argv: readonly string[]): RosArgs {
  const out: RosArgs = { paramsFiles: [], params: [], remaps: [], rest: [] };
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--ros-args') {
      inRos = true;
      continue;
    }
    if (!inRos) {
      out.rest.push(arg);
      continue;
    }
    if (arg === '--') {
      inRos = false;
      continue;
    }
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) {
        throw new ConfigError({ source: 'command line', key: arg, problem: 'needs a value', fix: `give a value after ${arg}` });
      }
      return v;
    };
    switch (arg) {
      case '--params-file':
        out.paramsFiles.push(next());
        break;
      case '-p':
      case '--param':
        out.params.push(parseParamRule(next(), arg, out.paramsFiles.length));
        break;
      case '-r':
      case '--remap': {
        const r = parseAssignment(next(), arg, (node, from, to) => ({ node, from, to }));
        if (r.from === '__ns') out.namespace = normaliseNamespace(r.to);
        else if (r.from === '__node' || r.from === '__name') out.nodeName = r.to;
        else out.remaps.push(r);
        break;
      }
      case '--log-level':
        out.logLevel = next().replace(/^.*:=/, '').toLowerCase();
        break;
      case '--enclave':
      case '-e':
        next();
        break;
      default:
        // --disable-rosout-logs, --log-config-file, etc.: rcl's business; harmless for the local graph.
        if (arg === '--log-config-file') next();
        break;
    }
  }
  return out;
}

function parseAssignment<T>(text: string, flag: string, make: (node: string | undefined, a: string, b: string) => T): T {
  const at = text.indexOf(':=');
  if (at <= 0) {
    throw new ConfigError({ source: 'command line', key: `${flag} ${text}`, problem: 'expected name:=value', fix: `write ${flag} name:=value` });
  }
  let left = text.slice(0, at);
  const right = text.slice(at + 2);
  let node: string | undefined;
  const colon = left.indexOf(':');
  if (colon > 0) {
    node = left.slice(0, colon);
    left = left.slice(colon + 1);
  }
  return make(node, left, right);
}

const NODE_TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PARAM_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]*|\/)+(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\/)+)*$/;

/** rcl's _rcl_parse_param_rule: `[node:]name:=value`, the value typed by rcl_parse_yaml_value. */
function parseParamRule(text: string, flag: string, afterFiles: number): ParamRule {
  const rule = parseAssignment(text, flag, (node, name, value) => ({ node, name, text: value }));
  const key = `${flag} ${text}`;
  if (rule.node !== undefined && !NODE_TOKEN.test(rule.node)) {
    throw new ConfigError({ source: 'command line', key, problem: `"${rule.node}" before ":" is not a node name rcl takes here (no namespace, no wildcard)`, fix: `write ${flag} <node name>:${rule.name}:=..., or a params file section for a namespaced node (/<namespace>/<node>:)` });
  }
  if (!PARAM_NAME.test(rule.name)) {
    throw new ConfigError({ source: 'command line', key, problem: `"${rule.name}" is not a parameter name rcl takes`, fix: 'parameter names are letters, digits and _, in groups joined by dots (filter.talkers)' });
  }
  const one = new RclParams();
  one.addValue(rule.node ?? '/**', rule.name, rule.text, paramRuleSource(rule));
  return { ...rule, value: one.nodes()[0].params[0].value, afterFiles };
}

function paramRuleSource(p: { node?: string; name: string }): string {
  return `command line (-p ${p.node === undefined ? '' : `${p.node}:`}${p.name}:=...)`;
}

export function normaliseNamespace(ns: string): string {
  if (ns === '' || ns === '/') return '/';
  const withSlash = ns.startsWith('/') ? ns : `/${ns}`;
  return withSlash.replace(/\/+$/, '');
}

export function fullyQualifiedName(namespace: string, name: string): string {
  return namespace === '/' ? `/${name}` : `${namespace}/${name}`;
}

const tables = new WeakMap<RosArgs, { files: string; table: RclParams }>();

/**
 * What the params files and -p rules of `args` say, read once per RosArgs (as rcl reads its
 * arguments once per process): files and -p in command-line order into one table, as rcl does.
 */
export function paramsTable(args: RosArgs): RclParams {
  const files = JSON.stringify(args.paramsFiles);
  const cached = tables.get(args);
  if (cached && cached.files === files) return cached.table;
  const table = new RclParams();
  const rules = [...args.params].sort((x, y) => x.afterFiles - y.afterFiles);
  let r = 0;
  const addRulesUpTo = (n: number) => {
    for (; r < rules.length && rules[r].afterFiles <= n; r++) table.addValue(rules[r].node ?? '/**', rules[r].name, rules[r].text, paramRuleSource(rules[r]));
  };
  args.paramsFiles.forEach((path, i) => {
    addRulesUpTo(i);
    table.addFilePath(path);
  });
  addRulesUpTo(Infinity);
  tables.set(args, { files, table });
  return table;
}

/**
 * Every override that applies to the node `fqn`, as rclpy and rclcpp take them from rcl: every node
 * key matching the name, in the order the keys first appeared, the last setting of a name winning.
 * (`nodeName` is kept for callers; the key's last name decides `explicit`.)
 */
export function collectOverrides(args: RosArgs, fqn: string, _nodeName?: string): Map<string, ParamOverride> {
  return paramsTable(args).forNode(fqn);
}

/** An override's value as a plain JS value (integers as numbers where exact), for display. */
export function plainValue(v: RclValue): unknown {
  if (v.type === 'not_set') return undefined;
  if (v.type === 'integer') return bigintToNumber(v.value);
  if (v.type === 'integer_array') return v.value.map(bigintToNumber);
  return v.value;
}

function bigintToNumber(v: bigint): number | bigint {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/**
 * Applies overrides to declared specs, checking type, range and choices. Unknown overrides are
 * returned so the caller can warn (a misspelt parameter name is a classic silent misconfiguration).
 */
export function resolveParams<S extends ParamSpecs>(
  specs: S,
  overrides: ReadonlyMap<string, ParamOverride>,
): { values: ParamValues<S>; unknown: string[] } {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const o = overrides.get(name);
    values[name] = o === undefined ? spec.default : coerce(name, spec, o);
  }
  const unknown = [...overrides.keys()].filter((k) => !(k in specs) && k !== 'use_sim_time' && !k.startsWith('qos_overrides.'));
  return { values: values as ParamValues<S>, unknown };
}

/**
 * The override's value for a declared parameter, as strict as rclpy/rclcpp declare_parameter: the
 * type rcl gave the value must be the declared type ("Trying to set parameter 'x' to '1' of type
 * 'INTEGER', expecting type 'DOUBLE'"); then range and choices. Integers come back as JS numbers:
 * vil refuses an int64 beyond ±(2^53 − 1), which a number cannot hold exactly.
 */
export function coerce(name: string, spec: ParamSpec, o: ParamOverride): unknown {
  const fail = (problem: string, fix: string): never => {
    throw new ConfigError({ source: o.source, key: name, problem, fix: `${fix}${spec.hint ? ` (${spec.hint})` : ''}` });
  };
  const v = o.value;
  if (v.type === 'not_set') {
    fail(
      'no value: rcl gives an empty list [] (or an empty mapping {}) no type, so the parameter gets none (rclcpp refuses it, rclpy leaves the parameter unset)',
      `leave ${name} out to keep the default ${rclYamlText(spec.type, spec.default)}, or give at least one element`,
    );
  }
  if (v.type !== spec.type) {
    const unused = o.unused && o.unused.value.type === spec.type
      ? `; the ${typeWords(o.unused.value.type).replace(/^an? /, '')} ${showRclValue(o.unused.value)} from ${o.unused.source} is not used: rcl keeps one value per type and hands over ${typeWords(v.type)} first`
      : '';
    fail(
      `expected ${typeWords(spec.type)}, got ${typeWords(v.type)}: ${written(o)}${v.type === 'string' || !o.text ? '' : ` (rcl reads ${written(o)} as ${typeWords(v.type)})`}${unused}`,
      unused ? `give ${name} the same type everywhere it is set: ${typeFix(name, spec, o)}` : typeFix(name, spec, o),
    );
  }
  switch (spec.type) {
    case 'bool':
    case 'string': {
      const s = (v as { value: boolean | string }).value;
      if (spec.type === 'string' && spec.choices && !spec.choices.includes(s as string)) fail(`"${s}" is not one of ${spec.choices.join(', ')}`, `set ${name} to one of: ${spec.choices.join(', ')}`);
      return s;
    }
    case 'integer':
    case 'double': {
      const n = spec.type === 'integer' ? exactNumber(name, (v as { value: bigint }).value, fail) : (v as { value: number }).value;
      const ranged = spec.min !== undefined || spec.max !== undefined;
      if (ranged && !Number.isFinite(n)) fail(`${showRclValue(v)} is outside the range ${rangeText(spec)}`, `set ${name} to a number in ${rangeText(spec)}`);
      if (spec.min !== undefined && n < spec.min) fail(`${n} is below the minimum ${spec.min}`, `use a value ≥ ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) fail(`${n} is above the maximum ${spec.max}`, `use a value ≤ ${spec.max}`);
      return n;
    }
    case 'integer_array':
      return (v as { value: bigint[] }).value.map((x, i) => exactNumber(`${name}[${i}]`, x, fail));
    case 'bool_array':
    case 'double_array':
    case 'string_array':
      return [...(v as { value: unknown[] }).value];
  }
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function exactNumber(name: string, v: bigint, fail: (problem: string, fix: string) => never): number {
  if (v > MAX_EXACT || v < -MAX_EXACT) {
    fail(
      `${v} is beyond ±9007199254740991 (2^53 − 1): rcl reads it as an int64, but vil keeps integers as JavaScript numbers, which cannot hold it exactly, so vil refuses it rather than round it`,
      `use an integer within ±9007199254740991 for ${name}`,
    );
  }
  return Number(v);
}

function rangeText(spec: { min?: number; max?: number }): string {
  return `${spec.min ?? '-∞'}..${spec.max ?? '∞'}`;
}

/** The value as the user wrote it (the YAML text), or as rcl holds it. */
function written(o: ParamOverride): string {
  if (typeof o.text === 'string') return o.text;
  if (Array.isArray(o.text)) return `[${o.text.join(', ')}]`;
  return showRclValue(o.value);
}

/** How to write the value so that rcl gives it the declared type. */
function typeFix(name: string, spec: ParamSpec, o: ParamOverride): string {
  const v = o.value;
  const text = written(o);
  const want = spec.type;
  const isArray = (t: string) => t.endsWith('_array');
  if (isArray(want) && !isArray(v.type) && v.type !== 'not_set') return `write a list: ${name}: [${text}]`;
  if (!isArray(want) && isArray(v.type)) return `write one value, not a list (${want})`;
  if (want === 'double' && v.type === 'integer') return `write ${doubleText(Number(v.value))} for a double`;
  if (want === 'integer' && v.type === 'double') {
    return Number.isInteger(v.value) ? `write ${v.value} without a decimal point for an integer` : `set ${name} to a whole number`;
  }
  if (want === 'string') return `quote it: ${JSON.stringify(v.type === 'string' ? v.value : text)}`;
  if (want === 'bool') {
    if (v.type === 'string' && /^(true|false|yes|no|on|off)$/i.test(v.value)) return `write ${v.value.toLowerCase()} without quotes`;
    return `set ${name} to true or false`;
  }
  if ((want === 'integer' || want === 'double') && v.type === 'string') {
    const retyped = /^(['"])(.*)\1$/.test(text) ? text.slice(1, -1) : undefined;
    return retyped !== undefined && /^[+-]?[0-9.]/.test(retyped) ? `remove the quotes: ${retyped}` : `set ${name} to ${want === 'integer' ? 'an integer' : 'a number with a decimal point'} (${spec.description})`;
  }
  if (want === 'double_array' && v.type === 'integer_array') return `write every element with a decimal point: [${v.value.map((x) => doubleText(Number(x))).join(', ')}]`;
  if (want === 'integer_array' && v.type === 'double_array') return `write every element as a whole number without a decimal point`;
  if (want === 'string_array' && isArray(v.type) && v.type !== 'not_set') {
    const texts = Array.isArray(o.text) ? o.text : (v as { value: unknown[] }).value.map(String);
    return `quote every element: [${texts.map((t) => JSON.stringify(t.replace(/^(['"])(.*)\1$/, '$2'))).join(', ')}]`;
  }
  return `write ${name} as ${typeWords(want)}, e.g. ${rclYamlText(want, spec.default)}`;
}

/**
 * Notes about overrides that rcl resolves surprisingly: a declared parameter set twice with
 * different types, where the node gets the earlier value (see params_yaml.ts). For a warning.
 */
export function unusedOverrideNotes(specs: ParamSpecs, overrides: ReadonlyMap<string, ParamOverride>): string[] {
  const notes: string[] = [];
  for (const name of Object.keys(specs)) {
    const o = overrides.get(name);
    if (!o?.unused) continue;
    notes.push(
      `parameter "${name}": ${showRclValue(o.unused.value)} from ${o.unused.source} is not used; rcl keeps one value per type and the node gets ${typeWords(o.value.type)}, ${showRclValue(o.value)} from ${o.source}. Set ${name} with the same type everywhere`,
    );
  }
  return notes;
}

/**
 * The declared name closest to a misspelt one ("prot" → "port"), by edit distance with adjacent
 * transpositions, case-insensitive; undefined when none is close (at most 1 edit per 3 characters,
 * at least 1).
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const a = name.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(a.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(a, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}

/** " Did you mean "port"?" or "", for messages about an undeclared parameter. */
export function didYouMean(name: string, declared: Iterable<string>): string {
  const c = closestName(name, declared);
  return c === undefined ? '' : ` Did you mean "${c}"?`;
}

// Declared parameters, read the ROS way: defaults in code, then `--params-file` YAML sections that
// match the node's fully qualified name (`/**`, `/*`, `/ns/name`, `name`), then `-p name:=value`.
// Both ROS implementations use the same specs; the local graph also uses this resolver.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';

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
  /** `-p name:=value` (value parsed as YAML, as rcl does), and `node:name:=value`. */
  params: { node?: string; name: string; value: unknown }[];
  /** `-r from:=to`, optionally `node:from:=to`. */
  remaps: { node?: string; from: string; to: string }[];
  namespace?: string;
  nodeName?: string;
  logLevel?: string;
  /** Arguments outside `--ros-args ... --` (or after it): the program's own. */
  rest: string[];
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
        out.params.push(parseAssignment(next(), arg, (node, name, value) => ({ node, name, value: parseYamlScalar(value) })));
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

function parseYamlScalar(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

export function normaliseNamespace(ns: string): string {
  if (ns === '' || ns === '/') return '/';
  const withSlash = ns.startsWith('/') ? ns : `/${ns}`;
  return withSlash.replace(/\/+$/, '');
}

export function fullyQualifiedName(namespace: string, name: string): string {
  return namespace === '/' ? `/${name}` : `${namespace}/${name}`;
}

/** rcl's node-name matching for params-file keys: `/**` any depth, `/*` one segment. */
export function nodeKeyMatches(key: string, fqn: string): boolean {
  const k = key.startsWith('/') ? key : `/${key}`;
  const pattern = k
    .split('/')
    .map((seg) => (seg === '**' ? '\u0000' : seg === '*' ? '[^/]+' : seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
    .replace(/\/\u0000/g, '(?:/[^/]+)*');
  return new RegExp(`^${pattern}$`).test(fqn);
}

/** Flattens `a: {b: 1}` under ros__parameters into `a.b`, as rcl does. */
function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, name, out);
    else out.set(name, v);
  }
}

export interface ParamOverride {
  value: unknown;
  /** Where it came from, for error messages: a file path or "command line (-p)". */
  source: string;
  /**
   * Addressed to this node by name (a params-file section whose last segment is the node's name,
   * or `-p node:name:=`), not only through a wildcard (`/**`) or a bare `-p`, which every node of a
   * process sees: an undeclared name here is a misspelling, not another node's parameter.
   */
  explicit?: boolean;
}

const fileCache = new Map<string, unknown>();

function loadParamsFile(path: string): unknown {
  let doc = fileCache.get(path);
  if (doc !== undefined) return doc;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError({ source: path, key: '--params-file', problem: `cannot read the file (${(e as Error).message})`, fix: 'check the path given to --params-file' });
  }
  try {
    doc = parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError({ source: path, key: '(YAML)', problem: `not valid YAML: ${(e as Error).message}`, fix: 'correct the YAML syntax at the position shown' });
  }
  fileCache.set(path, doc);
  return doc;
}

/** Every override that applies to the node, later sources winning (files in order, then -p). */
export function collectOverrides(args: RosArgs, fqn: string, nodeName: string): Map<string, ParamOverride> {
  const out = new Map<string, ParamOverride>();
  for (const path of args.paramsFiles) {
    const doc = loadParamsFile(path);
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new ConfigError({ source: path, key: '(top level)', problem: 'expected a mapping of node names to ros__parameters', fix: 'start the file with `/**:` or `<node name>:` then `ros__parameters:`' });
    }
    for (const [key, section] of Object.entries(doc as Record<string, unknown>)) {
      if (!nodeKeyMatches(key, fqn)) continue;
      const params = (section as Record<string, unknown> | null)?.ros__parameters;
      if (params === undefined) {
        throw new ConfigError({ source: path, key, problem: 'section has no ros__parameters', fix: `indent the parameters under \`${key}:\` → \`ros__parameters:\`` });
      }
      if (params === null) continue;
      const flat = new Map<string, unknown>();
      flatten(params as Record<string, unknown>, '', flat);
      const last = key.split('/').filter(Boolean).pop() ?? '';
      const explicit = last === nodeName;
      for (const [name, value] of flat) out.set(name, { value, source: `${path} (${key}.ros__parameters.${name})`, explicit });
    }
  }
  for (const p of args.params) {
    if (p.node !== undefined && p.node !== nodeName) continue;
    out.set(p.name, { value: p.value, source: `command line (-p ${p.node ? `${p.node}:` : ''}${p.name}:=...)`, explicit: p.node !== undefined });
  }
  return out;
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

export function coerce(name: string, spec: ParamSpec, o: ParamOverride): unknown {
  const fail = (problem: string, fix: string): never => {
    throw new ConfigError({ source: o.source, key: name, problem, fix: `${fix}${spec.hint ? ` (${spec.hint})` : ''}` });
  };
  const v = o.value;
  const show = JSON.stringify(v);
  switch (spec.type) {
    case 'bool':
      if (typeof v !== 'boolean') fail(`expected true or false, got ${show}`, `set ${name} to true or false`);
      return v;
    case 'integer':
    case 'double': {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`expected a number, got ${show}`, `set ${name} to a number (${spec.description})`);
      const n = v as number;
      if (spec.type === 'integer' && !Number.isInteger(n)) fail(`expected an integer, got ${show}`, `set ${name} to a whole number`);
      if (spec.min !== undefined && n < spec.min) fail(`${n} is below the minimum ${spec.min}`, `use a value ≥ ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) fail(`${n} is above the maximum ${spec.max}`, `use a value ≤ ${spec.max}`);
      return n;
    }
    case 'string': {
      if (typeof v !== 'string') {
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        fail(`expected a string, got ${show}`, `quote the value of ${name}`);
      }
      if (spec.choices && !spec.choices.includes(v as string)) fail(`"${v}" is not one of ${spec.choices.join(', ')}`, `set ${name} to one of: ${spec.choices.join(', ')}`);
      return v;
    }
    case 'bool_array':
    case 'integer_array':
    case 'double_array':
    case 'string_array': {
      if (!Array.isArray(v)) fail(`expected a list, got ${show}`, `write ${name}: [a, b, ...]`);
      const el = spec.type.replace('_array', '') as 'bool' | 'integer' | 'double' | 'string';
      return (v as unknown[]).map((x, i) =>
        coerce(`${name}[${i}]`, { type: el, default: undefined as never, description: spec.description } as ParamSpec, { value: x, source: o.source }),
      );
    }
  }
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

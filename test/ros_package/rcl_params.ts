// How rcl reads a params file (`--params-file`), for checking vil's files where rcl is not
// installed: the node keys it accepts and the type it gives each value. Written from
// ros2/rcl rcl_yaml_param_parser/src/parse.c (get_value, parse_value, __validate_name, parse_key)
// and parser.c: unquoted scalars are bool (y/yes/true/on/n/no/false/off in three spellings), then
// integer if C strtol(base 0) takes the whole text, then double if strtod does, else string; a
// quoted scalar is always a string; a list's elements must share one type; nested maps become
// dotted names; anchors/aliases are refused. An empty list gets no type at all (the parameter has
// no value), so it is reported here too. Node keys: `/**`, or `[namespace/]name` where the
// namespace is `/**` or valid and the name is `*` or valid.
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Node as YamlNode } from 'yaml';
import type { ParamType } from '../../nodes/runtime/params.js';

export interface RclParam {
  name: string;
  type: ParamType;
  line: number;
}

export interface RclSection {
  key: string;
  params: RclParam[];
}

export interface RclParamsFile {
  sections: RclSection[];
  errors: string[];
}

const TRUE_WORDS = new Set(['Y', 'y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE_WORDS = new Set(['N', 'n', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
// strtol(value, &end, 0) consuming everything: optional space and sign, then hex, octal or decimal.
const STRTOL_BASE0 = /^\s*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
// strtod consuming everything: decimal or hex floating point, inf/infinity, nan[(chars)].
const STRTOD = /^\s*[+-]?(((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)|(0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?)|inf(inity)?|nan(\([0-9A-Za-z_]*\))?)$/i;
const YAML_SPECIAL_FLOATS = new Set(['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF']);

type Scalar1 = 'bool' | 'integer' | 'double' | 'string';

/** rcl's get_value(): the type of one scalar as written (its source text and quoting). */
export function rclScalarType(text: string, quoted: boolean): Scalar1 {
  if (quoted) return 'string';
  if (TRUE_WORDS.has(text) || FALSE_WORDS.has(text)) return 'bool';
  if (STRTOL_BASE0.test(text)) {
    // errno ERANGE (outside int64) makes strtol fail; strtod then takes it as a double.
    const big = BigInt(text.trim().replace(/^\+/, '').replace(/^(-?)0([0-7]+)$/, '$10o$2'));
    if (big >= -(2n ** 63n) && big < 2n ** 63n) return 'integer';
    return 'double';
  }
  if (YAML_SPECIAL_FLOATS.has(text) || STRTOD.test(text)) return 'double';
  return 'string';
}

const NAME_TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** rmw_validate_node_name. */
function validNodeName(name: string): boolean {
  return NAME_TOKEN.test(name) && name.length < 255;
}

/** rmw_validate_namespace (absolute): tokens of letters, digits, underscores, not starting with a digit. */
function validNamespace(ns: string): boolean {
  if (ns === '/') return true;
  if (!ns.startsWith('/') || ns.endsWith('/')) return false;
  return ns.slice(1).split('/').every((t) => NAME_TOKEN.test(t));
}

/** rcl's __validate_name() for a node key. */
export function rclNodeKeyError(key: string): string | undefined {
  if (key === '/**') return undefined;
  const at = key.lastIndexOf('/');
  const name = at < 0 ? key : key.slice(at + 1);
  if (at >= 0) {
    let ns = key.slice(0, at);
    if (!ns.startsWith('/')) ns = `/${ns}`;
    if (ns !== '/**' && !validNamespace(ns)) return `namespace "${ns}" of node key "${key}" is not valid`;
  }
  if (name !== '*' && !validNodeName(name)) return `node name "${name}" of node key "${key}" is not valid`;
  return undefined;
}

function lineOf(text: string, node: YamlNode | null | undefined): number {
  const offset = node?.range?.[0] ?? 0;
  return text.slice(0, offset).split('\n').length;
}

function scalarType(node: Scalar): Scalar1 {
  const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
  return rclScalarType(quoted ? String(node.value) : (node.source ?? String(node.value)), quoted);
}

/** The params file as rcl reads it: sections, parameter names and rcl's types; errors as rcl would refuse. */
export function readRclParams(text: string): RclParamsFile {
  const out: RclParamsFile = { sections: [], errors: [] };
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) {
    out.errors.push(...doc.errors.map((e) => e.message));
    return out;
  }
  const root = doc.contents;
  if (!isMap(root)) {
    out.errors.push('the top level is not a mapping of node names');
    return out;
  }
  for (const item of root.items) {
    const key = String(isScalar(item.key) ? item.key.value : item.key);
    const keyError = rclNodeKeyError(key);
    if (keyError) out.errors.push(`line ${lineOf(text, item.key as YamlNode)}: ${keyError}`);
    const section: RclSection = { key, params: [] };
    out.sections.push(section);
    const body = item.value;
    const params = isMap(body) ? body.items.find((p) => isScalar(p.key) && p.key.value === 'ros__parameters') : undefined;
    if (!isMap(body) || !params || body.items.length !== 1) {
      out.errors.push(`line ${lineOf(text, item.key as YamlNode)}: ${key} must hold exactly ros__parameters (nested node namespaces are not used by vil)`);
      continue;
    }
    const walk = (node: unknown, prefix: string, keyNode: YamlNode) => {
      const line = lineOf(text, keyNode);
      if (isAlias(node) || (node as { anchor?: string } | null)?.anchor) {
        out.errors.push(`line ${line}: ${prefix}: rcl refuses anchors and aliases`);
      } else if (isMap(node)) {
        for (const p of node.items) walk(p.value, `${prefix}.${String((p.key as Scalar).value)}`, p.key as YamlNode);
      } else if (isSeq(node)) {
        if (node.items.length === 0) {
          out.errors.push(`line ${line}: ${prefix}: rcl cannot type an empty list (the parameter would have no value); leave the parameter out`);
          return;
        }
        const types = node.items.map((el) => (isScalar(el) ? scalarType(el) : undefined));
        if (types.some((t) => t === undefined)) {
          out.errors.push(`line ${line}: ${prefix}: lists may hold scalars only`);
          return;
        }
        if (new Set(types).size > 1) {
          out.errors.push(`line ${line}: ${prefix}: rcl needs one element type per list, got ${types.join(', ')}`);
          return;
        }
        section.params.push({ name: prefix, type: `${types[0]}_array` as ParamType, line });
      } else if (isScalar(node)) {
        if (node.type === Scalar.PLAIN && (node.source ?? '') === '') {
          out.errors.push(`line ${line}: ${prefix}: no value (rcl: "No value at line ${line}")`);
          return;
        }
        section.params.push({ name: prefix, type: scalarType(node), line });
      } else {
        out.errors.push(`line ${line}: ${prefix}: no value`);
      }
    };
    const value = params.value;
    if (isMap(value)) {
      for (const p of value.items) walk(p.value, String((p.key as Scalar).value), p.key as YamlNode);
    } else if (!(isScalar(value) && value.value === null)) {
      out.errors.push(`${key}.ros__parameters is not a mapping`);
    }
  }
  return out;
}

// Params files and -p values read as rcl reads them (nodes/runtime/params_yaml.ts), and declared
// parameters resolved from them (nodes/runtime/params.ts). Inputs: the project's params files
// (config/*.params.yaml, config/sim_pose.yaml, test/fixtures/doctor/params.yaml) with line edits
// (a value replaced by a nasty scalar, lines deleted, repeated, re-indented, characters YAML cares
// about inserted), and generated files: node keys valid and not (nested, wildcards, namespaces),
// values of every kind rcl types (numbers in every C spelling, the bool words, quoted and tagged
// text, lists mixed and nested, {}, anchors and aliases), several documents; -p values of the same.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../nodes/runtime/errors.js';
import { projectRoot } from '../../../nodes/runtime/msg_registry.js';
import { coerce, type ParamSpec, type ParamType } from '../../../nodes/runtime/params.js';
import { nodeKeyProblem, RclParams, rclScalar, rclYamlText, type RclValue } from '../../../nodes/runtime/params_yaml.js';
import { invariant, sameData, show, type FuzzProbe, type FuzzTarget } from '../target.js';

const ROOT = projectRoot();
const FILES = ['config/vil.params.yaml', 'config/demo.params.yaml', 'config/sim_pose.yaml', 'test/fixtures/doctor/params.yaml'].map((f) => readFileSync(join(ROOT, f), 'utf8'));

const INT_TEXT = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('0', '-0', '+0', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '0x7FFFFFFFFFFFFFFF', '0x8000000000000000', '-0x8000000000000000', '07777777777777777777777', '010', '08', '0x', '0x1G', '9007199254740993'),
);
/** Scalars as written: every spelling rcl's get_value tells apart, and near misses. */
const SCALAR_TEXT = fc.oneof(
  INT_TEXT,
  fc.double().map(String),
  fc.double({ noNaN: true }).map((d) => d.toExponential()),
  fc.constantFrom(
    '1.', '.5', '1e3', '1E-3', '1e', '1e+', '.e1', '0x1p3', '0x1.8p1', '0x1p-1074', '0x1.8p-1074', '0x.8p1', '1e999', '-1e999', '1e-310', '4.9406564584124654e-324', '2.2250738585072014e-308',
    'inf', '-inf', 'Infinity', 'infinit', 'nan', 'NaN', 'nan(1_x)', 'nan(', '.nan', '.NaN', '-.nan', '.inf', '+.Inf', '-.INF', '.Inf.',
    'yes', 'Yes', 'YES', 'yEs', 'y', 'Y', 'n', 'no', 'on', 'On', 'ON', 'off', 'true', 'False', 'TRUE', 'tRue',
    '~', 'null', 'Null', '', '""', "''", '"5"', "'1.5'", '!!str 1', '!!str', '! 5', '!!float 1', '!!int "2"', '"a\\0b"', '"\\t1"', '|-\n  12', '>\n  1.5', '1_000', '0b101', '0o17', '+', '-', '.',
    '/dev/ttyACM0', '127.0.0.1:30100', 'a b', '"x: y"', '#c', '&a 1', '*a', '[]', '{}', '[1, 2]', '[1, 1.5]', '[a, 5]', '[x, y]', '[[1, 2]]', '[1, [2.5]]', '[[1], [2]]', '[{x: 1}]', '[yes, no]', '[1.0, 2.0]', '{a: 1}',
  ),
  fc.string({ maxLength: 12 }),
);
const KEY = fc.oneof(
  fc.constantFrom('/**', '/*', '**', 'rtk_serial', '/rtk_serial', '/vil/rtk_serial', 'vil/rtk_serial', '/**/rtk_serial', '/**/vil/rtk_serial', '/vil/*', '/*/rtk_serial', '/vil//x', '/9vil/x', '/vil/x-y', '/vil/', '"/**"', 'ros__parameters', 'ros__parameters_x', 'a: b'),
  fc.stringMatching(/^\/?[a-z_]{1,6}(\/[a-z_*]{1,6}){0,2}$/),
);
const NAME = fc.oneof(fc.constantFrom('a', 'b', 'baud', 'rate_hz', 'use_sim_time', 'lever_arm', 'uere', 'a.b', 'ros__parameters', '""', '1'), fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/));

/** A generated params file (as text). */
const generated: fc.Arbitrary<string> = fc
  .array(
    fc.record({
      key: KEY,
      nestedKey: fc.option(KEY, { nil: undefined }),
      params: fc.array(fc.record({ name: NAME, value: SCALAR_TEXT, nested: fc.option(fc.array(fc.record({ name: NAME, value: SCALAR_TEXT }), { maxLength: 3 }), { nil: undefined }), block: fc.boolean() }), { maxLength: 6 }),
      paramsKey: fc.constantFrom('ros__parameters', 'ros__parameters', 'ros__parameters', 'ros_parameters', ''),
      docBreak: fc.boolean(),
    }),
    { maxLength: 4 },
  )
  .map((sections) =>
    sections
      .map((s) => {
        const lines: string[] = [];
        let ind = '';
        lines.push(`${s.key}:`);
        if (s.nestedKey !== undefined) {
          ind = '  ';
          lines.push(`  ${s.nestedKey}:`);
        }
        if (s.paramsKey) lines.push(`${ind}  ${s.paramsKey}:`);
        for (const p of s.params) {
          if (p.nested) {
            lines.push(`${ind}    ${p.name}:`);
            for (const q of p.nested) lines.push(`${ind}      ${q.name}: ${q.value.replace(/\n/g, `\n${ind}        `)}`);
          } else if (p.block && p.value.startsWith('[') && !p.value.includes('{')) {
            lines.push(`${ind}    ${p.name}:`);
            for (const el of p.value.slice(1, -1).split(',').filter((x) => x.trim())) lines.push(`${ind}      - ${el.trim()}`);
          } else {
            lines.push(`${ind}    ${p.name}: ${p.value.replace(/\n/g, `\n${ind}      `)}`);
          }
        }
        return `${lines.join('\n')}\n${s.docBreak ? '---\n' : ''}`;
      })
      .join(''),
  );

type LineEdit = { kind: 'value' | 'delete' | 'repeat' | 'indent' | 'char'; line: number; text: string; at: number };
const LINE_EDIT: fc.Arbitrary<LineEdit> = fc.record({
  kind: fc.constantFrom('value', 'value', 'value', 'delete', 'repeat', 'indent', 'char'),
  line: fc.nat(),
  text: fc.oneof(SCALAR_TEXT, fc.constantFrom(':', '-', '[', ']', '{', '}', '&', '*', '!', '"', "'", '#', '|', '>', '\t', ' ', '%', '@', '`', '?', ',')),
  at: fc.nat(),
});

function edit(text: string, edits: readonly LineEdit[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    if (lines.length === 0) break;
    const i = e.line % lines.length;
    const l = lines[i];
    if (e.kind === 'value') {
      const colon = l.indexOf(': ');
      lines[i] = colon < 0 ? l : `${l.slice(0, colon + 2)}${e.text.replace(/\n/g, ' ')}`;
    } else if (e.kind === 'delete') lines.splice(i, 1);
    else if (e.kind === 'repeat') lines.splice(i, 0, l);
    else if (e.kind === 'indent') lines[i] = e.at % 2 ? `  ${l}` : l.replace(/^ {1,2}/, '');
    else lines[i] = `${l.slice(0, e.at % (l.length + 1))}${e.text.slice(0, 1)}${l.slice(e.at % (l.length + 1))}`;
  }
  return lines.join('\n');
}

export interface ParamsInput {
  text: string;
  /** -p values, each read as rcl_parse_yaml_value reads them. */
  values: string[];
  /** Values written with rclYamlText, read back. */
  written: { type: ParamType; value: unknown }[];
}

const WRITTEN = fc.oneof(
  fc.boolean().map((v) => ({ type: 'bool' as const, value: v })),
  fc.integer().map((v) => ({ type: 'integer' as const, value: v })),
  fc.double().map((v) => ({ type: 'double' as const, value: v })),
  fc.string({ maxLength: 16 }).map((v) => ({ type: 'string' as const, value: v.replace(/\0/g, '') })),
  fc.array(fc.double(), { minLength: 1, maxLength: 4 }).map((v) => ({ type: 'double_array' as const, value: v })),
  fc.array(fc.integer(), { minLength: 1, maxLength: 4 }).map((v) => ({ type: 'integer_array' as const, value: v })),
  fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }).map((v) => ({ type: 'bool_array' as const, value: v })),
  fc.array(fc.string({ maxLength: 8 }).map((s) => s.replace(/\0/g, '')), { minLength: 1, maxLength: 4 }).map((v) => ({ type: 'string_array' as const, value: v })),
);

export const paramsInput: fc.Arbitrary<ParamsInput> = fc.record({
  text: fc.oneof(
    { weight: 2, arbitrary: fc.record({ file: fc.nat({ max: FILES.length - 1 }), edits: fc.array(LINE_EDIT, { minLength: 1, maxLength: 6 }) }).map((x) => edit(FILES[x.file], x.edits)) },
    { weight: 3, arbitrary: generated },
    { weight: 1, arbitrary: fc.tuple(generated, fc.array(LINE_EDIT, { maxLength: 4 })).map(([t, e]) => edit(t, e)) },
  ),
  values: fc.array(SCALAR_TEXT, { maxLength: 4 }),
  written: fc.array(WRITTEN, { maxLength: 4 }),
});

const TYPES: readonly ParamType[] = ['bool', 'integer', 'double', 'string', 'bool_array', 'integer_array', 'double_array', 'string_array'];
const FQNS = ['/rtk_serial', '/vil/rtk_serial', '/a/b/c', '/x'];

function checkValue(v: RclValue, where: string): void {
  const el = (x: unknown, t: string) => {
    if (t === 'integer') invariant(typeof x === 'bigint' && x >= -(2n ** 63n) && x < 2n ** 63n, `${where}: integer ${show(x)} outside int64`);
    else if (t === 'double') invariant(typeof x === 'number', `${where}: double ${show(x)}`);
    else if (t === 'bool') invariant(typeof x === 'boolean', `${where}: bool ${show(x)}`);
    else invariant(typeof x === 'string' && !x.includes('\0'), `${where}: string ${show(x)} (C strings end at \\0)`);
  };
  if (v.type === 'not_set') return;
  if (v.type.endsWith('_array')) {
    const arr = (v as { value: unknown[] }).value;
    invariant(Array.isArray(arr) && arr.length > 0, `${where}: an rcl list has at least one element: ${show(v)}`);
    for (const x of arr) el(x, v.type.slice(0, -6));
  } else el((v as { value: unknown }).value, v.type);
}

/** Reading gives a table or a ConfigError; nothing else escapes. */
function read(text: string): RclParams | undefined {
  const t = new RclParams();
  try {
    t.addFile('fuzz.yaml', text);
    return t;
  } catch (e) {
    invariant(e instanceof ConfigError, () => `reading threw ${(e as Error)?.stack ?? String(e)}`);
    invariant(e.source === 'fuzz.yaml' && e.key.length > 0 && e.problem.length > 0 && e.fix.length > 0, `a ConfigError names the file, the key, the problem and the fix: ${e.message}`);
    return undefined;
  }
}

export function checkParams(x: ParamsInput): void {
  const t = read(x.text);
  if (t) {
    for (const n of t.nodes()) {
      invariant(nodeKeyProblem(n.key) === undefined, `node key ${show(n.key)} was accepted though rcl refuses it`);
      for (const p of n.params) checkValue(p.value, `${n.key}.${p.name}`);
    }
    for (const fqn of FQNS) {
      for (const [name, o] of t.forNode(fqn)) {
        for (const type of TYPES) {
          const spec = { type, default: type.endsWith('_array') ? [] : type === 'string' ? '' : type === 'bool' ? false : 0, description: 'fuzz' } as ParamSpec;
          try {
            const v = coerce(name, spec, o);
            invariant(o.value.type === type, `${name}: ${o.value.type} accepted for a ${type}`);
            if (type === 'integer' || type === 'double') invariant(typeof v === 'number', `${name}: ${show(v)} for a ${type}`);
          } catch (e) {
            invariant(e instanceof ConfigError, () => `coerce threw ${(e as Error)?.stack ?? String(e)}`);
          }
        }
      }
    }
  }
  // -p values: a value or a ConfigError.
  for (const text of x.values) {
    const p = new RclParams();
    try {
      p.addValue('/**', 'a', text, 'command line (-p a:=...)');
      checkValue(p.nodes()[0].params[0].value, `-p a:=${text}`);
    } catch (e) {
      invariant(e instanceof ConfigError, () => `-p a:=${text} threw ${(e as Error)?.stack ?? String(e)}`);
    }
    // A plain scalar: get_value's type agrees with the oracle for decimal integers.
    if (/^[+-]?[1-9][0-9]*$/.test(text)) {
      const big = BigInt(text);
      const s = rclScalar(text);
      if (big >= -(2n ** 63n) && big < 2n ** 63n) invariant(s.type === 'integer' && s.value === big, `${text}: ${show(s)}`);
      else invariant(s.type === 'double', `${text} is beyond int64: strtod reads it, got ${show(s)}`);
    }
  }
  // Written for a type, read back as that type and value.
  for (const w of x.written) {
    const text = rclYamlText(w.type, w.value);
    const p = new RclParams();
    p.addValue('/**', 'a', text, 'written');
    const back = p.nodes()[0].params[0].value;
    invariant(back.type === w.type, `${show(w)} written as ${text} reads back as ${show(back)}`);
    const plain = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
    const got = (back as { value: unknown }).value;
    invariant(sameData(Array.isArray(got) ? got.map(plain) : plain(got), w.value), `${show(w)} written as ${text} reads back as ${show(back)}`);
  }
}

export const paramsTarget: FuzzTarget = {
  name: 'params',
  checks: [
    'reading a generated or edited params file gives rcl\'s table or a ConfigError naming the file, key, problem and fix: nothing else escapes',
    'every value read is well formed: integers within int64 (bigint), lists of one element type and at least one element, strings without \\0; every node key accepted is one rcl accepts',
    'each node\'s overrides resolve for every declared type to a value of exactly that type or a ConfigError',
    '-p values: a value or a ConfigError; a decimal integer is an integer within int64 and a double beyond it',
    'a value written for a type (rclYamlText) reads back as that type and value (doubles bit for bit, -0 and NaN included)',
  ],
  property: (probe: FuzzProbe) =>
    fc.property(paramsInput, (x) => {
      probe.begin(x.text);
      checkParams(x);
      return true;
    }),
  replay(_name, bytes) {
    // Stored inputs: a params file; replayed with seeded -p values and written values.
    const text = Buffer.from(bytes).toString('utf8');
    const extras = fc.sample(fc.record({ values: fc.array(SCALAR_TEXT, { maxLength: 4 }), written: fc.array(WRITTEN, { maxLength: 4 }) }), { seed: 42, numRuns: 10 });
    for (const e of extras) checkParams({ text, ...e });
  },
  corpusFile: (x) => ({ ext: '.yaml', bytes: Buffer.from((x as ParamsInput).text) }),
  describe: (x) => {
    const i = x as ParamsInput;
    return `params file:\n${i.text}\n-p values: ${show(i.values)}\nwritten: ${show(i.written)}`;
  },
};

// ROS tier (npm run test:ros; needs ROS 2 Jazzy at /opt/ros/jazzy and fails, saying so, without it):
// parameter files and -p read by vil's resolver (nodes/runtime/params_yaml.ts + params.ts, what the
// local graph and vil on rclnodejs use) against real rcl + rclpy (test/ros/py/params_parity.py:
// rclpy.init with the same --ros-args, a node of the same name, declare_parameter with a default of
// the declared type). For every case both must accept with the same type and value (doubles
// bit for bit), or both refuse, at the same stage: rcl refusing the arguments (every node dies
// at start) is vil refusing them while reading; rclpy refusing the declaration is vil refusing that
// parameter. Each case also says what rcl does, and rcl's answer must agree (so the table documents
// rcl as it is). Two documented differences: an empty list ([] or {}) gives a parameter no value,
// which rclpy accepts as NOT_SET and vil refuses (rclcpp refuses it too); an int64 beyond ±(2^53 − 1)
// rcl accepts and vil refuses (a JS number cannot hold it exactly).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { collectOverrides, fullyQualifiedName, parseRosArgs, resolveParams, type ParamSpec, type ParamType } from '../../nodes/runtime/params.js';
import { rosEnv, rosPython } from './helpers.js';

/** What rcl + rclpy do with a case: refuse the arguments, or per parameter accept / refuse its type. */
type Rcl = 'init' | Record<string, 'ok' | 'type' | 'default'>;
/** A documented difference: rclpy's answer is as stated; vil refuses the parameter, saying why. */
type Known = 'not_set' | 'int53';

interface Case {
  name: string;
  /** Params files, given in this order before `args` unless `args` places them ('@0', '@1'). */
  files?: string[];
  args?: string[];
  node?: string;
  namespace?: string;
  declare: Record<string, ParamType>;
  rcl: Rcl;
  known?: Known;
}

const P = (body: string, key = '/**') => `${key}:\n  ros__parameters:\n${body
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}\n`;

/** One scalar or list `x: <yaml>` in a /** section, declared as `type`. */
const one = (yaml: string, type: ParamType, rcl: 'ok' | 'type' | 'init', known?: Known): Case => ({
  name: `x: ${yaml.replace(/\n/g, '⏎')} declared ${type}`,
  files: [P(`x: ${yaml}`)],
  declare: { x: type },
  rcl: rcl === 'init' ? 'init' : { x: rcl },
  known,
});

const CASES: Case[] = [
  // Numbers: rcl's integer is not a double, and the other way round.
  one('1', 'double', 'type'),
  one('1.0', 'double', 'ok'),
  one('1.', 'double', 'ok'),
  one('.5', 'double', 'ok'),
  one('1.5', 'integer', 'type'),
  one('1.0', 'integer', 'type'),
  one('1', 'integer', 'ok'),
  one('+5', 'integer', 'ok'),
  one('-0x10', 'integer', 'ok'),
  one('0x1F', 'integer', 'ok'),
  one('010', 'integer', 'ok'),
  one('08', 'double', 'ok'),
  one('08', 'integer', 'type'),
  one('1e3', 'double', 'ok'),
  one('1e3', 'integer', 'type'),
  one('0x1p3', 'double', 'ok'),
  one('.inf', 'double', 'ok'),
  one('-.Inf', 'double', 'ok'),
  one('.nan', 'double', 'ok'),
  one('nan', 'double', 'ok'),
  one('inf', 'string', 'type'),
  one('-.nan', 'string', 'ok'),
  one('1e999', 'string', 'ok'),
  one('1e-310', 'string', 'ok'),
  one('2.2250738585072014e-308', 'double', 'ok'),
  one('1_000', 'string', 'ok'),
  one('9007199254740991', 'integer', 'ok'),
  one('9223372036854775807', 'integer', 'ok', 'int53'),
  one('9223372036854775808', 'double', 'ok'),
  one('-9223372036854775808', 'integer', 'ok', 'int53'),
  one('0x8000000000000000', 'double', 'ok'),
  one('0x1.8p1', 'double', 'ok'),
  one('0x1p-1074', 'double', 'ok'),
  one('0x1.8p-1074', 'string', 'ok'),
  one('0x0.0000000000001p-1022', 'double', 'ok'),
  one('0x0.012688b70e62bp-1022', 'double', 'ok'),
  one('0x12688b70e62bp-1074', 'double', 'ok'),
  one('4.9406564584124654e-324', 'string', 'ok'),
  one('08.5', 'double', 'ok'),
  one('infinity', 'double', 'ok'),
  one('nan(123)', 'double', 'ok'),
  one('0x', 'string', 'ok'),
  one('1e', 'string', 'ok'),
  one('0b101', 'string', 'ok'),
  one('"1e3"', 'double', 'type'),
  one('!!float 1', 'integer', 'ok'),
  one('>-\n  1.5', 'double', 'ok'),
  one('1\n  2', 'string', 'ok'),
  one('|-\n  12', 'integer', 'ok'),
  one('|\n  12', 'string', 'ok'),
  // Bools and strings.
  one('yes', 'bool', 'ok'),
  one('Off', 'bool', 'ok'),
  one('y', 'string', 'type'),
  one('yes', 'string', 'type'),
  one('"yes"', 'bool', 'type'),
  one('"yes"', 'string', 'ok'),
  one('yEs', 'string', 'ok'),
  one('true', 'integer', 'type'),
  one('1', 'bool', 'type'),
  one('123', 'string', 'type'),
  one('"123"', 'string', 'ok'),
  one("'123'", 'string', 'ok'),
  one('!!str 123', 'string', 'ok'),
  one('! 123', 'integer', 'ok'),
  one('~', 'string', 'ok'),
  one('null', 'string', 'ok'),
  one('""', 'string', 'ok'),
  one('"a\\0b"', 'string', 'ok'),
  one('', 'string', 'init'),
  // Lists: one element type.
  one('[1.2, 0, 1.5]', 'double_array', 'init'),
  one('[1.2, 0.0, 1.5]', 'double_array', 'ok'),
  one('[1, 2, 3]', 'double_array', 'type'),
  one('[1, 2]', 'integer_array', 'ok'),
  one('[a, 5]', 'string_array', 'init'),
  one('[a, "5"]', 'string_array', 'ok'),
  one('[x, y]', 'string_array', 'init'),
  one('[true, no, On]', 'bool_array', 'ok'),
  one('[yes, maybe]', 'bool_array', 'init'),
  one('\n  - 1.5\n  - 2.5', 'double_array', 'ok'),
  one('1.5', 'double_array', 'type'),
  one('[1.5]', 'double', 'type'),
  one('[]', 'string_array', 'ok', 'not_set'),
  one('[[1, 2]]', 'integer_array', 'ok'),
  one('[1, [2.5]]', 'integer_array', 'ok'),
  one('[[1], [2]]', 'integer_array', 'init'),
  // Structure: nested names, duplicates, empty mappings, sections, documents, anchors.
  { name: 'nested mappings → dotted names', files: [P('a:\n  b:\n    c: 1.5\n  d: [p, q]')], declare: { 'a.b.c': 'double', 'a.d': 'string_array' }, rcl: { 'a.b.c': 'ok', 'a.d': 'ok' } },
  { name: 'a mapping inside a list names its keys: c: [{x: 1}] → c.x', files: [P('c: [{x: 1}]')], declare: { 'c.x': 'integer_array', c: 'integer_array' }, rcl: { 'c.x': 'ok', c: 'default' } },
  { name: 'duplicate key, integer then double: the integer stays (declared double)', files: [P('a: 1\na: 1.5')], declare: { a: 'double' }, rcl: { a: 'type' } },
  { name: 'duplicate key, integer then double: the integer stays (declared integer)', files: [P('a: 1\na: 1.5')], declare: { a: 'integer' }, rcl: { a: 'ok' } },
  { name: 'duplicate key, same type: the later value', files: [P('a: 1.0\na: 2.5')], declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: 'a: {} ends ros__parameters: the next value is refused', files: [P('a: {}\nb: 1')], declare: { b: 'integer' }, rcl: 'init' },
  { name: 'a: {} as the last parameter: no value', files: [P('b: 1\na: {}')], declare: { a: 'integer', b: 'integer' }, rcl: { a: 'ok', b: 'ok' }, known: 'not_set' },
  { name: 'ros__parameters with nothing under it', files: ['/**:\n  ros__parameters:\n'], declare: { a: 'integer' }, rcl: 'init' },
  { name: 'ros__parameters: {}', files: ['/**:\n  ros__parameters: {}\n'], declare: { a: 'integer' }, rcl: { a: 'default' } },
  { name: 'a value after ros__parameters, outside it', files: ['/**:\n  ros__parameters:\n    a: 1\n  b: 2\n'], declare: { a: 'integer' }, rcl: 'init' },
  { name: 'a section {}', files: ['/**: {}\n'], declare: { a: 'integer' }, rcl: { a: 'default' } },
  { name: 'a key that starts with ros__parameters counts as ros__parameters', files: ['/**:\n  ros__parameters_x:\n    a: 1.5\n'], declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: 'a %YAML 1.1 directive', files: [`%YAML 1.1\n---\n${P('a: 1.5')}`], declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: 'a quoted node key', files: ['"/**":\n  ros__parameters:\n    a: 1.5\n'], declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: 'a section without ros__parameters', files: ['/**:\n  a: 1\n'], declare: { a: 'integer' }, rcl: 'init' },
  { name: 'an alias is refused', files: [P('a: &v 1.5\nb: *v')], declare: { a: 'double' }, rcl: 'init' },
  { name: 'an anchor alone is fine', files: [P('a: &v 1.5')], declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: 'two YAML documents in one file', files: ['/**:\n  ros__parameters:\n    a: 1.5\n---\n/**:\n  ros__parameters:\n    b: 2\n'], declare: { a: 'double', b: 'integer' }, rcl: { a: 'ok', b: 'ok' } },
  { name: 'an empty document (---)', files: ['---\n'], declare: { a: 'integer' }, rcl: 'init' },
  { name: 'an empty file', files: [''], declare: { a: 'integer' }, rcl: { a: 'default' } },
  { name: 'a file that is one scalar', files: ['hello\n'], declare: { a: 'integer' }, rcl: { a: 'default' } },
  { name: 'a file that is a list', files: ['- a\n- b\n'], declare: { a: 'integer' }, rcl: 'init' },
  // Node keys, for the node /vil/rtk.
  ...(
    [
      ['/**/rtk', 'ok'],
      ['/vil/*', 'ok'],
      ['/*/rtk', 'ok'],
      ['/*', 'default'],
      ['rtk', 'default'],
      ['/vil/rtk', 'ok'],
      ['vil/rtk', 'ok'],
      ['/**/vil/rtk', 'ok'],
      ['/vil/rtk2', 'default'],
      ['/vil/rtk-x', 'init'],
      ['/9vil/rtk', 'init'],
      ['/vil//rtk', 'init'],
    ] as const
  ).map(([key, rcl]): Case => ({ name: `node key ${key} for /vil/rtk`, files: [P('a: 2.5', key)], node: 'rtk', namespace: '/vil', declare: { a: 'double' }, rcl: rcl === 'init' ? 'init' : { a: rcl } })),
  { name: 'nested node keys vil: rtk: → vil/rtk', files: ['vil:\n  rtk:\n    ros__parameters:\n      a: 2.5\n  can:\n    ros__parameters:\n      a: 1.5\n'], node: 'rtk', namespace: '/vil', declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: 'two keys for the node: the one that appears later in the file wins', files: [`${P('a: 1.5', '/vil/rtk')}${P('a: 2.5', '/**')}`], node: 'rtk', namespace: '/vil', declare: { a: 'double' }, rcl: { a: 'ok' } },
  {
    name: 'a later file does not win through a key that appeared earlier (/** before /vil/rtk)',
    files: [`${P('a: 1.5', '/**')}${P('a: 2.5', '/vil/rtk')}`, P('a: 3.5', '/**')],
    node: 'rtk',
    namespace: '/vil',
    declare: { a: 'double' },
    rcl: { a: 'ok' },
  },
  // -p
  { name: '-p a:=1.5 declared double', args: ['-p', 'a:=1.5'], declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: '-p a:=1 declared double', args: ['-p', 'a:=1'], declare: { a: 'double' }, rcl: { a: 'type' } },
  { name: '-p a:=[1, 2] declared integer_array', args: ['-p', 'a:=[1, 2]'], declare: { a: 'integer_array' }, rcl: { a: 'ok' } },
  { name: "-p a:='5' declared string", args: ['-p', "a:='5'"], declare: { a: 'string' }, rcl: { a: 'ok' } },
  { name: '-p a:=yes declared string', args: ['-p', 'a:=yes'], declare: { a: 'string' }, rcl: { a: 'type' } },
  { name: '-p a:=[1, 1.5] (mixed list)', args: ['-p', 'a:=[1, 1.5]'], declare: { a: 'double_array' }, rcl: 'init' },
  { name: '-p a:={b: 1} (a mapping)', args: ['-p', 'a:={b: 1}'], declare: { a: 'integer' }, rcl: 'init' },
  { name: '-p a:= (no value)', args: ['-p', 'a:='], declare: { a: 'integer' }, rcl: 'init' },
  { name: '-p rtk:a:= reaches /rtk', args: ['-p', 'rtk:a:=2.5'], node: 'rtk', declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: '-p rtk:a:= does not reach /vil/rtk', args: ['-p', 'rtk:a:=2.5'], node: 'rtk', namespace: '/vil', declare: { a: 'double' }, rcl: { a: 'default' } },
  { name: 'file a: 1, then -p a:=1.5: the integer stays (declared double)', files: [P('a: 1')], args: ['--params-file', '@0', '-p', 'a:=1.5'], declare: { a: 'double' }, rcl: { a: 'type' } },
  { name: 'file a: 1, then -p a:=1.5: the integer stays (declared integer)', files: [P('a: 1')], args: ['--params-file', '@0', '-p', 'a:=1.5'], declare: { a: 'integer' }, rcl: { a: 'ok' } },
  { name: '-p a:=1.5, then file a: 2.5: the file, given later, wins', files: [P('a: 2.5')], args: ['-p', 'a:=1.5', '--params-file', '@0'], declare: { a: 'double' }, rcl: { a: 'ok' } },
  { name: 'file /vil/rtk a: 2.5, then -p a:=1.5 (/**): the file\'s key appeared later', files: [P('a: 2.5', '/vil/rtk')], args: ['-p', 'a:=0.5', '--params-file', '@0', '-p', 'a:=1.5'], node: 'rtk', namespace: '/vil', declare: { a: 'double' }, rcl: { a: 'ok' } },
];

const DEFAULTS: Record<ParamType, unknown> = {
  bool: false,
  integer: 0,
  double: 0,
  string: 'x',
  bool_array: [false],
  integer_array: [0],
  double_array: [0],
  string_array: ['x'],
};

type Value = boolean | string | null | { int: string } | { double: string } | Value[];
type Param = { ok: true; type: string; value: Value } | { ok: false; error: string };
type Answer = { init_error: string } | { params: Record<string, Param> };

/** A value as params_parity.py writes it. */
function enc(type: string, v: unknown): Value {
  if (type.endsWith('_array')) return (v as unknown[]).map((x) => enc(type.slice(0, -6), x));
  if (type === 'integer') return { int: String(v) };
  if (type === 'double') {
    if (Number.isNaN(v)) return { double: 'nan' };
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v as number);
    return { double: b.toString('hex') };
  }
  return v as Value;
}

let dir: string;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The case's ROS arguments with its files written out. */
function argvOf(c: Case, i: number): string[] {
  const paths = (c.files ?? []).map((text, k) => {
    const p = join(dir, `case${i}_${k}.yaml`);
    writeFileSync(p, text);
    return p;
  });
  const args = c.args ?? [];
  const placed = args.some((a) => a.startsWith('@'));
  return [...(placed ? [] : paths.flatMap((p) => ['--params-file', p])), ...args.map((a) => (/^@\d+$/.test(a) ? paths[Number(a.slice(1))] : a))];
}

/** vil: the arguments read (parseRosArgs, collectOverrides), each parameter resolved with a spec of its type. */
function vilAnswer(c: Case, argv: string[]): Answer {
  const node = c.node ?? 'n';
  let overrides;
  try {
    overrides = collectOverrides(parseRosArgs(['--ros-args', ...argv]), fullyQualifiedName(c.namespace ?? '/', node), node);
  } catch (e) {
    if (e instanceof ConfigError) return { init_error: e.message };
    throw e;
  }
  const params: Record<string, Param> = {};
  for (const [name, type] of Object.entries(c.declare)) {
    const spec = { type, default: DEFAULTS[type], description: 'parity case' } as ParamSpec;
    try {
      const { values } = resolveParams({ [name]: spec }, overrides);
      params[name] = { ok: true, type: type.toUpperCase(), value: enc(type, values[name]) };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      params[name] = { ok: false, error: e.message };
    }
  }
  return { params };
}

let answers: Answer[] | undefined;
let setupError: unknown;
/** rcl + rclpy's answers, one run of params_parity.py for every case (inside the tests: a failing setup fails them). */
function rclAnswers(): Answer[] {
  if (answers) return answers;
  if (setupError) throw setupError;
  try {
    dir = mkdtempSync(join(tmpdir(), 'vil-params-parity-'));
    const env = { ...rosEnv(), ROS_DOMAIN_ID: '58', ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST' };
    const requests = CASES.map((c, i) => JSON.stringify({ args: argvOf(c, i), node: c.node ?? 'n', namespace: c.namespace ?? '/', declare: c.declare }));
    answers = rosPython(env, 'params_parity.py', requests).map((l) => JSON.parse(l) as Answer);
    return answers;
  } catch (e) {
    setupError = e;
    throw e;
  }
}

describe('params files and -p: vil reads what rcl + rclpy read, and refuses what they refuse', () => {
  it(`the table: ${CASES.length} cases, accepted and refused at both stages`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    const stages = CASES.map((c) => (c.rcl === 'init' ? ['init'] : Object.values(c.rcl)));
    for (const s of ['init', 'ok', 'type', 'default']) expect(stages.filter((x) => x.includes(s as never)).length, s).toBeGreaterThanOrEqual(5);
  });

  CASES.forEach((c, i) => {
    it(c.name, () => {
      const rcl = rclAnswers()[i];
      // vil reads the same files (written by rclAnswers) and arguments.
      const vil = vilAnswer(c, argvOf(c, i));
      // What rcl does is what the case says it does.
      if (c.rcl === 'init') {
        expect(rcl, 'rcl refuses the arguments').toHaveProperty('init_error');
        expect(vil, `vil refuses them while reading: ${JSON.stringify(vil)}`).toHaveProperty('init_error');
        return;
      }
      expect(rcl, 'rcl reads the arguments').toHaveProperty('params');
      expect(vil, 'vil reads the arguments').toHaveProperty('params');
      const theirs = (rcl as { params: Record<string, Param> }).params;
      const ours = (vil as { params: Record<string, Param> }).params;
      for (const [name, type] of Object.entries(c.declare)) {
        const t = theirs[name];
        const o = ours[name];
        const said = c.rcl[name];
        if (said === 'type') {
          expect(t.ok, `rclpy refuses ${name}: ${JSON.stringify(t)}`).toBe(false);
          expect(o.ok, `vil refuses ${name}: ${JSON.stringify(o)}`).toBe(false);
          continue;
        }
        expect(t.ok, `rclpy accepts ${name}: ${JSON.stringify(t)}`).toBe(true);
        const tv = (t as { value: Value; type: string });
        if (said === 'default') expect(tv.value, `rclpy keeps the default of ${name}`).toEqual(enc(type, DEFAULTS[type]));
        if (c.known === 'not_set' && tv.type === 'NOT_SET') {
          expect(tv.value).toBeNull();
          expect(o.ok, `vil refuses ${name}, which rcl leaves without a value`).toBe(false);
          expect((o as { error: string }).error).toMatch(/no value: rcl gives an empty list/);
          continue;
        }
        if (c.known === 'int53') {
          expect(tv.type).toBe('INTEGER');
          const big = BigInt((tv.value as { int: string }).int);
          expect(big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER), `${big} is beyond 2^53`).toBe(true);
          expect(o.ok, `vil refuses ${name}, an int64 beyond 2^53`).toBe(false);
          expect((o as { error: string }).error).toMatch(/beyond ±9007199254740991 \(2\^53 − 1\)/);
          continue;
        }
        expect(o, `vil = rclpy for ${name}`).toEqual(t);
      }
    });
  });
});

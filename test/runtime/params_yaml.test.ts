// Params files and -p read as rcl reads them (nodes/runtime/params_yaml.ts), and declared
// parameters checked as strictly as rclpy/rclcpp (params.ts coerce), without ROS: the rules of
// rcl_yaml_param_parser (parse.c get_value, parse_value, parse_key, parse_file_events) and of
// rclpy's override matching, pinned case by case. Every expectation here is what real rcl + rclpy
// (Jazzy) answered for the same input in test/ros/params_parity.test.ts, which runs the same kinds
// of cases against them (npm run test:ros).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { collectOverrides, parseRosArgs, resolveParams, type ParamSpec, type ParamType } from '../../nodes/runtime/params.js';
import { doubleText, nodeKeyMatches, nodeKeyProblem, RclParams, rclScalar, rclYamlText, type RclValue, type ScalarStyle } from '../../nodes/runtime/params_yaml.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-params-yaml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The node keys and parameters rcl reads from `text`. */
function read(text: string): { key: string; params: Record<string, RclValue> }[] {
  const t = new RclParams();
  t.addFile('f.yaml', text);
  return t.nodes().map((n) => ({ key: n.key, params: Object.fromEntries(n.params.map((p) => [p.name, p.value])) }));
}

/** The one parameter `x` of `/**: ros__parameters: x: <yaml>`. */
function value(yaml: string): RclValue {
  return read(`/**:\n  ros__parameters:\n    x: ${yaml}\n`)[0].params.x;
}

/** Why rcl refuses `text` (the ConfigError's message). */
function refusal(text: string): string {
  try {
    read(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error(`accepted: ${text}`);
}

const int = (v: bigint | number): RclValue => ({ type: 'integer', value: BigInt(v) });
const dbl = (v: number): RclValue => ({ type: 'double', value: v });
const str = (v: string): RclValue => ({ type: 'string', value: v });
const bool = (v: boolean): RclValue => ({ type: 'bool', value: v });

describe("rcl's scalar types (get_value)", () => {
  const cases: [string, RclValue][] = [
    // strtoll(text, 0) taking all of it: decimal, hex, octal; out of int64 it is not an integer.
    ['1', int(1)],
    ['+5', int(5)],
    ['-0x10', int(-16)],
    ['0x1F', int(31)],
    ['010', int(8)],
    ['9223372036854775807', int(2n ** 63n - 1n)],
    ['-9223372036854775808', int(-(2n ** 63n))],
    ['9223372036854775808', dbl(9223372036854775808)],
    ['0x8000000000000000', dbl(9223372036854775808)],
    // strtod taking all of it without a range error.
    ['1.0', dbl(1)],
    ['1.', dbl(1)],
    ['.5', dbl(0.5)],
    ['08', dbl(8)],
    ['08.5', dbl(8.5)],
    ['1e3', dbl(1000)],
    ['0x1p3', dbl(8)],
    ['0x1.8p1', dbl(3)],
    ['0x1p-1074', dbl(5e-324)],
    ['2.2250738585072014e-308', dbl(2.2250738585072014e-308)],
    ['inf', dbl(Infinity)],
    ['infinity', dbl(Infinity)],
    ['-.Inf', dbl(-Infinity)],
    ['.inf', dbl(Infinity)],
    // ... and strings where strtod sets ERANGE (overflow, an inexact subnormal) or stops early.
    ['1e999', str('1e999')],
    ['1e-310', str('1e-310')],
    ['4.9406564584124654e-324', str('4.9406564584124654e-324')],
    ['0x1.8p-1074', str('0x1.8p-1074')],
    ['-.nan', str('-.nan')],
    ['0x', str('0x')],
    ['1e', str('1e')],
    ['0b101', str('0b101')],
    ['1_000', str('1_000')],
    // Bools: three spellings of eleven words each; nothing else.
    ['yes', bool(true)],
    ['Y', bool(true)],
    ['ON', bool(true)],
    ['True', bool(true)],
    ['n', bool(false)],
    ['Off', bool(false)],
    ['NO', bool(false)],
    ['yEs', str('yEs')],
    // Strings: YAML's null and ~ too.
    ['~', str('~')],
    ['null', str('null')],
    ['/dev/ttyACM0', str('/dev/ttyACM0')],
    ['127.0.0.1:30100', str('127.0.0.1:30100')],
  ];
  for (const [text, want] of cases) {
    it(`${text} → ${want.type}`, () => {
      expect(rclScalar(text)).toEqual(want);
      expect(value(text)).toEqual(want);
    });
  }

  it('NaN: nan, NaN, .nan, .NaN, nan(123) are doubles', () => {
    for (const t of ['nan', 'NaN', '.nan', '.NaN', '.NAN', 'nan(123)']) {
      const v = rclScalar(t);
      expect(v.type, t).toBe('double');
      expect(Number.isNaN(v.value), t).toBe(true);
    }
  });

  it('quoted or !!str: always a string; other tags are ignored', () => {
    const styles: [string, ScalarStyle, string | undefined, RclValue][] = [
      ['123', 'double', undefined, str('123')],
      ['yes', 'single', undefined, str('yes')],
      ['123', 'plain', 'tag:yaml.org,2002:str', str('123')],
      ['1', 'plain', 'tag:yaml.org,2002:float', int(1)],
      ['12', 'literal', undefined, int(12)],
    ];
    for (const [text, style, tag, want] of styles) expect(rclScalar(text, style, tag)).toEqual(want);
    expect(value('"123"')).toEqual(str('123'));
    expect(value("'123'")).toEqual(str('123'));
    expect(value('!!str 123')).toEqual(str('123'));
    expect(value('! 123')).toEqual(int(123));
    expect(value('!!float 1')).toEqual(int(1));
    expect(value('""')).toEqual(str(''));
    // Block scalars are not quoted: |- 12 is an integer, | 12 keeps its newline and is a string.
    expect(value('|-\n      12')).toEqual(int(12));
    expect(value('|\n      12')).toEqual(str('12\n'));
    expect(value('>-\n      1.5')).toEqual(dbl(1.5));
    expect(value('1\n      2')).toEqual(str('1 2'));
    // rcl copies C strings: a \0 escape ends the string.
    expect(value('"a\\0b"')).toEqual(str('a'));
  });
});

describe("rcl's lists, names and structure", () => {
  it('a list has one element type; a mixed list refuses the whole file', () => {
    expect(value('[1.2, 0.0, 1.5]')).toEqual({ type: 'double_array', value: [1.2, 0, 1.5] });
    expect(value('[1, 2]')).toEqual({ type: 'integer_array', value: [1n, 2n] });
    expect(value('[true, no, On]')).toEqual({ type: 'bool_array', value: [true, false, true] });
    expect(value('[a, "5"]')).toEqual({ type: 'string_array', value: ['a', '5'] });
    expect(value('\n      - 1.5\n      - 2.5')).toEqual({ type: 'double_array', value: [1.5, 2.5] });
    expect(refusal('/**:\n  ros__parameters:\n    lever_arm: [1.2, 0, 1.5]\n')).toBe(
      'f.yaml: /**.ros__parameters.lever_arm (line 3): a list of mixed types [1.2, 0, 1.5]: double first, then the integer 0 (rcl: "Sequence should be of same type"; the whole file is refused, every node fails to start). Fix: write every element with a decimal point: [1.2, 0.0, 1.5] (rcl reads 0 as an integer and 0.0 as a double)',
    );
    // y is a bool for rcl.
    expect(refusal('/**:\n  ros__parameters:\n    axes: [x, y]\n')).toMatch(/a list of mixed types \[x, y\]: string first, then the bool y .*Fix: quote every element: \["x", "y"\]/);
    expect(refusal('/**:\n  ros__parameters:\n    a: [a, 5]\n')).toMatch(/Fix: quote every element: \["a", "5"\]/);
  });

  it('an empty list, or {} as a value, gives the parameter no value', () => {
    expect(value('[]')).toEqual({ type: 'not_set' });
    expect(read('/**:\n  ros__parameters:\n    b: 1\n    a: {}\n')[0].params).toEqual({ b: int(1), a: { type: 'not_set' } });
    // {} ends ros__parameters for rcl (a MAPPING_END at the parameter level): what follows is refused.
    expect(refusal('/**:\n  ros__parameters:\n    a: {}\n    b: 1\n')).toMatch(/the empty mapping \{\} of a \(line 3\) ends ros__parameters for rcl .*Fix: give a a value or leave it out/);
  });

  it("rcl's list quirks: [[1, 2]] is [1, 2]; [1, [2.5]] keeps [1]; [{x: 1}] names x; [[1], [2]] is refused", () => {
    expect(value('[[1, 2]]')).toEqual({ type: 'integer_array', value: [1n, 2n] });
    expect(value('[1, [2.5]]')).toEqual({ type: 'integer_array', value: [1n] });
    expect(read('/**:\n  ros__parameters:\n    c: [{x: 1}]\n')[0].params).toEqual({ 'c.x': { type: 'integer_array', value: [1n] } });
    expect(refusal('/**:\n  ros__parameters:\n    x: [[1], [2]]\n')).toMatch(/a list where rcl expects a name/);
  });

  it('nested mappings become dotted names', () => {
    expect(read('/**:\n  ros__parameters:\n    a:\n      b:\n        c: 1.5\n      d: [p, q]\n    e: 2\n')[0].params).toEqual({
      'a.b.c': dbl(1.5),
      'a.d': { type: 'string_array', value: ['p', 'q'] },
      e: int(2),
    });
  });

  it('a name written twice: a value of the same type replaces, another type does not (the integer is handed over first)', () => {
    expect(value('1\n    x: 2')).toEqual(int(2));
    expect(value('1\n    x: 1.5')).toEqual(int(1));
    expect(value('1.5\n    x: 1')).toEqual(int(1));
  });

  it('node keys nest into namespaces; several documents are one file', () => {
    expect(read('vil:\n  rtk:\n    ros__parameters:\n      a: 2.5\n  can:\n    ros__parameters: {b: 1}\n')).toEqual([
      { key: 'vil/rtk', params: { a: dbl(2.5) } },
      { key: 'vil/can', params: { b: int(1) } },
    ]);
    expect(read('/**:\n  ros__parameters:\n    a: 1.5\n---\n/**:\n  ros__parameters:\n    b: 2\n')).toEqual([{ key: '/**', params: { a: dbl(1.5), b: int(2) } }]);
    // A key that starts with ros__parameters is ros__parameters (rcl compares the first 15 characters).
    expect(read('/**:\n  ros__parameters_x:\n    a: 1.5\n')).toEqual([{ key: '/**', params: { a: dbl(1.5) } }]);
    expect(read('"/**":\n  ros__parameters:\n    a: 1.5\n')).toEqual([{ key: '/**', params: { a: dbl(1.5) } }]);
    expect(read('%YAML 1.1\n---\n/**: {}\n')).toEqual([]);
  });

  it('what rcl accepts as a whole file: empty, one scalar, empty sections', () => {
    expect(read('')).toEqual([]);
    expect(read('# only a comment\n')).toEqual([]);
    expect(read('hello\n')).toEqual([]);
    expect(read('/**:\n  ros__parameters: {}\n')).toEqual([{ key: '/**', params: {} }]);
  });

  it('what rcl refuses, each with the file, the key and the fix', () => {
    expect(refusal('/**:\n  ros__parameters:\n    a:\n')).toBe(
      'f.yaml: /**.ros__parameters.a (line 3): no value (rcl: "No value at line 3"; an empty value is not null for rcl). Fix: give a value, or leave the parameter out to keep the node\'s default ("" is an empty string)',
    );
    expect(refusal('/**:\n  ros__parameters:\n')).toBe(
      'f.yaml: /**.ros__parameters (line 2): ros__parameters holds no parameters: rcl refuses an empty or single value here (rcl: "Cannot have a value before ros__parameters"). Fix: write `ros__parameters: {}` for none, or put the parameters under it',
    );
    expect(refusal('/**:\n  baud: 9600\n')).toBe(
      'f.yaml: /** (line 2): section has no ros__parameters (rcl: "Cannot have a value before ros__parameters"). Fix: indent the parameters under `/**:` → `ros__parameters:`',
    );
    expect(refusal('/**:\n  ros__parameters:\n    a: 1\n  b: 2\n')).toMatch(/section has no ros__parameters/);
    expect(refusal('ros__parameters:\n  a: 1\n')).toMatch(/^f\.yaml: ros__parameters \(line 1\): ros__parameters is not under a node name\. Fix: put it under a node key/);
    expect(refusal('/**:\n  ros__parameters:\n    a: &v 1.5\n    b: *v\n')).toBe('f.yaml: line 4: an alias (*v): rcl refuses YAML aliases (an anchor alone is fine). Fix: write the value out in full');
    expect(read('/**:\n  ros__parameters:\n    a: &v 1.5\n')[0].params).toEqual({ a: dbl(1.5) });
    expect(refusal('---\n')).toMatch(/an empty key/);
    expect(refusal('- a\n- b\n')).toMatch(/^f\.yaml: line 1: a list where rcl expects a name/);
    expect(refusal('/**: [1]\n')).toMatch(/a list outside ros__parameters/);
    expect(refusal('/**:\n  ros__parameters:\n    a: [1\n')).toMatch(/^f\.yaml: \(YAML\): not valid YAML: .*Fix: correct the YAML syntax at the position shown$/);
    expect(refusal('/vil/rtk-x:\n  ros__parameters: {a: 1}\n')).toBe(
      "f.yaml: /vil/rtk-x (line 2): not a node key rcl accepts: node name must not contain characters other than alphanumerics or '_'. Fix: node keys are `/**` (every node), `<node>` or `/<namespace>/<node>`; `*` stands for one name, `**` for any number; names are letters, digits and _, not starting with a digit",
    );
  });

  it('node keys as rcl validates them (_validate_name, rmw)', () => {
    for (const ok of ['/**', '/*', '/**/rtk_serial', '/**/vil/rtk_serial', 'rtk_serial', '/rtk_serial', '/vil/rtk_serial', 'vil/rtk_serial', '/vil/*', '/**/*', '**', '/vil/**']) expect(nodeKeyProblem(ok), ok).toBeUndefined();
    const bad: [string, RegExp][] = [
      ['/vil/rtk-serial', /node name must not contain/],
      ['/9vil/rtk_serial', /token that starts with a number/],
      ['/vil//rtk_serial', /repeated forward slash/],
      ['/vil/9rtk', /node name must not start with a number/],
      ['/vil/', /node name must not be empty/],
      ['/v-l/rtk', /namespace must not contain characters/],
    ];
    for (const [key, why] of bad) expect(nodeKeyProblem(key), key).toMatch(why);
  });

  it("which keys reach a node (rclpy: '/' in front, /* → (/\\w+), the whole name)", () => {
    const cases: [string, string, boolean][] = [
      ['/**', '/vil/rtk', true],
      ['/**/rtk', '/vil/rtk', true],
      ['/**/rtk', '/rtk', true],
      ['/**/vil/rtk', '/vil/rtk', true],
      ['/vil/*', '/vil/rtk', true],
      ['/*/rtk', '/vil/rtk', true],
      ['/*/rtk', '/a/b/rtk', false],
      ['/*', '/vil/rtk', false],
      ['/*', '/rtk', true],
      ['rtk', '/rtk', true],
      ['rtk', '/vil/rtk', false],
      ['vil/rtk', '/vil/rtk', true],
      ['/vil/rtk', '/vil/rtk2', false],
    ];
    for (const [key, fqn, want] of cases) expect(`${key} ${fqn} ${nodeKeyMatches(key, fqn)}`).toBe(`${key} ${fqn} ${want}`);
  });
});

describe("rcl's precedence: files and -p in command-line order, keys in the order they first appear", () => {
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const get = (argv: string[], fqn: string, name: string) => collectOverrides(parseRosArgs(['--ros-args', ...argv]), fqn)?.get(name);

  it('two keys for the node: the one that appears later wins, even from an earlier file', () => {
    const f1 = file('p1.yaml', '/vil/rtk:\n  ros__parameters:\n    a: 1.5\n/**:\n  ros__parameters:\n    a: 2.5\n');
    expect(get(['--params-file', f1], '/vil/rtk', 'a')?.value).toEqual(dbl(2.5));
    const f2 = file('p2.yaml', '/**:\n  ros__parameters:\n    a: 1.5\n/vil/rtk:\n  ros__parameters:\n    a: 2.5\n');
    const f3 = file('p3.yaml', '/**:\n  ros__parameters:\n    a: 3.5\n');
    expect(get(['--params-file', f2, '--params-file', f3], '/vil/rtk', 'a')?.value).toEqual(dbl(2.5));
    expect(get(['--params-file', f2, '--params-file', f3], '/vil/can', 'a')?.value).toEqual(dbl(3.5));
  });

  it('-p is the key /** (or the node name) at its place on the command line', () => {
    const f = file('p4.yaml', '/**:\n  ros__parameters:\n    a: 2.5\n');
    expect(get(['-p', 'a:=1.5', '--params-file', f], '/n', 'a')?.value).toEqual(dbl(2.5));
    expect(get(['--params-file', f, '-p', 'a:=1.5'], '/n', 'a')?.value).toEqual(dbl(1.5));
    // -p rtk:a:= is the key "rtk", i.e. /rtk: the root namespace only.
    expect(get(['-p', 'rtk:a:=1.5'], '/rtk', 'a')?.value).toEqual(dbl(1.5));
    expect(get(['-p', 'rtk:a:=1.5'], '/vil/rtk', 'a')).toBeUndefined();
  });

  it('an integer in the file and -p a:=1.5 after it: the node gets the integer, and says which value it did not use', () => {
    const f = file('p5.yaml', '/**:\n  ros__parameters:\n    a: 1\n');
    const o = get(['--params-file', f, '-p', 'a:=1.5'], '/n', 'a')!;
    expect(o.value).toEqual(int(1));
    expect(o.unused).toEqual({ value: dbl(1.5), source: 'command line (-p a:=...)' });
    const spec: ParamSpec = { type: 'double', default: 0, description: 'a' };
    expect(() => resolveParams({ a: spec }, collectOverrides(parseRosArgs(['--ros-args', '--params-file', f, '-p', 'a:=1.5']), '/n'))).toThrow(
      `${f} (/**.ros__parameters.a): a: expected a double, got an integer: 1 (rcl reads 1 as an integer); the double 1.5 from command line (-p a:=...) is not used: rcl keeps one value per type and hands over an integer first. Fix: give a the same type everywhere it is set: write 1.0 for a double`,
    );
  });

  it('-p values are typed by the same rules; rcl refuses a mapping, a mixed list, no value', () => {
    const typed = (text: string) => parseRosArgs(['--ros-args', '-p', `a:=${text}`]).params[0].value;
    expect(typed('1')).toEqual(int(1));
    expect(typed('1.0')).toEqual(dbl(1));
    expect(typed("'5'")).toEqual(str('5'));
    expect(typed('[1, 2]')).toEqual({ type: 'integer_array', value: [1n, 2n] });
    expect(typed('yes')).toEqual(bool(true));
    expect(typed('[]')).toEqual({ type: 'not_set' });
    for (const bad of ['{b: 1}', '[1, 1.5]', '']) expect(() => typed(bad), bad).toThrow(ConfigError);
  });
});

describe('declared parameters: as strict as rclpy/rclcpp declare_parameter', () => {
  const resolve = (type: ParamType, yaml: string, extra: Partial<ParamSpec> = {}) => {
    const spec = { type, default: type.endsWith('_array') ? [] : type === 'string' ? '' : type === 'bool' ? false : 0, description: 'the value', ...extra } as ParamSpec;
    const overrides = collectOverrides(parseRosArgs(['--ros-args', '-p', `x:=${yaml}`]), '/n');
    return resolveParams({ x: spec }, overrides).values.x;
  };
  const refused = (type: ParamType, yaml: string, extra: Partial<ParamSpec> = {}): string => {
    try {
      resolve(type, yaml, extra);
    } catch (e) {
      if (e instanceof ConfigError) return `${e.problem} | ${e.fix}`;
      throw e;
    }
    throw new Error(`accepted ${yaml} as ${type}`);
  };

  it('the type rcl gives the value must be the declared type, with the fix to write it', () => {
    expect(refused('double', '1')).toBe('expected a double, got an integer: 1 (rcl reads 1 as an integer) | write 1.0 for a double');
    expect(refused('integer', '5.0')).toBe('expected an integer, got a double: 5.0 (rcl reads 5.0 as a double) | write 5 without a decimal point for an integer');
    expect(refused('integer', '5.5')).toBe('expected an integer, got a double: 5.5 (rcl reads 5.5 as a double) | set x to a whole number');
    expect(refused('string', '123')).toBe('expected a string, got an integer: 123 (rcl reads 123 as an integer) | quote it: "123"');
    expect(refused('string', 'yes')).toBe('expected a string, got a bool: yes (rcl reads yes as a bool) | quote it: "yes"');
    expect(refused('bool', '"true"')).toBe('expected a bool, got a string: "true" | write true without quotes');
    expect(refused('bool', '1')).toBe('expected a bool, got an integer: 1 (rcl reads 1 as an integer) | set x to true or false');
    expect(refused('integer', '"5"')).toBe('expected an integer, got a string: "5" | remove the quotes: 5');
    expect(refused('double_array', '[1, 2]')).toBe('expected a list of doubles, got a list of integers: [1, 2] (rcl reads [1, 2] as a list of integers) | write every element with a decimal point: [1.0, 2.0]');
    expect(refused('string_array', '[1, 2]')).toBe('expected a list of strings, got a list of integers: [1, 2] (rcl reads [1, 2] as a list of integers) | quote every element: ["1", "2"]');
    expect(refused('double_array', '1.5')).toBe('expected a list of doubles, got a double: 1.5 (rcl reads 1.5 as a double) | write a list: x: [1.5]');
    expect(refused('double', '[1.5]')).toBe('expected a double, got a list of doubles: [1.5] (rcl reads [1.5] as a list of doubles) | write one value, not a list (double)');
  });

  it('an empty list has no value: refused (rclcpp refuses it; rclpy would leave the parameter unset)', () => {
    expect(refused('string_array', '[]')).toBe(
      'no value: rcl gives an empty list [] (or an empty mapping {}) no type, so the parameter gets none (rclcpp refuses it, rclpy leaves the parameter unset) | leave x out to keep the default [], or give at least one element',
    );
  });

  it('int64 beyond ±(2^53 − 1): refused rather than rounded', () => {
    expect(resolve('integer', '9007199254740991')).toBe(9007199254740991);
    expect(resolve('integer', '-9007199254740991')).toBe(-9007199254740991);
    expect(refused('integer', '9007199254740992')).toMatch(/^9007199254740992 is beyond ±9007199254740991 \(2\^53 − 1\): rcl reads it as an int64, but vil keeps integers as JavaScript numbers/);
    expect(refused('integer_array', '[1, 9223372036854775807]')).toMatch(/^9223372036854775807 is beyond/);
  });

  it('accepted values keep their type: integers as numbers, doubles bit for bit, inf and nan where no range applies', () => {
    expect(resolve('integer', '0x1F')).toBe(31);
    expect(resolve('double', '0.1')).toBe(0.1);
    expect(resolve('double', '.inf')).toBe(Infinity);
    expect(resolve('double', '.nan')).toBeNaN();
    expect(resolve('integer_array', '[1, -2]')).toEqual([1, -2]);
    expect(resolve('double_array', '[1.0, 2.5]')).toEqual([1, 2.5]);
    expect(resolve('bool', 'on')).toBe(true);
    expect(resolve('string', '"5"')).toBe('5');
    // A range refuses what is outside it, inf and nan included (as rclnodejs's range check does).
    expect(refused('double', '.inf', { min: 0 })).toBe('.inf is outside the range 0..∞ | set x to a number in 0..∞');
    expect(refused('double', '.nan', { max: 1 })).toMatch(/^\.nan is outside the range/);
    expect(refused('integer', '300', { min: 4800 })).toBe('300 is below the minimum 4800 | use a value ≥ 4800');
    expect(refused('string', 'utc', { choices: ['receive', 'gnss'] })).toBe('"utc" is not one of receive, gnss | set x to one of: receive, gnss');
  });
});

describe('writing values rcl reads with the intended type', () => {
  it('doubles always with a point or an exponent; strings quoted; lists element by element', () => {
    const cases: [Parameters<typeof rclYamlText>[0], unknown][] = [
      ['double', 10],
      ['double', 0.1],
      ['double', 1e21],
      ['double', -0],
      ['double', Infinity],
      // Subnormals: 5e-324 is a range error for strtod (rcl keeps a string); an exact hex float is not.
      ['double', 5e-324],
      ['double', -1e-310],
      ['integer', 115200],
      ['string', 'yes'],
      ['string', '123'],
      ['string', 'a "quoted" \\ path'],
      ['bool', false],
      ['double_array', [1, 0, 1.5]],
      ['string_array', ['on', '5']],
    ];
    for (const [type, v] of cases) {
      const text = rclYamlText(type, v);
      const back = value(text);
      expect(back.type, `${type} ${text}`).toBe(type);
      const plain = (x: unknown) => (typeof x === 'bigint' ? Number(x) : x);
      const got = (back as { value: unknown }).value;
      expect(Array.isArray(got) ? got.map(plain) : plain(got), `${type} ${text}`).toEqual(v);
    }
    expect(doubleText(10)).toBe('10.0');
    expect(doubleText(NaN)).toBe('.nan');
  });
});

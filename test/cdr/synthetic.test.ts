// Message features no registry type has (bounded strings, fixed arrays of strings, bools and
// messages, bounded sequences of messages, byte/char, empty nested messages, awkward alignment),
// in .msg files written here, through the same references as reference.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCodec } from '../../nodes/cdr/codec.js';
import { CdrError, FieldError } from '../../nodes/cdr/errors.js';
import { plan } from '../../nodes/cdr/schema.js';
import { createMessageRegistry, defaultRegistrySources } from '../../nodes/runtime/msg_registry.js';
import { prng } from '../helpers/prng.js';
import { expectedDecoded, foxgloveCodec, hex, pythonEncode, randomMessage } from './helpers.js';

const MSGS: Record<string, string> = {
  Everything: `# every primitive, bounded and fixed forms, nested and empty messages
bool b
byte by
char ch
int8 i8
uint8 u8
int16 i16
uint16 u16
int32 i32
uint32 u32
int64 i64
uint64 u64
float32 f32
float64 f64
string s
string<=5 sb
builtin_interfaces/Time t
builtin_interfaces/Duration d
bool[3] bools
string[2] fixed_strings
string<=4[<=3] bounded_strings
int64[2] i64s
uint64[] u64s
int8[<=4] i8s
float32[5] f32s
float64[<=20] f64s
uint16[] u16s
byte[] bytes
Inner[2] inners
Inner[<=3] inner_seq
Inner[] inner_unbounded
Nothing nothing
Nothing[] nothings
uint8 CONST=7
string SCONST="x # y"
`,
  Inner: `uint8 a
float64 b
string c
int64[] d
`,
  Nothing: `# no fields: one zero byte on the wire
`,
  Odd: `# alignment after odd sizes, empty 8-byte sequences, a one-element fixed array
uint8 a
float64[] x
uint8 b
int64 c
string s
uint16 u
float64[1] y
int32[0] none
Nothing z
float64 after_nothing
`,
};

const dir = mkdtempSync(join(tmpdir(), 'vil-cdr-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'synth_msgs', 'msg'), { recursive: true });
for (const [name, text] of Object.entries(MSGS)) writeFileSync(join(dir, 'synth_msgs', 'msg', `${name}.msg`), text);
const registry = createMessageRegistry({ standardDir: defaultRegistrySources().standardDir, defsDir: dir });
const TYPES = ['synth_msgs/msg/Everything', 'synth_msgs/msg/Odd', 'synth_msgs/msg/Inner', 'synth_msgs/msg/Nothing'];
const PER_TYPE = 150;

const cases = TYPES.flatMap((type, t) => {
  const rnd = prng(0x5e7 + t);
  const p = plan(registry, type);
  return Array.from({ length: PER_TYPE }, () => ({ type, msg: randomMessage(rnd, p) }));
});

describe('CDR codec: features beyond the registry, against the references', () => {
  it('the definitions parse as intended (bounds, fixed sizes, byte/char as uint8)', () => {
    const f = Object.fromEntries(plan(registry, 'synth_msgs/msg/Everything').fields.map((x) => [x.name, x.notation]));
    expect(f).toMatchObject({ by: 'uint8', ch: 'uint8', sb: 'string<=5', bools: 'bool[3]', bounded_strings: 'string<=4[<=3]', inner_seq: 'synth_msgs/msg/Inner[<=3]', nothing: 'synth_msgs/msg/Nothing' });
  });

  it('bytes equal the Python encoder and @foxglove/rosmsg2-serialization; codegen and closures agree', () => {
    const py = pythonEncode(registry, cases);
    cases.forEach((c, i) => {
      const gen = compileCodec(registry, c.type);
      const bytes = hex(gen.encode(c.msg));
      expect(bytes, `${c.type} #${i}`).toBe(py[i]);
      expect(hex(compileCodec(registry, c.type, { codegen: false }).encode(c.msg))).toBe(bytes);
      expect(hex(foxgloveCodec(registry, c.type).encode(c.msg)), c.type).toBe(bytes);
    });
  });

  it('decode(encode(x)) equals x, from little- and big-endian bytes, by both implementations', () => {
    const be = pythonEncode(registry, cases.map((c) => ({ ...c, bigEndian: true })));
    cases.forEach((c, i) => {
      const want = expectedDecoded(plan(registry, c.type), c.msg);
      for (const codegen of [true, false]) {
        const codec = compileCodec(registry, c.type, { codegen });
        expect(codec.decode(codec.encode(c.msg)), c.type).toStrictEqual(want);
        expect(codec.decode(Buffer.from(be[i], 'hex')), c.type).toStrictEqual(want);
      }
    });
  });

  it('a message without fields is one zero byte; Odd aligns as rmw_cyclonedds does', () => {
    const nothing = compileCodec(registry, 'synth_msgs/msg/Nothing');
    expect(hex(nothing.encode({}))).toBe('00010000' + '00');
    expect(nothing.decode(Buffer.from('0001000000', 'hex'))).toEqual({});
    const odd = compileCodec(registry, 'synth_msgs/msg/Odd');
    const bytes = hex(odd.encode({ a: 1, x: [], b: 2, c: 3, s: '', u: 4, y: [0.5], none: [], z: {}, after_nothing: 1 }));
    // a@0, x count@4 (no element padding: empty), b@8, c@16 (pad 7), s len@24 + NUL@28, u@30, y@32, z@40, after_nothing@48
    expect(bytes).toBe(
      ['00010000', '01000000', '00000000', '02', '00000000000000', '0300000000000000', '01000000', '00', '00', '0400', '000000000000e03f', '00', '00000000000000', '000000000000f03f'].join(''),
    );
  });

  it('encode refuses bounds exceeded, with the validator\'s message and path', () => {
    const codec = compileCodec(registry, 'synth_msgs/msg/Everything');
    const base = cases[0].msg;
    const refuse = (patch: Record<string, unknown>): FieldError => {
      try {
        codec.encode({ ...base, ...patch });
      } catch (e) {
        expect(e).toBeInstanceOf(FieldError);
        return e as FieldError;
      }
      throw new Error('accepted');
    };
    expect(refuse({ sb: 'toolong' }).problem).toBe('string of length 7 exceeds the bound string<=5');
    expect(refuse({ bounded_strings: ['a', 'b', 'c', 'd'] }).problem).toBe('4 elements exceed the bound of string<=4[<=3]');
    const e = refuse({ bounded_strings: ['a', 'abcde'] });
    expect([e.path, e.problem]).toEqual(['bounded_strings[1]', 'string of length 5 exceeds the bound string<=4']);
    expect(refuse({ bools: [true, false] }).problem).toBe('expected exactly 3 elements (bool[3]), got 2');
    expect(refuse({ i64s: [1n, 2] }).path).toBe('i64s[1]');
    expect(refuse({ nothing: { x: 1 } }).problem).toMatch(/synth_msgs\/msg\/Nothing has no field "x"/);
    expect(refuse({ nothing: [] }).problem).toBe('expected a synth_msgs/msg/Nothing object, got an array of length 0');
    expect(refuse({ inner_seq: [{ a: 1, b: 0, c: '', d: [] }, {}, {}, {}] }).problem).toBe('4 elements exceed the bound of synth_msgs/msg/Inner[<=3]');
  });

  it('decode refuses bytes that exceed a bound (as a receiving rmw would)', () => {
    const over = [
      { patch: { sb: 'sixsix' }, path: 'sb', problem: /exceeds its bound string<=5/ },
      { patch: { bounded_strings: ['a', 'b', 'c', 'd'] }, path: 'bounded_strings', problem: /sequence of 4 elements exceeds its bound string<=4\[<=3\]/ },
      { patch: { i8s: [1, 2, 3, 4, 5] }, path: 'i8s', problem: /sequence of 5 elements exceeds its bound 4/ },
      { patch: { inner_seq: Array(4).fill({ a: 1, b: 0, c: '', d: [] }) }, path: 'inner_seq', problem: /exceeds its bound synth_msgs\/msg\/Inner\[<=3\]/ },
    ];
    const hexes = pythonEncode(registry, over.map((o) => ({ type: 'synth_msgs/msg/Everything', msg: { ...cases[0].msg, ...o.patch } })));
    over.forEach((o, i) => {
      for (const codegen of [true, false]) {
        const c = compileCodec(registry, 'synth_msgs/msg/Everything', { codegen });
        let err: unknown;
        try {
          c.decode(Buffer.from(hexes[i], 'hex'));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(CdrError);
        expect((err as CdrError).path).toBe(o.path);
        expect((err as CdrError).problem).toMatch(o.problem);
      }
    });
  });

  it('wstring is refused when the type is compiled, naming the field', () => {
    const wdir = mkdtempSync(join(tmpdir(), 'vil-cdr-wstring-'));
    try {
      mkdirSync(join(wdir, 'w_msgs', 'msg'), { recursive: true });
      writeFileSync(join(wdir, 'w_msgs', 'msg', 'Wide.msg'), 'wstring name\n');
      const reg = createMessageRegistry({ standardDir: defaultRegistrySources().standardDir, defsDir: wdir });
      expect(() => compileCodec(reg, 'w_msgs/msg/Wide')).toThrow(/field "name" is a wstring/);
      // The planner refuses it too when a schema (e.g. a recording's) hands one over.
      expect(() => compileCodec({ fields: () => [{ name: 'name', type: 'wstring', isComplex: false, isArray: false }] }, 'x/msg/W')).toThrow(/field "name" is a wstring/);
    } finally {
      rmSync(wdir, { recursive: true, force: true });
    }
  });
});

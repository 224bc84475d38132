// Decoding and encoding against cantools's own expected values (tests/test_database.py of the
// cantools project, the reference DBC decoder) for the DBC files it ships and we keep as fixtures.
// Every vector below is copied from that test suite; the test name says which cantools test.
import { describe, expect, it } from 'vitest';
import { DECODE_OK, DECODE_SHORT, DECODE_UNKNOWN_MUX, compileDatabase } from '../../nodes/dbc/codec.js';
import { parseDbc } from '../../nodes/dbc/parse.js';
import { hex, load, toHex } from './helpers.js';

// Both the generated decoder and the interpreted one must agree with cantools.
for (const codegen of [true, false]) {
  describe(`cantools vectors (${codegen ? 'generated' : 'interpreted'} decoder)`, () => {
    it('motohawk.dbc: test_motohawk_encode_decode / test_big_endian_no_decode_choices', () => {
      const m = load('motohawk.dbc', codegen).byName('ExampleMessage')!;
      const vectors: [Record<string, number>, string][] = [
        [{ Temperature: 250.55, AverageRadius: 3.2, Enable: 1 }, 'c006e00000000000'],
        [{ Temperature: 229.53, AverageRadius: 0, Enable: 0 }, '0100200000000000'],
      ];
      for (const [values, bytes] of vectors) {
        expect(toHex(m.encode(values))).toBe(bytes);
        expect(m.decode(hex(bytes)).signals).toEqual(values);
      }
      // decode_choices=True: Enable 1 is "Enabled" (the number stays beside the label).
      expect(m.decode(hex('c006e00000000000')).labels).toEqual({ Enable: 'Enabled' });
      expect(toHex(m.encode({ Temperature: 250.55, AverageRadius: 3.2, Enable: 'Enabled' }))).toBe('c006e00000000000');
    });

    it('motohawk.dbc: test_encode_decode_no_scaling(_no_decode_choices) — raw values', () => {
      const m = load('motohawk.dbc', codegen).byName('ExampleMessage')!;
      expect(m.decodeRaw(hex('c006e00000000000'))).toEqual({ Temperature: 55, AverageRadius: 32, Enable: 1 });
      expect(m.decodeRaw(hex('8400600000000000'))).toEqual({ Temperature: 3, AverageRadius: 2, Enable: 1 });
    });

    it('motohawk.dbc: test_motohawk_decode_truncated — only signals inside the payload', () => {
      const m = load('motohawk.dbc', codegen).byName('ExampleMessage')!;
      for (const bytes of ['0011', '00ff']) {
        const d = m.decode(hex(bytes));
        expect(d.signals).toEqual({ AverageRadius: 0, Enable: 0 });
        expect(d.labels).toEqual({ Enable: 'Disabled' });
        expect(d.status).toBe(DECODE_SHORT);
      }
    });

    it('multiplex.dbc: test_multiplex — only the active branch is decoded', () => {
      const m = load('multiplex.dbc', codegen).byName('Message1')!;
      expect(m.extended).toBe(true);
      expect(m.id).toBe(0x123456); // 2148676694 - 2^31 = 1193046
      const vectors: [Record<string, number>, string][] = [
        [{ Multiplexor: 8, BIT_C: 1, BIT_G: 1, BIT_J: 1, BIT_L: 1 }, '20008c0100000000'],
        [{ Multiplexor: 16, BIT_C: 1, BIT_G: 1, BIT_J: 1, BIT_L: 1 }, '40008c0100000000'],
        [
          { Multiplexor: 24, BIT_A: 1, BIT_B: 1, BIT_C: 1, BIT_D: 1, BIT_E: 1, BIT_F: 1, BIT_G: 1, BIT_H: 1, BIT_J: 1, BIT_K: 1, BIT_L: 1 },
          '60008c35c3000000',
        ],
      ];
      for (const [values, bytes] of vectors) {
        expect(toHex(m.encode(values))).toBe(bytes);
        const d = m.decode(hex(bytes));
        expect(d.signals).toEqual(values);
        expect(d.status).toBe(DECODE_OK);
      }
    });

    it('multiplex.dbc: test_decode_truncated_multiplexed', () => {
      const m = load('multiplex.dbc', codegen).byName('Message1')!;
      const full = hex('60008c35c3000000');
      expect(m.decode(full.subarray(0, 7)).signals).toEqual(m.decode(full).signals);
      expect(m.decode(full.subarray(0, 4)).signals).toEqual({ Multiplexor: 24, BIT_J: 1, BIT_C: 1, BIT_G: 1, BIT_L: 1, BIT_A: 1, BIT_K: 1, BIT_E: 1 });
      expect(m.decode(new Uint8Array(0)).signals).toEqual({});
    });

    it('multiplex.dbc: test_multiplex_bad_multiplexer — switch value 7 has no branch', () => {
      // cantools raises "expected multiplexer id 8, 16 or 24, but got 7"; vil reports it and
      // decodes the switch only.
      const m = load('multiplex.dbc', codegen).byName('Message1')!;
      const d = m.decode(hex('1fff73feffffffff'));
      expect(d.signals).toEqual({ Multiplexor: 7 });
      expect(d.status).toBe(DECODE_UNKNOWN_MUX);
      expect(() => m.encode({ Multiplexor: 7 })).toThrow(/no branch; expected one of 8, 16, 24/);
    });

    it('floating_point.dbc: test_float_dbc (double and float)', () => {
      const db = load('floating_point.dbc', codegen);
      const m1 = db.lookup(1024, false)!;
      expect(toHex(m1.encode({ Signal1: -129.448 }))).toBe('75931804562e60c0');
      expect(m1.decode(hex('75931804562e60c0')).signals).toEqual({ Signal1: -129.448 });
      const m2 = db.lookup(1025, false)!;
      expect(toHex(m2.encode({ Signal1: 129.5, Signal2: 1234500.5 }))).toBe('0080014324b29649');
      expect(m2.decode(hex('0080014324b29649')).signals).toEqual({ Signal1: 129.5, Signal2: 1234500.5 });
    });

    it('signed.dbc: test_signed_dbc', () => {
      const db = load('signed.dbc', codegen);
      const vectors: [string, Record<string, number>, string][] = [
        ['Message64', { s64: -5 }, 'fbffffffffffffff'],
        ['Message33', { s33: -5 }, 'fbffffff01000000'],
        ['Message32', { s32: -5 }, 'fbffffff00000000'],
        ['Message64big', { s64big: -5 }, 'fffffffffffffffb'],
        ['Message33big', { s33big: -5 }, 'fffffffd80000000'],
        ['Message32big', { s32big: -5 }, 'fffffffb00000000'],
        ['Message378910', { s7: -40, s8big: 0x5a, s9: 0xa5, s8: -43, s3big: -4, s3: 1, s10big: -253, s7big: -9 }, 'b0b44a55870181f7'],
      ];
      for (const [name, values, bytes] of vectors) {
        const m = db.byName(name)!;
        expect(toHex(m.encode(values)), name).toBe(bytes);
        expect(m.decode(hex(bytes)).signals, name).toEqual(values);
      }
    });

    it('choices.dbc: test_dbc_load_choices — labels by raw value, negative ones too', () => {
      const m = load('choices.dbc', codegen).byName('Foo')!;
      expect(m.decode(hex('0000000000000000'))).toEqual({ signals: { Foo: 0 }, labels: { Foo: 'With space' }, status: 0 });
      // 0xFB as a signed 8-bit raw value is -5 (hand-computed), labelled "A negative value".
      expect(m.decode(hex('fb00000000000000')).labels).toEqual({ Foo: 'A negative value' });
      expect(toHex(m.encode({ Foo: 'A negative value' }))).toBe('fb00000000000000');
      // 7 has no label: the number alone.
      expect(m.decode(hex('0700000000000000'))).toEqual({ signals: { Foo: 7 }, labels: {}, status: 0 });
    });
  });
}

describe('cantools vectors from messages defined in its tests (DBC text written here)', () => {
  // test_multiplex_extended builds this message in code (tree in the comment there); here it is
  // the same signals as DBC: three switches (S0, S1 inside S0=0, S6), so SG_MUL_VAL_ decides.
  const EXTENDED_MUX = `VERSION ""
BU_:
BO_ 1 M0: 8 Vector__XXX
 SG_ S0 M : 0|4@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S1 m0M : 4|4@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S2 m0 : 8|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S3 m0 : 16|16@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S4 m2 : 8|24@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S5 m1 : 4|28@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S6 M : 32|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S7 m1 : 40|24@1+ (1,0) [0|0] "" Vector__XXX
 SG_ S8 m2 : 40|8@1+ (1,0) [0|0] "" Vector__XXX
SG_MUL_VAL_ 1 S1 S0 0-0;
SG_MUL_VAL_ 1 S2 S1 0-0;
SG_MUL_VAL_ 1 S3 S1 0-0;
SG_MUL_VAL_ 1 S4 S1 2-2;
SG_MUL_VAL_ 1 S5 S0 1-1;
SG_MUL_VAL_ 1 S7 S6 1-1;
SG_MUL_VAL_ 1 S8 S6 2-2;
`;
  for (const codegen of [true, false]) {
    it(`test_multiplex_extended: cascaded and independent switches (${codegen ? 'generated' : 'interpreted'})`, () => {
      const m = compileDatabase(parseDbc(EXTENDED_MUX, 'extended_mux.dbc'), { codegen }).byName('M0')!;
      const vectors: [Record<string, number>, string][] = [
        [{ S0: 0, S1: 2, S4: 10000, S6: 1, S7: 33 }, '2010270001210000'],
        [{ S0: 0, S1: 0, S2: 100, S3: 5000, S6: 2, S8: 22 }, '0064881302160000'],
        [{ S0: 1, S5: 3, S6: 1, S7: 772 }, '3100000001040300'],
      ];
      for (const [values, bytes] of vectors) {
        expect(toHex(m.encode(values))).toBe(bytes);
        expect(m.decode(hex(bytes)).signals).toEqual(values);
      }
    });
  }

  it('test_foobar_encode_decode: 64-bit unsigned signals in a 64-byte CAN FD message, exact', () => {
    // foobar.dbc's CanFd message as cantools's test prints it: Fie 0|64 and Fas 64|64, little
    // endian, unsigned, in a 64-byte extended-id message.
    const text = `BO_ 2147557171 CanFd: 64 FOO
 SG_ Fie : 0|64@1+ (1,0) [0|0] "" FUM
 SG_ Fas : 64|64@1+ (1,0) [0|0] "" FUM
`;
    const m = compileDatabase(parseDbc(text, 'foobar_canfd.dbc')).byName('CanFd')!;
    const bytes = `efcdab8967452301efbeaddeefbeadde${'00'.repeat(48)}`;
    expect(toHex(m.encode({ Fie: 0x123456789abcdefn, Fas: 0xdeadbeefdeadbeefn }))).toBe(bytes);
    expect(m.decodeRaw(hex(bytes))).toEqual({ Fie: 0x123456789abcdefn, Fas: 0xdeadbeefdeadbeefn });
    // As doubles: the nearest double of each (0xdeadbeefdeadbeef needs 64 bits).
    expect(m.decode(hex(bytes)).signals).toEqual({ Fie: Number(0x123456789abcdefn), Fas: Number(0xdeadbeefdeadbeefn) });
  });
});

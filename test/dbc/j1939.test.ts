// J1939: messages whose VFrameFormat is J1939PG match extended frames on the parameter group number
// (any priority, any source address; for PDU1 groups any destination), as cantools's j1939 protocol
// and the reference decodes of the J1939 recording do (fixtures/buslogs/dbc, CSS Electronics).
import { describe, expect, it } from 'vitest';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDbcFile } from '../../nodes/dbc/load.js';
import { compileDatabase, j1939Pgn } from '../../nodes/dbc/codec.js';
import { parseDbc } from '../../nodes/dbc/parse.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/buslogs/dbc');

describe('the bus-log DBCs (fixtures/buslogs/dbc)', () => {
  for (const [file, messages] of [
    ['CSS-Electronics-SAE-J1939-DEMO.dbc', 2],
    ['canmod-gps.dbc', 9],
    ['gnss.dbc', 18],
  ] as const) {
    it(`${file} loads whole: ${messages} messages, nothing left out`, () => {
      const db = loadDbcFile(join(DIR, file));
      expect(db.dropped).toEqual([]);
      expect(db.messages).toHaveLength(messages);
      if (file !== 'gnss.dbc') expect(db.warnings).toEqual([]);
    });
  }

  it('gnss.dbc names each message twice (ids 1..9 and 0x11..0x19): a warning each, found by id, by name the later one', () => {
    const db = loadDbcFile(join(DIR, 'gnss.dbc'));
    expect(db.warnings.map((w) => w.message)).toHaveLength(9);
    expect(db.warnings[0].message).toMatch(/^message name gnss_\w+ is used by ids 0x\d \(line \d+\) and 0x1\d; by name, the later one is found$/);
    expect(db.lookup(0x3, false)!.name).toBe('gnss_pos');
    expect(db.lookup(0x13, false)!.name).toBe('gnss_pos');
    expect(db.byName('gnss_pos')!.id).toBe(0x13);
  });
});

describe('J1939 PGN matching', () => {
  const db = loadDbcFile(join(DIR, 'CSS-Electronics-SAE-J1939-DEMO.dbc'));

  it('the CSS demo DBC: EEC1 and CCVS1 are J1939 messages, no warnings', () => {
    expect(db.warnings).toEqual([]);
    expect(db.messages.map((m) => [m.name, m.id.toString(16), m.message.j1939])).toEqual([
      ['EEC1', 'cf004fe', true],
      ['CCVS1', '18fef1fe', true],
    ]);
  });

  it('frames of any priority and source address find their message by PGN', () => {
    // The ids the J1939 recording carries (source address 0x00 where the DBC says 0xFE).
    expect(db.lookup(0x0cf00400, true)?.name).toBe('EEC1');
    expect(db.lookup(0x18fef100, true)?.name).toBe('CCVS1');
    expect(db.lookup(0x0cf004fe, true)?.name).toBe('EEC1'); // the DBC's own id
    expect(db.lookup(0x18f00417, true)?.name).toBe('EEC1'); // priority 6, source 0x17
    expect(db.lookup(0x0cf00300, true)).toBeUndefined(); // PGN 0xF003 is not in the DBC
    expect(db.lookup(0x004, false)).toBeUndefined(); // never a standard frame
  });

  it('the PGN as cantools computes it: PDU1 (format < 240) drops the destination, PDU2 keeps the group extension', () => {
    expect(j1939Pgn(0x0cf00400)).toBe(0xf004);
    expect(j1939Pgn(0x18fef1fe)).toBe(0xfef1);
    expect(j1939Pgn(0x18ea21f9)).toBe(0xea00);
    expect(j1939Pgn(0x1be0ff00)).toBe(0x3e000); // reserved + data page bits
  });

  it('PDU1 groups match any destination; an exact id wins over the PGN; non-J1939 messages match exactly only', () => {
    const text = `BO_ 2565537535 Request: 3 X
 SG_ Pgn : 0|24@1+ (1,0) [0|0] "" X
BO_ 2566844926 Exact_from_FE: 8 X
 SG_ A : 0|8@1+ (1,0) [0|0] "" X
BO_ 2566844672 Same_pgn_from_00: 8 X
 SG_ B : 0|8@1+ (1,0) [0|0] "" X
BO_ 2566845182 Plain_extended: 8 X
 SG_ C : 0|8@1+ (1,0) [0|0] "" X
BA_DEF_ BO_ "VFrameFormat" ENUM "StandardCAN","ExtendedCAN","reserved","J1939PG";
BA_DEF_DEF_ "VFrameFormat" "J1939PG";
BA_ "VFrameFormat" BO_ 2566845182 1;
`;
    const c = compileDatabase(parseDbc(text, 'j.dbc'));
    expect(c.lookup(0x18ea21f9, true)?.name).toBe('Request'); // DBC id 0x18EAFEFF, frame to destination 0x21
    expect(c.lookup(0x18fef1fe, true)?.name).toBe('Exact_from_FE');
    expect(c.lookup(0x18fef100, true)?.name).toBe('Same_pgn_from_00');
    expect(c.lookup(0x18fef117, true)?.name).toBe('Exact_from_FE'); // first J1939 message of the PGN
    expect(c.lookup(0x18fef2fe, true)?.name).toBe('Plain_extended');
    expect(c.lookup(0x18fef217, true)).toBeUndefined(); // ExtendedCAN: exact ids only
  });

  it('VFrameFormat defined as INT is read with cantools\'s labels (3 = J1939PG)', () => {
    const c = compileDatabase(parseDbc('BO_ 2364540158 EEC1: 8 X\n SG_ S : 24|16@1+ (0.125,0) [0|0] "" X\nBA_DEF_ BO_ "VFrameFormat" INT 0 15;\nBA_DEF_DEF_ "VFrameFormat" 3;\n', 'int.dbc'));
    expect(c.lookup(0x0cf00400, true)?.name).toBe('EEC1');
  });
});

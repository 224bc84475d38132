// The DBC parser on the real files (cantools's test files, commaai/opendbc) and on DBC text that
// exercises each statement; facts checked are what the files say (read by eye from the fixture)
// or what cantools's tests assert about the same files.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbcParseError, parseDbc } from '../../nodes/dbc/parse.js';
import { decodeDbcBytes } from '../../nodes/dbc/text.js';
import { compileDatabase } from '../../nodes/dbc/codec.js';
import { formatDbcWarning, loadDbcConfig, loadDbcFile, readDbcFile } from '../../nodes/dbc/load.js';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { DBC_FILES, dbcPath, load, model } from './helpers.js';

describe('every fixture DBC loads whole', () => {
  it('lists the ten real files and the one written here (one_branch_mux.dbc, see ATTRIBUTION.md)', () => {
    expect(DBC_FILES).toHaveLength(11);
    expect(DBC_FILES).toContain('one_branch_mux.dbc');
  });
  for (const f of DBC_FILES) {
    it(`${f}: parses and compiles with no warning, every BO_/SG_ line becomes a message/signal`, () => {
      const { model: db } = model(f);
      expect(db.warnings).toEqual([]);
      const text = decodeDbcBytes(readFileSync(dbcPath(f))).text;
      // Independent count of the definitions in the text: every one must be in the model.
      const boLines = text.split(/\r?\n/).filter((l) => /^BO_ \d+ /.test(l) && !l.includes('VECTOR__INDEPENDENT_SIG_MSG'));
      const sgLines = text.split(/\r?\n/).filter((l) => /^\s*SG_ /.test(l));
      expect(db.messages).toHaveLength(boLines.length);
      expect(db.messages.reduce((n, m) => n + m.signals.length, 0)).toBe(sgLines.length);
      const compiled = compileDatabase(db);
      expect(compiled.messages).toHaveLength(boLines.length);
    });
  }
});

describe('facts of the real files', () => {
  it('motohawk.dbc (cantools test_motohawk): nodes, receivers, comment, labels, cycle time default 0 = none', () => {
    const { model: db, encoding } = model('motohawk.dbc');
    expect(encoding).toBe('utf-8');
    expect(db.version).toBe('1.0');
    expect(db.nodes.map((n) => n.name)).toEqual(['PCM1', 'FOO']);
    const m = db.messages[0];
    expect(m).toMatchObject({ id: 496, extended: false, name: 'ExampleMessage', length: 8, senders: ['PCM1'], cycleTimeMs: null, fd: false });
    expect(m.comment).toBe('Example message used as template in MotoHawk models.');
    const t = m.signals.find((s) => s.name === 'Temperature')!;
    expect(t).toMatchObject({ start: 0, length: 12, byteOrder: 'big_endian', signed: true, scale: 0.01, offset: 250, minimum: 229.52, maximum: 270.47, unit: 'degK', receivers: ['PCM1', 'FOO'] });
    const r = m.signals.find((s) => s.name === 'AverageRadius')!;
    expect(r.receivers).toEqual([]);
    const e = m.signals.find((s) => s.name === 'Enable')!;
    expect(e.choices).toEqual([
      { value: 0, label: 'Disabled' },
      { value: 1, label: 'Enabled' },
    ]);
    expect(e.minimum).toBeNull(); // [0|0] means no range, as cantools reads it
  });

  it('multiplex.dbc (cantools test_multiplex): switch, ids from mN plus SG_MUL_VAL_ ranges, attributes', () => {
    const { model: db } = model('multiplex.dbc');
    const m = db.messages[0];
    expect(m.extended).toBe(true);
    const sig = (n: string) => m.signals.find((s) => s.name === n)!;
    expect(sig('Multiplexor').isMultiplexer).toBe(true);
    expect(sig('Multiplexor').comment).toBe('Defines data content for response messages.');
    expect(sig('BIT_J')).toMatchObject({ multiplexerSignal: 'Multiplexor', multiplexerIds: [8, 16, 24] });
    expect(sig('BIT_A')).toMatchObject({ multiplexerSignal: 'Multiplexor', multiplexerIds: [24] });
    expect(m.attributes.VFrameFormat).toBe('J1939PG'); // BA_ ... 3 → 4th ENUM label
    expect(db.attributes).toEqual({ BusType: 'CAN', DBName: 'Network_A' });
    expect(m.sendType).toBe('NoMsgSendType'); // BA_DEF_DEF_ of GenMsgSendType
  });

  it('floating_point.dbc: SIG_VALTYPE_ 2 → float64, 1 → float32; VERSION with odd characters', () => {
    const { model: db } = model('floating_point.dbc');
    expect(db.version).toBe("HIPBNYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY/4/%%%/4/'%**4YYY///");
    expect(db.messages[0].signals[0].valueType).toBe('float64');
    expect(db.messages[1].signals.map((s) => s.valueType)).toEqual(['float32', 'float32']);
    expect(db.nodes).toEqual([{ name: 'TestNode', comment: '', attributes: {} }]);
  });

  it('choices.dbc: cp1252 text (0xE4 = "ä"), VAL_TABLE_ and negative VAL_ values', () => {
    const { model: db, encoding } = model('choices.dbc');
    expect(encoding).toBe('cp1252');
    const table = db.valueTables.Bar;
    expect(table.find((c) => c.value === 1)!.label).toBe("#%=*ä'");
    expect(table.find((c) => c.value === -5)!.label).toBe('A negative value');
    const sig = db.messages[0].signals[0];
    expect(sig.choices).toHaveLength(8);
    expect(sig.choices!.find((c) => c.value === 0)!.label).toBe('With space'); // cantools: choices[0].name
  });

  it('fd_test.dbc: FD from VFrameFormat (cantools: ends with CAN_FD), extended from bit 31, BRS default', () => {
    const { model: db } = model('fd_test.dbc');
    const by = (n: string) => db.messages.find((m) => m.name === n)!;
    expect(by('TestMsg_Std')).toMatchObject({ id: 2, extended: false, fd: false, brs: true });
    expect(by('TestMsg_Ex')).toMatchObject({ id: 3, extended: true, fd: false });
    expect(by('TestMsg_FDStd')).toMatchObject({ id: 1, extended: false, fd: true });
    expect(by('TestMsg_FDEx')).toMatchObject({ id: 0, extended: true, fd: true });
    expect(by('TestMsg_FDEx').attributes.VFrameFormat).toBe('ExtendedCAN_FD');
  });

  it('abs.dbc: multi-line comments keep their newlines (CRLF read as LF), cp1252 unit, bus comment', () => {
    const { model: db, encoding } = model('abs.dbc');
    expect(encoding).toBe('cp1252');
    expect(db.comment).toBe('Version 2.0');
    const m834 = db.messages.find((m) => m.id === 834)!;
    const wq = m834.signals.find((s) => s.name === 'WheelQuality_FL')!;
    expect(wq.comment!.split('\n')).toHaveLength(9);
    expect(wq.comment!.split('\n')[8]).toBe('Bit7 (128) Invalid Individual');
    const yaw = db.messages.find((m) => m.id === 112)!.signals.find((s) => s.name === 'Yaw_Rate')!;
    expect(yaw.unit).toBe('°/s');
    expect(yaw.receivers).toEqual(['ABS']);
    expect(db.valueTables.vt_WheelSpeedQualifier).toHaveLength(6);
    expect(db.messages.find((m) => m.id === 835)!.cycleTimeMs).toBe(10); // BA_DEF_DEF_ GenMsgCycleTime 10
    const mux = db.messages.find((m) => m.id === 1346)!;
    expect(mux.signals.find((s) => s.name === 'Ecu_serial')).toMatchObject({ multiplexerSignal: 'Mplx_SW_Info', multiplexerIds: [7] });
  });

  it('hyundai_canfd_generated.dbc: UTF-8 text with Korean labels, 16/24/32-byte messages', () => {
    const { model: db, encoding } = model('hyundai_canfd_generated.dbc');
    expect(encoding).toBe('utf-8');
    const m = db.messages.find((x) => x.id === 506)!;
    const s = m.signals.find((x) => x.name === 'ISLA_OptUsmSta')!;
    expect(s.choices!.find((c) => c.value === 0)!.label).toBe('None ISLA Option (속도 제한 메뉴 삭제)');
    expect(new Set(db.messages.map((x) => x.length))).toEqual(new Set([8, 16, 24, 32]));
  });

  it('toyota_new_mc_pt_generated.dbc: concatenated files, bus comments joined like CANdb++', () => {
    const { model: db } = model('toyota_new_mc_pt_generated.dbc');
    expect(db.comment).toBe(
      [
        'AUTOGENERATED FILE, DO NOT EDIT',
        'Imported file _toyota_2017.dbc starts here',
        'Imported file _toyota_adas_standard.dbc starts here',
        'toyota_new_mc_pt.dbc starts here',
      ].join(''),
    );
    const gear = db.messages.find((x) => x.id === 956)!.signals.find((x) => x.name === 'GEAR')!;
    expect(gear.choices).toEqual([
      { value: 0, label: 'D' },
      { value: 1, label: 'S' },
      { value: 8, label: 'N' },
      { value: 16, label: 'R' },
      { value: 32, label: 'P' },
    ]);
  });

  it('ESR.dbc: 64 track messages 0x500..0x53F and ESR_Status', () => {
    const { model: db } = model('ESR.dbc');
    const tracks = db.messages.filter((m) => m.id >= 0x500 && m.id <= 0x53f);
    expect(tracks).toHaveLength(64);
    expect(tracks.map((m) => m.name)).toContain('Target64');
    expect(Object.keys(db.valueTables)).toEqual(['ForwardReverse', 'LeftRight', 'ValidInvalid', 'TrueFalse']);
  });
});

// A DBC exercising every statement the issue lists, with CRLF endings, // comments, statements
// split across lines, and escaped quotes and newlines inside comments.
const FULL = [
  'VERSION "2.1"',
  '',
  'NS_ :',
  '\tNS_DESC_',
  '\tCM_',
  '\tSG_MUL_VAL_',
  '',
  'BS_: 500 : 12,34',
  '// a line comment',
  'BU_: ECU1 ECU2',
  '  ECU3',
  'VAL_TABLE_ OnOff 1 "On" 0 "Off" ;',
  '',
  'BO_ 2364539904 Ext: 64 ECU1',
  ' SG_ Intel12 : 0|12@1+ (0.5,-10) [-10|2037.5] "km/h" ECU2,ECU3',
  ' SG_ Moto16 : 15|16@0- (1,0) [0|0] "" ECU2',
  ' SG_ F32 : 32|32@1- (1,0) [0|0] "" Vector__XXX',
  ' SG_ Tail : 504|8@1+ (1,0) [0|0] "" Vector__XXX',
  '',
  'BO_ 100 Std: 8 ECU2',
  ' SG_ Sw M : 0|8@1+ (1,0) [0|0] "" Vector__XXX',
  ' SG_ A m1 : 8|8@1+ (1,0) [0|0] "" Vector__XXX',
  ' SG_ B m2 : 8|16@1+ (1,0) [0|0] "" Vector__XXX',
  '',
  'BO_TX_BU_ 100 : ECU1,ECU3;',
  'EV_ EnvSpeed : 1 [0|300] "km/h" 10 7 DUMMY_NODE_VECTOR0 ECU1, ECU2;',
  'CM_ "net";',
  'CM_ BU_ ECU1 "first ECU";',
  'CM_ BO_ 100 "says \\"hi\\"',
  'on two lines";',
  'CM_ SG_ 100 A "A is\r\nthere";',
  'CM_ EV_ EnvSpeed "speed env";',
  'BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;',
  'BA_DEF_ BO_ "VFrameFormat" ENUM "StandardCAN","ExtendedCAN","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","StandardCAN_FD","ExtendedCAN_FD";',
  'BA_DEF_ BO_ "CANFD_BRS" ENUM "0","1";',
  'BA_DEF_ SG_ "GenSigStartValue" FLOAT 0 1e11;',
  'BA_DEF_ BU_ "NodeAddr" HEX 0 255;',
  'BA_DEF_ EV_ "EvAttr" STRING;',
  'BA_DEF_ "DBName" STRING;',
  'BA_DEF_REL_ BU_SG_REL_ "RelAttr" INT 0 10;',
  'BA_DEF_DEF_ "GenMsgCycleTime" 100;',
  'BA_DEF_DEF_ "VFrameFormat" "StandardCAN";',
  'BA_DEF_DEF_ "CANFD_BRS" "1";',
  'BA_DEF_DEF_REL_ "RelAttr" 3;',
  'BA_ "DBName" "Demo";',
  'BA_ "GenMsgCycleTime" BO_ 100 20;',
  'BA_ "VFrameFormat" BO_ 2364539904 15;',
  'BA_ "CANFD_BRS" BO_ 2364539904 0;',
  'BA_ "GenSigStartValue" SG_ 100 A 2.5;',
  'BA_ "NodeAddr" BU_ ECU1 17;',
  'BA_ "EvAttr" EV_ EnvSpeed "x";',
  'BA_REL_ "RelAttr" BU_SG_REL_ ECU2 SG_ 100 A 4;',
  'SGTYPE_ MyType : 8@1+ (1,0) [0|255] "" 0, OnOff;',
  'VAL_ 100 A 1 "one" 2 "two" ;',
  'VAL_ EnvSpeed 0 "stopped" ;',
  'SIG_VALTYPE_ 2364539904 F32 : 1;',
  'SIG_GROUP_ 100 Grp 1 : Sw A B;',
  'SG_MUL_VAL_ 100 B Sw 2-4, 9-9;',
  '',
].join('\r\n');

describe('every DBC statement', () => {
  const db = parseDbc(FULL, 'full.dbc');
  const ext = db.messages.find((m) => m.name === 'Ext')!;
  const std = db.messages.find((m) => m.name === 'Std')!;

  it('no warnings; skipped statements are listed with their line', () => {
    expect(db.warnings).toEqual([]);
    expect(db.skipped).toEqual([
      // (one line more than the array index: a comment above spans two lines)
      { keyword: 'BA_REL_', source: { file: 'full.dbc', line: 53 } },
      { keyword: 'SGTYPE_', source: { file: 'full.dbc', line: 54 } },
    ]);
  });

  it('VERSION, BU_ over two lines, VAL_TABLE_, bus and node comments, database attributes', () => {
    expect(db.version).toBe('2.1');
    expect(db.nodes.map((n) => n.name)).toEqual(['ECU1', 'ECU2', 'ECU3']);
    expect(db.nodes[0]).toEqual({ name: 'ECU1', comment: 'first ECU', attributes: { NodeAddr: 17 } });
    expect(db.valueTables.OnOff).toEqual([
      { value: 1, label: 'On' },
      { value: 0, label: 'Off' },
    ]);
    expect(db.comment).toBe('net');
    expect(db.attributes).toEqual({ DBName: 'Demo' });
    expect(db.attributeDefinitions.GenSigStartValue).toMatchObject({ kind: 'SG_', type: 'FLOAT', minimum: 0, maximum: 1e11 });
    expect(db.attributeDefinitions.RelAttr).toMatchObject({ kind: 'BU_SG_REL_', type: 'INT' });
  });

  it('BO_ with bit 31 → 29-bit extended id; CAN FD (VFrameFormat 15, BRS 0) of 64 bytes', () => {
    expect(ext).toMatchObject({ id: 0x0cf00400, extended: true, length: 64, fd: true, brs: false, cycleTimeMs: 100, senders: ['ECU1'] });
    expect(ext.signals.map((s) => [s.name, s.byteOrder, s.signed, s.valueType])).toEqual([
      ['Intel12', 'little_endian', false, 'integer'],
      ['Moto16', 'big_endian', true, 'integer'],
      ['F32', 'little_endian', true, 'float32'],
      ['Tail', 'little_endian', false, 'integer'],
    ]);
    expect(ext.signals[0]).toMatchObject({ scale: 0.5, offset: -10, minimum: -10, maximum: 2037.5, unit: 'km/h', receivers: ['ECU2', 'ECU3'] });
  });

  it('BO_TX_BU_, comments with \\" and newlines, GenMsgCycleTime, signal attributes, VAL_, groups, SG_MUL_VAL_ ranges', () => {
    expect(std).toMatchObject({ id: 100, extended: false, fd: false, brs: true, cycleTimeMs: 20, senders: ['ECU2', 'ECU1', 'ECU3'] });
    expect(std.comment).toBe('says "hi"\non two lines');
    const a = std.signals.find((s) => s.name === 'A')!;
    expect(a.comment).toBe('A is\nthere');
    expect(a.attributes).toEqual({ GenSigStartValue: 2.5 });
    expect(a.choices).toEqual([
      { value: 1, label: 'one' },
      { value: 2, label: 'two' },
    ]);
    expect(a).toMatchObject({ multiplexerSignal: 'Sw', multiplexerIds: [1] });
    expect(std.signals.find((s) => s.name === 'B')).toMatchObject({ multiplexerSignal: 'Sw', multiplexerIds: [2, 3, 4, 9] });
    expect(std.signalGroups).toEqual([{ name: 'Grp', repetitions: 1, signals: ['Sw', 'A', 'B'] }]);
  });

  it('EV_ with several access nodes, its comment, attribute and value description', () => {
    expect(db.environmentVariables).toEqual([
      {
        name: 'EnvSpeed',
        type: 1,
        minimum: 0,
        maximum: 300,
        unit: 'km/h',
        initial: 10,
        id: 7,
        accessType: 'DUMMY_NODE_VECTOR0',
        accessNodes: ['ECU1', 'ECU2'],
        comment: 'speed env',
        choices: [{ value: 0, label: 'stopped' }],
      },
    ]);
  });

  it('compiles: the 64-byte FD message decodes its last byte', () => {
    const m = compileDatabase(db).byName('Ext')!;
    const data = new Uint8Array(64);
    data[63] = 0xa5;
    expect(m.decode(data).signals.Tail).toBe(0xa5);
  });
});

describe('a defect leaves its statement or message out with a warning naming file, line and what was expected', () => {
  // Every text starts with a good message (two lines), so positions are 2 lines below those of the
  // defect alone; the first five are the positions cantools's test_dbc_parse_error_messages reports
  // for the same text ("Invalid syntax at line L, column C"), where cantools refuses the whole file.
  const GOOD = 'BO_ 100 Good: 1 X\n SG_ G : 0|8@1+ (1,0) [0|0] "" X\n';
  type LeftOut = 'message' | 'statement';
  const cases: [string, string, number, number | undefined, LeftOut, RegExp][] = [
    ['bad frame id', 'VERSION "1.0"\nBO_ dssd\n', 2, 5, 'message', /^message \(unreadable\) left out: BO_: expected a message id/],
    ['bad entry key', 'VERSION "1.0"\ndd\n', 2, 1, 'statement', /^statement left out: statement: expected a DBC keyword/],
    ['missing colon in BO_', 'VERSION "1.0"\nBO_ 546 EMV_Stati 8 EMV_Statusmeldungen\n', 2, 19, 'message', /^message EMV_Stati left out: BO_ 546 EMV_Stati: expected ":"/],
    ['missing frame id in CM_ BO_', 'CM_ BO_ "Foo.";', 1, 9, 'statement', /^CM_ left out: CM_ BO_: expected a message id/],
    ['byte order 2', 'BO_ 1 M: 8 X\r\n SG_ S : 0|8@2+ (1,0) [0|0] "" X\r\n', 2, 14, 'message', /^message M left out: SG_ S: expected byte order 0 \(Motorola\) or 1 \(Intel\)/],
    ['missing sign', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1 (1,0) [0|0] "" X\n', 2, 16, 'message', /expected "\+" \(unsigned\) or "-" \(signed\)/],
    ['unterminated string', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "unit X\n', 2, 29, 'message', /^message M left out: SG_ S: expected the "unit", found a string that is never closed/],
    ['VAL_ without ; before the next statement', 'VAL_ 100 G 1 "a" 2 "b"\nBO_ 2 N: 8 X\n', 2, 1, 'statement', /^VAL_ left out: VAL_ 100 G: expected ";", found keyword BO_/],
    ['VAL_ without ; at the end of the file', 'VAL_ 100 G 1 "a" 2 "b"', 1, 23, 'statement', /^VAL_ left out: VAL_ 100 G: expected ";", found end of file/],
    ['CM_ without ;', 'CM_ BO_ 100 "about Good"\nBO_ 2 N: 8 X\n', 2, 1, 'statement', /^CM_ left out: CM_: expected ";", found keyword BO_/],
    ['message too long', 'BO_ 1 M: 65 X\n', 1, 10, 'message', /expected a message length in bytes \(0\.\.64\)/],
    ['signal name starting with a digit', 'BO_ 1 M: 8 X\n SG_ 64_BIT : 0|8@1+ (1,0) [0|0] "" X\n', 2, 6, 'message', /^message M left out: SG_ in BO_ M: expected a signal name, found number 64/],
    ['standard id > 11 bits', 'BO_ 4096 M: 8 X\n', 1, undefined, 'message', /^message M left out: id 4096 \(0x1000\) does not fit in 11 bits \(an extended id has bit 31 set/],
    ['duplicate id: the later message takes it', 'BO_ 1 A: 8 X\nBO_ 1 B: 8 X\n', 1, undefined, 'message', /^message A left out: its id 1 is used again by B \(line 4\), which takes it/],
    ['float of 16 bits', 'BO_ 1 M: 8 X\n SG_ S : 0|16@1+ (1,0) [0|0] "" X\nSIG_VALTYPE_ 1 S : 1;\n', 2, undefined, 'message', /^message M left out: signal S is a float \(SIG_VALTYPE_ 1\) of 16 bits, not 32/],
    ['signal defined twice', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n SG_ S : 8|8@1+ (1,0) [0|0] "" X\n', 3, undefined, 'message', /^message M left out: signal S is defined twice \(lines 4 and 5\)/],
    ['signal past the message length', 'BO_ 1 M: 2 X\n SG_ S : 12|8@1+ (1,0) [0|0] "" X\n', 2, undefined, 'message', /^message M left out: signal S \(start 12, 8 bits, little_endian\) needs 3 bytes but the message is 2 bytes long/],
    ['big-endian signal past the message length', 'BO_ 1 M: 8 X\n SG_ S : 60|8@0+ (1,0) [0|0] "" X\n', 2, undefined, 'message', /^message M left out: signal S \(start 60, 8 bits, big_endian\) needs 9 bytes but the message is 8 bytes long/],
    ['signal of 65 bits', 'BO_ 1 M: 16 X\n SG_ S : 0|65@1+ (1,0) [0|0] "" X\n', 2, undefined, 'message', /^message M left out: signal S has 65 bits; vil decodes signals of 1\.\.64 bits/],
    ['bare m in a multiplexed message', 'BO_ 1 M: 8 X\n SG_ Sw M : 0|8@1+ (1,0) [0|0] "" X\n SG_ A m : 8|8@1+ (1,0) [0|0] "" X\n', 3, undefined, 'message', /^message M left out: signal A is marked "m" without a multiplexer value in a message multiplexed by Sw/],
    ['stray character', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n$\n', 3, 1, 'statement', /^statement left out: statement: expected a DBC keyword .*found unexpected character "\$"/],
    // Found by npm run fuzz: a scale or offset beyond a double made every value ±Infinity or NaN.
    ['scale beyond a double', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (-1e309,0) [0|0] "" X\n', 2, undefined, 'message', /^message M left out: signal S has scale -Infinity; scale and offset must be finite numbers/],
    ['offset beyond a double', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,2e308) [0|0] "" X\n', 2, undefined, 'message', /^message M left out: signal S has offset Infinity; scale and offset must be finite numbers/],
    // Found by npm run fuzz: a negative start bit read bytes before the payload (the generated decoder gave NaN, the interpreted one 0).
    ['negative start bit', 'BO_ 1 M: 8 X\n SG_ S : -400|8@1+ (1,0) [0|0] "" X\n', 2, undefined, 'message', /^message M left out: signal S has start bit -400; a start bit is 0\.\.511/],
    // Found by npm run fuzz: start bit 2^31 wrapped to a negative byte in 32-bit arithmetic and passed the length check.
    ['start bit 2^31', 'BO_ 1 M: 8 X\n SG_ S : 2147483648|8@1+ (1,0) [0|0] "" X\n', 2, undefined, 'message', /^message M left out: signal S has start bit 2147483648; a start bit is 0\.\.511/],
    ['stray character inside a signal', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (.25,0) [0|0] "" X\n', 2, 18, 'message', /^message M left out: SG_ S: expected the scale factor, found unexpected character "\."/],
    ['SG_ without BO_', 'VERSION ""\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n', 2, 2, 'statement', /^SG_ left out: SG_ outside a message/],
  ];
  for (const [name, text, line, column, leftOut, re] of cases) {
    it(name, () => {
      const db = parseDbc(GOOD + text, 'broken.dbc');
      const left = db.warnings.filter((w) => w.leftOut);
      expect(left).toHaveLength(1);
      const w = left[0];
      expect({ file: w.source.file, line: w.source.line, column: w.column, leftOut: w.leftOut }).toEqual({ file: 'broken.dbc', line: line + 2, column, leftOut });
      expect(w.message).toMatch(re);
      expect(db.dropped).toHaveLength(leftOut === 'message' ? 1 : 0);
      // Everything else works.
      const c = compileDatabase(db);
      expect(c.byName('Good')!.decode(Uint8Array.of(0x2a)).signals).toEqual({ G: 42 });
      if (/BO_ 2 N/.test(text)) expect(c.byName('N')).toBeDefined();
      if (name.startsWith('duplicate id')) expect(c.lookup(1, false)!.name).toBe('B');
    });
  }

  it('SG_MUL_VAL_ with more than 65,536 values for a signal is left out (a 1.6 kB file threw RangeError: call stack; found with the fuzz harness)', () => {
    const text = `BO_ 1 M: 8 X\n SG_ S M : 0|8@1+ (1,0) [0|0] "" X\n SG_ A m1 : 8|8@1+ (1,0) [0|0] "" X\nSG_MUL_VAL_ 1 A S ${Array(200).fill('0-65535').join(', ')};\nSG_MUL_VAL_ 1 A S 0-65535, 70000-70001;\n`;
    const db = parseDbc(text, 'big.dbc');
    const left = db.warnings.filter((w) => w.leftOut === 'statement');
    expect(left.map((w) => w.message)).toEqual([
      expect.stringMatching(/^SG_MUL_VAL_ left out: .*at most 65536 multiplexer values/),
      expect.stringMatching(/^SG_MUL_VAL_ left out: .*at most 65536 multiplexer values/),
    ]);
    // The message itself stays: A is active for its m1.
    const c = compileDatabase(db).byName('M')!;
    expect(c.decode(Uint8Array.of(1, 7, 0, 0, 0, 0, 0, 0)).signals).toEqual({ S: 1, A: 7 });
    // Over several statements for one signal: the one that would pass 65,536 values is left out.
    const two = parseDbc(`BO_ 1 M: 8 X\n SG_ S M : 0|32@1+ (1,0) [0|0] "" X\n SG_ A m1 : 32|8@1+ (1,0) [0|0] "" X\nSG_MUL_VAL_ 1 A S 0-39999;\nSG_MUL_VAL_ 1 A S 40000-79999;\n`, 'two.dbc');
    expect(two.warnings.filter((w) => w.leftOut === 'statement').map((w) => [w.source.line, w.message])).toEqual([[5, expect.stringMatching(/at most 65536 multiplexer values for a signal/)]]);
    expect(two.messages[0].signals[1].multiplexerIds).toHaveLength(40000); // 0..39999 (its m1 among them)
  });

  it('the message left out is named in `dropped` with its id and the reason', () => {
    const db = parseDbc(GOOD + 'BO_ 2147484160 Big: 8 X\n SG_ S : 60|8@0+ (1,0) [0|0] "" X\n', 'broken.dbc');
    expect(db.dropped).toEqual([
      { name: 'Big', id: 0x200, extended: true, reason: 'signal S (start 60, 8 bits, big_endian) needs 9 bytes but the message is 8 bytes long', source: { file: 'broken.dbc', line: 4 } },
    ]);
    const c = compileDatabase(db);
    expect(c.lookup(0x200, true)).toBeUndefined();
    expect(c.droppedMessage('Big')).toBe(c.dropped[0]);
    expect(c.droppedMessage(0x200)).toBe(c.dropped[0]);
  });

  it('statements about a message left out are not warned about again', () => {
    const db = parseDbc(GOOD + 'BO_ 1 M: 2 X\n SG_ S : 12|8@1+ (1,0) [0|0] "" X\nCM_ BO_ 1 "m";\nVAL_ 1 S 0 "zero";\nBA_DEF_ BO_ "GenMsgCycleTime" INT 0 1000;\nBA_ "GenMsgCycleTime" BO_ 1 100;\n', 'broken.dbc');
    expect(db.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^message M left out: signal S/)]);
  });

  it('a bare m where the message has no switch is decoded always, as cantools does (warning only)', () => {
    const db = parseDbc('BO_ 648 Motor_2: 8 Motor\n SG_ Code m : 6|2@1+ (1,0) [0|3] "" X\n SG_ Getr m2 : 0|6@1+ (1,0) [0|63] "" X\n', 'vw.dbc');
    expect(db.dropped).toEqual([]);
    expect(db.warnings.map((w) => w.message)).toEqual([
      'signal Motor_2.Code is marked m but no multiplexer switch applies (decoded always, as cantools does)',
      'signal Motor_2.Getr is marked m2 but no multiplexer switch applies (decoded always, as cantools does)',
    ]);
    expect(compileDatabase(db).byName('Motor_2')!.decode(Uint8Array.of(0xc5, 0, 0, 0, 0, 0, 0, 0)).signals).toEqual({ Code: 3, Getr: 5 });
  });

  it('a multiplexer cycle (extended multiplexing) leaves that message out when compiled', () => {
    const text =
      GOOD +
      'BO_ 1 M: 8 X\n SG_ A m1M : 0|8@1+ (1,0) [0|0] "" X\n SG_ B m1M : 8|8@1+ (1,0) [0|0] "" X\n' +
      'SG_MUL_VAL_ 1 A B 1-1;\nSG_MUL_VAL_ 1 B A 1-1;\n';
    const c = compileDatabase(parseDbc(text, 'cycle.dbc'));
    expect(c.byName('M')).toBeUndefined();
    expect(c.dropped.map((d) => d.name)).toEqual(['M']);
    expect(c.warnings.find((w) => w.leftOut)!.message).toMatch(/^message M left out: multiplexer switches depend on each other in a cycle/);
    expect(c.byName('Good')).toBeDefined();
  });

  it('a text with no readable statement is not a DBC: DbcParseError naming file, line and column', () => {
    let err: unknown;
    try {
      parseDbc('abc', 'broken.dbc');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DbcParseError);
    expect((err as DbcParseError).message).toMatch(/^broken\.dbc:1:1: statement: expected a DBC keyword/);
  });

  it('a file on disk: the warning names its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-dbc-'));
    try {
      const path = join(dir, 'bad.dbc');
      writeFileSync(path, 'VERSION ""\r\n\r\nBU_: A\r\nBO_ 10 M: 8 A\r\n SG_ S : 0|8@1+ (1,0) [0|0 "" A\r\n');
      const w = readDbcFile(path).model.warnings;
      expect(w.map((x) => [x.source.file, x.source.line, x.column, x.message])).toEqual([[path, 5, 28, 'message M left out: SG_ S: expected "]", found string ""']]);
      expect(formatDbcWarning(w[0])).toBe(`${path}:5:28: message M left out: SG_ S: expected "]", found string ""`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loadDbcFile of a real file works end to end', () => {
    expect(loadDbcFile(dbcPath('motohawk.dbc')).lookup(496, false)!.name).toBe('ExampleMessage');
  });
});

describe('loadDbcConfig (for nodes): failures are ConfigErrors naming file, parameter and fix', () => {
  it('a file with nothing readable in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-dbc-'));
    try {
      const path = join(dir, 'car.dbc');
      writeFileSync(path, 'this is not a DBC file\n');
      expect(() => loadDbcConfig(path, 'dbc_file')).toThrow(ConfigError);
      expect(() => loadDbcConfig(path, 'dbc_file')).toThrow(
        `${path}:1:1: dbc_file: the DBC file cannot be read: statement: expected a DBC keyword (VERSION, BU_, BO_, CM_, BA_, VAL_, ...), found word this. Fix: correct that line (expected a DBC keyword (VERSION, BU_, BO_, CM_, BA_, VAL_, ...)) or set dbc_file to another DBC file`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a missing file', () => {
    expect(() => loadDbcConfig('/nonexistent/car.dbc', 'dbc_file')).toThrow('/nonexistent/car.dbc: dbc_file: cannot read the DBC file (ENOENT). Fix: set dbc_file to an existing, readable DBC file');
  });
  it('hyundai FD messages need FD frames although the file has no VFrameFormat', () => {
    const db = loadDbcConfig(dbcPath('hyundai_canfd_generated.dbc'), 'dbc_file');
    expect(db.lookup(160, false)!.message.fd).toBe(false); // cantools's is_fd
    expect(db.lookup(160, false)!.needsFd).toBe(true); // 24 bytes
    expect(load('fd_test.dbc').byName('TestMsg_FDStd')!.needsFd).toBe(true); // 8 bytes, VFrameFormat FD
  });
});

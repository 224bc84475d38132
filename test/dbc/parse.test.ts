// The DBC parser on the real files (cantools's test files, commaai/opendbc) and on DBC text that
// exercises each statement; facts checked are what the files say (read by eye from the fixture)
// or what cantools's tests assert about the same files.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbcParseError, parseDbc } from '../../nodes/dbc/parse.js';
import { decodeDbcBytes } from '../../nodes/dbc/text.js';
import { compileDatabase } from '../../nodes/dbc/codec.js';
import { loadDbcConfig, loadDbcFile, readDbcFile } from '../../nodes/dbc/load.js';
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

describe('broken DBC text is an error naming file, line and what was expected', () => {
  // Positions of the first five cases are the ones cantools's test_dbc_parse_error_messages
  // reports for the same text ("Invalid syntax at line L, column C").
  const cases: [string, string, number, number, RegExp][] = [
    ['no statement', 'abc', 1, 1, /expected a DBC keyword/],
    ['bad frame id', 'VERSION "1.0"\nBO_ dssd\n', 2, 5, /expected a message id/],
    ['bad entry key', 'VERSION "1.0"\ndd\n', 2, 1, /expected a DBC keyword/],
    ['missing colon in BO_', 'VERSION "1.0"\nBO_ 546 EMV_Stati 8 EMV_Statusmeldungen\n', 2, 19, /BO_ 546 EMV_Stati: expected ":"/],
    ['missing frame id in CM_ BO_', 'CM_ BO_ "Foo.";', 1, 9, /expected a message id/],
    ['byte order 2', 'BO_ 1 M: 8 X\r\n SG_ S : 0|8@2+ (1,0) [0|0] "" X\r\n', 2, 14, /SG_ S: expected byte order 0 \(Motorola\) or 1 \(Intel\)/],
    ['missing sign', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1 (1,0) [0|0] "" X\n', 2, 16, /expected "\+" \(unsigned\) or "-" \(signed\)/],
    ['unterminated string', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "unit X\n', 2, 29, /string opened here is never closed/],
    ['VAL_ without ;', 'VAL_ 1 S 1 "a" 2 "b"\nBO_ 2 N: 8 X\n', 2, 1, /VAL_ 1 S: expected ";", found keyword BO_/],
    ['message too long', 'BO_ 1 M: 65 X\n', 1, 10, /expected a message length in bytes \(0\.\.64\)/],
    ['standard id > 11 bits', 'BO_ 4096 M: 8 X\n', 1, 1, /does not fit in 11 bits/],
    ['duplicate id', 'BO_ 1 A: 8 X\nBO_ 1 B: 8 X\n', 2, 1, /id already used by A \(line 1\)/],
    ['float of 16 bits', 'BO_ 1 M: 8 X\n SG_ S : 0|16@1+ (1,0) [0|0] "" X\nSIG_VALTYPE_ 1 S : 1;\n', 3, 1, /value type 1 \(float32\) needs 32 bits, the signal has 16/],
    ['stray character', 'BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n$\n', 3, 1, /unexpected character "\$"/],
    ['SG_ without BO_', 'VERSION ""\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n', 2, 2, /SG_ outside a message/],
  ];
  for (const [name, text, line, column, re] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        parseDbc(text, 'broken.dbc');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DbcParseError);
      const e = err as DbcParseError;
      expect({ file: e.file, line: e.line, column: e.column }).toEqual({ file: 'broken.dbc', line, column });
      expect(e.message.startsWith(`broken.dbc:${line}:${column}: `)).toBe(true);
      expect(e.message).toMatch(re);
    });
  }

  it('a file on disk: the message names its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-dbc-'));
    const path = join(dir, 'bad.dbc');
    writeFileSync(path, 'VERSION ""\r\n\r\nBU_: A\r\nBO_ 10 M: 8 A\r\n SG_ S : 0|8@1+ (1,0) [0|0 "" A\r\n');
    expect(() => readDbcFile(path)).toThrow(`${path}:5:28: SG_ S: expected "]", found string ""`);
  });

  it('a signal outside its message is a ConfigError naming file:line, message and signal', () => {
    const db = parseDbc('BO_ 1 M: 2 X\n SG_ S : 12|8@1+ (1,0) [0|0] "" X\n', 'short.dbc');
    expect(() => compileDatabase(db)).toThrow(ConfigError);
    expect(() => compileDatabase(db)).toThrow(/^short\.dbc:2: BO_ M \/ SG_ S: the signal \(start 12, 8 bits, little_endian\) needs 3 bytes but the message is 2 bytes long/);
  });

  it('loadDbcFile of a real file works end to end', () => {
    expect(loadDbcFile(dbcPath('motohawk.dbc')).lookup(496, false)!.name).toBe('ExampleMessage');
  });
});

describe('loadDbcConfig (for nodes): failures are ConfigErrors naming file, parameter and fix', () => {
  it('a DBC syntax error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-dbc-'));
    const path = join(dir, 'car.dbc');
    writeFileSync(path, 'VERSION ""\nBO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,0 [0|0] "" X\n');
    expect(() => loadDbcConfig(path, 'dbc_file')).toThrow(ConfigError);
    expect(() => loadDbcConfig(path, 'dbc_file')).toThrow(
      `${path}:3:22: dbc_file: the DBC file cannot be read: SG_ S: expected ")", found "[". Fix: correct that line (expected ")") or set dbc_file to another DBC file`,
    );
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

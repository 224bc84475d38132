// Long names (CANdb++ keeps names to 32 characters and puts the full one in an attribute): the
// attributes SystemSignalLongSymbol, SystemMessageLongSymbol and SystemNodeLongSymbol name signals,
// messages and nodes as cantools does (its dbc.py: the BA_ value replaces the name; only an
// explicit BA_, not the definition's default). The short name keeps finding them (config).
import { describe, expect, it } from 'vitest';
import { parseDbc } from '../../nodes/dbc/parse.js';
import { compileDatabase } from '../../nodes/dbc/codec.js';

// Written for this test after the layout of CANdb++ exports (names cut at 32 characters).
const TEXT = `VERSION ""
BU_: Gateway_ECU_with_a_long_name_12 Brake
BO_ 100 Vehicle_dynamics_status_mess_000: 8 Gateway_ECU_with_a_long_name_12
 SG_ Longitudinal_acceleration_of_t : 0|16@1- (0.01,0) [-327.68|327.67] "m/s^2" Brake
 SG_ Mode_switch_of_the_dynamics_sta M : 16|8@1+ (1,0) [0|0] "" Brake
 SG_ Value_in_mode_one_with_a_long_n m1 : 24|8@1+ (1,0) [0|0] "" Brake
 SG_ Short : 24|8@1+ (1,0) [0|0] "" Brake
BO_ 101 Plain: 1 Brake
 SG_ Plain_signal : 0|8@1+ (1,0) [0|0] "" Gateway_ECU_with_a_long_name_12
BA_DEF_ BU_ "SystemNodeLongSymbol" STRING ;
BA_DEF_ BO_ "SystemMessageLongSymbol" STRING ;
BA_DEF_ SG_ "SystemSignalLongSymbol" STRING ;
BA_DEF_DEF_ "SystemNodeLongSymbol" "";
BA_DEF_DEF_ "SystemMessageLongSymbol" "";
BA_DEF_DEF_ "SystemSignalLongSymbol" "";
BA_ "SystemNodeLongSymbol" BU_ Gateway_ECU_with_a_long_name_12 "Gateway_ECU_with_a_long_name_1234";
BA_ "SystemMessageLongSymbol" BO_ 100 "Vehicle_dynamics_status_message_with_long_name";
BA_ "SystemSignalLongSymbol" SG_ 100 Longitudinal_acceleration_of_t "Longitudinal_acceleration_of_the_vehicle";
BA_ "SystemSignalLongSymbol" SG_ 100 Mode_switch_of_the_dynamics_sta "Mode_switch_of_the_dynamics_status";
BA_ "SystemSignalLongSymbol" SG_ 100 Value_in_mode_one_with_a_long_n "Value_in_mode_one_with_a_long_name";
SIG_GROUP_ 100 Group 1 : Longitudinal_acceleration_of_t Short;
`;

describe('long names', () => {
  const model = parseDbc(TEXT, 'long.dbc');
  const db = compileDatabase(model);

  it('name messages, signals and nodes; the short names stay in shortName', () => {
    expect(model.warnings).toEqual([]);
    const m = model.messages[0];
    expect([m.name, m.shortName]).toEqual(['Vehicle_dynamics_status_message_with_long_name', 'Vehicle_dynamics_status_mess_000']);
    expect(m.signals.map((s) => [s.name, s.shortName])).toEqual([
      ['Longitudinal_acceleration_of_the_vehicle', 'Longitudinal_acceleration_of_t'],
      ['Mode_switch_of_the_dynamics_status', 'Mode_switch_of_the_dynamics_sta'],
      ['Value_in_mode_one_with_a_long_name', 'Value_in_mode_one_with_a_long_n'],
      ['Short', undefined],
    ]);
    expect(model.messages[1].shortName).toBeUndefined();
    expect(model.nodes.map((n) => [n.name, n.shortName])).toEqual([
      ['Gateway_ECU_with_a_long_name_1234', 'Gateway_ECU_with_a_long_name_12'],
      ['Brake', undefined],
    ]);
    expect(m.senders).toEqual(['Gateway_ECU_with_a_long_name_1234']);
    expect(model.messages[1].signals[0].receivers).toEqual(['Gateway_ECU_with_a_long_name_1234']);
    // References by short name follow the rename: multiplexer switch, signal group.
    expect(m.signals[2].multiplexerSignal).toBe('Mode_switch_of_the_dynamics_status');
    expect(m.signalGroups[0].signals).toEqual(['Longitudinal_acceleration_of_the_vehicle', 'Short']);
  });

  it('decoded values carry the long names; multiplexing by a long-named switch still works', () => {
    const c = db.byName('Vehicle_dynamics_status_message_with_long_name')!;
    // accel raw 0xFF38 = -200 → -2.00; switch 1 selects the m1 signal.
    expect(c.decode(Uint8Array.of(0x38, 0xff, 1, 7, 0, 0, 0, 0)).signals).toEqual({
      Longitudinal_acceleration_of_the_vehicle: -2,
      Mode_switch_of_the_dynamics_status: 1,
      Value_in_mode_one_with_a_long_name: 7,
      Short: 7,
    });
    expect(Object.keys(c.decode(Uint8Array.of(0, 0, 2, 7, 0, 0, 0, 0)).signals)).not.toContain('Value_in_mode_one_with_a_long_name');
  });

  it('the 32-character short names find the same message and signals (configuration may use either)', () => {
    const c = db.byName('Vehicle_dynamics_status_mess_000');
    expect(c).toBe(db.byName('Vehicle_dynamics_status_message_with_long_name'));
    expect(c!.indexOf('Longitudinal_acceleration_of_t')).toBe(0);
    expect(c!.indexOf('Longitudinal_acceleration_of_the_vehicle')).toBe(0);
    expect(c!.indexOf('Value_in_mode_one_with_a_long_n')).toBe(2);
    expect(c!.signalNames).toEqual(['Longitudinal_acceleration_of_the_vehicle', 'Mode_switch_of_the_dynamics_status', 'Value_in_mode_one_with_a_long_name', 'Short']);
  });

  it('only an explicit BA_ renames (the definition default "" does not), and an empty value keeps the name', () => {
    const m = parseDbc(
      'BO_ 1 M: 1 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\nBA_DEF_ SG_ "SystemSignalLongSymbol" STRING ;\nBA_DEF_DEF_ "SystemSignalLongSymbol" "Default";\nBA_DEF_ BO_ "SystemMessageLongSymbol" STRING ;\nBA_ "SystemMessageLongSymbol" BO_ 1 "";\n',
      'x.dbc',
    ).messages[0];
    expect([m.name, m.shortName, m.signals[0].name, m.signals[0].shortName]).toEqual(['M', undefined, 'S', undefined]);
  });

  it('a message left out is reported by its long name, and found by either name', () => {
    const c = compileDatabase(parseDbc(TEXT + 'BO_ 102 Broken_message_with_a_long_name_0: 1 X\n SG_ S : 4|8@1+ (1,0) [0|0] "" X\nBA_ "SystemMessageLongSymbol" BO_ 102 "Broken_message_with_a_long_name_that_is_cut";\n', 'long.dbc'));
    expect(c.dropped.map((d) => [d.name, d.shortName])).toEqual([['Broken_message_with_a_long_name_that_is_cut', 'Broken_message_with_a_long_name_0']]);
    expect(c.droppedMessage('Broken_message_with_a_long_name_0')).toBe(c.dropped[0]);
    expect(c.droppedMessage('Broken_message_with_a_long_name_that_is_cut')).toBe(c.dropped[0]);
  });
});

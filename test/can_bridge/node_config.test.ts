// can_bridge configuration refused at start-up: every error names the file (and line), the YAML
// key path and a fix; names are checked against the real DBCs (with the nearest name suggested),
// units against the DBC's units. Also the node's own parameters.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { parseBridgeConfig, loadBridgeConfig } from '../../nodes/can_bridge/bridge_config.js';
import { DBC, SHIPPED_CONFIG, startBridge, tempDir, writeConfig, type Rig } from './node_helpers.js';

const TOYOTA = DBC('toyota_new_mc_pt_generated.dbc');
const ESR = DBC('ESR.dbc');
const FILE = '/etc/vil/can_bridge.yaml';

function refused(yaml: string): ConfigError {
  try {
    parseBridgeConfig(yaml, FILE);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('the configuration was accepted');
}

const base = `buses:
  can0: {dbc: ${TOYOTA}}
  can1: {dbc: ${ESR}}
`;

const esrGroup = (object: string, extra = '') => `${base}object_lists:
  esr:
    bus: can1
    frame_id: radar_esr
    header: {message: ESR_Status, counter: CAN_TX_SCAN_INDEX}
    members: {first: 0x500, last: 0x53F}
${extra}    object:
${object}`;

let rig: Rig | undefined;
const temps: string[] = [];
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('can_bridge configuration errors name file:line, key and fix', () => {
  it('the shipped config/can_bridge.yaml loads: 2 buses, 2 decoded entries, vehicle state, the esr group', () => {
    const plan = loadBridgeConfig(SHIPPED_CONFIG);
    expect(plan.buses.map((b) => [b.name, b.iface, b.fd])).toEqual([
      ['can0', 'can0', false],
      ['can1', 'can1', false],
    ]);
    expect(plan.decoded.map((d) => [d.bus, d.topic, d.codecs.map((c) => c.name)])).toEqual([
      ['can0', 'vil/can/decoded', ['SPEED', 'KINEMATICS', 'STEER_ANGLE_SENSOR', 'GEAR_PACKET', 'WHEEL_SPEEDS']],
      ['can1', 'vil/can/radar/decoded', ['ESR_Status']],
    ]);
    expect(plan.vehicleState?.speed?.factor).toBeCloseTo(1 / 3.6, 15);
    expect(plan.vehicleState?.yawRate?.factor).toBeCloseTo(Math.PI / 180, 15);
    expect(plan.groups.map((g) => [g.name, g.topic, g.members.length, g.header.counterModulo, g.timeoutMs])).toEqual([['esr', 'vil/can/objects/esr', 64, 65536, 40]]);
  });

  it('a misspelt signal: the line, vehicle_state.speed.signal, and the nearest DBC name', () => {
    const e = refused(`${base}vehicle_state:\n  bus: can0\n  speed: {signal: SPEED.SPEDD, unit: km/h}\n`);
    expect(e.source).toBe(`${FILE}:6`);
    expect(e.key).toBe('vehicle_state.speed.signal');
    expect(e.message).toContain('message SPEED has no signal "SPEDD"');
    expect(e.fix).toBe('did you mean SPEED? (names are case-sensitive)');
  });

  it('a unit that contradicts the DBC (SPEED.SPEED is km/h there)', () => {
    const e = refused(`${base}vehicle_state:\n  bus: can0\n  speed: {signal: SPEED.SPEED, unit: m/s}\n`);
    expect(e.key).toBe('vehicle_state.speed.unit');
    expect(e.message).toContain('the DBC gives SPEED.SPEED in km/h, not m/s');
    expect(e.fix).toContain('unit: km/h');
  });

  it('a signal without a usable unit in the DBC needs unit:, and the unit must fit the quantity', () => {
    const e = refused(`${base}vehicle_state:\n  bus: can0\n  speed: {signal: SPEED.ENCODER}\n`);
    expect(e.key).toBe('vehicle_state.speed.unit');
    expect(e.fix).toBe('add unit: one of m/s, km/h, mph, kn');
    const f = refused(`${base}vehicle_state:\n  bus: can0\n  yaw_rate: {signal: KINEMATICS.YAW_RATE, unit: km/h}\n`);
    expect(f.message).toContain('"km/h" is not a unit of angular rate');
    expect(f.fix).toBe('use one of: rad/s, deg/s');
  });

  it('an unknown message in decoded[].messages, with its index', () => {
    const e = refused(`${base}decoded:\n  - bus: can0\n    messages: [SPEED, KINEMATIC]\n`);
    expect(e.source).toBe(`${FILE}:6`);
    expect(e.key).toBe('decoded[0].messages[1]');
    expect(e.message).toContain('no message "KINEMATIC" in toyota_new_mc_pt_generated.dbc');
    expect(e.fix).toBe('did you mean KINEMATICS? (names are case-sensitive)');
  });

  it('a bus that does not exist, and a bus without a DBC where decoding needs one', () => {
    const e = refused(`${base}vehicle_state: {bus: can9}\n`);
    expect(e.key).toBe('vehicle_state.bus');
    expect(e.fix).toBe('use one of the buses: can0, can1');
    const f = refused(`buses:\n  can0: {}\ndecoded:\n  - {bus: can0}\n`);
    expect(f.message).toContain('bus can0 has no dbc');
    expect(f.fix).toContain('add a dbc: file to buses.can0');
  });

  it('an unknown key (misspelt) anywhere, named with its full path', () => {
    const e = refused(esrGroup('      position: {range: CAN_TX_TRACK_RANGE, angle: CAN_TX_TRACK_ANGLE}\n      sise: {y: CAN_TX_TRACK_WIDTH}\n'));
    expect(e.key).toBe('object_lists.esr.object.sise');
    expect(e.message).toContain('unknown key "sise"');
    expect(e.source).toBe(`${FILE}:12`);
  });

  it('object list: a member signal every member must have, an id range beyond the DBC, header counter, union values', () => {
    const e = refused(esrGroup('      position: {range: CAN_TX_TRACK_RANG, angle: CAN_TX_TRACK_ANGLE}\n'));
    expect(e.key).toBe('object_lists.esr.object.position.range');
    expect(e.message).toContain('member message Target1 has no signal "CAN_TX_TRACK_RANG"');
    expect(e.fix).toBe('did you mean CAN_TX_TRACK_RANGE? (names are case-sensitive)');
    // 0x540 is Track_Sensor, which has no track signals; 0x541 is in no message of the DBC
    const f = refused(esrGroup('      position: {range: CAN_TX_TRACK_RANGE, angle: CAN_TX_TRACK_ANGLE}\n').replace('last: 0x53F', 'last: 0x541'));
    expect(f.key).toBe('object_lists.esr.members');
    expect(f.message).toContain('id 0x541 of the range is not a message of ESR.dbc');
    const f2 = refused(esrGroup('      position: {range: CAN_TX_TRACK_RANGE, angle: CAN_TX_TRACK_ANGLE}\n').replace('last: 0x53F', 'last: 0x540'));
    expect(f2.key).toBe('object_lists.esr.object.position.range');
    expect(f2.message).toContain('member message Track_Sensor has no signal "CAN_TX_TRACK_RANGE"');
    const g = refused(esrGroup('      position: {range: CAN_TX_TRACK_RANGE, angle: CAN_TX_TRACK_ANGLE}\n').replace('counter: CAN_TX_SCAN_INDEX', 'counter: SCAN_INDEX'));
    expect(g.key).toBe('object_lists.esr.header.counter');
    const h = refused(esrGroup('      position: {range: CAN_TX_TRACK_RANGE, angle: CAN_TX_TRACK_ANGLE}\n', '    publish: sometimes\n'));
    expect(h.key).toBe('object_lists.esr.publish');
    expect(h.fix).toBe('write on_commit, or {rate_hz: N}');
    const i = refused(esrGroup('      position: {range: CAN_TX_TRACK_RANGE}\n'));
    expect(i.key).toBe('object_lists.esr.object.position.angle');
    expect(i.message).toContain('polar positions need both range and angle');
  });

  it('YAML syntax errors and a missing DBC file name the line and the key', () => {
    const e = refused(`buses:\n  can0: {dbc: ${TOYOTA}\n  can1: x\n`);
    expect(e.key).toBe('(YAML)');
    expect(e.source).toMatch(new RegExp(`^${FILE}:\\d+$`));
    const f = refused(`buses:\n  can0: {dbc: no_such.dbc}\n`);
    expect(f.key).toBe('buses.can0.dbc');
    expect(f.source).toBe(`${FILE}:2`);
    expect(f.message).toContain('file not found: /etc/vil/no_such.dbc');
  });

  it('a DBC with a broken message: an error only where the configuration uses it, naming the DBC line and why', () => {
    const dir = tempDir();
    temps.push(dir);
    const bad = writeConfig(dir, 'VERSION ""\n\nBO_ 100 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|255] "" X\n SG_ broken\nBO_ 101 Fine: 1 X\n SG_ F : 0|8@1+ (1,0) [0|255] "" X\nBO_ 102 Long: 2 X\n SG_ L : 12|8@1+ (1,0) [0|255] "" X\n', 'bad.dbc');
    // Not used: the configuration loads, the other messages work.
    const plan = parseBridgeConfig(`buses:\n  can0: {dbc: ${bad}}\ndecoded:\n  - {bus: can0, messages: [Fine]}\n`, FILE);
    expect(plan.decoded[0].codecs.map((c) => c.name)).toEqual(['Fine']);
    expect(plan.buses[0].db!.dropped.map((d) => d.name)).toEqual(['M', 'Long']);
    // Used: refused at start, naming the config key, the DBC's line and the defect.
    const e = refused(`buses:\n  can0: {dbc: ${bad}}\ndecoded:\n  - {bus: can0, messages: [Fine, M]}\n`);
    expect(e.key).toBe('decoded[0].messages[1]');
    expect(e.message).toContain(`message "M" of ${bad} is left out: SG_ broken: expected ":", found keyword BO_ (${bad}:6)`);
    expect(e.message).toContain('Fix: correct the DBC at that line, or remove the message from this configuration');
    const f = refused(`buses:\n  can0: {dbc: ${bad}}\nvehicle_state:\n  bus: can0\n  speed: {signal: Long.L, unit: km/h}\n`);
    expect(f.key).toBe('vehicle_state.speed.signal');
    expect(f.message).toContain(`message "Long" of ${bad} is left out: signal L (start 12, 8 bits, little_endian) needs 3 bytes but the message is 2 bytes long (${bad}:9)`);
    const g = refused(`buses:\n  can0: {dbc: ${bad}}\ndecoded:\n  - {bus: can0, messages: [0x66]}\n`);
    expect(g.message).toContain(`message 0x66 (Long) of ${bad} is left out`);
  });

  it('long names: the configuration may name messages and signals by the long or the 32-character name', () => {
    const dir = tempDir();
    temps.push(dir);
    const dbc = writeConfig(
      dir,
      'BO_ 100 Vehicle_speed_message_with_a_lo: 2 X\n SG_ Vehicle_speed_signal_with_a_lon : 0|16@1+ (0.01,0) [0|655.35] "km/h" X\n' +
        'BA_DEF_ BO_ "SystemMessageLongSymbol" STRING ;\nBA_DEF_ SG_ "SystemSignalLongSymbol" STRING ;\n' +
        'BA_ "SystemMessageLongSymbol" BO_ 100 "Vehicle_speed_message_with_a_long_name";\n' +
        'BA_ "SystemSignalLongSymbol" SG_ 100 Vehicle_speed_signal_with_a_lon "Vehicle_speed_signal_with_a_long_name";\n',
      'long.dbc',
    );
    for (const ref of [
      'Vehicle_speed_message_with_a_long_name.Vehicle_speed_signal_with_a_long_name',
      'Vehicle_speed_message_with_a_lo.Vehicle_speed_signal_with_a_lon',
      'Vehicle_speed_message_with_a_lo.Vehicle_speed_signal_with_a_long_name',
    ]) {
      const plan = parseBridgeConfig(`buses:\n  can0: {dbc: ${dbc}}\ndecoded:\n  - {bus: can0, messages: [Vehicle_speed_message_with_a_lo]}\nvehicle_state:\n  bus: can0\n  speed: {signal: ${ref}}\n`, FILE);
      expect(plan.vehicleState!.speed!.ref.codec.name).toBe('Vehicle_speed_message_with_a_long_name');
      expect(plan.vehicleState!.speed!.ref.index).toBe(0);
      expect(plan.decoded[0].codecs[0]).toBe(plan.vehicleState!.speed!.ref.codec);
    }
  });

  it('node parameters: an unknown bus in interfaces, source candump without a log, a missing config file', async () => {
    await expect(startBridge({ config_file: SHIPPED_CONFIG, interfaces: '[can7]' } as never, [])).rejects.toThrow(/parameter interfaces: interfaces: no bus "can7" in .*Fix: use bus names of the config file: can0, can1/);
    await expect(startBridge({ config_file: SHIPPED_CONFIG, source: 'candump' }, [])).rejects.toThrow(/candump_file: source candump needs a log file/);
    await expect(startBridge({ config_file: '/nonexistent/can.yaml' }, [])).rejects.toThrow(/parameter config_file: config_file: file not found: \/nonexistent\/can.yaml\. Fix: set config_file to a can_bridge YAML file/);
    await expect(startBridge({ source: 'serial' }, [])).rejects.toThrow(/source.*not one of socketcan, candump, recording, topic/);
  });
});

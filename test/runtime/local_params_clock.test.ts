// Parameters (nodes/runtime/params.ts, used by both ROS implementations) and the ROS clock of the
// local graph: params files with rcl's node-name matching, -p overrides, errors that name the
// file, the key and the fix; use_sim_time from either source; /clock driving now().
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { collectOverrides, defineParams, nodeKeyMatches, parseRosArgs, resolveParams } from '../../nodes/runtime/params.js';
import type { LocalContext } from '../../nodes/runtime/local/context.js';
import { context } from './helpers.js';

const SPECS = defineParams({
  port: { type: 'string', default: '/dev/ttyUSB0', description: 'serial device' },
  baud: { type: 'integer', default: 115200, min: 4800, max: 921600, description: 'serial speed', hint: 'e.g. 115200' },
  rate_hz: { type: 'double', default: 10, min: 0.1, description: 'publish rate' },
  frame_id: { type: 'string', default: 'gnss', description: 'frame' },
  stamp: { type: 'string', default: 'receive', choices: ['receive', 'gnss'] as const, description: 'stamp source' },
  publish_raw: { type: 'bool', default: true, description: 'publish raw sentences' },
  'filter.talkers': { type: 'string_array', default: [], description: 'talker ids' },
});

let dir: string;
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

setupAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vil-params-'));
});

let ctx: LocalContext | undefined;
afterEach(async () => {
  await ctx?.shutdown();
  ctx = undefined;
});

describe('parseRosArgs', () => {
  it('reads ROS 2 arguments as rcl documents them, leaving the program\'s own', () => {
    const a = parseRosArgs(['--record', 'x.mcap', '--ros-args', '-r', '__ns:=/vil', '-r', '__node:=gps', '-p', 'baud:=9600', '-p', 'rtk_serial:port:=/dev/ttyACM0', '--params-file', '/p.yaml', '-r', 'fix:=/gps/fix', '-r', 'rtk_serial:raw:=nmea', '--log-level', 'debug', '--', 'tail']);
    expect(a).toEqual({
      paramsFiles: ['/p.yaml'],
      params: [
        { node: undefined, name: 'baud', text: '9600', value: { type: 'integer', value: 9600n }, afterFiles: 0 },
        { node: 'rtk_serial', name: 'port', text: '/dev/ttyACM0', value: { type: 'string', value: '/dev/ttyACM0' }, afterFiles: 0 },
      ],
      remaps: [{ node: undefined, from: 'fix', to: '/gps/fix' }, { node: 'rtk_serial', from: 'raw', to: 'nmea' }],
      namespace: '/vil',
      nodeName: 'gps',
      logLevel: 'debug',
      rest: ['--record', 'x.mcap', 'tail'],
    });
    // Values typed as rcl types them (rcl_parse_yaml_value): see params_yaml.test.ts for the rules.
    expect(parseRosArgs(['--ros-args', '-p', 'use_sim_time:=true', '-p', 'list:=[1, 2]', '-p', 's:=\'42\'', '-p', 'd:=2.0']).params.map((p) => p.value)).toEqual([
      { type: 'bool', value: true },
      { type: 'integer_array', value: [1n, 2n] },
      { type: 'string', value: '42' },
      { type: 'double', value: 2 },
    ]);
  });

  it('refuses malformed arguments naming the flag and the fix', () => {
    expect(() => parseRosArgs(['--ros-args', '-p', 'baud=9600'])).toThrow(new ConfigError({ source: 'command line', key: '-p baud=9600', problem: 'expected name:=value', fix: 'write -p name:=value' }).message);
    expect(() => parseRosArgs(['--ros-args', '--params-file'])).toThrow(/command line: --params-file: needs a value/);
    // What rcl refuses in a -p rule: a namespace before the node name, a mapping, a mixed list, no value.
    expect(() => parseRosArgs(['--ros-args', '-p', '/vil/rtk_serial:port:=x'])).toThrow('command line: -p /vil/rtk_serial:port:=x: "/vil/rtk_serial" before ":" is not a node name rcl takes here (no namespace, no wildcard)');
    expect(() => parseRosArgs(['--ros-args', '-p', 'a:={b: 1}'])).toThrow('command line: -p a:={b: 1}: a mapping is not a parameter value for rcl');
    expect(() => parseRosArgs(['--ros-args', '-p', 'a:=[1, 1.5]'])).toThrow(/command line: -p a:=\[1, 1\.5\]: a list of mixed types \[1, 1\.5\]: integer first, then the double 1\.5 .*Fix: write every element with a decimal point: \[1\.0, 1\.5\]/);
    expect(() => parseRosArgs(['--ros-args', '-p', 'a:='])).toThrow('command line: -p a:=: no value after :=');
  });
});

describe('params files and -p', () => {
  it('node-name matching: /**, /*, the full name; non-matching sections are ignored; the later key wins', () => {
    expect(nodeKeyMatches('/**', '/vil/rtk_serial')).toBe(true);
    expect(nodeKeyMatches('/*/rtk_serial', '/vil/rtk_serial')).toBe(true);
    expect(nodeKeyMatches('/*/rtk_serial', '/a/b/rtk_serial')).toBe(false);
    expect(nodeKeyMatches('/**/rtk_serial', '/a/b/rtk_serial')).toBe(true);
    expect(nodeKeyMatches('rtk_serial', '/rtk_serial')).toBe(true);
    expect(nodeKeyMatches('rtk_serial', '/vil/rtk_serial')).toBe(false);
    const f1 = file('a.yaml', ['/**:', '  ros__parameters:', '    frame_id: base_gnss', '    rate_hz: 5.0', '/vil/rtk_serial:', '  ros__parameters:', '    baud: 460800', '    filter:', '      talkers: [GN, GP]', '/vil/can_bridge:', '  ros__parameters:', '    baud: 500000', ''].join('\n'));
    const f2 = file('b.yaml', ['/*/rtk_serial:', '  ros__parameters:', '    rate_hz: 20.0', ''].join('\n'));
    // -p rtk_serial:stamp is the key "rtk_serial", i.e. /rtk_serial: it does not reach /vil/rtk_serial.
    const args = parseRosArgs(['--ros-args', '--params-file', f1, '--params-file', f2, '-p', 'publish_raw:=false', '-p', 'can_bridge:baud:=1', '-p', 'rtk_serial:stamp:=gnss']);
    const { values, unknown } = resolveParams(SPECS, collectOverrides(args, '/vil/rtk_serial', 'rtk_serial'));
    expect(values).toEqual({ port: '/dev/ttyUSB0', baud: 460800, rate_hz: 20, frame_id: 'base_gnss', stamp: 'receive', publish_raw: false, 'filter.talkers': ['GN', 'GP'] });
    expect(unknown).toEqual([]);
    expect(resolveParams(SPECS, collectOverrides(args, '/rtk_serial', 'rtk_serial')).values.stamp).toBe('gnss');
  });

  it('rcl\'s precedence: one table in command-line order, keys in the order they first appear', () => {
    const wide = file('wide.yaml', ['/**:', '  ros__parameters:', '    rate_hz: 1.0', '/vil/rtk_serial:', '  ros__parameters:', '    rate_hz: 2.0', ''].join('\n'));
    const later = file('later.yaml', ['/**:', '  ros__parameters:', '    rate_hz: 3.0', ''].join('\n'));
    // later.yaml's /** lands in the /** entry, which came before /vil/rtk_serial: 2.0 stays.
    const args = parseRosArgs(['--ros-args', '--params-file', wide, '--params-file', later]);
    expect(resolveParams(SPECS, collectOverrides(args, '/vil/rtk_serial', 'rtk_serial')).values.rate_hz).toBe(2);
    expect(resolveParams(SPECS, collectOverrides(args, '/vil/can_bridge', 'can_bridge')).values.rate_hz).toBe(3);
    // A -p before the file loses to it; after it, wins (same key, same type).
    const one = file('one.yaml', ['/**:', '  ros__parameters:', '    rate_hz: 4.0', ''].join('\n'));
    expect(resolveParams(SPECS, collectOverrides(parseRosArgs(['--ros-args', '-p', 'rate_hz:=5.0', '--params-file', one]), '/n', 'n')).values.rate_hz).toBe(4);
    expect(resolveParams(SPECS, collectOverrides(parseRosArgs(['--ros-args', '--params-file', one, '-p', 'rate_hz:=5.0']), '/n', 'n')).values.rate_hz).toBe(5);
  });

  it('errors name the file (with the YAML key path), the parameter and the fix', () => {
    const bad = file('bad.yaml', ['rtk_serial:', '  ros__parameters:', '    baud: fast', ''].join('\n'));
    const args = parseRosArgs(['--ros-args', '--params-file', bad]);
    expect(() => resolveParams(SPECS, collectOverrides(args, '/rtk_serial', 'rtk_serial'))).toThrow(
      `${bad} (rtk_serial.ros__parameters.baud): baud: expected an integer, got a string: fast. Fix: set baud to an integer (serial speed) (e.g. 115200)`,
    );
    const low = parseRosArgs(['--ros-args', '-p', 'baud:=300']);
    expect(() => resolveParams(SPECS, collectOverrides(low, '/rtk_serial', 'rtk_serial'))).toThrow('command line (-p baud:=...): baud: 300 is below the minimum 4800. Fix: use a value ≥ 4800 (e.g. 115200)');
    const choice = parseRosArgs(['--ros-args', '-p', 'stamp:=utc']);
    expect(() => resolveParams(SPECS, collectOverrides(choice, '/rtk_serial', 'rtk_serial'))).toThrow(/stamp: "utc" is not one of receive, gnss\. Fix: set stamp to one of: receive, gnss/);
    // A mixed list: rcl refuses the whole file, for every node.
    const arr = file('arr.yaml', ['/**:', '  ros__parameters:', '    filter:', '      talkers: [GN, 5.5]', ''].join('\n'));
    expect(() => collectOverrides(parseRosArgs(['--ros-args', '--params-file', arr]), '/n', 'n')).toThrow(
      `${arr}: /**.ros__parameters.filter.talkers (line 4): a list of mixed types [GN, 5.5]: string first, then the double 5.5 (rcl: "Sequence should be of same type"; the whole file is refused, every node fails to start). Fix: quote every element: ["GN", "5.5"]`,
    );
    // An integer for a double, a double for an integer.
    const ints = file('ints.yaml', ['/**:', '  ros__parameters:', '    rate_hz: 10', '    baud: 9600.0', ''].join('\n'));
    const o = collectOverrides(parseRosArgs(['--ros-args', '--params-file', ints]), '/n', 'n');
    expect(() => resolveParams({ rate_hz: SPECS.rate_hz }, o)).toThrow(`${ints} (/**.ros__parameters.rate_hz): rate_hz: expected a double, got an integer: 10 (rcl reads 10 as an integer). Fix: write 10.0 for a double`);
    expect(() => resolveParams({ baud: SPECS.baud }, o)).toThrow(`${ints} (/**.ros__parameters.baud): baud: expected an integer, got a double: 9600.0 (rcl reads 9600.0 as a double). Fix: write 9600 without a decimal point for an integer (e.g. 115200)`);
  });

  it('a missing file, invalid YAML, a section without ros__parameters, a non-mapping file', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => collectOverrides(parseRosArgs(['--ros-args', '--params-file', missing]), '/n', 'n')).toThrow(`${missing}: --params-file: cannot read the file`);
    const yaml = file('broken.yaml', '/**:\n  ros__parameters:\n    a: [1, 2\n');
    expect(() => collectOverrides(parseRosArgs(['--ros-args', '--params-file', yaml]), '/n', 'n')).toThrow(/broken\.yaml: \(YAML\): not valid YAML.*Fix: correct the YAML syntax/s);
    const noRos = file('noros.yaml', '/**:\n  baud: 9600\n');
    expect(() => collectOverrides(parseRosArgs(['--ros-args', '--params-file', noRos]), '/n', 'n')).toThrow(
      `${noRos}: /** (line 2): section has no ros__parameters (rcl: "Cannot have a value before ros__parameters"). Fix: indent the parameters under \`/**:\` → \`ros__parameters:\``,
    );
    const list = file('list.yaml', '- a\n- b\n');
    expect(() => collectOverrides(parseRosArgs(['--ros-args', '--params-file', list]), '/n', 'n')).toThrow(`${list}: line 1: a list where rcl expects a name`);
  });

  it('node.declareParameters resolves for the node and warns once about a parameter nobody declared', async () => {
    const f = file('node.yaml', ['/vil/rtk_serial:', '  ros__parameters:', '    baud: 9600', '    buad: 19200', ''].join('\n'));
    ctx = context('--params-file', f, '-r', '__ns:=/vil');
    const n = ctx.createNode('rtk_serial');
    const warn = vi.spyOn(n.logger, 'warn');
    const v = n.declareParameters(SPECS);
    expect(v.baud).toBe(9600);
    expect(v.port).toBe('/dev/ttyUSB0');
    await new Promise((r) => setImmediate(r));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][1]).toMatch(/^parameter "buad" is set by .*node\.yaml \(\/vil\/rtk_serial\.ros__parameters\.buad\) but node \/vil\/rtk_serial declares no such parameter; it is ignored\. Did you mean "baud"\?$/);
  });
});

describe('the ROS clock', () => {
  it('without use_sim_time: system time', () => {
    ctx = context();
    const n = ctx.createNode('n');
    expect(n.useSimTime).toBe(false);
    const t = n.now();
    expect(Math.abs(t.sec + t.nanosec / 1e9 - Date.now() / 1000)).toBeLessThan(1);
    expect(t.nanosec).toBeGreaterThanOrEqual(0);
    expect(t.nanosec).toBeLessThan(1e9);
  });

  it('use_sim_time from a params file: zero until the first /clock, then the last /clock', async () => {
    const f = file('sim.yaml', '/**:\n  ros__parameters:\n    use_sim_time: true\n');
    ctx = context('--params-file', f);
    const sim = ctx.createNode('sim_node');
    const wall = ctx.createNode('wall_node', { namespace: '/elsewhere' });
    expect(sim.useSimTime).toBe(true);
    expect(sim.now()).toEqual({ sec: 0, nanosec: 0 });
    const clock = ctx.createNode('player').createPublisher('rosgraph_msgs/msg/Clock', '/clock', { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1 });
    clock.publish({ clock: { sec: 1555029596, nanosec: 500_000_000 } });
    await ctx.graph.idle();
    expect(sim.now()).toEqual({ sec: 1555029596, nanosec: 500_000_000 });
    clock.publish({ clock: { sec: 1555029597, nanosec: 0 } });
    await ctx.graph.idle();
    expect(sim.now()).toEqual({ sec: 1555029597, nanosec: 0 });
    // /** matched every node, so this one is on sim time too.
    expect(wall.useSimTime).toBe(true);
  });

  it('use_sim_time from -p, per node; a non-boolean is refused naming the source', () => {
    ctx = context('-p', 'sim_node:use_sim_time:=true');
    expect(ctx.createNode('sim_node').useSimTime).toBe(true);
    expect(ctx.createNode('other').useSimTime).toBe(false);
    const f = file('simbad.yaml', '/**:\n  ros__parameters:\n    use_sim_time: "yes"\n');
    const bad = context('--params-file', f);
    expect(() => bad.createNode('n')).toThrow(`${f} (/**.ros__parameters.use_sim_time): use_sim_time: expected a bool, got a string: "yes". Fix: write yes without quotes`);
    void bad.shutdown();
  });
});

// The command line as a user meets it (issue 9, "a CLI that fits"), the built CLI run as a child
// process: help for every command and group, the version, each node's parameters, "did you
// mean" for a misspelt parameter, and a plain message — never a stack trace, never a hang — for a
// user's mistake.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectOverrides, parseRosArgs, resolveParams, type ParamSpec, type ParamSpecs } from '../../nodes/runtime/params.js';
import { rtkSerialParams } from '../../nodes/rtk_serial/main.js';
import { canBridgeParams } from '../../nodes/can_bridge/main.js';
import { simPoseParams } from '../../nodes/sim_pose/params.js';
import { markersParams } from '../../nodes/markers/params.js';
import { dspaceRelayParams } from '../../nodes/dspace_relay/main.js';
import { ROOT, runUntilSignalled, runVil } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-cli-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stack trace line as Node prints them. */
const STACK = /\n\s+at .+\(?(file:|node:|\/).*\d+:\d+\)?/;

/** The command table: the lines after "Usage:" up to the first blank line ("  vil <words...>   summary"). */
function tableLines(text: string): string[] {
  const lines = text.split('\n');
  const from = lines.indexOf('Usage:') + 1;
  const to = lines.indexOf('', from);
  return lines.slice(from, to < 0 ? undefined : to);
}

describe('help and version', () => {
  it('vil --version prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runVil(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `vil ${pkg.version}\n` });
  });

  it('vil --help: one aligned table, every summary in the same column', () => {
    const r = runVil(['--help']);
    expect(r.code).toBe(0);
    const rows = tableLines(r.stdout);
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const l of rows) expect(l, 'a command line: two spaces, vil, its arguments, three spaces or more, a summary').toMatch(/^ {2}vil \S.* {3,}\S/);
    // The summary column: where the last run of 3+ spaces ends.
    const column = (l: string) => l.length - l.replace(/^.* {3,}/, '').length;
    expect(new Set(rows.map(column)).size, r.stdout).toBe(1);
  });

  it('every command and command group of the table answers --help with exit 0', () => {
    const words = [...new Set(tableLines(runVil(['--help']).stdout).map((l) => l.trim().split(/\s+/)[1]))];
    expect(words).toEqual(expect.arrayContaining(['run', 'demo', 'doctor', 'decode', 'udp']));
    for (const w of words) {
      const r = runVil([w, '--help']);
      expect(r.code, `vil ${w} --help\n${r.stderr}`).toBe(0);
      expect(r.stdout, `vil ${w} --help`).toMatch(/Usage/);
      expect(r.stderr).toBe('');
    }
  });

  it('vil decode --help and vil udp --help list their commands, aligned', () => {
    for (const [group, subs] of [['decode', ['nmea', 'can']], ['udp', ['decode', 'listen']]] as const) {
      const r = runVil([group, '--help']);
      expect(r.code).toBe(0);
      const rows = tableLines(r.stdout);
      expect(rows.map((l) => l.trim().split(/\s+/)[2])).toEqual(subs);
      expect(new Set(rows.map((l) => l.length - l.replace(/^.* {3,}/, '').length)).size).toBe(1);
    }
    // Without a command: the same list on stderr, exit 2 (a usage error).
    const bare = runVil(['decode']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/vil decode nmea/);
  });
});

describe('vil run <node> --help: the node\'s declared parameters', () => {
  const nodes: [string, ParamSpecs][] = [
    ['rtk_serial', rtkSerialParams],
    ['can_bridge', canBridgeParams],
    ['sim_pose', simPoseParams],
    ['markers', markersParams],
    ['dspace_relay', dspaceRelayParams],
  ];
  // The default as shown is what a user would paste into a params file: read back by rcl's rules
  // (as `-p x:=<shown>`), it must be the declared default with the declared type (10.0 for a double).
  const readBack = (spec: ParamSpec, shown: string): unknown =>
    shown === '[]' ? [] : resolveParams({ x: spec }, collectOverrides(parseRosArgs(['--ros-args', '-p', `x:=${shown}`]), '/n', 'n')).values.x;
  const range = (s: ParamSpec): string =>
    s.type === 'string' && s.choices
      ? s.choices.join(' | ')
      : (s.type === 'integer' || s.type === 'double') && s.min !== undefined && s.max !== undefined
        ? `${s.min}..${s.max}`
        : '';

  for (const [node, specs] of nodes) {
    it(`${node}: every parameter with type, default, range or choices, and description`, () => {
      const r = runVil(['run', node, '--help']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      for (const [name, spec] of Object.entries(specs)) {
        const at = lines.findIndex((l) => l.startsWith(`  ${name} `));
        expect(at, `${name} in\n${r.stdout}`).toBeGreaterThan(0);
        const cells = lines[at].trim().split(/\s{2,}/);
        expect(cells.slice(0, 2)).toEqual([name, spec.type]);
        expect(readBack(spec, cells[2]), `${name} default shown as ${cells[2]}`).toEqual(spec.default);
        if (range(spec)) expect(cells[3]).toBe(range(spec));
        expect(lines[at + 1].trim()).toBe(`${spec.description}${spec.hint ? ` (${spec.hint})` : ''}`);
      }
    });
  }
});

describe('a misspelt parameter', () => {
  it('vil run warns "did you mean" and names where it was set (not fatal: ROS ignores undeclared parameters)', async () => {
    const params = join(dir, 'typo.params.yaml');
    writeFileSync(params, '/**/rtk_serial:\n  ros__parameters:\n    source: topic\n    prot: /dev/ttyUSB0\n');
    const r = await runUntilSignalled(['run', 'rtk_serial', '--ros', 'local', '--ros-args', '--params-file', params, '--log-level', 'warn'], ['Did you mean'], 'SIGINT');
    expect(r.code).toBe(0);
    const warning = r.stderr.split('\n').find((l) => l.includes('Did you mean'))!;
    const msg = (JSON.parse(warning) as { msg: string }).msg;
    expect(msg).toMatch(/^parameter "prot" is set by \S*typo\.params\.yaml \(\/\*\*\/rtk_serial\.ros__parameters\.prot\) but node \/rtk_serial declares no such parameter; it is ignored\. Did you mean "port"\?$/);
  });
});

describe('a user\'s mistake: a message that says what to fix, no stack trace, no hang', () => {
  it('vil demo --out <a file>/x', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const r = runVil(['demo', '--epochs', '2', '--out', join(file, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vil demo: cannot use .*a-file\/x as the output directory: .*a-file is a file, not a directory\. Fix: give --out a directory/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('vil demo --out /proc/x ends (Node\'s recursive mkdir spins forever there)', () => {
    const r = runVil(['demo', '--epochs', '2', '--out', '/proc/vil-test/x'], {}, 600_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vil demo: cannot use \/proc\/vil-test\/x as the output directory: \/proc\/vil-test: cannot be created here/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('vil udp listen --group 300.1.1.1', () => {
    const r = runVil(['udp', 'listen', '--layout', join(ROOT, 'config/layouts/sim_pose_ego.yaml'), '--port', '0', '--group', '300.1.1.1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vil udp listen: --group expects an IPv4 multicast address \(224\.0\.0\.0 to 239\.255\.255\.255\), got "300\.1\.1\.1"/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a PROJ string proj4 refuses: its reason is printed, not "undefined"', () => {
    const r = runVil(['run', 'sim_pose', '--ros', 'local', '--ros-args', '-p', 'map_projection:=+proj=foo', '-p', `udp_layout:=${join(ROOT, 'config/layouts/sim_pose_ego.yaml')}`], { VIL_LOG_JSON: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('proj4 cannot use \\"+proj=foo\\": Could not get projection name from: +proj=foo. Fix:');
    expect(r.stderr).not.toContain('undefined');
  });

  it('a layout with an unknown key lists the keys allowed at that level (and the closest)', () => {
    const layout = join(dir, 'typo_layout.yaml');
    writeFileSync(layout, 'message: geometry_msgs/msg/PoseStamped\nheader:\n  sequnce: u16\nfields:\n  - {name: x, type: f64, source: pose.position.x}\n');
    const r = runVil(['udp', 'decode', '--layout', layout, join(dir, 'no-such-capture')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('typo_layout.yaml:3: header.sequnce: unknown key "sequnce" (did you mean sequence?). Fix: remove it or correct its spelling; allowed here: magic, version, flags, sequence, send_time, payload_length, crc32');
    writeFileSync(layout, 'message: geometry_msgs/msg/PoseStamped\nheader:\n  magic: {valeu: 5, type: u32}\nfields:\n  - {name: x, type: f64, source: pose.position.x}\n');
    expect(runVil(['udp', 'decode', '--layout', layout, join(dir, 'no-such-capture')]).stderr).toContain('header.magic.valeu: unknown key "valeu" (did you mean value?). Fix: remove it or correct its spelling; allowed here: value, type');
  });
});

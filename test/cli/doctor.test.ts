// `vil doctor` on this machine (no receiver, no CAN adapter, no ROS 2) and its checks against the
// real things: the kernel's devices, iproute2's own output (live here, and captured from a real
// Linux CAN stack in the project's UML VM), the project's DBC loader and layout compiler, the
// system resolver.
import { describe, expect, it, afterAll, vi } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  captureParamSpecs,
  checkCanInterface,
  checkDbc,
  checkLayout,
  checkNodeVersion,
  checkSerialDevice,
  checkUdpDestination,
  main,
  parseIpLink,
  runIp,
  targetsFromParams,
  type IpRunner,
  type Target,
} from '../../nodes/cli/doctor.js';
import { NODES } from '../../nodes/cli/registry.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fx = (name: string) => join(root, 'test/fixtures/doctor', name);
const target = (kind: Target['kind'], value: string, extra: Partial<Target> = {}): Target => ({ kind, node: 'n', param: 'p', value, source: 'default', ...extra });
/** `ip` as if it printed this captured output. */
const captured = (file: string): IpRunner => () => ({ status: 0, stdout: readFileSync(fx(file), 'utf8'), stderr: '' });

async function runMain(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string }> {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), out };
  } finally {
    spy.mockRestore();
    process.env = saved;
  }
}

describe('vil doctor on this machine (no serial device, no CAN interface, no ROS 2)', () => {
  let result: { code: number; out: string };
  setupAll(async () => {
    result = await runMain(['--params-file', fx('params.yaml'), '--ros-args', '-r', '__ns:=/vil'], { AMENT_PREFIX_PATH: undefined, ROS_DISTRO: undefined });
  });

  it('exits 1', () => {
    expect(result.code).toBe(1);
  });

  it('reports the missing serial device with where it was configured and the fix', () => {
    expect(result.out).toMatch(/\[FAIL\] serial device \/dev\/ttyVIL_DOCTOR_TEST0 \(rtk_serial\.port, from .*params\.yaml.*\) is not present\n\s+fix: .*\/dev\/serial\/by-id/);
  });

  it('reports the missing CAN interface with the fix (driver, ip link, vcan)', () => {
    expect(result.out).toMatch(/\[FAIL\] CAN interface \S+ \(can_bridge\.\S+.*\) does not exist\n\s+fix: .*ip link set \S+ up type can bitrate 500000.*type vcan/);
  });

  it('reports ROS 2 not sourced with the fix, and Node.js as fine', () => {
    expect(result.out).toMatch(/\[FAIL\] ROS 2 is not sourced .*\n\s+fix: source \/opt\/ros\/jazzy\/setup\.bash/);
    expect(result.out).toMatch(/\[ OK \] Node\.js \d+\.\d+\.\d+ \(needs >= 22\.12\)/);
  });

  it('validates can_bridge\'s configuration file with its own loader (DBC included) and fails on a parameter its section sets but it does not declare', () => {
    expect(result.out).toMatch(/\[ OK \] can_bridge configuration \S+can_bridge\.yaml valid .*motohawk on vildoctor0/);
    expect(result.out).toMatch(/\[FAIL\] parameter "bitrate" is not declared by can_bridge, so its value is not used\n\s+from \S*params\.yaml \(\/vil\/can_bridge\.ros__parameters\.bitrate\)/);
  });

  // Issue 9 (a CLI that fits): a misspelt parameter gets "did you mean", and is a failure when the
  // node's own section sets it; from a wildcard section (every node sees it) a warning.
  it('a misspelt parameter: "did you mean port?", a failure in the node\'s own section, a warning from /**', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-doctor-'));
    try {
      const file = join(dir, 'typo.yaml');
      writeFileSync(file, '/**:\n  ros__parameters:\n    bauds: 9600\n/vil/rtk_serial:\n  ros__parameters:\n    prot: /dev/ttyUSB0\n');
      const r = await runMain(['--params-file', file, '--nodes', 'rtk_serial', '--ros-args', '-r', '__ns:=/vil'], {});
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/\[FAIL\] parameter "prot" is not declared by rtk_serial, so its value is not used: did you mean port\?\n\s+from \S*typo\.yaml \(\/vil\/rtk_serial\.ros__parameters\.prot\)\n\s+fix: rename it to port/);
      expect(r.out).toMatch(/\[WARN\] parameter "bauds" is not declared by rtk_serial \(ignored; it may be meant for another node\): did you mean baud\?/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks every registered node\'s parameters against the params file', () => {
    for (const name of Object.keys(NODES)) expect(result.out).toContain(`${name} (/vil/${name})`);
    expect(result.out).toMatch(/rtk_serial \(\/vil\/rtk_serial\)\n\s+\[ OK \] parameters valid/);
  });

  it('refuses a params file value of the wrong type, naming file, key and fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-doctor-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, '/vil/rtk_serial:\n  ros__parameters:\n    baud: fast\n');
      const r = await runMain(['--params-file', bad, '--nodes', 'rtk_serial', '--ros-args', '-r', '__ns:=/vil'], {});
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/\[FAIL\] parameters: .*bad\.yaml.*baud.*expected an integer, got a string: fast.*\n\s+fix: set baud to an integer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a params file rcl refuses (a mixed list), naming file, key and fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-doctor-'));
    try {
      const bad = join(dir, 'mixed.yaml');
      writeFileSync(bad, '/**/sim_pose:\n  ros__parameters:\n    lever_arm: [1.2, 0, 1.5]\n');
      const r = await runMain(['--params-file', bad, '--nodes', 'sim_pose'], {});
      expect(r.code).toBe(1);
      expect(r.out).toContain(`[FAIL] params file ${bad}: /**/sim_pose.ros__parameters.lever_arm (line 3): a list of mixed types [1.2, 0, 1.5]`);
      expect(r.out).toMatch(/fix: write every element with a decimal point: \[1\.2, 0\.0, 1\.5\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown arguments with exit 2', async () => {
    const r = await runMain(['--frobnicate'], {});
    expect(r.code).toBe(2);
  });
});

describe('node and parameter discovery', () => {
  it('Node.js version gate at 22.12', () => {
    expect(checkNodeVersion('22.12.0').status).toBe('ok');
    expect(checkNodeVersion('22.11.9').status).toBe('fail');
    expect(checkNodeVersion('20.20.2').fix).toMatch(/node_modules\/\.bin\/node/);
    expect(checkNodeVersion('24.0.0').status).toBe('ok');
  });

  it('reads rtk_serial\'s real parameter specs by stopping its start() at declareParameters', async () => {
    const specs = await captureParamSpecs(await NODES.rtk_serial.load(), '/vil');
    expect(specs.port).toMatchObject({ type: 'string' });
    expect(specs.baud).toMatchObject({ type: 'integer' });
  });

  it('derives checks from values: /dev paths, CAN interface names in CAN nodes, .dbc, layouts, hosts; nothing for a topic source', () => {
    const { targets } = targetsFromParams({
      node: 'can_gateway',
      fqn: '/vil/can_gateway',
      registered: true,
      values: { interface: 'can0', bitrate: 250000, dbc_file: 'config/car.DBC', layout_file: 'l.yaml', mapping: 'm.yaml', frame_id: 'base_link', host: 'sim.local', port: 5000 },
      sources: {},
      unknown: [],
    });
    expect(targets.map((t) => [t.kind, t.param, t.value, t.expectBitrate])).toEqual([
      ['can', 'interface', 'can0', 250000],
      ['dbc', 'dbc_file', 'config/car.DBC', undefined],
      ['layout', 'layout_file', 'l.yaml', undefined],
      ['yaml', 'mapping', 'm.yaml', undefined],
      ['udp', 'host', 'sim.local', undefined],
    ]);
    const replay = targetsFromParams({ node: 'rtk_serial', fqn: '/rtk_serial', registered: true, values: { source: 'topic', port: '/dev/ttyACM0' }, sources: {}, unknown: [] });
    expect(replay.targets).toEqual([]);
    expect(replay.notes[0].title).toMatch(/source:=topic/);
    // can_bridge names its interfaces in its config file: its `interfaces` (bus names) are not devices.
    const bridge = targetsFromParams({ node: 'can_bridge', fqn: '/can_bridge', registered: true, values: { source: 'socketcan', config_file: 'config/can_bridge.yaml', interfaces: ['can0'] }, sources: {}, unknown: [] });
    expect(bridge.targets.map((t) => [t.kind, t.param])).toEqual([['config', 'config_file']]);
  });
});

describe('serial device check (the kernel\'s devices)', () => {
  it('a character device that opens read/write passes (/dev/ptmx)', async () => {
    expect((await checkSerialDevice(target('serial', '/dev/ptmx'))).status).toBe('ok');
  });

  it('a socat pty (what a USB receiver looks like to the node) passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-doctor-pty-'));
    const link = join(dir, 'ttyRTK');
    const socat = spawnSync('sh', ['-c', `socat pty,raw,echo=0,link=${link} pty,raw,echo=0 </dev/null >/dev/null 2>&1 & echo $!; while [ ! -e ${link} ]; do sleep 0.05; done`], { encoding: 'utf8' });
    const pid = Number(socat.stdout.trim().split('\n')[0]);
    try {
      expect((await checkSerialDevice(target('serial', link))).status).toBe('ok');
    } finally {
      process.kill(pid);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing device fails with the by-id hint; a regular file is not a device', async () => {
    const missing = await checkSerialDevice(target('serial', '/dev/ttyVIL_NOPE'));
    expect(missing.status).toBe('fail');
    expect(missing.fix).toMatch(/serial\/by-id/);
    const file = await checkSerialDevice(target('serial', fx('params.yaml')));
    expect(file.status).toBe('fail');
    expect(file.title).toMatch(/not a character device/);
  });
});

describe('CAN interface check (iproute2 output)', () => {
  it('parses the real `ip -details -json` record of a vcan up and down', () => {
    expect(parseIpLink(readFileSync(fx('ip_link_vcan0_up.json'), 'utf8'))).toEqual({ name: 'vcan0', linkType: 'can', kind: 'vcan', up: true, operstate: 'UNKNOWN', bitrate: undefined, canState: undefined });
    expect(parseIpLink(readFileSync(fx('ip_link_vcan1_down.json'), 'utf8'))?.up).toBe(false);
  });

  it('vcan up passes; vcan down fails with `ip link set … up`', () => {
    expect(checkCanInterface(target('can', 'vcan0'), captured('ip_link_vcan0_up.json')).status).toBe('ok');
    const down = checkCanInterface(target('can', 'vcan1'), captured('ip_link_vcan1_down.json'));
    expect(down.status).toBe('fail');
    expect(down.fix).toBe('sudo ip link set vcan1 up');
  });

  it('live iproute2 here: a missing interface fails with the fixes; lo is not a CAN interface', () => {
    const missing = checkCanInterface(target('can', 'vilnope0', { expectBitrate: 250000 }), runIp);
    expect(missing.status).toBe('fail');
    expect(missing.title).toMatch(/does not exist/);
    expect(missing.fix).toMatch(/bitrate 250000/);
    const lo = checkCanInterface(target('can', 'lo'), runIp);
    expect(lo.status).toBe('fail');
    expect(lo.title).toMatch(/not a CAN interface \(link type loopback\)/);
  });

  it('a real CAN controller: bitrate from info_data.bittiming (iproute2 ip/iplink_can.c), compared with the configuration', () => {
    // Shape per iproute2's printer (ipaddress.c: linkinfo/info_kind/info_data; iplink_can.c:
    // bittiming.bitrate); no real controller here to capture from.
    const json = (bitrate: number) => JSON.stringify([{ ifname: 'can0', flags: ['NOARP', 'UP', 'LOWER_UP', 'ECHO'], operstate: 'UP', link_type: 'can', linkinfo: { info_kind: 'can', info_data: { bittiming: { bitrate, sample_point: '0.875' } } } }]);
    const ip = (b: number): IpRunner => () => ({ status: 0, stdout: json(b), stderr: '' });
    expect(checkCanInterface(target('can', 'can0', { expectBitrate: 500000 }), ip(500000)).status).toBe('ok');
    const wrong = checkCanInterface(target('can', 'can0', { expectBitrate: 500000 }), ip(250000));
    expect(wrong.status).toBe('fail');
    expect(wrong.fix).toMatch(/type can bitrate 500000/);
  });
});

describe('files and destinations (the project\'s loaders, the system resolver)', () => {
  it('a real DBC compiles: message and signal counts equal the file\'s BO_ and SG_ lines', async () => {
    const text = readFileSync(fx('motohawk.dbc'), 'utf8');
    const bo = text.split('\n').filter((l) => l.startsWith('BO_ ')).length;
    const sg = text.split('\n').filter((l) => l.startsWith(' SG_ ')).length;
    const r = await checkDbc(target('dbc', fx('motohawk.dbc')));
    expect(r.status).toBe('ok');
    expect(r.title).toContain(`${bo} messages, ${sg} signals`);
  });

  it('a DBC with a broken message warns naming the line; one with nothing readable and a missing DBC fail with a fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-doctor-dbc-'));
    try {
      const bad = join(dir, 'bad.dbc');
      const text = readFileSync(fx('motohawk.dbc'), 'utf8');
      writeFileSync(bad, text.replace(/^ SG_ (\w+) : /m, ' SG_ $1 :: '));
      const line = text.split('\n').findIndex((l) => l.startsWith(' SG_ ')) + 1;
      const signal = /^ SG_ (\w+) : /m.exec(text)![1];
      const w = await checkDbc(target('dbc', bad));
      expect(w.status).toBe('warn');
      expect(w.title).toContain(`0 messages, 0 signals; 1 defect(s) left out: line ${line}: message ExampleMessage left out: SG_ ${signal}: expected the start bit, found ":"`);
      expect(w.fix).toBeTruthy();
      writeFileSync(bad, 'not a DBC\n');
      const r = await checkDbc(target('dbc', bad));
      expect(r.status).toBe('fail');
      expect(r.fix).toBeTruthy();
      expect((await checkDbc(target('dbc', join(dir, 'none.dbc')))).title).toMatch(/not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the project\'s own UDP layout compiles; a broken one fails naming the key', async () => {
    const layout = join(root, 'config/layouts/markers_to_dspace.yaml');
    const ok = await checkLayout(target('layout', layout));
    expect(ok.status).not.toBe('fail');
    const dir = mkdtempSync(join(tmpdir(), 'vil-doctor-layout-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'name: x\nendianness: sideways\n');
      const r = await checkLayout(target('layout', bad));
      expect(r.status).toBe('fail');
      expect(r.title).toMatch(/endianness|fields|name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sim_pose's layout compiles for its own message type sim_pose/EgoState (not a ROS type)", async () => {
    const r = await checkLayout(target('layout', join(root, 'config/layouts/sim_pose_ego.yaml')));
    expect(r.status, r.title).toBe('ok');
    expect(r.title).toContain('sim_pose/EgoState');
  });

  it('destinations: an IP, localhost resolve; a name under .invalid (RFC 6761) does not', async () => {
    expect((await checkUdpDestination(target('udp', '192.168.10.20:5000'))).status).toBe('ok');
    expect((await checkUdpDestination(target('udp', 'localhost'))).status).toBe('ok');
    const bad = await checkUdpDestination(target('udp', 'dspace.vil-doctor.invalid'));
    expect(bad.status).toBe('fail');
    expect(bad.fix).toMatch(/\/etc\/hosts/);
  });
});

afterAll(() => vi.restoreAllMocks());

describe("the project's own configuration files, through the nodes' loaders", () => {
  const node = (name: string, values: Record<string, unknown>) => ({ node: name, fqn: `/vil/${name}`, registered: true, values, sources: {}, unknown: [] });

  it('config/can_bridge.yaml is valid and names the CAN interfaces to check', async () => {
    const { checkConfigFile } = await import('../../nodes/cli/doctor.js');
    const r = await checkConfigFile(target('config', 'config/can_bridge.yaml', { node: 'can_bridge', param: 'config_file' }), node('can_bridge', { source: 'socketcan', interfaces: [] }));
    expect(r.checks[0].status).toBe('ok');
    expect(r.targets.length).toBeGreaterThan(0);
    expect(r.targets.every((t) => t.kind === 'can')).toBe(true);
  });

  it('config/dspace_relay_routes.yaml: every route\'s layout compiles for its type; destinations become checks', async () => {
    const { checkConfigFile } = await import('../../nodes/cli/doctor.js');
    const r = await checkConfigFile(target('config', 'config/dspace_relay_routes.yaml', { node: 'dspace_relay', param: 'routes_file' }), node('dspace_relay', {}));
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(r.checks.some((c) => /^route \S+: layout .* compiles for /.test(c.title))).toBe(true);
    expect(r.targets.every((t) => t.kind === 'udp')).toBe(true);
  });

  it('a routes file that is not set is a failure (dspace_relay cannot start without it)', () => {
    const { notes } = targetsFromParams(node('dspace_relay', { routes_file: '' }));
    expect(notes[0]).toMatchObject({ status: 'fail' });
  });
});

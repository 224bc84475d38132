// launch/*.launch.py and config/vil.params.yaml, checked without ROS 2 (it cannot be installed
// here; `ros2 launch` itself is exercised only on a ROS 2 Jazzy machine):
//  - the files compile (python3 -m py_compile);
//  - each launch file is run by test/ros_package/launch_probe.py on stand-ins for launch and
//    launch_ros that have the real classes' signatures: the argument names it reads must be
//    declared, and what it would start is printed;
//  - every executable it starts is installed by CMakeLists.txt (and a `vil run` names registered
//    nodes); every params file it passes is read as rcl reads it (keys, value types) and resolved
//    with each node's own declared parameters (captured from the node's code, as `vil doctor`
//    does) through nodes/runtime/params.ts: no undeclared name, no wrong type or value;
//  - the exact command line is then run on the local graph: bringup starts every node without its
//    devices and reports them on /diagnostics; in a replay, what the decoders need from outside is
//    what `ros2 bag play --regex` plays, and nothing they publish is played again;
//  - config/vil.rviz shows the markers topic the launch resolves; frames hang off base_link;
//  - deliberately broken copies of the launch files fail these checks.
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { NODES } from '../../nodes/cli/registry.js';
import { captureParamSpecs } from '../../nodes/cli/doctor.js';
import { collectOverrides, fullyQualifiedName, nodeKeyMatches, normaliseNamespace, parseRosArgs, resolveParams, type ParamSpecs, type RosArgs } from '../../nodes/runtime/params.js';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { startNodes } from '../../nodes/runtime/run.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import { loadBridgeConfig } from '../../nodes/can_bridge/bridge_config.js';
import { RclParams } from '../../nodes/runtime/params_yaml.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROBE = join(root, 'test/ros_package/launch_probe.py');
const BRINGUP = join(root, 'launch/bringup.launch.py');
const REPLAY = join(root, 'launch/replay.launch.py');
const PARAMS = join(root, 'config/vil.params.yaml');
const PYTHON = '/usr/bin/python3';

let work: string;
setupAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vil-launch-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// ---- what the launch files would start (launch_probe.py) ------------------------------------

interface NodeAction {
  type: 'node';
  package: string | null;
  executable: string;
  name: string | null;
  namespace: string | null;
  parameters: (string | Record<string, unknown>)[];
  arguments: string[];
  ros_arguments: string[];
  output: string;
  respawn: boolean;
}
interface ProcessAction {
  type: 'process';
  cmd: string[];
  name: string | null;
  output: string;
}
interface Probe {
  declared: { name: string; default: string | null; description: string }[];
  configurations: Record<string, string>;
  referenced: string[];
  actions: (NodeAction | ProcessAction)[];
  error: string | null;
  traceback?: string;
}

function probe(file: string, args: string[] = []): Probe {
  const r = spawnSync(PYTHON, [PROBE, file, '--share', `vil=${root}`, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, TMPDIR: work },
  });
  if (r.status !== 0) throw new Error(`launch_probe.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

const nodeActions = (p: Probe) => p.actions.filter((a): a is NodeAction => a.type === 'node');
const vilActions = (p: Probe) => nodeActions(p).filter((a) => a.package === 'vil');

/** Executables CMakeLists.txt installs into lib/vil (one per node, vil_all, and the CLI `vil`). */
function installedExecutables(): string[] {
  const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
  const list = /set\(VIL_EXECUTABLES\s+([^)]*)\)/.exec(cmake)![1].split(/\s+/).filter(Boolean);
  expect(cmake).toMatch(/install\(PROGRAMS scripts\/ros\/node_wrapper\.sh DESTINATION lib\/\$\{PROJECT_NAME\} RENAME vil\)/);
  return [...list, 'vil'];
}

/** The argv launch_ros gives the process (node.py: arguments, --ros-args ros_arguments, then namespace and parameter files). */
function argvOf(a: NodeAction): string[] {
  const argv = [...a.arguments];
  if (a.ros_arguments.length) argv.push('--ros-args', ...a.ros_arguments);
  argv.push('--ros-args');
  if (a.namespace) argv.push('-r', `__ns:=${normaliseNamespace(a.namespace)}`);
  for (const p of a.parameters) {
    if (typeof p !== 'string') throw new Error('vil nodes get parameter files, not dicts');
    argv.push('--params-file', p);
  }
  return argv;
}

/** The vil nodes one launched executable runs. */
function nodesRunBy(a: NodeAction): string[] {
  if (a.executable === 'vil_all') return Object.keys(NODES);
  if (a.executable === 'vil') {
    expect(a.arguments[0]).toBe('run');
    return a.arguments.slice(1);
  }
  return [a.executable];
}

const specsCache = new Map<string, ParamSpecs>();
async function specsOf(node: string): Promise<ParamSpecs> {
  let s = specsCache.get(node);
  if (!s) {
    const entry = NODES[node];
    if (!entry) throw new Error(`${node} is not a registered vil node`);
    s = await captureParamSpecs(await entry.load(), '/');
    specsCache.set(node, s);
  }
  return s;
}

interface Resolved {
  node: string;
  fqn: string;
  values: Record<string, unknown>;
}

/**
 * Every problem a launched vil executable has: not installed, a params file rcl would refuse or
 * type differently from the declaration, a parameter its node does not declare, a value params.ts
 * refuses. Returns the resolved values of its nodes.
 */
async function checkVilAction(a: NodeAction, problems: string[]): Promise<Resolved[]> {
  const installed = installedExecutables();
  if (!installed.includes(a.executable)) {
    problems.push(`executable ${a.executable} is not installed into lib/vil (CMakeLists.txt: ${installed.join(' ')})`);
    return [];
  }
  const out: Resolved[] = [];
  let rosArgs: RosArgs;
  try {
    rosArgs = parseRosArgs(argvOf(a));
  } catch (e) {
    problems.push(`${a.executable}: ${(e as Error).message}`);
    return [];
  }
  const namespace = rosArgs.namespace ?? '/';
  for (const node of nodesRunBy(a)) {
    if (!NODES[node]) {
      problems.push(`${a.executable} runs ${node}, which is not a registered vil node`);
      continue;
    }
    const specs = await specsOf(node);
    const fqn = fullyQualifiedName(namespace, node);
    for (const file of rosArgs.paramsFiles) {
      // Read as rcl reads it (nodes/runtime/params_yaml.ts, checked against real rcl in the ROS tier).
      const rcl = new RclParams();
      try {
        rcl.addFilePath(file);
      } catch (e) {
        problems.push((e as Error).message);
        continue;
      }
      for (const section of rcl.nodes().filter((s) => nodeKeyMatches(s.key, fqn))) {
        for (const p of section.params) {
          if (p.name === 'use_sim_time') {
            if (p.value.type !== 'bool') problems.push(`${p.source}: use_sim_time is ${p.value.type} for rcl, not bool`);
            continue;
          }
          const spec = specs[p.name];
          if (!spec) problems.push(`${p.source}: ${node} declares no parameter ${p.name}`);
          else if (spec.type !== p.value.type) problems.push(`${p.source}: ${node}.${p.name} is ${p.value.type} as rcl reads it, declared ${spec.type}`);
        }
      }
    }
    try {
      const { values, unknown } = resolveParams(specs, collectOverrides(rosArgs, fqn, node));
      if (unknown.length) problems.push(`${node}: not declared: ${unknown.join(', ')}`);
      out.push({ node, fqn, values: values as Record<string, unknown> });
    } catch (e) {
      problems.push(`${node}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Every problem of one probe run: its error, and every vil executable it starts. */
async function check(p: Probe): Promise<{ problems: string[]; resolved: Map<string, Resolved> }> {
  const problems: string[] = [];
  if (p.error) problems.push(p.error);
  const resolved = new Map<string, Resolved>();
  for (const a of vilActions(p)) for (const r of await checkVilAction(a, problems)) resolved.set(r.node, r);
  return { problems, resolved };
}

/** The OVERRIDES table of a launch file: (argument, node, parameter, ROS type). */
function overridesTable(file: string) {
  const src = readFileSync(file, 'utf8');
  const body = /^OVERRIDES = \(\n([\s\S]*?)^\)/m.exec(src)![1];
  return [...body.matchAll(/\('(\w+)', '(\w+)', '([\w.]+)', '(\w+)'\),/g)].map((m) => ({ arg: m[1], node: m[2], param: m[3], kind: m[4] }));
}

// ---- the files -------------------------------------------------------------------------------

describe('launch files', () => {
  it('compile (python3 -m py_compile), with vil_launch_lib.py beside them', () => {
    for (const f of ['launch/bringup.launch.py', 'launch/replay.launch.py', 'launch/vil_launch_lib.py']) {
      const r = spawnSync(PYTHON, ['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', join(root, f), join(work, 'c.pyc')], { encoding: 'utf8' });
      expect(r.stderr, f).toBe('');
      expect(r.status, f).toBe(0);
    }
  });

  it('are installed with config/ into share/vil (the path FindPackageShare gives them)', () => {
    const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
    expect(cmake).toMatch(/foreach\(_dir launch config\)[\s\S]*?install\(DIRECTORY \$\{_dir\} DESTINATION share\/\$\{PROJECT_NAME\}\)/);
  });
});

describe('config/vil.params.yaml', () => {
  const text = readFileSync(PARAMS, 'utf8');
  const rcl = new RclParams();
  let readError: unknown;
  try {
    rcl.addFile(PARAMS, text);
  } catch (e) {
    readError = e;
  }

  it('is a params file rcl reads without error, one /**/<node> section per registered node', () => {
    expect(readError).toBeUndefined();
    expect(rcl.nodes().map((s) => s.key).sort()).toEqual(Object.keys(NODES).map((n) => `/**/${n}`).sort());
  });

  it('`/**/<node>` keys match the node in any namespace and no other node (params.ts nodeKeyMatches, as rcl)', () => {
    expect(nodeKeyMatches('/**/rtk_serial', '/rtk_serial')).toBe(true);
    expect(nodeKeyMatches('/**/rtk_serial', '/car1/rtk_serial')).toBe(true);
    expect(nodeKeyMatches('/**/rtk_serial', '/fleet/car1/rtk_serial')).toBe(true);
    expect(nodeKeyMatches('/**/rtk_serial', '/rtk_serial2')).toBe(false);
    expect(nodeKeyMatches('/**/rtk_serial', '/car1/can_bridge')).toBe(false);
  });

  it('every key is a parameter its node declares, with the type rcl will give the value', async () => {
    const problems: string[] = [];
    for (const section of rcl.nodes()) {
      const node = section.key.split('/').pop()!;
      const specs = await specsOf(node);
      for (const p of section.params) {
        const spec = specs[p.name];
        if (!spec) problems.push(`${p.source}: ${node} declares no ${p.name}`);
        else if (spec.type !== p.value.type) problems.push(`${p.source}: rcl reads ${p.value.type}, declared ${spec.type}`);
      }
    }
    expect(problems).toEqual([]);
    expect(rcl.nodes().flatMap((s) => s.params).length).toBeGreaterThan(20);
  });

  it('resolves with every node\'s declared parameters (types, ranges, choices) through nodes/runtime/params.ts', async () => {
    for (const ns of ['/', '/car1']) {
      const rosArgs = parseRosArgs(['--ros-args', '-r', `__ns:=${ns}`, '--params-file', PARAMS]);
      for (const node of Object.keys(NODES)) {
        const { values, unknown } = resolveParams(await specsOf(node), collectOverrides(rosArgs, fullyQualifiedName(ns, node), node));
        expect(unknown, node).toEqual([]);
        expect(Object.keys(values).length).toBeGreaterThan(0);
      }
    }
  });

  it('names files that exist in the package (relative to share/vil), and the DBCs and layouts they name load', async () => {
    const doc = parseYaml(text) as Record<string, { ros__parameters: Record<string, unknown> }>;
    const p = (node: string) => doc[`/**/${node}`].ros__parameters;
    const canConfig = join(root, p('can_bridge').config_file as string);
    const plan = loadBridgeConfig(canConfig);
    expect(plan.buses.map((b) => b.name).sort()).toEqual(['can0', 'can1']);
    expect(existsSync(join(root, p('sim_pose').udp_layout as string))).toBe(true);
    const { loadRoutesFile } = await import('../../nodes/dspace_relay/routes.js');
    const routes = loadRoutesFile(join(root, p('dspace_relay').routes_file as string));
    // The shipped destinations are this machine: a first launch sends to no foreign network.
    expect(routes.map((r) => r.destination.split(':')[0])).toEqual(routes.map(() => '127.0.0.1'));
    expect(p('sim_pose').udp_destination).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

// ---- bringup ---------------------------------------------------------------------------------

describe('launch/bringup.launch.py', () => {
  it('with no arguments: one process per node, each installed, fed vil.params.yaml then the launch overrides', async () => {
    const p = probe(BRINGUP);
    const { problems, resolved } = await check(p);
    expect(problems).toEqual([]);
    expect(vilActions(p).map((a) => a.executable).sort()).toEqual(Object.keys(NODES).sort());
    for (const a of vilActions(p)) {
      expect(a.parameters[0]).toBe(PARAMS);
      expect(a.name).toBeNull(); // the node's own name (no __node remap)
      expect(a.namespace).toBeNull();
      expect(a.ros_arguments).toEqual(['--log-level', 'info']);
      expect(a.respawn).toBe(false);
    }
    // Launch and params file agree with the nodes: these are the vehicle defaults.
    expect(resolved.get('rtk_serial')!.values).toMatchObject({ source: 'serial', port: '/dev/ttyACM0', baud: 115200 });
    expect(resolved.get('can_bridge')!.values).toMatchObject({ source: 'socketcan', config_file: 'config/can_bridge.yaml', interfaces: [] });
    expect(resolved.get('sim_pose')!.values).toMatchObject({ udp_layout: 'config/layouts/sim_pose_ego.yaml', udp_destination: '127.0.0.1:30100' });
    expect(resolved.get('dspace_relay')!.values).toMatchObject({ routes_file: 'config/dspace_relay_routes.yaml' });
    expect(resolved.get('markers')!.values).toMatchObject({ markers_topic: 'vil/markers' });
  });

  it('reads only arguments it declares, and every argument it declares is read', () => {
    const p = probe(BRINGUP);
    const declared = p.declared.map((d) => d.name).sort();
    expect(p.referenced).toEqual(declared);
  });

  it('every OVERRIDES entry names a parameter its node declares with that ROS type; each reaches its node', async () => {
    const table = overridesTable(BRINGUP);
    expect(table.length).toBe(7);
    for (const t of table) expect(`${t.node}.${t.param}: ${(await specsOf(t.node))[t.param]?.type}`).toBe(`${t.node}.${t.param}: ${t.kind}`);
    const given: Record<string, string> = {
      serial_port: '/dev/vil-gnss',
      baud: '9600',
      can_config: join(root, 'config/can_bridge.yaml'),
      can_interfaces: 'can1, can0',
      map_projection: 'utm 32N',
      sim_destination: '10.0.0.5:30100',
      dspace_routes: join(root, 'config/dspace_relay_routes.yaml'),
    };
    expect(Object.keys(given).sort()).toEqual(table.map((t) => t.arg).sort());
    const p = probe(BRINGUP, [...Object.entries(given).map(([k, v]) => `${k}:=${v}`), 'use_sim_time:=true', 'namespace:=car1', 'log_level:=debug', 'respawn:=true']);
    const { problems, resolved } = await check(p);
    expect(problems).toEqual([]);
    expect(resolved.get('rtk_serial')).toMatchObject({ fqn: '/car1/rtk_serial', values: { port: '/dev/vil-gnss', baud: 9600 } });
    expect(resolved.get('can_bridge')!.values).toMatchObject({ config_file: given.can_config, interfaces: ['can1', 'can0'] });
    expect(resolved.get('sim_pose')!.values).toMatchObject({ map_projection: 'utm 32N', udp_destination: '10.0.0.5:30100' });
    expect(resolved.get('dspace_relay')!.values).toMatchObject({ routes_file: given.dspace_routes });
    for (const a of vilActions(p)) {
      expect(a.namespace).toBe('car1');
      expect(a.ros_arguments).toEqual(['--log-level', 'debug']);
      expect(a.respawn).toBe(true);
      const rosArgs = parseRosArgs(argvOf(a));
      const sim = collectOverrides(rosArgs, fullyQualifiedName(rosArgs.namespace!, a.executable), a.executable).get('use_sim_time');
      expect(sim?.value).toEqual({ type: 'bool', value: true });
    }
  });

  it('single_process:=true: one vil_all with the same files; a subset runs as `vil run <nodes>`', async () => {
    const all = probe(BRINGUP, ['single_process:=true', 'serial_port:=/dev/ttyUSB1']);
    const a = await check(all);
    expect(a.problems).toEqual([]);
    expect(vilActions(all).map((x) => x.executable)).toEqual(['vil_all']);
    expect(vilActions(all)[0].name).toBeNull(); // -r __node:= would rename every node of vil_all
    expect([...a.resolved.keys()].sort()).toEqual(Object.keys(NODES).sort());
    // Node-specific sections: the port goes to rtk_serial only, not to every node of the process.
    expect(a.resolved.get('rtk_serial')!.values.port).toBe('/dev/ttyUSB1');

    const some = probe(BRINGUP, ['single_process:=true', 'dspace_relay:=false', 'sim_pose:=false']);
    const s = await check(some);
    expect(s.problems).toEqual([]);
    expect(vilActions(some).map((x) => [x.executable, ...x.arguments])).toEqual([['vil', 'run', 'rtk_serial', 'can_bridge', 'markers']]);
  });

  it('refuses bad arguments with the argument named', () => {
    expect(probe(BRINGUP, ['baud:=fast']).error).toMatch(/baud:=fast is not a whole number/);
    expect(probe(BRINGUP, ['rtk_serial:=maybe']).error).toMatch(/rtk_serial:=maybe is not a boolean/);
    expect(probe(BRINGUP, ['can_interfaces:= , ']).error).toMatch(/can_interfaces:=.*names nothing/);
    expect(probe(BRINGUP, ['params_file:=/nonexistent/p.yaml']).error).toMatch(/params_file:=\/nonexistent\/p.yaml is not a file/);
    expect(probe(BRINGUP, Object.keys(NODES).map((n) => `${n}:=false`)).error).toMatch(/every node is disabled/);
  });

  it('on the local graph, with the launch\'s command line and no devices (this machine: no receiver, no CAN): every node starts and reports what is missing on /diagnostics', async () => {
    expect(existsSync('/sys/class/net/can0') || existsSync('/sys/class/net/can1'), 'this test expects a machine without can0/can1').toBe(false);
    const port = join(work, 'ttyGNSS-absent');
    const p = probe(BRINGUP, ['single_process:=true', `serial_port:=${port}`]);
    const argv = argvOf(vilActions(p)[0]);
    const ctx = createLocalContext(parseRosArgs(argv));
    const defs = await Promise.all(Object.keys(NODES).map((n) => NODES[n].load()));
    const started = await startNodes(ctx, defs);
    try {
      const statuses = new Map<string, DiagnosticArrayMsg['status'][number]>();
      ctx.createNode('probe').createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', 'default', (m) => {
        for (const s of m.status) statuses.set(s.name, s);
      });
      // Until the receiver has tried its port (the first report, right after start-up, may come
      // before the first attempt failed) and both buses are reported.
      const wanted = () =>
        ['rtk_serial: receiver', 'can_bridge: bus can0', 'can_bridge: bus can1'].every((n) => statuses.has(n)) && /ENOENT|No such file|not found/i.test(statuses.get('rtk_serial: receiver')!.message);
      for (let i = 0; i < 12_000 && !wanted(); i++) await sleep(20);
      expect([...statuses.keys()]).toEqual(expect.arrayContaining(['rtk_serial: receiver', 'can_bridge: bus can0', 'can_bridge: bus can1']));
      const receiver = statuses.get('rtk_serial: receiver')!;
      expect(receiver.level).toBe(2);
      expect(receiver.hardware_id).toBe(port);
      expect(receiver.message).toMatch(/ENOENT|No such file|not found/i);
      for (const bus of ['can0', 'can1']) {
        const s = statuses.get(`can_bridge: bus ${bus}`)!;
        expect(s.level).toBe(2);
        expect(s.message).toMatch(new RegExp(`interface not usable: no interface ${bus}`));
      }
    } finally {
      await started.stop();
      await ctx.shutdown();
    }
  });
});

// ---- replay ----------------------------------------------------------------------------------

describe('launch/replay.launch.py', () => {
  let bag: string;
  setupAll(() => {
    bag = join(work, 'bag');
    mkdirSync(bag);
  });

  it('needs bag:= or recording:= (one of them), and refuses one that does not exist', () => {
    expect(probe(REPLAY).error).toMatch(/give bag:=BAG \(a recorded ROS 2 bag\) or recording:=FILE/);
    expect(probe(REPLAY, [`bag:=${bag}`, `recording:=${join(root, 'test/fixtures/buslogs/mf4/css_2F6913DB_0004_00000001.MF4')}`]).error).toMatch(/one of them/);
    expect(probe(REPLAY, [`bag:=${join(work, 'nope')}`]).error).toMatch(/bag:=.*nope does not exist/);
    expect(probe(REPLAY, [`recording:=${join(work, 'nope.MF4')}`]).error).toMatch(/recording:=.*nope\.MF4 does not exist/);
  });

  it('plays the bag with --clock (and --loop, --rate), runs the decoders from the raw topics on sim time, and rviz2 with vil.rviz', async () => {
    const p = probe(REPLAY, [`bag:=${bag}`, 'loop:=true', 'rate:=2']);
    const { problems, resolved } = await check(p);
    expect(problems).toEqual([]);
    const play = p.actions.find((a): a is ProcessAction => a.type === 'process')!;
    // Behind the gate that starts it once every decoder has subscribed (launch/play_when_ready.py).
    const cut = play.cmd.indexOf('--');
    expect(play.cmd[1]).toBe(join(root, 'launch/play_when_ready.py'));
    expect(play.cmd.slice(2, cut).sort()).toEqual(['/can_bridge', '/markers', '/rtk_serial', '/sim_pose']);
    expect(play.cmd.slice(cut + 1, cut + 5)).toEqual(['ros2', 'bag', 'play', bag]);
    const opt = (name: string) => play.cmd[play.cmd.indexOf(name) + 1];
    expect(play.cmd).toContain('--clock');
    expect(Number(opt('--clock'))).toBeGreaterThan(0); // a value, so argparse never takes the next word
    expect(play.cmd).toContain('--loop');
    expect(Number(opt('--rate'))).toBe(2);
    expect(opt('--regex')).toBe(p.configurations.play_regex);
    expect([...resolved.keys()].sort()).toEqual(['can_bridge', 'markers', 'rtk_serial', 'sim_pose']);
    expect(resolved.get('rtk_serial')!.values.source).toBe('topic');
    expect(resolved.get('can_bridge')!.values).toMatchObject({ source: 'topic', timebase: 'data' });
    expect(resolved.get('sim_pose')!.values.udp_layout).toBe(''); // no UDP from a desk replay
    for (const a of vilActions(p)) {
      const rosArgs = parseRosArgs(argvOf(a));
      expect(collectOverrides(rosArgs, `/${a.executable}`, a.executable).get('use_sim_time')?.value).toEqual({ type: 'bool', value: true });
    }
    const rviz = nodeActions(p).find((a) => a.package === 'rviz2')!;
    expect(rviz.executable).toBe('rviz2');
    expect(rviz.arguments).toEqual(['-d', join(root, 'config/vil.rviz')]);
    expect(rviz.parameters).toEqual([{ use_sim_time: true }]);
  });

  it('reads only arguments it declares; every declared argument is read in some mode', () => {
    const mf4 = join(root, 'test/fixtures/buslogs/mf4/css_2F6913DB_0004_00000001.MF4');
    const runs = [probe(REPLAY, [`bag:=${bag}`]), probe(REPLAY, [`bag:=${bag}`, 'decode:=false', 'rviz:=false']), probe(REPLAY, [`recording:=${mf4}`])];
    for (const r of runs) expect(r.error).toBeNull();
    const declared = runs[0].declared.map((d) => d.name).sort();
    for (const r of runs) for (const name of r.referenced) expect(declared).toContain(name);
    expect([...new Set(runs.flatMap((r) => r.referenced))].sort()).toEqual(declared);
  });

  it('its OVERRIDES (can_config, map_projection) name declared parameters of that type and reach the nodes', async () => {
    const table = overridesTable(REPLAY);
    expect(table.map((t) => t.arg)).toEqual(['can_config', 'map_projection']);
    for (const t of table) expect(`${t.node}.${t.param}: ${(await specsOf(t.node))[t.param]?.type}`).toBe(`${t.node}.${t.param}: ${t.kind}`);
    const cfg = join(root, 'config/can_bridge.yaml');
    const { problems, resolved } = await check(probe(REPLAY, [`bag:=${bag}`, `can_config:=${cfg}`, 'map_projection:=utm 59S', 'sim_udp:=true']));
    expect(problems).toEqual([]);
    expect(resolved.get('can_bridge')!.values.config_file).toBe(cfg);
    expect(resolved.get('sim_pose')!.values).toMatchObject({ map_projection: 'utm 59S', udp_layout: 'config/layouts/sim_pose_ego.yaml' });
  });

  it('decode:=false plays every recorded topic and starts no decoder', () => {
    const p = probe(REPLAY, [`bag:=${bag}`, 'decode:=false']);
    expect(p.error).toBeNull();
    expect(vilActions(p)).toEqual([]);
    expect((p.actions.find((a) => a.type === 'process') as ProcessAction).cmd).not.toContain('--regex');
  });

  it('recording:= (MF4, BLF, ASC, candump; several comma-separated): can_bridge reads it at its recorded pace, stamps from now, no bag play, no sim time; markers and rviz2 follow', async () => {
    const mf4 = join(root, 'test/fixtures/buslogs/mf4/css_2F6913DB_0004_00000001.MF4');
    const blf = join(root, 'test/fixtures/buslogs/blf/vblf_conv_test_CanMessage.blf');
    const cfg = join(root, 'config/can_bridge.yaml');
    const p = probe(REPLAY, [`recording:=${mf4},${blf}`, `can_config:=${cfg}`]);
    const { problems, resolved } = await check(p);
    expect(problems).toEqual([]);
    expect(p.actions.filter((a) => a.type === 'process')).toEqual([]);
    expect([...resolved.keys()].sort()).toEqual(['can_bridge', 'markers']);
    expect(resolved.get('can_bridge')!.values).toMatchObject({ source: 'recording', recording_files: [mf4, blf], recording_realtime: true, recording_stamps: 'replay', timebase: 'data', config_file: cfg });
    for (const a of vilActions(p)) {
      expect(collectOverrides(parseRosArgs(argvOf(a)), `/${a.executable}`, a.executable).get('use_sim_time')?.value).toEqual({ type: 'bool', value: false });
    }
    expect(nodeActions(p).find((a) => a.package === 'rviz2')!.parameters).toEqual([{ use_sim_time: false }]);
    // What applies to a bag only is refused with a recording.
    expect(probe(REPLAY, [`recording:=${mf4}`, 'loop:=true']).error).toMatch(/loop:=true applies to bags/);
    expect(probe(REPLAY, [`recording:=${mf4}`, 'rate:=2']).error).toMatch(/rate:= applies to bags/);
    expect(probe(REPLAY, [`recording:=${mf4}`, 'decode:=false']).error).toMatch(/decode:=false applies to bags/);
  });

  it('recording:= on the local graph, can_bridge as launch starts it: the recording\'s frames on their buses (channel from the interface name), decoded, stamped from the start time on', async () => {
    // A candump recording of the shipped configuration's powertrain bus: SPEED (0xB4), 50 ms apart.
    const lines = [0, 50, 100, 150].map((ms, i) => `(1700000000.${String(ms * 1000).padStart(6, '0')}) can0 0B4#000000000000${(0x10 + i).toString(16).toUpperCase()}00`);
    const rec = join(work, 'drive.log');
    writeFileSync(rec, `${lines.join('\n')}\n`);
    const p = probe(REPLAY, [`recording:=${rec}`, `can_config:=${join(root, 'config/can_bridge.yaml')}`]);
    expect(p.error).toBeNull();
    const a = vilActions(p).find((x) => x.executable === 'can_bridge')!;
    const ctx = createLocalContext(parseRosArgs(argvOf(a)));
    const probeNode = ctx.createNode('probe');
    const raw: { header: { stamp: { sec: number; nanosec: number } }; id: number }[] = [];
    const decoded: { message_name: string; values: Float64Array; signal_names: string[] }[] = [];
    const all = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 } as const;
    probeNode.createSubscription('can_msgs/msg/Frame', '/vil/can/can0/raw', all, (m: (typeof raw)[number]) => raw.push(m));
    probeNode.createSubscription('vil/msg/DecodedSignals', '/vil/can/decoded', all, (m: (typeof decoded)[number]) => decoded.push(m));
    const before = probeNode.now();
    const started = await startNodes(ctx, [await NODES[a.executable].load()]);
    try {
      await (started.nodes[0] as unknown as { replayDone: Promise<void> }).replayDone;
      await ctx.graph.idle();
      expect(raw.map((m) => m.id)).toEqual([0xb4, 0xb4, 0xb4, 0xb4]);
      const ns = (t: { sec: number; nanosec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
      expect(ns(raw[0].header.stamp) >= ns(before)).toBe(true);
      expect(raw.map((m) => ns(m.header.stamp) - ns(raw[0].header.stamp))).toEqual([0n, 50_000_000n, 100_000_000n, 150_000_000n]);
      // SPEED.SPEED: 47|16@0+ (0.01,0) → bytes 5..6 = 0x00 0x10+i.
      expect(decoded.filter((d) => d.message_name === 'SPEED').map((d) => d.values[d.signal_names.indexOf('SPEED')])).toEqual([0x10, 0x11, 0x12, 0x13].map((r) => r * 0.01));
    } finally {
      await started.stop();
      await ctx.shutdown();
    }
  });

  it('on the local graph, each node alone as launch starts it: what the decoders need from outside is what the bag play regex plays (plus /clock), and nothing they publish is played again', async () => {
    const p = probe(REPLAY, [`bag:=${bag}`]);
    const regex = new RegExp(p.configurations.play_regex); // ECMAScript, as rosbag2's std::regex
    const endpoints = new Map<string, { subs: string[]; pubs: string[] }>();
    for (const a of vilActions(p)) {
      const ctx = createLocalContext(parseRosArgs(argvOf(a)));
      const started = await startNodes(ctx, [await NODES[a.executable].load()]);
      try {
        const stats = ctx.graph.stats();
        endpoints.set(a.executable, { subs: stats.filter((t) => t.subscriptions > 0).map((t) => t.topic), pubs: stats.filter((t) => t.publishers > 0).map((t) => t.topic) });
      } finally {
        await started.stop();
        await ctx.shutdown();
      }
    }
    const publishedBy = (topic: string, except: string) => [...endpoints].some(([n, e]) => n !== except && e.pubs.includes(topic));
    const inputs = new Set([...endpoints].flatMap(([n, e]) => e.subs.filter((t) => !publishedBy(t, n))));
    // Inputs nobody records on the vehicle: RTCM corrections for a receiver (there is none in a
    // replay) and the markers' reset command (a person's).
    const optional = ['/vil/rtk/rtcm', '/vil/markers/reset'];
    expect(inputs.has('/clock')).toBe(true); // use_sim_time: fed by `ros2 bag play --clock`
    const needed = [...inputs].filter((t) => !optional.includes(t) && t !== '/clock').sort();
    expect(needed).toEqual(['/vil/can/can0/raw', '/vil/can/can1/raw', '/vil/rtk/raw']);
    expect(needed.filter((t) => !regex.test(t))).toEqual([]);
    // What the decoders publish must not come from the bag as well. (rtk_serial advertises
    // vil/rtk/raw in topic mode too but publishes on it only from a serial port.)
    const outputs = [...endpoints].flatMap(([, e]) => e.pubs.filter((t) => !e.subs.includes(t)));
    expect(outputs.length).toBeGreaterThan(10);
    expect(outputs.filter((t) => regex.test(t))).toEqual([]);
    // The regex is written for any bus name and for CAN FD buses too.
    expect(regex.test('/vil/can/powertrain/raw_fd')).toBe(true);
    expect(regex.test('/vil/can/can0/raw/extra')).toBe(false);
  });
});

// ---- rviz and frames -------------------------------------------------------------------------

describe('config/vil.rviz and frames against the launch', () => {
  it('the MarkerArray display shows the markers topic the bringup and the replay resolve; the fixed frame is markers\' map frame', async () => {
    const rviz = parseYaml(readFileSync(join(root, 'config/vil.rviz'), 'utf8')) as { 'Visualization Manager': { Displays: { Class: string; Topic?: { Value: string } }[]; 'Global Options': { 'Fixed Frame': string } } };
    const vm = rviz['Visualization Manager'];
    const markerTopics = vm.Displays.filter((d) => d.Class === 'rviz_default_plugins/MarkerArray').map((d) => d.Topic!.Value);
    expect(vm.Displays.some((d) => d.Class === 'rviz_default_plugins/TF')).toBe(true);
    for (const file of [BRINGUP, REPLAY]) {
      const p = probe(file, file === REPLAY ? [`bag:=${work}`] : []);
      const { problems, resolved } = await check(p);
      expect(problems).toEqual([]);
      const m = resolved.get('markers')!;
      const topic = (m.values.markers_topic as string).startsWith('/') ? (m.values.markers_topic as string) : `${dirname(m.fqn) === '/' ? '' : dirname(m.fqn)}/${m.values.markers_topic as string}`;
      expect(markerTopics).toEqual([topic]);
      expect(vm['Global Options']['Fixed Frame']).toBe(m.values.map_frame);
    }
  });

  it('every frame the nodes stamp hangs off base_link through markers\' static_frames; sim_pose\'s lever arm is the gnss mounting', async () => {
    const { resolved } = await check(probe(BRINGUP));
    const markers = resolved.get('markers')!.values;
    const frames = new Map((markers.static_frames as string[]).map((s) => s.split(/\s+/)).map(([child, parent, ...xyz]) => [child, { parent, xyz: xyz.slice(0, 3).map(Number) }]));
    const plan = loadBridgeConfig(join(root, resolved.get('can_bridge')!.values.config_file as string));
    const stamped = [resolved.get('rtk_serial')!.values.frame_id as string, ...plan.groups.map((g) => g.frameId)];
    for (const f of stamped) expect(frames.get(f)?.parent, f).toBe(markers.base_frame);
    expect(frames.get(resolved.get('rtk_serial')!.values.frame_id as string)!.xyz).toEqual(resolved.get('sim_pose')!.values.lever_arm);
  });
});

// ---- broken copies ---------------------------------------------------------------------------

describe('deliberately broken copies of the launch files fail the checks', () => {
  function brokenCopy(file: string, from: string, to: string): string {
    const dir = mkdtempSync(join(work, 'broken-'));
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(from);
    const copy = join(dir, file.split('/').pop()!);
    writeFileSync(copy, text.replace(from, to));
    if (!copy.endsWith('vil_launch_lib.py')) copyFileSync(join(root, 'launch/vil_launch_lib.py'), join(dir, 'vil_launch_lib.py'));
    return copy;
  }

  it('a misspelt parameter in OVERRIDES (port → prot) is reported as undeclared by rtk_serial', async () => {
    const copy = brokenCopy(BRINGUP, "('serial_port', 'rtk_serial', 'port', 'string')", "('serial_port', 'rtk_serial', 'prot', 'string')");
    const { problems } = await check(probe(copy, ['serial_port:=/dev/ttyUSB0']));
    expect(problems.join('\n')).toMatch(/rtk_serial declares no parameter prot/);
  });

  it('a misspelt executable (vil_all → vil_al) is not installed', async () => {
    const copy = brokenCopy(BRINGUP, "[node('vil_all')]", "[node('vil_al')]");
    const { problems } = await check(probe(copy, ['single_process:=true']));
    expect(problems.join('\n')).toMatch(/executable vil_al is not installed/);
  });

  it('a launch argument read but not declared (log_level → log_levle) fails as in launch', async () => {
    const copy = brokenCopy(BRINGUP, "LaunchConfiguration('log_level')", "LaunchConfiguration('log_levle')");
    const { problems } = await check(probe(copy));
    expect(problems.join('\n')).toMatch(/launch configuration 'log_levle' does not exist/);
  });

  it('a value the node refuses (timebase: data → date) fails with the node\'s choices', async () => {
    const copy = brokenCopy(REPLAY, "'timebase': 'data'", "'timebase': 'date'");
    const { problems } = await check(probe(copy, [`bag:=${work}`]));
    expect(problems.join('\n')).toMatch(/can_bridge: .*"date" is not one of auto, clock, data/);
  });

  it('a keyword launch_ros.Node does not take (outptu=) fails as in launch_ros', async () => {
    const copy = brokenCopy(join(root, 'launch/vil_launch_lib.py'), "        output='screen',", "        outptu='screen',");
    // The launch file imports the broken library beside it.
    copyFileSync(BRINGUP, join(dirname(copy), 'bringup.launch.py'));
    const { problems } = await check(probe(join(dirname(copy), 'bringup.launch.py')));
    expect(problems.join('\n')).toMatch(/TypeError: .*unexpected keyword arguments \['outptu'\]/);
  });
});

// `vil doctor`: checks this machine against the configuration a launch would use (the same
// --params-file and --ros-args), before anything is started, and prints a checklist with the fix
// for every problem. Exit code 0 when nothing failed, 1 otherwise, 2 on bad usage.
//
// Which parameters are checked comes from the nodes themselves: each registered node's start() is
// run on a stand-in RosNode that stops at declareParameters, so the real specs (types, defaults,
// ranges) are resolved against the params file exactly as the node would. The values then decide
// the device checks, by what they are (see HELP): no per-node list here to drift out of date.
import { constants as fsConstants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  closestName,
  collectOverrides,
  fullyQualifiedName,
  paramsTable,
  parseRosArgs,
  plainValue,
  resolveParams,
  type ParamOverride,
  type ParamSpecs,
  type RosArgs,
} from '../runtime/params.js';
import { ConfigError } from '../runtime/errors.js';
import { RclParams } from '../runtime/params_yaml.js';
import { loadRclnodejs } from '../runtime/rclnodejs.js';
import { NODES, type NodeEntry } from './registry.js';
import { captureParamSpecs } from './node_params.js';

export { captureParamSpecs };

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  group: string;
  status: Status;
  title: string;
  detail?: string;
  fix?: string;
}

const MIN_NODE = [22, 12] as const;

const HELP = `Usage: vil doctor [--params-file FILE]... [--nodes a,b] [--ros-args ...]

Checks this machine for the configuration a launch would use, and prints what to fix:
  Node.js >= ${MIN_NODE.join('.')}; ROS 2 sourced; rclnodejs loadable and vil's interfaces generated;
  every node's parameters valid against the params file (types, ranges, choices), and then, from
  the parameter values:
    a path under /dev/            serial device: present, a character device, opens read/write
    a CAN interface name          (key like interface, can_interface, channel in a CAN node):
                                  exists, is CAN, is up, bitrate equals the node's *bitrate
    a *.dbc file                  parses and compiles (the can_bridge DBC loader)
    a *layout*.yaml file          compiles (the UDP layout compiler) with its message type
    another *.yaml file           readable YAML
    a host / address / destination  resolves (DNS or /etc/hosts)
Pass the same --ros-args as the launch file (e.g. -r __ns:=/vil), so the params file's node keys
match as they will at run time. Exit: 0 all good, 1 something to fix, 2 usage.
`;

// ---- Environment ---------------------------------------------------------------------------------

export function checkNodeVersion(version: string = process.versions.node): Check {
  const [major, minor] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { group: 'Environment', status: 'ok', title: `Node.js ${version} (needs >= ${MIN_NODE.join('.')})` }
    : {
        group: 'Environment',
        status: 'fail',
        title: `Node.js ${version} is too old (needs >= ${MIN_NODE.join('.')})`,
        fix: 'run vil with the project\'s Node 22: node_modules/.bin/node (installed by `npm ci`), or the lib/vil executables of the ROS package',
      };
}

export function checkRosEnvironment(env: NodeJS.ProcessEnv = process.env): Check[] {
  const out: Check[] = [];
  if (!env.AMENT_PREFIX_PATH) {
    out.push({
      group: 'Environment',
      status: 'fail',
      title: 'ROS 2 is not sourced (AMENT_PREFIX_PATH is not set)',
      fix: 'source /opt/ros/jazzy/setup.bash, then your workspace: source install/setup.bash',
    });
    return out;
  }
  const distro = env.ROS_DISTRO;
  out.push(
    distro === 'jazzy'
      ? { group: 'Environment', status: 'ok', title: `ROS 2 ${distro} sourced` }
      : {
          group: 'Environment',
          status: 'warn',
          title: `ROS 2 sourced, but ROS_DISTRO is ${distro ?? 'not set'} (vil is built and tested for jazzy)`,
          fix: 'source /opt/ros/jazzy/setup.bash',
        },
  );
  const rmw = env.RMW_IMPLEMENTATION;
  out.push({ group: 'Environment', status: 'ok', title: `RMW: ${rmw ?? 'distribution default (RMW_IMPLEMENTATION not set)'}` });
  return out;
}

/** rclnodejs loads, and has JavaScript for every vil interface (the package build generates it). */
export async function checkRclnodejs(env: NodeJS.ProcessEnv, msgDir: string): Promise<Check[]> {
  if (!env.AMENT_PREFIX_PATH) {
    return [{ group: 'Environment', status: 'skip', title: 'rclnodejs: not checked (needs a sourced ROS 2, see above)' }];
  }
  try {
    await loadRclnodejs(env);
  } catch (e) {
    const [problem, fix] = (e as Error).message.split(' Fix: ');
    return [{ group: 'Environment', status: 'fail', title: `rclnodejs: ${problem}`, fix }];
  }
  const out: Check[] = [{ group: 'Environment', status: 'ok', title: 'rclnodejs loads' }];
  const pkgJson = createRequire(import.meta.url).resolve('rclnodejs/package.json');
  const generated = join(pkgJson, '..', 'generated', 'vil');
  const wanted = existsSync(msgDir) ? readdirSync(msgDir).filter((f) => f.endsWith('.msg')).map((f) => f.slice(0, -4)) : [];
  const missing = wanted.filter((n) => !existsSync(join(generated, `vil__msg__${n}.js`)));
  out.push(
    missing.length === 0
      ? { group: 'Environment', status: 'ok', title: `rclnodejs has vil's ${wanted.length} interfaces` }
      : {
          group: 'Environment',
          status: 'fail',
          title: `rclnodejs has no JavaScript for vil/msg/${missing.join(', vil/msg/')}`,
          fix: 'build the ROS package (colcon build: its build generates them) and source install/setup.bash',
        },
  );
  return out;
}

// ---- Parameters of each node ---------------------------------------------------------------------

export interface NodeParams {
  node: string;
  fqn: string;
  registered: boolean;
  values: Record<string, unknown>;
  /** Where each value came from: "<file> (<key>)", "command line (...)" or "default". */
  sources: Record<string, string>;
  /** Overrides for this node that it does not declare (misspelt?). */
  unknown: string[];
  /** Of `unknown`: those addressed to this node by name (its own section, `-p node:name`): misspellings. */
  unknownExplicit: string[];
  error?: Error;
}

/** Node names that params-file keys and -p rules address explicitly (not through wildcards). */
function sectionNodeNames(rosArgs: RosArgs): string[] {
  const names = new Set<string>();
  let keys: string[];
  try {
    keys = paramsTable(rosArgs).nodes().map((n) => n.key);
  } catch {
    return []; // reported by the resolver with file, key and fix
  }
  for (const key of keys) {
    const last = key.split('/').filter(Boolean).pop();
    if (last && !last.includes('*')) names.add(last);
  }
  return [...names];
}

export async function collectNodeParams(rosArgs: RosArgs, nodes: Record<string, NodeEntry>, only?: readonly string[]): Promise<NodeParams[]> {
  const namespace = rosArgs.namespace ?? '/';
  const names = only ?? [...new Set([...Object.keys(nodes), ...sectionNodeNames(rosArgs)])];
  const out: NodeParams[] = [];
  for (const node of names) {
    const fqn = fullyQualifiedName(namespace, node);
    const entry = nodes[node];
    const result: NodeParams = { node, fqn, registered: entry !== undefined, values: {}, sources: {}, unknown: [], unknownExplicit: [] };
    out.push(result);
    let overrides: Map<string, ParamOverride>;
    try {
      overrides = collectOverrides(rosArgs, fqn, node);
    } catch (e) {
      result.error = e as Error;
      continue;
    }
    if (!entry) {
      for (const [k, o] of overrides) {
        result.values[k] = plainValue(o.value);
        result.sources[k] = o.source;
      }
      continue;
    }
    try {
      const specs = await captureParamSpecs(await entry.load(), namespace);
      const { values, unknown } = resolveParams(specs, overrides);
      result.unknown = unknown;
      result.unknownExplicit = unknown.filter((k) => overrides.get(k)?.explicit === true);
      for (const k of unknown) result.sources[k] = overrides.get(k)!.source;
      for (const [k, v] of Object.entries(values)) {
        result.values[k] = v;
        result.sources[k] = overrides.get(k)?.source ?? 'default';
      }
    } catch (e) {
      result.error = e as Error;
    }
  }
  return out;
}

// ---- What to check, from parameter values --------------------------------------------------------

export type TargetKind = 'serial' | 'can' | 'dbc' | 'layout' | 'yaml' | 'config' | 'file' | 'udp';

export interface Target {
  kind: TargetKind;
  node: string;
  param: string;
  value: string;
  source: string;
  expectBitrate?: number;
}

/** `source` parameter values that mean the node opens its device. */
const DEVICE_SOURCES = new Set(['serial', 'socketcan', 'device']);
const CAN_KEY = /(^|[._])(can_)?(interfaces?|ifaces?|channels?|devices?|bus(es)?|ifname)$/;
const HOST_KEY = /(^|[._])(host|hostname|address|addr|ip|destination|dest|target|remote|peer|remote_host|remote_address)$|_(host|address|ip)$/;
const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export function targetsFromParams(p: NodeParams): { targets: Target[]; notes: Check[] } {
  const targets: Target[] = [];
  const notes: Check[] = [];
  // A node whose `source` is not a device (a topic for bag replay, a candump log) opens none.
  const source = p.values.source;
  const readsTopic = typeof source === 'string' && !DEVICE_SOURCES.has(source);
  const bitrateKey = Object.keys(p.values).find((k) => /bitrate$/.test(k) && typeof p.values[k] === 'number');
  const isCanNode = /can/i.test(p.node);
  // A node with a configuration loader here (can_bridge) names its interfaces in that file.
  const configOwnsDevices = Object.keys(CONFIG_FILES).some((k) => k.startsWith(`${p.node}.`));
  for (const [param, raw] of Object.entries(p.values)) {
    const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? (raw as string[]) : [];
    for (const value of values) {
      if (value === '') {
        if (CONFIG_FILES[`${p.node}.${param}`]) {
          notes.push({ group: p.node, status: 'fail', title: `${param} is not set (${p.node} needs its configuration file)`, fix: `set ${param} in the params file (${p.node} section)` });
        }
        continue;
      }
      const t = { node: p.node, param, value, source: p.sources[param] ?? 'default' };
      const lower = value.toLowerCase();
      if (value.startsWith('/dev/') && value !== '/dev/null') {
        if (readsTopic) notes.push({ group: p.node, status: 'skip', title: `${param}=${value}: not used (source:=${source})` });
        else targets.push({ kind: 'serial', ...t });
      } else if (lower.endsWith('.dbc')) targets.push({ kind: 'dbc', ...t });
      else if (CONFIG_FILES[`${p.node}.${param}`]) targets.push({ kind: 'config', ...t });
      else if (lower.endsWith('.yaml') || lower.endsWith('.yml')) targets.push({ kind: /layout/i.test(param) ? 'layout' : 'yaml', ...t });
      else if (/_file$/.test(param) && (param.startsWith(`${source}_`) || source === undefined)) targets.push({ kind: 'file', ...t });
      else if (!configOwnsDevices && (isCanNode || /can/i.test(param)) && CAN_KEY.test(param) && IFNAME.test(value)) {
        if (readsTopic) notes.push({ group: p.node, status: 'skip', title: `${param}=${value}: not used (source:=${source})` });
        else targets.push({ kind: 'can', ...t, expectBitrate: bitrateKey ? (p.values[bitrateKey] as number) : undefined });
      } else if (HOST_KEY.test(param)) targets.push({ kind: 'udp', ...t });
    }
  }
  return { targets, notes };
}

/** How to change the value: in the params file, or in the configuration file that named it. */
const changeHint = (t: Target) =>
  t.source === 'default' || t.source.includes('ros__parameters') || t.source.startsWith('command line')
    ? `set ${t.param} in the params file (${t.node} section)`
    : `correct ${t.param} in ${t.source}`;

const where = (t: Target) => `${t.node}.${t.param}, ${t.source === 'default' ? 'default value' : `from ${t.source}`}`;

// ---- Checks --------------------------------------------------------------------------------------

export async function checkSerialDevice(t: Target): Promise<Check> {
  const group = t.node;
  const setIt = `${changeHint(t)} to the right device`;
  let st;
  try {
    st = await stat(t.value);
  } catch {
    return {
      group,
      status: 'fail',
      title: `serial device ${t.value} (${where(t)}) is not present`,
      fix: `connect and power the device; \`ls -l /dev/serial/by-id/\` lists attached serial devices (prefer those stable names); ${setIt}`,
    };
  }
  if (!st.isCharacterDevice()) {
    return { group, status: 'fail', title: `${t.value} (${where(t)}) is not a character device`, fix: setIt };
  }
  try {
    const fh = await open(t.value, fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK);
    await fh.close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        group,
        status: 'fail',
        title: `serial device ${t.value} (${where(t)}): permission denied`,
        fix: 'add your user to the dialout group: sudo usermod -aG dialout $USER, then log out and in again',
      };
    }
    if (code === 'EBUSY') {
      return { group, status: 'fail', title: `serial device ${t.value} (${where(t)}) is in use`, fix: `find the other process with: fuser -v ${t.value}` };
    }
    return { group, status: 'fail', title: `serial device ${t.value} (${where(t)}) does not open: ${(e as Error).message}`, fix: 'check the device and its driver (dmesg | tail)' };
  }
  return { group, status: 'ok', title: `serial device ${t.value} present and opens read/write (${t.node}.${t.param})` };
}

export interface IpLink {
  name: string;
  linkType?: string;
  kind?: string;
  up: boolean;
  operstate?: string;
  bitrate?: number;
  canState?: string;
}

/**
 * One link from `ip -details -json link show dev X` (iproute2: ip/ipaddress.c writes flags,
 * operstate, link_type and linkinfo.info_kind/info_data; ip/iplink_can.c writes
 * info_data.bittiming.bitrate, or bittiming_bitrate for fixed-bitrate controllers, and state).
 */
export function parseIpLink(json: string): IpLink | undefined {
  const arr = JSON.parse(json) as Array<Record<string, unknown>>;
  const l = arr[0];
  if (!l) return undefined;
  const linkinfo = (l.linkinfo ?? {}) as { info_kind?: string; info_data?: Record<string, unknown> };
  const data = linkinfo.info_data ?? {};
  const bittiming = data.bittiming as { bitrate?: number } | undefined;
  const bitrate = bittiming?.bitrate ?? (typeof data.bittiming_bitrate === 'number' ? data.bittiming_bitrate : undefined);
  return {
    name: String(l.ifname),
    linkType: l.link_type as string | undefined,
    kind: linkinfo.info_kind,
    up: Array.isArray(l.flags) && (l.flags as string[]).includes('UP'),
    operstate: l.operstate as string | undefined,
    bitrate: typeof bitrate === 'number' ? bitrate : undefined,
    canState: typeof data.state === 'string' ? data.state : undefined,
  };
}

export type IpRunner = (ifname: string) => { status: number | null; stdout: string; stderr: string; error?: Error };

export const runIp: IpRunner = (ifname) => {
  const r = spawnSync('ip', ['-details', '-json', 'link', 'show', 'dev', ifname], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
};

export function checkCanInterface(t: Target, run: IpRunner = runIp): Check {
  const group = t.node;
  const name = t.value;
  const bitrate = t.expectBitrate ?? 500000;
  const r = run(name);
  if (r.error) {
    return { group, status: 'fail', title: `CAN interface ${name}: cannot run \`ip\` (${r.error.message})`, fix: 'install iproute2: sudo apt-get install iproute2' };
  }
  if (r.status !== 0) {
    return {
      group,
      status: 'fail',
      title: `CAN interface ${name} (${where(t)}) does not exist`,
      fix:
        `plug in the CAN adapter and load its driver (e.g. sudo modprobe gs_usb, or peak_usb), then: sudo ip link set ${name} up type can bitrate ${bitrate}; ` +
        `for a virtual bus: sudo modprobe vcan && sudo ip link add dev ${name} type vcan && sudo ip link set ${name} up; ` +
        `or ${changeHint(t)}`,
    };
  }
  const link = parseIpLink(r.stdout);
  if (!link) return { group, status: 'fail', title: `CAN interface ${name}: \`ip\` printed nothing usable`, fix: 'run: ip -details link show dev ' + name };
  if (link.linkType !== 'can') {
    return { group, status: 'fail', title: `${name} (${where(t)}) is not a CAN interface (link type ${link.linkType ?? 'unknown'})`, fix: `set ${t.param} to a CAN interface (ip -brief link shows them)` };
  }
  const virtual = link.kind === 'vcan' || link.kind === 'vxcan';
  if (!link.up) {
    return {
      group,
      status: 'fail',
      title: `CAN interface ${name} is down`,
      fix: virtual ? `sudo ip link set ${name} up` : `sudo ip link set ${name} up type can bitrate ${bitrate}`,
    };
  }
  if (virtual) return { group, status: 'ok', title: `CAN interface ${name} is up (virtual ${link.kind}: no bitrate)` };
  if (t.expectBitrate !== undefined && link.bitrate !== undefined && link.bitrate !== t.expectBitrate) {
    return {
      group,
      status: 'fail',
      title: `CAN interface ${name} runs at ${link.bitrate} bit/s, the configuration expects ${t.expectBitrate}`,
      fix: `sudo ip link set ${name} down && sudo ip link set ${name} up type can bitrate ${t.expectBitrate} (or correct the bitrate parameter)`,
    };
  }
  const state = link.canState ? `, ${link.canState}` : '';
  if (link.canState === 'BUS-OFF' || link.canState === 'STOPPED') {
    return { group, status: 'warn', title: `CAN interface ${name} is up but ${link.canState}`, fix: `check wiring and termination; restart: sudo ip link set ${name} type can restart` };
  }
  return { group, status: 'ok', title: `CAN interface ${name} is up${link.bitrate !== undefined ? ` at ${link.bitrate} bit/s` : ''}${state}` };
}

/**
 * The file a path parameter names, found as the node finds it (resolveConfigPath: absolute, else
 * the working directory, then the vil project / share/vil), or the failed check.
 */
async function resolveFile(t: Target, what: string, baseDir?: string): Promise<{ file: string } | { check: Check }> {
  let file: string;
  try {
    const { resolveConfigPath } = await import('../udp_layout/config_paths.js');
    file = resolveConfigPath(t.value, t.source, t.param, baseDir);
  } catch {
    const tried = isAbsolute(t.value) ? t.value : baseDir ? resolve(baseDir, t.value) : `${resolve(t.value)} or the vil project's ${t.value}`;
    return { check: { group: t.node, status: 'fail', title: `${what} ${t.value} (${where(t)}) not found (looked for ${tried})`, fix: `give an existing file: absolute, or relative to the directory vil runs in or to the vil project; set ${t.param} in the params file` } };
  }
  const st = await stat(file);
  if (!st.isFile()) return { check: { group: t.node, status: 'fail', title: `${what} ${file} (${where(t)}) is not a file`, fix: `set ${t.param} to the ${what} file` } };
  return { file };
}

export async function checkFile(t: Target): Promise<Check> {
  const r = await resolveFile(t, 'file');
  return 'check' in r ? r.check : { group: t.node, status: 'ok', title: `${t.param} ${r.file} exists` };
}

function problemAndFix(e: unknown): { problem: string; fix?: string } {
  if (e instanceof ConfigError) return { problem: e.message.split('. Fix: ')[0], fix: e.fix };
  return { problem: (e as Error).message };
}

export async function checkDbc(t: Target): Promise<Check> {
  const r = await resolveFile(t, 'DBC file');
  if ('check' in r) return r.check;
  try {
    const { loadDbcFile } = await import('../dbc/load.js');
    const db = loadDbcFile(r.file);
    const left = db.warnings.filter((w) => w.leftOut);
    if (left.length) {
      const shown = left.slice(0, 3).map((w) => `line ${w.source.line}: ${w.message}`);
      return {
        group: t.node,
        status: 'warn',
        title: `DBC ${t.value}: ${db.messages.length} messages, ${db.signalCount} signals; ${left.length} defect(s) left out: ${shown.join('; ')}${left.length > 3 ? '; ...' : ''}`,
        fix: `correct those lines of ${r.file} if the configuration needs them (\`vil decode can --dbc FILE -\` lists every warning)`,
      };
    }
    return { group: t.node, status: 'ok', title: `DBC ${t.value}: ${db.messages.length} messages, ${db.signalCount} signals` };
  } catch (e) {
    const { problem, fix } = problemAndFix(e);
    return { group: t.node, status: 'fail', title: `DBC ${t.value} (${where(t)}) is not valid: ${problem}`, fix: fix ?? 'correct the DBC at the position shown, or point the parameter to the right file' };
  }
}

export async function checkLayout(t: Target, messageType?: string, baseDir?: string): Promise<Check> {
  const r = await resolveFile(t, 'layout', baseDir);
  if ('check' in r) return r.check;
  try {
    const { loadLayoutFile } = await import('../udp_layout/schema.js');
    const { compileLayout } = await import('../udp_layout/compile.js');
    const { buildPlan } = await import('../udp_layout/plan.js');
    const { messageRegistry } = await import('../runtime/msg_registry.js');
    // Every type a vil node encodes: the ROS types plus sim_pose's own EgoState.
    const { egoStateResolver } = await import('../sim_pose/ego_state.js');
    const doc = loadLayoutFile(r.file);
    // With a message type the whole layout compiles (source paths included); without, the byte plan.
    const type = messageType ?? doc.message;
    const plan = type ? compileLayout(doc, egoStateResolver(messageRegistry()), type).plan : buildPlan(doc);
    if (plan.warnings.length) return { group: t.node, status: 'warn', title: `layout ${t.value}: ${plan.warnings.join('; ')}` };
    return { group: t.node, status: 'ok', title: `layout ${t.value} compiles${type ? ` for ${type}` : ''} (${plan.totalSize} bytes)` };
  } catch (e) {
    const { problem, fix } = problemAndFix(e);
    return { group: t.node, status: 'fail', title: `layout ${t.value} (${where(t)}) is not valid: ${problem}`, fix: fix ?? 'correct the layout at the position shown' };
  }
}

export async function checkYaml(t: Target): Promise<Check> {
  const r = await resolveFile(t, 'file');
  if ('check' in r) return r.check;
  try {
    parseYaml(await readFile(r.file, 'utf8'));
    return { group: t.node, status: 'ok', title: `${t.value} is readable YAML (${t.node}.${t.param})` };
  } catch (e) {
    return { group: t.node, status: 'fail', title: `${t.value} (${where(t)}) is not valid YAML: ${(e as Error).message.split('\n')[0]}`, fix: 'correct the YAML syntax at the position shown' };
  }
}

export async function checkUdpDestination(t: Target): Promise<Check> {
  // "host:port" is accepted too; an IPv6 literal has several colons and no port split.
  const host = /^[^:]+:\d+$/.test(t.value) ? t.value.slice(0, t.value.lastIndexOf(':')) : t.value;
  if (isIP(host)) return { group: t.node, status: 'ok', title: `${t.param} ${t.value} is an IP address` };
  try {
    const { address } = await lookup(host);
    return { group: t.node, status: 'ok', title: `${t.param} ${host} resolves to ${address}` };
  } catch (e) {
    return {
      group: t.node,
      status: 'fail',
      title: `${t.param} ${host} (${where(t)}) does not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      fix: 'use the IP address of the simulator / dSPACE target, or add the name to /etc/hosts',
    };
  }
}

// Structured configuration files, checked with the node's own loader; they name more targets.
type ConfigCheck = (t: Target, p: NodeParams) => Promise<{ checks: Check[]; targets: Target[] }>;

/** can_bridge's config_file: buses (kernel interface, DBC), decoded messages, vehicle state, object lists. */
const checkCanBridgeConfig: ConfigCheck = async (t, p) => {
  const r = await resolveFile(t, 'can_bridge configuration');
  if ('check' in r) return { checks: [r.check], targets: [] };
  let plan;
  try {
    const { loadBridgeConfig } = await import('../can_bridge/bridge_config.js');
    plan = loadBridgeConfig(r.file, t.param);
  } catch (e) {
    const { problem, fix } = problemAndFix(e);
    return { checks: [{ group: t.node, status: 'fail', title: `can_bridge configuration ${t.value} (${where(t)}) is not valid: ${problem}`, fix: fix ?? 'correct it at the position shown' }], targets: [] };
  }
  const buses = plan.buses.map((b) => `${b.name} on ${b.iface}${b.db ? ` (DBC ${b.dbcPath}: ${b.db.messages.length} messages)` : ''}`);
  const checks: Check[] = [{ group: t.node, status: 'ok', title: `can_bridge configuration ${r.file} valid (DBCs and signal names included): ${buses.join('; ')}` }];
  const wanted = Array.isArray(p.values.interfaces) ? (p.values.interfaces as string[]) : [];
  const source = p.values.source ?? 'socketcan';
  const targets: Target[] = [];
  for (const b of plan.buses) {
    if (wanted.length && !wanted.includes(b.name)) continue;
    if (source !== 'socketcan') continue;
    targets.push({ kind: 'can', node: t.node, param: `buses.${b.name}.interface`, value: b.iface, source: r.file });
  }
  if (source !== 'socketcan') checks.push({ group: t.node, status: 'skip', title: `CAN interfaces not used (source:=${String(source)})` });
  const unknownBus = wanted.filter((w) => !plan.buses.some((b) => b.name === w));
  if (unknownBus.length) {
    checks.push({ group: t.node, status: 'fail', title: `interfaces names bus ${unknownBus.join(', ')}, which ${r.file} does not define`, fix: `use the bus names of the configuration: ${plan.buses.map((b) => b.name).join(', ')}` });
  }
  return { checks, targets };
};

/** dspace_relay's routes_file: for each route a layout compiled for its type, and a destination. */
const checkRelayRoutes: ConfigCheck = async (t) => {
  const r = await resolveFile(t, 'routes file');
  if ('check' in r) return { checks: [r.check], targets: [] };
  let routes;
  try {
    const { loadRoutesFile } = await import('../dspace_relay/routes.js');
    routes = loadRoutesFile(r.file);
  } catch (e) {
    const { problem, fix } = problemAndFix(e);
    return { checks: [{ group: t.node, status: 'fail', title: `routes file ${t.value} (${where(t)}) is not valid: ${problem}`, fix: fix ?? 'correct it at the position shown' }], targets: [] };
  }
  const checks: Check[] = [{ group: t.node, status: 'ok', title: `routes file ${r.file}: ${routes.length} route${routes.length === 1 ? '' : 's'}` }];
  const targets: Target[] = [];
  for (const route of routes) {
    const layoutTarget: Target = { kind: 'layout', node: t.node, param: `routes.${route.name}.layout`, value: route.layout, source: r.file };
    const c = await checkLayout(layoutTarget, route.type, route.baseDir);
    checks.push({ ...c, title: `route ${route.name}: ${c.title}` });
    targets.push({ kind: 'udp', node: t.node, param: `routes.${route.name}.destination`, value: route.destination, source: r.file });
  }
  return { checks, targets };
};

const CONFIG_FILES: Record<string, ConfigCheck> = {
  'can_bridge.config_file': checkCanBridgeConfig,
  'dspace_relay.routes_file': checkRelayRoutes,
};

export async function checkConfigFile(t: Target, p: NodeParams): Promise<{ checks: Check[]; targets: Target[] }> {
  return CONFIG_FILES[`${t.node}.${t.param}`](t, p);
}

export async function checkTarget(t: Target, run: IpRunner = runIp): Promise<Check> {
  switch (t.kind) {
    case 'config':
      throw new Error('configuration files are checked with checkConfigFile');
    case 'file':
      return checkFile(t);
    case 'serial':
      return checkSerialDevice(t);
    case 'can':
      return checkCanInterface(t, run);
    case 'dbc':
      return checkDbc(t);
    case 'layout':
      return checkLayout(t);
    case 'yaml':
      return checkYaml(t);
    case 'udp':
      return checkUdpDestination(t);
  }
}

// ---- The whole run --------------------------------------------------------------------------------

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  nodes?: Record<string, NodeEntry>;
  only?: readonly string[];
  nodeVersion?: string;
  msgDir?: string;
  ip?: IpRunner;
}

export async function runDoctor(rosArgs: RosArgs, opts: DoctorOptions = {}): Promise<Check[]> {
  const env = opts.env ?? process.env;
  const checks: Check[] = [checkNodeVersion(opts.nodeVersion), ...checkRosEnvironment(env)];
  let msgDir = opts.msgDir;
  if (msgDir === undefined) {
    const { projectRoot } = await import('../runtime/msg_registry.js');
    msgDir = join(projectRoot(), 'msgs', 'msg');
  }
  checks.push(...(await checkRclnodejs(env, msgDir)));
  for (const file of rosArgs.paramsFiles) {
    // Read as rcl reads it: a file rcl refuses stops every node at start.
    try {
      new RclParams().addFilePath(file);
      checks.push({ group: 'Configuration', status: 'ok', title: `params file ${file} reads as rcl reads it` });
    } catch (e) {
      const { problem, fix } = problemAndFix(e);
      checks.push({ group: 'Configuration', status: 'fail', title: `params file ${problem}`, fix: fix ?? 'see the message' });
    }
  }
  const nodes = opts.nodes ?? NODES;
  for (const p of await collectNodeParams(rosArgs, nodes, opts.only)) {
    const group = `${p.node} (${p.fqn})`;
    if (p.error) {
      const { problem, fix } = problemAndFix(p.error);
      checks.push({ group, status: 'fail', title: `parameters: ${problem}`, fix: fix ?? 'see the message' });
      continue;
    }
    if (!p.registered) {
      const matched = rosArgs.paramsFiles.length ? ` (a section of ${rosArgs.paramsFiles.join(', ')})` : '';
      checks.push({
        group,
        status: 'warn',
        title: `${p.node} is not a vil node${matched}; its values are checked by name only`,
        fix: `known nodes: ${Object.keys(nodes).join(', ')}; correct the section name if it is misspelt`,
      });
    } else {
      checks.push({ group, status: 'ok', title: `parameters valid (${Object.keys(p.values).length} declared)` });
    }
    // A name in the node's own section that it does not declare is a misspelling: the value the
    // user meant to set is silently not used (ROS ignores undeclared overrides). From a wildcard
    // section (/**) it may be meant for another node: a warning.
    const declared = Object.keys(p.values);
    for (const name of p.unknown) {
      const explicit = p.unknownExplicit.includes(name);
      const suggestion = closestName(name, declared);
      checks.push({
        group,
        status: explicit ? 'fail' : 'warn',
        title: `parameter "${name}" is not declared by ${p.node}${explicit ? ', so its value is not used' : ' (ignored; it may be meant for another node)'}${suggestion ? `: did you mean ${suggestion}?` : ''}`,
        detail: `from ${p.sources[name]}`,
        fix: suggestion ? `rename it to ${suggestion}` : `correct the name (\`vil run ${p.node} --help\` lists the parameters), or remove it`,
      });
    }
    const { targets, notes } = targetsFromParams(p);
    for (const s of notes) checks.push({ ...s, group });
    const queue = [...targets];
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      if (t.kind === 'config') {
        const r = await checkConfigFile(t, p);
        for (const c of r.checks) checks.push({ ...c, group });
        queue.push(...r.targets);
      } else {
        checks.push({ ...(await checkTarget(t, opts.ip)), group });
      }
    }
  }
  return checks;
}

const MARK: Record<Status, string> = { ok: '[ OK ]', warn: '[WARN]', fail: '[FAIL]', skip: '[SKIP]' };

export function formatChecklist(checks: readonly Check[]): string {
  const lines: string[] = [];
  let group = '';
  for (const c of checks) {
    if (c.group !== group) {
      group = c.group;
      lines.push('', group);
    }
    lines.push(`  ${MARK[c.status]} ${c.title}`);
    if (c.detail) lines.push(`         ${c.detail}`);
    if (c.fix && c.status !== 'ok') lines.push(`         fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  lines.push('', failed ? `${failed} problem${failed > 1 ? 's' : ''} to fix${warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''}.` : `All checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.`);
  return `${lines.join('\n').replace(/^\n/, '')}\n`;
}

export async function main(args: string[]): Promise<number> {
  let only: string[] | undefined;
  const own: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--ros-args') break;
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else if (a === '--params-file') {
      const f = args[++i];
      if (!f) {
        process.stderr.write('vil doctor: --params-file needs a file\n');
        return 2;
      }
      own.push(f);
    } else if (a === '--nodes') {
      only = (args[++i] ?? '').split(',').filter(Boolean);
    } else {
      process.stderr.write(`vil doctor: unknown argument "${a}"\n\n${HELP}`);
      return 2;
    }
  }
  let rosArgs: RosArgs;
  try {
    // Its own --params-file first, then the ROS arguments in their order (rcl's precedence).
    rosArgs = parseRosArgs(['--ros-args', ...own.flatMap((f) => ['--params-file', f]), ...args.slice(i)]);
  } catch (e) {
    process.stderr.write(`vil doctor: ${(e as Error).message}\n`);
    return 2;
  }
  const checks = await runDoctor(rosArgs, { only });
  const header = `vil doctor — params: ${rosArgs.paramsFiles.join(', ') || '(none: node defaults)'}; namespace ${rosArgs.namespace ?? '/'}\n`;
  process.stdout.write(`${header}\n${formatChecklist(checks)}`);
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

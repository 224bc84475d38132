// The ROS tier's footing: a sourced ROS 2 Jazzy environment (or a failure that says it is missing),
// and vil's own interfaces built with rosidl in a temporary colcon workspace, so rclpy and
// rclnodejs know vil/msg/* without installing the whole package.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROS_SETUP = '/opt/ros/jazzy/setup.bash';
const here = dirname(fileURLToPath(import.meta.url));
/** The project directory, from test/ros or from its compiled copy dist/test/ros (the benchmarks use these helpers too). */
export const root = join(here, basename(join(here, '../..')) === 'dist' ? '../../..' : '../..');

/**
 * The environment of a shell that sourced ROS 2 Jazzy (and `workspaceSetup`, when given). Debian's
 * python3 comes first on PATH: ROS's Python packages and the rosidl generators are built for it.
 */
export function rosEnv(workspaceSetup?: string): NodeJS.ProcessEnv {
  if (!existsSync(ROS_SETUP)) {
    throw new Error(`ROS 2 Jazzy is not installed here (${ROS_SETUP} does not exist): the ROS tier (npm run test:ros) needs it. npm test runs everything that does not.`);
  }
  const script = `export PATH=/usr/bin:$PATH; source ${ROS_SETUP}${workspaceSetup ? ` && source ${workspaceSetup}` : ''} && env -0`;
  const out = execFileSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const env: NodeJS.ProcessEnv = {};
  for (const kv of out.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  if (!env.AMENT_PREFIX_PATH) throw new Error(`sourcing ${ROS_SETUP} did not set AMENT_PREFIX_PATH`);
  return env;
}

/** Builds msgs/msg/*.msg as the interface package "vil" in `ws` (colcon + rosidl); returns install/setup.bash. */
export function buildVilInterfaces(ws: string): string {
  const pkg = join(ws, 'src', 'vil');
  mkdirSync(join(pkg, 'msg'), { recursive: true });
  for (const f of readdirSync(join(root, 'msgs', 'msg'))) if (f.endsWith('.msg')) copyFileSync(join(root, 'msgs', 'msg', f), join(pkg, 'msg', f));
  writeFileSync(
    join(pkg, 'package.xml'),
    `<?xml version="1.0"?>
<package format="3">
  <name>vil</name>
  <version>0.0.0</version>
  <description>vil's interfaces only, for the ROS tier of the tests</description>
  <maintainer email="maintainers@users.noreply.example">vil</maintainer>
  <license>Apache-2.0</license>
  <buildtool_depend>ament_cmake</buildtool_depend>
  <buildtool_depend>rosidl_default_generators</buildtool_depend>
  <depend>builtin_interfaces</depend>
  <depend>std_msgs</depend>
  <depend>geometry_msgs</depend>
  <exec_depend>rosidl_default_runtime</exec_depend>
  <member_of_group>rosidl_interface_packages</member_of_group>
  <export><build_type>ament_cmake</build_type></export>
</package>
`,
  );
  writeFileSync(
    join(pkg, 'CMakeLists.txt'),
    `cmake_minimum_required(VERSION 3.20)
project(vil)
find_package(ament_cmake REQUIRED)
find_package(rosidl_default_generators REQUIRED)
find_package(builtin_interfaces REQUIRED)
find_package(std_msgs REQUIRED)
find_package(geometry_msgs REQUIRED)
file(GLOB MSGS RELATIVE "\${CMAKE_CURRENT_SOURCE_DIR}" "\${CMAKE_CURRENT_SOURCE_DIR}/msg/*.msg")
rosidl_generate_interfaces(\${PROJECT_NAME} \${MSGS} DEPENDENCIES builtin_interfaces std_msgs geometry_msgs)
ament_package()
`,
  );
  const r = spawnSync('colcon', ['build', '--event-handlers', 'console_direct-'], { cwd: ws, env: rosEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`colcon build of vil's interfaces failed (exit ${r.status}): ${(r.stdout + r.stderr).slice(-3000)}`);
  return join(ws, 'install', 'setup.bash');
}

/** Packages installed in the environment (share/<pkg>/package.xml on AMENT_PREFIX_PATH). */
export function installedPackages(env: NodeJS.ProcessEnv): Set<string> {
  const out = new Set<string>();
  for (const prefix of (env.AMENT_PREFIX_PATH ?? '').split(':')) {
    const share = join(prefix, 'share');
    if (!existsSync(share)) continue;
    for (const p of readdirSync(share)) if (existsSync(join(share, p, 'package.xml'))) out.add(p);
  }
  return out;
}

/** Runs test/ros/py/<script> with ROS's python3; one request per line in, one answer per line out. */
export function rosPython(env: NodeJS.ProcessEnv, script: string, requests: string[]): string[] {
  const r = spawnSync('/usr/bin/python3', [join(root, 'test', 'ros', 'py', script)], { env, input: `${requests.join('\n')}\n`, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}): ${r.stderr.slice(-3000)}`);
  const out = r.stdout.trim().split('\n');
  if (out.length !== requests.length) throw new Error(`${script} answered ${out.length} lines for ${requests.length} requests: ${r.stderr.slice(-2000)}`);
  return out;
}

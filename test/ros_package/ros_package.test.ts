// The ROS 2 package files, checked with the real tools available here: package.xml with
// catkin_pkg's own parser and validator (Debian python3-catkin-pkg, what rosdep and colcon use),
// CMakeLists.txt configured by CMake itself (ament_cmake and rosidl are stubbed, since ROS 2 cannot
// be installed here: the real colcon build is verified only on a ROS 2 machine), and the node
// wrapper run as ros2 run would run it.
import { describe, expect, it, afterAll } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { NODES } from '../../nodes/cli/registry.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wrapper = join(root, 'scripts/ros/node_wrapper.sh');

interface PackageInfo {
  name: string;
  format: number;
  build_type: string;
  groups: string[];
  buildtool: string[];
  build: string[];
  exec: string[];
  errors: string | null;
}

function parsePackageXml(): PackageInfo {
  const py = `
import json
from catkin_pkg.package import parse_package
p = parse_package(${JSON.stringify(root)})
err = None
try:
    p.validate()
except Exception as e:
    err = str(e)
print(json.dumps({
  'name': p.name, 'format': p.package_format, 'build_type': p.get_build_type(),
  'groups': [g.name for g in p.member_of_groups],
  'buildtool': [d.name for d in p.buildtool_depends],
  'build': [d.name for d in p.build_depends],
  'exec': [d.name for d in p.exec_depends],
  'errors': err,
}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`catkin_pkg failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PackageInfo;
}

/** Packages named in `pkg/Type` fields of msgs/msg/*.msg. */
function msgDependencies(): string[] {
  const deps = new Set<string>();
  const dir = join(root, 'msgs/msg');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.msg'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const m = /^\s*([a-z][a-z0-9_]*)\/[A-Za-z]/.exec(line);
      if (m && m[1] !== 'vil') deps.add(m[1]);
    }
  }
  return [...deps].sort();
}

describe('package.xml (catkin_pkg parse_package + validate)', () => {
  const pkg = parsePackageXml();

  it('parses and validates as a format 3 ament_cmake package named vil', () => {
    expect(pkg.errors).toBeNull();
    expect(pkg.name).toBe('vil');
    expect(pkg.format).toBe(3);
    expect(pkg.build_type).toBe('ament_cmake');
  });

  it('declares what rosidl_generate_interfaces requires', () => {
    expect(pkg.groups).toContain('rosidl_interface_packages');
    expect(pkg.buildtool).toEqual(expect.arrayContaining(['ament_cmake', 'rosidl_default_generators']));
    expect(pkg.exec).toContain('rosidl_default_runtime');
  });

  it('builds with nodejs and npm (npm ci runs in the build)', () => {
    expect(pkg.build).toEqual(expect.arrayContaining(['nodejs', 'npm']));
  });

  it('depends (build and run) on every package whose types msgs/msg uses, and on the topics\' message packages', () => {
    const both = pkg.build.filter((d) => pkg.exec.includes(d));
    expect(both).toEqual(expect.arrayContaining(msgDependencies()));
    expect(both).toEqual(
      expect.arrayContaining(['sensor_msgs', 'geometry_msgs', 'nmea_msgs', 'can_msgs', 'rtcm_msgs', 'visualization_msgs', 'diagnostic_msgs', 'tf2_msgs', 'builtin_interfaces', 'std_msgs']),
    );
  });

  it('uses only rosdep keys verified in rosdistro (jazzy/distribution.yaml, rosdep/base.yaml)', () => {
    const keys = parseYaml(readFileSync(join(root, 'test/fixtures/ros_package/rosdep_keys.yaml'), 'utf8')) as {
      distribution: Record<string, string>;
      base: Record<string, string>;
    };
    const known = new Set([...Object.keys(keys.distribution), ...Object.keys(keys.base)]);
    const unverified = [...new Set([...pkg.buildtool, ...pkg.build, ...pkg.exec])].filter((d) => !known.has(d));
    expect(unverified).toEqual([]);
  });
});

describe('CMakeLists.txt', () => {
  const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');

  it('installs one executable per registered node plus vil_all (matches nodes/cli/registry.ts)', () => {
    const m = /set\(VIL_EXECUTABLES\s+([^)]*)\)/.exec(cmake);
    expect(m).not.toBeNull();
    const exes = m![1].split(/\s+/).filter(Boolean).sort();
    expect(exes).toEqual([...Object.keys(NODES), 'vil_all'].sort());
  });

  describe('configured by CMake (ament_cmake and rosidl stubbed: no ROS 2 here)', () => {
    let work: string;
    let build: string;
    let configure: { status: number | null; out: string };

    setupAll(() => {
      work = mkdtempSync(join(tmpdir(), 'vil-cmake-'));
      const stubs = join(work, 'stubs');
      const write = (rel: string, text: string) => {
        mkdirSync(dirname(join(stubs, rel)), { recursive: true });
        writeFileSync(join(stubs, rel), text);
      };
      write(
        'share/ament_cmake/cmake/ament_cmakeConfig.cmake',
        'macro(ament_export_dependencies)\n  file(APPEND "${CMAKE_BINARY_DIR}/stub_calls.txt" "ament_export_dependencies;${ARGN}\\n")\nendmacro()\n' +
          'macro(ament_package)\n  file(APPEND "${CMAKE_BINARY_DIR}/stub_calls.txt" "ament_package\\n")\nendmacro()\n',
      );
      write(
        'share/rosidl_default_generators/cmake/rosidl_default_generatorsConfig.cmake',
        'function(rosidl_generate_interfaces target)\n  file(APPEND "${CMAKE_BINARY_DIR}/stub_calls.txt" "rosidl_generate_interfaces;${target};${ARGN}\\n")\n  add_custom_target(${target})\nendfunction()\n',
      );
      for (const d of msgDependencies()) write(`share/${d}/cmake/${d}Config.cmake`, '');
      build = join(work, 'build');
      const r = spawnSync('cmake', ['-S', root, '-B', build, `-DCMAKE_PREFIX_PATH=${stubs}`, `-DCMAKE_INSTALL_PREFIX=${join(work, 'install')}`], {
        encoding: 'utf8',
      });
      configure = { status: r.status, out: `${r.stdout}${r.stderr}` };
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('configures without errors', () => {
      expect(configure.out).not.toMatch(/CMake (Error|Warning)/);
      expect(configure.status).toBe(0);
    });

    it('passes every msgs/msg/*.msg to rosidl_generate_interfaces as msgs/msg/X.msg, with the packages they use', () => {
      const calls = readFileSync(join(build, 'stub_calls.txt'), 'utf8').split('\n');
      const call = calls.find((l) => l.startsWith('rosidl_generate_interfaces;'))!.split(';');
      expect(call[1]).toBe('vil');
      const depAt = call.indexOf('DEPENDENCIES');
      const files = call.slice(2, depAt);
      const expected = readdirSync(join(root, 'msgs/msg'))
        .filter((n) => n.endsWith('.msg'))
        .map((n) => `msgs/msg/${n}`)
        .sort();
      expect(files).toEqual(expected);
      expect(call.slice(depAt + 1).sort()).toEqual(msgDependencies());
      expect(calls).toContain('ament_package');
    });

    it('installs the wrapper into lib/vil under each executable name (and as `vil`, the CLI), and dist, node_modules, package.json, msgs into share/vil', () => {
      const rules = readFileSync(join(build, 'cmake_install.cmake'), 'utf8');
      for (const exe of [...Object.keys(NODES), 'vil_all', 'vil']) {
        const re = new RegExp(`file\\(INSTALL DESTINATION "[^"]*/lib/vil" TYPE PROGRAM RENAME "${exe}" FILES "${wrapper.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"\\)`);
        expect(rules).toMatch(re);
      }
      // node_modules from the production copy (npm prune --omit=dev), not the build's own.
      expect(rules).toMatch(/DESTINATION "[^"]*\/share\/vil" TYPE DIRECTORY FILES\s+"[^"]*\/js\/dist"\s+"[^"]*\/js\/prod\/node_modules"\s+USE_SOURCE_PERMISSIONS/);
      expect(rules).toMatch(/DESTINATION "[^"]*\/share\/vil" TYPE FILE FILES "[^"]*\/js\/package.json"/);
      expect(rules).toMatch(/DESTINATION "[^"]*\/share\/vil" TYPE DIRECTORY FILES "[^"]*\/msgs"/);
    });
  });
});

describe('lib/vil wrapper (scripts/ros/node_wrapper.sh)', () => {
  let prefix: string;

  setupAll(() => {
    prefix = mkdtempSync(join(tmpdir(), 'vil-prefix-'));
    const share = join(prefix, 'share/vil');
    mkdirSync(join(share, 'dist/nodes/cli'), { recursive: true });
    // Stands in for the compiled CLI: reports what it was given.
    writeFileSync(
      join(share, 'dist/nodes/cli/main.js'),
      'console.log(JSON.stringify({ argv: process.argv.slice(2), VIL_ROS: process.env.VIL_ROS, node: process.version }));\n',
    );
    mkdirSync(join(prefix, 'lib/vil'), { recursive: true });
    // rtk_serial as a plain install copies it, vil_all as colcon --symlink-install links it.
    copyFileSync(wrapper, join(prefix, 'lib/vil/rtk_serial'));
    chmodSync(join(prefix, 'lib/vil/rtk_serial'), 0o755);
    symlinkSync(wrapper, join(prefix, 'lib/vil/vil_all'));
    symlinkSync(wrapper, join(prefix, 'lib/vil/vil'));
  });
  afterAll(() => rmSync(prefix, { recursive: true, force: true }));

  const run = (exe: string, args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(join(prefix, 'lib/vil', exe), args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });

  it('exists and is executable', () => {
    expect(statSync(wrapper).mode & 0o111).toBe(0o111);
    expect(readFileSync(wrapper, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
  });

  it('runs `vil run <node>` with --ros-args passed through, on share/vil/node_modules/.bin/node, VIL_ROS=rclnodejs', () => {
    mkdirSync(join(prefix, 'share/vil/node_modules/.bin'), { recursive: true });
    symlinkSync(process.execPath, join(prefix, 'share/vil/node_modules/.bin/node'));
    try {
      const r = run('rtk_serial', ['--ros-args', '-r', '__ns:=/vil', '-p', 'port:=/dev/ttyUSB0'], {});
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ argv: ['run', 'rtk_serial', '--ros-args', '-r', '__ns:=/vil', '-p', 'port:=/dev/ttyUSB0'], VIL_ROS: 'rclnodejs', node: process.version });
      const all = run('vil_all', ['--ros-args', '--params-file', '/tmp/p.yaml'], { VIL_ROS: 'auto' });
      expect(JSON.parse(all.stdout)).toEqual({ argv: ['run', 'all', '--ros-args', '--params-file', '/tmp/p.yaml'], VIL_ROS: 'auto', node: process.version });
      // `vil` is the command line itself: ros2 run vil vil doctor ...
      const cli = run('vil', ['doctor', '--params-file', '/tmp/p.yaml'], {});
      expect(JSON.parse(cli.stdout).argv).toEqual(['doctor', '--params-file', '/tmp/p.yaml']);
    } finally {
      rmSync(join(prefix, 'share/vil/node_modules'), { recursive: true, force: true });
    }
  });

  it('without the bundled Node, refuses a node on PATH older than 22.12 (this machine\'s /usr/bin/node is 20) with the fix', () => {
    const sys = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(sys).toMatch(/^v(1\d|20|21|22\.(\d|1[01]))\./);
    const r = run('rtk_serial', ['--ros-args'], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs >= 22\.12/);
  });

  it('says what to do when the package is not built', () => {
    const bare = mkdtempSync(join(tmpdir(), 'vil-bare-'));
    try {
      mkdirSync(join(bare, 'lib/vil'), { recursive: true });
      symlinkSync(wrapper, join(bare, 'lib/vil/markers'));
      const r = spawnSync(join(bare, 'lib/vil/markers'), [], { encoding: 'utf8' });
      expect(r.status).toBe(127);
      expect(r.stderr).toMatch(/colcon build/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

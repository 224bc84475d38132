// Regression (issue 9, defect 10): `vil run all` with one node's configuration error stopped every
// node (exit 2 at start). Now that node is reported, as a ROS component container reports a
// component that failed to load — its error in the log and an ERROR status "<node>: node" on
// /diagnostics — the other nodes keep running, and the exit code says so when the process ends (2).
// A node run alone with the same error is still refused at start (exit 2).
//
// The real CLI on the local graph, recording to MCAP. dspace_relay's routes file does not exist.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMcap } from '../../nodes/runtime/local/mcap_read.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import { ROOT, indexedSummary, runUntilSignalled, runVil } from './helpers.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const args = (d: string) => [
  '--ros-args', '--log-level', 'info', '--params-file', join(ROOT, 'config/vil.params.yaml'),
  '-p', `rtk_serial:port:=${join(d, 'no-receiver')}`, '-p', 'can_bridge:source:=topic',
  '-p', `can_bridge:config_file:=${join(ROOT, 'config/can_bridge.yaml')}`,
  '-p', `sim_pose:udp_layout:=${join(ROOT, 'config/layouts/sim_pose_ego.yaml')}`,
  '-p', `dspace_relay:routes_file:=${join(d, 'missing_routes.yaml')}`,
];

describe('vil run all with one node misconfigured', () => {
  it('the other nodes run; the failed one is logged and reported on /diagnostics; exit code 2 at shutdown', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-run-all-failed-'));
    const mcap = join(dir, 'all.mcap');
    const run = await runUntilSignalled(['run', 'all', '--ros', 'local', '--record', mcap, ...args(dir)], ['"msg":"running: '], 'SIGINT');
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 2, signal: null });
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const running = lines.find((l) => String(l.msg).startsWith('running: '))!;
    expect(running.nodes).toEqual(['rtk_serial', 'can_bridge', 'markers', 'sim_pose']);
    expect(running.failed).toEqual(['dspace_relay']);
    const failure = lines.find((l) => l.node === 'dspace_relay' && String(l.msg).includes('failed to start'));
    expect(failure, run.stderr).toBeDefined();
    expect(failure!.key).toBe('routes_file');
    // The others started: their own start-up lines.
    expect(lines.some((l) => l.name === 'can_bridge' && l.msg === 'can_bridge started')).toBe(true);
    expect(lines.some((l) => l.name === 'sim_pose' && l.msg === 'map projection')).toBe(true);
    expect(lines.some((l) => l.name === 'rtk_serial' && String(l.msg).includes('not available'))).toBe(true);

    // The recording: complete, with the failure on /diagnostics and the running nodes' output.
    const summary = await indexedSummary(mcap);
    expect(summary.channels).toEqual(expect.arrayContaining(['/diagnostics', '/tf_static']));
    const diags = (await readMcap(mcap)).filter((m) => m.topic === '/diagnostics').flatMap((m) => (m.message as DiagnosticArrayMsg).status);
    const status = diags.find((s) => s.name === 'dspace_relay: node');
    expect(status, JSON.stringify(diags.map((s) => s.name))).toBeDefined();
    expect(status!.level).toBe(2); // ERROR
    expect(status!.message).toContain('failed to start');
    expect(Object.fromEntries(status!.values.map((v) => [v.key, v.value]))).toMatchObject({ state: 'failed to start', key: 'routes_file' });
  }, 600_000);

  it('the same node alone is still refused at start: exit 2 with the key named', () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-run-one-failed-'));
    const r = runVil(['run', 'dspace_relay', '--ros', 'local', ...args(dir)], { VIL_LOG_JSON: '1', VIL_LOG_PRETTY: '0' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('routes_file');
  });
});

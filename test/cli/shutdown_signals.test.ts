// Shutdown on SIGINT/SIGTERM is prompt in every source, and a recording is finalised (issue 9,
// defect 1). The real CLI process, as a user runs it:
//
// 1. Regression: `vil run can_bridge --record` replaying a candump log in realtime whose last
//    frame is 1,000,000 s after the others. Once it waits in that gap, a signal must end it by
//    itself (exit 0; the unfixed node slept through the gap and needed SIGKILL), and the MCAP must
//    be complete: readable by @mcap/core's indexed reader (summary and statistics present) with
//    every frame published before the gap.
// 2. `vil run all --record` where every source waits on a timer: the receiver port and the CAN
//    interfaces are absent (reopen back-off), sim_pose and dspace_relay run their send timers; and
//    the same with the bag-replay sources (source:=topic, which wait for messages).
//
// Every wait is for a condition (a log line the process writes when it is in the state wanted);
// the limits only catch a hang. Nothing here is timed.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMcap } from '../../nodes/runtime/local/mcap_read.js';
import { CandumpLog } from '../can_bridge/node_helpers.js';
import { ROOT, indexedSummary, runUntilSignalled } from './helpers.js';

const T0 = 1_700_000_000;
const BEFORE_GAP = 25;
const GAP_S = 1_000_000;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('can_bridge: a signal during a gap of a realtime candump replay', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: exits 0 by itself and the recorded MCAP holds every frame before the gap`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'vil-candump-gap-'));
      const log = new CandumpLog();
      const sent: { nanosec: number; data: number[] }[] = [];
      for (let i = 0; i < BEFORE_GAP; i++) {
        const data = [i, 0xa5, (i * 7) & 0xff];
        const nanosec = i * 10_000_000; // 10 ms apart
        log.raw({ sec: T0, nanosec }, 'can0', 0x7e0, data);
        sent.push({ nanosec, data });
      }
      log.raw({ sec: T0 + GAP_S, nanosec: 0 }, 'can0', 0x7e0, [0xff]);
      const file = log.write(dir);
      const mcap = join(dir, 'rec.mcap');
      const run = await runUntilSignalled(
        ['run', 'can_bridge', '--ros', 'local', '--record', mcap, '--ros-args', '--log-level', 'info',
          '-p', 'source:=candump', '-p', `candump_file:=${file}`, '-p', `config_file:=${join(ROOT, 'config/can_bridge.yaml')}`,
          '-p', 'candump_realtime:=true', '-p', 'candump_stamps:=log'],
        // Logged after the frames before the gap were published, just before the wait begins.
        ['waiting for it (realtime replay)'],
        signal,
      );
      expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });

      const summary = await indexedSummary(mcap);
      expect(summary.channels).toContain('/vil/can/can0/raw');
      const messages = await readMcap(mcap);
      expect(summary.messages).toBe(BigInt(messages.length));
      const raw = messages
        .filter((m) => m.topic === '/vil/can/can0/raw')
        .map((m) => m.message as { header: { stamp: { sec: number; nanosec: number } }; id: number; dlc: number; data: Uint8Array | number[] });
      expect(raw.map((m) => ({ sec: m.header.stamp.sec, nanosec: m.header.stamp.nanosec, id: m.id, data: [...m.data].slice(0, m.dlc) }))).toEqual(
        sent.map((s) => ({ sec: T0, nanosec: s.nanosec, id: 0x7e0, data: s.data })),
      );
    }, 600_000);
  }
});

describe('vil run all: a signal while every source waits', () => {
  it('devices absent (serial and CAN reopen back-off), sim_pose and dspace_relay timers: SIGINT → exit 0, MCAP finalised', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-all-signal-'));
    const mcap = join(dir, 'all.mcap');
    const run = await runUntilSignalled(
      ['run', 'all', '--ros', 'local', '--record', mcap, '--ros-args', '--log-level', 'info',
        '--params-file', join(ROOT, 'config/vil.params.yaml'),
        '-p', `rtk_serial:port:=${join(dir, 'no-such-receiver')}`, '-p', 'can_bridge:interfaces:=[can0]',
        '-p', `can_bridge:config_file:=${join(ROOT, 'config/can_bridge.yaml')}`,
        '-p', `sim_pose:udp_layout:=${join(ROOT, 'config/layouts/sim_pose_ego.yaml')}`,
        '-p', `dspace_relay:routes_file:=${join(ROOT, 'config/dspace_relay_routes.yaml')}`],
      // The CAN interface and the receiver port are being retried (timers pending), every node runs.
      ['"msg":"running: ', 'not available', 'retrying'],
      'SIGINT',
    );
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
    const summary = await indexedSummary(mcap);
    expect(summary.channels).toContain('/tf_static'); // markers publishes its static frames at start
    expect(summary.messages).toBe(BigInt((await readMcap(mcap)).length));
  }, 600_000);

  it('bag-replay sources (rtk_serial and can_bridge source:=topic): SIGTERM → exit 0, MCAP finalised', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-all-signal-'));
    const mcap = join(dir, 'all.mcap');
    const run = await runUntilSignalled(
      ['run', 'all', '--ros', 'local', '--record', mcap, '--ros-args', '--log-level', 'info',
        '--params-file', join(ROOT, 'config/vil.params.yaml'),
        '-p', 'rtk_serial:source:=topic', '-p', 'can_bridge:source:=topic',
        '-p', `can_bridge:config_file:=${join(ROOT, 'config/can_bridge.yaml')}`,
        '-p', `sim_pose:udp_layout:=${join(ROOT, 'config/layouts/sim_pose_ego.yaml')}`,
        '-p', `dspace_relay:routes_file:=${join(ROOT, 'config/dspace_relay_routes.yaml')}`],
      ['"msg":"running: '],
      'SIGTERM',
    );
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
    const summary = await indexedSummary(mcap);
    expect(summary.channels).toContain('/tf_static');
    expect(summary.messages).toBe(BigInt((await readMcap(mcap)).length));
  }, 600_000);
});

describe('vil demo: a signal during the drive', () => {
  it('SIGINT: stops the nodes, finalises the recording, exits 130', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-demo-signal-'));
    const run = await runUntilSignalled(['demo', '--out', dir], ['[ 1/'], 'SIGINT');
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 130, signal: null });
    expect(run.stderr).toContain('interrupted: nodes stopped, recording finalised');
    const mcap = join(dir, 'vil-demo.mcap');
    const summary = await indexedSummary(mcap);
    expect(summary.channels).toContain('/vil/rtk/raw');
    expect(summary.messages).toBe(BigInt((await readMcap(mcap)).length));
  }, 600_000);
});

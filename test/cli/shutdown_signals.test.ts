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
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { McapIndexedReader } from '@mcap/core';
import { readMcap } from '../../nodes/runtime/local/mcap_read.js';
import { CandumpLog } from '../can_bridge/node_helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = join(ROOT, 'dist/nodes/cli/main.js');
const T0 = 1_700_000_000;
const BEFORE_GAP = 25;
const GAP_S = 1_000_000;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function waitFor(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out (${ms / 1000} s) waiting for ${what}`);
    await sleep(20);
  }
}

/** Opens the file with @mcap/core's indexed reader, which needs the summary section and footer. */
async function indexedSummary(path: string): Promise<{ messages: bigint; channels: string[] }> {
  const handle = await open(path, 'r');
  try {
    const size = BigInt((await handle.stat()).size);
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: async () => size,
        read: async (offset, length) => {
          const buf = new Uint8Array(Number(length));
          await handle.read(buf, 0, buf.length, Number(offset));
          return buf;
        },
      },
    });
    return { messages: reader.statistics?.messageCount ?? -1n, channels: [...reader.channelsById.values()].map((c) => c.topic) };
  } finally {
    await handle.close();
  }
}

/**
 * Runs `vil <args>` (JSON logs on stderr), waits until every string of `ready` appeared in its
 * output (stdout and stderr), sends `signal`, and waits for the process to end by itself (SIGKILL and a failure if it
 * does not within 30 s).
 */
async function runUntilSignalled(args: string[], ready: string[], signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(NODE, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIL_LOG_PRETTY: '0', VIL_LOG_JSON: '1' } });
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let result: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((res) =>
    child.once('exit', (code, sig) => {
      result = { code, signal: sig };
      res();
    }),
  );
  try {
    await waitFor(() => ready.every((r) => stderr.includes(r)) || result !== undefined, `the log lines ${JSON.stringify(ready)}`, 60_000);
    if (result !== undefined) throw new Error(`vil ended before it was signalled (${JSON.stringify(result)}):\n${stderr}`);
    child.kill(signal);
    await waitFor(() => result !== undefined, `the process to exit after ${signal}`, 30_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- stderr ---\n${stderr}`);
  } finally {
    if (result === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  return { ...result!, stderr };
}

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
    }, 120_000);
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
  }, 120_000);

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
  }, 120_000);
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
  }, 120_000);
});

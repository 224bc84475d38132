// One process or many (DESIGN rule 9), part 3: real OS processes, the built CLI as a user runs it.
//
//   node dist/nodes/cli/main.js run all          --ros local --record all.mcap        --ros-args ARGS
//   node dist/nodes/cli/main.js run rtk_serial   --ros local --record rtk_serial.mcap --ros-args ARGS
//   node dist/nodes/cli/main.js run can_bridge   --ros local --record can_bridge.mcap --ros-args ARGS
//
// ARGS is one list for all three (config/demo.params.yaml + the run's values; `-p node:name:=`
// reaches only that node). Inputs as on the vehicle: the NMEA the demo derives from the real drive
// written into a pseudo-terminal (socat) that rtk_serial opens as its serial port, and the demo's
// window of the drive's recording with the generated radar log replayed by can_bridge
// (recording_realtime:=false, recording_stamps:=log). rtk_serial stamps with GNSS time
// (stamp_source:=gnss), so its decoded messages do not depend on when bytes arrive.
//
// Compared, from the MCAP files each process wrote (read back with their embedded schemas):
//   - every topic the device nodes publish alone appears in `run all` with the same number of
//     messages and the same contents, stamps included — except /vil/rtk/raw's stamps (receive time
//     of the first byte, wall clock) and /diagnostics (rates and ages, wall clock);
//   - `run all` publishes exactly the device topics plus the downstream nodes' outputs (which a
//     node alone on the local graph cannot produce: its process has no upstream).
// The processes run one after another on the same pty.
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readMcap, type McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import { PtyPair } from '../helpers/pty.js';
import type { DemoDrive } from '../../nodes/cli/demo_inputs.js';
import { inDataOrder } from '../helpers/mcap_order.js';
import { byTopic, CLI, demoRosArgs, gnssStamp, tempDir, udpSink, writeDemoInputs, type UdpSink } from './helpers.js';

/** Receiver epochs of the drive (one a second): also the length of the CAN window. */
const EPOCHS = 6;

let dir: string;
let pty: PtyPair;
let sims: UdpSink;
let dspace: UdpSink;
let args: string[];
let drive: DemoDrive;
let epochs: string[];
const runs = new Map<string, { code: number | null; mcap: McapMessage[]; stderr: string }>();

/** CPU time the process has used so far, in clock ticks (/proc/<pid>/stat utime + stime). */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Bytes the process has read through read(2) so far (all threads; /proc/<pid>/io rchar). */
function rchar(pid: number): number {
  const m = /^rchar:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(m![1]);
}

async function waitFor(cond: () => boolean, what: string, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Runs `vil run <nodes>` recording to an MCAP, feeds the pty when rtk_serial is among the nodes,
 * stops it with SIGINT once it has read every byte, and reads the recording back.
 */
async function runCli(label: string, nodes: string[]): Promise<void> {
  const mcapFile = join(dir, `${label}.mcap`);
  const child = spawn(process.execPath, [CLI, 'run', ...nodes, '--ros', 'local', '--record', mcapFile, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VIL_LOG_PRETTY: '0' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let code: number | null;
  try {
    const serial = nodes.includes('rtk_serial') || nodes.includes('all');
    const can = nodes.includes('can_bridge') || nodes.includes('all');
    if (serial) await waitFor(() => stderr.includes('"msg":"receiver port open"'), `${label}: rtk_serial to open ${pty.device}`);
    if (can) await waitFor(() => stderr.includes('"msg":"recording replay finished"'), `${label}: can_bridge to finish the recording replay`);
    if (serial) {
      // The receiver: one epoch at a time. Done when the process has read at least every byte
      // written (rchar also counts a few bytes of event-loop wake-ups) and reads nothing more.
      const before = rchar(child.pid!);
      let bytes = 0;
      for (const e of epochs) {
        pty.write(e);
        bytes += Buffer.byteLength(e, 'latin1');
        await sleep(100);
      }
      await waitFor(() => rchar(child.pid!) - before >= bytes, `${label}: rtk_serial to read ${bytes} bytes`);
      // Then until it has gone quiet: neither reading nor computing (CPU time unchanged) over 20
      // consecutive looks, so what it read has been decoded and published.
      let last = '';
      let quiet = 0;
      await waitFor(() => {
        const now = `${rchar(child.pid!)} ${cpuTicks(child.pid!)}`;
        quiet = now === last ? quiet + 1 : 0;
        last = now;
        return quiet >= 20;
      }, `${label}: the process to go quiet`);
    }
    // /diagnostics: every node reports once right after its start (and at 1 Hz), so it is in the
    // recording however short the run.
    child.kill('SIGINT');
    code = await exited;
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  expect(existsSync(mcapFile), `${label}: no MCAP\n${stderr}`).toBe(true);
  runs.set(label, { code, mcap: inDataOrder(await readMcap(mcapFile)), stderr }); // topics in data-stamp order (test/helpers/mcap_order.ts)
}

setupAll(async () => {
  dir = tempDir();
  sims = await udpSink();
  dspace = await udpSink();
  const inputs = await writeDemoInputs(dir, EPOCHS, dspace.port);
  drive = inputs.drive;
  epochs = drive.nmea;
  pty = new PtyPair(join(dir, 'ttyGNSS'), join(dir, 'feed'));
  await pty.start();
  args = demoRosArgs({ inputs, simPort: sims.port, logLevel: 'info', extra: [`rtk_serial:port:=${pty.device}`, 'rtk_serial:stamp_source:=gnss'] });
  await runCli('all', ['all']);
  await runCli('rtk_serial', ['rtk_serial']);
  await runCli('can_bridge', ['can_bridge']);
}, 600_000);

afterAll(async () => {
  await pty?.stop();
  sims?.close();
  dspace?.close();
  rmSync(dir, { recursive: true, force: true });
});

const RTK_DECODED = ['/vil/rtk/fix', '/vil/rtk/velocity', '/vil/rtk/status'];
const GNSS_MESSAGES = ['gnss_altitude', 'gnss_attitude', 'gnss_geofence', 'gnss_imu', 'gnss_odo', 'gnss_pos', 'gnss_speed', 'gnss_status', 'gnss_time'];
const CAN = ['/vil/can/can1/raw', '/vil/can/can2/raw', '/vil/can/radar/raw', ...GNSS_MESSAGES.map((m) => `/vil/can/decoded/${m}`), '/vil/can/radar/decoded', '/vil/can/vehicle_state', '/vil/can/objects/esr'];
const topicsOf = (label: string) => new Set(runs.get(label)!.mcap.map((m) => m.topic));

describe('vil run all vs one process per device node (built CLI, real processes, pty and candump)', () => {
  it('every process exited 0 on SIGINT and logged no error', () => {
    for (const [label, r] of runs) {
      expect(r.code, `${label}:\n${r.stderr}`).toBe(0);
      // ended by the signal, not by running out of work (a ROS node runs until it is stopped)
      expect(r.stderr, label).toContain('"signal":"SIGINT","msg":"shutting down"');
      const errors = r.stderr.split('\n').filter((l) => /"level":(5|6)\d/.test(l));
      expect(errors, label).toEqual([]);
    }
  });

  it('run all publishes the device topics of the single-node processes plus the downstream outputs', () => {
    const device = new Set([...topicsOf('rtk_serial'), ...topicsOf('can_bridge')]);
    expect([...topicsOf('rtk_serial')].sort()).toEqual(['/diagnostics', '/vil/rtk/raw', ...RTK_DECODED].sort());
    expect([...topicsOf('can_bridge')].sort()).toEqual(['/diagnostics', ...CAN].sort());
    const all = topicsOf('all');
    expect([...all].filter((t) => !device.has(t)).sort()).toEqual(['/tf', '/tf_static', '/vil/markers', '/vil/sim/ego_pose']);
    for (const t of device) expect(all.has(t), t).toBe(true);
  });

  it('can_bridge: the same messages in both ways (raw frames, decoded signals, vehicle state, object lists), stamps included', () => {
    const all = byTopic(runs.get('all')!.mcap);
    const alone = byTopic(runs.get('can_bridge')!.mcap);
    expect(alone.get('/vil/can/objects/esr')).toHaveLength(drive.radarScans);
    for (const t of CAN) {
      expect(all.get(t)!.length, t).toBe(alone.get(t)!.length);
      expect(all.get(t), t).toEqual(alone.get(t));
    }
  });

  it('rtk_serial: the same sentences and the same fixes, velocities and status (GNSS stamps) in both ways', () => {
    const all = byTopic(runs.get('all')!.mcap);
    const alone = byTopic(runs.get('rtk_serial')!.mcap);
    const sentences = (l: unknown[]) => (l as { sentence: string; header: { frame_id: string } }[]).map((m) => `${m.header.frame_id} ${m.sentence}`);
    const written = epochs.flatMap((e) => e.split('\r\n').filter((s) => s !== '').map((s) => `gnss ${s}`));
    expect(sentences(alone.get('/vil/rtk/raw')!)).toEqual(written);
    expect(sentences(all.get('/vil/rtk/raw')!)).toEqual(written);
    for (const t of RTK_DECODED) expect(all.get(t), t).toEqual(alone.get(t));
    // GNSS stamps: each epoch's UTC as the drive's module gave it (2023-01-11 17:44:10 on), at the sentences' 0.01 s.
    const stamps = (alone.get('/vil/rtk/fix') as { header: { stamp: { sec: number; nanosec: number } } }[]).map((m) => m.header.stamp);
    expect(stamps).toEqual(drive.epochs.map((e) => gnssStamp(e.utc)));
    expect(stamps[0]).toEqual({ sec: Date.UTC(2023, 0, 11, 17, 44, 10) / 1000, nanosec: 0 });
  });
});

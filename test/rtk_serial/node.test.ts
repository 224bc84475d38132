// rtk_serial as a node on the local graph: replay from the raw topic (a recorded bag), a receiver
// that is not there yet at start, and configuration refused at start with the key and the fix.
import { rawOutputQos } from '../../nodes/runtime/qos_profiles.js';
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { rtkSerialNode } from '../../nodes/rtk_serial/main.js';
import type { NavSatFixMsg, NmeaSentenceMsg, QuaternionStampedMsg } from '../../nodes/runtime/msg_types.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import type { RosContext } from '../../nodes/runtime/ros.js';
import { PtyPair, waitFor } from '../helpers/pty.js';
import { readChk, logSentences } from './nmea_helpers.js';

describe('rtk_serial node', () => {
  let ctx: RosContext | undefined;
  let nodes: StartedNodes | undefined;
  let pty: PtyPair | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await nodes?.stop();
    await ctx?.shutdown();
    await pty?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    nodes = ctx = pty = dir = undefined;
  });

  it('source:=topic decodes a replayed raw topic (the Hemisphere log as a bag would carry it) into fixes and headings', async () => {
    ctx = createLocalContext(parseRosArgs(['--ros-args', '-p', 'rtk_serial:source:=topic']));
    nodes = await startNodes(ctx, [rtkSerialNode]);
    const bag = ctx.createNode('bag_player');
    const fixes: NavSatFixMsg[] = [];
    const headings: QuaternionStampedMsg[] = [];
    bag.createSubscription<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', 'sensor_data', (m) => fixes.push(m));
    bag.createSubscription<QuaternionStampedMsg>('geometry_msgs/msg/QuaternionStamped', '/vil/rtk/heading', 'sensor_data', (m) => headings.push(m));
    const raw = bag.createPublisher<NmeaSentenceMsg>('nmea_msgs/msg/Sentence', '/vil/rtk/raw', rawOutputQos());
    const sentences = logSentences('hemi');
    let t = 1_700_000_000;
    for (const s of sentences) {
      raw.publish({ header: { stamp: { sec: t, nanosec: 0 }, frame_id: 'gnss' }, sentence: s });
      if (s.slice(3, 6) === 'GGA') t += 1;
      // Let the graph deliver in batches, as a bag player's pacing would.
      if (s.slice(3, 6) === 'GGA') await new Promise((r) => setImmediate(r));
    }
    type Tpv = { class: string; lat?: number; lon?: number };
    const gpsd = readChk('hemi')
      .flatMap((e) => e.reports as Tpv[])
      .filter((r) => r.class === 'TPV' && r.lat !== undefined);
    expect(gpsd.length).toBeGreaterThan(0);
    // Every fix gpsd produced with a position has a decoded counterpart at the same place.
    const key = (lat: number, lon: number) => `${lat.toFixed(8)},${lon.toFixed(8)}`;
    const covered = () => {
      const positions = new Set(fixes.map((f) => key(f.latitude, f.longitude)));
      return gpsd.every((g) => positions.has(key(g.lat!, g.lon!)));
    };
    await waitFor(covered, "decoded fixes at every position gpsd reported");
    await nodes.stop();
    // Receive-time stamps come from the raw messages' stamps, not from the replaying machine's clock.
    expect(fixes.every((f) => f.header.stamp.sec >= 1_700_000_000 && f.header.stamp.sec < t + 1)).toBe(true);
    expect(headings.length).toBeGreaterThan(0);
    // In replay the raw topic is the input: the bag player is its only publisher.
    const rawTopic = (ctx as LocalContext).graph.stats().find((s) => s.topic === '/vil/rtk/raw')!;
    expect(rawTopic.publishers).toBe(1);
  });

  it('starts without its receiver, reports the port on /diagnostics, and opens it once it appears', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-late-'));
    const device = join(dir, 'ttyGNSS');
    ctx = createLocalContext(parseRosArgs(['--ros-args', '-p', `rtk_serial:port:=${device}`]));
    nodes = await startNodes(ctx, [rtkSerialNode]);
    const probe = ctx.createNode('probe');
    let diag: DiagnosticArrayMsg | undefined;
    probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', 'default', (m) => (diag = m));
    const receiver = () => diag?.status.find((s) => s.name === 'rtk_serial: receiver');
    // The first report may come while the first open is still under way ('port opening').
    await waitFor(() => receiver() !== undefined && receiver()!.message !== 'port opening', 'a diagnostics report after the first open attempt');
    expect(receiver()!.level).toBe(2); // ERROR
    expect(receiver()!.message).toMatch(/No such file|ENOENT|cannot open|not found/i);
    expect(receiver()!.hardware_id).toBe(device);

    pty = new PtyPair(device, join(dir, 'feed'));
    await pty.start();
    await waitFor(() => receiver()?.values.find((v) => v.key === 'port_state')?.value === 'open', 'the port to open after it appeared');
    const failed = Number(receiver()!.values.find((v) => v.key === 'failed_opens')!.value);
    expect(failed).toBeGreaterThanOrEqual(1);
  });

  it('refuses a parameter of the wrong type at start, naming the parameter, where it came from and the fix', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-cfg-'));
    const file = join(dir, 'params.yaml');
    writeFileSync(file, 'rtk_serial:\n  ros__parameters:\n    baud: fast\n');
    ctx = createLocalContext(parseRosArgs(['--ros-args', '--params-file', file]));
    const err = await startNodes(ctx, [rtkSerialNode]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(file);
    expect((err as ConfigError).key).toBe('baud');
    expect((err as ConfigError).message).toMatch(/baud: expected an integer, got a string: fast\. Fix: set baud to an integer/);
  });

  it('refuses an unknown source with the allowed choices', async () => {
    ctx = createLocalContext(parseRosArgs(['--ros-args', '-p', 'source:=usb']));
    await expect(startNodes(ctx, [rtkSerialNode])).rejects.toThrow(/source: "usb" is not one of serial, topic/);
  });
});

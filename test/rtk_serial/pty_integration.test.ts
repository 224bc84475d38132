// rtk_serial end to end through a real pseudo-terminal pair (socat), on the local graph: a real
// u-blox ZED-F9P log is written into one end at 20 epochs/s in random-sized chunks; the node reads
// the other end as it would /dev/ttyACM0. Then the pty vanishes and comes back: the node reopens.
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PtyPair, waitFor } from '../helpers/pty.js';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import { rtkSerialNode } from '../../nodes/rtk_serial/main.js';
import type { NavSatFixMsg, NmeaSentenceMsg, GnssStatusMsg } from '../../nodes/runtime/msg_types.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import { timeToNs, type RosContext } from '../../nodes/runtime/ros.js';
import { readChk, logSentences } from './nmea_helpers.js';


/** NMEA 0183 checksum: XOR of the bytes between '$' and '*', two hex digits after '*'. */
function checksumValid(line: string): boolean {
  const star = line.lastIndexOf('*');
  if (!line.startsWith('$') || star < 0) return false;
  let x = 0;
  for (let i = 1; i < star; i++) x ^= line.charCodeAt(i);
  return line.slice(star + 1).toUpperCase() === x.toString(16).toUpperCase().padStart(2, '0');
}

/** The log's sentences grouped by epoch (a u-blox epoch starts with RMC). */
function epochs(): string[][] {
  const lines = logSentences('ublox-zed-f9p-nmea');
  const out: string[][] = [];
  for (const l of lines) {
    if (l.slice(3, 6) === 'RMC' || out.length === 0) out.push([]);
    out[out.length - 1].push(l);
  }
  return out;
}

function writeInRandomChunks(pty: PtyPair, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(Math.random() * 200);
    pty.write(bytes.subarray(i, i + n));
    i += n;
  }
}

function portState(d: DiagnosticArrayMsg | undefined): string | undefined {
  return d?.status.find((s) => s.name.endsWith('receiver'))?.values.find((v) => v.key === 'port_state')?.value;
}

describe('rtk_serial through a socat pty pair (real pseudo-terminals, local graph)', () => {
  let dir: string;
  let pty: PtyPair | undefined;
  let ctx: RosContext | undefined;
  let nodes: StartedNodes | undefined;

  afterEach(async () => {
    await nodes?.stop();
    await ctx?.shutdown();
    await pty?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes every valid sentence raw, fixes that agree with gpsd, writes RTCM to the port, and reconnects after the pty vanishes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-pty-'));
    pty = new PtyPair(join(dir, 'ttyGNSS'), join(dir, 'feed'));
    await pty.start();

    ctx = createLocalContext(parseRosArgs(['--ros-args', '-p', `rtk_serial:port:=${pty.device}`, '-p', 'rtk_serial:frame_id:=gnss_antenna']));
    nodes = await startNodes(ctx, [rtkSerialNode]);
    const probe = ctx.createNode('probe');
    const raws: NmeaSentenceMsg[] = [];
    const fixes: NavSatFixMsg[] = [];
    const statuses: GnssStatusMsg[] = [];
    let diag: DiagnosticArrayMsg | undefined;
    probe.createSubscription<NmeaSentenceMsg>('nmea_msgs/msg/Sentence', '/vil/rtk/raw', { reliability: 'best_effort', durability: 'volatile', history: 'keep_all', depth: 0 }, (m) => raws.push(m));
    probe.createSubscription<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', { reliability: 'best_effort', durability: 'volatile', history: 'keep_all', depth: 0 }, (m) => fixes.push(m));
    probe.createSubscription<GnssStatusMsg>('vil/msg/GnssStatus', '/vil/rtk/status', 'sensor_data', (m) => statuses.push(m));
    probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', 'default', (m) => (diag = m));

    await waitFor(() => portState(diag) === 'open', 'the node to open the pty');

    // 1. The real log at 20 epochs/s (a realistic RTK output rate), chunked at random boundaries.
    const all = epochs();
    const firstHalf = all.slice(0, 15);
    const before = timeToNs(probe.now());
    for (const e of firstHalf) {
      writeInRandomChunks(pty, e.map((l) => `${l}\r\n`).join(''));
      await sleep(50);
    }
    const expectedRaw = firstHalf.flat().filter(checksumValid);
    await waitFor(() => raws.length >= expectedRaw.length, `${expectedRaw.length} raw sentences (have ${raws.length})`);
    await sleep(100);
    expect(raws.map((r) => r.sentence)).toEqual(expectedRaw);
    expect(raws.every((r) => r.header.frame_id === 'gnss_antenna')).toBe(true);
    // Receive stamps: from the ROS clock, within the writing window, never going backwards.
    const stamps = raws.map((r) => timeToNs(r.header.stamp));
    expect(stamps[0]).toBeGreaterThanOrEqual(before);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1]);

    // Decoded fixes agree with gpsd's own decoding of the same sentences (the .chk file).
    type Tpv = { class: string; lat?: number; lon?: number; altHAE?: number };
    // gpsd reports a TPV after several sentences of an epoch; those carrying altHAE are the GGA-based ones.
    const gpsd = readChk('ublox-zed-f9p-nmea')
      .flatMap((e) => e.reports as Tpv[])
      .filter((t) => t.class === 'TPV' && t.lat !== undefined && t.altHAE !== undefined);
    const ggaInHalf = firstHalf.flat().filter((l) => l.slice(3, 6) === 'GGA');
    await waitFor(() => fixes.length >= ggaInHalf.length - 1, 'fixes of the written epochs');
    expect(fixes.length).toBeGreaterThan(0);
    for (const f of fixes) {
      const ref = gpsd.find((g) => Math.abs(g.lat! - f.latitude) < 1e-8 && Math.abs(g.lon! - f.longitude) < 1e-8);
      expect(ref, `gpsd reported a fix at ${f.latitude}, ${f.longitude}`).toBeDefined();
      // Ellipsoidal altitude: gpsd's altHAE (MSL + geoid separation), to the 0.1 m the sentence carries.
      expect(f.altitude).toBeCloseTo(ref!.altHAE!, 1);
      expect(f.header.frame_id).toBe('gnss_antenna');
    }
    expect(statuses.length).toBeGreaterThan(0);

    // 2. RTCM corrections from a topic reach the receiver's side of the line byte for byte.
    const rtcmPub = probe.createPublisher<{ header: { stamp: { sec: number; nanosec: number }; frame_id: string }; message: Uint8Array }>('rtcm_msgs/msg/Message', '/vil/rtk/rtcm', 'default');
    const rtcm = Uint8Array.from([0xd3, 0x00, 0x13, 0x3e, 0xd7, 0xd3, 0x02, 0x02, 0x98, 0x0e, 0xde, 0xef, 0x34, 0xb4, 0xbd, 0x62, 0xac, 0x09, 0x41, 0x98, 0x6f, 0x33, 0x36, 0x0b, 0x98]);
    pty.readAvailable();
    rtcmPub.publish({ header: { stamp: probe.now(), frame_id: '' }, message: rtcm });
    let received = Buffer.alloc(0);
    await waitFor(() => {
      received = Buffer.concat([received, pty!.readAvailable()]);
      return received.length >= rtcm.length;
    }, 'RTCM bytes on the receiver side');
    expect([...received]).toEqual([...rtcm]);

    // 3. The cable is pulled: the pty vanishes. The node stays up and says so on /diagnostics.
    await pty.stop();
    await waitFor(() => portState(diag) !== undefined && portState(diag) !== 'open', 'diagnostics to report the port lost');
    // ... and comes back: the node reopens (back-off ≤ 2 s) and publishes again, without a restart.
    await pty.start();
    await waitFor(() => portState(diag) === 'open', 'the node to reopen the pty');
    const rawBefore = raws.length;
    const fixesBefore = fixes.length;
    for (const e of all.slice(15)) {
      writeInRandomChunks(pty, e.map((l) => `${l}\r\n`).join(''));
      await sleep(50);
    }
    const expectedAfter = all.slice(15).flat().filter(checksumValid);
    await waitFor(() => raws.length - rawBefore >= expectedAfter.length, 'raw sentences after the reconnect');
    expect(raws.slice(rawBefore).map((r) => r.sentence)).toEqual(expectedAfter);
    await waitFor(() => fixes.length > fixesBefore, 'fixes after the reconnect');
    const values = Object.fromEntries(diag!.status.find((s) => s.name.endsWith('receiver'))!.values.map((v) => [v.key, v.value]));
    expect(Number(values.reconnects)).toBeGreaterThanOrEqual(1);
  });
});

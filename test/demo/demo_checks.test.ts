// The demo's checks (nodes/cli/demo_checks.ts) pass on what is right and fail on what is wrong:
// each is given the right answer, built here from its reference, and then that answer with one
// realistic defect (a lost epoch, a coordinate off by a few millimetres, a mirrored radar angle, a
// lost datagram ...). A check that could not fail would pass both.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDecoded, checkFixes, checkObjectLists, checkPoses, checkRawFrames, checkUdp, type PosePacket } from '../../nodes/cli/demo_checks.js';
import { cs2csProjector } from '../../nodes/cli/demo.js';
import { prepareDemoDrive } from '../../nodes/cli/demo_inputs.js';
import { sceneTracks, scanTime } from '../../nodes/cli/demo_drive.js';
import type { NavSatFixMsg, ObjectListMsg } from '../../nodes/runtime/msg_types.js';
import type { DecodedSignalsMsg } from '../../nodes/can_bridge/decoded_signals.js';
import type { CanMsgsFrame } from '../../nodes/can_bridge/raw_frames.js';
import { ROOT } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-demo-checks-'));
const drivePromise = prepareDemoDrive({ root: ROOT, outDir: dir, epochs: 5 }).finally(() => rmSync(dir, { recursive: true, force: true }));
const PROJECTION = '+proj=tmerc +lat_0=56.0704 +lon_0=10.1602 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';

const fixOf = (lat: number, lon: number, alt: number, k: number): NavSatFixMsg => ({
  header: { stamp: { sec: 1000 + k, nanosec: 0 }, frame_id: 'gnss' },
  status: { status: 0, service: 1 },
  latitude: lat,
  longitude: lon,
  altitude: alt,
  position_covariance: Array(9).fill(0),
  position_covariance_type: 0,
});

describe('the demo\'s checks fail for real reasons', () => {
  it('fixes: right → ok; an epoch lost, a latitude 1e-6° off, an altitude 0.1 m off, a wrong status → FAIL', async () => {
    const drive = await drivePromise;
    const good = drive.epochs.map((e, k) => fixOf(e.latitude, e.longitude, e.altitude, k));
    expect(checkFixes(drive.epochs, good).status).toBe('ok');
    expect(checkFixes(drive.epochs, good.slice(1)).status).toBe('FAIL');
    expect(checkFixes(drive.epochs, good.map((f, k) => (k === 2 ? { ...f, latitude: f.latitude + 1e-6 } : f))).status).toBe('FAIL');
    expect(checkFixes(drive.epochs, good.map((f, k) => (k === 2 ? { ...f, altitude: f.altitude + 0.1 } : f))).status).toBe('FAIL');
    expect(checkFixes(drive.epochs, good.map((f, k) => (k === 2 ? { ...f, status: { status: 2, service: 1 } } : f))).status).toBe('FAIL');
  });

  it('poses: PROJ\'s projection minus the lever arm → ok; 2 mm off, or a pose for a fix never published → FAIL; without cs2cs → not checked', async () => {
    const drive = await drivePromise;
    const fixes = drive.epochs.map((e, k) => fixOf(e.latitude, e.longitude, e.altitude, k));
    const en = cs2csProjector(PROJECTION)(fixes.map((f) => [f.longitude, f.latitude]));
    expect(en, 'PROJ\'s cs2cs is needed (bash scripts/ensure-tools.sh installs proj-bin)').toBeDefined();
    const lever: [number, number, number] = [1.2, 0, 1.5];
    const yaw = 0.7;
    const good: PosePacket[] = fixes.map((f, k) => ({ fixTime: f.header.stamp.sec, x: en![k][0] - Math.cos(yaw) * 1.2, y: en![k][1] - Math.sin(yaw) * 1.2, z: 0, yaw }));
    expect(checkPoses(good, fixes, lever, 0, cs2csProjector(PROJECTION)).status).toBe('ok');
    expect(checkPoses(good.map((p, k) => (k === 1 ? { ...p, x: p.x + 0.002 } : p)), fixes, lever, 0, cs2csProjector(PROJECTION)).status).toBe('FAIL');
    expect(checkPoses([...good, { ...good[0], fixTime: 999 }], fixes, lever, 0, cs2csProjector(PROJECTION)).status).toBe('FAIL');
    // The antenna's projection itself, without the lever arm: 1.2 m off.
    expect(checkPoses(good.map((p, k) => ({ ...p, x: en![k][0], y: en![k][1] })), fixes, lever, 0, cs2csProjector(PROJECTION)).status).toBe('FAIL');
    expect(checkPoses(good, fixes, lever, 0, () => undefined).status).toBe('not checked');
  });

  it('object lists: the scene at the DBC\'s resolution → ok; a scan lost, an angle mirrored, a track missing → FAIL', async () => {
    const drive = await drivePromise;
    const lists = (mirror = false): ObjectListMsg[] =>
      Array.from({ length: drive.radarScans }, (_, k) => ({
        header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'radar_esr' },
        source: 'esr',
        cycle_counter: k,
        frames_in_cycle: 65,
        objects: sceneTracks(scanTime(k)).map((t) => {
          const r = Math.round(t.range / 0.1) * 0.1;
          const a = ((Math.round(t.angleDeg / 0.1) * 0.1 * Math.PI) / 180) * (mirror ? -1 : 1);
          const v = Math.round(t.rangeRate / 0.01) * 0.01;
          return { id: t.slot, classification: 0, class_label: '', position: { x: r * Math.cos(a), y: r * Math.sin(a), z: 0 }, velocity: { x: v * Math.cos(a), y: v * Math.sin(a), z: 0 }, acceleration: { x: 0, y: 0, z: 0 }, size: { x: 0, y: Math.round(t.width / 0.5) * 0.5, z: 0 }, yaw: NaN, existence_probability: NaN, status: t.status, status_label: '' };
        }),
      }));
    expect(checkObjectLists(lists(), drive.radarDb, drive.radarScans).status).toBe('ok');
    const lost = lists();
    lost.splice(10, 1);
    expect(checkObjectLists(lost, drive.radarDb, drive.radarScans).status).toBe('FAIL');
    expect(checkObjectLists(lists(true), drive.radarDb, drive.radarScans).status).toBe('FAIL');
    const missing = lists();
    missing[20].objects.pop();
    expect(checkObjectLists(missing, drive.radarDb, drive.radarScans).status).toBe('FAIL');
  });

  it('raw and decoded frames, UDP counts: equal → ok; one byte, one value, one datagram different → FAIL', async () => {
    const drive = await drivePromise;
    const frames = (drive.frames.get(2) ?? []).map((r) => ({ id: r.frame.id, data: r.frame.data }));
    const msgs: CanMsgsFrame[] = frames.map((f) => ({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'can2' }, id: f.id, is_rtr: false, is_extended: false, is_error: false, dlc: f.data.length, data: new Uint8Array([...f.data, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8)) }));
    expect(checkRawFrames(new Map([['can2', frames]]), new Map([['can2', msgs]])).status).toBe('ok');
    const altered = msgs.map((m, i) => (i === 3 ? { ...m, data: m.data.map((b, j) => (j === 0 ? b ^ 1 : b)) } : m));
    expect(checkRawFrames(new Map([['can2', frames]]), new Map([['can2', altered]])).status).toBe('FAIL');

    const decoded = new Map<string, DecodedSignalsMsg[]>();
    for (const f of drive.gnssFrames) {
      const names = Object.keys(f.values);
      decoded.set(f.message, [...(decoded.get(f.message) ?? []), { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'can2' }, message_name: f.message, id: f.id, is_extended: false, signal_names: names, values: Float64Array.from(names.map((n) => f.values[n])), labels: names.map(() => '') }]);
    }
    expect(checkDecoded(drive.gnssFrames, decoded, 'ref').status).toBe('ok');
    const pos = decoded.get('gnss_pos')!;
    pos[1] = { ...pos[1], values: pos[1].values.map((v, j) => (j === 1 ? v + 1e-6 : v)) };
    expect(checkDecoded(drive.gnssFrames, decoded, 'ref').status).toBe('FAIL');

    expect(checkUdp({ label: 'x', sent: 100, received: 100, bad: 0, gaps: 0 }).status).toBe('ok');
    expect(checkUdp({ label: 'x', sent: 100, received: 99, bad: 0, gaps: 0 }).status).toBe('FAIL');
    expect(checkUdp({ label: 'x', sent: 100, received: 100, bad: 0, gaps: 1 }).status).toBe('FAIL');
    expect(checkUdp({ label: 'x', sent: undefined, received: 0, bad: 0, gaps: 0 }).status).toBe('FAIL');
  });
});

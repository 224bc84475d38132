// The demo's checks: what the nodes published (and the UDP receivers got) against references that
// do not come from the node under test. Pure functions: the demo collects, these judge. None of
// them depends on time or load: every comparison is by content and count.
//
//   fixes        rtk_serial's NavSatFix of each epoch = the drive's GNSS epoch the NMEA was written
//                from (lat/lon to the NMEA's 0.00001', altitude to its 0.1 m, status from the fix type)
//   poses        each sim_pose UDP packet = PROJ's cs2cs projection of the packet's fix, moved from the
//                antenna to the reference point by the lever arm along the packet's yaw (within 1 mm)
//   object lists each published ESR list = the scene script's tracks for that scan at the DBC's
//                resolution (ground truth, not a decode of the generated frames); every scan once, in order
//   raw frames   every frame of the replayed window on its bus topic, in order, same id and bytes
//   decoded      every GNSS module frame of the window published decoded, values = the reference decode
//   UDP          datagrams received = datagrams the sender counted as sent; none malformed, no gap
import type { CanDatabase } from '../dbc/codec.js';
import type { NavSatFixMsg, ObjectListMsg } from '../runtime/msg_types.js';
import type { CanMsgsFrame } from '../can_bridge/raw_frames.js';
import type { DecodedSignalsMsg } from '../can_bridge/decoded_signals.js';
import { ggaQuality, type GnssEpoch } from './demo_gnss.js';
import { sceneTracks, scanTime } from './demo_drive.js';

export type CheckStatus = 'ok' | 'FAIL' | 'not checked';

export interface Check {
  name: string;
  status: CheckStatus;
  /** What was compared and the figures (or what failed first). */
  detail: string;
}

const check = (name: string, ok: boolean, detail: string): Check => ({ name, status: ok ? 'ok' : 'FAIL', detail });

/** Half a unit of the NMEA's last digit: 0.00001 minutes of arc, in degrees. */
export const LATLON_TOLERANCE_DEG = 0.5e-5 / 60;
/** Half a unit of GGA's altitude digit (0.1 m). */
export const ALTITUDE_TOLERANCE_M = 0.05;
/** sensor_msgs/NavSatStatus of a GGA quality as rtk_serial maps it: 0 → NO_FIX, 1 and 6 → FIX. */
export function expectedFixStatus(quality: number): number {
  return quality === 0 ? -1 : quality === 2 || quality === 9 ? 1 : quality === 4 || quality === 5 ? 2 : quality === 7 || quality === 8 ? -1 : 0;
}

/** Fix i must be epoch i's position, altitude and status (rtk_serial publishes one fix per epoch). */
export function checkFixes(epochs: readonly GnssEpoch[], fixes: readonly NavSatFixMsg[]): Check {
  const name = 'fixes = the drive\'s GNSS epochs (lat/lon to 0.00001\', altitude to 0.1 m, status)';
  if (fixes.length !== epochs.length) return check(name, false, `${fixes.length} fixes for ${epochs.length} epochs written`);
  let dLatLon = 0;
  let dAlt = 0;
  for (let i = 0; i < epochs.length; i++) {
    const e = epochs[i];
    const f = fixes[i];
    const status = expectedFixStatus(ggaQuality(e));
    if (f.status.status !== status) return check(name, false, `epoch ${i}: status ${f.status.status}, expected ${status} (fix type ${e.fixType})`);
    if (status === -1) continue;
    const d = Math.max(Math.abs(f.latitude - e.latitude), Math.abs(f.longitude - e.longitude));
    const a = Math.abs(f.altitude - e.altitude);
    if (!(d <= LATLON_TOLERANCE_DEG)) return check(name, false, `epoch ${i}: ${f.latitude}, ${f.longitude} vs ${e.latitude}, ${e.longitude}`);
    if (!(a <= ALTITUDE_TOLERANCE_M)) return check(name, false, `epoch ${i}: altitude ${f.altitude} vs ${e.altitude}`);
    dLatLon = Math.max(dLatLon, d);
    dAlt = Math.max(dAlt, a);
  }
  return check(name, true, `${fixes.length} of ${epochs.length}; largest difference ${dLatLon.toExponential(1)}° (lat/lon), ${dAlt.toExponential(1)} m (altitude)`);
}

/** A sim_pose UDP packet as the demo's receiver decoded it (config/layouts/sim_pose_ego.yaml). */
export interface PosePacket {
  fixTime: number;
  x: number;
  y: number;
  z: number;
  yaw: number;
}

/** PROJ's projection of lon/lat points (cs2cs), or undefined when PROJ is not installed. */
export type Projector = (lonLat: readonly [number, number][]) => [number, number][] | undefined;

export const POSE_TOLERANCE_M = 0.001;

/**
 * Each packet's x, y against cs2cs(lat, lon of its fix) − R(yaw)·lever arm, z against fixed_z.
 * The grid scale factor the node applies to the lever arm differs from 1 by < 1e-9 within a few
 * hundred metres of the map's central meridian: far below the tolerance.
 */
export function checkPoses(packets: readonly PosePacket[], fixes: readonly NavSatFixMsg[], leverArm: readonly [number, number, number], fixedZ: number, project: Projector): Check {
  const name = 'poses sent to the simulator = PROJ (cs2cs) projection of their fix, within 1 mm';
  const seconds = (f: NavSatFixMsg) => f.header.stamp.sec + f.header.stamp.nanosec * 1e-9;
  const used = fixes.filter((f) => f.status.status !== -1);
  const projected = project(used.map((f) => [f.longitude, f.latitude]));
  if (projected === undefined) return { name, status: 'not checked', detail: 'install proj-bin (PROJ\'s cs2cs) to check: sudo apt-get install proj-bin' };
  if (packets.length === 0) return check(name, false, 'no packet received');
  let worst = 0;
  let fixesSeen = new Set<number>();
  for (const p of packets) {
    const i = used.findIndex((f) => Math.abs(seconds(f) - p.fixTime) < 1e-6);
    if (i < 0) return check(name, false, `a packet for a fix at ${p.fixTime} s that rtk_serial did not publish`);
    fixesSeen.add(i);
    const [e, n] = projected[i];
    const c = Math.cos(p.yaw);
    const s = Math.sin(p.yaw);
    const x = e - (c * leverArm[0] - s * leverArm[1]);
    const y = n - (s * leverArm[0] + c * leverArm[1]);
    const d = Math.hypot(p.x - x, p.y - y);
    if (!(d <= POSE_TOLERANCE_M) || p.z !== fixedZ) return check(name, false, `packet for fix ${i}: (${p.x}, ${p.y}, ${p.z}) vs PROJ (${x}, ${y}, ${fixedZ}): ${d} m`);
    worst = Math.max(worst, d);
  }
  return check(name, true, `${packets.length} packets of ${fixesSeen.size} fixes; largest difference ${(worst * 1000).toFixed(4)} mm`);
}

/** physical = round((v − offset) / scale) · scale + offset: what a DBC signal can carry of v. */
function quantiser(db: CanDatabase, message: string, signal: string): (v: number) => number {
  const s = db.byName(message)!.message.signals.find((x) => x.name === signal)!;
  return (v) => Math.round((v - s.offset) / s.scale) * s.scale + s.offset;
}

export const OBJECT_TOLERANCE = 1e-9;

/**
 * Each ESR object list against the scene script: scan k's tracks (sceneTracks at scan k's time),
 * range, angle, range rate and width at the ESR DBC's resolution, placed as can_bridge's polar
 * mapping defines (x = r cos a, y = r sin a, velocity along the bearing). Lists must be scans 0..n−1.
 */
export function checkObjectLists(lists: readonly ObjectListMsg[], radar: CanDatabase, scans: number): Check {
  const name = 'radar object lists = the scene script (ground truth at the DBC\'s resolution), every scan once';
  const qr = quantiser(radar, 'Target1', 'CAN_TX_TRACK_RANGE');
  const qa = quantiser(radar, 'Target1', 'CAN_TX_TRACK_ANGLE');
  const qv = quantiser(radar, 'Target1', 'CAN_TX_TRACK_RANGE_RATE');
  const qw = quantiser(radar, 'Target1', 'CAN_TX_TRACK_WIDTH');
  if (lists.length !== scans) return check(name, false, `${lists.length} lists for ${scans} scans`);
  let objects = 0;
  for (let k = 0; k < lists.length; k++) {
    const l = lists[k];
    if (l.cycle_counter !== (k & 0xffff)) return check(name, false, `list ${k} has scan index ${l.cycle_counter}`);
    const want = sceneTracks(scanTime(k));
    const got = [...l.objects].sort((a, b) => a.id - b.id);
    if (got.map((o) => o.id).join() !== want.map((t) => t.slot).join()) return check(name, false, `scan ${k}: tracks ${got.map((o) => o.id).join(',')}, scene ${want.map((t) => t.slot).join(',')}`);
    for (let j = 0; j < want.length; j++) {
      const t = want[j];
      const o = got[j];
      const r = qr(t.range);
      const a = (qa(t.angleDeg) * Math.PI) / 180;
      const v = qv(t.rangeRate);
      const exp = [r * Math.cos(a), r * Math.sin(a), v * Math.cos(a), v * Math.sin(a), qw(t.width), t.status];
      const act = [o.position.x, o.position.y, o.velocity.x, o.velocity.y, o.size.y, o.status];
      for (let m = 0; m < exp.length; m++) {
        if (!(Math.abs(exp[m] - act[m]) <= OBJECT_TOLERANCE)) return check(name, false, `scan ${k} track ${t.slot}: [${act.join(', ')}] vs scene [${exp.join(', ')}]`);
      }
      objects++;
    }
  }
  return check(name, true, `${lists.length} scans, ${objects} objects`);
}

/** Frames as the recording holds them: id and payload. */
export interface FrameRef {
  id: number;
  data: Uint8Array;
}

/** Every frame of each bus, in order, with its id and bytes. */
export function checkRawFrames(expected: ReadonlyMap<string, readonly FrameRef[]>, got: ReadonlyMap<string, readonly CanMsgsFrame[]>): Check {
  const name = 'raw frames: every frame of the replayed window on its bus, in order, same id and bytes';
  const parts: string[] = [];
  for (const [bus, want] of expected) {
    const have = got.get(bus) ?? [];
    if (have.length !== want.length) return check(name, false, `${bus}: ${have.length} frames published, ${want.length} in the window`);
    for (let i = 0; i < want.length; i++) {
      const w = want[i];
      const h = have[i];
      const bytes = h.data.subarray(0, h.dlc);
      if (h.id !== w.id || bytes.length !== w.data.length || bytes.some((b, j) => b !== w.data[j])) return check(name, false, `${bus} frame ${i}: ${h.id.toString(16)}#${Buffer.from(bytes).toString('hex')} vs ${w.id.toString(16)}#${Buffer.from(w.data).toString('hex')}`);
    }
    parts.push(`${bus} ${want.length}`);
  }
  return check(name, true, parts.join(', '));
}

/** A reference decode of one frame: the message and its signals' values. */
export interface DecodedRef {
  message: string;
  values: Record<string, number>;
}

/** Every decoded frame, per message in order, against its reference decode (same names, same values). */
export function checkDecoded(expected: readonly DecodedRef[], got: ReadonlyMap<string, readonly DecodedSignalsMsg[]>, referenceName: string): Check {
  const name = `decoded GNSS signals = ${referenceName}, every frame`;
  const byMessage = new Map<string, DecodedRef[]>();
  for (const e of expected) byMessage.set(e.message, [...(byMessage.get(e.message) ?? []), e]);
  let values = 0;
  for (const [message, want] of byMessage) {
    const have = got.get(message) ?? [];
    if (have.length !== want.length) return check(name, false, `${message}: ${have.length} published, ${want.length} frames`);
    for (let i = 0; i < want.length; i++) {
      const h = have[i];
      const names = Object.keys(want[i].values);
      if (h.signal_names.length !== names.length) return check(name, false, `${message} #${i}: signals ${h.signal_names.join(',')} vs ${names.join(',')}`);
      for (let j = 0; j < h.signal_names.length; j++) {
        const w = want[i].values[h.signal_names[j]];
        const v = h.values[j];
        if (!(v === w || (Number.isNaN(v) && Number.isNaN(w)) || Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(w)))) return check(name, false, `${message} #${i} ${h.signal_names[j]}: ${v} vs ${w}`);
        values++;
      }
    }
  }
  return check(name, true, `${expected.length} frames, ${values} values`);
}

/** What a UDP receiver saw, and what the sender said it sent. */
export interface UdpTally {
  label: string;
  sent: number | undefined;
  received: number;
  bad: number;
  gaps: number;
}

export function checkUdp(t: UdpTally): Check {
  const name = `${t.label} UDP: received = sent by the sender's own count, none malformed, no sequence gap`;
  if (t.sent === undefined) return check(name, false, 'the sender reported no count');
  return check(name, t.sent > 0 && t.received === t.sent && t.bad === 0 && t.gaps === 0, `sent ${t.sent}, received ${t.received}, malformed ${t.bad}, gaps ${t.gaps}`);
}

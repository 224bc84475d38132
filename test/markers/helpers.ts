// Shared by the markers tests: ESR-like object lists on the radar's own value grid (signal scales
// and ranges read from the real ESR DBC), rviz2's acceptance rules for markers, and graph helpers.
//
// The ESR lists are built here, not by can_bridge's assembly (not available to these tests yet):
// track number → object id (Target1..Target64 → 1..64), range/angle → position (angle positive
// to the left, REP 103), range rate → velocity along the bearing, width → size.y (the ESR gives no
// length or height), CAN_TX_TRACK_STATUS → status (no DBC choices, so status_label is "").
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marker, type DetectedObjectMsg, type MarkerArrayMsg, type MarkerMsg, type ObjectListMsg } from '../../nodes/runtime/msg_types.js';
import type { Time } from '../../nodes/runtime/ros.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '../fixtures/markers');

export interface DbcSignalRange {
  factor: number;
  offset: number;
  min: number;
  max: number;
  unit: string;
}

/** The Target1 track signals of the ESR DBC: name → scale and range (every TargetN is the same). */
export function esrTrackSignals(): Map<string, DbcSignalRange> {
  const text = readFileSync(join(FIXTURES, 'ESR.dbc'), 'latin1');
  const start = text.indexOf('BO_ 1280 Target1:');
  if (start < 0) throw new Error('ESR.dbc: no Target1 message');
  const block = text.slice(start, text.indexOf('\n\n', start));
  const out = new Map<string, DbcSignalRange>();
  const re = /SG_ (\w+) : \d+\|\d+@[01][+-] \(([-\d.eE]+),([-\d.eE]+)\) \[([-\d.eE]+)\|([-\d.eE]+)\] "([^"]*)"/g;
  for (let m = re.exec(block); m; m = re.exec(block)) {
    out.set(m[1], { factor: Number(m[2]), offset: Number(m[3]), min: Number(m[4]), max: Number(m[5]), unit: m[6] });
  }
  return out;
}

const SIGNALS = esrTrackSignals();

/** A physical value as the DBC can carry it: on the factor's grid, inside [min, max]. */
export function onGrid(signal: string, value: number): number {
  const s = SIGNALS.get(signal);
  if (!s) throw new Error(`ESR.dbc Target1 has no signal ${signal}`);
  const raw = Math.round((value - s.offset) / s.factor);
  const v = Number((raw * s.factor + s.offset).toFixed(6));
  if (v < s.min || v > s.max) throw new Error(`${signal} ${value} is outside the DBC range [${s.min}, ${s.max}]`);
  return v;
}

export interface EsrTrack {
  /** Track number 1..64 (Target1..Target64). */
  track: number;
  range: number;
  /** [deg] */
  angle: number;
  rangeRate: number;
  width: number;
  status: number;
}

export function esrObject(t: EsrTrack): DetectedObjectMsg {
  if (!(t.track >= 1 && t.track <= 64)) throw new Error(`ESR tracks are 1..64, got ${t.track}`);
  const r = onGrid('CAN_TX_TRACK_RANGE', t.range);
  const a = (onGrid('CAN_TX_TRACK_ANGLE', t.angle) * Math.PI) / 180;
  const rr = onGrid('CAN_TX_TRACK_RANGE_RATE', t.rangeRate);
  const w = onGrid('CAN_TX_TRACK_WIDTH', t.width);
  const status = onGrid('CAN_TX_TRACK_STATUS', t.status);
  return {
    id: t.track,
    classification: 0,
    class_label: '',
    position: { x: r * Math.cos(a), y: r * Math.sin(a), z: 0 },
    velocity: { x: rr * Math.cos(a), y: rr * Math.sin(a), z: 0 },
    acceleration: { x: 0, y: 0, z: 0 },
    size: { x: 0, y: w, z: 0 },
    yaw: Number.NaN,
    existence_probability: Number.NaN,
    status,
    status_label: '',
  };
}

/** One ESR scan: ESR_Status + one frame per track. */
export function esrList(scan: number, stamp: Time, tracks: EsrTrack[], frame = 'radar_esr'): ObjectListMsg {
  return {
    header: { stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, frame_id: frame },
    source: 'esr',
    cycle_counter: scan,
    frames_in_cycle: 1 + tracks.length,
    objects: tracks.map(esrObject),
  };
}

/** A scan of traffic ahead: a lead car, an oncoming car, a coasted track, a stationary target. */
export const SCAN_A: EsrTrack[] = [
  { track: 3, range: 42.3, angle: 1.2, rangeRate: -1.35, width: 2.0, status: 3 },
  { track: 7, range: 88.1, angle: -4.5, rangeRate: -27.4, width: 2.5, status: 3 },
  { track: 12, range: 17.6, angle: 12.8, rangeRate: 0.42, width: 1.0, status: 4 },
  { track: 40, range: 120.0, angle: -0.3, rangeRate: 0.0, width: 0.5, status: 1 },
];

/**
 * rviz2's acceptance rules for one MarkerArray (rviz_default_plugins marker_common.cpp and the
 * marker classes): what a message must satisfy beyond its CDR type to be drawn. Returns the
 * problems found (empty: rviz draws everything).
 */
export function rvizProblems(array: MarkerArrayMsg): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of array.markers) {
    const who = `${m.ns}/${m.id}`;
    // MarkerCommon::addMessage: (ns, id) unique within one array.
    const key = `${m.ns}\u0000${m.id}`;
    if (seen.has(key)) problems.push(`${who}: duplicate (ns, id) in one MarkerArray`);
    seen.add(key);
    // validateFloats: pose, scale, color, points finite (NaN or Inf: "Contains invalid floating point values").
    const floats = [
      m.pose.position.x, m.pose.position.y, m.pose.position.z,
      m.pose.orientation.x, m.pose.orientation.y, m.pose.orientation.z, m.pose.orientation.w,
      m.scale.x, m.scale.y, m.scale.z, m.color.r, m.color.g, m.color.b, m.color.a,
      ...m.points.flatMap((p) => [p.x, p.y, p.z]),
    ];
    if (!floats.every(Number.isFinite)) problems.push(`${who}: non-finite float`);
    if (m.lifetime.nanosec < 0 || m.lifetime.nanosec >= 1e9 || m.lifetime.sec < 0) problems.push(`${who}: lifetime not a normalised non-negative duration`);
    if (m.action === Marker.DELETEALL) {
      if (m.ns !== '') problems.push(`${who}: DELETEALL with a namespace only clears that namespace`);
      continue;
    }
    if (m.action === Marker.DELETE) continue;
    if (m.action !== Marker.ADD) {
      problems.push(`${who}: unknown action ${m.action}`);
      continue;
    }
    const q = m.pose.orientation;
    if (Math.abs(Math.hypot(q.x, q.y, q.z, q.w) - 1) > 1e-6) problems.push(`${who}: unnormalised quaternion`);
    if (m.header.frame_id === '') problems.push(`${who}: empty frame_id (rviz cannot transform it)`);
    if (m.header.frame_id.startsWith('/')) problems.push(`${who}: frame_id with a leading slash (tf2 refuses it)`);
    for (const c of [m.color.r, m.color.g, m.color.b, m.color.a]) if (c < 0 || c > 1) problems.push(`${who}: colour component ${c} outside 0..1`);
    switch (m.type) {
      case Marker.CUBE:
      case Marker.CYLINDER:
        if (!(m.scale.x > 0 && m.scale.y > 0 && m.scale.z > 0)) problems.push(`${who}: shape with a zero scale`);
        break;
      case Marker.ARROW:
        // ArrowMarker: exactly one point is an error; with two, scale.x/y are the diameters.
        if (m.points.length !== 0 && m.points.length !== 2) problems.push(`${who}: arrow with ${m.points.length} points`);
        if (m.points.length === 2 && m.scale.x + m.scale.y === 0) problems.push(`${who}: arrow with scale 0 in x and y`);
        break;
      case Marker.LINE_STRIP:
        if (m.points.length < 2) problems.push(`${who}: line strip with ${m.points.length} points`);
        if (!(m.scale.x > 0)) problems.push(`${who}: line strip without a width`);
        break;
      case Marker.TEXT_VIEW_FACING:
        if (m.text === '') problems.push(`${who}: empty text`);
        if (!(m.scale.z > 0)) problems.push(`${who}: text without a height`);
        break;
      default:
        problems.push(`${who}: unexpected type ${m.type}`);
    }
  }
  return problems;
}

/** The markers of one array with the given action, as "ns/id" strings, sorted. */
export function keys(array: MarkerArrayMsg, action: number): string[] {
  return array.markers.filter((m) => m.action === action).map((m) => `${m.ns}/${m.id}`).sort();
}

export function find(array: MarkerArrayMsg, ns: string, id: number): MarkerMsg | undefined {
  return array.markers.find((m) => m.ns === ns && m.id === id);
}

/** A deep copy (the node reuses its marker objects between publishes). */
export function snapshot(array: MarkerArrayMsg): MarkerArrayMsg {
  return structuredClone(array);
}

/** Rotation matrix R = Rz(yaw)·Ry(pitch)·Rx(roll), built from elementary rotations. */
export function rpyMatrix(roll: number, pitch: number, yaw: number): number[][] {
  const rx = [[1, 0, 0], [0, Math.cos(roll), -Math.sin(roll)], [0, Math.sin(roll), Math.cos(roll)]];
  const ry = [[Math.cos(pitch), 0, Math.sin(pitch)], [0, 1, 0], [-Math.sin(pitch), 0, Math.cos(pitch)]];
  const rz = [[Math.cos(yaw), -Math.sin(yaw), 0], [Math.sin(yaw), Math.cos(yaw), 0], [0, 0, 1]];
  const mul = (a: number[][], b: number[][]) => a.map((row) => [0, 1, 2].map((j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
  return mul(rz, mul(ry, rx));
}

/** The rotation matrix of a unit quaternion (the textbook formula). */
export function quaternionMatrix(q: { x: number; y: number; z: number; w: number }): number[][] {
  const { x, y, z, w } = q;
  return [
    [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
  ];
}

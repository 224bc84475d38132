// The messages the CDR and ROS benchmarks publish, as the nodes build them: a can_msgs/Frame
// (can_bridge raw), a NavSatFix (gpsd's decoding of a real u-blox F9P fix), a 64-track ESR
// ObjectList (can_bridge assembly) and a 64-marker MarkerArray (the markers node's boxes, labels
// and arrows for that scan).
import { MarkerArrayBuilder } from '../../nodes/markers/marker_array.js';
import { ObjectListMarkers } from '../../nodes/markers/object_markers.js';
import type { ObjectListMsg } from '../../nodes/runtime/msg_types.js';

export const stamp = { sec: 1555029596, nanosec: 250_000_000 };

export function frame(i: number) {
  return { header: { stamp: { sec: stamp.sec, nanosec: i * 1000 }, frame_id: 'can0' }, id: 0x0aa + (i & 7), is_rtr: false, is_extended: false, is_error: false, dlc: 8, data: Uint8Array.of(0x1a, 0x6f, 0x1a, 0x5d, 0x1a, 0x69, 0x1a, i & 255) };
}

// gpsd 3.20's TPV for $GNGGA,003956.00,4552.65403,S,17030.00668,E,1,12,0.64,14.2,M,1.8,M,,*56
export function fix(i: number) {
  return {
    header: { stamp: { sec: stamp.sec, nanosec: i * 1000 }, frame_id: 'gnss' },
    status: { status: 0, service: 1 },
    latitude: -45.877567167,
    longitude: 170.500111333,
    altitude: 16.0,
    position_covariance: [147.8656, 0, 0, 0, 147.8656, 0, 0, 0, 364.4281],
    position_covariance_type: 1,
  };
}

/** A full ESR scan as can_bridge assembles it: 64 tracks on the DBC's grid (range 0.1 m, angle 0.1°, range rate 0.01 m/s, width 0.5 m). */
export function scan(n: number): ObjectListMsg {
  const objects = [];
  for (let i = 1; i <= 64; i++) {
    const range = Math.round((5 + ((i * 37 + n) % 1900) / 10) * 10) / 10;
    const angle = (Math.round(((i * 13) % 900) - 450) / 10) * (Math.PI / 180);
    const rr = Math.round(((i * 7) % 4000) - 2000) / 100;
    objects.push({
      id: i,
      classification: 0,
      class_label: '',
      position: { x: range * Math.cos(angle), y: range * Math.sin(angle), z: 0 },
      velocity: { x: rr * Math.cos(angle), y: rr * Math.sin(angle), z: 0 },
      acceleration: { x: 0, y: 0, z: 0 },
      size: { x: 0, y: ((i % 15) + 1) * 0.5, z: 0 },
      yaw: Number.NaN,
      existence_probability: Number.NaN,
      status: 3,
      status_label: '',
    });
  }
  return { header: { stamp, frame_id: 'radar_esr' }, source: 'esr', cycle_counter: n, frames_in_cycle: 65, objects };
}

/** The markers node's output for a scan, cut to its first 64 markers (boxes, labels and arrows). */
export function markers(n: number): unknown {
  const builder = new MarkerArrayBuilder();
  const m = new ObjectListMarkers({ group: 'esr', lifetimeS: 1, defaultFrame: 'base_link', textHeight: 0.6, arrowSeconds: 1, minArrowSpeed: 0.2, alpha: 0.8, coastedAlpha: 0.3, coastedStatus: new Set([4, 6, 7]), hiddenStatus: new Set() });
  builder.begin();
  m.apply(scan(n), stamp, builder);
  // A deep copy: the builder reuses its objects for the next scan.
  const array = structuredClone(builder.finish()) as { markers: unknown[] };
  array.markers = array.markers.slice(0, 64);
  return array;
}

/** The four benchmark messages: label, ROS type and a few messages to cycle through. */
export const SAMPLE_CASES = [
  { label: 'can_msgs/Frame', type: 'can_msgs/msg/Frame', build: frame, distinct: 64 },
  { label: 'NavSatFix', type: 'sensor_msgs/msg/NavSatFix', build: fix, distinct: 64 },
  { label: 'ObjectList, 64 objects', type: 'vil/msg/ObjectList', build: scan, distinct: 8 },
  { label: 'MarkerArray, 64 markers', type: 'visualization_msgs/msg/MarkerArray', build: markers, distinct: 8 },
] as const;

/** The messages of `type` a benchmark cycles through (the same every time: built from their index). */
export function sampleMessages(type: string): unknown[] {
  const c = SAMPLE_CASES.find((s) => s.type === type);
  if (!c) throw new Error(`no sample messages for ${type}`);
  return Array.from({ length: c.distinct }, (_, i) => c.build(i));
}

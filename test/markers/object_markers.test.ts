// Object-list markers, without the graph: ids, deletions, sizes, colours, expiry in ROS time.
// Lists are ESR-like (helpers.ts: values on the real ESR DBC's grid, built in the test because
// can_bridge's ESR assembly is not available here yet).
import { describe, expect, it } from 'vitest';
import { Marker, type ObjectListMsg } from '../../nodes/runtime/msg_types.js';
import { MarkerArrayBuilder } from '../../nodes/markers/marker_array.js';
import { ObjectListMarkers, type ObjectMarkerOptions } from '../../nodes/markers/object_markers.js';
import { classSize } from '../../nodes/markers/object_style.js';
import { SCAN_A, esrList, esrTrackSignals, find, keys, onGrid, rvizProblems, snapshot, type EsrTrack } from './helpers.js';

const OPTIONS: ObjectMarkerOptions = {
  group: 'esr',
  lifetimeS: 1.0,
  defaultFrame: 'base_link',
  textHeight: 0.6,
  arrowSeconds: 1.0,
  minArrowSpeed: 0.2,
  alpha: 0.8,
  coastedAlpha: 0.3,
  coastedStatus: new Set([4, 6, 7]),
  hiddenStatus: new Set<number>(),
};

const t = (sec: number, nanosec = 0) => ({ sec, nanosec });

function run(markers: ObjectListMarkers, list: ObjectListMsg, now = list.header.stamp) {
  const b = new MarkerArrayBuilder();
  b.begin();
  markers.apply(list, now, b);
  const out = snapshot(b.finish());
  expect(rvizProblems(out)).toEqual([]);
  return out;
}

describe('ESR DBC semantics used by the lists', () => {
  it('reads the track signals of the real DBC: range 0.1 m steps to 204.7 m, angle 0.1° within ±51.2°, width 0.5 m steps', () => {
    const s = esrTrackSignals();
    expect(s.get('CAN_TX_TRACK_RANGE')).toEqual({ factor: 0.1, offset: 0, min: 0, max: 204.7, unit: 'm' });
    expect(s.get('CAN_TX_TRACK_ANGLE')).toMatchObject({ factor: 0.1, min: -51.2, max: 51.1 });
    expect(s.get('CAN_TX_TRACK_WIDTH')).toMatchObject({ factor: 0.5, min: 0, max: 7.5 });
    expect(s.get('CAN_TX_TRACK_STATUS')).toMatchObject({ factor: 1, min: 0, max: 7 });
    expect(onGrid('CAN_TX_TRACK_RANGE_RATE', -1.354)).toBe(-1.35);
    expect(() => onGrid('CAN_TX_TRACK_RANGE', 250)).toThrow(/outside the DBC range/);
  });
});

describe('object markers: one CUBE, one label, one velocity arrow per object, in the sensor frame', () => {
  it('draws each track of a scan with stable marker ids equal to the track numbers', () => {
    const m = new ObjectListMarkers(OPTIONS);
    const out = run(m, esrList(1, t(100), SCAN_A));
    expect(keys(out, Marker.ADD)).toEqual(
      ['esr/box/12', 'esr/box/3', 'esr/box/40', 'esr/box/7', 'esr/label/12', 'esr/label/3', 'esr/label/40', 'esr/label/7', 'esr/velocity/12', 'esr/velocity/3', 'esr/velocity/7'].sort(),
    );
    for (const mk of out.markers) {
      expect(mk.header.frame_id).toBe('radar_esr');
      expect(mk.header.stamp).toEqual(t(100));
      expect(mk.lifetime).toEqual({ sec: 1, nanosec: 0 });
      expect(mk.frame_locked).toBe(true);
    }
    expect(m.namespaces).toEqual(['esr/box', 'esr/label', 'esr/velocity']);
  });

  it('places the box at the track position, sized by the ESR width and the class defaults for what the ESR does not measure', () => {
    const m = new ObjectListMarkers(OPTIONS);
    const out = run(m, esrList(1, t(100), SCAN_A));
    const lead = SCAN_A[0];
    const box = find(out, 'esr/box', 3)!;
    const a = (lead.angle * Math.PI) / 180;
    expect(box.type).toBe(Marker.CUBE);
    expect(box.pose.position.x).toBeCloseTo(lead.range * Math.cos(a), 9);
    expect(box.pose.position.y).toBeCloseTo(lead.range * Math.sin(a), 9);
    // yaw NaN (ESR gives none): aligned with the sensor axes.
    expect(box.pose.orientation).toEqual({ x: 0, y: 0, z: 0, w: 1 });
    const unknown = classSize(0);
    expect(box.scale).toEqual({ x: unknown.x, y: 2.0, z: unknown.z });
    expect(find(out, 'esr/box', 40)!.scale.y).toBe(0.5);
  });

  it('labels show the id and the speed; the arrow ends where the object is after arrow_seconds', () => {
    const m = new ObjectListMarkers(OPTIONS);
    const out = run(m, esrList(1, t(100), SCAN_A));
    const label = find(out, 'esr/label', 7)!;
    expect(label.type).toBe(Marker.TEXT_VIEW_FACING);
    expect(label.text).toBe('7\n27.4 m/s');
    expect(label.scale.z).toBe(0.6);
    const box = find(out, 'esr/box', 7)!;
    expect(label.pose.position.z).toBeGreaterThan(box.pose.position.z + box.scale.z / 2);
    const arrow = find(out, 'esr/velocity', 7)!;
    expect(arrow.type).toBe(Marker.ARROW);
    expect(arrow.points[0]).toEqual(box.pose.position);
    const len = Math.hypot(arrow.points[1].x - arrow.points[0].x, arrow.points[1].y - arrow.points[0].y);
    expect(len).toBeCloseTo(27.4, 9);
    // Closing in: the arrow points back towards the sensor.
    expect(Math.hypot(arrow.points[1].x, arrow.points[1].y)).toBeLessThan(Math.hypot(arrow.points[0].x, arrow.points[0].y));
    // A stationary target (range rate 0) gets no arrow.
    expect(find(out, 'esr/velocity', 40)).toBeUndefined();
    expect(find(out, 'esr/label', 40)!.text).toBe('40\n0.0 m/s');
  });

  it('colours by class and fades coasted tracks (ESR status 4 coasted)', () => {
    const m = new ObjectListMarkers(OPTIONS);
    const out = run(m, esrList(1, t(100), SCAN_A));
    expect(find(out, 'esr/box', 3)!.color.a).toBeCloseTo(0.8, 6);
    expect(find(out, 'esr/box', 12)!.color.a).toBeCloseTo(0.3, 6);
    const list = esrList(2, t(100), SCAN_A);
    list.objects[0].classification = 5; // pedestrian
    const out2 = run(new ObjectListMarkers(OPTIONS), list);
    expect(find(out2, 'esr/box', 3)!.color).not.toEqual(find(out2, 'esr/box', 7)!.color);
    expect(find(out2, 'esr/box', 3)!.scale).toEqual({ x: classSize(5).x, y: 2.0, z: classSize(5).z });
  });
});

describe('object markers across updates', () => {
  it('keeps the same (ns, id) for a track from scan to scan, and sends nothing to delete while all stay', () => {
    const m = new ObjectListMarkers(OPTIONS);
    const first = run(m, esrList(1, t(100), SCAN_A));
    const moved = SCAN_A.map((tr) => ({ ...tr, range: tr.range + tr.rangeRate * 0.05 }));
    const second = run(m, esrList(2, t(100, 50_000_000), moved));
    expect(keys(second, Marker.ADD)).toEqual(keys(first, Marker.ADD));
    expect(keys(second, Marker.DELETE)).toEqual([]);
    expect(find(second, 'esr/box', 7)!.pose.position.x).not.toBe(find(first, 'esr/box', 7)!.pose.position.x);
  });

  it('sends DELETE for every marker of a track that left the list, and only for it', () => {
    const m = new ObjectListMarkers(OPTIONS);
    run(m, esrList(1, t(100), SCAN_A));
    const out = run(m, esrList(2, t(100, 50_000_000), SCAN_A.filter((tr) => tr.track !== 7 && tr.track !== 40)));
    expect(keys(out, Marker.DELETE)).toEqual(['esr/box/40', 'esr/box/7', 'esr/label/40', 'esr/label/7', 'esr/velocity/7']);
    for (const d of out.markers.filter((x) => x.action === Marker.DELETE)) expect(d.header.frame_id).toBe('radar_esr');
    expect(m.size).toBe(2);
    // Back again: drawn anew under its old ids, nothing deleted twice.
    const again = run(m, esrList(3, t(100, 100_000_000), SCAN_A));
    expect(keys(again, Marker.ADD)).toContain('esr/box/7');
    expect(keys(again, Marker.DELETE)).toEqual([]);
  });

  it('an empty scan deletes everything shown; a second empty scan sends nothing', () => {
    const m = new ObjectListMarkers(OPTIONS);
    run(m, esrList(1, t(100), SCAN_A));
    const out = run(m, esrList(2, t(101), []));
    expect(keys(out, Marker.DELETE)).toHaveLength(4 * 2 + 3);
    expect(run(m, esrList(3, t(102), [])).markers).toEqual([]);
  });

  it('deletes the arrow alone when a track stops moving', () => {
    const m = new ObjectListMarkers(OPTIONS);
    run(m, esrList(1, t(100), SCAN_A));
    const stopped: EsrTrack[] = SCAN_A.map((tr) => (tr.track === 3 ? { ...tr, rangeRate: 0.1 } : tr));
    const out = run(m, esrList(2, t(101), stopped));
    expect(keys(out, Marker.DELETE)).toEqual(['esr/velocity/3']);
    expect(find(out, 'esr/box', 3)!.action).toBe(Marker.ADD);
    expect(run(m, esrList(3, t(102), stopped)).markers.filter((x) => x.action === Marker.DELETE)).toEqual([]);
  });

  it('object ids beyond int32 get stable marker ids of their own, unique among the shown', () => {
    const m = new ObjectListMarkers(OPTIONS);
    const list = esrList(1, t(100), SCAN_A.slice(0, 2));
    list.objects[0].id = 0xffffffff;
    list.objects[1].id = 0x7fffffff;
    const a = run(m, list);
    const ids = a.markers.filter((x) => x.ns === 'esr/box').map((x) => x.id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id).toBeLessThanOrEqual(0x7fffffff);
    const b = run(m, { ...list, header: { ...list.header, stamp: t(101) } });
    expect(b.markers.filter((x) => x.ns === 'esr/box').map((x) => x.id)).toEqual(ids);
  });
});

describe('bad input never makes a bad marker', () => {
  it('skips objects with a non-finite position, a repeated id or a hidden status, and counts them', () => {
    const m = new ObjectListMarkers({ ...OPTIONS, hiddenStatus: new Set([0]) });
    const list = esrList(1, t(100), [...SCAN_A, { track: 50, range: 10, angle: 0, rangeRate: 0, width: 1, status: 0 }]);
    list.objects.push({ ...list.objects[0] }); // track 3 again
    list.objects[1] = { ...list.objects[1], position: { x: Number.NaN, y: 0, z: 0 } };
    list.objects[2] = { ...list.objects[2], velocity: { x: Number.POSITIVE_INFINITY, y: 0, z: 0 } };
    const out = run(m, list);
    expect(m.counters).toMatchObject({ invalid_objects: 1, duplicate_ids: 1, hidden_objects: 1, objects: 3 });
    expect(find(out, 'esr/box', 7)).toBeUndefined();
    expect(find(out, 'esr/box', 50)).toBeUndefined();
    expect(find(out, 'esr/velocity', 12)).toBeUndefined();
    expect(find(out, 'esr/label', 12)!.text).toBe('12');
  });

  it('a list without a frame is drawn in the default frame', () => {
    const m = new ObjectListMarkers(OPTIONS);
    const out = run(m, esrList(1, t(100), SCAN_A, ''));
    expect(new Set(out.markers.map((x) => x.header.frame_id))).toEqual(new Set(['base_link']));
    expect(m.counters.lists_without_frame).toBe(1);
  });
});

describe('expiry runs on ROS time', () => {
  it('deletes a list\'s markers once no list came for the lifetime, measured on the clock given', () => {
    const m = new ObjectListMarkers(OPTIONS);
    run(m, esrList(1, t(100), SCAN_A), t(500));
    const b = new MarkerArrayBuilder();
    b.begin();
    // A paused bag: the ROS clock stands still however long the wall clock runs.
    for (let i = 0; i < 100; i++) expect(m.expire(t(500, 999_000_000), b)).toBe(false);
    expect(b.length).toBe(0);
    expect(m.expire(t(501), b)).toBe(true);
    const out = snapshot(b.finish());
    expect(keys(out, Marker.DELETE)).toHaveLength(11);
    expect(out.markers[0].header.stamp).toEqual(t(501));
    expect(m.size).toBe(0);
    b.begin();
    expect(m.expire(t(600), b)).toBe(false);
  });

  it('lifetime 0 never expires and is sent as 0 (forever)', () => {
    const m = new ObjectListMarkers({ ...OPTIONS, lifetimeS: 0 });
    const out = run(m, esrList(1, t(100), SCAN_A));
    expect(out.markers[0].lifetime).toEqual({ sec: 0, nanosec: 0 });
    const b = new MarkerArrayBuilder();
    b.begin();
    expect(m.expire(t(1_000_000), b)).toBe(false);
  });

  it('fractional lifetimes become a normalised Duration', () => {
    const out = run(new ObjectListMarkers({ ...OPTIONS, lifetimeS: 0.25 }), esrList(1, t(100), SCAN_A));
    expect(out.markers[0].lifetime).toEqual({ sec: 0, nanosec: 250_000_000 });
  });
});

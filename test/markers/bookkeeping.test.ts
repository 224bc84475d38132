// Marker id allocation, time-jump detection and the marker pool, without the graph.
import { describe, expect, it } from 'vitest';
import { MarkerIdAllocator } from '../../nodes/markers/id_allocator.js';
import { TimeJumpDetector } from '../../nodes/markers/time_jump.js';
import { MarkerArrayBuilder } from '../../nodes/markers/marker_array.js';
import { Marker } from '../../nodes/runtime/msg_types.js';
import { objectTopicGroups, vector3Param } from '../../nodes/markers/params.js';
import { ConfigError } from '../../nodes/runtime/errors.js';

const t = (sec: number, nanosec = 0) => ({ sec, nanosec });

describe('MarkerIdAllocator', () => {
  it('an object keeps its own id when it fits int32, and the same id while tracked', () => {
    const a = new MarkerIdAllocator();
    expect(a.acquire(3)).toBe(3);
    expect(a.acquire(64)).toBe(64);
    expect(a.acquire(3)).toBe(3);
    expect(a.size).toBe(2);
  });

  it('ids above int32 get free ids from the top, never one in use, released ids come back', () => {
    const a = new MarkerIdAllocator();
    expect(a.acquire(0x7fffffff)).toBe(0x7fffffff);
    const big = a.acquire(0x80000000);
    expect(big).toBe(0x7ffffffe);
    expect(a.acquire(0xffffffff)).toBe(0x7ffffffd);
    // An object whose own number was given away earlier gets another.
    a.release(0x7fffffff);
    const b = new MarkerIdAllocator();
    b.acquire(0x80000000); // takes 0x7fffffff
    expect(b.acquire(0x7fffffff)).toBe(0x7ffffffe);
    expect(a.get(0x80000000)).toBe(big);
    a.release(0x80000000);
    a.release(0xffffffff);
    expect(a.size).toBe(0);
    expect(a.acquire(0x90000000)).toBe(0x7fffffff);
  });
});

describe('TimeJumpDetector', () => {
  it('a bag loop: the clock stepping back more than the threshold is a jump, jitter is not', () => {
    const d = new TimeJumpDetector(1.0);
    expect(d.observe('clock', t(100))).toBe(false);
    expect(d.observe('clock', t(110))).toBe(false);
    expect(d.observe('clock', t(109, 500_000_000))).toBe(false); // 0.5 s back: reordering
    expect(d.observe('clock', t(110, 100_000_000))).toBe(false);
    expect(d.observe('clock', t(100, 200_000_000))).toBe(true); // looped
    expect(d.observe('clock', t(100, 300_000_000))).toBe(false); // and runs on from there
  });

  it('sources are judged each on their own (wall clock vs recorded stamps)', () => {
    const d = new TimeJumpDetector(1.0);
    expect(d.observe('clock', t(1_800_000_000))).toBe(false);
    expect(d.observe('topic', t(100))).toBe(false);
    expect(d.observe('clock', t(1_800_000_001))).toBe(false);
    expect(d.observe('topic', t(50))).toBe(true);
  });

  it('after a jump seen on one source, the same loop seen later on another is not a second jump', () => {
    const d = new TimeJumpDetector(1.0);
    d.observe('clock', t(110));
    d.observe('objects', t(110));
    expect(d.observe('objects', t(100))).toBe(true);
    d.rebase(t(100));
    expect(d.observe('clock', t(100, 10_000_000))).toBe(false);
    // A source in another time base is untouched by the rebase for all practical purposes.
    expect(d.observe('clock', t(1_800_000_000))).toBe(false);
  });

  it('ignores a zero time (use_sim_time before the first /clock)', () => {
    const d = new TimeJumpDetector(1.0);
    d.observe('clock', t(100));
    expect(d.observe('clock', t(0))).toBe(false);
    d.clear();
    expect(d.observe('clock', t(5))).toBe(false);
  });
});

describe('MarkerArrayBuilder', () => {
  it('reuses its marker objects and resets every field between arrays', () => {
    const b = new MarkerArrayBuilder();
    b.begin();
    const m = b.add('esr/label', 3, Marker.ADD, 'radar_esr', t(1, 2));
    m.type = Marker.ARROW;
    m.text = 'x';
    m.scale.x = 5;
    m.frame_locked = true;
    b.points(2)[1].x = 9;
    const first = b.finish().markers[0];
    b.begin();
    const again = b.add('ego/trail', 0, Marker.ADD, 'map', t(3, 4));
    expect(again).toBe(first);
    expect(again.text).toBe('');
    expect(again.scale).toEqual({ x: 0, y: 0, z: 0 });
    expect(again.points).toEqual([]);
    expect(again.frame_locked).toBe(false);
    expect(again.header).toEqual({ stamp: t(3, 4), frame_id: 'map' });
    const lent = [{ x: 1, y: 2, z: 3 }, { x: 4, y: 5, z: 6 }];
    b.lendPoints(lent);
    expect(b.finish().markers[0].points).toBe(lent);
    // The lent array is untouched by the next array.
    b.begin();
    b.add('a', 1, Marker.ADD, 'map', t(0));
    expect(lent).toHaveLength(2);
    expect(b.deleteAll(t(5))).toMatchObject({ ns: '', action: Marker.DELETEALL });
    expect(b.length).toBe(2);
  });
});

describe('parameter checks', () => {
  it('object topics name their marker namespaces by their last segment, which must differ', () => {
    expect(objectTopicGroups(['vil/can/objects/esr', '/vil/cam/objects/front/'])).toEqual([
      { topic: 'vil/can/objects/esr', group: 'esr' },
      { topic: '/vil/cam/objects/front', group: 'front' },
    ]);
    expect(() => objectTopicGroups(['a/esr', 'b/esr'])).toThrow(ConfigError);
    expect(() => objectTopicGroups(['a/esr', 'b/esr'])).toThrow(/object_topics\[1\].*both end in "esr".*Fix: object topics must end in distinct names/);
    expect(() => objectTopicGroups([''])).toThrow(/object_topics\[0\]/);
  });

  it('vector parameters need three numbers; sizes positive', () => {
    expect(vector3Param('vehicle_size', [4.6, 1.9, 1.5], true)).toEqual({ x: 4.6, y: 1.9, z: 1.5 });
    expect(() => vector3Param('vehicle_size', [4.6, 1.9], true)).toThrow(/vehicle_size: expected 3 numbers, got 2/);
    expect(() => vector3Param('vehicle_size', [4.6, 0, 1.5], true)).toThrow(/sizes must be positive/);
    expect(vector3Param('vehicle_offset', [1.4, 0, -0.2], false)).toEqual({ x: 1.4, y: 0, z: -0.2 });
  });
});

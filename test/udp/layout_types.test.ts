// Wire types the other layout tests do not reach: ROS int64 (bigints: exact, narrowed, clamped,
// fixed arrays), bools, wrap of a narrowed int, durations in ms. Judged offline by
// struct_receiver.py --hex (Python struct) on the same bytes.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { compileLayoutFile } from '../../nodes/udp_layout/compile.js';
import { makeMarker, STRUCT_RECEIVER } from './helpers.js';

const fixtures = fileURLToPath(new URL('../fixtures/udp/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vil-types-'));

function python(layout: string, packets: Uint8Array[]): any[] {
  const json = join(dir, `${Math.random()}.json`);
  const hex = join(dir, `${Math.random()}.hex`);
  writeFileSync(json, JSON.stringify(parse(readFileSync(layout, 'utf8'))));
  writeFileSync(hex, packets.map((p) => Buffer.from(p).toString('hex')).join('\n'));
  const r = spawnSync('python3', [STRUCT_RECEIVER, json, '--hex', hex], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l).fields);
}

describe('64-bit integers, bools, wrap, durations vs Python struct', () => {
  it('int64[] → i64 exact, i16 clamped, u64 clamped at 0, fixed count, scaled f64', () => {
    const layout = join(fixtures, 'int64_array.yaml');
    const c = compileLayoutFile(layout, messageRegistry());
    const msgs = [
      { layout: { dim: [{ label: 'x', size: 3, stride: 3 }], data_offset: 9 }, data: [-9007199254740993n, 40000n, -5n, 9223372036854775807n] },
      { layout: { dim: [], data_offset: 0 }, data: [123456789012345678n] },
    ];
    const packets = msgs.map((m) => c.encoder.encode(m, { sec: 0, nanosec: 0 })!.slice());
    const [a, b] = python(layout, packets);
    expect(a).toEqual({
      first: '-9007199254740993', // beyond 2^53: exact, as text
      narrowed: 32767, // clamp
      unsigned: 0, // clamp of −5
      all: ['-9007199254740993', 40000, -5, '9223372036854775807'],
      scaled: Number(-9007199254740993n) * 0.001,
      dims: 3,
      offset: 9,
    });
    expect(b).toEqual({
      first: '123456789012345678',
      narrowed: 0, // missing → default 0, counted
      unsigned: 0,
      all: ['123456789012345678', 0, 0, 0],
      scaled: Number(123456789012345678n) * 0.001,
      dims: 7, // layout.dim[0] missing → default
      offset: 0,
    });
    const p = Object.fromEntries(c.encoder.problems().map((x) => [x.field, x]));
    expect(p.narrowed).toEqual({ field: 'narrowed', overflow: 1, missing: 1, invalid: 0 });
    expect(p.unsigned).toEqual({ field: 'unsigned', overflow: 1, missing: 1, invalid: 0 });
    expect(p.dims.missing).toBe(1);
    expect(p.all.missing).toBe(3);
  });

  it('bool → bool and scaled u8, int32 → i8 wrapped like a C cast, duration → ms', () => {
    const layout = join(fixtures, 'marker_bool.yaml');
    const c = compileLayoutFile(layout, messageRegistry());
    const m1 = { ...makeMarker(1, 1, 0, 'a'), frame_locked: true, action: 200, lifetime: { sec: 2, nanosec: 345_678_901 } };
    const m2 = { ...makeMarker(1, 1, 0, 'a'), frame_locked: false, action: -129, lifetime: { sec: 0, nanosec: 999_999 } };
    const packets = [m1, m2].map((m) => c.encoder.encode(m, { sec: 0, nanosec: 0 })!.slice());
    const [a, b] = python(layout, packets);
    expect(a).toEqual({ locked: true, locked_u8: 5, action_wrapped: 200 - 256, lifetime_ms: 2345 });
    expect(b).toEqual({ locked: false, locked_u8: 0, action_wrapped: -129 + 256, lifetime_ms: 0 });
    expect(c.encoder.problems()).toEqual([{ field: 'action_wrapped', overflow: 2, missing: 0, invalid: 0 }]);
  });

  it('arrays inside arrays: counts per element, zeroed slots at both levels, align inside the element', () => {
    const layout = join(fixtures, 'nested_arrays.yaml');
    const c = compileLayoutFile(layout, messageRegistry());
    const withPoints = (id: number, pts: [number, number][]) => ({ ...makeMarker(id, 0, 0, 'p'), points: pts.map(([x, y]) => ({ x, y, z: 0 })) });
    const msg = { markers: [withPoints(1, [[1.5, 2.5], [3, 4]]), withPoints(-2, []), withPoints(3, [[5, 6], [7, 8], [9, 10], [11, 12], [13, 14]])] };
    const [f] = python(layout, [c.encoder.encode(msg, { sec: 0, nanosec: 0 })!]);
    const zero = { x: 0, y: 0 };
    expect(c.plan.arrays[0].stride).toBe(4 + 4 * 8); // id 2 + count 1 + align to 4, then 4 points
    expect(f).toEqual({
      n_markers: 3,
      markers: [
        { id: 1, n_points: 2, points: [{ x: 1.5, y: 2.5 }, { x: 3, y: 4 }, zero, zero] },
        { id: -2, n_points: 0, points: [zero, zero, zero, zero] },
        { id: 3, n_points: 4, points: [{ x: 5, y: 6 }, { x: 7, y: 8 }, { x: 9, y: 10 }, { x: 11, y: 12 }] },
      ],
    });
    expect(c.encoder.stats.arrayOverflow[1]).toBe(1); // the fifth point of marker 3
  });
});

// Bytes a subscription cannot decode (issue 9, defect 9: corrupted CDR lengths) are left out,
// counted on the subscription and the topic, logged at a rate limit as the local graph's own
// MessageDecodeError, and delivery goes on: no crash, no multi-gigabyte allocation.
import { afterEach, describe, expect, it } from 'vitest';
import { codecFor } from '../../nodes/runtime/codecs.js';
import { MessageDecodeError, type LocalSubscription } from '../../nodes/runtime/local/graph.js';
import type { LocalContext } from '../../nodes/runtime/local/context.js';
import { collector, context } from './helpers.js';

const TYPE = 'vil/msg/DecodedSignals';
const stamp = { sec: 1555029596, nanosec: 250000000 };
const signals = (v: number) => ({
  header: { stamp, frame_id: 'can0' },
  message_name: 'WHEEL_SPEEDS',
  id: 0xaa,
  is_extended: false,
  signal_names: ['WHEEL_SPEED_FR', 'WHEEL_SPEED_FL'],
  values: [v, v - 0.5],
  labels: ['', ''],
});

let ctx: LocalContext;
afterEach(async () => {
  await ctx.shutdown();
});

describe('local graph: undecodable messages', () => {
  it('a corrupted float64[] count (2^28 elements in a ~170-byte message) is counted and logged, the next message delivered', async () => {
    ctx = context();
    const node = ctx.createNode('listener');
    const logged: { obj: Record<string, unknown>; text: string }[] = [];
    node.logger.error = ((obj: Record<string, unknown>, text: string) => logged.push({ obj, text })) as never;
    const c = collector<ReturnType<typeof signals>>();
    const sub = node.createSubscription(TYPE, '/signals', 'default', c.cb) as unknown as LocalSubscription<unknown>;
    const pub = ctx.createNode('talker').createPublisher(TYPE, '/signals');

    const bad = codecFor(TYPE).encode(signals(1));
    const dv = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
    // The values count: the word 2 followed (after alignment) by the first value.
    let at = -1;
    for (let o = 4; o + 12 <= bad.length; o += 4) if (dv.getUint32(o, true) === 2 && dv.getFloat64(o + 4 + ((8 - (o % 8)) % 8), true) === 1) at = o;
    expect(at).toBeGreaterThan(0);
    dv.setUint32(at, 2 ** 28, true);

    sub.enqueue(bad);
    sub.enqueue(bad);
    pub.publish(signals(2));
    await ctx.graph.idle();

    expect(c.got.map((m) => m.values[0])).toEqual([2]);
    expect(sub.undecodable).toBe(2);
    expect(sub.received).toBe(1);
    expect(ctx.graph.undecodable).toBe(2);
    expect(ctx.graph.stats().find((s) => s.topic === '/signals')).toMatchObject({ undecodable: 2, messages: 1 });
    // Rate-limited: one line for the burst, naming the topic, the field and what is wrong.
    expect(logged).toHaveLength(1);
    expect(logged[0].obj.err).toBeInstanceOf(MessageDecodeError);
    expect(logged[0].text).toMatch(/^message on \/signals \(vil\/msg\/DecodedSignals\) is not valid CDR: field "values" at byte \d+: sequence of 268435456 elements needs 2147483648 bytes, \d+ remain \(left out; 1 so far\)$/);
  });

  it('a truncated message is left out the same way', async () => {
    ctx = context();
    const node = ctx.createNode('listener');
    node.logger.error = (() => undefined) as never;
    const c = collector();
    const sub = node.createSubscription('sensor_msgs/msg/NavSatFix', '/fix', 'default', c.cb) as unknown as LocalSubscription<unknown>;
    sub.enqueue(Uint8Array.of(0, 1, 0, 0, 1, 2, 3));
    await ctx.graph.idle();
    expect(c.got).toEqual([]);
    expect(sub.undecodable).toBe(1);
  });
});

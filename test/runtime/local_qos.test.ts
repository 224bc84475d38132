// QoS on the local graph follows ROS 2's request-versus-offer rules and history semantics.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LocalContext } from '../../nodes/runtime/local/context.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import { collector, context, loadF9p, sentenceMsg, stampOf } from './helpers.js';

const f9p = loadF9p();
const stamp = stampOf(f9p.tpv[0].time);
const SENTENCE = 'nmea_msgs/msg/Sentence';
const msgs = f9p.sentences.map((s) => sentenceMsg(s, stamp));

const q = (reliability: QosSettings['reliability'], durability: QosSettings['durability'], depth = 10, history: QosSettings['history'] = 'keep_last'): QosSettings => ({ reliability, durability, history, depth });

let ctx: LocalContext;
afterEach(async () => {
  await ctx.shutdown();
});

describe('QoS compatibility', () => {
  it('a reliable subscription does not connect to a best-effort publisher; rcl\'s warning is logged on both sides', async () => {
    ctx = context();
    const pubNode = ctx.createNode('talker');
    const subNode = ctx.createNode('listener');
    const pubWarn = vi.spyOn(pubNode.logger, 'warn');
    const subWarn = vi.spyOn(subNode.logger, 'warn');
    const reliable = collector();
    const bestEffort = collector();
    subNode.createSubscription(SENTENCE, '/nmea', q('reliable', 'volatile'), reliable.cb);
    subNode.createSubscription(SENTENCE, '/nmea', 'sensor_data', bestEffort.cb);
    const pub = pubNode.createPublisher(SENTENCE, '/nmea', 'sensor_data');
    pub.publish(msgs[0]);
    await ctx.graph.idle();
    expect(reliable.got).toEqual([]);
    expect(bestEffort.got).toEqual([msgs[0]]);
    expect(ctx.graph.qosIncompatibilities()).toEqual([{ topic: '/nmea', publisherNode: '/talker', subscriptionNode: '/listener', policy: 'RELIABILITY' }]);
    expect(subWarn).toHaveBeenCalledTimes(1);
    expect(subWarn.mock.calls[0][1]).toBe("New publisher discovered on topic '/nmea', offering incompatible QoS. No messages will be received from it. Last incompatible policy: RELIABILITY_QOS_POLICY");
    expect(pubWarn.mock.calls[0][1]).toBe("New subscription discovered on topic '/nmea', requesting incompatible QoS. No messages will be sent to it. Last incompatible policy: RELIABILITY_QOS_POLICY");
    // Once per pair: more messages, no more warnings.
    pub.publish(msgs[1]);
    await ctx.graph.idle();
    expect(subWarn).toHaveBeenCalledTimes(1);
  });

  it('a transient-local subscription does not connect to a volatile publisher; the reverse connects', async () => {
    ctx = context();
    const n = ctx.createNode('n');
    const tlSub = collector();
    const volSub = collector();
    n.createSubscription(SENTENCE, '/a', q('reliable', 'transient_local'), tlSub.cb);
    n.createSubscription(SENTENCE, '/a', q('reliable', 'volatile'), volSub.cb);
    n.createPublisher(SENTENCE, '/a', q('reliable', 'volatile')).publish(msgs[0]);
    const tlPubVolSub = collector();
    n.createSubscription(SENTENCE, '/b', q('best_effort', 'volatile'), tlPubVolSub.cb);
    n.createPublisher(SENTENCE, '/b', q('reliable', 'transient_local')).publish(msgs[1]);
    await ctx.graph.idle();
    expect(tlSub.got).toEqual([]);
    expect(volSub.got).toEqual([msgs[0]]);
    expect(tlPubVolSub.got).toEqual([msgs[1]]);
    expect(ctx.graph.qosIncompatibilities().map((i) => `${i.topic} ${i.policy}`)).toEqual(['/a DURABILITY']);
  });
});

describe('history', () => {
  it('keep_last depth 3: a reader that falls behind keeps the newest 3, the rest is dropped and counted', async () => {
    ctx = context();
    const n = ctx.createNode('n');
    const c = collector<{ sentence: string }>();
    n.createSubscription(SENTENCE, '/nmea', q('reliable', 'volatile', 3), c.cb);
    const pub = n.createPublisher(SENTENCE, '/nmea');
    for (const m of msgs.slice(0, 10)) pub.publish(m); // all before the event loop turns
    await ctx.graph.idle();
    expect(c.got.map((m) => m.sentence)).toEqual(f9p.sentences.slice(7, 10));
    expect(ctx.graph.stats()).toEqual([{ topic: '/nmea', type: SENTENCE, publishers: 1, subscriptions: 1, messages: 10, bytes: expect.any(Number), dropped: 7, undecodable: 0 }]);
  });

  it('keep_all keeps everything; a reader that keeps up drops nothing', async () => {
    ctx = context();
    const n = ctx.createNode('n');
    const all = collector<{ sentence: string }>();
    const paced = collector<{ sentence: string }>();
    n.createSubscription(SENTENCE, '/nmea', q('reliable', 'volatile', 1, 'keep_all'), all.cb);
    n.createSubscription(SENTENCE, '/nmea', q('reliable', 'volatile', 1), paced.cb);
    const pub = n.createPublisher(SENTENCE, '/nmea');
    for (const m of msgs) {
      pub.publish(m);
      await ctx.graph.idle();
    }
    for (const m of msgs) pub.publish(m);
    await ctx.graph.idle();
    expect(all.got).toHaveLength(msgs.length * 2);
    expect(paced.got).toHaveLength(msgs.length + 1);
    expect(ctx.graph.stats()[0].dropped).toBe(msgs.length - 1);
  });

  it('a transient-local publisher gives its last `depth` messages to a transient-local late joiner, not to a volatile one', async () => {
    ctx = context();
    const n = ctx.createNode('n');
    const pub = n.createPublisher(SENTENCE, '/latched', q('reliable', 'transient_local', 2));
    for (const m of msgs.slice(0, 5)) pub.publish(m);
    await ctx.graph.idle();
    const late = collector<{ sentence: string }>();
    const lateVolatile = collector();
    n.createSubscription(SENTENCE, '/latched', q('reliable', 'transient_local', 10), late.cb);
    n.createSubscription(SENTENCE, '/latched', q('reliable', 'volatile', 10), lateVolatile.cb);
    await ctx.graph.idle();
    expect(late.got.map((m) => m.sentence)).toEqual(f9p.sentences.slice(3, 5));
    expect(lateVolatile.got).toEqual([]);
    pub.publish(msgs[5]);
    await ctx.graph.idle();
    expect(late.got.map((m) => m.sentence)).toEqual(f9p.sentences.slice(3, 6));
    expect(lateVolatile.got).toHaveLength(1);
  });
});

describe('topics and types', () => {
  it('one topic carries one type: a second type is refused with both named', () => {
    ctx = context();
    const n = ctx.createNode('rtk');
    n.createPublisher(SENTENCE, '/vil/rtk/raw');
    expect(() => ctx.createNode('other').createSubscription('std_msgs/msg/String', '/vil/rtk/raw', 'default', () => {})).toThrow(
      'topic /vil/rtk/raw already carries nmea_msgs/msg/Sentence (publisher in /rtk); node /other cannot create a subscription of std_msgs/msg/String on it. A ROS 2 topic has one type: use another topic name or remap one side.',
    );
  });

  it('a topic whose endpoints are all gone may be reused with another type', () => {
    ctx = context();
    const n = ctx.createNode('n');
    const m = ctx.createNode('m');
    n.createPublisher(SENTENCE, '/x');
    n.destroy();
    expect(() => m.createPublisher('std_msgs/msg/String', '/x')).not.toThrow();
  });

  it('delivery is asynchronous and in order; a throwing callback is logged and does not stop others', async () => {
    ctx = context();
    const n = ctx.createNode('n');
    const err = vi.spyOn(n.logger, 'error');
    const order: string[] = [];
    n.createSubscription<{ sentence: string }>(SENTENCE, '/s', 'default', (m) => {
      order.push(`a:${m.sentence.slice(1, 6)}`);
      throw new Error('bug in a');
    });
    n.createSubscription<{ sentence: string }>(SENTENCE, '/s', 'default', (m) => order.push(`b:${m.sentence.slice(1, 6)}`));
    const pub = n.createPublisher(SENTENCE, '/s');
    pub.publish(msgs[0]);
    pub.publish(msgs[1]);
    expect(order).toEqual([]);
    await ctx.graph.idle();
    expect(order).toEqual(['a:GNRMC', 'a:GNVTG', 'b:GNRMC', 'b:GNVTG']);
    expect(err).toHaveBeenCalledTimes(2);
    expect(err.mock.calls[0][1]).toBe('subscription callback on /s threw: bug in a');
    expect(ctx.graph.callbackErrors).toBe(2);
  });

  it('QoS settings are checked', () => {
    ctx = context();
    const n = ctx.createNode('n');
    expect(() => n.createPublisher(SENTENCE, '/q', q('reliable', 'volatile', 0))).toThrow(/keep_last needs a depth ≥ 1, got 0/);
    expect(() => n.createPublisher(SENTENCE, '/q', 'sensor' as never)).toThrow(/unknown QoS profile "sensor"/);
  });
});

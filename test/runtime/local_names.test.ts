// Name resolution on the local graph, as rcl does it: namespaces, private names, substitutions,
// remap rules, and refusal of invalid names.
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalContext } from '../../nodes/runtime/local/context.js';
import { expandTopicName, remapTopic, validateNamespace, validateNodeName } from '../../nodes/runtime/local/names.js';
import { collector, context, loadF9p, sentenceMsg, stampOf } from './helpers.js';

const SENTENCE = 'nmea_msgs/msg/Sentence';
const f9p = loadF9p();
const msg = sentenceMsg(f9p.sentences[0], stampOf(f9p.tpv[0].time));

let ctx: LocalContext | undefined;
afterEach(async () => {
  await ctx?.shutdown();
  ctx = undefined;
});

describe('topic name expansion', () => {
  it('relative names go into the namespace, private names under the node, absolute names stay', () => {
    expect(expandTopicName('rtk/fix', 'rtk_serial', '/vil')).toBe('/vil/rtk/fix');
    expect(expandTopicName('fix', 'rtk_serial', '/')).toBe('/fix');
    expect(expandTopicName('/diagnostics', 'rtk_serial', '/vil')).toBe('/diagnostics');
    expect(expandTopicName('~/status', 'rtk_serial', '/vil')).toBe('/vil/rtk_serial/status');
    expect(expandTopicName('~', 'rtk_serial', '/vil/car1')).toBe('/vil/car1/rtk_serial');
    expect(expandTopicName('~/status', 'rtk_serial', '/')).toBe('/rtk_serial/status');
    expect(expandTopicName('{node}/raw', 'rtk_serial', '/vil')).toBe('/vil/rtk_serial/raw');
    expect(expandTopicName('/{ns}/x', 'n', '/vil/car1')).toBe('/vil/car1/x');
  });

  it('refuses invalid names with the reason', () => {
    expect(() => expandTopicName('rtk fix', 'n', '/')).toThrow('topic name "rtk fix": character " " at 3 is not allowed');
    expect(() => expandTopicName('1fix', 'n', '/')).toThrow(/must not start with a digit/);
    expect(() => expandTopicName('a//b', 'n', '/')).toThrow(/must not contain "\/\/"/);
    expect(() => expandTopicName('a/', 'n', '/')).toThrow(/must not end with "\/"/);
    expect(() => expandTopicName('~x', 'n', '/')).toThrow(/"~" must be followed by "\/"/);
    expect(() => expandTopicName('a/~/b', 'n', '/')).toThrow(/"~" may only start the name/);
    expect(() => expandTopicName('{foo}/x', 'n', '/')).toThrow(/unknown substitution \{foo\}/);
    expect(() => expandTopicName('a/2b', 'n', '/')).toThrow(/token "2b" must not start with a digit/);
    expect(() => expandTopicName('', 'n', '/')).toThrow(/must not be empty/);
    expect(() => expandTopicName('fix-1', 'n', '/')).toThrow(/character "-"/);
    expect(() => validateNodeName('rtk-serial')).toThrow('node name "rtk-serial": character "-" at 3 is not allowed (only letters, digits and "_")');
    expect(() => validateNodeName('2nd')).toThrow(/must not start with a digit/);
    expect(() => validateNamespace('/vil//car')).toThrow(/must not contain "\/\/"/);
    expect(() => validateNamespace('/vil/')).toThrow(/must not end with "\/"/);
  });

  it('remap rules: matched on expanded names, node-specific rules only for that node, first match wins', () => {
    const rules = [
      { node: 'other', from: 'fix', to: '/other/fix' },
      { from: 'fix', to: '/gps/fix' },
      { from: '/vil/fix', to: '/never' },
      { from: '~/status', to: 'status_private' },
    ];
    expect(remapTopic('/vil/fix', rules, 'rtk_serial', '/vil')).toBe('/gps/fix');
    expect(remapTopic('/vil/fix', rules, 'other', '/vil')).toBe('/other/fix');
    expect(remapTopic('/vil/rtk_serial/status', rules, 'rtk_serial', '/vil')).toBe('/vil/status_private');
    expect(remapTopic('/vil/heading', rules, 'rtk_serial', '/vil')).toBe('/vil/heading');
  });
});

describe('nodes and topics on the graph', () => {
  it('-r __ns:= and -r __node:= set namespace and name; publishers report resolved names', () => {
    ctx = context('-r', '__ns:=/vil', '-r', '__node:=gps');
    const n = ctx.createNode('rtk_serial', { namespace: '/ignored_when_ns_is_given' });
    expect(n.name).toBe('gps');
    expect(n.namespace).toBe('/vil');
    expect(n.createPublisher(SENTENCE, 'rtk/raw').topic).toBe('/vil/rtk/raw');
    expect(n.createPublisher(SENTENCE, '~/raw').topic).toBe('/vil/gps/raw');
    expect(n.createPublisher('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics').topic).toBe('/diagnostics');
  });

  it('the default namespace of createNode applies without __ns', () => {
    ctx = context();
    expect(ctx.createNode('rtk_serial', { namespace: 'vil' }).namespace).toBe('/vil');
    expect(ctx.createNode('plain').namespace).toBe('/');
  });

  it('remaps from the command line connect a relative publisher to an absolute subscriber', async () => {
    ctx = context('-r', '__ns:=/vil', '-r', 'rtk_serial:raw:=/sensors/gnss/nmea', '-r', 'markers:raw:=/unused');
    const rtk = ctx.createNode('rtk_serial');
    const listener = ctx.createNode('listener', { namespace: '/tools' });
    const c = collector();
    const sub = listener.createSubscription(SENTENCE, '/sensors/gnss/nmea', 'default', c.cb);
    const pub = rtk.createPublisher(SENTENCE, 'raw');
    expect(pub.topic).toBe('/sensors/gnss/nmea');
    expect(sub.topic).toBe('/sensors/gnss/nmea');
    pub.publish(msg);
    await ctx!.graph.idle();
    expect(c.got).toEqual([msg]);
  });

  it('invalid names are refused when the endpoint or node is created, naming the node', () => {
    ctx = context();
    const n = ctx.createNode('n');
    expect(() => n.createPublisher(SENTENCE, 'bad topic')).toThrow('node /n: topic name "bad topic": character " " at 3 is not allowed');
    expect(() => ctx!.createNode('bad-name')).toThrow(/node name "bad-name"/);
    const badRemap = context('-r', 'fix:=1bad');
    try {
      expect(() => badRemap.createNode('m').createPublisher(SENTENCE, 'fix')).toThrow(/remap rule "fix:=1bad": topic name "1bad" must not start with a digit/);
    } finally {
      void badRemap.shutdown();
    }
  });
});

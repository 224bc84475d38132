// The live view with the protocol's own client over a real socket: what is advertised, what a
// subscription delivers (decoded from the advertised schema alone and compared with what a graph
// subscriber got), unsubscribe, latched topics for late clients, sim time, parameters.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ServerCapability } from '../../nodes/foxglove/protocol.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import { markersNode } from '../../nodes/markers/main.js';
import { wallNow } from '../../nodes/runtime/local/wall_clock.js';
import { loadF9p, navSatFix } from '../runtime/helpers.js';
import { KEEP_ALL, LATCHED, ROOT, TestClient, liveGraph, nsOf, realCanFrames, waitFor } from './helpers.js';

type Live = Awaited<ReturnType<typeof liveGraph>>;
let live: Live | undefined;
let nodes: StartedNodes | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await nodes?.stop();
  nodes = undefined;
  await live?.stop();
  live = undefined;
});

async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  return c;
}

const FIX = 'sensor_msgs/msg/NavSatFix';
const FRAME = 'can_msgs/msg/Frame';

describe('advertising', () => {
  it('advertises each topic as it appears, to connected and to later clients, with the ros2msg schema rosbag2 writes and cdr', async () => {
    live = await liveGraph();
    const talker = live.ctx.createNode('talker');
    talker.createPublisher(FIX, '/vil/rtk/fix', 'sensor_data');
    const early = await connect(live.url);
    expect(early.serverInfo!.capabilities).toEqual(expect.arrayContaining([ServerCapability.clientPublish, ServerCapability.parameters]));
    expect(early.serverInfo!.capabilities).not.toContain(ServerCapability.time); // no use_sim_time
    expect(early.serverInfo!.supportedEncodings).toEqual(['cdr']);
    expect(early.serverInfo!.metadata?.ROS_DISTRO).toBe('jazzy');
    const fix = await early.channel('/vil/rtk/fix');
    expect(fix).toMatchObject({ encoding: 'cdr', schemaName: FIX, schemaEncoding: 'ros2msg' });
    expect(fix.schema).toBe(live.ctx.graph.registry.schemaText(FIX));
    expect(fix.schema).toContain('\n================================================================================\nMSG: sensor_msgs/NavSatStatus\n');

    // A topic that appears while the client is connected; a subscription-only topic is a topic too.
    talker.createPublisher(FRAME, '/vil/can/can1/raw', 'sensor_data');
    talker.createSubscription('rtcm_msgs/msg/Message', '/vil/rtk/rtcm', 'default', () => {});
    await early.channel('/vil/can/can1/raw');
    await early.channel('/vil/rtk/rtcm');
    const late = await connect(live.url);
    for (const t of ['/vil/rtk/fix', '/vil/can/can1/raw', '/vil/rtk/rtcm', '/diagnostics']) expect((await late.channel(t)).schemaName).toBe(early.channels.get(t)!.schemaName);
    // Nobody subscribed: no topic is tapped, publishing costs the graph nothing extra.
    expect(live.ctx.graph.topic('/vil/rtk/fix')!.taps).toHaveLength(0);
  });

  it('a topic whose endpoints all left and that comes back with another type gets a new channel', async () => {
    live = await liveGraph();
    const a = live.ctx.createNode('a');
    a.createPublisher('std_msgs/msg/String', '/changing');
    const c = await connect(live.url);
    const first = await c.channel('/changing');
    a.destroy();
    const b = live.ctx.createNode('b');
    b.createPublisher('std_msgs/msg/Int32', '/changing');
    await waitFor(() => c.channels.get('/changing')!.schemaName === 'std_msgs/msg/Int32', 'the new type to be advertised');
    expect(c.unadvertised).toContain(first.id);
    expect(c.channels.get('/changing')!.id).not.toBe(first.id);
  });
});

describe('subscribing', () => {
  it('delivers every real CAN frame and GNSS fix, decoded from the advertised schema alone, equal to what a graph subscriber received, stamped with the publisher clock', async () => {
    live = await liveGraph();
    const probe = live.ctx.createNode('probe');
    const graphFrames: unknown[] = [];
    const graphFixes: unknown[] = [];
    probe.createSubscription(FRAME, '/vil/can/can1/raw', KEEP_ALL, (m) => graphFrames.push(m));
    probe.createSubscription(FIX, '/vil/rtk/fix', KEEP_ALL, (m) => graphFixes.push(m));
    const talker = live.ctx.createNode('talker');
    const framePub = talker.createPublisher(FRAME, '/vil/can/can1/raw', KEEP_ALL);
    const fixPub = talker.createPublisher(FIX, '/vil/rtk/fix', KEEP_ALL);

    const c = await connect(live.url);
    const frameSub = await c.subscribe('/vil/can/can1/raw');
    const fixSub = await c.subscribe('/vil/rtk/fix');
    await waitFor(() => live!.view.stats().subscribedTopics === 2, 'the server to take both subscriptions');

    const frames = realCanFrames();
    const fixes = loadF9p().tpv.map(navSatFix);
    expect(frames.length).toBe(600);
    const before = nsOf(wallNow());
    for (const f of frames) framePub.publish(f);
    for (const f of fixes) fixPub.publish(f);
    const after = nsOf(wallNow());
    await waitFor(() => c.messages(frameSub).length === frames.length && c.messages(fixSub).length === fixes.length, 'every message at the client');
    await live.ctx.graph.idle();

    const frameReader = c.reader('/vil/can/can1/raw');
    const fixReader = c.reader('/vil/rtk/fix');
    expect(c.messages(frameSub).map((m) => frameReader.readMessage(m.data))).toEqual(graphFrames);
    expect(c.messages(fixSub).map((m) => fixReader.readMessage(m.data))).toEqual(graphFixes);
    // And what the graph got is what was published (the real recording's ids and bytes).
    expect(graphFrames.map((m) => (m as { id: number }).id)).toEqual(frames.map((f) => f.id));
    for (const m of [...c.messages(frameSub), ...c.messages(fixSub)]) {
      expect(m.timestamp >= before && m.timestamp <= after, `log time ${m.timestamp} within the publishing window`).toBe(true);
    }
  });

  it('unsubscribe stops delivery and removes the tap; the other subscription goes on', async () => {
    live = await liveGraph();
    const talker = live.ctx.createNode('talker');
    const framePub = talker.createPublisher(FRAME, '/vil/can/can1/raw', KEEP_ALL);
    const fixPub = talker.createPublisher(FIX, '/vil/rtk/fix', KEEP_ALL);
    const c = await connect(live.url);
    const frameSub = await c.subscribe('/vil/can/can1/raw');
    const fixSub = await c.subscribe('/vil/rtk/fix');
    await waitFor(() => live!.view.stats().subscribedTopics === 2, 'both subscriptions');
    const frames = realCanFrames();
    const fixes = loadF9p().tpv.map(navSatFix);
    framePub.publish(frames[0]);
    fixPub.publish(fixes[0]);
    await waitFor(() => c.messages(frameSub).length === 1 && c.messages(fixSub).length === 1, 'the first messages');

    c.client.unsubscribe(frameSub);
    await waitFor(() => live!.view.stats().subscribedTopics === 1, 'the unsubscription');
    expect(live.ctx.graph.topic('/vil/can/can1/raw')!.taps).toHaveLength(0);
    for (const f of frames.slice(1, 100)) framePub.publish(f);
    // One socket delivers in order: once this fix arrived, any frame sent before it would have too.
    fixPub.publish(fixes[1]);
    await waitFor(() => c.messages(fixSub).length === 2, 'the fix after the frames');
    expect(c.messages(frameSub)).toHaveLength(1);
  });

  it('under use_sim_time, /clock is the server time and messages carry the sim time they were published at', async () => {
    live = await liveGraph(['-p', 'use_sim_time:=true']);
    const clock = live.ctx.createNode('sim');
    const clockPub = clock.createPublisher('rosgraph_msgs/msg/Clock', '/clock', 'default');
    const talker = live.ctx.createNode('talker');
    const fixPub = talker.createPublisher(FIX, '/vil/rtk/fix', KEEP_ALL);
    const c = await connect(live.url);
    expect(c.serverInfo!.capabilities).toContain(ServerCapability.time);
    const sub = await c.subscribe('/vil/rtk/fix');
    await waitFor(() => live!.view.stats().subscribedTopics === 1, 'the subscription');

    clockPub.publish({ clock: { sec: 1555029596, nanosec: 250_000_000 } });
    await live.ctx.graph.idle(); // every node's clock has taken it
    const fix = navSatFix(loadF9p().tpv[0]);
    fixPub.publish(fix);
    clockPub.publish({ clock: { sec: 1555029597, nanosec: 0 } });
    await waitFor(() => c.times.length === 2 && c.messages(sub).length === 1, 'two time updates and the fix');
    expect(c.times).toEqual([1555029596_250_000_000n, 1555029597_000_000_000n]);
    expect(c.messages(sub)[0].timestamp).toBe(1555029596_250_000_000n);
    // A client that connects later is told the current time at once.
    const late = await connect(live.url);
    await waitFor(() => late.times.length === 1, 'the time for a late client');
    expect(late.times[0]).toBe(1555029597_000_000_000n);
  });
});

describe('latched topics and parameters, with the real markers node', () => {
  async function markers(): Promise<void> {
    live = await liveGraph(['--params-file', join(ROOT, 'config/demo.params.yaml')]);
    nodes = await startNodes(live.ctx, [markersNode]);
  }

  it('a client that connects after /tf_static was published gets it, as a transient-local ROS subscriber does; so does a second one', async () => {
    await markers();
    const probe = live!.ctx.createNode('probe');
    const graphStatic: unknown[] = [];
    probe.createSubscription('tf2_msgs/msg/TFMessage', '/tf_static', LATCHED, (m) => graphStatic.push(m));
    await live!.ctx.graph.idle();
    expect(graphStatic).toHaveLength(1);
    for (let i = 0; i < 2; i++) {
      const c = await connect(live!.url);
      const sub = await c.subscribe('/tf_static');
      await waitFor(() => c.messages(sub).length === 1, 'the latched /tf_static');
      const msg = c.reader('/tf_static').readMessage<{ transforms: { child_frame_id: string; header: { frame_id: string } }[] }>(c.messages(sub)[0].data);
      expect(msg).toEqual(graphStatic[0]);
      // config/demo.params.yaml: static_frames radar_esr and gnss on base_link.
      expect(msg.transforms.map((t) => `${t.header.frame_id}→${t.child_frame_id}`)).toEqual(['base_link→radar_esr', 'base_link→gnss']);
    }
  });

  it('getParameters lists the nodes\' declared parameters as foxglove_bridge names them; setParameters is refused and changes nothing', async () => {
    await markers();
    const c = await connect(live!.url);
    c.client.getParameters([], 'all');
    await waitFor(() => c.parameterValues.some((p) => p.id === 'all'), 'the parameter values');
    const all = c.parameterValues.find((p) => p.id === 'all')!.parameters;
    const byName = new Map(all.map((p) => [p.name, p]));
    expect(byName.get('/markers.static_frames')?.value).toEqual(['radar_esr base_link 3.7 0 0.45 0 0 0', 'gnss base_link 1.2 0 1.5 0 0 0']);
    expect(byName.get('/markers.use_sim_time')?.value).toBe(false);
    expect(byName.get('/markers.hidden_status_values')?.value).toEqual([0]);
    const doubles = all.filter((p) => p.type === 'float64');
    expect(doubles.length).toBeGreaterThan(0);
    expect(doubles.every((p) => typeof p.value === 'number')).toBe(true);

    c.client.getParameters(['/markers.static_frames', '/nope.x'], 'some');
    await waitFor(() => c.parameterValues.some((p) => p.id === 'some'), 'the named values');
    expect(c.parameterValues.find((p) => p.id === 'some')!.parameters.map((p) => p.name)).toEqual(['/markers.static_frames']);

    const refusedBefore = live!.view.stats().refusedRequests;
    c.client.setParameters([{ name: '/markers.static_frames', value: [] }], 'set');
    await waitFor(() => c.parameterValues.some((p) => p.id === 'set'), 'the reply to set');
    expect(c.statuses.some((s) => s.level === 2 && s.message.includes('read-only'))).toBe(true);
    expect(c.parameterValues.find((p) => p.id === 'set')!.parameters[0].value).toEqual(['radar_esr base_link 3.7 0 0.45 0 0 0', 'gnss base_link 1.2 0 1.5 0 0 0']);
    expect(live!.view.stats().refusedRequests).toBe(refusedBefore + 1);
  });
});

// Clients publish into the graph (client advertise + Message Data, as Foxglove's Publish panel does
// with "cdr"): onto topics vil subscribes to, decoded with the registry, delivered to the nodes.
// RTCM corrections from a client reach the receiver's serial line through the real rtk_serial node.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { parse } from '@foxglove/rosmsg';
import { rtkSerialNode } from '../../nodes/rtk_serial/main.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import { PtyPair } from '../helpers/pty.js';
import { loadF9p } from '../runtime/helpers.js';
import { KEEP_ALL, TestClient, liveGraph, waitFor } from './helpers.js';

type Live = Awaited<ReturnType<typeof liveGraph>>;
let live: Live | undefined;
let nodes: StartedNodes | undefined;
let pty: PtyPair | undefined;
let dir: string | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await nodes?.stop();
  nodes = undefined;
  await live?.stop();
  live = undefined;
  await pty?.stop();
  pty = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  return c;
}

/** What Foxglove does: a CDR writer from the schema the server advertised for the topic. */
function writerFor(c: TestClient, topic: string): MessageWriter {
  return new MessageWriter(parse(c.channels.get(topic)!.schema, { ros2: true }));
}

const POSE = 'geometry_msgs/msg/PoseStamped';

describe('client publish', () => {
  it('a client message on a topic a node subscribes to reaches that node, field for field', async () => {
    live = await liveGraph();
    const sim = live.ctx.createNode('simulator_bridge');
    const got: unknown[] = [];
    sim.createSubscription(POSE, '/sim/ego_pose_cmd', KEEP_ALL, (m) => got.push(m));
    const c = await connect(live.url);
    await c.channel('/sim/ego_pose_cmd');
    const ch = c.client.advertise({ topic: '/sim/ego_pose_cmd', encoding: 'cdr', schemaName: POSE });
    await waitFor(() => live!.ctx.graph.topic('/sim/ego_pose_cmd')!.publishers.size === 1, 'the server to accept the client channel');
    const pose = { header: { stamp: { sec: 1641469561, nanosec: 949_700_000 }, frame_id: 'map' }, pose: { position: { x: 12.5, y: -3.25, z: 0.5 }, orientation: { x: 0, y: 0, z: 0.3826834323650898, w: 0.9238795325112867 } } };
    c.client.sendMessage(ch, writerFor(c, '/sim/ego_pose_cmd').writeMessage(pose));
    await waitFor(() => got.length === 1, 'the node to receive the client message');
    expect(got[0]).toEqual(pose);
    expect(live.view.stats().clientMessages).toBe(1);
    expect(live.view.stats().refusedRequests).toBe(0);
  });

  it('RTCM corrections published from the client reach the receiver side of rtk_serial\'s serial line, byte for byte', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-foxglove-rtcm-'));
    pty = new PtyPair(join(dir, 'ttyGNSS'), join(dir, 'feed'));
    await pty.start();
    live = await liveGraph(['-p', `port:=${pty.device}`]);
    nodes = await startNodes(live.ctx, [rtkSerialNode]);
    // The port is open once the receiver's sentences come through (a real u-blox F9P's).
    const raw: unknown[] = [];
    live.ctx.createNode('probe').createSubscription('nmea_msgs/msg/Sentence', '/vil/rtk/raw', 'sensor_data', (m) => raw.push(m));
    const sentences = loadF9p().sentences;
    await waitFor(() => {
      if (raw.length === 0) pty!.write(`${sentences[0]}\r\n`);
      return raw.length > 0;
    }, 'rtk_serial to read the receiver');
    const c = await connect(live.url);
    await c.channel('/vil/rtk/rtcm');
    const ch = c.client.advertise({ topic: '/vil/rtk/rtcm', encoding: 'cdr', schemaName: 'rtcm_msgs/msg/Message' });
    await waitFor(() => live!.ctx.graph.topic('/vil/rtk/rtcm')!.publishers.size === 1, 'the server to accept the client channel');
    // RTCM 3 message 1005 (reference station position), the example frame of the standard.
    const rtcm = Uint8Array.from([0xd3, 0x00, 0x13, 0x3e, 0xd7, 0xd3, 0x02, 0x02, 0x98, 0x0e, 0xde, 0xef, 0x34, 0xb4, 0xbd, 0x62, 0xac, 0x09, 0x41, 0x98, 0x6f, 0x33, 0x36, 0x0b, 0x98]);
    pty.readAvailable();
    c.client.sendMessage(ch, writerFor(c, '/vil/rtk/rtcm').writeMessage({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, message: rtcm }));
    let received = Buffer.alloc(0);
    await waitFor(() => {
      received = Buffer.concat([received, pty!.readAvailable()]);
      return received.length >= rtcm.length;
    }, 'the RTCM bytes on the receiver side');
    expect([...received]).toEqual([...rtcm]);
  });

  it('refuses, with a status and a count, what it cannot publish: no subscriber, another type, another encoding, bytes that are not the type', async () => {
    live = await liveGraph();
    const sim = live.ctx.createNode('simulator_bridge');
    const got: unknown[] = [];
    sim.createSubscription(POSE, '/sim/ego_pose_cmd', KEEP_ALL, (m) => got.push(m));
    sim.createPublisher('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', 'sensor_data');
    const c = await connect(live.url);
    await c.channel('/sim/ego_pose_cmd');
    const errors = () => c.statuses.filter((s) => s.level === 2);
    const refused = () => live!.view.stats().refusedRequests;

    const noReader = c.client.advertise({ topic: '/vil/rtk/fix', encoding: 'cdr', schemaName: 'sensor_msgs/msg/NavSatFix' });
    await waitFor(() => refused() === 1 && errors().length === 1, 'the refusal of a topic without subscriber');
    expect(errors()[0].message).toMatch(/cannot publish on \/vil\/rtk\/fix: no vil node subscribes to it.*\/sim\/ego_pose_cmd/);
    c.client.sendMessage(noReader, new Uint8Array([0, 1, 0, 0]));
    await waitFor(() => refused() === 2, 'the refusal of its message');

    c.client.advertise({ topic: '/sim/ego_pose_cmd', encoding: 'cdr', schemaName: 'geometry_msgs/msg/Pose' });
    await waitFor(() => refused() === 3, 'the refusal of another type');
    expect(errors().at(-1)!.message).toContain('carries geometry_msgs/msg/PoseStamped');

    c.client.advertise({ topic: '/sim/ego_pose_cmd', encoding: 'json', schemaName: POSE });
    await waitFor(() => refused() === 4, 'the refusal of json');

    const ok = c.client.advertise({ topic: '/sim/ego_pose_cmd', encoding: 'cdr', schemaName: POSE });
    await waitFor(() => live!.ctx.graph.topic('/sim/ego_pose_cmd')!.publishers.size === 1, 'the good channel');
    c.client.sendMessage(ok, new Uint8Array([0, 1, 0, 0, 7])); // a CDR header and one byte: not a PoseStamped
    await waitFor(() => refused() === 5, 'the refusal of undecodable bytes');
    expect(errors().at(-1)!.message).toMatch(/is not geometry_msgs\/msg\/PoseStamped in CDR/);
    await live.ctx.graph.idle();
    expect(got).toEqual([]);
    expect(live.view.stats().clientMessages).toBe(0);
    expect(live.view.stats().malformedFrames).toBe(0);
  });
});

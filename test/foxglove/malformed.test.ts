// What a broken or hostile client sends is refused with a status message and counted; the
// connection and the graph go on (bad input never stops a node).
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KEEP_ALL, TestClient, liveGraph, waitFor } from './helpers.js';
import { loadF9p, navSatFix } from '../runtime/helpers.js';

type Live = Awaited<ReturnType<typeof liveGraph>>;
let live: Live | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await live?.stop();
  live = undefined;
});

function messageData(channelId: number, payload: number[]): Uint8Array {
  const b = new Uint8Array(5 + payload.length);
  b[0] = 0x01;
  new DataView(b.buffer).setUint32(1, channelId, true);
  b.set(payload, 5);
  return b;
}

describe('malformed client frames', () => {
  it('each is refused with an error status and counted; the connection still works afterwards', async () => {
    live = await liveGraph();
    const talker = live.ctx.createNode('talker');
    const pub = talker.createPublisher('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', KEEP_ALL);
    const c = await TestClient.connect(live.url);
    clients.push(c);
    const fix = await c.channel('/vil/rtk/fix');

    const frames: [string, string | Uint8Array, RegExp][] = [
      ['bad JSON', '{"op": "subscribe", ', /not JSON/],
      ['JSON that is not an object', '[1, 2, 3]', /JSON object with a string "op"/],
      ['an object without op', '{"subscriptions": []}', /JSON object with a string "op"/],
      ['an unknown op', '{"op": "launchMissiles"}', /unknown op "launchMissiles"/],
      ['subscribe without subscriptions', '{"op": "subscribe"}', /"subscriptions" must be an array/],
      ['subscribe with a negative id', JSON.stringify({ op: 'subscribe', subscriptions: [{ id: -1, channelId: fix.id }] }), /unsigned 32-bit/],
      ['subscribe to a channel never advertised', JSON.stringify({ op: 'subscribe', subscriptions: [{ id: 7, channelId: 99999 }] }), /channel 99999 was never advertised/],
      ['advertise without a topic', JSON.stringify({ op: 'advertise', channels: [{ id: 1, encoding: 'cdr', schemaName: 'std_msgs/msg/String' }] }), /"channels\[0\]" must be/],
      ['an empty binary frame', new Uint8Array(0), /empty binary frame/],
      ['a binary frame with an unknown opcode', Uint8Array.from([0x7f, 1, 2, 3, 4, 5]), /binary opcode 0x7f/],
      ['a service call (capability not offered)', Uint8Array.from([0x02, 1, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0x63, 0x64, 0x72]), /binary opcode 0x2/],
      ['Message Data shorter than its header', Uint8Array.from([0x01, 1, 0]), /Message Data frame of 3 bytes/],
      ['Message Data on a channel the client never advertised', messageData(4242, [0, 1, 0, 0]), /unknown channel 4242/],
    ];
    for (let i = 0; i < frames.length; i++) {
      const [what, frame, says] = frames[i];
      c.sendRaw(frame);
      await waitFor(() => live!.view.stats().malformedFrames === i + 1 && c.statuses.length === i + 1, `the refusal of ${what}`);
      expect(c.statuses[i].level, what).toBe(2);
      expect(c.statuses[i].message, what).toMatch(says);
    }
    // An op of a capability this server does not declare: refused (counted apart), not silently ignored.
    c.sendRaw(JSON.stringify({ op: 'subscribeConnectionGraph' }));
    await waitFor(() => live!.view.stats().refusedRequests === 1 && c.statuses.length === frames.length + 1, 'the refusal of subscribeConnectionGraph');
    expect(c.statuses.at(-1)!.message).toContain('not offered by this server');

    // Still connected and served.
    expect(c.closed).toBe(false);
    const sub = c.client.subscribe(fix.id);
    await waitFor(() => live!.view.stats().subscriptions === 1, 'the subscription');
    pub.publish(navSatFix(loadF9p().tpv[0]));
    await waitFor(() => c.messages(sub).length === 1, 'a message after the bad frames');
    expect(live.view.stats().malformedFrames).toBe(frames.length);
  });

  it('a client without the foxglove.websocket.v1 sub-protocol is refused and counted', async () => {
    live = await liveGraph();
    const ws = new WebSocket(live.url, ['not-foxglove']);
    let closeCode = 0;
    ws.on('close', (code) => (closeCode = code));
    ws.on('error', () => {}); // the handshake fails: ws rejects a server that picks no offered protocol
    await waitFor(() => closeCode !== 0 || ws.readyState === ws.CLOSED, 'the refused connection to close');
    await waitFor(() => live!.view.stats().refusedConnections === 1, 'the refusal to be counted');
    expect(live.view.stats().clients).toBe(0);
  });
});

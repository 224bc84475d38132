// A client that stops reading (its socket paused, as a frozen app or a saturated link would) must
// not stop the graph nor the other clients: its messages are dropped above the send bound and
// counted, per client and on /diagnostics, and every message is accounted for (sent + dropped).
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEEP_ALL, ROOT, TestClient, liveGraph, waitFor } from './helpers.js';

type Live = Awaited<ReturnType<typeof liveGraph>>;
let live: Live | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await live?.stop();
  live = undefined;
});

interface DiagnosticArray {
  status: { name: string; values: { key: string; value: string }[] }[];
}

describe('a stalled client', () => {
  it('does not stop delivery to another client; its drops are counted per client and reported on /diagnostics', async () => {
    const LIMIT = 256 * 1024;
    live = await liveGraph([], LIMIT);
    // Payload: the real candump recording's text, ~25 kB per message.
    const text = readFileSync(join(ROOT, 'test/fixtures/foxglove/css_2F6913DB_0004_00000001.head600.candump'), 'utf8');
    const talker = live.ctx.createNode('talker');
    const pub = talker.createPublisher<{ data: string }>('std_msgs/msg/String', '/bulk', KEEP_ALL);
    const probe = live.ctx.createNode('probe');
    const diagnostics: DiagnosticArray[] = [];
    probe.createSubscription<DiagnosticArray>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', KEEP_ALL, (m) => diagnostics.push(m));

    const stalled = await TestClient.connect(live.url);
    clients.push(stalled);
    const healthy = await TestClient.connect(live.url);
    clients.push(healthy);
    const stalledSub = await stalled.subscribe('/bulk');
    const healthySub = await healthy.subscribe('/bulk');
    await waitFor(() => live!.view.stats().subscriptions === 2, 'both subscriptions');
    let published = 0;
    pub.publish({ data: `${published++}\n${text}` });
    await waitFor(() => stalled.messages(stalledSub).length === 1 && healthy.messages(healthySub).length === 1, 'the first message at both clients');

    stalled.ws.pause(); // stops reading: the kernel buffers fill, then ws's send buffer grows
    const [stalledStats, healthyStats] = live.view.clients();
    // Publish in batches; the healthy client keeps up with each batch. Bounded: at most 4000 messages (~100 MB).
    while (stalledStats.counters.messagesDropped === 0 && published < 4000) {
      for (let i = 0; i < 50; i++) pub.publish({ data: `${published++}\n${text}` });
      await waitFor(() => healthy.messages(healthySub).length === published, `the healthy client to receive message ${published}`);
    }
    expect(stalledStats.counters.messagesDropped, 'the stalled client\'s messages were dropped at the bound').toBeGreaterThan(0);
    // A few more batches while stalled: all dropped for it, all delivered to the other.
    for (let i = 0; i < 100; i++) pub.publish({ data: `${published++}\n${text}` });
    await waitFor(() => healthy.messages(healthySub).length === published, 'the healthy client to receive everything');
    expect(healthyStats.counters.messagesDropped).toBe(0);
    const reader = healthy.reader('/bulk');
    expect(healthy.messages(healthySub).map((m) => Number((reader.readMessage<{ data: string }>(m.data).data.split('\n')[0])))).toEqual([...Array(published).keys()]);
    // Every message is accounted for at the stalled client: sent or dropped.
    expect(stalledStats.counters.messagesSent + stalledStats.counters.messagesDropped).toBe(published);

    // /diagnostics from the live view's node says so.
    await waitFor(() => diagnostics.some((d) => d.status.some((s) => s.name === 'foxglove_server: live view' && Number(s.values.find((v) => v.key === 'messages_dropped_slow_clients')?.value) > 0)), 'the drops on /diagnostics', 240_000);

    // Reading again, it gets exactly what was sent to it (in order, no gaps inside what it got) and the app's warning.
    stalled.ws.resume();
    await waitFor(() => stalled.messages(stalledSub).length === stalledStats.counters.messagesSent, 'the stalled client to catch up');
    const seq = stalled.messages(stalledSub).map((m) => Number(reader.readMessage<{ data: string }>(m.data).data.split('\n')[0]));
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeGreaterThan(seq[i - 1]);
    await waitFor(() => stalled.statuses.some((s) => s.message === 'Send buffer limit reached'), 'the send-buffer warning');
  });
});

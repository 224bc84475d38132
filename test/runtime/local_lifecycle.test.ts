// Timers, node destruction and context shutdown: nothing keeps running or keeps the process alive.
import { describe, expect, it } from 'vitest';
import { context, loadF9p, sentenceMsg, stampOf } from './helpers.js';

const SENTENCE = 'nmea_msgs/msg/Sentence';
const f9p = loadF9p();
const msg = sentenceMsg(f9p.sentences[0], stampOf(f9p.tpv[0].time));

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('timers and shutdown', () => {
  it('a timer fires repeatedly until cancelled', async () => {
    const ctx = context();
    const n = ctx.createNode('n');
    let calls = 0;
    let timer: { cancel(): void } | undefined;
    await new Promise<void>((resolve) => {
      timer = n.createTimer(1, () => {
        calls++;
        if (calls === 3) resolve();
      });
    });
    timer!.cancel();
    const after = calls;
    await new Promise((r) => setTimeout(r, 20));
    expect(after).toBe(3);
    expect(calls).toBe(3);
    await ctx.shutdown();
  });

  it('shutdown clears every timer (no handle keeps the process alive) and is idempotent', async () => {
    const base = timeouts();
    const ctx = context();
    const a = ctx.createNode('a');
    const b = ctx.createNode('b');
    a.createTimer(1000, () => {});
    b.createTimer(50, () => {});
    expect(timeouts()).toBe(base + 2);
    const p1 = ctx.shutdown();
    const p2 = ctx.shutdown();
    expect(p2).toBe(p1);
    await p1;
    expect(timeouts()).toBe(base);
  });

  it('a throwing timer callback is logged and the timer goes on', async () => {
    const ctx = context();
    const n = ctx.createNode('n');
    const errors: string[] = [];
    n.logger.error = ((obj: unknown, text: string) => errors.push(text)) as never;
    let calls = 0;
    await new Promise<void>((resolve) => {
      n.createTimer(1, () => {
        calls++;
        if (calls === 2) resolve();
        throw new Error('tick failed');
      });
    });
    expect(errors[0]).toBe('timer callback threw: tick failed');
    await ctx.shutdown();
  });

  it('destroying a node removes its endpoints from the graph; using them afterwards is an error', async () => {
    const ctx = context();
    const a = ctx.createNode('a');
    const b = ctx.createNode('b');
    const pub = a.createPublisher(SENTENCE, '/s');
    const got: unknown[] = [];
    b.createSubscription(SENTENCE, '/s', 'default', (m) => got.push(m));
    pub.publish(msg);
    b.destroy();
    await ctx.graph.idle();
    expect(got).toEqual([]); // queued messages of a destroyed subscription are not delivered
    expect(ctx.graph.stats()[0]).toMatchObject({ topic: '/s', publishers: 1, subscriptions: 0, messages: 1 });
    expect(() => b.createPublisher(SENTENCE, '/s')).toThrow('node /b was destroyed; cannot create a publisher');
    a.destroy();
    expect(() => pub.publish(msg)).toThrow('publish on /s: the publisher (node /a) was destroyed');
    await ctx.shutdown();
    expect(() => ctx.createNode('c')).toThrow(/shut down/);
  });
});

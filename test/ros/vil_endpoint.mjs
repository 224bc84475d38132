// ROS tier helper: vil nodes on rclnodejs (dist/, so `npm run build` first) that publish given
// messages through vil's port (CDR Buffers, publishRawMessage) and print what their raw
// subscriptions decode. Run: node vil_endpoint.mjs <config.json>, with ROS 2 sourced.
//   config: {"talk": [{"type", "topic", "msg"}], "listen": [{"type", "topic"}]}, messages as tagged JSON
// Prints "READY" once its endpoints exist, then "RX <topic> <tagged JSON>" for the first message on
// each listened topic; republishes every talk message every 100 ms until killed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** JSON for messages: bigint, non-finite and negative-zero numbers and typed arrays survive. */
export function tag(value) {
  return JSON.stringify(value, function (_k, v) {
    if (typeof v === 'bigint') return { $b: v.toString() };
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return { $f: 'nan' };
      if (v === Infinity) return { $f: 'inf' };
      if (v === -Infinity) return { $f: '-inf' };
      if (Object.is(v, -0)) return { $f: '-0' };
      return v;
    }
    if (ArrayBuffer.isView(v)) return { $t: v.constructor.name, v: Array.from(v, (x) => (typeof x === 'bigint' ? { $b: x.toString() } : x)) };
    return v;
  });
}

export function untag(text) {
  const floats = { nan: Number.NaN, inf: Infinity, '-inf': -Infinity, '-0': -0 };
  return JSON.parse(text, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if ('$b' in v) return BigInt(v.$b);
      if ('$f' in v) return floats[v.$f];
      if ('$t' in v) return globalThis[v.$t].from(v.v);
    }
    return v;
  });
}

async function main() {
  const config = untag(readFileSync(process.argv[2], 'utf8'));
  const { createRclnodejsContext } = await import(new URL('../../dist/nodes/runtime/rclnodejs.js', import.meta.url).href);
  const ctx = await createRclnodejsContext([]);
  const node = ctx.createNode('vil_endpoint');
  const qos = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 100 };
  const seen = new Set();
  for (const l of config.listen) {
    node.createSubscription(l.type, l.topic, qos, (m) => {
      if (seen.has(l.topic)) return;
      seen.add(l.topic);
      process.stdout.write(`RX ${l.topic} ${tag(m)}\n`);
    });
  }
  const pubs = config.talk.map((t) => ({ pub: node.createPublisher(t.type, t.topic, qos), msg: t.msg }));
  process.stdout.write('READY\n');
  const timer = setInterval(() => {
    for (const p of pubs) p.pub.publish(p.msg);
  }, 100);
  const stop = async () => {
    clearInterval(timer);
    await ctx.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stdout.write(`FAILED ${String(e?.message ?? e).split('\n')[0]}\n`);
    process.exit(1);
  });
}

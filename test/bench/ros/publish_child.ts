// ROS benchmark, publishers (a) and (b), each run as its own process with ROS 2 sourced:
//   node publish_child.js objects <spec.json>  (a) rclnodejs's object path: publisher.publish(plainObject)
//                                                  on a publisher made with rclnodejs directly (its
//                                                  generated class converts every field, rcl serialises)
//   node publish_child.js vil <spec.json>      (b) vil's RosNode publisher on rclnodejs
//                                                  (nodes/runtime/rclnodejs.ts: vil's CDR codec encodes
//                                                  into its reusable buffer, publisher.publish(Buffer))
// spec: {qos_depth, runs, cases: [{label, type, topic, count, warmup, matched?}]}; the messages are built
// here by sample_messages.ts, the same ones ros.bench.ts hands rclpy (c) as JSON.
// Per case: wait until the subscriber (another process) has matched (unless matched: false), `warmup` publishes untimed,
// then `runs` timed loops of `count` publishes; process.cpuUsage (user + system of the whole
// process, every thread: Cyclone's threads included) and wall time per loop.
// stdout: "RESULT <json>" per case, as ros_publish.py prints.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRclnodejsContext, loadRclnodejs, toRclQos } from '../../../nodes/runtime/rclnodejs.js';
import type { RclNode, RclnodejsModule } from '../../../nodes/runtime/rclnodejs_api.js';
import type { QosSettings } from '../../../nodes/runtime/ros.js';
import { sampleMessages } from '../sample_messages.js';

interface Case {
  label: string;
  type: string;
  topic: string;
  count: number;
  warmup: number;
  /** false: publish on a topic nobody subscribes to (what the path costs before the middleware sends). */
  matched?: boolean;
}

interface Spec {
  qos_depth: number;
  runs: number;
  cases: Case[];
}

/** rclnodejs members only this benchmark uses (rclnodejs 2.2.0's lib/node.js, lib/publisher.js). */
interface GraphNode extends RclNode {
  countSubscribers(topic: string): number;
}

async function waitMatched(graph: GraphNode, topic: string): Promise<void> {
  const limit = Date.now() + 120_000;
  while (graph.countSubscribers(topic) < 1) {
    if (Date.now() > limit) throw new Error(`no subscriber matched ${topic} within 120 s`);
    await sleep(50);
  }
  await sleep(200); // discovery is symmetric but not simultaneous: let the reader see the writer too
}

async function main(): Promise<void> {
  const [variant, specFile] = process.argv.slice(2);
  if (variant !== 'objects' && variant !== 'vil') throw new Error(`usage: publish_child.js objects|vil <spec.json>`);
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Spec;
  const qos: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: spec.qos_depth };
  const rcl: RclnodejsModule = await loadRclnodejs();
  // A plain rclnodejs node: (a)'s publishers, and the graph queries (subscriber matched) for both.
  await rcl.init();
  const graph = new rcl.Node(`vil_bench_${variant}_graph`) as GraphNode;
  graph.spin();
  const vil = variant === 'vil' ? await createRclnodejsContext([]) : undefined;
  const vilNode = vil?.createNode(`vil_bench_vil`);

  for (const c of spec.cases) {
    const msgs = sampleMessages(c.type);
    const k = msgs.length;
    let publish: (m: unknown) => void;
    if (vilNode) {
      const pub = vilNode.createPublisher<unknown>(c.type, c.topic, qos);
      publish = (m) => pub.publish(m);
    } else {
      const pub = graph.createPublisher(c.type, c.topic, { qos: toRclQos(rcl, qos) });
      publish = (m) => pub.publish(m as object);
    }
    if (c.matched !== false) await waitMatched(graph, c.topic);
    for (let i = 0; i < c.warmup; i++) publish(msgs[i % k]);
    await sleep(500);
    const runs: { cpu: number; wall: number }[] = [];
    for (let r = 0; r < spec.runs; r++) {
      const n = c.count;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) publish(msgs[i % k]);
      const t1 = process.hrtime.bigint();
      const cpu = process.cpuUsage(cpu0);
      runs.push({ cpu: (cpu.user + cpu.system) / 1e6, wall: Number(t1 - t0) / 1e9 });
      await sleep(500); // the subscriber drains before the next run
    }
    process.stdout.write(`RESULT ${JSON.stringify({ label: c.label, type: c.type, count: c.count, runs })}\n`);
  }
  await vil?.shutdown();
  graph.destroy();
  process.exit(0);
}

main().catch((e: Error) => {
  process.stdout.write(`FAILED ${e.message.split('\n')[0]}\n`);
  process.exit(1);
});

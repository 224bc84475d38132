// One process or many (DESIGN rule 9), part 1: the graph's shape.
//
// Compared: the set of endpoints — (node, publisher|subscription, resolved topic, type, QoS) —
// that the five node definitions create when they all start on ONE context (what `vil run all`
// does) against the union of the endpoints each creates when started ALONE on its own context (what
// one process per node does), with the same ROS arguments (config/demo.params.yaml + the demo's
// run-time values). Sharing a context must change nothing a node declares; only then do the nodes
// on a ROS 2 graph connect the same way whichever way they are started.
//
// And, because the local graph is in-process (nodes in separate processes do not see each other on
// it), the one-context run is where the wiring itself can be checked: every publisher/subscription
// pair between two different nodes is listed and compared with the data flow of DESIGN.md, no
// pair is refused for QoS, and each topic has one type.
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type NodeDefinition } from '../../nodes/runtime/run.js';
import { NODES } from '../../nodes/cli/registry.js';
import { demoRosArgs, endpointKey, recordingContext, tempDir, udpSink, writeDemoInputs, type Endpoint, type UdpSink } from './helpers.js';

let dir: string;
let sims: UdpSink;
let dspace: UdpSink;
let argv: string[];
let defs: NodeDefinition[];

setupAll(async () => {
  dir = tempDir();
  sims = await udpSink();
  dspace = await udpSink();
  const inputs = await writeDemoInputs(dir, 2, dspace.port);
  // rtk_serial as on the vehicle (source serial), on a port that does not exist: it waits for it,
  // which does not change what it declares.
  argv = demoRosArgs({ inputs, simPort: sims.port, extra: [`rtk_serial:port:=${join(dir, 'ttyNone')}`] });
  defs = await Promise.all(Object.values(NODES).map((n) => n.load()));
});

afterAll(() => {
  sims.close();
  dspace.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `which` on one fresh local context, returns their endpoints and the context's QoS refusals and topics. */
async function endpointsOf(which: NodeDefinition[]) {
  const ctx = createLocalContext(parseRosArgs(argv));
  const endpoints: Endpoint[] = [];
  const started = await startNodes(recordingContext(ctx, endpoints), which);
  try {
    return { endpoints, incompatible: [...ctx.graph.qosIncompatibilities()], stats: ctx.graph.stats() };
  } finally {
    await started.stop();
    await ctx.shutdown();
  }
}

const sortedKeys = (e: Endpoint[]) => e.map(endpointKey).sort();

describe('vil run all (one context) declares the same endpoints as each node in its own process', () => {
  it('endpoints of all five nodes on one context = union of each node alone (same parameters), including QoS', async () => {
    const together = await endpointsOf(defs);
    const alone: Endpoint[] = [];
    for (const def of defs) alone.push(...(await endpointsOf([def])).endpoints);

    expect(defs.map((d) => d.name)).toEqual(['rtk_serial', 'can_bridge', 'markers', 'sim_pose', 'dspace_relay']);
    expect(sortedKeys(together.endpoints)).toEqual(sortedKeys(alone));
    // Not vacuous: every node has endpoints, and each publishes its diagnostics.
    for (const d of defs) {
      expect(together.endpoints.filter((e) => e.node === d.name).length, d.name).toBeGreaterThan(1);
      expect(together.endpoints.some((e) => e.node === d.name && e.kind === 'publisher' && e.topic === '/diagnostics'), d.name).toBe(true);
    }
  });

  it('on one context the nodes connect as DESIGN.md draws the data flow, and no pair is refused for QoS', async () => {
    const { endpoints, incompatible, stats } = await endpointsOf(defs);
    // Every (topic, publishing node → subscribing node) pair between two different nodes.
    const links = new Set<string>();
    for (const p of endpoints.filter((e) => e.kind === 'publisher')) {
      for (const s of endpoints.filter((e) => e.kind === 'subscription' && e.topic === p.topic && e.node !== p.node)) {
        expect(s.type, p.topic).toBe(p.type);
        links.add(`${p.topic}: ${p.node} → ${s.node}`);
      }
    }
    expect([...links].sort()).toEqual(
      [
        // forward path: receiver and CAN → sim_pose → simulator (and markers)
        '/vil/rtk/fix: rtk_serial → sim_pose',
        '/vil/rtk/heading: rtk_serial → sim_pose',
        '/vil/rtk/velocity: rtk_serial → sim_pose',
        '/vil/can/vehicle_state: can_bridge → sim_pose', // demo params: vehicle_state_topic
        // rviz
        '/vil/can/objects/esr: can_bridge → markers',
        '/vil/sim/ego_pose: sim_pose → markers',
        '/vil/rtk/fix: rtk_serial → markers',
        // backward path: object lists → dSPACE
        '/vil/can/objects/esr: can_bridge → dspace_relay',
      ].sort(),
    );
    expect(incompatible).toEqual([]);
    // Each of those topics has both ends on the graph.
    for (const l of links) {
      const topic = l.split(':')[0];
      const s = stats.find((x) => x.topic === topic)!;
      expect(s.publishers, topic).toBeGreaterThan(0);
      expect(s.subscriptions, topic).toBeGreaterThan(0);
    }
  });
});

// dspace_relay: the backward path, simulator topics → dSPACE real-time target.
//
//   routes_file (YAML) ──▶ for each route:
//     <topic> (<type>) ──▶ layout encoder ──▶ UDP host:port        on every message, or
//                          (held last) ─timer rate_hz──▶ UDP        at a fixed rate, stale flag after a timeout
//   /diagnostics: one status per route (packets/s, bytes/s, send errors, stale periods, last sequence)
//
// Works for any message type the graph knows; a refused or unreachable destination is counted and
// the route keeps sending.
import type { RosNode } from '../runtime/ros.js';
import type { NodeDefinition, RunningNode } from '../runtime/run.js';
import { defineParams } from '../runtime/params.js';
import { ConfigError } from '../runtime/errors.js';
import { Diagnostics } from '../runtime/diagnostics.js';
import { messageRegistry } from '../runtime/msg_registry.js';
import { resolveConfigPath } from '../udp_layout/config_paths.js';
import { loadRoutesFile } from './routes.js';
import { RelayRoute } from './route.js';

export const dspaceRelayParams = defineParams({
  routes_file: {
    type: 'string',
    default: '',
    description: 'YAML file of routes: topic + type → layout → destination host:port, on_message or rate (see config/dspace_relay_routes.yaml)',
  },
});

export const dspaceRelayNode: NodeDefinition = {
  name: 'dspace_relay',
  description: 'simulator topics → fixed binary UDP layouts for a dSPACE/Simulink target (routes from YAML)',
  start: startDspaceRelay,
};

async function startDspaceRelay(node: RosNode): Promise<RunningNode> {
  const p = node.declareParameters(dspaceRelayParams);
  const source = `node ${node.name} parameters`;
  if (p.routes_file === '') throw new ConfigError({ source, key: 'routes_file', problem: 'not set', fix: 'set routes_file to a routes YAML (e.g. config/dspace_relay_routes.yaml)' });
  const specs = loadRoutesFile(resolveConfigPath(p.routes_file, source, 'routes_file'));

  // Every route is checked (type, layout, paths, sizes) before any socket opens.
  const registry = messageRegistry();
  const routes = specs.map((s) => RelayRoute.prepare(node, s, registry));
  const started: RelayRoute[] = [];
  try {
    for (const r of routes) {
      await r.start();
      started.push(r);
    }
  } catch (e) {
    for (const r of started) await r.stop();
    throw e;
  }

  const diagnostics = new Diagnostics(node);
  for (const r of routes) diagnostics.add(`route ${r.spec.name}`, r.spec.destination, () => r.diagnostic());

  return {
    diagnostics: () => diagnostics.collect(),
    async stop() {
      for (const r of routes) await r.stop();
    },
  };
}

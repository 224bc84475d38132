// QoS profiles (rmw's presets) and the request-versus-offer rules of ROS 2 that decide whether a
// publisher and a subscription connect.
import type { Qos, QosProfileName, QosSettings } from '../ros.js';

/** rmw_qos_profile_* (rmw/qos_profiles.h); "system_default" stands for the DDS default, keep last 1. */
export const QOS_PROFILES: Readonly<Record<QosProfileName, Readonly<QosSettings>>> = {
  sensor_data: { reliability: 'best_effort', durability: 'volatile', history: 'keep_last', depth: 5 },
  default: { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 },
  system_default: { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1 },
  services_default: { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 },
  parameters: { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1000 },
  parameter_events: { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1000 },
};

export { CLOCK_QOS } from '../qos_profiles.js';

export function resolveQos(qos: Qos | undefined, where: string): QosSettings {
  if (qos === undefined) return { ...QOS_PROFILES.default };
  if (typeof qos === 'string') {
    const p = QOS_PROFILES[qos];
    if (!p) throw new Error(`${where}: unknown QoS profile "${qos}" (known: ${Object.keys(QOS_PROFILES).join(', ')})`);
    return { ...p };
  }
  const { reliability, durability, history, depth } = qos;
  if (reliability !== 'reliable' && reliability !== 'best_effort') throw new Error(`${where}: QoS reliability must be "reliable" or "best_effort", got ${JSON.stringify(reliability)}`);
  if (durability !== 'volatile' && durability !== 'transient_local') throw new Error(`${where}: QoS durability must be "volatile" or "transient_local", got ${JSON.stringify(durability)}`);
  if (history !== 'keep_last' && history !== 'keep_all') throw new Error(`${where}: QoS history must be "keep_last" or "keep_all", got ${JSON.stringify(history)}`);
  if (history === 'keep_last' && !(Number.isInteger(depth) && depth >= 1)) throw new Error(`${where}: QoS keep_last needs a depth ≥ 1, got ${JSON.stringify(depth)}`);
  return { reliability, durability, history, depth };
}

export type IncompatiblePolicy = 'RELIABILITY' | 'DURABILITY';

/**
 * The policy that prevents a match, or undefined when they connect: a subscription may not
 * request more than the publisher offers (reliable from best effort, transient local from
 * volatile). History and depth never prevent a match.
 */
export function incompatiblePolicy(offered: QosSettings, requested: QosSettings): IncompatiblePolicy | undefined {
  if (offered.reliability === 'best_effort' && requested.reliability === 'reliable') return 'RELIABILITY';
  if (offered.durability === 'volatile' && requested.durability === 'transient_local') return 'DURABILITY';
  return undefined;
}

export function describeQos(q: QosSettings): string {
  return `${q.reliability}, ${q.durability}, ${q.history === 'keep_last' ? `keep_last ${q.depth}` : 'keep_all'}`;
}

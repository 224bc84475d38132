// MCAP readers give messages in log-time order, and a log time is the publisher's ROS clock (the
// system clock): two messages published within the clock's resolution, or across a small step of
// the system clock (NTP slewing), may come back in either order. Tests that compare a topic's
// messages in order use the data's own stamps instead: within each topic, messages with a header
// are put in header-stamp order (stable), each topic keeping its places among the others.
import type { McapMessage } from '../../nodes/runtime/local/mcap_read.js';

const stampNs = (m: McapMessage): bigint | undefined => {
  const s = (m.message as { header?: { stamp?: { sec: number; nanosec: number } } }).header?.stamp;
  return s === undefined ? undefined : BigInt(s.sec) * 1_000_000_000n + BigInt(s.nanosec);
};

export function inDataOrder(messages: readonly McapMessage[]): McapMessage[] {
  const out = [...messages];
  const places = new Map<string, number[]>();
  messages.forEach((m, i) => {
    let list = places.get(m.topic);
    if (!list) places.set(m.topic, (list = []));
    list.push(i);
  });
  for (const idx of places.values()) {
    if (idx.some((i) => stampNs(messages[i]) === undefined)) continue;
    const sorted = idx.map((i) => messages[i]).map((m, k) => ({ m, k, t: stampNs(m)! })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.k - b.k));
    idx.forEach((i, k) => (out[i] = sorted[k].m));
  }
  return out;
}

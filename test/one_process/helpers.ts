// Shared by the one-process tests: the demo's inputs (nodes/cli/demo_inputs.ts: the real CANedge
// drive's window with the generated radar log for can_bridge, the NMEA derived from the drive for
// rtk_serial; UDP receivers for sim_pose and dspace_relay), the ROS arguments every mode gets (the
// same in all of them), a context wrapper that records every endpoint the nodes create, and MCAP
// playback onto a local graph at the recorded pace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import type { CreateNodeOptions, Publisher, Qos, QosSettings, RosContext, RosNode, Subscription } from '../../nodes/runtime/ros.js';
import { resolveQos } from '../../nodes/runtime/local/qos.js';
import type { LocalContext } from '../../nodes/runtime/local/context.js';
import type { McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import type { NmeaSentenceMsg } from '../../nodes/runtime/msg_types.js';
import type { Time } from '../../nodes/runtime/ros.js';
import { DEMO_FILES, prepareDemoDrive, type DemoDrive } from '../../nodes/cli/demo_inputs.js';
import { doubleText } from '../../nodes/runtime/params_yaml.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/nodes/cli/main.js');
/** Keep-all, best effort: matches reliable and best-effort publishers alike (sensor topics are best effort). */
export const ALL: QosSettings = { reliability: 'best_effort', durability: 'volatile', history: 'keep_all', depth: 0 };

/** The demo's drive over `epochs` receiver epochs (its radar log written into `dir`). */
export function demoDrive(dir: string, epochs: number): Promise<DemoDrive> {
  return prepareDemoDrive({ root: ROOT, outDir: dir, epochs });
}

/** The UTC of a drive epoch as the receiver's sentences state it (0.01 s): rtk_serial's GNSS stamp. */
export function gnssStamp(utc: number): Time {
  const cs = Math.round(utc * 100);
  return { sec: Math.floor(cs / 100), nanosec: (cs % 100) * 10_000_000 };
}

/** Each epoch's sentences as nmea_msgs/Sentence, stamped with the epoch's UTC and 1 ms per sentence. */
export function sentenceMessages(drive: DemoDrive): NmeaSentenceMsg[][] {
  return drive.nmea.map((e, i) => {
    const t = gnssStamp(drive.epochs[i].utc);
    return e
      .split('\r\n')
      .filter((x) => x !== '')
      .map((sentence, k) => ({ header: { stamp: { sec: t.sec, nanosec: t.nanosec + k * 1_000_000 }, frame_id: 'gnss' }, sentence }));
  });
}

export function tempDir(prefix = 'vil-oneproc-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A UDP receiver keeping every datagram. */
export interface UdpSink {
  port: number;
  packets: Buffer[];
  close(): void;
}

export async function udpSink(): Promise<UdpSink> {
  const socket: Socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (d) => packets.push(d));
  await new Promise<void>((res) => socket.bind(0, '127.0.0.1', () => res()));
  return { port: socket.address().port, packets, close: () => socket.close() };
}

export interface DemoInputs {
  drive: DemoDrive;
  routesFile: string;
}

/** The demo's drive over `epochs` epochs and dspace_relay's routes file (the demo's: ESR lists → dSPACE layout, on every message). */
export async function writeDemoInputs(dir: string, epochs: number, dspacePort: number): Promise<DemoInputs> {
  const drive = await demoDrive(dir, epochs);
  const routesFile = join(dir, 'dspace_routes.yaml');
  writeFileSync(
    routesFile,
    toYaml({
      routes: [
        { name: 'esr_objects', topic: '/vil/can/objects/esr', type: 'vil/msg/ObjectList', layout: join(ROOT, 'config/layouts/object_list_to_dspace.yaml'), destination: `127.0.0.1:${dspacePort}`, mode: 'on_message', depth: 100 },
      ],
    }),
  );
  return { drive, routesFile };
}

/**
 * The ROS arguments of every mode: config/demo.params.yaml plus what the run needs. The same list
 * goes to `run all` and to each node alone (per-node `-p node:name:=value` reach only that node).
 */
export function demoRosArgs(o: { inputs: DemoInputs; simPort: number; extra?: string[]; logLevel?: string }): string[] {
  const p = (s: string) => ['-p', s];
  return [
    '--ros-args',
    '--log-level', o.logLevel ?? 'error',
    '--params-file', join(ROOT, DEMO_FILES.params),
    ...p(`can_bridge:config_file:=${join(ROOT, DEMO_FILES.canConfig)}`),
    ...p(`can_bridge:recording_files:=[${o.inputs.drive.recordingFiles.map((f) => JSON.stringify(f)).join(', ')}]`),
    ...p(`can_bridge:recording_start:=${doubleText(o.inputs.drive.startS)}`),
    ...p(`can_bridge:recording_duration:=${doubleText(o.inputs.drive.durationS)}`),
    // Deterministic replay: as fast as possible, the recording's own stamps.
    ...p('can_bridge:recording_realtime:=false'),
    ...p('can_bridge:recording_stamps:=log'),
    ...p(`sim_pose:udp_layout:=${join(ROOT, 'config/layouts/sim_pose_ego.yaml')}`),
    ...p(`sim_pose:udp_destination:=127.0.0.1:${o.simPort}`),
    ...p(`dspace_relay:routes_file:=${o.inputs.routesFile}`),
    ...(o.extra ?? []).flatMap(p),
  ];
}

// ---------------------------------------------------------------------------------------------
// Endpoints

export interface Endpoint {
  node: string;
  kind: 'publisher' | 'subscription';
  topic: string;
  type: string;
  qos: QosSettings;
}

export function endpointKey(e: Endpoint): string {
  const q = e.qos;
  return `${e.node} ${e.kind} ${e.topic} ${e.type} ${q.reliability}/${q.durability}/${q.history}/${q.history === 'keep_last' ? q.depth : '-'}`;
}

/**
 * A context whose nodes report every publisher and subscription they create (resolved topic,
 * type as the graph names it, QoS after profile resolution). Only the port's public surface is
 * used, so the nodes run exactly as they do under `vil run`.
 */
export function recordingContext(inner: RosContext, endpoints: Endpoint[]): RosContext {
  return {
    implementation: inner.implementation,
    shutdown: () => inner.shutdown(),
    createNode(name: string, options?: CreateNodeOptions): RosNode {
      const node = inner.createNode(name, options);
      const note = (kind: Endpoint['kind'], ep: { topic: string; type: string }, qos: Qos | undefined) =>
        endpoints.push({ node: node.name, kind, topic: ep.topic, type: ep.type, qos: resolveQos(qos, 'test') });
      return new Proxy(node, {
        get(target, prop) {
          if (prop === 'createPublisher') {
            return <T>(type: string, topic: string, qos?: Qos): Publisher<T> => {
              const pub = target.createPublisher<T>(type, topic, qos);
              note('publisher', pub, qos);
              return pub;
            };
          }
          if (prop === 'createSubscription') {
            return <T>(type: string, topic: string, qos: Qos, cb: (m: T) => void): Subscription => {
              const sub = target.createSubscription<T>(type, topic, qos, cb);
              note('subscription', sub, qos);
              return sub;
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Probing and playback

/** Subscribes keep-all to `topics` ([type, topic]) and keeps what arrives, per topic, in order. */
export function probe(ctx: LocalContext, topics: readonly (readonly [string, string])[], name = 'probe'): Map<string, unknown[]> {
  const node = ctx.createNode(name);
  const got = new Map<string, unknown[]>();
  for (const [type, topic] of topics) {
    const list: unknown[] = [];
    got.set(topic, list);
    node.createSubscription(type, topic, ALL, (m) => list.push(m));
  }
  return got;
}

/**
 * Publishes recorded messages onto `ctx` as `ros2 bag play` would: in log-time order at the
 * recorded pace, each delivered before the next goes out (so no keep-last queue drops what the
 * recording saw delivered).
 */
export async function play(ctx: LocalContext, messages: readonly McapMessage[], name = 'player'): Promise<void> {
  const node = ctx.createNode(name);
  const pubs = new Map<string, Publisher<unknown>>();
  const sorted = [...messages].sort((a, b) => (a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : 0));
  if (sorted.length === 0) return;
  const t0 = performance.now();
  const first = sorted[0].logTime;
  for (const m of sorted) {
    let pub = pubs.get(m.topic);
    if (!pub) pubs.set(m.topic, (pub = node.createPublisher(m.type, m.topic, 'default')));
    const due = t0 + Number(m.logTime - first) / 1e6;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    pub.publish(m.message);
    await ctx.graph.idle();
  }
}

export function byTopic(messages: readonly McapMessage[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const m of messages) {
    let l = out.get(m.topic);
    if (!l) out.set(m.topic, (l = []));
    l.push(m.message);
  }
  return out;
}

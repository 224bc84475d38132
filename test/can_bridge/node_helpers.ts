// Shared by the can_bridge node tests: a local ROS graph with a probe node that records every
// topic the bridge publishes, the bridge started with -p parameters, and candump -L logs written
// line by line (the format as can-utils's lib.c prints it: "(sec.usec) iface ID#HEX").
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import type { QosSettings, RosNode, Time } from '../../nodes/runtime/ros.js';
import { canBridgeNode, canBridgeParams, type CanBridgeRunning } from '../../nodes/can_bridge/main.js';
import { rclYamlText } from '../../nodes/runtime/params_yaml.js';
import type { MessageCodec } from '../../nodes/dbc/codec.js';

export const ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHIPPED_CONFIG = join(ROOT, 'config/can_bridge.yaml');
export const DBC = (name: string): string => join(ROOT, 'test/fixtures/dbc', name);

export interface Rig {
  ctx: LocalContext;
  started: StartedNodes;
  run: CanBridgeRunning;
  probe: RosNode;
  /** Messages by topic, in delivery order. */
  got: Map<string, unknown[]>;
  on<T>(topic: string): T[];
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the bridge with `params` (name → value, given as `-p name:=value`, numbers written with the
 * declared type as rcl reads them: 30 → 30.0 for a double) after a probe node subscribed to `subs`
 * ([type, topic] pairs), so nothing published is missed.
 */
export async function startBridge(params: Record<string, string | number | boolean | string[]>, subs: [string, string][]): Promise<Rig> {
  const args = ['--ros-args', '--log-level', 'error'];
  const typeOf = (k: string) => (canBridgeParams as Record<string, { type: Parameters<typeof rclYamlText>[0] }>)[k]?.type;
  for (const [k, v] of Object.entries(params)) args.push('-p', `${k}:=${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'number' && typeOf(k) ? rclYamlText(typeOf(k), v) : String(v)}`);
  const ctx = createLocalContext(parseRosArgs(args));
  const probe = ctx.createNode('probe');
  const got = new Map<string, unknown[]>();
  for (const [type, topic] of subs) {
    const list: unknown[] = [];
    got.set(topic, list);
    probe.createSubscription(type, topic, ALL, (m) => list.push(m));
  }
  let started: StartedNodes;
  try {
    started = await startNodes(ctx, [canBridgeNode]);
  } catch (e) {
    await ctx.shutdown();
    throw e;
  }
  const rig: Rig = {
    ctx,
    started,
    run: started.nodes[0] as CanBridgeRunning,
    probe,
    got,
    on: <T>(topic: string) => (got.get(topic) ?? []) as T[],
    settle: () => ctx.graph.idle(),
    stop: async () => {
      await started.stop();
      await ctx.shutdown();
    },
  };
  return rig;
}

/** Replays to the end and waits until everything published was delivered. */
export async function replayed(rig: Rig): Promise<void> {
  await rig.run.replayDone;
  await rig.settle();
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'vil-can-node-'));
}

/** A candump -L log built frame by frame. */
export class CandumpLog {
  readonly lines: string[] = [];

  /** A frame with a payload given as bytes; `id` as candump prints it (3 or 8 hex digits). */
  raw(t: Time, iface: string, id: number, data: Uint8Array | number[], opts: { extended?: boolean; fd?: boolean; error?: boolean } = {}): void {
    const usec = Math.floor(t.nanosec / 1000);
    const ts = `(${t.sec}.${String(usec).padStart(6, '0')})`;
    const idText = opts.error ? (id | 0x20000000).toString(16).toUpperCase().padStart(8, '0') : opts.extended ? id.toString(16).toUpperCase().padStart(8, '0') : id.toString(16).toUpperCase().padStart(3, '0');
    const hex = Buffer.from(data).toString('hex').toUpperCase();
    this.lines.push(`${ts} ${iface} ${idText}#${opts.fd ? '#0' : ''}${hex}`);
  }

  /** A frame encoded with the project's encoder from the real DBC (unset signals are 0). */
  encoded(t: Time, iface: string, codec: MessageCodec, values: Record<string, number | string>): Uint8Array {
    const all: Record<string, number | string> = {};
    for (const n of codec.signalNames) all[n] = 0;
    Object.assign(all, values);
    const data = codec.encode(all, { strict: false });
    this.raw(t, iface, codec.id, data, { extended: codec.extended, fd: codec.needsFd });
    return data;
  }

  write(dir: string, name = 'drive.log'): string {
    const path = join(dir, name);
    writeFileSync(path, `${this.lines.join('\n')}\n`);
    return path;
  }
}

/** t0 + ms milliseconds, exact in integer nanoseconds (ms may have up to 3 decimals: µs). */
export function at(t0: Time, ms: number): Time {
  const ns = t0.nanosec + Math.round(ms * 1e6);
  return { sec: t0.sec + Math.floor(ns / 1e9), nanosec: ns % 1e9 };
}

export function seconds(t: Time): number {
  return t.sec + t.nanosec * 1e-9;
}

/** Writes a YAML config next to the fixture DBCs' absolute paths. */
export function writeConfig(dir: string, yaml: string, name = 'can_bridge.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/** Values of one diagnostics status of the bridge, by key. */
export function diag(rig: Rig, name: string): { level: number; message: string; values: Record<string, string> } {
  const s = rig.run.diagnostics().status.find((x) => x.name === `can_bridge: ${name}`);
  if (!s) throw new Error(`no diagnostics status "can_bridge: ${name}"; have ${rig.run.diagnostics().status.map((x) => x.name).join(', ')}`);
  return { level: s.level, message: s.message, values: Object.fromEntries(s.values.map((v) => [v.key, v.value])) };
}

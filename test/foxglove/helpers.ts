// Shared by the live-view tests: a real client (the protocol library's FoxgloveClient over a real
// ws WebSocket on 127.0.0.1), an independent decoder built only from what the server advertised
// (@foxglove/rosmsg's parser on the schema text + @foxglove/rosmsg2-serialization's reader), and
// real messages: CAN frames of a CANedge recording, NavSatFix from gpsd's decoding of a u-blox log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FoxgloveClient, SUBPROTOCOL, type Channel, type Parameter } from '../../nodes/foxglove/protocol.js';
import { FoxgloveLiveView } from '../../nodes/foxglove/server.js';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { parseCandumpLine } from '../../nodes/buslog/candump.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import type { CanMsgsFrame } from '../../nodes/can_bridge/raw_frames.js';
import { waitFor } from '../helpers/pty.js';
export { waitFor };

export const ROOT = join(import.meta.dirname, '../..');
export const KEEP_ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };
export const LATCHED: QosSettings = { reliability: 'reliable', durability: 'transient_local', history: 'keep_last', depth: 1 };

/** A local graph (quiet logs) with the live view on an ephemeral loopback port. */
export async function liveGraph(rosArgs: string[] = [], sendBufferLimit?: number): Promise<{ ctx: LocalContext; view: FoxgloveLiveView; url: string; stop(): Promise<void> }> {
  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'error', ...rosArgs]));
  let view: FoxgloveLiveView;
  try {
    view = await FoxgloveLiveView.start(ctx, { port: 0, sendBufferLimit });
  } catch (e) {
    await ctx.shutdown();
    throw e;
  }
  return {
    ctx,
    view,
    url: `ws://127.0.0.1:${view.port}`,
    async stop() {
      await view.close();
      await ctx.shutdown();
    },
  };
}

interface ServerInfoMsg {
  name: string;
  capabilities: string[];
  supportedEncodings?: string[];
  metadata?: Record<string, string>;
}

export interface Received {
  timestamp: bigint;
  data: Uint8Array;
}

/** FoxgloveClient over a ws WebSocket, recording everything the server says. */
export class TestClient {
  readonly client: FoxgloveClient;
  serverInfo: ServerInfoMsg | undefined;
  /** Advertised channels by topic (the latest advertisement). */
  readonly channels = new Map<string, Channel>();
  readonly unadvertised: number[] = [];
  /** Message Data by subscription id, copied out of the socket's buffer. */
  readonly received = new Map<number, Received[]>();
  readonly statuses: { level: number; message: string }[] = [];
  readonly times: bigint[] = [];
  readonly parameterValues: { parameters: Parameter[]; id?: string }[] = [];
  readonly errors: Error[] = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    this.client = new FoxgloveClient({ ws: ws as never });
    this.client.on('serverInfo', (m) => (this.serverInfo = m));
    this.client.on('advertise', (chs) => {
      for (const c of chs) this.channels.set(c.topic, c);
    });
    this.client.on('unadvertise', (ids) => this.unadvertised.push(...ids));
    this.client.on('message', (m) => {
      const list = this.received.get(m.subscriptionId) ?? [];
      this.received.set(m.subscriptionId, list);
      list.push({ timestamp: m.timestamp, data: new Uint8Array(m.data.buffer.slice(m.data.byteOffset, m.data.byteOffset + m.data.byteLength)) });
    });
    this.client.on('status', (s) => this.statuses.push({ level: s.level, message: s.message }));
    this.client.on('time', (t) => this.times.push(t.timestamp));
    this.client.on('parameterValues', (p) => this.parameterValues.push({ parameters: p.parameters, id: p.id }));
    this.client.on('error', (e) => this.errors.push(e));
    this.client.on('close', () => (this.closed = true));
  }

  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url, [SUBPROTOCOL]);
    const c = new TestClient(ws);
    await until(() => c.serverInfo !== undefined || c.closed, 'serverInfo from the live view');
    if (!c.serverInfo) throw new Error(`the live view at ${url} closed the connection before serverInfo`);
    return c;
  }

  async channel(topic: string): Promise<Channel> {
    await until(() => this.channels.has(topic), `the live view to advertise ${topic}`);
    return this.channels.get(topic)!;
  }

  async subscribe(topic: string): Promise<number> {
    return this.client.subscribe((await this.channel(topic)).id);
  }

  messages(subscriptionId: number): Received[] {
    return this.received.get(subscriptionId) ?? [];
  }

  /** A decoder for the topic from nothing but the advertised schema text. */
  reader(topic: string): MessageReader {
    const ch = this.channels.get(topic);
    if (!ch) throw new Error(`${topic} was not advertised`);
    return new MessageReader(parse(ch.schema, { ros2: true }), { timeType: 'sec,nanosec' });
  }

  /** Sends a raw frame (for malformed-frame tests): text as is, bytes as a binary frame. */
  sendRaw(frame: string | Uint8Array): void {
    this.ws.send(frame);
  }

  async close(): Promise<void> {
    if (this.closed || this.ws.readyState === this.ws.CLOSED) return;
    this.ws.terminate();
    await until(() => this.closed, 'the client socket to close');
  }
}

function until(cond: () => boolean, what: string): Promise<void> {
  return waitFor(cond, what, 240_000);
}

/** can_msgs/Frame messages from the CANedge fixture's candump lines (classic data frames). */
export function realCanFrames(): CanMsgsFrame[] {
  const lines = readFileSync(join(ROOT, 'test/fixtures/foxglove/css_2F6913DB_0004_00000001.head600.candump'), 'utf8').split('\n');
  const out: CanMsgsFrame[] = [];
  for (const line of lines) {
    const f = parseCandumpLine(line);
    if (!f || f.fd) continue;
    const data = new Uint8Array(8);
    data.set(f.data.subarray(0, 8));
    out.push({ header: { stamp: f.time, frame_id: f.iface }, id: f.id, is_rtr: f.rtr, is_extended: f.extended, is_error: f.error, dlc: f.rtr ? f.dlc : f.data.length, data });
  }
  return out;
}

export function nsOf(t: { sec: number; nanosec: number }): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
}

// The live view: a Foxglove WebSocket server (foxglove.websocket.v1, through the protocol's own
// library) on the local graph, so Foxglove and Lichtblick can watch vil run without ROS 2, as
// foxglove_bridge lets them watch a real ROS system.
//
//   graph topic appears ──▶ channel advertised to every client (ros2msg schema, cdr encoding)
//   a client subscribes ──▶ tap on that topic ──▶ the publisher's CDR bytes, as published, with the
//                           publisher's ROS time ──▶ every subscribed client (bounded per client)
//   transient-local topics (/tf_static): always tapped, the last messages kept for late clients
//   /clock under use_sim_time ──▶ the server's time (time capability)
//   a client advertises + publishes on a topic vil subscribes to ──▶ decoded, published into the graph
//   getParameters ──▶ the nodes' declared parameters (read-only: setParameters is refused)
//
// Topics nobody subscribed to cost nothing: no tap is installed on them.
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { LocalContext, DeclaredParameter } from '../runtime/local/context.js';
import type { MessageTap, TopicState } from '../runtime/local/graph.js';
import type { Publisher, QosSettings, RosNode, Time } from '../runtime/ros.js';
import { typeKey } from '../runtime/msg_registry.js';
import { Diagnostics, DiagnosticLevel } from '../runtime/diagnostics.js';
import { ThrottledLog } from '../runtime/logger.js';
import { ClientSession, zeroCounters, type SessionCounters } from './session.js';
import { ServerCapability, SUBPROTOCOL, type ChannelId, type ClientChannel, type Parameter, type ParameterValue } from './protocol.js';
import { DEFAULT_HOST } from './address.js';

export interface LiveViewOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port (see `port` of the running server). */
  port: number;
  /** Bytes that may wait for one client before its messages are dropped (default 10 MB, as foxglove_bridge). */
  sendBufferLimit?: number;
  /** Node name of the server on the graph (diagnostics, parameters). */
  nodeName?: string;
}

export interface LiveViewStats extends SessionCounters {
  /** Clients connected now. */
  clients: number;
  /** Connections refused (no foxglove.websocket.v1 sub-protocol). */
  refusedConnections: number;
  /** Topics advertised now. */
  channels: number;
  /** Topics with at least one subscribed client now. */
  subscribedTopics: number;
  /** Client subscriptions now (over all clients). */
  subscriptions: number;
}

/** A transient-local topic's last messages, with their log times, for clients that subscribe later. */
class LatchedCache {
  private readonly times: bigint[] = [];
  private readonly datas: Uint8Array[] = [];

  constructor(public depth: number) {}

  push(ns: bigint, data: Uint8Array): void {
    this.times.push(ns);
    this.datas.push(data);
    if (this.datas.length > this.depth) {
      this.times.shift();
      this.datas.shift();
    }
  }

  forEach(fn: (ns: bigint, data: Uint8Array) => void): void {
    for (let i = 0; i < this.datas.length; i++) fn(this.times[i], this.datas[i]);
  }
}

interface Subscriber {
  session: ClientSession;
  channelId: ChannelId;
}

interface TopicEntry {
  state: TopicState;
  schema: string;
  /** Clients subscribed now (replaced, never mutated, so forwarding can iterate it safely). */
  subscribers: readonly Subscriber[];
  cache: LatchedCache | undefined;
  isClock: boolean;
  tap: MessageTap;
  tapped: boolean;
}

const NS_PER_S = 1_000_000_000n;
/** What a keep_all transient-local publisher's topic keeps for late clients. */
const KEEP_ALL_LATCHED = 100;
/** Largest frame a client may send (a client-published message). */
const MAX_CLIENT_FRAME = 16 * 1024 * 1024;

export class FoxgloveLiveView {
  readonly host: string;
  readonly port: number;
  readonly node: RosNode;
  private readonly entries = new Map<string, TopicEntry>();
  private readonly sessions = new Set<ClientSession>();
  private readonly publishers = new Map<TopicState, Publisher<unknown>>();
  private readonly closedTotals = zeroCounters();
  private refusedConnections = 0;
  private readonly capabilities: string[];
  private readonly sessionId = `vil-${Date.now()}`;
  private readonly log: Logger;
  private readonly throttled: ThrottledLog;
  private readonly unobserve: () => void;
  private lastClockNs: bigint | undefined;
  private closed: Promise<void> | undefined;
  private lastReported = zeroCounters();

  private constructor(
    private readonly context: LocalContext,
    private readonly wss: WebSocketServer,
    private readonly options: Required<Pick<LiveViewOptions, 'sendBufferLimit'>>,
    node: RosNode,
  ) {
    const address = wss.address();
    if (address === null || typeof address === 'string') throw new Error('the WebSocket server has no TCP address');
    this.host = address.address;
    this.port = address.port;
    this.node = node;
    this.log = node.logger;
    this.throttled = new ThrottledLog(node.logger);
    this.capabilities = [ServerCapability.clientPublish, ServerCapability.parameters];
    if (node.useSimTime) this.capabilities.push(ServerCapability.time);
    wss.on('connection', (ws, req) => this.connect(ws, req));
    wss.on('error', (e) => this.log.error({ err: e }, `live view server error: ${e.message}`));
    this.unobserve = context.graph.observe({ topicChanged: (state) => this.topicChanged(state) });
    const diagnostics = new Diagnostics(node);
    diagnostics.add('live view', `ws://${this.host}:${this.port}`, () => this.report());
  }

  /** Listens, joins the graph as node `foxglove_server`, and advertises every topic from now on. */
  static async start(context: LocalContext, options: LiveViewOptions): Promise<FoxgloveLiveView> {
    const host = options.host ?? DEFAULT_HOST;
    const wss = new WebSocketServer({
      host,
      port: options.port,
      maxPayload: MAX_CLIENT_FRAME,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'the port is in use (another foxglove_bridge or vil?); choose another with --foxglove PORT' : e.code === 'EADDRNOTAVAIL' ? 'no interface of this machine has that address' : e.message;
        reject(new Error(`the Foxglove live view cannot listen on ${host}:${options.port}: ${why}`));
      });
    });
    let node: RosNode | undefined;
    try {
      node = context.createNode(options.nodeName ?? 'foxglove_server');
      return new FoxgloveLiveView(context, wss, { sendBufferLimit: options.sendBufferLimit ?? 10_000_000 }, node);
    } catch (e) {
      node?.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      throw e;
    }
  }

  stats(): LiveViewStats {
    const total = { ...this.closedTotals };
    for (const s of this.sessions) for (const k of Object.keys(total) as (keyof SessionCounters)[]) total[k] += s.counters[k];
    let subscribedTopics = 0;
    let subscriptions = 0;
    for (const e of this.entries.values()) {
      if (e.subscribers.length > 0) subscribedTopics++;
      subscriptions += e.subscribers.length;
    }
    return { ...total, clients: this.sessions.size, refusedConnections: this.refusedConnections, channels: this.entries.size, subscribedTopics, subscriptions };
  }

  /** Each connected client's own counters (name = its address:port). */
  clients(): { name: string; counters: Readonly<SessionCounters> }[] {
    return [...this.sessions].map((s) => ({ name: s.name, counters: s.counters }));
  }

  /** Closes every connection and the listening socket, removes every tap; the graph goes on. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.unobserve();
      for (const e of this.entries.values()) if (e.tapped) e.state.removeTap(e.tap);
      for (const s of this.sessions) s.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      this.node.destroy();
    })();
    return this.closed;
  }

  // ---- graph → clients

  private topicChanged(state: TopicState): void {
    let e = this.entries.get(state.name);
    if (e && e.state !== state) {
      // All endpoints left and the name came back with another type: a new channel.
      this.removeEntry(e);
      e = undefined;
    }
    if (!e) {
      let schema: string;
      try {
        schema = this.context.graph.registry.schemaText(state.type);
      } catch (err) {
        this.log.error({ topic: state.name, err }, `live view cannot advertise ${state.name}: ${(err as Error).message}`);
        return;
      }
      const entry: TopicEntry = {
        state,
        schema,
        subscribers: [],
        cache: undefined,
        isClock: state.name === '/clock' && state.type === 'rosgraph_msgs/msg/Clock' && this.capabilities.includes(ServerCapability.time),
        tap: (_s, t, data) => this.forward(entry, t, data),
        tapped: false,
      };
      e = entry;
      this.entries.set(state.name, e);
      for (const s of this.sessions) this.advertise(s, e);
    }
    // Latched: any transient-local publisher; keep as many as the deepest of them keeps.
    let depth = 0;
    for (const p of state.publishers) if (p.qos.durability === 'transient_local') depth = Math.max(depth, p.qos.history === 'keep_last' ? p.qos.depth : KEEP_ALL_LATCHED);
    if (depth > 0 && !e.cache) {
      e.cache = new LatchedCache(depth);
      // Published before this server watched: their log time is unknown, so now stands in for it.
      const now = toNs(this.node.now());
      for (const data of state.latched()) e.cache.push(now, data);
    } else if (e.cache && depth > e.cache.depth) e.cache.depth = depth;
    this.updateTap(e);
  }

  private removeEntry(e: TopicEntry): void {
    if (e.tapped) e.state.removeTap(e.tap);
    e.tapped = false;
    this.entries.delete(e.state.name);
    for (const s of this.sessions) {
      const id = s.channelOf.get(e.state);
      if (id === undefined) continue;
      s.channelOf.delete(e.state);
      s.topicOf.delete(id);
      s.server.removeChannel(id);
    }
    e.subscribers = [];
  }

  private advertise(session: ClientSession, e: TopicEntry): void {
    const id = session.server.addChannel({ topic: e.state.name, encoding: 'cdr', schemaName: e.state.type, schema: e.schema, schemaEncoding: 'ros2msg' });
    session.channelOf.set(e.state, id);
    session.topicOf.set(id, e.state);
  }

  /** A tap only while someone needs the topic: a client, the latched cache, or the clock. */
  private updateTap(e: TopicEntry): void {
    const wanted = e.subscribers.length > 0 || e.cache !== undefined || e.isClock;
    if (wanted && !e.tapped) e.state.addTap(e.tap);
    else if (!wanted && e.tapped) e.state.removeTap(e.tap);
    e.tapped = wanted;
  }

  /** The hot path: one message of a tapped topic. Must not throw into the publisher. */
  private forward(e: TopicEntry, t: Time, data: Uint8Array): void {
    try {
      const ns = BigInt(t.sec) * NS_PER_S + BigInt(t.nanosec);
      if (e.cache) e.cache.push(ns, data);
      if (e.isClock) this.clock(data);
      const subs = e.subscribers;
      for (let i = 0; i < subs.length; i++) subs[i].session.sendMessage(subs[i].channelId, ns, data);
    } catch (err) {
      this.throttled.error(`forward ${e.state.name}`, `live view could not forward a message on ${e.state.name}: ${(err as Error).message}`);
    }
  }

  /** rosgraph_msgs/Clock in CDR: 4-byte encapsulation header, then int32 sec, uint32 nanosec. */
  private clock(data: Uint8Array): void {
    if (data.byteLength < 12) return;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const little = data[1] === 1;
    const ns = BigInt(view.getInt32(4, little)) * NS_PER_S + BigInt(view.getUint32(8, little));
    this.lastClockNs = ns;
    for (const s of this.sessions) if (s.open) s.server.broadcastTime(ns);
  }

  // ---- connections

  private connect(ws: WebSocket, req: IncomingMessage): void {
    const name = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (ws.protocol !== SUBPROTOCOL) {
      this.refusedConnections++;
      this.throttled.warn('subprotocol', `live view refused ${name}: it did not ask for the ${SUBPROTOCOL} sub-protocol`);
      ws.close(1002, `${SUBPROTOCOL} sub-protocol required`);
      return;
    }
    const session = new ClientSession(
      name,
      ws,
      { serverName: 'vil live view (local graph)', capabilities: this.capabilities, metadata: { ROS_DISTRO: 'jazzy' }, sessionId: this.sessionId, sendBufferLimit: this.options.sendBufferLimit },
      (s, kind, message) => this.throttled.warn(`${kind} ${s.name}`, `live view client ${s.name}: ${kind === 'malformed' ? 'malformed frame refused' : 'request refused'}: ${message}`),
    );
    const server = session.server;
    server.on('subscribe', (id) => this.subscribe(session, id));
    server.on('unsubscribe', (id) => this.unsubscribe(session, id));
    server.on('advertise', (ch) => this.clientAdvertise(session, ch));
    server.on('unadvertise', ({ channelId }) => session.clientChannels.delete(channelId));
    server.on('message', ({ channel, data }) => this.clientMessage(session, channel, data));
    server.on('getParameters', ({ parameterNames, id }) => server.publishParameterValues(this.parameters(parameterNames), id, session.socket));
    server.on('setParameters', ({ parameters, id }) => {
      session.refuse(`parameters are read-only in vil's live view (set them with --ros-args -p or a params file and restart): ${parameters.map((p) => p.name).join(', ')}`);
      // The app updates its copy when it asks; the current values put it right.
      server.publishParameterValues(this.parameters(parameters.map((p) => p.name)), id, session.socket);
    });
    for (const e of this.entries.values()) this.advertise(session, e);
    this.sessions.add(session);
    ws.on('close', () => {
      this.sessions.delete(session);
      for (const k of Object.keys(this.closedTotals) as (keyof SessionCounters)[]) this.closedTotals[k] += session.counters[k];
      this.log.info({ client: name }, `live view client ${name} disconnected`);
    });
    session.start();
    if (this.lastClockNs !== undefined) server.broadcastTime(this.lastClockNs);
    this.log.info({ client: name }, `live view client ${name} connected`);
  }

  private entryOf(session: ClientSession, channelId: ChannelId): TopicEntry | undefined {
    const state = session.topicOf.get(channelId);
    const e = state && this.entries.get(state.name);
    return e && e.state === state ? e : undefined;
  }

  private subscribe(session: ClientSession, channelId: ChannelId): void {
    const e = this.entryOf(session, channelId);
    if (!e) return;
    e.subscribers = [...e.subscribers, { session, channelId }];
    // A late joiner gets what a transient-local publisher kept, as a ROS subscriber would.
    e.cache?.forEach((ns, data) => session.sendMessage(channelId, ns, data));
    this.updateTap(e);
  }

  private unsubscribe(session: ClientSession, channelId: ChannelId): void {
    const e = this.entryOf(session, channelId);
    if (!e) return;
    e.subscribers = e.subscribers.filter((s) => s.session !== session);
    this.updateTap(e);
  }

  // ---- clients → graph

  private clientAdvertise(session: ClientSession, ch: ClientChannel): void {
    const refuse = (why: string) => {
      session.clientChannels.set(ch.id, { refused: why });
      session.refuse(`cannot publish on ${ch.topic}: ${why}`);
    };
    if (ch.encoding !== 'cdr') return refuse(`encoding "${ch.encoding}" is not supported; this server takes "cdr" (ROS 2 CDR)`);
    const state = this.context.graph.topic(ch.topic);
    const self = this.node.namespace === '/' ? `/${this.node.name}` : `${this.node.namespace}/${this.node.name}`;
    const readers = state ? [...state.subscriptions].filter((s) => s.owner.fqn !== self) : [];
    if (!state || readers.length === 0) {
      const subscribed = [...this.entries.values()].filter((e) => e.state.subscriptions.size > 0).map((e) => e.state.name);
      return refuse(`no vil node subscribes to it; clients may publish only onto topics vil subscribes to (${subscribed.join(', ') || 'none now'})`);
    }
    if (typeKey(ch.schemaName) === undefined || typeKey(ch.schemaName) !== typeKey(state.type)) return refuse(`the topic carries ${state.type}, not "${ch.schemaName}"`);
    let publisher = this.publishers.get(state);
    if (!publisher) {
      // Reliable (matches every reader); transient local only when a reader asks for it.
      const qos: QosSettings = { reliability: 'reliable', durability: readers.some((r) => r.qos.durability === 'transient_local') ? 'transient_local' : 'volatile', history: 'keep_last', depth: 10 };
      publisher = this.node.createPublisher<unknown>(state.type, state.name, qos);
      this.publishers.set(state, publisher);
    }
    session.clientChannels.set(ch.id, { state, publisher });
    this.log.info({ client: session.name, topic: ch.topic }, `live view client ${session.name} publishes on ${ch.topic}`);
  }

  private clientMessage(session: ClientSession, channel: ClientChannel, data: ArrayBufferView): void {
    const c = session.clientChannels.get(channel.id);
    if (!c || 'refused' in c) {
      session.refuse(`message on ${channel.topic} not published: ${c ? c.refused : 'the channel was not accepted'}`);
      return;
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let message: unknown;
    try {
      message = c.state.codec.decode(bytes);
    } catch (e) {
      session.refuse(`message on ${channel.topic} is not ${c.state.type} in CDR: ${(e as Error).message}`);
      return;
    }
    try {
      c.publisher.publish(message);
    } catch (e) {
      session.refuse(`message on ${channel.topic} not published: ${(e as Error).message}`);
      return;
    }
    session.counters.clientMessages++;
  }

  // ---- parameters, diagnostics

  /** foxglove_bridge's naming: "<fully qualified node>.<parameter>"; all of them for no names. */
  private parameters(names: readonly string[]): Parameter[] {
    const all = this.context.parameters().map(toParameter);
    if (names.length === 0) return all;
    const wanted = new Set(names);
    return all.filter((p) => wanted.has(p.name));
  }

  private report() {
    const s = this.stats();
    const last = this.lastReported;
    const newDrops = s.messagesDropped - last.messagesDropped;
    const newMalformed = s.malformedFrames - last.malformedFrames;
    this.lastReported = { ...s };
    const values: Record<string, number | string> = {
      clients: s.clients,
      channels: s.channels,
      subscribed_topics: s.subscribedTopics,
      subscriptions: s.subscriptions,
      messages_sent: s.messagesSent,
      bytes_sent: s.bytesSent,
      messages_dropped_slow_clients: s.messagesDropped,
      malformed_frames: s.malformedFrames,
      refused_requests: s.refusedRequests,
      refused_connections: s.refusedConnections,
      client_messages_published: s.clientMessages,
    };
    for (const c of this.sessions) values[`client ${c.name}`] = `sent ${c.counters.messagesSent}, dropped ${c.counters.messagesDropped}, malformed ${c.counters.malformedFrames}`;
    const problems = [newDrops > 0 ? `${newDrops} messages dropped for slow clients` : '', newMalformed > 0 ? `${newMalformed} malformed client frames` : ''].filter(Boolean);
    return {
      level: problems.length ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
      message: problems.length ? problems.join(', ') : `${s.clients} client(s), ${s.subscribedTopics} topic(s) subscribed`,
      values,
    };
  }
}

function toNs(t: Time): bigint {
  return BigInt(t.sec) * NS_PER_S + BigInt(t.nanosec);
}

function toParameter(p: DeclaredParameter): Parameter {
  const name = `${p.node}.${p.name}`;
  if (p.type === 'double') return { name, value: p.value as number, type: 'float64' };
  if (p.type === 'double_array') return { name, value: p.value as number[], type: 'float64_array' };
  return { name, value: p.value as ParameterValue };
}

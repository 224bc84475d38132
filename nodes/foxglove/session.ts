// One connected client. Each gets its own instance of the library's FoxgloveServer, which then
// tracks exactly this client's subscriptions and advertisements (its events need no client lookup,
// and a message goes to this client only). Around it: the bound on what may wait for a slow client
// (ws's bufferedAmount: above the limit a message is dropped and counted, never queued), and a
// screen for what the library would silently ignore or only throw on (refused with a status
// message and counted).
import type { WebSocket } from 'ws';
import type { TopicState } from '../runtime/local/graph.js';
import type { Publisher } from '../runtime/ros.js';
import { ClientBinaryOpcode, FoxgloveServer, StatusLevel, type ChannelId, type IWebSocket } from './protocol.js';

export interface SessionCounters {
  /** Message Data frames sent. */
  messagesSent: number;
  /** Messages not sent because the client's send buffer was over the limit. */
  messagesDropped: number;
  bytesSent: number;
  /** Frames that break the protocol: bad JSON, unknown op, bad fields, unknown binary opcode or channel. */
  malformedFrames: number;
  /** Well-formed requests this server does not do: set parameters, publish on a topic no node subscribes to, ... */
  refusedRequests: number;
  /** Messages the client published that went into the graph. */
  clientMessages: number;
}

export function zeroCounters(): SessionCounters {
  return { messagesSent: 0, messagesDropped: 0, bytesSent: 0, malformedFrames: 0, refusedRequests: 0, clientMessages: 0 };
}

/** A channel the client advertised: accepted (with the graph publisher it feeds) or refused (why). */
export type ClientChannelState = { state: TopicState; publisher: Publisher<unknown> } | { refused: string };

export interface SessionOptions {
  serverName: string;
  capabilities: string[];
  metadata: Record<string, string>;
  sessionId: string;
  /** Bytes that may wait in the client's socket before messages are dropped. */
  sendBufferLimit: number;
}

/** Ops a client may send and the library handles; everything else is refused here. */
const HANDLED_OPS = new Set(['subscribe', 'unsubscribe', 'advertise', 'unadvertise', 'getParameters', 'setParameters']);
/** Ops of capabilities this server does not declare: the library would ignore them without a word. */
const UNOFFERED_OPS = new Set(['subscribeParameterUpdates', 'unsubscribeParameterUpdates', 'subscribeConnectionGraph', 'unsubscribeConnectionGraph', 'fetchAsset']);

/** Foxglove's own wording (foxglove_bridge): the app shows a tip about slow connections with it. */
const SEND_BUFFER_STATUS = 'Send buffer limit reached';
const DROP_STATUS_INTERVAL_MS = 2000;

const isUint32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The library's view of the socket: ws underneath, with incoming frames passed through `screen`. */
class ScreenedSocket implements IWebSocket {
  binaryType = 'arraybuffer';
  onerror: ((event: unknown) => void) | null | undefined;
  onopen: ((event: unknown) => void) | null | undefined;
  onclose: ((event: unknown) => void) | null | undefined;
  onmessage: ((event: unknown) => void) | null | undefined;

  constructor(
    readonly ws: WebSocket,
    screen: (data: Buffer, isBinary: boolean) => boolean,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!screen(data, isBinary)) return;
      // Binary as a view (parseClientMessage reads views); text as the string the library parses.
      this.onmessage?.({ data: isBinary ? data : data.toString('utf8') });
    });
    ws.on('close', (code: number, reason: Buffer) => this.onclose?.({ code, reason: reason.toString(), wasClean: code === 1000 }));
    ws.on('error', (e) => this.onerror?.(e));
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  // One parameter: the library then sends a message's 13-byte header and payload as one frame
  // (a copy of the payload; for CAN frames it measured 4.4 µs per message against 5.1 µs for two
  // fragments, test/bench/foxglove.bench.ts).
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.close();
  }
}

export class ClientSession {
  readonly server: FoxgloveServer;
  readonly socket: ScreenedSocket;
  readonly counters = zeroCounters();
  /** Channel ids are per session: the library numbers them per server instance. */
  readonly channelOf = new Map<TopicState, ChannelId>();
  readonly topicOf = new Map<ChannelId, TopicState>();
  readonly clientChannels = new Map<number, ClientChannelState>();
  private lastDropStatus = -Infinity;
  private readonly limit: number;

  constructor(
    readonly name: string,
    ws: WebSocket,
    options: SessionOptions,
    private readonly onProblem: (session: ClientSession, kind: 'malformed' | 'refused', message: string) => void,
  ) {
    this.limit = options.sendBufferLimit;
    this.server = new FoxgloveServer({ name: options.serverName, capabilities: options.capabilities, supportedEncodings: ['cdr'], metadata: options.metadata, sessionId: options.sessionId });
    this.socket = new ScreenedSocket(ws, (data, isBinary) => (isBinary ? this.screenBinary(data) : this.screenText(data)));
    // What the library throws on (a frame it cannot parse, message data for a channel the client
    // never advertised, a malformed request body) arrives here, from this client only.
    this.server.on('error', (e) => this.malformed(e.message));
  }

  get open(): boolean {
    return this.socket.ws.readyState === this.socket.ws.OPEN;
  }

  /** Starts the protocol: server info, then every channel added so far. */
  start(): void {
    this.server.handleConnection(this.socket, this.name);
  }

  /** Sends one message unless the client is too far behind (then counts it). Returns whether sent. */
  sendMessage(channelId: ChannelId, timestampNs: bigint, data: Uint8Array): boolean {
    const ws = this.socket.ws;
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > this.limit) {
      this.counters.messagesDropped++;
      const now = performance.now();
      if (now - this.lastDropStatus >= DROP_STATUS_INTERVAL_MS) {
        this.lastDropStatus = now;
        this.server.sendStatus({ level: StatusLevel.WARNING, message: SEND_BUFFER_STATUS }, this.socket);
      }
      return false;
    }
    this.server.sendMessage(channelId, timestampNs, data);
    this.counters.messagesSent++;
    this.counters.bytesSent += data.byteLength + 13;
    return true;
  }

  /** A status to this client, unless its buffer is full (a stalled client would only pile them up). */
  status(level: StatusLevel, message: string): void {
    const ws = this.socket.ws;
    if (ws.readyState !== ws.OPEN || ws.bufferedAmount > this.limit) return;
    this.server.sendStatus({ level, message }, this.socket);
  }

  malformed(message: string): void {
    this.counters.malformedFrames++;
    this.status(StatusLevel.ERROR, `malformed frame refused: ${message}`);
    this.onProblem(this, 'malformed', message);
  }

  refuse(message: string): void {
    this.counters.refusedRequests++;
    this.status(StatusLevel.ERROR, message);
    this.onProblem(this, 'refused', message);
  }

  terminate(): void {
    this.socket.ws.terminate();
  }

  private screenBinary(data: Buffer): boolean {
    if (data.length < 5 || data[0] !== ClientBinaryOpcode.MESSAGE_DATA) {
      const what = data.length === 0 ? 'an empty binary frame' : data[0] === ClientBinaryOpcode.MESSAGE_DATA ? `a Message Data frame of ${data.length} bytes (header is 5)` : `binary opcode 0x${data[0].toString(16)} (only 0x01, client Message Data, is accepted)`;
      this.malformed(what);
      return false;
    }
    return true;
  }

  private screenText(data: Buffer): boolean {
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch (e) {
      this.malformed(`text frame is not JSON (${(e as Error).message})`);
      return false;
    }
    if (!isObject(msg) || typeof msg.op !== 'string') {
      this.malformed('a text frame must be a JSON object with a string "op"');
      return false;
    }
    const op = msg.op;
    if (UNOFFERED_OPS.has(op)) {
      this.refuse(`"${op}" is not offered by this server (capabilities: ${this.server.capabilities.join(', ')})`);
      return false;
    }
    if (!HANDLED_OPS.has(op)) {
      this.malformed(`unknown op ${JSON.stringify(op)}`);
      return false;
    }
    const problem = fieldProblem(op, msg, this.topicOf);
    if (problem) {
      this.malformed(`${op}: ${problem}`);
      return false;
    }
    return true;
  }
}

/** What is wrong with a request's fields (the library trusts them), or undefined. */
function fieldProblem(op: string, msg: Record<string, unknown>, channels: ReadonlyMap<ChannelId, unknown>): string | undefined {
  const list = (key: string, check: (v: unknown) => boolean, what: string): string | undefined => {
    const v = msg[key];
    if (!Array.isArray(v)) return `"${key}" must be an array`;
    const bad = v.findIndex((x) => !check(x));
    return bad >= 0 ? `"${key}[${bad}]" must be ${what}` : undefined;
  };
  switch (op) {
    case 'subscribe': {
      const p = list('subscriptions', (s) => isObject(s) && isUint32(s.id) && isUint32(s.channelId), '{id, channelId} with unsigned 32-bit integers');
      if (p) return p;
      const unknown = (msg.subscriptions as { channelId: number }[]).find((s) => !channels.has(s.channelId));
      return unknown ? `channel ${unknown.channelId} was never advertised` : undefined;
    }
    case 'unsubscribe':
      return list('subscriptionIds', isUint32, 'an unsigned 32-bit integer');
    case 'advertise':
      return list('channels', (c) => isObject(c) && isUint32(c.id) && typeof c.topic === 'string' && typeof c.encoding === 'string' && typeof c.schemaName === 'string', '{id, topic, encoding, schemaName}');
    case 'unadvertise':
      return list('channelIds', isUint32, 'an unsigned 32-bit integer');
    case 'getParameters':
      return list('parameterNames', (n) => typeof n === 'string', 'a string');
    case 'setParameters':
      return list('parameters', (p) => isObject(p) && typeof p.name === 'string', '{name, value}');
    default:
      return undefined;
  }
}

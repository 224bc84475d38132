// The in-process ROS graph: topics with one type each, publishers that check and serialise to
// CDR (nodes/cdr, the codec rclnodejs publishers use too), subscriptions with their own queue (keep_last drops the oldest, keep_all grows), delivery
// by deserialising in setImmediate batches (asynchronous like a real middleware), QoS matching as
// in ROS 2, transient-local history for late joiners, statistics, an optional recorder, and
// backpressure for replays (a source that awaits backpressure() never makes a queue drop).
import type { Logger } from 'pino';
import type { Publisher, QosSettings, Subscription, Time } from '../ros.js';
import { messageRegistry, typeKey, typeName, type MessageRegistry } from '../msg_registry.js';
import { codecFor, type CdrCodec } from '../codecs.js';
import { CdrError, FieldError } from '../../cdr/errors.js';
import { ThrottledLog } from '../logger.js';
import { MessageDecodeError, MessageValidationError } from '../errors.js';

export { MessageDecodeError, MessageValidationError } from '../errors.js';
import { describeQos, incompatiblePolicy, type IncompatiblePolicy } from './qos.js';

/** What the graph needs from the node owning an endpoint. */
export interface EndpointOwner {
  /** Fully qualified node name, e.g. "/vil/rtk_serial". */
  readonly fqn: string;
  readonly logger: Logger;
  /** The node's ROS clock (recording log time). */
  now(): Time;
}

export interface TopicStats {
  topic: string;
  type: string;
  publishers: number;
  subscriptions: number;
  /** Messages published. */
  messages: number;
  /** CDR bytes published (encapsulation header included). */
  bytes: number;
  /** Messages a keep_last subscription queue dropped because its reader fell behind. */
  dropped: number;
  /** Messages a subscription could not decode (corrupted CDR): left out and counted. */
  undecodable: number;
}

export interface QosIncompatibility {
  topic: string;
  publisherNode: string;
  subscriptionNode: string;
  policy: IncompatiblePolicy;
}

export interface RecordingStats {
  path: string;
  /** Messages written to the file so far. */
  messages: number;
  bytes: number;
  /** Largest number of messages that waited for the writer at once. */
  maxBacklog: number;
  /** Messages left out because the writer fell too far behind (memory bound). */
  dropped: number;
  /** Set when writing failed: recording stopped, the graph went on. */
  error?: string;
}

/** Where the graph sends every published message when recording. */
export interface MessageSink {
  /** Must not block: queue and return. */
  write(topic: TopicState, logTime: Time, data: Uint8Array): void;
  close(): Promise<void>;
  readonly stats: RecordingStats;
}

/**
 * Given every message of a topic it was added to: the publisher's ROS time (sim time under
 * use_sim_time) and the CDR bytes, shared with the subscriptions (read them, never change them).
 * Called inside publish(): it must return quickly and must not throw.
 */
export type MessageTap = (topic: TopicState, logTime: Time, data: Uint8Array) => void;

/** Watches the graph from outside (a live view): told whenever a topic gets an endpoint. */
export interface GraphObserver {
  /** The first call for a TopicState is its appearance; later calls: another publisher or subscription. */
  topicChanged(topic: TopicState): void;
}

/** Bounded FIFO of CDR buffers; grows when unbounded (keep_all). */
class ByteQueue {
  private buf: (Uint8Array | undefined)[];
  private head = 0;
  length = 0;

  constructor(private readonly capacity: number) {
    this.buf = new Array<Uint8Array | undefined>(Number.isFinite(capacity) ? capacity : 16);
  }

  /** Returns true when the oldest entry had to be dropped. */
  push(b: Uint8Array): boolean {
    if (this.length === this.capacity) {
      this.buf[this.head] = b;
      this.head = (this.head + 1) % this.buf.length;
      return true;
    }
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) % this.buf.length] = b;
    this.length++;
    return false;
  }

  shift(): Uint8Array | undefined {
    if (this.length === 0) return undefined;
    const b = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.length--;
    return b;
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.length = 0;
  }

  /** Oldest first. */
  toArray(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.buf[(this.head + i) % this.buf.length]!);
    return out;
  }

  private grow(): void {
    const next = new Array<Uint8Array | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}

export class TopicState {
  readonly publishers = new Set<LocalPublisher<unknown>>();
  readonly subscriptions = new Set<LocalSubscription<unknown>>();
  messages = 0;
  bytes = 0;
  dropped = 0;
  undecodable = 0;
  /** Set by the recorder: its channel for this topic. */
  channelId: number | undefined;
  /** Set by the recorder at the topic's first message: the publishers' QoS then (for its channel). */
  offeredQos: QosSettings[] | undefined;
  /** Who gets this topic's messages besides its subscriptions; empty costs publish() one check. */
  taps: readonly MessageTap[] = [];

  constructor(
    readonly name: string,
    readonly type: string,
    readonly codec: CdrCodec,
  ) {}

  get endpoints(): number {
    return this.publishers.size + this.subscriptions.size;
  }

  addTap(tap: MessageTap): void {
    if (!this.taps.includes(tap)) this.taps = [...this.taps, tap];
  }

  removeTap(tap: MessageTap): void {
    this.taps = this.taps.filter((t) => t !== tap);
  }

  /** What the transient-local publishers keep for late joiners, oldest first per publisher. */
  latched(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const p of this.publishers) if (p.history) out.push(...p.history.toArray());
    return out;
  }
}

export class LocalPublisher<T> implements Publisher<T> {
  /** Compatible subscriptions; rebuilt when endpoints come and go. */
  matched: LocalSubscription<unknown>[] = [];
  /** Transient local: the last `depth` messages, for subscriptions that join later. */
  readonly history: ByteQueue | undefined;
  destroyed = false;

  constructor(
    private readonly graph: LocalGraph,
    readonly owner: EndpointOwner,
    readonly state: TopicState,
    readonly qos: QosSettings,
  ) {
    this.history = qos.durability === 'transient_local' ? new ByteQueue(qos.history === 'keep_last' ? qos.depth : Infinity) : undefined;
  }

  get topic(): string {
    return this.state.name;
  }

  get type(): string {
    return this.state.type;
  }

  publish(message: T): void {
    if (this.destroyed) throw new Error(`publish on ${this.state.name}: the publisher (node ${this.owner.fqn}) was destroyed`);
    const state = this.state;
    let bytes: Uint8Array;
    try {
      // Checks every value as it writes it; a refusal is explained by the validator (path, problem).
      bytes = state.codec.encode(message);
    } catch (e) {
      if (e instanceof FieldError) throw new MessageValidationError(state.name, state.type, e.path, e.problem);
      throw e;
    }
    state.messages++;
    state.bytes += bytes.byteLength;
    const matched = this.matched;
    for (let i = 0; i < matched.length; i++) matched[i].enqueue(bytes);
    if (this.history) this.history.push(bytes);
    const graph = this.graph;
    if (graph.dataTime !== undefined) graph.advanceDataTime(message);
    const sink = graph.sink;
    // The sink copies the time; with a data clock it is the graph's own (no copy per message).
    if (sink) sink.write(state, graph.dataTime ?? this.owner.now(), bytes);
    const taps = state.taps;
    if (taps.length !== 0) {
      const logTime = graph.dataTime ?? this.owner.now();
      for (let i = 0; i < taps.length; i++) taps[i](state, logTime, bytes);
    }
  }
}

/** keep_all queues: a replay waits above this many messages (memory stays bounded). */
const KEEP_ALL_HIGH_WATER = 1000;

export class LocalSubscription<T> implements Subscription {
  private readonly queue: ByteQueue;
  /**
   * Queue length from which the graph reports pressure: half a keep_last depth (at least 1), so a
   * replay that waits before its next message always leaves room for one more per subscription.
   */
  private readonly highWater: number;
  scheduled = false;
  destroyed = false;
  dropped = 0;
  received = 0;
  /** Messages that arrived as bytes the codec refused (see MessageDecodeError). */
  undecodable = 0;
  private log: ThrottledLog | undefined;

  constructor(
    private readonly graph: LocalGraph,
    readonly owner: EndpointOwner,
    readonly state: TopicState,
    readonly qos: QosSettings,
    private readonly callback: (message: T) => void,
  ) {
    this.queue = new ByteQueue(qos.history === 'keep_last' ? qos.depth : Infinity);
    this.highWater = qos.history === 'keep_last' ? Math.max(1, Math.ceil(qos.depth / 2)) : KEEP_ALL_HIGH_WATER;
  }

  get topic(): string {
    return this.state.name;
  }

  get type(): string {
    return this.state.type;
  }

  enqueue(bytes: Uint8Array): void {
    if (this.queue.push(bytes)) {
      this.dropped++;
      this.state.dropped++;
    }
    if (this.queue.length >= this.highWater) this.graph.pressured = true;
    if (!this.scheduled) {
      this.scheduled = true;
      this.graph.schedule(this as LocalSubscription<unknown>);
    }
  }

  /** Delivers what is queued now; what callbacks publish meanwhile waits for the next batch. */
  drain(): void {
    this.scheduled = false;
    let n = this.queue.length;
    while (n-- > 0 && !this.destroyed) {
      const bytes = this.queue.shift()!;
      let message: T;
      try {
        message = this.state.codec.decode<T>(bytes);
      } catch (e) {
        this.undecodable++;
        this.state.undecodable++;
        this.graph.undecodable++;
        const err = e instanceof CdrError ? new MessageDecodeError(this.state.name, this.state.type, e.path, e.offset, e.problem) : e;
        this.log ??= new ThrottledLog(this.owner.logger);
        this.log.error(`undecodable:${this.state.name}`, `${(err as Error).message ?? String(err)} (left out; ${this.undecodable} so far)`, { topic: this.state.name, type: this.state.type, err });
        continue;
      }
      this.received++;
      try {
        this.callback(message);
      } catch (e) {
        this.graph.callbackErrors++;
        this.owner.logger.error({ topic: this.state.name, err: e }, `subscription callback on ${this.state.name} threw: ${(e as Error)?.message ?? String(e)}`);
      }
    }
  }

  clear(): void {
    this.queue.clear();
  }
}

export class LocalGraph {
  readonly registry: MessageRegistry;
  sink: MessageSink | undefined;
  callbackErrors = 0;
  /** Messages subscriptions could not decode, over all topics. */
  undecodable = 0;
  /**
   * With a data clock: the latest header stamp published on the graph (never earlier than the
   * clock's start). Undefined otherwise.
   */
  dataTime: Time | undefined;
  /**
   * Set when a subscription queue reached its high-water mark; cleared once everything queued has
   * been delivered. Read through backpressure().
   */
  pressured = false;
  private readonly sinkStats: RecordingStats | undefined;
  private readonly topics = new Map<string, TopicState>();
  private pending: LocalSubscription<unknown>[] = [];
  private spare: LocalSubscription<unknown>[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private readonly incompatible: QosIncompatibility[] = [];
  private idleWaiters: (() => void)[] = [];
  private observers: GraphObserver[] = [];
  private closed = false;

  constructor(options: { registry?: MessageRegistry; sink?: MessageSink; dataClockStart?: Time } = {}) {
    this.registry = options.registry ?? messageRegistry();
    this.sink = options.sink;
    this.sinkStats = options.sink?.stats;
    if (options.dataClockStart) this.dataTime = { sec: options.dataClockStart.sec, nanosec: options.dataClockStart.nanosec };
  }

  /** Moves the data clock to a message's header stamp when that is later. */
  advanceDataTime(message: unknown): void {
    const stamp = (message as { header?: { stamp?: Time } } | null)?.header?.stamp;
    const t = this.dataTime!;
    if (stamp === undefined || stamp.sec < t.sec || (stamp.sec === t.sec && stamp.nanosec <= t.nanosec)) return;
    t.sec = stamp.sec;
    t.nanosec = stamp.nanosec;
  }

  /** The recorder's figures (live object), when recording. */
  recording(): RecordingStats | undefined {
    return this.sinkStats;
  }

  /** "pkg/msg/Type" for any accepted spelling; throws for an unknown type. */
  private normaliseType(type: string): string {
    const key = typeKey(type);
    if (key === undefined || !this.registry.has(type)) this.registry.fields(type); // throws the registry's explanation
    return typeName(key!);
  }

  private topicFor(name: string, type: string, owner: EndpointOwner, kind: string): TopicState {
    const t = this.normaliseType(type);
    let state = this.topics.get(name);
    if (state && state.type !== t) {
      if (state.endpoints > 0) {
        const who = [...[...state.publishers].map((p) => `publisher in ${p.owner.fqn}`), ...[...state.subscriptions].map((s) => `subscription in ${s.owner.fqn}`)];
        throw new Error(
          `topic ${name} already carries ${state.type} (${who.join(', ')}); node ${owner.fqn} cannot create a ${kind} of ${t} on it. ` +
            'A ROS 2 topic has one type: use another topic name or remap one side.',
        );
      }
      state = undefined;
    }
    if (!state) {
      state = new TopicState(name, t, codecFor(t, this.registry));
      this.topics.set(name, state);
    }
    return state;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the local ROS graph was shut down');
  }

  addPublisher<T>(owner: EndpointOwner, type: string, topic: string, qos: QosSettings): LocalPublisher<T> {
    this.assertOpen();
    const state = this.topicFor(topic, type, owner, 'publisher');
    const pub = new LocalPublisher<T>(this, owner, state, qos);
    state.publishers.add(pub as LocalPublisher<unknown>);
    for (const sub of state.subscriptions) this.connect(pub as LocalPublisher<unknown>, sub);
    this.topicChanged(state);
    return pub;
  }

  addSubscription<T>(owner: EndpointOwner, type: string, topic: string, qos: QosSettings, callback: (m: T) => void): LocalSubscription<T> {
    this.assertOpen();
    const state = this.topicFor(topic, type, owner, 'subscription');
    const sub = new LocalSubscription<T>(this, owner, state, qos, callback);
    state.subscriptions.add(sub as LocalSubscription<unknown>);
    for (const pub of state.publishers) this.connect(pub, sub as LocalSubscription<unknown>);
    this.topicChanged(state);
    return sub;
  }

  private connect(pub: LocalPublisher<unknown>, sub: LocalSubscription<unknown>): void {
    const policy = incompatiblePolicy(pub.qos, sub.qos);
    if (policy) {
      this.incompatible.push({ topic: pub.topic, publisherNode: pub.owner.fqn, subscriptionNode: sub.owner.fqn, policy });
      // rcl's default QoS event handlers log on both sides, once per discovered pair.
      pub.owner.logger.warn(
        { topic: pub.topic, subscription: sub.owner.fqn, offered: describeQos(pub.qos), requested: describeQos(sub.qos) },
        `New subscription discovered on topic '${pub.topic}', requesting incompatible QoS. No messages will be sent to it. Last incompatible policy: ${policy}_QOS_POLICY`,
      );
      sub.owner.logger.warn(
        { topic: pub.topic, publisher: pub.owner.fqn, offered: describeQos(pub.qos), requested: describeQos(sub.qos) },
        `New publisher discovered on topic '${pub.topic}', offering incompatible QoS. No messages will be received from it. Last incompatible policy: ${policy}_QOS_POLICY`,
      );
      return;
    }
    pub.matched = [...pub.matched, sub];
    // A transient-local reader gets what a transient-local writer kept; a volatile reader does not.
    if (pub.history && sub.qos.durability === 'transient_local') {
      for (const bytes of pub.history.toArray()) sub.enqueue(bytes);
    }
  }

  removePublisher(pub: LocalPublisher<unknown>): void {
    if (pub.destroyed) return;
    pub.destroyed = true;
    pub.matched = [];
    pub.state.publishers.delete(pub);
  }

  removeSubscription(sub: LocalSubscription<unknown>): void {
    if (sub.destroyed) return;
    sub.destroyed = true;
    sub.clear();
    sub.state.subscriptions.delete(sub);
    for (const pub of sub.state.publishers) {
      if (pub.matched.includes(sub)) pub.matched = pub.matched.filter((s) => s !== sub);
    }
  }

  /** Tells `observer` of every topic now and of every endpoint added later; returns the way to stop. */
  observe(observer: GraphObserver): () => void {
    this.observers = [...this.observers, observer];
    for (const state of this.topics.values()) if (state.endpoints > 0) observer.topicChanged(state);
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  /** The topic of that name, if any endpoint ever used it. */
  topic(name: string): TopicState | undefined {
    return this.topics.get(name);
  }

  private topicChanged(state: TopicState): void {
    for (const o of this.observers) o.topicChanged(state);
  }

  /** Called by a subscription whose queue went from idle to non-empty. */
  schedule(sub: LocalSubscription<unknown>): void {
    this.pending.push(sub);
    if (this.immediate === undefined && !this.closed) this.immediate = setImmediate(this.deliver);
  }

  private readonly deliver = (): void => {
    this.immediate = undefined;
    const batch = this.pending;
    this.pending = this.spare;
    for (let i = 0; i < batch.length; i++) batch[i].drain();
    batch.length = 0;
    this.spare = batch;
    if (this.pending.length === 0) this.pressured = false;
    if (this.pending.length === 0 && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  /** Resolves when every queued message has been delivered (including what callbacks published). */
  idle(): Promise<void> {
    if (this.pending.length === 0 && this.immediate === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * For replay sources (a recording played as fast as it can, or catching up after a stall): a
   * promise to await before publishing more when a subscription queue is at half its depth (or a
   * keep_all queue at 1000), resolved when every queue has been delivered; undefined when nothing
   * needs to wait. A source that checks it after each message it publishes cannot make a keep_last
   * queue drop, whatever the machine's load.
   */
  backpressure(): Promise<void> | undefined {
    return this.pressured ? this.idle() : undefined;
  }

  stats(): TopicStats[] {
    return [...this.topics.values()]
      .map((t) => ({ topic: t.name, type: t.type, publishers: t.publishers.size, subscriptions: t.subscriptions.size, messages: t.messages, bytes: t.bytes, dropped: t.dropped, undecodable: t.undecodable }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** Every publisher/subscription pair that did not connect because of QoS, in discovery order. */
  qosIncompatibilities(): readonly QosIncompatibility[] {
    return this.incompatible;
  }

  /** Stops delivery and closes the recorder (flushing it). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    for (const s of this.pending) s.scheduled = false;
    this.pending = [];
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
    const sink = this.sink;
    this.sink = undefined;
    if (sink) await sink.close();
  }
}

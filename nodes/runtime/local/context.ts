// The local ROS implementation of the port (nodes/runtime/ros.ts): nodes on an in-process graph,
// with rcl's naming, remapping and parameter rules, the ROS clock (system time, or /clock with
// use_sim_time), pino loggers, wall timers, and optional MCAP recording of everything published.
import type { Logger } from 'pino';
import type { CreateNodeOptions, Publisher, Qos, RosContext, RosNode, Subscription, Time, Timer } from '../ros.js';
import { closestName, coerce, collectOverrides, didYouMean, fullyQualifiedName, normaliseNamespace, resolveParams, unusedOverrideNotes, type ParamOverride, type ParamSpec, type ParamSpecs, type ParamValues, type RosArgs } from '../params.js';
import { nodeLogger, rootLogger } from '../logger.js';
import { messageRegistry } from '../msg_registry.js';
import { LocalGraph, type EndpointOwner, type LocalPublisher, type LocalSubscription } from './graph.js';
import { resolveTopicName, validateNamespace, validateNodeName } from './names.js';
import { CLOCK_QOS, resolveQos } from './qos.js';
import { McapRecorder } from './recorder.js';
import type { Rosbag2WriterOptions } from './rosbag2_mcap.js';
import { wallNow } from './wall_clock.js';

/** A declared parameter of a node on the local graph, with the value it started with. */
export interface DeclaredParameter {
  /** Fully qualified node name, e.g. "/rtk_serial". */
  node: string;
  name: string;
  type: ParamSpec['type'];
  value: unknown;
}

export interface LocalContext extends RosContext {
  readonly graph: LocalGraph;
  /** Every parameter the live nodes declared (and use_sim_time, which every ROS node has). */
  parameters(): DeclaredParameter[];
}

export interface LocalContextOptions {
  /** Write every published message to this MCAP file (closed on shutdown). */
  recordPath?: string;
  /** Options of the recording (chunk compression, ...). */
  record?: Omit<Rosbag2WriterOptions, 'fileName'>;
  /**
   * The ROS clock of every node follows the data instead of the system clock: it is the latest
   * header stamp published on the graph, never earlier than `start`. For tools that push recorded
   * data through the nodes as fast as possible (vil import): stamps, log times and diagnostics
   * then read as if the data had come in live.
   */
  dataClock?: { start: Time };
}

const USE_SIM_TIME_SPEC: ParamSpec = { type: 'bool', default: false, description: 'use /clock as the ROS clock' };

interface ClockMsg {
  clock: Time;
}

class LocalNode implements RosNode, EndpointOwner {
  readonly name: string;
  readonly namespace: string;
  readonly fqn: string;
  readonly logger: Logger;
  readonly useSimTime: boolean;
  private readonly overrides: Map<string, ParamOverride>;
  private readonly declared = new Set<string>();
  /** Declared parameters with their values, for parameter introspection (a live view). */
  readonly parameterValues = new Map<string, { type: ParamSpec['type']; value: unknown }>();
  private readonly warnedUnknown = new Set<string>();
  private unknownCheck: NodeJS.Immediate | undefined;
  private readonly publishers = new Set<LocalPublisher<unknown>>();
  private readonly subscriptions = new Set<LocalSubscription<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private simTime: Time = { sec: 0, nanosec: 0 };
  destroyed = false;

  constructor(
    private readonly context: LocalContextImpl,
    private readonly args: RosArgs,
    name: string,
    options: CreateNodeOptions,
  ) {
    this.name = args.nodeName ?? name;
    validateNodeName(this.name);
    this.namespace = args.namespace ?? normaliseNamespace(options.namespace ?? '/');
    validateNamespace(this.namespace);
    this.fqn = fullyQualifiedName(this.namespace, this.name);
    // rcl's logger name: the namespace's segments and the node name, dot-separated.
    const loggerName = this.namespace === '/' ? this.name : `${this.namespace.slice(1).replace(/\//g, '.')}.${this.name}`;
    this.logger = nodeLogger(loggerName, args.logLevel);
    this.overrides = collectOverrides(args, this.fqn, this.name);
    const sim = this.overrides.get('use_sim_time');
    this.useSimTime = sim === undefined ? false : (coerce('use_sim_time', USE_SIM_TIME_SPEC, sim) as boolean);
    if (this.useSimTime) {
      // rclcpp's TimeSource: a /clock subscription with ClockQoS; zero until the first message.
      this.createSubscription<ClockMsg>('rosgraph_msgs/msg/Clock', '/clock', CLOCK_QOS, (m) => {
        this.simTime = m.clock;
      });
    }
  }

  private get graph(): LocalGraph {
    return this.context.graph;
  }

  private assertAlive(what: string): void {
    if (this.destroyed) throw new Error(`node ${this.fqn} was destroyed; cannot ${what}`);
  }

  declareParameters<S extends ParamSpecs>(specs: S): ParamValues<S> {
    this.assertAlive('declare parameters');
    const { values } = resolveParams(specs, this.overrides);
    for (const note of unusedOverrideNotes(specs, this.overrides)) this.logger.warn(note);
    for (const k of Object.keys(specs)) {
      this.declared.add(k);
      this.parameterValues.set(k, { type: specs[k].type, value: (values as Record<string, unknown>)[k] });
    }
    // Parameters may be declared in several calls during start-up: judge leftovers afterwards.
    if (this.unknownCheck === undefined) {
      this.unknownCheck = setImmediate(() => {
        this.unknownCheck = undefined;
        this.warnUnknownOverrides();
      });
    }
    return values;
  }

  private warnUnknownOverrides(): void {
    if (this.destroyed) return;
    for (const [name, o] of this.overrides) {
      if (this.declared.has(name) || name === 'use_sim_time' || name.startsWith('qos_overrides.') || this.warnedUnknown.has(name)) continue;
      this.warnedUnknown.add(name);
      const hint = didYouMean(name, this.declared);
      this.logger.warn(
        { parameter: name, source: o.source, ...(hint ? { suggestion: closestName(name, this.declared) } : {}) },
        `parameter "${name}" is set by ${o.source} but node ${this.fqn} declares no such parameter; it is ignored.${hint || ` Declared: ${[...this.declared].join(', ') || '(none)'}`}`,
      );
    }
  }

  private resolve(topic: string): string {
    try {
      return resolveTopicName(topic, this.name, this.namespace, this.args.remaps);
    } catch (e) {
      throw new Error(`node ${this.fqn}: ${(e as Error).message}`);
    }
  }

  createPublisher<T>(type: string, topic: string, qos?: Qos): Publisher<T> {
    this.assertAlive('create a publisher');
    const name = this.resolve(topic);
    const pub = this.graph.addPublisher<T>(this, type, name, resolveQos(qos, `node ${this.fqn}: publisher on ${name}`));
    this.publishers.add(pub as LocalPublisher<unknown>);
    return pub;
  }

  createSubscription<T>(type: string, topic: string, qos: Qos, callback: (message: T) => void): Subscription {
    this.assertAlive('create a subscription');
    const name = this.resolve(topic);
    const sub = this.graph.addSubscription<T>(this, type, name, resolveQos(qos, `node ${this.fqn}: subscription on ${name}`), callback);
    this.subscriptions.add(sub as LocalSubscription<unknown>);
    return sub;
  }

  createTimer(periodMs: number, callback: () => void): Timer {
    this.assertAlive('create a timer');
    if (!(Number.isFinite(periodMs) && periodMs > 0)) throw new Error(`node ${this.fqn}: timer period must be a positive number of milliseconds, got ${periodMs}`);
    const handle = setInterval(() => {
      try {
        callback();
      } catch (e) {
        this.logger.error({ err: e }, `timer callback threw: ${(e as Error)?.message ?? String(e)}`);
      }
    }, periodMs);
    this.timers.add(handle);
    return {
      cancel: () => {
        clearInterval(handle);
        this.timers.delete(handle);
      },
    };
  }

  now(): Time {
    const data = this.context.graph.dataTime;
    if (data !== undefined) return { sec: data.sec, nanosec: data.nanosec };
    return this.useSimTime ? { sec: this.simTime.sec, nanosec: this.simTime.nanosec } : wallNow();
  }

  backpressure(): Promise<void> | undefined {
    return this.context.graph.backpressure();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.unknownCheck !== undefined) clearImmediate(this.unknownCheck);
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const p of this.publishers) this.graph.removePublisher(p);
    for (const s of this.subscriptions) this.graph.removeSubscription(s);
    this.publishers.clear();
    this.subscriptions.clear();
    this.context.forget(this);
  }
}

class LocalContextImpl implements LocalContext {
  readonly implementation = 'local' as const;
  readonly graph: LocalGraph;
  private readonly nodes = new Set<LocalNode>();
  private shutDown: Promise<void> | undefined;

  constructor(
    private readonly args: RosArgs,
    options: LocalContextOptions,
  ) {
    const registry = messageRegistry();
    const sink = options.recordPath ? new McapRecorder(options.recordPath, registry, nodeLogger('record', args.logLevel), options.record) : undefined;
    this.graph = new LocalGraph({ registry, sink, dataClockStart: options.dataClock?.start });
  }

  createNode(name: string, options: CreateNodeOptions = {}): RosNode {
    if (this.shutDown) throw new Error('the local ROS context was shut down; cannot create a node');
    const node = new LocalNode(this, this.args, name, options);
    for (const other of this.nodes) {
      if (other.fqn === node.fqn) node.logger.warn(`a node named ${node.fqn} already exists in this process; names should be unique (remap with -r __node:=...)`);
    }
    this.nodes.add(node);
    return node;
  }

  parameters(): DeclaredParameter[] {
    const out: DeclaredParameter[] = [];
    for (const n of this.nodes) {
      out.push({ node: n.fqn, name: 'use_sim_time', type: 'bool', value: n.useSimTime });
      for (const [name, p] of n.parameterValues) out.push({ node: n.fqn, name, type: p.type, value: p.value });
    }
    return out;
  }

  forget(node: LocalNode): void {
    this.nodes.delete(node);
  }

  shutdown(): Promise<void> {
    this.shutDown ??= (async () => {
      for (const n of [...this.nodes]) n.destroy();
      await this.graph.close();
    })();
    return this.shutDown;
  }
}

export function createLocalContext(args: RosArgs, options: LocalContextOptions = {}): LocalContext {
  return new LocalContextImpl(args, options);
}

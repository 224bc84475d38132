// The ROS port: the small surface every vil node talks to. Two implementations stand behind it:
// `rclnodejs` (nodes/runtime/rclnodejs.ts, production, needs a sourced ROS 2) and `local`
// (nodes/runtime/local/, an in-process graph that round-trips every message through ROS 2 CDR).
// Nothing outside nodes/runtime may import rclnodejs.
import type { Logger } from 'pino';
import type { ParamSpecs, ParamValues } from './params.js';

/** builtin_interfaces/msg/Time, as rclnodejs and CDR readers shape it. */
export interface Time {
  sec: number;
  nanosec: number;
}

/** Named QoS profiles (rmw's presets). `sensor_data` is best effort, keep last 5. */
export type QosProfileName =
  | 'sensor_data'
  | 'default'
  | 'system_default'
  | 'services_default'
  | 'parameters'
  | 'parameter_events';

export interface QosSettings {
  reliability: 'reliable' | 'best_effort';
  durability: 'volatile' | 'transient_local';
  history: 'keep_last' | 'keep_all';
  depth: number;
}

export type Qos = QosProfileName | QosSettings;

export interface Publisher<T> {
  /** Fully resolved topic name (namespace and remaps applied). */
  readonly topic: string;
  /** ROS 2 type name, e.g. "sensor_msgs/msg/NavSatFix". */
  readonly type: string;
  publish(message: T): void;
}

export interface Subscription {
  readonly topic: string;
  readonly type: string;
}

export interface Timer {
  cancel(): void;
}

export interface RosNode {
  readonly name: string;
  /** "/" or "/ns". */
  readonly namespace: string;
  readonly logger: Logger;
  /**
   * Declares every parameter of the node in one place (name, type, default, description) and
   * returns their values after `--params-file` / `-p` overrides. Throws a ConfigError naming the
   * parameter and the fix when an override has the wrong type.
   */
  declareParameters<S extends ParamSpecs>(specs: S): ParamValues<S>;
  /** Topic names without a leading slash are resolved in the node's namespace, as in ROS. */
  createPublisher<T>(type: string, topic: string, qos?: Qos): Publisher<T>;
  createSubscription<T>(type: string, topic: string, qos: Qos, callback: (message: T) => void): Subscription;
  /** A wall-clock timer (steady time), period in milliseconds. */
  createTimer(periodMs: number, callback: () => void): Timer;
  /** The ROS clock: system time, or /clock when the node runs with use_sim_time. */
  now(): Time;
  /** True when use_sim_time is set for this node. */
  readonly useSimTime: boolean;
  /**
   * Only where the process owns its subscribers' queues (the local graph): a promise that resolves
   * once the subscribers in this process have caught up, or undefined when none is behind. Replay
   * sources await it between messages so that they never outrun a subscriber (a keep_last queue
   * would drop the oldest). Absent on rclnodejs: DDS delivery is not this process's to hold.
   */
  backpressure?(): Promise<void> | undefined;
  destroy(): void;
}

export type RosImplementation = 'rclnodejs' | 'local';

export interface CreateNodeOptions {
  /** Default namespace when `--ros-args -r __ns:=` does not set one. */
  namespace?: string;
}

/** One ROS context: one process, one or many nodes (one-process mode shares it). */
export interface RosContext {
  readonly implementation: RosImplementation;
  createNode(name: string, options?: CreateNodeOptions): RosNode;
  /** Destroys every node and releases the middleware. Idempotent. */
  shutdown(): Promise<void>;
}

export function timeToNs(t: Time): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
}

export function nsToTime(ns: bigint): Time {
  const sec = ns / 1_000_000_000n;
  return { sec: Number(sec), nanosec: Number(ns - sec * 1_000_000_000n) };
}

/** Seconds as a float: for ages and rates, not for stamps. */
export function timeToSeconds(t: Time): number {
  return t.sec + t.nanosec * 1e-9;
}

export function secondsToTime(s: number): Time {
  let sec = Math.floor(s);
  let nanosec = Math.round((s - sec) * 1e9);
  if (nanosec >= 1_000_000_000) {
    sec += 1;
    nanosec -= 1_000_000_000;
  }
  return { sec, nanosec };
}

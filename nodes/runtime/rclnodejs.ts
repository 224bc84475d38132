/*
 * The production ROS implementation: the RosNode port (ros.ts) on rclnodejs 2.2 and a sourced ROS 2.
 * rclnodejs is an optional dependency that only installs where ROS 2 is sourced, so it is loaded
 * here with a dynamic import and typed through the minimal local interface below (checked against
 * rclnodejs's real declarations by test/runtime/rclnodejs_adapter.test.ts); the build never needs it.
 *
 * What rcl does, what we do (facts from rclnodejs 2.2.0: index.js, lib/node.js, lib/time_source.js,
 * lib/parameter.js, rosidl_gen/templates/message-template.cjs, rosidl_gen/message_translator.cjs):
 *  - argv goes to rclnodejs.init → rcl_init, so rcl itself applies --ros-args: -r remaps (topics,
 *    __ns, __node), --log-level, --enclave, and rejects unknown ROS flags.
 *  - Parameters: rclnodejs applies a params-file or -p override only when its key is the bare node
 *    name or `/**` (Node._getNativeParameterOverrides). launch_ros writes `parameters=[{...}]` under
 *    the node's full name (`/vil/rtk_serial`) and params files use `/vil/*`: rclnodejs alone would
 *    silently ignore both. So values come from params.ts (rcl's key matching, the file and key named
 *    in errors) on the same argv; rclnodejs's own overrides are read back and fill only what that
 *    resolver did not see. Each parameter is then declared in rclnodejs, read-only, with its
 *    description, range and choices, so `ros2 param get/describe` show what the node really uses.
 *  - use_sim_time: rclnodejs's TimeSource declares it from the same overrides and subscribes /clock;
 *    where params.ts finds a value rclnodejs missed, it is set on the node (as `ros2 param set`
 *    would), which switches the TimeSource. Timers run on a STEADY_TIME clock (the port promises
 *    wall-clock timers; rclnodejs's default timer clock is the ROS clock, which stops without /clock).
 *  - Spinning: every node spins from creation (rclnodejs re-syncs its wait set when entities are
 *    added). rclnodejs's own SIGINT handler is removed: run.ts stops the nodes, then shuts down.
 *
 * Messages travel as CDR bytes, through vil's own codec (nodes/cdr, the one the local graph uses):
 *  - A publisher encodes into the codec's reusable buffer and hands rclnodejs that Buffer:
 *    Publisher.publish(Buffer) → publishRawMessage → rcl_publish_serialized_message, which copies it
 *    (lib/publisher.js, src/rcl_publisher_bindings.cpp). rclnodejs's object path converts every
 *    field through ref-napi structs and costs ~30× more per message (issue 12). The codec checks the
 *    message as the local graph does and throws the same MessageValidationError (field path, what
 *    was expected): a message is accepted or refused identically on both implementations.
 *  - A subscription is created raw ({isRaw: true}: rcl_take_serialized_message, the callback gets a
 *    Buffer copy) and decoded by the codec into the shapes the nodes use: typed arrays for numeric
 *    arrays, bigint for int64/uint64, {sec, nanosec} stamps, plain objects and arrays otherwise.
 *    Bytes the codec cannot decode are left out, counted and logged (rate-limited) as a
 *    MessageDecodeError; a callback that throws is caught and logged (rate-limited) so bad input
 *    never stops a node; a publish that throws propagates (that is a bug in the node).
 *  - A type vil's registry does not know (a driver package installed on this machine only), or
 *    whose installed definition lays out differently from vil's (another version of a driver
 *    package: vil's bytes would be misread), goes through rclnodejs's object conversion instead,
 *    with one log line saying so. The installed definition is read from rclnodejs's generated code
 *    (MessageIntrospector.schema).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CreateNodeOptions, Publisher, Qos, QosProfileName, RosContext, RosNode, Subscription, Time, Timer } from './ros.js';
import {
  closestName,
  coerce,
  collectOverrides,
  fullyQualifiedName,
  parseRosArgs,
  resolveParams,
  unusedOverrideNotes,
  type ParamOverride,
  type ParamSpec,
  type RclValue,
  type ParamSpecs,
  type ParamValues,
  type RosArgs,
} from './params.js';
import { ConfigError, MessageDecodeError, MessageValidationError } from './errors.js';
import { codecFor, type CdrCodec } from './codecs.js';
import { messageRegistry } from './msg_registry.js';
import { CdrError, FieldError } from '../cdr/errors.js';
import { plan, wireSignature, type CdrField, type CdrSchema } from '../cdr/schema.js';
import { jsonLogsRequested, nodeLogger, routeLogs, ThrottledLog, type LogSink } from './logger.js';
import { CLOCK_QOS } from './qos_profiles.js';
import type {
  RclClock,
  RclContext,
  RclLogging,
  RclMessageDef,
  RclNode,
  RclnodejsModule,
  RclPublisher,
  RclQos,
  RclRange,
  RclSubscription,
} from './rclnodejs_api.js';

// ---- Constants (values as declared in rclnodejs's types; the adapter test compares them) ----

/** rclnodejs ParameterType (rcl_interfaces/msg/ParameterType). */
export const RCL_PARAMETER_TYPE = {
  PARAMETER_BOOL: 1,
  PARAMETER_INTEGER: 2,
  PARAMETER_DOUBLE: 3,
  PARAMETER_STRING: 4,
  PARAMETER_BOOL_ARRAY: 6,
  PARAMETER_INTEGER_ARRAY: 7,
  PARAMETER_DOUBLE_ARRAY: 8,
  PARAMETER_STRING_ARRAY: 9,
} as const;

/** rmw QoS policy values as rclnodejs's QoS takes them. */
export const RCL_QOS_POLICY = {
  HISTORY_KEEP_LAST: 1,
  HISTORY_KEEP_ALL: 2,
  RELIABILITY_RELIABLE: 1,
  RELIABILITY_BEST_EFFORT: 2,
  DURABILITY_TRANSIENT_LOCAL: 1,
  DURABILITY_VOLATILE: 2,
} as const;

/** Our profile names → rclnodejs's QoS profile references (QoS.profileSensorData, ...). */
export const RCL_QOS_PROFILE = {
  sensor_data: 'qos_profile_sensor_data',
  default: 'qos_profile_default',
  system_default: 'qos_profile_system_default',
  services_default: 'qos_profile_services_default',
  parameters: 'qos_profile_parameters',
  parameter_events: 'qos_profile_parameter_events',
} as const satisfies Record<QosProfileName, string>;

/** rclnodejs ClockType.STEADY_TIME. */
export const RCL_CLOCK_STEADY_TIME = 3;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---- Pure mappings (unit-tested) ----

/** The rclnodejs `qos` option for our Qos: a profile reference string, or a QoS built from settings. */
export function toRclQos(rcl: Pick<RclnodejsModule, 'QoS'>, qos: Qos): RclQos | string {
  if (typeof qos === 'string') {
    const ref = RCL_QOS_PROFILE[qos];
    if (!ref) throw new Error(`unknown QoS profile "${qos}"; expected one of ${Object.keys(RCL_QOS_PROFILE).join(', ')}`);
    return ref;
  }
  if (qos.history === 'keep_last' && !(Number.isInteger(qos.depth) && qos.depth > 0)) {
    throw new Error(`QoS keep_last needs a depth ≥ 1, got ${qos.depth}`);
  }
  return new rcl.QoS(
    qos.history === 'keep_all' ? RCL_QOS_POLICY.HISTORY_KEEP_ALL : RCL_QOS_POLICY.HISTORY_KEEP_LAST,
    qos.history === 'keep_all' ? 0 : qos.depth,
    qos.reliability === 'best_effort' ? RCL_QOS_POLICY.RELIABILITY_BEST_EFFORT : RCL_QOS_POLICY.RELIABILITY_RELIABLE,
    qos.durability === 'transient_local' ? RCL_QOS_POLICY.DURABILITY_TRANSIENT_LOCAL : RCL_QOS_POLICY.DURABILITY_VOLATILE,
  );
}

export type RclParameterTypeValue = (typeof RCL_PARAMETER_TYPE)[keyof typeof RCL_PARAMETER_TYPE];

export function rclParameterType(spec: ParamSpec): RclParameterTypeValue {
  switch (spec.type) {
    case 'bool':
      return RCL_PARAMETER_TYPE.PARAMETER_BOOL;
    case 'integer':
      return RCL_PARAMETER_TYPE.PARAMETER_INTEGER;
    case 'double':
      return RCL_PARAMETER_TYPE.PARAMETER_DOUBLE;
    case 'string':
      return RCL_PARAMETER_TYPE.PARAMETER_STRING;
    case 'bool_array':
      return RCL_PARAMETER_TYPE.PARAMETER_BOOL_ARRAY;
    case 'integer_array':
      return RCL_PARAMETER_TYPE.PARAMETER_INTEGER_ARRAY;
    case 'double_array':
      return RCL_PARAMETER_TYPE.PARAMETER_DOUBLE_ARRAY;
    case 'string_array':
      return RCL_PARAMETER_TYPE.PARAMETER_STRING_ARRAY;
  }
}

/** Our resolved value → the value rclnodejs's Parameter validates (integers are bigint there). */
export function toRclParameterValue(spec: ParamSpec, value: unknown): unknown {
  if (spec.type === 'integer') return BigInt(value as number);
  if (spec.type === 'integer_array') return (value as number[]).map((v) => BigInt(v));
  return value;
}

/** A value rclnodejs parsed (bigint integers) → the plain JS value params.ts checks. */
export function fromRclParameterValue(value: unknown): unknown {
  if (typeof value === 'bigint') return bigintToNumber(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'bigint' ? bigintToNumber(v) : v));
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** An rclnodejs parameter (type, value) as params.ts's typed value. */
export function rclValueOf(type: number, value: unknown): RclValue {
  const big = (v: unknown) => (typeof v === 'bigint' ? v : BigInt(v as number));
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : []);
  switch (type) {
    case RCL_PARAMETER_TYPE.PARAMETER_BOOL:
      return { type: 'bool', value: value as boolean };
    case RCL_PARAMETER_TYPE.PARAMETER_INTEGER:
      return { type: 'integer', value: big(value) };
    case RCL_PARAMETER_TYPE.PARAMETER_DOUBLE:
      return { type: 'double', value: value as number };
    case RCL_PARAMETER_TYPE.PARAMETER_STRING:
      return { type: 'string', value: value as string };
    case RCL_PARAMETER_TYPE.PARAMETER_BOOL_ARRAY:
      return { type: 'bool_array', value: list(value) as boolean[] };
    case RCL_PARAMETER_TYPE.PARAMETER_INTEGER_ARRAY:
      return { type: 'integer_array', value: list(value).map(big) };
    case RCL_PARAMETER_TYPE.PARAMETER_DOUBLE_ARRAY:
      return { type: 'double_array', value: list(value) as number[] };
    case RCL_PARAMETER_TYPE.PARAMETER_STRING_ARRAY:
      return { type: 'string_array', value: list(value) as string[] };
    default:
      return { type: 'not_set' };
  }
}

function bigintToNumber(v: bigint): number | bigint {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/** A range for the descriptor (rcl shows it in `ros2 param describe`); one-sided limits are opened to the type's extent. */
export function rclRange(rcl: Pick<RclnodejsModule, 'FloatingPointRange' | 'IntegerRange'>, spec: ParamSpec): RclRange | undefined {
  if (spec.type !== 'integer' && spec.type !== 'double') return undefined;
  if (spec.min === undefined && spec.max === undefined) return undefined;
  if (spec.type === 'integer') {
    return new rcl.IntegerRange(spec.min === undefined ? INT64_MIN : BigInt(spec.min), spec.max === undefined ? INT64_MAX : BigInt(spec.max), 1n);
  }
  // step 0: a continuous range (rclnodejs FloatingPointRange.inRange skips the step test).
  return new rcl.FloatingPointRange(spec.min ?? -Number.MAX_VALUE, spec.max ?? Number.MAX_VALUE, 0);
}

/** The installed interface definitions, as rclnodejs generated them, as a schema the CDR planner reads. */
export function installedSchema(rcl: Pick<RclnodejsModule, 'MessageIntrospector'>): CdrSchema {
  return {
    fields(type: string): CdrField[] {
      const def: RclMessageDef = new rcl.MessageIntrospector(type).schema;
      return def.fields.map((f) => {
        const t = f.type;
        const field: CdrField = {
          name: f.name,
          type: t.isPrimitiveType ? t.type : `${t.pkgName}/msg/${t.type}`,
          isComplex: !t.isPrimitiveType,
          isArray: t.isArray,
        };
        if (t.isArray && t.isFixedSizeArray && t.arraySize !== null) field.arrayLength = t.arraySize;
        else if (t.isArray && t.isUpperBound && t.arraySize !== null) field.arrayUpperBound = t.arraySize;
        if (t.stringUpperBound !== null) field.upperBound = t.stringUpperBound;
        return field;
      });
    },
  };
}

// ---- Loading ----

/** Loads rclnodejs, or throws one clear line saying why it cannot be used here and the fix. */
/**
 * rclnodejs 2.2.0, when its native module fails to load (rcl's libraries not found), runs
 * `npm run rebuild` in its own folder, which deletes its build and its generated messages — in an
 * installed share/vil/node_modules on a vehicle. So vil looks for librcl.so first, where the
 * dynamic loader would: the directories of LD_LIBRARY_PATH (what sourcing ROS sets), then the
 * ld.so cache (a system that registers ROS's lib directory with ldconfig).
 */
export function rclLibraryFound(env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.LD_LIBRARY_PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'librcl.so'))) return true;
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    if (!existsSync(ldconfig)) continue;
    const r = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (r.status === 0) return /\blibrcl\.so\b/.test(r.stdout);
  }
  return false;
}

/** `specifier` is for tests (a package that is surely absent); the product loads 'rclnodejs'. */
export async function loadRclnodejs(env: NodeJS.ProcessEnv = process.env, specifier = 'rclnodejs'): Promise<RclnodejsModule> {
  if (!env.AMENT_PREFIX_PATH) {
    throw new Error('ROS 2 is not sourced (AMENT_PREFIX_PATH is not set). Fix: source /opt/ros/jazzy/setup.bash (and your workspace install/setup.bash)');
  }
  if (!rclLibraryFound(env)) {
    throw new Error(
      'ROS 2 looks sourced (AMENT_PREFIX_PATH is set) but its libraries are not on the library path (no librcl.so in LD_LIBRARY_PATH or ld.so.cache); ' +
        'rclnodejs would fail to load and then try to rebuild itself in its installed folder. Fix: source /opt/ros/jazzy/setup.bash (and your workspace install/setup.bash) in this shell',
    );
  }
  // A non-literal specifier keeps tsc from resolving rclnodejs's types: the build must not need them.
  let mod: { default?: unknown };
  try {
    mod = (await import(specifier)) as { default?: unknown };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(`'${specifier}'`)) {
      throw new Error(
        'rclnodejs is not installed (it is an optional dependency that builds only where ROS 2 is sourced). Fix: source /opt/ros/jazzy/setup.bash, then run `npm ci` (or `npm rebuild rclnodejs`) in the vil directory',
      );
    }
    throw new Error(`rclnodejs is installed but failed to load: ${err.message.split('\n')[0]}. Fix: rebuild it with ROS 2 sourced (\`npm rebuild rclnodejs\`)`);
  }
  // rclnodejs's ESM build exports one default object (dist/index.js).
  return (mod.default ?? mod) as RclnodejsModule;
}

export async function createRclnodejsContext(argv: readonly string[]): Promise<RosContext> {
  const rosArgs = parseRosArgs(argv);
  const rcl = await loadRclnodejs();
  const context = new rcl.Context();
  try {
    // rcl_init parses argv like a program's argv; a leading program name keeps it conventional.
    await rcl.init(context, ['vil', ...argv]);
  } catch (e) {
    throw new Error(`rclnodejs.init failed: ${(e as Error).message}`);
  }
  rcl.removeSignalHandlers();
  useClockQos(rcl);
  acceptIntegerArrayOverrides(rcl);
  const rosLoggers = new Map<string, RclLogging>();
  // ROS's own logging unless JSON lines were asked for (VIL_LOG_JSON=1, --log-json).
  if (!jsonLogsRequested()) routeLogs(rosLogSink(rcl, rosLoggers));
  return new RclnodejsContext(rcl, context, rosArgs, rosLoggers);
}

/**
 * Log lines into rcutils: a node's lines through the node's own logger (so they reach /rosout with
 * the node's name, as rclcpp's RCLCPP_INFO does), the process's through a named one. The fields a
 * line carries follow its message as "key=value".
 */
export function rosLogSink(rcl: Pick<RclnodejsModule, 'logging'>, loggers: Map<string, RclLogging>): LogSink {
  const logging = rcl.logging as unknown as { getLogger(name: string): RclLogging };
  return (level, name, msg, fields) => {
    let logger = loggers.get(name);
    if (!logger) loggers.set(name, (logger = logging.getLogger(name)));
    const text = withFields(msg, fields);
    if (level >= 60) logger.fatal(text);
    else if (level >= 50) logger.error(text);
    else if (level >= 40) logger.warn(text);
    else if (level >= 30) logger.info(text);
    else logger.debug(text);
  };
}

/** "msg (key=value, ...)": an error by its message, objects as JSON. */
export function withFields(msg: string, fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object' && 'message' in v) parts.push(`err=${String((v as { message: unknown }).message)}`);
    else parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.length ? `${msg} (${parts.join(', ')})` : msg;
}

/** What rclnodejs 2.2.0's Parameter holds (lib/parameter.js); not in its .d.ts. */
interface ParameterInternals {
  _type: number;
  _value: unknown;
  validate(): void;
}

/**
 * An integer-array parameter in a params file (`hidden_status_values: [0]`, for any node, even
 * under /**) makes every rclnodejs 2.2.0 node fail at construction ("Type mismatch for parameter
 * ...: expected 7, got object"): its native getParameterOverrides hands the elements over as
 * numbers, its Parameter accepts only bigints, and only the scalar case is converted. This converts
 * the array's elements too, before rclnodejs validates them (elements beyond 2^53 have already lost
 * precision in the native layer; vil declares none that large). Once per process.
 */
export function acceptIntegerArrayOverrides(rcl: Pick<RclnodejsModule, 'Parameter'>): void {
  const proto = rcl.Parameter.prototype as unknown as ParameterInternals & { vilIntegerArrays?: true };
  if (proto.vilIntegerArrays) return;
  const validate = proto.validate;
  proto.validate = function (this: ParameterInternals) {
    if (this._type === RCL_PARAMETER_TYPE.PARAMETER_INTEGER_ARRAY && Array.isArray(this._value)) {
      this._value = (this._value as unknown[]).map((v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v));
    }
    return validate.call(this);
  };
  proto.vilIntegerArrays = true;
}

/** What rclnodejs 2.2.0's TimeSource holds and does (lib/time_source.js); not in its .d.ts. */
interface TimeSourceInternals {
  _node: RclNode | undefined;
  _clockSubscription: RclSubscription | undefined;
  _clockCallback(message: object): void;
  _subscribeToClockTopic(): void;
}

/**
 * Sim time that works with `ros2 bag play --clock`: rclnodejs 2.2.0 subscribes to /clock with the
 * default QoS (reliable), while rosbag2's player, Gazebo and every rclcpp node's clock publisher
 * offer /clock best effort — the two do not match ("requesting incompatible QoS ... RELIABILITY")
 * and the node never leaves time 0 / wall time. rclcpp subscribes with rclcpp::ClockQoS (best
 * effort, keep last 1), which matches both kinds of publisher; so does this. Replaces the one
 * method of the prototype, once per process, before any node exists (a node given
 * use_sim_time:=true subscribes in its constructor).
 */
export function useClockQos(rcl: Pick<RclnodejsModule, 'TimeSource' | 'QoS'>): void {
  const proto = rcl.TimeSource.prototype as unknown as TimeSourceInternals & { vilClockQos?: true };
  if (proto.vilClockQos) return;
  const qos = toRclQos(rcl, CLOCK_QOS);
  proto._subscribeToClockTopic = function (this: TimeSourceInternals) {
    if (!this._clockSubscription && this._node) {
      this._clockSubscription = this._node.createSubscription('rosgraph_msgs/msg/Clock', '/clock', { qos }, this._clockCallback.bind(this));
    }
  };
  proto.vilClockQos = true;
}

// ---- The port on rclnodejs ----

class RclnodejsContext implements RosContext {
  readonly implementation = 'rclnodejs' as const;
  private readonly nodes: RclnodejsNode[] = [];
  private shutDown = false;

  constructor(
    private readonly rcl: RclnodejsModule,
    private readonly context: RclContext,
    private readonly rosArgs: RosArgs,
    private readonly rosLoggers: Map<string, RclLogging>,
  ) {}

  createNode(name: string, options: CreateNodeOptions = {}): RosNode {
    if (this.shutDown) throw new Error(`cannot create node ${name}: the ROS context is shut down`);
    const nodeOptions = new this.rcl.NodeOptions();
    // Our own declared parameters only; undeclared overrides are reported, not silently declared.
    nodeOptions.automaticallyDeclareParametersFromOverrides = false;
    const rclNode = new this.rcl.Node(name, options.namespace ?? '', this.context, nodeOptions);
    const fqn = fullyQualifiedName(rclNode.namespace(), rclNode.name());
    const clash = this.nodes.find((n) => !n.destroyed && n.fqn === fqn);
    if (clash) {
      rclNode.destroy();
      throw new ConfigError({
        source: 'command line',
        key: '-r __node:=',
        problem: `two nodes named ${fqn} in one process (a plain __node remap renames every node of the process)`,
        fix: `rename one node only: --ros-args -r ${name}:__node:=<new name>`,
      });
    }
    // The node's lines go through its own rcutils logger: they reach /rosout under its name.
    this.rosLoggers.set(rclNode.name(), rclNode.getLogger());
    let node: RclnodejsNode;
    try {
      node = new RclnodejsNode(this.rcl, rclNode, this.rosArgs, fqn);
    } catch (e) {
      rclNode.destroy();
      throw e;
    }
    this.nodes.push(node);
    rclNode.spin();
    return node;
  }

  async shutdown(): Promise<void> {
    if (this.shutDown) return;
    this.shutDown = true;
    for (const n of this.nodes) n.destroy();
    // Lines after this (the process's last words) go to stderr: rcutils is shut down with the context.
    routeLogs(undefined);
    if (!this.context.isShutdown()) this.context.shutdown();
  }
}

class RclnodejsNode implements RosNode {
  readonly name: string;
  readonly namespace: string;
  readonly logger: Logger;
  destroyed = false;
  /** Messages this node's subscriptions received as bytes the codec could not decode. */
  undecodable = 0;
  private readonly overrides: Map<string, ParamOverride>;
  private readonly steadyClock: RclClock;
  private readonly throttled: ThrottledLog;

  constructor(
    private readonly rcl: RclnodejsModule,
    private readonly rclNode: RclNode,
    rosArgs: RosArgs,
    readonly fqn: string,
  ) {
    this.name = rclNode.name();
    this.namespace = rclNode.namespace() || '/';
    this.logger = nodeLogger(this.name, rosArgs.logLevel);
    this.throttled = new ThrottledLog(this.logger);
    this.steadyClock = new rcl.Clock(RCL_CLOCK_STEADY_TIME);
    this.overrides = collectOverrides(rosArgs, fqn, this.name);
    // What rcl parsed itself (bare node name or /**), for anything params.ts did not see.
    for (const p of rclNode.getParameterOverrides()) {
      if (!this.overrides.has(p.name)) this.overrides.set(p.name, { value: rclValueOf(p.type, p.value), source: `ROS arguments (parameter ${p.name})` });
    }
    this.applyUseSimTime();
  }

  private applyUseSimTime(): void {
    const o = this.overrides.get('use_sim_time');
    if (!o) return;
    const want = coerce('use_sim_time', { type: 'bool', default: false, description: 'use /clock as the ROS clock' }, o) as boolean;
    if (this.rclNode.getParameter('use_sim_time').value === want) return;
    const r = this.rclNode.setParameter(new this.rcl.Parameter('use_sim_time', RCL_PARAMETER_TYPE.PARAMETER_BOOL, want));
    if (!r.successful) throw new Error(`${this.fqn}: cannot set use_sim_time=${want}: ${r.reason}`);
  }

  get useSimTime(): boolean {
    return this.rclNode.getParameter('use_sim_time').value === true;
  }

  declareParameters<S extends ParamSpecs>(specs: S): ParamValues<S> {
    const { values, unknown } = resolveParams(specs, this.overrides);
    for (const note of unusedOverrideNotes(specs, this.overrides)) this.logger.warn(note);
    const undeclared = unknown.filter((k) => !this.declaredElsewhere(k));
    if (undeclared.length) {
      const specNames = Object.keys(specs);
      const hints = undeclared.map((k) => {
        const c = closestName(k, specNames);
        return c === undefined ? k : `${k} (did you mean "${c}"?)`;
      });
      this.logger.warn({ parameters: undeclared }, `parameters given for ${this.fqn} that it does not declare; they are ignored: ${hints.join(', ')}`);
    }
    const read: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(specs)) {
      const type = rclParameterType(spec);
      const descriptor = new this.rcl.ParameterDescriptor(name, type, spec.description, true, rclRange(this.rcl, spec));
      const constraints = [spec.type === 'string' && spec.choices ? `one of: ${spec.choices.join(', ')}` : '', spec.hint ?? ''].filter(Boolean);
      if (constraints.length) descriptor.additionalConstraints = constraints.join('; ');
      const value = (values as Record<string, unknown>)[name];
      try {
        this.rclNode.declareParameter(new this.rcl.Parameter(name, type, toRclParameterValue(spec, value)), descriptor, true);
      } catch (e) {
        throw new Error(`${this.fqn}: rclnodejs refused parameter ${name}=${JSON.stringify(value)}: ${(e as Error).message}`);
      }
      // Read back what the node now holds: the value `ros2 param get` reports.
      read[name] = fromRclParameterValue(this.rclNode.getParameter(name).value);
    }
    return read as ParamValues<S>;
  }

  /** Parameters the first declareParameters call may legitimately not know (a later call declares them). */
  private declaredElsewhere(name: string): boolean {
    return this.rclNode.getParameter(name).type !== 0;
  }

  /**
   * The type's CDR codec, compiled now; undefined (said once) when vil's registry cannot give one,
   * or when its definition does not lay out as the installed one does.
   */
  private codec(type: string): CdrCodec | undefined {
    const fallback = (why: string): undefined => {
      this.throttled.warn(`codec:${type}`, `${type}: ${why}. Its messages go through rclnodejs's object conversion instead (correct, but an order of magnitude more CPU per message)`);
      return undefined;
    };
    let codec: CdrCodec;
    let ours: string;
    try {
      codec = codecFor(type);
      ours = wireSignature(plan(messageRegistry(), type));
    } catch (e) {
      return fallback((e as Error).message.split('\n')[0]);
    }
    let installed: string;
    try {
      installed = wireSignature(plan(installedSchema(this.rcl), type));
    } catch {
      return codec; // rclnodejs cannot describe it: createPublisher/createSubscription will say why
    }
    if (installed !== ours) return fallback(`the installed definition differs from vil's (${messageRegistry().source(type)}): installed ${installed}, vil ${ours}`);
    return codec;
  }

  createPublisher<T>(type: string, topic: string, qos: Qos = 'default'): Publisher<T> {
    const codec = this.codec(type);
    let pub: RclPublisher;
    try {
      pub = this.rclNode.createPublisher(type, topic, { qos: toRclQos(this.rcl, qos) });
    } catch (e) {
      throw entityError('publisher', type, topic, e);
    }
    const resolved = pub.topic;
    // rclnodejs 2.2.0's publish() ends with debug(`... ${this.topic} ...`): the template is built on
    // every publish, debug on or off, and `topic` is a getter that asks rcl for the name and makes
    // a new string (lib/publisher.js). The name never changes; as an own property it is a plain read.
    Object.defineProperty(pub, 'topic', { value: resolved });
    if (!codec) return { topic: resolved, type, publish: (message: T) => pub.publish(message as object) };
    return {
      topic: resolved,
      type,
      publish: (message: T) => {
        let bytes: Buffer;
        try {
          bytes = codec.encodeShared(message);
        } catch (e) {
          if (e instanceof FieldError) throw new MessageValidationError(resolved, type, e.path, e.problem);
          throw e;
        }
        // rcl copies the bytes before this returns; the codec's buffer is free for the next message.
        pub.publish(bytes);
      },
    };
  }

  createSubscription<T>(type: string, topic: string, qos: Qos, callback: (message: T) => void): Subscription {
    const codec = this.codec(type);
    const deliver = (message: T) => {
      try {
        callback(message);
      } catch (e) {
        this.throttled.error(`callback:${topic}`, `callback for ${topic} threw: ${(e as Error).message}`, { err: e });
      }
    };
    let undecodable = 0;
    const onBytes = (bytes: Buffer) => {
      let message: T;
      try {
        message = codec!.decode<T>(bytes);
      } catch (e) {
        undecodable++;
        this.undecodable++;
        const err = e instanceof CdrError ? new MessageDecodeError(topic, type, e.path, e.offset, e.problem) : e;
        this.throttled.error(`undecodable:${topic}`, `${(err as Error).message} (left out; ${undecodable} so far)`, { err });
        return;
      }
      deliver(message);
    };
    let sub: RclSubscription;
    try {
      sub = codec
        ? this.rclNode.createSubscription(type, topic, { qos: toRclQos(this.rcl, qos), isRaw: true }, onBytes)
        : this.rclNode.createSubscription(type, topic, { qos: toRclQos(this.rcl, qos) }, (message: object) => deliver(message as T));
    } catch (e) {
      throw entityError('subscription', type, topic, e);
    }
    return { topic: sub.topic, type };
  }

  createTimer(periodMs: number, callback: () => void): Timer {
    if (!(periodMs > 0)) throw new Error(`timer period must be > 0 ms, got ${periodMs}`);
    const onTick = () => {
      try {
        callback();
      } catch (e) {
        this.throttled.error('timer', `timer callback threw: ${(e as Error).message}`, { err: e });
      }
    };
    const t = this.rclNode.createTimer(BigInt(Math.round(periodMs * 1e6)), onTick, this.steadyClock);
    return { cancel: () => t.cancel() };
  }

  now(): Time {
    return this.rclNode.now().toMsg();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.rclNode.destroy();
  }
}

function entityError(kind: string, type: string, topic: string, e: unknown): Error {
  const msg = (e as Error).message ?? String(e);
  const hint = /does not exist|MESSAGE_NOT_FOUND|not found/i.test(msg)
    ? type.startsWith('vil/')
      ? ' Fix: build the package (colcon build) and `source install/setup.bash`, so rclnodejs finds and generates vil\'s own interfaces'
      : ` Fix: install the package that provides ${type.split('/')[0]} (rosdep install --from-paths src) and re-run \`npx generate-ros-messages\` in share/vil`
    : '';
  return new Error(`cannot create ${kind} ${type} on ${topic}: ${msg}.${hint}`);
}

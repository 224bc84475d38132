// The few members of rclnodejs that vil uses, declared locally so the build never needs rclnodejs
// (an optional dependency that only installs where ROS 2 is sourced). Names and shapes come from
// rclnodejs 2.2.0's types/*.d.ts; test/runtime/rclnodejs_adapter.test.ts replaces this file by
// aliases of those real declarations and compiles rclnodejs.ts against them, so any call that does
// not match the real API fails that test. Types only: nothing here exists at run time.

export interface RclTime {
  toMsg(): { sec: number; nanosec: number };
}

export interface RclParameter {
  readonly name: string;
  readonly type: number;
  readonly value: unknown;
}

export interface RclParameterDescriptor {
  readonly name: string;
  additionalConstraints: string;
}

export type RclRange = object;

export interface RclSetParametersResult {
  successful: boolean;
  reason: string;
}

export interface RclClock {
  now(): RclTime;
}

export interface RclPublisher {
  readonly topic: string;
  /** A Buffer is published as a serialised message (publishRawMessage); an object is converted field by field. */
  publish(message: Buffer | object): void;
}

export interface RclSubscription {
  readonly topic: string;
}

export interface RclTimer {
  cancel(): void;
}

export interface RclEntityOptions {
  qos?: RclQos | string;
  /** Subscriptions: deliver each message as its serialised CDR Buffer (rcl_take_serialized_message). */
  isRaw?: boolean;
}

export type RclQos = object;

export interface RclNode {
  name(): string;
  namespace(): string;
  now(): RclTime;
  spin(timeout?: number): void;
  destroy(): void;
  createPublisher(typeClass: string, topic: string, options?: RclEntityOptions): RclPublisher;
  createSubscription(typeClass: string, topic: string, options: RclEntityOptions, callback: ((message: Buffer) => void) | ((message: object) => void)): RclSubscription;
  createTimer(period: bigint, callback: () => void, clock?: RclClock | null): RclTimer;
  declareParameter(parameter: RclParameter, descriptor?: RclParameterDescriptor, ignoreOverride?: boolean): RclParameter;
  getParameter(name: string): RclParameter;
  getParameterOverrides(): RclParameter[];
  setParameter(parameter: RclParameter): RclSetParametersResult;
}

/** rclnodejs's parsed interface definition (ROSMessageDef), as MessageIntrospector gives it. */
export interface RclMessageDef {
  fields: {
    name: string;
    type: {
      isPrimitiveType: boolean;
      type: string;
      pkgName: string | null;
      isArray: boolean;
      isFixedSizeArray: boolean | null;
      arraySize: number | null;
      stringUpperBound: number | null;
      isUpperBound: boolean;
    };
  }[];
}

export interface RclMessageIntrospector {
  readonly schema: RclMessageDef;
}

export interface RclContext {
  shutdown(): void;
  isShutdown(): boolean;
}

export interface RclNodeOptions {
  startParameterServices: boolean;
  automaticallyDeclareParametersFromOverrides: boolean;
}

export interface RclnodejsModule {
  init(context?: RclContext, argv?: string[]): Promise<void>;
  removeSignalHandlers(): void;
  Context: new () => RclContext;
  Node: new (nodeName: string, namespace?: string, context?: RclContext, options?: RclNodeOptions) => RclNode;
  NodeOptions: new () => RclNodeOptions;
  Clock: new (clockType?: number) => RclClock;
  QoS: new (history?: number, depth?: number, reliability?: number, durability?: number) => RclQos;
  Parameter: new (name: string, type: number, value?: unknown) => RclParameter;
  ParameterDescriptor: new (name: string, type: number, description?: string, readOnly?: boolean, range?: RclRange) => RclParameterDescriptor;
  FloatingPointRange: new (fromValue: number, toValue: number, step?: number, tolerance?: number) => RclRange;
  IntegerRange: new (fromValue: bigint, toValue: bigint, step?: bigint) => RclRange;
  MessageIntrospector: new (typeName: string) => RclMessageIntrospector;
}

// The rclnodejs adapter against rclnodejs 2.2.0 itself. rclnodejs cannot load here (it needs a
// sourced ROS 2), so the judge is its real type declarations (test/fixtures/rclnodejs-types, copied
// from the published package): nodes/runtime/rclnodejs.ts is compiled with its local interface
// (rclnodejs_api.ts) replaced by aliases of the real declarations, so every call the adapter makes
// is checked against the real API, and its constants against the real enums. Two deliberately wrong
// copies must fail to compile, proving the check is not vacuous (e.g. everything typed `any`).
import { describe, expect, it, afterAll } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  RCL_PARAMETER_TYPE,
  RCL_QOS_POLICY,
  RCL_QOS_PROFILE,
  fromRclParameterValue,
  installedSchema,
  loadRclnodejs,
  rclLibraryFound,
  rclRange,
  toRclParameterValue,
  toRclQos,
  createRclnodejsContext,
} from '../../nodes/runtime/rclnodejs.js';
import { createRosContext } from '../../nodes/runtime/context.js';
import { plan, wireSignature } from '../../nodes/cdr/schema.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'test/fixtures/rclnodejs-types');
const tscBin = join(root, 'node_modules/typescript/bin/tsc');

/** Relative imports of a TS file, as file paths (`./x.js` → `./x.ts`). */
function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) out.push(resolve(dirname(file), `${m[1]}.ts`));
  return out;
}

/** Every nodes/runtime file rclnodejs.ts needs, transitively (so other helpers' work in progress stays out). */
function runtimeClosure(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...localImports(f));
  }
  return [...seen];
}

const SHIM = `// Test-only: the real rclnodejs 2.2.0 declarations under the adapter's local names.
import type * as R from 'rclnodejs';
export type RclnodejsModule = typeof R;
export type RclNode = R.Node;
export type RclContext = R.Context;
export type RclNodeOptions = R.NodeOptions;
export type RclClock = R.Clock;
export type RclTime = R.Time;
export type RclParameter = R.Parameter;
export type RclParameterDescriptor = R.ParameterDescriptor;
export type RclRange = R.Range;
export type RclSetParametersResult = R.rcl_interfaces.msg.SetParametersResult;
export type RclPublisher = R.Publisher<string>;
export type RclSubscription = R.Subscription;
export type RclTimer = R.Timer;
export type RclQos = R.QoS;
export type RclEntityOptions = R.Options;
export type RclMessageIntrospector = R.MessageIntrospector;
export type RclMessageDef = R.ROSMessageDef;
export type RclLogging = R.Logging;
export type RclTimeSourceClass = typeof R.TimeSource;
`;

const CONSTANTS_CHECK = `// Test-only: the adapter's numeric constants against the real enums and profile names.
import { ParameterType, QoS, ClockType } from 'rclnodejs';
import { RCL_PARAMETER_TYPE, RCL_QOS_POLICY, RCL_QOS_PROFILE, RCL_CLOCK_STEADY_TIME } from './nodes/runtime/rclnodejs.js';
export const parameterTypes: typeof RCL_PARAMETER_TYPE = {
  PARAMETER_BOOL: ParameterType.PARAMETER_BOOL,
  PARAMETER_INTEGER: ParameterType.PARAMETER_INTEGER,
  PARAMETER_DOUBLE: ParameterType.PARAMETER_DOUBLE,
  PARAMETER_STRING: ParameterType.PARAMETER_STRING,
  PARAMETER_BOOL_ARRAY: ParameterType.PARAMETER_BOOL_ARRAY,
  PARAMETER_INTEGER_ARRAY: ParameterType.PARAMETER_INTEGER_ARRAY,
  PARAMETER_DOUBLE_ARRAY: ParameterType.PARAMETER_DOUBLE_ARRAY,
  PARAMETER_STRING_ARRAY: ParameterType.PARAMETER_STRING_ARRAY,
};
export const qosPolicies: typeof RCL_QOS_POLICY = {
  HISTORY_KEEP_LAST: QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
  HISTORY_KEEP_ALL: QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL,
  RELIABILITY_RELIABLE: QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
  RELIABILITY_BEST_EFFORT: QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
  DURABILITY_TRANSIENT_LOCAL: QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
  DURABILITY_VOLATILE: QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
};
export const profiles: typeof RCL_QOS_PROFILE = {
  sensor_data: QoS.profileSensorData,
  default: QoS.profileDefault,
  system_default: QoS.profileSystemDefault,
  services_default: QoS.profileServicesDefault,
  parameters: QoS.profileParameters,
  parameter_events: QoS.profileParameterEvents,
};
export const steady: typeof RCL_CLOCK_STEADY_TIME = ClockType.STEADY_TIME;
`;

let work: string;

/** A directory where `rclnodejs` resolves to the real declarations and the adapter to `adapterSource`. */
function prepare(name: string, mutate?: { file: 'adapter' | 'constants'; from: string; to: string }): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === 'rclnodejs' || entry === 'rxjs' || entry.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  const rcl = join(dir, 'node_modules/rclnodejs');
  cpSync(join(fixture, 'types'), join(rcl, 'types'), { recursive: true });
  cpSync(join(fixture, 'package.json'), join(rcl, 'package.json'));
  cpSync(join(fixture, 'stand-ins/interfaces.d.ts'), join(rcl, 'types/interfaces.d.ts'));
  mkdirSync(join(dir, 'node_modules/rxjs'));
  cpSync(join(fixture, 'stand-ins/rxjs.d.ts'), join(dir, 'node_modules/rxjs/index.d.ts'));
  writeFileSync(join(dir, 'node_modules/rxjs/package.json'), '{"name":"rxjs","types":"index.d.ts"}\n');

  const entry = join(root, 'nodes/runtime/rclnodejs.ts');
  for (const f of runtimeClosure(entry)) {
    const target = join(dir, f.slice(root.length + 1));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(f, target);
  }
  writeFileSync(join(dir, 'nodes/runtime/rclnodejs_api.ts'), SHIM);
  // An ES module like the project (the closure includes modules that use import.meta).
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dir, 'constants_check.ts'), CONSTANTS_CHECK);
  if (mutate) {
    const file = mutate.file === 'adapter' ? join(dir, 'nodes/runtime/rclnodejs.ts') : join(dir, 'constants_check.ts');
    const text = readFileSync(file, 'utf8');
    if (!text.includes(mutate.from)) throw new Error(`mutation anchor not found in ${file}: ${mutate.from}`);
    writeFileSync(file, text.replace(mutate.from, mutate.to));
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        noEmit: true,
        // The real declarations are checked too: a name they use that nothing declares would
        // otherwise turn into `any` and let everything pass.
        skipLibCheck: false,
      },
      files: ['nodes/runtime/rclnodejs.ts', 'constants_check.ts'],
    }),
  );
  return dir;
}

function tsc(dir: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [tscBin, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('rclnodejs adapter vs the real rclnodejs 2.2.0 declarations', () => {
  setupAll(() => {
    work = mkdtempSync(join(tmpdir(), 'vil-rcl-types-'));
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('the local interface file declares only names the real-API shim provides', () => {
    const api = readFileSync(join(root, 'nodes/runtime/rclnodejs_api.ts'), 'utf8');
    const declared = [...api.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]).sort();
    const shimmed = [...SHIM.matchAll(/^export type (\w+)/gm)].map((m) => m[1]).sort();
    expect(declared).toEqual(shimmed);
  });

  it('rclnodejs.ts compiles against the real declarations (calls, enums, profile names)', () => {
    const r = tsc(prepare('real'));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('negative control: a timer period in ms as number (real API wants bigint ns) fails to compile', () => {
    const r = tsc(prepare('bad-timer', { file: 'adapter', from: 'BigInt(Math.round(periodMs * 1e6))', to: 'Math.round(periodMs * 1e6)' }));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/rclnodejs\.ts.*bigint/);
  });

  it('negative control: a wrong enum value (PARAMETER_BOOL as INTEGER) fails to compile', () => {
    const r = tsc(prepare('bad-enum', { file: 'constants', from: 'PARAMETER_BOOL: ParameterType.PARAMETER_BOOL', to: 'PARAMETER_BOOL: ParameterType.PARAMETER_INTEGER' }));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/constants_check\.ts/);
  });

  it('the fixture is the published rclnodejs 2.2.0 (version and licence present)', () => {
    expect(JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8')).version).toBe('2.2.0');
    expect(readFileSync(join(fixture, 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(existsSync(join(fixture, 'types/node.d.ts'))).toBe(true);
  });
});

describe('rclnodejs adapter: pure mappings', () => {
  class FakeQoS {
    args: unknown[];
    constructor(...args: unknown[]) {
      this.args = args;
    }
  }
  const rcl = { QoS: FakeQoS as unknown as new () => object };

  it('maps named profiles to rclnodejs profile references', () => {
    expect(toRclQos(rcl, 'sensor_data')).toBe(RCL_QOS_PROFILE.sensor_data);
    expect(toRclQos(rcl, 'default')).toBe('qos_profile_default');
  });

  it('builds a QoS(history, depth, reliability, durability) from settings', () => {
    const q = toRclQos(rcl, { reliability: 'best_effort', durability: 'transient_local', history: 'keep_last', depth: 7 }) as FakeQoS;
    expect(q.args).toEqual([RCL_QOS_POLICY.HISTORY_KEEP_LAST, 7, RCL_QOS_POLICY.RELIABILITY_BEST_EFFORT, RCL_QOS_POLICY.DURABILITY_TRANSIENT_LOCAL]);
    const all = toRclQos(rcl, { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 }) as FakeQoS;
    expect(all.args).toEqual([RCL_QOS_POLICY.HISTORY_KEEP_ALL, 0, RCL_QOS_POLICY.RELIABILITY_RELIABLE, RCL_QOS_POLICY.DURABILITY_VOLATILE]);
    expect(() => toRclQos(rcl, { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 0 })).toThrow(/depth/);
  });

  it('converts integer parameters to bigint for rclnodejs and back', () => {
    expect(toRclParameterValue({ type: 'integer', default: 0, description: '' }, 115200)).toBe(115200n);
    expect(toRclParameterValue({ type: 'integer_array', default: [], description: '' }, [1, 2])).toEqual([1n, 2n]);
    expect(toRclParameterValue({ type: 'double', default: 0, description: '' }, 10)).toBe(10);
    expect(fromRclParameterValue(115200n)).toBe(115200);
    expect(fromRclParameterValue([1n, 2n])).toEqual([1, 2]);
    expect(fromRclParameterValue(2n ** 60n)).toBe(2n ** 60n);
    expect(fromRclParameterValue(new Float64Array([0.5]))).toEqual([0.5]);
  });

  it('gives numeric parameters a range only when a limit is declared, opening the other side', () => {
    class R {
      args: unknown[];
      constructor(...args: unknown[]) {
        this.args = args;
      }
    }
    const ranges = { FloatingPointRange: R as unknown as new () => object, IntegerRange: R as unknown as new () => object };
    expect(rclRange(ranges, { type: 'double', default: 1, description: '' })).toBeUndefined();
    expect((rclRange(ranges, { type: 'double', default: 1, description: '', min: 0 }) as R).args).toEqual([0, Number.MAX_VALUE, 0]);
    expect((rclRange(ranges, { type: 'integer', default: 1, description: '', min: 1, max: 65535 }) as R).args).toEqual([1n, 65535n, 1n]);
    expect((rclRange(ranges, { type: 'integer', default: 1, description: '', max: 10 }) as R).args).toEqual([-(2n ** 63n), 10n, 1n]);
  });
});

describe('rclnodejs adapter: installed definitions against vil\'s (raw CDR only where they lay out alike)', () => {
  /** ROSMessageDef fields as rclnodejs 2.2.0 generates them (shape seen on a real Jazzy install). */
  const field = (name: string, type: string, o: { pkg?: string; array?: 'fixed' | 'bounded' | 'dynamic'; size?: number; strBound?: number } = {}) => ({
    name,
    type: {
      isPrimitiveType: o.pkg === undefined,
      type,
      pkgName: o.pkg ?? null,
      isArray: o.array !== undefined,
      isDynamicArray: o.array === 'dynamic' || o.array === 'bounded',
      isFixedSizeArray: o.array === 'fixed',
      arraySize: o.size ?? null,
      stringUpperBound: o.strBound ?? null,
      isUpperBound: o.array === 'bounded',
    },
    default_value: null,
  });
  const installed: Record<string, ReturnType<typeof field>[]> = {
    'sensor_msgs/msg/NavSatFix': [
      field('header', 'Header', { pkg: 'std_msgs' }),
      field('status', 'NavSatStatus', { pkg: 'sensor_msgs' }),
      field('latitude', 'float64'),
      field('longitude', 'float64'),
      field('altitude', 'float64'),
      field('position_covariance', 'float64', { array: 'fixed', size: 9 }),
      field('position_covariance_type', 'uint8'),
    ],
    'std_msgs/msg/Header': [field('stamp', 'Time', { pkg: 'builtin_interfaces' }), field('frame_id', 'string')],
    'builtin_interfaces/msg/Time': [field('sec', 'int32'), field('nanosec', 'uint32')],
    'sensor_msgs/msg/NavSatStatus': [field('status', 'int8'), field('service', 'uint16')],
    'ros2_socketcan_msgs/msg/FdFrame': [field('header', 'Header', { pkg: 'std_msgs' }), field('id', 'uint32'), field('is_extended', 'bool'), field('is_error', 'bool'), field('len', 'uint8'), field('data', 'uint8', { array: 'bounded', size: 64 })],
    'rcl_interfaces/msg/ParameterType': [],
  };
  const rcl = {
    MessageIntrospector: class {
      readonly schema: { fields: ReturnType<typeof field>[] };
      constructor(type: string) {
        if (!(type in installed)) throw new Error(`no ${type}`);
        this.schema = { fields: installed[type] };
      }
    },
  };
  const sig = (schema: Parameters<typeof plan>[0], type: string) => wireSignature(plan(schema, type));

  it('the installed NavSatFix, FdFrame (bounded uint8[<=64]) and a constants-only type lay out as vil\'s registry says', () => {
    for (const t of ['sensor_msgs/msg/NavSatFix', 'ros2_socketcan_msgs/msg/FdFrame', 'rcl_interfaces/msg/ParameterType']) {
      expect(sig(installedSchema(rcl), t), t).toBe(sig(messageRegistry(), t));
    }
    expect(sig(messageRegistry(), 'sensor_msgs/msg/NavSatFix')).toBe(
      '{header:{stamp:{sec:int32,nanosec:uint32},frame_id:string},status:{status:int8,service:uint16},latitude:float64,longitude:float64,altitude:float64,position_covariance:float64[9],position_covariance_type:uint8}',
    );
  });

  it('another version of a definition (a field added, a bound changed) does not', () => {
    installed['sensor_msgs/msg/NavSatStatus'] = [field('status', 'int8'), field('service', 'uint16'), field('extra', 'uint8')];
    installed['ros2_socketcan_msgs/msg/FdFrame'][5] = field('data', 'uint8', { array: 'dynamic' });
    expect(sig(installedSchema(rcl), 'sensor_msgs/msg/NavSatFix')).not.toBe(sig(messageRegistry(), 'sensor_msgs/msg/NavSatFix'));
    expect(sig(installedSchema(rcl), 'ros2_socketcan_msgs/msg/FdFrame')).not.toBe(sig(messageRegistry(), 'ros2_socketcan_msgs/msg/FdFrame'));
  });
});

describe('rclnodejs adapter where ROS 2 is not sourced or rclnodejs is absent', () => {
  it('refuses with "ROS 2 is not sourced" and the fix when AMENT_PREFIX_PATH is unset', async () => {
    await expect(loadRclnodejs({})).rejects.toThrow(/ROS 2 is not sourced.*source \/opt\/ros\/jazzy\/setup\.bash/);
  });

  it('says rclnodejs is not installed, with the fix, when ROS looks sourced but the package is absent', async () => {
    // A package name that is surely absent: whether this machine's npm ci built rclnodejs does not matter.
    const lib = mkdtempSync(join(tmpdir(), 'vil-fake-ros-lib-'));
    writeFileSync(join(lib, 'librcl.so'), '');
    await expect(loadRclnodejs({ AMENT_PREFIX_PATH: '/nonexistent', LD_LIBRARY_PATH: lib }, '@vil-test/rclnodejs-absent')).rejects.toThrow(/rclnodejs is not installed.*npm ci/);
  });

  it('refuses, before rclnodejs is loaded, when ROS looks sourced but rcl\'s libraries cannot be found (rclnodejs would rebuild itself in place)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'vil-no-ros-lib-'));
    expect(rclLibraryFound({ LD_LIBRARY_PATH: empty })).toBe(false);
    await expect(loadRclnodejs({ AMENT_PREFIX_PATH: '/opt/ros/jazzy', LD_LIBRARY_PATH: empty })).rejects.toThrow(/libraries are not on the library path.*source \/opt\/ros\/jazzy\/setup\.bash/);
  });

  it('createRclnodejsContext fails here with the clear reason', async () => {
    const saved = process.env.AMENT_PREFIX_PATH;
    delete process.env.AMENT_PREFIX_PATH;
    try {
      await expect(createRclnodejsContext(['--ros-args', '-p', 'x:=1'])).rejects.toThrow(/ROS 2 is not sourced/);
    } finally {
      if (saved !== undefined) process.env.AMENT_PREFIX_PATH = saved;
    }
  });

  it("createRosContext({implementation:'rclnodejs'}) fails here naming VIL_ROS and the reason", async () => {
    await expect(createRosContext([], { implementation: 'rclnodejs' })).rejects.toThrow(/VIL_ROS=rclnodejs but rclnodejs cannot be used: ROS 2 is not sourced/);
  });

  it("createRosContext({implementation:'auto'}) falls back to the local graph (needs nodes/runtime/local/context.ts)", async () => {
    const ctx = await createRosContext([], { implementation: 'auto' });
    try {
      expect(ctx.implementation).toBe('local');
    } finally {
      await ctx.shutdown();
    }
  });
});

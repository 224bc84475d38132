// The compiled encoders check values as they write them; validate.ts explains refusals. They must
// agree exactly: whatever the validator refuses the encoder refuses (with the validator's error),
// and whatever it accepts the encoder writes. Checked on seeded mutations of valid messages of the
// types vil publishes (wrong types, out-of-range numbers, missing and extra fields, wrong array
// lengths and typed-array classes, deep in nested arrays), for generated code and closures.
import { describe, expect, it } from 'vitest';
import { compileCodec, type CdrCodec } from '../../nodes/cdr/codec.js';
import { FieldError } from '../../nodes/cdr/errors.js';
import { plan, type Element, type PlannedField } from '../../nodes/cdr/schema.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { prng } from '../helpers/prng.js';
import { randomMessage, type Rng, type Struct } from './helpers.js';

const registry = messageRegistry();
const TYPES = [
  'can_msgs/msg/Frame',
  'ros2_socketcan_msgs/msg/FdFrame',
  'sensor_msgs/msg/NavSatFix',
  'vil/msg/ObjectList',
  'vil/msg/VehicleState',
  'vil/msg/GnssStatus',
  'vil/msg/DecodedSignals',
  'visualization_msgs/msg/MarkerArray',
  'diagnostic_msgs/msg/DiagnosticArray',
  'tf2_msgs/msg/TFMessage',
  'rcl_interfaces/msg/ParameterValue',
  'std_msgs/msg/Int64MultiArray',
  'std_msgs/msg/Empty',
];
const MUTANTS_PER_TYPE = 400;

const WRONG: unknown[] = [undefined, null, 'x', '5', 1.5, -1, 256, 65536, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, 2 ** 53, 1e39, -1e39, Number.NaN, Infinity, true, 0n, 2n ** 64n, -1n, {}, [], [1], new Float32Array(9), new Float64Array(9), new Uint8Array(8), new Uint8Array(9), new BigInt64Array(2), Buffer.alloc(8), -0, 0, 1, 255];

/** Every place in a message a mutation can hit: [container, key]. */
function slots(v: unknown, out: [Record<string | number, unknown>, string | number][] = []): typeof out {
  if (Array.isArray(v)) v.forEach((_, i) => (out.push([v as unknown as Record<number, unknown>, i]), slots(v[i], out)));
  else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    for (const k of Object.keys(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}

function mutate(rnd: Rng, msg: Record<string, unknown>): void {
  const all = slots(msg);
  const n = 1 + Math.floor(rnd() * 2);
  for (let i = 0; i < n && all.length; i++) {
    const [obj, key] = all[Math.floor(rnd() * all.length)];
    const r = rnd();
    if (r < 0.1 && !Array.isArray(obj)) delete obj[key];
    else if (r < 0.2 && !Array.isArray(obj)) obj[`${String(key)}_typo`] = 1;
    else if (r < 0.3 && Array.isArray(obj)) (obj as unknown[]).push(obj[key]);
    else if (r < 0.35 && Array.isArray(obj)) (obj as unknown[]).pop();
    else obj[key] = WRONG[Math.floor(rnd() * WRONG.length)];
  }
}

function outcome(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof FieldError) return `FieldError ${e.path}: ${e.problem}`;
    return `other ${(e as Error).name}: ${(e as Error).message}`;
  }
}

function fieldsOf(e: Element): PlannedField[] {
  return e.kind === 'struct' ? e.fields : [];
}

describe('fused encoder checks agree with the validator', () => {
  for (const type of TYPES) {
    it(`${type}: ${MUTANTS_PER_TYPE} mutants, generated code and closures`, () => {
      const p: Struct = plan(registry, type);
      const codecs: CdrCodec[] = [compileCodec(registry, type), compileCodec(registry, type, { codegen: false })];
      const rnd = prng(0xbad + type.length);
      let refused = 0;
      for (let i = 0; i < MUTANTS_PER_TYPE; i++) {
        const msg = randomMessage(rnd, p);
        mutate(rnd, msg);
        const verdict = outcome(() => codecs[0].validate(msg));
        for (const c of codecs) expect(outcome(() => c.encode(msg)), `${type} #${i}`).toBe(verdict);
        if (verdict !== 'accepted') refused++;
        expect(verdict).not.toMatch(/^other/);
      }
      // The mutations must mostly produce refusals, or this checks little.
      if (fieldsOf(p).length > 0) expect(refused).toBeGreaterThan(MUTANTS_PER_TYPE / 2);
    });
  }

  it('objects with inherited enumerable properties or getters are judged as validate.ts judges them', () => {
    const codec = compileCodec(registry, 'std_msgs/msg/String');
    const proto = { extra: 1 };
    const inherited = Object.create(proto) as Record<string, unknown>;
    inherited.data = 'x';
    expect(outcome(() => codec.encode(inherited))).toBe(outcome(() => codec.validate(inherited)));
    expect(outcome(() => codec.encode(inherited))).toMatch(/unknown field/);
    class Getter {
      get data(): string {
        return 'from a getter';
      }
    }
    expect(outcome(() => codec.encode(new Getter()))).toBe('accepted');
    expect(codec.decode(codec.encode(new Getter()))).toEqual({ data: 'from a getter' });
  });
});

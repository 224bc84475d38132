// The codec against two independent references, for every message type of the registry (the
// ROS 2 Jazzy standard types, the driver types in nodes/runtime/local/defs and vil's own msgs/),
// which includes every type vil publishes or subscribes:
//  - bytes equal to test/cdr/py/cdr_ref.py, a struct-based encoder that parses the .msg text itself;
//  - bytes equal to @foxglove/rosmsg2-serialization (what the local graph used before), and
//    decoded shapes equal to its reader's (the shapes the nodes were written against);
//  - decode(encode(x)) equals x in those shapes; big-endian input decodes to the same message;
//  - generated code and the closure fallback agree byte for byte.
// Messages are random from fixed seeds, with edge cases mixed in: NaN, ±Infinity, -0, float32
// rounding, int64/uint64 extremes (bigint and safe-integer numbers), empty/long/non-ASCII strings,
// empty and long arrays (typed and plain), nested arrays of messages.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileCodec } from '../../nodes/cdr/codec.js';
import { plan } from '../../nodes/cdr/schema.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { prng } from '../helpers/prng.js';
import { expectedDecoded, foxgloveCodec, hex, pythonEncode, randomMessage } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const registry = messageRegistry();
const TYPES = registry.types();
const PER_TYPE = 12;

/** Every 'pkg/msg/Type' literal in the nodes' sources: the types vil publishes, subscribes or names. */
function typesNamedInNodes(): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/'([a-z][a-z0-9_]*\/msg\/[A-Z][A-Za-z0-9]*)'/g)) found.add(m[1]);
    }
  };
  walk(join(root, 'nodes'));
  found.delete('pkg/msg/Type'); // an example in an error message
  return [...found].sort();
}

interface Case {
  type: string;
  msg: Record<string, unknown>;
}

function cases(): Case[] {
  const out: Case[] = [];
  TYPES.forEach((type, t) => {
    const p = plan(registry, type);
    const rnd = prng(0xc0de + t);
    for (let i = 0; i < PER_TYPE; i++) out.push({ type, msg: randomMessage(rnd, p) });
  });
  return out;
}

describe('CDR codec vs independent references, every registry type', () => {
  const all = cases();

  it('covers every message type the nodes name (publishers, subscriptions, constants)', () => {
    const named = typesNamedInNodes();
    expect(named.length).toBeGreaterThan(15);
    for (const t of named) expect(TYPES, t).toContain(t);
    for (const t of ['can_msgs/msg/Frame', 'sensor_msgs/msg/NavSatFix', 'vil/msg/ObjectList', 'visualization_msgs/msg/MarkerArray', 'diagnostic_msgs/msg/DiagnosticArray', 'ros2_socketcan_msgs/msg/FdFrame']) {
      expect(all.filter((c) => c.type === t)).toHaveLength(PER_TYPE);
    }
  });

  it(`bytes equal the struct-based Python encoder (${TYPES.length} types × ${PER_TYPE} messages)`, () => {
    const expected = pythonEncode(registry, all);
    let compared = 0;
    all.forEach((c, i) => {
      const codec = compileCodec(registry, c.type);
      expect(hex(codec.encode(c.msg)), `${c.type} #${i}`).toBe(expected[i]);
      compared++;
    });
    expect(compared).toBe(TYPES.length * PER_TYPE);
  });

  it('bytes equal @foxglove/rosmsg2-serialization; decoded shapes equal its reader\'s', () => {
    // foxglove takes a definition of constants only (rcl_interfaces/ParameterType, ...) for an IDL
    // constant module and refuses it; ROS 2 sends such a message as one zero byte (Python agrees above).
    const constantsOnly = TYPES.filter((t) => registry.fields(t).length === 0 && Object.keys(registry.constants(t)).length > 0);
    expect(constantsOnly).toEqual(['rcl_interfaces/msg/ParameterType', 'statistics_msgs/msg/StatisticDataType']);
    let compared = 0;
    for (const c of all) {
      if (constantsOnly.includes(c.type)) continue;
      compared++;
      const codec = compileCodec(registry, c.type);
      const ref = foxgloveCodec(registry, c.type);
      const bytes = codec.encode(c.msg);
      expect(hex(bytes), c.type).toBe(hex(ref.encode(c.msg)));
      expect(codec.decode(bytes), c.type).toStrictEqual(ref.decode(bytes));
    }
    expect(compared).toBe((TYPES.length - constantsOnly.length) * PER_TYPE);
  });

  it('decode(encode(x)) equals x in ROS shapes (typed arrays, bigint, float32 rounding)', () => {
    for (const c of all) {
      const codec = compileCodec(registry, c.type);
      const p = plan(registry, c.type);
      expect(codec.decode(codec.encode(c.msg)), c.type).toStrictEqual(expectedDecoded(p, c.msg));
    }
  });

  it('big-endian CDR (encapsulation 00 00, from the Python encoder) decodes to the same message', () => {
    const be = pythonEncode(registry, all.map((c) => ({ ...c, bigEndian: true })));
    all.forEach((c, i) => {
      const bytes = Buffer.from(be[i], 'hex');
      expect(bytes[1], c.type).toBe(0);
      const codec = compileCodec(registry, c.type);
      expect(codec.decode(bytes), c.type).toStrictEqual(expectedDecoded(plan(registry, c.type), c.msg));
    });
  });

  it('the closure fallback (no code generation) writes the same bytes and decodes the same messages', () => {
    const be = pythonEncode(registry, all.map((c) => ({ ...c, bigEndian: true })));
    all.forEach((c, i) => {
      const gen = compileCodec(registry, c.type);
      const clo = compileCodec(registry, c.type, { codegen: false });
      const bytes = gen.encode(c.msg);
      expect(hex(clo.encode(c.msg)), c.type).toBe(hex(bytes));
      expect(clo.decode(bytes), c.type).toStrictEqual(gen.decode(bytes));
      expect(clo.decode(Buffer.from(be[i], 'hex')), c.type).toStrictEqual(gen.decode(bytes));
    });
  });

  it('encodeShared returns the same bytes as a Buffer view, reused by the next message', () => {
    const codec = compileCodec(registry, 'can_msgs/msg/Frame');
    const frames = all.filter((c) => c.type === 'can_msgs/msg/Frame');
    const first = codec.encodeShared(frames[0].msg);
    expect(first).toBeInstanceOf(Buffer);
    expect(hex(first)).toBe(hex(codec.encode(frames[0].msg)));
    const second = codec.encodeShared(frames[1].msg);
    expect(second.buffer).toBe(first.buffer);
    expect(hex(second)).toBe(hex(codec.encode(frames[1].msg)));
  });
});

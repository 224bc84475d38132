// ROS tier (npm run test:ros; needs ROS 2 Jazzy at /opt/ros/jazzy and fails, saying so, without it):
// vil's CDR codec against rcl's own serialisation. For every registry type whose package this ROS
// installation has (which must include every type the nodes name; vil's own are built here with
// rosidl), random and edge-case messages are built as rclpy objects and serialised with
// rclpy.serialization.serialize_message (rmw_serialize of rmw_cyclonedds_cpp): vil's bytes must be
// identical. And rcl must read vil's bytes back: deserialize_message then serialize_message gives
// the same bytes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCodec } from '../../nodes/cdr/codec.js';
import { plan } from '../../nodes/cdr/schema.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { prng } from '../helpers/prng.js';
import { hex, randomMessage, taggedJson } from '../cdr/helpers.js';
import { buildVilInterfaces, installedPackages, root, rosEnv, rosPython } from './helpers.js';

const registry = messageRegistry();
const PER_TYPE = 8;

let ws: string;
let env: NodeJS.ProcessEnv;
let types: string[] | undefined;

/** Every 'pkg/msg/Type' the nodes' sources name. */
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
  found.delete('pkg/msg/Type');
  return [...found].sort();
}

/** Setup inside the tests (not beforeAll): a setup that fails must fail the tests, not skip them. */
let setupError: unknown;
function ready(): string[] {
  if (types) return types;
  if (setupError) throw setupError;
  try {
    ws = mkdtempSync(join(tmpdir(), 'vil-ros-cdr-'));
    env = rosEnv(buildVilInterfaces(ws));
    const installed = installedPackages(env);
    types = registry.types().filter((t) => installed.has(t.split('/')[0]));
    return types;
  } catch (e) {
    setupError = e;
    throw e;
  }
}

afterAll(() => {
  if (ws) rmSync(ws, { recursive: true, force: true });
});

describe('vil CDR = rcl CDR (rclpy serialize_message on rmw_cyclonedds_cpp)', () => {
  it('the ROS installation has every type the nodes name, vil\'s own included', () => {
    const types = ready();
    for (const t of typesNamedInNodes()) expect(types, t).toContain(t);
    expect(types.length).toBeGreaterThan(100);
  });

  it(`random and edge-case messages, ${PER_TYPE} per type: identical bytes; rcl reads vil's bytes back unchanged`, () => {
    const types = ready();
    const cases: { type: string; msg: Record<string, unknown> }[] = [];
    types.forEach((type, i) => {
      const rnd = prng(0x7051 + i);
      const p = plan(registry, type);
      for (let k = 0; k < PER_TYPE; k++) cases.push({ type, msg: randomMessage(rnd, p) });
    });
    const ours = cases.map((c) => hex(compileCodec(registry, c.type).encode(c.msg)));
    const theirs = rosPython(env, 'rclpy_cdr.py', cases.map((c) => `{"op":"serialize","type":${JSON.stringify(c.type)},"msg":${taggedJson(c.msg)}}`));
    const back = rosPython(env, 'rclpy_cdr.py', cases.map((c, i) => JSON.stringify({ op: 'roundtrip', type: c.type, hex: ours[i] })));
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      if (theirs[i] !== ours[i]) mismatches.push(`${c.type} #${i}: rclpy ${theirs[i].slice(0, 160)} vs vil ${ours[i].slice(0, 160)}`);
      if (back[i] !== ours[i]) mismatches.push(`${c.type} #${i}: rcl read vil's bytes back as ${back[i].slice(0, 160)}`);
    });
    expect(mismatches).toEqual([]);
    expect(cases.length).toBe(types.length * PER_TYPE);
  });

  it('decodes what rcl serialised into the message that was given (vil reading rclpy\'s bytes)', () => {
    ready();
    const rnd = prng(0xdec0de);
    const cases = ['sensor_msgs/msg/NavSatFix', 'can_msgs/msg/Frame', 'vil/msg/ObjectList', 'visualization_msgs/msg/MarkerArray', 'diagnostic_msgs/msg/DiagnosticArray', 'nmea_msgs/msg/Sentence', 'rtcm_msgs/msg/Message', 'ros2_socketcan_msgs/msg/FdFrame'].map((type) => ({
      type,
      msg: randomMessage(rnd, plan(registry, type)),
    }));
    const theirs = rosPython(env, 'rclpy_cdr.py', cases.map((c) => `{"op":"serialize","type":${JSON.stringify(c.type)},"msg":${taggedJson(c.msg)}}`));
    cases.forEach((c, i) => {
      const codec = compileCodec(registry, c.type);
      expect(codec.decode(Buffer.from(theirs[i], 'hex')), c.type).toStrictEqual(codec.decode(codec.encode(c.msg)));
    });
  });
});

// ROS tier (npm run test:ros; needs ROS 2 Jazzy at /opt/ros/jazzy and rclnodejs built against it
// by `npm ci` with ROS sourced, and fails, saying which is missing): vil's nodes on rclnodejs
// publish CDR Buffers and decode raw subscriptions, judged by rclpy over Cyclone DDS:
//  - an rclpy raw subscriber receives exactly the bytes the local graph would carry;
//  - vil receives what rclpy publishes, decoded into the shapes the nodes use.
// No timing: each side republishes every 100 ms until the other has seen one of each.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCodec } from '../../nodes/cdr/codec.js';
import { plan } from '../../nodes/cdr/schema.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { prng } from '../helpers/prng.js';
import { hex, randomMessage, taggedJson } from '../cdr/helpers.js';
import { root, rosEnv } from './helpers.js';
// @ts-expect-error plain JS helper shared with the child process
import { tag, untag } from './vil_endpoint.mjs';

const registry = messageRegistry();
/** Types the nodes publish or subscribe whose packages come with ROS (vil/msg/* is checked byte for byte in cdr_rclpy.test.ts). */
const TYPES = ['sensor_msgs/msg/NavSatFix', 'can_msgs/msg/Frame', 'ros2_socketcan_msgs/msg/FdFrame', 'nmea_msgs/msg/Sentence', 'rtcm_msgs/msg/Message', 'visualization_msgs/msg/MarkerArray', 'diagnostic_msgs/msg/DiagnosticArray', 'tf2_msgs/msg/TFMessage', 'geometry_msgs/msg/TwistWithCovarianceStamped', 'geometry_msgs/msg/PoseStamped'];

const topicOf = (from: string, type: string) => `/vil_ros_test/${from}/${type.split('/')[2].toLowerCase()}`;

interface Endpoint {
  child: ChildProcess;
  rx: Map<string, string>;
  /** Every other line (logs). */
  log: string[];
  failed?: string;
  exited?: string;
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Endpoint {
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const ep: Endpoint = { child, rx: new Map(), log: [] };
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = /^RX (\S+) (.*)$/.exec(line);
      if (m) ep.rx.set(m[1], m[2]);
      else if (line.startsWith('FAILED')) ep.failed = line;
      else ep.log.push(line);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  child.on('exit', (code, signal) => (ep.exited = `${cmd} exited (${code ?? signal}): ${err}`));
  if (stdin !== undefined) child.stdin!.end(stdin);
  else child.stdin!.end();
  return ep;
}

async function until(what: string, done: () => boolean, eps: Endpoint[], limitMs = 240_000): Promise<void> {
  const t0 = Date.now();
  while (!done()) {
    for (const e of eps) if (e.failed || e.exited) throw new Error(`${what}: ${e.failed ?? e.exited}`);
    if (Date.now() - t0 > limitMs) throw new Error(`${what}: not within ${limitMs / 1000} s (a generous limit for DDS discovery)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let dir: string;
const eps: Endpoint[] = [];
const rnd = prng(0x0dd5);
const fromVil = TYPES.map((type) => ({ type, topic: topicOf('vil', type), msg: randomMessage(rnd, plan(registry, type)) }));
const fromRclpy = TYPES.map((type) => ({ type, topic: topicOf('rclpy', type), msg: randomMessage(rnd, plan(registry, type)) }));
let vil: Endpoint;
let rclpy: Endpoint;

/** Setup inside the tests (not beforeAll): a setup that fails must fail the tests, not skip them. */
let setup: Promise<void> | undefined;
function ready(): Promise<void> {
  setup ??= (async () => {
    const env = rosEnv();
    dir = mkdtempSync(join(tmpdir(), 'vil-ros-rclnodejs-'));
    const config = join(dir, 'vil.json');
    writeFileSync(config, tag({ talk: fromVil, listen: fromRclpy.map(({ type, topic }) => ({ type, topic })) }));
    rclpy = start('/usr/bin/python3', [join(root, 'test/ros/py/rclpy_endpoint.py')], env, `{"listen":${JSON.stringify(fromVil.map(({ type, topic }) => ({ type, topic })))},"talk":[${fromRclpy.map((t) => `{"type":${JSON.stringify(t.type)},"topic":${JSON.stringify(t.topic)},"msg":${taggedJson(t.msg)}}`).join(',')}]}`);
    vil = start(process.execPath, [join(root, 'test/ros/vil_endpoint.mjs'), config], env);
    eps.push(rclpy, vil);
    await until('rclpy received every vil topic and vil every rclpy topic', () => rclpy.rx.size === TYPES.length && vil.rx.size === TYPES.length, eps);
  })();
  return setup;
}

afterAll(async () => {
  for (const e of eps) if (!e.exited) e.child.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vil on rclnodejs (CDR Buffers both ways) judged by rclpy over Cyclone DDS', () => {
  it('vil\'s codec carried every type: the installed definitions lay out as vil\'s registry says (no fallback to rclnodejs objects)', async () => {
    await ready();
    expect(vil.log.filter((l) => /object conversion instead/.test(l))).toEqual([]);
  });

  it('rclpy receives byte for byte what the local graph carries for the same message (Cyclone pads the sample to 4 bytes)', async () => {
    await ready();
    for (const t of fromVil) {
      const ours = compileCodec(registry, t.type).encode(t.msg);
      // rmw_cyclonedds_cpp's serdata rounds every sample up to a multiple of 4 with zero bytes (serdata.cpp).
      expect(rclpy.rx.get(t.topic), t.type).toBe(hex(ours) + '00'.repeat((4 - (ours.length % 4)) % 4));
    }
  });

  it('vil decodes what rclpy published into the shapes the nodes use', async () => {
    await ready();
    for (const t of fromRclpy) {
      const codec = compileCodec(registry, t.type);
      expect(untag(vil.rx.get(t.topic)!), t.type).toStrictEqual(codec.decode(codec.encode(t.msg)));
    }
  });
});

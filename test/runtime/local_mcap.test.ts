// Recording: an MCAP written by the local graph reads back into the same messages with @mcap/core
// and the file's own schemas, and passes an independent reader written from the MCAP spec
// (test/runtime/py/mcap_parse.py: magic, CRCs, zstd chunks via the zstd tool, chunk and message
// indexes, statistics). The rosbag2 layout (Jazzy's rosbag2_storage_mcap, see
// nodes/runtime/local/rosbag2_mcap.ts) is checked field by field below; `ros2 bag info/play`
// are run where a ROS 2 Jazzy is installed (test/ros/rosbag2.test.ts (npm run test:ros)).
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { parse as parseYaml } from 'yaml';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { createLocalContext } from '../../nodes/runtime/local/context.js';
import { codecFor } from '../../nodes/runtime/codecs.js';
import { readMcap, readMcapInfo, type McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import type { McapRecorder } from '../../nodes/runtime/local/recorder.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { typeHash } from '../../nodes/runtime/type_hash.js';
import { hex, loadF9p, navSatFix, python, sentenceMsg, stampOf } from './helpers.js';

const f9p = loadF9p();
const stamp = stampOf(f9p.tpv[0].time);
let dir: string;

interface PyMcap {
  header: { profile: string; library: string };
  schemas: { id: number; name: string; encoding: string; data: string }[];
  channels: { id: number; schema_id: number; topic: string; message_encoding: string; metadata: Record<string, string> }[];
  metadata: { name: string; metadata: Record<string, string> }[];
  messages: { topic: string; sequence: number; log_time: string; publish_time: string; data: string }[];
  statistics: { message_count: number; chunk_count: number; channel_count: number; schema_count: number };
  chunks: number;
  chunk_compression: string[];
  checks: string[];
}

/** Replaces typed arrays by plain arrays so sent (plain) and received (typed) compare field by field. */
function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

setupAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vil-mcap-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('MCAP recording of the local graph', () => {
  const path = () => join(dir, 'run.mcap');
  const sent: { topic: string; type: string; msg: unknown }[] = [];
  let recordedBeforeFlush = -1;

  setupAll(async () => {
    const ctx = createLocalContext(parseRosArgs(['--ros-args', '-r', '__ns:=/vil']), { recordPath: path() });
    const rtk = ctx.createNode('rtk_serial');
    const can = ctx.createNode('can_bridge');
    const publish = <T>(node: typeof rtk, type: string, topic: string, msgs: T[], qos?: Parameters<typeof rtk.createPublisher>[2]) => {
      const pub = node.createPublisher<T>(type, topic, qos);
      for (const m of msgs) {
        pub.publish(m);
        sent.push({ topic: pub.topic, type, msg: m });
      }
    };
    publish(rtk, 'nmea_msgs/msg/Sentence', 'rtk/raw', f9p.sentences.map((s) => sentenceMsg(s, stamp)), 'sensor_data');
    publish(rtk, 'sensor_msgs/msg/NavSatFix', 'rtk/fix', f9p.tpv.map(navSatFix));
    publish(rtk, 'diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', [
      { header: { stamp, frame_id: '' }, status: [{ level: 0, name: 'rtk_serial: receiver', message: 'fix 3D, 12 sats, 25 °C', hardware_id: 'ZED-F9P', values: [{ key: 'hdop', value: '0.64' }] }] },
    ]);
    publish(can, 'can_msgs/msg/Frame', 'can/raw', [{ header: { stamp, frame_id: 'can0' }, id: 0x123, is_rtr: false, is_extended: false, is_error: false, dlc: 2, data: Uint8Array.of(1, 2, 0, 0, 0, 0, 0, 0) }]);
    publish(rtk, 'std_msgs/msg/Int64MultiArray', 'counters', [{ layout: { dim: [], data_offset: 0 }, data: [2n ** 62n, -1n] }], { reliability: 'reliable', durability: 'transient_local', history: 'keep_last', depth: 1 });
    // Enough RTCM to span several 1 MiB chunks.
    const rtcm = Array.from({ length: 2500 }, (_, i) => ({ header: { stamp: { sec: stamp.sec, nanosec: i }, frame_id: '' }, message: Uint8Array.from({ length: 1000 }, (_, j) => (i + j) & 0xff) }));
    publish(rtk, 'rtcm_msgs/msg/Message', 'rtk/rtcm', rtcm);
    // publish() only queued: nothing is written while the caller still runs.
    recordedBeforeFlush = ctx.graph.recording()!.messages;
    await ctx.shutdown();
    expect(ctx.graph.recording()!.error).toBeUndefined();
  }, 600_000);

  it('publish() queues without writing; shutdown flushes everything, zstd-compressed', () => {
    expect(recordedBeforeFlush).toBe(0);
    // 2.5 MB of RTCM payload alone; the chunks are compressed (the payload is a repeating pattern).
    expect(statSync(path()).size).toBeLessThan(1_000_000);
  });

  it('reads back with @mcap/core and the embedded schemas into the same messages, every field', async () => {
    const got: McapMessage[] = await readMcap(path());
    expect(got).toHaveLength(sent.length);
    const byTopic = (list: { topic: string }[], t: string) => list.filter((m) => m.topic === t);
    for (const topic of new Set(sent.map((s) => s.topic))) {
      const mine = byTopic(sent, topic) as typeof sent;
      const theirs = byTopic(got, topic) as McapMessage[];
      expect(theirs.map((m) => m.type)).toEqual(mine.map((m) => m.type));
      expect(theirs.map((m) => plain(m.message))).toEqual(mine.map((m) => plain(m.msg)));
      // rosbag2 writes sequence 0.
      expect(theirs.every((m) => m.sequence === 0)).toBe(true);
    }
    expect(new Set(got.map((m) => m.topic))).toEqual(new Set(['/vil/rtk/raw', '/vil/rtk/fix', '/diagnostics', '/vil/can/raw', '/vil/counters', '/vil/rtk/rtcm']));
    // Log time = publish time on the ROS clock (system time here), non-decreasing in file order.
    for (let i = 1; i < got.length; i++) expect(got[i].logTime >= got[i - 1].logTime).toBe(true);
    expect(got.every((m) => m.logTime === m.publishTime)).toBe(true);
  });

  it('is laid out as rosbag2 writes MCAP: profile ros2, ros2msg schemas named pkg/msg/Type, cdr channels with offered QoS and type hash, zstd chunks', async () => {
    const info = await readMcapInfo(path());
    expect(info.profile).toBe('ros2');
    expect(info.chunks).toBeGreaterThanOrEqual(3);
    expect(info.statistics?.messageCount).toBe(BigInt(sent.length));
    const reg = messageRegistry();
    for (const s of info.schemas) {
      expect(s.encoding).toBe('ros2msg');
      expect(s.text).toBe(reg.schemaText(s.name));
      // The text alone is enough to build a decoder.
      expect(parseMsg(s.text, { ros2: true })[0].definitions.length).toBeGreaterThan(0);
    }
    expect(info.schemas.map((s) => s.name).sort()).toEqual([...new Set(sent.map((s) => s.type))].sort());
    for (const c of info.channels) {
      expect(c.messageEncoding).toBe('cdr');
      expect(Object.keys(c.metadata).sort()).toEqual(['offered_qos_profiles', 'topic_type_hash']);
      expect(c.metadata.topic_type_hash).toBe(typeHash(reg, info.schemas.find((s) => s.id === c.schemaId)!.name));
      const qos = parseYaml(c.metadata.offered_qos_profiles) as Record<string, unknown>[];
      expect(qos).toHaveLength(1);
      expect(Object.keys(qos[0])).toEqual(['history', 'depth', 'reliability', 'durability', 'deadline', 'lifespan', 'liveliness', 'liveliness_lease_duration', 'avoid_ros_namespace_conventions']);
      expect(qos[0]).toMatchObject({ deadline: { sec: 9223372036, nsec: 854775807 }, liveliness: 'automatic', avoid_ros_namespace_conventions: false });
    }
    const qosOf = (topic: string) => (parseYaml(info.channels.find((c) => c.topic === topic)!.metadata.offered_qos_profiles) as Record<string, unknown>[])[0];
    // Metadata version 9: policies by name (rmw_qos_*_policy_to_str).
    expect(qosOf('/vil/rtk/raw')).toMatchObject({ history: 'keep_last', depth: 5, reliability: 'best_effort', durability: 'volatile' });
    expect(qosOf('/vil/rtk/fix')).toMatchObject({ history: 'keep_last', depth: 10, reliability: 'reliable', durability: 'volatile' });
    expect(qosOf('/vil/counters')).toMatchObject({ history: 'keep_last', depth: 1, reliability: 'reliable', durability: 'transient_local' });
    // The rosbag2 metadata record: the bag's metadata YAML, version 9, as ros2 bag info reads it.
    expect(info.metadata.map((m) => [m.name, Object.keys(m.metadata)])).toEqual([['rosbag2', ['serialized_metadata']]]);
    // Integers as bigint: nanoseconds since the epoch exceed 2^53.
    const bag = parseYaml(info.metadata[0].metadata.serialized_metadata, { intAsBigInt: true }) as Record<string, any>;
    expect(Object.keys(bag)).toEqual(['version', 'storage_identifier', 'duration', 'starting_time', 'message_count', 'topics_with_message_count', 'compression_format', 'compression_mode', 'relative_file_paths', 'files', 'custom_data', 'ros_distro']);
    expect(bag).toMatchObject({ version: 9n, storage_identifier: 'mcap', message_count: BigInt(sent.length), compression_format: '', compression_mode: '', relative_file_paths: ['run.mcap'], custom_data: {}, ros_distro: 'jazzy' });
    expect(bag.starting_time.nanoseconds_since_epoch).toBe(info.statistics!.messageStartTime);
    expect(bag.duration.nanoseconds).toBe(info.statistics!.messageEndTime - info.statistics!.messageStartTime);
    expect(bag.files).toEqual([{ path: 'run.mcap', starting_time: bag.starting_time, duration: bag.duration, message_count: BigInt(sent.length) }]);
    const topics = bag.topics_with_message_count as { topic_metadata: Record<string, any>; message_count: bigint }[];
    expect(topics.map((t) => [t.topic_metadata.name, t.message_count]).sort()).toEqual([...new Set(sent.map((s) => s.topic))].map((t) => [t, BigInt(sent.filter((s) => s.topic === t).length)]).sort());
    for (const t of topics) {
      const ch = info.channels.find((c) => c.topic === t.topic_metadata.name)!;
      expect(t.topic_metadata.type).toBe(info.schemas.find((s) => s.id === ch.schemaId)!.name);
      expect(t.topic_metadata.serialization_format).toBe('cdr');
      expect(t.topic_metadata.type_description_hash).toBe(ch.metadata.topic_type_hash);
      expect(t.topic_metadata.offered_qos_profiles).toEqual(parseYaml(ch.metadata.offered_qos_profiles, { intAsBigInt: true }));
    }
  });

  it('passes an independent MCAP reader (python3, from the spec): CRCs, indexes, statistics; records the exact CDR bytes', () => {
    const py = JSON.parse(python('mcap_parse.py', [path()])) as PyMcap;
    expect(py.checks).toEqual(['data section crc', 'summary crc', 'statistics and chunk indexes']);
    expect(py.chunk_compression).toEqual(['zstd']);
    expect(py.header.profile).toBe('ros2');
    expect(py.statistics.message_count).toBe(sent.length);
    expect(py.chunks).toBe(py.statistics.chunk_count);
    expect(py.messages).toHaveLength(sent.length);
    const expected = new Map<string, string[]>();
    for (const s of sent) {
      const list = expected.get(s.topic) ?? [];
      list.push(hex(codecFor(s.type).encode(s.msg)));
      expected.set(s.topic, list);
    }
    for (const [topic, bytes] of expected) {
      expect(py.messages.filter((m) => m.topic === topic).map((m) => m.data), topic).toEqual(bytes);
    }
    const schemaById = new Map(py.schemas.map((s) => [s.id, s]));
    for (const c of py.channels) expect(schemaById.get(c.schema_id)?.name).toBe(sent.find((s) => s.topic === c.topic)!.type);
  });
});

describe('MCAP recording with use_sim_time', () => {
  it('stamps log time with the ROS clock: /clock, zero before the first', async () => {
    const path = join(dir, 'sim.mcap');
    const ctx = createLocalContext(parseRosArgs(['--ros-args', '-p', 'use_sim_time:=true']), { recordPath: path });
    const n = ctx.createNode('n');
    const clock = ctx.createNode('player').createPublisher('rosgraph_msgs/msg/Clock', '/clock');
    const pub = n.createPublisher('nmea_msgs/msg/Sentence', '/nmea');
    pub.publish(sentenceMsg(f9p.sentences[0], stamp));
    clock.publish({ clock: { sec: 1555029596, nanosec: 250 } });
    await ctx.graph.idle();
    pub.publish(sentenceMsg(f9p.sentences[1], stamp));
    await ctx.shutdown();
    const got = await readMcap(path);
    const nmea = got.filter((m) => m.topic === '/nmea');
    expect(nmea.map((m) => m.logTime)).toEqual([0n, 1555029596_000_000_250n]);
    // The player node is on sim time too (-p without a node name applies to all): its /clock
    // message, published before the first /clock arrived, is logged at 0.
    expect(got.find((m) => m.topic === '/clock')!.logTime).toBe(0n);
  });

  it('with a data clock (vil import) every node\'s clock is the latest header stamp published: log times are the data\'s own', async () => {
    const path = join(dir, 'data.mcap');
    const start = { sec: 1622547830, nanosec: 0 };
    const ctx = createLocalContext(parseRosArgs([]), { recordPath: path, dataClock: { start } });
    const n = ctx.createNode('n');
    expect(n.now()).toEqual(start);
    const frames = n.createPublisher('can_msgs/msg/Frame', '/can');
    const counters = n.createPublisher('std_msgs/msg/UInt64', '/count');
    const frame = (sec: number, nanosec: number) => ({ header: { stamp: { sec, nanosec }, frame_id: 'can0' }, id: 1, is_rtr: false, is_extended: false, is_error: false, dlc: 0, data: new Uint8Array(8) });
    frames.publish(frame(1622547830, 84_600_000));
    counters.publish({ data: 1n }); // no header: logged at the data clock
    frames.publish(frame(1622547831, 5));
    frames.publish(frame(1622547830, 90_000_000)); // earlier stamp: the clock does not go back
    expect(n.now()).toEqual({ sec: 1622547831, nanosec: 5 });
    await ctx.shutdown();
    const got = await readMcap(path);
    expect(got.map((m) => [m.topic, m.logTime])).toEqual([
      ['/can', 1622547830_084_600_000n],
      ['/count', 1622547830_084_600_000n],
      ['/can', 1622547831_000_000_005n],
      ['/can', 1622547831_000_000_005n],
    ]);
  });

  it('backpressure by bytes as well as messages (vil import): backlogBelow waits until both are below their limits', async () => {
    const path = join(dir, 'bytes.mcap');
    const ctx = createLocalContext(parseRosArgs([]), { recordPath: path });
    const recorder = ctx.graph.sink as McapRecorder;
    const pub = ctx.createNode('n').createPublisher('std_msgs/msg/String', '/big');
    const big = { data: 'x'.repeat(100_000) };
    for (let i = 0; i < 20; i++) pub.publish(big); // queued, not yet written: 20 messages, 2 MB
    expect(recorder.backlog).toBe(20);
    expect(recorder.backlogBytes).toBeGreaterThan(20 * 100_000);
    let resolved = false;
    const waiting = recorder.backlogBelow(1000, 300_000).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false); // few messages, but too many bytes
    await waiting;
    expect(recorder.backlogBytes).toBeLessThanOrEqual(300_000);
    expect(resolved).toBe(true);
    await ctx.shutdown();
    expect((await readMcap(path)).filter((m) => m.topic === '/big')).toHaveLength(20);
  });

  it('a failing disk (/dev/full) stops the recording, not the graph', async () => {
    const ctx = createLocalContext(parseRosArgs([]), { recordPath: '/dev/full' });
    const n = ctx.createNode('n');
    const got: unknown[] = [];
    n.createSubscription('nmea_msgs/msg/Sentence', '/nmea', { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 }, (m) => got.push(m));
    const pub = n.createPublisher('nmea_msgs/msg/Sentence', '/nmea');
    for (const s of f9p.sentences) pub.publish(sentenceMsg(s, stamp));
    await ctx.graph.idle();
    await ctx.shutdown();
    expect(got).toHaveLength(f9p.sentences.length);
    expect(ctx.graph.recording()!.error).toMatch(/ENOSPC/);
  });

  it('a path that cannot be created is refused at start-up with a ConfigError naming --record', () => {
    expect(() => createLocalContext(parseRosArgs([]), { recordPath: join(dir, 'no', 'such', 'dir', 'x.mcap') })).toThrow(/command line: --record .*x\.mcap: cannot create the file .*Fix: give a path in an existing, writable directory/);
  });
});

// can_bridge with source recording: MF4 / BLF / ASC / candump files through the same intake as a
// live bus. Judged by the reference dumps of the real recordings (asammdf / python-can, see
// test/fixtures/buslogs/ATTRIBUTION.md) and by the recordings' own timestamps:
// - as fast as possible: every frame arrives on its bus's raw topic, in order, with its recorded
//   time (stamps log), and the DBC's messages are decoded;
// - at the recorded pace: judged by the data stamps (stamps replay keeps every interval exactly),
//   not by the wall clock;
// - a stop during a long gap in the recording is prompt: the source reports it was waiting for a
//   frame an hour later when stop() came, and stop() resolved (the test's limit is far below an hour);
// - channel → bus mapping from the configuration, and its errors.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CanMsgsFrame } from '../../nodes/can_bridge/raw_frames.js';
import type { DecodedSignalsMsg } from '../../nodes/can_bridge/decoded_signals.js';
import type { Time } from '../../nodes/runtime/ros.js';
import { CandumpLog, ROOT, at, diag, replayed, startBridge, tempDir, writeConfig, type Rig } from './node_helpers.js';
import { readRef, type RefFrame } from '../buslog/reference.js';

const BUSLOGS = join(ROOT, 'test/fixtures/buslogs');
const MF4 = join(BUSLOGS, 'mf4/css_2F6913DB_0004_00000001.MF4');
const CANMOD = join(BUSLOGS, 'dbc/canmod-gps.dbc');

let rig: Rig | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const us = (t: Time): number => t.sec * 1e6 + Math.round(t.nanosec / 1000);
const hex = (d: Uint8Array, n: number): string => Buffer.from(d.subarray(0, n)).toString('hex').toUpperCase();

describe('can_bridge source recording', () => {
  it('as fast as possible: every frame of a real MF4 on its bus (channel 1 → can1, 2 → can2) with its recorded time; decoded with the DBC', async () => {
    const ref = readRef(`${MF4}.candump`);
    const config = writeConfig(dir(), `buses:\n  can1: {}\n  can2: {dbc: ${CANMOD}}\ndecoded:\n  - {bus: can2}\n`);
    rig = await startBridge(
      { source: 'recording', config_file: config, recording_files: [MF4], recording_realtime: false, recording_stamps: 'log' },
      [
        ['can_msgs/msg/Frame', '/vil/can/can1/raw'],
        ['can_msgs/msg/Frame', '/vil/can/can2/raw'],
        ['vil/msg/DecodedSignals', '/vil/can/decoded'],
      ],
    );
    await replayed(rig);
    for (const ch of [1, 2]) {
      const want = ref.filter((r) => r.channel === ch);
      const got = rig.on<CanMsgsFrame>(`/vil/can/can${ch}/raw`);
      expect(got.length, `can${ch}`).toBe(want.length);
      expect(got.length).toBeGreaterThan(200);
      for (let i = 0; i < want.length; i++) {
        const r: RefFrame = want[i];
        const g = got[i];
        expect({ us: us(g.header.stamp), id: g.id, error: g.is_error, rtr: g.is_rtr, data: r.kind === 'data' ? hex(g.data, g.dlc) : '' }, r.line).toEqual({
          us: r.us,
          id: r.id,
          error: r.kind === 'error',
          rtr: r.kind === 'remote',
          data: r.data,
        });
      }
    }
    // canmod-gps.dbc knows ids 1..9 on can2: one DecodedSignals per such frame.
    const known = ref.filter((r) => r.channel === 2 && r.kind === 'data' && !r.extended && r.id >= 1 && r.id <= 9);
    const decoded = rig.on<DecodedSignalsMsg>('/vil/can/decoded');
    expect(decoded.map((d) => [us(d.header.stamp), d.id])).toEqual(known.map((r) => [r.us, r.id]));
    const d = diag(rig, 'recording replay');
    expect(d.values).toMatchObject({ files: '1', frames: String(ref.length), frames_per_channel: '1: 221, 2: 5367', unmapped_channel_frames: '0', finished: 'true' });
    expect(d.message).toBe('replay finished');
  });

  it('channels no bus takes are counted, not fatal; recording_channel maps any channel to any bus', async () => {
    const ref = readRef(`${MF4}.candump`);
    const config = writeConfig(dir(), `buses:\n  gps: {recording_channel: 2, dbc: ${CANMOD}}\n`);
    rig = await startBridge({ source: 'recording', config_file: config, recording_files: [MF4], recording_realtime: false }, [['can_msgs/msg/Frame', '/vil/can/gps/raw']]);
    await replayed(rig);
    expect(rig.on<CanMsgsFrame>('/vil/can/gps/raw')).toHaveLength(ref.filter((r) => r.channel === 2).length);
    expect(diag(rig, 'recording replay').values.unmapped_channel_frames).toBe(String(ref.filter((r) => r.channel === 1).length));
  });

  it('at the recorded pace: stamps (replay) start at the ROS time of the start and keep every recorded interval exactly', async () => {
    const t0: Time = { sec: 1_700_000_000, nanosec: 123_456_000 };
    const log = new CandumpLog();
    const offsetsMs = [0, 10, 10.5, 45, 120, 121, 250, 300];
    for (const [i, ms] of offsetsMs.entries()) log.raw(at(t0, ms), 'can0', 0x100 + i, [i, i + 1]);
    const d = dir();
    const file = log.write(d, 'paced.log');
    const config = writeConfig(d, 'buses:\n  can0: {}\n');
    rig = await startBridge({ source: 'recording', config_file: config, recording_files: [file], recording_realtime: true, recording_stamps: 'replay' }, [['can_msgs/msg/Frame', '/vil/can/can0/raw']]);
    const before = rig.probe.now();
    await replayed(rig);
    const got = rig.on<CanMsgsFrame>('/vil/can/can0/raw');
    expect(got.map((g) => g.id)).toEqual(offsetsMs.map((_, i) => 0x100 + i));
    const ns = (t: Time) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
    const first = ns(got[0].header.stamp);
    expect(first >= ns(before)).toBe(true);
    expect(got.map((g) => ns(g.header.stamp) - first)).toEqual(offsetsMs.map((ms) => BigInt(Math.round(ms * 1e6))));
  });

  it('a stop during an hour-long gap is prompt: the source was waiting for the frame an hour on, and stop() resolves', async () => {
    const t0: Time = { sec: 1_700_000_000, nanosec: 0 };
    const log = new CandumpLog();
    log.raw(t0, 'can0', 0x123, [1]);
    log.raw(at(t0, 3_600_000), 'can0', 0x124, [2]);
    const d = dir();
    const file = log.write(d, 'gap.log');
    const config = writeConfig(d, 'buses:\n  can0: {}\n');
    rig = await startBridge({ source: 'recording', config_file: config, recording_files: [file], recording_realtime: true, recording_stamps: 'log' }, [['can_msgs/msg/Frame', '/vil/can/can0/raw']]);
    const source = rig.run.source.recording!;
    // Condition, not time: wait until the source sleeps toward the second frame.
    for (let i = 0; i < 100_000 && source.waiting === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    expect(source.waiting?.frameTime).toEqual(at(t0, 3_600_000));
    expect(source.waiting!.ms).toBeGreaterThan(3_500_000);
    await rig.stop();
    rig = undefined;
    expect(source.stoppedWhileWaiting).toBe(true);
    expect(source.counters.frames).toBe(1);
    expect(source.finished).toBe(true);
  });

  it('a window: recording_start / recording_duration replay exactly the frames from start to start + duration after the first frame', async () => {
    const ref = readRef(`${MF4}.candump`);
    const first = ref[0].us;
    // 20 s from 30 s on; the reference times are µs, the recording's ns: bounds chosen between frames.
    const inWindow = ref.filter((r) => r.us - first >= 30e6 && r.us - first < 50e6);
    expect(inWindow.length).toBeGreaterThan(500);
    const config = writeConfig(dir(), `buses:\n  can1: {}\n  can2: {dbc: ${CANMOD}}\n`);
    rig = await startBridge(
      { source: 'recording', config_file: config, recording_files: [MF4], recording_realtime: false, recording_stamps: 'log', recording_start: 30, recording_duration: 20 },
      [
        ['can_msgs/msg/Frame', '/vil/can/can1/raw'],
        ['can_msgs/msg/Frame', '/vil/can/can2/raw'],
      ],
    );
    await replayed(rig);
    const got = [...rig.on<CanMsgsFrame>('/vil/can/can1/raw'), ...rig.on<CanMsgsFrame>('/vil/can/can2/raw')].map((g) => us(g.header.stamp)).sort((a, b) => a - b);
    expect(got).toEqual(inWindow.map((r) => r.us));
    const d = diag(rig, 'recording replay');
    expect(d.values).toMatchObject({ frames: String(inWindow.length), frames_before_start: String(ref.filter((r) => r.us - first < 30e6).length), finished: 'true' });
  });

  it('backpressure: as fast as possible into a keep-last-1 subscriber that is slow, and not one frame is dropped (the replay waits for it)', async () => {
    const ref = readRef(`${MF4}.candump`);
    const config = writeConfig(dir(), `buses:\n  can1: {}\n  can2: {}\n`);
    rig = await startBridge({ source: 'recording', config_file: config, recording_files: [MF4], recording_realtime: false, recording_stamps: 'log' }, []);
    // A subscriber whose queue holds one message, with a callback slower than the replay.
    const slow: number[] = [];
    rig.probe.createSubscription<CanMsgsFrame>('can_msgs/msg/Frame', '/vil/can/can2/raw', { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1 }, (m) => {
      const until = performance.now() + 0.02;
      while (performance.now() < until); // busy: the replay would run ahead of it
      slow.push(us(m.header.stamp));
    });
    await replayed(rig);
    const want = ref.filter((r) => r.channel === 2).map((r) => r.us);
    // The subscription was created after the replay started: it got every frame from its first on.
    expect(slow.length).toBeGreaterThan(want.length / 2);
    expect(slow).toEqual(want.slice(want.indexOf(slow[0])));
    expect(rig.ctx.graph.stats().find((t) => t.topic === '/vil/can/can2/raw')!.dropped).toBe(0);
    expect(Number(diag(rig, 'recording replay').values.held_for_subscribers)).toBeGreaterThan(0);
  });

  it('backpressure is what prevents the drops: the same burst published without awaiting it loses messages in a keep-last-1 queue', async () => {
    const config = writeConfig(dir(), 'buses:\n  can0: {}\n');
    rig = await startBridge({ source: 'candump', config_file: config, candump_file: new CandumpLog().write(dir(), 'empty.log') }, []);
    const node = rig.ctx.createNode('burst');
    const pub = node.createPublisher<{ data: number }>('std_msgs/msg/Int32', '/burst', 'default');
    const got: number[] = [];
    rig.probe.createSubscription<{ data: number }>('std_msgs/msg/Int32', '/burst', { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1 }, (m) => got.push(m.data));
    for (let i = 0; i < 100; i++) pub.publish({ data: i });
    await rig.settle();
    expect(got).toEqual([99]); // keep_last 1: the oldest dropped
    got.length = 0;
    for (let i = 0; i < 100; i++) {
      pub.publish({ data: i });
      await node.backpressure?.();
    }
    await rig.settle();
    expect(got).toEqual([...Array(100).keys()]);
  });

  it('configuration errors: no recording, a missing file, two buses on one channel', async () => {
    const d = dir();
    const config = writeConfig(d, 'buses:\n  can0: {}\n  vcan0: {}\n');
    await expect(startBridge({ source: 'recording', config_file: config }, [])).rejects.toThrow(/recording_files: source recording needs at least one recording/);
    await expect(startBridge({ source: 'recording', config_file: config, recording_files: [join(d, 'none.MF4')] }, [])).rejects.toThrow(/recording_files\[0\]: file not found: .*none\.MF4/);
    await expect(startBridge({ source: 'recording', config_file: config, recording_files: [MF4] }, [])).rejects.toThrow(/buses can0 and vcan0 both take recording channel 0 .*Fix: give each bus its own recording_channel/);
    const explicit = writeConfig(d, 'buses:\n  a: {recording_channel: 1}\n  b: {recording_channel: 1}\n', 'dup.yaml');
    await expect(startBridge({ source: 'recording', config_file: explicit, recording_files: [MF4] }, [])).rejects.toThrow(/buses\.b\.recording_channel: recording channel 1 is already bus a's/);
  });
});

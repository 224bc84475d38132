// can_bridge with source topic on the local graph: raw frames published by the test (as a bag
// replay would) on vil/can/<bus>/raw (can_msgs/Frame) and raw_fd (ros2_socketcan_msgs/FdFrame)
// go through the same intake into decoded topics; and a recording of the raw topics from one run
// replays into the same decoded output with a different DBC version. Expected values by hand
// from the DBC lines.
import { afterEach, describe, expect, it } from 'vitest';
import type { Publisher } from '../../nodes/runtime/ros.js';
import type { CanMsgsFrame, FdFrameMsg } from '../../nodes/can_bridge/raw_frames.js';
import type { DecodedSignalsMsg } from '../../nodes/can_bridge/decoded_signals.js';
import type { VehicleStateMsg } from '../../nodes/can_bridge/vehicle_state.js';
import { ALL, DBC, SHIPPED_CONFIG, CandumpLog, at, replayed, startBridge, tempDir, writeConfig, type Rig } from './node_helpers.js';

const T0 = { sec: 1_700_000_500, nanosec: 250_000_000 };

let rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs) await r.stop();
  rigs = [];
});

const classic = (t: { sec: number; nanosec: number }, id: number, data: number[]): CanMsgsFrame => ({
  header: { stamp: t, frame_id: 'can0' },
  id,
  is_rtr: false,
  is_extended: false,
  is_error: false,
  dlc: data.length,
  data: Uint8Array.from([...data, ...new Array(8 - data.length).fill(0)]),
});

describe('can_bridge from the raw topics (source topic, local graph)', () => {
  it('classic and CAN FD raw messages decode as they would from the bus; the bridge does not republish raw frames', async () => {
    const dir = tempDir();
    const cfg = writeConfig(
      dir,
      `buses:
  can0: {dbc: ${DBC('toyota_new_mc_pt_generated.dbc')}}
  chassis: {interface: canfd0, dbc: ${DBC('hyundai_canfd_generated.dbc')}, fd: true}
decoded:
  - {bus: can0, messages: [SPEED], topic: vil/can/decoded}
  - {bus: chassis, messages: [WHEEL_SPEEDS], per_message: true, topic: vil/can/chassis}
vehicle_state:
  bus: chassis
  rate_hz: 100
  wheel_speeds: {fl: WHEEL_SPEEDS.WHEEL_SPEED_FL, fr: WHEEL_SPEEDS.WHL_SpdFRVal, rl: WHEEL_SPEEDS.WHL_SpdRLVal, rr: WHEEL_SPEEDS.WHL_SpdRRVal, unit: km/h}
`.replace('WHEEL_SPEEDS.WHEEL_SPEED_FL', 'WHEEL_SPEEDS.WHL_SpdFLVal'),
    );
    const rig = await startBridge({ source: 'topic', config_file: cfg, timebase: 'data' }, [
      ['can_msgs/msg/Frame', '/vil/can/can0/raw'],
      ['vil/msg/DecodedSignals', '/vil/can/decoded'],
      ['vil/msg/DecodedSignals', '/vil/can/chassis/WHEEL_SPEEDS'],
      ['vil/msg/VehicleState', '/vil/can/vehicle_state'],
    ]);
    rigs.push(rig);
    const rawPub: Publisher<CanMsgsFrame> = rig.probe.createPublisher('can_msgs/msg/Frame', '/vil/can/can0/raw', ALL);
    const fdPub: Publisher<FdFrameMsg> = rig.probe.createPublisher('ros2_socketcan_msgs/msg/FdFrame', '/vil/can/chassis/raw_fd', ALL);
    // SG_ SPEED : 47|16@0+ (0.01,0) "km/h" → bytes 5..6
    rawPub.publish(classic(T0, 0xb4, [0, 0, 0, 0, 0, 0x27, 0x10, 0]));
    rawPub.publish(classic(at(T0, 10), 0xb4, [0, 0, 0, 0, 0, 0x00, 0x64, 0]));
    // SG_ WHL_SpdFLVal : 64|14@1+ (0.03125,0), FR 80, RL 96, RR 112 (little endian, 14 bits)
    const wheels = [0x0640, 0x0641, 0x3fff, 0x0001];
    const fd = new Uint8Array(24);
    wheels.forEach((w, i) => {
      fd[8 + 2 * i] = w & 0xff;
      fd[9 + 2 * i] = w >> 8;
    });
    for (let k = 0; k < 3; k++) {
      fdPub.publish({ header: { stamp: at(T0, 5 + 10 * k), frame_id: 'canfd0' }, id: 0xa0, is_extended: false, is_error: false, len: 24, data: fd });
    }
    await rig.settle();
    const speeds = rig.on<DecodedSignalsMsg>('/vil/can/decoded');
    expect(speeds.map((m) => [m.header.stamp, m.header.frame_id, m.values[1]])).toEqual([
      [T0, 'can0', 0x2710 * 0.01],
      [at(T0, 10), 'can0', 0x64 * 0.01],
    ]);
    const wheelMsgs = rig.on<DecodedSignalsMsg>('/vil/can/chassis/WHEEL_SPEEDS');
    expect(wheelMsgs.length).toBe(3);
    const v = Object.fromEntries(wheelMsgs[0].signal_names.map((n, i) => [n, wheelMsgs[0].values[i]]));
    expect([v.WHL_SpdFLVal, v.WHL_SpdFRVal, v.WHL_SpdRLVal, v.WHL_SpdRRVal]).toEqual(wheels.map((w) => w * 0.03125));
    expect(wheelMsgs[0].header).toEqual({ stamp: at(T0, 5), frame_id: 'canfd0' });
    // vehicle state from the FD bus, data timebase (ticks every 10 ms after the first frame of
    // any bus, T0): ticks at T0+10 ms and T0+20 ms, each seeing the FD frame 5 ms before it
    const vs = rig.on<VehicleStateMsg>('/vil/can/vehicle_state');
    expect(vs.length).toBe(2);
    wheels.forEach((w, i) => expect(vs[0].wheel_speeds[i]).toBeCloseTo((w * 0.03125) / 3.6, 12));
    expect(vs.map((m) => m.header.stamp)).toEqual([at(T0, 10), at(T0, 20)]);
    for (const m of vs) for (const a of m.wheel_speed_ages) expect(a).toBeCloseTo(0.005, 12);
    expect(Number.isNaN(vs[0].speed)).toBe(true); // not configured: NaN with age NaN
    // only the test's two frames on the raw topic: source topic never republishes
    expect(rig.on('/vil/can/can0/raw').length).toBe(2);
  });

  it('a recording of the raw topic replays into the same decoded messages, and with another DBC version', async () => {
    // run 1: a candump log through the shipped config, recording vil/can/can0/raw
    const log = new CandumpLog();
    for (let i = 0; i < 50; i++) {
      const raw = 1000 + 97 * i;
      log.raw(at(T0, 10 * i), 'can0', 0xb4, [0, 0, 0, 0, 0, raw >> 8, raw & 0xff, 0]);
      log.raw(at(T0, 10 * i + 3), 'can0', 0x24, [1, i, 2, 0, 1, 255 - i, 0, 0]);
    }
    const first = await startBridge({ source: 'candump', config_file: SHIPPED_CONFIG, candump_file: log.write(tempDir()), candump_realtime: false, candump_stamps: 'log' }, [
      ['can_msgs/msg/Frame', '/vil/can/can0/raw'],
      ['vil/msg/DecodedSignals', '/vil/can/decoded'],
    ]);
    rigs.push(first);
    await replayed(first);
    const recorded = first.on<CanMsgsFrame>('/vil/can/can0/raw');
    const live = first.on<DecodedSignalsMsg>('/vil/can/decoded');
    expect(recorded.length).toBe(100);
    expect(live.length).toBe(100);

    // run 2: the recorded raw messages played back into a bridge with source topic
    const replay = async (config: string) => {
      const rig = await startBridge({ source: 'topic', config_file: config, interfaces: '[can0]' } as never, [['vil/msg/DecodedSignals', '/vil/can/decoded']]);
      rigs.push(rig);
      const pub: Publisher<CanMsgsFrame> = rig.probe.createPublisher('can_msgs/msg/Frame', '/vil/can/can0/raw', ALL);
      for (const m of recorded) pub.publish(m);
      await rig.settle();
      return rig.on<DecodedSignalsMsg>('/vil/can/decoded');
    };
    const again = await replay(SHIPPED_CONFIG);
    expect(again.map((m) => [m.header, m.message_name, [...m.values]])).toEqual(live.map((m) => [m.header, m.message_name, [...m.values]]));

    // another DBC version: SPEED scaled 0.005 instead of 0.01 (a revised DBC for a new firmware)
    const dir = tempDir();
    const dbcText = (await import('node:fs')).readFileSync(DBC('toyota_new_mc_pt_generated.dbc'), 'latin1').replace('SG_ SPEED : 47|16@0+ (0.01,0)', 'SG_ SPEED : 47|16@0+ (0.005,0)');
    const dbc2 = writeConfig(dir, dbcText, 'toyota_v2.dbc');
    const cfg2 = writeConfig(dir, `buses:\n  can0: {dbc: ${dbc2}}\ndecoded:\n  - {bus: can0, messages: [SPEED, KINEMATICS]}\n`);
    const v2 = await replay(cfg2);
    expect(v2.length).toBe(100);
    const speedsV1 = live.filter((m) => m.message_name === 'SPEED').map((m) => m.values[1]);
    const speedsV2 = v2.filter((m) => m.message_name === 'SPEED').map((m) => m.values[1]);
    expect(speedsV2.length).toBe(50);
    speedsV2.forEach((s, i) => expect(s).toBeCloseTo(speedsV1[i] / 2, 9));
  });
});

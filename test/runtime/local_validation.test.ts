// The local graph refuses what a real ROS 2 graph would refuse to serialise: every publish() is
// checked against the real definition, synchronously, and nothing of a refused message travels.
import { afterEach, describe, expect, it } from 'vitest';
import { MessageValidationError } from '../../nodes/runtime/local/graph.js';
import type { LocalContext } from '../../nodes/runtime/local/context.js';
import { collector, context, loadF9p, navSatFix, sentenceMsg, stampOf } from './helpers.js';

const f9p = loadF9p();
const tpv = f9p.tpv.find((t) => t.altHAE !== undefined && t.eph !== undefined)!;
const fix = navSatFix(tpv);
const stamp = stampOf(tpv.time);

function gnssStatus() {
  return {
    header: { stamp, frame_id: 'gnss' },
    quality: 1,
    quality_name: 'gps',
    fix_mode: 3,
    satellites_used: 12,
    hdop: f9p.sky.hdop,
    vdop: f9p.sky.vdop,
    pdop: f9p.sky.pdop,
    age_of_corrections: Number.NaN,
    station_id: '',
    gnss_time_valid: true,
    gnss_time: stamp,
  };
}

function diagnostics() {
  return {
    header: { stamp, frame_id: '' },
    status: [
      { level: 0, name: 'rtk_serial: receiver', message: 'fix', hardware_id: '/dev/ttyUSB0', values: [{ key: 'sentences', value: '16' }] },
      { level: 1, name: 'rtk_serial: link', message: 'slow', hardware_id: '/dev/ttyUSB0', values: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] },
    ],
  };
}

let ctx: LocalContext;
afterEach(async () => {
  await ctx.shutdown();
});

/** Publishes through a fresh graph with a subscriber, returns the error and proves nothing was sent. */
async function refuse(type: string, message: unknown): Promise<MessageValidationError> {
  ctx = context();
  const node = ctx.createNode('pub');
  const c = collector();
  node.createSubscription(type, '/t', 'default', c.cb);
  const pub = node.createPublisher(type, '/t');
  let err: unknown;
  try {
    pub.publish(message);
  } catch (e) {
    err = e;
  }
  await ctx.graph.idle();
  expect(c.got).toEqual([]);
  expect(ctx.graph.stats().find((s) => s.topic === '/t')!.messages).toBe(0);
  expect(err).toBeInstanceOf(MessageValidationError);
  return err as MessageValidationError;
}

describe('local graph refuses malformed messages at publish()', () => {
  it('accepts the well-formed messages the refusals below are variations of', async () => {
    ctx = context();
    const node = ctx.createNode('pub');
    for (const [type, msg] of [
      ['sensor_msgs/msg/NavSatFix', fix],
      ['nmea_msgs/msg/Sentence', sentenceMsg(f9p.sentences[0], stamp)],
      ['diagnostic_msgs/msg/DiagnosticArray', diagnostics()],
      ['vil/msg/GnssStatus', gnssStatus()],
      ['can_msgs/msg/Frame', { header: { stamp, frame_id: 'can0' }, id: 0x123, is_rtr: false, is_extended: false, is_error: false, dlc: 8, data: new Uint8Array(8) }],
    ] as const) {
      expect(() => node.createPublisher(type, `/ok/${type.split('/')[2]}`).publish(msg)).not.toThrow();
    }
  });

  it('a wrong field name: names the type, the path and the known fields', async () => {
    const { latitude, ...rest } = fix;
    const e = await refuse('sensor_msgs/msg/NavSatFix', { ...rest, lattitude: latitude });
    expect(e.message).toMatch(/^publish on \/t \(sensor_msgs\/msg\/NavSatFix\): field "latitude": missing/);
    expect(e.message).toContain('given but unknown: "lattitude"');
    const extra = await refuse('sensor_msgs/msg/NavSatFix', { ...fix, speed: 3 });
    expect(extra.path).toBe('speed');
    expect(extra.message).toContain('sensor_msgs/msg/NavSatFix has no field "speed"; its fields are: header, status, latitude, longitude, altitude, position_covariance, position_covariance_type');
  });

  it('a wrong field name in a nested message gives the full path', async () => {
    const e = await refuse('sensor_msgs/msg/NavSatFix', { ...fix, header: { ...fix.header, frameid: 'x' } });
    expect(e.path).toBe('header.frameid');
    expect(e.message).toContain('std_msgs/msg/Header has no field "frameid"; its fields are: stamp, frame_id');
  });

  it('a missing field', async () => {
    const e = await refuse('nmea_msgs/msg/Sentence', { header: { stamp, frame_id: 'gnss' } });
    expect(e.path).toBe('sentence');
    expect(e.problem).toMatch(/^missing: every field of nmea_msgs\/msg\/Sentence must be set/);
    const stampless = await refuse('nmea_msgs/msg/Sentence', { header: { stamp: { sec: 1 }, frame_id: 'gnss' }, sentence: f9p.sentences[0] });
    expect(stampless.path).toBe('header.stamp.nanosec');
  });

  it('a wrong JS type, deep in arrays of nested messages', async () => {
    const d = diagnostics();
    d.status[1].values[1] = { key: 'b', value: 2 as unknown as string };
    const e = await refuse('diagnostic_msgs/msg/DiagnosticArray', d);
    expect(e.path).toBe('status[1].values[1].value');
    expect(e.problem).toBe('expected string, got number 2');
    const lvl = diagnostics();
    lvl.status[0].level = 'OK' as unknown as number;
    expect((await refuse('diagnostic_msgs/msg/DiagnosticArray', lvl)).problem).toMatch(/expected uint8 \(an integer 0\.\.255\), got string "OK"/);
    expect((await refuse('diagnostic_msgs/msg/DiagnosticArray', { ...diagnostics(), status: {} })).problem).toMatch(/expected diagnostic_msgs\/msg\/DiagnosticStatus\[\] \(an array\)/);
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), gnss_time_valid: 1 })).problem).toBe('expected bool (true or false), got number 1');
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), hdop: '0.64' })).problem).toMatch(/expected float32 \(a number\)/);
  });

  it('an out-of-range uint8, a non-integer, and other integer ranges', async () => {
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), quality: 256 })).problem).toBe('256 is not a uint8: expected an integer 0..255');
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), quality: -1 })).problem).toMatch(/not a uint8/);
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), satellites_used: 1.5 })).problem).toMatch(/1\.5 is not a uint16/);
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), satellites_used: 65536 })).path).toBe('satellites_used');
    expect((await refuse('sensor_msgs/msg/NavSatFix', { ...fix, status: { status: -129, service: 1 } })).problem).toMatch(/-129 is not a int8/);
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), gnss_time: { sec: 2 ** 31, nanosec: 0 } })).problem).toMatch(/not a int32/);
    expect((await refuse('vil/msg/GnssStatus', { ...gnssStatus(), hdop: 1e39 })).problem).toMatch(/out of range for float32/);
  });

  it('a wrong fixed array length (float64[9], uint8[8])', async () => {
    const e = await refuse('sensor_msgs/msg/NavSatFix', { ...fix, position_covariance: fix.position_covariance.slice(0, 8) });
    expect(e.message).toBe('publish on /t (sensor_msgs/msg/NavSatFix): field "position_covariance": expected exactly 9 elements (float64[9]), got 8');
    const frame = { header: { stamp, frame_id: 'can0' }, id: 1, is_rtr: false, is_extended: false, is_error: false, dlc: 8, data: new Uint8Array(9) };
    expect((await refuse('can_msgs/msg/Frame', frame)).problem).toBe('expected exactly 8 elements (uint8[8]), got 9');
  });

  it('arrays of the wrong element type or the wrong typed array', async () => {
    expect((await refuse('sensor_msgs/msg/NavSatFix', { ...fix, position_covariance: new Float32Array(9) })).problem).toBe(
      'expected float64[9] (an array or Float64Array), got Float32Array of length 9',
    );
    const cov = [...fix.position_covariance] as unknown[];
    cov[4] = '1';
    expect((await refuse('sensor_msgs/msg/NavSatFix', { ...fix, position_covariance: cov })).path).toBe('position_covariance[4]');
    const frame = { header: { stamp, frame_id: 'can0' }, id: 1, is_rtr: false, is_extended: false, is_error: false, dlc: 8, data: [1, 2, 3, 4, 5, 6, 7, 256] };
    expect((await refuse('can_msgs/msg/Frame', frame)).path).toBe('data[7]');
    expect((await refuse('rtcm_msgs/msg/Message', { header: { stamp, frame_id: '' }, message: 'd300' })).problem).toMatch(/expected uint8\[\] \(an array or Uint8Array\), got string/);
  });

  it('64-bit integers: bigint or a safe-integer number, in range', async () => {
    const layout = { dim: [], data_offset: 0 };
    expect((await refuse('std_msgs/msg/Int64', { data: 2 ** 60 })).problem).toMatch(/not a safe integer for int64: pass a bigint/);
    expect((await refuse('std_msgs/msg/Int64', { data: 2n ** 63n })).problem).toMatch(/out of range for int64/);
    expect((await refuse('std_msgs/msg/UInt64', { data: -1n })).problem).toMatch(/out of range for uint64/);
    expect((await refuse('std_msgs/msg/Int64', { data: '5' })).problem).toMatch(/expected int64 \(a bigint, or a safe-integer number\)/);
    expect((await refuse('std_msgs/msg/Int64MultiArray', { layout, data: [1n, 2] })).problem).toMatch(/expected a bigint int64 element, got number 2 \(or pass the whole array as BigInt64Array\)/);
  });

  it('not an object at all', async () => {
    expect((await refuse('std_msgs/msg/String', 'hello')).message).toBe('publish on /t (std_msgs/msg/String): message: expected a std_msgs/msg/String object, got string "hello"');
    expect((await refuse('std_msgs/msg/String', null)).problem).toMatch(/got null/);
  });

  it('an unknown type is refused when the publisher is created', () => {
    ctx = context();
    const node = ctx.createNode('pub');
    expect(() => node.createPublisher('sensor_msgs/msg/NavSatFx', '/t')).toThrow(/unknown message type "sensor_msgs\/msg\/NavSatFx".*did you mean/);
  });
});

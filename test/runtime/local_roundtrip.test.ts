// Messages cross the local graph as CDR: what a subscriber receives is the deserialised copy of
// the bytes, in rclnodejs shapes. The bytes themselves are checked against independent encodings.
import { afterEach, describe, expect, it } from 'vitest';
import { codecFor } from '../../nodes/runtime/codecs.js';
import type { LocalContext } from '../../nodes/runtime/local/context.js';
import { collector, context, hex, loadF9p, navSatFix, python, sentenceMsg, stampOf } from './helpers.js';

const f9p = loadF9p();
const stamp = stampOf(f9p.tpv[0].time);

let ctx: LocalContext;
afterEach(async () => {
  await ctx.shutdown();
});

/** Publishes from node a, receives in node b, returns what b got. */
async function roundTrip<T>(type: string, messages: unknown[]): Promise<T[]> {
  ctx = context();
  const a = ctx.createNode('a');
  const b = ctx.createNode('b');
  const c = collector<T>();
  b.createSubscription<T>(type, '/rt', { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 }, c.cb);
  const pub = a.createPublisher(type, '/rt');
  for (const m of messages) pub.publish(m);
  expect(c.got).toEqual([]); // delivery is asynchronous, as on a real middleware
  await ctx.graph.idle();
  return c.got;
}

describe('local graph round trip between two nodes', () => {
  it('sensor_msgs/NavSatFix from gpsd decodings of a u-blox F9P: every field, covariance as Float64Array', async () => {
    const sent = f9p.tpv.map(navSatFix);
    const got = await roundTrip<ReturnType<typeof navSatFix>>('sensor_msgs/msg/NavSatFix', sent);
    expect(got).toHaveLength(sent.length);
    got.forEach((m, i) => {
      expect(m).not.toBe(sent[i]);
      expect(m.position_covariance).toBeInstanceOf(Float64Array);
      expect({ ...m, position_covariance: [...m.position_covariance] }).toEqual(sent[i]);
    });
    expect(got[0].latitude).toBe(-45.877567167);
    expect(got[1].altitude).toBe(16);
    expect(Number.isNaN(got[0].altitude)).toBe(true); // RMC has no altitude: NaN survives the wire
  });

  it('nmea_msgs/Sentence: the receiver\'s sentences, verbatim', async () => {
    const sent = f9p.sentences.map((s) => sentenceMsg(s, stamp));
    expect(await roundTrip('nmea_msgs/msg/Sentence', sent)).toEqual(sent);
  });

  it('diagnostic_msgs/DiagnosticArray: arrays of nested messages with arrays, non-ASCII text', async () => {
    const sent = [
      {
        header: { stamp, frame_id: '' },
        status: [
          { level: 0, name: 'rtk_serial: receiver', message: 'RTK fixed, 12 satellites', hardware_id: 'u-blox ZED-F9P', values: [{ key: 'hdop', value: String(f9p.sky.hdop) }, { key: 'antenna', value: '−1.5 °C ≥ limit' }] },
          { level: 2, name: 'can_bridge: can0', message: 'bus off', hardware_id: 'can0', values: [] },
        ],
      },
      { header: { stamp, frame_id: '' }, status: [] },
    ];
    expect(await roundTrip('diagnostic_msgs/msg/DiagnosticArray', sent)).toEqual(sent);
  });

  it('int64/uint64 as bigint, including the extremes; int64[] as BigInt64Array or bigint[]', async () => {
    const got = await roundTrip<{ data: bigint }>('std_msgs/msg/Int64', [{ data: -(2n ** 63n) }, { data: 2n ** 63n - 1n }, { data: 42 }]);
    expect(got.map((m) => m.data)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 42n]);
    await ctx.shutdown();
    const u = await roundTrip<{ data: bigint }>('std_msgs/msg/UInt64', [{ data: 2n ** 64n - 1n }]);
    expect(u[0].data).toBe(2n ** 64n - 1n);
    await ctx.shutdown();
    const layout = { dim: [{ label: 'samples', size: 3, stride: 3 }], data_offset: 0 };
    const arr = await roundTrip<{ data: BigInt64Array }>('std_msgs/msg/Int64MultiArray', [
      { layout, data: BigInt64Array.from([1n, -2n, 2n ** 62n]) },
      { layout, data: [5n, -(2n ** 63n), 7n] },
    ]);
    expect([...arr[0].data]).toEqual([1n, -2n, 2n ** 62n]);
    expect([...arr[1].data]).toEqual([5n, -(2n ** 63n), 7n]);
    expect(arr[0].data).toBeInstanceOf(BigInt64Array);
  });

  it('uint8[] as Uint8Array (or number[]), fixed uint8[8], float arrays', async () => {
    const rtcm = Uint8Array.from({ length: 1029 }, (_, i) => (i * 37) & 0xff);
    const got = await roundTrip<{ message: Uint8Array }>('rtcm_msgs/msg/Message', [
      { header: { stamp, frame_id: '' }, message: rtcm },
      { header: { stamp, frame_id: '' }, message: [0xd3, 0x00, 0x13] },
    ]);
    expect(got[0].message).toBeInstanceOf(Uint8Array);
    expect(got[0].message).toEqual(rtcm);
    expect([...got[1].message]).toEqual([0xd3, 0x00, 0x13]);
    await ctx.shutdown();
    const frame = { header: { stamp, frame_id: 'can0' }, id: 0x18fef100, is_rtr: false, is_extended: true, is_error: false, dlc: 8, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 255) };
    expect(await roundTrip('can_msgs/msg/Frame', [frame])).toEqual([frame]);
    await ctx.shutdown();
    const f32 = await roundTrip<{ data: Float32Array }>('std_msgs/msg/Float32MultiArray', [{ layout: { dim: [], data_offset: 0 }, data: [0.5, -1.25, Number.POSITIVE_INFINITY] }]);
    expect([...f32[0].data]).toEqual([0.5, -1.25, Number.POSITIVE_INFINITY]);
  });

  it('vil/GnssStatus: the project\'s own type, time fields and NaN floats', async () => {
    const m = {
      header: { stamp, frame_id: 'gnss' },
      quality: 4,
      quality_name: 'rtk_fixed',
      fix_mode: 3,
      satellites_used: 12,
      hdop: 0.5,
      vdop: 0.75,
      pdop: 1,
      age_of_corrections: Number.NaN,
      station_id: '0042',
      gnss_time_valid: true,
      gnss_time: { sec: 1555029596, nanosec: 0 },
    };
    expect(await roundTrip('vil/msg/GnssStatus', [m])).toEqual([m]);
  });

  it('each subscriber gets its own copy: mutating a received array affects no one else', async () => {
    ctx = context();
    const a = ctx.createNode('a');
    const c1 = collector<{ message: Uint8Array }>();
    const c2 = collector<{ message: Uint8Array }>();
    a.createSubscription<{ message: Uint8Array }>('rtcm_msgs/msg/Message', '/rtcm', 'default', (m) => {
      m.message.fill(0);
      c1.cb(m);
    });
    a.createSubscription('rtcm_msgs/msg/Message', '/rtcm', 'default', c2.cb);
    const data = Uint8Array.of(0xd3, 0, 2, 9, 9);
    a.createPublisher('rtcm_msgs/msg/Message', '/rtcm').publish({ header: { stamp, frame_id: '' }, message: data });
    await ctx.graph.idle();
    expect([...c1.got[0].message]).toEqual([0, 0, 0, 0, 0]);
    expect([...c2.got[0].message]).toEqual([0xd3, 0, 2, 9, 9]);
    expect([...data]).toEqual([0xd3, 0, 2, 9, 9]);
  });
});

describe('CDR bytes', () => {
  it('std_msgs/String matches the CDR layout written out by hand from the specifications', () => {
    // DDSI-RTPS 2.3 ch. 10: SerializedPayloadHeader = representation identifier CDR_LE (0x00 0x01)
    // + options (0x00 0x00). CORBA 3.3 Part 2 §9.3.2.7: a string is an unsigned long (here
    // little-endian) counting the characters plus the terminating NUL, then the characters and NUL.
    const bytes = codecFor('std_msgs/msg/String').encode({ data: 'hello' });
    expect(hex(bytes)).toBe(['00010000', '06000000', Buffer.from('hello').toString('hex'), '00'].join(''));
    // The empty string still carries its NUL: length 1.
    expect(hex(codecFor('std_msgs/msg/String').encode({ data: '' }))).toBe('00010000' + '01000000' + '00');
    // ROS 2 strings are UTF-8 on the wire: "°" is two bytes (c2 b0), so the length is 3.
    expect(hex(codecFor('std_msgs/msg/String').encode({ data: '°' }))).toBe('00010000' + '03000000' + 'c2b0' + '00');
  });

  it('NavSatFix, Sentence, Frame, DiagnosticArray and Int64MultiArray equal an independent struct-based encoder (python3)', () => {
    const t = f9p.tpv.find((x) => x.eph !== undefined)!;
    const cases: [string, unknown][] = [
      ['sensor_msgs/msg/NavSatFix', navSatFix(t)],
      ['sensor_msgs/msg/NavSatFix', { ...navSatFix(t), header: { stamp, frame_id: 'gnss_antenna_1' }, status: { status: -1, service: 15 } }],
      ['nmea_msgs/msg/Sentence', sentenceMsg(f9p.sentences[3], stamp)],
      ['can_msgs/msg/Frame', { header: { stamp, frame_id: 'vcan0' }, id: 0x7ff, is_rtr: false, is_extended: false, is_error: true, dlc: 3, data: [0xde, 0xad, 0xbe, 0, 0, 0, 0, 0] }],
      [
        'diagnostic_msgs/msg/DiagnosticArray',
        { header: { stamp, frame_id: '' }, status: [{ level: 1, name: 'n', message: 'Temperatur 80 °C', hardware_id: 'hw', values: [{ key: 'k', value: 'vv' }, { key: 'kk', value: '' }] }] },
      ],
      ['std_msgs/msg/Int64MultiArray', { layout: { dim: [{ label: 'x', size: 2, stride: 2 }], data_offset: 1 }, data: [-(2n ** 63n), 2n ** 62n + 3n] }],
    ];
    const input = cases.map(([type, msg]) => JSON.stringify({ type, msg }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).join('\n');
    const expected = python('cdr_pack.py', [], input).trim().split('\n');
    expect(expected).toHaveLength(cases.length);
    cases.forEach(([type, msg], i) => {
      expect(hex(codecFor(type).encode(msg)), type).toBe(expected[i]);
    });
  });
});

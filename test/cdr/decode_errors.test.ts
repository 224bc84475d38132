// Bytes that are not a message of the type (truncated, corrupted lengths, foreign encapsulations)
// raise a CdrError naming the type, the field path and the byte offset, and never make the decoder
// allocate more than the input could hold (issue 9, defect 9: a corrupted float64[] count made
// the previous decoder allocate gigabytes before it noticed the input had ended).
import { describe, expect, it } from 'vitest';
import { compileCodec, type CdrCodec } from '../../nodes/cdr/codec.js';
import { CdrError } from '../../nodes/cdr/errors.js';
import { plan } from '../../nodes/cdr/schema.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { prng } from '../helpers/prng.js';
import { randomMessage } from './helpers.js';

const registry = messageRegistry();
const stamp = { sec: 1555029596, nanosec: 250000000 };

function decodeError(codec: CdrCodec, bytes: Uint8Array): CdrError {
  let err: unknown;
  try {
    codec.decode(bytes);
  } catch (e) {
    err = e;
  }
  if (!(err instanceof CdrError)) throw new Error(`expected a CdrError, got ${err === undefined ? 'a decoded message' : String(err)}`);
  return err;
}

/** DecodedSignals as can_bridge publishes it: the float64[] after the string[] is not 8-byte aligned. */
const signals = {
  header: { stamp, frame_id: 'can0' },
  message_name: 'WHEEL_SPEEDS',
  id: 0xaa,
  is_extended: false,
  signal_names: ['WHEEL_SPEED_FR', 'WHEEL_SPEED_FL', 'WHEEL_SPEED_RR', 'WHEEL_SPEED_RL'],
  values: [50.3, 49.7, 50.1, 49.9],
  labels: ['', '', '', ''],
};

/** Offset of the uint32 count of `values` in the encoded DecodedSignals (found, not assumed). */
function valuesCountOffset(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 4; o + 4 <= bytes.length; o += 4) if (dv.getUint32(o, true) === 4 && dv.getFloat64(o + 4 + ((8 - ((o + 4 - 4) % 8)) % 8), true) === 50.3) return o;
  throw new Error('values count not found');
}

describe('CDR decoder: corrupted lengths are bounded by the bytes that remain (defect 9)', () => {
  it('a float64[] count of 2^28 (2 GiB of doubles) in a 200-byte DecodedSignals: CdrError before any allocation', () => {
    const codec = compileCodec(registry, 'vil/msg/DecodedSignals');
    const bytes = codec.encode(signals);
    const at = valuesCountOffset(bytes);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, 2 ** 28, true);
    const e = decodeError(codec, bytes);
    expect(e.type).toBe('vil/msg/DecodedSignals');
    expect(e.path).toBe('values');
    expect(e.problem).toMatch(/^sequence of 268435456 elements needs 2147483648 bytes, \d+ remain$/);
    expect(e.message).toMatch(/^vil\/msg\/DecodedSignals: field "values" at byte \d+: /);
  });

  it('huge string, string[] and message[] lengths: CdrError naming the field', () => {
    const codec = compileCodec(registry, 'vil/msg/DecodedSignals');
    const good = codec.encode(signals);
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    // header.frame_id's length is the word after the stamp.
    const s = good.slice();
    dv(s).setUint32(12, 0xfffffff0, true);
    const es = decodeError(codec, s);
    expect([es.path, es.offset]).toEqual(['header.frame_id', 12]);
    expect(es.problem).toMatch(/^string length 4294967280 exceeds the \d+ bytes that remain$/);

    const arrays = compileCodec(registry, 'visualization_msgs/msg/MarkerArray');
    const markers = arrays.encode({ markers: [] });
    dv(markers).setUint32(4, 0xffffffff, true);
    const em = decodeError(arrays, markers);
    expect(em.path).toBe('markers');
    expect(em.problem).toMatch(/^sequence of 4294967295 elements needs at least \d+ bytes, 0 remain$/);

    const diag = compileCodec(registry, 'diagnostic_msgs/msg/DiagnosticArray');
    const d = diag.encode({ header: { stamp, frame_id: '' }, status: [{ level: 0, name: 'n', message: 'm', hardware_id: 'h', values: [] }] });
    // status[0].values count is the last word.
    dv(d).setUint32(d.length - 4, 0x40000000, true);
    const ed = decodeError(diag, d);
    expect(ed.path).toBe('status[0].values');
  });

  it('uint32-aligned words of real messages overwritten with huge counts: a message or a CdrError, nothing else', () => {
    const rnd = prng(0xdefec7);
    let errors = 0;
    let decoded = 0;
    for (const type of ['vil/msg/DecodedSignals', 'vil/msg/ObjectList', 'visualization_msgs/msg/MarkerArray', 'diagnostic_msgs/msg/DiagnosticArray', 'ros2_socketcan_msgs/msg/FdFrame', 'std_msgs/msg/Int64MultiArray', 'rcl_interfaces/msg/ParameterValue']) {
      const p = plan(registry, type);
      for (const codegen of [true, false]) {
        const codec = compileCodec(registry, type, { codegen });
        for (let m = 0; m < 2; m++) {
          const good = codec.encode(randomMessage(rnd, p));
          // Every word of small messages; an even spread of 150 words of large ones.
          const stride = Math.max(4, Math.ceil((good.length - 4) / 150 / 4) * 4);
          for (let o = 4; o + 4 <= good.length; o += stride) {
            for (const huge of [0xffffffff, 0x80000000, 0x10000000, 0x01000000]) {
              const bad = good.slice();
              new DataView(bad.buffer).setUint32(o, huge, true);
              try {
                codec.decode(bad);
                decoded++;
              } catch (e) {
                if (!(e instanceof CdrError)) throw new Error(`${type} word ${o} = ${huge}: ${String(e)}`);
                expect(e.type).toBe(type);
                expect(e.offset).toBeGreaterThanOrEqual(0);
                expect(e.offset).toBeLessThanOrEqual(bad.length + 7);
                errors++;
              }
            }
          }
        }
      }
    }
    expect(errors).toBeGreaterThan(300);
    expect(decoded).toBeGreaterThan(50); // words that were floats or ids decode as other values
  });

  it('every truncation of real messages raises a CdrError (never a RangeError or a partial message)', () => {
    const rnd = prng(0x7a11);
    for (const type of ['sensor_msgs/msg/NavSatFix', 'can_msgs/msg/Frame', 'vil/msg/ObjectList', 'visualization_msgs/msg/MarkerArray', 'vil/msg/VehicleState', 'tf2_msgs/msg/TFMessage']) {
      const p = plan(registry, type);
      for (const codegen of [true, false]) {
        const codec = compileCodec(registry, type, { codegen });
        const good = codec.encode(randomMessage(rnd, p));
        for (let n = 0; n < good.length; n++) {
          const e = decodeError(codec, good.subarray(0, n));
          // The offset is where the cut-off read begins: at most the end plus its alignment padding.
          expect(e.offset, `${type} cut at ${n}`).toBeLessThanOrEqual(n + 7);
        }
        expect(() => codec.decode(good)).not.toThrow();
      }
    }
  });

  it('names the first field a truncated run of fixed-size fields cannot hold', () => {
    const codec = compileCodec(registry, 'sensor_msgs/msg/NavSatFix');
    const good = codec.encode({ header: { stamp, frame_id: 'gnss' }, status: { status: 0, service: 1 }, latitude: 1, longitude: 2, altitude: 3, position_covariance: new Array(9).fill(0), position_covariance_type: 1 });
    const cut = decodeError(codec, good.subarray(0, good.length - 30));
    expect(cut.path).toBe('position_covariance');
    expect(cut.problem).toMatch(/^truncated: 72 bytes needed, \d+ remain$/);
    expect(decodeError(codec, good.subarray(0, good.length - 1)).path).toBe('position_covariance_type');
  });

  it('refuses what is not plain CDR: short input, XCDR2 and parameter-list encapsulations, a string without its NUL', () => {
    const codec = compileCodec(registry, 'std_msgs/msg/String');
    expect(decodeError(codec, new Uint8Array([0, 1])).problem).toMatch(/shorter than the 4-byte encapsulation header/);
    expect(decodeError(codec, Uint8Array.from([0x00, 0x07, 0, 0, 1, 0, 0, 0, 0])).problem).toMatch(/unsupported encapsulation 00 07/);
    expect(decodeError(codec, Uint8Array.from([0x00, 0x03, 0, 0, 1, 0, 0, 0, 0])).problem).toMatch(/unsupported encapsulation 00 03/);
    const e = decodeError(codec, Uint8Array.from([0, 1, 0, 0, 2, 0, 0, 0, 0x41, 0x42]));
    expect([e.path, e.problem]).toEqual(['data', 'string of 2 bytes does not end with NUL']);
    // Trailing bytes (an rmw's padding to 4) are ignored, as CDR readers do.
    expect(codec.decode(Uint8Array.from([0, 1, 0, 0, 2, 0, 0, 0, 0x41, 0, 0, 0]))).toEqual({ data: 'A' });
  });
});

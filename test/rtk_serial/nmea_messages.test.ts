// Every message the decoder builds from the real logs passes the local graph's validator for its
// ROS type (generated from the real .msg definitions: every field, right types) and survives a CDR
// round trip, so what the node publishes is accepted on the wire.
import { describe, expect, it } from 'vitest';
import { codecFor } from '../../nodes/runtime/codecs.js';
import { decode, logSentences, type LogName } from './nmea_helpers.js';

const LOGS: LogName[] = ['ublox-zed-f9p-nmea', 'polarx2', 'hemi'];

describe('decoded messages against the ROS 2 message definitions', () => {
  for (const log of LOGS) {
    it(`${log}: NavSatFix, TwistWithCovarianceStamped, QuaternionStamped, GnssStatus validate and round-trip through CDR`, () => {
      const sentences = logSentences(log);
      const r = decode(sentences);
      const groups: [string, unknown[]][] = [
        ['sensor_msgs/msg/NavSatFix', r.fixes.map((f) => f.msg)],
        ['geometry_msgs/msg/TwistWithCovarianceStamped', r.velocities.map((v) => v.msg)],
        ['geometry_msgs/msg/QuaternionStamped', r.headings.map((h) => h.msg)],
        ['vil/msg/GnssStatus', r.statuses.map((s) => s.msg)],
        ['nmea_msgs/msg/Sentence', sentences.map((s, i) => ({ header: { stamp: { sec: i, nanosec: 0 }, frame_id: 'gnss' }, sentence: s }))],
      ];
      for (const [type, msgs] of groups) {
        const codec = codecFor(type);
        for (const m of msgs) {
          expect(() => codec.validate(m), `${type} ${JSON.stringify(m)}`).not.toThrow();
          const back = codec.decode<Record<string, unknown>>(codec.encode(m));
          expect(Object.keys(back).sort()).toEqual(Object.keys(m as object).sort());
        }
      }
      const fix = codecFor('sensor_msgs/msg/NavSatFix').decode<{ latitude: number; position_covariance: ArrayLike<number> }>(codecFor('sensor_msgs/msg/NavSatFix').encode(r.fixes[0].msg));
      expect(fix.latitude).toBe(r.fixes[0].msg.latitude);
      expect(Array.from(fix.position_covariance)).toEqual(r.fixes[0].msg.position_covariance);
    });
  }
});

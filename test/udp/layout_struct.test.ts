// Layout encoding judged by an independent decoder: packets go over a real UDP socket on
// 127.0.0.1 to test/udp/struct_receiver.py, which unpacks them with Python's struct module using
// formats it derives from the layout YAML itself. Expected values are computed here from the
// input messages by hand (scale, unit, rounding, wrap, clamp as the layout reference defines them).
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { compileLayoutFile } from '../../nodes/udp_layout/compile.js';
import { decodePacket } from '../../nodes/udp_layout/decoder.js';
import { PacketEncoder } from '../../nodes/udp_layout/encoder.js';
import { FLAG_STALE } from '../../nodes/udp_layout/plan.js';
import { UdpSender } from '../../nodes/udp_layout/udp_sender.js';
import { f32, makeMarker, startStructReceiver, type PyPacket } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ALL_TYPES = `${root}test/fixtures/udp/navsatfix_all_types.yaml`;
const MARKERS = `${root}config/layouts/markers_to_dspace.yaml`;
const senders: UdpSender[] = [];
afterAll(async () => {
  for (const s of senders) await s.close();
});

async function sendAll(packets: Uint8Array[], port: number): Promise<void> {
  const s = new UdpSender({ host: '127.0.0.1', port }, Math.max(...packets.map((p) => p.length)));
  senders.push(s);
  await s.start();
  for (const p of packets) expect(s.send(p)).toBe(true);
}

function fix(alt: number, lat: number, lon: number, i: number) {
  return {
    header: { stamp: { sec: 1_700_000_123 + i, nanosec: 987_654_321 - i }, frame_id: 'gnss_antenna_long' },
    status: { status: 2, service: 1 | 8 },
    latitude: lat,
    longitude: lon,
    altitude: alt,
    position_covariance: [0.01, 0, 0, 0, 0.02, 0, 0, 0, 1.5 + i],
    position_covariance_type: 2,
  };
}

describe('layout encoding vs Python struct over UDP on 127.0.0.1', () => {
  it('every wire type, both byte orders, header, time stamps, constants, wrap and clamp', async () => {
    const c = compileLayoutFile(ALL_TYPES, messageRegistry());
    const alts = [512.34, 12.3, Number.NaN, -0.004, 25.5, 100];
    const msgs = alts.map((a, i) => fix(a, 48.1234567891 + i * 1e-6, -11.5432109876 - i * 1e-6, i));
    const sendTimes = alts.map((_, i) => ({ sec: 1_700_000_200 + i, nanosec: 123_456_789 + i }));
    const rx = await startStructReceiver(ALL_TYPES, msgs.length);
    const packets = msgs.map((m, i) => c.encoder.encode(m, sendTimes[i], i % 2 ? FLAG_STALE : 0)!.slice());
    await sendAll(packets, rx.port);
    const got = await rx.packets;
    expect(got).toHaveLength(msgs.length);
    got.forEach((p: PyPacket, i) => {
      const m = msgs[i];
      const t = sendTimes[i];
      expect(p.size).toBe(p.expected_size);
      expect(p.size).toBe(c.plan.totalSize);
      expect(p.crc_ok).toBe(true);
      expect(p.header).toEqual({
        magic: 'VIL1',
        version: 3,
        flags: i % 2 ? 1 : 0,
        sequence: i % 5, // modulo 5: 0 1 2 3 4 0
        send_time: (BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec)).toString(),
        payload_length: p.payload_size,
      });
      const f = p.fields;
      const st = m.header.stamp;
      expect(f.stamp_ns).toBe((BigInt(st.sec) * 1_000_000_000n + BigInt(st.nanosec)).toString());
      expect(f.stamp_s).toBe(st.sec + st.nanosec * 1e-9);
      expect(f.stamp_ms).toBe(st.sec * 1000 + Math.floor(st.nanosec / 1e6));
      expect(f.stamp_sec).toBe(st.sec);
      expect(f.stamp_nanosec).toBe(st.nanosec);
      expect(f.frame).toBe('gnss_anten'); // char[10]: truncated (overflow counted)
      expect(f.status).toBe(2);
      expect(f.service).toBe(9);
      expect(f.lat_e7).toBe(Math.round(m.latitude * 1e7));
      expect(f.lon_e7).toBe(Math.round(m.longitude * 1e7));
      expect(f.lat_rad).toBeCloseTo((m.latitude * Math.PI) / 180, 15);
      // alt in cm − 10000 as i16, overflow: count → written as a C cast would (two's complement wrap)
      const altCm = Number.isNaN(m.altitude) ? 0 : Math.round(m.altitude * 100 - 10000);
      expect(f.alt_cm_wrapped).toBe(((altCm + 32768) % 65536 + 65536) % 65536 - 32768);
      // alt in dm as u8, overflow: clamp → 0..255
      const dm = Number.isNaN(m.altitude) ? 0 : Math.round(m.altitude * 100 * 0.1);
      expect(f.alt_dm_clamped).toBe(Math.min(255, Math.max(0, dm)));
      expect(f.cov).toEqual(m.position_covariance.map(f32));
      expect(f.cov_type).toBe(2);
      expect(f.stale).toBe(i % 2 === 1);
      expect(f.seq_copy).toBe(i % 5);
      expect(f.sent_sec).toBe(t.sec);
      expect(f.spare).toBe(-2);
      expect(f.cov8).toBe(m.position_covariance[8]);
      // vil's own decoder reads the same bytes the same way (raw wire values).
      const mine = decodePacket(c.plan, packets[i], { raw: true, allSlots: true });
      expect(mine.ok).toBe(true);
      const { crc32: _crc, ...mineHeader } = mine.header;
      expect(mineHeader).toEqual(p.header);
      expect(mine.fields).toEqual(p.fields);
    });
    // Counted: truncated frame ids (6), wrapped altitude (512.34 m → 41234), clamped, NaN.
    const byField = Object.fromEntries(c.encoder.problems().map((p) => [p.field, p]));
    expect(byField.frame.overflow).toBe(6);
    expect(byField.alt_cm_wrapped.overflow).toBe(1);
    expect(byField.alt_cm_wrapped.invalid).toBe(1);
    expect(byField.alt_dm_clamped.overflow).toBe(2); // 512.34 m and 100 m (25.5 m is exactly 255)
    expect(byField.alt_dm_clamped.invalid).toBe(1);
    expect(c.encoder.stats.packets).toBe(6);
  });

  it('array of structs: count field, max_count, zero-padded unused slots, quaternion yaw, units, char', async () => {
    const c = compileLayoutFile(MARKERS, messageRegistry());
    const marker = makeMarker;
    const lists = [
      [marker(7, 12.5, 0.5, 'car'), marker(-3, -40.25, -2.9, 'pedestrian')],
      [],
      Array.from({ length: 40 }, (_, k) => marker(k, k * 1.5, (k - 20) * 0.15, `o${k}`)), // 40 > max_count 32
    ];
    const rx = await startStructReceiver(MARKERS, lists.length);
    const packets = lists.map((markers) => c.encoder.encode({ markers }, { sec: 1, nanosec: 0 })!.slice());
    await sendAll(packets, rx.port);
    const got = await rx.packets;
    got.forEach((p, i) => {
      expect(p.crc_ok).toBe(true);
      expect(p.header.magic).toBe(0x4d4b5231);
      expect(p.header.payload_length).toBe(p.payload_size);
      const sent = lists[i].slice(0, 32);
      expect(p.fields.object_count).toBe(sent.length);
      const slots = p.fields.objects as Record<string, number | string>[];
      expect(slots).toHaveLength(32);
      slots.forEach((s, k) => {
        const m = sent[k];
        if (!m) {
          expect(s).toEqual({ id: 0, x: 0, y: 0, z: 0, yaw: 0, length: 0, width: 0, ns: '' });
          return;
        }
        const yaw = Math.atan2(2 * m.pose.orientation.w * m.pose.orientation.z, 1 - 2 * m.pose.orientation.z ** 2);
        expect(s).toEqual({
          id: m.id,
          x: f32(m.pose.position.x),
          y: f32(m.pose.position.y),
          z: f32(0.25),
          yaw: Math.round(((yaw * 180) / Math.PI) * 100),
          length: 461,
          width: 183,
          ns: m.ns.slice(0, 6),
        });
      });
    });
    expect(c.encoder.stats.arrayOverflow[0]).toBe(1);
  });

  it('overflow: refuse drops the packet, counts it, and does not use up a sequence number', () => {
    const c = compileLayoutFile(ALL_TYPES, messageRegistry());
    const doc = c.plan.doc;
    doc.overflow = 'refuse';
    for (const s of c.plan.scalars) if (s.name === 'alt_dm_clamped') s.overflow = 'refuse';
    // A new encoder from the edited plan (the plan is the encoder's input).
    const e = new PacketEncoder(c.plan, messageRegistry(), 'sensor_msgs/msg/NavSatFix');
    expect(e.encode(fix(10, 48, 11, 0), { sec: 1, nanosec: 0 })).not.toBeNull();
    expect(e.encode(fix(30, 48, 11, 0), { sec: 1, nanosec: 0 })).toBeNull(); // 3000 cm × 0.1 = 300 > 255
    expect(e.stats.refused).toBe(1);
    const ok = e.encode(fix(11, 48, 11, 0), { sec: 1, nanosec: 0 })!;
    expect(decodePacket(c.plan, ok).header.sequence).toBe(1);
  });
});

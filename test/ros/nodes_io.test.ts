// ROS tier: what vil subscribes to, fed by an rclpy node (as a bag player, an NTRIP client or a
// simulator would feed it), and what it publishes, received by rclpy — each vil node started with
// `ros2 run vil <node>` from the colcon workspace, on rclnodejs over Cyclone DDS.
//   rtk_serial source:=topic  ← nmea_msgs/Sentence burst of the real u-blox log → fixes = gpsd, and
//                               the bytes rclpy receives = vil's own CDR of the same message (what
//                               the local graph carries)
//   rtk_serial rtcm_topic     ← rtcm_msgs/Message → the bytes on the receiver's serial line (pty)
//   can_bridge source:=topic  ← can_msgs/Frame burst of the real CANedge drive → decoded = cantools
//   dspace_relay route        ← sensor_msgs/NavSatFix → the route's UDP datagram, decoded
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { NmeaDecoder } from '../../nodes/rtk_serial/nmea_decoder.js';
import { decoderOptionsFromParams, rtkDecoderParams, type RtkDecoderParamValues } from '../../nodes/rtk_serial/params.js';
import { codecFor } from '../../nodes/runtime/codecs.js';
import { parseCandumpLine } from '../../nodes/buslog/candump.js';
import { PtyPair } from '../helpers/pty.js';
import { readChk } from '../rtk_serial/nmea_helpers.js';
import { Probe, RclpyPublisher, ros2, run, until, vilEnv, type Proc } from './procs.js';
import { root } from './helpers.js';

type Time = { sec: number; nanosec: number };
const FIX = join(root, 'test/fixtures');
const iso = (t: Time) => new Date(t.sec * 1000 + Math.round(t.nanosec / 1e6)).toISOString();

/** The log's sentences, each stamped 1 ms after the previous one (a bag's receive stamps). */
function sentences(): { sentence: string; stamp: Time }[] {
  return readFileSync(join(FIX, 'gnss/ublox-zed-f9p-nmea.log'), 'latin1')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('$'))
    .map((sentence, i) => ({ sentence, stamp: { sec: 1_700_000_000 + Math.floor(i / 1000), nanosec: (i % 1000) * 1_000_000 } }));
}

describe('vil nodes on rclnodejs fed by rclpy, and read by rclpy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vil-ros-io-'));
  const procs: Proc[] = [];
  const env = vilEnv(65);
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop('SIGINT');
    ros2(env, ['daemon', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  });
  const started = <T extends Proc>(p: T): T => (procs.push(p), p);

  it('rtk_serial source:=topic: a burst of the whole log\'s sentences → every fix, equal to gpsd\'s; rclpy receives the bytes of vil\'s own CDR', async () => {
    const input = sentences();
    // What the node should publish: the same decoder, in this process, with the node's defaults.
    const params = Object.fromEntries(Object.entries(rtkDecoderParams).map(([k, s]) => [k, s.default])) as unknown as RtkDecoderParamValues;
    const expected: Record<string, unknown>[] = [];
    const decoder = new NmeaDecoder(decoderOptionsFromParams({ ...params, stamp_source: 'gnss' }), { fix: (m) => expected.push(structuredClone(m) as unknown as Record<string, unknown>), velocity: () => undefined, heading: () => undefined, status: () => undefined });
    for (const s of input) decoder.push(s.sentence, s.stamp);
    expect(expected.length).toBeGreaterThan(20);

    const probe = started(new Probe(env, [{ topic: '/vil/rtk/fix', type: 'sensor_msgs/msg/NavSatFix', raw: true }, { topic: '/vil/rtk/fix', type: 'sensor_msgs/msg/NavSatFix' }]));
    await until('the rclpy probe to subscribe', () => probe.ready, () => probe.output());
    started(run(env, 'rtk_serial', ['-p', 'source:=topic', '-p', 'stamp_source:=gnss']));
    const pub = started(new RclpyPublisher(env));
    await pub.matchedWith('/vil/rtk/raw', 'nmea_msgs/msg/Sentence');
    // All at once, as `ros2 bag play` sends a u-blox epoch: ~35 sentences in one burst, here ~1000.
    for (const s of input) pub.publish('/vil/rtk/raw', 'nmea_msgs/msg/Sentence', { header: { stamp: s.stamp, frame_id: 'gnss' }, sentence: s.sentence });
    await until(`${expected.length} fixes`, () => probe.on('/vil/rtk/fix').filter((m) => m.msg).length >= expected.length, () => `${procs.map((p) => p.output()).join('\n')}`);

    const got = probe.on('/vil/rtk/fix').filter((m) => m.msg).map((m) => m.msg as { header: { stamp: Time }; latitude: number; longitude: number });
    expect(got.length).toBe(expected.length);
    const gpsd = new Map<string, { lat: number; lon: number }>();
    for (const e of readChk('ublox-zed-f9p-nmea')) for (const r of e.reports as { class: string; time?: string; lat?: number; lon?: number; altHAE?: number }[]) if (r.class === 'TPV' && r.time && r.altHAE !== undefined) gpsd.set(r.time, { lat: r.lat!, lon: r.lon! });
    for (const f of got) {
      const ref = gpsd.get(iso(f.header.stamp));
      expect(ref, iso(f.header.stamp)).toBeDefined();
      expect(Math.abs(f.latitude - ref!.lat)).toBeLessThan(5e-10);
      expect(Math.abs(f.longitude - ref!.lon)).toBeLessThan(5e-10);
    }
    // Bytes: rclpy's raw subscription sees the sample as rcl took it; Cyclone pads a sample to a
    // multiple of 4 with zeros. vil's CDR of the in-process decoder's message, padded alike.
    const codec = codecFor('sensor_msgs/msg/NavSatFix');
    const raw = probe.on('/vil/rtk/fix').filter((m) => m.cdr).map((m) => m.cdr!);
    expect(raw.length).toBe(expected.length);
    raw.forEach((hex, i) => {
      const ours = Buffer.from(codec.encode(expected[i]));
      const padded = Buffer.concat([ours, Buffer.alloc((4 - (ours.length % 4)) % 4)]);
      expect(hex, `fix ${i}`).toBe(padded.toString('hex'));
    });
  });

  it('rtk_serial rtcm_topic: an rclpy RTCM message reaches the receiver\'s serial line byte for byte', async () => {
    const pty = new PtyPair(join(dir, 'ttyGNSS'), join(dir, 'feed'));
    await pty.start();
    try {
      started(run(env, 'rtk_serial', ['-r', '__node:=rtk_rtcm', '-p', `port:=${pty.device}`, '-p', 'rtcm_topic:=/vil_test/rtcm']));
      const pub = started(new RclpyPublisher(env));
      await pub.matchedWith('/vil_test/rtcm', 'rtcm_msgs/msg/Message');
      // An RTCM 3 frame (preamble D3, length, message 1005 station coordinates, CRC bytes).
      const frame = Buffer.from('d300133ed7d30202980edeef34b4bd62ac0941986f33360b98', 'hex');
      let seen = Buffer.alloc(0);
      // vil takes RTCM best effort (any publisher matches): a message sent before vil's side of the
      // match is complete is not delivered, so it is sent again every half second until it is.
      let sentAt = 0;
      await until('the RTCM bytes on the serial line', () => {
        if (Date.now() - sentAt > 500) {
          pub.publish('/vil_test/rtcm', 'rtcm_msgs/msg/Message', { header: { frame_id: 'rtcm' }, message: [...frame] });
          sentAt = Date.now();
        }
        seen = Buffer.concat([seen, pty.readAvailable()]);
        return seen.includes(frame);
      }, () => procs.map((p) => p.output()).join('\n'));
      expect(seen.subarray(seen.indexOf(frame), seen.indexOf(frame) + frame.length).toString('hex')).toBe(frame.toString('hex'));
    } finally {
      await pty.stop();
    }
  });

  it('can_bridge source:=topic: a burst of the CANedge drive\'s frames → every GNSS frame decoded as cantools decodes it', async () => {
    const recording = join(FIX, 'buslogs/mf4/css_2F6913DB_1089_00000001.MF4');
    const frames = readFileSync(`${recording}.candump`, 'utf8').split('\n').filter(Boolean).map((l) => parseCandumpLine(l)!).filter((f) => f.iface === 'can2');
    const ref = new Map<string, Record<string, number>>();
    for (const line of readFileSync(`${recording}.gnss.decoded.csv`, 'utf8').split('\n')) {
      if (!/^\d/.test(line)) continue;
      const [t, , id, , sig] = line.split(',');
      ref.set(`${t} ${parseInt(id, 16)}`, Object.fromEntries(sig.split(';').map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])])));
    }
    const config = join(dir, 'can.yaml');
    writeFileSync(config, toYaml({ buses: { can2: { dbc: join(FIX, 'buslogs/dbc/gnss.dbc') } }, decoded: [{ bus: 'can2', messages: 'all', topic: 'vil/can/decoded' }] }));
    const probe = started(new Probe(env, [{ topic: '/vil/can/decoded', type: 'vil/msg/DecodedSignals' }]));
    await until('the rclpy probe to subscribe', () => probe.ready, () => probe.output());
    started(run(env, 'can_bridge', ['-p', 'source:=topic', '-p', `config_file:=${config}`]));
    const pub = started(new RclpyPublisher(env));
    await pub.matchedWith('/vil/can/can2/raw', 'can_msgs/msg/Frame');
    for (const f of frames) {
      const data = [...f.data, ...new Array(8 - f.data.length).fill(0)];
      pub.publish('/vil/can/can2/raw', 'can_msgs/msg/Frame', { header: { stamp: f.time, frame_id: 'can2' }, id: f.id, is_rtr: f.rtr, is_extended: f.extended, is_error: f.error, dlc: f.dlc, data });
    }
    const known = frames.filter((f) => ref.has(`${f.time.sec}.${String(Math.round(f.time.nanosec / 1000)).padStart(6, '0')} ${f.id}`)).length;
    await until(`${known} decoded frames`, () => probe.on('/vil/can/decoded').length >= known, () => procs.map((p) => p.output()).join('\n'));
    const decoded = probe.on('/vil/can/decoded').map((m) => m.msg as { header: { stamp: Time }; id: number; signal_names: string[]; values: number[] });
    expect(decoded.length).toBe(known);
    for (const d of decoded) {
      const want = ref.get(`${d.header.stamp.sec}.${String(Math.round(d.header.stamp.nanosec / 1000)).padStart(6, '0')} ${d.id}`)!;
      expect(want).toBeDefined();
      d.signal_names.forEach((n, i) => expect(Math.abs(d.values[i] - want[n]), n).toBeLessThan(1e-9 * Math.max(1, Math.abs(want[n]))));
    }
  });

  it('dspace_relay: a NavSatFix rclpy publishes on a route\'s topic leaves as the route\'s UDP datagram', async () => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (d) => got.push(d));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    try {
      writeFileSync(join(dir, 'fix.layout.yaml'), toYaml({ name: 'fix', message: 'sensor_msgs/msg/NavSatFix', endianness: 'little', fields: [{ name: 'lat', type: 'f64', source: 'latitude' }, { name: 'lon', type: 'f64', source: 'longitude' }, { name: 'status', type: 'i8', source: 'status.status' }] }));
      writeFileSync(join(dir, 'routes.yaml'), toYaml({ routes: [{ name: 'fix', topic: '/vil_test/fix', type: 'sensor_msgs/msg/NavSatFix', layout: join(dir, 'fix.layout.yaml'), destination: `127.0.0.1:${sock.address().port}`, mode: 'on_message' }] }));
      started(run(env, 'dspace_relay', ['-p', `routes_file:=${join(dir, 'routes.yaml')}`]));
      const pub = started(new RclpyPublisher(env));
      await pub.matchedWith('/vil_test/fix', 'sensor_msgs/msg/NavSatFix');
      // The route subscribes best effort: sent again every half second until vil's side has matched.
      let sentAt = 0;
      await until('the datagram', () => {
        if (Date.now() - sentAt > 500) {
          pub.publish('/vil_test/fix', 'sensor_msgs/msg/NavSatFix', { header: { frame_id: 'gnss' }, status: { status: 2, service: 1 }, latitude: 48.7823456789, longitude: 9.1801234567, altitude: 250.5 });
          sentAt = Date.now();
        }
        return got.length > 0;
      }, () => procs.map((p) => p.output()).join('\n'));
      const d = got[0];
      expect(d.length).toBe(17);
      expect(d.readDoubleLE(0)).toBe(48.7823456789);
      expect(d.readDoubleLE(8)).toBe(9.1801234567);
      expect(d.readInt8(16)).toBe(2);
    } finally {
      sock.close();
    }
  });
});

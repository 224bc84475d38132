// ROS tier: vil as its users start it — `ros2 launch vil bringup.launch.py` from a colcon
// workspace (test/ros/global_setup.ts builds it), on rclnodejs over Cyclone DDS — judged by ROS's
// own tools: ros2cli (topic list, param get/describe/set), an rclpy node subscribed with rclpy's
// DEFAULT QoS (as a user's node is), /rosout, and launch's own report of how each process ended.
// Inputs as on the vehicle: the real u-blox ZED-F9P log written into a socat pty (the receiver),
// the real CANedge recording's frames replayed by can_bridge from its candump dump. References:
// gpsd's own decoding of the log (.chk), cantools's decoding of the recording (.decoded.csv).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { PtyPair } from '../helpers/pty.js';
import { readChk } from '../rtk_serial/nmea_helpers.js';
import { launch, Probe, ros2, until, vilEnv, type Proc, type ProbeMessage } from './procs.js';
import { root } from './helpers.js';
import { logEpochs } from '../../nodes/cli/demo_gnss.js';

const FIX = join(root, 'test/fixtures');
const RECORDING = join(FIX, 'buslogs/mf4/css_2F6913DB_1089_00000001.MF4');
const GNSS_DBC = join(FIX, 'buslogs/dbc/gnss.dbc');

/** The u-blox log as the receiver sends it: epochs (an epoch starts with RMC), CR LF line ends. */
function ubloxEpochs(): string[] {
  return logEpochs(readFileSync(join(FIX, 'gnss/ublox-zed-f9p-nmea.log'), 'latin1')).map((e) => e.map((l) => `${l}\r\n`).join(''));
}

/** gpsd's most complete TPV (with altHAE) per epoch time, ISO string → report. */
function gpsdFixes(): Map<string, { lat: number; lon: number; altHAE: number }> {
  const out = new Map<string, { lat: number; lon: number; altHAE: number }>();
  for (const e of readChk('ublox-zed-f9p-nmea')) {
    for (const r of e.reports as { class: string; time?: string; lat?: number; lon?: number; altHAE?: number }[]) {
      if (r.class === 'TPV' && r.time && r.lat !== undefined && r.altHAE !== undefined) out.set(r.time, { lat: r.lat, lon: r.lon!, altHAE: r.altHAE });
    }
  }
  return out;
}

/** cantools's decode of the recording, by "stamp id" → signal → value. */
function cantoolsDecodes(): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const line of readFileSync(`${RECORDING}.gnss.decoded.csv`, 'utf8').split('\n')) {
    if (!/^\d/.test(line)) continue;
    const [t, , id, , signals] = line.split(',');
    const values: Record<string, number> = {};
    for (const kv of signals.split(';')) {
      const [k, v] = kv.split('=');
      values[k] = Number(v);
    }
    out.set(`${t} ${parseInt(id, 16)}`, values);
  }
  return out;
}

type Time = { sec: number; nanosec: number };
const iso = (t: Time) => new Date(t.sec * 1000 + Math.round(t.nanosec / 1e6)).toISOString();
const micros = (t: Time) => `${t.sec}.${String(Math.round(t.nanosec / 1000)).padStart(6, '0')}`;

interface Run {
  dir: string;
  launched: Proc;
  probe: Probe;
  pty: PtyPair;
  env: NodeJS.ProcessEnv;
  ns: string;
  feeding: { stop: boolean; epochs: number };
  udp: { sim: number; dspace: number; close(): void };
}

/** Starts bringup.launch.py with the test's params file, the pty fed, and the rclpy probe listening. */
async function start(domain: number, launchArgs: Record<string, string>, ns = ''): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vil-ros-bringup-'));
  const env = vilEnv(domain, { ROS_LOG_DIR: join(dir, 'ros-log') });
  const pty = new PtyPair(join(dir, 'ttyGNSS'), join(dir, 'feed'));
  await pty.start();
  const sockets = [createSocket('udp4'), createSocket('udp4')];
  const counts = { sim: 0, dspace: 0 };
  sockets[0].on('message', () => counts.sim++);
  sockets[1].on('message', () => counts.dspace++);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
  // The CAN drive: the recording's frames (its reference dump), can2 decoded with gnss.dbc.
  const candump = join(dir, 'drive.candump');
  copyFileSync(`${RECORDING}.candump`, candump);
  const canConfig = join(dir, 'can_bridge.yaml');
  writeFileSync(
    canConfig,
    toYaml({
      buses: { can1: { dbc: GNSS_DBC }, can2: { dbc: GNSS_DBC } },
      decoded: [{ bus: 'can2', messages: 'all', topic: 'vil/can/decoded' }],
      vehicle_state: { bus: 'can2', topic: 'vil/can/vehicle_state', rate_hz: 10, speed: { signal: 'gnss_speed.Speed', unit: 'm/s' }, yaw_rate: { signal: 'gnss_imu.AngularRateZ', unit: 'deg/s' } },
    }),
  );
  const routes = join(dir, 'routes.yaml');
  writeFileSync(routes, toYaml({ routes: [{ name: 'fix', topic: 'vil/rtk/fix', type: 'sensor_msgs/msg/NavSatFix', layout: join(dir, 'fix_layout.yaml'), destination: `127.0.0.1:${(sockets[1].address()).port}`, mode: 'on_message' }] }));
  writeFileSync(join(dir, 'fix_layout.yaml'), toYaml({ name: 'fix', message: 'sensor_msgs/msg/NavSatFix', fields: [{ name: 'lat', type: 'f64', source: 'latitude' }, { name: 'lon', type: 'f64', source: 'longitude' }] }));
  // This machine's devices and destinations; every other parameter keeps the node's default.
  // Written as text: rcl is strict about types (1.0 is a double, 1 an integer; a list is of one type).
  const paramsFile = join(dir, 'params.yaml');
  writeFileSync(
    paramsFile,
    [
      '/**/rtk_serial:',
      '  ros__parameters:',
      `    port: ${pty.device}`,
      '    stamp_source: gnss',
      '/**/can_bridge:',
      '  ros__parameters:',
      '    source: candump',
      `    candump_file: ${candump}`,
      '    candump_realtime: true',
      '    candump_stamps: log',
      `    config_file: ${canConfig}`,
      '/**/sim_pose:',
      '  ros__parameters:',
      '    map_projection: "+proj=tmerc +lat_0=49 +lon_0=8 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"',
      '    lever_arm: [1.2, 0.0, 1.5]',
      '    udp_layout: config/layouts/sim_pose_ego.yaml',
      `    udp_destination: "127.0.0.1:${sockets[0].address().port}"`,
      '/**/dspace_relay:',
      '  ros__parameters:',
      `    routes_file: ${routes}`,
      '/**/markers:',
      '  ros__parameters:',
      '    static_frames: ["gnss base_link 1.2 0 1.5 0 0 0", "radar_esr base_link 3.7 0 0.45 0 0 0"]',
      '',
    ].join('\n'),
  );

  const at = (t: string) => (ns ? `/${ns}${t}` : t);
  const probe = new Probe(env, [
    { topic: at('/vil/rtk/fix'), type: 'sensor_msgs/msg/NavSatFix' },
    { topic: at('/vil/rtk/status'), type: 'vil/msg/GnssStatus' },
    { topic: at('/vil/rtk/velocity'), type: 'geometry_msgs/msg/TwistWithCovarianceStamped' },
    { topic: at('/vil/can/decoded'), type: 'vil/msg/DecodedSignals' },
    { topic: at('/vil/can/vehicle_state'), type: 'vil/msg/VehicleState' },
    { topic: at('/vil/sim/ego_pose'), type: 'geometry_msgs/msg/PoseStamped' },
    { topic: '/diagnostics', type: 'diagnostic_msgs/msg/DiagnosticArray' },
    { topic: '/rosout', type: 'rcl_interfaces/msg/Log' },
    { topic: '/tf_static', type: 'tf2_msgs/msg/TFMessage', qos: 'transient_local' },
  ]);
  await until('the rclpy probe to subscribe', () => probe.ready || probe.exit !== undefined, () => probe.output());
  const launched = launch(env, 'bringup.launch.py', { params_file: paramsFile, ...launchArgs });
  // The receiver: one epoch every 100 ms, round and round, until the test is done.
  const epochs = ubloxEpochs();
  const feeding = { stop: false, epochs: 0 };
  void (async () => {
    while (!feeding.stop) {
      pty.write(epochs[feeding.epochs++ % epochs.length]);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { dir, launched, probe, pty, env, ns, feeding, udp: { get sim() { return counts.sim; }, get dspace() { return counts.dspace; }, close: () => sockets.forEach((s) => s.close()) } };
}

async function stop(r: Run): Promise<{ code: number | null }> {
  r.feeding.stop = true;
  const ended = await r.launched.stop('SIGINT');
  await r.probe.stop('SIGINT');
  await r.pty.stop();
  r.udp.close();
  // ros2cli started a daemon for this domain: end it with the run.
  ros2(r.env, ['daemon', 'stop']);
  return ended;
}

/** `fn` run on the first call only; every call gets its promise. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

const context = (r: Run) => () => `${r.launched.output()}\n${r.probe.output()}`;
/** A wait fails at once when launch or the probe has ended (no point waiting for a dead process). */
function alive(r: Run): true {
  for (const p of [r.launched, r.probe]) if (p.exit) throw new Error(`${p.label} ended (${JSON.stringify(p.exit)}) while the test waited:\n${context(r)().slice(-8000)}`);
  return true;
}
const diagnosticNames = (ms: ProbeMessage[]) => new Set(ms.flatMap((m) => (m.msg!.status as { name: string }[]).map((s) => s.name.split(':')[0])));
const NODES = ['rtk_serial', 'can_bridge', 'sim_pose', 'dspace_relay', 'markers'];

describe('ros2 launch vil bringup.launch.py on ROS 2 Jazzy (rclnodejs, Cyclone DDS), judged by ros2cli and rclpy', () => {
  let run: Run | undefined;
  let ended: { code: number | null } | undefined;
  // Started by the first test that needs it (not at collection: the two launches run one after the
  // other); a failure fails every test that awaits it.
  const ready = once(async () => {
    const r = await start(61, {});
    run = r;
    // Everything the tests below look at has arrived.
    await until(
      'fixes, vehicle states, decoded frames, poses, /tf_static and every node on /diagnostics',
      () =>
        alive(r) &&
        r.probe.on('/vil/rtk/fix').length >= 8 &&
        r.probe.on('/vil/can/vehicle_state').length >= 5 &&
        r.probe.on('/vil/can/decoded').length >= 50 &&
        r.probe.on('/vil/sim/ego_pose').length >= 5 &&
        r.probe.on('/tf_static').length >= 1 &&
        NODES.every((n) => diagnosticNames(r.probe.on('/diagnostics')).has(n)),
      context(r),
    );
    return r;
  });
  afterAll(async () => {
    if (run && !ended) await stop(run);
    if (run) rmSync(run.dir, { recursive: true, force: true });
  });

  it('every documented topic appears with its type (ros2 topic list -t)', async () => {
    const r = await ready();
    const listed = ros2(r.env, ['topic', 'list', '-t']).out;
    for (const [topic, type] of [
      ['/vil/rtk/raw', 'nmea_msgs/msg/Sentence'],
      ['/vil/rtk/fix', 'sensor_msgs/msg/NavSatFix'],
      ['/vil/rtk/velocity', 'geometry_msgs/msg/TwistWithCovarianceStamped'],
      ['/vil/rtk/heading', 'geometry_msgs/msg/QuaternionStamped'],
      ['/vil/rtk/status', 'vil/msg/GnssStatus'],
      ['/vil/rtk/rtcm', 'rtcm_msgs/msg/Message'],
      ['/vil/can/can2/raw', 'can_msgs/msg/Frame'],
      ['/vil/can/decoded', 'vil/msg/DecodedSignals'],
      ['/vil/can/vehicle_state', 'vil/msg/VehicleState'],
      ['/vil/sim/ego_pose', 'geometry_msgs/msg/PoseStamped'],
      ['/vil/markers', 'visualization_msgs/msg/MarkerArray'],
      ['/tf', 'tf2_msgs/msg/TFMessage'],
      ['/tf_static', 'tf2_msgs/msg/TFMessage'],
      ['/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray'],
    ]) {
      expect(listed, topic).toContain(`${topic} [${type}]`);
    }
  });

  it("an rclpy subscriber with rclpy's default QoS (reliable) gets the fixes, and they are gpsd's", async () => {
    const r = await ready();
    const gpsd = gpsdFixes();
    const fixes = r.probe.on('/vil/rtk/fix').map((m) => m.msg as { header: { stamp: Time; frame_id: string }; latitude: number; longitude: number; altitude: number });
    expect(fixes.length).toBeGreaterThanOrEqual(8);
    for (const f of fixes) {
      const ref = gpsd.get(iso(f.header.stamp));
      expect(ref, `gpsd has a fix at ${iso(f.header.stamp)}`).toBeDefined();
      expect(Math.abs(f.latitude - ref!.lat)).toBeLessThan(5e-10);
      expect(Math.abs(f.longitude - ref!.lon)).toBeLessThan(5e-10);
      expect(Math.abs(f.altitude - ref!.altHAE)).toBeLessThan(5e-4);
      expect(f.header.frame_id).toBe('gnss');
    }
  });

  it('decoded signals equal cantools on the same frames; vehicle state carries the recording\'s speed', async () => {
    const r = await ready();
    const ref = cantoolsDecodes();
    const decoded = r.probe.on('/vil/can/decoded').map((m) => m.msg as { header: { stamp: Time }; id: number; signal_names: string[]; values: (number | string)[] });
    let compared = 0;
    for (const d of decoded) {
      const want = ref.get(`${micros(d.header.stamp)} ${d.id}`);
      expect(want, `cantools decoded the frame ${d.id} at ${micros(d.header.stamp)}`).toBeDefined();
      d.signal_names.forEach((name, i) => {
        const v = d.values[i] === 'NaN' ? Number.NaN : (d.values[i] as number);
        expect(Math.abs(v - want![name]), `${name} of ${d.id} at ${micros(d.header.stamp)}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(want![name])));
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(100);
    const speeds = new Set([...ref.entries()].filter(([k]) => k.endsWith(' 23')).map(([, v]) => v.Speed));
    const states = r.probe.on('/vil/can/vehicle_state').map((m) => m.msg as { speed: number; header: { frame_id: string } });
    expect(states.every((s) => speeds.has(s.speed) || Number.isNaN(s.speed) || s.speed === ('NaN' as unknown as number))).toBe(true);
  });

  it('/diagnostics: every node reports, by its name', async () => {
    const r = await ready();
    expect([...diagnosticNames(r.probe.on('/diagnostics'))].sort()).toEqual(expect.arrayContaining([...NODES].sort()));
  });

  it('/tf_static reaches a late, transient-local subscriber (rclpy), as tf2 expects', async () => {
    const r = await ready();
    const frames = r.probe.on('/tf_static').flatMap((m) => (m.msg!.transforms as { child_frame_id: string }[]).map((t) => t.child_frame_id));
    expect(frames).toEqual(expect.arrayContaining(['gnss', 'radar_esr']));
  });

  it('ros2 param get / describe show the declared parameters; ros2 param set of a read-only one is refused with the reason', async () => {
    const r = await ready();
    const get = ros2(r.env, ['param', 'get', '/rtk_serial', 'baud']);
    expect(get.out).toMatch(/Integer value is: 115200/);
    const describe = ros2(r.env, ['param', 'describe', '/rtk_serial', 'baud']);
    expect(describe.out).toMatch(/Type: integer/);
    expect(describe.out).toMatch(/Description: .+/);
    expect(describe.out).toMatch(/Read only: true/i);
    const set = ros2(r.env, ['param', 'set', '/rtk_serial', 'baud', '9600']);
    expect(set.out).toMatch(/Setting parameter failed/);
    expect(set.out).toMatch(/read.?only/i);
    expect(ros2(r.env, ['param', 'get', '/rtk_serial', 'baud']).out).toMatch(/Integer value is: 115200/);
  });

  it("the nodes' logs reach /rosout under their names and the ROS log directory", async () => {
    const r = await ready();
    const logs = r.probe.on('/rosout').map((m) => m.msg as { name: string; msg: string; level: number });
    expect(logs.some((l) => l.name === 'rtk_serial' && /receiver port open/.test(l.msg))).toBe(true);
    expect(logs.some((l) => l.name === 'can_bridge' && /can_bridge started/.test(l.msg))).toBe(true);
    const files = readdirSync(join(r.dir, 'ros-log'), { recursive: true }).map(String);
    const text = files.map((f) => { try { return readFileSync(join(r.dir, 'ros-log', f), 'utf8'); } catch { return ''; } }).join('\n');
    expect(text).toMatch(/receiver port open/);
  });

  it('sim_pose and dspace_relay send UDP while the vehicle drives', async () => {
    const r = await ready();
    await until('datagrams from sim_pose and dspace_relay', () => r.udp.sim > 0 && r.udp.dspace > 0, context(r));
    expect(r.udp.sim).toBeGreaterThan(0);
    expect(r.udp.dspace).toBeGreaterThan(0);
  });

  it('Ctrl-C: launch reports every process as finished cleanly, none as died', async () => {
    const r = await ready();
    ended = await stop(r);
    const out = r.launched.output();
    for (const n of NODES) expect(out, out).toMatch(new RegExp(`\\[INFO\\] \\[${n}-\\d+\\]: process has finished cleanly`));
    expect(out).not.toMatch(/process has died/);
  });
});

describe('bringup.launch.py namespace:=car1 single_process:=true', () => {
  let run: Run | undefined;
  const ready = once(async () => {
    const r = await start(62, { namespace: 'car1', single_process: 'true' }, 'car1');
    run = r;
    await until('fixes on /car1/vil/rtk/fix', () => alive(r) && r.probe.on('/car1/vil/rtk/fix').length >= 3 && r.probe.on('/car1/vil/can/vehicle_state').length >= 3, context(r));
    return r;
  });
  afterAll(async () => {
    if (run) {
      await stop(run);
      rmSync(run.dir, { recursive: true, force: true });
    }
  });

  it('one process (vil_all) runs the five nodes under /car1; topics are namespaced, /diagnostics and /tf are not', async () => {
    const r = await ready();
    // Every node but the test's own rclpy probe.
    const nodes = ros2(r.env, ['node', 'list']).out.split('\n').map((l) => l.trim()).filter((l) => l && l !== '/vil_ros_probe').sort();
    expect(nodes).toEqual(NODES.map((n) => `/car1/${n}`).sort());
    expect(r.launched.output()).toMatch(/\[vil_all-1\]/);
    const topics = ros2(r.env, ['topic', 'list']).out;
    for (const t of ['/car1/vil/rtk/fix', '/car1/vil/can/vehicle_state', '/car1/vil/markers', '/diagnostics', '/tf', '/tf_static']) expect(topics).toContain(t);
    expect(topics).not.toMatch(/^\/vil\//m);
  });

  it('Ctrl-C: the one process finishes cleanly', async () => {
    const r = await ready();
    await stop(r);
    const out = r.launched.output();
    expect(out).toMatch(/\[INFO\] \[vil_all-1\]: process has finished cleanly/);
    expect(out).not.toMatch(/process has died/);
    run = undefined;
    rmSync(r.dir, { recursive: true, force: true });
  });
});

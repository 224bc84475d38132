// `vil demo` as a user runs it (the built CLI, its own process, a real pty and real UDP sockets),
// shortened to 12 receiver epochs; then what it recorded, judged again here without the demo's own
// code, against references that are not vil's:
//   fixes          cantools's decode of the recording (the NMEA was derived from the drive's epochs)
//   raw frames     asammdf's frame list of the recording; the radar log the demo wrote
//   decoded, vehicle state   cantools's decode, frame by frame (the state's ages point at the frame)
//   poses          PROJ's cs2cs on the recorded fixes, the lever arm from config/demo.params.yaml
//   object lists   the scene script at the resolution ESR.dbc states (scale read from the file here)
//   UDP            received (the demo's table) = object lists recorded (dSPACE: one datagram per list)
//                  and = poses recorded + stale datagrams (simulator: sim_pose publishes a pose with
//                  every datagram that is not stale)
//   drive.svg      rendered by headless Chromium: not blank, and the trail drawn where the fixes are
// Nothing here is timed: counts and contents only. The setup is a promise every test awaits, so a
// failed setup fails every test (by name) instead of skipping them.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readMcap, readMcapInfo, type McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import type { NavSatFixMsg, ObjectListMsg, PoseStampedMsg } from '../../nodes/runtime/msg_types.js';
import type { CanMsgsFrame } from '../../nodes/can_bridge/raw_frames.js';
import type { DecodedSignalsMsg } from '../../nodes/can_bridge/decoded_signals.js';
import type { VehicleStateMsg } from '../../nodes/can_bridge/vehicle_state.js';
import { sceneTracks } from '../../nodes/cli/demo_drive.js';
import { parseRefLine } from '../buslog/reference.js';
import { cantoolsRows, ggaQualityOfFixType, referenceFrames, ROOT, type DecodedRow } from './reference.js';
import { screenshot } from './chromium.js';
import { inDataOrder } from '../helpers/mcap_order.js';
import { readPng } from './png.js';

const EPOCHS = 12;
const START_S = 92; // where the demo's drive starts in the recording (README: The demo)
const out = mkdtempSync(join(tmpdir(), 'vil-demo-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  messages: McapMessage[];
  on<T>(topic: string): T[];
}

async function runDemo(): Promise<Run> {
  const cli = join(ROOT, 'dist/nodes/cli/main.js');
  if (!existsSync(cli)) throw new Error('dist/ is built by `npm test` (pretest: npm run build)');
  if (spawnSync('cs2cs', [], { input: '' }).error) throw new Error('PROJ\'s cs2cs is not installed: the pose check needs it (bash scripts/ensure-tools.sh installs proj-bin)');
  const child = spawn(process.execPath, [cli, 'demo', '--epochs', String(EPOCHS), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  const file = join(out, 'vil-demo.mcap');
  if (!existsSync(file)) throw new Error(`vil demo wrote no MCAP (exit ${code}):\n${stdout}\n${stderr}`);
  // Each topic in the order of its data stamps (see test/helpers/mcap_order.ts).
  const messages = inDataOrder(await readMcap(file));
  const by = new Map<string, unknown[]>();
  for (const m of messages) {
    let list = by.get(m.topic);
    if (!list) by.set(m.topic, (list = []));
    list.push(m.message);
  }
  return { code, stdout, stderr, messages, on: <T>(t: string) => (by.get(t) ?? []) as T[] };
}

const setup = runDemo();
setup.catch(() => undefined); // reported by every test that awaits it

// The window of the recording the demo replays, from the references: START_S after the first
// frame, up to the status frame of the epoch after the last one played.
const refFrames = referenceFrames();
const originUs = refFrames[0].us;
const startUs = originUs + START_S * 1e6;
const rows = cantoolsRows().filter((r) => r.us >= startUs);
const endUs = rows.filter((r) => r.message === 'gnss_status')[EPOCHS].us;
const windowRows = rows.filter((r) => r.us < endUs);
const inWindow = (us: number) => us >= startUs && us < endUs;
const rowsOf = (message: string) => windowRows.filter((r) => r.message === message);
const ns = (t: { sec: number; nanosec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);

describe(`vil demo, ${EPOCHS} receiver epochs of the real drive (built CLI, real pty and UDP)`, () => {
  it('runs as a user runs it: exit 0, every check ok (none left unchecked), one progress line per epoch, says what is real and what is generated', async () => {
    const r = await setup;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('all checks passed');
    expect(r.stdout).not.toMatch(/not checked|FAIL/);
    const checks = r.stdout.split('\nChecks\n')[1].split('\n\n')[0].split('\n');
    expect(checks).toHaveLength(9);
    for (const c of checks) expect(c, c).toMatch(/^ {2}ok {3}/);
    expect(r.stdout.match(/^\[\s*\d+\/12\]/gm)).toHaveLength(EPOCHS);
    expect(r.stdout).toContain('GNSS:  positions of the real CANedge drive');
    expect(r.stdout).toContain('framed as the real u-blox ZED-F9P log');
    expect(r.stdout).toMatch(/Radar: GENERATED/);
  }, 600_000); // the first test waits for the demo's run (the setup)

  it('writes an MCAP whose every message decodes with its embedded schema, the registry\'s definition', async () => {
    const r = await setup;
    const info = await readMcapInfo(join(out, 'vil-demo.mcap'));
    expect(info.profile).toBe('ros2');
    expect(r.messages.length).toBe(Number(info.statistics!.messageCount));
    const reg = messageRegistry();
    for (const ch of info.channels) {
      const schema = info.schemas.find((s) => s.id === ch.schemaId)!;
      expect(schema.text, ch.topic).toBe(reg.schemaText(schema.name));
    }
  });

  it('fixes: one per epoch, position to the NMEA\'s 0.00001\', altitude to 0.1 m and status as cantools decoded the drive', async () => {
    const r = await setup;
    const fixes = r.on<NavSatFixMsg>('/vil/rtk/fix');
    const pos = rowsOf('gnss_pos');
    const alt = rowsOf('gnss_altitude');
    const status = rowsOf('gnss_status');
    expect(pos).toHaveLength(EPOCHS);
    expect(fixes).toHaveLength(EPOCHS);
    for (let k = 0; k < EPOCHS; k++) {
      expect(Math.abs(fixes[k].latitude - pos[k].values.Latitude)).toBeLessThanOrEqual(0.5e-5 / 60);
      expect(Math.abs(fixes[k].longitude - pos[k].values.Longitude)).toBeLessThanOrEqual(0.5e-5 / 60);
      expect(Math.abs(fixes[k].altitude - alt[k].values.Altitude)).toBeLessThanOrEqual(0.05);
      // rtk_serial: GGA quality 1 and 6 → STATUS_FIX (0), 0 → NO_FIX (-1).
      const q = ggaQualityOfFixType(status[k].values.FixType, pos[k].values.PositionValid === 1);
      expect(fixes[k].status.status).toBe(q === 0 ? -1 : 0);
    }
  });

  it('raw frames: every frame of the window on its bus, in order, as asammdf read the recording; the radar as the demo\'s log holds it', async () => {
    const r = await setup;
    for (const ch of [1, 2]) {
      const want = refFrames.filter((f) => f.channel === ch && inWindow(f.us));
      const got = r.on<CanMsgsFrame>(`/vil/can/can${ch}/raw`);
      expect(got.length, `can${ch}`).toBe(want.length);
      expect(want.length).toBeGreaterThan(50);
      for (let i = 0; i < want.length; i++) expect(`${got[i].id.toString(16)}#${Buffer.from(got[i].data.subarray(0, got[i].dlc)).toString('hex').toUpperCase()}`, want[i].line).toBe(`${want[i].id.toString(16)}#${want[i].data}`);
    }
    const radar = readFileSync(join(out, 'radar.candump.log'), 'utf8').trim().split('\n').map((l) => parseRefLine(l.replace(/^\(0*(\d)/, '($1')));
    const got = r.on<CanMsgsFrame>('/vil/can/radar/raw');
    expect(got.length).toBe(radar.length);
    expect(got.map((g) => `${g.id.toString(16)}#${Buffer.from(g.data.subarray(0, g.dlc)).toString('hex').toUpperCase()}`)).toEqual(radar.map((f) => `${f.id.toString(16)}#${f.data}`));
    // The replay's stamps keep the recorded intervals exactly (recording_stamps: replay).
    const stamps = r.on<CanMsgsFrame>('/vil/can/can2/raw').map((g) => ns(g.header.stamp));
    const want2 = refFrames.filter((f) => f.channel === 2 && inWindow(f.us));
    for (let i = 1; i < stamps.length; i++) expect(Number(stamps[i] - stamps[0]) / 1000).toBeCloseTo(want2[i].us - want2[0].us, 0);
  });

  it('decoded GNSS signals: every frame of the window, every signal, = cantools\'s decode', async () => {
    const r = await setup;
    const messages = [...new Set(windowRows.map((x) => x.message))];
    expect(messages.sort()).toEqual(['gnss_altitude', 'gnss_attitude', 'gnss_geofence', 'gnss_imu', 'gnss_odo', 'gnss_pos', 'gnss_speed', 'gnss_status', 'gnss_time']);
    let values = 0;
    for (const m of messages) {
      const want = rowsOf(m);
      const got = r.on<DecodedSignalsMsg>(`/vil/can/decoded/${m}`);
      expect(got.length, m).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        expect(got[i].id).toBe(want[i].id);
        expect([...got[i].signal_names].sort(), m).toEqual(Object.keys(want[i].values).sort());
        got[i].signal_names.forEach((s, j) => {
          expect(Math.abs(got[i].values[j] - want[i].values[s]), `${m} #${i} ${s}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[i].values[s])));
          values++;
        });
      }
    }
    expect(values).toBeGreaterThan(EPOCHS * 40);
  });

  it('vehicle state: speed, yaw rate and accelerations are the module\'s values (cantools) of the frames their ages point at, in SI units', async () => {
    const r = await setup;
    // The replay shifted every recorded time by one constant: the first raw frame's stamp − its recorded time.
    const firstRaw = [1, 2, 'radar'].map((b) => r.on<CanMsgsFrame>(`/vil/can/${typeof b === 'number' ? `can${b}` : b}/raw`)[0]).map((f) => ns(f.header.stamp));
    const firstRecordedUs = Math.min(refFrames.find((f) => inWindow(f.us))!.us, parseRefLine(readFileSync(join(out, 'radar.candump.log'), 'utf8').split('\n')[0].replace(/^\(0*(\d)/, '($1')).us);
    const shiftNs = firstRaw.reduce((a, b) => (a < b ? a : b)) - BigInt(firstRecordedUs) * 1000n;
    const frameOf = (stamp: { sec: number; nanosec: number }, age: number, message: string): DecodedRow => {
      const us = Number((ns(stamp) - BigInt(Math.round(age * 1e9)) - shiftNs) / 1000n);
      const row = rowsOf(message).find((x) => Math.abs(x.us - us) <= 2);
      if (!row) throw new Error(`no ${message} frame at ${us} µs (age ${age} s)`);
      return row;
    };
    const states = r.on<VehicleStateMsg>('/vil/can/vehicle_state');
    expect(states.length).toBeGreaterThan(EPOCHS * 5);
    let compared = 0;
    const speeds = new Set<number>();
    for (const s of states) {
      if (Number.isFinite(s.speed)) {
        const row = frameOf(s.header.stamp, s.speed_age, 'gnss_speed');
        expect(s.speed).toBe(row.values.Speed);
        speeds.add(row.us);
        compared++;
      }
      if (Number.isFinite(s.yaw_rate)) {
        const row = frameOf(s.header.stamp, s.yaw_rate_age, 'gnss_imu');
        expect(s.yaw_rate).toBeCloseTo((row.values.AngularRateZ * Math.PI) / 180, 12);
        expect(s.longitudinal_acceleration).toBe(row.values.AccelerationX);
        expect(s.lateral_acceleration).toBe(row.values.AccelerationY);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(EPOCHS * 5);
    // Every speed the module sent in the window reached the vehicle state.
    expect(speeds.size).toBe(rowsOf('gnss_speed').length);
  });

  it('poses sent to the simulator: PROJ\'s cs2cs projection of each fix, moved to the reference point by the lever arm, within 1 mm', async () => {
    const r = await setup;
    const params = parseYaml(readFileSync(join(ROOT, 'config/demo.params.yaml'), 'utf8')) as { sim_pose: { ros__parameters: { map_projection: string; lever_arm: number[]; fixed_z: number } } };
    const sp = params.sim_pose.ros__parameters;
    const fixes = r.on<NavSatFixMsg>('/vil/rtk/fix');
    const cs = spawnSync('cs2cs', ['-f', '%.6f', '+proj=longlat', '+datum=WGS84', '+to', ...sp.map_projection.split(/\s+/)], { input: fixes.map((f) => `${f.longitude} ${f.latitude}`).join('\n') + '\n', encoding: 'utf8' });
    const en = cs.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    expect(en).toHaveLength(fixes.length);
    const poses = r.on<PoseStampedMsg>('/vil/sim/ego_pose');
    expect(poses.length).toBeGreaterThan(EPOCHS);
    const seen = new Set<number>();
    for (const p of poses) {
      // extrapolate: false in the demo: a pose is stamped with its fix.
      const i = fixes.findIndex((f) => ns(f.header.stamp) === ns(p.header.stamp));
      expect(i, 'a pose of a fix that was published').toBeGreaterThanOrEqual(0);
      seen.add(i);
      const q = p.pose.orientation;
      const yaw = Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
      const [lx, ly] = sp.lever_arm;
      const x = en[i][0] - (Math.cos(yaw) * lx - Math.sin(yaw) * ly);
      const y = en[i][1] - (Math.sin(yaw) * lx + Math.cos(yaw) * ly);
      expect(Math.hypot(p.pose.position.x - x, p.pose.position.y - y)).toBeLessThanOrEqual(0.001);
      expect(p.pose.position.z).toBe(sp.fixed_z);
    }
    // Which fixes got a pose depends on when sim_pose's 100 Hz timer ran, not on the data: at least one.
    expect(seen.size).toBeGreaterThan(0);
  });

  it('radar object lists: every scan once, in order, the scene script\'s tracks at the resolution ESR.dbc states', async () => {
    const r = await setup;
    const dbc = readFileSync(join(ROOT, 'config/dbc/ESR.dbc'), 'latin1');
    const q = (signal: string) => {
      const m = new RegExp(`SG_ ${signal} : \\d+\\|\\d+@\\d[+-] \\(([^,]+),([^)]+)\\)`).exec(dbc)!;
      const [scale, offset] = [Number(m[1]), Number(m[2])];
      return (v: number) => Math.round((v - offset) / scale) * scale + offset;
    };
    const [range, angle, rate, width] = ['CAN_TX_TRACK_RANGE', 'CAN_TX_TRACK_ANGLE', 'CAN_TX_TRACK_RANGE_RATE', 'CAN_TX_TRACK_WIDTH'].map(q);
    const lists = r.on<ObjectListMsg>('/vil/can/objects/esr');
    const scans = readFileSync(join(out, 'radar.candump.log'), 'utf8').split('\n').filter((l) => / can3 4E0#/.test(l)).length; // ESR_Status = 0x4E0
    expect(lists.length).toBe(scans);
    expect(lists.length).toBeGreaterThanOrEqual(EPOCHS * 20 - 2);
    for (const [k, l] of lists.entries()) {
      expect(l.cycle_counter).toBe(k);
      const want = sceneTracks(k * 0.05 + 0.0005);
      const got = [...l.objects].sort((a, b) => a.id - b.id);
      expect(got.map((o) => o.id)).toEqual(want.map((t) => t.slot));
      for (const [j, t] of want.entries()) {
        const a = (angle(t.angleDeg) * Math.PI) / 180;
        const o = got[j];
        expect(o.position.x).toBeCloseTo(range(t.range) * Math.cos(a), 9);
        expect(o.position.y).toBeCloseTo(range(t.range) * Math.sin(a), 9);
        expect(o.velocity.x).toBeCloseTo(rate(t.rangeRate) * Math.cos(a), 9);
        expect(o.velocity.y).toBeCloseTo(rate(t.rangeRate) * Math.sin(a), 9);
        expect(o.size.y).toBe(width(t.width));
        expect(o.status).toBe(t.status);
      }
    }
  });

  it('UDP: the receivers got what the senders counted, and that is what the recording says was sent', async () => {
    const r = await setup;
    const row = (label: string) => {
      const m = new RegExp(`^${label} :\\d+\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$`, 'm').exec(r.stdout);
      if (!m) throw new Error(`no UDP row for ${label} in:\n${r.stdout}`);
      const [sent, received, malformed, gaps, stale] = m.slice(1).map(Number);
      return { sent, received, malformed, gaps, stale };
    };
    const sim = row('simulator');
    const dspace = row('dSPACE');
    for (const u of [sim, dspace]) {
      expect(u.received).toBe(u.sent);
      expect([u.malformed, u.gaps]).toEqual([0, 0]);
    }
    // dspace_relay (on_message): one datagram per object list.
    expect(dspace.received).toBe(r.on('/vil/can/objects/esr').length);
    // sim_pose: a datagram every tick once it has a fix; a pose on the topic with each one not stale.
    expect(sim.received - sim.stale).toBe(r.on('/vil/sim/ego_pose').length);
  });

  it('drive.svg: Chromium renders it (not blank), and the trail is drawn where the fixes are, on map axes in metres', async () => {
    const r = await setup;
    const svgFile = join(out, 'drive.svg');
    const svg = readFileSync(svgFile, 'utf8');
    expect(svg).toMatch(/x east \[m\]/);
    expect(svg).toMatch(/y north \[m\]/);
    expect(svg).toMatch(/speed \[m\/s\]/);
    expect(svg).toMatch(/CSS-Electronics CANedge recording/);
    // The trail's coordinates are metres in the map projection: PROJ's cs2cs of the fixes.
    const params = parseYaml(readFileSync(join(ROOT, 'config/demo.params.yaml'), 'utf8')) as { sim_pose: { ros__parameters: { map_projection: string } } };
    const fixes = r.on<NavSatFixMsg>('/vil/rtk/fix');
    const cs = spawnSync('cs2cs', ['-f', '%.6f', '+proj=longlat', '+datum=WGS84', '+to', ...params.sim_pose.ros__parameters.map_projection.split(/\s+/)], { input: fixes.map((f) => `${f.longitude} ${f.latitude}`).join('\n') + '\n', encoding: 'utf8' });
    const en = cs.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    const d = /<path id="trail" d="([^"]+)"/.exec(svg)![1];
    const pts = [...d.matchAll(/[ML] (-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(pts).toHaveLength(fixes.length);
    for (let i = 0; i < pts.length; i++) expect(Math.hypot(pts[i][0] - en[i][0], pts[i][1] - en[i][1])).toBeLessThanOrEqual(0.006);
    // Rendered: the picture is not blank, and the trail's colour lies where the transform puts the trail.
    const img = readPng(screenshot(svgFile, 1200, 900));
    expect([img.width, img.height]).toEqual([1200, 900]);
    const colours = new Set<number>();
    for (let i = 0; i < img.rgba.length; i += 4 * 7) colours.add((img.rgba[i] << 16) | (img.rgba[i + 1] << 8) | img.rgba[i + 2]);
    expect(colours.size).toBeGreaterThan(20);
    const m = /id="map-data" transform="matrix\(([^ ]+) 0 0 ([^ ]+) ([^ ]+) ([^ ]+)\)"/.exec(svg)!;
    const [s, , tx, ty] = m.slice(1).map(Number);
    const xs = en.map((p) => tx + s * p[0]);
    const ys = en.map((p) => ty - s * p[1]);
    const want = { minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
    const frame = /<rect x="(\d+)" y="(\d+)" width="(\d+)" height="\3" fill="none"/.exec(svg)!.slice(1).map(Number);
    const got = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity, n: 0 };
    for (let y = frame[1] + 2; y < frame[1] + frame[2] - 2; y++) {
      for (let x = frame[0] + 2; x < frame[0] + frame[2] - 2; x++) {
        const i = (y * img.width + x) * 4;
        // The trail's colour (#1565c0), allowing for anti-aliasing.
        if (Math.abs(img.rgba[i] - 0x15) + Math.abs(img.rgba[i + 1] - 0x65) + Math.abs(img.rgba[i + 2] - 0xc0) > 40) continue;
        got.n++;
        got.minX = Math.min(got.minX, x);
        got.maxX = Math.max(got.maxX, x);
        got.minY = Math.min(got.minY, y);
        got.maxY = Math.max(got.maxY, y);
      }
    }
    expect(got.n).toBeGreaterThan(30);
    // Within the stroke and the start/end circles (7.5 px) of where the fixes are.
    expect(got.minX).toBeGreaterThanOrEqual(want.minX - 9);
    expect(got.maxX).toBeLessThanOrEqual(want.maxX + 9);
    expect(got.minY).toBeGreaterThanOrEqual(want.minY - 9);
    expect(got.maxY).toBeLessThanOrEqual(want.maxY + 9);
    expect(got.maxX - got.minX).toBeGreaterThanOrEqual(want.maxX - want.minX - 2);
    expect(got.maxY - got.minY).toBeGreaterThanOrEqual(want.maxY - want.minY - 2);
  });
});

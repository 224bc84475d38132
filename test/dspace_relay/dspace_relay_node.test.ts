// dspace_relay end to end on the local ROS graph with real sockets on 127.0.0.1. Receivers are
// test/udp/struct_receiver.py (Python struct, its own reading of the layout YAML): they must
// decode the same objects the test published. Also: rate routes hold the last message and flag
// it stale; a destination that is down is counted and recovers when it comes up; no unconnected
// (listening) socket is opened.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import type { DetectedObjectMsg, MarkerArrayMsg, ObjectListMsg } from '../../nodes/runtime/msg_types.js';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { dspaceRelayNode } from '../../nodes/dspace_relay/main.js';
import { f32, makeMarker, startStructReceiver } from '../udp/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MARKERS = `${root}config/layouts/markers_to_dspace.yaml`;
const OBJECTS = `${root}config/layouts/object_list_to_dspace.yaml`;
const ALL: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_all', depth: 0 };
const dir = mkdtempSync(join(tmpdir(), 'vil-relay-'));
let ctx: LocalContext | undefined;
let started: StartedNodes | undefined;
afterEach(async () => {
  await started?.stop();
  await ctx?.shutdown();
  ctx = undefined;
  started = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function routesFile(yaml: string): string {
  const f = join(dir, `routes-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, yaml);
  return f;
}

async function rig(routes: string) {
  const args = parseRosArgs(['--ros-args', '--log-level', 'fatal', '-p', `routes_file:=${routes}`]);
  ctx = createLocalContext(args);
  const probe = ctx.createNode('probe');
  const diags: DiagnosticArrayMsg[] = [];
  probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', ALL, (m) => diags.push(m));
  started = await startNodes(ctx, [dspaceRelayNode]);
  return {
    diags,
    markers: probe.createPublisher<MarkerArrayMsg>('visualization_msgs/msg/MarkerArray', '/sim/objects/markers', 'default'),
    objects: probe.createPublisher<ObjectListMsg>('vil/msg/ObjectList', '/vil/can/objects/esr', 'default'),
    now: () => probe.now(),
  };
}

function obj(id: number, x: number): DetectedObjectMsg {
  return {
    id,
    classification: 1 + (id % 3),
    class_label: '',
    position: { x, y: -x / 2, z: 0 },
    velocity: { x: 1.5 * id, y: -0.25, z: 0 },
    acceleration: { x: 0, y: 0, z: 0 },
    size: { x: 4.2, y: 1.9, z: 1.4 },
    yaw: id === 2 ? Number.NaN : 0.1 * id,
    existence_probability: 0.87,
    status: 3,
    status_label: 'updated',
  };
}

function objectList(cycle: number, objects: DetectedObjectMsg[]): ObjectListMsg {
  return { header: { stamp: { sec: 1000 + cycle, nanosec: 500_000_000 }, frame_id: 'radar' }, source: 'esr', cycle_counter: cycle, frames_in_cycle: 65, objects };
}

/** UDP sockets of this process from `ss` (state, local, peer). */
function ourUdpSockets(): { state: string; local: string; peer: string }[] {
  const r = spawnSync('ss', ['-uanp'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => l.includes(`pid=${process.pid},`))
    .map((l) => {
      const [state, , , local, peer] = l.trim().split(/\s+/);
      return { state, local, peer };
    });
}

function diagValue(diags: DiagnosticArrayMsg[], route: string, key: string): string | undefined {
  for (let i = diags.length - 1; i >= 0; i--) {
    const s = diags[i].status.find((st) => st.name === `dspace_relay: route ${route}`);
    const v = s?.values.find((kv) => kv.key === key)?.value;
    if (v !== undefined) return v;
  }
  return undefined;
}

describe('dspace_relay on the local graph → UDP on 127.0.0.1', () => {
  it('relays MarkerArrays (every message) and ObjectLists (rate, hold-last, stale flag); Python decodes the same objects', async () => {
    const rxM = await startStructReceiver(MARKERS, 3);
    const rxO = await startStructReceiver(OBJECTS, 40);
    const r = await rig(
      routesFile(`routes:
  - name: sim_markers
    topic: /sim/objects/markers
    type: visualization_msgs/msg/MarkerArray
    layout: ${MARKERS}
    destination: 127.0.0.1:${rxM.port}
  - name: objects
    topic: /vil/can/objects/esr
    type: vil/msg/ObjectList
    layout: ${OBJECTS}
    destination: 127.0.0.1:${rxO.port}
    mode: rate
    rate_hz: 50
    stale_timeout_ms: 150
    qos: default
`),
    );
    // No listening socket: every UDP socket of the process is connected to a destination.
    const socks = ourUdpSockets();
    expect(socks.map((s) => s.state).sort()).toEqual(['ESTAB', 'ESTAB']);
    expect(socks.map((s) => s.peer).sort()).toEqual([`127.0.0.1:${rxM.port}`, `127.0.0.1:${rxO.port}`].sort());

    const arrays = [
      [makeMarker(1, 3.5, 0.2, 'car'), makeMarker(2, -7.25, -1.1, 'truck')],
      [makeMarker(5, 100.125, 3.0, 'bike')],
      [],
    ];
    for (const markers of arrays) r.markers.publish({ markers });
    const lists = [objectList(7, [obj(1, 10), obj(2, 20.5), obj(3, -4)]), objectList(8, [obj(1, 11), obj(3, -3.5)])];
    r.objects.publish(lists[0]);
    await sleep(60);
    r.objects.publish(lists[1]);
    const gotM = await rxM.packets;
    const gotO = await rxO.packets;

    gotM.forEach((p, i) => {
      expect(p.crc_ok).toBe(true);
      expect(p.header.sequence).toBe(i);
      expect(p.fields.object_count).toBe(arrays[i].length);
      arrays[i].forEach((m, k) => {
        const s = p.fields.objects[k];
        expect(s.id).toBe(m.id);
        expect(s.x).toBe(f32(m.pose.position.x));
        expect(s.y).toBe(f32(m.pose.position.y));
        expect(s.yaw).toBe(Math.round(((2 * Math.atan2(m.pose.orientation.z, m.pose.orientation.w) * 180) / Math.PI) * 100));
        expect(s.ns).toBe(m.ns);
      });
    });

    // Rate route: contiguous sequence, list 7 then list 8, then list 8 held with the stale flag.
    gotO.forEach((p, i) => {
      expect(p.crc_ok).toBe(true);
      if (i) expect(p.header.sequence).toBe((gotO[i - 1].header.sequence as number) + 1);
    });
    const cycles = gotO.map((p) => p.fields.cycle_counter);
    expect(cycles[0]).toBe(7);
    expect(cycles.at(-1)).toBe(8);
    const firstStale = gotO.findIndex((p) => p.header.flags === 1);
    expect(firstStale).toBeGreaterThan(0);
    expect(gotO.slice(firstStale).every((p) => p.header.flags === 1 && p.fields.cycle_counter === 8)).toBe(true);
    for (const p of gotO) {
      const list = lists[p.fields.cycle_counter - 7];
      expect(p.fields.stamp).toBe(list.header.stamp.sec + list.header.stamp.nanosec * 1e-9);
      expect(p.fields.object_count).toBe(list.objects.length);
      list.objects.forEach((o, k) => {
        const s = p.fields.objects[k];
        expect(s).toEqual({
          id: o.id,
          classification: o.classification,
          status: 3,
          x: f32(o.position.x),
          y: f32(o.position.y),
          vx: f32(o.velocity.x),
          vy: f32(-0.25),
          length_cm: 420,
          width_cm: 190,
          yaw_mrad: Number.isNaN(o.yaw) ? 0 : Math.round(o.yaw * 1000),
          existence_pct: 87,
        });
      });
      // unused slots zeroed
      expect(p.fields.objects.slice(list.objects.length).every((s: Record<string, number>) => Object.values(s).every((v) => v === 0))).toBe(true);
    }
  });

  it('keeps sending to a destination that is down (ECONNREFUSED counted) and recovers when it comes up', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((res) => probe.bind(0, '127.0.0.1', () => res()));
    const port = probe.address().port;
    await new Promise<void>((res) => probe.close(() => res()));
    const r = await rig(
      routesFile(`routes:
  - name: down_then_up
    topic: /sim/objects/markers
    type: visualization_msgs/msg/MarkerArray
    layout: ${MARKERS}
    destination: 127.0.0.1:${port}
`),
    );
    let n = 0;
    const timer = setInterval(() => r.markers.publish({ markers: [makeMarker(n++, n, 0, 'x')] }), 10);
    try {
      // Down: wait for the node's /diagnostics (1 Hz) to report refused sends.
      for (let i = 0; i < 100 && !(Number(diagValue(r.diags, 'down_then_up', 'refused_by_destination')) > 0); i++) await sleep(50);
      expect(Number(diagValue(r.diags, 'down_then_up', 'refused_by_destination'))).toBeGreaterThan(0);
      expect(Number(diagValue(r.diags, 'down_then_up', 'send_errors'))).toBeGreaterThan(0);
      expect(diagValue(r.diags, 'down_then_up', 'last_error')).toMatch(/^ECONNREFUSED/);
      const level = r.diags.at(-1)!.status.find((s) => s.name === 'dspace_relay: route down_then_up')!.level;
      expect(level).toBe(1);
      // Up: a receiver appears on the port; packets arrive again, with the sequence counting on.
      const rx = await startStructReceiver(MARKERS, 5, 20, port);
      const got = await rx.packets;
      expect(got.every((p) => p.crc_ok)).toBe(true);
      const seqs = got.map((p) => p.header.sequence as number);
      expect(seqs[0]).toBeGreaterThan(0); // packets sent while down used sequence numbers: the gap shows the loss
      seqs.slice(1).forEach((s, i) => expect(s).toBeGreaterThan(seqs[i]));
      // and each carries the marker published for it
      got.forEach((p) => expect(p.fields.object_count).toBe(1));
    } finally {
      clearInterval(timer);
    }
  });

  it('sends to a multicast group (on the loopback interface) when the route says so', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((res) => probe.bind(0, '127.0.0.1', () => res()));
    const port = probe.address().port;
    await new Promise<void>((res) => probe.close(() => res()));
    const rx = await startStructReceiver(MARKERS, 2, 20, port, '239.255.77.1');
    const r = await rig(
      routesFile(`routes:
  - name: group
    topic: /sim/objects/markers
    type: visualization_msgs/msg/MarkerArray
    layout: ${MARKERS}
    destination: 239.255.77.1:${port}
    multicast: {ttl: 0, interface: 127.0.0.1}
`),
    );
    r.markers.publish({ markers: [makeMarker(4, 2.5, 0, 'm')] });
    r.markers.publish({ markers: [makeMarker(5, 3.5, 0, 'm'), makeMarker(6, 4.5, 0, 'm')] });
    const got = await rx.packets;
    expect(got.map((p) => p.fields.object_count)).toEqual([1, 2]);
    expect(got.map((p) => p.fields.objects[0].id)).toEqual([4, 5]);
    expect(ourUdpSockets().map((s) => s.peer)).toEqual([`239.255.77.1:${port}`]);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown message type', `  - {name: a, topic: /t, type: nope_msgs/msg/Thing, layout: ${MARKERS}, destination: "127.0.0.1:9"}`, /routes-\w+\.yaml:2: routes\[0\]\.type: message type nope_msgs\/msg\/Thing is not known/],
    ['layout written for another type', `  - {name: a, topic: /t, type: sensor_msgs/msg/NavSatFix, layout: ${MARKERS}, destination: "127.0.0.1:9"}`, /markers_to_dspace\.yaml:\d+: message: the layout reads visualization_msgs\/msg\/MarkerArray but is used for sensor_msgs\/msg\/NavSatFix/],
    ['destination without port', `  - {name: a, topic: /t, type: visualization_msgs/msg/MarkerArray, layout: ${MARKERS}, destination: "127.0.0.1"}`, /routes\[0\]\.destination: expected host:port/],
    ['missing layout file', `  - {name: a, topic: /t, type: visualization_msgs/msg/MarkerArray, layout: nowhere.yaml, destination: "127.0.0.1:9"}`, /routes\[0\]\.layout: file not found: .*nowhere\.yaml/],
    ['rate without rate_hz', `  - {name: a, topic: /t, type: visualization_msgs/msg/MarkerArray, layout: ${MARKERS}, destination: "127.0.0.1:9", mode: rate}`, /routes\[0\]\.rate_hz: mode rate needs rate_hz/],
    ['misspelt key', `  - {name: a, topic: /t, type: visualization_msgs/msg/MarkerArray, layout: ${MARKERS}, destination: "127.0.0.1:9", rate_hz: 5, mdoe: rate}`, /routes\[0\]\.mdoe: unknown key "mdoe"/],
  ];
  for (const [name, route, msg] of bad) {
    it(`refuses a bad routes file at start: ${name}`, async () => {
      const f = routesFile(`routes:\n${route}\n`);
      const p = rig(f);
      await expect(p).rejects.toThrow(ConfigError);
      await expect(p).rejects.toThrow(msg);
      expect(ourUdpSockets()).toEqual([]); // nothing opened
    });
  }
});

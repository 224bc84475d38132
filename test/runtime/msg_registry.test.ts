import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import type { MessageDefinition } from '@foxglove/message-definition';
import { createMessageRegistry, defaultRegistrySources, findProjectRoot, messageRegistry, projectRoot } from '../../nodes/runtime/msg_registry.js';

const reg = messageRegistry();
const root = projectRoot();

/** The package's own parsed definitions name nested types "pkg/Type" too: compare like for like. */
function strip(defs: MessageDefinition[]): unknown[] {
  return defs.map((d) => ({ name: d.name, definitions: d.definitions.map((f) => JSON.parse(JSON.stringify(f, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))) }));
}

describe('message registry', () => {
  it('parses every ROS 2 Jazzy type exactly as @foxglove/rosmsg-msgs-common defines it', () => {
    const keys = Object.keys(ros2jazzy) as (keyof typeof ros2jazzy)[];
    expect(keys.length).toBeGreaterThan(140);
    for (const key of keys) {
      const name = key.replace('/', '/msg/');
      expect(reg.has(name), name).toBe(true);
      const ours = reg.definitions(name)[0];
      expect(strip([ours]), name).toEqual(strip([{ ...ros2jazzy[key], name: key }]));
    }
  });

  it('lists the standard, upstream and project types under pkg/msg/Type names', () => {
    const types = reg.types();
    for (const t of ['sensor_msgs/msg/NavSatFix', 'diagnostic_msgs/msg/DiagnosticArray', 'rosgraph_msgs/msg/Clock', 'nmea_msgs/msg/Sentence', 'can_msgs/msg/Frame', 'rtcm_msgs/msg/Message', 'vil/msg/GnssStatus']) {
      expect(types).toContain(t);
    }
    expect(types.every((t) => /^[a-z0-9_]+\/msg\/[A-Z][A-Za-z0-9]*$/.test(t))).toBe(true);
  });

  it('reads every msgs/msg/*.msg of the project as vil/msg/<Type>, and each parses', () => {
    const files = readdirSync(join(root, 'msgs', 'msg')).filter((f) => f.endsWith('.msg'));
    expect(files).toContain('GnssStatus.msg');
    for (const f of files) {
      const t = `vil/msg/${f.slice(0, -4)}`;
      expect(() => reg.fields(t), t).not.toThrow();
    }
  });

  it('describes fields with ROS 2 names: time as builtin_interfaces/msg/Time, fixed arrays with their length', () => {
    const frame = reg.fields('can_msgs/msg/Frame');
    expect(frame.map((f) => f.name)).toEqual(['header', 'id', 'is_rtr', 'is_extended', 'is_error', 'dlc', 'data']);
    expect(frame[6]).toEqual({ name: 'data', type: 'uint8', isComplex: false, isArray: true, arrayLength: 8 });
    expect(frame[0]).toEqual({ name: 'header', type: 'std_msgs/msg/Header', isComplex: true, isArray: false });
    expect(reg.fields('std_msgs/msg/Header')[0]).toEqual({ name: 'stamp', type: 'builtin_interfaces/msg/Time', isComplex: true, isArray: false });
    expect(reg.fields('vil/msg/GnssStatus').find((f) => f.name === 'gnss_time')?.type).toBe('builtin_interfaces/msg/Time');
    expect(reg.fields('rtcm_msgs/msg/Message')[1]).toEqual({ name: 'message', type: 'uint8', isComplex: false, isArray: true });
  });

  it('gives constants', () => {
    expect(reg.constants('sensor_msgs/msg/NavSatStatus')).toMatchObject({ STATUS_NO_FIX: -1, STATUS_FIX: 0, SERVICE_GPS: 1, SERVICE_GALILEO: 8 });
    expect(reg.constants('vil/msg/GnssStatus')).toMatchObject({ QUALITY_RTK_FIXED: 4, QUALITY_RTK_FLOAT: 5, FIX_MODE_3D: 3 });
    expect(reg.constants('diagnostic_msgs/msg/DiagnosticStatus')).toEqual({ OK: 0, WARN: 1, ERROR: 2, STALE: 3 });
  });

  it('refuses an unknown type with a message naming it and a near match', () => {
    expect(() => reg.fields('sensor_msgs/msg/NavSatFx')).toThrow(/unknown message type "sensor_msgs\/msg\/NavSatFx".*did you mean "sensor_msgs\/msg\/NavSatFix"/);
    expect(() => reg.fields('NavSatFix')).toThrow(/expected "package\/msg\/Type"/);
    expect(reg.has('geometry_msgs/msg/Nope')).toBe(false);
  });

  it('writes schema text as rosbag2 does: root text, then "=" x 80 + "MSG: pkg/Type" blocks, depth first, sorted, once each', () => {
    const text = reg.schemaText('sensor_msgs/msg/NavSatFix');
    const delim = `\n${'='.repeat(80)}\nMSG: `;
    const blocks = text.split(delim);
    expect(blocks[0]).toBe(readFileSync(join(defaultRegistrySources().standardDir, 'sensor_msgs/msg/NavSatFix.msg'), 'utf8').split(delim)[0]);
    expect(blocks.slice(1).map((b) => b.slice(0, b.indexOf('\n')))).toEqual(['sensor_msgs/NavSatStatus', 'std_msgs/Header', 'builtin_interfaces/Time']);
    // DiagnosticArray: DiagnosticStatus pulls in KeyValue; Header appears once.
    const diag = reg.schemaText('diagnostic_msgs/msg/DiagnosticArray').split(delim).slice(1).map((b) => b.slice(0, b.indexOf('\n')));
    expect(diag).toEqual(['diagnostic_msgs/DiagnosticStatus', 'diagnostic_msgs/KeyValue', 'std_msgs/Header', 'builtin_interfaces/Time']);
  });

  it('schema text of every type parses with @foxglove/rosmsg into the registry definitions', () => {
    for (const t of reg.types()) {
      if (!reg.has(t)) continue;
      const fromText = parse(reg.schemaText(t), { ros2: true });
      const ours = reg.definitions(t);
      // Same root fields, and every nested type the serialiser needs is present in the text.
      expect(strip([{ ...fromText[0], name: ours[0].name }]), t).toEqual(strip([ours[0]]));
      const names = new Set(fromText.map((d) => d.name));
      for (const d of ours.slice(1)) expect(names.has(d.name), `${t} needs ${d.name}`).toBe(true);
    }
  });

  it('has the upstream Jazzy text of sensor_msgs/NavSatStatus (ros2/common_interfaces), byte for byte', () => {
    const upstream = readFileSync(join(root, 'test/fixtures/runtime/upstream/NavSatStatus.msg'), 'utf8');
    expect(reg.schemaText('sensor_msgs/msg/NavSatStatus')).toBe(upstream);
  });

  it('keeps the upstream .msg files with an origin and licence header', () => {
    const defs = defaultRegistrySources().defsDir!;
    for (const [pkg, type] of [['nmea_msgs', 'Sentence'], ['can_msgs', 'Frame'], ['rtcm_msgs', 'Message']]) {
      const text = readFileSync(join(defs, pkg, 'msg', `${type}.msg`), 'utf8');
      expect(text).toMatch(/^# Origin: .+\n/);
      expect(text).toMatch(/licence BSD/);
      expect(reg.source(`${pkg}/msg/${type}`)).toContain(join(pkg, 'msg', `${type}.msg`));
    }
  });

  it('picks up a .msg file added to msgs/msg, and explains a broken one only when it is used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-msgs-'));
    writeFileSync(join(dir, 'WheelTicks.msg'), 'std_msgs/Header header\nint32[4] ticks\nGnssLike nested\n');
    writeFileSync(join(dir, 'GnssLike.msg'), 'uint8 quality\n');
    writeFileSync(join(dir, 'Bad.msg'), 'std_msgs/msg/Header header\n');
    writeFileSync(join(dir, 'Worse.msg'), 'geometry_msgs/Pose2 pose\n');
    writeFileSync(join(dir, 'Garbled.msg'), 'float64 x y z\n');
    const r = createMessageRegistry({ ...defaultRegistrySources(), projectMsgDir: dir });
    expect(r.fields('vil/msg/WheelTicks').map((f) => `${f.type} ${f.name}`)).toEqual(['std_msgs/msg/Header header', 'int32 ticks', 'vil/msg/GnssLike nested']);
    expect(r.schemaText('vil/msg/WheelTicks')).toContain('MSG: vil/GnssLike\nuint8 quality\n');
    expect(r.has('vil/msg/Bad')).toBe(false);
    expect(() => r.fields('vil/msg/Bad')).toThrow(/Bad\.msg: field "header" has type "std_msgs\/msg\/Header".*"std_msgs\/Header"/);
    expect(() => r.fields('vil/msg/Worse')).toThrow(/Worse\.msg: field "pose" has type "geometry_msgs\/Pose2", which is not a known message type/);
    expect(() => r.fields('vil/msg/Garbled')).toThrow(/Garbled\.msg: cannot parse/);
    // The rest of the registry is unaffected.
    expect(r.has('sensor_msgs/msg/NavSatFix')).toBe(true);
  });

  it('finds the project root from the source tree and from a compiled dist/ path alike', () => {
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('vil');
    expect(findProjectRoot(join(root, 'nodes', 'runtime'))).toBe(root);
    expect(findProjectRoot(join(root, 'dist', 'nodes', 'runtime'))).toBe(root);
    const elsewhere = mkdtempSync(join(tmpdir(), 'not-vil-'));
    mkdirSync(join(elsewhere, 'a'));
    writeFileSync(join(elsewhere, 'package.json'), '{"name":"other"}');
    expect(() => findProjectRoot(join(elsewhere, 'a'))).toThrow(/cannot find the vil project root/);
  });
});

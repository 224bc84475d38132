// Bad layouts are refused at start-up with a ConfigError naming the file, the line and the key.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { compileLayoutFile } from '../../nodes/udp_layout/compile.js';

const dir = mkdtempSync(join(tmpdir(), 'vil-layout-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function refused(yaml: string, messageType?: string): ConfigError {
  const file = join(dir, `layout${n++}.yaml`);
  writeFileSync(file, yaml);
  try {
    compileLayoutFile(file, messageRegistry(), messageType);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const c = e as ConfigError;
    expect(c.source.startsWith(file)).toBe(true);
    return c;
  }
  throw new Error('layout was accepted');
}

const POSE = 'message: geometry_msgs/msg/PoseStamped\n';

describe('bad layouts are refused naming file:line and key', () => {
  it('YAML aliases: one to an anchor never set, and an alias bomb, are YAML errors (found by npm run fuzz)', () => {
    // Before: a ReferenceError from the YAML library escaped instead of a ConfigError.
    const unset = refused(`name: *a\n${POSE}fields:\n  - {name: x, type: f64, source: pose.position.x}\n`);
    expect(unset.key).toBe('(YAML)');
    expect(unset.problem).toMatch(/alias/i);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    const e = refused(`${bomb}\n${POSE}fields:\n  - {name: x, type: f64, source: pose.position.x}\n`);
    expect(e.key).toBe('(YAML)');
  });

  it('a packet of no bytes (fields: only {align: 1}) is refused (found by npm run fuzz)', () => {
    const e = refused(`${POSE}fields:\n  - {align: 1}\n`);
    expect(e.key).toBe('fields');
    expect(e.problem).toMatch(/no bytes/);
  });

  it('unknown type', () => {
    const e = refused(`${POSE}fields:\n  - {name: x, type: f64, source: pose.position.x}\n  - {name: y, type: u12, source: pose.position.y}\n`);
    expect(e.key).toBe('fields[1].type');
    expect(e.source).toMatch(/:4$/);
    expect(e.message).toMatch(/unknown type/);
    expect(e.fix).toMatch(/u8, u16/);
  });

  it('source path that does not exist in the message type', () => {
    const e = refused(`${POSE}fields:\n  - {name: x, type: f64, source: pose.positon.x}\n`);
    expect(e.key).toBe('fields[0].source');
    expect(e.source).toMatch(/:3$/);
    expect(e.message).toContain('geometry_msgs/msg/Pose has no field "positon"');
    expect(e.fix).toContain('position, orientation');
  });

  it('path error inside an array block names the nested key', () => {
    const e = refused(
      `message: visualization_msgs/msg/MarkerArray\nfields:\n  - {name: n, type: u8, count_of: objs}\n  - name: objs\n    source: markers\n    max_count: 4\n    fields:\n      - {name: x, type: f32, source: pose.position.x}\n      - {name: v, type: f32, source: velocity.x}\n`,
    );
    expect(e.key).toBe('fields[1].fields[1].source');
    expect(e.source).toMatch(/:9$/);
    expect(e.message).toContain('visualization_msgs/msg/Marker has no field "velocity"');
  });

  it('max_count that overflows its count field', () => {
    const e = refused(`message: visualization_msgs/msg/MarkerArray\nfields:\n  - {name: n, type: u8, count_of: objs}\n  - name: objs\n    source: markers\n    max_count: 300\n    fields:\n      - {name: id, type: i32, source: id}\n`);
    expect(e.key).toBe('fields[0].type');
    expect(e.message).toContain('max_count 300 of "objs" overflows u8');
  });

  it('misspelt key', () => {
    const e = refused(`${POSE}fields:\n  - {name: x, type: f64, source: pose.position.x, scael: 2}\n`);
    expect(e.key).toBe('fields[0].scael');
    expect(e.message).toContain('unknown key "scael"');
    expect(e.fix).toContain('scale');
  });

  it('packet larger than a UDP datagram can carry (65,507 bytes)', () => {
    const e = refused(`message: visualization_msgs/msg/MarkerArray\nfields:\n  - name: objs\n    source: markers\n    max_count: 3000\n    fields:\n      - {name: x, type: f64, source: pose.position.x}\n      - {name: y, type: f64, source: pose.position.y}\n      - {name: z, type: f64, source: pose.position.z}\n`);
    expect(e.message).toContain('24000 bytes'.replace('24000', String(3000 * 24)));
    expect(e.message).toContain('65507');
  });

  // Regression (issue 9, defect 6): header constants the receiver compares every packet against
  // were accepted in a type that cannot carry them, so every packet was then rejected.
  describe('a header constant that does not fit its type exactly', () => {
    const layout = (header: string) => `${POSE}header:\n${header}\nfields:\n  - {name: x, type: f64, source: pose.position.x}\n`;

    it('magic 0x45474F31 as bool: refused naming file:line, key and fix', () => {
      const e = refused(layout('  magic: {value: 0x45474F31, type: bool}'));
      expect(e.key).toBe('header.magic.value');
      expect(e.source).toMatch(/:3$/);
      expect(e.message).toContain('1162301233 (0x45474F31) does not fit bool');
      expect(e.fix).toMatch(/u32/);
    });

    it('magic 0x45474F31 as f32 (not exact: 1162301184 on the wire): refused', () => {
      expect(Math.fround(0x45474f31)).not.toBe(0x45474f31); // the premise, checked
      const e = refused(layout('  magic: {value: 0x45474F31, type: f32}'));
      expect(e.key).toBe('header.magic.value');
      expect(e.message).toContain(`not exact in f32 (it would be sent as ${Math.fround(0x45474f31)}`);
      expect(e.fix).toMatch(/u32|f64/);
    });

    it('version 2 as bool: refused', () => {
      const e = refused(layout('  version: {value: 2, type: bool}'));
      expect(e.key).toBe('header.version.value');
      expect(e.message).toContain('2 does not fit bool');
    });

    it('constants these types hold exactly are accepted', () => {
      const ok = (header: string) => {
        const file = join(dir, `layout${n++}.yaml`);
        writeFileSync(file, layout(header));
        return compileLayoutFile(file, messageRegistry()).plan.header.map((h) => h.constant);
      };
      expect(ok('  magic: {value: 16777216, type: f32}')).toEqual([16777216]);
      expect(ok('  magic: {value: 0x45474F31, type: f64}')).toEqual([0x45474f31]);
      expect(ok('  magic: {value: 1, type: bool}\n  version: {value: 0, type: bool}')).toEqual([1, 0]);
      expect(ok('  magic: {value: 9007199254740991, type: u64}')).toEqual([9007199254740991]);
    });

    it('a bool field constant other than 0/1 is refused too', () => {
      const e = refused(`${POSE}fields:\n  - {name: x, type: f64, source: pose.position.x}\n  - {name: on, type: bool, value: 3}\n`);
      expect(e.key).toBe('fields[1].value');
    });
  });

  it('constant that does not fit its type', () => {
    const e = refused(`${POSE}header:\n  magic: {value: 70000, type: u16}\nfields:\n  - {name: x, type: f64, source: pose.position.x}\n`);
    expect(e.key).toBe('header.magic.value');
    expect(e.source).toMatch(/:3$/);
    expect(e.message).toContain('outside u16');
  });

  it('asserted offset (at) that the layout does not produce', () => {
    const e = refused(`${POSE}fields:\n  - {name: x, type: f64, source: pose.position.x}\n  - {name: y, type: f64, source: pose.position.y, at: 4}\n`);
    expect(e.key).toBe('fields[1].at');
    expect(e.message).toContain('at byte 8');
  });

  it('count_of naming no array', () => {
    const e = refused(`${POSE}fields:\n  - {name: n, type: u8, count_of: nothing}\n`);
    expect(e.key).toBe('fields[0].count_of');
  });

  it('text into a number', () => {
    const e = refused(`${POSE}fields:\n  - {name: f, type: f32, source: header.frame_id}\n`);
    expect(e.key).toBe('fields[0].type');
    expect(e.message).toContain('is text');
  });

  it('path ending at a message, not a value', () => {
    const e = refused(`${POSE}fields:\n  - {name: p, type: f64, source: pose.position}\n`);
    expect(e.key).toBe('fields[0].source');
    expect(e.fix).toContain('x, y, z');
  });

  it('layout written for another message type than the route uses', () => {
    const e = refused(`${POSE}fields:\n  - {name: x, type: f64, source: pose.position.x}\n`, 'sensor_msgs/msg/NavSatFix');
    expect(e.key).toBe('message');
  });

  it('field without a source', () => {
    const e = refused(`${POSE}fields:\n  - {name: x, type: f64}\n`);
    expect(e.key).toBe('fields[0]');
    expect(e.fix).toContain('source');
  });

  it('unquoted char[N] in a flow mapping: YAML error with the fix', () => {
    const e = refused(`${POSE}fields:\n  - {name: f, type: char[8], source: header.frame_id}\n`);
    expect(e.source).toMatch(/:3$/);
    expect(e.fix).toContain('"char[8]"');
  });

  it('epoch nanoseconds into a 32-bit integer', () => {
    const e = refused(`${POSE}fields:\n  - {name: t, type: u32, source: header.stamp}\n`);
    expect(e.key).toBe('fields[0].time_unit');
  });

  it('accepts a packet larger than the MTU with a warning (fragmentation)', () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `message: visualization_msgs/msg/MarkerArray\nmtu: 1500\nfields:\n  - name: objs\n    source: markers\n    max_count: 100\n    fields:\n      - {name: x, type: f64, source: pose.position.x}\n      - {name: y, type: f64, source: pose.position.y}\n`);
    const c = compileLayoutFile(file, messageRegistry());
    expect(c.plan.totalSize).toBe(1600);
    expect(c.warnings.join()).toContain('IP-fragmented');
  });
});

// decodeValues (signal name → physical value): against cantools 42.0.3's decodes of three real bus
// recordings (CANedge MF4 files, their candump lists and DBCs: test/fixtures/buslogs), and against
// the codec's own decoders on every fixture DBC (generated and interpreted, fresh and reused objects,
// full and short payloads).
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDbcFile } from '../../nodes/dbc/load.js';
import { compileDatabase } from '../../nodes/dbc/codec.js';
import { parseDbc } from '../../nodes/dbc/parse.js';
import { parseCandumpLine } from '../../nodes/buslog/candump.js';
import { DBC_FILES, load, rng } from './helpers.js';

const BUSLOGS = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/buslogs');

const RECORDINGS = [
  { mf4: 'css_2F6913DB_0004_00000001.MF4', dbc: 'canmod-gps' },
  { mf4: 'css_2F6913DB_1089_00000001.MF4', dbc: 'gnss' },
  { mf4: 'css_FCBF0606_3482_00000001.MF4', dbc: 'CSS-Electronics-SAE-J1939-DEMO' },
];

describe('decodeValues against cantools on real recordings', () => {
  for (const { mf4, dbc } of RECORDINGS) {
    for (const codegen of [true, false]) {
      it(`${mf4} with ${dbc}.dbc (${codegen ? 'generated' : 'interpreted'}): every value cantools decoded`, () => {
        const db = loadDbcFile(join(BUSLOGS, 'dbc', `${dbc}.dbc`), { codegen });
        // The candump list and cantools's decode share the frame's timestamp, channel and id.
        const frames = new Map<string, Uint8Array>();
        for (const line of readFileSync(join(BUSLOGS, 'mf4', `${mf4}.candump`), 'latin1').split('\n')) {
          const f = line ? parseCandumpLine(line) : null;
          if (f && !f.error && !f.rtr) frames.set(`${line.slice(1, line.indexOf(')'))} ${f.iface} ${f.id}`, f.data);
        }
        const rows = readFileSync(join(BUSLOGS, 'mf4', `${mf4}.${dbc}.decoded.csv`), 'latin1')
          .split('\n')
          .filter((l) => l && !l.startsWith('#') && !l.startsWith('t,'));
        expect(rows.length).toBeGreaterThan(100);
        const reused = new Map<string, Record<string, number>>();
        let values = 0;
        for (const row of rows) {
          const [t, channel, idHex, message, signals] = row.split(',');
          const id = parseInt(idHex, 16);
          const data = frames.get(`${t} ${channel} ${id}`);
          expect(data, row).toBeDefined();
          const codec = db.lookup(id, idHex.length > 3)!;
          expect(codec.name, row).toBe(message);
          const fresh = codec.decodeValues(data!);
          const into = codec.decodeValues(data!, reused.get(message) ?? codec.createValues());
          reused.set(message, into);
          const want: Record<string, number> = {};
          for (const kv of signals.split(';')) {
            const [k, v] = kv.split('=');
            want[k] = Number(v);
          }
          // cantools leaves out inactive signals; vil has them as NaN.
          for (const name of codec.signalNames) {
            if (name in want) {
              expect(fresh[name], `${row} ${name}`).toBe(want[name]);
              values++;
            } else expect(fresh[name], `${row} ${name}`).toBeNaN();
          }
          expect(Object.keys(fresh)).toEqual(codec.signalNames);
          expect(into).toEqual(fresh);
        }
        expect(values).toBeGreaterThanOrEqual(rows.length); // at least one value per decoded frame
      });
    }
  }
});

describe('decodeValues agrees with decodeInto on every fixture DBC', () => {
  for (const file of DBC_FILES) {
    it(file, () => {
      const gen = load(file, true);
      const int = load(file, false);
      const random = rng(0xdbc0 + file.length);
      for (const codec of gen.messages) {
        const other = int.byName(codec.name)!;
        const reused = codec.createValues();
        expect(Object.keys(reused)).toEqual(codec.signalNames);
        for (let k = 0; k < 40; k++) {
          // Full payloads, longer ones and (every fourth) short ones.
          const len = k % 4 === 3 ? Math.floor(random() * codec.length) : codec.length + (k % 4 === 2 ? 3 : 0);
          const data = Uint8Array.from({ length: len }, () => Math.floor(random() * 256));
          const want = codec.createOutput();
          const status = codec.decodeInto(data, want, 0);
          for (const [c, into] of [[codec, reused], [codec, undefined], [other, other.createValues()], [other, undefined]] as const) {
            const got = c.decodeValues(data, into);
            expect(c.lastStatus).toBe(status);
            codec.signalNames.forEach((name, i) => expect(Object.is(got[name], want[i]), `${codec.name}.${name} ${len} B`).toBe(true));
          }
        }
      }
    });
  }

  it('a signal named like an Object.prototype member is an ordinary value', () => {
    const dbc = `VERSION ""\n\nBU_: A\n\nBO_ 1 M: 8 A\n SG_ __proto__ : 0|8@1+ (1,0) [0|255] "" A\n SG_ constructor : 8|8@1+ (2,0) [0|510] "" A\n SG_ toString : 16|8@1+ (1,0) [0|255] "" A\n`;
    for (const codegen of [true, false]) {
      const db = compileDatabase(parseDbc(dbc, 'proto.dbc'), { codegen });
      const m = db.byName('M')!;
      const v = m.decodeValues(Uint8Array.from([7, 8, 9, 0, 0, 0, 0, 0]));
      expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString']);
      expect([v['__proto__'], v.constructor, v.toString]).toEqual([7, 16, 9]);
      expect(Object.getPrototypeOf(v)).not.toBe(7);
    }
  });
});

// `vil import`: real recordings through the importer into a bag, read back with the bag's own
// schemas (nodes/runtime/local/mcap_read.ts: @mcap/core + the embedded .msg text), judged by
// cantools's decodes of the same recordings (test/fixtures/buslogs/decoded, cantools 42.0.3;
// J1939 frames matched on the PGN) and by the reference frame dumps (asammdf / python-can):
// - every DecodedSignals message equals cantools's row: time (1 µs), channel, id, message name,
//   every active signal's value exactly; none missing, none extra;
// - every raw frame of the recording is in the bag on its bus's topic, in order;
// - the bag holds exactly what can_bridge publishes when it runs on the same files live on the
//   local graph (same topics, same messages), log time = the data's time;
// - the command line: channel mapping, --config, usage errors, an existing output, a truncated
//   recording (exit 1, the bag holds the frames before the damage).
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { PassThrough } from 'node:stream';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPORT_HEAP_MB, runImport } from '../../nodes/cli/import.js';
import { spawnSync } from 'node:child_process';
import { readMcap, readMcapInfo, type McapMessage } from '../../nodes/runtime/local/mcap_read.js';
import type { DecodedSignalsMsg } from '../../nodes/can_bridge/decoded_signals.js';
import type { CanMsgsFrame } from '../../nodes/can_bridge/raw_frames.js';
import type { Time } from '../../nodes/runtime/ros.js';
import { readRef } from '../buslog/reference.js';
import { replayed, startBridge } from '../can_bridge/node_helpers.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/buslogs');
const dbc = (f: string) => join(FIX, 'dbc', f);
const decodedCsv = (f: string) => join(FIX, 'decoded', f);

let dir: string;
setupAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vil-import-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function vilImport(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runImport(args, { stdout, stderr, tty: false, quiet: true });
  return { code, out, err };
}

interface CsvRow {
  us: number;
  channel: number;
  id: number;
  message: string;
  signals: Map<string, number>;
  line: string;
}

/** cantools's decodes: `t,channel,id,message,signal=value;...` (values as Python prints floats). */
function readDecodedCsv(path: string): CsvRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('t,'))
    .map((line) => {
      const [t, ch, id, message, signals] = line.split(',');
      const [s, frac] = t.split('.');
      return {
        us: Number(s) * 1e6 + Number(frac.padEnd(6, '0')),
        channel: Number(ch.replace('can', '')),
        id: parseInt(id, 16),
        message,
        signals: new Map(signals.split(';').map((kv) => {
          const eq = kv.indexOf('=');
          return [kv.slice(0, eq), Number(kv.slice(eq + 1))] as [string, number];
        })),
        line,
      };
    });
}

const us = (t: Time): number => t.sec * 1e6 + Math.round(t.nanosec / 1000);

const CASES = [
  { name: 'CANedge MF4 (unfinalised, FW 01.04) with canmod-gps.dbc', rec: 'mf4/css_2F6913DB_0004_00000001.MF4', dbc: 'canmod-gps.dbc', channel: 2, csv: 'css_2F6913DB_0004_00000001.MF4.canmod-gps.decoded.csv' },
  { name: 'its BLF copy with canmod-gps.dbc', rec: 'blf/derived_pycanblfwriter_css_2F6913DB_0004_00000001.blf', dbc: 'canmod-gps.dbc', channel: 2, csv: 'css_2F6913DB_0004_00000001.MF4.canmod-gps.decoded.csv' },
  { name: 'CANedge MF4 (FW 01.07, 73 groups) with gnss.dbc', rec: 'mf4/css_2F6913DB_1089_00000001.MF4', dbc: 'gnss.dbc', channel: 2, csv: 'css_2F6913DB_1089_00000001.MF4.gnss.decoded.csv' },
  { name: 'J1939 MF4 with the J1939 DBC (frames matched on the PGN), DBC for every channel', rec: 'mf4/css_FCBF0606_3482_00000001.MF4', dbc: 'CSS-Electronics-SAE-J1939-DEMO.dbc', channel: undefined, csv: 'css_FCBF0606_3482_00000001.MF4.CSS-Electronics-SAE-J1939-DEMO.decoded.csv' },
] as const;

describe('vil import: decoded values equal cantools\'s, every raw frame in the bag', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const out = join(dir, `${c.rec.replace(/[/.]/g, '_')}.mcap`);
      const r = await vilImport([join(FIX, c.rec), '--dbc', c.channel === undefined ? dbc(c.dbc) : `${c.channel}=${dbc(c.dbc)}`, '--out', out]);
      expect(r.err).not.toMatch(/vil import: /);
      expect(r.code).toBe(0);
      const msgs = await readMcap(out);
      const want = readDecodedCsv(decodedCsv(c.csv));
      expect(want.length).toBeGreaterThan(700);
      const decoded = msgs.filter((m) => m.type === 'vil/msg/DecodedSignals');
      expect(decoded.length).toBe(want.length);
      // One decoded topic per bus with a DBC: vil/can/can<N>/decoded.
      for (let i = 0; i < want.length; i++) {
        const w = want[i];
        const m = decoded[i].message as DecodedSignalsMsg;
        expect(decoded[i].topic, w.line).toBe(`/vil/can/can${w.channel}/decoded`);
        const got = new Map<string, number>();
        m.signal_names.forEach((n, k) => {
          if (!Number.isNaN(m.values[k])) got.set(n, m.values[k]);
        });
        expect({ us: us(m.header.stamp), id: m.id, name: m.message_name, signals: got }, w.line).toEqual({ us: w.us, id: w.id, name: w.message, signals: w.signals });
        // Log time = the frame's own time.
        expect(decoded[i].logTime).toBe(BigInt(m.header.stamp.sec) * 1_000_000_000n + BigInt(m.header.stamp.nanosec));
      }
      // Every frame of the recording on its bus's raw topic, in order.
      const ref = readRef(join(FIX, `${c.rec}.candump`));
      for (const ch of new Set(ref.map((x) => x.channel))) {
        const raw = msgs.filter((m) => m.topic === `/vil/can/can${ch}/raw`).map((m) => m.message as CanMsgsFrame);
        const refCh = ref.filter((x) => x.channel === ch);
        expect(raw.length, `can${ch}`).toBe(refCh.length);
        expect(raw.map((f) => [us(f.header.stamp), f.id, f.is_error, f.is_rtr])).toEqual(refCh.map((x) => [x.us, x.id, x.kind === 'error', x.kind === 'remote']));
      }
    });
  }
});

describe('vil import: the bag holds what can_bridge publishes live on the same recording', () => {
  it('same topics, same messages, in the same order (diagnostics too: both report in data time)', async () => {
    const rec = join(FIX, 'mf4/css_2F6913DB_1089_00000001.MF4');
    const config = join(dir, 'gnss.yaml');
    writeFileSync(config, `buses:\n  gnss: {recording_channel: 2, dbc: ${dbc('gnss.dbc')}}\n  other: {recording_channel: 1}\ndecoded:\n  - {bus: gnss, messages: [gnss_pos, gnss_imu], per_message: true}\n`);
    const out = join(dir, 'config.mcap');
    const r = await vilImport([rec, '--config', config, '--out', out]);
    expect(r.code).toBe(0);
    const bag = await readMcap(out);
    const topics = ['/vil/can/gnss/raw', '/vil/can/other/raw', '/vil/can/decoded/gnss_pos', '/vil/can/decoded/gnss_imu', '/diagnostics'];
    expect([...new Set(bag.map((m) => m.topic))].sort()).toEqual([...topics].sort());
    const rig = await startBridge({ source: 'recording', config_file: config, recording_files: [rec], recording_realtime: false, recording_stamps: 'log' }, [
      ['can_msgs/msg/Frame', topics[0]],
      ['can_msgs/msg/Frame', topics[1]],
      ['vil/msg/DecodedSignals', topics[2]],
      ['vil/msg/DecodedSignals', topics[3]],
      ['diagnostic_msgs/msg/DiagnosticArray', topics[4]],
    ]);
    try {
      await replayed(rig);
      const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x)));
      for (const t of topics) {
        const live = rig.on<unknown>(t);
        const recorded = bag.filter((m: McapMessage) => m.topic === t).map((m) => m.message);
        expect(live.length, t).toBeGreaterThan(t === '/diagnostics' ? 10 : 100);
        expect(plain(recorded), t).toEqual(plain(live));
      }
    } finally {
      await rig.stop();
    }
  });
});

describe('vil import: several recordings of one drive', () => {
  it('are merged in time order: every frame of each, log times never going back', async () => {
    // Two real recordings of different days stand in for the files of one drive (channels 1 and 2 in both).
    const a = join(FIX, 'mf4/css_FCBF0606_3482_00000001.MF4');
    const b = join(FIX, 'mf4/css_2F6913DB_0004_00000001.MF4');
    const out = join(dir, 'merged.mcap');
    const r = await vilImport([b, a, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const raw = (await readMcap(out)).filter((m) => m.topic.endsWith('/raw'));
    const refs = [...readRef(join(`${a}.candump`)), ...readRef(join(`${b}.candump`))];
    expect(raw.length).toBe(refs.length);
    for (let i = 1; i < raw.length; i++) expect(raw[i].logTime >= raw[i - 1].logTime).toBe(true);
    // Per bus: the frames of both files, in time order (a's drive was recorded first).
    for (const ch of [1, 2]) {
      const got = raw.filter((m) => m.topic === `/vil/can/can${ch}/raw`).map((m) => us((m.message as CanMsgsFrame).header.stamp));
      const want = refs.filter((x) => x.channel === ch).map((x) => x.us);
      expect(got).toEqual([...want].sort((x, y) => x - y));
    }
  });
});

describe('vil import: /diagnostics in data time', () => {
  it('one report per second of data from the first frame and one at the last frame, stamped in data time; frames_per_s adds up to the frames; the same bag twice', async () => {
    const rec = join(FIX, 'mf4/css_2F6913DB_0004_00000001.MF4');
    const reportsOf = async (name: string) => {
      const out = join(dir, name);
      expect((await vilImport([rec, '--dbc', `2=${dbc('canmod-gps.dbc')}`, '--out', out])).code).toBe(0);
      return (await readMcap(out)).filter((m) => m.topic === '/diagnostics');
    };
    const reports = await reportsOf('diag1.mcap');
    const ref = readRef(`${rec}.candump`);
    const first = Math.min(...ref.map((x) => x.us));
    const last = Math.max(...ref.map((x) => x.us));
    type Diag = { header: { stamp: Time }; status: { name: string; message: string; values: { key: string; value: string }[] }[] };
    const stamps = reports.map((m) => us((m.message as Diag).header.stamp));
    const wantStamps = [...Array.from({ length: Math.floor((last - first) / 1e6) }, (_, k) => first + (k + 1) * 1e6), last];
    expect(stamps).toEqual(wantStamps);
    // log time = header stamp: the bag reads as if recorded live
    expect(reports.map((m) => Number(m.logTime / 1000n))).toEqual(wantStamps);
    // frames_per_s × each report's window (in data time) adds up to the frames of each bus
    for (const ch of [1, 2]) {
      let frames = 0;
      let prev = first;
      for (const m of reports) {
        const t = us((m.message as Diag).header.stamp);
        const bus = (m.message as Diag).status.find((x) => x.name === `can_bridge: bus can${ch}`)!;
        frames += Number(bus.values.find((v) => v.key === 'frames_per_s')!.value) * ((t - prev) / 1e6);
        prev = t;
      }
      const want = ref.filter((x) => x.channel === ch).length;
      expect(Math.abs(frames - want), `can${ch}`).toBeLessThan(0.01 * want + 1);
    }
    const lastBus2 = (reports.at(-1)!.message as Diag).status.find((x) => x.name === 'can_bridge: bus can2')!;
    expect(lastBus2.values.find((v) => v.key === 'frames')!.value).toBe(String(ref.filter((x) => x.channel === 2).length));
    // converting again gives the same reports, however fast it ran
    const again = await reportsOf('diag2.mcap');
    expect(again.map((m) => m.message)).toEqual(reports.map((m) => m.message));
  });
});

describe('vil import: memory (the built CLI)', () => {
  it('a conversion runs with a bounded heap (so its RSS does not grow with the file); a limit the user gives is kept', () => {
    const cli = join(dirname(fileURLToPath(import.meta.url)), '../../dist/nodes/cli/main.js');
    expect(existsSync(cli), 'dist/ is built by `npm test` (pretest: npm run build)').toBe(true);
    const rec = join(FIX, 'mf4/css_2F6913DB_0004_00000001.MF4');
    const heapLimit = (env: Record<string, string>, name: string) => {
      const out = join(dir, name);
      const r = spawnSync(process.execPath, [cli, 'import', rec, '--dbc', `2=${dbc('canmod-gps.dbc')}`, '--out', out], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(out)).toBe(true);
      const m = /5,588 frames converted in .*peak RSS (\d+) MB, heap limit (\d+) MB\)/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      return Number(m![2]);
    };
    const bounded = heapLimit({ NODE_OPTIONS: '' }, 'heap-default.mcap');
    // old space IMPORT_HEAP_MB plus V8's young generation
    expect(bounded).toBeGreaterThanOrEqual(IMPORT_HEAP_MB);
    expect(bounded).toBeLessThan(IMPORT_HEAP_MB + 100);
    expect(heapLimit({ NODE_OPTIONS: '--max-old-space-size=1024' }, 'heap-user.mcap')).toBeGreaterThanOrEqual(1024);
  });
});

describe('vil import: the command line', () => {
  const mf4 = join(FIX, 'mf4/css_2F6913DB_0004_00000001.MF4');

  it('--help; usage errors exit 2 with the usage', async () => {
    const h = await vilImport(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^Usage: vil import RECORDING\.\.\. \[--dbc \[CHANNEL=\]FILE\]\.\.\. \[--out drive\.mcap\]/);
    expect(h.out).toContain('--frames');
    for (const [args, msg] of [
      [[], 'give at least one RECORDING'],
      [[mf4, '--dbc', dbc('gnss.dbc'), '--config', 'x.yaml'], 'give either --config or --dbc'],
      [[mf4, '--dbc', dbc('gnss.dbc'), '--dbc', dbc('canmod-gps.dbc')], 'one --dbc without a channel only'],
      [[mf4, '--dbc', `2=${dbc('gnss.dbc')}`, '--dbc', `2=${dbc('gnss.dbc')}`], '--dbc 2=...: channel 2 given twice'],
      [[mf4, '--bogus'], 'unknown option --bogus'],
      [[mf4], 'give a mode (--frames, --list) or what to convert with (--dbc, --config, --out)'],
      [[mf4, '--out', 'x.mcap', '--compression', 'lz4'], '--compression lz4: expected zstd or none'],
    ] as [string[], string][]) {
      const r = await vilImport(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(`vil import: ${msg}`);
      expect(r.err).toContain('Usage: vil import');
    }
  });

  it('--print-config: channel N → bus canN, its DBC, decoded on vil/can/canN/decoded; other channels raw only', async () => {
    const r = await vilImport([mf4, '--dbc', `2=${dbc('canmod-gps.dbc')}`, '--print-config']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`# can_bridge configuration written by vil import: recorded channel N → bus canN\nbuses:\n  can1:\n    recording_channel: 1\n  can2:\n    recording_channel: 2\n    dbc: ${dbc('canmod-gps.dbc')}\ndecoded:\n  - bus: can2\n    topic: vil/can/can2/decoded\n`);
  });

  it('an existing output is kept unless --force; missing files are named', async () => {
    const out = join(dir, 'exists.mcap');
    writeFileSync(out, 'keep me');
    const r = await vilImport([mf4, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${out} exists; give --force to overwrite it`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect((await vilImport([mf4, '--out', out, '--force'])).code).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(10_000);
    expect((await vilImport([join(dir, 'none.MF4'), '--out', join(dir, 'n.mcap')])).err).toMatch(/vil import: .*none\.MF4: cannot open: no such file/);
    expect((await vilImport([mf4, '--dbc', join(dir, 'none.dbc'), '--out', join(dir, 'n.mcap')])).err).toContain(`--dbc ${join(dir, 'none.dbc')}: no such file`);
  });

  it('the summary names frames per bus, decoded, unknown ids and skipped groups; the DBC\'s defects are printed once', async () => {
    const broken = join(dir, 'broken.dbc');
    writeFileSync(broken, `${readFileSync(dbc('canmod-gps.dbc'), 'utf8')}\nBO_ 1999 Broken: 2 X\n SG_ S : 12|8@1+ (1,0) [0|0] "" X\n`);
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (b: Buffer) => (err += b.toString()));
    const out = join(dir, 'summary.mcap');
    const code = await runImport([mf4, '--dbc', `2=${broken}`, '--out', out], { stdout: new PassThrough(), stderr, tty: false, quiet: true });
    expect(code).toBe(0);
    expect(err.split('\n').filter((l) => l.includes('left out'))).toEqual([`DBC ${broken}: 1 message left out:`, `  ${broken}:${readFileSync(broken, 'utf8').split('\n').length - 1}: message Broken left out: signal S (start 12, 8 bits, little_endian) needs 3 bytes but the message is 2 bytes long`]);
    expect(err).toMatch(/5,588 frames converted in/);
    // raw frames of both buses + decoded messages + the reports on /diagnostics
    const reports = (await readMcap(out)).filter((m) => m.topic === '/diagnostics').length;
    expect(reports).toBeGreaterThan(60); // a report per second of the 63 s of data
    const total = (221 + 5_367 + 5_076 + reports).toLocaleString('en-US');
    expect(err).toMatch(new RegExp(`${out.replace(/[.]/g, '\\.')}: ${total} messages on 4 topics`));
    expect(err).toContain('bus can1 (channel 1, no DBC): 221 frames, 0 decoded');
    expect(err).toContain('bus can2 (channel 2, broken.dbc): 5,367 frames, 5,076 decoded, 291 with ids the DBC does not know (0x10)');
    expect(err).toContain('groups skipped: LIN_');
    expect(err).toContain('DBC warnings: 1 (printed above)');
  });

  it('a truncated recording: exit 1 naming the file, the bag holds every frame before the damage', async () => {
    const whole = join(FIX, 'blf/derived_pycanblfwriter_css_2F6913DB_0004_00000001.blf');
    const cut = join(dir, 'cut.blf');
    copyFileSync(whole, cut);
    writeFileSync(cut, readFileSync(whole).subarray(0, Math.floor(statSync(whole).size * 0.6)));
    const out = join(dir, 'cut.mcap');
    const r = await vilImport([cut, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/vil import: .*cut\.blf/);
    expect(r.err).toContain(`${out} holds every frame before that point`);
    expect(existsSync(out)).toBe(true);
    const bag = await readMcap(out);
    const raw = bag.filter((m) => m.topic.endsWith('/raw'));
    const ref = readRef(`${whole}.candump`);
    expect(raw.length).toBeGreaterThan(1000);
    expect(raw.length).toBeLessThan(ref.length);
    // The frames that are there are the recording's first ones, per bus.
    for (const ch of [1, 2]) {
      const got = raw.filter((m) => m.topic === `/vil/can/can${ch}/raw`).map((m) => us((m.message as CanMsgsFrame).header.stamp));
      expect(got).toEqual(ref.filter((x) => x.channel === ch).slice(0, got.length).map((x) => x.us));
    }
    const info = await readMcapInfo(out);
    expect(info.metadata[0].name).toBe('rosbag2');
  });
});

// vil import benchmark: a recording → ROS 2 bag end to end, with decoding, into zstd MCAP.
//
// Input: the largest shared MF4 (css_matlab_00000001_fin.MF4, a finalised CANedge file: 17,269
// frames of one 29-bit id) made 58 times longer (mf4_repeat.ts: its records repeated with shifted
// times, as a longer drive of the same logger) = 1,001,602 frames in one 22.6 MB file. The frames'
// id has no DBC in the shared data; the bench writes one for it (a made-up but typical layout: five
// signals over the 8 bytes, scaled), so every frame is decoded and published as DecodedSignals.
//
// Figures (each in its own child process, as a user runs `vil import`):
// - the reader alone (openRecording → every frame): frames/s, CPU per frame;
// - vil import end to end: its conversion phase (can_bridge on the local graph: intake, DBC decode,
//   raw + decoded CDR publishing, the recorder's zstd MCAP) in frames/s by the wall clock and in
//   CPU per frame, the scan phase, and the process's peak RSS; with the heap limit the CLI gives
//   a conversion (IMPORT_HEAP_MB), with Node's default heap (V8 grows it lazily), and with the
//   limit on a five times larger file (memory must not grow with the file);
// - what the CDR codec costs of that (validate + encode of the frame's can_msgs/Frame and
//   DecodedSignals, measured alone in this process), so the figure can be judged when the codec
//   changes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repeatMf4 } from './mf4_repeat.js';
import { codecFor } from '../../nodes/runtime/codecs.js';
import { loadDbcFile } from '../../nodes/dbc/load.js';
import { DecodedSignalsWriter } from '../../nodes/can_bridge/decoded_signals.js';
import { ClassicFrameWriter } from '../../nodes/can_bridge/raw_frames.js';
import { IMPORT_HEAP_MB } from '../../nodes/cli/import.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(join('dist', 'test')) ? join(here, '../../..') : join(here, '../..');
const SOURCE = join(root, 'test/fixtures/buslogs/mf4/css_matlab_00000001_fin.MF4');
const REPEAT = 58;

// 0x18FFCEE7 (proprietary B PGN 0xFFCE): a layout invented for this bench.
const BENCH_DBC = `VERSION ""
BU_: ECU
BO_ 2566901479 Proprietary_B_CEE7: 8 ECU
 SG_ Speed : 0|16@1+ (0.01,0) [0|655.35] "km/h" Vector__XXX
 SG_ YawRate : 16|16@1- (0.001,0) [-32.768|32.767] "rad/s" Vector__XXX
 SG_ SteeringAngle : 32|16@1- (0.1,0) [-3276.8|3276.7] "deg" Vector__XXX
 SG_ Counter : 48|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ Flags : 56|8@1+ (1,0) [0|255] "" Vector__XXX
`;

interface ChildResult {
  code: number;
  stderr: string;
  maxRssMb: number;
  cpuS: number;
  wallS: number;
  frames?: number;
}

/** Runs a small module in a child Node and returns what it printed as RESULT JSON. */
function child(flags: string[], script: string): ChildResult {
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, VIL_LOG_LEVEL: 'error' } });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`benchmark child failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return { ...(JSON.parse(line.slice(7)) as ChildResult), stderr: r.stderr };
}

// Peak RSS of this process image: VmHWM (getrusage's maxRSS also counts the bench process's own
// pages the child had between fork and exec).
const footer = `
const hwm = /VmHWM:\\s+(\\d+) kB/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'));
const cpu = process.cpuUsage(cpu0);
console.log('RESULT ' + JSON.stringify({ code, maxRssMb: Number(hwm[1]) / 1024, cpuS: (cpu.user + cpu.system) / 1e6, wallS: (performance.now() - wall0) / 1000, frames }));
`;

function readerAlone(file: string): ChildResult {
  return child(
    [],
    `const { openRecording } = await import(${JSON.stringify(join(root, 'dist/nodes/buslog/open.js'))});
const wall0 = performance.now(); const cpu0 = process.cpuUsage();
let frames = 0; const r = await openRecording(${JSON.stringify(file)});
for await (const b of r.batches()) frames += b.length;
const code = 0;${footer}`,
  );
}

function importRun(file: string, dbc: string, out: string, flags: string[]): ChildResult {
  return child(
    flags,
    `const { runImport } = await import(${JSON.stringify(join(root, 'dist/nodes/cli/import.js'))});
const { PassThrough } = await import('node:stream');
const err = new PassThrough(); let text = ''; err.on('data', (b) => (text += b.toString()));
const wall0 = performance.now(); const cpu0 = process.cpuUsage();
const code = await runImport([${JSON.stringify(file)}, '--dbc', ${JSON.stringify(dbc)}, '--out', ${JSON.stringify(out)}, '--force'], { stdout: new PassThrough(), stderr: err, tty: false });
const frames = 0;
process.stderr.write(text);${footer}`,
  );
}

/** "N frames converted in X s (R frames/s, C s CPU, ...)" and "read N frames in X s" of the summary. */
function phases(stderr: string): { frames: number; convertS: number; convertCpuS: number; scanS: number } {
  const c = /([\d,]+) frames converted in ([\d.]+) s \([^,]+ frames\/s, ([\d.]+) s CPU[,)]/.exec(stderr);
  if (!c) throw new Error(`no conversion summary in:\n${stderr}`);
  const s = /read [\d,]+ frames in ([\d.]+) s/.exec(stderr);
  return { frames: Number(c[1].replace(/,/g, '')), convertS: Number(c[2]), convertCpuS: Number(c[3]), scanS: s ? Number(s[1]) : NaN };
}

/** CPU of validate + CDR encode for one frame's raw and decoded messages, alone. */
function cdrCost(dbcPath: string): { usPerFrame: number; rawUs: number; decodedUs: number } {
  const db = loadDbcFile(dbcPath);
  const codec = db.messages[0];
  const values = new Float64Array(db.signalCount);
  const frame = { id: codec.id, extended: true, rtr: false, error: false, fd: false, brs: false, esi: false, dlc: 8, data: new Uint8Array(8), stamp: { sec: 1611145461, nanosec: 904_500_000 } };
  const raw = new ClassicFrameWriter('can1').fill(frame);
  codec.decodeInto(frame.data, values, codec.base);
  const decoded = new DecodedSignalsWriter(codec, values, 'can1').fill(frame.stamp, frame.id);
  const rawCodec = codecFor('can_msgs/msg/Frame');
  const decCodec = codecFor('vil/msg/DecodedSignals');
  const time = (fn: () => void, n: number): number => {
    for (let i = 0; i < 20_000; i++) fn();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  const n = 300_000;
  // encode() checks the message as it writes it (what the graph's publish does).
  const rawUs = time(() => rawCodec.encode(raw), n);
  const decodedUs = time(() => decCodec.encode(decoded), n);
  return { usPerFrame: rawUs + decodedUs, rawUs, decodedUs };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vil-import-bench-'));
  try {
    const file = join(dir, 'drive.MF4');
    const frames = repeatMf4(SOURCE, file, REPEAT);
    const dbc = join(dir, 'bench.dbc');
    writeFileSync(dbc, BENCH_DBC);
    console.log(`input: css_matlab_00000001_fin.MF4 × ${REPEAT} = ${frames.toLocaleString('en-US')} frames, ${(statSync(file).size / 1e6).toFixed(1)} MB MF4 (one file); bench DBC decodes every frame (5 signals)`);

    const rd = readerAlone(file);
    console.log(`reader alone: ${Math.round(rd.frames! / rd.wallS / 1000)} k frames/s (wall), ${((rd.cpuS / rd.frames!) * 1e6).toFixed(2)} µs CPU per frame, peak RSS ${rd.maxRssMb.toFixed(0)} MB (target ≥ 1 M frames/s)`);

    const big = join(dir, 'drive5.MF4');
    const bigFrames = repeatMf4(SOURCE, big, REPEAT * 5);
    const limit = [`--max-old-space-size=${IMPORT_HEAP_MB}`];
    for (const [label, input, n, flags] of [
      [`as the CLI runs it, --max-old-space-size=${IMPORT_HEAP_MB}`, file, frames, limit],
      ["Node's default heap", file, frames, []],
      [`${(bigFrames / 1e6).toFixed(1)} M frames, ${(statSync(big).size / 1e6).toFixed(0)} MB MF4, as the CLI runs it`, big, bigFrames, limit],
    ] as [string, string, number, string[]][]) {
      const out = join(dir, 'drive.mcap');
      const r = importRun(input, dbc, out, flags);
      if (r.code !== 0) throw new Error(`vil import exited ${r.code}:\n${r.stderr}`);
      const p = phases(r.stderr);
      if (p.frames !== n) throw new Error(`vil import converted ${p.frames} frames, expected ${n}`);
      console.log(`vil import end to end (${label}): ${Math.round(p.frames / p.convertS / 1000)} k frames/s (wall, conversion), ${((p.convertCpuS / p.frames) * 1e6).toFixed(2)} µs CPU per frame; first read of the file ${p.scanS.toFixed(1)} s; whole command ${r.wallS.toFixed(1)} s wall, ${r.cpuS.toFixed(1)} s CPU; peak RSS ${r.maxRssMb.toFixed(0)} MB; bag ${(statSync(out).size / 1e6).toFixed(1)} MB (targets ≥ 200 k frames/s, < 200 MB RSS)`);
    }

    const cdr = cdrCost(dbc);
    console.log(`of that, the CDR codec (validate + encode, measured alone): ${cdr.usPerFrame.toFixed(2)} µs per frame (can_msgs/Frame ${cdr.rawUs.toFixed(2)} µs, DecodedSignals with 5 signals ${cdr.decodedUs.toFixed(2)} µs)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

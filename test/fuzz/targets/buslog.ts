// The bus-log readers (nodes/buslog: MF4, BLF, ASC, candump through openRecording). Inputs: the
// real recordings of test/fixtures/buslogs (and windows of their candump dumps) with byte edits
// (flips, length and count fields set to 0 / 2^31 / 2^32-1, inserts, deletes, splices between
// recordings of the same format), each read whole and cut at a random byte.
//
// The cut property, per format (what a reader can promise about a file that ends early):
// - MF4 and BLF: the frames of the cut file are a subsequence of the whole file's frames (same
//   frames, same order, some missing: a cut inside a DZ block or BLF container loses that block's
//   frames, and later data groups may still be read). Then a RecordingError or a clean end.
// - ASC and candump (text): the same, plus at most one frame that is not among the whole file's:
//   the one read from the line the cut went through (a cut "7BB#1122" still reads as a frame).
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { RecordingError, type LogFrame } from '../../../nodes/buslog/frame.js';
import { openRecording } from '../../../nodes/buslog/open.js';
import { projectRoot } from '../../../nodes/runtime/msg_registry.js';
import { checkFrame, checkTime } from '../frame_rules.js';
import { applyEdits, byteEdit } from '../mutate.js';
import { invariant, show, type FuzzProbe, type FuzzTarget } from '../target.js';

const ROOT = join(projectRoot(), 'test/fixtures/buslogs');
interface Recording {
  name: string;
  format: 'mf4' | 'blf' | 'asc' | 'candump';
  bytes: Uint8Array;
}
const RECORDINGS: Recording[] = [];
for (const dir of ['mf4', 'blf', 'asc']) {
  for (const f of readdirSync(join(ROOT, dir)).sort()) {
    if (/\.(mf4|blf|asc)$/i.test(f)) RECORDINGS.push({ name: f, format: dir as Recording['format'], bytes: readFileSync(join(ROOT, dir, f)) });
  }
}
// candump text: windows of the reference dumps (whole ones are 100-900 kB of the same kind of line).
const DUMP_LINES: string[][] = [];
for (const dir of ['mf4', 'blf', 'asc']) {
  for (const f of readdirSync(join(ROOT, dir)).sort()) if (f.endsWith('.candump')) DUMP_LINES.push(readFileSync(join(ROOT, dir, f), 'latin1').split('\n').filter(Boolean));
}

const TEXT_LIMIT_LATE = 'frames more than 1024 places out of time order (emitted late)';
/** Memory a read may use beyond the heap it started with: the readers promise ~1 MiB chunks per data group and a window of ~1000 frames. */
const MEMORY_SLACK = 256 << 20;

export interface BuslogInput {
  /** The file as read (edits applied). */
  bytes: Uint8Array;
  /** Where the cut copy ends (0..length). */
  cut: number;
  name: string;
}

const recordingInput = fc
  .record({ r: fc.nat({ max: RECORDINGS.length - 1 }), edits: fc.array(byteEdit(32), { maxLength: 6 }), cut: fc.nat(), donor: fc.nat() })
  .map(({ r, edits, cut, donor }) => {
    const rec = RECORDINGS[r];
    const donors = RECORDINGS.filter((x) => x.format === rec.format).map((x) => x.bytes);
    const bytes = applyEdits(rec.bytes, edits.map((e) => (e.op === 'splice' ? { ...e, donor } : e)), donors);
    return { bytes, cut: cut % (bytes.length + 1), name: `${rec.name} (${edits.length} edits)` };
  });

const candumpInput = fc
  .record({ d: fc.nat({ max: DUMP_LINES.length - 1 }), start: fc.nat(), count: fc.integer({ min: 1, max: 3000 }), edits: fc.array(byteEdit(24), { maxLength: 6 }), cut: fc.nat(), shuffle: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }) })
  .map(({ d, start, count, edits, cut, shuffle }) => {
    const lines = DUMP_LINES[d];
    const from = start % lines.length;
    const window = lines.slice(from, from + count);
    // A few lines swapped: out of time order.
    for (const [a, b] of shuffle) {
      const i = a % window.length;
      const j = b % window.length;
      [window[i], window[j]] = [window[j], window[i]];
    }
    const bytes = applyEdits(Buffer.from(`${window.join('\n')}\n`, 'latin1'), edits);
    return { bytes, cut: cut % (bytes.length + 1), name: `candump window (${edits.length} edits)` };
  });

export const buslogInput: fc.Arbitrary<BuslogInput> = fc.oneof({ weight: 4, arbitrary: recordingInput }, { weight: 1, arbitrary: candumpInput });

// Recordings are read through files, as vil import reads them. Under npm run fuzz the runner owns
// the directory (VIL_FUZZ_TMP, removed when the target ends, also after a hang or a crash); elsewhere
// (the corpus test) this module makes one and removes it when the process exits.
let dir: string | undefined = process.env.VIL_FUZZ_TMP;
let fileNo = 0;
function tempFile(bytes: Uint8Array): string {
  if (dir === undefined) {
    const own = mkdtempSync(join(tmpdir(), 'vil-fuzz-buslog-'));
    process.once('exit', () => rmSync(own, { recursive: true, force: true }));
    dir = own;
  }
  const path = join(dir, `rec-${fileNo++ % 4}`);
  writeFileSync(path, bytes);
  return path;
}

interface ReadResult {
  format: string | undefined;
  frames: LogFrame[];
  error: RecordingError | undefined;
  late: number;
}

function usedMemory(): number {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

/** Reads a recording through openRecording as vil import does; checks every frame as it comes. */
async function read(bytes: Uint8Array, what: string): Promise<ReadResult> {
  const path = tempFile(bytes);
  const base = usedMemory();
  const budget = base + MEMORY_SLACK + 8 * bytes.length;
  const frames: LogFrame[] = [];
  let format: string | undefined;
  let error: RecordingError | undefined;
  let reader;
  try {
    reader = await openRecording(path);
    format = reader.format;
    const info = await reader.info();
    invariant(info.format === reader.format, `${what}: info().format ${info.format}, reader ${reader.format}`);
    for await (const batch of reader.batches()) {
      invariant(batch.length <= 1 << 16, `${what}: a batch of ${batch.length} frames`);
      for (const f of batch) frames.push(f);
      invariant(usedMemory() <= budget, () => `${what}: memory grew by ${((usedMemory() - base) / 2 ** 20).toFixed(0)} MiB reading a ${bytes.length}-byte file`);
    }
  } catch (e) {
    invariant(e instanceof RecordingError, () => `${what}: ${format ?? 'openRecording'} threw ${(e as Error)?.name}: ${(e as Error)?.message} (not a RecordingError)\n${(e as Error)?.stack}`);
    error = e;
  } finally {
    await reader?.close();
  }
  const late = reader?.skipped[TEXT_LIMIT_LATE] ?? 0;
  return { format, frames, error, late };
}

function sameFrame(a: LogFrame, b: LogFrame): boolean {
  if (a.sec !== b.sec || a.nanosec !== b.nanosec || a.channel !== b.channel || a.id !== b.id || a.extended !== b.extended || a.rtr !== b.rtr || a.error !== b.error || a.fd !== b.fd || a.brs !== b.brs || a.esi !== b.esi || a.tx !== b.tx || a.dlc !== b.dlc || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

function checkFrames(r: ReadResult, what: string): void {
  let inversions = 0;
  let lastSec = -Infinity;
  let lastNs = 0;
  for (let i = 0; i < r.frames.length; i++) {
    const f = r.frames[i];
    const w = `${what}: frame ${i} ${show({ ...f, data: Buffer.from(f.data).toString('hex') })}`;
    checkTime(f.sec, f.nanosec, w);
    checkFrame(f, w);
    invariant(Number.isSafeInteger(f.channel) && f.channel >= 0 && f.channel <= 0xffffffff, `${w}: channel ${f.channel}`);
    invariant(typeof f.tx === 'boolean', `${w}: tx ${f.tx}`);
    if (f.sec < lastSec || (f.sec === lastSec && f.nanosec < lastNs)) inversions++;
    else {
      lastSec = f.sec;
      lastNs = f.nanosec;
    }
  }
  invariant(inversions <= r.late, `${what}: ${inversions} frames out of time order, ${r.late} reported late`);
}

export async function checkRecording(input: BuslogInput): Promise<void> {
  const whole = await read(input.bytes, `${input.name}, whole (${input.bytes.length} bytes)`);
  checkFrames(whole, `${input.name}, whole`);
  const cutBytes = input.bytes.subarray(0, input.cut);
  if (cutBytes.length === 0) return;
  const cut = await read(cutBytes, `${input.name}, cut at ${input.cut}`);
  checkFrames(cut, `${input.name}, cut at ${input.cut}`);
  // A cut inside the magic can change the format sniffed: the property needs the same reader.
  if (cut.format !== whole.format || whole.format === undefined) return;
  const text = whole.format === 'asc' || whole.format === 'candump';
  let j = 0;
  let unmatched = 0;
  for (const f of cut.frames) {
    const from = j;
    while (j < whole.frames.length && !sameFrame(whole.frames[j], f)) j++;
    if (j === whole.frames.length) {
      unmatched++;
      j = from;
      invariant(text && unmatched <= 1, () => `${input.name} cut at ${input.cut} of ${input.bytes.length}: frame ${show({ ...f, data: Buffer.from(f.data).toString('hex') })} is not among the whole file's frames in that order (${whole.frames.length} whole, ${cut.frames.length} cut)`);
    } else j++;
  }
}

interface EditSpec {
  base: string;
  set?: [number, number][];
  insert?: [number, number[]][];
  /** [offset, length]: bytes removed (applied last, from the end). */
  delete?: [number, number][];
}

function fromEdits(spec: EditSpec): Uint8Array {
  let b = Uint8Array.from(readFileSync(join(projectRoot(), spec.base)));
  for (const [at, v] of spec.set ?? []) b[at] = v;
  for (const [at, bytes] of [...(spec.insert ?? [])].sort((x, y) => y[0] - x[0])) {
    const out = new Uint8Array(b.length + bytes.length);
    out.set(b.subarray(0, at));
    out.set(bytes, at);
    out.set(b.subarray(at), at + bytes.length);
    b = out;
  }
  for (const [at, n] of [...(spec.delete ?? [])].sort((x, y) => y[0] - x[0])) {
    const out = new Uint8Array(b.length - n);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + n), at);
    b = out;
  }
  return b;
}

export const buslogTarget: FuzzTarget = {
  name: 'buslog',
  checks: [
    'openRecording + info() + batches() on mutated real MF4/BLF/ASC/candump recordings: only RecordingError escapes (or a clean end); never hangs (watchdog)',
    'memory while reading stays within 256 MiB + 8 × the file size of where it started; batches are bounded',
    'every frame is valid: a ROS time stamp (0..2^31-1 s, ns < 1e9), id within 11/29 bits, dlc 0..15 with the data-length rules (remote frames carry no data), no BRS/ESI on classic frames, channel an integer 0..2^32-1',
    'frames come in time order, except frames the reader counts as emitted late',
    'a copy cut at a random byte yields a subsequence of the whole file\'s frames (MF4, BLF); text logs (ASC, candump) may add one frame, from the line the cut went through',
  ],
  property: (probe: FuzzProbe) =>
    fc.asyncProperty(buslogInput, async (x) => {
      probe.begin(x.bytes);
      await checkRecording(x);
      return true;
    }),
  async replay(name, bytes) {
    // Stored inputs: the recording itself, or (.edit.json) edits of a shared recording, so the corpus
    // stays small: {"base": "test/fixtures/buslogs/...", "set": [[offset, byte]...], "insert": [[offset, [bytes]]...], "delete": [[offset, length]...]}.
    const file = name.endsWith('.edit.json') ? fromEdits(JSON.parse(Buffer.from(bytes).toString('utf8')) as EditSpec) : bytes;
    for (let k = 0; k <= 16; k++) await checkRecording({ bytes: file, cut: Math.floor((file.length * k) / 16), name });
  },
  corpusFile: (x) => ({ ext: '.rec', bytes: (x as BuslogInput).bytes }),
  describe: (x) => {
    const i = x as BuslogInput;
    return `${i.name}: ${i.bytes.length} bytes, cut at ${i.cut} (saved as the corpus file)`;
  },
};

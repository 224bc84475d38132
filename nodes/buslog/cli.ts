// `vil import --frames RECORDING...` prints the frames of MF4 / BLF / ASC / candump recordings as
// candump -L lines (the format of the reference dumps; frames of several files merged by time);
// `vil import --list RECORDING...` prints what a recording holds. Frames and listings go to
// stdout, progress and the summary to stderr. A truncated or corrupt file: the good frames, then
// the error on stderr and exit status 1.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { RecordingError, type BusLogReader, type LogFrame, type RecordingInfo } from './frame.js';
import { formatFrameLine, formatTime } from './frame_text.js';
import { MergedRecording } from './merge.js';
import { openRecording } from './open.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Progress lines on stderr (a terminal). */
  progress: boolean;
}

const FORMATS = `Recordings are recognised by their contents, whatever their name:
  MF4   ASAM MDF 4.00-4.20 bus logging (CANedge, CANape, CANoe, asammdf, python-can): CAN_DataFrame,
        CAN_RemoteFrame, CAN_ErrorFrame groups, classic and FD; finalised or not (UnFinMF),
        sorted or unsorted, DT / DZ / DL / HL data blocks. LIN and other groups are listed, skipped.
  BLF   Vector binary logging: CAN_MESSAGE(2), CAN_FD_MESSAGE(_64), CAN_ERROR_EXT objects.
  ASC   Vector text log: classic, remote, ErrorFrame and CANFD lines, base hex|dec.
  candump  can-utils candump -L / -l logs.`;

export const FRAMES_HELP = `Usage: vil import --frames RECORDING...

Prints every CAN frame of the recording(s) as one candump -L style line, in time order
(several files are merged by time, e.g. split files of one drive or one file per bus):
  (1641469561.949700) can1 79B#022101FFFFFFFFFF    classic; 3 hex digits = 11-bit id, 8 = 29-bit
  (13.258671) can1 3FF#55AA010203040506_D          classic frame with a DLC (hex) above 8
  (2.584921) can4 300#R8                           remote frame (with its DLC when not 0)
  (30.005071) can2 300##10102030405060708          CAN FD; the digit after ## is 1 = BRS, 2 = ESI
  (2.501000) can1 ERROR                            error frame
canN is the bus channel number as recorded (MF4 BusChannel, BLF/ASC channel). Times are rounded
to microseconds: seconds since 1970 (UTC) for MF4, BLF with a start time and candump; seconds
since the measurement start for ASC and BLF files without a start time.
Skipped groups and objects are counted on stderr at the end. A truncated or corrupt file prints
its good frames, then the error (exit status 1).

${FORMATS}

Options:
  -h, --help   this text
`;

export const LIST_HELP = `Usage: vil import --list [--json] [--no-count] RECORDING...

Prints what a recording holds: its format and how it is stored, the start time, every group
(MF4 channel group, BLF object kinds, ASC line kinds) with what vil does with it (read, or skipped
and why) and its frame count when the file states it; then it reads the frames and prints how
many there are per channel and kind, the first and last time, and what was skipped and why.

${FORMATS}

Options:
  --json       one JSON object per recording instead of text
  --no-count   only what the headers say (do not read the frames)
  -h, --help   this text
`;

function defaultIo(): CliIo {
  // `vil import --frames X | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  return { stdout: process.stdout, stderr: process.stderr, progress: !!process.stderr.isTTY };
}

export async function framesMain(args: string[]): Promise<number> {
  return frames(args, defaultIo());
}

export async function listMain(args: string[]): Promise<number> {
  return list(args, defaultIo());
}

/** Buffered stdout writes that wait for the stream to drain. */
class Out {
  private buf = '';
  constructor(private readonly w: Writable) {}
  async add(s: string): Promise<void> {
    this.buf += s;
    if (this.buf.length >= 1 << 16) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.buf) return;
    const chunk = this.buf;
    this.buf = '';
    if (!this.w.write(chunk)) await once(this.w, 'drain');
  }
}

function parseArgs(cmd: string, args: string[], flags: string[], help: string, io: CliIo): { files: string[]; set: Set<string> } | number {
  const files: string[] = [];
  const set = new Set<string>();
  for (const a of args) {
    if (a === '-h' || a === '--help') {
      io.stdout.write(help);
      return 0;
    }
    if (a === cmd) continue;
    if (flags.includes(a)) set.add(a);
    else if (a.startsWith('-') && a !== '-') {
      io.stderr.write(`vil import ${cmd}: unknown option ${a}\n\n${help}`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0) {
    io.stderr.write(`vil import ${cmd}: give at least one RECORDING\n\n${help}`);
    return 2;
  }
  return { files, set };
}

async function openAll(cmd: string, files: string[], io: CliIo): Promise<BusLogReader[] | undefined> {
  const readers: BusLogReader[] = [];
  for (const f of files) {
    try {
      readers.push(await openRecording(f));
    } catch (e) {
      if (!(e instanceof RecordingError)) throw e;
      io.stderr.write(`vil import ${cmd}: ${e.message}\n`);
      return undefined;
    }
  }
  return readers;
}

function skippedText(skipped: Record<string, number>): string {
  const e = Object.entries(skipped);
  return e.length ? e.map(([k, n]) => `  ${k}: ${n}`).join('\n') : '  nothing';
}

/** `vil import --frames` with its streams given (tests pass their own). */
export async function frames(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgs('--frames', args, [], FRAMES_HELP, io);
  if (typeof parsed === 'number') return parsed;
  const readers = await openAll('--frames', parsed.files, io);
  if (!readers) return 1;
  const rec = new MergedRecording(readers);
  const out = new Out(io.stdout);
  let count = 0;
  let lastProgress = Date.now();
  const started = lastProgress;
  let failure: RecordingError | undefined;
  try {
    for await (const batch of rec.batches()) {
      let text = '';
      for (let i = 0; i < batch.length; i++) text += `${formatFrameLine(batch[i])}\n`;
      count += batch.length;
      await out.add(text);
      if (io.progress && Date.now() - lastProgress > 500) {
        lastProgress = Date.now();
        io.stderr.write(`\r${count} frames, ${Math.round(count / ((lastProgress - started) / 1000))} frames/s `);
      }
    }
  } catch (e) {
    if (!(e instanceof RecordingError)) throw e;
    failure = e;
  } finally {
    await out.flush();
    await rec.close();
  }
  if (io.progress) io.stderr.write('\r');
  const names = parsed.files.length === 1 ? parsed.files[0] : `${parsed.files.length} recordings`;
  io.stderr.write(`vil import --frames: ${count} frames from ${names}\n`);
  const skipped = rec.skipped;
  if (Object.keys(skipped).length) io.stderr.write(`skipped:\n${skippedText(skipped)}\n`);
  if (failure) {
    io.stderr.write(`vil import --frames: ${failure.message}\n`);
    return 1;
  }
  return 0;
}

interface Tally {
  frames: number;
  first?: { sec: number; nanosec: number };
  last?: { sec: number; nanosec: number };
  channels: Map<number, Record<string, number>>;
}

function tally(t: Tally, batch: readonly LogFrame[]): void {
  for (const f of batch) {
    t.frames++;
    t.first ??= { sec: f.sec, nanosec: f.nanosec };
    t.last = { sec: f.sec, nanosec: f.nanosec };
    let c = t.channels.get(f.channel);
    if (!c) t.channels.set(f.channel, (c = {}));
    const kind = (f.error ? 'error' : f.rtr ? 'remote' : 'data') + (f.fd ? '_fd' : '');
    c[kind] = (c[kind] ?? 0) + 1;
    if (f.tx) c.tx = (c.tx ?? 0) + 1;
    // An error frame's id is not a message id (python-can writes error frames with the IDE bit set).
    if (f.extended && !f.error) c.extended_id = (c.extended_id ?? 0) + 1;
  }
}

function isoTime(sec: number, nanosec: number): string {
  const d = new Date(sec * 1000);
  return `${d.toISOString().slice(0, 19)}.${String(nanosec).padStart(9, '0')}Z`;
}

function infoText(info: RecordingInfo): string {
  const lines = [`${info.path}`, `  format  ${info.format.toUpperCase()}: ${info.detail}`];
  if (info.start) lines.push(`  start   ${isoTime(info.start.sec, info.start.nanosec)} (${formatTime(info.start.sec, info.start.nanosec).slice(1, -1)} s since 1970)`);
  lines.push(`  times   ${info.absoluteTime ? 'absolute: seconds since 1970 (UTC)' : 'relative: seconds since the measurement start'}`);
  lines.push('  groups');
  const w = Math.min(40, Math.max(...info.groups.map((g) => g.name.length), 4));
  for (const g of info.groups) {
    const status = g.status === 'read' ? 'read   ' : 'skipped';
    const frames = g.frames !== undefined ? `${g.frames} frames; ` : '';
    const why = g.status === 'read' ? '' : ` — ${g.status.skipped}`;
    lines.push(`    ${status}  ${g.name.padEnd(w)}  ${frames}${g.detail ?? ''}${why}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `vil import --list` with its streams given. */
export async function list(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgs('--list', args, ['--json', '--no-count'], LIST_HELP, io);
  if (typeof parsed === 'number') return parsed;
  const json = parsed.set.has('--json');
  const count = !parsed.set.has('--no-count');
  let status = 0;
  for (const file of parsed.files) {
    const readers = await openAll('--list', [file], io);
    if (!readers) {
      status = 1;
      continue;
    }
    const r = readers[0];
    let info: RecordingInfo;
    try {
      info = await r.info();
    } catch (e) {
      await r.close();
      if (!(e instanceof RecordingError)) throw e;
      io.stderr.write(`vil import --list: ${e.message}\n`);
      status = 1;
      continue;
    }
    if (!json) io.stdout.write(infoText(info));
    const t: Tally = { frames: 0, channels: new Map() };
    let failure: RecordingError | undefined;
    if (count) {
      try {
        for await (const b of r.batches()) {
          tally(t, b);
          if (io.progress && t.frames % 65536 < b.length) io.stderr.write(`\r${t.frames} frames `);
        }
      } catch (e) {
        if (!(e instanceof RecordingError)) throw e;
        failure = e;
      }
      if (io.progress) io.stderr.write('\r');
    }
    await r.close();
    const channels = [...t.channels.entries()].sort((a, b) => a[0] - b[0]);
    if (json) {
      io.stdout.write(
        `${JSON.stringify({
          ...info,
          ...(count
            ? {
                frames_total: t.frames,
                frames_per_channel: Object.fromEntries(channels.map(([ch, c]) => [`can${ch}`, c])),
                first_timestamp: t.first ? formatTime(t.first.sec, t.first.nanosec).slice(1, -1) : null,
                last_timestamp: t.last ? formatTime(t.last.sec, t.last.nanosec).slice(1, -1) : null,
                skipped: r.skipped,
                ...(failure ? { error: failure.message } : {}),
              }
            : {}),
        })}\n`,
      );
    } else if (count) {
      const span = t.first && t.last ? ` from ${formatTime(t.first.sec, t.first.nanosec).slice(1, -1)} to ${formatTime(t.last.sec, t.last.nanosec).slice(1, -1)}` : '';
      const lines = [`  frames  ${t.frames}${span}`];
      for (const [ch, c] of channels) {
        const total = (c.data ?? 0) + (c.data_fd ?? 0) + (c.remote ?? 0) + (c.remote_fd ?? 0) + (c.error ?? 0) + (c.error_fd ?? 0);
        lines.push(`    can${ch}  ${total} (${Object.entries(c).map(([k, n]) => `${k} ${n}`).join(', ')})`);
      }
      lines.push(`  skipped\n${skippedText(r.skipped).replace(/^ {2}/gm, '    ')}`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    if (failure) {
      io.stderr.write(`vil import --list: ${failure.message}\n`);
      status = 1;
    }
  }
  return status;
}

// `vil decode can --dbc FILE LOG|-`: decodes a candump log with a DBC, one JSON line per frame.
// Frames with ids the DBC does not know, remote and error frames, and lines that are not frames
// are skipped and counted; the counts go to stderr at the end. The DBC's warnings (messages and
// statements left out for a defect) go to stderr once, before the frames. A DBC with nothing
// readable in it is the only failure (exit 1), with the file, line and what was expected.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { CandumpParseError, parseCandumpLine } from '../buslog/candump.js';
import { DECODE_SHORT, DECODE_UNKNOWN_MUX, type CanDatabase } from '../dbc/codec.js';
import { describeDbcWarnings, loadDbcFile } from '../dbc/load.js';
import { DbcParseError } from '../dbc/parse.js';
import { ConfigError } from '../runtime/errors.js';

const HELP = `Usage: vil decode can --dbc FILE.dbc LOG|-

Decodes a candump log (candump -L / -l format, e.g. "(1436509052.249713) can0 123#DEADBEEF")
with a DBC file and prints one JSON line per decoded frame:
  {"t":1436509052.249713,"iface":"can0","id":291,"extended":false,"name":"MSG",
   "signals":{"SIG":1.5},"labels":{"GEAR":"P"}}
"signals" holds the physical value of every active signal (multiplexed ones only when their
branch is selected); "labels" the value-table text of those whose raw value has one.
Frames with unknown ids, remote and error frames and unreadable lines are skipped and counted
on stderr. LOG "-" reads stdin.

Options:
  --dbc FILE   the CAN database (DBC; UTF-8 or cp1252)
  -h, --help   this text
`;

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export async function main(args: string[]): Promise<number> {
  return run(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}

/** The command with its streams given (tests pass their own). */
export async function run(args: string[], io: CliIo): Promise<number> {
  let dbcPath: string | undefined;
  let logPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h' || a === '--help') {
      io.stdout.write(HELP);
      return 0;
    }
    if (a === '--dbc') {
      dbcPath = args[++i];
      if (!dbcPath) return usage(io, '--dbc needs a file name');
    } else if (a.startsWith('--dbc=')) dbcPath = a.slice(6);
    else if (a.startsWith('-') && a !== '-') return usage(io, `unknown option ${a}`);
    else if (logPath === undefined) logPath = a;
    else return usage(io, `one LOG only (got ${logPath} and ${a})`);
  }
  if (!dbcPath) return usage(io, '--dbc FILE is required');
  if (!logPath) return usage(io, 'LOG (a candump file, or - for stdin) is required');

  let db: CanDatabase;
  try {
    db = loadDbcFile(dbcPath);
  } catch (e) {
    if (e instanceof DbcParseError || e instanceof ConfigError) {
      io.stderr.write(`vil decode can: ${e.message}\n`);
      return 1;
    }
    if ((e as NodeJS.ErrnoException).code) {
      io.stderr.write(`vil decode can: cannot read ${dbcPath}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
  for (const line of describeDbcWarnings(db)) io.stderr.write(`vil decode can: ${line}\n`);

  const input = logPath === '-' ? io.stdin : createReadStream(logPath);
  const opened = new Promise<void>((resolve, reject) => {
    if (logPath === '-') resolve();
    else {
      input.once('open', () => resolve());
      input.once('error', reject);
    }
  });
  try {
    await opened;
  } catch (e) {
    io.stderr.write(`vil decode can: cannot read ${logPath}: ${(e as Error).message}\n`);
    return 1;
  }

  const counts = { decoded: 0, unknown: 0, remote: 0, error: 0, malformed: 0, short: 0, unknownMux: 0 };
  const unknownIds = new Map<string, number>();
  const firstMalformed: string[] = [];
  let out = '';
  const flush = async (): Promise<void> => {
    if (out === '') return;
    const chunk = out;
    out = '';
    if (!io.stdout.write(chunk)) await once(io.stdout, 'drain');
  };

  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    let frame;
    try {
      frame = parseCandumpLine(line);
    } catch (e) {
      if (!(e instanceof CandumpParseError)) throw e;
      counts.malformed++;
      if (firstMalformed.length < 5) firstMalformed.push(`line ${lineNo}: ${e.message}`);
      continue;
    }
    if (frame === null) continue;
    if (frame.error) {
      counts.error++;
      continue;
    }
    if (frame.rtr) {
      counts.remote++;
      continue;
    }
    const codec = db.lookup(frame.id, frame.extended);
    if (!codec) {
      counts.unknown++;
      const key = frame.extended ? `0x${frame.id.toString(16).padStart(8, '0')}` : `0x${frame.id.toString(16).padStart(3, '0')}`;
      unknownIds.set(key, (unknownIds.get(key) ?? 0) + 1);
      continue;
    }
    const d = codec.decode(frame.data);
    if (d.status & DECODE_SHORT) counts.short++;
    if (d.status & DECODE_UNKNOWN_MUX) counts.unknownMux++;
    counts.decoded++;
    const t = Number(`${frame.time.sec}.${String(frame.time.nanosec).padStart(9, '0')}`);
    out += `${JSON.stringify({ t, iface: frame.iface, id: frame.id, extended: frame.extended, name: codec.name, signals: d.signals, labels: d.labels })}\n`;
    if (out.length > 65536) await flush();
  }
  await flush();

  const top = [...unknownIds.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([id, n]) => `${id} ×${n}`);
  const more = unknownIds.size > 10 ? `, … ${unknownIds.size - 10} more ids` : '';
  io.stderr.write(
    `vil decode can: ${counts.decoded} frames decoded` +
      (counts.short ? ` (${counts.short} shorter than their message)` : '') +
      (counts.unknownMux ? ` (${counts.unknownMux} with a multiplexer value the DBC does not define)` : '') +
      `; skipped ${counts.unknown} with unknown ids${unknownIds.size ? ` (${top.join(', ')}${more})` : ''}, ` +
      `${counts.remote} remote, ${counts.error} error frames, ${counts.malformed} unreadable lines\n`,
  );
  for (const m of firstMalformed) io.stderr.write(`  ${m}\n`);
  return 0;
}

function usage(io: CliIo, problem: string): number {
  io.stderr.write(`vil decode can: ${problem}\n\n${HELP}`);
  return 2;
}

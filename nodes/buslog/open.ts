// Opens a recording by what its first bytes say, not by its name: "MDF     " / "UnFinMF " (ASAM
// MDF 4), "LOGG" (Vector BLF), else a text log whose first lines look like Vector ASC or candump.
import { open } from 'node:fs/promises';
import { AscReader } from './asc.js';
import { BlfReader } from './blf.js';
import { CandumpReader } from './candump_reader.js';
import { RecordingError, type BusLogReader, type RecordingInfo } from './frame.js';
import { Mf4Reader } from './mf4.js';

const SNIFF = 16 << 10;

export type RecordingFormat = RecordingInfo['format'];

/** The format of a recording from its first bytes, or a RecordingError saying why it is none. */
export async function sniffFormat(path: string): Promise<RecordingFormat> {
  let head: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new RecordingError(path, undefined, 'is a directory, not a recording');
      head = Buffer.alloc(Math.min(SNIFF, st.size));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof RecordingError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory, not a recording' : err.message;
    throw new RecordingError(path, undefined, `cannot open: ${why}`);
  }
  if (head.length === 0) throw new RecordingError(path, 0, 'the file is empty');
  const magic = head.subarray(0, 8).toString('latin1');
  if (magic === 'MDF     ' || magic === 'UnFinMF ') return 'mf4';
  if (magic.startsWith('MDF')) throw new RecordingError(path, 0, `an MDF file with identification "${magic.trim()}": not an MDF 4 bus logging file vil reads`);
  if (magic.startsWith('LOGG')) return 'blf';
  // Text: the first lines that are not blank or comments decide.
  // Text: no NUL, hardly any other control bytes (a stray one in a comment is tolerated).
  const nonText = head.findIndex((b) => b === 0);
  let control = 0;
  for (const b of head) if (b < 32 && b !== 9 && b !== 10 && b !== 13) control++;
  if (nonText >= 0 || control > head.length / 100) throw new RecordingError(path, 0, `unknown format: not MF4 (MDF), BLF (LOGG), ASC or candump text (first bytes ${head.subarray(0, 8).toString('hex')})`);
  const lines = head.toString('latin1').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  for (const l of lines.slice(0, 50)) {
    if (/^\(\d+(\.\d+)?\)\s+\S+\s+[0-9A-Fa-f]{3,8}#/.test(l)) return 'candump';
    if (/^date\s+\S+/i.test(l) || /^base\s+(hex|dec)/i.test(l) || /^(no\s+)?internal\s+events\s+logged/i.test(l) || /^begin\s+triggerblock/i.test(l)) return 'asc';
    if (/^\d+\.\d+\s+(\d+\s+\S+\s+(rx|tx)\s|\d+\s+errorframe|canfd\s)/i.test(l)) return 'asc';
  }
  throw new RecordingError(path, 0, 'unknown format: a text file, but neither Vector ASC (date/base/event lines) nor candump ("(seconds) iface id#data") lines');
}

export function readerFor(path: string, format: RecordingFormat): BusLogReader {
  switch (format) {
    case 'mf4':
      return new Mf4Reader(path);
    case 'blf':
      return new BlfReader(path);
    case 'asc':
      return new AscReader(path);
    case 'candump':
      return new CandumpReader(path);
  }
}

/** A reader for the recording at `path`, chosen by its contents. */
export async function openRecording(path: string): Promise<BusLogReader> {
  return readerFor(path, await sniffFormat(path));
}

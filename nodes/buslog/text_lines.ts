// Lines of a text log (ASC, candump) read in 64 KiB chunks, never the whole file. Bytes are taken
// as Latin-1 (one char per byte): the frame syntax is ASCII, and a comment in UTF-8 or cp1252
// can then never make a line unreadable.
import { RecordingError } from './frame.js';
import type { RandomAccessFile } from './file_source.js';

/** Small chunks: a chunk's frames leave for the consumer before the GC's young generation fills. */
const CHUNK = 64 << 10;
/** A "line" longer than this means the file is not a text log. */
const MAX_LINE = 1 << 20;

export interface LineBatch {
  lines: string[];
  /** Line number (1-based) of lines[0]. */
  first: number;
}

export async function* readLines(file: RandomAccessFile, limit = Infinity): AsyncGenerator<LineBatch> {
  let rest = '';
  let offset = 0;
  let lineNo = 1;
  const end = Math.min(file.size, limit);
  while (offset < end) {
    const bytes = await file.read(offset, Math.min(CHUNK, end - offset));
    if (bytes.length === 0) break;
    offset += bytes.length;
    const text = rest + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    if (rest.length > MAX_LINE) throw new RecordingError(file.path, offset, `a line longer than ${MAX_LINE} bytes: not a text log`);
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.length && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    if (lines.length) {
      yield { lines, first: lineNo };
      lineNo += lines.length;
    }
  }
  if (rest.length && limit >= file.size) yield { lines: [rest.endsWith('\r') ? rest.slice(0, -1) : rest], first: lineNo };
}

// Random-access reads from a recording on disk (fs.promises FileHandle), for readers that follow
// block links (MF4) or walk a file in chunks (BLF, text logs) without ever loading it whole.
import { open, type FileHandle } from 'node:fs/promises';
import { RecordingError } from './frame.js';

export class RandomAccessFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** Size when opened; reads never go past it. */
    readonly size: number,
  ) {}

  static async open(path: string): Promise<RandomAccessFile> {
    const handle = await open(path, 'r');
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
      return new RandomAccessFile(path, handle, st.size);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /**
   * Up to `length` bytes from `offset` in a fresh buffer (never reused, so callers may keep
   * subarrays of it); shorter only at the end of the file.
   */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafeSlow(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(buf, done, n - done, offset + done);
      if (bytesRead === 0) break; // the file shrank under us: give what there is
      done += bytesRead;
    }
    // A plain Uint8Array view: its subarrays (one per frame payload) are cheaper than Buffers'.
    return new Uint8Array(buf.buffer, buf.byteOffset, done);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** A file-system error while reading becomes a RecordingError naming the file; others pass. */
export function asRecordingError(path: string, e: unknown): Error {
  if (e instanceof RecordingError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') return new RecordingError(path, undefined, `cannot read: ${err.message}`);
  return e as Error;
}

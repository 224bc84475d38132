// A serial line for tests: socat joins two pseudo-terminals, `device` (what the node opens, as it
// would /dev/ttyACM0) and `feed` (where the test writes what a receiver would send).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, writeSync, closeSync, constants, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export class PtyPair {
  private socat: ChildProcess | undefined;
  private feedFd: number | undefined;

  constructor(
    readonly device: string,
    readonly feed: string,
  ) {}

  async start(): Promise<void> {
    if (this.socat) throw new Error('pty pair already running');
    // raw, no echo: bytes pass unchanged in both directions, as on a real UART.
    this.socat = spawn('socat', [`pty,raw,echo=0,link=${this.device}`, `pty,raw,echo=0,link=${this.feed}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const started = Date.now();
    while (!(existsSync(this.device) && existsSync(this.feed))) {
      if (this.socat.exitCode !== null) throw new Error(`socat exited with ${this.socat.exitCode}`);
      if (Date.now() - started > 120_000) throw new Error('socat did not create the pty links within 120 s: hung?');
      await sleep(10);
    }
    this.feedFd = openSync(this.feed, constants.O_RDWR | constants.O_NOCTTY);
  }

  write(data: string | Uint8Array): void {
    if (this.feedFd === undefined) throw new Error('pty pair not started');
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(this.feedFd, buf, off, buf.length - off);
  }

  /** Reads what the node wrote to the device side (e.g. RTCM corrections), non-blocking best effort. */
  readAvailable(max = 65536): Buffer {
    if (this.feedFd === undefined) throw new Error('pty pair not started');
    const fd = openSync(this.feed, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const buf = Buffer.alloc(max);
      try {
        const n = readSync(fd, buf, 0, max, null);
        return buf.subarray(0, n);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return Buffer.alloc(0);
        throw e;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Ends socat: the device vanishes as a USB receiver does when its cable is pulled. */
  async stop(): Promise<void> {
    if (this.feedFd !== undefined) closeSync(this.feedFd);
    this.feedFd = undefined;
    const s = this.socat;
    this.socat = undefined;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => s.once('exit', () => resolve()));
    s.kill('SIGTERM');
    await exited;
    // socat unlinks its links on a clean exit; wait until they are gone so the test sees a real absence.
    const started = Date.now();
    while ((existsSync(this.device) || existsSync(this.feed)) && Date.now() - started < 5000) await sleep(10);
  }
}

/** Polls until `cond` holds; throws with `what` after `timeoutMs` (a bound, not a timed assertion). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 240_000): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

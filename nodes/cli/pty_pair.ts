// The demo's receiver line: a pseudo-terminal pair whose device end rtk_serial opens as it would
// /dev/ttyACM0, and whose other end the demo writes the receiver's bytes into. Node cannot make a
// pty (that needs posix_openpt/grantpt, which neither Node nor serialport offers), so a helper
// process holds it:
//   python3  a dozen lines with os.openpty() (python3 is on every Debian/Ubuntu with ROS, and
//            wherever npm comes from apt: npm → node-gyp → gyp → python3), or else
//   socat    pty,raw,echo=0 on both ends, as the tests use.
// Neither present: PtyUnavailable says exactly what to install.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PtyPair {
  /** The device end (a symlink to /dev/pts/N): what the node opens. */
  readonly device: string;
  /** Which helper made it. */
  readonly helper: 'python3' | 'socat';
  /** Bytes as the receiver sends them. */
  write(bytes: Buffer): void;
  /** Ends the helper; the device goes away. */
  stop(): Promise<void>;
}

export class PtyUnavailable extends Error {}

// Raw device end (no echo, no line editing), the link made, its path printed; then stdin → master
// until EOF. The slave stays open here, so the node may close and reopen the device.
const PY_HELPER = `
import os, sys, tty
link = sys.argv[1]
master, slave = os.openpty()
tty.setraw(slave)
os.symlink(os.ttyname(slave), link)
print(link, flush=True)
try:
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        view = memoryview(data)
        while view:
            view = view[os.write(master, view):]
finally:
    try:
        os.unlink(link)
    except OSError:
        pass
`;

/** Resolves with the child once it runs, or undefined when its program is not installed. */
function start(cmd: string, args: string[], stdio: ('pipe' | 'ignore' | 'inherit')[]): Promise<ChildProcess | undefined> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: stdio as ['pipe', 'pipe', 'inherit'] });
    child.once('spawn', () => resolve(child));
    child.once('error', () => resolve(undefined)); // not installed (ENOENT) or not runnable
    // A helper that died makes writes fail (EPIPE): the demo's checks then report the missing data.
    child.stdin?.on('error', () => undefined);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await exited;
}

async function withPython(dir: string): Promise<PtyPair | undefined> {
  const device = join(dir, 'ttyGNSS');
  const child = await start('python3', ['-c', PY_HELPER, device], ['pipe', 'pipe', 'inherit']);
  if (!child) return undefined;
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string | undefined>((resolve) => {
    lines.once('line', (l) => resolve(l));
    child.once('exit', () => resolve(undefined));
  });
  if (first !== device) {
    await stopChild(child);
    throw new PtyUnavailable(`python3 could not create a pseudo-terminal (exit ${child.exitCode ?? 'running'})`);
  }
  return {
    device,
    helper: 'python3',
    write: (bytes) => void child.stdin!.write(bytes),
    stop: async () => {
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      child.stdin!.end(); // EOF: the helper removes its link and ends
      await exited;
    },
  };
}

async function withSocat(dir: string): Promise<PtyPair | undefined> {
  const device = join(dir, 'ttyGNSS');
  const feed = join(dir, 'feed');
  const child = await start('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${feed}`], ['ignore', 'ignore', 'inherit']);
  if (!child) return undefined;
  const started = Date.now();
  while (!(existsSync(device) && existsSync(feed))) {
    if (child.exitCode !== null || Date.now() - started > 10_000) {
      await stopChild(child);
      throw new PtyUnavailable('socat did not create the pseudo-terminals');
    }
    await sleep(10);
  }
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const fd = openSync(feed, 'r+');
  return {
    device,
    helper: 'socat',
    write: (bytes) => void writeSync(fd, bytes),
    stop: async () => {
      closeSync(fd);
      await stopChild(child);
    },
  };
}

/** A pty pair in `dir` (python3, else socat); PtyUnavailable when neither can make one. */
export async function openPtyPair(dir: string): Promise<PtyPair> {
  const pair = (await withPython(dir)) ?? (await withSocat(dir));
  if (!pair) {
    throw new PtyUnavailable(
      'vil demo needs python3 or socat to create the receiver\'s pseudo-terminal, and neither is installed. ' +
        'Fix: sudo apt-get install python3 (or: sudo apt-get install socat), then run the demo again',
    );
  }
  return pair;
}

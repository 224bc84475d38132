// Shared by the CLI tests: the built `vil` run as a user runs it (the project's Node 22 on
// dist/nodes/cli/main.js), waits for conditions on its output, and MCAP files opened with
// @mcap/core's indexed reader.
import { spawn, spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { McapIndexedReader } from '@mcap/core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const CLI = join(ROOT, 'dist/nodes/cli/main.js');

/** Polls `cond`; throws naming `what` after `ms` (a bound that catches a hang, not a timed assertion). */
export async function waitFor(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out (${ms / 1000} s) waiting for ${what}`);
    await sleep(20);
  }
}

/** Opens the file with @mcap/core's indexed reader, which needs the summary section and footer. */
export async function indexedSummary(path: string): Promise<{ messages: bigint; channels: string[] }> {
  const handle = await open(path, 'r');
  try {
    const size = BigInt((await handle.stat()).size);
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: async () => size,
        read: async (offset, length) => {
          const buf = new Uint8Array(Number(length));
          await handle.read(buf, 0, buf.length, Number(offset));
          return buf;
        },
      },
    });
    return { messages: reader.statistics?.messageCount ?? -1n, channels: [...reader.channelsById.values()].map((c) => c.topic) };
  } finally {
    await handle.close();
  }
}

/** `vil <args>` to its end (stdin closed): exit code, stdout, stderr. For commands that end by themselves. */
export function runVil(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 240_000): { code: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') throw new Error(`vil ${args.join(' ')} did not end within ${timeoutMs / 1000} s (a hang)\n${r.stdout}\n${r.stderr}`);
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `vil <args>` (JSON logs on stderr), waits until every string of `ready` appeared in its
 * output (stdout and stderr), sends `signal`, and waits for the process to end by itself
 * (SIGKILL and a failure if it does not within 30 s). `output` is stdout and stderr together.
 */
export async function runUntilSignalled(args: string[], ready: string[], signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(NODE, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIL_LOG_PRETTY: '0', VIL_LOG_JSON: '1' } });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  let result: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((res) =>
    child.once('exit', (code, sig) => {
      result = { code, signal: sig };
      res();
    }),
  );
  // 'close': the output streams are read to their end as well.
  const closed = new Promise<void>((res) => child.once('close', () => res()));
  try {
    await waitFor(() => ready.every((r) => output.includes(r)) || result !== undefined, `the log lines ${JSON.stringify(ready)}`, 240_000);
    if (result !== undefined) throw new Error(`vil ended before it was signalled (${JSON.stringify(result)})`);
    child.kill(signal);
    await waitFor(() => result !== undefined, `the process to exit after ${signal}`, 240_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- output ---\n${output}`);
  } finally {
    if (result === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  await closed;
  return { ...result!, stderr: output };
}

// Helpers for the scripts in test/canvm, which run INSIDE the User-mode Linux VM started by
// scripts/canvm.sh (via test/helpers/canvm.ts). They drive can-utils and iproute2 as child
// processes without blocking the event loop (the SocketCAN source under test shares it), and
// hand their observations back as one "RESULT {json}" line on stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Time } from '../../nodes/runtime/ros.js';
import { secondsToTime } from '../../nodes/runtime/ros.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. */
export function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs a command that must succeed. */
export async function must(cmd: string, ...args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A long-running reference tool (candump) whose stdout lines are collected. */
export class LineTool {
  readonly lines: string[] = [];
  private readonly proc: ChildProcess;
  private partial = '';
  private exited: Promise<void>;

  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc.stdout?.on('data', (d: Buffer) => {
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.exited = new Promise((resolve) => this.proc.on('close', () => resolve()));
  }

  async stop(): Promise<string[]> {
    this.proc.kill('SIGINT');
    await this.exited;
    if (this.partial) this.lines.push(this.partial);
    this.partial = '';
    return this.lines;
  }
}

/** Waits until `cond` holds, checking every 20 ms; fails after `timeoutMs` (a safety net, not a
 *  measurement: the tests never assert on time). */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Makes sure every listener is really listening before the test traffic starts: sends the probe
 * frame every 100 ms until each `seen()` is true. (A tool started in the background may not
 * have bound its socket yet when the first frame goes out.)
 */
export async function syncProbe(iface: string, probe: string, seen: (() => boolean)[]): Promise<void> {
  const until = Date.now() + 20_000;
  while (!seen.every((s) => s())) {
    if (Date.now() > until) throw new Error(`listeners did not see probe ${probe} on ${iface}`);
    await must('cansend', iface, probe);
    await sleep(100);
  }
}

/** Waits until `n` CAN_RAW sockets without filters are bound to `iface` (a listener started in the
 *  background has bound its socket), from the kernel's /proc/net/can/rcvlist_all. */
export async function rawSocketsBound(iface: string, n: number): Promise<void> {
  const count = () => readFileSync('/proc/net/can/rcvlist_all', 'utf8').split('\n').filter((l) => l.trim().startsWith(`${iface} `) && l.trim().endsWith(' raw')).length;
  await waitFor(`${n} raw socket(s) bound to ${iface}`, () => count() >= n);
}

export function wallClock(): Time {
  return secondsToTime(Date.now() / 1000);
}

export const logger = pino({ level: process.env.VIL_LOG_LEVEL ?? 'warn' }, pino.destination(2));

export function hex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex').toUpperCase();
}

let pendingResult: Promise<void> = Promise.resolve();

/** Prints the script's observations; main() waits until the pipe has taken all of it. */
export function result(value: unknown): void {
  pendingResult = new Promise((resolve) => process.stdout.write(`RESULT ${JSON.stringify(value)}\n`, () => resolve()));
}

/** Runs `main`, printing its failure on stderr and exiting non-zero so the host test fails. */
export function main(fn: () => Promise<void>): void {
  fn().then(
    () => pendingResult.then(() => process.exit(0)),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}

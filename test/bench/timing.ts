// Shared by the throughput benchmarks: wall and CPU time of repeated passes in this process, CPU
// time of a reference tool run as a child process, fixtures found from source or dist/, and the
// figures printed the same way everywhere.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

export const BENCH_SECONDS = Number(process.env.VIL_BENCH_SECONDS ?? 2);

/** A fixture of the source tree (benchmarks run compiled under dist/; fixtures stay in test/). */
export function findFixture(rel: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    if (dirname(dir) === dir) throw new Error(`${rel} not found above ${fileURLToPath(import.meta.url)}`);
  }
}

export interface Timing {
  /** Passes timed. */
  passes: number;
  /** Seconds of wall-clock time. */
  wall: number;
  /** Seconds of CPU time of this process (user + system, all its threads: includes GC and JIT threads). */
  cpu: number;
}

/** Runs `pass` `warmup` times untimed (JIT), then in groups of `group` until `seconds` of wall time have passed. */
export function timePasses(pass: () => void, seconds = BENCH_SECONDS, warmup = 20, group = 1): Timing {
  for (let i = 0; i < warmup; i++) pass();
  const budget = BigInt(Math.round(seconds * 1e9));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let passes = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < group; i++) pass();
    passes += group;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < budget);
  const cpu = process.cpuUsage(cpu0);
  return { passes, wall: Number(elapsed) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** Wall and CPU time of `command args < stdinFile > /dev/null`, measured by bash's `time` (the child's own CPU). */
export function timeChild(command: string, args: readonly string[], stdinFile: string): { wall: number; cpu: number; status: number } {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%R %U %S"; time "$0" "$@" < "$VIL_BENCH_IN" > /dev/null 2>/dev/null', command, ...args], {
    env: { ...process.env, VIL_BENCH_IN: stdinFile },
    encoding: 'utf8',
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, user, sys] = last.split(' ').map(Number);
  if (!(wall >= 0 && user >= 0 && sys >= 0)) throw new Error(`could not time ${command}: ${r.stderr}`);
  return { wall, cpu: user + sys, status: r.status ?? -1 };
}

/** Median of a few child runs (by CPU time): one outlier run on a shared machine does not make the figure. */
export function timeChildMedian(runs: number, command: string, args: readonly string[], stdinFile: string): { wall: number; cpu: number; status: number } {
  const all = Array.from({ length: runs }, () => timeChild(command, args, stdinFile));
  all.sort((a, b) => a.cpu - b.cpu);
  return all[Math.floor(all.length / 2)];
}

/** The path of an executable on PATH, or undefined. */
export function which(command: string): string | undefined {
  const r = spawnSync('bash', ['-c', 'command -v "$0"', command], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** "1,234,567" */
export function n(x: number): string {
  return Math.round(x).toLocaleString('en');
}

/** "2,345,678/s wall, 2,101,000/s CPU" for `count` items in the timing. */
export function rates(count: number, t: { wall: number; cpu: number }, unit: string): string {
  return `${n(count / t.wall)} ${unit}/s wall, ${n(count / t.cpu)} ${unit}/s CPU`;
}

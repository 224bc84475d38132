// Runs commands inside a User-mode Linux VM with a real kernel CAN stack (scripts/canvm.sh) from
// vitest: boots the VM, runs the command, returns its exit code and output. A VM that fails to
// boot, times out or lacks its tools makes the call reject with the kernel log, so a test that
// needs CAN fails loudly instead of skipping.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, found upwards (this file also runs compiled under dist/, from benchmarks). */
function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts/canvm.sh')) && existsSync(join(dir, 'test/canvm'))) return `${dir}/`;
    if (dirname(dir) === dir) throw new Error(`scripts/canvm.sh not found above ${fileURLToPath(import.meta.url)}`);
  }
}
export const ROOT = findRoot();
const SCRIPT = `${ROOT}scripts/canvm.sh`;
/** Node 22 of the project (node_modules/.bin/node), visible in the VM through hostfs. */
export const VM_NODE = `${ROOT}node_modules/.bin/node`;

export interface CanVmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CanVmOptions {
  /** Seconds before the VM is killed (default 90). */
  timeoutSec?: number;
  /** net.core.rmem_default/rmem_max in the guest, bytes (default: the harness's 16 MiB). */
  rmem?: number;
  /** Guest memory, e.g. "512M". */
  mem?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Exit codes of the harness itself (not of the command). */
const HARNESS_FAILURES: Record<number, string> = { 2: 'harness: usage or missing tool', 124: 'VM timed out', 125: 'VM failed' };

export function runInCanVm(argv: string[], opts: CanVmOptions = {}): Promise<CanVmResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, VIL_CANVM_TIMEOUT: String(opts.timeoutSec ?? 300) };
  if (opts.rmem !== undefined) env.VIL_CANVM_RMEM = String(opts.rmem);
  if (opts.mem !== undefined) env.VIL_CANVM_MEM = opts.mem;
  // The guest's programs should log plain JSON, not pretty lines.
  env.VIL_LOG_PRETTY = '0';
  return new Promise((resolve, reject) => {
    const p = spawn('bash', [SCRIPT, ...argv], { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const c = code ?? -1;
      const failure = HARNESS_FAILURES[c];
      if (failure) reject(new Error(`${failure} (exit ${c}) running ${argv.join(' ')}:\n${stderr}`));
      else resolve({ code: c, stdout, stderr });
    });
  });
}

/** Runs test/canvm/<script> (TypeScript) with the project's Node inside the VM. */
export function nodeScriptInCanVm(script: string, args: string[] = [], opts: CanVmOptions = {}): Promise<CanVmResult> {
  return runInCanVm(
    [VM_NODE, '--experimental-transform-types', '--no-warnings', '--import', `${ROOT}test/canvm/ts_resolve.mjs`, `${ROOT}test/canvm/${script}`, ...args],
    opts,
  );
}

/** The "RESULT {json}" line a test/canvm script printed; throws with the output if it did not succeed. */
export function vmResult<T>(r: CanVmResult): T {
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.code !== 0 || !line) throw new Error(`VM script exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(line.slice(7)) as T;
}

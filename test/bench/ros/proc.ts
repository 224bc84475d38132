// Child processes of the ROS benchmark: started with the ROS environment, their output read line
// by line, waited on by condition (with generous limits), and always ended by the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export class Proc {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  /** Called for every line of stdout, as it arrives. */
  onLine: ((line: string) => void) | undefined;
  /** The last lines of stderr and of stdout (for errors). */
  private tail = '';
  exit: string | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    stdin?: string,
  ) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    const take = (d: Buffer, keep: boolean) => {
      const s = d.toString();
      this.tail = (this.tail + s).slice(-6000);
      if (!keep) return;
      buf += s;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.lines.push(line);
        this.onLine?.(line);
      }
    };
    this.child.stdout!.on('data', (d: Buffer) => take(d, true));
    // rcutils logs to stderr: its lines are searched too.
    this.child.stderr!.on('data', (d: Buffer) => take(d, true));
    this.child.on('exit', (code, signal) => (this.exit = `${name} exited (${code ?? signal})`));
    this.child.on('error', (e) => (this.exit = `${name} could not start: ${e.message}`));
    if (stdin !== undefined) this.child.stdin!.end(stdin);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits until `cond` holds; throws (with the process's last output) if it exits first or after `limitMs`. */
  async until(what: string, cond: () => boolean, limitMs = 180_000): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
      if (this.exit) throw new Error(`${what}: ${this.exit}:\n${this.tail}`);
      if (Date.now() - t0 > limitMs) throw new Error(`${what}: not within ${limitMs / 1000} s:\n${this.tail}`);
      await sleep(5);
    }
  }

  /** Waits for a line matching `re` (seen before or after the call). */
  async line(what: string, re: RegExp, limitMs = 180_000): Promise<string> {
    let found: string | undefined;
    await this.until(what, () => (found = this.lines.find((l) => re.test(l))) !== undefined, limitMs);
    return found!;
  }

  /** Waits for the process to end on its own; throws if it failed. */
  async done(what: string, limitMs = 1_800_000): Promise<void> {
    const t0 = Date.now();
    while (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.exit) break;
      if (Date.now() - t0 > limitMs) throw new Error(`${what}: not done within ${limitMs / 1000} s:\n${this.tail}`);
      await sleep(20);
    }
    if (this.child.exitCode !== 0) throw new Error(`${what}: ${this.exit ?? 'failed'}:\n${this.tail}`);
  }

  /** SIGINT (a node's clean stop), then SIGKILL if it has not ended after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.exit) return;
    const ended = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await ended;
    clearTimeout(timer);
  }

  get output(): string {
    return this.tail;
  }
}

/** CPU seconds (user + system, every thread) a live process has used: /proc/<pid>/stat utime + stime. */
export function processCpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses: state is field 3.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  return (utime + stime) / ticksPerSecond;
}

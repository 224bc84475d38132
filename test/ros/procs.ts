// Processes of the ROS tier: `ros2 launch` (its own process group, stopped as Ctrl-C stops it),
// ros2cli commands, and the rclpy probe (test/ros/py/probe.py). Tests wait for conditions on
// what these processes printed; the only time limits catch hangs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { root, rosEnv } from './helpers.js';

/** ROS 2 sourced with the test workspace's vil on top; discovery on this machine only, in `domain`. */
export function vilEnv(domain: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const ws = inject('vilWorkspace');
  return { ...rosEnv(join(ws, 'install', 'setup.bash')), ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST', ROS_DOMAIN_ID: String(domain), PYTHONUNBUFFERED: '1', ...extra };
}

/** A condition waited for; `limitMs` only catches a hang. */
export async function until(what: string, cond: () => boolean, context: () => string = () => '', limitMs = 240_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error(`waited ${limitMs / 1000} s for ${what}: hung?\n${context().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class Proc {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  exit: { code: number | null; signal: string | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    /** Its own process group (as a terminal runs ros2 launch): stop() signals the whole group. */
    private readonly group = false,
    stdin: 'ignore' | 'pipe' = 'ignore',
  ) {
    this.child = spawn(cmd, args, { env, cwd: root, detached: group, stdio: [stdin, 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let buf = '';
      stream.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => ((this.exit = { code, signal }), r())));
  }

  protected onLine(line: string): void {
    this.lines.push(line);
  }

  output(): string {
    return `--- ${this.label}\n${this.lines.join('\n')}`;
  }

  /** SIGINT (Ctrl-C) to the process or its group; then waits for it to end. */
  async stop(signal: NodeJS.Signals = 'SIGINT', limitMs = 240_000): Promise<{ code: number | null; signal: string | null }> {
    if (!this.exit) {
      try {
        if (this.group) process.kill(-this.child.pid!, signal);
        else this.child.kill(signal);
      } catch {
        // already gone
      }
      const hung = setTimeout(() => {
        try {
          if (this.group) process.kill(-this.child.pid!, 'SIGKILL');
          else this.child.kill('SIGKILL');
        } catch {
          // gone
        }
      }, limitMs);
      await this.exited;
      clearTimeout(hung);
    }
    return this.exit!;
  }
}

/** `ros2 launch vil <file> args...` in its own process group, as from a terminal. */
/** `ros2 run vil <executable> --ros-args ...` (one vil node process), in its own process group as from a terminal. */
export function run(env: NodeJS.ProcessEnv, executable: string, rosArgs: string[]): Proc {
  return new Proc(`ros2 run vil ${executable}`, 'ros2', ['run', 'vil', executable, '--ros-args', ...rosArgs], env, true);
}

export function launch(env: NodeJS.ProcessEnv, file: string, args: Record<string, string>): Proc {
  return new Proc(`ros2 launch vil ${file}`, 'ros2', ['launch', 'vil', file, ...Object.entries(args).map(([k, v]) => `${k}:=${v}`)], env, true);
}

export interface ProbeMessage {
  topic: string;
  msg?: Record<string, unknown>;
  cdr?: string;
}

/** test/ros/py/probe.py: an rclpy node subscribed as a user's node would be. */
export class Probe extends Proc {
  readonly messages: ProbeMessage[] = [];
  ready = false;

  constructor(env: NodeJS.ProcessEnv, subscribe: { topic: string; type: string; qos?: 'default' | 'sensor_data' | 'transient_local'; raw?: boolean }[]) {
    super('rclpy probe', '/usr/bin/python3', [join(root, 'test/ros/py/probe.py'), JSON.stringify({ subscribe })], env);
  }

  protected override onLine(line: string): void {
    if (line.startsWith('{"topic"')) this.messages.push(JSON.parse(line) as ProbeMessage);
    else if (line === '{"ready": true}') this.ready = true;
    else super.onLine(line);
  }

  on(topic: string): ProbeMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }
}

/** test/ros/py/publish.py: an rclpy node publishing what the test hands it (default QoS, reliable). */
export class RclpyPublisher extends Proc {
  matched = new Set<string>();
  published = 0;

  constructor(env: NodeJS.ProcessEnv) {
    super('rclpy publisher', '/usr/bin/python3', [join(root, 'test/ros/py/publish.py')], env, false, 'pipe');
  }

  protected override onLine(line: string): void {
    if (line.startsWith('{"matched"')) this.matched.add((JSON.parse(line) as { matched: string }).matched);
    else if (line.startsWith('{"published"')) this.published = (JSON.parse(line) as { published: number }).published;
    else super.onLine(line);
  }

  private send(o: object): void {
    this.child.stdin!.write(`${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`);
  }

  /** Resolves once a subscription (vil's) is matched with the publisher of `topic`. */
  async matchedWith(topic: string, type: string): Promise<void> {
    this.send({ wait: topic, type });
    await until(`a subscription to ${topic}`, () => this.matched.has(topic) || this.exit !== undefined, () => this.output());
    if (this.exit) throw new Error(`the rclpy publisher ended: ${this.output()}`);
  }

  publish(topic: string, type: string, msg: object): void {
    this.send({ topic, type, msg });
  }
}

/** A ros2cli command (killed if it hangs: ros2 ignores SIGTERM while it spins). */
export function ros2(env: NodeJS.ProcessEnv, args: string[], limitMs = 240_000): { status: number | null; out: string } {
  const r = spawnSync('ros2', args, { env, encoding: 'utf8', timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 1 << 26 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

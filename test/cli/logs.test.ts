// Log format as a user meets it (issue 9, "a CLI that fits"): readable lines at a terminal, JSON
// lines when nobody watches (a pipe, a file, systemd) or when asked (VIL_LOG_JSON=1, --log-json),
// and the process-level logger has a name ("vil"; it printed "[undefined]").
//
// "At a terminal" is a real one: script(1) runs the CLI on a pseudo-terminal (stdin, stdout and
// stderr are the pty) and hands us what the terminal showed. The command: a node whose routes file
// does not exist, which logs at info (the ROS implementation) and fatal (the refusal), and ends.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, NODE, ROOT, runVil } from './helpers.js';

const ARGS = ['run', 'dspace_relay', '--ros', 'local', '--ros-args', '-p', `routes_file:=${join(ROOT, 'no-such-routes.yaml')}`];

/** The command on a pseudo-terminal; what the terminal showed, CR LF → LF. */
function atTerminal(args: string[], env: Record<string, string> = {}): { code: number | null; screen: string } {
  const quoted = [NODE, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qfec', quoted, '/dev/null'], { encoding: 'utf8', env: { ...process.env, VIL_LOG_JSON: '', VIL_LOG_PRETTY: '', ...env }, timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`script(1) could not run the CLI on a pty: ${r.error.message}`);
  return { code: r.status, screen: r.stdout.replace(/\r\n/g, '\n') };
}

const logLines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const READABLE = /^\[(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\] \[\d\d:\d\d:\d\d\.\d{3}\] \[[\w.]+\]: /;

describe('log lines', () => {
  it('at a terminal: readable lines, the process logger named [vil]', () => {
    const { code, screen } = atTerminal(ARGS);
    expect(code).toBe(2);
    const lines = logLines(screen);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l, screen).toMatch(READABLE);
    expect(screen).toMatch(/^\[INFO\] \[[\d:.]+\] \[vil\]: ROS implementation: local graph/m);
    expect(screen).toMatch(/^\[FATAL\] \[[\d:.]+\] \[vil\]: .*routes_file/m);
    expect(screen).not.toContain('[undefined]');
  });

  it('at a terminal, asked for JSON (VIL_LOG_JSON=1, or --log-json): JSON lines', () => {
    for (const [args, env] of [[ARGS, { VIL_LOG_JSON: '1' }], [['--log-json', ...ARGS], {}]] as const) {
      const { code, screen } = atTerminal([...args], env);
      expect(code).toBe(2);
      const lines = logLines(screen);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    }
  });

  it('not at a terminal (pipes): JSON lines, the process lines named "vil"', () => {
    const r = runVil(ARGS, { VIL_LOG_JSON: '', VIL_LOG_PRETTY: '' });
    expect(r.code).toBe(2);
    const lines = logLines(r.stderr).map((l) => JSON.parse(l) as { level: number; name: string; msg: string });
    expect(lines.find((l) => l.msg.startsWith('ROS implementation'))?.name).toBe('vil');
    expect(lines.find((l) => l.level === 60)?.name).toBe('vil');
  });
});

// `npm run demo` on a machine without socat (issue 9, "a CLI that fits"): it stopped with a stack
// trace "spawn socat ENOENT". The demo now makes the receiver's pseudo-terminal with python3 (on
// every Debian/Ubuntu with ROS, and wherever npm comes from apt), else socat, and says what to
// install when neither is there.
//
// The real CLI with a PATH that holds only the helpers under test (symlinks to the machine's own
// /usr/bin/python3 and /usr/bin/socat, and PROJ's cs2cs, which the demo's pose check runs); Node
// itself is started by its absolute path.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVil } from './helpers.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A directory for PATH holding only `tools` (name → real program). */
function pathWith(tools: Record<string, string>): string {
  dir ??= mkdtempSync(join(tmpdir(), 'vil-demo-pty-'));
  const bin = join(dir, `bin-${Object.keys(tools).join('-') || 'none'}`);
  mkdirSync(bin);
  for (const [name, real] of Object.entries(tools)) {
    if (!existsSync(real)) throw new Error(`${real} is missing on this machine: the test cannot run (install it: scripts/ensure-tools.sh)`);
    symlinkSync(real, join(bin, name));
  }
  return bin;
}

const STACK = /\n\s+at .+\d+:\d+\)?/;

describe('vil demo without socat', () => {
  it('python3 only: the demo runs and every check passes', () => {
    const bin = pathWith({ python3: '/usr/bin/python3', cs2cs: '/usr/bin/cs2cs' });
    const r = runVil(['demo', '--epochs', '3', '--out', join(dir!, 'out')], { PATH: bin }, 600_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('receiver on a pseudo-terminal (python3)');
    expect(r.stdout).toContain('all checks passed');
    expect(r.stderr).not.toContain('ENOENT');
  });

  it('without PROJ: the pose check says what to install and is not counted; the others pass, exit 0', () => {
    const bin = pathWith({ python3: '/usr/bin/python3' });
    const r = runVil(['demo', '--epochs', '3', '--out', join(dir!, 'out')], { PATH: bin }, 600_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/not checked: poses sent to the simulator = PROJ \(cs2cs\) projection of their fix, within 1 mm — install proj-bin/);
    expect(r.stdout).toContain('every check that ran passed; 1 not checked');
    expect(r.stdout).not.toContain('FAIL');
  });

  it('socat only: the demo runs with socat', () => {
    const bin = pathWith({ socat: '/usr/bin/socat', cs2cs: '/usr/bin/cs2cs' });
    const r = runVil(['demo', '--epochs', '3', '--out', join(dir!, 'out')], { PATH: bin }, 600_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('receiver on a pseudo-terminal (socat)');
    expect(r.stdout).toContain('all checks passed');
  });

  it('neither: exit 2 with what to install, no stack trace', () => {
    const bin = pathWith({});
    const r = runVil(['demo', '--epochs', '3', '--out', join(dir!, 'out')], { PATH: bin }, 600_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('vil demo needs python3 or socat to create the receiver\'s pseudo-terminal, and neither is installed. Fix: sudo apt-get install python3 (or: sudo apt-get install socat)');
    expect(r.stderr).not.toMatch(STACK);
  });
});

// The test run's own temporary directory (vitest globalSetup): set as TMPDIR before the workers
// start, so every per-file directory (tmp_per_file.ts) is made inside it, and removed when the run
// ends — including what a file whose tests were all filtered out (-t) or whose worker was killed
// could not remove itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'vil-run-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

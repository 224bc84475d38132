// Every test file gets a temporary directory of its own as TMPDIR (os.tmpdir() reads it on each
// call; child processes inherit it), removed when the file's tests are done — so nothing a test,
// a helper or a process it started puts in the temporary directory outlives the run, whatever
// the test forgot to remove or a crash left behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'vil-test-'));
process.env.TMPDIR = dir;
const remove = () => rmSync(dir, { recursive: true, force: true });
afterAll(remove); // (the run's directory, tmp_per_run.ts, takes what this misses)

// Replays the fuzz corpus (test/fixtures/fuzz/<target>/*): inputs npm run fuzz found or that stand
// for a defect it found, each run through the same invariants as the fuzz target, so what was
// fixed stays fixed. Every target must have inputs here: an empty directory fails.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget, TARGET_NAMES } from './targets/index.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/fuzz');
// The bus-log target reads recordings through files: here, in a directory this test removes.
const scratch = mkdtempSync(join(tmpdir(), 'vil-fuzz-corpus-'));
process.env.VIL_FUZZ_TMP = scratch;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('fuzz corpus: every stored input holds every invariant of its target', () => {
  for (const name of TARGET_NAMES) {
    const files = readdirSync(join(CORPUS, name)).filter((f) => !f.startsWith('.')).sort();
    it(`${name}: the corpus has inputs`, () => {
      expect(files.length).toBeGreaterThan(0);
    });
    for (const file of files) {
      it(`${name}/${file}`, async () => {
        const target = await loadTarget(name);
        await target.replay(file, readFileSync(join(CORPUS, name, file)));
      });
    }
  }
});

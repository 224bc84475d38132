// A file's (or a describe's) one-off setup whose failure FAILS every test that depends on it.
// vitest reports the tests of a failed beforeAll as skipped, which a summary can read as "nothing
// wrong"; here the setup's error is kept and rethrown before each test, so each one fails with it.
import { beforeAll, beforeEach } from 'vitest';

export function setupAll(fn: () => unknown, timeoutMs?: number): void {
  let failure: { error: unknown } | undefined;
  beforeAll(async () => {
    try {
      await fn();
    } catch (error) {
      failure = { error };
    }
  }, timeoutMs);
  beforeEach(() => {
    if (failure) throw failure.error;
  });
}

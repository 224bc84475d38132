// One fuzz target in a worker thread (see run.ts): fast-check runs the target's property with the
// job's seed and bound; every input is announced through the shared buffer before it runs.
import fc from 'fast-check';
import { parentPort, workerData } from 'node:worker_threads';
import { loadTarget } from './targets/index.js';
import type { FuzzProbe } from './target.js';
import { INPUT_CAPACITY, SLOT, type WorkerJob, type WorkerResult } from './worker_protocol.js';

const job = workerData as WorkerJob;
const slots = new Int32Array(job.sab, 0, SLOT.Data);
const input = new Uint8Array(job.sab, SLOT.Data * 4, INPUT_CAPACITY);
const encoder = new TextEncoder();

function save(x: Uint8Array | string): void {
  const bytes = typeof x === 'string' ? encoder.encode(x) : x;
  const n = Math.min(bytes.length, INPUT_CAPACITY);
  input.set(n === bytes.length ? bytes : bytes.subarray(0, n));
  Atomics.store(slots, SLOT.InputLength, n);
}

const probe: FuzzProbe = {
  begin(x) {
    save(x);
    Atomics.add(slots, SLOT.Runs, 1);
  },
  note: save,
};

const target = await loadTarget(job.target);
const property = target.property(probe);
const params: fc.Parameters<unknown> = {
  seed: job.seed,
  numRuns: job.runs ?? 2 ** 31 - 1,
  ...(job.path !== undefined ? { path: job.path, endOnFailure: true } : {}),
  ...(job.runs === undefined && job.path === undefined ? { interruptAfterTimeLimit: job.seconds * 1000 } : {}),
};
const details = await fc.check(property as fc.IAsyncProperty<unknown>, params);
const runs = Atomics.load(slots, SLOT.Runs);
let result: WorkerResult;
if (!details.failed) result = { ok: true, runs };
else {
  const err = details.errorInstance as Error | undefined;
  const example = (details.counterexample as unknown[] | null)?.[0];
  const stored = example !== undefined ? target.corpusFile?.(example) : undefined;
  result = {
    ok: false,
    runs,
    error: err ? (err.name === 'InvariantError' ? err.message : (err.stack ?? String(err))) : String(details.errorInstance),
    counterexample: truncate(example !== undefined && target.describe ? target.describe(example) : fc.stringify(details.counterexample), 3000),
    shrinks: details.numShrinks,
    path: details.counterexamplePath ?? undefined,
    ...(stored ? { corpus: { ext: stored.ext, base64: Buffer.from(stored.bytes).toString('base64') } } : {}),
  };
}
parentPort!.postMessage(result);

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} characters)` : s;
}

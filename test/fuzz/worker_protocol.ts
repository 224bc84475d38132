// What run.ts and worker.ts exchange: the job, the result, and the shared slots the watchdog reads.

/** Int32 slots at the start of the shared buffer; the input bytes follow them. */
export const SLOT = { Runs: 0, InputLength: 1, Data: 2 } as const;
/** The last input is kept up to this size (larger inputs are saved cut). */
export const INPUT_CAPACITY = 16 << 20;

export interface WorkerJob {
  target: string;
  seed: number;
  seconds: number;
  runs: number | undefined;
  path: string | undefined;
  sab: SharedArrayBuffer;
}

export type WorkerResult =
  | { ok: true; runs: number }
  | { ok: false; runs: number; error: string; counterexample: string; shrinks: number; path: string | undefined; corpus?: { ext: string; base64: string } };

// What a fuzz target is: a fast-check property over generated inputs, and a replay of one stored
// input (a corpus file in test/fixtures/fuzz/<target>/) through the same invariants. An invariant
// that does not hold throws an InvariantError; anything else thrown by the code under test is a
// finding too (an escaped exception), unless the target catches it as the parser's own error type.
import type fc from 'fast-check';

/** Told about every input before it runs: a heartbeat for the hang watchdog and the input to save. */
export interface FuzzProbe {
  begin(input: Uint8Array | string): void;
  /** Replaces the saved input of the current run (once its final bytes are known), without counting a new one. */
  note(input: Uint8Array | string): void;
}

export const NO_PROBE: FuzzProbe = { begin: () => undefined, note: () => undefined };

export interface FuzzTarget {
  name: string;
  /** One line per invariant, for `--list` and the report. */
  checks: readonly string[];
  property(probe: FuzzProbe): fc.IRawProperty<any, boolean>;
  /**
   * Replays one stored input through the same invariants (the corpus test and `--replay`).
   * `name` is the corpus file name: its extension says what it holds.
   */
  replay(name: string, bytes: Uint8Array): void | Promise<void>;
  /** How to store a failing input as a corpus file: name suffix and bytes. */
  corpusFile?(input: unknown): { ext: string; bytes: Uint8Array } | undefined;
  /** A failing input for people (default: fast-check's stringify). */
  describe?(input: unknown): string;
}

export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

export function invariant(ok: unknown, message: string | (() => string)): asserts ok {
  if (!ok) throw new InvariantError(typeof message === 'string' ? message : message());
}

/** Equality of plain data: NaN equals NaN, typed arrays by contents, -0 equals 0. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameData(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Short printable form of a value for an invariant message. */
export function show(v: unknown, max = 300): string {
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'number' && !Number.isFinite(x) ? String(x) : ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x));
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

// K-way merge of time-ordered frame streams (the data groups of one MF4; several recordings of one
// drive: split files, one file per bus). Stable: frames with equal times come in source order,
// then in their stream's order. Each source is pulled only when its batch runs out, so memory is
// one batch per source. A source that fails (truncated file) ends there; the others go on, and
// the first failure is thrown after the last frame.
import type { BusLogReader, LogFrame, RecordingInfo, SkipCounters } from './frame.js';

export const BATCH = 4096;

export async function* mergeByTime(sources: AsyncIterable<readonly LogFrame[]>[], batchSize = BATCH): AsyncGenerator<LogFrame[]> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const bufs: (readonly LogFrame[])[] = [];
  const pos: number[] = [];
  const live: number[] = [];
  let failure: { error: unknown } | undefined;
  const nextNonEmpty = async (it: AsyncIterator<readonly LogFrame[]>): Promise<readonly LogFrame[] | undefined> => {
    try {
      for (;;) {
        const n = await it.next();
        if (n.done) return undefined;
        if (n.value.length) return n.value;
      }
    } catch (e) {
      failure ??= { error: e };
      return undefined;
    }
  };
  try {
    for (let i = 0; i < its.length; i++) {
      const first = await nextNonEmpty(its[i]);
      bufs.push(first ?? []);
      pos.push(0);
      if (first) live.push(i);
    }
    let out: LogFrame[] = [];
    while (live.length > 0) {
      if (live.length === 1) {
        // One stream left: pass its batches through.
        const i = live[0];
        if (out.length) {
          yield out;
          out = [];
        }
        const rest = bufs[i].slice(pos[i]);
        if (rest.length) yield rest;
        for (let b = await nextNonEmpty(its[i]); b; b = await nextNonEmpty(its[i])) yield b as LogFrame[];
        break;
      }
      // Pick the earliest head; ties go to the lower source index (live is kept in index order).
      let best = live[0];
      let bf = bufs[best][pos[best]];
      for (let k = 1; k < live.length; k++) {
        const i = live[k];
        const f = bufs[i][pos[i]];
        if (f.sec < bf.sec || (f.sec === bf.sec && f.nanosec < bf.nanosec)) {
          best = i;
          bf = f;
        }
      }
      out.push(bf);
      if (++pos[best] >= bufs[best].length) {
        const b = await nextNonEmpty(its[best]);
        if (b) {
          bufs[best] = b;
          pos[best] = 0;
        } else live.splice(live.indexOf(best), 1);
      }
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
    if (failure) throw failure.error;
  } finally {
    await Promise.all(its.map((it) => it.return?.(undefined)));
  }
}

/**
 * Several recordings of one drive read as one: frames merged by time (equal times in the order
 * the recordings were given). Times must be on the same base (all absolute, or all relative).
 */
export class MergedRecording {
  constructor(readonly readers: BusLogReader[]) {}

  infos(): Promise<RecordingInfo[]> {
    return Promise.all(this.readers.map((r) => r.info()));
  }

  batches(batchSize = BATCH): AsyncGenerator<LogFrame[]> {
    return mergeByTime(
      this.readers.map((r) => r.batches()),
      batchSize,
    );
  }

  /** Skip counters of all recordings, keyed "file: reason" when more than one. */
  get skipped(): SkipCounters {
    const out: SkipCounters = {};
    for (const r of this.readers) {
      for (const [k, n] of Object.entries(r.skipped)) {
        const key = this.readers.length > 1 ? `${r.path}: ${k}` : k;
        out[key] = (out[key] ?? 0) + n;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close()));
  }
}

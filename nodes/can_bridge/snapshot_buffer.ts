// The lock between frame assembly (writer) and publishing (readers) of multi-frame messages.
//
// Node runs JavaScript on one thread, so a frame callback and a publisher never run at the same
// instant. What can interleave is an async reader that awaits while it holds a snapshot (it
// serialises, awaits a send, yields to the event loop) while frames keep arriving and cycles
// keep being committed. A plain "latest" variable whose buffer is reused would then change under
// the reader; allocating a fresh buffer per cycle would avoid that but costs garbage per cycle.
//
// The discipline here is a triple buffer with a shared read lock:
// - the writer fills `staging`, which no reader can reach;
// - commit() publishes it with one reference swap: `staging` becomes `committed`;
// - a reader acquire()s `committed` (the read lock: a count of readers) and release()s it;
//   while any reader holds it, commit() does not recycle it: the new cycle goes to `pending`
//   (replacing, and counting as superseded, an older pending one), and the newest pending one is
//   promoted when the last reader releases;
// - buffers that nobody can see any more return to a free list and become staging again.
// The writer never waits (a frame callback must not block), a reader never sees its buffer
// change, readers never see a half-filled cycle, and no more than 3 buffers (+1 in transit)
// ever exist, whatever the rates.

export interface Lease<T> {
  /** The committed value at acquire time; stable until release(). */
  readonly value: T | undefined;
  release(): void;
}

export class TripleBuffer<T> {
  private staging: T;
  private committed: T | undefined;
  private pending: T | undefined;
  private readers = 0;
  private readonly free: T[] = [];
  /** Commits replaced by a newer one before any reader could see them. */
  superseded = 0;
  /** Buffers created so far (3 at most in steady state). */
  allocated = 1;

  constructor(private readonly create: () => T) {
    this.staging = create();
  }

  /** The buffer to fill for the next commit. */
  get stage(): T {
    return this.staging;
  }

  /** Publishes the staging buffer and hands out a fresh one (see `stage`). */
  commit(): void {
    const filled = this.staging;
    if (this.readers === 0) {
      if (this.committed !== undefined) this.free.push(this.committed);
      this.committed = filled;
    } else {
      if (this.pending !== undefined) {
        this.free.push(this.pending);
        this.superseded++;
      }
      this.pending = filled;
    }
    this.staging = this.free.pop() ?? this.make();
  }

  /** Takes the read lock on the latest committed value. Always pair with release(). */
  acquire(): Lease<T> {
    this.readers++;
    const value = this.committed;
    let released = false;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        this.readers--;
        if (this.readers === 0 && this.pending !== undefined) {
          if (this.committed !== undefined) this.free.push(this.committed);
          this.committed = this.pending;
          this.pending = undefined;
        }
      },
    };
  }

  /**
   * Runs `fn` on the latest committed value under the read lock; if `fn` returns a promise the
   * lock is held until it settles.
   */
  read<R>(fn: (value: T | undefined) => R): R {
    const lease = this.acquire();
    let result: R;
    try {
      result = fn(lease.value);
    } catch (e) {
      lease.release();
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => lease.release()) as R;
    lease.release();
    return result;
  }

  /** Readers holding the lock now. */
  get activeReaders(): number {
    return this.readers;
  }

  private make(): T {
    this.allocated++;
    return this.create();
  }
}

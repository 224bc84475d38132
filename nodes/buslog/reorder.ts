// Puts nearly time-ordered frames in order: frames are inserted from the back of a window (one
// comparison for an ordered stream), and leave it from the front once more than `hold` frames
// follow them, so a frame up to `hold` places late still lands where its time says. Equal times
// keep the rank given (MF4 channel-group order), then arrival order: the sort is stable.
// The window is a ring buffer that grows only while frames wait for a payload. Every reader's frames
// pass through it, so it is also where a frame that cannot be carried (frame_check.ts) is left out
// as it leaves, counted by reason in `rejected`.
import type { LogFrame, SkipCounters } from './frame.js';
import { frameDefect } from './frame_check.js';

/** Placeholder payload of a frame whose bytes have not arrived yet (MF4 VLSD record after its frame). */
export const PENDING: Uint8Array = new Uint8Array(0);

export class ReorderWindow {
  private ring: (LogFrame | undefined)[];
  private rank: Float64Array;
  private mask: number;
  private head = 0;
  private count = 0;
  private lastSec = -Infinity;
  private lastNsec = 0;
  /** Frames that arrived more than `hold` places late and left the window out of order. */
  late = 0;
  /** Frames dropped because their payload never arrived. */
  dropped = 0;
  /** Frames left out by reason (frame_check.ts): a time no ROS stamp holds, an id too wide. */
  readonly rejected: SkipCounters = {};

  constructor(
    private readonly hold = 1024,
    /** A frame still waiting for its payload is dropped once this many frames wait behind it. */
    private readonly maxWaiting = 1 << 16,
  ) {
    let cap = 1;
    while (cap < hold * 2) cap <<= 1;
    this.ring = new Array<LogFrame | undefined>(cap).fill(undefined);
    this.rank = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const cap = this.ring.length * 2;
    const ring = new Array<LogFrame | undefined>(cap).fill(undefined);
    const rank = new Float64Array(cap);
    for (let i = 0; i < this.count; i++) {
      const k = (this.head + i) & this.mask;
      ring[i] = this.ring[k];
      rank[i] = this.rank[k];
    }
    this.ring = ring;
    this.rank = rank;
    this.mask = cap - 1;
    this.head = 0;
  }

  push(f: LogFrame, rank: number): void {
    if (this.count === this.ring.length) this.grow();
    const ring = this.ring;
    const rk = this.rank;
    const mask = this.mask;
    let i = this.count; // position relative to head
    // Shift back past every frame that sorts after this one (none, for an ordered stream).
    while (i > 0) {
      const k = (this.head + i - 1) & mask;
      const p = ring[k]!;
      if (p.sec < f.sec || (p.sec === f.sec && (p.nanosec < f.nanosec || (p.nanosec === f.nanosec && rk[k] <= rank)))) break;
      const to = (this.head + i) & mask;
      ring[to] = p;
      rk[to] = rk[k];
      i--;
    }
    const at = (this.head + i) & mask;
    ring[at] = f;
    rk[at] = rank;
    this.count++;
  }

  /** Moves the frames that may leave (all of them when `all`) to `out`. */
  drain(out: LogFrame[], all: boolean): void {
    const keep = all ? 0 : this.hold;
    const ring = this.ring;
    while (this.count > keep) {
      const f = ring[this.head]!;
      if (f.data === PENDING && !all && this.count <= this.maxWaiting) break;
      ring[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      if (f.data === PENDING) {
        this.dropped++;
        continue;
      }
      // Checked as it leaves: an MF4 frame's payload may arrive after the frame itself.
      const defect = frameDefect(f);
      if (defect !== undefined) {
        this.rejected[defect] = (this.rejected[defect] ?? 0) + 1;
        continue;
      }
      if (f.sec < this.lastSec || (f.sec === this.lastSec && f.nanosec < this.lastNsec)) this.late++;
      else {
        this.lastSec = f.sec;
        this.lastNsec = f.nanosec;
      }
      out.push(f);
    }
  }
}

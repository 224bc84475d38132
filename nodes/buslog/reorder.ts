// Puts nearly time-ordered frames in order: frames are inserted from the back of a window (one
// comparison for an ordered stream), and leave it from the front once more than `hold` frames
// follow them, so a frame up to `hold` places late still lands where its time says. Equal times
// keep the rank given (MF4 channel-group order), then arrival order: the sort is stable.
import type { LogFrame } from './frame.js';

/** Placeholder payload of a frame whose bytes have not arrived yet (MF4 VLSD record after its frame). */
export const PENDING: Uint8Array = new Uint8Array(0);

export class ReorderWindow {
  private win: LogFrame[] = [];
  private rank: number[] = [];
  private head = 0;
  private lastSec = -Infinity;
  private lastNsec = 0;
  /** Frames that arrived more than `hold` places late and left the window out of order. */
  late = 0;
  /** Frames dropped because their payload never arrived. */
  dropped = 0;

  constructor(
    private readonly hold = 1024,
    /** A frame still waiting for its payload is dropped once this many frames wait behind it. */
    private readonly maxWaiting = 1 << 16,
  ) {}

  get size(): number {
    return this.win.length - this.head;
  }

  push(f: LogFrame, rank: number): void {
    const win = this.win;
    const rk = this.rank;
    let i = win.length;
    win.push(f);
    rk.push(rank);
    // Shift back past every frame that sorts after this one (none, for an ordered stream).
    while (i > this.head) {
      const p = win[i - 1];
      if (p.sec < f.sec || (p.sec === f.sec && (p.nanosec < f.nanosec || (p.nanosec === f.nanosec && rk[i - 1] <= rank)))) break;
      win[i] = p;
      rk[i] = rk[i - 1];
      i--;
    }
    if (i !== win.length - 1) {
      win[i] = f;
      rk[i] = rank;
    }
  }

  /** Moves the frames that may leave (all of them when `all`) to `out`; returns how many waited for a payload and were dropped. */
  drain(out: LogFrame[], all: boolean): void {
    const win = this.win;
    const keep = all ? 0 : this.hold;
    while (win.length - this.head > keep) {
      const f = win[this.head];
      if (f.data === PENDING) {
        if (!all && win.length - this.head <= this.maxWaiting) break;
        this.head++;
        this.dropped++;
        continue;
      }
      if (f.sec < this.lastSec || (f.sec === this.lastSec && f.nanosec < this.lastNsec)) this.late++;
      else {
        this.lastSec = f.sec;
        this.lastNsec = f.nanosec;
      }
      out.push(f);
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > win.length) {
      this.win = win.slice(this.head);
      this.rank = this.rank.slice(this.head);
      this.head = 0;
    }
  }
}

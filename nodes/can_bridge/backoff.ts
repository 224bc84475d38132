// Bounded exponential back-off for reopening a device: min, 2·min, 4·min ... capped at max, back
// to min after a success. Deterministic (one client per device, so no jitter is needed). Pure.

export class Backoff {
  private nextMs: number;
  private count = 0;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
    readonly factor = 2,
  ) {
    if (!(minMs > 0) || !(maxMs >= minMs) || !(factor >= 1)) {
      throw new RangeError(`Backoff: need 0 < minMs <= maxMs and factor >= 1 (got ${minMs}, ${maxMs}, ${factor})`);
    }
    this.nextMs = minMs;
  }

  /** The delay before the next attempt; each call moves one step up the ladder. */
  next(): number {
    const d = this.nextMs;
    this.nextMs = Math.min(this.maxMs, this.nextMs * this.factor);
    this.count++;
    return d;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.count;
  }

  reset(): void {
    this.nextMs = this.minMs;
    this.count = 0;
  }
}

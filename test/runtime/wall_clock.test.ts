// The local graph's system clock: sub-millisecond, never a small step back when it re-anchors to
// a drifting system clock (an MCAP would then hold messages out of order), but a real step of the
// system clock is followed. Date.now and performance.now are faked to drift against each other.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
  vi.resetModules();
});

async function freshClock() {
  vi.useFakeTimers({ toFake: ['Date', 'performance'], now: 1_700_000_000_000 });
  vi.resetModules();
  return import('../../nodes/runtime/local/wall_clock.js');
}

describe('local graph wall clock', () => {
  it('follows a system clock running ahead, absorbs one running behind (no step back), follows a real step', async () => {
    const { wallNowMs } = await freshClock();
    const t0 = wallNowMs();
    expect(t0).toBe(1_700_000_000_000);
    // performance.now and Date.now move together: sub-millisecond steps are seen.
    vi.advanceTimersByTime(0.25);
    expect(wallNowMs()).toBeCloseTo(t0 + 0.25, 6);
    // The system clock slews ahead of the monotonic one by 3 ms: re-anchored forward.
    vi.setSystemTime(Date.now() + 3);
    expect(wallNowMs()).toBe(Date.now());
    const ahead = wallNowMs();
    // Now it falls 3 ms behind: the clock holds instead of going back ...
    vi.setSystemTime(Date.now() - 3);
    const held = wallNowMs();
    expect(held).toBeGreaterThanOrEqual(ahead);
    // ... and runs on once the system time has caught up.
    vi.advanceTimersByTime(5);
    expect(wallNowMs()).toBeGreaterThan(held);
    // Someone sets the clock back by an hour: followed.
    vi.setSystemTime(Date.now() - 3_600_000);
    expect(wallNowMs()).toBeLessThan(held - 3_000_000);
  });

  it('wallNow splits into sec/nanosec exactly', async () => {
    const { wallNow } = await freshClock();
    vi.advanceTimersByTime(1.5);
    expect(wallNow()).toEqual({ sec: 1_700_000_000, nanosec: 1_500_000 });
  });
});

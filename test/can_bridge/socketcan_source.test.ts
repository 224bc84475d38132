// SocketCanSource on this host, whose kernel has no CAN (the real-kernel behaviour is tested in
// the User-mode Linux VM by the other socketcan_*.test.ts files): option checks, sysfs reading,
// and that a source whose interface is missing or unusable reports it and retries, never throws.
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { Backoff } from '../../nodes/can_bridge/backoff.js';
import { SocketCanSource, readLinkState, type CanSourceState, type SocketCanSourceOptions } from '../../nodes/can_bridge/socketcan_source.js';

const logger = pino({ level: 'silent' });
const base: SocketCanSourceOptions = { iface: 'vcan0', fd: true, errorFrames: true, now: () => ({ sec: 0, nanosec: 0 }), logger };
const noEvents = { frame() {}, state() {} };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no ConfigError');
}

describe('SocketCanSource options are checked at construction', () => {
  it('refuses an interface name that is not one (sysfs path safety), naming the key', () => {
    const e = configError(() => new SocketCanSource({ ...base, iface: '../x' }, noEvents));
    expect(e.key).toBe('iface');
    expect(configError(() => new SocketCanSource({ ...base, iface: 'a23456789012345x' }, noEvents)).key).toBe('iface');
  });
  it('refuses an inverted back-off range', () => {
    expect(configError(() => new SocketCanSource({ ...base, reopenMinMs: 500, reopenMaxMs: 100 }, noEvents)).key).toBe('reopenMinMs/reopenMaxMs');
  });
  it('refuses filter ids and masks out of range for their frame format', () => {
    expect(configError(() => new SocketCanSource({ ...base, filters: [{ id: 0x800, mask: 0x7ff, extended: false }] }, noEvents)).key).toBe('filters[0].id');
    expect(configError(() => new SocketCanSource({ ...base, filters: [{ id: 1, mask: 0x7ff }, { id: 1, mask: 0x20000000, extended: true }] }, noEvents)).key).toBe('filters[1].mask');
    expect(() => new SocketCanSource({ ...base, filters: [{ id: 0x1fffffff, mask: 0x1fffffff, extended: true }] }, noEvents)).not.toThrow();
  });
  it('refuses more filters than CAN_RAW_FILTER_MAX (512)', () => {
    const filters = Array.from({ length: 513 }, (_, i) => ({ id: i, mask: 0x7ff }));
    expect(configError(() => new SocketCanSource({ ...base, filters }, noEvents)).key).toBe('filters');
  });
});

describe('readLinkState reads sysfs', () => {
  it('lo exists, is up with carrier', () => {
    expect(readLinkState('lo')).toMatchObject({ exists: true, up: true, carrier: true });
    expect(readLinkState('lo').mtu).toBeGreaterThan(0);
  });
  it('a missing interface', () => {
    expect(readLinkState('vilnone0')).toEqual({ exists: false, up: false, carrier: false, mtu: 0 });
  });
});

describe('SocketCanSource without a usable interface (this host has no CAN)', () => {
  it('a missing interface: start() does not throw, reports down once, keeps retrying until stopped', async () => {
    const states: CanSourceState[] = [];
    const s = new SocketCanSource({ ...base, iface: 'vilnone0', reopenMinMs: 5, reopenMaxMs: 20 }, { frame() {}, state: (x) => states.push({ ...x }) });
    expect(() => s.start()).not.toThrow();
    await vi.waitFor(() => expect(s.counters.reopenAttempts).toBeGreaterThanOrEqual(3), { timeout: 600_000 });
    s.stop();
    expect(states).toEqual([{ iface: 'vilnone0', up: false, busState: 'unknown', reason: 'no interface vilnone0' }]);
    expect(s.counters.reopens).toBe(0);
    expect(s.state.reason).toBe('stopped');
  });
  it('an interface the addon cannot open (lo: no CAN here): reports the addon error, retries, never throws', async () => {
    const states: CanSourceState[] = [];
    const s = new SocketCanSource({ ...base, iface: 'lo', reopenMinMs: 5, reopenMaxMs: 20 }, { frame() {}, state: (x) => states.push({ ...x }) });
    s.start();
    await vi.waitFor(() => expect(s.counters.reopenAttempts).toBeGreaterThanOrEqual(2), { timeout: 600_000 });
    s.stop();
    expect(states[0]).toMatchObject({ iface: 'lo', up: false, reason: 'opening lo failed: Error while creating channel' });
    expect(s.send({ id: 1, extended: false, rtr: false, error: false, fd: false, brs: false, esi: false, dlc: 0, data: new Uint8Array(0), stamp: { sec: 0, nanosec: 0 } })).toBe(false);
    expect(s.counters.sendFailures).toBe(1);
  });
});

describe('Backoff', () => {
  it('doubles from min to max and stays there; reset starts again', () => {
    const b = new Backoff(100, 2000);
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(b.attempts).toBe(7);
    b.reset();
    expect(b.next()).toBe(100);
  });
  it('refuses nonsense', () => {
    expect(() => new Backoff(0, 10)).toThrow(RangeError);
    expect(() => new Backoff(10, 5)).toThrow(RangeError);
  });
});

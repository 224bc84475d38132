// Interface loss and recovery in a real Linux CAN stack (User-mode Linux VM):
// test/canvm/link_reopen.ts sets vcan0 down and up, deletes and re-creates it, and starts a
// second source on vcan9 before vcan9 exists. iproute2 does the damage, cansend the traffic.
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';

interface LinkResult {
  events: { kind: 'state' | 'frame' | 'step'; what: string }[];
  states: { iface: string; up: boolean; busState: string; reason?: string }[];
  attemptsWhileDown: number;
  counters: Record<'vcan0' | 'vcan9', Record<string, number>>;
  dropsAfterReopen: { min: number; max?: number; exact: boolean; available: boolean; note: string };
  dropsAfterRecreate: { min: number; max?: number; exact: boolean; available: boolean; note: string };
}

describe('SocketCanSource survives its interface going away (User-mode Linux VM)', () => {
  let r: LinkResult;
  beforeAll(async () => {
    r = vmResult<LinkResult>(await nodeScriptInCanVm('link_reopen.ts'));
  }, 120_000);

  it('ip link set vcan0 down → reported down, retries with back-off, reopens on up, frames resume', () => {
    const seq = r.events.map((e) => `${e.kind}: ${e.what}`);
    const from = seq.indexOf('step: ip link set vcan0 down');
    expect(seq.slice(0, from)).toEqual(['state: vcan0 up opened', 'step: cansend vcan0 101#01', 'frame: vcan0 101#01']);
    expect(seq.slice(from, from + 7)).toEqual([
      'step: ip link set vcan0 down',
      'state: vcan0 down vcan0 is down',
      'step: cansend while down: exit 1 write: Network is down',
      'step: ip link set vcan0 up',
      'state: vcan0 up reopened',
      'step: cansend vcan0 103#03',
      'frame: vcan0 103#03',
    ]);
    expect(r.attemptsWhileDown).toBeGreaterThanOrEqual(3);
  });

  it('ip link del vcan0 → reported gone; re-created → reopened and receiving', () => {
    const seq = r.events.map((e) => `${e.kind}: ${e.what}`);
    const from = seq.indexOf('step: ip link del vcan0');
    expect(seq.slice(from, from + 6)).toEqual([
      'step: ip link del vcan0',
      'state: vcan0 down no interface vcan0',
      'step: ip link add vcan0 type vcan; mtu 72; up',
      'state: vcan0 up reopened',
      'step: cansend vcan0 104#04',
      'frame: vcan0 104#04',
    ]);
    expect(r.counters.vcan0).toMatchObject({ reopens: 2, frames: 3, handlerErrors: 0 });
    expect(r.counters.vcan0.reopenAttempts).toBeGreaterThanOrEqual(r.attemptsWhileDown + 2);
  });

  it('starting on a missing interface does not throw: reported down, retried, opened once it exists', () => {
    const seq = r.events.filter((e) => e.what.includes('vcan9')).map((e) => `${e.kind}: ${e.what}`);
    expect(seq).toEqual([
      'step: source started on missing vcan9',
      'state: vcan9 down no interface vcan9',
      'step: ip link add vcan9 type vcan; up',
      'state: vcan9 up reopened',
      'step: cansend vcan9 109#09',
      'frame: vcan9 109#09',
    ]);
    expect(r.counters.vcan9.reopens).toBe(1);
    expect(r.counters.vcan9.reopenAttempts).toBeGreaterThanOrEqual(2);
  });

  it('the socket loss count follows the reopened socket: exactly 0 after down/up; after the interface was removed, max is unknown (its last second unobserved)', () => {
    expect(r.dropsAfterReopen).toMatchObject({ available: true, exact: true, min: 0, max: 0 });
    expect(r.dropsAfterRecreate).toMatchObject({ available: true, min: 0 });
    expect(r.dropsAfterRecreate.max).toBeUndefined();
    expect(r.dropsAfterRecreate.note).toContain('max unknown since an earlier socket ended unobserved');
  });

  it('never reports a bus state it was not told: unknown throughout on vcan', () => {
    expect(r.states.every((s) => s.busState === 'unknown')).toBe(true);
  });
});

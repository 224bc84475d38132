// A burst through a real Linux CAN stack (User-mode Linux VM): test/canvm/burst.ts, cangen -g 0
// sending 10,000 frames back to back with an incrementing payload; candump -d (which reads the
// kernel's per-socket drop count, SO_RXQ_OVFL) listens beside the source.
import { describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';

interface BurstResult {
  count: number;
  received: number;
  outOfSequence: number;
  counters: Record<string, number>;
  socketDrops: { min: number; max: number; exact: boolean };
  candumpFrames: number;
  candumpDropLines: string[];
  rmemDefault: number;
  rmemMax: number;
  cangenMs: number;
  receiveSpanMs: number;
}

describe('10,000-frame burst (User-mode Linux VM, net.core.rmem_default raised by the harness)', () => {
  let r: BurstResult;
  setupAll(async () => {
    r = vmResult<BurstResult>(await nodeScriptInCanVm('burst.ts', ['10000']));
    console.log(
      `socketcan burst: ${r.received}/${r.count} frames, ${r.outOfSequence} out of sequence, ` +
        `cangen ${r.cangenMs.toFixed(0)} ms, received over ${r.receiveSpanMs.toFixed(0)} ms, ` +
        `rmem_default ${r.rmemDefault} rmem_max ${r.rmemMax}`,
    );
  }, 600_000);

  it('the source receives all 10,000 frames, in order, none missing (payload counter contiguous)', () => {
    expect(r.received).toBe(10_000);
    expect(r.outOfSequence).toBe(0);
  });

  it('candump sees the same 10,000 and the kernel reports no drop on its socket', () => {
    expect(r.candumpFrames).toBe(10_000);
    expect(r.candumpDropLines).toEqual([]);
  });

  it('runs with the receive buffer the harness sets (16 MiB): the addon cannot set SO_RCVBUF itself', () => {
    expect(r.rmemDefault).toBe(16 * 1024 * 1024);
    expect(r.rmemMax).toBe(16 * 1024 * 1024);
    // drops counts controller overflows; the socket queue's losses are measured apart (socket_drops.ts)
    expect(r.counters.drops).toBe(0);
    expect(r.socketDrops).toMatchObject({ min: 0, max: 0, exact: true });
  });
});

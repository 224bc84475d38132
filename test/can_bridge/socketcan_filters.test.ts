// Kernel filters, fd: false and send() against a real Linux CAN stack (User-mode Linux VM):
// test/canvm/filters_send.ts; candump -L with the equivalent filter strings (its documented
// <id>:<mask> syntax) and without filters is the judge.
import { describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';
import { parseCandumpLog } from '../helpers/candump_lines.js';

interface FilterResult {
  filtered: string[];
  refFiltered: string[];
  all: string[];
  classicOnly: number;
  classicCounters: Record<string, number>;
  sent: { ok: boolean[]; lines: string[]; counters: Record<string, number>; afterStop: boolean };
}

/** A candump -L line as "ID#DATA" (RTR as "ID#R"), the form the VM script records ours in. */
const short = (line: string): string => {
  const f = parseCandumpLog(line);
  const id = f.id.toString(16).toUpperCase().padStart(f.extended ? 8 : 3, '0');
  return `${id}#${f.rtr ? 'R' : f.data}`;
};

describe('SocketCanSource filters and sends like candump/cansend say (User-mode Linux VM, vcan0)', () => {
  let r: FilterResult;
  setupAll(async () => {
    r = vmResult<FilterResult>(await nodeScriptInCanVm('filters_send.ts'));
  }, 600_000);

  it('kernel filters (11-bit only, 29-bit only, either) pass exactly what candump with the same filters passes', () => {
    expect(r.all.length).toBe(612);
    expect(r.filtered).toEqual(r.refFiltered.map(short));
    // the edge frames: in 0x100..0x1FF (11-bit), 0x0CF004xx (29-bit), 0x7E8..0x7EF (both)
    const edges = r.filtered.filter((f) => f.endsWith('#11'));
    expect(edges).toEqual(expect.arrayContaining(['100#11', '1FF#11', '7E8#11', '7EF#11', '0CF00400#11', '0CF004FF#11', '000007E9#11']));
    expect(edges).not.toEqual(expect.arrayContaining(['200#11']));
    for (const out of ['200#11', '0FF#11', '7F0#11', '0CF00500#11', '00000100#11']) expect(edges).not.toContain(out);
  });

  it('fd: false ignores (and counts) frames over 8 bytes; FD frames of ≤ 8 bytes pass, being indistinguishable (addon gap)', () => {
    const ref = r.all.map(parseCandumpLog);
    const long = ref.filter((f) => f.fd && f.len > 8).length;
    expect(long).toBeGreaterThan(0);
    expect(r.classicCounters.ignored).toBe(long);
    expect(r.classicOnly).toBe(ref.length - long);
    expect(r.classicCounters.fdFrames).toBe(0);
  });

  it('send(): classic, 29-bit, RTR, FD with BRS and 64-byte FD frames appear in candump as written', () => {
    expect(r.sent.ok).toEqual([true, true, true, true, true, true]);
    expect(r.sent.lines.map((l) => l.split(' ')[2])).toEqual([
      '123#DEADBEEF',
      '1ABCDEF0#0001020304050607',
      '7FF#R3',
      '321##5000102030405060708090A0B',
      `18FF00AA##4${Array.from({ length: 64 }, (_, i) => (255 - i).toString(16).toUpperCase()).join('')}`,
      '322##40102030405060708090A0000', // 10 bytes: padded to the FD length 12, as the kernel requires
    ]);
  });

  it('send() on a stopped source returns false and counts a failure, without throwing', () => {
    expect(r.sent.afterStop).toBe(false);
    expect(r.sent.counters.sendFailures).toBe(1);
  });
});

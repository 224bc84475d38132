// Frames lost in can_bridge's own socket queue, in a User-mode Linux VM (scripts/canvm.sh):
// test/canvm/socket_drops.ts runs the can_bridge node on vcan0 (plus vcan1 with disjoint and
// vcan2 with overlapping kernel filters), cangen sends 10,000 frames back to back, and candump -d
// listens on vcan0 from before the node starts. The judges: candump's frames plus the drops the
// kernel reports on candump's own socket (SO_RXQ_OVFL) make the 10,000 cangen sent, and the
// kernel's /proc/net/can/rcvlist_* show how many frames it handed to each socket. Runs at Linux's
// default net.core.rmem_default (212,992 bytes: frames are lost), at 16 MiB (none), and at the
// default with kernel.kptr_restrict=2 (no socket addresses: receivers found by their filters).
import { describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';
import { parseRcvlist } from '../../nodes/can_bridge/socket_drops.js';

type Diag = Record<string, string | number>;
interface DropsResult {
  count: number;
  burstRaw: number;
  sentinels: number;
  before: Diag;
  after: Diag;
  vcan1: Diag;
  vcan2: Diag;
  publishedWarnings: { level: number; message: string }[];
  publishedLast: { level: number; message: string };
  candumpFrames: number;
  candumpTotalDrops: number;
  candumpDropLines: string[];
  rxPacketsDelta: number;
  kernelBefore: Record<string, string>;
  kernelAfter: Record<string, string>;
  kptrRestrict: number;
  rmemDefault: number;
}

const COUNT = 10_000;
const LINUX_DEFAULT_RMEM = 212_992;
const run = async (rmem: number, hidden = false) => {
  const out = await nodeScriptInCanVm('socket_drops.ts', [String(COUNT), ...(hidden ? ['hidden'] : [])], { rmem, timeoutSec: 480 });
  return { r: vmResult<DropsResult>(out), stderr: out.stderr };
};
/** Frames the kernel handed to each CAN_RAW socket's "all" receiver on vcan0, by socket. */
const handed = (text: string) => new Map(parseRcvlist(text, 'all').filter((e) => e.device === 'vcan0').map((e) => [e.userdata, e.matches]));

describe('socket queue drops on /diagnostics (User-mode Linux VM, can_bridge node, cangen burst judged by candump -d)', () => {
  let small: DropsResult;
  let smallErr: string;
  let big: DropsResult;
  let bigErr: string;
  let hidden: DropsResult;
  setupAll(async () => {
    ({ r: small, stderr: smallErr } = await run(LINUX_DEFAULT_RMEM));
    ({ r: big, stderr: bigErr } = await run(16 * 1024 * 1024));
    ({ r: hidden } = await run(LINUX_DEFAULT_RMEM, true));
    for (const [name, r] of [['212,992 B', small], ['16 MiB', big], ['212,992 B, kptr_restrict 2', hidden]] as const) {
      console.log(
        `socket drops, rmem_default ${name}: node read ${r.burstRaw}/${r.count}, socket_drops ${r.after.socket_drops_min}..${r.after.socket_drops_max}; ` +
          `candump ${r.candumpFrames} + ${r.candumpTotalDrops} dropped (SO_RXQ_OVFL); vcan0 rx_packets +${r.rxPacketsDelta}`,
      );
    }
  }, 700_000);

  it('runs at the rmem_default asked for; the kernel shows socket addresses (kptr_restrict 0), so the node finds its receivers', () => {
    expect(small.rmemDefault).toBe(LINUX_DEFAULT_RMEM);
    expect(big.rmemDefault).toBe(16 * 1024 * 1024);
    expect(small.kptrRestrict).toBe(0);
    for (const r of [small, big]) expect(r.before).toMatchObject({ socket_drops_min: '0', socket_drops_max: '0', level: 0 });
  });

  it('candump (the judge) accounts for all 10,000 frames on the bus: frames it printed + drops the kernel reported on its socket', () => {
    expect(small.candumpFrames + small.candumpTotalDrops).toBe(COUNT);
    expect(big.candumpFrames).toBe(COUNT);
    expect(big.candumpDropLines).toEqual([]);
  });

  it('the kernel handed every CAN_RAW socket on vcan0 (the node\'s and candump\'s) all 10,000 frames plus the sentinel', () => {
    for (const r of [small, big]) {
      const b = handed(r.kernelBefore.all);
      const a = handed(r.kernelAfter.all);
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      expect([...a].map(([sk, m]) => m - b.get(sk)!)).toEqual([COUNT + r.sentinels, COUNT + r.sentinels]);
    }
  });

  it('212,992 bytes: frames are lost, and socket_drops (exact once idle) = 10,000 − frames the node received', () => {
    expect(small.burstRaw).toBeLessThan(COUNT);
    const lost = COUNT - small.burstRaw;
    expect(small.after).toMatchObject({ socket_drops_min: String(lost), socket_drops_max: String(lost) });
    expect(String(small.after.socket_drops_note)).toMatch(/^exact/);
    // the node's own frame counter agrees: the burst's survivors plus the sentinel
    expect(Number(small.after.frames) - Number(small.before.frames)).toBe(small.burstRaw + small.sentinels);
    // controller overflows are another counter: none on vcan
    expect(small.after.drops).toBe('0');
  });

  it('212,992 bytes: /diagnostics carried one WARN naming the loss and the fix, then OK again; the node warned at start naming the sysctl fix', () => {
    const lost = COUNT - small.burstRaw;
    expect(small.publishedWarnings).toEqual([{ level: 1, message: `${lost} frame(s) lost in the socket receive queue since the last report: raise net.core.rmem_default (scripts/can-up.sh)` }]);
    expect(small.publishedLast.level).toBe(0);
    const warnings = smallErr.split('\n').filter((l) => l.includes('net.core.rmem_default is 212992 bytes'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('sysctl -w net.core.rmem_default=16777216 net.core.rmem_max=16777216');
    expect(warnings[0]).toContain('scripts/can-up.sh');
  });

  it('16 MiB: the node receives all 10,000 and socket_drops is exactly 0, no WARN, no start-up warning', () => {
    expect(big.burstRaw).toBe(COUNT);
    expect(big.after).toMatchObject({ socket_drops_min: '0', socket_drops_max: '0', level: 0 });
    expect(String(big.after.socket_drops_note)).toMatch(/^exact/);
    expect(big.publishedWarnings).toEqual([]);
    expect(bigErr).not.toContain('net.core.rmem_default is');
  });

  it('kernel filters: disjoint ones (vcan1) are measured; overlapping ones (vcan2) report unavailable with the reason, never a number', () => {
    for (const r of [small, big]) {
      expect(r.vcan1).toMatchObject({ socket_drops_min: '0', socket_drops_max: '0' });
      expect(String(r.vcan1.socket_drops_note)).toMatch(/^exact/);
      expect(r.vcan2).toMatchObject({ socket_drops_min: 'unknown', socket_drops_max: 'unknown' });
      expect(String(r.vcan2.socket_drops_note)).toMatch(/^unavailable: the kernel filters overlap/);
    }
  });

  it('kptr_restrict 2 (addresses printed as zeros): found by its filters, socket_drops = 10,000 − frames received; candump accounts for 10,000', () => {
    expect(hidden.kptrRestrict).toBe(2);
    expect(parseRcvlist(hidden.kernelAfter.all, 'all').every((e) => /^0+$/.test(e.userdata))).toBe(true);
    expect(hidden.burstRaw).toBeLessThan(COUNT);
    const lost = COUNT - hidden.burstRaw;
    expect(hidden.after).toMatchObject({ socket_drops_min: String(lost), socket_drops_max: String(lost) });
    expect(String(hidden.after.socket_drops_note)).toMatch(/^exact: .*data frames only \(socket addresses hidden/);
    expect(hidden.candumpFrames + hidden.candumpTotalDrops).toBe(COUNT);
    // the node registered a split of the id space (4 filters in rx_fil) instead of "all"; the
    // kernel handed it every frame exactly once: 10,000 plus the sentinel
    const fil = (text: string) => parseRcvlist(text, 'fil').filter((e) => e.device === 'vcan0');
    expect(fil(hidden.kernelAfter.fil)).toHaveLength(4);
    const sum = (text: string) => fil(text).reduce((a, e) => a + e.matches, 0);
    expect(sum(hidden.kernelAfter.fil) - sum(hidden.kernelBefore.fil)).toBe(COUNT + hidden.sentinels);
    // vcan1's configured filters are its fingerprint; vcan2's overlap
    expect(String(hidden.vcan1.socket_drops_note)).toMatch(/^exact/);
    expect(String(hidden.vcan2.socket_drops_note)).toMatch(/^unavailable: the kernel filters overlap/);
  });
});

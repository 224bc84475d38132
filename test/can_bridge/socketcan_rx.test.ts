// SocketCanSource receiving from a real Linux CAN stack: a User-mode Linux VM (scripts/canvm.sh)
// runs test/canvm/rx_frames.ts, where cansend and cangen (can-utils) put frames on vcan0 and
// candump -L, the reference, records them beside the source.
import { describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';
import { parseCandumpLog, type DumpedFrame } from '../helpers/candump_lines.js';

interface OurFrame {
  id: number;
  extended: boolean;
  rtr: boolean;
  error: boolean;
  fd: boolean;
  brs: boolean;
  esi: boolean;
  dlc: number;
  data: string;
  stamp: { sec: number; nanosec: number };
}
interface RxResult {
  simStamps: number[];
  ours: OurFrame[];
  candump: string[];
  counters: Record<string, number>;
}

/** ISO 11898-1 CAN FD: DLC 9..15 mean 12, 16, 20, 24, 32, 48, 64 bytes. */
const FD_DLC_TO_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];

describe('SocketCanSource receives what candump receives (User-mode Linux VM, vcan0)', () => {
  let r: RxResult;
  let ref: DumpedFrame[];
  setupAll(async () => {
    r = vmResult<RxResult>(await nodeScriptInCanVm('rx_frames.ts'));
    ref = r.candump.map(parseCandumpLog);
  }, 600_000);

  it('gets the same frames in the same order: 17 cansend edge cases + 600 cangen -m frames', () => {
    expect(ref).toHaveLength(617);
    expect(r.ours).toHaveLength(ref.length);
  });

  it('ids, 11/29-bit, RTR with its requested length, and payload bytes match candump', () => {
    r.ours.forEach((o, i) => {
      const c = ref[i];
      const where = `frame ${i}: candump ${r.candump[i]}`;
      expect(o.id, where).toBe(c.id);
      expect(o.extended, where).toBe(c.extended);
      expect(o.rtr, where).toBe(c.rtr);
      expect(o.error, where).toBe(false);
      if (c.rtr) {
        expect(o.dlc, where).toBe(c.len);
        expect(o.data, where).toBe('');
      } else {
        expect(o.data, where).toBe(c.data);
      }
    });
    // the hand-picked cases are all there, incl. 0-byte, 29-bit max id and 64-byte FD
    expect(r.candump.slice(0, 3).map((l) => l.split(' ')[2])).toEqual(['123#DEADBEEF', '000#', '7FE#0102030405060708']);
    expect(ref.some((c) => c.extended && c.id === 0x1fffffff)).toBe(true);
    expect(ref.some((c) => c.rtr && c.extended && c.len === 8)).toBe(true);
    expect(ref.some((c) => c.fd && c.len === 64)).toBe(true);
  });

  it('stamps are the kernel receive times candump reports (SO_TIMESTAMP), to the microsecond', () => {
    r.ours.forEach((o, i) => {
      expect(o.stamp, `frame ${i}: candump ${r.candump[i]}`).toEqual({ sec: ref[i].sec, nanosec: ref[i].usec * 1000 });
    });
  });

  it('with kernelStamps: false (use_sim_time) every frame is stamped by now(), the ROS clock, in order', () => {
    expect(r.simStamps).toHaveLength(r.ours.length);
    expect(r.simStamps.every((n, i) => n > 0 && (i === 0 || n > r.simStamps[i - 1]))).toBe(true);
  });

  it('CAN FD frames over 8 bytes are marked fd with the ISO DLC of their length', () => {
    const fdLong = r.ours.filter((_, i) => ref[i].fd && ref[i].len > 8);
    expect(fdLong.length).toBeGreaterThan(50);
    r.ours.forEach((o, i) => {
      if (!(ref[i].fd && ref[i].len > 8)) return;
      expect(o.fd, r.candump[i]).toBe(true);
      expect(FD_DLC_TO_LEN[o.dlc], r.candump[i]).toBe(ref[i].len);
    });
    expect(r.counters.fdFrames).toBe(fdLong.length);
  });

  it('documents the socketcan 4.3.1 gap: FD frames of 0..8 bytes arrive looking classic, BRS/ESI are never known', () => {
    // The addon drops recv()'s size (CAN_MTU vs CANFD_MTU) and canfd_frame.flags.
    const shortFd = ref.map((c, i) => [c, r.ours[i]] as const).filter(([c]) => c.fd && c.len <= 8);
    expect(shortFd.length).toBeGreaterThan(0); // cansend 456##3 44444444 and cangen's short FD frames
    for (const [c, o] of shortFd) {
      expect(o.fd).toBe(false);
      expect(o.dlc).toBe(c.len);
    }
    const flagged = ref.filter((c) => c.brs || c.esi);
    expect(flagged.length).toBeGreaterThan(0);
    expect(r.ours.every((o) => !o.brs && !o.esi)).toBe(true);
  });

  it('counts every frame it delivered (the probe frames included) and no drops or handler errors', () => {
    expect(r.counters.frames).toBeGreaterThanOrEqual(r.ours.length + 1);
    expect(r.counters).toMatchObject({ errorFrames: 0, drops: 0, ignored: 0, handlerErrors: 0, reopens: 0 });
  });
});

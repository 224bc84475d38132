// The can_bridge node on a real Linux CAN stack (User-mode Linux VM, scripts/canvm.sh via
// test/helpers/canvm.ts): test/canvm/bridge_node.ts runs the node with source socketcan on vcan0
// (Toyota DBC), vcan1 (CAN FD, Hyundai DBC) and vcan2 (ESR), drives it with can-utils' cansend,
// canplayer and cangen, and lets candump (can-utils) watch the same interfaces as the judge of
// what was on the bus and when (its kernel timestamps). Expected signal values are computed here
// from the DBC lines by hand.
import { describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';
import { parseCandumpLog } from '../helpers/candump_lines.js';

interface Stamp {
  sec: number;
  nanosec: number;
}
type Diag = Record<string, string | number>;
interface BridgeResult {
  classic: { raw: { id: number; dlc: number; data: string; ext: boolean; stamp: Stamp; frame_id: string }; decoded: { name: string; names: string[]; values: number[]; stamp: Stamp } };
  fd: { raw: { id: number; len: number; data: string; stamp: Stamp; frame_id: string }; decoded: Record<string, number>; wheels: number[] };
  candump: string[];
  esr: { counter: number; frames: number; ids: number[]; ranges: number[] }[];
  esrDiag: Diag;
  filters: { bridge: number[]; candump: string[]; rawTotal: number };
  errorStates: Diag[];
  errorRaw: { id: number; data: string }[];
  link: { down: Diag; cansendWhileDown: number; up: Diag; resumedValue: number };
  burst: {
    count: number;
    raw: number;
    decoded: number;
    drops: number;
    candumpFrames: number;
    candumpDropLines: string[];
    cangenMs: number;
    rmemDefault: number;
    graph: { topic: string; messages: number; dropped: number }[];
  };
}

const usec = (s: Stamp) => s.sec * 1e6 + Math.round(s.nanosec / 1000);

describe('can_bridge node on SocketCAN in a User-mode Linux VM (cansend, canplayer, cangen; judged by candump)', () => {
  let r: BridgeResult;
  setupAll(async () => {
    r = vmResult<BridgeResult>(await nodeScriptInCanVm('bridge_node.ts', ['10000'], { timeoutSec: 480 }));
    console.log(
      `can_bridge burst in the UML VM: ${r.burst.decoded}/${r.burst.count} decoded, ${r.burst.raw} raw, drops ${r.burst.drops}, ` +
        `cangen ${r.burst.cangenMs.toFixed(0)} ms, net.core.rmem_default ${r.burst.rmemDefault} bytes`,
    );
  }, 600_000);

  it('a classic frame (cansend vcan0 0B4#...1234..): raw topic = what candump saw (id, payload, kernel time); SPEED = 0x1234 · 0.01 km/h', () => {
    const judge = parseCandumpLog(r.candump.find((l) => l.includes(' vcan0 0B4#'))!);
    const raw = r.classic.raw;
    expect(raw).toMatchObject({ id: judge.id, dlc: judge.len, data: judge.data, ext: false, frame_id: 'vcan0' });
    expect(usec(raw.stamp)).toBe(judge.sec * 1e6 + judge.usec);
    expect(r.classic.decoded.name).toBe('SPEED');
    expect(r.classic.decoded.names).toEqual(['ENCODER', 'SPEED', 'CHECKSUM']);
    expect(r.classic.decoded.values[1]).toBeCloseTo(0x1234 * 0.01, 9);
    expect(r.classic.decoded.stamp).toEqual(raw.stamp);
  });

  it('a CAN FD frame (cansend vcan1 0A0##1..., 24 bytes): ros2_socketcan_msgs/FdFrame with candump\'s payload and time; wheel speeds = raw · 0.03125', () => {
    const judge = parseCandumpLog(r.candump.find((l) => l.includes(' vcan1 0A0##'))!);
    expect(judge.fd).toBe(true);
    expect(judge.brs).toBe(true);
    expect(r.fd.raw).toMatchObject({ id: 0xa0, len: 24, data: judge.data, frame_id: 'vcan1' });
    expect(usec(r.fd.raw.stamp)).toBe(judge.sec * 1e6 + judge.usec);
    // SG_ WHL_SpdFLVal : 64|14@1+ (0.03125,0), FR 80, RL 96, RR 112 (little endian)
    const [fl, fr, rl, rr] = r.fd.wheels;
    expect(r.fd.decoded.WHL_SpdFLVal).toBe(fl * 0.03125);
    expect(r.fd.decoded.WHL_SpdFRVal).toBe(fr * 0.03125);
    expect(r.fd.decoded.WHL_SpdRLVal).toBe(rl * 0.03125);
    expect(r.fd.decoded.WHL_SpdRRVal).toBe(rr * 0.03125);
  });

  it('ESR scans replayed by canplayer onto vcan2 become one ObjectList per scan (scan index, 6 live tracks, their range)', () => {
    expect(r.esr.map((l) => l.counter)).toEqual([700, 701, 702, 703, 704]);
    r.esr.forEach((l, k) => {
      expect(l.frames).toBe(65);
      expect(l.ids).toEqual([1, 2, 3, 4, 5, 6]);
      for (const range of l.ranges) expect(range).toBeCloseTo(20 + k, 9);
    });
    expect(r.esrDiag).toMatchObject({ committed: '5', published: '5', incomplete: '0', duplicated: '0', out_of_order: '0' });
  });

  it('kernel filters from the config (CAN_RAW_FILTER): vcan2 passes ESR_Status and 0x500..0x53F only, while candump sees everything', () => {
    expect(r.filters.candump).toEqual(['5D0#0102', '540#0304', '4E0#0000000000000000', '53F#0506']);
    expect(r.filters.bridge).toEqual([0x4e0, 0x53f]);
    expect(r.filters.rawTotal).toBe(5 * 65 + 2);
  });

  it('error frames (cansend with CAN_ERR_FLAG) → bus state and error counters on /diagnostics: error-passive WARN, bus-off ERROR, restarted OK', () => {
    expect(r.errorStates.map((s) => [s.bus_state, s.level])).toEqual([
      ['error-passive', 1],
      ['bus-off', 2],
      ['error-active', 0],
    ]);
    expect(r.errorStates[0]).toMatchObject({ tx_error_counter: '128', rx_error_counter: '0', error_frames: '1' });
    expect(r.errorRaw).toEqual([
      { id: 0x004, data: '0020000000008000' },
      { id: 0x040, data: '0000000000000000' },
      { id: 0x100, data: '0000000000000000' },
    ]);
  });

  it('ip link set vcan0 down: the node stays up and reports it (ERROR, link down); up again: reopened with back-off, frames resume without a restart', () => {
    expect(r.link.down).toMatchObject({ level: 2, link: 'down' });
    expect(String(r.link.down.message)).toContain('vcan0 is down');
    expect(r.link.cansendWhileDown).not.toBe(0);
    expect(r.link.up).toMatchObject({ level: 0, link: 'up', reopens: '1' });
    expect(Number(r.link.up.reopen_attempts)).toBeGreaterThanOrEqual(2);
    expect(r.link.resumedValue).toBeCloseTo(0x0200 * 0.01, 9);
  });

  it('a burst of 10,000 frames (cangen -g 0): all 10,000 raw and decoded, zero drops; candump -d sees 10,000 and no kernel drop', () => {
    expect(r.burst.raw).toBe(10_000);
    expect(r.burst.decoded).toBe(10_000);
    expect(r.burst.drops).toBe(0);
    expect(r.burst.candumpFrames).toBe(10_000);
    expect(r.burst.candumpDropLines).toEqual([]);
    expect(r.burst.graph.every((t) => t.dropped === 0)).toBe(true);
    // the socketcan addon cannot set SO_RCVBUF: the harness raises net.core.rmem_default to 16 MiB
    expect(r.burst.rmemDefault).toBe(16 * 1024 * 1024);
  });
});

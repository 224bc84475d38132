// Error frames through a real Linux CAN stack (User-mode Linux VM): test/canvm/error_frames.ts
// sends CAN error frames on vcan0 with cansend; candump -e (can-utils' decoder of error frames)
// is the judge of what each frame says, the SocketCanSource's state events must follow it.
import { describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';
import { parseCandumpErrors, type DumpedError } from '../helpers/candump_lines.js';

interface ErrResult {
  probeErrors: number;
  errors: { id: number; data: string; dlc: number; decoded: { busState?: string; rxOverflow: boolean; txErrors?: number; rxErrors?: number } }[];
  states: { iface: string; up: boolean; busState: string; reason?: string }[];
  counters: Record<string, number>;
  quiet: { errors: number; data: number; counters: Record<string, number> };
  candump: string[];
}

/** The state a can-utils reading announces, in the words candump prints (lib.c). */
function stateInCandumpWords(findings: string[]): string | undefined {
  const all = findings.join(' ');
  if (findings.includes('bus-off')) return 'bus-off';
  if (/error-passive/.test(all)) return 'error-passive';
  if (/error-warning/.test(all)) return 'error-warning';
  if (/back-to-error-active|restarted-after-bus-off/.test(all)) return 'error-active';
  return undefined;
}

function countersInCandumpWords(findings: string[]): [number, number] | undefined {
  const m = /error-counter-tx-rx\{\{(\d+)\}\{(\d+)\}\}/.exec(findings.join(' '));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

describe('CAN error frames become bus states as candump -e reads them (User-mode Linux VM, vcan0)', () => {
  let r: ErrResult;
  let ref: DumpedError[];
  setupAll(async () => {
    r = vmResult<ErrResult>(await nodeScriptInCanVm('error_frames.ts'));
    // drop the readiness probes (tx-timeout frames) candump saw before the test frames
    ref = parseCandumpErrors(r.candump).filter((e) => e.canId !== 0x20000001);
  }, 600_000);

  it('every error frame arrives, flagged as error, with the class bits candump shows and its 8 data bytes', () => {
    expect(ref).toHaveLength(12);
    expect(r.errors).toHaveLength(ref.length);
    r.errors.forEach((e, i) => {
      expect(e.id | 0x20000000).toBe(ref[i].canId);
      expect(e.data).toBe(ref[i].data);
      expect(e.dlc).toBe(8);
    });
  });

  it('each frame announces the state candump reads in it (or none), and the same error counters', () => {
    r.errors.forEach((e, i) => {
      const where = `${ref[i].canId.toString(16)} ${ref[i].data}: ${ref[i].findings.join(' | ')}`;
      const words = stateInCandumpWords(ref[i].findings);
      // candump (2020.11) has no name for CAN_ERR_CNT; there the header's thresholds decide
      if (ref[i].canId === 0x20000200) expect(e.decoded.busState, where).toBe('error-active');
      else expect(e.decoded.busState, where).toBe(words);
      const counters = countersInCandumpWords(ref[i].findings);
      expect(e.decoded.txErrors === undefined ? undefined : [e.decoded.txErrors, e.decoded.rxErrors], where).toEqual(counters);
      expect(e.decoded.rxOverflow, where).toBe(ref[i].findings.some((f) => f.includes('rx-overflow')));
    });
  });

  it('reports each change of bus state once, in order: warning, passive, bus-off, active, warning, passive, active', () => {
    expect(r.states.map((s) => s.busState)).toEqual([
      'error-warning', 'error-passive', 'bus-off', 'error-active', 'error-warning', 'error-passive', 'error-active',
    ]);
    expect(r.states.every((s) => s.up && s.iface === 'vcan0')).toBe(true);
    expect(r.states[1].reason).toBe('controller{tx-passive} counters tx=128 rx=0');
  });

  it('counts error frames, and controller rx-overflows as drops', () => {
    const overflows = ref.filter((e) => e.findings.some((f) => f.includes('rx-overflow'))).length;
    expect(overflows).toBe(2);
    expect(r.counters.drops).toBe(overflows);
    expect(r.counters.errorFrames).toBe(ref.length + r.probeErrors); // + the tx-timeout probes
  });

  it('a source with errorFrames: false gets none of them, yet every data frame in between', () => {
    expect(r.quiet.errors).toBe(0);
    expect(r.quiet.counters.errorFrames).toBe(0);
    expect(r.quiet.data).toBe(12);
  });
});

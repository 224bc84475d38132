// nodes/can_bridge/can_error.ts against the kernel's own header (linux/can/error.h, copied into
// test/fixtures/socketcan): every constant is the header's, and the state each bit announces is
// the one the header's comments define. candump's decoding of the same frames is checked in
// the VM (socketcan.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as E from '../../nodes/can_bridge/can_error.js';

function defines(file: string): Map<string, number> {
  const text = readFileSync(new URL(`../fixtures/socketcan/${file}`, import.meta.url), 'utf8');
  const m = new Map<string, number>();
  for (const [, name, value] of text.matchAll(/^#define\s+(\w+)\s+(0x[0-9A-Fa-f]+|\d+)U?\b/gm)) m.set(name, Number(value));
  return m;
}
const H = defines('linux-can-error.h');
const C = defines('linux-can.h');
const h = (name: string): number => {
  const v = H.get(name);
  if (v === undefined) throw new Error(`${name} not in linux/can/error.h`);
  return v;
};
const frame = (d1 = 0, d6 = 0, d7 = 0): Uint8Array => Uint8Array.from([0, d1, 0, 0, 0, 0, d6, d7]);

describe('can_error constants equal linux/can/error.h and linux/can.h', () => {
  const names = [
    'CAN_ERR_TX_TIMEOUT', 'CAN_ERR_LOSTARB', 'CAN_ERR_CRTL', 'CAN_ERR_PROT', 'CAN_ERR_TRX', 'CAN_ERR_ACK',
    'CAN_ERR_BUSOFF', 'CAN_ERR_BUSERROR', 'CAN_ERR_RESTARTED', 'CAN_ERR_CNT',
    'CAN_ERR_CRTL_RX_OVERFLOW', 'CAN_ERR_CRTL_TX_OVERFLOW', 'CAN_ERR_CRTL_RX_WARNING', 'CAN_ERR_CRTL_TX_WARNING',
    'CAN_ERR_CRTL_RX_PASSIVE', 'CAN_ERR_CRTL_TX_PASSIVE', 'CAN_ERR_CRTL_ACTIVE',
    'CAN_ERROR_WARNING_THRESHOLD', 'CAN_ERROR_PASSIVE_THRESHOLD', 'CAN_BUS_OFF_THRESHOLD',
  ] as const;
  it.each(names)('%s', (name) => {
    expect((E as unknown as Record<string, number>)[name]).toBe(h(name));
  });
  it('CAN_ERR_FLAG and CAN_ERR_MASK', () => {
    expect(E.CAN_ERR_FLAG).toBe(C.get('CAN_ERR_FLAG'));
    expect(E.CAN_ERR_MASK).toBe(C.get('CAN_ERR_MASK'));
  });
  it('every error class fits in the 11 bits the socketcan addon keeps of an error frame id', () => {
    const classes = [...H.keys()].filter((n) => /^CAN_ERR_(TX_TIMEOUT|LOSTARB|CRTL|PROT|TRX|ACK|BUSOFF|BUSERROR|RESTARTED|CNT)$/.test(n));
    expect(classes).toHaveLength(10);
    for (const name of classes) expect(h(name) & ~0x7ff, name).toBe(0);
  });
});

describe('decodeCanError: the state each class/status bit announces (header comments)', () => {
  it('CAN_ERR_BUSOFF "bus off" → bus-off', () => {
    expect(E.decodeCanError(h('CAN_ERR_BUSOFF'), frame()).busState).toBe('bus-off');
  });
  it('CAN_ERR_RESTARTED "controller restarted" → error-active', () => {
    expect(E.decodeCanError(h('CAN_ERR_RESTARTED'), frame()).busState).toBe('error-active');
  });
  it.each([
    ['CAN_ERR_CRTL_RX_PASSIVE', 'error-passive'],
    ['CAN_ERR_CRTL_TX_PASSIVE', 'error-passive'],
    ['CAN_ERR_CRTL_RX_WARNING', 'error-warning'],
    ['CAN_ERR_CRTL_TX_WARNING', 'error-warning'],
    ['CAN_ERR_CRTL_ACTIVE', 'error-active'],
  ])('CAN_ERR_CRTL with data[1] = %s → %s', (bit, state) => {
    expect(E.decodeCanError(h('CAN_ERR_CRTL'), frame(h(bit))).busState).toBe(state);
  });
  it('passive wins over warning in one status byte; bus-off wins over everything', () => {
    const both = h('CAN_ERR_CRTL_TX_WARNING') | h('CAN_ERR_CRTL_RX_PASSIVE');
    expect(E.decodeCanError(h('CAN_ERR_CRTL'), frame(both)).busState).toBe('error-passive');
    expect(E.decodeCanError(h('CAN_ERR_CRTL') | h('CAN_ERR_BUSOFF'), frame(h('CAN_ERR_CRTL_ACTIVE'))).busState).toBe('bus-off');
  });
  it('controller status bits count only in a CAN_ERR_CRTL frame (data[1] is lost-arbitration detail elsewhere)', () => {
    expect(E.decodeCanError(h('CAN_ERR_PROT'), frame(h('CAN_ERR_CRTL_TX_PASSIVE'))).busState).toBeUndefined();
  });
  it('overflows set the flags but announce no state', () => {
    const rx = E.decodeCanError(h('CAN_ERR_CRTL'), frame(h('CAN_ERR_CRTL_RX_OVERFLOW')));
    expect([rx.rxOverflow, rx.txOverflow, rx.busState]).toEqual([true, false, undefined]);
    const tx = E.decodeCanError(h('CAN_ERR_CRTL'), frame(h('CAN_ERR_CRTL_TX_OVERFLOW')));
    expect([tx.rxOverflow, tx.txOverflow]).toEqual([false, true]);
  });
  it('protocol, ack, arbitration, transceiver, tx-timeout and bus errors say nothing about the state', () => {
    for (const c of ['CAN_ERR_PROT', 'CAN_ERR_ACK', 'CAN_ERR_LOSTARB', 'CAN_ERR_TRX', 'CAN_ERR_TX_TIMEOUT', 'CAN_ERR_BUSERROR']) {
      expect(E.decodeCanError(h(c), frame()).busState, c).toBeUndefined();
    }
  });
  it('CAN_ERR_CNT: TX counter in data[6], RX counter in data[7], state by the header thresholds', () => {
    const W = h('CAN_ERROR_WARNING_THRESHOLD');
    const P = h('CAN_ERROR_PASSIVE_THRESHOLD');
    const cnt = h('CAN_ERR_CNT');
    expect(E.decodeCanError(cnt, frame(0, W - 1, 0))).toMatchObject({ txErrors: W - 1, rxErrors: 0, busState: 'error-active' });
    expect(E.decodeCanError(cnt, frame(0, 0, W)).busState).toBe('error-warning');
    expect(E.decodeCanError(cnt, frame(0, P - 1, 0)).busState).toBe('error-warning');
    expect(E.decodeCanError(cnt, frame(0, 0, P)).busState).toBe('error-passive');
    expect(E.decodeCanError(cnt, frame(0, 255, 255)).busState).toBe('error-passive');
  });
  it('counters without CAN_ERR_CNT are reported when non-zero but do not set the state', () => {
    const info = E.decodeCanError(h('CAN_ERR_PROT'), frame(0, 130, 2));
    expect([info.txErrors, info.rxErrors, info.busState]).toEqual([130, 2, undefined]);
    expect(E.decodeCanError(h('CAN_ERR_PROT'), frame()).txErrors).toBeUndefined();
  });
  it('an explicit controller state beats the counters', () => {
    const info = E.decodeCanError(h('CAN_ERR_CRTL') | h('CAN_ERR_CNT'), frame(h('CAN_ERR_CRTL_TX_WARNING'), 200, 0));
    expect(info.busState).toBe('error-warning');
  });
  it('flags above the class mask are ignored; short data reads as zeros', () => {
    expect(E.decodeCanError(E.CAN_ERR_FLAG | h('CAN_ERR_BUSOFF'), new Uint8Array(0))).toMatchObject({ classes: h('CAN_ERR_BUSOFF'), busState: 'bus-off', txErrors: undefined });
  });
});

describe('stateFromCounters follows the header table', () => {
  it.each([
    [0, 0, 'error-active'],
    [h('CAN_ERROR_WARNING_THRESHOLD') - 1, 0, 'error-active'],
    [h('CAN_ERROR_WARNING_THRESHOLD'), 0, 'error-warning'],
    [0, h('CAN_ERROR_PASSIVE_THRESHOLD') - 1, 'error-warning'],
    [h('CAN_ERROR_PASSIVE_THRESHOLD'), 0, 'error-passive'],
    [h('CAN_BUS_OFF_THRESHOLD') - 1, 0, 'error-passive'],
    [h('CAN_BUS_OFF_THRESHOLD'), 0, 'bus-off'],
  ] as const)('tx=%i rx=%i → %s', (tx, rx, state) => {
    expect(E.stateFromCounters(tx, rx)).toBe(state);
  });
});

describe('describeCanError and BusStateTracker', () => {
  it('names classes, controller bits and counters', () => {
    expect(E.describeCanError(h('CAN_ERR_CRTL'), frame(h('CAN_ERR_CRTL_TX_PASSIVE'), 130, 0))).toBe('controller{tx-passive} counters tx=130 rx=0');
    expect(E.describeCanError(h('CAN_ERR_BUSOFF'), frame())).toBe('bus-off');
    expect(E.describeCanError(h('CAN_ERR_ACK') | h('CAN_ERR_BUSERROR'), frame())).toBe('no-ack bus-error');
    expect(E.describeCanError(0, frame())).toBe('error frame without class');
  });
  it('reports transitions only, and starts again from unknown after reset', () => {
    const t = new E.BusStateTracker();
    const d = (cls: number, d1 = 0) => E.decodeCanError(cls, frame(d1));
    expect(t.state).toBe('unknown');
    expect(t.update(d(h('CAN_ERR_CRTL'), h('CAN_ERR_CRTL_TX_WARNING')))).toBe('error-warning');
    expect(t.update(d(h('CAN_ERR_CRTL'), h('CAN_ERR_CRTL_RX_WARNING')))).toBeUndefined();
    expect(t.update(d(h('CAN_ERR_PROT')))).toBeUndefined();
    expect(t.update(d(h('CAN_ERR_BUSOFF')))).toBe('bus-off');
    expect(t.update(d(h('CAN_ERR_RESTARTED')))).toBe('error-active');
    t.reset();
    expect(t.state).toBe('unknown');
  });
});

// Regression (issue 9, defect 5): a multiplexer with one branch. The generated decoder negated
// the branch test as `!m0 === 1` (always false), so it never reported an unknown multiplexer
// value; the interpreted decoder did. test/fixtures/dbc/one_branch_mux.dbc (written for this,
// see ATTRIBUTION.md) has three such messages; every multiplexer value is decoded by both and
// the status is judged against the DBC's own branches, read here from its text.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DECODE_UNKNOWN_MUX } from '../../nodes/dbc/codec.js';
import { dbcPath, load } from './helpers.js';

const FILE = 'one_branch_mux.dbc';
const text = readFileSync(dbcPath(FILE), 'latin1');

/** `SG_ <name> m<id>...` and `SG_MUL_VAL_ ... <name> <switch> a-a;` of the text: the one branch value of a signal. */
function branchOf(signal: string): number {
  const mul = new RegExp(`^SG_MUL_VAL_ \\d+ ${signal} \\w+ (\\d+)-(\\d+);`, 'm').exec(text);
  if (mul) {
    expect(mul[1]).toBe(mul[2]);
    return Number(mul[1]);
  }
  const sg = new RegExp(`^ SG_ ${signal} m(\\d+)`, 'm').exec(text);
  if (!sg) throw new Error(`${signal} is not a multiplexed signal of ${FILE}`);
  return Number(sg[1]);
}

function compare(message: string, payloads: Uint8Array[], unknown: (data: Uint8Array) => boolean): void {
  const fast = load(FILE, true).byName(message)!;
  const slow = load(FILE, false).byName(message)!;
  const a = fast.createOutput();
  const b = slow.createOutput();
  const bad: string[] = [];
  for (const data of payloads) {
    const sa = fast.decodeInto(data, a);
    const sb = slow.decodeIntoInterpreted(data, b);
    const want = unknown(data) ? DECODE_UNKNOWN_MUX : 0;
    const hex = Buffer.from(data).toString('hex');
    if (sa !== want) bad.push(`generated ${hex}: status ${sa}, expected ${want}`);
    if (sb !== want) bad.push(`interpreted ${hex}: status ${sb}, expected ${want}`);
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) bad.push(`${hex} ${fast.signalNames[i]}: generated ${a[i]}, interpreted ${b[i]}`);
  }
  expect(bad).toEqual([]);
}

describe('a multiplexer with one branch: generated and interpreted decoders agree, unknown values reported', () => {
  it('OneBranch: Mode (8 bits, Intel) selects Speed only at 1; all 256 values', () => {
    const one = branchOf('Speed');
    expect(one).toBe(1);
    const payloads = Array.from({ length: 256 }, (_, mode) => Uint8Array.of(mode, 0x34, 0x12, 0, 0, 0, 0, 0x5a));
    compare('OneBranch', payloads, (d) => d[0] !== one);
    // And the branch decodes: Speed = 0x1234 × 0.01 km/h.
    const m = load(FILE, true).byName('OneBranch')!;
    const out = m.createOutput();
    m.decodeInto(payloads[one], out);
    expect(out[m.indexOf('Speed')]).toBeCloseTo(0x1234 * 0.01, 10);
    m.decodeInto(payloads[0], out);
    expect(out[m.indexOf('Speed')]).toBeNaN();
    expect(out[m.indexOf('Counter')]).toBe(0x5a);
  });

  it('OneBranchMotorola: Page (4 bits, Motorola) selects Temperature only at 5; all 16 values', () => {
    const five = branchOf('Temperature');
    expect(five).toBe(5);
    // Page: start bit 7, 4 bits big-endian → the high nibble of byte 0.
    const payloads = Array.from({ length: 16 }, (_, page) => Uint8Array.of(page << 4, 0x80, 0, 0, 0, 0, 0, 0));
    compare('OneBranchMotorola', payloads, (d) => d[0] >> 4 !== five);
  });

  it('OneBranchExtended: Top selects Sub only at 2, Sub selects Leaf only at 7; all 256 combinations', () => {
    const top = branchOf('Sub');
    const sub = branchOf('Leaf');
    expect([top, sub]).toEqual([2, 7]);
    const payloads: Uint8Array[] = [];
    for (let t = 0; t < 16; t++) for (let s = 0; s < 16; s++) payloads.push(Uint8Array.of(t | (s << 4), 0xcd, 0xab, 0, 0, 0, 0, 0));
    // Top is always decoded: unknown unless 2. Sub is decoded only under Top 2: unknown unless 7.
    compare('OneBranchExtended', payloads, (d) => (d[0] & 15) !== top || d[0] >> 4 !== sub);
  });
});

// GSV (satellites in view) assembly: a receiver lists the satellites it sees in groups of up to
// n sentences ("$GPGSV,n,k,total,{prn,elevation,azimuth,snr}×≤4[,signal id]*hh"), one group per
// talker (constellation) and, since NMEA 4.10, per signal. The sentences of a group are collected
// into one reused SatellitesInView; a group is complete when sentence n arrives after 1..n-1 of
// the same talker, signal and n. A group with a missing, repeated or foreign sentence is dropped
// whole (counted): a partial sky must not pass as the full one.
//
// Field values: PRN as the receiver numbers it (NMEA: GPS 1-32, SBAS 33-64, GLONASS 65-96, ...;
// NMEA 4.11 receivers number each constellation from 1, the talker says which); elevation
// -90..90°, azimuth 0..360°, SNR (C/N0) 0..99 dB-Hz. Empty → NaN (SNR empty: not tracked). Outside
// the range → NaN and the sentence counts as malformed. A block without PRN is skipped, and so is
// one whose PRN has more than four digits (malformed).
import type { NmeaFields } from './nmea_fields.js';

export interface SatellitesInView {
  /** Talker id as its two character codes (0x47 0x50 for "GP"): c1 << 8 | c2. */
  talker: number;
  /** NMEA 4.10 signal id (1 = L1 C/A for GPS, ...), -1 when the sentences carry none. */
  signalId: number;
  /** Satellites in view the receiver announced (field 3 of the last sentence). */
  announced: number;
  /** Satellites listed in the group (entries 0..count-1 of the arrays are valid). */
  count: number;
  prn: Int32Array;
  /** Degrees; NaN when not given. */
  elevation: Float64Array;
  /** Degrees clockwise from true north; NaN when not given. */
  azimuth: Float64Array;
  /** C/N0 in dB-Hz; NaN when not tracked. */
  snr: Float64Array;
}

/** Satellite ids have at most three digits in every NMEA numbering (GPS 1-32 … NavIC 401-437); four are tolerated. */
const MAX_PRN = 9999;

/** Largest group listed in one: 9 sentences × 4 satellites is what NMEA allows; more grows the arrays. */
const INITIAL_CAPACITY = 36;

export class GsvAssembler {
  readonly view: SatellitesInView = {
    talker: 0,
    signalId: -1,
    announced: 0,
    count: 0,
    prn: new Int32Array(INITIAL_CAPACITY),
    elevation: new Float64Array(INITIAL_CAPACITY),
    azimuth: new Float64Array(INITIAL_CAPACITY),
    snr: new Float64Array(INITIAL_CAPACITY),
  };
  /** Groups dropped because a sentence was missing, repeated or out of order. */
  incomplete = 0;
  /** Sentence number expected next in the open group; 0 when no group is open. */
  private next = 0;
  private total = 0;
  /** Inside the remains of a dropped group (already counted). */
  private broken = false;

  /**
   * Adds the GSV sentence loaded in `f` (talker `c1 c2`). True when it completed a group: `view`
   * then holds that group until the next call.
   */
  push(f: NmeaFields, talker: number): boolean {
    const n = f.uint(1);
    const k = f.uint(2);
    const announced = f.uint(3);
    const count = f.count;
    // Satellite blocks start at field 4; an odd field after the last whole block is the signal id.
    const blocks = (count - 4) >> 2;
    const signalId = count - 4 - blocks * 4 === 1 && !f.empty(count - 1) ? hexDigit(f.char(count - 1)) : -1;
    if (n < 1 || k < 1 || k > n || count < 4) {
      f.malformed = true;
      this.abandon(k === n);
      return false;
    }
    const v = this.view;
    if (k === 1) {
      if (this.next !== 0) this.incomplete++;
      this.broken = false;
      v.talker = talker;
      v.signalId = signalId;
      v.count = 0;
      this.total = n;
    } else if (this.next !== k || this.total !== n || v.talker !== talker || v.signalId !== signalId) {
      this.abandon(k === n);
      return false;
    }
    v.announced = announced < 0 ? 0 : announced;
    for (let b = 0, i = 4; b < blocks; b++, i += 4) {
      if (f.empty(i)) continue;
      const prn = f.uint(i);
      if (prn < 0) continue; // malformed (flagged by uint)
      if (prn > MAX_PRN) {
        // Not a satellite id of any numbering (and beyond what the Int32Array holds): malformed.
        f.malformed = true;
        continue;
      }
      if (v.count === v.prn.length) grow(v);
      const j = v.count++;
      v.prn[j] = prn;
      v.elevation[j] = inRange(f, f.decimal(i + 1), -90, 90);
      v.azimuth[j] = inRange(f, f.decimal(i + 2), 0, 360);
      v.snr[j] = inRange(f, f.decimal(i + 3), 0, 99);
    }
    if (k === n) {
      this.next = 0;
      return true;
    }
    this.next = k + 1;
    return false;
  }

  /** Drops the open group, or the group this stray sentence belongs to: counted once per group. */
  private abandon(last: boolean): void {
    if (!this.broken) this.incomplete++;
    this.next = 0;
    // The rest of a broken group is skipped silently; its last sentence ends it.
    this.broken = !last;
  }
}

function inRange(f: NmeaFields, v: number, min: number, max: number): number {
  if (v >= min && v <= max) return v;
  if (v === v) f.malformed = true;
  return NaN;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function grow(v: SatellitesInView): void {
  const size = v.prn.length * 2;
  const prn = new Int32Array(size);
  prn.set(v.prn);
  const el = new Float64Array(size);
  el.set(v.elevation);
  const az = new Float64Array(size);
  az.set(v.azimuth);
  const snr = new Float64Array(size);
  snr.set(v.snr);
  v.prn = prn;
  v.elevation = el;
  v.azimuth = az;
  v.snr = snr;
}

// Field access for one NMEA sentence by character codes: one pass records where each field
// starts and ends (in preallocated typed arrays), then numbers, times and coordinates are parsed
// straight from the string. No split(), no regex, no per-sentence arrays.
//
// Field 0 is the address ("GPGGA"); fields end at the '*' of the checksum (or the string's end).
// Numbers are parsed as an integer mantissa and a power-of-ten scale, so a decimal whose digits
// form an integer below 2^53 (at least 15 significant digits) converts with a single rounding, as
// Number() would. Trailing zeros of a fraction do not count ("01131.0000000000000" is 1131).
// Longer numbers are left to Number();
// coordinates then split degrees and minutes from the text itself (never from an earlier field).

const MAX_FIELDS = 48;

/** 2^53: integers below it are exact doubles. */
const MAX_EXACT = 2 ** 53;

/** Exact powers of ten (10^0 … 10^22 are exact doubles). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const NS_PER_S = 1_000_000_000;
/** Scale of a fraction with k digits to nanoseconds: 10^(9-k). */
const FRACTION_TO_NS = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 10, 1];

export class NmeaFields {
  private s = '';
  private readonly starts = new Int32Array(MAX_FIELDS);
  private readonly ends = new Int32Array(MAX_FIELDS);
  /** Number of fields including the address. */
  count = 0;
  /** Set when a field that was asked for was present but not valid; the caller resets it per sentence. */
  malformed = false;
  /**
   * Mantissa and fraction digits of the last decimal() call: value = mantissa / 10^fractionDigits.
   * NaN when that call did not produce an exact mantissa (more than 15 significant digits, or not a number).
   */
  private mantissa = NaN;
  private fractionDigits = 0;

  /** Indexes the fields of `s` (which starts with '$' or '!'). */
  load(s: string): void {
    this.s = s;
    this.malformed = false;
    let end = s.length;
    // The checksum is always the last three characters when present; scanning stops at '*'.
    if (end >= 3 && s.charCodeAt(end - 3) === 0x2a) end -= 3;
    const starts = this.starts;
    const ends = this.ends;
    let n = 0;
    starts[0] = 1;
    for (let i = 1; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x2c) {
        ends[n] = i;
        if (++n === MAX_FIELDS) {
          this.count = n;
          return;
        }
        starts[n] = i + 1;
      } else if (c === 0x2a) {
        end = i;
        break;
      }
    }
    ends[n] = end;
    this.count = n + 1;
  }

  /** True when field i is absent or empty. */
  empty(i: number): boolean {
    return i >= this.count || this.starts[i] >= this.ends[i];
  }

  /** First character code of field i, 0 when empty. */
  char(i: number): number {
    return this.empty(i) ? 0 : this.s.charCodeAt(this.starts[i]);
  }

  /** Length of field i in characters (0 when absent). */
  length(i: number): number {
    return i >= this.count ? 0 : this.ends[i] - this.starts[i];
  }

  /** Character code k of field i (caller checks k < length(i)). */
  charAt(i: number, k: number): number {
    return this.s.charCodeAt(this.starts[i] + k);
  }

  /** Field i as a string (allocates: only for rare fields such as a station id). */
  text(i: number): string {
    return this.empty(i) ? '' : this.s.slice(this.starts[i], this.ends[i]);
  }

  /** Field i as a decimal number (always finite); NaN when empty, NaN and `malformed` when not a number or beyond a double. */
  decimal(i: number): number {
    this.mantissa = NaN;
    if (i >= this.count) return NaN;
    let p = this.starts[i];
    const e = this.ends[i];
    if (p >= e) return NaN;
    const s = this.s;
    let neg = false;
    let c = s.charCodeAt(p);
    if (c === 0x2d) {
      neg = true;
      p++;
    } else if (c === 0x2b) p++;
    // Integer part, then an optional fraction; m is exact while below 2^53.
    let m = 0;
    const p0 = p;
    for (; p < e; p++) {
      c = s.charCodeAt(p) - 0x30;
      if (c < 0 || c > 9) break;
      m = m * 10 + c;
    }
    let any = p > p0;
    let frac = 0;
    if (p < e) {
      if (s.charCodeAt(p) !== 0x2e) {
        this.malformed = true;
        return NaN;
      }
      /** Zeros of the fraction not yet taken into m: trailing zeros never are. */
      let zeros = 0;
      for (p++; p < e; p++) {
        c = s.charCodeAt(p) - 0x30;
        if (c < 0 || c > 9) {
          this.malformed = true;
          return NaN;
        }
        any = true;
        if (c === 0) {
          zeros++;
          continue;
        }
        for (; zeros > 0; zeros--) {
          m *= 10;
          frac++;
        }
        m = m * 10 + c;
        frac++;
      }
    }
    if (!any) {
      this.malformed = true;
      return NaN;
    }
    if (m >= MAX_EXACT || frac > 22) {
      // Beyond exact integer arithmetic: let the engine round it. Beyond a double (309 digits) it
      // is no measurement: malformed, never ±Infinity.
      const v = Number(s.slice(this.starts[i], e));
      if (!Number.isFinite(v)) {
        this.malformed = true;
        return NaN;
      }
      return v;
    }
    // m and 10^frac are exact doubles: one division, one rounding, as Number() would give.
    this.mantissa = m;
    this.fractionDigits = frac;
    const v = frac === 0 ? m : m / POW10[frac];
    return neg ? -v : v;
  }

  /** Field i as a non-negative integer; -1 when empty, -1 and `malformed` when not one. */
  uint(i: number): number {
    if (i >= this.count) return -1;
    let p = this.starts[i];
    const e = this.ends[i];
    if (p >= e) return -1;
    const s = this.s;
    let v = 0;
    for (; p < e; p++) {
      const c = s.charCodeAt(p);
      if (c < 0x30 || c > 0x39 || v > 1e14) {
        this.malformed = true;
        return -1;
      }
      v = v * 10 + (c - 0x30);
    }
    return v;
  }

  /**
   * Field i, "hhmmss" with an optional fraction, as nanoseconds since midnight UTC;
   * -1 when empty, -1 and `malformed` when not a valid time of day.
   */
  timeOfDay(i: number): number {
    if (i >= this.count) return -1;
    const p = this.starts[i];
    const e = this.ends[i];
    if (p >= e) return -1;
    const s = this.s;
    const d0 = s.charCodeAt(p) - 0x30;
    const d1 = s.charCodeAt(p + 1) - 0x30;
    const d2 = s.charCodeAt(p + 2) - 0x30;
    const d3 = s.charCodeAt(p + 3) - 0x30;
    const d4 = s.charCodeAt(p + 4) - 0x30;
    const d5 = s.charCodeAt(p + 5) - 0x30;
    // NaN (past the end) fails every range check below.
    if (!(e - p >= 6 && d0 >= 0 && d0 <= 2 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 5 && d3 >= 0 && d3 <= 9 && d4 >= 0 && d4 <= 6 && d5 >= 0 && d5 <= 9)) {
      this.malformed = true;
      return -1;
    }
    const h = d0 * 10 + d1;
    const sec = d4 * 10 + d5;
    if (h > 23 || sec > 60) {
      this.malformed = true;
      return -1;
    }
    let ns = 0;
    if (e - p > 6) {
      if (s.charCodeAt(p + 6) !== 0x2e) {
        this.malformed = true;
        return -1;
      }
      let k = 0;
      for (let q = p + 7; q < e; q++) {
        const c = s.charCodeAt(q) - 0x30;
        if (c < 0 || c > 9) {
          this.malformed = true;
          return -1;
        }
        if (k < 9) {
          ns = ns * 10 + c;
          k++;
        }
      }
      ns *= FRACTION_TO_NS[k];
    }
    return (h * 3600 + (d2 * 10 + d3) * 60 + sec) * NS_PER_S + ns;
  }

  /**
   * Fields i (ddmm.mmmm or dddmm.mmmm) and i+1 (hemisphere: N/S or E/W) as signed degrees;
   * NaN when either is empty, NaN and `malformed` when invalid. `max` is 90 or 180.
   */
  coordinate(i: number, max: number): number {
    if (this.empty(i) || this.empty(i + 1)) return NaN;
    const v = this.decimal(i);
    if (!(v >= 0)) {
      this.malformed = true;
      return NaN;
    }
    let out: number;
    const m = this.mantissa;
    if (m === m && this.fractionDigits <= 20) {
      // Degrees and minutes from the integer mantissa: exact until the final division (100·10^20
      // is still an exact double).
      const scale = POW10[this.fractionDigits];
      const deg = Math.floor(m / (100 * scale));
      const minutesScaled = m - deg * 100 * scale;
      if (minutesScaled >= 60 * scale || deg > max) {
        this.malformed = true;
        return NaN;
      }
      out = deg + minutesScaled / (60 * scale);
    } else {
      // More digits than a double holds exactly (rare: allocates). Degrees are the integer digits
      // before the last two; the minutes, those two digits and the fraction, are rounded once.
      const text = this.text(i).replace(/^[+-]/, '');
      const dot = text.indexOf('.');
      const whole = dot < 0 ? text : text.slice(0, dot);
      const deg = whole.length > 2 ? Number(whole.slice(0, -2)) : 0;
      // Judged on the whole minutes: 59.999… (too many 9s) rounds to 60 but is a valid field.
      const wholeMinutes = Number(whole.slice(-2) || '0');
      const minutes = Number(`${whole.slice(-2) || '0'}${dot < 0 ? '' : text.slice(dot)}`);
      if (!(wholeMinutes < 60) || !(deg <= max)) {
        this.malformed = true;
        return NaN;
      }
      out = deg + minutes / 60;
    }
    if (out > max) {
      this.malformed = true;
      return NaN;
    }
    const h = this.char(i + 1);
    if (h === 0x53 /* S */ || h === 0x57 /* W */) out = -out;
    else if (h !== 0x4e /* N */ && h !== 0x45 /* E */) {
      this.malformed = true;
      return NaN;
    }
    return out;
  }

  /** The date of ddmmyy (RMC) as days since 1970-01-01; -1 when empty, -1 and `malformed` when invalid. */
  ddmmyy(i: number, centuryHint: number): number {
    if (this.empty(i)) return -1;
    const v = this.uint(i);
    if (v < 0 || this.ends[i] - this.starts[i] !== 6) {
      this.malformed = true;
      return -1;
    }
    const day = Math.floor(v / 10000);
    const month = Math.floor(v / 100) % 100;
    const yy = v % 100;
    // A century learnt from ZDA wins; otherwise NMEA's 1980-2079 window.
    const year = centuryHint >= 0 ? centuryHint + yy : yy < 80 ? 2000 + yy : 1900 + yy;
    return civilToDays(year, month, day, this);
  }
}

/** Days since 1970-01-01 of a Gregorian date; -1 and `malformed` on the sink when invalid. */
export function civilToDays(year: number, month: number, day: number, sink?: { malformed: boolean }): number {
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && year >= 1970 && year < 2200)) {
    if (sink) sink.malformed = true;
    return -1;
  }
  // Howard Hinnant's days_from_civil.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

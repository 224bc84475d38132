// NMEA 0183 framing: bytes in arbitrary chunks → checksum-valid sentences, each with the receive
// time of the chunk that held its first byte ('$'). Pure: no I/O, no allocation per byte; one
// string per delivered sentence.
//
// Rules (bad input never stops the framer, it is counted and skipped):
// - A sentence starts at '$' (or '!', NMEA encapsulation) and ends at CR or LF.
// - Only printable ASCII (0x20-0x7E) may appear inside; any other byte aborts the partial sentence
//   (binary protocols such as UBX or RTCM interleaved on the same port) → garbageBytes.
// - A '$' inside a sentence restarts framing there; the cut-off partial line → garbageBytes.
// - Bytes between sentences other than CR/LF → garbageBytes.
// - Longer than maxLength characters (without CR/LF) → overlong, skipped up to CR/LF or the next '$'.
// - The line must end in '*hh' (hex, either case) matching the XOR of the characters between the
//   start character and '*'. No '*' → missingChecksum, wrong or malformed → badChecksum; both dropped
//   (a line without checksum cannot be told from line noise) unless acceptMissingChecksum is set.
import type { Time } from '../runtime/ros.js';

export interface FramerCounters {
  /** Sentences delivered. */
  sentences: number;
  badChecksum: number;
  missingChecksum: number;
  /** Bytes dropped outside sentences, from aborted partial sentences and from cut-off lines. */
  garbageBytes: number;
  /** Lines longer than maxLength. */
  overlong: number;
}

export interface NmeaFramerOptions {
  /** Longest sentence accepted, in characters from '$' to the checksum. Default 256 (NMEA says 82; receivers send more). */
  maxLength?: number;
  /** Deliver sentences that carry no '*hh' checksum (still counted in missingChecksum). Default false. */
  acceptMissingChecksum?: boolean;
}

const DOLLAR = 0x24;
const BANG = 0x21;
const STAR = 0x2a;
const CR = 0x0d;
const LF = 0x0a;

const enum State {
  /** Between sentences: waiting for '$'. */
  Hunt,
  /** Inside a sentence. */
  Body,
  /** After an over-long line: skipping to its end. */
  Skip,
}

const enum ByteClass {
  /** Printable ASCII other than the ones below: part of a sentence. */
  Ordinary,
  Star,
  /** CR or LF. */
  LineEnd,
  /** '$' or '!'. */
  Start,
  /** Anything else: not NMEA. */
  Invalid,
}

/** The class of every byte value, so the per-byte loop makes one comparison for most bytes. */
const BYTE_CLASS = new Uint8Array(256).fill(ByteClass.Invalid);
BYTE_CLASS.fill(ByteClass.Ordinary, 0x20, 0x7f);
BYTE_CLASS[STAR] = ByteClass.Star;
BYTE_CLASS[CR] = ByteClass.LineEnd;
BYTE_CLASS[LF] = ByteClass.LineEnd;
BYTE_CLASS[DOLLAR] = ByteClass.Start;
BYTE_CLASS[BANG] = ByteClass.Start;

/** Hex digit value of an ASCII code, -1 when not a hex digit. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

export class NmeaFramer {
  readonly counters: FramerCounters = { sentences: 0, badChecksum: 0, missingChecksum: 0, garbageBytes: 0, overlong: 0 };

  private readonly maxLength: number;
  private readonly acceptMissingChecksum: boolean;
  private readonly buf: Uint8Array;
  /** Buffer view of `buf` for latin1 decoding (one string per sentence, no intermediate copies). */
  private readonly text: Buffer;
  private state: State = State.Hunt;
  private len = 0;
  /** XOR of the characters after the start character, up to the current end. */
  private sum = 0;
  /** XOR up to (excluding) the last '*' seen, and that '*''s position; -1 when none. */
  private sumAtStar = 0;
  private starPos = -1;
  private firstByteTime: Time = { sec: 0, nanosec: 0 };

  constructor(
    private readonly onSentence: (sentence: string, firstByteTime: Time) => void,
    options: NmeaFramerOptions = {},
  ) {
    this.maxLength = Math.max(8, Math.floor(options.maxLength ?? 256));
    this.acceptMissingChecksum = options.acceptMissingChecksum ?? false;
    this.buf = new Uint8Array(this.maxLength);
    this.text = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Feeds the bytes of one read; `receiveTime` is when they arrived. */
  push(chunk: Uint8Array, receiveTime: Time): void {
    const buf = this.buf;
    const max = this.maxLength;
    const n = chunk.length;
    let state = this.state;
    let len = this.len;
    let sum = this.sum;
    let i = 0;
    while (i < n) {
      if (state === State.Body) {
        // The bulk of a sentence: ordinary characters up to the length limit, one table look-up each.
        const stop = Math.min(n, i + (max - len));
        let b = 0;
        for (; i < stop; i++) {
          b = chunk[i];
          if (BYTE_CLASS[b] !== ByteClass.Ordinary) break;
          buf[len++] = b;
          sum ^= b;
        }
        if (i === n) break;
        b = chunk[i++];
        const k = BYTE_CLASS[b];
        if (k === ByteClass.Ordinary || k === ByteClass.Star) {
          if (len === max) {
            this.counters.overlong++;
            state = State.Skip;
            continue;
          }
          // '*': the checksum should follow; a later '*' would move it (and fail the check).
          this.sumAtStar = sum;
          this.starPos = len;
          buf[len++] = b;
          sum ^= b;
        } else if (k === ByteClass.LineEnd) {
          this.len = len;
          this.sum = sum;
          this.finish();
          state = State.Hunt;
        } else {
          // A start character cuts the partial line off; anything else is not NMEA at all.
          this.counters.garbageBytes += len;
          if (k === ByteClass.Start) {
            len = this.begin(b, receiveTime);
            sum = 0;
          } else {
            this.counters.garbageBytes++;
            state = State.Hunt;
          }
        }
        continue;
      }
      const b = chunk[i++];
      const k = BYTE_CLASS[b];
      if (k === ByteClass.Start) {
        len = this.begin(b, receiveTime);
        sum = 0;
        state = State.Body;
      } else if (k === ByteClass.LineEnd) {
        if (state === State.Skip) state = State.Hunt;
      } else if (state === State.Hunt) {
        this.counters.garbageBytes++;
      }
    }
    this.state = state;
    this.len = len;
    this.sum = sum;
  }

  private begin(b: number, receiveTime: Time): number {
    this.buf[0] = b;
    this.starPos = -1;
    this.firstByteTime = receiveTime;
    return 1;
  }

  private finish(): void {
    const len = this.len;
    const star = this.starPos;
    if (star < 0) {
      this.counters.missingChecksum++;
      if (this.acceptMissingChecksum && len > 1) this.deliver(len);
      return;
    }
    if (star !== len - 3) {
      this.counters.badChecksum++;
      return;
    }
    const hi = HEX[this.buf[len - 2]];
    const lo = HEX[this.buf[len - 1]];
    if (hi < 0 || lo < 0 || ((hi << 4) | lo) !== this.sumAtStar) {
      this.counters.badChecksum++;
      return;
    }
    this.deliver(len);
  }

  private deliver(len: number): void {
    this.counters.sentences++;
    this.onSentence(this.text.toString('latin1', 0, len), this.firstByteTime);
  }
}

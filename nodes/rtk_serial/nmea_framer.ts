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
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if (state === State.Body) {
        if (b >= 0x20 && b <= 0x7e && b !== DOLLAR && b !== BANG) {
          if (len === max) {
            this.counters.overlong++;
            state = State.Skip;
            continue;
          }
          if (b === STAR) {
            this.sumAtStar = sum;
            this.starPos = len;
          }
          buf[len++] = b;
          sum ^= b;
          continue;
        }
        if (b === CR || b === LF) {
          this.len = len;
          this.sum = sum;
          this.finish();
          state = State.Hunt;
          continue;
        }
        // A start character cuts the partial line off; anything else is not NMEA at all.
        this.counters.garbageBytes += len;
        if (b === DOLLAR || b === BANG) {
          len = this.begin(b, receiveTime);
          sum = 0;
        } else {
          this.counters.garbageBytes++;
          state = State.Hunt;
        }
        continue;
      }
      if (b === DOLLAR || b === BANG) {
        len = this.begin(b, receiveTime);
        sum = 0;
        state = State.Body;
      } else if (b === CR || b === LF) {
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

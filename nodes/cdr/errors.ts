// The codec's two failures: a message that does not match its type (encode), and bytes that are
// not a valid CDR message of the type (decode).

/** A message does not match its definition. `path` is filled in as the error leaves nested checks. */
export class FieldError extends Error {
  readonly segments: (string | number)[] = [];
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'FieldError';
  }
  /** "status.service", "status[0].values[2].key", or "" for the message itself. */
  get path(): string {
    let out = '';
    for (const s of this.segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
    return out;
  }
}

/**
 * Bytes that cannot be a CDR message of `type`: truncated, a length beyond the bytes that remain,
 * a bound exceeded, an unsupported encapsulation. Thrown by decode; never a partial message.
 */
export class CdrError extends Error {
  constructor(
    /** The message type being decoded. */
    readonly type: string,
    /** The field being read: "header.frame_id", "markers[3].points", "" for the message itself. */
    readonly path: string,
    /** Byte offset in the buffer (encapsulation header included) where the problem was found. */
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${type}: ${path ? `field "${path}"` : 'message'} at byte ${offset}: ${problem}`);
    this.name = 'CdrError';
  }
}

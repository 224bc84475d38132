// What every bus-log reader yields (candump, ASAM MDF4 bus logging, Vector BLF and ASC), so the
// importer, can_bridge's recording source and `vil import --frames` take any of them alike.
//
// A reader streams: it never holds a whole file, yields frames in time order in batches, and ends
// with a RecordingError after the last good frame when the file is truncated or corrupt.

/** One CAN / CAN FD frame of a recording. */
export interface LogFrame {
  /**
   * Time of the frame: seconds and nanoseconds since the Unix epoch when the recording has an
   * absolute time base (MF4 HD start time, BLF header, candump), else since the measurement start
   * (ASC, a BLF with a zero start time): see RecordingInfo.absoluteTime.
   */
  sec: number;
  nanosec: number;
  /** Bus channel number exactly as recorded (MF4 BusChannel, BLF/ASC channel, candump canN → N). */
  channel: number;
  /** 11- or 29-bit identifier; 0 for an error frame that carries none. */
  id: number;
  extended: boolean;
  /** Remote transmission request. */
  rtr: boolean;
  /** Error frame (id and data carry what the recording gives, often nothing). */
  error: boolean;
  /** CAN FD frame (EDL). */
  fd: boolean;
  /** CAN FD bit-rate switch. */
  brs: boolean;
  /** CAN FD error state indicator. */
  esi: boolean;
  /** Transmitted by the recording device (Tx), not received. */
  tx: boolean;
  /**
   * Data length code as recorded: 0..15. Classic frames may carry 9..15 with 8 data bytes; for
   * remote frames, the requested length.
   */
  dlc: number;
  /** Payload (empty for remote frames). The reader never overwrites it: keep it if you like. */
  data: Uint8Array;
}

/** Why a record or block was left out, and how often. Keys are short reasons, e.g. "lin-frame". */
export type SkipCounters = Record<string, number>;

/** A group of a recording (MF4 channel group, BLF object type, ASC line kind) as `--list` shows it. */
export interface RecordingGroup {
  name: string;
  /** Frames it holds, when known without reading it all (MF4 cycle count of a finalised file). */
  frames?: number;
  /** What vil does with it: read, or skipped with the reason. */
  status: 'read' | { skipped: string };
  /** How it is stored, for people (`vil import --list`): "unsorted DG 1, record id 3, 9-byte records, ...". */
  detail?: string;
}

export interface RecordingInfo {
  path: string;
  format: 'candump' | 'mf4' | 'blf' | 'asc';
  /** Format details for people: "MDF 4.11, unfinalised (UnFinMF 37), unsorted", "BLF 2.6.8.1", ... */
  detail: string;
  /** True when frame times are since the Unix epoch. */
  absoluteTime: boolean;
  /** Start of the measurement as the file states it (sec/nanosec since the epoch), when it does. */
  start?: { sec: number; nanosec: number };
  groups: RecordingGroup[];
}

/** A truncated or corrupt recording: thrown after the last good frame has been yielded. */
export class RecordingError extends Error {
  constructor(
    readonly path: string,
    /** Byte offset in the file where reading failed, when known. */
    readonly offset: number | undefined,
    readonly problem: string,
  ) {
    super(`${path}${offset === undefined ? '' : ` (byte ${offset})`}: ${problem}`);
    this.name = 'RecordingError';
  }
}

export interface BusLogReader {
  readonly path: string;
  readonly format: RecordingInfo['format'];
  /** What the file holds, from its headers and block structure (without decoding every frame). */
  info(): Promise<RecordingInfo>;
  /**
   * The frames in time order (equal times keep file / group order), in batches of bounded size.
   * Throws RecordingError after the good frames when the file is truncated or corrupt.
   */
  batches(): AsyncIterable<readonly LogFrame[]>;
  /** What was left out so far, by reason (LIN frames, unknown objects, unreadable lines, ...). */
  readonly skipped: SkipCounters;
  /** Frees file handles early (batches() frees them when it ends). */
  close(): Promise<void>;
}

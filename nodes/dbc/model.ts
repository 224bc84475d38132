// The CAN database as plain data: what a DBC file says, resolved (comments, value tables, attribute
// values, multiplexing, float types folded into the messages and signals they name) but not yet
// compiled. dbc_parse.ts produces it, dbc_codec.ts compiles it into decoders. Kept free of
// behaviour so it can be built by hand in tests, serialised, or produced from another format.

/** Where an item was defined, for error messages that name file and line. */
export interface SourcePos {
  file: string;
  line: number;
}

export type ByteOrder = 'little_endian' | 'big_endian';

/** How the raw bits are interpreted (SIG_VALTYPE_ 0, 1, 2). */
export type ValueType = 'integer' | 'float32' | 'float64';

/** A value-table entry: raw value → label. */
export interface Choice {
  value: number;
  label: string;
}

export type AttributeValue = number | string;

export interface AttributeDefinition {
  name: string;
  /** Object kind it applies to; null = the database (network) itself. Relation kinds for BA_DEF_REL_. */
  kind: 'BU_' | 'BO_' | 'SG_' | 'EV_' | 'BU_SG_REL_' | 'BU_BO_REL_' | null;
  type: 'INT' | 'HEX' | 'FLOAT' | 'STRING' | 'ENUM';
  minimum: number | null;
  maximum: number | null;
  /** ENUM labels, index = value. */
  choices: string[] | null;
  default: AttributeValue | null;
  source: SourcePos;
}

export interface DbcSignal {
  /** The signal's name: its SystemSignalLongSymbol when the DBC gives one (as cantools names it), else the SG_ name. */
  name: string;
  /** The SG_ name (at most 32 characters in CANdb++ files) when a long name applies; config may use either. */
  shortName?: string;
  /** DBC start bit: LSB for little_endian, MSB in sawtooth numbering for big_endian. */
  start: number;
  length: number;
  byteOrder: ByteOrder;
  signed: boolean;
  valueType: ValueType;
  scale: number;
  offset: number;
  /** null when the file gives [0|0] (no range), as cantools reads it. */
  minimum: number | null;
  maximum: number | null;
  unit: string;
  receivers: string[];
  comment: string | null;
  choices: Choice[] | null;
  /** Mux switch ("M", or "mNM" in extended multiplexing). */
  isMultiplexer: boolean;
  /** The switch this signal depends on; null = always present. */
  multiplexerSignal: string | null;
  /** Switch values for which this signal is present (sorted, unique); null when not multiplexed. */
  multiplexerIds: number[] | null;
  attributes: Record<string, AttributeValue>;
  source: SourcePos;
}

export interface SignalGroup {
  name: string;
  repetitions: number;
  signals: string[];
}

export interface DbcMessage {
  /** 11- or 29-bit identifier (bit 31 of the DBC id already removed). */
  id: number;
  extended: boolean;
  /** SystemMessageLongSymbol when the DBC gives one (as cantools names it), else the BO_ name. */
  name: string;
  /** The BO_ name when a long name applies; config may use either. */
  shortName?: string;
  /** Declared payload length in bytes (0..64). */
  length: number;
  /** First sender from BO_, then BO_TX_BU_ ones; Vector__XXX dropped. */
  senders: string[];
  comment: string | null;
  /** VFrameFormat ends in CAN_FD (cantools's rule). */
  fd: boolean;
  /**
   * VFrameFormat J1939PG (cantools's protocol 'j1939'): extended frames match on the parameter group
   * number (any priority and source address; the destination of PDU1 groups ignored).
   */
  j1939?: boolean;
  /** CANFD_BRS attribute (or its default) when defined; null otherwise. */
  brs: boolean | null;
  /** GenMsgCycleTime in ms (attribute or definition default); null when absent or 0. */
  cycleTimeMs: number | null;
  /** GenMsgSendType resolved to its ENUM label when defined. */
  sendType: string | null;
  signals: DbcSignal[];
  signalGroups: SignalGroup[];
  attributes: Record<string, AttributeValue>;
  source: SourcePos;
}

export interface DbcNode {
  /** SystemNodeLongSymbol when given, else the BU_ name. */
  name: string;
  /** The BU_ name when a long name applies. */
  shortName?: string;
  comment: string | null;
  attributes: Record<string, AttributeValue>;
}

export interface EnvironmentVariable {
  name: string;
  type: number;
  minimum: number;
  maximum: number;
  unit: string;
  initial: number;
  id: number;
  accessType: string;
  accessNodes: string[];
  comment: string | null;
  choices: Choice[] | null;
}

/** A statement vil reads past without using (e.g. SGTYPE_, CAT_): listed, never silently dropped. */
export interface SkippedStatement {
  keyword: string;
  source: SourcePos;
}

/**
 * Something vil read past: a statement it could not parse or a message it cannot decode (left out,
 * the rest of the file works), or a well-formed reference to nothing (e.g. VAL_ for an unknown signal).
 */
export interface DbcWarning {
  message: string;
  source: SourcePos;
  /** Column of the token where a statement stopped parsing. */
  column?: number;
  /** What was left out because of it; absent when nothing was. */
  leftOut?: 'message' | 'statement';
}

/** A message left out of the database because of a defect in it; its frames are unknown ids. */
export interface DroppedMessage {
  /** Its name (long name when given), when the defect left it readable. */
  name: string | null;
  /** The BO_ name when it differs from `name`. */
  shortName?: string;
  /** 11- or 29-bit id, when readable. */
  id: number | null;
  extended: boolean;
  /** Why, for people: "signal S (start 60, 8 bits) needs 9 bytes but the message is 8 bytes long". */
  reason: string;
  source: SourcePos;
}

export interface DbcDatabase {
  file: string;
  version: string | null;
  nodes: DbcNode[];
  /** Bus comment (CM_ "..."), concatenated like CANdb++ when several. */
  comment: string | null;
  messages: DbcMessage[];
  valueTables: Record<string, Choice[]>;
  attributeDefinitions: Record<string, AttributeDefinition>;
  /** Database-level attribute values (BA_ without object). */
  attributes: Record<string, AttributeValue>;
  environmentVariables: EnvironmentVariable[];
  skipped: SkippedStatement[];
  warnings: DbcWarning[];
  /** Messages left out (each also has a warning). */
  dropped: DroppedMessage[];
}

// DBC text → DbcDatabase (plain data). Token rules and the meaning of every statement follow
// cantools (src/cantools/database/can/formats/dbc.py), the reference decoder: numbers, words and
// "strings" (with \" escapes, spanning lines), // comments skipped, statements in any order and
// across any number of lines. Statements vil does not use are listed in `skipped`.
//
// DBC files as users have them: a defect inside one statement or message does not refuse the
// file. A statement that cannot be parsed is left out with a warning naming file, line, column and
// what was expected, and parsing resumes at the next statement (the next keyword that begins a
// line); a message with a defect (a signal that cannot be parsed or runs past the message, an id
// that does not fit, a multiplex indicator without a number in a multiplexed message, ...) is left
// out with a warning and listed in `dropped`, so a configuration that names it can say why. Only a
// text with no readable statement at all is a DbcParseError. Well-formed references to things
// that do not exist are warnings too.
//
// Long names (CANdb++ keeps names to 32 characters and puts the full name in an attribute):
// SystemSignalLongSymbol, SystemMessageLongSymbol and SystemNodeLongSymbol name signals, messages
// and nodes, as cantools does; the short name stays in `shortName`.
import type {
  AttributeDefinition,
  AttributeValue,
  ByteOrder,
  Choice,
  DbcDatabase,
  DbcMessage,
  DbcNode,
  DbcSignal,
  DbcWarning,
  DroppedMessage,
  EnvironmentVariable,
  SignalGroup,
  SkippedStatement,
  SourcePos,
  ValueType,
} from './model.js';
import { bytesNeeded, signalSegments } from './bits.js';

export class DbcParseError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly expected: string;

  constructor(file: string, line: number, column: number, expected: string, detail: string) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'DbcParseError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.expected = expected;
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

const T = { Num: 0, Word: 1, Str: 2, Punct: 3, Eof: 4, Bad: 5 } as const;
type TokenKind = (typeof T)[keyof typeof T];

interface Token {
  kind: TokenKind;
  /** Number/word text, string contents (unescaped) or the punctuation character. */
  text: string;
  line: number;
  column: number;
  /** Word that is a DBC keyword (cannot be a name, ends lists of names). */
  keyword: boolean;
  /** First token on its line: where a statement can begin (parsing resumes there after a defect). */
  first: boolean;
  /** Position in the token list. */
  index: number;
}

const KEYWORDS = new Set([
  'BA_', 'BA_DEF_', 'BA_DEF_DEF_', 'BA_DEF_DEF_REL_', 'BA_DEF_REL_', 'BA_DEF_SGTYPE_', 'BA_REL_', 'BA_SGTYPE_',
  'BO_', 'BO_TX_BU_', 'BS_', 'BU_', 'BU_BO_REL_', 'BU_EV_REL_', 'BU_SG_REL_', 'CAT_', 'CAT_DEF_', 'CM_',
  'ENVVAR_DATA_', 'EV_', 'EV_DATA_', 'FILTER', 'NS_', 'NS_DESC_', 'SG_', 'SG_MUL_VAL_', 'SGTYPE_', 'SGTYPE_VAL_',
  'SIG_GROUP_', 'SIG_TYPE_REF_', 'SIG_VALTYPE_', 'SIGTYPE_VALTYPE_', 'VAL_', 'VAL_TABLE_', 'VERSION',
]);

/** Statements vil reads past (syntax: keyword ... ;) and lists in `skipped`. */
const SKIPPED_KEYWORDS = new Set([
  'CAT_', 'CAT_DEF_', 'FILTER', 'EV_DATA_', 'ENVVAR_DATA_', 'SGTYPE_', 'SGTYPE_VAL_', 'BA_DEF_SGTYPE_',
  'BA_SGTYPE_', 'SIG_TYPE_REF_', 'SIGTYPE_VALTYPE_', 'BU_SG_REL_', 'BU_EV_REL_', 'BU_BO_REL_', 'NS_DESC_',
]);

/** Multiplexer values of one SG_MUL_VAL_ statement, and of one signal over all of them. */
const MAX_MUX_VALUES = 65536;

const PUNCT = new Set(['(', ')', '[', ']', ',', '@', ';', ':', '|', '+', '-']);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let lastLine = 0;
  const n = src.length;
  const push = (kind: TokenKind, text: string, tokLine: number, column: number, keyword = false): void => {
    tokens.push({ kind, text, line: tokLine, column, keyword, first: tokLine !== lastLine, index: tokens.length });
    lastLine = tokLine;
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    const column = i - lineStart + 1;
    // `//` comment to the end of the line.
    if (c === 47 && src.charCodeAt(i + 1) === 47) {
      while (i < n && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    // Number: [-+]?\d+\.?\d*([eE][+-]?\d+)?  — tried before words, as in cantools.
    {
      let j = i;
      if (c === 43 || c === 45) j++;
      if (isDigit(src.charCodeAt(j))) {
        while (isDigit(src.charCodeAt(j))) j++;
        if (src.charCodeAt(j) === 46) {
          j++;
          while (isDigit(src.charCodeAt(j))) j++;
        }
        const e = src.charCodeAt(j);
        if (e === 101 || e === 69) {
          let k = j + 1;
          const s = src.charCodeAt(k);
          if (s === 43 || s === 45) k++;
          if (isDigit(src.charCodeAt(k))) {
            while (isDigit(src.charCodeAt(k))) k++;
            j = k;
          }
        }
        push(T.Num, src.slice(i, j), line, column);
        i = j;
        continue;
      }
    }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(src.charCodeAt(j))) j++;
      const text = src.slice(i, j);
      push(T.Word, text, line, column, KEYWORDS.has(text));
      i = j;
      continue;
    }
    if (c === 34) {
      // "..." with \" as an escaped quote; may span lines.
      const startLine = line;
      let j = i + 1;
      let out = '';
      let segStart = j;
      let endLine = line;
      let endLineStart = lineStart;
      for (;;) {
        if (j >= n) break;
        const d = src.charCodeAt(j);
        if (d === 92 && src.charCodeAt(j + 1) === 34) {
          out += src.slice(segStart, j) + '"';
          j += 2;
          segStart = j;
          continue;
        }
        if (d === 10) {
          endLine++;
          endLineStart = j + 1;
        }
        if (d === 34) break;
        j++;
      }
      if (j >= n) {
        // Never closed: the quote is a bad token (its statement is left out) and reading goes on
        // after it, so the statements that follow are not swallowed.
        push(T.Bad, '"', line, column);
        i++;
        continue;
      }
      line = endLine;
      lineStart = endLineStart;
      out += src.slice(segStart, j);
      push(T.Str, out, startLine, column);
      i = j + 1;
      continue;
    }
    const ch = src[i];
    push(PUNCT.has(ch) ? T.Punct : T.Bad, ch, line, column);
    i++;
  }
  push(T.Eof, '', line, i - lineStart + 1);
  tokens[tokens.length - 1].first = true;
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Raw statements (as written), resolved into the model afterwards like cantools does.

interface RawSignal {
  name: string;
  mux: string | null;
  start: number;
  length: number;
  byteOrder: ByteOrder;
  signed: boolean;
  scale: number;
  offset: number;
  minText: string;
  maxText: string;
  unit: string;
  receivers: string[];
  pos: SourcePos;
}

interface RawMessage {
  dbcId: number;
  name: string;
  length: number;
  sender: string;
  signals: RawSignal[];
  pos: SourcePos;
}

/** A statement that could not be parsed, and the message it was part of (when a BO_/SG_). */
interface ParseProblem {
  error: DbcParseError;
  keyword: string;
  message: { dbcId: number | null; name: string | null; pos: SourcePos } | null;
}

interface RawAttribute {
  name: string;
  target:
    | { kind: 'db' }
    | { kind: 'BO_'; id: number }
    | { kind: 'SG_'; id: number; signal: string }
    | { kind: 'BU_'; node: string }
    | { kind: 'EV_'; name: string };
  value: Token;
  pos: SourcePos;
}

interface RawMuxValues {
  dbcId: number;
  signal: string;
  multiplexer: string;
  ids: number[];
  pos: SourcePos;
}

class Parser {
  private p = 0;
  version: string | null = null;
  nodes: string[] = [];
  valueTables: Record<string, Choice[]> = {};
  messages: RawMessage[] = [];
  comments: { kind: 'db' | 'BO_' | 'SG_' | 'BU_' | 'EV_'; id?: number; name?: string; text: string; pos: SourcePos }[] = [];
  attrDefs: AttributeDefinition[] = [];
  attrDefaults = new Map<string, { value: Token; pos: SourcePos }>();
  attrs: RawAttribute[] = [];
  choices: { dbcId: number | null; name: string; choices: Choice[]; pos: SourcePos }[] = [];
  valTypes: { dbcId: number; signal: string; type: number; pos: SourcePos }[] = [];
  muxValues: RawMuxValues[] = [];
  senders: { dbcId: number; nodes: string[]; pos: SourcePos }[] = [];
  groups: { dbcId: number; group: SignalGroup; pos: SourcePos }[] = [];
  envVars: { ev: EnvironmentVariable; pos: SourcePos }[] = [];
  skipped: SkippedStatement[] = [];
  problems: ParseProblem[] = [];
  /** Statements parsed without a defect. */
  statements = 0;
  /** The message being parsed (BO_ and its SG_ lines), for ParseProblem. */
  private current: ParseProblem['message'] = null;
  /** Token at which the last DbcParseError was raised. */
  private failAt = 0;

  private readonly tokens: Token[];
  private readonly file: string;
  private readonly src: string;

  constructor(tokens: Token[], file: string, src: string) {
    this.tokens = tokens;
    this.file = file;
    this.src = src;
  }

  // -- token helpers ---------------------------------------------------------------------------

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.p + k, this.tokens.length - 1)];
  }
  private next(): Token {
    const t = this.tokens[this.p];
    if (t.kind !== T.Eof) this.p++;
    return t;
  }
  private pos(t: Token): SourcePos {
    return { file: this.file, line: t.line };
  }
  private describe(t: Token): string {
    switch (t.kind) {
      case T.Eof:
        return 'end of file';
      case T.Str:
        return `string ${JSON.stringify(t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text)}`;
      case T.Num:
        return `number ${t.text}`;
      case T.Word:
        return t.keyword ? `keyword ${t.text}` : `word ${t.text}`;
      case T.Bad:
        return t.text === '"' ? 'a string that is never closed' : `unexpected character ${JSON.stringify(t.text)}`;
      default:
        return `"${t.text}"`;
    }
  }
  fail(t: Token, expected: string, context: string): never {
    this.failAt = t.index;
    const lineText = this.src.split('\n')[t.line - 1]?.replace(/\r$/, '') ?? '';
    const shown = lineText.length > 120 ? `${lineText.slice(0, 117)}...` : lineText;
    throw new DbcParseError(
      this.file,
      t.line,
      t.column,
      expected,
      `${context}: expected ${expected}, found ${this.describe(t)}\n    ${shown}`,
    );
  }
  private punct(ch: string, ctx: string): Token {
    const t = this.next();
    if (t.kind !== T.Punct || t.text !== ch) this.fail(t, `"${ch}"`, ctx);
    return t;
  }
  private isPunct(ch: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === T.Punct && t.text === ch;
  }
  private word(ctx: string, what = 'a name'): string {
    const t = this.next();
    if (t.kind !== T.Word || t.keyword) this.fail(t, what, ctx);
    return t.text;
  }
  private keyword(kw: string, ctx: string): void {
    const t = this.next();
    if (t.kind !== T.Word || t.text !== kw) this.fail(t, kw, ctx);
  }
  private str(ctx: string, what = 'a "string"'): string {
    const t = this.next();
    if (t.kind !== T.Str) this.fail(t, what, ctx);
    return t.text;
  }
  private num(ctx: string, what = 'a number'): number {
    const t = this.next();
    if (t.kind !== T.Num) this.fail(t, what, ctx);
    return Number(t.text);
  }
  private numToken(ctx: string, what = 'a number'): Token {
    const t = this.next();
    if (t.kind !== T.Num) this.fail(t, what, ctx);
    return t;
  }
  private int(ctx: string, what = 'an integer'): number {
    const t = this.next();
    if (t.kind !== T.Num || !/^[-+]?\d+$/.test(t.text)) this.fail(t, what, ctx);
    return Number(t.text);
  }
  /** A DBC message id: unsigned integer, bit 31 = extended. */
  private msgId(ctx: string): number {
    const t = this.next();
    if (t.kind !== T.Num || !/^\+?\d+$/.test(t.text) || Number(t.text) > 0xffffffff) {
      this.fail(t, 'a message id (0..4294967295)', ctx);
    }
    return Number(t.text);
  }
  private semicolon(ctx: string): void {
    this.punct(';', ctx);
  }

  // -- statements ------------------------------------------------------------------------------

  parse(): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === T.Eof) return;
      const start = this.p;
      this.current = null;
      try {
        this.statement(t);
        this.statements++;
      } catch (e) {
        if (!(e instanceof DbcParseError)) throw e;
        this.problems.push({ error: e, keyword: t.kind === T.Word && t.keyword ? t.text : '', message: this.current });
        this.resync(start);
      }
    }
  }

  /**
   * After a defect: on to the next keyword that begins a line, at or after the token that failed
   * (a statement missing its ";" ends where the next one begins). SG_ lines are part of the
   * message before them, so they are passed over too.
   */
  private resync(start: number): void {
    let i = Math.max(this.failAt, start + 1);
    for (;;) {
      const t = this.tokens[Math.min(i, this.tokens.length - 1)];
      if (t.kind === T.Eof || (t.first && t.keyword && t.text !== 'SG_')) break;
      i++;
    }
    this.p = Math.min(i, this.tokens.length - 1);
  }

  private statement(t: Token): void {
    if (t.kind !== T.Word || !t.keyword) {
      this.fail(t, 'a DBC keyword (VERSION, BU_, BO_, CM_, BA_, VAL_, ...)', 'statement');
    }
    if (SKIPPED_KEYWORDS.has(t.text)) {
      this.skipStatement();
      return;
    }
    switch (t.text) {
      case 'VERSION':
        this.next();
        {
          const v = this.str('VERSION');
          if (this.version === null) this.version = v;
        }
        break;
      case 'NS_':
        this.parseNs();
        break;
      case 'BS_':
        this.parseBs();
        break;
      case 'BU_':
        this.parseBu();
        break;
      case 'VAL_TABLE_':
        this.parseValTable();
        break;
      case 'BO_':
        this.parseMessage();
        break;
      case 'BO_TX_BU_':
        this.parseSenders();
        break;
      case 'CM_':
        this.parseComment();
        break;
      case 'BA_DEF_':
        this.parseAttrDef(false);
        break;
      case 'BA_DEF_REL_':
        this.parseAttrDef(true);
        break;
      case 'BA_DEF_DEF_':
      case 'BA_DEF_DEF_REL_':
        this.parseAttrDefault();
        break;
      case 'BA_':
        this.parseAttr();
        break;
      case 'BA_REL_':
        this.parseAttrRel();
        break;
      case 'VAL_':
        this.parseChoices();
        break;
      case 'SIG_VALTYPE_':
        this.parseValType();
        break;
      case 'SG_MUL_VAL_':
        this.parseMuxValues();
        break;
      case 'SIG_GROUP_':
        this.parseSignalGroup();
        break;
      case 'EV_':
        this.parseEnvVar();
        break;
      case 'SG_':
        this.fail(t, 'BO_ before its signals', 'SG_ outside a message');
        break;
      default:
        this.fail(t, 'a supported DBC statement', 'statement');
    }
  }

  private skipStatement(): void {
    const kw = this.next();
    for (;;) {
      const t = this.next();
      if (t.kind === T.Eof || (t.first && t.keyword)) this.fail(t, `";" ending ${kw.text}`, kw.text);
      if (t.kind === T.Punct && t.text === ';') break;
    }
    this.skipped.push({ keyword: kw.text, source: this.pos(kw) });
  }

  /** NS_ : followed by the list of symbol names (keywords or words) until the next statement. */
  private parseNs(): void {
    this.next();
    this.punct(':', 'NS_');
    for (;;) {
      const t = this.peek();
      if (t.kind !== T.Word) break;
      const after = this.peek(1);
      // The next statement (BS_:, BU_:, or anything with arguments) ends the list.
      if ((after.kind === T.Punct && after.text === ':') || after.kind === T.Num || after.kind === T.Str) break;
      this.next();
    }
  }

  /** BS_ : [baudrate : BTR1 , BTR2] */
  private parseBs(): void {
    this.next();
    this.punct(':', 'BS_');
    if (this.peek().kind === T.Num) {
      this.num('BS_ baudrate');
      this.punct(':', 'BS_');
      this.num('BS_ BTR1');
      this.punct(',', 'BS_');
      this.num('BS_ BTR2');
    }
  }

  private parseBu(): void {
    this.next();
    this.punct(':', 'BU_');
    while (this.peek().kind === T.Word && !this.peek().keyword) {
      const name = this.next().text;
      if (!this.nodes.includes(name)) this.nodes.push(name);
    }
  }

  private parsePairs(ctx: string): Choice[] {
    const out: Choice[] = [];
    while (this.peek().kind === T.Num) {
      const value = this.int(ctx, 'an integer value');
      const label = this.str(ctx, 'a "label" after the value');
      out.push({ value, label });
    }
    return out;
  }

  private parseValTable(): void {
    this.next();
    const name = this.word('VAL_TABLE_', 'a value table name');
    const pairs = this.parsePairs(`VAL_TABLE_ ${name}`);
    this.semicolon(`VAL_TABLE_ ${name}`);
    this.valueTables[name] = pairs;
  }

  private parseMessage(): void {
    const kw = this.next();
    const ctx = 'BO_';
    this.current = { dbcId: null, name: null, pos: this.pos(kw) };
    const dbcId = this.msgId(ctx);
    this.current.dbcId = dbcId;
    const name = this.word(`BO_ ${dbcId}`, 'a message name');
    this.current.name = name;
    this.punct(':', `BO_ ${dbcId} ${name}`);
    const lenTok = this.next();
    if (lenTok.kind !== T.Num || !/^\d+$/.test(lenTok.text) || Number(lenTok.text) > 64) {
      this.fail(lenTok, 'a message length in bytes (0..64)', `BO_ ${dbcId} ${name}`);
    }
    const sender = this.word(`BO_ ${dbcId} ${name}`, 'the sending node (or Vector__XXX)');
    const msg: RawMessage = { dbcId, name, length: Number(lenTok.text), sender, signals: [], pos: this.pos(kw) };
    while (this.peek().kind === T.Word && this.peek().text === 'SG_') msg.signals.push(this.parseSignal(msg));
    this.messages.push(msg);
  }

  private parseSignal(msg: RawMessage): RawSignal {
    const kw = this.next();
    const name = this.word(`SG_ in BO_ ${msg.name}`, 'a signal name');
    const ctx = `SG_ ${name}`;
    let mux: string | null = null;
    // Any word here is a multiplex indicator to cantools (M, mN, mNM, or a quirk like a bare m,
    // judged once the message is complete).
    if (this.peek().kind === T.Word && !this.peek().keyword) mux = this.next().text;
    this.punct(':', ctx);
    const start = this.int(ctx, 'the start bit');
    this.punct('|', ctx);
    const length = this.int(ctx, 'the bit length');
    this.punct('@', ctx);
    const order = this.next();
    if (order.kind !== T.Num || (order.text !== '0' && order.text !== '1')) {
      this.fail(order, 'byte order 0 (Motorola) or 1 (Intel) after "@"', ctx);
    }
    const sign = this.next();
    if (sign.kind !== T.Punct || (sign.text !== '+' && sign.text !== '-')) {
      this.fail(sign, '"+" (unsigned) or "-" (signed) after the byte order', ctx);
    }
    this.punct('(', ctx);
    const scale = this.num(ctx, 'the scale factor');
    this.punct(',', ctx);
    const offset = this.num(ctx, 'the offset');
    this.punct(')', ctx);
    this.punct('[', ctx);
    const minText = this.numToken(ctx, 'the minimum').text;
    this.punct('|', ctx);
    const maxText = this.numToken(ctx, 'the maximum').text;
    this.punct(']', ctx);
    const unit = this.str(ctx, 'the "unit"');
    const receivers: string[] = [];
    receivers.push(this.word(ctx, 'the receiving node(s) (or Vector__XXX)'));
    for (;;) {
      if (this.isPunct(',')) {
        this.next();
        receivers.push(this.word(ctx, 'a receiving node after ","'));
      } else if (this.peek().kind === T.Word && !this.peek().keyword) {
        receivers.push(this.next().text);
      } else break;
    }
    if (length < 1 || length > 512) this.fail(kw, 'a signal length of 1..512 bits', ctx);
    return {
      name,
      mux,
      start,
      length,
      byteOrder: order.text === '0' ? 'big_endian' : 'little_endian',
      signed: sign.text === '-',
      scale,
      offset,
      minText,
      maxText,
      unit,
      receivers: receivers.length === 1 && receivers[0] === 'Vector__XXX' ? [] : receivers,
      pos: this.pos(kw),
    };
  }

  private parseSenders(): void {
    const kw = this.next();
    const dbcId = this.msgId('BO_TX_BU_');
    this.punct(':', `BO_TX_BU_ ${dbcId}`);
    const nodes = [this.word(`BO_TX_BU_ ${dbcId}`, 'a sending node')];
    while (this.isPunct(',')) {
      this.next();
      nodes.push(this.word(`BO_TX_BU_ ${dbcId}`, 'a sending node'));
    }
    this.semicolon(`BO_TX_BU_ ${dbcId}`);
    this.senders.push({ dbcId, nodes, pos: this.pos(kw) });
  }

  private parseComment(): void {
    const kw = this.next();
    const t = this.peek();
    const pos = this.pos(kw);
    if (t.kind === T.Str) {
      this.comments.push({ kind: 'db', text: this.next().text, pos });
    } else if (t.kind === T.Word && t.text === 'SG_') {
      this.next();
      const id = this.msgId('CM_ SG_');
      const name = this.word(`CM_ SG_ ${id}`, 'a signal name');
      this.comments.push({ kind: 'SG_', id, name, text: this.str(`CM_ SG_ ${id} ${name}`, 'the "comment"'), pos });
    } else if (t.kind === T.Word && t.text === 'BO_') {
      this.next();
      const id = this.msgId('CM_ BO_');
      this.comments.push({ kind: 'BO_', id, text: this.str(`CM_ BO_ ${id}`, 'the "comment"'), pos });
    } else if (t.kind === T.Word && (t.text === 'BU_' || t.text === 'EV_')) {
      this.next();
      const name = this.word(`CM_ ${t.text}`, 'a name');
      this.comments.push({ kind: t.text as 'BU_' | 'EV_', name, text: this.str(`CM_ ${t.text} ${name}`, 'the "comment"'), pos });
    } else {
      this.fail(t, 'SG_, BO_, BU_, EV_ or a "comment"', 'CM_');
    }
    this.semicolon('CM_');
  }

  private parseAttrDef(rel: boolean): void {
    const kw = this.next();
    const ctx = kw.text;
    let kind: AttributeDefinition['kind'] = null;
    const t = this.peek();
    if (t.kind === T.Word) {
      const allowed = rel ? ['BU_SG_REL_', 'BU_BO_REL_'] : ['SG_', 'BO_', 'EV_', 'BU_'];
      if (!allowed.includes(t.text)) this.fail(t, `${allowed.join(', ')} or the "attribute name"`, ctx);
      kind = this.next().text as AttributeDefinition['kind'];
    }
    const name = this.str(ctx, 'the "attribute name"');
    const typeTok = this.next();
    const types = ['INT', 'HEX', 'FLOAT', 'STRING', 'ENUM'];
    if (typeTok.kind !== T.Word || !types.includes(typeTok.text)) this.fail(typeTok, 'INT, HEX, FLOAT, STRING or ENUM', `${ctx} "${name}"`);
    const type = typeTok.text as AttributeDefinition['type'];
    const def: AttributeDefinition = { name, kind, type, minimum: null, maximum: null, choices: null, default: null, source: this.pos(kw) };
    if (type === 'ENUM') {
      const choices: string[] = [];
      if (this.peek().kind === T.Str) {
        choices.push(this.next().text);
        while (this.isPunct(',')) {
          this.next();
          choices.push(this.str(`${ctx} "${name}" ENUM`, 'an enum "label"'));
        }
      }
      def.choices = choices;
    } else if (type !== 'STRING') {
      const nums: number[] = [];
      while (this.peek().kind === T.Num) nums.push(this.num(ctx));
      if (nums.length >= 2) {
        def.minimum = nums[0];
        def.maximum = nums[1];
      }
    }
    this.semicolon(`${ctx} "${name}"`);
    this.attrDefs.push(def);
  }

  private parseAttrDefault(): void {
    const kw = this.next();
    const name = this.str(kw.text, 'the "attribute name"');
    const v = this.next();
    if (v.kind !== T.Num && v.kind !== T.Str) this.fail(v, 'a number or "string" default value', `${kw.text} "${name}"`);
    this.semicolon(`${kw.text} "${name}"`);
    if (kw.text === 'BA_DEF_DEF_') this.attrDefaults.set(name, { value: v, pos: this.pos(kw) });
  }

  private attrValue(ctx: string): Token {
    const v = this.next();
    if (v.kind !== T.Num && v.kind !== T.Str) this.fail(v, 'a number or "string" value', ctx);
    return v;
  }

  private parseAttr(): void {
    const kw = this.next();
    const name = this.str('BA_', 'the "attribute name"');
    const ctx = `BA_ "${name}"`;
    const t = this.peek();
    let target: RawAttribute['target'] = { kind: 'db' };
    if (t.kind === T.Word) {
      this.next();
      if (t.text === 'BO_') target = { kind: 'BO_', id: this.msgId(ctx) };
      else if (t.text === 'SG_') {
        const id = this.msgId(ctx);
        target = { kind: 'SG_', id, signal: this.word(ctx, 'a signal name') };
      } else if (t.text === 'BU_') target = { kind: 'BU_', node: this.word(ctx, 'a node name') };
      else if (t.text === 'EV_') target = { kind: 'EV_', name: this.word(ctx, 'an environment variable name') };
      else this.fail(t, 'BO_, SG_, BU_, EV_ or the value', ctx);
    }
    const value = this.attrValue(ctx);
    this.semicolon(ctx);
    this.attrs.push({ name, target, value, pos: this.pos(kw) });
  }

  private parseAttrRel(): void {
    const kw = this.next();
    const name = this.str('BA_REL_', 'the "attribute name"');
    const ctx = `BA_REL_ "${name}"`;
    const rel = this.next();
    if (rel.kind === T.Word && rel.text === 'BU_SG_REL_') {
      this.word(ctx, 'a node name');
      this.keyword('SG_', ctx);
      this.msgId(ctx);
      this.word(ctx, 'a signal name');
    } else if (rel.kind === T.Word && rel.text === 'BU_BO_REL_') {
      this.word(ctx, 'a node name');
      this.msgId(ctx);
    } else this.fail(rel, 'BU_SG_REL_ or BU_BO_REL_', ctx);
    this.attrValue(ctx);
    this.semicolon(ctx);
    // Node-relation attributes do not affect decoding; listed, not silently dropped.
    this.skipped.push({ keyword: 'BA_REL_', source: this.pos(kw) });
  }

  private parseChoices(): void {
    const kw = this.next();
    let dbcId: number | null = null;
    if (this.peek().kind === T.Num) dbcId = this.msgId('VAL_');
    const name = this.word('VAL_', dbcId === null ? 'an environment variable name' : 'a signal name');
    const ctx = dbcId === null ? `VAL_ ${name}` : `VAL_ ${dbcId} ${name}`;
    const choices = this.parsePairs(ctx);
    this.semicolon(ctx);
    this.choices.push({ dbcId, name, choices, pos: this.pos(kw) });
  }

  private parseValType(): void {
    const kw = this.next();
    const dbcId = this.msgId('SIG_VALTYPE_');
    const signal = this.word(`SIG_VALTYPE_ ${dbcId}`, 'a signal name');
    const ctx = `SIG_VALTYPE_ ${dbcId} ${signal}`;
    if (this.isPunct(':')) this.next();
    const tt = this.next();
    if (tt.kind !== T.Num || !['0', '1', '2', '3'].includes(tt.text)) this.fail(tt, 'value type 0 (integer), 1 (float) or 2 (double)', ctx);
    this.semicolon(ctx);
    this.valTypes.push({ dbcId, signal, type: Number(tt.text), pos: this.pos(kw) });
  }

  private parseMuxValues(): void {
    const kw = this.next();
    const dbcId = this.msgId('SG_MUL_VAL_');
    const signal = this.word(`SG_MUL_VAL_ ${dbcId}`, 'a signal name');
    const ctx = `SG_MUL_VAL_ ${dbcId} ${signal}`;
    const multiplexer = this.word(ctx, 'the multiplexer switch name');
    const ids: number[] = [];
    for (;;) {
      const lo = this.next();
      if (lo.kind !== T.Num || !/^\+?\d+$/.test(lo.text)) this.fail(lo, 'a range "low-high"', ctx);
      // "8-8" tokenizes as 8 and -8 (cantools reads the second number without its sign).
      let hiTok = this.next();
      if (hiTok.kind === T.Punct && hiTok.text === '-') hiTok = this.next();
      else if (!(hiTok.kind === T.Num && hiTok.text.startsWith('-'))) this.fail(hiTok, '"-high" of the range', ctx);
      if (hiTok.kind !== T.Num || !/^-?\d+$/.test(hiTok.text)) this.fail(hiTok, 'the upper bound of the range', ctx);
      const a = Number(lo.text);
      const b = Math.abs(Number(hiTok.text));
      if (b < a || b - a > 65535) this.fail(hiTok, 'an upper bound >= the lower bound (at most 65536 values)', ctx);
      // Ranges are expanded (as cantools does): bounded, or a short line becomes millions of values.
      if (ids.length + (b - a + 1) > MAX_MUX_VALUES) this.fail(hiTok, `at most ${MAX_MUX_VALUES} multiplexer values in one SG_MUL_VAL_`, ctx);
      for (let v = a; v <= b; v++) ids.push(v);
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      break;
    }
    this.semicolon(ctx);
    this.muxValues.push({ dbcId, signal, multiplexer, ids, pos: this.pos(kw) });
  }

  private parseSignalGroup(): void {
    const kw = this.next();
    const dbcId = this.msgId('SIG_GROUP_');
    const name = this.word(`SIG_GROUP_ ${dbcId}`, 'a group name');
    const ctx = `SIG_GROUP_ ${dbcId} ${name}`;
    const repetitions = this.int(ctx, 'the repetition count');
    this.punct(':', ctx);
    const signals: string[] = [];
    while (this.peek().kind === T.Word && !this.peek().keyword) {
      signals.push(this.next().text);
      if (this.isPunct(',')) this.next();
    }
    this.semicolon(ctx);
    this.groups.push({ dbcId, group: { name, repetitions, signals }, pos: this.pos(kw) });
  }

  private parseEnvVar(): void {
    const kw = this.next();
    const name = this.word('EV_', 'an environment variable name');
    const ctx = `EV_ ${name}`;
    this.punct(':', ctx);
    const type = this.int(ctx, 'the type (0 integer, 1 float, 2 string)');
    this.punct('[', ctx);
    const minimum = this.num(ctx, 'the minimum');
    this.punct('|', ctx);
    const maximum = this.num(ctx, 'the maximum');
    this.punct(']', ctx);
    const unit = this.str(ctx, 'the "unit"');
    const initial = this.num(ctx, 'the initial value');
    const id = this.num(ctx, 'the id');
    const accessType = this.word(ctx, 'the access type (DUMMY_NODE_VECTORn)');
    const accessNodes = [this.word(ctx, 'the access node')];
    while (this.isPunct(',') || (this.peek().kind === T.Word && !this.peek().keyword)) {
      if (this.isPunct(',')) this.next();
      accessNodes.push(this.word(ctx, 'an access node'));
    }
    this.semicolon(ctx);
    this.envVars.push({
      ev: { name, type, minimum, maximum, unit, initial, id, accessType, accessNodes, comment: null, choices: null },
      pos: this.pos(kw),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution: raw statements → model, with cantools's rules.

function attrTokenValue(def: AttributeDefinition | undefined, v: Token): AttributeValue {
  if (!def) return v.kind === T.Num ? Number(v.text) : v.text;
  switch (def.type) {
    case 'INT':
    case 'HEX':
      return v.kind === T.Num ? Math.trunc(Number(v.text)) : v.text;
    case 'FLOAT':
      return v.kind === T.Num ? Number(v.text) : v.text;
    case 'ENUM': {
      // Values are indices into the ENUM labels; resolve to the label (as cantools's properties do).
      if (v.kind === T.Num) {
        const idx = Math.trunc(Number(v.text));
        return def.choices && idx >= 0 && idx < def.choices.length ? def.choices[idx] : idx;
      }
      return v.text;
    }
    default:
      return v.text;
  }
}

/** cantools's VFrameFormat labels, for files that define the attribute as INT. */
const VFRAMEFORMAT_LABELS = [
  'StandardCAN', 'ExtendedCAN', 'reserved', 'J1939PG', 'reserved', 'reserved', 'reserved', 'reserved',
  'reserved', 'reserved', 'reserved', 'reserved', 'reserved', 'reserved', 'StandardCAN_FD', 'ExtendedCAN_FD',
];

/** Why a signal cannot be decoded from its message, or null. */
function signalDefect(m: DbcMessage, s: DbcSignal): string | null {
  if (s.length > 64) return `signal ${s.name} has ${s.length} bits; vil decodes signals of 1..64 bits`;
  if (!(Number.isInteger(s.start) && s.start >= 0 && s.start < 512)) return `signal ${s.name} has start bit ${s.start}; a start bit is 0..511 (a message has at most 64 bytes)`;
  // "1e309" reads as Infinity: every value would be ±Infinity or NaN and nothing could be encoded.
  if (!Number.isFinite(s.scale)) return `signal ${s.name} has scale ${s.scale}; scale and offset must be finite numbers`;
  if (!Number.isFinite(s.offset)) return `signal ${s.name} has offset ${s.offset}; scale and offset must be finite numbers`;
  if (s.valueType === 'float32' && s.length !== 32) return `signal ${s.name} is a float (SIG_VALTYPE_ 1) of ${s.length} bits, not 32`;
  if (s.valueType === 'float64' && s.length !== 64) return `signal ${s.name} is a double (SIG_VALTYPE_ 2) of ${s.length} bits, not 64`;
  const need = bytesNeeded(signalSegments(s.byteOrder, s.start, s.length));
  if (need > m.length) {
    return `signal ${s.name} (start ${s.start}, ${s.length} bits, ${s.byteOrder}) needs ${need} bytes but the message is ${m.length} bytes long`;
  }
  return null;
}

/** The text after "file:line:column: " of a DbcParseError, first line only. */
function problemText(e: DbcParseError): string {
  const m = e.message.split('\n')[0];
  const prefix = `${e.file}:${e.line}:${e.column}: `;
  return m.startsWith(prefix) ? m.slice(prefix.length) : m;
}

/**
 * Parses DBC text. `file` is only used in warnings and source positions. Defects leave the
 * statement or message out (see `warnings` and `dropped`); throws DbcParseError only when no
 * statement of the text can be read (not a DBC file).
 */
export function parseDbc(text: string, file = '<dbc>'): DbcDatabase {
  // Line endings as Python's universal newlines (what cantools reads): CRLF and CR become LF, so
  // multi-line comments read the same whichever tool wrote the file.
  const src = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const parser = new Parser(tokenize(src), file, src);
  parser.parse();
  if (parser.statements === 0 && parser.problems.length > 0) throw parser.problems[0].error;
  const warnings: DbcWarning[] = [];
  const warn = (message: string, source: SourcePos): void => {
    warnings.push({ message, source });
  };
  const dropped: DroppedMessage[] = [];
  /** DBC ids of messages left out: statements about them are not warned about again. */
  const droppedIds = new Set<number>();
  const drop = (dbcId: number | null, name: string | null, reason: string, source: SourcePos, column?: number): void => {
    const extended = dbcId !== null && dbcId >= 0x80000000;
    const id = dbcId === null ? null : extended ? dbcId - 0x80000000 : dbcId;
    if (dbcId !== null) droppedIds.add(dbcId);
    dropped.push({ name, id, extended, reason, source });
    const what = name ?? (id !== null ? `0x${id.toString(16)}` : '(unreadable)');
    warnings.push({ message: `message ${what} left out: ${reason}`, source, ...(column !== undefined ? { column } : {}), leftOut: 'message' });
  };
  const unknownMessage = (dbcId: number): boolean => !droppedIds.has(dbcId);

  for (const pr of parser.problems) {
    const e = pr.error;
    const source = { file, line: e.line };
    if (pr.message) drop(pr.message.dbcId, pr.message.name, problemText(e), source, e.column);
    else warnings.push({ message: `${pr.keyword || 'statement'} left out: ${problemText(e)}`, source, column: e.column, leftOut: 'statement' });
  }

  // Attribute definitions and defaults.
  const defs: Record<string, AttributeDefinition> = {};
  for (const d of parser.attrDefs) defs[d.name] = d;
  for (const [name, { value, pos }] of parser.attrDefaults) {
    const d = defs[name];
    if (!d) {
      warn(`BA_DEF_DEF_ for undefined attribute "${name}"`, pos);
      continue;
    }
    // Defaults of ENUMs are written as labels; INT/HEX/FLOAT as numbers.
    d.default = d.type === 'ENUM' || d.type === 'STRING' ? value.text : attrTokenValue(d, value);
  }

  // Messages. An id used twice: the later message takes it, as in cantools's frame-id lookup.
  const messages: DbcMessage[] = [];
  const byDbcId = new Map<number, DbcMessage>();
  const rawById = new Map<number, RawMessage>();
  for (const rm of parser.messages) {
    if (rm.name === 'VECTOR__INDEPENDENT_SIG_MSG') {
      // Holder for signals not assigned to a message (CANdb++); cantools discards it too.
      parser.skipped.push({ keyword: 'BO_ VECTOR__INDEPENDENT_SIG_MSG', source: rm.pos });
      droppedIds.add(rm.dbcId); // its comments and attributes go with it, silently
      continue;
    }
    const extended = rm.dbcId >= 0x80000000;
    const id = extended ? rm.dbcId - 0x80000000 : rm.dbcId;
    if (extended ? id > 0x1fffffff : id > 0x7ff) {
      drop(rm.dbcId, rm.name, `id ${rm.dbcId} (0x${id.toString(16)}) does not fit in ${extended ? 29 : 11} bits${extended ? '' : ' (an extended id has bit 31 set: id + 2147483648)'}`, rm.pos);
      continue;
    }
    const names = new Map<string, number>();
    let twice: RawSignal | null = null;
    for (const s of rm.signals) {
      if (names.has(s.name)) twice ??= s;
      else names.set(s.name, s.pos.line);
    }
    if (twice) {
      drop(rm.dbcId, rm.name, `signal ${twice.name} is defined twice (lines ${names.get(twice.name)} and ${twice.pos.line})`, twice.pos);
      continue;
    }
    const prior = byDbcId.get(rm.dbcId);
    if (prior) {
      messages.splice(messages.indexOf(prior), 1);
      drop(null, prior.name, `its id ${rm.dbcId} is used again by ${rm.name} (line ${rm.pos.line}), which takes it (as in cantools)`, prior.source);
      dropped[dropped.length - 1].id = id;
      dropped[dropped.length - 1].extended = extended;
    }
    const m: DbcMessage = {
      id,
      extended,
      name: rm.name,
      length: rm.length,
      senders: rm.sender === 'Vector__XXX' ? [] : [rm.sender],
      comment: null,
      fd: false,
      j1939: false,
      brs: null,
      cycleTimeMs: null,
      sendType: null,
      signals: [],
      signalGroups: [],
      attributes: {},
      source: rm.pos,
    };
    byDbcId.set(rm.dbcId, m);
    rawById.set(rm.dbcId, rm);
    messages.push(m);
  }

  // Multiplexer values per message: switch → signal → ids.
  const muxValues = new Map<number, Map<string, Map<string, number[]>>>();
  for (const mv of parser.muxValues) {
    if (!rawById.has(mv.dbcId)) {
      if (unknownMessage(mv.dbcId)) warn(`SG_MUL_VAL_ for unknown message ${mv.dbcId}`, mv.pos);
      continue;
    }
    let perMsg = muxValues.get(mv.dbcId);
    if (!perMsg) muxValues.set(mv.dbcId, (perMsg = new Map()));
    let perSwitch = perMsg.get(mv.multiplexer);
    if (!perSwitch) perMsg.set(mv.multiplexer, (perSwitch = new Map()));
    const known = perSwitch.get(mv.signal) ?? [];
    if (known.length + mv.ids.length > MAX_MUX_VALUES) {
      warnings.push({ message: `SG_MUL_VAL_ left out: SG_MUL_VAL_ ${mv.dbcId} ${mv.signal}: at most ${MAX_MUX_VALUES} multiplexer values for a signal`, source: mv.pos, leftOut: 'statement' });
      continue;
    }
    for (const id of mv.ids) known.push(id);
    perSwitch.set(mv.signal, known);
  }

  // Signals, multiplexing as cantools: one "M" → simple multiplexing (mN gives the id, SG_MUL_VAL_
  // adds ids); several "M" → extended multiplexing, where SG_MUL_VAL_ alone says which switch and ids.
  // Any indicator ending in M is a switch; with a simple switch every other indicator must carry
  // its id (cantools reads the digits after the first character and refuses the file otherwise;
  // vil leaves that message out).
  const sigByKey = new Map<string, DbcSignal>();
  for (const [dbcId, m] of byDbcId) {
    const rm = rawById.get(dbcId)!;
    let muxSwitch: string | null = null;
    for (const s of rm.signals) {
      if (s.mux !== null && s.mux.endsWith('M')) {
        if (muxSwitch === null) muxSwitch = s.name;
        else {
          muxSwitch = null;
          break;
        }
      }
    }
    if (muxSwitch !== null) {
      const bad = rm.signals.find((s) => s.mux !== null && !s.mux.endsWith('M') && !/^[A-Za-z_]\d+$/.test(s.mux));
      if (bad) {
        drop(dbcId, m.name, `signal ${bad.name} is marked "${bad.mux}" without a multiplexer value in a message multiplexed by ${muxSwitch} (write m<value>, e.g. m0)`, bad.pos);
        messages.splice(messages.indexOf(m), 1);
        byDbcId.delete(dbcId);
        rawById.delete(dbcId);
        continue;
      }
    }
    const perMsg = muxValues.get(dbcId);
    const signalToSwitch = new Map<string, string>();
    if (perMsg) for (const [sw, items] of perMsg) for (const name of items.keys()) signalToSwitch.set(name, sw);
    for (const s of rm.signals) {
      let multiplexerSignal: string | null = null;
      let ids: number[] = [];
      if (s.mux !== null) {
        if (muxSwitch !== null) {
          if (s.name !== muxSwitch) multiplexerSignal = muxSwitch;
          if (!s.mux.endsWith('M')) ids.push(Number(s.mux.slice(1)));
        } else {
          multiplexerSignal = signalToSwitch.get(s.name) ?? null;
        }
        const lookupSwitch = muxSwitch ?? multiplexerSignal;
        const extra = lookupSwitch !== null ? perMsg?.get(lookupSwitch)?.get(s.name) : undefined;
        if (extra) for (const id of extra) ids.push(id);
      }
      ids = [...new Set(ids)].sort((a, b) => a - b);
      const noRange = s.minText === '0' && s.maxText === '0';
      const sig: DbcSignal = {
        name: s.name,
        start: s.start,
        length: s.length,
        byteOrder: s.byteOrder,
        signed: s.signed,
        valueType: 'integer',
        scale: s.scale,
        offset: s.offset,
        minimum: noRange ? null : Number(s.minText),
        maximum: noRange ? null : Number(s.maxText),
        unit: s.unit,
        receivers: s.receivers,
        comment: null,
        choices: null,
        isMultiplexer: s.mux !== null && s.mux.endsWith('M'),
        multiplexerSignal,
        multiplexerIds: ids.length ? ids : null,
        attributes: {},
        source: s.pos,
      };
      if (multiplexerSignal === null && s.mux !== null && !sig.isMultiplexer) {
        warn(`signal ${m.name}.${s.name} is marked ${s.mux} but no multiplexer switch applies (decoded always, as cantools does)`, s.pos);
      }
      m.signals.push(sig);
      sigByKey.set(`${dbcId}\u0000${s.name}`, sig);
    }
    for (const sig of m.signals) {
      if (sig.multiplexerSignal === null) continue;
      const sw = m.signals.find((x) => x.name === sig.multiplexerSignal);
      if (!sw || !sw.isMultiplexer) {
        warn(`signal ${m.name}.${sig.name} depends on ${sig.multiplexerSignal}, which is not a multiplexer switch of the message (never decoded)`, sig.source);
      }
    }
  }
  const signalOf = (dbcId: number, name: string): DbcSignal | undefined => sigByKey.get(`${dbcId}\u0000${name}`);

  // Extra senders.
  for (const s of parser.senders) {
    const m = byDbcId.get(s.dbcId);
    if (!m) {
      if (unknownMessage(s.dbcId)) warn(`BO_TX_BU_ for unknown message ${s.dbcId}`, s.pos);
      continue;
    }
    for (const n of s.nodes) if (n !== 'Vector__XXX' && !m.senders.includes(n)) m.senders.push(n);
  }

  // Comments.
  let busComment: string | null = null;
  const nodeComments = new Map<string, string>();
  const evComments = new Map<string, string>();
  for (const c of parser.comments) {
    if (c.kind === 'db') busComment = (busComment ?? '') + c.text;
    else if (c.kind === 'BO_') {
      const m = byDbcId.get(c.id!);
      if (m) m.comment = c.text;
      else if (unknownMessage(c.id!)) warn(`CM_ BO_ for unknown message ${c.id}`, c.pos);
    } else if (c.kind === 'SG_') {
      const s = signalOf(c.id!, c.name!);
      if (s) s.comment = c.text;
      else if (unknownMessage(c.id!)) warn(`CM_ SG_ for unknown signal ${c.id} ${c.name}`, c.pos);
    } else if (c.kind === 'BU_') nodeComments.set(c.name!, c.text);
    else evComments.set(c.name!, c.text);
  }

  // Attributes.
  const dbAttributes: Record<string, AttributeValue> = {};
  const nodeAttributes = new Map<string, Record<string, AttributeValue>>();
  /** SystemMessageLongSymbol by DBC id, also of messages left out (their warnings use it). */
  const messageLongNames = new Map<number, string>();
  for (const a of parser.attrs) {
    const def = defs[a.name];
    if (!def) warn(`BA_ "${a.name}" has no BA_DEF_`, a.pos);
    const value = attrTokenValue(def, a.value);
    const t = a.target;
    if (t.kind === 'db') dbAttributes[a.name] = value;
    else if (t.kind === 'BO_') {
      if (a.name === 'SystemMessageLongSymbol' && typeof value === 'string' && value !== '') messageLongNames.set(t.id, value);
      const m = byDbcId.get(t.id);
      if (m) m.attributes[a.name] = value;
      else if (unknownMessage(t.id)) warn(`BA_ "${a.name}" for unknown message ${t.id}`, a.pos);
    } else if (t.kind === 'SG_') {
      const s = signalOf(t.id, t.signal);
      if (s) s.attributes[a.name] = value;
      else if (unknownMessage(t.id)) warn(`BA_ "${a.name}" for unknown signal ${t.id} ${t.signal}`, a.pos);
    } else if (t.kind === 'BU_') {
      let rec = nodeAttributes.get(t.node);
      if (!rec) nodeAttributes.set(t.node, (rec = {}));
      rec[a.name] = value;
    }
  }

  // Value descriptions.
  const envVars = parser.envVars.map((e) => e.ev);
  for (const c of parser.choices) {
    if (c.choices.length === 0) continue;
    if (c.dbcId === null) {
      const ev = envVars.find((e) => e.name === c.name);
      if (ev) ev.choices = c.choices;
      else warn(`VAL_ for unknown environment variable ${c.name}`, c.pos);
      continue;
    }
    const s = signalOf(c.dbcId, c.name);
    if (s) s.choices = c.choices;
    else if (unknownMessage(c.dbcId)) warn(`VAL_ for unknown signal ${c.dbcId} ${c.name}`, c.pos);
  }
  for (const ev of envVars) ev.comment = evComments.get(ev.name) ?? null;

  // Value types (IEEE float/double); a length that does not match leaves the message out below.
  for (const v of parser.valTypes) {
    const s = signalOf(v.dbcId, v.signal);
    if (!s) {
      if (unknownMessage(v.dbcId)) warn(`SIG_VALTYPE_ for unknown signal ${v.dbcId} ${v.signal}`, v.pos);
      continue;
    }
    if (v.type === 3) warn(`SIG_VALTYPE_ ${v.dbcId} ${v.signal} : 3 is not a defined value type (read as integer)`, v.pos);
    s.valueType = v.type === 1 ? 'float32' : v.type === 2 ? 'float64' : 'integer';
  }

  // Signal groups.
  for (const g of parser.groups) {
    const m = byDbcId.get(g.dbcId);
    if (m) m.signalGroups.push(g.group);
    else if (unknownMessage(g.dbcId)) warn(`SIG_GROUP_ for unknown message ${g.dbcId}`, g.pos);
  }

  // Per-message attributes cantools interprets.
  const labelOf = (m: DbcMessage, name: string): AttributeValue | null => {
    const v = m.attributes[name];
    if (v !== undefined) return v;
    return defs[name]?.default ?? null;
  };
  for (const m of messages) {
    let frameFormat = labelOf(m, 'VFrameFormat');
    if (typeof frameFormat === 'number') frameFormat = VFRAMEFORMAT_LABELS[frameFormat] ?? null;
    m.fd = typeof frameFormat === 'string' && frameFormat.endsWith('CAN_FD');
    m.j1939 = frameFormat === 'J1939PG';
    const brs = defs.CANFD_BRS ? labelOf(m, 'CANFD_BRS') : null;
    m.brs = brs === null ? null : String(brs) === '1';
    if (defs.GenMsgCycleTime) {
      const c = labelOf(m, 'GenMsgCycleTime');
      m.cycleTimeMs = typeof c === 'number' && c !== 0 ? c : null;
    }
    if (defs.GenMsgSendType) {
      const st = labelOf(m, 'GenMsgSendType');
      m.sendType = st === null ? null : String(st);
    }
  }

  // Messages with a signal that cannot be decoded are left out (cantools refuses such files).
  for (const m of [...messages]) {
    for (const s of m.signals) {
      const defect = signalDefect(m, s);
      if (defect === null) continue;
      const dbcId = m.extended ? m.id + 0x80000000 : m.id;
      drop(dbcId, m.name, defect, s.source);
      messages.splice(messages.indexOf(m), 1);
      byDbcId.delete(dbcId);
      break;
    }
  }

  // Long names, as cantools names things: the attribute's value replaces the short name.
  const longName = (attrs: Record<string, AttributeValue> | undefined, key: string): string | null => {
    const v = attrs?.[key];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const nodeName = (short: string): string => longName(nodeAttributes.get(short), 'SystemNodeLongSymbol') ?? short;
  for (const m of messages) {
    const long = longName(m.attributes, 'SystemMessageLongSymbol');
    if (long !== null && long !== m.name) {
      m.shortName = m.name;
      m.name = long;
    }
    const renamed = new Map<string, string>();
    for (const s of m.signals) {
      const sl = longName(s.attributes, 'SystemSignalLongSymbol');
      if (sl !== null && sl !== s.name) {
        renamed.set(s.name, sl);
        s.shortName = s.name;
        s.name = sl;
      }
      s.receivers = s.receivers.map(nodeName);
    }
    if (renamed.size) {
      for (const s of m.signals) if (s.multiplexerSignal !== null) s.multiplexerSignal = renamed.get(s.multiplexerSignal) ?? s.multiplexerSignal;
      for (const g of m.signalGroups) g.signals = g.signals.map((n) => renamed.get(n) ?? n);
    }
    m.senders = m.senders.map(nodeName);
  }
  for (const d of dropped) {
    if (d.id === null || d.name === null) continue;
    const long = messageLongNames.get(d.extended ? d.id + 0x80000000 : d.id);
    if (long !== undefined && long !== d.name) {
      d.shortName = d.name;
      d.name = long;
    }
  }
  const seenNames = new Map<string, DbcMessage>();
  for (const m of messages) {
    const other = seenNames.get(m.name);
    if (other) warn(`message name ${m.name} is used by ids 0x${other.id.toString(16)} (line ${other.source.line}) and 0x${m.id.toString(16)}; by name, the later one is found`, m.source);
    seenNames.set(m.name, m);
  }

  const nodes: DbcNode[] = parser.nodes.map((name) => {
    const long = nodeName(name);
    return {
      name: long,
      ...(long !== name ? { shortName: name } : {}),
      comment: nodeComments.get(name) ?? null,
      attributes: nodeAttributes.get(name) ?? {},
    };
  });

  warnings.sort((a, b) => a.source.line - b.source.line);
  return {
    file,
    version: parser.version,
    nodes,
    comment: busComment,
    messages,
    valueTables: parser.valueTables,
    attributeDefinitions: defs,
    attributes: dbAttributes,
    environmentVariables: envVars,
    skipped: parser.skipped,
    warnings,
    dropped,
  };
}

// The I/O edge of the DBC core: read a file, pick its text encoding, parse, compile.
import { readFileSync } from 'node:fs';
import { parseDbc } from './dbc_parse.js';
import { decodeDbcBytes, type DbcTextEncoding } from './dbc_text.js';
import { compileDatabase, type CanDatabase } from './dbc_codec.js';
import type { DbcDatabase } from './dbc_model.js';

/** Reads and parses a DBC file (UTF-8 when valid, else cp1252). Throws DbcParseError. */
export function readDbcFile(path: string): { model: DbcDatabase; encoding: DbcTextEncoding } {
  const { text, encoding } = decodeDbcBytes(readFileSync(path));
  return { model: parseDbc(text, path), encoding };
}

/** Reads, parses and compiles a DBC file. Throws DbcParseError or ConfigError. */
export function loadDbcFile(path: string, options: { codegen?: boolean } = {}): CanDatabase {
  return compileDatabase(readDbcFile(path).model, options);
}

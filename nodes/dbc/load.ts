// The I/O edge of the DBC core: read a file, pick its text encoding, parse, compile.
import { readFileSync } from 'node:fs';
import { DbcParseError, parseDbc } from './parse.js';
import { ConfigError } from '../runtime/errors.js';
import { decodeDbcBytes, type DbcTextEncoding } from './text.js';
import { compileDatabase, type CanDatabase } from './codec.js';
import type { DbcDatabase, DbcWarning } from './model.js';

/** "file:line[:column]: message", one warning as the tools print it. */
export function formatDbcWarning(w: DbcWarning): string {
  return `${w.source.file}:${w.source.line}${w.column !== undefined ? `:${w.column}` : ''}: ${w.message}`;
}

/**
 * The warnings of a loaded DBC for people, once: what was left out first (messages, then
 * statements), then the rest (references to nothing, names used twice). Empty when the file is clean.
 */
export function describeDbcWarnings(db: CanDatabase): string[] {
  const w = db.warnings;
  if (w.length === 0) return [];
  const messages = w.filter((x) => x.leftOut === 'message');
  const statements = w.filter((x) => x.leftOut === 'statement');
  const other = w.filter((x) => !x.leftOut);
  const file = db.model.file;
  const counts = [
    messages.length ? `${messages.length} message${messages.length === 1 ? '' : 's'} left out` : '',
    statements.length ? `${statements.length} statement${statements.length === 1 ? '' : 's'} left out` : '',
    other.length ? `${other.length} other warning${other.length === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return [`DBC ${file}: ${counts.join(', ')}:`, ...[...messages, ...statements, ...other].map((x) => `  ${formatDbcWarning(x)}`)];
}

/**
 * Reads and parses a DBC file (UTF-8 when valid, else cp1252). Defects are warnings in the model;
 * throws DbcParseError only when nothing in the file is readable as DBC.
 */
export function readDbcFile(path: string): { model: DbcDatabase; encoding: DbcTextEncoding } {
  const { text, encoding } = decodeDbcBytes(readFileSync(path));
  return { model: parseDbc(text, path), encoding };
}

/** Reads, parses and compiles a DBC file (see readDbcFile). Throws DbcParseError or a file error. */
export function loadDbcFile(path: string, options: { codegen?: boolean } = {}): CanDatabase {
  return compileDatabase(readDbcFile(path).model, options);
}

/**
 * For nodes: loads the DBC named by a parameter, turning every failure into a ConfigError that
 * names the file (and line), the parameter and the fix.
 */
export function loadDbcConfig(path: string, param: string, options: { codegen?: boolean } = {}): CanDatabase {
  try {
    return loadDbcFile(path, options);
  } catch (e) {
    if (e instanceof DbcParseError) {
      throw new ConfigError({
        source: `${e.file}:${e.line}:${e.column}`,
        key: param,
        problem: `the DBC file cannot be read: ${e.message.slice(e.message.indexOf(': ') + 2).split('\n')[0]}`,
        fix: `correct that line (expected ${e.expected}) or set ${param} to another DBC file`,
      });
    }
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) {
      throw new ConfigError({ source: path, key: param, problem: `cannot read the DBC file (${code})`, fix: `set ${param} to an existing, readable DBC file` });
    }
    throw e;
  }
}

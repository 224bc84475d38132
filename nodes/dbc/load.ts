// The I/O edge of the DBC core: read a file, pick its text encoding, parse, compile.
import { readFileSync } from 'node:fs';
import { DbcParseError, parseDbc } from './parse.js';
import { ConfigError } from '../runtime/errors.js';
import { decodeDbcBytes, type DbcTextEncoding } from './text.js';
import { compileDatabase, type CanDatabase } from './codec.js';
import type { DbcDatabase } from './model.js';

/** Reads and parses a DBC file (UTF-8 when valid, else cp1252). Throws DbcParseError. */
export function readDbcFile(path: string): { model: DbcDatabase; encoding: DbcTextEncoding } {
  const { text, encoding } = decodeDbcBytes(readFileSync(path));
  return { model: parseDbc(text, path), encoding };
}

/** Reads, parses and compiles a DBC file. Throws DbcParseError or ConfigError. */
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

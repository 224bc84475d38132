// Shared by the DBC tests: fixture paths and hex helpers.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { loadDbcFile, readDbcFile } from '../../nodes/dbc/load.js';
import type { CanDatabase } from '../../nodes/dbc/codec.js';

export const DBC_DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/dbc');

export const DBC_FILES = readdirSync(DBC_DIR)
  .filter((f) => f.toLowerCase().endsWith('.dbc'))
  .sort();

export function dbcPath(name: string): string {
  return join(DBC_DIR, name);
}

export function load(name: string, codegen = true): CanDatabase {
  return loadDbcFile(dbcPath(name), { codegen });
}

export function model(name: string): ReturnType<typeof readDbcFile> {
  return readDbcFile(dbcPath(name));
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s.]/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export { prng as rng } from '../helpers/prng.js';

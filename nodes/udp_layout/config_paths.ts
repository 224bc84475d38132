// Config values both UDP nodes read: a layout path and a host:port destination, with ConfigErrors
// that name where they came from.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../runtime/errors.js';
import { projectRoot } from '../runtime/msg_registry.js';
import { parseHostPort } from './udp_sender.js';

/**
 * A config file path: absolute; else relative to `baseDir` (the file that names it) when given;
 * else to the working directory, then to the vil project (so `config/layouts/x.yaml` works from
 * anywhere).
 */
export function resolveConfigPath(path: string, source: string, key: string, baseDir?: string): string {
  const tried: string[] = [];
  const candidates = isAbsolute(path) ? [path] : baseDir ? [resolve(baseDir, path)] : [resolve(path), resolve(projectRoot(), path)];
  for (const c of candidates) {
    tried.push(c);
    if (existsSync(c)) return c;
  }
  throw new ConfigError({ source, key, problem: `file not found: ${tried.join(', ')}`, fix: 'give an existing layout file (absolute, or relative to the config file that names it)' });
}

export function destinationFromText(text: string, source: string, key: string): { host: string; port: number } {
  const d = parseHostPort(text.trim());
  if (!d) throw new ConfigError({ source, key, problem: `"${text}" is not host:port`, fix: 'write e.g. 192.168.140.10:30001 (port 1..65535)' });
  return d;
}

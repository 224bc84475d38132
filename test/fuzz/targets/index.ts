// The fuzz targets by name, loaded on demand (each pulls in its parser and fixtures).
import type { FuzzTarget } from '../target.js';

const LOADERS: Record<string, () => Promise<FuzzTarget>> = {
  nmea: async () => (await import('./nmea.js')).nmeaTarget,
  candump: async () => (await import('./candump.js')).candumpTarget,
  cdr: async () => (await import('./cdr.js')).cdrTarget,
  dbc: async () => (await import('./dbc.js')).dbcTarget,
  buslog: async () => (await import('./buslog.js')).buslogTarget,
  udp: async () => (await import('./udp.js')).udpTarget,
  params: async () => (await import('./params.js')).paramsTarget,
};

export const TARGET_NAMES: readonly string[] = Object.keys(LOADERS);

export async function loadTarget(name: string): Promise<FuzzTarget> {
  const load = LOADERS[name];
  if (!load) throw new Error(`unknown fuzz target ${name}; targets: ${TARGET_NAMES.join(', ')}`);
  return load();
}

// The routes file of dspace_relay (YAML, named by the `routes_file` parameter): which topic of
// which type goes through which layout to which host:port, on every message or at a fixed rate.
// Validated with zod; errors name file:line and the key (routes[2].layout).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LineCounter, isNode, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../runtime/errors.js';
import { formatPath } from '../udp_layout/schema.js';
import { parseHostPort } from '../udp_layout/udp_sender.js';

const routeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  topic: z.string().min(1),
  type: z.string().regex(/^[A-Za-z0-9_]+\/(msg\/)?[A-Za-z0-9_]+$/, 'expected pkg/msg/Type'),
  layout: z.string().min(1),
  destination: z.string().refine((d) => parseHostPort(d) !== undefined, 'expected host:port (port 1..65535)'),
  mode: z.enum(['on_message', 'rate']).default('on_message'),
  rate_hz: z.number().positive().max(10000).optional(),
  stale_timeout_ms: z.number().positive().optional(),
  qos: z.enum(['sensor_data', 'default']).default('sensor_data'),
  /** Subscription queue (keep_last) depth: how many messages may wait while the node is busy. */
  depth: z.number().int().min(1).max(100000).optional(),
  multicast: z.strictObject({ ttl: z.number().int().min(0).max(255).default(1), interface: z.string().optional(), loopback: z.boolean().default(true) }).optional(),
  bind: z.strictObject({ address: z.string().optional(), port: z.number().int().min(0).max(65535).default(0) }).optional(),
});

const fileSchema = z.strictObject({
  routes: z.array(z.unknown()).min(1, 'at least one route'),
});

export type RouteSpec = z.infer<typeof routeSchema> & {
  host: string;
  port: number;
  /** Layout path as written, and the directory it is relative to. */
  baseDir: string;
  /** "file:line" of the route, for errors found later (layout compile). */
  where: (key: string) => { source: string; key: string };
};

export function loadRoutesFile(file: string): RouteSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError({ source: file, key: 'routes_file', problem: `cannot read it (${(e as Error).message})`, fix: 'check the routes_file parameter' });
  }
  return parseRoutes(text, file);
}

export function parseRoutes(text: string, file: string): RouteSpec[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ConfigError({ source: `${file}:${e.linePos?.[0]?.line ?? '?'}`, key: '(YAML)', problem: `not valid YAML: ${e.message.split('\n')[0]}`, fix: 'correct the YAML syntax at that line' });
  }
  const where = (path: (string | number)[]): string => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return `${file}:${lc.linePos(node.range[0]).line}`;
    }
    return file;
  };
  const fail = (path: (string | number)[], problem: string, fix: string): never => {
    throw new ConfigError({ source: where(path), key: formatPath(path), problem, fix });
  };
  const check = <S extends z.ZodType>(schema: S, v: unknown, base: (string | number)[]): z.infer<S> => {
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const path = [...base, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') return fail([...path, issue.keys[0]], `unknown key "${issue.keys[0]}"`, 'remove it or correct its spelling (see the dspace_relay routes reference)');
    return fail(path, issue.message, 'see the dspace_relay routes reference');
  };
  const top = check(fileSchema, doc.toJS() ?? {}, []);
  const names = new Set<string>();
  return top.routes.map((raw, i) => {
    const base = ['routes', i];
    const r = check(routeSchema, raw, base);
    if (names.has(r.name)) fail([...base, 'name'], `route name "${r.name}" is used twice`, 'give every route its own name (it names the diagnostics status)');
    names.add(r.name);
    if (r.mode === 'rate' && r.rate_hz === undefined) fail([...base, 'rate_hz'], 'mode rate needs rate_hz', 'add rate_hz: <Hz>');
    if (r.mode === 'on_message' && r.rate_hz !== undefined) fail([...base, 'rate_hz'], 'rate_hz applies to mode: rate only', 'remove rate_hz or set mode: rate');
    const hp = parseHostPort(r.destination)!;
    return {
      ...r,
      host: hp.host,
      port: hp.port,
      baseDir: dirname(file),
      where: (key: string) => ({ source: where([...base, key]), key: formatPath([...base, key]) }),
    };
  });
}

// Test helpers: the independent Python struct receiver (test/udp/struct_receiver.py).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';

export const STRUCT_RECEIVER = new URL('./struct_receiver.py', import.meta.url).pathname;

/** What struct_receiver.py prints per datagram. */
export interface PyPacket {
  size: number;
  expected_size: number;
  payload_size: number;
  header: Record<string, number | string>;
  fields: Record<string, any>;
  crc_ok?: boolean;
}

/**
 * Starts the Python receiver on 127.0.0.1 for `count` datagrams of the layout in `yamlFile`
 * (converted to JSON here with the yaml package: Python reads the same document, decoding it by
 * its own rules). Resolves `port` once bound; `packets` resolves when all arrived.
 */
export async function startStructReceiver(yamlFile: string, count: number, timeoutS = 20, port = 0, group = ''): Promise<{ port: number; packets: Promise<PyPacket[]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'vil-udp-'));
  const jsonFile = join(dir, 'layout.json');
  writeFileSync(jsonFile, JSON.stringify(parse(readFileSync(yamlFile, 'utf8'))));
  const child = spawn('python3', [STRUCT_RECEIVER, jsonFile, String(count), String(timeoutS), String(port), group], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout });
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new Error(`struct_receiver.py did not start: ${stderr}`);
  const bound = (JSON.parse(first.value) as { port: number }).port;
  const packets = (async () => {
    const out: PyPacket[] = [];
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      const o = JSON.parse(n.value);
      if (o.timeout) throw new Error(`struct_receiver.py: timed out after ${out.length}/${count} packets`);
      out.push(o);
    }
    const code: number = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c ?? -1))));
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`struct_receiver.py exited ${code}: ${stderr}`);
    return out;
  })();
  return { port: bound, packets };
}

/**
 * The Python receiver without a packet count: `packets` fills as datagrams arrive; `until` waits
 * for a condition on them (no time window: a test states what it waits for); `stop` ends it.
 */
export async function startStructStream(yamlFile: string): Promise<{
  port: number;
  packets: PyPacket[];
  until(what: string, pred: (p: PyPacket[]) => boolean, limitMs?: number): Promise<void>;
  stop(): Promise<PyPacket[]>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'vil-udp-'));
  const jsonFile = join(dir, 'layout.json');
  writeFileSync(jsonFile, JSON.stringify(parse(readFileSync(yamlFile, 'utf8'))));
  const child = spawn('python3', [STRUCT_RECEIVER, jsonFile, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const packets: PyPacket[] = [];
  let bound: (port: number) => void;
  const portKnown = new Promise<number>((r) => (bound = r));
  let first = true;
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (first) {
      first = false;
      bound((JSON.parse(l) as { port: number }).port);
    } else packets.push(JSON.parse(l));
  });
  const port = await Promise.race([portKnown, exited.then(() => -1)]);
  if (port < 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`struct_receiver.py did not start: ${stderr}`);
  }
  return {
    port,
    packets,
    async until(what, pred, limitMs = 240_000) {
      // The limit only catches a hang; what is waited for is the condition.
      const t0 = Date.now();
      while (!pred(packets)) {
        if (child.exitCode !== null) throw new Error(`struct_receiver.py ended while waiting for ${what}: ${stderr}`);
        if (Date.now() - t0 > limitMs) throw new Error(`no ${what} within ${limitMs / 1000} s (${packets.length} packets): hung?`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      return packets;
    },
  };
}

export function f32(x: number): number {
  return Math.fround(x);
}

/** A complete visualization_msgs/msg/Marker (every Jazzy field) at (x, −2x, 0.25) with yaw. */
export function makeMarker(id: number, x: number, yaw: number, ns: string) {
  const zero = { sec: 0, nanosec: 0 };
  return {
    header: { stamp: { sec: 10, nanosec: 0 }, frame_id: 'map' },
    ns,
    id,
    type: 1,
    action: 0,
    pose: { position: { x, y: -2 * x, z: 0.25 }, orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) } },
    scale: { x: 4.61, y: 1.83, z: 1.5 },
    color: { r: 1, g: 0, b: 0, a: 1 },
    lifetime: zero,
    frame_locked: false,
    points: [],
    colors: [],
    texture_resource: '',
    texture: { header: { stamp: zero, frame_id: '' }, format: '', data: new Uint8Array() },
    uv_coordinates: [],
    text: '',
    mesh_resource: '',
    mesh_file: { filename: '', data: new Uint8Array() },
    mesh_use_embedded_materials: false,
  };
}

/** Runs a CLI main in-process, capturing stdout lines and stderr. */
export async function runCli(main: (args: string[]) => Promise<number>, args: string[]): Promise<{ code: number; lines: string[]; stderr: string }> {
  let out = '';
  let stderr = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => {
    out += String(c);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => {
    stderr += String(c);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, lines: out.split('\n').filter(Boolean), stderr };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

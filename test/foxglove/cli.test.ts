// `--foxglove` as a user runs it: the built CLI in its own process prints what to open, a real
// client connects to that address and gets data, Ctrl-C (SIGINT) ends it cleanly.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TestClient, waitFor } from './helpers.js';

const CLI = join(ROOT, 'dist/nodes/cli/main.js');
let child: ChildProcess | undefined;
let client: TestClient | undefined;
let dir: string | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function start(args: string[]): { out: () => string; err: () => string; exited: Promise<number | null> } {
  expect(existsSync(CLI), 'dist/ is built by `npm test` (pretest: npm run build)').toBe(true);
  let out = '';
  let err = '';
  child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIL_LOG_PRETTY: '0' } });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  return { out: () => out, err: () => err, exited };
}

const URL_LINE = /^Live view \(Foxglove WebSocket\) on (ws:\/\/127\.0\.0\.1:(\d+))$/m;

describe('vil run --foxglove', () => {
  it('prints the URLs to open, serves the nodes\' topics to a real client, and ends cleanly on Ctrl-C', async () => {
    const p = start(['run', 'markers', '--ros', 'local', '--foxglove', '0', '--ros-args', '--params-file', 'config/demo.params.yaml']);
    await waitFor(() => URL_LINE.test(p.out()) || child!.exitCode !== null, 'the URL line', 240_000);
    const m = URL_LINE.exec(p.out());
    expect(m, `stdout:\n${p.out()}\nstderr:\n${p.err()}`).not.toBeNull();
    const port = m![2];
    expect(p.out()).toContain(`foxglove://open?ds=foxglove-websocket&ds.url=ws://127.0.0.1:${port}`);
    expect(p.out()).toContain(`lichtblick://open?ds=foxglove-websocket&ds.url=ws://127.0.0.1:${port}`);
    expect(p.out()).toContain(join(ROOT, 'config/foxglove/vil-demo.layout.json'));

    client = await TestClient.connect(m![1]);
    const sub = await client.subscribe('/tf_static');
    await waitFor(() => client!.messages(sub).length === 1, '/tf_static from the markers node');
    const tf = client.reader('/tf_static').readMessage<{ transforms: { child_frame_id: string }[] }>(client.messages(sub)[0].data);
    expect(tf.transforms.map((t) => t.child_frame_id)).toEqual(['radar_esr', 'gnss']);

    child!.kill('SIGINT');
    expect(await p.exited).toBe(0);
    await waitFor(() => client!.closed, 'the server to close the connection');
  });

  it('refuses a bad address with a message and exit code 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', 'markers', '--foxglove', 'localhost:http'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"http" is not a port number');
  });

  it('says when the port is taken', async () => {
    const first = start(['run', 'markers', '--ros', 'local', '--foxglove', '0', '--ros-args', '--params-file', 'config/demo.params.yaml']);
    await waitFor(() => URL_LINE.test(first.out()) || child!.exitCode !== null, 'the URL line', 240_000);
    const port = URL_LINE.exec(first.out())![2];
    const r = spawnSync(process.execPath, [CLI, 'run', 'markers', '--ros', 'local', '--foxglove', port], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VIL_LOG_PRETTY: '0' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
  });
});

describe('vil demo --foxglove', () => {
  it('serves the drive live, keeps serving after it until Ctrl-C, then prints the summary with the live view figures', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-demo-foxglove-'));
    const p = start(['demo', '--epochs', '3', '--out', dir, '--foxglove', '0']);
    await waitFor(() => URL_LINE.test(p.out()) || child!.exitCode !== null, 'the URL line', 240_000);
    const m = URL_LINE.exec(p.out());
    expect(m, `stdout:\n${p.out()}\nstderr:\n${p.err()}`).not.toBeNull();
    client = await TestClient.connect(m![1]);
    const fixes = await client.subscribe('/vil/rtk/fix');
    await waitFor(() => p.out().includes('drive done; the live view keeps serving') || child!.exitCode !== null, 'the end of the drive', 60_000);
    expect(child!.exitCode, 'the demo waits for Ctrl-C').toBeNull();
    await waitFor(() => client!.messages(fixes).length > 0, 'fixes of the drive at the client');
    const fix = client.reader('/vil/rtk/fix').readMessage<{ latitude: number }>(client.messages(fixes)[0].data);
    expect(fix.latitude).toBeCloseTo(56.0704, 3); // the CANedge drive starts there (NMEA derived from its GNSS epochs)
    child!.kill('SIGINT');
    expect(await p.exited, `stdout:\n${p.out()}\nstderr:\n${p.err()}`).toBe(0);
    expect(p.out()).toContain('all checks passed');
    const live = /Live view: (\d+) messages sent to clients, (\d+) dropped/.exec(p.out());
    expect(live).not.toBeNull();
    expect(Number(live![1])).toBeGreaterThanOrEqual(client.messages(fixes).length);
  });
});

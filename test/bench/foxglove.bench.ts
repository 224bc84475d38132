// The live view's cost to the process that runs the graph, with can_msgs/Frame (real frames of a
// CANedge recording, test/fixtures/foxglove) published as fast as the graph takes them:
//   graph only                    publish cost without a live view (the baseline)
//   live view, nobody subscribed  must be the baseline: no tap is installed on the topic
//   live view, one client         + tap, bigint time, the library's 13-byte header + payload copy,
//                                 one ws frame and socket write per message
// The client runs in its own process (FoxgloveClient over ws on 127.0.0.1), so its decoding does not
// count here; it reports what it received. CPU is this process's process.cpuUsage (user + system),
// per message published; wall time is from the first publish to the client's last message.
//   VIL_BENCH_FRAMES (default 200000)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { projectRoot } from '../../nodes/runtime/msg_registry.js';
import { parseCandumpLine } from '../../nodes/buslog/candump.js';
import { FoxgloveLiveView } from '../../nodes/foxglove/server.js';
import type { CanMsgsFrame } from '../../nodes/can_bridge/raw_frames.js';

const FRAMES = Number(process.env.VIL_BENCH_FRAMES ?? 200_000);
const TOPIC = '/vil/can/can2/raw';
const BATCH = 1000;

function realFrames(): CanMsgsFrame[] {
  const text = readFileSync(join(projectRoot(), 'test/fixtures/foxglove/css_2F6913DB_0004_00000001.head600.candump'), 'utf8');
  const out: CanMsgsFrame[] = [];
  for (const line of text.split('\n')) {
    const f = parseCandumpLine(line);
    if (!f || f.fd) continue;
    const data = new Uint8Array(8);
    data.set(f.data.subarray(0, 8));
    out.push({ header: { stamp: f.time, frame_id: f.iface }, id: f.id, is_rtr: f.rtr, is_extended: f.extended, is_error: f.error, dlc: f.data.length, data });
  }
  return out;
}

/** A FoxgloveClient in another process: subscribes to TOPIC, prints "ready", then the count at "done". */
const CLIENT = `
import wsProtocol from '@foxglove/ws-protocol';
import { WebSocket } from 'ws';
import { createInterface } from 'node:readline';
const client = new wsProtocol.FoxgloveClient({ ws: new WebSocket(process.argv[1], ['foxglove.websocket.v1']) });
let count = 0, bytes = 0;
client.on('advertise', (chs) => { for (const c of chs) if (c.topic === ${JSON.stringify(TOPIC)}) { client.subscribe(c.id); console.log('subscribed'); } });
client.on('message', (m) => { count++; bytes += m.data.byteLength; });
createInterface({ input: process.stdin }).on('line', () => { console.log('count ' + count + ' ' + bytes); });
`;

interface Figures {
  cpuNsPerMsg: number;
  wallS: number;
}

async function publishAll(ctx: LocalContext, frames: CanMsgsFrame[], settle: () => Promise<void>): Promise<Figures> {
  const node = ctx.createNode('bench_can');
  const pub = node.createPublisher<CanMsgsFrame>('can_msgs/msg/Frame', TOPIC, 'sensor_data');
  for (let i = 0; i < 20_000; i++) pub.publish(frames[i % frames.length]); // warm-up
  await settle();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let n = 0; n < FRAMES; ) {
    for (let k = 0; k < BATCH; k++) pub.publish(frames[n++ % frames.length]);
    await new Promise<void>((r) => setImmediate(r)); // let ws write, as a real node's event loop would
  }
  await settle();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  node.destroy();
  return { cpuNsPerMsg: ((cpu.user + cpu.system) * 1000) / FRAMES, wallS };
}

function line(label: string, f: Figures, extra = ''): void {
  console.log(`${label.padEnd(30)} ${f.cpuNsPerMsg.toFixed(0).padStart(6)} ns CPU/msg   ${(FRAMES / f.wallS).toFixed(0).padStart(8)} msgs/s${extra}`);
}

export async function run(): Promise<void> {
  process.env.VIL_LOG_LEVEL ??= 'warn';
  const frames = realFrames();
  console.log(`${FRAMES} can_msgs/Frame publishes (${frames.length} real frames cycled), batches of ${BATCH}`);

  const plain = createLocalContext(parseRosArgs([]));
  const base = await publishAll(plain, frames, () => plain.graph.idle());
  await plain.shutdown();
  line('graph only', base);

  const idleCtx = createLocalContext(parseRosArgs([]));
  const idleView = await FoxgloveLiveView.start(idleCtx, { port: 0 });
  const idle = await publishAll(idleCtx, frames, () => idleCtx.graph.idle());
  const idleSent = idleView.stats().messagesSent;
  await idleView.close();
  await idleCtx.shutdown();
  line('live view, nobody subscribed', idle, `   (${(idle.cpuNsPerMsg - base.cpuNsPerMsg).toFixed(0)} ns vs graph only; ${idleSent} sent)`);

  const ctx = createLocalContext(parseRosArgs([]));
  const view = await FoxgloveLiveView.start(ctx, { port: 0 });
  ctx.createNode('bench_can_announce').createPublisher('can_msgs/msg/Frame', TOPIC, 'sensor_data'); // advertise before the client connects
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, `ws://127.0.0.1:${view.port}`], { cwd: projectRoot(), stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  try {
    if ((await next()) !== 'subscribed') throw new Error('the client did not subscribe');
    while (view.stats().subscriptions === 0) await new Promise((r) => setTimeout(r, 5));
    let received = 0;
    // Settled when the client has everything the server sent (dropped ones never come).
    const settle = async () => {
      await ctx.graph.idle();
      for (;;) {
        child.stdin!.write('count\n');
        received = Number((await next()).split(' ')[1]);
        if (received >= view.stats().messagesSent) return;
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const s0 = view.stats();
    const one = await publishAll(ctx, frames, settle);
    const s = view.stats();
    const sent = s.messagesSent - s0.messagesSent;
    const dropped = s.messagesDropped - s0.messagesDropped;
    line('live view, one client', one, `   (+${(one.cpuNsPerMsg - base.cpuNsPerMsg).toFixed(0)} ns per forwarded message; sent ${sent} incl. 20000 warm-up, dropped ${dropped} at the 10 MB bound)`);
  } finally {
    child.kill();
    await view.close();
    await ctx.shutdown();
  }
}

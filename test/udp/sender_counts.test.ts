// Regression (issue 9, defect 7), on real UDP sockets on 127.0.0.1:
// 1. packets_sent counted packets the destination refused. Linux reports the ICMP port
//    unreachable of a packet that left as the socket's pending error; Node delivers it on the
//    socket's 'error' event (syscall recvmsg) when the event loop polls the socket before the
//    next send (or as ECONNREFUSED in the next send's callback). The sender undid only the latter.
//    Here every packet is sent only after the refusal of the one before was reported (a condition,
//    not a delay), so each refusal arrives on the 'error' event: exactly the path of the defect.
// 2. A bigint where the layout reads a number threw an uncaught TypeError out of
//    LayoutSender.send. Time stamps and quaternions take bigints (converted); any value the
//    encoder cannot read at all is counted (encoder_errors) and the message is not sent.
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { compileLayoutFile } from '../../nodes/udp_layout/compile.js';
import { LayoutSender } from '../../nodes/udp_layout/layout_sender.js';
import { waitFor } from '../helpers/pty.js';

const LAYOUT = `name: pose_test
message: geometry_msgs/msg/PoseStamped
endianness: little
fields:
  - {name: stamp_ns, type: u64, source: header.stamp}
  - {name: stamp_s, type: f64, source: header.stamp}
  - {name: x, type: f64, source: pose.position.x}
  - {name: yaw, type: f64, source: pose.orientation, quaternion: yaw}
`;
const SIZE = 32;

let dir: string | undefined;
const sockets: Socket[] = [];
const senders: LayoutSender[] = [];
afterEach(async () => {
  for (const s of senders.splice(0)) await s.close();
  for (const s of sockets.splice(0)) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function receiver(port = 0): Promise<{ socket: Socket; port: number; got: Buffer[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((res) => socket.bind(port, '127.0.0.1', () => res()));
  return { socket, port: socket.address().port, got };
}

/** A port nothing listens on (bound once to get it from the kernel, then closed). */
async function closedPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

async function sender(port: number): Promise<LayoutSender> {
  dir ??= mkdtempSync(join(tmpdir(), 'vil-udp-counts-'));
  const file = join(dir, 'pose.yaml');
  writeFileSync(file, LAYOUT);
  const s = new LayoutSender(compileLayoutFile(file, messageRegistry()), { host: '127.0.0.1', port }, pino({ level: 'silent' }), 'test');
  senders.push(s);
  await s.start();
  return s;
}

const pose = (i: number) => ({
  header: { stamp: { sec: 1_700_000_000 + i, nanosec: 250_000_000 }, frame_id: 'map' },
  pose: { position: { x: i, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: Math.sin(0.25), w: Math.cos(0.25) } },
});
const NOW = { sec: 1_700_000_000, nanosec: 0 };

describe('UDP packets_sent and refusals by the destination', () => {
  it('a destination with nothing listening: no packet counted as sent, every refusal counted', async () => {
    const out = await sender(await closedPort());
    const N = 10;
    for (let i = 0; i < N; i++) {
      expect(out.send(pose(i), NOW, 0)).toBe(true);
      // The refusal of this packet is reported before the next one goes.
      await waitFor(() => out.sender.stats.refused === i + 1, `the refusal of packet ${i + 1}`);
    }
    const d = out.diagnosticValues();
    expect(d.refused_by_destination).toBe(N);
    expect(d.packets_sent).toBe(0);
  });

  it('the receiver comes back on that port: what it receives is what packets_sent counts', async () => {
    const port = await closedPort();
    const out = await sender(port);
    for (let i = 0; i < 3; i++) {
      out.send(pose(i), NOW, 0);
      await waitFor(() => out.sender.stats.refused === i + 1, `the refusal of packet ${i + 1}`);
    }
    const rx = await receiver(port);
    const M = 20;
    for (let i = 0; i < M; i++) {
      expect(out.send(pose(i), NOW, 0)).toBe(true);
      await waitFor(() => rx.got.length === i + 1, `packet ${i + 1} at the receiver`);
    }
    expect(out.diagnosticValues()).toMatchObject({ packets_sent: M, refused_by_destination: 3 });
    expect(out.sender.stats.bytes).toBe(M * SIZE);
  });
});

describe('LayoutSender.send with values of unexpected types', () => {
  it('bigint time stamp and quaternion components are converted; the packet carries them', async () => {
    const rx = await receiver();
    const out = await sender(rx.port);
    const m = {
      header: { stamp: { sec: 1_700_000_123n, nanosec: 456_000_000n }, frame_id: 'map' },
      pose: { position: { x: 1.5, y: 0, z: 0 }, orientation: { x: 0n, y: 0n, z: 0n, w: 1n } },
    };
    expect(() => out.send(m, NOW, 0)).not.toThrow();
    await waitFor(() => rx.got.length === 1, 'the packet');
    const p = rx.got[0];
    expect(p.length).toBe(SIZE);
    expect(p.readBigUInt64LE(0)).toBe(1_700_000_123_456_000_000n);
    expect(p.readDoubleLE(8)).toBe(1_700_000_123 + 456_000_000 * 1e-9);
    expect(p.readDoubleLE(16)).toBe(1.5);
    expect(p.readDoubleLE(24)).toBe(0); // yaw of the identity quaternion
  });

  it('a value the encoder cannot read at all: not sent, counted, no exception', async () => {
    const rx = await receiver();
    const out = await sender(rx.port);
    const bad = pose(1);
    (bad.header.stamp as Record<string, unknown>).nanosec = Symbol('not a number');
    expect(out.send(bad, NOW, 0)).toBe(false);
    expect(out.diagnosticValues()).toMatchObject({ encoder_errors: 1, packets_sent: 0 });
    // The sender goes on: the next good message is sent and arrives.
    expect(out.send(pose(2), NOW, 0)).toBe(true);
    await waitFor(() => rx.got.length === 1, 'the next packet');
    expect(rx.got[0].readDoubleLE(16)).toBe(2);
  });
});

// In the VM: cangen sends N frames back to back (-g 0) with an incrementing payload; the
// SocketCanSource counts them and checks the payload sequence, candump -d counts them too and
// reports its own socket's drops (SO_RXQ_OVFL, which the socketcan addon cannot read).
// Usage: burst.ts [count]
import { readFileSync } from 'node:fs';
import { SocketCanSource, type CanFrame } from '../../nodes/can_bridge/socketcan_source.js';
import { LineTool, logger, main, must, rawSocketsBound, result, syncProbe, waitFor, wallClock } from './vm_util.js';

const COUNT = Number(process.argv[2] ?? 10_000);
const BURST_ID = 0x42a;
const PROBE = '7FF#5359';

main(async () => {
  const candump = new LineTool('candump', ['-d', '-L', 'vcan0']);
  let received = 0;
  let probes = 0;
  let expected = 0n; // cangen -D i: a little-endian counter starting at 0
  let outOfSequence = 0;
  let firstAt = 0;
  let lastAt = 0;
  const source = new SocketCanSource(
    { iface: 'vcan0', fd: true, errorFrames: false, now: wallClock, logger },
    {
      frame(f: CanFrame) {
        if (f.id !== BURST_ID) {
          probes++;
          return;
        }
        if (received === 0) firstAt = performance.now();
        lastAt = performance.now();
        received++;
        const v = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).readBigUInt64LE(0);
        if (v !== expected) outOfSequence++;
        expected = v + 1n;
      },
      state() {},
    },
  );
  // candump's socket first, so that the source's is the only one appearing when it opens
  // (socket_drops.ts tells same-filter sockets opened at the same instant apart by address only).
  await rawSocketsBound('vcan0', 1);
  source.start();
  await syncProbe('vcan0', PROBE, [() => probes > 0, () => candump.lines.length > 0]);
  const candumpBefore = candump.lines.length;
  const t0 = performance.now();
  await must('cangen', 'vcan0', '-g', '0', '-n', String(COUNT), '-I', BURST_ID.toString(16), '-L', '8', '-D', 'i', '-p', '10');
  const sentMs = performance.now() - t0;
  // Done when both have everything, or when neither gets more for 5 s (frames lost).
  const marker = `vcan0 ${BURST_ID.toString(16).toUpperCase()}#`;
  const candumpCount = () => candump.lines.slice(candumpBefore).filter((l) => l.includes(marker)).length;
  let last = '';
  let still = 0;
  await waitFor('burst to drain', () => {
    const c = candumpCount();
    if (received >= COUNT && c >= COUNT) return true;
    const now = `${received}/${c}`;
    still = now === last ? still + 1 : 0;
    last = now;
    return still > 250;
  }, 60_000);
  // The socket's own loss count once it is settled (socket_drops.ts: exact at an idle sample).
  await waitFor('socket drop count settled', () => source.socketDrops().exact, 120_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${source.socketDrops().note}`);
  });
  const socketDrops = source.socketDrops();
  const lines = await candump.stop();
  source.stop();
  const candumpFrames = lines.slice(candumpBefore).filter((l) => l.includes(marker)).length;
  result({
    count: COUNT,
    received,
    outOfSequence,
    counters: source.counters,
    socketDrops,
    candumpFrames,
    candumpDropLines: lines.filter((l) => l.startsWith('DROPCOUNT')),
    rmemDefault: Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8')),
    rmemMax: Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8')),
    cangenMs: sentMs,
    receiveSpanMs: lastAt - firstAt,
  });
});

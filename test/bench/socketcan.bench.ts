// SocketCAN intake under a burst: cangen -g 0 sends 10,000 frames back to back on vcan0 in a
// User-mode Linux VM (scripts/canvm.sh, one guest CPU) while a SocketCanSource receives them, at
// the Linux default socket receive buffer and at the 16 MiB the harness sets. Figures: frames
// received, receive rate, and socket-queue drops seen by candump -d (the socketcan addon cannot
// see them: a gap in its payload counter is the source's only trace). Target: 0 lost at 16 MiB.
import { nodeScriptInCanVm, vmResult } from '../helpers/canvm.js';

interface BurstResult {
  count: number;
  received: number;
  outOfSequence: number;
  candumpFrames: number;
  candumpDropLines: string[];
  rmemDefault: number;
  cangenMs: number;
  receiveSpanMs: number;
}

export async function run(): Promise<void> {
  for (const rmem of [212_992, 16 * 1024 * 1024]) {
    const r = vmResult<BurstResult>(await nodeScriptInCanVm('burst.ts', ['10000'], { rmem }));
    const candumpDrops = r.candumpDropLines.length ? Number(/total drops (\d+)/.exec(r.candumpDropLines.at(-1) ?? '')?.[1] ?? 0) : 0;
    const tag = `socketcan burst 10k, rmem_default ${r.rmemDefault}`;
    console.log(`${tag}: received ${r.received} frames (target 10000 at 16 MiB)`);
    console.log(`${tag}: lost ${r.count - r.received} frames, ${r.outOfSequence} gaps in the payload counter (target 0 at 16 MiB)`);
    console.log(`${tag}: receive rate ${((r.received / r.receiveSpanMs) * 1000).toFixed(0)} frames/s (cangen sent in ${r.cangenMs.toFixed(0)} ms; UML guest, 1 CPU)`);
    console.log(`${tag}: candump -d socket drops ${candumpDrops}, candump frames ${r.candumpFrames}`);
  }
}

// In the VM: frames from cansend (hand-picked edge cases) and cangen (random mixed traffic:
// 11/29-bit, RTR, CAN FD with and without BRS/ESI) go to vcan0; a SocketCanSource and candump -L
// (the reference) both receive them. Prints what each saw; the host test compares them.
import { SocketCanSource, type CanFrame } from '../../nodes/can_bridge/socketcan_source.js';
import { LineTool, hex, logger, main, must, result, syncProbe, waitFor, wallClock } from './vm_util.js';

export const PROBE = '7FF#50524F4245';
const isProbe = (f: CanFrame) => f.id === 0x7ff && !f.extended && hex(f.data) === '50524F4245';
const isProbeLine = (l: string) => l.endsWith(` vcan0 ${PROBE}`);

/** cansend syntax (can-utils lib.c): ID#DATA, ID#R[len], ID##<flags>DATA; 8-digit ID = 29-bit. */
export const CANSEND_FRAMES = [
  '123#DEADBEEF',
  '000#',
  '7FE#0102030405060708',
  '1ABCDEF0#0011223344556677',
  '00000001#AA',
  '1FFFFFFF#FF',
  '7FE#R',
  '123#R3',
  '1F334455#R8',
  `321##0${'A5'.repeat(12)}`,
  `321##1${'5A'.repeat(64)}`,
  `18FF00AA##1${'01'.repeat(24)}`,
  `456##0${'11'.repeat(20)}`,
  `456##1${'22'.repeat(32)}`,
  `456##2${'33'.repeat(48)}`,
  `456##3${'44'.repeat(4)}`,
  `457##0${'55'.repeat(8)}`,
];

main(async () => {
  const candump = new LineTool('candump', ['-L', 'vcan0']);
  const ours: CanFrame[] = [];
  let probes = 0;
  const source = new SocketCanSource(
    { iface: 'vcan0', fd: true, errorFrames: false, now: wallClock, logger },
    {
      frame(f) {
        if (isProbe(f)) probes++;
        else ours.push(f);
      },
      state() {},
    },
  );
  // Under use_sim_time the node passes kernelStamps: false: every stamp must come from now().
  let simNow = 0;
  const simStamps: number[] = [];
  const simSource = new SocketCanSource(
    { iface: 'vcan0', fd: true, errorFrames: false, kernelStamps: false, now: () => ({ sec: 42, nanosec: ++simNow }), logger },
    {
      frame(f) {
        if (!isProbe(f)) simStamps.push(f.stamp.sec === 42 ? f.stamp.nanosec : -1);
      },
      state() {},
    },
  );
  source.start();
  simSource.start();
  await syncProbe('vcan0', PROBE, [() => probes > 0, () => candump.lines.length > 0, () => simNow > 0]);
  const dumped = () => candump.lines.filter((l) => !isProbeLine(l));
  for (const f of CANSEND_FRAMES) await must('cansend', 'vcan0', f);
  // cangen -m: random ids, lengths and payloads, mixing 29-bit, RTR and FD (with BRS/ESI) frames.
  await must('cangen', 'vcan0', '-m', '-n', '600', '-g', '0', '-p', '10');
  const total = CANSEND_FRAMES.length + 600;
  await waitFor('all frames at every listener', () => ours.length >= total && dumped().length >= total && simStamps.length >= total);
  await candump.stop();
  const lines = dumped();
  source.stop();
  simSource.stop();
  result({
    simStamps,
    ours: ours.map((f) => ({ ...f, data: hex(f.data) })),
    candump: lines,
    counters: source.counters,
  });
});

// In the VM: CAN error frames (CAN_ERR_FLAG set, as a controller driver would emit them) are
// sent with cansend; vcan passes them to every socket whose error mask wants them. A
// SocketCanSource with errorFrames follows the bus state; candump -e (can-utils' own decoder of
// error frames) prints its reading of each. A second source with errorFrames: false must see
// none of them but still the data frames sent in between.
import { SocketCanSource, type CanFrame, type CanSourceState } from '../../nodes/can_bridge/socketcan_source.js';
import { decodeCanError } from '../../nodes/can_bridge/can_error.js';
import { LineTool, hex, logger, main, must, result, syncProbe, waitFor, wallClock } from './vm_util.js';

/** Error frames in cansend syntax: 8-digit id with CAN_ERR_FLAG (0x20000000) | classes. */
export const ERROR_FRAMES = [
  '20000004#0008000000006000', // controller: tx warning, counters 96/0
  '20000004#0020000000008000', // controller: tx passive, counters 128/0
  '20000004#0001000000000000', // controller: rx overflow (frames lost)
  '20000040#0000000000000000', // bus-off
  '20000100#0000000000000000', // restarted after bus-off
  '20000004#0004000000000060', // controller: rx warning, counters 0/96
  '20000004#0010000000000090', // controller: rx passive, counters 0/144
  '2000000A#0102030400000000', // lost arbitration + protocol violation: no state
  '20000004#0040000000000000', // controller: back to error active
  '20000200#0000000000801000', // counters only: 128/16
  '200000A0#0000000000000000', // no ack + bus error: no state
  '20000004#0001000000000000', // rx overflow again
];
const DATA_BETWEEN = '321#C0FFEE';

main(async () => {
  const candump = new LineTool('candump', ['-ta', '-e', 'vcan0,0~0,#FFFFFFFF']);
  const errors: CanFrame[] = [];
  const states: CanSourceState[] = [];
  let data = 0;
  let probes = 0;
  const source = new SocketCanSource(
    { iface: 'vcan0', fd: true, errorFrames: true, now: wallClock, logger },
    {
      frame(f) {
        if (f.error) errors.push(f);
        else if (f.id === 0x7ff) probes++;
        else data++;
      },
      state(s) {
        states.push({ ...s });
      },
    },
  );
  let quietErrors = 0;
  let quietData = 0;
  let quietProbes = 0;
  const quiet = new SocketCanSource(
    { iface: 'vcan0', fd: true, errorFrames: false, now: wallClock, logger },
    {
      frame(f) {
        if (f.error) quietErrors++;
        else if (f.id === 0x7ff) quietProbes++;
        else quietData++;
      },
      state() {},
    },
  );
  source.start();
  quiet.start();
  // candump here listens to error frames only, so the probe is an error frame it cannot miss
  // and that carries no state (tx-timeout).
  await syncProbe('vcan0', '7FF#01', [() => probes > 0, () => quietProbes > 0]);
  await syncProbe('vcan0', '20000001#0000000000000000', [() => errors.length > 0, () => candump.lines.length > 0]);
  const statesBefore = states.length;
  const isProbe = (f: CanFrame) => f.id === 0x001; // tx-timeout: not among ERROR_FRAMES
  for (const f of ERROR_FRAMES) {
    await must('cansend', 'vcan0', f);
    await must('cansend', 'vcan0', DATA_BETWEEN);
  }
  // candump -e prints a header line per frame (then its reading, indented); probes excluded.
  const dumped = () => candump.lines.filter((l) => /^\s*\(\d+\.\d+\)/.test(l) && !/\s20000001\s/.test(l)).length;
  await waitFor('all error and data frames', () =>
    errors.filter((f) => !isProbe(f)).length >= ERROR_FRAMES.length && dumped() >= ERROR_FRAMES.length && data >= ERROR_FRAMES.length && quietData >= ERROR_FRAMES.length);
  const lines = await candump.stop();
  source.stop();
  quiet.stop();
  result({
    probeErrors: errors.filter(isProbe).length,
    errors: errors.filter((f) => !isProbe(f)).map((f) => ({ id: f.id, data: hex(f.data), dlc: f.dlc, decoded: decodeCanError(f.id, f.data) })),
    states: states.slice(statesBefore),
    counters: source.counters,
    quiet: { errors: quietErrors, data: quietData, counters: quiet.counters },
    candump: lines,
  });
});

// In the VM, three things candump can judge:
// 1. kernel filters: a SocketCanSource with filters and candump with the equivalent filter
//    strings (candump's documented syntax) receive the same cangen traffic;
// 2. fd: false: a source that does not take CAN FD ignores (and counts) frames over 8 bytes;
// 3. send(): frames the source sends appear in candump -L on the same interface, as written.
import { SocketCanSource, type CanFrame } from '../../nodes/can_bridge/socketcan_source.js';
import { LineTool, hex, logger, main, must, result, syncProbe, waitFor, wallClock } from './vm_util.js';

/** The same filters in the source's terms and in candump's (<id>:<mask>, linux/can.h flags). */
export const FILTERS = [
  { ours: { id: 0x100, mask: 0x700, extended: false }, candump: '100:80000700' }, // 11-bit 0x100..0x1FF only
  { ours: { id: 0x0cf00400, mask: 0x1fffff00, extended: true }, candump: '8CF00400:9FFFFF00' }, // 29-bit 0x0CF004xx only
  { ours: { id: 0x7e8, mask: 0x7f8 }, candump: '7E8:7F8' }, // 0x7E8..0x7EF, 11- or 29-bit
];

/** Frames the source sends (CanFrame minus stamp) and what candump -L prints for each. */
export const SENT: { frame: Omit<CanFrame, 'stamp' | 'data'> & { data: number[] }; candump: string }[] = [
  { frame: { id: 0x123, extended: false, rtr: false, error: false, fd: false, brs: false, esi: false, dlc: 4, data: [0xde, 0xad, 0xbe, 0xef] }, candump: '123#DEADBEEF' },
  { frame: { id: 0x1abcdef0, extended: true, rtr: false, error: false, fd: false, brs: false, esi: false, dlc: 8, data: [0, 1, 2, 3, 4, 5, 6, 7] }, candump: '1ABCDEF0#0001020304050607' },
  { frame: { id: 0x7ff, extended: false, rtr: true, error: false, fd: false, brs: false, esi: false, dlc: 3, data: [] }, candump: '7FF#R3' },
  { frame: { id: 0x321, extended: false, rtr: false, error: false, fd: true, brs: true, esi: false, dlc: 9, data: Array.from({ length: 12 }, (_, i) => i) }, candump: '321##5000102030405060708090A0B' },
  { frame: { id: 0x18ff00aa, extended: true, rtr: false, error: false, fd: true, brs: false, esi: false, dlc: 15, data: Array.from({ length: 64 }, (_, i) => 255 - i) }, candump: `18FF00AA##4${Array.from({ length: 64 }, (_, i) => (255 - i).toString(16).toUpperCase()).join('')}` },
  // 10 bytes: the addon pads FD payloads to the next valid length (12) with zeros
  { frame: { id: 0x322, extended: false, rtr: false, error: false, fd: true, brs: false, esi: false, dlc: 9, data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, candump: '322##40102030405060708090A0000' },
];

/** The frame syncProbe sends, and the one that closes the traffic: both pass every filter. */
const PROBE = '7FF#01';
const SENTINEL = '7FF#EE';
const is = (f: CanFrame, line: string) => f.id === 0x7ff && !f.extended && `7FF#${hex(f.data)}` === line;

main(async () => {
  // 1. filters
  const filtered: string[] = [];
  let filteredProbes = 0;
  let filteredDone = false;
  const fsrc = new SocketCanSource(
    { iface: 'vcan0', fd: true, errorFrames: false, filters: [...FILTERS.map((f) => f.ours), { id: 0x7ff, mask: 0x7ff, extended: false }], now: wallClock, logger },
    {
      frame(f) {
        if (is(f, PROBE)) filteredProbes++;
        else if (is(f, SENTINEL)) filteredDone = true;
        else filtered.push(`${f.extended ? f.id.toString(16).toUpperCase().padStart(8, '0') : f.id.toString(16).toUpperCase().padStart(3, '0')}#${f.rtr ? 'R' : hex(f.data)}`);
      },
      state() {},
    },
  );
  const refFiltered = new LineTool('candump', ['-L', `vcan0,${FILTERS.map((f) => f.candump).join(',')},7FF:C00007FF`]);
  // 2. a classic-only source
  let classicOnly = 0;
  let classicProbes = 0;
  let classicDone = false;
  const csrc = new SocketCanSource(
    { iface: 'vcan0', fd: false, errorFrames: false, now: wallClock, logger },
    {
      frame(f) {
        if (is(f, PROBE)) classicProbes++;
        else if (is(f, SENTINEL)) classicDone = true;
        else classicOnly++;
      },
      state() {},
    },
  );
  const all = new LineTool('candump', ['-L', 'vcan0']);
  fsrc.start();
  csrc.start();
  await syncProbe('vcan0', PROBE, [() => filteredProbes > 0, () => classicProbes > 0, () => refFiltered.lines.length > 0, () => all.lines.length > 0]);
  const notProbe = (l: string) => !l.endsWith(` vcan0 ${PROBE}`) && !l.endsWith(` vcan0 ${SENTINEL}`);
  // Random 11-bit traffic hits the 11-bit filters now and then; 29-bit FD traffic tests fd: false;
  // single frames sit on and just outside each filter's edges.
  await must('cangen', 'vcan0', '-n', '400', '-g', '0', '-p', '10', '-I', 'r', '-L', 'r');
  await must('cangen', 'vcan0', '-n', '200', '-g', '0', '-p', '10', '-e', '-f', '-L', 'r');
  for (const id of ['100', '1FF', '200', '0FF', '7E8', '7EF', '7F0', '0CF00400', '0CF004FF', '0CF00500', '000007E9', '00000100']) {
    await must('cansend', 'vcan0', `${id}#11`);
  }
  // Each socket gets its frames in order: once a listener has the sentinel, it has all before it.
  await must('cansend', 'vcan0', SENTINEL);
  const sawSentinel = (t: LineTool) => () => t.lines.some((l) => l.endsWith(` vcan0 ${SENTINEL}`));
  await waitFor('the sentinel at every listener', () => filteredDone && classicDone && sawSentinel(refFiltered)() && sawSentinel(all)());
  const allLines = (await all.stop()).filter(notProbe);
  const refLines = (await refFiltered.stop()).filter(notProbe);
  fsrc.stop();
  csrc.stop();

  // 3. send()
  const sentDump = new LineTool('candump', ['-L', 'vcan0']);
  const sender = new SocketCanSource({ iface: 'vcan0', fd: true, errorFrames: false, now: wallClock, logger }, { frame() {}, state() {} });
  sender.start();
  await waitFor('sender open', () => sender.state.up);
  // candump is ready once it shows a frame the sender sent.
  const probe: CanFrame = { id: 0x7ff, extended: false, rtr: false, error: false, fd: false, brs: false, esi: false, dlc: 1, data: Uint8Array.of(2), stamp: wallClock() };
  const until = Date.now() + 20_000;
  while (sentDump.lines.length === 0 && Date.now() < until) {
    sender.send(probe);
    await new Promise((r) => setTimeout(r, 100));
  }
  const sentOk = SENT.map((s) => sender.send({ ...s.frame, data: Uint8Array.from(s.frame.data), stamp: wallClock() }));
  const sentLines = () => sentDump.lines.filter((l) => !l.endsWith(' vcan0 7FF#02'));
  await waitFor('sent frames at candump', () => sentLines().length >= SENT.length);
  await sentDump.stop();
  sender.stop();
  // Sending on a stopped source fails without throwing.
  const afterStop = sender.send(probe);

  result({
    filtered,
    refFiltered: refLines,
    all: allLines,
    classicOnly,
    classicCounters: csrc.counters,
    sent: { ok: sentOk, lines: sentLines(), counters: sender.counters, afterStop },
  });
});

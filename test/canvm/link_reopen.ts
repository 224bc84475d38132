// In the VM: the interface under a running SocketCanSource is set down and up, deleted and
// created again, and a second source starts on an interface that does not exist yet. Each time
// the source must report the loss, keep retrying (never throw), reopen by itself and receive
// frames again. Prints the event log and counters.
import { SocketCanSource, type CanSourceState } from '../../nodes/can_bridge/socketcan_source.js';
import { logger, main, must, result, run, waitFor, wallClock } from './vm_util.js';

interface Event {
  kind: 'state' | 'frame' | 'step';
  what: string;
}

main(async () => {
  const events: Event[] = [];
  const states: CanSourceState[] = [];
  const frames: string[] = [];
  const make = (iface: string) =>
    new SocketCanSource(
      { iface, fd: true, errorFrames: true, reopenMinMs: 100, reopenMaxMs: 2000, linkPollMs: 100, now: wallClock, logger },
      {
        frame(f) {
          const d = Buffer.from(f.data).toString('hex');
          frames.push(`${iface}:${f.id.toString(16)}#${d}`);
          events.push({ kind: 'frame', what: `${iface} ${f.id.toString(16)}#${d}` });
        },
        state(s) {
          states.push({ ...s });
          events.push({ kind: 'state', what: `${s.iface} ${s.up ? 'up' : 'down'} ${s.reason ?? ''}` });
        },
      },
    );
  const step = (what: string) => events.push({ kind: 'step', what });
  const lastState = (iface: string) => states.filter((s) => s.iface === iface).at(-1);
  const isUp = (iface: string) => () => lastState(iface)?.up === true;
  const isDown = (iface: string) => () => lastState(iface)?.up === false;
  /** Sends until the source has the frame: the first may go out before the socket is bound. */
  const deliver = async (iface: string, frame: string) => {
    const [id, data] = frame.split('#');
    const want = `${iface}:${id.toLowerCase()}#${data.toLowerCase()}`;
    step(`cansend ${iface} ${frame}`);
    await must('cansend', iface, frame);
    await waitFor(`${want} at the source`, () => frames.includes(want));
  };

  const a = make('vcan0');
  a.start();
  await waitFor('vcan0 open', isUp('vcan0'));
  await deliver('vcan0', '101#01');

  step('ip link set vcan0 down');
  await must('ip', 'link', 'set', 'vcan0', 'down');
  await waitFor('vcan0 reported down', isDown('vcan0'));
  const failed = await run('cansend', ['vcan0', '102#02']);
  step(`cansend while down: exit ${failed.code} ${failed.stderr.trim()}`);
  const attemptsBefore = a.counters.reopenAttempts;
  await waitFor('retries while down', () => a.counters.reopenAttempts >= attemptsBefore + 3);
  const attemptsWhileDown = a.counters.reopenAttempts;
  step('ip link set vcan0 up');
  await must('ip', 'link', 'set', 'vcan0', 'up');
  await waitFor('vcan0 reopened', isUp('vcan0'));
  await deliver('vcan0', '103#03');
  // The reopened socket is found again among the old one's still-registered receivers.
  await waitFor('socket drop count settled after the reopen', () => a.socketDrops().exact);
  const dropsAfterReopen = a.socketDrops();

  step('ip link del vcan0');
  await must('ip', 'link', 'del', 'vcan0');
  await waitFor('vcan0 reported gone', isDown('vcan0'));
  const attemptsGone = a.counters.reopenAttempts;
  await waitFor('retries against a missing interface', () => a.counters.reopenAttempts >= attemptsGone + 2);
  step('ip link add vcan0 type vcan; mtu 72; up');
  await must('ip', 'link', 'add', 'vcan0', 'type', 'vcan');
  await must('ip', 'link', 'set', 'vcan0', 'mtu', '72');
  await must('ip', 'link', 'set', 'vcan0', 'up');
  await waitFor('vcan0 reopened after re-creation', isUp('vcan0'));
  await deliver('vcan0', '104#04');
  await waitFor('socket drop count measured after re-creation', () => a.socketDrops().available && a.socketDrops().min === 0);
  const dropsAfterRecreate = a.socketDrops();

  const b = make('vcan9');
  step('source started on missing vcan9');
  b.start();
  await waitFor('vcan9 reported missing', isDown('vcan9'));
  await waitFor('vcan9 retried', () => b.counters.reopenAttempts >= 2);
  step('ip link add vcan9 type vcan; up');
  await must('ip', 'link', 'add', 'vcan9', 'type', 'vcan');
  await must('ip', 'link', 'set', 'vcan9', 'up');
  await waitFor('vcan9 opened', isUp('vcan9'));
  await deliver('vcan9', '109#09');

  a.stop();
  b.stop();
  result({ events, states, attemptsWhileDown, counters: { vcan0: a.counters, vcan9: b.counters }, dropsAfterReopen, dropsAfterRecreate });
});

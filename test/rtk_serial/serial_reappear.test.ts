// Regression (issue 9, defect 8): after a serial device reappears, the link waited out its
// back-off (up to 2 s in the node) before reopening, and the epochs the receiver sent meanwhile
// were lost. Now the link watches the device path and reopens as soon as the device is back.
//
// A real pseudo-terminal pair (socat): the device vanishes (socat ends, its links go) and is
// created again under the same name. The link here has a back-off of 60 s, longer than the 30 s
// this test waits for anything: a reopen can only come from the device's reappearance, never from
// the back-off timer, so the unfixed link fails by never reopening. Nothing is timed: the test
// counts epochs. The receiver writes an epoch every few milliseconds from the moment the device is
// back; every epoch written after the link reported the port open must arrive, in order.
import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { SerialLink, type LinkState } from '../../nodes/rtk_serial/serial_link.js';
import { PtyPair, waitFor } from '../helpers/pty.js';
import { withChecksum } from './nmea_helpers.js';

const epoch = (k: number) => `${withChecksum(`$GPTXT,01,01,02,vil epoch ${k}`)}\r\n`;

let dir: string | undefined;
let pty: PtyPair | undefined;
let link: SerialLink | undefined;
afterEach(async () => {
  await link?.stop();
  await pty?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = pty = link = undefined;
});

describe('serial link: a device that vanishes and comes back', () => {
  it('is reopened because it reappeared, not after the back-off; no epoch written after the reopen is lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-reappear-'));
    const device = join(dir, 'ttyGNSS');
    pty = new PtyPair(device, join(dir, 'feed'));
    await pty.start();
    let received = '';
    const states: LinkState[] = [];
    link = new SerialLink(
      { path: device, baudRate: 115200, minRetryMs: 60_000, maxRetryMs: 60_000, logger: pino({ level: 'silent' }) },
      { data: (chunk) => (received += chunk.toString('latin1')), state: (s) => states.push(s) },
    );
    link.start();
    await waitFor(() => link!.state === 'open', 'the first open', 240_000);
    pty.write(epoch(0));
    await waitFor(() => received.includes(epoch(0)), 'epoch 0 before the device vanishes', 240_000);

    // The receiver is unplugged: the link loses the port and waits (60 s back-off).
    await pty.stop();
    await waitFor(() => link!.state === 'waiting', 'the link to notice the loss', 240_000).catch((e: Error) => {
      throw new Error(`${e.message} (states: ${states.join(' → ')}; device path ${existsSync(device) ? 'still there' : 'gone'})`);
    });
    const opensBefore = link.counters.opens;

    // Plugged in again: the receiver sends epochs from now on, until the link reports the port open.
    // As a real receiver, it does not wait for anyone to read: with nobody reading the device, the
    // pty's buffers fill and further epochs are dropped (a non-blocking write, EAGAIN).
    await pty.start();
    const sender = openSync(pty.feed, constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
    let k = 1;
    let writtenAtOpen = -1;
    const limit = Date.now() + 30_000;
    try {
      while (link.state !== 'open') {
        if (Date.now() > limit) throw new Error(`the link did not reopen within 30 s of the device reappearing (state ${link.state}; its back-off is 60 s)`);
        try {
          writeSync(sender, epoch(k++), null, 'latin1');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        }
        await sleep(5);
      }
    } finally {
      closeSync(sender);
    }
    writtenAtOpen = k;
    expect(link.counters.opens).toBe(opensBefore + 1);

    // Every epoch written after the link reported the port open arrives, in order.
    const after = 50;
    for (let i = 0; i < after; i++) pty.write(epoch(writtenAtOpen + i));
    const last = epoch(writtenAtOpen + after - 1);
    await waitFor(() => received.includes(last), 'the last epoch', 240_000);
    const got = [...received.matchAll(/vil epoch (\d+)\*/g)].map((m) => Number(m[1])).filter((n) => n >= writtenAtOpen);
    expect(got).toEqual(Array.from({ length: after }, (_, i) => writtenAtOpen + i));
    expect(states.filter((s) => s === 'open')).toHaveLength(2);
  }, 600_000);

  it('a device node that vanishes while the port reports nothing (a pulled USB adapter) is a loss too', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vil-vanish-'));
    const device = join(dir, 'ttyGNSS');
    pty = new PtyPair(device, join(dir, 'feed'));
    await pty.start();
    const details: string[] = [];
    link = new SerialLink(
      { path: device, baudRate: 115200, minRetryMs: 60_000, maxRetryMs: 60_000, logger: pino({ level: 'silent' }) },
      { data: () => undefined, state: (s, detail) => details.push(`${s}${detail ? `: ${detail}` : ''}`) },
    );
    link.start();
    await waitFor(() => link!.state === 'open', 'the first open', 240_000);
    // Only the path goes: socat keeps the pty's other end open, so the port sees no hang-up.
    rmSync(device);
    await waitFor(() => link!.state === 'waiting', 'the link to notice the vanished device', 240_000);
    expect(details.at(-1)).toMatch(/^waiting: device removed; retrying in 60000 ms$/);
    expect(link.counters.disconnects).toBe(1);
  }, 600_000);
});

// The serial edge of rtk_serial: one device path (e.g. /dev/serial/by-id/usb-u-blox_...), opened,
// read in chunks and, when it vanishes or cannot be opened, reopened with back-off forever. The
// device's lifecycle is this small state machine: closed → opening → open → (error|close) → waiting → opening ...
//
// While waiting, the device path is watched (fs.watch on its directory, and a stat every
// DEVICE_POLL_MS in case the directory itself comes and goes, as /dev/serial/by-id does): once
// the device has been seen absent and is back, it is opened at once instead of after the rest of
// the back-off, so a receiver that is replugged loses no more epochs than the replug itself. A
// device that is present but fails to open (permissions, busy) keeps the back-off.
//
// While open, the path is polled too: a pulled USB adapter takes its device node with it, and
// that absence is the loss even when the port itself has not (yet) reported an error.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { SerialPort } from 'serialport';
import type { Logger } from 'pino';

/** Existence poll of the device path while open, and while waiting (the watcher usually reacts first). */
const DEVICE_POLL_MS = 50;

export type LinkState = 'closed' | 'opening' | 'open' | 'waiting' | 'stopped';

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  /** First retry delay; doubles per failed attempt up to maxRetryMs. */
  minRetryMs: number;
  maxRetryMs: number;
  logger: Logger;
}

export interface SerialLinkEvents {
  /** A chunk as the OS delivered it. */
  data(chunk: Buffer): void;
  state(state: LinkState, detail?: string): void;
}

export class SerialLink {
  state: LinkState = 'closed';
  lastError = '';
  readonly counters = { opens: 0, failedOpens: 0, disconnects: 0, bytesIn: 0, bytesOut: 0, writesDropped: 0 };

  private port: SerialPort | undefined;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  /** The device path was seen absent since the port was lost. */
  private deviceGone = false;

  constructor(
    private readonly options: SerialLinkOptions,
    private readonly events: SerialLinkEvents,
  ) {
    this.retryMs = options.minRetryMs;
  }

  start(): void {
    if (this.state !== 'closed') return;
    this.open();
  }

  /** Writes bytes to the receiver (RTCM corrections). Dropped and counted while the port is not open:
   * stale corrections are worse than none, so nothing is queued for a later reconnect. */
  write(bytes: Uint8Array): boolean {
    if (this.state !== 'open' || !this.port) {
      this.counters.writesDropped++;
      return false;
    }
    this.counters.bytesOut += bytes.length;
    this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return true;
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    clearTimeout(this.retryTimer);
    this.unwatch();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private open(): void {
    this.unwatch();
    clearTimeout(this.retryTimer);
    this.setState('opening');
    const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate, autoOpen: false });
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      this.counters.bytesIn += chunk.length;
      this.events.data(chunk);
    });
    port.on('error', (err: Error) => this.lost(port, err.message));
    port.on('close', (err?: Error & { disconnected?: boolean }) => this.lost(port, err?.message ?? 'port closed'));
    port.open((err) => {
      if (this.state === 'stopped' || this.port !== port) {
        if (!err) port.close();
        return;
      }
      if (err) {
        this.counters.failedOpens++;
        this.port = undefined;
        this.scheduleRetry(err.message);
        return;
      }
      this.counters.opens++;
      this.retryMs = this.options.minRetryMs;
      this.lastError = '';
      this.setState('open');
      this.pollTimer = setInterval(() => {
        if (this.port === port && this.state === 'open' && !existsSync(this.options.path)) this.lost(port, 'device removed');
      }, DEVICE_POLL_MS);
    });
  }

  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port || this.state === 'stopped') return;
    this.unwatch();
    this.port = undefined;
    if (this.state === 'open') this.counters.disconnects++;
    if (port.isOpen) port.close(() => undefined);
    this.scheduleRetry(reason);
  }

  private scheduleRetry(reason: string): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs);
    this.lastError = reason;
    this.setState('waiting', `${reason}; retrying in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      if (this.state === 'waiting') this.open();
    }, delay);
    this.watchDevice();
  }

  /** Watches the device path while waiting: reopens as soon as it is back after being absent. */
  private watchDevice(): void {
    // Judged from now on: a path still there when the port was lost (it goes a moment later) or
    // a device that exists but fails to open must first be seen absent.
    this.deviceGone = false;
    this.checkDevice();
    if (this.state !== 'waiting') return;
    {
      try {
        const name = basename(this.options.path);
        this.watcher = watch(dirname(this.options.path), { persistent: false }, (_event, file) => {
          if (file === null || file === name) this.checkDevice();
        });
        // The directory itself vanished (e.g. /dev/serial/by-id with the last device): the poll remains.
        this.watcher.on('error', () => this.closeWatcher());
      } catch {
        // No directory to watch right now: the poll finds the device.
      }
    }
    this.pollTimer ??= setInterval(() => this.checkDevice(), DEVICE_POLL_MS);
  }

  private checkDevice(): void {
    if (this.state !== 'waiting') return;
    if (!existsSync(this.options.path)) this.deviceGone = true;
    else if (this.deviceGone) this.open();
  }

  private closeWatcher(): void {
    const w = this.watcher;
    this.watcher = undefined;
    w?.close();
  }

  private unwatch(): void {
    this.closeWatcher();
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private setState(state: LinkState, detail?: string): void {
    this.state = state;
    this.events.state(state, detail);
  }
}

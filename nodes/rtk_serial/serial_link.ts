// The serial edge of rtk_serial: one device path (e.g. /dev/serial/by-id/usb-u-blox_...), opened,
// read in chunks and, when it vanishes or cannot be opened, reopened with back-off forever. The
// device's lifecycle is this small state machine: closed → opening → open → (error|close) → waiting → opening ...
import { SerialPort } from 'serialport';
import type { Logger } from 'pino';

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
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private open(): void {
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
    });
  }

  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port || this.state === 'stopped') return;
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
  }

  private setState(state: LinkState, detail?: string): void {
    this.state = state;
    this.events.state(state, detail);
  }
}

// The UDP edge both sim_pose and dspace_relay send through: one connected UDP socket per
// destination. Connected, so the kernel reports an ICMP port unreachable as ECONNREFUSED:
// counted, never fatal; the socket keeps sending and packets arrive again as soon as the receiver
// is back. Packets are copied into a small ring of preallocated buffers because Node may queue a
// send and read the buffer later.
//
// How Linux and Node report a refusal (measured on 127.0.0.1): the ICMP error of a packet that
// left sets the socket's pending error. Node reads it on its next poll of the socket ('error'
// event, syscall recvmsg) or, when the next send comes first, that send fails with ECONNREFUSED
// (its callback) and that packet does not leave. Either way one report means one earlier packet
// was refused: it is taken out of `sent`. Linux keeps one pending error per socket, so refusals
// arriving between two reads or sends merge into one report (then `sent` may still hold some).
import dgram from 'node:dgram';
import { isIP } from 'node:net';

export interface UdpDestination {
  host: string;
  port: number;
  /** Multicast options; used when host is a multicast group (224.0.0.0/4). */
  multicastTtl?: number;
  multicastInterface?: string;
  multicastLoopback?: boolean;
  /** Bind to this local address/port first (only when a receiver insists on a source port). */
  bindAddress?: string;
  bindPort?: number;
}

export interface UdpSenderStats {
  sent: number;
  bytes: number;
  /** Every failed send or socket error (the sum of the three below and `other`). */
  errors: number;
  /** Packets refused by the destination (ECONNREFUSED: ICMP port unreachable); not in `sent`. */
  refused: number;
  /** EHOSTUNREACH / ENETUNREACH / EHOSTDOWN / ENETDOWN: no route. */
  unreachable: number;
  /** Packets dropped while the socket was (re)connecting. */
  notConnected: number;
  other: number;
  /** More sends in flight than ring slots: a buffer was allocated (should stay 0). */
  ringOverrun: number;
  lastError?: string;
  /** performance.now() of the last error. */
  lastErrorAt?: number;
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);

export function isMulticast(host: string): boolean {
  if (isIP(host) !== 4) return false;
  const first = Number(host.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Parses "host:port" ("[v6]:port" too); undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}

export class UdpSender {
  readonly stats: UdpSenderStats = { sent: 0, bytes: 0, errors: 0, refused: 0, unreachable: 0, notConnected: 0, other: 0, ringOverrun: 0 };
  private socket?: dgram.Socket;
  private connected = false;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private retryMs = 200;
  private readonly ring: Buffer[];
  private head = 0;
  private inFlight = 0;
  private lastLength = 0;
  private readonly onSent: (err: Error | null) => void;

  constructor(
    readonly destination: UdpDestination,
    packetSize: number,
    private readonly onError?: (code: string, message: string) => void,
    ringSlots = 16,
  ) {
    this.ring = Array.from({ length: ringSlots }, () => Buffer.alloc(packetSize));
    this.onSent = (err) => {
      this.inFlight--;
      if (err) {
        // Counted as sent when handed over; undo, it did not leave.
        this.stats.sent--;
        this.stats.bytes -= this.lastLength;
        this.recordError(err as NodeJS.ErrnoException);
      }
    };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Opens and connects the socket; resolves once connected or after the first failure (it retries). */
  start(): Promise<void> {
    return new Promise((resolve) => this.open(resolve));
  }

  private open(done?: () => void): void {
    if (this.closed) return done?.();
    const d = this.destination;
    const type = isIP(d.host) === 6 ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type, reuseAddr: d.bindPort !== undefined });
    this.socket = sock;
    // Errors surfacing on the receive side (ICMP errors of a connected socket) land here.
    sock.on('error', (err: NodeJS.ErrnoException) => this.recordError(err));
    // A connected socket only accepts datagrams from its peer; vil reads none of them.
    sock.on('message', () => undefined);
    const connect = () => {
      sock.connect(d.port, d.host, (err?: Error) => {
        if (err) {
          this.recordError(err as NodeJS.ErrnoException);
          this.scheduleReopen();
          return done?.();
        }
        this.connected = true;
        this.retryMs = 200;
        if (isMulticast(d.host)) {
          try {
            sock.setMulticastTTL(d.multicastTtl ?? 1);
            sock.setMulticastLoopback(d.multicastLoopback ?? true);
            if (d.multicastInterface) sock.setMulticastInterface(d.multicastInterface);
          } catch (e) {
            this.recordError(e as NodeJS.ErrnoException);
          }
        }
        done?.();
      });
    };
    if (d.bindPort !== undefined || d.bindAddress !== undefined) sock.bind({ port: d.bindPort ?? 0, address: d.bindAddress, exclusive: false }, connect);
    else connect();
  }

  private scheduleReopen(): void {
    if (this.closed || this.retryTimer) return;
    const s = this.socket;
    this.connected = false;
    this.socket = undefined;
    try {
      s?.close();
    } catch {
      // already closed
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 5000);
  }

  private recordError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'ERROR';
    this.stats.errors++;
    if (code === 'ECONNREFUSED') {
      this.stats.refused++;
      // An earlier packet, counted as sent when it left, was refused (see the top of the file).
      // Every packet of a sender has the layout's size.
      if (this.stats.sent > 0) {
        this.stats.sent--;
        this.stats.bytes -= this.lastLength;
      }
    } else if (UNREACHABLE.has(code)) this.stats.unreachable++;
    else this.stats.other++;
    this.stats.lastError = `${code}: ${err.message}`;
    this.stats.lastErrorAt = performance.now();
    this.onError?.(code, err.message);
  }

  /** Sends a copy of `packet`. False when not connected (counted) — never throws. */
  send(packet: Uint8Array): boolean {
    const sock = this.socket;
    if (!this.connected || !sock) {
      this.stats.notConnected++;
      return false;
    }
    let buf: Buffer;
    if (this.inFlight < this.ring.length && packet.length <= this.ring[0].length) {
      buf = this.ring[this.head];
      this.head = (this.head + 1) % this.ring.length;
    } else {
      this.stats.ringOverrun++;
      buf = Buffer.allocUnsafe(packet.length);
    }
    buf.set(packet);
    this.lastLength = packet.length;
    this.inFlight++;
    try {
      sock.send(buf, 0, packet.length, this.onSent);
    } catch (e) {
      this.inFlight--;
      this.recordError(e as NodeJS.ErrnoException);
      return false;
    }
    this.stats.sent++;
    this.stats.bytes += packet.length;
    return true;
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const s = this.socket;
    this.socket = undefined;
    this.connected = false;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

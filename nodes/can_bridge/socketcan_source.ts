// SocketCAN intake of can_bridge: one CAN_RAW socket on one interface through the `socketcan`
// npm addon (4.3.1), turned into CanFrame events and link/bus state events. It never throws out
// of its callbacks: a missing, downed, vanished or carrier-less interface is reported as a state
// and reopened with bounded back-off, and frames resume without a restart.
//
// What the addon gives and what it does not (read from its native/can.cc; see
// test/can_bridge/socketcan.test.ts for the checks in a real kernel):
// - CAN_RAW with CAN_RAW_FD_FRAMES always on; recv() of struct canfd_frame, at most 101 frames
//   per wake-up of its poll thread, each handed to JS as a fresh object with a Buffer copy.
// - It reports id, ext, rtr, err and the data; NOT the recv() size (CAN_MTU vs CANFD_MTU) nor
//   canfd_frame.flags. So an FD frame is recognisable only by a payload over 8 bytes: FD frames of
//   0..8 bytes arrive looking classic, BRS and ESI are never known on receipt, and a classic
//   frame's raw DLC 9..15 (len8_dlc) is lost. Sending FD sets BRS but cannot set ESI.
// - Kernel receive stamps: with `timestamps`, ioctl(SIOCGSTAMP) after each recv(): the kernel's
//   receive time in microseconds (struct timeval). Caveat: the socket turns kernel stamping on
//   at its first SIOCGSTAMP and the kernel enables it from a work queue, so frames already
//   queued then (at most the first wake-up's worth) carry the time of the ioctl instead.
// - Error frames: the error mask is CAN_ERR_MASK (all classes) by default; setErrorFilters()
//   changes it. Kernel filters: setRxFilters() (CAN_RAW_FILTER; an empty list means "all").
// - NOT supported: SO_RCVBUF (raise net.core.rmem_default instead: the socket takes the default),
//   SO_RXQ_OVFL (the kernel's count of frames dropped on a full socket queue), hardware stamps,
//   closing the socket (stop() ends the poll thread; the fd is closed when the object is
//   garbage-collected). On a fatal socket error (interface removed) its thread ends and it
//   calls 'onStopped' listeners; ENETDOWN (interface set down) it swallows, and the socket
//   receives again after the interface comes back up.
// So `drops` here counts what the stack does report: controller RX overflows
// (CAN_ERR_CRTL_RX_OVERFLOW error frames). Frames lost in the socket's own queue are measured
// apart, from the kernel's per-receiver match counts (socket_drops.ts; socketDrops()), sampled on
// a timer, never per frame.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Time } from '../runtime/ros.js';
import { ThrottledLog } from '../runtime/logger.js';
import { ConfigError } from '../runtime/errors.js';
import { Backoff } from './backoff.js';
import { BusStateTracker, CAN_ERR_FLAG, CAN_ERR_MASK, decodeCanError, describeCanError, type BusState } from './can_error.js';
import { SocketDropMonitor, addressesHidden, fingerprintFilters, type SocketDropEstimate, type SourceTotals } from './socket_drops.js';
import { CAN_EFF_FLAG, CAN_EFF_MASK, CAN_SFF_MASK } from '../buslog/can_id.js';

export type { BusState } from './can_error.js';

export interface CanFrame {
  /** 11- or 29-bit identifier; for an error frame its error class mask (linux/can/error.h). */
  id: number;
  extended: boolean;
  rtr: boolean;
  error: boolean;
  /** CAN FD. On receipt known only for payloads over 8 bytes (see the file comment). */
  fd: boolean;
  brs: boolean;
  esi: boolean;
  /** Data length code: 0..8 for classic frames (the requested length for RTR), 0..15 for FD. */
  dlc: number;
  /** The payload (empty for RTR). */
  data: Uint8Array;
  /** Kernel receive time when available, else the ROS clock at receipt. */
  stamp: Time;
}

export interface CanSourceState {
  iface: string;
  /** The socket is open on an interface that is up with carrier. */
  up: boolean;
  busState: BusState;
  reason?: string;
}

export interface CanSourceEvents {
  frame(f: CanFrame): void;
  state(s: CanSourceState): void;
}

export interface CanFilter {
  id: number;
  mask: number;
  /** true: 29-bit frames only; false: 11-bit frames only; absent: both. */
  extended?: boolean;
}

export interface SocketCanSourceOptions {
  iface: string;
  /** Accept CAN FD frames; when false, frames over 8 bytes are counted as ignored. */
  fd: boolean;
  /** Kernel filters (CAN_RAW_FILTER); a frame passes when any filter matches. None: all frames. */
  filters?: CanFilter[];
  /** Receive error frames (all classes), deliver them as frames and follow the bus state. */
  errorFrames: boolean;
  reopenMinMs?: number;
  reopenMaxMs?: number;
  /** How often the interface's state is read from sysfs (default 250 ms). */
  linkPollMs?: number;
  /** Use kernel receive stamps (default true). Pass false under use_sim_time: then every
   *  frame is stamped with `now()`, the ROS clock. */
  kernelStamps?: boolean;
  /** How often the socket's losses are sampled from /proc/net/can (default 1000 ms; 0: never). */
  socketDropsPollMs?: number;
  now: () => Time;
  logger: Logger;
  /** Names the configuration in errors about these options (default "SocketCanSource options"). */
  configSource?: string;
}

export interface SocketCanCounters {
  /** Frames delivered to `frame` (data and error frames). */
  frames: number;
  fdFrames: number;
  errorFrames: number;
  /** Frames known lost: controller RX overflows reported by error frames (see file comment). */
  drops: number;
  /** Open attempts after the first one. */
  reopenAttempts: number;
  /** Successful opens among those. */
  reopens: number;
  sent: number;
  sendFailures: number;
  /** FD frames received while `fd` is false. */
  ignored: number;
  /** Exceptions thrown by the `frame`/`state` handlers (caught and counted). */
  handlerErrors: number;
}

/** What sysfs says about a network interface. */
export interface LinkState {
  exists: boolean;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** Carrier present (a CAN controller drops it in bus-off). */
  carrier: boolean;
  mtu: number;
}

const IFF_UP = 0x1;
const CANFD_MTU = 72;
const CAN_RAW_FILTER_MAX = 512;

export function readLinkState(iface: string, sysfsNet = '/sys/class/net'): LinkState {
  const dir = `${sysfsNet}/${iface}`;
  let flags: number;
  try {
    flags = parseInt(readFileSync(`${dir}/flags`, 'latin1'), 16);
  } catch {
    return { exists: false, up: false, carrier: false, mtu: 0 };
  }
  let carrier = false;
  try {
    carrier = readFileSync(`${dir}/carrier`, 'latin1').trim() === '1';
  } catch {
    // EINVAL while the interface is down
  }
  let mtu = 0;
  try {
    mtu = parseInt(readFileSync(`${dir}/mtu`, 'latin1'), 10);
  } catch {
    // vanished between the reads
  }
  return { exists: true, up: (flags & IFF_UP) !== 0, carrier, mtu };
}

// Payload length -> FD DLC (ISO 11898-1): 0..8 as is, then 12, 16, 20, 24, 32, 48, 64 -> 9..15.
const LEN_TO_DLC = new Uint8Array(65);
for (let len = 0; len <= 64; len++) {
  LEN_TO_DLC[len] = len <= 8 ? len : len <= 12 ? 9 : len <= 16 ? 10 : len <= 20 ? 11 : len <= 24 ? 12 : len <= 32 ? 13 : len <= 48 ? 14 : 15;
}
const EMPTY = new Uint8Array(0);
const RTR_PAYLOADS = Array.from({ length: 9 }, (_, n) => Buffer.alloc(n));

// The parts of the addon this module uses (its own typings do not resolve under NodeNext).
interface AddonMessage {
  id: number;
  ext?: boolean;
  rtr?: boolean;
  err?: boolean;
  data: Buffer;
  ts_sec?: number;
  ts_usec?: number;
}
interface AddonChannel {
  addListener(event: 'onMessage', cb: (m: AddonMessage) => void): void;
  addListener(event: 'onStopped', cb: () => void): void;
  start(): void;
  stop(): void;
  send(m: { id: number; ext: boolean; rtr: boolean; data: Buffer }): number;
  sendFD(m: { id: number; ext: boolean; fd_brs: boolean; data: Buffer }): number;
  setRxFilters(filters: { id: number; mask: number; invert: boolean }[]): void;
  setErrorFilters(mask: number): void;
}
interface Addon {
  createRawChannelWithOptions(iface: string, options: { timestamps?: boolean; non_block_send?: boolean }): AddonChannel;
}

let addon: Addon | undefined;
function loadAddon(): Addon {
  // Loaded on first open, so importing this module never needs the native build.
  addon ??= createRequire(import.meta.url)('socketcan') as Addon;
  return addon;
}

export class SocketCanSource {
  readonly counters: SocketCanCounters = {
    frames: 0,
    fdFrames: 0,
    errorFrames: 0,
    drops: 0,
    reopenAttempts: 0,
    reopens: 0,
    sent: 0,
    sendFailures: 0,
    ignored: 0,
    handlerErrors: 0,
  };

  private readonly iface: string;
  private readonly fdEnabled: boolean;
  private readonly errorFrames: boolean;
  private readonly kernelStamps: boolean;
  private readonly filters: { id: number; mask: number; invert: boolean }[];
  /** What the socket registers: `filters`, or without them, when the kernel hides socket
   *  addresses, a split that passes every frame once and lets socket_drops.ts find our receivers. */
  private readonly rxFilters: { id: number; mask: number; invert: boolean }[];
  private readonly linkPollMs: number;
  private readonly now: () => Time;
  private readonly logger: Logger;
  private readonly log: ThrottledLog;
  private readonly backoff: Backoff;
  private readonly tracker = new BusStateTracker();
  private readonly dropMonitor: SocketDropMonitor;
  private readonly dropPollMs: number;
  /** Frames the addon handed us from the current and earlier sockets (socket_drops.ts's `read`). */
  private readCount = 0;
  /** The addon's onMessage listener for channel `ch`: drops late calls from a closed channel and
   *  keeps exceptions out of the addon, which would end the process with them. */
  private readonly listenerFor = (ch: AddonChannel) => (m: AddonMessage) => {
    if (ch !== this.channel) return;
    this.readCount++;
    try {
      this.onMessage(m);
    } catch (e) {
      this.counters.handlerErrors++;
      this.log.error('on-message', `${this.iface}: frame handling failed: ${(e as Error).message}`);
    }
  };

  private running = false;
  private attempted = false;
  private channel: AddonChannel | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private linkTimer: NodeJS.Timeout | undefined;
  private dropTimer: NodeJS.Timeout | undefined;
  private current: CanSourceState;

  constructor(
    opts: SocketCanSourceOptions,
    private readonly events: CanSourceEvents,
  ) {
    const src = opts.configSource ?? 'SocketCanSource options';
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(opts.iface)) {
      throw new ConfigError({ source: src, key: 'iface', problem: `"${opts.iface}" is not a network interface name`, fix: 'name the SocketCAN interface, e.g. can0 or vcan0 (1-15 characters, no "/")' });
    }
    const minMs = opts.reopenMinMs ?? 100;
    const maxMs = opts.reopenMaxMs ?? 2000;
    if (!(minMs > 0) || !(maxMs >= minMs)) {
      throw new ConfigError({ source: src, key: 'reopenMinMs/reopenMaxMs', problem: `need 0 < min <= max, got ${minMs} and ${maxMs}`, fix: 'e.g. 100 and 2000' });
    }
    const filters = opts.filters ?? [];
    if (filters.length > CAN_RAW_FILTER_MAX) {
      throw new ConfigError({ source: src, key: 'filters', problem: `${filters.length} filters, the kernel takes at most ${CAN_RAW_FILTER_MAX}`, fix: 'merge filters with wider masks' });
    }
    this.filters = filters.map((f, i) => toKernelFilter(f, `filters[${i}]`, src));
    this.iface = opts.iface;
    this.fdEnabled = opts.fd;
    this.errorFrames = opts.errorFrames;
    this.kernelStamps = opts.kernelStamps ?? true;
    this.linkPollMs = opts.linkPollMs ?? 250;
    this.now = opts.now;
    this.logger = opts.logger;
    this.log = new ThrottledLog(opts.logger);
    this.backoff = new Backoff(minMs, maxMs);
    this.current = { iface: this.iface, up: false, busState: 'unknown', reason: 'not started' };
    this.dropPollMs = opts.socketDropsPollMs ?? 1000;
    this.rxFilters = this.filters.length || this.dropPollMs <= 0 || !addressesHidden() ? this.filters : fingerprintFilters();
    this.dropMonitor = new SocketDropMonitor({
      iface: this.iface,
      filters: this.rxFilters,
      errorFrames: this.errorFrames,
      disabled: this.dropPollMs > 0 ? undefined : 'not sampled (socketDropsPollMs 0)',
    });
  }

  /** Frames lost in this source's socket queue (bounds, exact when idle; see socket_drops.ts). */
  socketDrops(): SocketDropEstimate {
    return this.dropMonitor.estimate();
  }

  private totals(): SourceTotals {
    return { read: this.readCount, errorRead: this.counters.errorFrames, sent: this.counters.sent };
  }

  /** The last state reported. */
  get state(): CanSourceState {
    return this.current;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.linkTimer = setInterval(() => this.checkLink(), this.linkPollMs);
    if (this.dropPollMs > 0) this.dropTimer = setInterval(() => this.dropMonitor.sample(this.totals()), this.dropPollMs);
    this.attemptOpen();
  }

  stop(): void {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.linkTimer) clearInterval(this.linkTimer);
    if (this.dropTimer) clearInterval(this.dropTimer);
    this.retryTimer = this.linkTimer = this.dropTimer = undefined;
    this.closeChannel();
    this.current = { iface: this.iface, up: false, busState: 'unknown', reason: 'stopped' };
  }

  /** Sends one frame; false (and counted) when the socket is not open or the kernel refuses it. */
  send(f: CanFrame): boolean {
    const ch = this.channel;
    if (!ch) {
      this.counters.sendFailures++;
      this.log.warn('send-closed', `${this.iface}: frame not sent, the socket is not open`, { reason: this.current.reason });
      return false;
    }
    try {
      const id = f.error ? (f.id & CAN_ERR_MASK) | CAN_ERR_FLAG : f.id;
      let n: number;
      if (f.fd) {
        n = ch.sendFD({ id, ext: f.extended, fd_brs: f.brs, data: asBuffer(f.data) });
      } else {
        const data = f.rtr ? (RTR_PAYLOADS[f.dlc] ?? RTR_PAYLOADS[0]) : asBuffer(f.data);
        n = ch.send({ id, ext: f.extended, rtr: f.rtr, data });
      }
      if (n > 0) {
        this.counters.sent++;
        return true;
      }
      this.counters.sendFailures++;
      this.log.warn('send-refused', `${this.iface}: the kernel refused a frame (queue full, interface down or not CAN FD)`, { id: f.id });
    } catch (e) {
      this.counters.sendFailures++;
      this.log.warn('send-invalid', `${this.iface}: frame not sent: ${(e as Error).message}`, { id: f.id });
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------

  private onMessage(m: AddonMessage): void {
    const raw = m.data;
    const len = raw.length;
    const stamp = this.kernelStamps && m.ts_sec !== undefined ? { sec: m.ts_sec >>> 0, nanosec: (m.ts_usec ?? 0) * 1000 } : this.now();
    if (m.err === true) {
      this.counters.errorFrames++;
      const info = decodeCanError(m.id, raw);
      if (info.rxOverflow) this.counters.drops++;
      this.deliver({ id: m.id, extended: false, rtr: false, error: true, fd: false, brs: false, esi: false, dlc: len, data: raw, stamp });
      const changed = this.tracker.update(info);
      if (changed !== undefined) {
        const reason = describeCanError(m.id, raw);
        this.logger[changed === 'error-active' ? 'info' : 'warn']({ iface: this.iface, busState: changed, reason }, `${this.iface}: bus state ${changed}`);
        this.report(true, reason);
      }
      return;
    }
    const fd = len > 8;
    if (fd) {
      if (!this.fdEnabled) {
        this.counters.ignored++;
        return;
      }
      this.counters.fdFrames++;
    }
    const rtr = m.rtr === true;
    this.deliver({
      id: m.id,
      extended: m.ext === true,
      rtr,
      error: false,
      fd,
      brs: false,
      esi: false,
      dlc: LEN_TO_DLC[len],
      data: rtr ? EMPTY : raw,
      stamp,
    });
  }

  private deliver(f: CanFrame): void {
    this.counters.frames++;
    try {
      this.events.frame(f);
    } catch (e) {
      // An exception escaping into the addon's callback would end the process.
      this.counters.handlerErrors++;
      this.log.error('frame-handler', `${this.iface}: frame handler threw: ${(e as Error).message}`);
    }
  }

  private report(up: boolean, reason: string): void {
    this.current = { iface: this.iface, up, busState: this.tracker.state, reason };
    try {
      this.events.state(this.current);
    } catch (e) {
      this.counters.handlerErrors++;
      this.log.error('state-handler', `${this.iface}: state handler threw: ${(e as Error).message}`);
    }
  }

  /** Why the interface cannot carry frames now, or undefined when it can. */
  private unusable(link: LinkState): string | undefined {
    if (!link.exists) return `no interface ${this.iface}`;
    if (!link.up) return `${this.iface} is down`;
    if (!link.carrier) return `${this.iface} has no carrier (bus-off or controller stopped)`;
    return undefined;
  }

  private attemptOpen(): void {
    this.retryTimer = undefined;
    if (!this.running) return;
    const isReopen = this.attempted;
    this.attempted = true;
    if (isReopen) this.counters.reopenAttempts++;
    const link = readLinkState(this.iface);
    const why = this.unusable(link);
    if (why) return this.openFailed(why);
    let ch: AddonChannel;
    this.dropMonitor.beforeOpen();
    try {
      ch = loadAddon().createRawChannelWithOptions(this.iface, { timestamps: this.kernelStamps, non_block_send: true });
      if (this.rxFilters.length) ch.setRxFilters(this.rxFilters);
      ch.setErrorFilters(this.errorFrames ? CAN_ERR_MASK : 0);
      ch.addListener('onMessage', this.listenerFor(ch));
      ch.addListener('onStopped', () => this.onStopped(ch));
      ch.start();
    } catch (e) {
      return this.openFailed(`opening ${this.iface} failed: ${(e as Error).message}`);
    }
    this.channel = ch;
    this.dropMonitor.opened(this.totals());
    this.backoff.reset();
    this.tracker.reset();
    if (isReopen) this.counters.reopens++;
    if (this.fdEnabled && link.mtu !== CANFD_MTU) {
      this.logger.warn({ iface: this.iface, mtu: link.mtu }, `${this.iface} is not a CAN FD interface (mtu ${link.mtu}): FD frames cannot arrive`);
    }
    this.logger.info({ iface: this.iface, reopens: this.counters.reopens }, `${this.iface}: socket open`);
    this.report(true, isReopen ? 'reopened' : 'opened');
  }

  private openFailed(reason: string): void {
    if (this.current.up || this.current.reason !== reason) this.report(false, reason);
    this.log.warn(`open:${reason}`, `${reason}; retrying`, { iface: this.iface, reopenAttempts: this.counters.reopenAttempts });
    this.retryTimer = setTimeout(() => this.attemptOpen(), this.backoff.next());
  }

  private lose(reason: string): void {
    this.closeChannel();
    this.tracker.reset();
    this.log.warn(`lost:${reason}`, `${reason}; reopening`, { iface: this.iface });
    this.report(false, reason);
    if (this.running && !this.retryTimer) this.retryTimer = setTimeout(() => this.attemptOpen(), this.backoff.next());
  }

  private checkLink(): void {
    if (!this.running) return;
    const why = this.unusable(readLinkState(this.iface));
    if (this.channel) {
      if (why) this.lose(why);
    } else if (!why && this.retryTimer) {
      // The interface is back: no need to sit out the rest of the back-off.
      clearTimeout(this.retryTimer);
      this.attemptOpen();
    }
  }

  /** The addon's poll thread ended on a fatal socket error (e.g. ENODEV: interface removed). */
  private onStopped(ch: AddonChannel): void {
    if (ch !== this.channel) return; // our own stop()
    this.channel = undefined; // the addon is tearing it down itself; stop() would throw
    this.dropMonitor.closed(this.totals());
    const why = this.unusable(readLinkState(this.iface));
    this.lose(why ?? `${this.iface}: socket closed by the kernel`);
  }

  private closeChannel(): void {
    const ch = this.channel;
    this.channel = undefined; // first, so the onStopped it fires is recognised as ours
    if (!ch) return;
    this.dropMonitor.closed(this.totals());
    try {
      ch.stop();
    } catch {
      // "Channel not started": its thread already ended
    }
  }
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function toKernelFilter(f: CanFilter, key: string, source: string): { id: number; mask: number; invert: boolean } {
  const max = f.extended === false ? CAN_SFF_MASK : CAN_EFF_MASK;
  for (const [name, v] of [['id', f.id], ['mask', f.mask]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new ConfigError({ source, key: `${key}.${name}`, problem: `${v} is not a ${f.extended === false ? '11' : '29'}-bit value`, fix: `use 0..0x${max.toString(16)}` });
    }
  }
  // CAN_EFF_FLAG in the mask makes the filter tell 11-bit from 29-bit frames (linux/can.h).
  if (f.extended === true) return { id: (f.id | CAN_EFF_FLAG) >>> 0, mask: (f.mask | CAN_EFF_FLAG) >>> 0, invert: false };
  if (f.extended === false) return { id: f.id, mask: (f.mask | CAN_EFF_FLAG) >>> 0, invert: false };
  return { id: f.id, mask: f.mask, invert: false };
}

// Frames lost in can_bridge's own CAN_RAW socket, measured without SO_RXQ_OVFL (the socketcan
// addon cannot enable it, nor set SO_RCVBUF).
//
// Method. The CAN core (net/can/af_can.c) keeps one `struct receiver` per filter of every socket
// and counts in `receiver->matches` each frame it hands to that receiver's callback (deliver():
// func(skb, data) then matches++). For a CAN_RAW socket the callback is raw_rcv() and `data` is the
// socket; /proc/net/can/rcvlist_{all,fil,inv,sff,eff,err} (net/can/proc.c) print every receiver
// as "device can_id can_mask function userdata matches ident", pointers with %pK. So
//
//   handed = sum of `matches` over this socket's receivers   (frames the kernel gave the socket)
//   read   = frames the addon recv()'d from it and gave us   (counted in SocketCanSource)
//   handed - read = lost + still queued (+ own frames, see below)
//
// where "lost" covers everything between raw_rcv() and our callback: a full receive queue
// (sock_queue_rcv_skb() fails: the sk_drops that SO_RXQ_OVFL would report) and a failed
// skb_clone() in raw_rcv(), which SO_RXQ_OVFL does not even count. The queue's length cannot be
// read (no sock_diag for AF_CAN, the addon hides the fd), so the count is settled only at an idle
// moment: when two samples a diagnostics period apart saw neither `handed` nor `read` move,
// nothing is queued (the addon's poll thread reports a readable socket at once, and its recv()
// loop runs on the event loop between our timer ticks, so a queued frame would have moved `read`),
// and handed - read is the loss exactly. Losses only grow,
// so that value stays a lower bound afterwards; handed - read now is an upper bound. On a bus
// that never pauses the lower bound stays at the last idle moment (possibly start-up) while the
// upper bound follows the losses plus what is queued (small unless the reader is falling behind).
//
// Finding our receivers. `userdata` is the socket's address, printed hashed (kptr_restrict 0),
// real (kptr_restrict 1 with CAP_SYSLOG) or as zeros (otherwise: e.g. Ubuntu's default
// kptr_restrict 1 for a process without CAP_SYSLOG). Two ways, chosen by what the kernel shows:
// - by address: the set of raw receivers on the interface is read just before the socket is
//   created and again once it is bound with its filters: ours is the new userdata whose receivers
//   are exactly the ones we registered (one per filter or "all" without filters, plus one for error
//   frames), if exactly one new userdata has them.
// - by filter (addresses hidden): our data receivers are the entries whose list, stored id and
//   mask are those of our filters, if no other socket on the interface has any of them, before or
//   at a sample. Without configured filters the source then registers a split of the id space
//   that matches every frame exactly once but no other program is likely to use
//   (fingerprintFilters()). The error-frame receiver (mask CAN_ERR_MASK, common to all) is left
//   out: error frames are not counted in this mode.
// Anything else (another program opening a socket with the same filters on the interface in the
// same instant, another socket with our filters while addresses are hidden, a reused address) leaves the count unavailable for this
// socket, with the reason, rather than guessing. A sample where `handed` is below `read` at an
// idle moment cannot be our socket: the count is dropped then too.
//
// Limits (also in the notes reported):
// - Overlapping kernel filters: a frame matching two of them is handed (and counted) twice but
//   queued once by raw_rcv(); then handed - read overstates, so overlapping filter sets report
//   "unavailable". Disjointness is checked conservatively (it may call disjoint sets overlapping,
//   never the reverse).
// - Own frames: frames this socket sends come back through loopback, are counted in `matches` and
//   discarded by raw_rcv() (no CAN_RAW_RECV_OWN_MSGS). With echo-capable controllers they come
//   back only once on the bus, so the lower bound subtracts all frames sent; the upper bound
//   includes them. can_bridge sends nothing, so both are unaffected there.
// - `matches` is a plain counter: deliveries to one socket on several CPUs at once (local
//   senders on different CPUs) can lose increments, which only makes both figures err low.
// - Frames lost before the CAN core are not in `handed`: controller overflows (error frames,
//   SocketCanSource's `drops`) and the netif backlog (the interface's rx_dropped).
// - Frames still queued when the socket is closed (link down, reopen) are never read: they count
//   as lost. When the kernel removed the receivers itself (interface unregistered), the tail since
//   the last sample is unknown: the upper bound becomes unknown from then on.
//
// Not used, and why: /sys/class/net/<if>/statistics/rx_packets is per interface and its meaning
// depends on the driver (vcan counts frames sent by local sockets as received, real controllers
// count their own echoes as transmitted; older drivers count error frames), and it cannot leave out
// frames that arrived before the socket opened or that kernel filters reject. /proc/net/can/stats
// is per network namespace ("matched frames" counts frames with at least one receiver). sock_diag
// has no AF_CAN handler (net/can implements none), so `ss` cannot show a CAN socket's queue or
// drops.
import { readFileSync } from 'node:fs';
import { CAN_EFF_FLAG, CAN_EFF_MASK, CAN_ERR_FLAG, CAN_ERR_MASK, CAN_RTR_FLAG, CAN_SFF_MASK } from '../buslog/can_id.js';

export const RCV_LISTS = ['all', 'fil', 'inv', 'sff', 'eff', 'err'] as const;
export type RcvListName = (typeof RCV_LISTS)[number];

/** One line of /proc/net/can/rcvlist_<list>. */
export interface KernelReceiver {
  list: RcvListName;
  device: string;
  canId: number;
  mask: number;
  /** %pK of the receiver's `data`: for CAN_RAW the socket. */
  userdata: string;
  matches: number;
  ident: string;
}

/** The kernel's form of a CAN_RAW filter (struct can_filter; invert = CAN_INV_FILTER). */
export interface KernelFilter {
  id: number;
  mask: number;
  invert: boolean;
}

const LINE = /^\s*(\S+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(\S+)\s+(\S+)\s+(-?\d+)\s+(\S+)\s*$/;

/** Parses the text of /proc/net/can/rcvlist_<list> (banners and "(dev: no entry)" lines skipped). */
export function parseRcvlist(text: string, list: RcvListName): KernelReceiver[] {
  const out: KernelReceiver[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m || m[1] === 'device') continue;
    out.push({ list, device: m[1], canId: parseInt(m[2], 16), mask: parseInt(m[3], 16), userdata: m[5], matches: Number(m[6]), ident: m[7] });
  }
  return out;
}

/** CAN_RAW receivers on `device` in the given lists. Throws when /proc/net/can cannot be read. */
export function readRawReceivers(device: string, lists: readonly RcvListName[] = RCV_LISTS, procDir = '/proc/net/can'): KernelReceiver[] {
  const out: KernelReceiver[] = [];
  for (const list of lists) {
    for (const r of parseRcvlist(readFileSync(`${procDir}/rcvlist_${list}`, 'latin1'), list)) {
      if (r.device === device && r.ident === 'raw') out.push(r);
    }
  }
  return out;
}

/** %pK printed no usable address: zeros (kptr_restrict), "(ptrval)" before the hash key is ready, "pK-error". */
export function pointerHidden(userdata: string): boolean {
  return /^0+$/.test(userdata) || /ptrval|error/i.test(userdata);
}

/** The filter as the kernel stores it (find_rcv_list() in net/can/af_can.c). */
function normalise(f: KernelFilter): { id: number; mask: number } {
  let mask = f.mask >>> 0;
  if (mask & CAN_EFF_FLAG && !(f.id & CAN_EFF_FLAG)) mask = (mask & (CAN_SFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG)) >>> 0;
  mask = (mask & ~CAN_ERR_FLAG) >>> 0;
  return { id: (f.id & mask) >>> 0, mask };
}

/**
 * Whether some frame could match two of the filters (or an inverted filter is present). Two
 * filters are disjoint when they disagree on a bit both masks test; this may call disjoint sets
 * overlapping (e.g. ids out of an 11-bit frame's range), never the reverse.
 */
export function filtersOverlap(filters: readonly KernelFilter[]): boolean {
  if (filters.some((f) => f.invert)) return true;
  const n = filters.map(normalise);
  for (let i = 0; i < n.length; i++) {
    for (let j = i + 1; j < n.length; j++) {
      if (((n[i].id ^ n[j].id) & n[i].mask & n[j].mask) >>> 0 === 0) return true;
    }
  }
  return false;
}

/** Where the kernel keeps a filter and what it stores (find_rcv_list() in net/can/af_can.c). */
export interface ReceiverKey {
  list: RcvListName;
  canId: number;
  mask: number;
}

const EFF_RTR = (CAN_EFF_FLAG | CAN_RTR_FLAG) >>> 0;

export function receiverKey(f: KernelFilter): ReceiverKey {
  const { id, mask } = normalise(f);
  if (f.invert) return { list: 'inv', canId: id, mask };
  if (mask === 0) return { list: 'all', canId: 0, mask: 0 };
  if ((mask & EFF_RTR) >>> 0 === EFF_RTR && !(id & CAN_RTR_FLAG)) {
    if (id & CAN_EFF_FLAG) {
      if (mask === (CAN_EFF_MASK | EFF_RTR) >>> 0) return { list: 'eff', canId: id, mask };
    } else if (mask === (CAN_SFF_MASK | EFF_RTR) >>> 0) return { list: 'sff', canId: id, mask };
  }
  return { list: 'fil', canId: id, mask };
}

const keyOf = (k: { list: RcvListName; canId: number; mask: number }) => `${k.list}:${k.canId >>> 0}:${k.mask >>> 0}`;

/** The receivers a CAN_RAW socket registers (raw_enable_allfilters(): one per filter, the
 *  default "all" without filters, and the error mask). */
export function expectedKeys(filters: readonly KernelFilter[], errorFrames: boolean): ReceiverKey[] {
  const keys = filters.length ? filters.map(receiverKey) : [{ list: 'all' as const, canId: 0, mask: 0 }];
  return errorFrames ? [...keys, { list: 'err', canId: 0, mask: CAN_ERR_MASK }] : keys;
}

const sameKeys = (rs: readonly { list: RcvListName; canId: number; mask: number }[], want: readonly ReceiverKey[]) =>
  rs.length === want.length && rs.map(keyOf).sort().join() === want.map(keyOf).sort().join();

export type Identified = { userdata: string; lists: RcvListName[]; matches: number } | { reason: string };

/**
 * Our socket's receivers by address: among the userdata values that `after` has and `before` had
 * not, the one whose receivers are exactly the ones we registered (so a program that opened a
 * socket at the same moment with other filters is told apart).
 */
export function identifyReceivers(before: readonly KernelReceiver[], after: readonly KernelReceiver[], keys: readonly ReceiverKey[], device: string): Identified {
  if (after.some((r) => pointerHidden(r.userdata))) {
    return { reason: `the kernel hides socket addresses in /proc/net/can (kernel.kptr_restrict; CAP_SYSLOG shows them), so this socket's receivers on ${device} cannot be told apart` };
  }
  const old = new Set(before.map((r) => r.userdata));
  const fresh = [...new Set(after.map((r) => r.userdata).filter((u) => !old.has(u)))];
  if (fresh.length === 0) return { reason: `no new CAN_RAW receiver appeared on ${device} when the socket opened (address reused?)` };
  const match = fresh.filter((u) => sameKeys(after.filter((r) => r.userdata === u), keys));
  if (match.length === 0) return { reason: `the socket(s) that appeared on ${device} have other kernel receivers than this one registered` };
  if (match.length > 1) return { reason: `${match.length} CAN_RAW sockets with the same filters opened on ${device} at the same moment; cannot tell which is this one` };
  const mine = after.filter((r) => r.userdata === match[0]);
  return { userdata: match[0], lists: [...new Set(mine.map((r) => r.list))], matches: mine.reduce((sum, r) => sum + r.matches, 0) };
}

/** Our data receivers among `after`, by their filters: none of them may be shared. */
export function identifyByFilters(before: readonly KernelReceiver[], after: readonly KernelReceiver[], filters: readonly KernelFilter[], device: string): { keys: ReceiverKey[]; lists: RcvListName[]; matches: number } | { reason: string } {
  const keys = filters.length ? filters.map(receiverKey) : [{ list: 'all' as const, canId: 0, mask: 0 }];
  const want = new Map<string, number>();
  for (const k of keys) want.set(keyOf(k), (want.get(keyOf(k)) ?? 0) + 1);
  const count = (rs: readonly KernelReceiver[], k: string) => rs.filter((r) => keyOf(r) === k).length;
  for (const [k, n] of want) {
    if (count(before, k) > 0) return { reason: `socket addresses are hidden (kernel.kptr_restrict) and another socket on ${device} already has the filter ${k}, so this socket's receivers cannot be told apart` };
    if (count(after, k) !== n) return { reason: `socket addresses are hidden (kernel.kptr_restrict) and ${count(after, k)} receivers on ${device} have the filter ${k}, ${n} expected` };
  }
  const mine = after.filter((r) => want.has(keyOf(r)));
  return { keys, lists: [...new Set(keys.map((k) => k.list))], matches: mine.reduce((s, r) => s + r.matches, 0) };
}

/**
 * Filters that pass every frame exactly once (they split the id space on two of bits 0..10,
 * which every 11- and 29-bit id has) and that another program is unlikely to register: used
 * instead of "no filter" when socket addresses are hidden, so that our receivers can be found.
 */
export function fingerprintFilters(random: () => number = Math.random): KernelFilter[] {
  const a = Math.floor(random() * 11);
  const b = (a + 1 + Math.floor(random() * 10)) % 11;
  const m = ((1 << a) | (1 << b)) >>> 0;
  return [0, 1 << a, 1 << b, m].map((id) => ({ id, mask: m, invert: false }));
}

/**
 * Whether /proc/net/can prints zeros for socket addresses to this process (lib/vsprintf.c,
 * restricted_pointer(): kptr_restrict 0 hashes, 1 needs CAP_SYSLOG and real = effective ids, 2 hides).
 */
export function addressesHidden(procSys = '/proc/sys/kernel', selfStatus = '/proc/self/status'): boolean {
  try {
    const restrict = Number(readFileSync(`${procSys}/kptr_restrict`, 'latin1').trim());
    if (restrict === 0) return false;
    if (restrict !== 1) return true;
    const status = readFileSync(selfStatus, 'latin1');
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
    const ids = (k: string) => (new RegExp(`^${k}:\\s*(\\d+)\\s+(\\d+)`, 'm').exec(status) ?? []).slice(1);
    const [uid, euid] = ids('Uid');
    const [gid, egid] = ids('Gid');
    const CAP_SYSLOG = 34n;
    return !((capEff >> CAP_SYSLOG) & 1n) || uid !== euid || gid !== egid;
  } catch {
    return false;
  }
}

export interface SocketDropEstimate {
  /** Frames lost at least (a lower bound; exact as of the last idle moment). */
  min: number;
  /** Frames lost at most (lost + still queued now); undefined when not known. */
  max: number | undefined;
  /** min === max and measured at an idle moment: the count is exact. */
  exact: boolean;
  /** Whether this socket's count is being measured. */
  available: boolean;
  note: string;
}

interface Tracked {
  /** By address: the socket's userdata; by filter: the keys of its data receivers. */
  userdata: string | undefined;
  keys: ReceiverKey[] | undefined;
  lists: RcvListName[];
  read0: number;
  sent0: number;
  lastHanded: number;
  lastRead: number;
  lastAt: number;
  low: number;
  high: number;
  quiet: boolean;
  settledAt: number | undefined;
}

/** The source's running totals (over all its sockets). */
export interface SourceTotals {
  /** Frames the addon handed over (data and error frames). */
  read: number;
  /** Error frames among them. */
  errorRead: number;
  /** Frames sent successfully. */
  sent: number;
}

export interface SocketDropMonitorOptions {
  iface: string;
  /** The filters the socket registers (CAN_RAW_FILTER); none: the default "all" receiver. */
  filters: readonly KernelFilter[];
  errorFrames: boolean;
  /** /proc/net/can (tests point it elsewhere). */
  procDir?: string;
  /** Milliseconds, monotonic. */
  clock?: () => number;
  /** Shortest gap between two samples that may call the socket idle (default 200 ms). */
  minIdleMs?: number;
  /** Set: not measured, for this reason. */
  disabled?: string;
}

/**
 * Follows one SocketCanSource's sockets: call beforeOpen() just before creating a socket,
 * opened() once it is bound with its filters, closed() when it is abandoned, and sample() from a
 * timer (never per frame).
 */
export class SocketDropMonitor {
  private readonly iface: string;
  private readonly filters: readonly KernelFilter[];
  private readonly keys: ReceiverKey[];
  private readonly procDir: string;
  private readonly clock: () => number;
  private readonly minIdleMs: number;
  private readonly unsupported: string | undefined;
  private before: KernelReceiver[] | undefined;
  private cur: Tracked | undefined;
  private reason = 'socket not open yet';
  /** Totals of sockets already closed. */
  private prevLow = 0;
  private prevHigh = 0;
  private prevHighKnown = true;

  constructor(opts: SocketDropMonitorOptions) {
    this.iface = opts.iface;
    this.filters = opts.filters;
    this.keys = expectedKeys(opts.filters, opts.errorFrames);
    this.procDir = opts.procDir ?? '/proc/net/can';
    this.clock = opts.clock ?? (() => performance.now());
    this.minIdleMs = opts.minIdleMs ?? 200;
    if (opts.disabled) this.unsupported = opts.disabled;
    else if (filtersOverlap(opts.filters)) {
      this.unsupported = "the kernel filters overlap (a frame matching two is counted twice but queued once), so the socket's losses cannot be derived";
    }
  }

  beforeOpen(): void {
    this.before = undefined;
    if (this.unsupported) return;
    try {
      this.before = readRawReceivers(this.iface, RCV_LISTS, this.procDir);
    } catch (e) {
      this.reason = `${this.procDir} cannot be read: ${(e as Error).message}`;
    }
  }

  opened(t: SourceTotals): void {
    const before = this.before;
    this.before = undefined;
    this.cur = undefined;
    if (this.unsupported) return void (this.reason = this.unsupported);
    if (!before) return; // reason set by beforeOpen()
    let after: KernelReceiver[];
    try {
      after = readRawReceivers(this.iface, RCV_LISTS, this.procDir);
    } catch (e) {
      return void (this.reason = `${this.procDir} cannot be read: ${(e as Error).message}`);
    }
    let id: { userdata?: string; keys?: ReceiverKey[]; lists: RcvListName[]; matches: number } | { reason: string };
    if (after.some((r) => pointerHidden(r.userdata))) id = identifyByFilters(before, after, this.filters, this.iface);
    else id = identifyReceivers(before, after, this.keys, this.iface);
    if ('reason' in id) return void (this.reason = id.reason);
    this.cur = {
      userdata: id.userdata,
      keys: id.keys,
      lists: id.lists,
      read0: this.read(t, id.keys !== undefined),
      sent0: t.sent,
      lastHanded: id.matches,
      lastRead: 0,
      lastAt: this.clock(),
      low: 0,
      high: id.matches,
      quiet: false,
      settledAt: undefined,
    };
  }

  /** The socket is abandoned: whatever it still holds will never be read, so it counts as lost. */
  closed(t: SourceTotals): void {
    const c = this.cur;
    this.cur = undefined;
    this.before = undefined;
    this.reason = 'socket closed; reopening';
    if (!c) {
      if (!this.unsupported) this.prevHighKnown = false;
      return;
    }
    const handed = this.handed(c);
    if (typeof handed === 'string') {
      this.prevLow += c.low;
      this.prevHighKnown = false;
      return;
    }
    const d = handed - (this.read(t, c.keys !== undefined) - c.read0);
    this.prevLow += Math.max(c.low, d - (t.sent - c.sent0));
    this.prevHigh += Math.max(d, c.low);
  }

  sample(t: SourceTotals): void {
    const c = this.cur;
    if (!c) return;
    const handed = this.handed(c);
    const now = this.clock();
    if (typeof handed === 'string') return this.stop(c, `${handed}; losses since the last sample unknown`);
    const r = this.read(t, c.keys !== undefined) - c.read0;
    const d = handed - r;
    const idle = handed === c.lastHanded && r === c.lastRead && now - c.lastAt >= this.minIdleMs;
    // Our socket's count can never be below what we read from it.
    if (idle && d < 0) return this.stop(c, `the receivers taken for this socket counted fewer frames (${handed}) than it delivered (${r}): not this socket's; count stopped`);
    if (idle) {
      c.low = Math.max(c.low, d - (t.sent - c.sent0));
      c.settledAt = now;
    }
    c.quiet = idle;
    c.high = Math.max(d, c.low);
    c.lastHanded = handed;
    c.lastRead = r;
    c.lastAt = now;
  }

  estimate(): SocketDropEstimate {
    const c = this.cur;
    if (!c) {
      const min = this.prevLow;
      return { min, max: undefined, exact: false, available: false, note: `unavailable: ${this.reason}${min ? ` (earlier sockets lost at least ${min})` : ''}` };
    }
    const min = this.prevLow + c.low;
    const max = this.prevHighKnown ? this.prevHigh + c.high : undefined;
    const exact = c.quiet && max === min;
    let note: string;
    if (exact) note = 'exact: the socket was idle over the last sample period (nothing queued)';
    else if (c.settledAt === undefined) note = 'socket busy since it opened: min is a lower bound, max includes frames still queued';
    else note = `socket busy: min is exact as of the last idle moment ${((this.clock() - c.settledAt) / 1000).toFixed(0)} s ago, max includes frames still queued`;
    if (c.keys) note += '; data frames only (socket addresses hidden: found by its filters)';
    if (max === undefined) note += '; max unknown since an earlier socket ended unobserved';
    return { min, max, exact, available: true, note };
  }

  /** Frames read that the tracked receivers can have handed: all, or data frames only. */
  private read(t: SourceTotals, dataOnly: boolean): number {
    return dataOnly ? t.read - t.errorRead : t.read;
  }

  private stop(c: Tracked, reason: string): void {
    this.prevLow += c.low;
    this.prevHighKnown = false;
    this.cur = undefined;
    this.reason = reason;
  }

  /** Sum of `matches` over our receivers, or why they cannot be counted any more. */
  private handed(c: Tracked): number | string {
    let entries: KernelReceiver[];
    try {
      entries = readRawReceivers(this.iface, c.lists, this.procDir);
    } catch (e) {
      return `${this.procDir} cannot be read: ${(e as Error).message}`;
    }
    let n = 0;
    let sum = 0;
    if (c.keys) {
      const want = new Set(c.keys.map(keyOf));
      for (const e of entries) {
        if (!want.has(keyOf(e))) continue;
        n++;
        sum += e.matches;
      }
      if (n === c.keys.length) return sum;
      return n > c.keys.length ? `another socket on ${this.iface} registered this socket's filters (addresses hidden): its receivers cannot be told apart` : `this socket's kernel receivers on ${this.iface} are gone (interface removed?)`;
    }
    for (const e of entries) {
      if (e.userdata !== c.userdata) continue;
      n++;
      sum += e.matches;
    }
    return n === this.keys.length ? sum : `this socket's kernel receivers on ${this.iface} are gone (interface removed?)`;
  }
}

/** Below this, a burst of a busy bus overflows the socket queue (measured in test/canvm). */
export const RMEM_WANTED = 8 * 1024 * 1024;

/** net.core.rmem_default/rmem_max, or undefined when they cannot be read. */
export function readReceiveBufferSysctls(procSys = '/proc/sys/net/core'): { rmemDefault: number; rmemMax: number } | undefined {
  try {
    return {
      rmemDefault: Number(readFileSync(`${procSys}/rmem_default`, 'latin1').trim()),
      rmemMax: Number(readFileSync(`${procSys}/rmem_max`, 'latin1').trim()),
    };
  } catch {
    return undefined;
  }
}

/** The start-up warning when the socket receive buffer is too small, else undefined. */
export function receiveBufferWarning(s: { rmemDefault: number; rmemMax: number }): string | undefined {
  if (!(s.rmemDefault < RMEM_WANTED)) return undefined;
  return (
    `net.core.rmem_default is ${s.rmemDefault} bytes (below ${RMEM_WANTED}): every CAN socket gets it as its receive buffer ` +
    `(the socketcan addon cannot set SO_RCVBUF), and a burst overflows it; frames lost that way show as socket_drops_min/max on /diagnostics. ` +
    `Fix: sudo sysctl -w net.core.rmem_default=16777216 net.core.rmem_max=16777216 (scripts/can-up.sh does this; ` +
    `add both to /etc/sysctl.d/ to keep them), then restart can_bridge`
  );
}

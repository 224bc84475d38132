// Atomic assembly of messages built from several CAN frames (object lists, track lists): the
// frames of one cycle are collected in a staging buffer; a cycle is committed only when it is
// complete, and readers take the last committed cycle under the lock of a TripleBuffer (see
// snapshot_buffer.ts). Incomplete, duplicated, out-of-order and overflowing cycles are dropped
// and counted, never published half-filled, so no snapshot ever mixes two cycles.
//
// Independent of the DBC code: the caller names frame ids and passes decode callbacks.
// Example, the Delphi ESR radar (ESR.dbc): header ESR_Status (0x4E0, counter CAN_TX_SCAN_INDEX),
// members Target1..Target64 (0x500..0x53F), complete when all 64 arrived after the header.
//
// What is guaranteed: a committed cycle holds exactly the members that arrived after its header
// (each key once) and nothing from before it. A member frame of an earlier cycle that arrives
// late can only be recognised by a cycle marker in the member frames (`belongs`); without one,
// mixing is excluded as long as frames of one id are not reordered across cycles (true on one
// CAN bus from one sender).
//
// Completeness rules:
// - 'all-members': every member id (each once) after the header; committed at the last one.
// - { count }: the header announces how many member frames follow (members may share one id
//   and be told apart by `key`); committed when that many arrived.
// - 'next-header': the cycle is whatever arrived between two headers; committed when the next
//   header comes.
// A cycle still open `timeoutMs` after its header is dropped as timed out. Member frames while no
// cycle is open (header lost) are orphans and dropped.
//
// Time is data time: the stamps of the frames (push's `nowMs`), never the clock at which they are
// processed. A frame stamped within timeoutMs of its header belongs to the cycle even when it is
// pushed much later (a backlog in the socket queue behind a slow consumer): judging by the clock
// would drop complete cycles whenever processing lags the bus (seen with a canplayer -t burst in
// the VM: every frame received, every scan timed out). So the outcome depends on the frames and
// their stamps only; a cycle left open by a sensor that stopped mid-cycle is dropped when the next
// frame comes (openSinceMs tells a reporter how long it has been open).
import type { Time } from '../runtime/ros.js';
import { TripleBuffer } from './snapshot_buffer.js';

/** The part of a received CAN frame assembly needs (a CanFrame fits). */
export interface AssemblyFrame {
  id: number;
  extended: boolean;
  data: Uint8Array;
  stamp: Time;
}

export interface GroupSpec<H, M> {
  name: string;
  header: {
    id: number;
    extended?: boolean;
    decode: (f: AssemblyFrame) => H;
    /** The header's cycle counter (scan index, rolling counter), for duplicate/out-of-order checks. */
    counter?: (h: H) => number;
    /** The counter wraps at this value (e.g. 65536 for a 16-bit scan index). */
    counterModulo?: number;
  };
  members: {
    /** Member frame ids: a list, or an inclusive range. */
    ids: readonly number[] | { first: number; last: number };
    extended?: boolean;
    decode: (f: AssemblyFrame) => M;
    /** What makes two members the same object (default: the frame id). */
    key?: (m: M, f: AssemblyFrame) => number;
    /** Members come in ascending key order; a lower key than the previous breaks the cycle. */
    ordered?: boolean;
    /**
     * Whether a member belongs to the cycle this header opened, from a cycle marker the member
     * frames carry (a rolling counter). Without one, a member of an earlier cycle that arrives
     * late, in a cycle that lost the same member, cannot be told apart: give it whenever the
     * frames carry such a marker. A member that does not belong breaks the cycle (out-of-order).
     */
    belongs?: (h: H, m: M) => boolean;
  };
  complete: 'all-members' | 'next-header' | { count: (h: H) => number };
  timeoutMs: number;
  /** Most members a cycle may hold under 'next-header' or { count } (default 256). */
  maxMembers?: number;
}

/** One committed cycle. Read it under the lock (CycleAssembler.read); do not keep references. */
export interface CycleSnapshot<H, M> {
  readonly group: string;
  /** 1, 2, 3 ... per commit. */
  readonly seq: number;
  readonly counter: number | undefined;
  readonly header: H;
  /** 'all-members': in member-id order; otherwise in arrival order. */
  readonly members: readonly M[];
  /** The header frame's stamp: the time of the cycle's data. */
  readonly stamp: Time;
  /** The stamp of the frame that completed the cycle. */
  readonly lastStamp: Time;
}

export type DropReason = 'incomplete' | 'timeout' | 'duplicate' | 'out-of-order' | 'overflow';

export interface AssemblyCounters {
  committed: number;
  /** Dropped cycles, by reason. */
  incomplete: number;
  timeout: number;
  duplicate: number;
  outOfOrder: number;
  overflow: number;
  /** Member frames that arrived while no cycle was open. */
  orphans: number;
  /** Cycles the header counter skipped (their headers never came). */
  missedCycles: number;
  /** Committed cycles replaced by a newer one while a reader held the lock (never read). */
  superseded: number;
}

interface Cycle<H, M> {
  group: string;
  seq: number;
  counter: number | undefined;
  header: H | undefined;
  members: M[];
  stamp: Time;
  lastStamp: Time;
}

const NO_TIME: Time = { sec: 0, nanosec: 0 };

export class CycleAssembler<H, M> {
  readonly counters: AssemblyCounters = {
    committed: 0,
    incomplete: 0,
    timeout: 0,
    duplicate: 0,
    outOfOrder: 0,
    overflow: 0,
    orphans: 0,
    missedCycles: 0,
    superseded: 0,
  };

  private readonly buffers: TripleBuffer<Cycle<H, M>>;
  private readonly slotOf = new Map<number, number>(); // member id -> slot ('all-members')
  private readonly memberCount: number;
  private readonly capacity: number;
  private readonly seen = new Set<number>(); // member keys of the open cycle
  private open = false;
  private broken: DropReason | undefined;
  private filled = 0;
  private expected = 0;
  private lastKey = -Infinity;
  private startedAt = 0;
  private lastCounter: number | undefined;
  private seq = 0;

  constructor(readonly spec: GroupSpec<H, M>) {
    const ids = Array.isArray(spec.members.ids)
      ? (spec.members.ids as readonly number[])
      : rangeIds(spec.members.ids as { first: number; last: number });
    ids.forEach((id, i) => this.slotOf.set(id, i));
    if (this.slotOf.size !== ids.length) throw new RangeError(`${spec.name}: member ids repeat`);
    if (this.slotOf.has(spec.header.id) && (spec.header.extended ?? false) === (spec.members.extended ?? false)) {
      throw new RangeError(`${spec.name}: the header id is also a member id`);
    }
    this.memberCount = ids.length;
    this.capacity = spec.complete === 'all-members' ? ids.length : (spec.maxMembers ?? 256);
    const slots = spec.complete === 'all-members' ? ids.length : 0;
    this.buffers = new TripleBuffer<Cycle<H, M>>(() => ({
      group: spec.name,
      seq: 0,
      counter: undefined,
      header: undefined,
      members: new Array<M>(slots),
      stamp: NO_TIME,
      lastStamp: NO_TIME,
    }));
  }

  /** Whether a frame belongs to this group (header or member). */
  accepts(f: AssemblyFrame): boolean {
    if (f.id === this.spec.header.id && f.extended === (this.spec.header.extended ?? false)) return true;
    return f.extended === (this.spec.members.extended ?? false) && this.slotOf.has(f.id);
  }

  /**
   * Feeds one frame (frames of other ids are ignored). `nowMs` is a monotonic clock for the
   * timeout. Returns true when this frame committed a cycle.
   */
  push(f: AssemblyFrame, nowMs: number): boolean {
    this.poll(nowMs);
    if (f.id === this.spec.header.id && f.extended === (this.spec.header.extended ?? false)) return this.onHeader(f, nowMs);
    if (f.extended !== (this.spec.members.extended ?? false) || !this.slotOf.has(f.id)) return false;
    return this.onMember(f);
  }

  /**
   * Drops the open cycle if it has run past its timeout. `nowMs` is data time: the stamp of the
   * newest frame (push does this). Not for a wall-clock timer: frames already received but not
   * yet pushed are stamped before the clock's now, and would find their cycle dropped.
   */
  poll(nowMs: number): void {
    if (this.open && nowMs - this.startedAt > this.spec.timeoutMs) this.drop(this.broken ?? 'timeout');
  }

  /** Runs `fn` on the last committed cycle under the read lock (held until a returned promise settles). */
  read<R>(fn: (s: CycleSnapshot<H, M> | undefined) => R): R {
    return this.buffers.read((c) => fn(c && c.seq > 0 ? (c as unknown as CycleSnapshot<H, M>) : undefined));
  }

  /** The header stamp [ms] of the cycle being collected, or undefined when none is open. */
  get openSinceMs(): number | undefined {
    return this.open ? this.startedAt : undefined;
  }

  /** Buffers created (bounded: no allocation per cycle). */
  get buffersAllocated(): number {
    return this.buffers.allocated;
  }

  // ---------------------------------------------------------------------------------------

  private onHeader(f: AssemblyFrame, nowMs: number): boolean {
    const h = this.spec.header.decode(f);
    const counterOf = this.spec.header.counter;
    const c = counterOf ? counterOf(h) : undefined;
    // The open cycle's own header again (repeated on the bus): the cycle cannot be trusted to
    // end where it seems to, so it is dropped rather than risk mixing.
    if (this.open && c !== undefined && c === this.buffers.stage.counter) {
      this.broken ??= 'duplicate';
      return false;
    }
    let committed = false;
    if (this.open) {
      if (this.spec.complete === 'next-header' && this.broken === undefined) committed = this.commit();
      else this.drop(this.broken ?? 'incomplete');
    }
    const cycle = this.buffers.stage;
    cycle.header = h;
    cycle.counter = c;
    cycle.stamp = f.stamp;
    cycle.lastStamp = f.stamp;
    if (this.spec.complete === 'all-members') cycle.members.fill(undefined as M);
    else cycle.members.length = 0;
    this.open = true;
    this.broken = undefined;
    this.filled = 0;
    this.seen.clear();
    this.lastKey = -Infinity;
    this.startedAt = nowMs;

    if (c !== undefined) {
      if (this.lastCounter !== undefined) {
        const mod = this.spec.header.counterModulo ?? 2 ** 32;
        const step = (((c - this.lastCounter) % mod) + mod) % mod;
        if (step === 0) this.broken = 'duplicate'; // a header of a cycle already closed
        else if (step > mod / 2) this.broken = 'out-of-order'; // older than the last one
        else this.counters.missedCycles += step - 1;
      }
      // An old or repeated header does not move the reference forward.
      if (this.broken === undefined) this.lastCounter = c;
    }

    const rule = this.spec.complete;
    if (typeof rule === 'object') {
      const n = rule.count(h);
      if (!(Number.isInteger(n) && n >= 0 && n <= this.capacity)) this.broken ??= 'overflow';
      this.expected = n;
      if (this.broken === undefined && n === 0) committed = this.commit() || committed; // an empty list is a list
    }
    return committed;
  }

  private onMember(f: AssemblyFrame): boolean {
    if (!this.open) {
      this.counters.orphans++;
      return false;
    }
    if (this.broken !== undefined) return false; // swallowed; counted when the cycle closes
    const keyOf = this.spec.members.key;
    let m: M | undefined;
    let key: number;
    if (keyOf) {
      m = this.spec.members.decode(f);
      key = keyOf(m, f);
    } else key = f.id;
    if (this.seen.has(key)) {
      this.broken = 'duplicate';
      return false;
    }
    if (this.spec.members.ordered && key < this.lastKey) {
      this.broken = 'out-of-order';
      return false;
    }
    if (this.filled >= this.capacity) {
      this.broken = 'overflow';
      return false;
    }
    m ??= this.spec.members.decode(f);
    const belongs = this.spec.members.belongs;
    const cycle = this.buffers.stage;
    if (belongs && !belongs(cycle.header as H, m)) {
      this.broken = 'out-of-order';
      return false;
    }
    this.seen.add(key);
    this.lastKey = key;
    if (this.spec.complete === 'all-members') cycle.members[this.slotOf.get(f.id) as number] = m;
    else cycle.members.push(m);
    cycle.lastStamp = f.stamp;
    this.filled++;
    const rule = this.spec.complete;
    if (rule === 'all-members' ? this.filled === this.memberCount : typeof rule === 'object' && this.filled === this.expected) {
      return this.commit();
    }
    return false;
  }

  private commit(): boolean {
    const cycle = this.buffers.stage;
    cycle.seq = ++this.seq;
    const before = this.buffers.superseded;
    this.buffers.commit();
    this.counters.superseded += this.buffers.superseded - before;
    this.counters.committed++;
    this.open = false;
    return true;
  }

  private drop(reason: DropReason): void {
    this.open = false;
    this.broken = undefined;
    switch (reason) {
      case 'incomplete':
        this.counters.incomplete++;
        break;
      case 'timeout':
        this.counters.timeout++;
        break;
      case 'duplicate':
        this.counters.duplicate++;
        break;
      case 'out-of-order':
        this.counters.outOfOrder++;
        break;
      case 'overflow':
        this.counters.overflow++;
        break;
    }
  }
}

function rangeIds(r: { first: number; last: number }): number[] {
  if (!(Number.isInteger(r.first) && Number.isInteger(r.last) && r.last >= r.first)) throw new RangeError(`bad member id range ${r.first}..${r.last}`);
  return Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i);
}

// diagnostic_msgs/DiagnosticArray on /diagnostics at 1 Hz: each node registers status tasks that
// report a level, a one-line summary and key/values (counters, states, ages).
import type { RosNode, Time, Publisher } from './ros.js';

export const DiagnosticLevel = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;
export type DiagnosticLevelValue = (typeof DiagnosticLevel)[keyof typeof DiagnosticLevel];

export interface KeyValue {
  key: string;
  value: string;
}

export interface DiagnosticStatusMsg {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValue[];
}

export interface DiagnosticArrayMsg {
  header: { stamp: Time; frame_id: string };
  status: DiagnosticStatusMsg[];
}

export interface DiagnosticReport {
  level: DiagnosticLevelValue;
  message: string;
  values: Record<string, string | number | boolean | bigint>;
}

export type DiagnosticTask = () => DiagnosticReport;

/**
 * When reports are published: 'clock' — every second on a ROS timer, and once right after
 * start-up; 'caller' — only when the owner calls publish() (a node whose time is its data's, as
 * can_bridge replaying a recording: it reports once per second of data time, so a bag it writes
 * is the same however fast the conversion ran).
 */
export type DiagnosticsSchedule = 'clock' | 'caller';

export class Diagnostics {
  private readonly tasks: { name: string; hardwareId: string; run: DiagnosticTask }[] = [];
  private readonly publisher: Publisher<DiagnosticArrayMsg>;

  constructor(
    private readonly node: RosNode,
    private readonly schedule: DiagnosticsSchedule = 'clock',
  ) {
    // Absolute: /diagnostics is one topic per system, whatever the node's namespace.
    this.publisher = node.createPublisher<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', 'default');
    if (schedule === 'clock') node.createTimer(1000, () => this.publish());
  }

  /**
   * `name` is shown as "<node>: <name>" as diagnostic_updater does. The first task added also
   * schedules one report right after the node's start-up (not a period later): monitoring sees a
   * node's state as soon as it runs, and a short run or recording holds its status. Not under sim
   * time, where the clock reads 0 until /clock arrives.
   */
  add(name: string, hardwareId: string, run: DiagnosticTask): void {
    this.tasks.push({ name: `${this.node.name}: ${name}`, hardwareId, run });
    if (this.tasks.length === 1 && this.schedule === 'clock' && !this.node.useSimTime) {
      setImmediate(() => {
        try {
          this.publish();
        } catch {
          // the node was destroyed before its start-up ended: nothing to report
        }
      });
    }
  }

  /** Builds the message, stamped `stamp` (default: the node's clock now); also used by tests and `vil doctor`. */
  collect(stamp: Time = this.node.now()): DiagnosticArrayMsg {
    const status: DiagnosticStatusMsg[] = this.tasks.map((t) => {
      let r: DiagnosticReport;
      try {
        r = t.run();
      } catch (e) {
        r = { level: DiagnosticLevel.ERROR, message: `diagnostic task failed: ${(e as Error).message}`, values: {} };
      }
      return {
        level: r.level,
        name: t.name,
        message: r.message,
        hardware_id: t.hardwareId,
        values: Object.entries(r.values).map(([key, value]) => ({ key, value: formatValue(value) })),
      };
    });
    return { header: { stamp, frame_id: '' }, status };
  }

  publish(stamp?: Time): void {
    if (this.tasks.length) this.publisher.publish(this.collect(stamp));
  }
}

function formatValue(v: string | number | boolean | bigint): string {
  if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(3);
  return String(v);
}

/** Counts events and reports a rate over the last reporting window. */
export class RateCounter {
  total = 0;
  private windowStart = performance.now();
  private windowCount = 0;

  add(n = 1): void {
    this.total += n;
    this.windowCount += n;
  }

  /**
   * Events per second since the previous call. `windowSeconds`: the window's length on another
   * clock than the monotonic one (data time, when the caller reports per second of data).
   */
  takeRate(windowSeconds?: number): number {
    const now = performance.now();
    const dt = windowSeconds ?? (now - this.windowStart) / 1000;
    const rate = dt > 0 ? this.windowCount / dt : 0;
    this.windowStart = now;
    this.windowCount = 0;
    return rate;
  }
}

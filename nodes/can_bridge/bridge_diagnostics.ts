// What can_bridge reports on /diagnostics: one status per bus (link, bus state, rates, error
// and unknown-id counts, socket queue drops), the vehicle state's freshness, each object list's
// assembly counters, and the replay source's own status.
import type { RosNode, Time } from '../runtime/ros.js';
import { DiagnosticLevel, Diagnostics, type DiagnosticReport } from '../runtime/diagnostics.js';
import { DataTicker } from './data_ticker.js';
import type { BusState } from './can_error.js';
import type { Bus } from './bus.js';
import type { Outputs } from './outputs.js';
import type { SourceKind, StartedSource } from './sources.js';

/**
 * can_bridge's diagnostics. On the ROS clock they are published every second; in data time
 * (timebase data: replays, `vil import`) once per second of data and once at the last frame, each
 * stamped and its rates measured in data time: a bag written from a recording holds the same
 * reports however fast it was converted.
 */
export function createBridgeDiagnostics(node: RosNode, source: SourceKind, buses: Map<string, Bus>, outputs: Outputs, started: StartedSource, dataTime: boolean): Diagnostics {
  const diagnostics = new Diagnostics(node, dataTime ? 'caller' : 'clock');
  let report: DataReport | undefined;
  if (dataTime) {
    const r: DataReport = { now: { sec: 0, nanosec: 0 }, windowS: 1 };
    let previous: Time | undefined;
    const publishAt = (t: Time) => {
      // The first report covers the second from the first frame (the ticker starts there).
      r.windowS = previous ? t.sec - previous.sec + (t.nanosec - previous.nanosec) * 1e-9 : 1;
      r.now = t;
      previous = t;
      report = r;
      try {
        diagnostics.publish(t);
      } finally {
        report = undefined;
      }
    };
    outputs.tickers.push(new DataTicker(1, publishAt));
    outputs.endOfData.push((last) => {
      if (!previous || previous.sec !== last.sec || previous.nanosec !== last.nanosec) publishAt(last);
    });
  }
  addBridgeDiagnostics(diagnostics, node, source, buses, outputs, started, () => report);
  return diagnostics;
}

/** The time and window of a report made in data time. */
interface DataReport {
  now: Time;
  windowS: number;
}

function addBridgeDiagnostics(diagnostics: Diagnostics, node: RosNode, source: SourceKind, buses: Map<string, Bus>, outputs: Outputs, started: StartedSource, dataReport: () => DataReport | undefined): void {
  for (const bus of buses.values()) {
    diagnostics.add(`bus ${bus.plan.name}`, bus.plan.iface, () => {
      const d = dataReport();
      return busReport(bus, source, d?.now ?? node.now(), d?.windowS);
    });
  }
  const v = outputs.vehicle;
  if (v) {
    const vs = v.plan;
    diagnostics.add('vehicle state', vs.topic, () => {
      const m = v.builder.message;
      const ages: Record<string, number> = {
        speed: m.speed_age,
        yaw_rate: m.yaw_rate_age,
        steering_wheel_angle: m.steering_wheel_angle_age,
        longitudinal_acceleration: m.longitudinal_acceleration_age,
        lateral_acceleration: m.lateral_acceleration_age,
        gear: m.gear_age,
      };
      const configured = { speed: vs.speed, yaw_rate: vs.yawRate, steering_wheel_angle: vs.steeringWheelAngle, longitudinal_acceleration: vs.longitudinalAcceleration, lateral_acceleration: vs.lateralAcceleration, gear: vs.gear };
      const stale = Object.entries(ages).filter(([k, a]) => (configured as Record<string, unknown>)[k] !== undefined && !(a < 1)).map(([k]) => k);
      return {
        level: stale.length ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
        message: stale.length ? `no recent value: ${stale.join(', ')}` : 'all quantities fresh',
        values: { published: v.published, ...Object.fromEntries(Object.entries(ages).map(([k, a]) => [`${k}_age_s`, Number.isNaN(a) ? 'never' : a])) },
      };
    });
  }
  for (const { group, bus } of outputs.groups) {
    let lastDrops = 0;
    diagnostics.add(`objects ${group.plan.name}`, `${bus.plan.name}: ${group.plan.topic}`, () => {
      const c = group.assembler.counters;
      const drops = c.incomplete + c.timeout + c.duplicate + c.outOfOrder + c.overflow;
      const fresh = drops - lastDrops;
      lastDrops = drops;
      // Frames stamped by the clock (socketcan): a cycle open longer than its timeout by the clock
      // means the sensor stopped mid-cycle (it is counted as timed out when the next frame comes).
      const since = group.assembler.openSinceMs;
      let openAge = NaN;
      if (since !== undefined && source === 'socketcan') {
        const now = node.now();
        openAge = (now.sec * 1000 + now.nanosec / 1e6 - since) / 1000;
      }
      const stalled = openAge * 1000 > group.plan.timeoutMs;
      return {
        level: fresh > 0 || stalled ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
        message:
          fresh > 0
            ? `${fresh} cycle(s) dropped since the last report`
            : stalled
              ? `a cycle has been open ${openAge.toFixed(3)} s, past timeout_ms ${group.plan.timeoutMs}: the sensor stopped mid-cycle? (counted as timed out when the next frame comes)`
              : c.committed
                ? 'cycles complete'
                : 'no cycle yet',
        values: {
          committed: c.committed,
          published: group.published,
          incomplete: c.incomplete,
          timed_out: c.timeout,
          duplicated: c.duplicate,
          out_of_order: c.outOfOrder,
          overflow: c.overflow,
          orphan_frames: c.orphans,
          missed_cycles: c.missedCycles,
          open_cycle_age_s: since === undefined ? 'none' : Number.isNaN(openAge) ? 'open' : openAge,
        },
      };
    });
  }
  if (started.status) diagnostics.add(started.status.name, started.status.hardwareId, started.status.report);
}

/** `windowS`: the report window in data time (default: measured on the monotonic clock). */
export function busReport(bus: Bus, source: string, now: Time, windowS?: number): DiagnosticReport {
  const src = bus.source;
  const up = src ? src.state.up : true;
  const busState: BusState = src ? src.state.busState : bus.tracker.state;
  const drops = src ? src.counters.drops : bus.drops;
  const sock = src?.socketDrops();
  const freshSocketDrops = sock ? sock.min - bus.socketDropsReported : 0;
  if (sock) bus.socketDropsReported = sock.min;
  const lastAge = bus.lastFrame ? now.sec - bus.lastFrame.sec + (now.nanosec - bus.lastFrame.nanosec) * 1e-9 : NaN;
  let level: DiagnosticReport['level'] = DiagnosticLevel.OK;
  let message = 'receiving';
  if (!up) {
    level = DiagnosticLevel.ERROR;
    message = `interface not usable: ${src?.state.reason ?? 'down'}; reopening`;
  } else if (busState === 'bus-off') {
    level = DiagnosticLevel.ERROR;
    message = 'bus-off';
  } else if (busState === 'error-passive' || busState === 'error-warning') {
    level = DiagnosticLevel.WARN;
    message = busState;
  } else if (freshSocketDrops > 0) {
    level = DiagnosticLevel.WARN;
    message = `${freshSocketDrops} frame(s) lost in the socket receive queue since the last report: raise net.core.rmem_default (scripts/can-up.sh)`;
  } else if (bus.lastFrame === undefined) {
    level = DiagnosticLevel.WARN;
    message = 'no frame received yet';
  }
  return {
    level,
    message,
    values: {
      interface: bus.plan.iface,
      source,
      link: src ? (up ? 'up' : 'down') : source,
      bus_state: busState,
      frames_per_s: bus.rate.takeRate(windowS),
      frames: bus.rate.total,
      fd_frames: bus.fdFrames,
      error_frames: bus.errorFrames,
      drops,
      ...(sock && {
        socket_drops_min: sock.available || sock.min > 0 ? sock.min : 'unknown',
        socket_drops_max: sock.max ?? 'unknown',
        socket_drops_note: sock.note,
      }),
      tx_error_counter: Number.isNaN(bus.txErrors) ? 'unknown' : bus.txErrors,
      rx_error_counter: Number.isNaN(bus.rxErrors) ? 'unknown' : bus.rxErrors,
      unknown_id_frames: bus.unknownFrames,
      unknown_ids: [...bus.unknownIds].map((id) => `0x${id.toString(16)}`).join(' '),
      short_frames: bus.shortFrames,
      unknown_mux_values: bus.unknownMux,
      ignored_fd_frames: bus.ignoredFd + (src?.counters.ignored ?? 0),
      reopens: src?.counters.reopens ?? 0,
      reopen_attempts: src?.counters.reopenAttempts ?? 0,
      last_frame_age_s: Number.isNaN(lastAge) ? 'never' : lastAge,
    },
  };
}

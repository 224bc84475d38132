// A compiled layout bound to a UDP destination: encode → send, with the counters both sim_pose
// and dspace_relay report on /diagnostics (packets/s, bytes/s, send errors, last sequence,
// encoder overflow/missing).
import type { Logger } from 'pino';
import type { Time } from '../runtime/ros.js';
import { RateCounter } from '../runtime/diagnostics.js';
import { ThrottledLog } from '../runtime/logger.js';
import type { CompiledLayout } from './compile.js';
import { UdpSender, type UdpDestination } from './udp_sender.js';

export class LayoutSender {
  readonly sender: UdpSender;
  readonly packets = new RateCounter();
  readonly bytes = new RateCounter();
  /** Packets the encoder refused (overflow policy `refuse`). */
  refused = 0;
  /** Messages the encoder could not read at all (e.g. a value of a type no field takes): not sent. */
  encodeErrors = 0;
  private readonly throttled: ThrottledLog;

  constructor(
    readonly layout: CompiledLayout,
    readonly destination: UdpDestination,
    logger: Logger,
    private readonly label: string,
  ) {
    this.throttled = new ThrottledLog(logger);
    this.sender = new UdpSender(destination, layout.plan.totalSize, (code, message) =>
      this.throttled.warn(`udp:${label}:${code}`, `${label}: UDP to ${destination.host}:${destination.port}: ${code} (${message}); still sending`, { code }),
    );
    for (const w of layout.warnings) logger.warn(`${label}: ${w}`);
  }

  start(): Promise<void> {
    return this.sender.start();
  }

  /** Encodes and sends one packet. False when refused by the encoder or not sent. */
  send(message: unknown, sendTime: Time, flags: number): boolean {
    let bytes: Uint8Array | null;
    try {
      bytes = this.layout.encoder.encode(message, sendTime, flags);
    } catch (e) {
      // Bad input never stops a node: a value the generated encoder cannot convert is counted.
      this.encodeErrors++;
      this.throttled.warn(`encode:${this.label}`, `${this.label}: a message could not be encoded (${(e as Error).message}); not sent`);
      return false;
    }
    if (!bytes) {
      this.refused++;
      this.throttled.warn(`refused:${this.label}`, `${this.label}: packet refused: a value overflowed a field with overflow: refuse`, { problems: this.layout.encoder.problems() });
      return false;
    }
    if (!this.sender.send(bytes)) return false;
    this.packets.add();
    this.bytes.add(bytes.length);
    return true;
  }

  /** Key/values for a diagnostic status (takes the rates: call once per report). */
  diagnosticValues(): Record<string, string | number> {
    const s = this.sender.stats;
    const e = this.layout.encoder;
    const t = e.totals();
    const problems = e.problems();
    return {
      destination: `${this.destination.host}:${this.destination.port}`,
      layout: `${this.layout.plan.doc.file} (${this.layout.plan.totalSize} bytes)`,
      packets_per_s: this.packets.takeRate(),
      bytes_per_s: this.bytes.takeRate(),
      packets_sent: s.sent,
      send_errors: s.errors,
      refused_by_destination: s.refused,
      unreachable: s.unreachable,
      not_connected: s.notConnected,
      last_error: s.lastError ?? '',
      last_sequence: e.lastSequence,
      encoder_refused: this.refused,
      encoder_errors: this.encodeErrors,
      values_overflowed: t.overflow,
      values_missing: t.missing,
      values_invalid: t.invalid,
      ...(problems.length ? { worst_field: `${problems[0].field} (overflow ${problems[0].overflow}, missing ${problems[0].missing}, invalid ${problems[0].invalid})` } : {}),
    };
  }

  /** A send error within the last `ms` milliseconds. */
  erroredWithin(ms: number): boolean {
    const at = this.sender.stats.lastErrorAt;
    return at !== undefined && performance.now() - at < ms;
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}

// One route: a subscription, a compiled layout and a UDP destination. On every message, or at a
// fixed rate holding the last message (stale flag once it is older than the timeout).
import type { QosSettings, RosNode, Timer } from '../runtime/ros.js';
import { ConfigError } from '../runtime/errors.js';
import { DiagnosticLevel, type DiagnosticReport } from '../runtime/diagnostics.js';
import { compileLayout } from '../udp_layout/compile.js';
import { loadLayoutFile } from '../udp_layout/schema.js';
import { LayoutSender } from '../udp_layout/layout_sender.js';
import { FLAG_STALE } from '../udp_layout/plan.js';
import type { TypeResolver } from '../udp_layout/sources.js';
import { resolveConfigPath } from '../udp_layout/config_paths.js';
import type { RouteSpec } from './routes.js';

export class RelayRoute {
  readonly out: LayoutSender;
  private last: unknown;
  private lastAt = -Infinity;
  private messages = 0;
  private stale = false;
  private stalePeriods = 0;
  private timer?: Timer;
  private readonly staleMs: number;

  private constructor(
    private readonly node: RosNode,
    readonly spec: RouteSpec,
    out: LayoutSender,
  ) {
    this.out = out;
    this.staleMs = spec.stale_timeout_ms ?? (spec.mode === 'rate' ? Math.max(3000 / spec.rate_hz!, 100) : 1000);
  }

  /** Checks everything (type, layout against the type, destination) before any socket opens. */
  static prepare(node: RosNode, spec: RouteSpec, resolver: TypeResolver): RelayRoute {
    if (!resolver.has(spec.type)) {
      const w = spec.where('type');
      throw new ConfigError({ ...w, problem: `message type ${spec.type} is not known`, fix: 'check the name (pkg/msg/Type) and that its package is installed' });
    }
    const file = resolveConfigPath(spec.layout, spec.where('layout').source, spec.where('layout').key, spec.baseDir);
    const compiled = compileLayout(loadLayoutFile(file), resolver, spec.type);
    const out = new LayoutSender(
      compiled,
      {
        host: spec.host,
        port: spec.port,
        multicastTtl: spec.multicast?.ttl,
        multicastInterface: spec.multicast?.interface,
        multicastLoopback: spec.multicast?.loopback,
        bindAddress: spec.bind?.address,
        bindPort: spec.bind?.port,
      },
      node.logger,
      `route ${spec.name}`,
    );
    return new RelayRoute(node, spec, out);
  }

  async start(): Promise<void> {
    await this.out.start();
    const s = this.spec;
    // sensor_data: best effort (matches every publisher); default: reliable. Depth as configured.
    const qos: QosSettings = { reliability: s.qos === 'default' ? 'reliable' : 'best_effort', durability: 'volatile', history: 'keep_last', depth: s.depth ?? (s.qos === 'default' ? 10 : 5) };
    this.node.createSubscription<unknown>(s.type, s.topic, qos, (m) => {
      this.messages++;
      this.last = m;
      this.lastAt = performance.now();
      if (s.mode === 'on_message') this.out.send(m, this.node.now(), 0);
    });
    if (s.mode === 'rate') this.timer = this.node.createTimer(1000 / s.rate_hz!, () => this.tick());
    this.node.logger.info({ route: s.name, topic: s.topic, type: s.type, destination: s.destination, mode: s.mode, bytes: this.out.layout.plan.totalSize }, 'route');
  }

  private tick(): void {
    if (this.last === undefined) return; // nothing received yet: nothing to hold
    const stale = performance.now() - this.lastAt > this.staleMs;
    if (stale && !this.stale) {
      this.stalePeriods++;
      this.node.logger.warn({ route: this.spec.name }, `no message on ${this.spec.topic} for ${this.staleMs} ms: sending the last one flagged stale`);
    }
    this.stale = stale;
    this.out.send(this.last, this.node.now(), stale ? FLAG_STALE : 0);
  }

  diagnostic(): DiagnosticReport {
    const age = (performance.now() - this.lastAt) / 1000;
    const values = {
      topic: this.spec.topic,
      type: this.spec.type,
      mode: this.spec.mode === 'rate' ? `rate ${this.spec.rate_hz} Hz` : 'on_message',
      messages: this.messages,
      last_message_age_s: Number.isFinite(age) ? age : 'never',
      stale_periods: this.stalePeriods,
      ...this.out.diagnosticValues(),
    };
    const noInput = this.messages === 0 || age * 1000 > this.staleMs;
    const erroring = this.out.erroredWithin(2000);
    return {
      level: erroring || noInput ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
      message: erroring ? `send errors (${this.out.sender.stats.lastError ?? ''})` : this.messages === 0 ? 'no message yet' : noInput ? 'stale: no recent message' : 'relaying',
      values,
    };
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    await this.out.close();
  }
}

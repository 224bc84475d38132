// Chooses the ROS implementation: rclnodejs when it loads (a sourced ROS 2), else the local graph.
// VIL_ROS=rclnodejs|local|auto (or the `implementation` option) overrides; one log line says which.
import type { RosContext, RosImplementation } from './ros.js';
import { parseRosArgs } from './params.js';
import { rootLogger } from './logger.js';

export type ImplementationChoice = RosImplementation | 'auto';

export interface ContextOptions {
  implementation?: ImplementationChoice;
  /** Local graph only: write every message that flows to this MCAP file. */
  recordPath?: string;
}

export function implementationFromEnv(): ImplementationChoice {
  const v = (process.env.VIL_ROS ?? 'auto').toLowerCase();
  if (v === 'rclnodejs' || v === 'local' || v === 'auto') return v;
  throw new Error(`VIL_ROS=${process.env.VIL_ROS}: expected rclnodejs, local or auto`);
}

export async function createRosContext(argv: readonly string[], options: ContextOptions = {}): Promise<RosContext> {
  const rosArgs = parseRosArgs(argv);
  const log = rootLogger(rosArgs.logLevel);
  const want = options.implementation ?? implementationFromEnv();
  let fallbackReason: string | undefined;
  if (want !== 'local') {
    try {
      const { createRclnodejsContext } = await import('./rclnodejs.js');
      const ctx = await createRclnodejsContext(argv);
      if (options.recordPath) log.warn('--record applies to the local graph only; with rclnodejs use `ros2 bag record`');
      log.info({ implementation: 'rclnodejs' }, 'ROS implementation: rclnodejs (ROS 2 middleware)');
      return ctx;
    } catch (e) {
      if (want === 'rclnodejs') throw new Error(`VIL_ROS=rclnodejs but rclnodejs cannot be used: ${(e as Error).message}`);
      fallbackReason = (e as Error).message.split('\n')[0];
    }
  }
  const { createLocalContext } = await import('./local/context.js');
  const ctx = createLocalContext(rosArgs, { recordPath: options.recordPath });
  log.info(
    { implementation: 'local', ...(fallbackReason ? { rclnodejs: fallbackReason } : {}), ...(options.recordPath ? { record: options.recordPath } : {}) },
    'ROS implementation: local graph (in-process, CDR-checked; no ROS 2 middleware)',
  );
  return ctx;
}

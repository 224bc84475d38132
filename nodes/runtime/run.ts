// Runs one node or several in one process, on one ROS context, with clean shutdown on
// SIGINT/SIGTERM. Bad configuration ends the process at start with the ConfigError's message.
import type { RosContext, RosNode } from './ros.js';
import { ConfigError } from './errors.js';
import { rootLogger } from './logger.js';
import { createRosContext, type ContextOptions } from './context.js';

/** A node's I/O handle: what `start` returns so the runner can stop it. */
export interface RunningNode {
  stop(): Promise<void> | void;
}

export interface NodeDefinition {
  /** Default node name (overridable with `--ros-args -r __node:=`). */
  name: string;
  /** One line for `vil run --help`. */
  description: string;
  start(node: RosNode): Promise<RunningNode>;
}

export interface StartedNodes {
  context: RosContext;
  nodes: RunningNode[];
  stop(): Promise<void>;
  /** While stop() runs: the node being stopped. */
  stopping(): string | undefined;
}

/** How long SIGINT/SIGTERM waits for the nodes to stop before closing the context anyway. */
const STOP_DEADLINE_MS = 10_000;

/** Starts the nodes on an existing context (tests and one-process mode use this directly). */
export async function startNodes(context: RosContext, defs: readonly NodeDefinition[]): Promise<StartedNodes> {
  const started: { node: RosNode; running: RunningNode }[] = [];
  try {
    for (const def of defs) {
      const node = context.createNode(def.name);
      try {
        started.push({ node, running: await def.start(node) });
      } catch (e) {
        node.destroy();
        throw e;
      }
    }
  } catch (e) {
    for (const s of started.reverse()) await s.running.stop();
    throw e;
  }
  let stopped = false;
  let stopping: string | undefined;
  return {
    context,
    nodes: started.map((s) => s.running),
    stopping: () => stopping,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of [...started].reverse()) {
        stopping = s.node.name;
        try {
          await s.running.stop();
        } finally {
          s.node.destroy();
        }
      }
      stopping = undefined;
    },
  };
}

export interface RunOptions extends ContextOptions {
  /** Started on the context before the nodes (e.g. a live view, so it sees every topic appear), stopped after them. */
  attach?: (context: RosContext) => Promise<RunningNode>;
}

/** Process entry: context, nodes, signals. Resolves with the process exit code. */
export async function runNodesMain(defs: readonly NodeDefinition[], argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const log = rootLogger();
  let context: RosContext;
  try {
    context = await createRosContext(argv, options);
  } catch (e) {
    log.fatal((e as Error).message);
    return 2;
  }
  let attached: RunningNode | undefined;
  if (options.attach) {
    try {
      attached = await options.attach(context);
    } catch (e) {
      log.fatal((e as Error).message);
      await context.shutdown();
      return 2;
    }
  }
  let started: StartedNodes;
  try {
    started = await startNodes(context, defs);
  } catch (e) {
    if (e instanceof ConfigError) log.fatal({ key: e.key, source: e.source }, e.message);
    else log.fatal({ err: e }, `start-up failed: ${(e as Error).message}`);
    await attached?.stop();
    await context.shutdown();
    return 2;
  }
  return new Promise<number>((resolve) => {
    // SIGINT/SIGTERM: stop the nodes, then close the context (which finalises a --record MCAP).
    // A node that does not stop within STOP_DEADLINE_MS, or a second signal, does not keep the
    // recording from being finalised: the context is closed anyway and the exit code says so.
    let shuttingDown = false;
    let giveUp: () => void = () => undefined;
    const gaveUp = new Promise<'gave-up'>((r) => (giveUp = () => r('gave-up')));
    const shutdown = async (signal: string) => {
      if (shuttingDown) {
        log.warn({ signal }, `${signal} again: not waiting for the nodes any longer`);
        giveUp();
        return;
      }
      shuttingDown = true;
      log.info({ signal }, 'shutting down');
      let code = 0;
      const deadline = setTimeout(giveUp, STOP_DEADLINE_MS);
      const stopped = await Promise.race([
        started.stop().then(
          () => 'stopped' as const,
          (e: unknown) => {
            log.error({ err: e }, `error while stopping the nodes: ${(e as Error)?.message ?? String(e)}`);
            return 'failed' as const;
          },
        ),
        gaveUp,
      ]);
      clearTimeout(deadline);
      if (stopped === 'gave-up') log.error({ stopping: started.stopping() }, `node ${started.stopping() ?? '?'} did not stop within ${STOP_DEADLINE_MS / 1000} s; closing the ROS context anyway`);
      if (stopped !== 'stopped') code = 1;
      try {
        await attached?.stop();
        await context.shutdown();
      } catch (e) {
        log.error({ err: e }, `error while closing the ROS context: ${(e as Error).message}`);
        code = 1;
      }
      if (stopped === 'gave-up') {
        // The node that hung may hold timers or handles that keep the process alive: end it.
        log.flush?.();
        setTimeout(() => process.exit(code), 200).unref();
      }
      resolve(code);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    log.info({ nodes: defs.map((d) => d.name) }, `running: ${defs.map((d) => d.name).join(', ')} (SIGINT or SIGTERM stops)`);
  });
}

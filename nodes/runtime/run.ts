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
}

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
  return {
    context,
    nodes: started.map((s) => s.running),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of [...started].reverse()) {
        try {
          await s.running.stop();
        } finally {
          s.node.destroy();
        }
      }
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
    let shuttingDown = false;
    const shutdown = async (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ signal }, 'shutting down');
      try {
        await started.stop();
        await attached?.stop();
        await context.shutdown();
        resolve(0);
      } catch (e) {
        log.error({ err: e }, 'error during shutdown');
        resolve(1);
      }
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
  });
}

// Runs one node or several in one process, on one ROS context, with clean shutdown on
// SIGINT/SIGTERM. Bad configuration of a node run alone ends the process at start with the
// ConfigError's message (exit code 2). With several nodes (`vil run all`), a node that fails to
// start is reported and the others keep running, as a ROS component container reports a
// component that failed to load: its error in the log, an ERROR status "<node>: node" on
// /diagnostics, and exit code 2 when the process ends.
import type { RosContext, RosNode } from './ros.js';
import { ConfigError } from './errors.js';
import { rootLogger } from './logger.js';
import { createRosContext, type ContextOptions } from './context.js';
import { Diagnostics, DiagnosticLevel, type DiagnosticArrayMsg } from './diagnostics.js';

/** A node's I/O handle: what `start` returns so the runner can stop it. */
export interface RunningNode {
  stop(): Promise<void> | void;
  /** The node's /diagnostics content now (also after stop(): final counters), for tools and tests. */
  diagnostics?(): DiagnosticArrayMsg;
}

export interface NodeDefinition {
  /** Default node name (overridable with `--ros-args -r __node:=`). */
  name: string;
  /** One line for `vil run --help`. */
  description: string;
  start(node: RosNode): Promise<RunningNode>;
}

/** A node whose start() threw (only with `keepGoing`). */
export interface FailedNode {
  name: string;
  error: Error;
}

export interface StartedNodes {
  context: RosContext;
  nodes: RunningNode[];
  /** Nodes that failed to start and are reported instead (only with `keepGoing`). */
  failed: FailedNode[];
  stop(): Promise<void>;
  /** While stop() runs: the node being stopped. */
  stopping(): string | undefined;
}

/** A second SIGINT/SIGTERM within this time of the first is the same request (see runNodesMain). */
const REPEAT_SIGNAL_GRACE_MS = 2000;
/** How long SIGINT/SIGTERM waits for the nodes to stop before closing the context anyway. */
const STOP_DEADLINE_MS = 10_000;

/**
 * Starts the nodes on an existing context (tests and one-process mode use this directly). A start
 * that throws stops the nodes already started and rethrows, unless `keepGoing`: then that node is
 * left out, listed in `failed`, and reported on /diagnostics by a stand-in node of its name.
 */
export async function startNodes(context: RosContext, defs: readonly NodeDefinition[], options: { keepGoing?: boolean } = {}): Promise<StartedNodes> {
  const started: { node: RosNode; running: RunningNode }[] = [];
  const failed: FailedNode[] = [];
  const reporters: RosNode[] = [];
  try {
    for (const def of defs) {
      const node = context.createNode(def.name);
      try {
        started.push({ node, running: await def.start(node) });
      } catch (e) {
        const name = node.name;
        node.destroy();
        if (!options.keepGoing) throw e;
        const error = e instanceof Error ? e : new Error(String(e));
        failed.push({ name, error });
        const reporter = reportFailure(context, name, error);
        if (reporter) reporters.push(reporter);
      }
    }
  } catch (e) {
    for (const s of started.reverse()) await s.running.stop();
    for (const r of reporters) r.destroy();
    throw e;
  }
  let stopped = false;
  let stopping: string | undefined;
  return {
    context,
    nodes: started.map((s) => s.running),
    failed,
    stopping: () => stopping,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const r of reporters) r.destroy();
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

/** A node of the failed node's name whose only job is its ERROR status on /diagnostics. */
function reportFailure(context: RosContext, name: string, error: Error): RosNode | undefined {
  let node: RosNode;
  try {
    node = context.createNode(name);
  } catch {
    return undefined; // the log says it; nothing more can be done
  }
  const diagnostics = new Diagnostics(node);
  const values: Record<string, string> = { state: 'failed to start', error: error.message };
  if (error instanceof ConfigError) Object.assign(values, { source: error.source, key: error.key, fix: error.fix });
  diagnostics.add('node', node.name, () => ({ level: DiagnosticLevel.ERROR, message: `not running: failed to start (${error.message})`, values }));
  diagnostics.publish(); // at once, not a second later: a short run or a recording shows it too
  return node;
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
  const several = defs.length > 1;
  try {
    started = await startNodes(context, defs, { keepGoing: several });
  } catch (e) {
    if (e instanceof ConfigError) log.fatal({ key: e.key, source: e.source }, e.message);
    else log.fatal({ err: e }, `start-up failed: ${(e as Error).message}`);
    await attached?.stop();
    await context.shutdown();
    return 2;
  }
  for (const f of started.failed) {
    const where = f.error instanceof ConfigError ? { key: f.error.key, source: f.error.source } : { err: f.error };
    log.error({ node: f.name, ...where }, `${f.name} failed to start, the other nodes keep running (exit code 2 at shutdown): ${f.error.message}`);
  }
  if (started.failed.length === defs.length) {
    log.fatal('no node could start');
    await started.stop();
    await context.shutdown();
    return 2;
  }
  const running = defs.map((d) => d.name).filter((n) => !started.failed.some((f) => f.name === n));
  return new Promise<number>((resolve) => {
    // SIGINT/SIGTERM: stop the nodes, then close the context (which finalises a --record MCAP).
    // A node that does not stop within STOP_DEADLINE_MS, or a second signal, does not keep the
    // recording from being finalised: the context is closed anyway and the exit code says so.
    // Ctrl-C under `ros2 launch` reaches a node twice: from the terminal (its process group) and
    // from launch, which forwards SIGINT to every process it started. A repeat that soon is the
    // same request; only a later one (someone pressing Ctrl-C again, launch escalating to SIGTERM
    // after its timeout) means "stop waiting".
    // Nodes run until a signal, as ROS nodes spin: a node with nothing scheduled (can_bridge after
    // a replay in data time) must not let the process end unasked with its recording unfinished.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    let shuttingDown = false;
    let firstSignalAt = 0;
    let giveUp: () => void = () => undefined;
    const gaveUp = new Promise<'gave-up'>((r) => (giveUp = () => r('gave-up')));
    const shutdown = async (signal: string) => {
      if (shuttingDown) {
        if (performance.now() - firstSignalAt < REPEAT_SIGNAL_GRACE_MS) {
          log.debug({ signal }, `${signal} again while shutting down (launch forwards Ctrl-C): already stopping`);
          return;
        }
        log.warn({ signal }, `${signal} again: not waiting for the nodes any longer`);
        giveUp();
        return;
      }
      shuttingDown = true;
      firstSignalAt = performance.now();
      clearInterval(keepAlive);
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
      else if (started.failed.length) code = 2;
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
    const failedNote = started.failed.length ? `; failed to start: ${started.failed.map((f) => f.name).join(', ')}` : '';
    log.info({ nodes: running, failed: started.failed.map((f) => f.name) }, `running: ${running.join(', ')}${failedNote} (SIGINT or SIGTERM stops)`);
  });
}

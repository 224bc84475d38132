// `vil run <node...|all>`: starts nodes on one ROS context (the one-process mode when several).
import { runNodesMain } from '../runtime/run.js';
import type { NodeDefinition } from '../runtime/run.js';
import { NODES } from './registry.js';
import { captureParamSpecs, formatParams } from './node_params.js';
import { implementationFromEnv, type ImplementationChoice } from '../runtime/context.js';
import { parseListenAddress, type ListenAddress } from '../foxglove/address.js';
import type { RosContext } from '../runtime/ros.js';

const FOXGLOVE_HELP = `  --foxglove [HOST:]PORT  local graph only: serve a live view to Foxglove / Lichtblick (Foxglove
                  WebSocket protocol) on HOST (default 127.0.0.1) and PORT, e.g. 8765. Off unless given.`;

const OPTIONS = `Options:
  --ros IMPL      ROS implementation: rclnodejs (needs a sourced ROS 2), local (in-process graph),
                  auto (default: rclnodejs when it loads, else local). Env: VIL_ROS.
  --record FILE   local graph only: record every message to an MCAP file.
${FOXGLOVE_HELP}
  --ros-args ...  ROS arguments: --params-file FILE, -p name:=value, -r from:=to, -r __ns:=/ns,
                  --log-level debug|info|warn|error.
`;

const HELP = `Usage: vil run <node> [<node> ...] | all  [--ros ${'local|rclnodejs|auto'}] [--record FILE.mcap] [--foxglove [HOST:]PORT] [--ros-args ...]

Runs the named nodes in this process on one ROS context. "all" runs every node (one-process mode).
vil run <node> --help lists that node's parameters (type, default, range, description).

${OPTIONS}
Nodes:
${Object.entries(NODES)
  .map(([n, e]) => `  ${n.padEnd(14)} ${e.description}`)
  .join('\n')}
`;

/** `vil run <node...> --help`: each node's description and declared parameters. */
async function nodeHelp(names: string[]): Promise<number> {
  const parts: string[] = [];
  for (const n of names) {
    const entry = NODES[n];
    if (!entry) {
      process.stderr.write(`vil run: unknown node "${n}"; known: ${Object.keys(NODES).join(', ')}\n`);
      return 2;
    }
    const specs = await captureParamSpecs(await entry.load());
    parts.push(
      `${n}: ${entry.description}\n\n` +
        `Parameters (a params file section /**/${n}: ros__parameters: ..., or -p name:=value; values are typed\n` +
        `as rcl types them: 10 is an integer, 10.0 a double, yes a bool, "5" a string. A value of another type,\n` +
        `outside its range or not one of its choices is refused at start):\n${formatParams(specs)}`,
    );
  }
  process.stdout.write(`Usage: vil run ${names.join(' ')} [--ros local|rclnodejs|auto] [--record FILE.mcap] [--ros-args ...]\n\n${OPTIONS}\n${parts.join('\n')}`);
  return 0;
}

export async function main(args: string[]): Promise<number> {
  const names: string[] = [];
  let implementation: ImplementationChoice = implementationFromEnv();
  let recordPath: string | undefined;
  let foxglove: ListenAddress | undefined;
  let help = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--ros-args') break;
    if (a === '--help' || a === '-h') {
      help = true;
    } else if (a === '--ros') {
      const v = args[++i];
      if (v !== 'local' && v !== 'rclnodejs' && v !== 'auto') {
        process.stderr.write(`vil run: --ros expects local, rclnodejs or auto, got ${v}\n`);
        return 2;
      }
      implementation = v;
    } else if (a === '--record') {
      recordPath = args[++i];
      if (!recordPath) {
        process.stderr.write('vil run: --record needs a file name\n');
        return 2;
      }
    } else if (a === '--foxglove') {
      try {
        foxglove = parseListenAddress(args[++i]);
      } catch (e) {
        process.stderr.write(`vil run: ${(e as Error).message}\n`);
        return 2;
      }
    } else names.push(a);
  }
  if (help) {
    if (names.length === 0 || (names.length === 1 && names[0] === 'all')) {
      process.stdout.write(HELP);
      return 0;
    }
    return nodeHelp(names);
  }
  const wanted = names.length === 1 && names[0] === 'all' ? Object.keys(NODES) : names;
  if (wanted.length === 0) {
    process.stderr.write(HELP);
    return 2;
  }
  const defs: NodeDefinition[] = [];
  for (const n of wanted) {
    const entry = NODES[n];
    if (!entry) {
      process.stderr.write(`vil run: unknown node "${n}"; known: ${Object.keys(NODES).join(', ')}\n`);
      return 2;
    }
    defs.push(await entry.load());
  }
  const address = foxglove;
  const attach = address
    ? async (context: RosContext) => {
        const { startLiveView, openInstructions } = await import('../foxglove/cli.js');
        const view = await startLiveView(context, address);
        process.stdout.write(openInstructions(view));
        return { stop: () => view.close() };
      }
    : undefined;
  return runNodesMain(defs, args.slice(i), { implementation, recordPath, attach });
}

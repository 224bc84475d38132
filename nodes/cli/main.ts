#!/usr/bin/env node
// `vil`: one command-line entry. Each sub-command lives beside the code it drives and is loaded
// only when called, so `vil decode nmea` starts fast and never touches a device addon.
import { argv, exit, stderr, stdout } from 'node:process';

/** A sub-command: receives its own arguments, resolves with the exit code. */
export type CommandMain = (args: string[]) => Promise<number>;

interface Command {
  summary: string;
  load(): Promise<CommandMain>;
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run <node|all> [...] [--foxglove PORT] [--ros-args ...]  run nodes (one process; live view on PORT)',
    load: async () => (await import('./run.js')).main,
  },
  demo: {
    summary: 'demo [--epochs N] [--out DIR] [--foxglove PORT]  every node on the local graph, fed by a bundled drive',
    load: async () => (await import('./demo.js')).main,
  },
  doctor: {
    summary: 'doctor [--params-file FILE] [--ros-args ...]  check this machine for a launch: Node, ROS, devices, files',
    load: async () => (await import('./doctor.js')).main,
  },
  'decode nmea': {
    summary: 'decode nmea FILE|-                     NavSatFix JSON lines from an NMEA log',
    load: async () => (await import('../rtk_serial/cli.js')).main,
  },
  'decode can': {
    summary: 'decode can --dbc FILE LOG|-            signal JSON lines from a candump log',
    load: async () => (await import('../can_bridge/cli.js')).main,
  },
  import: {
    summary: 'import --frames|--list RECORDING...        frames of an MF4/BLF/ASC/candump recording as candump lines, or what it holds;\n      vil import RECORDING... --dbc [CH=]FILE --out X.mcap   the recording as a ROS 2 bag, through can_bridge',
    load: async () => importMain,
  },
  'udp decode': {
    summary: 'udp decode --layout FILE [INPUT]        JSON of captured datagrams (pcap or hex lines)',
    load: async () => (await import('../udp_layout/cli.js')).decodeMain,
  },
  'udp listen': {
    summary: 'udp listen --layout FILE --port N       JSON of live datagrams on a UDP port',
    load: async () => (await import('../udp_layout/cli.js')).listenMain,
  },
};

/**
 * `vil import` modes, picked by the first mode flag present in the arguments (each mode's own
 * module parses the rest). A mode without a flag (`flag: ''`) would run when no other matches.
 */
const IMPORT_MODES: { flag: string; usage: string; load(): Promise<CommandMain> }[] = [
  {
    flag: '--frames',
    usage: 'vil import --frames RECORDING...                 print its frames as candump -L lines (several files: merged by time)',
    load: async () => (await import('../buslog/cli.js')).framesMain,
  },
  {
    flag: '--list',
    usage: 'vil import --list [--json] [--no-count] RECORDING...  what a recording holds: format, groups, frames, skipped',
    load: async () => (await import('../buslog/cli.js')).listMain,
  },
  {
    flag: '',
    usage: 'vil import RECORDING... [--dbc [CHANNEL=]FILE]... | --config FILE [--out drive.mcap]  a ROS 2 bag through can_bridge',
    load: async () => (await import('./import.js')).main,
  },
];

function importUsage(): string {
  return `Usage:\n${IMPORT_MODES.map((m) => `  ${m.usage}`).join('\n')}\n\nRECORDING: ASAM MDF 4 bus logging (.MF4), Vector BLF or ASC, or a candump log (by contents).\n  vil import --frames --help, vil import --list --help   details of one mode\n`;
}

async function importMain(args: string[]): Promise<number> {
  const mode = IMPORT_MODES.find((m) => m.flag && args.includes(m.flag)) ?? IMPORT_MODES.find((m) => m.flag === '');
  if (!mode) {
    const help = args.length === 0 || args.includes('--help') || args.includes('-h');
    (help ? stdout : stderr).write(help ? importUsage() : `vil import: give a mode (${IMPORT_MODES.map((m) => m.flag).filter(Boolean).join(', ')})\n\n${importUsage()}`);
    return help ? 0 : 2;
  }
  return (await mode.load())(args.filter((a) => a !== mode.flag));
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([, c]) => `  vil ${c.summary}`);
  return `vil — vehicle-in-the-loop ROS 2 bridge nodes\n\nUsage:\n${lines.join('\n')}\n\n  vil <command> --help   details of one command\n`;
}

/** vil needs Node ≥ 22.12 (socketcan 4.3, Node 20 is end-of-life); `npm ci` puts one in node_modules/.bin. */
function nodeTooOld(): string | undefined {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return undefined;
  return `vil needs Node.js 22.12 or newer; this is ${process.version} (${process.execPath}).\n` +
    'Run it through npm (npm run ..., npx vil) so the project\'s own Node 22 from node_modules/.bin is used, or install Node 22 (README: "Node.js").\n';
}

async function dispatch(args: string[]): Promise<number> {
  const old = nodeTooOld();
  if (old) {
    stderr.write(old);
    return 1;
  }
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    stdout.write(usage());
    return 0;
  }
  const two = `${args[0]} ${args[1] ?? ''}`;
  const [command, rest] = COMMANDS[two] ? [COMMANDS[two], args.slice(2)] : [COMMANDS[args[0]], args.slice(1)];
  if (!command) {
    const known = Object.keys(COMMANDS).filter((k) => k.startsWith(`${args[0]} `));
    stderr.write(known.length ? `vil ${args[0]}: expected one of: ${known.map((k) => k.split(' ')[1]).join(', ')}\n` : `vil: unknown command "${args[0]}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest);
}

dispatch(argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    stderr.write(`vil: ${(e as Error).stack ?? String(e)}\n`);
    exit(1);
  },
);

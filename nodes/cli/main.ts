#!/usr/bin/env node
// `vil`: one command-line entry. Each sub-command lives beside the code it drives and is loaded
// only when called, so `vil decode nmea` starts fast and never touches a device addon.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exit, stderr, stdout } from 'node:process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../runtime/errors.js';

/** A sub-command: receives its own arguments, resolves with the exit code. */
export type CommandMain = (args: string[]) => Promise<number>;

interface Command {
  /** Arguments after the command's name, for the usage table. */
  args: string;
  summary: string;
  load(): Promise<CommandMain>;
}

// Keys are what the user types: one word, or a group and a word ("decode nmea").
const COMMANDS: Record<string, Command> = {
  run: {
    args: '<node|all> [...] [--foxglove [HOST:]PORT] [--ros-args ...]',
    summary: 'run nodes in this process (vil run <node> --help: its parameters; --foxglove: live view)',
    load: async () => (await import('./run.js')).main,
  },
  demo: {
    args: '[--epochs N] [--out DIR] [--foxglove [HOST:]PORT]',
    summary: 'every node on the local graph, fed by a real drive; checks and a picture of it',
    load: async () => (await import('./demo.js')).main,
  },
  doctor: {
    args: '[--params-file FILE] [--ros-args ...]',
    summary: 'check this machine for a launch: Node, ROS, devices, files',
    load: async () => (await import('./doctor.js')).main,
  },
  'decode nmea': {
    args: 'FILE|-',
    summary: 'NavSatFix JSON lines from an NMEA log',
    load: async () => (await import('../rtk_serial/cli.js')).main,
  },
  'decode can': {
    args: '--dbc FILE LOG|-',
    summary: 'signal JSON lines from a candump log',
    load: async () => (await import('../can_bridge/cli.js')).main,
  },
  import: {
    args: 'RECORDING... --dbc [CH=]FILE --out X.mcap | --frames|--list RECORDING...',
    summary: 'an MF4/BLF/ASC/candump recording as a ROS 2 bag through can_bridge; its frames; what it holds',
    load: async () => importMain,
  },
  'udp decode': {
    args: '--layout FILE [INPUT]',
    summary: 'JSON of captured datagrams (pcap or hex lines)',
    load: async () => (await import('../udp_layout/cli.js')).decodeMain,
  },
  'udp listen': {
    args: '--layout FILE --port N',
    summary: 'JSON of live datagrams on a UDP port',
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

/** Aligned "  vil <command> <args>   <summary>" lines of the commands whose key starts with `prefix`. */
function commandTable(prefix = ''): string {
  const rows = Object.entries(COMMANDS)
    .filter(([k]) => prefix === '' || k.startsWith(`${prefix} `))
    .map(([k, c]) => [`vil ${k} ${c.args}`, c.summary]);
  const width = Math.max(...rows.map(([u]) => u.length));
  return rows.map(([u, s]) => `  ${u.padEnd(width)}   ${s}`).join('\n');
}

function usage(): string {
  return (
    'vil — vehicle-in-the-loop ROS 2 bridge nodes\n\nUsage:\n' +
    `${commandTable()}\n\n` +
    '  vil <command> --help   details of one command\n' +
    '  vil --version          the version of vil\n' +
    '  --log-json             (any command) logs as JSON lines, also at a terminal (or VIL_LOG_JSON=1)\n'
  );
}

function groupUsage(group: string): string {
  return `Usage:\n${commandTable(group)}\n\n  vil ${group} <command> --help   details of one command\n`;
}

/** The version in vil's package.json (found upwards from this file: the source tree, dist/ or an install). */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vil') return `vil ${pkg.version}\n`;
    }
    if (dirname(dir) === dir) return 'vil (version unknown: no package.json of vil found)\n';
  }
}

/** vil needs Node ≥ 22.12 (socketcan 4.3, Node 20 is end-of-life); `npm ci` puts one in node_modules/.bin. */
function nodeTooOld(): string | undefined {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return undefined;
  return `vil needs Node.js 22.12 or newer; this is ${process.version} (${process.execPath}).\n` +
    'Run it through npm (npm run ..., npx vil) so the project\'s own Node 22 from node_modules/.bin is used, or install Node 22 (README: "Node.js").\n';
}

async function dispatch(argv: string[]): Promise<number> {
  const old = nodeTooOld();
  if (old) {
    stderr.write(old);
    return 1;
  }
  // --log-json anywhere before --ros-args: a global option, read by the logger.
  const rosAt = argv.indexOf('--ros-args');
  const own = rosAt < 0 ? argv : argv.slice(0, rosAt);
  const args = own.filter((a) => a !== '--log-json').concat(rosAt < 0 ? [] : argv.slice(rosAt));
  if (args.length !== argv.length) process.env.VIL_LOG_JSON = '1';
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    stdout.write(usage());
    return 0;
  }
  if (args[0] === '--version' || args[0] === '-V') {
    stdout.write(version());
    return 0;
  }
  const two = `${args[0]} ${args[1] ?? ''}`;
  const [command, rest] = COMMANDS[two] ? [COMMANDS[two], args.slice(2)] : [COMMANDS[args[0]], args.slice(1)];
  if (!command) {
    const isGroup = Object.keys(COMMANDS).some((k) => k.startsWith(`${args[0]} `));
    if (isGroup) {
      if (args[1] === '--help' || args[1] === '-h') {
        stdout.write(groupUsage(args[0]));
        return 0;
      }
      stderr.write(`vil ${args[0]}: ${args[1] === undefined ? 'which one?' : `unknown command "${args[1]}"`}\n\n${groupUsage(args[0])}`);
      return 2;
    }
    stderr.write(`vil: unknown command "${args[0]}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest);
}

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A user's mistake arrives as a ConfigError (file, key, fix): its message is the whole story.
    // Anything else is a bug in vil: the stack helps to report it.
    if (e instanceof ConfigError) stderr.write(`vil: ${e.message}\n`);
    else stderr.write(`vil: internal error (please report it with this text): ${(e as Error)?.stack ?? String(e)}\n`);
    exit(1);
  },
);

#!/usr/bin/env node
// Build step of the ROS 2 package (CMakeLists.txt): makes rclnodejs generate JavaScript for vil's
// own interfaces. rclnodejs finds interfaces through the ament index of each AMENT_PREFIX_PATH
// entry (rosidl_gen/packages.cjs: share/ament_index/resource_index/rosidl_interfaces/<pkg> lists
// files relative to share/<pkg>), and vil's own install prefix is not on that path while vil builds.
// So this stages a minimal ament prefix in the build tree — the index entry and the .msg files
// where rosidl installs them (share/vil/msg/X.msg) — and runs rclnodejs's generator on that prefix
// only (rosidl_gen/index.cjs generateInPath). The output lands in
// node_modules/rclnodejs/generated/vil/, which is installed with node_modules.
//
// Usage: node generate_rclnodejs_messages.mjs --node-modules DIR --prefix DIR --package NAME
//        [--optional] MSG_FILE...
// --optional: exit 0 with a warning when rclnodejs is not installed (packaging tests without ROS).
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';

function fail(message) {
  process.stderr.write(`generate_rclnodejs_messages: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const out = { nodeModules: '', prefix: '', pkg: '', optional: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--node-modules') out.nodeModules = resolve(argv[++i] ?? '');
    else if (a === '--prefix') out.prefix = resolve(argv[++i] ?? '');
    else if (a === '--package') out.pkg = argv[++i] ?? '';
    else if (a === '--optional') out.optional = true;
    else out.files.push(resolve(a));
  }
  if (!out.nodeModules || !out.prefix || !out.pkg || out.files.length === 0) {
    fail('usage: --node-modules DIR --prefix DIR --package NAME [--optional] MSG_FILE...');
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const rclDir = join(args.nodeModules, 'rclnodejs');
if (!existsSync(join(rclDir, 'rosidl_gen', 'index.cjs'))) {
  const why =
    `rclnodejs is not installed in ${args.nodeModules} (npm skips an optional dependency whose ` +
    'install fails). Fix: source /opt/ros/jazzy/setup.bash, then rebuild; to see why it failed: ' +
    `cd ${resolve(args.nodeModules, '..')} && npm rebuild rclnodejs --foreground-scripts`;
  if (args.optional) {
    process.stderr.write(`generate_rclnodejs_messages: warning: ${why}\n`);
    process.exit(0);
  }
  fail(why);
}
if (!process.env.AMENT_PREFIX_PATH) fail('ROS 2 is not sourced (AMENT_PREFIX_PATH is not set). Fix: source /opt/ros/jazzy/setup.bash');

// The staged prefix: exactly the layout rosidl_generate_interfaces installs for .msg files.
rmSync(args.prefix, { recursive: true, force: true });
const indexDir = join(args.prefix, 'share', 'ament_index', 'resource_index', 'rosidl_interfaces');
const msgDir = join(args.prefix, 'share', args.pkg, 'msg');
mkdirSync(indexDir, { recursive: true });
mkdirSync(msgDir, { recursive: true });
const names = [];
for (const file of args.files) {
  if (!file.endsWith('.msg')) fail(`${file}: only .msg interfaces are supported here`);
  cpSync(file, join(msgDir, basename(file)));
  names.push(basename(file, '.msg'));
}
names.sort();
writeFileSync(join(indexDir, args.pkg), names.map((n) => `msg/${n}.msg`).join('\n'));

const require = createRequire(import.meta.url);
const generator = require(join(rclDir, 'rosidl_gen', 'index.cjs'));

// rclnodejs's postinstall generates every installed interface but only logs its errors; make sure
// the interfaces vil's messages build on are there before adding vil's own.
if (!existsSync(join(generator.generatedRoot, 'generator.json')) || !existsSync(join(generator.generatedRoot, 'std_msgs'))) {
  process.stderr.write('generate_rclnodejs_messages: rclnodejs has not generated the installed interfaces yet; generating them now\n');
  await generator.generateAll(true);
}

const outDir = join(generator.generatedRoot, args.pkg);
rmSync(outDir, { recursive: true, force: true });
await generator.generateInPath(args.prefix);

const missing = names.filter((n) => !existsSync(join(outDir, `${args.pkg}__msg__${n}.js`)));
if (missing.length) {
  const have = existsSync(outDir) ? readdirSync(outDir).join(', ') : '(nothing)';
  fail(`rclnodejs did not generate ${missing.join(', ')} (generated: ${have}). Is rosidl_adapter importable by python3 (ROS sourced)?`);
}
process.stdout.write(`generate_rclnodejs_messages: ${names.length} ${args.pkg} interfaces → ${outDir}\n`);

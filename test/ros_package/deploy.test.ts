// The deployment files for the vehicle's computer, judged by the real tools:
//  - scripts/can-up.sh against a real kernel CAN driver (slcan, in the UML VM of scripts/canvm.sh):
//    what reaches the "adapter" (the slcan bitrate and open/close commands on its serial line) and
//    what `ip -details link` reports afterwards;
//  - config/udev/99-vil.rules through `udevadm test` (in the VM, whose root is a throwaway
//    overlay, so the rule can be installed there), and its USB ids against the USB ID repository;
//  - config/systemd/*.service through `systemd-analyze verify`.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInCanVm } from '../helpers/canvm.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CAN_UP = join(root, 'scripts/can-up.sh');
const RULES = join(root, 'config/udev/99-vil.rules');
const SYSTEMD = join(root, 'config/systemd');
const LINUX_DEFAULT_RMEM = 212_992;

function sh(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
}

// ---- scripts/can-up.sh ----------------------------------------------------------------------

interface Step {
  rc: number;
  out: string;
  adapter: string;
  link: string;
  rmem: string;
}

function steps(stdout: string): Map<string, Step> {
  const out = new Map<string, Step>();
  for (const block of stdout.split(/^step: /m).slice(1)) {
    const name = block.slice(0, block.indexOf('\n'));
    const field = (k: string) =>
      block
        .split('\n')
        .filter((l) => l.startsWith(`${k}: `))
        .map((l) => l.slice(k.length + 2))
        .join('\n');
    out.set(name, { rc: Number(field('rc')), out: field('out'), adapter: field('adapter').trim(), link: field('link'), rmem: field('rmem') });
  }
  return out;
}

describe('scripts/can-up.sh', () => {
  it('is valid bash (bash -n) and executable', () => {
    expect(sh('bash', ['-n', CAN_UP]).status).toBe(0);
    expect(spawnSync('test', ['-x', CAN_UP]).status).toBe(0);
  });

  it('uses only `ip link ... type can` options that iproute2 documents (bitrate, dbitrate, fd, restart-ms)', () => {
    const help = sh('ip', ['link', 'add', 'type', 'can', 'help']);
    const usage = `${help.stdout}${help.stderr}`;
    expect(usage).toMatch(/Usage: ip link set DEVICE type can/);
    const script = readFileSync(CAN_UP, 'utf8');
    for (const opt of ['bitrate', 'dbitrate', 'fd', 'restart-ms']) {
      expect(script).toContain(opt);
      expect(usage).toMatch(new RegExp(`\\[ ${opt} `));
    }
  });

  it('in a VM with a real CAN driver (slcan): configures, leaves a configured bus alone, re-times on request, restores after a refused FD setting, raises rmem from Linux\'s default; vcan, missing and non-CAN interfaces', async () => {
    const r = await runInCanVm(['bash', join(root, 'test/ros_package/can_up_vm.sh'), CAN_UP], { rmem: LINUX_DEFAULT_RMEM, timeoutSec: 480 });
    const s = steps(r.stdout);
    expect([...s.keys()], r.stderr).toEqual(['first', 'again', 'rate', 'fd', 'dry', 'notcan']);

    const first = s.get('first')!;
    expect(first.rc).toBe(1); // nosuch0 is missing; the others are done anyway
    expect(first.out).toContain(`net.core.rmem_max ${LINUX_DEFAULT_RMEM} -> 16777216`);
    expect(first.out).toContain(`net.core.rmem_default ${LINUX_DEFAULT_RMEM} -> 16777216`);
    expect(first.rmem).toBe('16777216 16777216');
    // The slcan driver turns 500000 bit/s into its S6 command, then opens the channel.
    expect(first.adapter).toMatch(/S6 O$/);
    expect(first.link).toMatch(/slcan0: <[^>]*\bUP\b[^>]*>.* bitrate 500000 /);
    // slcan cannot restart after bus-off by itself: the kernel refuses restart-ms, the script goes on without.
    expect(first.out).toMatch(/slcan0 cannot restart itself after bus-off \(.*restart.*\); configured without restart-ms/i);
    expect(first.out).toContain('can-up: vcan1 (virtual) up');
    expect(first.out).toMatch(/no interface nosuch0\. Fix: plug in the CAN adapter/);

    const again = s.get('again')!;
    expect(again.rc).toBe(0);
    expect(again.out).toContain('slcan0 already up at 500000 bit/s');
    expect(again.adapter).toBe(''); // not closed and reopened: the bus is not bounced

    const rate = s.get('rate')!; // VIL_CAN_BITRATE_slcan0=250000
    expect(rate.rc).toBe(0);
    expect(rate.adapter).toMatch(/^C .*S5 O$/); // closed, 250000 bit/s (S5), opened
    expect(rate.link).toMatch(/ bitrate 250000 /);

    const fd = s.get('fd')!; // slcan is a classic CAN controller
    expect(fd.rc).toBe(1);
    expect(fd.out).toMatch(/slcan0 refused bitrate 250000 dbitrate 2000000 fd on .*Operation not supported/);
    expect(fd.link).toMatch(/slcan0: <[^>]*\bUP\b[^>]*>.* bitrate 250000 /); // back up with the timing it had

    const dry = s.get('dry')!;
    expect(dry.rc).toBe(0);
    expect(dry.out).toContain('+ ip link set dev slcan0 type can bitrate 125000 fd off restart-ms 100');
    expect(dry.adapter).toBe('');
    expect(dry.link).toMatch(/ bitrate 250000 /);

    expect(s.get('notcan')!).toMatchObject({ rc: 1, out: 'can-up: lo is not a CAN interface (link/loopback)' });
    expect(r.stdout).toMatch(/vcan1: .*<[^>]*\bUP\b/);
  });

  it('refuses bad usage with exit 2', () => {
    expect(sh('bash', [CAN_UP]).status).toBe(2);
    const r = sh('bash', [CAN_UP, '-b', 'fast', 'can0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"fast" is not a whole number/);
  });
});

// ---- config/udev/99-vil.rules ---------------------------------------------------------------

function udevadm(): string {
  const onPath = sh('bash', ['-c', 'command -v udevadm']).stdout.trim();
  if (onPath) return onPath;
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vil-udev/root');
  for (const p of ['bin/udevadm', 'usr/bin/udevadm']) if (existsSync(join(cache, p))) return join(cache, p);
  throw new Error('udevadm not found; scripts/ensure-tools.sh unpacks it (npm test runs it first)');
}

/** usb.ids (the USB ID repository, Debian package usb.ids): vendor → {name, products}. */
function usbIds(): Map<string, { name: string; products: Map<string, string> }> {
  const ids = new Map<string, { name: string; products: Map<string, string> }>();
  let vendor: { name: string; products: Map<string, string> } | undefined;
  for (const line of readFileSync('/usr/share/misc/usb.ids', 'latin1').split('\n')) {
    if (line.startsWith('C ')) break; // device classes follow the vendor list
    let m = /^([0-9a-f]{4}) {2}(.*)$/.exec(line);
    if (m) ids.set(m[1], (vendor = { name: m[2], products: new Map() }));
    else if (vendor && (m = /^\t([0-9a-f]{4}) {2}(.*)$/.exec(line))) vendor.products.set(m[1], m[2]);
  }
  return ids;
}

describe('config/udev/99-vil.rules', () => {
  const rules = readFileSync(RULES, 'utf8');

  it('matches USB ids the USB ID repository (usb.ids) gives to u-blox receivers, FTDI converters and gs_usb CAN adapters', () => {
    const ids = usbIds();
    const pairs = [...rules.matchAll(/ATTRS\{idVendor\}=="([0-9a-f]{4})", ATTRS\{idProduct\}=="([0-9a-f]{4})"/g)].map((m) => [m[1], m[2]]);
    expect(pairs.length).toBeGreaterThanOrEqual(4);
    const expected: Record<string, RegExp> = { '1546': /U-Blox/i, '0403': /Future Technology Devices/i, '1d50': /OpenMoko/i };
    const unknown: string[] = [];
    for (const [v, p] of pairs) {
      expect(ids.get(v)?.name, v).toMatch(expected[v]);
      const product = ids.get(v)!.products.get(p);
      if (!product) unknown.push(`${v}:${p}`);
      else expect(product, `${v}:${p}`).toMatch(/u-blox 8|FT232|Bridge|CAN adapter/);
    }
    // Not in Debian 12's usb.ids (2025.07): 1546:01a9, the u-blox 9 series ("u-blox GNSS receiver",
    // CDC-ACM) — the id ZED-F9P units enumerate with, as lsusb shows it on machines with newer ids.
    expect(unknown).toEqual(['1546:01a9']);
  });

  it('selects CAN interfaces by ARPHRD_CAN, the type the kernel headers define', () => {
    const header = readFileSync('/usr/include/linux/if_arp.h', 'utf8');
    const arphrd = /#define\s+ARPHRD_CAN\s+(\d+)/.exec(header)![1];
    expect(rules).toContain(`ATTR{type}=="${arphrd}"`);
  });

  it('`udevadm test` in the VM: the file parses without a complaint and a CAN interface wants vil-can@<name>.service; a broken copy is reported', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'vil-udev-'));
    try {
      writeFileSync(join(broken, '99-vil.rules'), rules.replace('ATTRS{idVendor}=="1546", ATTRS{idProduct}=="01a9"', 'ATTRSS{idVendor}=="1546", ATTRS{idProduct}="01a9"'));
      const script = [
        'mkdir -p /etc/udev/rules.d',
        `cp ${RULES} /etc/udev/rules.d/99-vil.rules`,
        'echo "== good"',
        `${udevadm()} test --action=add /sys/class/net/vcan0 2>&1`,
        `cp ${join(broken, '99-vil.rules')} /etc/udev/rules.d/99-vil.rules`,
        'echo "== broken"',
        `${udevadm()} test --action=add /sys/class/net/vcan0 2>&1`,
        'echo "== type $(cat /sys/class/net/vcan0/type)"',
      ].join('\n');
      const r = await runInCanVm(['bash', '-c', script], { timeoutSec: 480 });
      const [good, bad] = r.stdout.split('== broken');
      expect(good).toContain('Reading rules file: /etc/udev/rules.d/99-vil.rules');
      expect(good.split('\n').filter((l) => l.startsWith('/etc/udev/rules.d/99-vil.rules:'))).toEqual([]);
      expect(good).toMatch(/^SYSTEMD_WANTS=vil-can@vcan0\.service$/m);
      expect(good).toMatch(/^TAGS=.*:systemd:/m);
      expect(bad).toMatch(/\/etc\/udev\/rules\.d\/99-vil\.rules:\d+ Invalid key 'ATTRSS'/);
      expect(r.stdout).toContain('== type 280');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});

// ---- config/systemd -------------------------------------------------------------------------

function verify(dir: string, unit: string) {
  const r = spawnSync('systemd-analyze', ['verify', join(dir, unit)], { encoding: 'utf8', cwd: dir });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

describe('config/systemd', () => {
  const service = readFileSync(join(SYSTEMD, 'vil.service'), 'utf8');
  const can = readFileSync(join(SYSTEMD, 'vil-can@.service'), 'utf8');

  it('systemd-analyze verify: vil.service and an instance of vil-can@.service, without a complaint; a broken copy is reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vil-units-'));
    try {
      copyFileSync(join(SYSTEMD, 'vil.service'), join(dir, 'vil.service'));
      copyFileSync(join(SYSTEMD, 'vil-can@.service'), join(dir, 'vil-can@.service'));
      symlinkSync('vil-can@.service', join(dir, 'vil-can@can0.service'));
      expect(verify(dir, 'vil.service')).toEqual({ status: 0, out: '' });
      expect(verify(dir, 'vil-can@can0.service')).toEqual({ status: 0, out: '' });
      writeFileSync(join(dir, 'broken.service'), service.replace('KillSignal=SIGINT', 'KillSignal=SIGINTT').replace('Restart=always', 'Restrat=always'));
      const bad = verify(dir, 'broken.service');
      expect(bad.out).toMatch(/Failed to parse signal name.*SIGINTT/);
      expect(bad.out).toMatch(/Unknown key 'Restrat'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vil.service: after the network, as a dialout user, sources ROS 2 and the workspace, runs the bringup, restarts; its command line is valid bash', () => {
    expect(service).toMatch(/^After=network-online\.target$/m);
    expect(service).toMatch(/^Wants=network-online\.target$/m);
    expect(service).toMatch(/^SupplementaryGroups=dialout$/m);
    expect(service).toMatch(/^Restart=always$/m);
    expect(service).toMatch(/^KillSignal=SIGINT$/m);
    const exec = /^ExecStart=\/bin\/bash -c '(.*)'$/m.exec(service)![1].replaceAll('$$', '$');
    expect(exec).toMatch(/source "\/opt\/ros\/\$\{ROS_DISTRO\}\/setup\.bash" && source "\$\{VIL_WS\}\/install\/setup\.bash" && exec ros2 launch vil bringup\.launch\.py/);
    expect(spawnSync('bash', ['-n', '-c', exec]).status).toBe(0);
  });

  it('vil-can@.service: the unit the udev rule asks for; runs scripts/can-up.sh for its interface, bound to the device, before vil', () => {
    const rules = readFileSync(RULES, 'utf8');
    expect(rules).toContain('ENV{SYSTEMD_WANTS}+="vil-can@$name.service"');
    expect(can).toMatch(/^ExecStart=\/bin\/bash \$\{VIL_WS\}\/src\/vil\/scripts\/can-up\.sh %I$/m);
    expect(can).toMatch(/^BindsTo=sys-subsystem-net-devices-%i\.device$/m);
    expect(can).toMatch(/^Before=vil\.service$/m);
    expect(can).toMatch(/^Type=oneshot$/m);
  });

  it('vil.env: its launch arguments are ones bringup.launch.py declares; its CAN variables are ones can-up.sh reads', () => {
    const env = readFileSync(join(SYSTEMD, 'vil.env'), 'utf8');
    const args = /^VIL_LAUNCH_ARGS="(.*)"$/m.exec(env)![1].split(/\s+/);
    const serviceArgs = /^Environment="VIL_LAUNCH_ARGS=(.*)"$/m.exec(service)![1].split(/\s+/);
    expect(serviceArgs).toEqual(args);
    const r = spawnSync('/usr/bin/python3', [join(root, 'test/ros_package/launch_probe.py'), join(root, 'launch/bringup.launch.py'), '--share', `vil=${root}`, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, TMPDIR: tmpdir() } });
    const probe = JSON.parse(r.stdout) as { error: string | null; declared: { name: string }[] };
    expect(probe.error).toBeNull();
    for (const a of args) expect(probe.declared.map((d) => d.name)).toContain(a.split(':=')[0]);
    const script = readFileSync(CAN_UP, 'utf8');
    for (const v of env.matchAll(/^#?(VIL_CAN_\w+?)(_can\d)?=/gm)) expect(script).toContain(v[1]);
    expect(env).toMatch(/^VIL_WS=/m);
  });
});

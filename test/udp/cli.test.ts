// `vil udp decode` and `vil udp listen` against real captures: tcpdump records what vil sends on
// the loopback interface (Ethernet link type), on "any" (Linux cooked v1 and v2), with nanosecond
// time stamps, and on a tun device (raw IP, with real kernel IP fragments). Python's struct
// decoder (test/udp/struct_receiver.py) is the judge of the decoded values.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';
import { compileLayoutFile } from '../../nodes/udp_layout/compile.js';
import { decodePacket } from '../../nodes/udp_layout/decoder.js';
import { decodeMain, listenMain } from '../../nodes/udp_layout/cli.js';
import { emptyStats, readPcapDatagrams } from '../../nodes/udp_layout/pcap.js';
import { UdpSender } from '../../nodes/udp_layout/udp_sender.js';
import { makeMarker, runCli, startStructReceiver, STRUCT_RECEIVER } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MARKERS = `${root}config/layouts/markers_to_dspace.yaml`;
const BIG = `${root}test/fixtures/udp/markers_big.yaml`;
const dir = mkdtempSync(join(tmpdir(), 'vil-udp-cli-'));
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function packetsFor(layout: string, n: number, objects: number): Uint8Array[] {
  const c = compileLayoutFile(layout, messageRegistry());
  return Array.from({ length: n }, (_, i) => {
    const markers = Array.from({ length: objects + i }, (_, k) => makeMarker(k + 100 * i, k * 2.5 - i, (k - 5) * 0.3, `ob${k}`));
    return c.encoder.encode({ markers }, { sec: 1_700_000_000 + i, nanosec: 250_000_000 }, i === 1 ? 1 : 0)!.slice();
  });
}

function pythonHexDecode(layout: string, hexFile: string): any[] {
  const json = join(dir, `${Math.random()}.json`);
  writeFileSync(json, JSON.stringify(parse(readFileSync(layout, 'utf8'))));
  const r = spawnSync('python3', [STRUCT_RECEIVER, json, '--hex', hexFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** Python's view and vil's raw all-slots view of one datagram must agree field by field. */
function expectSameAsPython(vil: any, pyRaw: any): void {
  const py = JSON.parse(JSON.stringify(pyRaw)); // JSON has no −0: compare as the CLI prints
  const { crc32: _c, ...header } = vil.header;
  expect(header).toEqual(py.header);
  expect(vil.fields).toEqual(py.fields);
  expect(vil.ok).toBe(py.crc_ok !== false && py.size === py.expected_size);
}

async function startTcpdump(args: string[], file: string): Promise<ChildProcess> {
  const td = spawn('tcpdump', [...args, '-U', '-Z', 'root', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanup.push(() => td.exitCode === null && td.kill('SIGKILL'));
  const lines = createInterface({ input: td.stderr! });
  for await (const l of lines) {
    if (/listening on/.test(l)) break;
    if (/tcpdump: .*(error|denied|permission)/i.test(l)) throw new Error(l);
  }
  return td;
}

/** Waits until the capture file holds `n` UDP datagrams (tcpdump -U writes each packet), then stops tcpdump. */
async function finishCapture(td: ChildProcess, file: string, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file) && readPcapDatagrams(readFileSync(file)).length >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise((r) => td.once('exit', r));
  td.kill('SIGINT');
  await exited;
}

async function sendTo(host: string, port: number, packets: Uint8Array[]): Promise<void> {
  const s = new UdpSender({ host, port }, Math.max(...packets.map((p) => p.length)));
  await s.start();
  for (const p of packets) s.send(p);
  await new Promise((r) => setTimeout(r, 20));
  await s.close();
}

describe('vil udp decode', () => {
  it('hex lines (comments, spaces, colons) decode as Python struct decodes them; a bad CRC is reported, exit 1', async () => {
    const packets = packetsFor(MARKERS, 3, 3);
    const corrupt = packets[2].slice();
    corrupt[30] ^= 0xff;
    const hex = [
      '# three packets from vil, one corrupted on the way',
      Buffer.from(packets[0]).toString('hex'),
      Buffer.from(packets[1]).toString('hex').replace(/(..)/g, '$1 '),
      Buffer.from(packets[2]).toString('hex').replace(/(..)(?!$)/g, '$1:'),
      Buffer.from(corrupt).toString('hex'),
    ].join('\n');
    const file = join(dir, 'packets.hex');
    writeFileSync(file, hex);
    const py = pythonHexDecode(MARKERS, file);
    const r = await runCli(decodeMain, ['--layout', MARKERS, '--raw', '--all-slots', file]);
    expect(r.code).toBe(1);
    const vil = r.lines.map((l) => JSON.parse(l));
    expect(vil).toHaveLength(4);
    vil.forEach((v, i) => expectSameAsPython(v, py[i]));
    expect(vil[3].errors.join()).toMatch(/crc32 is 0x[0-9a-f]{8}, computed/);
    // Default view: physical units and only the first `count` objects.
    const phys = (await runCli(decodeMain, ['--layout', MARKERS, file])).lines.map((l) => JSON.parse(l));
    expect(phys[0].fields.objects).toHaveLength(3);
    expect(phys[0].fields.objects[1].length).toBeCloseTo(4.61, 10);
    expect(phys[0].fields.objects[1].yaw).toBeCloseTo(Math.round(((-4 * 0.3 * 180) / Math.PI) * 100) / 100 / (180 / Math.PI), 10);
  });

  const captures: [string, string[]][] = [
    ['Ethernet link type (tcpdump -i lo)', ['-i', 'lo']],
    ['Linux cooked v1 (tcpdump -i any -y LINUX_SLL)', ['-i', 'any', '-y', 'LINUX_SLL']],
    ['Linux cooked v2 (tcpdump -i any -y LINUX_SLL2)', ['-i', 'any', '-y', 'LINUX_SLL2']],
    ['nanosecond time stamps (tcpdump --time-stamp-precision nano)', ['-i', 'lo', '--time-stamp-precision', 'nano']],
  ];
  for (const [name, args] of captures) {
    it(`pcap, ${name}: same values as Python received on the socket`, async () => {
      const packets = packetsFor(MARKERS, 4, 2);
      const rx = await startStructReceiver(MARKERS, packets.length);
      const file = join(dir, `cap-${name.replace(/\W+/g, '_')}.pcap`);
      const td = await startTcpdump([...args, 'udp', 'dst', 'port', String(rx.port)], file);
      const t0 = Date.now() / 1000;
      await sendTo('127.0.0.1', rx.port, packets);
      const py = await rx.packets;
      await finishCapture(td, file, packets.length);
      const stats = emptyStats();
      const raw = readPcapDatagrams(readFileSync(file), stats);
      expect(raw.map((d) => Buffer.from(d.payload).toString('hex'))).toEqual(packets.map((p) => Buffer.from(p).toString('hex')));
      const r = await runCli(decodeMain, ['--layout', MARKERS, '--raw', '--all-slots', '--port', String(rx.port), file]);
      expect(r.code).toBe(0);
      const vil = r.lines.map((l) => JSON.parse(l));
      expect(vil).toHaveLength(packets.length);
      vil.forEach((v, i) => {
        expectSameAsPython(v, py[i]);
        expect(v.dst).toBe(`127.0.0.1:${rx.port}`);
        expect(Math.abs(v.time - t0)).toBeLessThan(60);
      });
    });
  }

  it('pcap, raw IP link type with IP fragments (tcpdump on a tun device, MTU 1500; needs root)', async () => {
    const sink = spawn('python3', [join(root, 'test/udp/tun_sink.py'), 'viltun0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    sink.stderr.on('data', (d) => (err += d));
    cleanup.push(() => {
      sink.stdin.end();
      spawnSync('ip', ['link', 'del', 'viltun0']);
    });
    const ready = await new Promise<boolean>((r) => {
      sink.stdout.once('data', () => r(true));
      sink.once('exit', () => r(false));
    });
    if (!ready) throw new Error(`cannot create a tun device (root/CAP_NET_ADMIN needed): ${err}`);
    const packets = packetsFor(BIG, 3, 60);
    expect(packets[0].length).toBe(3386);
    const file = join(dir, 'tun.pcap');
    const td = await startTcpdump(['-i', 'viltun0', 'udp or (ip[6:2] & 0x1fff != 0)'], file);
    await sendTo('10.254.77.2', 40077, packets);
    await finishCapture(td, file, packets.length);
    const head = readFileSync(file);
    expect(head.readUInt32LE(20)).toBe(101); // LINKTYPE_RAW
    const stats = emptyStats();
    const got = readPcapDatagrams(head, stats);
    expect(stats.records).toBeGreaterThanOrEqual(packets.length * 3); // each datagram left as ≥ 3 fragments
    expect(stats.incompleteFragments).toBe(0);
    expect(got.map((d) => Buffer.from(d.payload).toString('hex'))).toEqual(packets.map((p) => Buffer.from(p).toString('hex')));
    const r = await runCli(decodeMain, ['--layout', BIG, file]);
    expect(r.code).toBe(0);
    const plan = compileLayoutFile(BIG, messageRegistry()).plan;
    r.lines.forEach((l, i) => {
      const { time: _t, src: _s, dst, ...rest } = JSON.parse(l);
      expect(dst).toBe('10.254.77.2:40077');
      expect(rest).toEqual(JSON.parse(JSON.stringify(decodePacket(plan, packets[i]))));
    });
  });

  it('refuses a pcapng file with the conversion command, exit 2', async () => {
    const file = join(dir, 'x.pcapng');
    writeFileSync(file, Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex'));
    const r = await runCli(decodeMain, ['--layout', MARKERS, file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('editcap -F pcap');
  });
});

describe('vil udp listen', () => {
  it('prints live datagrams decoded with the layout', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const packets = packetsFor(MARKERS, 2, 4);
    const running = runCli(listenMain, ['--layout', MARKERS, '--port', String(port), '--host', '127.0.0.1', '--count', '2']);
    const s = new UdpSender({ host: '127.0.0.1', port }, packets[0].length);
    await s.start();
    let done = false;
    void running.then(() => (done = true));
    // Until the listener is bound the datagrams are refused; keep offering both.
    while (!done) {
      for (const p of packets) s.send(p);
      await new Promise((r) => setTimeout(r, 30));
    }
    await s.close();
    const r = await running;
    expect(r.code).toBe(0);
    const plan = compileLayoutFile(MARKERS, messageRegistry()).plan;
    for (const l of r.lines) {
      const { time: _t, src, ...rest } = JSON.parse(l);
      expect(src).toMatch(/^127\.0\.0\.1:\d+$/);
      const seq = rest.header.sequence as number;
      expect(rest).toEqual(JSON.parse(JSON.stringify(decodePacket(plan, packets[seq]))));
    }
  });
});

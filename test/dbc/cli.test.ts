// `vil decode can`: a candump log of hand-built Toyota frames (the same bytes as the hand-computed
// vectors in dbc_codec.test.ts) decoded through the command, with unknown ids, remote and error
// frames and an unreadable line counted, not fatal.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../nodes/can_bridge/cli.js';
import { dbcPath } from './helpers.js';

async function exec(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  let out = '';
  let err = '';
  io.stdout.on('data', (c: Buffer) => (out += c.toString()));
  io.stderr.on('data', (c: Buffer) => (err += c.toString()));
  io.stdin.end(stdin);
  const code = await run(args, io);
  return { code, out, err };
}

const LOG = [
  '(1436509052.249713) can0 0AA#ADF72DF72DF82DF6', // WHEEL_SPEEDS
  '(1436509052.250000) can0 3BC#0420000000800000', // GEAR_PACKET: GEAR 32 = "P"
  '(1436509052.251000) can0 025#AFF600003F9C0000', // STEER_ANGLE_SENSOR
  '(1436509052.252000) can0 7A1#0102', // unknown id
  '(1436509052.252500) can0 7A1#03', // unknown id again
  '(1436509052.253000) can0 18DAF110#0102', // unknown extended id
  '(1436509052.254000) can0 0AA#R', // remote request
  '(1436509052.255000) can0 20000004#0000080000000000', // error frame
  'this is not a frame',
  '(1436509052.256000) can0 262#0F000081\r', // EPS_STATUS, 4 of 5 bytes, CRLF line
  '',
].join('\n');

describe('vil decode can', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vil-cli-'));
  const log = join(dir, 'drive.log');
  writeFileSync(log, LOG);
  const dbc = dbcPath('toyota_new_mc_pt_generated.dbc');

  it('one JSON line per known frame; skipped ones counted on stderr', async () => {
    const r = await exec(['--dbc', dbc, log]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    const v = (raw: number) => raw * 0.01 + -67.67;
    expect(lines[0]).toEqual({
      t: 1436509052.249713,
      iface: 'can0',
      id: 170,
      extended: false,
      name: 'WHEEL_SPEEDS',
      signals: {
        WHEEL_SPEED_FR_FAULT: 1,
        WHEEL_SPEED_FR: v(11767),
        WHEEL_SPEED_FL_FAULT: 0,
        WHEEL_SPEED_FL: v(11767),
        WHEEL_SPEED_RR_FAULT: 0,
        WHEEL_SPEED_RR: v(11768),
        WHEEL_SPEED_RL_FAULT: 0,
        WHEEL_SPEED_RL: v(11766),
      },
      labels: {},
    });
    expect(lines[1]).toMatchObject({ id: 956, name: 'GEAR_PACKET', signals: { GEAR: 32, SPORT_ON: 1 }, labels: { GEAR: 'P', SPORT_ON: 'on' } });
    expect(lines[2]).toMatchObject({ id: 37, name: 'STEER_ANGLE_SENSOR', signals: { STEER_ANGLE: -15, STEER_FRACTION: 3 * 0.1, STEER_RATE: -100 } });
    // Short payload: the signals inside the 4 bytes only (IPAS_STATE, LKA_STATE, TYPE; not CHECKSUM).
    expect(lines[3]).toMatchObject({ id: 610, name: 'EPS_STATUS', t: 1436509052.256 });
    expect(Object.keys(lines[3].signals as object).sort()).toEqual(['IPAS_STATE', 'LKA_STATE', 'TYPE']);
    expect(r.err).toContain('vil decode can: 4 frames decoded (1 shorter than their message); skipped 3 with unknown ids (0x7a1 ×2, 0x18daf110 ×1), 1 remote, 1 error frames, 1 unreadable lines');
    expect(r.err).toContain('line 9: expected "(seconds.fraction) interface frame"');
  });

  it('reads stdin for "-"', async () => {
    const r = await exec(['--dbc', dbc, '-'], LOG);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toHaveLength(4);
  });

  it('--help', async () => {
    const r = await exec(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: vil decode can --dbc FILE\.dbc LOG\|-/);
  });

  it('usage errors exit 2', async () => {
    expect((await exec([log])).code).toBe(2);
    expect((await exec(['--dbc', dbc])).err).toContain('LOG (a candump file, or - for stdin) is required');
    expect((await exec(['--dbc', dbc, '--bogus', log])).err).toContain('unknown option --bogus');
  });

  it('a DBC with a broken message: the warning once on stderr, the other messages decode', async () => {
    const bad = join(dir, 'bad.dbc');
    writeFileSync(bad, 'VERSION ""\nBO_ 10 M 8 X\nBO_ 170 WHEEL_SPEEDS: 8 X\n SG_ FIRST : 0|8@1+ (1,0) [0|0] "" X\n');
    const r = await exec(['--dbc', bad, log]);
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter((l) => l.includes('left out'))).toEqual([
      `vil decode can: DBC ${bad}: 1 message left out:`,
      `vil decode can:   ${bad}:2:10: message M left out: BO_ 10 M: expected ":", found number 8`,
    ]);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ id: 170, name: 'WHEEL_SPEEDS', signals: { FIRST: 0xad } });
  });

  it('a file with nothing readable as DBC exits 1 naming file, line and what was expected', async () => {
    const bad = join(dir, 'notdbc.dbc');
    writeFileSync(bad, '{"json": true}\n');
    const r = await exec(['--dbc', bad, log]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}:1:1: statement: expected a DBC keyword`);
  });

  it('a missing log exits 1', async () => {
    const r = await exec(['--dbc', dbc, join(dir, 'nope.log')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read');
  });
});

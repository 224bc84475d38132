// `vil import --frames` / `--list`: the printed frames equal the reference dumps byte for byte, a
// damaged file prints its good frames and then the error (exit 1), usage errors exit 2; and the
// built CLI routes `vil import` by its mode flag.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { frames, list, type CliIo } from '../../nodes/buslog/cli.js';
import { FIXTURES, recordings } from './reference.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'vil-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(cmd: typeof frames, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdout, stderr, progress: false };
  const code = await cmd(args, io);
  return { code, out, err };
}

describe('vil import --frames', () => {
  for (const rec of recordings()) {
    it(`${rec.name}: prints exactly the reference dump`, async () => {
      const r = await run(frames, [rec.path]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(readFileSync(`${rec.path}.candump`, 'utf8'));
      expect(r.err).toContain(`vil import --frames: ${rec.ref.length} frames from ${rec.path}`);
    });
  }

  it('merges several files by time', async () => {
    const a = join(FIXTURES, 'asc/pycan_test_CanFdMessage.asc');
    const b = join(FIXTURES, 'asc/pycan_test_CanRemoteMessage.asc');
    const r = await run(frames, [a, b]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toEqual([...readFileSync(`${b}.candump`, 'utf8').trimEnd().split('\n'), ...readFileSync(`${a}.candump`, 'utf8').trimEnd().split('\n')]);
    expect(r.err).toContain('6 frames from 2 recordings');
  });

  it('a truncated file: the good frames, then the error on stderr and exit status 1', async () => {
    const src = join(FIXTURES, 'mf4/css_matlab_00000001_fin.MF4');
    const full = readFileSync(src);
    const cut = join(dir, 'cut.MF4');
    writeFileSync(cut, full.subarray(0, 400_000));
    const r = await run(frames, [cut]);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1000);
    expect(lines).toEqual(readFileSync(`${src}.candump`, 'utf8').split('\n').slice(0, lines.length));
    expect(r.err).toMatch(/vil import --frames: .*cut\.MF4 \(byte \d+\): .*truncated/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace for a damaged file
  });

  it('an unknown file is an error (1); no file or an unknown option is a usage error (2); --help helps', async () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(64, 1));
    expect(await run(frames, [junk])).toMatchObject({ code: 1, out: '', err: expect.stringMatching(/unknown format/) });
    expect(await run(frames, [])).toMatchObject({ code: 2, err: expect.stringMatching(/give at least one RECORDING/) });
    expect(await run(frames, ['--bogus', junk])).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option --bogus/) });
    const help = await run(frames, ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: vil import --frames RECORDING...');
    expect(help.out).toMatch(/MF4 .*BLF .*ASC .*candump/s);
  });
});

describe('vil import --list', () => {
  it('text: format, start, every group with its status, frames per channel, what was skipped', async () => {
    const p = join(FIXTURES, 'mf4/css_2F6913DB_0004_00000001.MF4');
    const r = await run(list, [p]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('format  MF4: MDF 4.11, unfinalised (UnFinMF, flags 37');
    expect(r.out).toContain('start   2022-01-06T11:46:01.000000000Z');
    expect(r.out).toMatch(/read\s+CAN_DataFrame\s+unsorted DG 1, record id 1/);
    expect(r.out).toMatch(/skipped\s+LIN_Frame\s+.*LIN bus logging is not read/);
    expect(r.out).toContain('frames  5588 from 1641469561.949700 to 1641469625.419700');
    expect(r.out).toContain('can1  221 (data 221, tx 52)');
    expect(r.out).toContain('can2  5367 (data 5367)');
  });

  it('--json: one object per recording with the counts the reference .json has', async () => {
    for (const name of ['blf/derived_pycanblfwriter_logfile_asc.blf', 'asc/pycan_logfile.asc', 'mf4/css_matlab_00000001_fin.MF4']) {
      const p = join(FIXTURES, name);
      const r = await run(list, ['--json', p]);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as Record<string, unknown>;
      const ref = JSON.parse(readFileSync(`${p}.json`, 'utf8')) as Record<string, unknown>;
      expect(j.frames_total).toBe(ref.frames_total);
      expect(j.frames_per_channel).toEqual(ref.frames_per_channel);
      expect([j.first_timestamp, j.last_timestamp]).toEqual([ref.first_timestamp, ref.last_timestamp]);
    }
  });

  it('--no-count: only what the headers say', async () => {
    const r = await run(list, ['--no-count', join(FIXTURES, 'mf4/css_matlab_00000001_fin.MF4')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/read\s+CAN_DataFrame\s+17269 frames; sorted DG 1/);
    expect(r.out).not.toContain('frames  ');
  });
});

describe('the built CLI (dist/, made by `npm test`)', () => {
  it('routes `vil import` by its mode flag and explains the modes', () => {
    const cli = join(ROOT, 'dist/nodes/cli/main.js');
    expect(existsSync(cli), 'dist/ is built by `npm test` (pretest: npm run build)').toBe(true);
    const asc = join(FIXTURES, 'asc/pycan_issue_1299.asc');
    const f = spawnSync(process.execPath, [cli, 'import', '--frames', asc], { encoding: 'utf8' });
    expect(f.status).toBe(0);
    expect(f.stdout).toBe(readFileSync(`${asc}.candump`, 'utf8'));
    const l = spawnSync(process.execPath, [cli, 'import', asc, '--list'], { encoding: 'utf8' });
    expect(l.status).toBe(0);
    expect(l.stdout).toContain('format  ASC: Vector ASC, base hex');
    const none = spawnSync(process.execPath, [cli, 'import', asc], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('give a mode (--frames, --list)');
    const help = spawnSync(process.execPath, [cli, 'import', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('vil import --frames RECORDING...');
    const top = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout;
    expect(top).toMatch(/vil import RECORDING\.\.\. --dbc .*--frames\|--list RECORDING\.\.\./);
  });
});

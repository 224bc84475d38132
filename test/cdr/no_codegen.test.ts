// Where code generation from strings is disallowed (node --disallow-code-generation-from-strings,
// as hardened deployments do), the codec compiles to closures instead and behaves the same: the
// compiled build (dist/, made by `npm test`'s pretest) run in such a process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codecFor } from '../../nodes/runtime/codecs.js';
import { hex } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const codecs = join(root, 'dist/nodes/runtime/codecs.js');

const fix = { header: { stamp: { sec: 1555029596, nanosec: 250000000 }, frame_id: 'gnss' }, status: { status: 0, service: 1 }, latitude: -45.877567167, longitude: 170.500111333, altitude: 16, position_covariance: [1, 0, 0, 0, 1, 0, 0, 0, 2], position_covariance_type: 1 };

describe('CDR codec without code generation', () => {
  it('encodes the same bytes, decodes the same message and refuses the same way', () => {
    expect(existsSync(codecs), `${codecs} missing: run npm run build`).toBe(true);
    const script = `
      const { codecFor } = await import(${JSON.stringify(codecs)});
      let generated = true;
      try { new Function('return 1'); } catch { generated = false; }
      const c = codecFor('sensor_msgs/msg/NavSatFix');
      const fix = ${JSON.stringify(fix)};
      const bytes = c.encode(fix);
      let refusal = '';
      try { c.encode({ ...fix, latitude: 'north' }); } catch (e) { refusal = e.path + ': ' + e.problem; }
      console.log(JSON.stringify({ generated, hex: Buffer.from(bytes).toString('hex'), latitude: c.decode(bytes).latitude, refusal }));`;
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { generated: boolean; hex: string; latitude: number; refusal: string };
    expect(out.generated).toBe(false);
    expect(out.hex).toBe(hex(codecFor('sensor_msgs/msg/NavSatFix').encode(fix)));
    expect(out.latitude).toBe(fix.latitude);
    expect(out.refusal).toBe('latitude: expected float64 (a number), got string "north"');
  });
});

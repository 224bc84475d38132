// A shortened `vil demo` as a user runs it (the built CLI, its own process), then its MCAP read back
// with @mcap/core using only the schemas embedded in the file.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMcap, readMcapInfo } from '../../nodes/runtime/local/mcap_read.js';
import { messageRegistry } from '../../nodes/runtime/msg_registry.js';

const root = join(import.meta.dirname, '../..');
const EPOCHS = 6;

describe('vil demo, shortened to 6 receiver epochs (built CLI, real pty and UDP sockets)', () => {
  const out = mkdtempSync(join(tmpdir(), 'vil-demo-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs every node, passes its own checks, and writes an MCAP whose every message decodes with its embedded schema', async () => {
    const cli = join(root, 'dist/nodes/cli/main.js');
    expect(existsSync(cli), 'dist/ is built by `npm test` (pretest: npm run build)').toBe(true);
    const r = spawnSync(process.execPath, [cli, 'demo', '--epochs', String(EPOCHS), '--out', out], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `demo failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('all checks passed');
    // Progress: one line per epoch.
    expect(r.stdout.match(/^\[\s*\d+\/6\]/gm)).toHaveLength(EPOCHS);

    const file = join(out, 'vil-demo.mcap');
    const info = await readMcapInfo(file);
    expect(info.profile).toBe('ros2');
    const messages = await readMcap(file);
    expect(messages.length).toBe(Number(info.statistics!.messageCount));
    const counts = new Map<string, number>();
    for (const m of messages) counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    const n = (t: string) => counts.get(t) ?? 0;

    // Rates from the configuration over a drive of EPOCHS seconds (lower bounds leave room for
    // start-up; upper bounds catch duplicates):
    expect(n('/vil/rtk/raw')).toBeGreaterThanOrEqual(EPOCHS * 30); // ~35 sentences per u-blox epoch
    expect(n('/vil/rtk/fix')).toBeGreaterThanOrEqual(EPOCHS - 1);
    expect(n('/vil/rtk/fix')).toBeLessThanOrEqual(EPOCHS);
    expect(n('/vil/rtk/status')).toBe(n('/vil/rtk/fix'));
    expect(n('/vil/can/can0/raw')).toBeGreaterThan(EPOCHS * 150); // 4 × 50 Hz + 5 Hz, generated
    expect(n('/vil/can/can1/raw')).toBeGreaterThan(EPOCHS * 20 * 65 * 0.8); // 20 scans/s × 65 frames
    expect(n('/vil/can/objects/esr')).toBeGreaterThan(EPOCHS * 20 * 0.8);
    expect(n('/vil/can/objects/esr')).toBeLessThanOrEqual(EPOCHS * 20 + 1);
    expect(n('/vil/can/vehicle_state')).toBeGreaterThan(EPOCHS * 50 * 0.8);
    expect(n('/vil/sim/ego_pose')).toBeGreaterThan((EPOCHS - 1) * 100 * 0.7); // 100 Hz once the first fix is in
    expect(n('/vil/markers')).toBeGreaterThan(EPOCHS * 10);
    expect(n('/tf')).toBeGreaterThan(EPOCHS * 10);
    expect(n('/tf_static')).toBe(1);
    expect(n('/diagnostics')).toBeGreaterThanOrEqual(EPOCHS * 5 - 5); // 5 nodes at 1 Hz

    // The decoded messages are what the schemas say: spot-check fields across types.
    const fix = messages.find((m) => m.topic === '/vil/rtk/fix')!.message as { latitude: number; longitude: number; header: { frame_id: string } };
    expect(fix.latitude).toBeCloseTo(-45.8775672, 6); // the receiver's position (gpsd: -45.877567167)
    expect(fix.longitude).toBeCloseTo(170.5001113, 6);
    const objects = messages.filter((m) => m.topic === '/vil/can/objects/esr').map((m) => m.message as { objects: { id: number }[]; header: { frame_id: string } });
    expect(objects.every((o) => o.header.frame_id === 'radar_esr')).toBe(true);
    expect(objects.some((o) => o.objects.length >= 2)).toBe(true);
    // Every channel's schema is the registry's definition of that type (the file is self-describing
    // and agrees with the definitions the nodes were checked against).
    const reg = messageRegistry();
    for (const ch of info.channels) {
      const schema = info.schemas.find((s) => s.id === ch.schemaId)!;
      expect(schema.encoding, ch.topic).toBe('ros2msg');
      expect(schema.text, ch.topic).toBe(reg.schemaText(schema.name));
    }
  });
});

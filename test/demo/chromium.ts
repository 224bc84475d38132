// Headless Chromium (Debian's `chromium`, installed by scripts/ensure-tools.sh) takes a screenshot
// of a file, as a person opening it in a browser would see it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

/** The file rendered at width × height; throws naming what is missing or what went wrong. */
export function screenshot(file: string, width: number, height: number): Buffer {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed: the picture cannot be rendered (bash scripts/ensure-tools.sh installs Debian's chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'vil-chromium-'));
  try {
    const png = join(profile, 'shot.png');
    const r = spawnSync(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--screenshot=${png}`, `--window-size=${width},${height}`, `file://${file}`],
      { encoding: 'utf8', timeout: 600_000 },
    );
    if (!existsSync(png)) throw new Error(`chromium wrote no screenshot (exit ${r.status}, ${r.error?.message ?? ''}):\n${r.stderr}`);
    return readFileSync(png);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

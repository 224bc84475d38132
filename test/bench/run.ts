// `npm run bench [name ...]`: runs every test/bench/*.bench.ts (compiled to dist/) in turn, each in
// its own process so one benchmark's heap and timers cannot colour the next one's figures.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);

if (process.env.VIL_BENCH_CHILD) {
  const mod = (await import(join(here, process.env.VIL_BENCH_CHILD))) as { run(): Promise<void> };
  await mod.run();
  process.exit(0);
}

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(' ')}`);
  process.exit(2);
}
console.log(`vil benchmarks on ${process.version}, ${process.arch}, ${process.env.HOSTNAME ?? ''}`.trim());
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f.replace('.bench.js', '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, VIL_BENCH_CHILD: f },
  });
  if (r.status !== 0) {
    failed++;
    console.log(`!! ${f} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);

// `npm run fuzz [-- options]`: property-based fuzzing of every vil parser, one target after another,
// each in a worker thread watched from here.
//
// Generator: fast-check (npm). It gives what a fuzz harness of our own would otherwise have to
// build: composable generators for structured inputs (NMEA sentences, DBC text, layout YAML, CDR
// messages) and for edits of real files, a seed that replays a whole run, a path that replays one
// failing input, and shrinking, which turns a failing 60 kB mutated log into the few bytes that
// matter. Coverage-guided fuzzers (jsfuzz, Jazzer.js) find more in opaque binary formats but need
// native instrumentation and give neither the invariants nor the shrinking that the properties
// here rely on.
//
// Each target runs in a worker thread with a heap limit. The worker writes every input into a
// shared buffer before it runs it and counts the inputs; when the count stops moving for
// --hang-seconds, the input is saved and reported as a hang (a synchronous endless loop cannot be
// interrupted from inside its own thread). A failing input is shrunk by fast-check and saved under
// --out as a corpus file for test/fixtures/fuzz/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../nodes/runtime/msg_registry.js';
import { TARGET_NAMES, loadTarget } from './targets/index.js';
import { INPUT_CAPACITY, SLOT, type WorkerJob, type WorkerResult } from './worker_protocol.js';

const USAGE = `usage: npm run fuzz [-- options]

Property-based fuzzing of vil's parsers (fast-check), seeded and bounded in time.

options:
  --target NAME[,NAME]  targets to run (default: all): ${TARGET_NAMES.join(', ')}
  --seconds S           time per target (default 30)
  --runs N              a fixed number of inputs per target instead of a time
  --seed N              the seed (default: a new one, printed); the same seed replays the same inputs
  --path P              with --seed and one --target: replay only the failing input fast-check named
  --replay FILE         with one --target: run one stored input (a corpus file) through the invariants
  --hang-seconds S      an input running longer than this is reported as a hang (default 60)
  --heap-mb N           heap limit of each target's worker (default 1024)
  --out DIR             where failing inputs are saved (default fuzz-findings/)
  --list                list the targets and what they check
  -h, --help            this text`;

interface Options {
  targets: string[];
  seconds: number;
  runs: number | undefined;
  seed: number;
  path: string | undefined;
  replay: string | undefined;
  hangSeconds: number;
  heapMb: number;
  out: string;
  list: boolean;
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = { targets: [...TARGET_NAMES], seconds: 30, runs: undefined, seed: newSeed(), path: undefined, replay: undefined, hangSeconds: 60, heapMb: 1024, out: join(projectRoot(), 'fuzz-findings'), list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const number = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n < min) throw new Error(`${a} ${v}: expected a number >= ${min}`);
      return n;
    };
    switch (a) {
      case '--target':
      case '--targets': {
        const names = value().split(',').filter(Boolean);
        const unknown = names.filter((n) => !TARGET_NAMES.includes(n));
        if (unknown.length) throw new Error(`unknown target ${unknown.join(', ')}; targets: ${TARGET_NAMES.join(', ')}`);
        o.targets = names;
        break;
      }
      case '--seconds':
        o.seconds = number(1);
        break;
      case '--runs':
        o.runs = Math.floor(number(1));
        break;
      case '--seed':
        o.seed = Math.trunc(number(-(2 ** 31))) | 0;
        break;
      case '--path':
        o.path = value();
        break;
      case '--replay':
        o.replay = resolve(value());
        break;
      case '--hang-seconds':
        o.hangSeconds = number(1);
        break;
      case '--heap-mb':
        o.heapMb = number(64);
        break;
      case '--out':
        o.out = resolve(value());
        break;
      case '--list':
        o.list = true;
        break;
      case '-h':
      case '--help':
        return 'help';
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if ((o.path || o.replay) && o.targets.length !== 1) throw new Error(`${o.path ? '--path' : '--replay'} needs exactly one --target`);
  return o;
}

function newSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;
}

interface Outcome {
  target: string;
  runs: number;
  seconds: number;
  failure?: string;
  saved?: string;
}

async function runTarget(name: string, o: Options): Promise<Outcome> {
  const sab = new SharedArrayBuffer(SLOT.Data * 4 + INPUT_CAPACITY);
  const slots = new Int32Array(sab, 0, SLOT.Data);
  const input = new Uint8Array(sab, SLOT.Data * 4);
  const job: WorkerJob = { target: name, seed: o.seed, seconds: o.seconds, runs: o.runs, path: o.path, sab };
  const started = performance.now();
  // The worker's scratch files (bus-log recordings): removed here whatever way the worker ends.
  const scratch = mkdtempSync(join(tmpdir(), `vil-fuzz-${name}-`));
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job, env: { ...process.env, VIL_FUZZ_TMP: scratch }, resourceLimits: { maxOldGenerationSizeMb: o.heapMb } });
  const lastInput = (): Uint8Array => input.slice(0, Math.min(INPUT_CAPACITY, Atomics.load(slots, SLOT.InputLength)));
  const save = (why: string, bytes: Uint8Array, ext = '.bin'): string => {
    mkdirSync(o.out, { recursive: true });
    const file = join(o.out, `${name}-seed${o.seed}-${why}${ext}`);
    writeFileSync(file, bytes);
    return file;
  };
  return new Promise<Outcome>((done) => {
    let finished = false;
    let lastCount = -1;
    let lastChange = performance.now();
    let lastReport = performance.now();
    const finish = (outcome: Omit<Outcome, 'target' | 'runs' | 'seconds'>): void => {
      if (finished) return;
      finished = true;
      clearInterval(watch);
      void worker.terminate().finally(() => rmSync(scratch, { recursive: true, force: true }));
      done({ target: name, runs: Atomics.load(slots, SLOT.Runs), seconds: (performance.now() - started) / 1000, ...outcome });
    };
    const watch = setInterval(() => {
      const count = Atomics.load(slots, SLOT.Runs);
      const now = performance.now();
      if (count !== lastCount) {
        lastCount = count;
        lastChange = now;
      } else if (now - lastChange > o.hangSeconds * 1000) {
        const file = save('hang', lastInput());
        void worker.terminate();
        finish({ failure: `hang: input ${count + 1} ran for more than ${o.hangSeconds} s (saved: ${file})`, saved: file });
        return;
      }
      if (now - lastReport > 10_000 && process.stdout.isTTY !== true) {
        lastReport = now;
        console.log(`   ${name}: ${count} inputs, ${((now - started) / 1000).toFixed(0)} s`);
      }
    }, 250);
    worker.on('message', (r: WorkerResult) => {
      if (r.ok) return finish({});
      const file = r.corpus ? save('failure', Buffer.from(r.corpus.base64, 'base64'), r.corpus.ext) : undefined;
      const replay = r.path !== undefined ? `\n   replay: npm run fuzz -- --target ${name} --seed ${o.seed} --path ${r.path}` : '';
      finish({ failure: `${r.error}\n   counterexample (shrunk ${r.shrinks} times): ${r.counterexample}${replay}${file ? `\n   saved: ${file} (npm run fuzz -- --target ${name} --replay ${file})` : ''}`, saved: file });
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const file = save(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash', lastInput());
      finish({ failure: `${e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `heap limit of ${o.heapMb} MB reached` : 'the worker crashed'}: ${e.message} (last input saved: ${file})`, saved: file });
    });
    worker.on('exit', (code) => finish(code === 0 ? {} : { failure: `worker exited with code ${code}` }));
  });
}

async function main(argv: string[]): Promise<number> {
  let parsed: Options | string;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    console.error(`vil fuzz: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (typeof parsed === 'string') {
    console.log(USAGE);
    return 0;
  }
  const o = parsed;
  if (o.list) {
    for (const name of TARGET_NAMES) {
      const t = await loadTarget(name);
      console.log(`${name}\n${t.checks.map((c) => `  - ${c}`).join('\n')}`);
    }
    return 0;
  }
  if (o.replay) {
    const t = await loadTarget(o.targets[0]);
    try {
      await t.replay(basename(o.replay), readFileSync(o.replay));
    } catch (e) {
      console.error(`FAIL ${o.targets[0]} ${o.replay}: ${(e as Error).stack ?? String(e)}`);
      return 1;
    }
    console.log(`ok ${o.targets[0]} ${o.replay}: every invariant holds`);
    return 0;
  }
  const bound = o.runs !== undefined ? `${o.runs} inputs` : `${o.seconds} s`;
  console.log(`vil fuzz: seed ${o.seed}, ${bound} per target, targets ${o.targets.join(', ')} (node ${process.version})`);
  console.log(`replay this run: npm run fuzz -- --seed ${o.seed} --target ${o.targets.join(',')}${o.runs !== undefined ? ` --runs ${o.runs}` : ''}`);
  const outcomes: Outcome[] = [];
  for (const name of o.targets) {
    console.log(`\n== ${name}`);
    const r = await runTarget(name, o);
    outcomes.push(r);
    const rate = r.runs / r.seconds;
    if (r.failure) console.log(`FAIL ${name} after ${r.runs} inputs (${r.seconds.toFixed(1)} s):\n   ${r.failure}`);
    else console.log(`ok   ${name}: ${r.runs} inputs in ${r.seconds.toFixed(1)} s (${rate.toFixed(0)} inputs/s)`);
  }
  const failed = outcomes.filter((r) => r.failure);
  console.log(`\nseed ${o.seed}: ${outcomes.length - failed.length} targets passed, ${failed.length} failed`);
  for (const r of outcomes) console.log(`  ${r.failure ? 'FAIL' : 'ok  '} ${r.target.padEnd(8)} ${String(r.runs).padStart(8)} inputs  ${(r.runs / r.seconds).toFixed(0).padStart(6)} inputs/s`);
  return failed.length ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));

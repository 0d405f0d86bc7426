/**
 * Fault injection: is a pipeline run that was killed (SIGKILL) and rerun as good as one that
 * never was?
 *
 *   npx tsx tools/fault-injection/run.ts [--n 20] [--seed 1] [--root DIR] [--result FILE] [--keep] [--window 0.02,0.98]
 *                                        [-- <pipeline flags, default: --preset tiny>]
 *
 * 1. Runs the pipeline once, uninterrupted, into <root>/reference (T seconds).
 * 2. N trials, each in a fresh <root>/trial-<i>: start the pipeline, SIGKILL its process group
 *    after a random delay in [0.02 T, 0.98 T] (--window: other fractions of T, e.g. 0.1,0.4 to aim
 *    at pre-training on the tiny world) (one kill, or two in ~30% of the trials), then rerun
 *    it to completion; the rerun must exit 0 and its ctr/ctr-report.json must hold the same
 *    metric numbers as the reference (every number in the report except timing fields).
 * Delays come from a seeded generator (--seed), so a failing trial can be replayed.
 * Writes a Markdown summary (default tools/fault-injection/RESULT.md) and exits 1 on any mismatch.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Args {
  n: number;
  seed: number;
  root: string;
  result: string;
  keep: boolean;
  window: [number, number];
  pipelineArgs: string[];
}

function parseArgs(argv: string[]): Args {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const pipelineArgs = dash >= 0 ? argv.slice(dash + 1) : ['--preset', 'tiny'];
  const get = (name: string): string | undefined => {
    const i = own.indexOf(`--${name}`);
    return i >= 0 ? own[i + 1] : undefined;
  };
  const int = (name: string, dflt: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`fault-injection: --${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
  for (const a of own) if (a.startsWith('--') && !['--n', '--seed', '--root', '--result', '--keep', '--window'].includes(a)) throw new Error(`fault-injection: unknown flag ${a}`);
  return {
    n: int('n', 20),
    seed: int('seed', 1),
    root: path.resolve(get('root') ?? path.join(os.tmpdir(), 'courier-fault-injection')),
    result: path.resolve(get('result') ?? path.join(__dirname, 'RESULT.md')),
    keep: own.includes('--keep'),
    window: parseWindow(get('window') ?? '0.02,0.98'),
    pipelineArgs,
  };
}

function parseWindow(text: string): [number, number] {
  const [a, b] = text.split(',').map(Number);
  if (!(a >= 0 && b > a && b <= 10)) throw new Error(`fault-injection: --window must be "FROM,TO" fractions of the reference run time, FROM < TO, got ${JSON.stringify(text)}`);
  return [a, b];
}

/** mulberry32: a small seeded generator (uniform in [0, 1)). */
function seededRandom(seed: number): () => number {
  let a = (seed * 0x9e3779b1) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const repoRoot = path.resolve(__dirname, '../..');
const tsxBin = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  killed: boolean;
  /** The stage the pipeline was in when it ended (last "<stage>: running" line). */
  lastStage: string | null;
  log: string;
}

/** Runs the pipeline into `out`; with `killAfter` (seconds), SIGKILLs its whole process group then. */
function runPipeline(out: string, pipelineArgs: string[], killAfter: number | null): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(tsxBin, ['apps/pipeline/src/main.ts', 'run', ...pipelineArgs, '--out', out], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    let killed = false;
    const timer =
      killAfter === null
        ? null
        : setTimeout(() => {
            killed = true;
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              // already gone
            }
          }, killAfter * 1000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stages = [...log.matchAll(/\[pipeline\] (\w+): running/g)].map((m) => m[1]);
      resolve({ code, signal, seconds: (performance.now() - t0) / 1000, killed: killed && code !== 0, lastStage: stages.length ? stages[stages.length - 1] : null, log });
    });
  });
}

const TIMING_KEY = /persecond|seconds|time|duration|startedat|finishedat|savedat/i;

/** Every number in a report by its JSON path, timing fields left out. */
export function metricNumbers(value: unknown, prefix = ''): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (v: unknown, p: string) => {
    if (typeof v === 'number') out.set(p, v);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!TIMING_KEY.test(k)) walk(x, p ? `${p}.${k}` : k);
    }
  };
  walk(value, prefix);
  return out;
}

function compareReports(reference: Map<string, number>, file: string): string[] {
  if (!fs.existsSync(file)) return [`${file} is missing`];
  const got = metricNumbers(JSON.parse(fs.readFileSync(file, 'utf8')));
  const diffs: string[] = [];
  for (const [k, v] of reference) {
    const g = got.get(k);
    if (g === undefined) diffs.push(`${k}: missing (reference ${v})`);
    else if (!Object.is(g, v)) diffs.push(`${k}: ${g} (reference ${v})`);
  }
  for (const k of got.keys()) if (!reference.has(k)) diffs.push(`${k}: not in the reference`);
  return diffs;
}

interface Trial {
  index: number;
  kills: { delay: number; stage: string | null; landed: boolean }[];
  rerunSeconds: number;
  rerunCode: number | null;
  resumedFrom: unknown;
  diffs: string[];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const random = seededRandom(args.seed);
  fs.rmSync(args.root, { recursive: true, force: true });
  fs.mkdirSync(args.root, { recursive: true });
  const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);

  log(`reference run: tsx apps/pipeline/src/main.ts run ${args.pipelineArgs.join(' ')} --out ${path.join(args.root, 'reference')}`);
  const refDir = path.join(args.root, 'reference');
  const ref = await runPipeline(refDir, args.pipelineArgs, null);
  if (ref.code !== 0) {
    process.stderr.write(ref.log.slice(-4000));
    throw new Error(`fault-injection: the uninterrupted run failed (exit ${ref.code})`);
  }
  const reference = metricNumbers(JSON.parse(fs.readFileSync(path.join(refDir, 'ctr', 'ctr-report.json'), 'utf8')));
  log(`reference: ${ref.seconds.toFixed(1)} s, ${reference.size} metric numbers`);

  const trials: Trial[] = [];
  for (let i = 1; i <= args.n; i++) {
    const dir = path.join(args.root, `trial-${i}`);
    const killCount = random() < 0.3 ? 2 : 1;
    const kills: Trial['kills'] = [];
    for (let k = 0; k < killCount; k++) {
      const delay = ref.seconds * (args.window[0] + (args.window[1] - args.window[0]) * random());
      const r = await runPipeline(dir, args.pipelineArgs, delay);
      kills.push({ delay, stage: r.killed ? r.lastStage : 'finished before the kill', landed: r.killed });
      if (!r.killed && r.code !== 0) log(`trial ${i}: run before kill ${k + 1} exited ${r.code}: ${r.log.slice(-600)}`);
    }
    const rerun = await runPipeline(dir, args.pipelineArgs, null);
    const diffs = rerun.code === 0 ? compareReports(reference, path.join(dir, 'ctr', 'ctr-report.json')) : [`rerun exited ${rerun.code}: ${rerun.log.slice(-800)}`];
    let resumedFrom: unknown = null;
    try {
      resumedFrom = (JSON.parse(fs.readFileSync(path.join(dir, 'pretrain', 'run.json'), 'utf8')) as { resumedFrom?: unknown }).resumedFrom ?? null;
    } catch {
      resumedFrom = 'n/a';
    }
    const trial: Trial = { index: i, kills, rerunSeconds: rerun.seconds, rerunCode: rerun.code, resumedFrom, diffs };
    trials.push(trial);
    log(
      `trial ${i}/${args.n}: killed ${kills.map((k) => `at ${k.delay.toFixed(1)}s (${k.stage ?? 'before any stage'})`).join(', then ')}; rerun ${rerun.seconds.toFixed(1)} s, ` +
        `pretrain resumedFrom ${JSON.stringify(resumedFrom)}: ${diffs.length === 0 ? 'SAME metrics' : `${diffs.length} DIFFERENCES: ${diffs.slice(0, 3).join('; ')}`}`,
    );
    if (!args.keep && diffs.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  }

  const failed = trials.filter((t) => t.diffs.length > 0);
  const landed = trials.flatMap((t) => t.kills).filter((k) => k.landed);
  const byStage = new Map<string, number>();
  for (const k of landed) byStage.set(k.stage ?? 'start', (byStage.get(k.stage ?? 'start') ?? 0) + 1);
  const md = [
    '# Fault injection result',
    '',
    `Written by \`npx tsx tools/fault-injection/run.ts --n ${args.n} --seed ${args.seed} --window ${args.window.join(',')} -- ${args.pipelineArgs.join(' ')}\` on ${new Date().toISOString()} (${os.hostname()}, ${os.cpus().length} cores).`,
    '',
    `- Uninterrupted reference run: ${ref.seconds.toFixed(1)} s; its ctr-report.json holds ${reference.size} metric numbers (timing fields left out).`,
    `- Trials: ${trials.length}; kills (SIGKILL of the whole process group): ${trials.reduce((s, t) => s + t.kills.length, 0)}, of which ${landed.length} landed before the run finished.`,
    `- Kills by stage: ${[...byStage].map(([s, c]) => `${s} ${c}`).join(', ') || 'none'}.`,
    `- **${trials.length - failed.length} of ${trials.length} reruns ended with exactly the reference's metric numbers**${failed.length ? `; ${failed.length} differed (below)` : ''}.`,
    '',
    '| trial | kills (delay, stage) | rerun s | pretrain resumedFrom | result |',
    '|---|---|---|---|---|',
    ...trials.map(
      (t) =>
        `| ${t.index} | ${t.kills.map((k) => `${k.delay.toFixed(1)}s ${k.stage ?? 'start'}`).join('; ')} | ${t.rerunSeconds.toFixed(1)} | ${JSON.stringify(t.resumedFrom)} | ${t.diffs.length === 0 ? 'same' : `${t.diffs.length} diffs: ${t.diffs.slice(0, 2).join('; ').replace(/\|/g, '\\|').replace(/\n/g, ' ')}`} |`,
    ),
    '',
  ].join('\n');
  fs.writeFileSync(args.result, md);
  log(`wrote ${args.result}: ${trials.length - failed.length}/${trials.length} same`);
  if (failed.length > 0) process.exit(1);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

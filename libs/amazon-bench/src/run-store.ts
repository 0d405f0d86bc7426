/**
 * Finished runs on disk, so a benchmark that outlasts a session continues where it stopped
 * (issue #23). One folder per (row label, grid point, seed):
 *
 *   <out>/runs/<label>/<params hash>-seed<seed>/result.json      the finished run (written atomically, last)
 *   <out>/runs/<label>/<params hash>-seed<seed>/checkpoint.ckpt  the run in progress (train-checkpoint.ts)
 *
 * result.json holds the run's fingerprint and its parts: model, features, grid point, seed,
 * the protocol settings a run depends on (maxEpochs, patience, batchSize), a content hash of the
 * data (the dataset folder; for "+ours" also the COURIER feature file), a hash of the code that
 * computes a run (`runCodeHash`) and the backend. A later invocation with the same `--out` takes
 * a result whose fingerprint equals the one computed now, reruns one whose fingerprint differs
 * (naming the parts that changed), and never reports a result of other settings.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contentHash, removeTempEntries, shortHash, sourceHash, stableJson, writeJsonAtomic } from '@courier/io';
import type { ModelParams } from './models';
import type { RunResult } from './train';
import { RUN_CHECKPOINT_FILE, decodeNonFinite, encodeNonFinite, readCheckpointHeader } from './train-checkpoint';

export const RUN_RESULT_FILE = 'result.json';
export const RUNS_DIR = 'runs';

/** What one (model, grid point, seed) run is a function of. */
export interface RunFingerprintParts {
  model: string;
  features: 'original' | 'courier';
  params: ModelParams;
  seed: number;
  protocol: { maxEpochs: number; patience: number; batchSize: number };
  /** Content hash of the data the run trains and evaluates on. */
  data: string;
  /** `runCodeHash()` parts (hashes of the library folders). */
  code: Record<string, string>;
  /** Compute backend and tfjs version (the kernels' float rounding). */
  backend: string;
}

export interface StoredRun {
  contract: 'amazon-bench-run';
  version: 1;
  label: string;
  fingerprint: string;
  parts: RunFingerprintParts;
  finishedAt: string;
  run: RunResult;
}

export function runFingerprint(parts: RunFingerprintParts): string {
  return crypto.createHash('sha256').update(stableJson(parts)).digest('hex');
}

/** `<out>/runs/<label>/<params hash>-seed<seed>` (the label's "+" kept; anything unusual replaced). */
export function runDirOf(outDir: string, label: string, params: ModelParams, seed: number): string {
  return path.join(outDir, RUNS_DIR, label.replace(/[^A-Za-z0-9+._-]/g, '_'), `${shortHash(params, 8)}-seed${seed}`);
}

/**
 * Files of libs/amazon-bench/src that do not change what one run computes: orchestration, the
 * report, data generation (the data's content hash covers it), COURIER pre-training (the
 * feature file's hash covers it), this bookkeeping, the CLI definition and test helpers. Every
 * other source file (a new one included) is part of the code hash.
 */
export const RUN_CODE_EXCLUDED = ['bench.ts', 'protocol.ts', 'run-store.ts', 'stage-definition.ts', 'index.ts', 'synthetic.ts', 'courier-plugin.ts', 'baselines.ts', 'testing.ts'];

const LIB_SRC = __dirname;
const WORKSPACE = path.resolve(__dirname, '..', '..', '..');

/**
 * Hashes of the code a run executes: libs/amazon-bench/src less RUN_CODE_EXCLUDED, @courier/nn
 * (layers, initialisers, gathers), @courier/native-kernels (Adam step, sparse products, BLAS) and
 * the Rng (libs/runtime/src/random.ts). Spec files are never hashed.
 */
export function runCodeHash(): Record<string, string> {
  const rng = path.join(WORKSPACE, 'libs', 'runtime', 'src', 'random.ts');
  return {
    'libs/amazon-bench': sourceHash([LIB_SRC], RUN_CODE_EXCLUDED),
    'libs/nn': sourceHash([path.join(WORKSPACE, 'libs', 'nn', 'src')]),
    'libs/native-kernels': sourceHash([path.join(WORKSPACE, 'libs', 'native-kernels', 'src'), path.join(WORKSPACE, 'libs', 'native-kernels', 'csrc')]),
    'libs/runtime/src/random.ts': fs.existsSync(rng) ? contentHash(rng) : 'missing',
  };
}

/** Content hash of the dataset a run reads (the whole folder, hidden temporaries skipped) and, for "+ours", of the feature file. */
export function dataHash(datasetDir: string, extraFiles: string[] = []): string {
  return shortHash({ dataset: contentHash(datasetDir), extra: extraFiles.map((f) => contentHash(f)) }, 64);
}

/** What changed between a stored run's parts and this run's, for the log ("protocol maxEpochs 50 -> 1000; code libs/nn"). */
export function describeChange(old: Partial<RunFingerprintParts> | undefined, now: RunFingerprintParts): string {
  if (!old) return 'the stored result has no fingerprint parts';
  const out: string[] = [];
  for (const key of ['model', 'features', 'seed', 'backend', 'data'] as const) {
    if (stableJson(old[key]) !== stableJson(now[key])) out.push(key === 'data' ? 'data content' : `${key} ${JSON.stringify(old[key])} -> ${JSON.stringify(now[key])}`);
  }
  const diffKeys = (a: Record<string, unknown> | undefined, b: Record<string, unknown>): string[] =>
    [...new Set([...Object.keys(a ?? {}), ...Object.keys(b)])].filter((k) => stableJson(a?.[k]) !== stableJson(b[k]));
  const p = diffKeys(old.params, now.params);
  if (p.length) out.push(`params ${p.map((k) => `${k} ${JSON.stringify(old.params?.[k])} -> ${JSON.stringify(now.params[k])}`).join(', ')}`);
  const pr = diffKeys(old.protocol, now.protocol);
  if (pr.length) out.push(`protocol ${pr.map((k) => `${k} ${JSON.stringify((old.protocol as Record<string, unknown> | undefined)?.[k])} -> ${JSON.stringify((now.protocol as Record<string, unknown>)[k])}`).join(', ')}`);
  const c = diffKeys(old.code, now.code);
  if (c.length) out.push(`code ${c.join(', ')}`);
  return out.length ? out.join('; ') : 'fingerprint differs';
}

/** The stored run in `dir`, or why there is none usable. */
export function readStoredRun(dir: string): { stored: StoredRun } | { missing: true } | { unreadable: string } {
  const file = path.join(dir, RUN_RESULT_FILE);
  if (!fs.existsSync(file)) return { missing: true };
  try {
    const stored = decodeNonFinite<StoredRun>(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (stored.contract !== 'amazon-bench-run' || typeof stored.fingerprint !== 'string' || !stored.run) return { unreadable: `${file} is not an amazon-bench run record` };
    return { stored };
  } catch (err) {
    return { unreadable: `${file} is unreadable (${(err as Error).message})` };
  }
}

/** Records a finished run (atomically), then removes its checkpoint. */
export function writeStoredRun(dir: string, label: string, parts: RunFingerprintParts, run: RunResult): StoredRun {
  const stored: StoredRun = { contract: 'amazon-bench-run', version: 1, label, fingerprint: runFingerprint(parts), parts, finishedAt: new Date().toISOString(), run };
  writeJsonAtomic(path.join(dir, RUN_RESULT_FILE), encodeNonFinite(stored));
  fs.rmSync(path.join(dir, RUN_CHECKPOINT_FILE), { force: true });
  return stored;
}

/** A planned run's state at start: finished with this fingerprint, to resume, to rerun (other fingerprint), or new. */
export type PlannedState = 'done' | 'resume' | 'rerun' | 'new';

export interface PlannedRun {
  label: string;
  params: ModelParams;
  seed: number;
  dir: string;
  parts: RunFingerprintParts;
  fingerprint: string;
  state: PlannedState;
  /** Why a run reruns or starts over; where a resume starts. */
  reason: string;
  stored?: StoredRun;
  /** Epochs done in a resumable checkpoint. */
  checkpointEpochs?: number;
}

/** Classifies one run from what its folder holds (temporaries of dead writers are removed first). */
export function planRun(outDir: string, label: string, params: ModelParams, seed: number, parts: RunFingerprintParts, fresh: boolean): PlannedRun {
  const dir = runDirOf(outDir, label, params, seed);
  const fingerprint = runFingerprint(parts);
  const base = { label, params, seed, dir, parts, fingerprint };
  removeTempEntries(dir);
  if (fresh) {
    fs.rmSync(path.join(dir, RUN_RESULT_FILE), { force: true });
    fs.rmSync(path.join(dir, RUN_CHECKPOINT_FILE), { force: true });
    return { ...base, state: 'new', reason: 'fresh start asked for (--fresh)' };
  }
  const r = readStoredRun(dir);
  if ('stored' in r) {
    if (r.stored.fingerprint === fingerprint) return { ...base, state: 'done', reason: 'finished', stored: r.stored };
    return { ...base, state: 'rerun', reason: `finished under other settings (${describeChange(r.stored.parts, parts)})` };
  }
  const header = readCheckpointHeader(path.join(dir, RUN_CHECKPOINT_FILE));
  if (header) {
    if (header.fingerprint === fingerprint) return { ...base, state: 'resume', reason: `checkpoint after epoch ${header.epoch - 1}`, checkpointEpochs: header.epoch };
    return { ...base, state: 'rerun', reason: 'its checkpoint was written under other settings (data, params, protocol or code)' };
  }
  return { ...base, state: 'new', reason: 'unreadable' in r ? r.unreadable : 'not started' };
}

/** Training + evaluation seconds of a run (its epochs, all sessions). */
function secondsOf(run: RunResult): number {
  return run.epochs.reduce((a, e) => a + e.trainSeconds + e.evalSeconds, 0);
}

/**
 * Progress over the plan: finished / remaining runs and an ETA. A remaining run is estimated at
 * the mean seconds of the finished runs of its row label (this session's and earlier ones'),
 * else of all finished runs; a resumable run's checkpointed epochs are not subtracted.
 */
export class PlanProgress {
  private readonly finished = new Map<string, number[]>();
  private readonly remaining: PlannedRun[];
  private doneNow = 0;
  private readonly skipped: number;

  constructor(private readonly plan: PlannedRun[]) {
    this.remaining = plan.filter((p) => p.state !== 'done');
    this.skipped = plan.length - this.remaining.length;
    for (const p of plan) if (p.stored) this.add(p.label, secondsOf(p.stored.run));
  }

  private add(label: string, seconds: number): void {
    const xs = this.finished.get(label) ?? [];
    xs.push(seconds);
    this.finished.set(label, xs);
  }

  /** One planned run finished (this process trained it). */
  finish(p: PlannedRun, run: RunResult): void {
    this.doneNow++;
    this.add(p.label, secondsOf(run));
    const i = this.remaining.indexOf(p);
    if (i >= 0) this.remaining.splice(i, 1);
  }

  /** Estimated seconds left, or null when no run has finished yet. */
  etaSeconds(): number | null {
    const all = [...this.finished.values()].flat();
    if (!all.length) return null;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const overall = mean(all);
    return this.remaining.reduce((s, p) => s + (this.finished.has(p.label) ? mean(this.finished.get(p.label)!) : overall), 0);
  }

  /** "run 14/45 finished (12 skipped, 2 trained now); 31 remaining; ETA 10.4 h" */
  line(): string {
    const eta = this.etaSeconds();
    const fmt = (s: number) => (s >= 5400 ? `${(s / 3600).toFixed(1)} h` : s >= 90 ? `${(s / 60).toFixed(0)} min` : `${s.toFixed(0)} s`);
    const finished = this.skipped + this.doneNow;
    return `${finished}/${this.plan.length} runs finished (${this.skipped} skipped as done, ${this.doneNow} trained in this process); ${this.remaining.length} remaining; ETA ${eta === null ? 'unknown until a run finishes' : this.remaining.length === 0 ? '0 s' : `~${fmt(eta)} (mean run time per row; rows without a finished run at the mean of all)`}`;
  }

  /**
   * The plan: one line of counts; per row (and grid point, when a row has several) the seeds
   * finished / to resume / to rerun / to start; one line per run that reruns or resumes, with why.
   */
  summary(): string[] {
    const count = (s: PlannedState) => this.plan.filter((p) => p.state === s).length;
    const lines = [`plan: ${this.plan.length} runs: ${count('done')} finished (skipped), ${count('resume')} to resume, ${count('rerun')} to rerun, ${count('new')} to start`];
    const groups = new Map<string, PlannedRun[]>();
    for (const p of this.plan) {
      const key = `${p.label}\0${stableJson(p.params)}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const pointsPerLabel = new Map<string, number>();
    for (const runs of groups.values()) pointsPerLabel.set(runs[0].label, (pointsPerLabel.get(runs[0].label) ?? 0) + 1);
    const names: Record<PlannedState, string> = { done: 'finished', resume: 'resume', rerun: 'rerun', new: 'to start' };
    for (const runs of groups.values()) {
      const head = pointsPerLabel.get(runs[0].label)! > 1 ? `${runs[0].label} ${JSON.stringify(runs[0].params)}` : runs[0].label;
      const parts = (['done', 'resume', 'rerun', 'new'] as const)
        .map((s) => [s, runs.filter((p) => p.state === s)] as const)
        .filter(([, ps]) => ps.length)
        .map(([s, ps]) => `${names[s]} ${ps.map((p) => (s === 'resume' ? `${p.seed} (after epoch ${(p.checkpointEpochs ?? 1) - 1})` : p.seed)).join(', ')}`);
      lines.push(`  ${head}: seeds ${parts.join('; ')}`);
    }
    for (const p of this.plan) {
      if (p.state === 'resume' || p.state === 'rerun') lines.push(`  ${p.state} ${p.label} ${JSON.stringify(p.params)} seed ${p.seed}: ${p.reason}`);
    }
    return lines;
  }
}

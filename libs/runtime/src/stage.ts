import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunMetadata } from '@courier/data-contracts';
import { currentBackend } from './backend';
import { Logger, createLogger } from './log';
import { Rng } from './random';

export type { RunMetadata };

/** What a stage body gets from `runStage`. */
export interface RunContext {
  outDir: string;
  seed: number;
  /** Seeded from `seed`; fork it per purpose (`rng.fork('init')`) so streams stay independent. */
  rng: Rng;
  log: Logger;
  /** Runs `fn` and adds its wall time in seconds to `timings[name]` in run.json (summed when repeated). */
  time<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
}

export interface RunStageOptions {
  stage: string;
  outDir: string;
  seed: number;
  /** The resolved config; logged at start and saved in run.json. */
  config: Record<string, unknown>;
  /** Logger for the stage (default createLogger(stage)). */
  log?: Logger;
}

/** Keys runStage owns in run.json; a body returning one of them is ignored with a warning. */
export const RUN_METADATA_KEYS = ['contract', 'version', 'stage', 'seed', 'backend', 'gitRevision', 'config', 'startedAt', 'finishedAt', 'timings'] as const;

let cachedRevision: string | null | undefined;

/** `git rev-parse HEAD` of the checkout holding this code, or null (no git, not a checkout). */
export function gitRevision(): string | null {
  if (cachedRevision !== undefined) return cachedRevision;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    cachedRevision = /^[0-9a-f]{40,64}$/.test(out) ? out : null;
  } catch {
    cachedRevision = null;
  }
  return cachedRevision;
}

function writeJsonAtomic(target: string, value: unknown): void {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Runs one pipeline stage: creates `outDir`, logs the resolved config, runs `body`, then writes
 * `<outDir>/run.json` atomically with the RunMetadata fields (config, seed, backend from
 * currentBackend() or "none", git revision or null, timings in seconds incl. `total`,
 * startedAt/finishedAt as ISO strings) plus the keys `body` returns. If `body` throws, no
 * run.json is written (a folder without run.json is an unfinished stage) and the error propagates.
 */
export async function runStage(opts: RunStageOptions, body: (ctx: RunContext) => Promise<Record<string, unknown>>): Promise<RunMetadata> {
  if (!Number.isSafeInteger(opts.seed)) throw new Error(`${opts.stage}: seed must be an integer, got ${opts.seed}`);
  const log = opts.log ?? createLogger(opts.stage);
  fs.mkdirSync(opts.outDir, { recursive: true });
  const startedAt = new Date();
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  log.info(`out=${opts.outDir} seed=${opts.seed} config=${JSON.stringify(opts.config)}`);
  const ctx: RunContext = {
    outDir: opts.outDir,
    seed: opts.seed,
    rng: new Rng(opts.seed),
    log,
    async time<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
      const s = performance.now();
      try {
        return await fn();
      } finally {
        timings[name] = (timings[name] ?? 0) + (performance.now() - s) / 1000;
      }
    },
  };
  const extra = await body(ctx);
  timings.total = (performance.now() - t0) / 1000;
  const meta: RunMetadata = {
    contract: 'run',
    version: 1,
    stage: opts.stage,
    seed: opts.seed,
    backend: currentBackend()?.name ?? 'none',
    gitRevision: gitRevision(),
    config: opts.config,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    timings,
    node: process.version,
    host: `${os.platform()}-${os.arch()}`,
  };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if ((RUN_METADATA_KEYS as readonly string[]).includes(k)) {
      log.warn(`run.json key "${k}" is set by runStage; the body's value is ignored`);
      continue;
    }
    meta[k] = v;
  }
  writeJsonAtomic(path.join(opts.outDir, 'run.json'), meta);
  log.info(`wrote ${path.join(opts.outDir, 'run.json')} (${timings.total.toFixed(2)} s)`);
  return meta;
}

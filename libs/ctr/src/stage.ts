/**
 * The CTR stage as the apps run it: read items, CTR samples and feature files, train the
 * baseline and every feature set over the seeds, write ctr-report.json (validated),
 * checkpoints, rejects.jsonl and run.json (via runStage).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CtrReport, FeatureMode, validateCtrReport } from '@courier/data-contracts';
import { writeJsonAtomic, writeFileAtomicSync } from '@courier/io';
import { ConfigSchema, Logger, initBackend, runStage } from '@courier/runtime';
import { CTR_MODEL_SCHEMA, CtrConfig, checkCtrConfig } from './config';
import { Catalogue, CtrData, loadCatalogue, loadCtrSamples } from './data';
import { ImageFeatures, ImageMode, loadImageFeatures } from './image-features';
import { FeatureSet, SeedRun, formatCtrTable, runCtrExperiment } from './experiment';
import { CtrCheckpoint, evaluateScores, predictCtr, restoreCtr } from './train';
import { CtrCeiling, absentCeiling, ceilingOf, loadTruthScores } from './ceiling';

/** Config schema of the CTR app (runtime resolveConfig): the model keys plus `seeds`. */
export const CTR_CONFIG_SCHEMA: ConfigSchema = {
  ...CTR_MODEL_SCHEMA,
  seeds: { default: [1, 2, 3], type: 'array', doc: 'seeds: every method (and the baseline) trains once per seed on the same data' },
};

/** One requested feature set: `name=FILE[:mode]` on the command line. */
export interface FeatureSetRequest {
  name: string;
  mode: ImageMode;
  embeddings: string | null;
  clusters: string | null;
}

const MODES: ImageMode[] = ['vector', 'simscore', 'cluster-id'];

/**
 * Parses `--embeddings name=FILE[:mode]` and `--clusters name=assignments.parquet` values.
 * A name with clusters and no explicit mode is cluster-id; otherwise the default mode is vector.
 * A clusters entry without embeddings is a cluster-id feature set of its own.
 */
export function parseFeatureSets(embeddings: string[], clusters: string[]): FeatureSetRequest[] {
  const clusterOf = new Map<string, string>();
  for (const c of clusters) {
    const eq = c.indexOf('=');
    if (eq <= 0 || eq === c.length - 1) throw new Error(`ctr: --clusters "${c}": expected NAME=assignments.parquet`);
    clusterOf.set(c.slice(0, eq), c.slice(eq + 1));
  }
  const out: FeatureSetRequest[] = [];
  const seen = new Set<string>();
  for (const e of embeddings) {
    const eq = e.indexOf('=');
    if (eq <= 0 || eq === e.length - 1) throw new Error(`ctr: --embeddings "${e}": expected NAME=FILE[:mode] with mode one of ${MODES.join(', ')}`);
    const name = e.slice(0, eq);
    let file = e.slice(eq + 1);
    let mode: ImageMode | null = null;
    const colon = file.lastIndexOf(':');
    if (colon > 0 && MODES.includes(file.slice(colon + 1) as ImageMode)) {
      mode = file.slice(colon + 1) as ImageMode;
      file = file.slice(0, colon);
    } else if (colon > 0 && !file.slice(colon + 1).includes('/') && !fs.existsSync(file)) {
      throw new Error(`ctr: --embeddings "${e}": unknown mode "${file.slice(colon + 1)}"; expected one of ${MODES.join(', ')}`);
    }
    const cl = clusterOf.get(name) ?? null;
    const set = `${name}`;
    if (seen.has(set)) throw new Error(`ctr: feature set "${name}" given twice (use distinct names, e.g. ${name}-vector and ${name}-cluster)`);
    seen.add(set);
    out.push({ name, mode: mode ?? (cl ? 'cluster-id' : 'vector'), embeddings: file, clusters: mode && mode !== 'cluster-id' ? null : cl });
  }
  for (const [name, file] of clusterOf) {
    if (!seen.has(name)) {
      seen.add(name);
      out.push({ name, mode: 'cluster-id', embeddings: null, clusters: file });
    }
  }
  return out;
}

export interface CtrStageOptions {
  /** Folder with ctr-samples.parquet (or the file itself). */
  samples: string;
  /** World folder (items.parquet, world.json) or the items.parquet file. */
  world: string;
  outDir: string;
  featureSets: FeatureSetRequest[];
  config: CtrConfig & { seeds: number[] };
  /** Warm-start from the checkpoints of an earlier run (folder with models/<method>-seed<N>.json). */
  warmStartDir?: string | null;
  /** Write a checkpoint per method and seed under <out>/models (default true). */
  saveCheckpoints?: boolean;
  log?: Logger;
}

function resolveInputs(samples: string, world: string): { samplesFile: string; itemsFile: string; worldJson: string | null } {
  const samplesFile = fs.existsSync(samples) && fs.statSync(samples).isDirectory() ? path.join(samples, 'ctr-samples.parquet') : samples;
  const itemsFile = fs.existsSync(world) && fs.statSync(world).isDirectory() ? path.join(world, 'items.parquet') : world;
  const wj = path.join(path.dirname(itemsFile), 'world.json');
  return { samplesFile, itemsFile, worldJson: fs.existsSync(wj) ? wj : null };
}

function readInPretraining(worldJson: string | null): (category: string) => boolean {
  if (!worldJson) return () => false;
  const info = JSON.parse(fs.readFileSync(worldJson, 'utf8')) as { categories?: { name: string; inPretraining: boolean }[] };
  const set = new Set((info.categories ?? []).filter((c) => c.inPretraining).map((c) => c.name));
  return (c) => set.has(c);
}

async function loadAll(
  options: CtrStageOptions,
  log: Logger,
): Promise<{ catalogue: Catalogue; data: CtrData; featureSets: FeatureSet[]; inPretraining: (c: string) => boolean; inputs: ReturnType<typeof resolveInputs>; ceiling: CtrCeiling }> {
  // Checked before any file is read: centroid-initialised cluster embeddings need the vectors.
  if (options.config.clusterEmbeddingInit === 'centroids') {
    const bare = options.featureSets.filter((r) => r.mode === 'cluster-id' && r.clusters && !r.embeddings);
    if (bare.length > 0) {
      const names = bare.map((r) => r.name).join(', ');
      throw new Error(
        `ctr: cluster-id feature set(s) ${names} have cluster assignments but no embeddings; clusterEmbeddingInit "centroids" (the default) starts each cluster's embedding from its centre and needs both: give --embeddings NAME=FILE next to --clusters NAME=FILE, or set --clusterEmbeddingInit random`,
      );
    }
  }
  const inputs = resolveInputs(options.samples, options.world);
  const catalogue = await loadCatalogue(inputs.itemsFile);
  const data = await loadCtrSamples(inputs.samplesFile, catalogue, { maxHistory: options.config.maxHistory, log: (l) => log.info(l) });
  log.info(`catalogue ${catalogue.itemIds.length} items in ${catalogue.categories.length} categories; train ${data.train.n} rows, eval ${data.eval.n} rows; rejected ${data.rejects.unknownTarget} rows, dropped ${data.rejects.unknownHistoryItems} history items`);
  const featureSets: FeatureSet[] = [];
  for (const req of options.featureSets) {
    const image: ImageFeatures = await loadImageFeatures(catalogue, {
      mode: req.mode,
      embeddingsFile: req.embeddings,
      clustersFile: req.clusters,
      expectedDim: options.config.imageDim,
      centroids: options.config.clusterEmbeddingInit === 'centroids', // 'random' does not read the vectors beside assignments
      log: (l) => log.warn(`${req.name}: ${l}`),
    });
    featureSets.push({ name: req.name, image });
  }
  // Ceiling rows from the world's ground truth (evaluation only; never a training input).
  const truth = await loadTruthScores(path.dirname(inputs.itemsFile), data.eval, (r) => catalogue.itemIds[r]);
  const ceiling = truth ? ceilingOf(data.eval, truth) : absentCeiling('the data has no ground truth (no click-truth.parquet beside items.parquet): ceiling rows and headroom shares are left out', data.eval.n);
  if (ceiling.available) {
    log.info(`ceiling on ${ceiling.rows} eval rows: Bayes AUC ${ceiling.bayes.auc?.toFixed(4)} GAUC ${ceiling.bayes.gauc?.toFixed(4)}; without the look ${ceiling.noLook.auc?.toFixed(4)} / ${ceiling.noLook.gauc?.toFixed(4)}; without position ${ceiling.noPosition.auc?.toFixed(4)} / ${ceiling.noPosition.gauc?.toFixed(4)}`);
  } else log.info(`ceiling: ${ceiling.note}`);
  return { catalogue, data, featureSets, inPretraining: readInPretraining(inputs.worldJson), inputs, ceiling };
}

function writeRejects(outDir: string, data: CtrData): void {
  const lines = data.rejects.examples.map((e) => JSON.stringify(e));
  if (data.rejects.unknownTarget + data.rejects.unknownHistoryItems > data.rejects.examples.length) {
    lines.push(JSON.stringify({ truncated: true, unknownTarget: data.rejects.unknownTarget, unknownHistoryItems: data.rejects.unknownHistoryItems }));
  }
  writeFileAtomicSync(path.join(outDir, 'rejects.jsonl'), lines.length ? `${lines.join('\n')}\n` : '');
}

const checkpointFile = (dir: string, method: string, seed: number) => path.join(dir, 'models', `${method}-seed${seed}.json`);

/** `ctr train` / `ctr evaluate`: trains baseline + feature sets over the seeds and writes ctr-report.json. */
export async function runCtrEvaluateStage(options: CtrStageOptions, stageName = 'ctr'): Promise<CtrReport> {
  const { config } = options;
  const { seeds, ...model } = config;
  checkCtrConfig(model, 'ctr');
  if (!Array.isArray(seeds) || seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) throw new Error(`ctr: key "seeds" must be a non-empty list of integers, got ${JSON.stringify(seeds)}`);
  let report: CtrReport | null = null;
  await initBackend();
  await runStage({ stage: stageName, outDir: options.outDir, seed: config.seeds[0] ?? 0, config: { ...config, featureSets: options.featureSets, samples: options.samples, world: options.world }, log: options.log }, async (ctx) => {
    const { catalogue, data, featureSets, inPretraining, inputs, ceiling } = await ctx.time('load', () => loadAll(options, ctx.log));
    writeRejects(options.outDir, data);
    const save = options.saveCheckpoints ?? true;
    if (save) fs.mkdirSync(path.join(options.outDir, 'models'), { recursive: true });
    const warmStart = options.warmStartDir
      ? (method: string, seed: number): CtrCheckpoint | null => {
          const f = checkpointFile(options.warmStartDir as string, method, seed);
          if (!fs.existsSync(f)) throw new Error(`ctr: --warm-start ${options.warmStartDir}: no checkpoint ${path.relative(options.warmStartDir as string, f)}`);
          return JSON.parse(fs.readFileSync(f, 'utf8')) as CtrCheckpoint;
        }
      : undefined;
    const { report: r, runs } = await ctx.time('train+evaluate', () =>
      runCtrExperiment({
        catalogue,
        data,
        featureSets,
        seeds: config.seeds,
        config,
        inPretraining,
        ceiling,
        warmStart,
        onTrained: save ? (method, seed, ckpt) => writeJsonAtomic(checkpointFile(options.outDir, method, seed), ckpt()) : undefined,
        log: (l) => ctx.log.info(l),
      }),
    );
    r.inputs = { samples: inputs.samplesFile, items: inputs.itemsFile, world: inputs.worldJson };
    publishReport(options.outDir, r);
    report = r;
    return runSummary(r, runs);
  });
  return report as unknown as CtrReport;
}

function runSummary(report: CtrReport, runs: SeedRun[]): Record<string, unknown> {
  return {
    report: 'ctr-report.json',
    baseline: { auc: report.baseline.auc, gauc: report.baseline.gauc, gaucWeighted: report.baseline.gaucWeighted },
    ceiling: report.ceiling,
    methods: report.methods.map((m) => ({ name: m.name, mode: m.mode, auc: m.auc, gauc: m.gauc, deltaAuc: m.deltaAuc, deltaGauc: m.deltaGauc, headroomShare: m.headroomShare })),
    trainRowsPerSecond: runs.reduce((a, r) => a + r.train.rowsPerSecond, 0) / runs.length,
    evalRowsPerSecond: runs.reduce((a, r) => a + r.evalRowsPerSecond, 0) / runs.length,
  };
}

/**
 * `ctr evaluate --from TRAIN_OUT`: re-evaluates saved checkpoints (models/<method>-seed<N>.json)
 * on the eval split without training, and writes ctr-report.json.
 */
export async function runCtrFromCheckpoints(options: CtrStageOptions & { fromDir: string }): Promise<CtrReport> {
  let report: CtrReport | null = null;
  const { config } = options;
  await initBackend();
  await runStage({ stage: 'ctr-evaluate', outDir: options.outDir, seed: config.seeds[0] ?? 0, config: { ...config, from: options.fromDir, featureSets: options.featureSets }, log: options.log }, async (ctx) => {
    const { catalogue, data, featureSets, inPretraining, ceiling } = await ctx.time('load', () => loadAll(options, ctx.log));
    const runs: SeedRun[] = [];
    for (const seed of config.seeds) {
      for (const fs_ of [{ name: 'baseline', image: null } as FeatureSet, ...featureSets]) {
        const f = checkpointFile(options.fromDir, fs_.name, seed);
        if (!fs.existsSync(f)) throw new Error(`ctr evaluate: no checkpoint for ${fs_.name} seed ${seed} (${f}); run ctr train with the same feature sets and seeds`);
        const trained = restoreCtr(JSON.parse(fs.readFileSync(f, 'utf8')) as CtrCheckpoint, catalogue, fs_.image, f);
        const { scores, seconds } = predictCtr(trained, data.eval);
        runs.push({ method: fs_.name, seed, evaluation: evaluateScores(data.eval, scores, catalogue, trained.items), train: trained.stats, evalSeconds: seconds, evalRowsPerSecond: data.eval.n / Math.max(seconds, 1e-9), scores });
        trained.model.dispose();
      }
    }
    const { buildReport } = await import('./experiment');
    const r = buildReport({ catalogue, featureSets, seeds: config.seeds, runs, data, config, inPretraining, ceiling });
    publishReport(options.outDir, r);
    report = r;
    return runSummary(r, runs);
  });
  return report as unknown as CtrReport;
}

/** Validates the report against its contract, writes ctr-report.json atomically and prints the table. */
function publishReport(outDir: string, r: CtrReport): void {
  validateCtrReport(r);
  writeJsonAtomic(path.join(outDir, 'ctr-report.json'), r);
  process.stderr.write(`${formatCtrTable(r)}\n`);
}

export type { FeatureMode };

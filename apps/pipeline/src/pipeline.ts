import * as fs from 'node:fs';
import * as path from 'node:path';
import { CtrReport } from '@courier/data-contracts';
import { ConfigSchema, Logger, currentBackend, resolveConfig, runStage } from '@courier/runtime';
import { WorldPreset, generateWorld, resolveWorldConfig } from '@courier/world';
import { DATA_BUILDER_SCHEMA, DataBuilderConfig, buildSamples } from '@courier/data-builder';
import { PRETRAIN_CONFIG_SCHEMA, PretrainConfig, runPretrainTrainStage } from '@courier/courier';
import { CLUSTER_CONFIG_SCHEMA, ClusterConfig, runClusterFit } from '@courier/clustering';
import { StageFingerprint, isUpToDate, markDone, sourceHash, stageFingerprint, writeJsonAtomic } from '@courier/io';
import { runCtrStage } from './ctr-stage';
import { writeHtmlReport } from './html-report';

/** Pipeline config: top-level choices plus one section per stage holding that stage's own keys. */
export const PIPELINE_CONFIG_SCHEMA: ConfigSchema = {
  preset: { default: 'demo', choices: ['tiny', 'demo', 'bench'], doc: 'world preset: tiny (tests), demo (README, minutes), bench (regression benchmarks)' },
  seed: { default: 1, integer: true, min: 0, doc: 'seed of every stage (world, sampling, training, clustering, CTR)' },
  out: { default: null, type: 'string', doc: 'output folder (default runs/<preset>-seed<seed>)' },
  visualSignal: { default: null, type: 'number', doc: 'strength of looks in clicks (null = the preset\'s; 0 = the control world)' },
  ctrSeeds: { default: [1, 2], type: 'array', doc: 'seeds of the CTR runs (every method trains once per seed)' },
  modes: { default: ['cluster-id', 'simscore', 'vector'], type: 'array', doc: 'ways the COURIER embeddings enter the CTR model' },
  oracle: { default: true, doc: 'also evaluate the oracle feature (the hidden look, from ground truth): an upper bound' },
  world: { default: {}, type: 'object', doc: 'world config keys (see `nx run datagen:generate --help`)' },
  data: { default: {}, type: 'object', doc: 'data builder keys (see `nx run data:build --help`)' },
  pretrain: { default: { epochs: 12, lr: 0.001 }, type: 'object', doc: 'COURIER pretrain keys (see `nx run pretrain:help`)' },
  cluster: { default: {}, type: 'object', doc: 'clusterer keys (see `nx run cluster:fit --help`)' },
  ctr: { default: {}, type: 'object', doc: 'CTR model keys (see `nx run ctr:evaluate --help`)' },
};

export interface PipelineConfig {
  preset: WorldPreset;
  seed: number;
  out: string | null;
  visualSignal: number | null;
  ctrSeeds: number[];
  modes: ('cluster-id' | 'simscore' | 'vector')[];
  oracle: boolean;
  world: Record<string, unknown>;
  data: Record<string, unknown>;
  pretrain: Record<string, unknown>;
  cluster: Record<string, unknown>;
  ctr: Record<string, unknown>;
}

export interface PipelineResult {
  reportFile: string;
  htmlFile: string;
  report: CtrReport;
  table: string;
  stageSeconds: Record<string, number>;
  skipped: string[];
}

const repoRoot = path.resolve(__dirname, '../../..');
const code = (...libs: string[]) => sourceHash(libs.map((l) => path.join(repoRoot, l)));

/**
 * Runs the stages in order, skipping each one whose fingerprint is unchanged. `force` names
 * stages to rerun anyway (their downstream stages rerun too, since fingerprints chain).
 */
export async function runPipeline(options: { config: PipelineConfig; outDir: string; force?: string[]; log: Logger }): Promise<PipelineResult> {
  const { config, outDir, log } = options;
  const force = new Set(options.force ?? []);
  const known = ['world', 'samples', 'pretrain', 'clusters', 'ctr'];
  for (const f of force) if (!known.includes(f)) throw new Error(`pipeline: --force ${f}: unknown stage; stages are ${known.join(', ')}`);
  const dirs = Object.fromEntries(known.map((s) => [s, path.join(outDir, s)])) as Record<string, string>;
  const stageSeconds: Record<string, number> = {};
  const skipped: string[] = [];

  // Resolve every stage's config up front, so a typo fails before minutes of work.
  const worldOverrides = { ...config.world, ...(config.visualSignal !== null ? { visualSignal: config.visualSignal } : {}) };
  const worldConfig = resolveWorldConfig(config.preset, { overrides: worldOverrides });
  const dataConfig = resolveConfig<DataBuilderConfig>(DATA_BUILDER_SCHEMA, { overrides: config.data, where: 'pipeline data' });
  const pretrainConfig = resolveConfig<PretrainConfig>(PRETRAIN_CONFIG_SCHEMA, { overrides: { seed: config.seed, ...config.pretrain }, where: 'pipeline pretrain' });
  const clusterConfig = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, { overrides: { ...config.cluster, embeddings: path.join(dirs.pretrain, 'embeddings.arrow') }, where: 'pipeline cluster' });

  async function stage(name: string, cfg: unknown, upstream: StageFingerprint[], codeHash: string, body: () => Promise<void>): Promise<StageFingerprint> {
    const fp = stageFingerprint(name, { config: cfg, seed: config.seed, upstream, code: codeHash });
    if (!force.has(name) && isUpToDate(dirs[name], fp)) {
      log.info(`${name}: up to date (${path.relative(process.cwd(), dirs[name])}), skipped`);
      skipped.push(name);
      stageSeconds[name] = 0;
      return fp;
    }
    const t0 = performance.now();
    log.info(`${name}: running -> ${path.relative(process.cwd(), dirs[name])}`);
    await body();
    stageSeconds[name] = (performance.now() - t0) / 1000;
    markDone(dirs[name], fp);
    log.info(`${name}: done in ${stageSeconds[name].toFixed(1)}s`);
    return fp;
  }

  const worldFp = await stage('world', { preset: config.preset, worldConfig }, [], code('libs/world'), async () => {
    await runStage({ stage: 'datagen', outDir: dirs.world, seed: config.seed, config: { preset: config.preset, ...worldConfig } }, async (ctx) => {
      const summary = await ctx.time('generate', () => generateWorld({ preset: config.preset, outDir: dirs.world, seed: config.seed, overrides: worldOverrides, log: ctx.log }));
      return { preset: config.preset, counts: summary.counts, ctr: summary.ctr, days: summary.days };
    });
  });

  const samplesFp = await stage('samples', dataConfig, [worldFp], code('libs/data-builder'), async () => {
    const { pretrainDays, ctrTrainDays, evalDay, ...rest } = dataConfig;
    const days = pretrainDays && ctrTrainDays && evalDay !== null ? { pretrain: pretrainDays, ctrTrain: ctrTrainDays, eval: evalDay } : null;
    await runStage({ stage: 'data', outDir: dirs.samples, seed: config.seed, config: { ...dataConfig } }, async (ctx) => {
      const stats = await ctx.time('build', () => buildSamples({ worldDir: dirs.world, outDir: dirs.samples, seed: config.seed, ...rest, days, log: ctx.log }));
      return { rowsIn: stats.rowsIn, rowsUsed: stats.rowsUsed, rejects: stats.rejects, pretrainSamples: stats.pretrain.samples, impressionsPerSecond: stats.impressionsPerSecond };
    });
  });

  // The trainer resumes from its own checkpoint when a run was killed, so a stale
  // fingerprint here costs only the remaining steps.
  const pretrainFp = await stage('pretrain', pretrainConfig, [samplesFp], code('libs/courier', 'libs/native-kernels'), async () => {
    await runPretrainTrainStage({ samples: dirs.samples, world: dirs.world, outDir: dirs.pretrain, config: pretrainConfig });
  });

  const clustersFp = await stage('clusters', clusterConfig, [pretrainFp], code('libs/clustering'), async () => {
    await runClusterFit({ outDir: dirs.clusters, seed: config.seed, config: clusterConfig });
  });

  const ctrCfg = { ctr: config.ctr, seeds: config.ctrSeeds, modes: config.modes, oracle: config.oracle };
  await stage('ctr', ctrCfg, [clustersFp, worldFp, samplesFp], code('libs/ctr', 'libs/metrics'), async () => {
    await runCtrStage({
      worldDir: dirs.world,
      samplesDir: dirs.samples,
      outDir: dirs.ctr,
      embeddingsFile: path.join(dirs.pretrain, 'embeddings.arrow'),
      assignmentsFile: path.join(dirs.clusters, 'assignments.parquet'),
      oracleFile: config.oracle ? path.join(dirs.world, 'oracle-embeddings.arrow') : null,
      modes: config.modes,
      seeds: config.ctrSeeds,
      ctrOverrides: config.ctr,
      seed: config.seed,
    });
  });

  const reportFile = path.join(dirs.ctr, 'ctr-report.json');
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as CtrReport;
  const htmlFile = path.join(outDir, 'report.html');
  writeHtmlReport(htmlFile, { report, outDir, stageSeconds, title: `COURIER pipeline: ${config.preset} world, seed ${config.seed}` });
  // A summary for scripts (the regression suite reads it): stage times, skips, peak memory.
  writeJsonAtomic(path.join(outDir, 'pipeline.json'), {
    contract: 'pipeline-run',
    version: 1,
    preset: config.preset,
    seed: config.seed,
    backend: currentBackend()?.name ?? null,
    stageSeconds,
    skipped,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    reports: { ctr: reportFile, html: htmlFile },
  });
  return { reportFile, htmlFile, report, table: formatTable(report), stageSeconds, skipped };
}

/** The CTR table printed at the end, in the spirit of the paper's Table 5. */
export function formatTable(report: CtrReport): string {
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
  const rows = [
    ['method', 'mode', 'AUC', 'GAUC', 'ΔAUC', 'ΔGAUC'],
    ['baseline (no image)', 'none', report.baseline.auc.toFixed(4), report.baseline.gauc.toFixed(4), '', ''],
    ...report.methods.map((m) => [m.name, m.mode, m.auc.toFixed(4), m.gauc.toFixed(4), pct(m.deltaAuc), pct(m.deltaGauc)]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
}

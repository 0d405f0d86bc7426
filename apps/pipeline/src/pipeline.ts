import * as fs from 'node:fs';
import * as path from 'node:path';
import { CtrReport } from '@courier/data-contracts';
import { ConfigOf, ConfigSchema, Logger, StageRunner, checkConfigValues, currentBackend, resolveConfig, runStage } from '@courier/runtime';
import { DATAGEN_STAGE, resolveWorldConfig, worldConfigSchema } from '@courier/world';
import { DATA_BUILDER_SCHEMA, DATA_STAGE, DataBuilderConfig } from '@courier/data-builder';
import { CHECKPOINT_FILE, PRETRAIN_CONFIG_SCHEMA, PRETRAIN_STAGE, PretrainConfig, PretrainTrainComposeOptions, resolveInitCheckpoint } from '@courier/courier';
import { readCheckpoint } from '@courier/nn';
import { CLUSTER_CONFIG_SCHEMA, CLUSTER_STAGE, ClusterConfig } from '@courier/clustering';
import { CTR_CONFIG_SCHEMA, CTR_STAGE, CtrCeiling, CtrComposeOptions, CtrConfig, MIN_HEADROOM, MetricPair } from '@courier/ctr';
import { contentHash, writeJsonAtomic } from '@courier/io';
import { pipelineFeatureSets } from './ctr-stage';
import { BYO_STAGE_OUTPUTS, checkByoData } from './byo-data';
import { Galleries, buildGalleries } from '@courier/report';
import { LOSS_CURVE_FILE, LossCurve, lossCurveOf } from './loss-curve';
import { writeHtmlReport } from './html-report';

/** Pipeline config: top-level choices plus one section per stage holding that stage's own keys. */
export const PIPELINE_CONFIG_SCHEMA = {
  preset: { default: 'demo', choices: ['tiny', 'demo', 'bench', 'premise-bench'], doc: 'world preset: tiny (tests), demo (README, minutes), bench (regression benchmarks), premise-bench (bench with 4x the pre-training days and learnable patterns; issue #19)' },
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
  dataDir: { default: null, type: 'string', doc: 'your own data instead of a generated world (`--data DIR`): items.parquet, impressions.parquet, images/ per data-contracts; no ground truth, so oracle and ceiling rows are left out' },
} as const satisfies ConfigSchema;

/**
 * The pipeline's configuration (every key of PIPELINE_CONFIG_SCHEMA, typed by it). `modes` is
 * narrowed by hand: the schema checks only that it is an array (choices apply to a whole value);
 * validatePipelineChoices rejects any element that is not a CTR mode.
 */
export type PipelineConfig = Omit<ConfigOf<typeof PIPELINE_CONFIG_SCHEMA>, 'modes'> & { modes: CtrMode[] };

export interface PipelineResult {
  reportFile: string;
  htmlFile: string;
  report: CtrReport;
  table: string;
  stageSeconds: Record<string, number>;
  skipped: string[];
  /** Notes for the reader (e.g. what bring-your-own data leaves out). */
  notes: string[];
}

export const PIPELINE_STAGES = ['world', 'samples', 'pretrain', 'clusters', 'ctr'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];
const CTR_MODES = ['cluster-id', 'simscore', 'vector'] as const;
type CtrMode = (typeof CTR_MODES)[number];

/**
 * Checks a pipeline config (often built in code) against the schema (types, choices, no missing or
 * unknown key), then the elements of the CTR lists (modes, seeds); errors name the key.
 */
export function validatePipelineChoices(config: PipelineConfig): void {
  checkConfigValues(PIPELINE_CONFIG_SCHEMA, config, 'pipeline');
  if (!Array.isArray(config.modes) || config.modes.length === 0) throw new Error(`pipeline: modes must list at least one of ${CTR_MODES.join(', ')}`);
  const seen = new Set<string>();
  for (const m of config.modes as unknown[]) {
    if (typeof m !== 'string' || !(CTR_MODES as readonly string[]).includes(m)) throw new Error(`pipeline: modes: ${JSON.stringify(m)} is not a mode; expected ${CTR_MODES.join(', ')}`);
    if (seen.has(m)) throw new Error(`pipeline: modes: "${m}" is listed twice`);
    seen.add(m);
  }
  if (!Array.isArray(config.ctrSeeds) || config.ctrSeeds.length === 0) throw new Error('pipeline: ctrSeeds must list at least one seed');
  for (const s of config.ctrSeeds as unknown[]) if (!(typeof s === 'number' && Number.isSafeInteger(s) && s >= 0)) throw new Error(`pipeline: ctrSeeds: ${JSON.stringify(s)} is not a non-negative integer`);
}

/**
 * Runs the stages in order through one StageRunner (@courier/runtime), which skips each one whose
 * fingerprint (resolved config, seed, code, upstream fingerprints and the content hashes of its
 * input files) is unchanged and whose outputs are all present. `force` names stages to rerun from
 * scratch (pre-training without resuming its checkpoint); every stage reading a forced one reruns
 * too. One run per `outDir` at a time (lock file `.run.lock`).
 */
export async function runPipeline(options: { config: PipelineConfig; outDir: string; force?: string[]; log: Logger }): Promise<PipelineResult> {
  const { config, outDir, log } = options;
  const known: readonly string[] = PIPELINE_STAGES;
  for (const f of options.force ?? []) if (!known.includes(f)) throw new Error(`pipeline: --force ${f}: unknown stage; stages are ${known.join(', ')}`);
  const dirs = Object.fromEntries(known.map((s) => [s, path.join(outDir, s)])) as Record<PipelineStage, string>;

  // Resolve every stage's config up front, so a typo fails before minutes of work. Sections are
  // typed values (from the config file), so a string "64" for a number key is an error.
  validatePipelineChoices(config);
  const dataDir = config.dataDir ? path.resolve(config.dataDir) : null;
  const notes: string[] = [];
  if (dataDir) {
    if (!fs.existsSync(dataDir) || !fs.statSync(dataDir).isDirectory()) throw new Error(`pipeline: --data ${config.dataDir}: no such folder (expected items.parquet, impressions.parquet and images/ in it)`);
    const want: [string, string][] = [
      ['items.parquet', 'the item catalogue (data-contracts raw-items: item_id, category, title, price, image_path, style_tag, first_day)'],
      ['impressions.parquet', 'the impression log (data-contracts raw-impressions: session_id, user_id, query, item_id, position, label, timestamp, day)'],
      ['images', 'the folder of item images that items.parquet image_path names'],
    ];
    for (const [f, what] of want) if (!fs.existsSync(path.join(dataDir, f))) throw new Error(`pipeline: --data ${config.dataDir}: ${f} is missing; expected ${what}`);
    if (Object.keys(config.world).length || config.visualSignal !== null) throw new Error('pipeline: --data runs on your own data: the world section and visualSignal configure generated worlds only; remove them');
    notes.push(`your own data (${dataDir}) has no ground truth: the evaluation-only rows (oracle, Bayes ceiling and headroom shares) are left out`);
  }
  const useOracle = config.oracle && !dataDir;
  const worldOverrides = { ...config.world, ...(config.visualSignal !== null ? { visualSignal: config.visualSignal } : {}) };
  resolveConfig(worldConfigSchema(config.preset), { overrides: config.world, typedOverrides: true, where: 'pipeline world' });
  const worldConfig = resolveWorldConfig(config.preset, { overrides: worldOverrides });
  const dataConfig = resolveConfig<DataBuilderConfig>(DATA_BUILDER_SCHEMA, { overrides: config.data, typedOverrides: true, where: 'pipeline data' });
  // The backbone sees the world's images at their own size (a 64 px world trains at 64 px) unless the pretrain section says otherwise.
  const pretrainConfig = resolveConfig<PretrainConfig>(PRETRAIN_CONFIG_SCHEMA, { overrides: { seed: config.seed, imageSize: worldConfig.imageSize, ...config.pretrain }, typedOverrides: true, where: 'pipeline pretrain' });
  const clusterConfig = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, { overrides: { ...config.cluster, embeddings: path.join(dirs.pretrain, 'embeddings.arrow') }, typedOverrides: true, where: 'pipeline cluster' });
  const ctrConfig = resolveConfig<CtrConfig & { seeds: number[] }>(CTR_CONFIG_SCHEMA, { overrides: { ...config.ctr, seeds: config.ctrSeeds }, typedOverrides: true, where: 'pipeline ctr' });

  // One run per folder at a time (lock file .run.lock); temporary entries of this process go on
  // every way out, those of dead processes before each stage.
  const runner = new StageRunner({ app: 'pipeline', root: outDir, log, force: options.force ?? [], lock: true });

  try {
    // A generated world (the datagen stage's own `generate` command), or (--data) your own folder
    // checked against the contracts: a clean items.parquet (absolute image paths; items whose image
    // is missing or unreadable are counted rejects) and world.json with the day roles, so every
    // later stage runs unchanged.
    const { fingerprint: worldFp } = dataDir
      ? await runner.run({
          stage: 'world',
          out: dirs.world,
          config: { dataDir, days: pickDays(dataConfig) },
          seed: config.seed,
          code: { hash: contentHash(path.join(__dirname, 'byo-data.ts')) },
          inputs: ['items.parquet', 'impressions.parquet', 'images'].map((f) => path.join(dataDir, f)),
          outputs: BYO_STAGE_OUTPUTS,
          run: async ({ outDir: dir }) => {
            await runStage({ stage: 'byo-data', outDir: dir, seed: config.seed, config: { dataDir, days: pickDays(dataConfig) } }, async (ctx) => {
              const summary = await ctx.time('check', () => checkByoData({ dataDir, outDir: dir, days: pickDays(dataConfig), log: ctx.log }));
              return { ...summary };
            });
          },
        })
      : await runner.run({
          stage: 'world',
          out: dirs.world,
          config: { preset: config.preset, worldConfig },
          seed: config.seed,
          inputs: [],
          command: { definition: DATAGEN_STAGE, command: 'generate', flags: { preset: config.preset }, config: worldConfig },
        });
    const w = (f: string) => path.join(dirs.world, f);

    // The data builder's own `build` command. Your own impressions are read where they are (the
    // world stage only checked them).
    const impressionsFile = dataDir ? path.join(dataDir, 'impressions.parquet') : w('impressions.parquet');
    const { fingerprint: samplesFp } = await runner.run({
      stage: 'samples',
      out: dirs.samples,
      config: dataConfig,
      seed: config.seed,
      upstream: [worldFp],
      inputs: [w('items.parquet'), impressionsFile, w('world.json')],
      command: { definition: DATA_STAGE, command: 'build', inputs: { world: dirs.world, impressions: dataDir ? impressionsFile : undefined }, config: dataConfig },
    });

    // The pretrain stage's own `train` command. Its checkpoint records a resume key (this stage's
    // fingerprint over the keys that change the math): a killed run of the same key resumes, a
    // checkpoint of any other one (changed config, data or code) is discarded, and --force trains
    // from scratch.
    // initFrom (issue #18): the source checkpoint's content is an input, so a retrained source reruns this stage.
    const initInputs = pretrainConfig.initFrom !== null ? [resolveInitCheckpoint(pretrainConfig.initFrom)] : [];
    // Every step's loss, for the report's training curve (the checkpoint keeps only the last ones).
    const curve: LossCurve = { steps: [], loss: [], source: 'steps' };
    const pretrainOptions: PretrainTrainComposeOptions = { onStep: (s) => (curve.steps.push(s.step), curve.loss.push(s.loss)) };
    const { fingerprint: pretrainFp } = await runner.run({
      stage: 'pretrain',
      out: dirs.pretrain,
      config: pretrainConfig,
      seed: config.seed,
      upstream: [samplesFp],
      inputs: [path.join(dirs.samples, 'pretrain-samples.parquet'), w('items.parquet'), dataDir ? path.join(dataDir, 'images') : w('images'), ...initInputs],
      command: { definition: PRETRAIN_STAGE, command: 'train', inputs: { samples: dirs.samples, world: dirs.world }, config: pretrainConfig, options: pretrainOptions },
      around: async ({ outDir: dir }, train) => {
        fs.rmSync(path.join(dir, LOSS_CURVE_FILE), { force: true });
        await train();
        if (curve.loss.length) writeJsonAtomic(path.join(dir, LOSS_CURVE_FILE), curve);
      },
    });

    // The clusterer's own `fit` command; its input path is part of the fingerprinted config.
    const { embeddings: embeddingsFile, centres: _centres, ...clusterCliConfig } = clusterConfig;
    const { fingerprint: clustersFp } = await runner.run({
      stage: 'clusters',
      out: dirs.clusters,
      config: clusterConfig,
      seed: config.seed,
      upstream: [pretrainFp],
      inputs: [path.join(dirs.pretrain, 'embeddings.arrow')],
      command: { definition: CLUSTER_STAGE, command: 'fit', inputs: { embeddings: embeddingsFile ?? undefined }, config: clusterCliConfig },
    });

    // The ctr stage's own `evaluate` command, with the feature sets as records in report order.
    const ctrCfg = { ctr: config.ctr, seeds: config.ctrSeeds, modes: config.modes, oracle: useOracle };
    const ctrOptions: CtrComposeOptions = {
      featureSets: pipelineFeatureSets(
        {
          embeddingsFile: path.join(dirs.pretrain, 'embeddings.arrow'),
          assignmentsFile: path.join(dirs.clusters, 'assignments.parquet'),
          oracleFile: useOracle ? w('oracle-embeddings.arrow') : null,
          oracleClustersFile: useOracle ? w('oracle-clusters.parquet') : null,
          modes: config.modes,
        },
        ctrConfig.clusterEmbeddingInit,
      ),
    };
    await runner.run({
      stage: 'ctr',
      out: dirs.ctr,
      config: ctrCfg,
      seed: config.seed,
      upstream: [clustersFp, worldFp, samplesFp],
      inputs: [
        path.join(dirs.samples, 'ctr-samples.parquet'),
        w('items.parquet'),
        w('world.json'),
        path.join(dirs.pretrain, 'embeddings.arrow'),
        path.join(dirs.clusters, 'assignments.parquet'),
        ...(useOracle ? [w('oracle-embeddings.arrow'), w('oracle-clusters.parquet')] : []),
        ...(dataDir ? [] : [w('click-truth.parquet')]),
      ],
      command: { definition: CTR_STAGE, command: 'evaluate', inputs: { samples: dirs.samples, world: dirs.world }, config: ctrConfig, options: ctrOptions },
    });
    const stageSeconds = Object.fromEntries(runner.records.map((r) => [r.stage, r.seconds]));
    const skipped = runner.records.filter((r) => r.skipped).map((r) => r.stage);

    const reportFile = path.join(dirs.ctr, 'ctr-report.json');
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as CtrReport;
    const htmlFile = path.join(outDir, 'report.html');
    const lossCurve = lossCurveOf(dirs.pretrain, () => {
      const f = path.join(dirs.pretrain, CHECKPOINT_FILE);
      return fs.existsSync(f) ? readCheckpoint(f).header : null;
    });
    let galleries: Galleries | null = null;
    try {
      galleries = await buildGalleries({ itemsFile: w('items.parquet'), embeddingsFile: path.join(dirs.pretrain, 'embeddings.arrow'), assignmentsFile: path.join(dirs.clusters, 'assignments.parquet') });
    } catch (err) {
      log.warn(`report: no cluster gallery (${(err as Error).message})`);
    }
    writeHtmlReport(htmlFile, { report, outDir, stageSeconds, lossCurve, galleries, title: dataDir ? `COURIER pipeline: your data (${path.basename(dataDir)}), seed ${config.seed}` : `COURIER pipeline: ${config.preset} world, seed ${config.seed}` });
    // A summary for scripts (the regression suite reads it): stage times, skips, peak memory.
    writeJsonAtomic(path.join(outDir, 'pipeline.json'), {
      contract: 'pipeline-run',
      version: 1,
      preset: dataDir ? null : config.preset,
      dataDir,
      notes,
      seed: config.seed,
      backend: currentBackend()?.name ?? null,
      stageSeconds,
      skipped,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      reports: { ctr: reportFile, html: htmlFile },
    });
    return { reportFile, htmlFile, report, table: formatTable(report), stageSeconds, skipped, notes };
  } finally {
    runner.close();
  }
}

/** Day roles set in the data section (pretrainDays, ctrTrainDays, evalDay), or null to derive them from the impressions. */
function pickDays(d: DataBuilderConfig): { pretrain: number[]; ctrTrain: number[]; eval: number } | null {
  return d.pretrainDays && d.ctrTrainDays && d.evalDay !== null ? { pretrain: d.pretrainDays, ctrTrain: d.ctrTrainDays, eval: d.evalDay } : null;
}

/** The CTR table printed at the end, in the spirit of the paper's Table 5. */
export function formatTable(report: CtrReport): string {
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
  const share = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);
  const num = (x: number | null) => (x === null ? '-' : x.toFixed(4));
  const ceiling = report.ceiling as CtrCeiling | undefined;
  const ceilingRows = ceiling?.available
    ? [
        ['Bayes (true p, ceiling)', 'truth', num(ceiling.bayes.auc), num(ceiling.bayes.gauc), '', '', '', ''],
        ['Bayes without the look', 'truth', num(ceiling.noLook.auc), num(ceiling.noLook.gauc), '', '', '', ''],
        ['Bayes without position', 'truth', num(ceiling.noPosition.auc), num(ceiling.noPosition.gauc), '', '', '', ''],
      ]
    : [];
  const rows = [
    ['method', 'mode', 'AUC', 'GAUC', 'ΔAUC', 'ΔGAUC', 'headroom AUC', 'GAUC'],
    ...ceilingRows,
    ['baseline (no image)', 'none', report.baseline.auc.toFixed(4), report.baseline.gauc.toFixed(4), '', '', '', ''],
    ...report.methods.map((m) => {
      const h = m.headroomShare as MetricPair;
      return [m.name, m.mode, m.auc.toFixed(4), m.gauc.toFixed(4), pct(m.deltaAuc), pct(m.deltaGauc), share(h.auc), share(h.gauc)];
    }),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
  const noHeadroom = ceiling?.available && Math.abs(ceiling.lookHeadroom.auc ?? 0) < MIN_HEADROOM;
  const foot = !ceiling?.available
    ? `no ceiling rows: ${ceiling?.note ?? 'not computed'}`
    : noHeadroom
      ? 'no look headroom (Bayes equals Bayes without the look: the look does not enter the clicks), so no headroom shares'
      : `headroom: share of the look headroom (Bayes - Bayes without the look: ${pct(ceiling.lookHeadroom.auc ?? 0)} AUC, ${pct(ceiling.lookHeadroom.gauc ?? 0)} GAUC) a method's gain captures`;
  return `${table}\n${foot}`;
}

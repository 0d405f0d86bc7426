/**
 * The whole benchmark as one function the app calls: (generate a synthetic dataset if asked)
 * -> load -> COURIER pre-training on label-3 rows -> image_feat_courier.npy -> grid x seeds for
 * the chosen models (BPR, BM3, BM3+ours, MMGCN, MMGCN+ours by default; the paper's Table 2: also
 * SLMRec, DualGNN, LATTICE, MGCN) -> amazon-report.json (+ table.txt, table.md, runs.jsonl).
 *
 * Resumable (issue #23): every finished (row, grid point, seed) run is stored under its
 * fingerprint in <out>/runs/ (run-store.ts) and every run in progress checkpoints its epochs
 * (train-checkpoint.ts); the same command with the same --out skips finished runs, resumes the
 * interrupted one, reruns those whose settings changed, and reuses the COURIER features when
 * their own fingerprint matches. One process per --out (a lock file).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AmazonReport } from '@courier/data-contracts';
import { acquireRunLock, contentHash, removeTempEntries, shortHash, sourceHash, writeFileAtomicSync, writeJsonAtomic } from '@courier/io';
import { currentBackend } from '@courier/runtime';
import type { ConfigOf, ConfigSchema } from '@courier/runtime';
import { COURIER_PRETRAIN_DEFAULTS, CourierLossFn, pretrainCourier, writeCourierFeatures } from './courier-plugin';
import { MmrecDataset, featureWarnings, loadFeature, loadMmrecDataset, withFeatures } from './dataset';
import { ModelEntry, ModelParams, getModel } from './models';
import { DEFAULT_SEEDS, GridResult, REPORT_METRICS, buildAmazonReport, formatMarkdownTable, formatTable, gridPoints, runGrid, runSeconds } from './protocol';
import { generateSynthetic, syntheticParams, syntheticParamsMismatch } from './synthetic';
import { PlanProgress, PlannedRun, RunFingerprintParts, dataHash, planRun, runCodeHash, writeStoredRun } from './run-store';
import { RunResult, TrainOptions, trainAndEvaluate } from './train';
import { RUN_CHECKPOINT_FILE } from './train-checkpoint';

export const AMAZON_BENCH_SCHEMA = {
  dataset: { default: 'synthetic-small', doc: 'dataset folder name under dataRoot (baby, sports, clothing or a synthetic name)' },
  dataRoot: { default: null, type: 'string', doc: 'folder holding <dataset>/<dataset>.inter and the .npy files (null = <out>/data)' },
  generate: { default: 'small', doc: 'synthetic preset generated when the dataset folder does not exist ("none" = never generate)', choices: ['none', 'tiny', 'small', 'baby', 'sports', 'clothing'] },
  imageTaste: { default: true, doc: 'synthetic data only: false removes the taste signal from the image features (control); an existing synthetic folder generated otherwise is an error (see imageNoise)' },
  syntheticSeed: { default: 0, doc: 'seed of the synthetic generator', integer: true },
  imageNoise: { default: null, type: 'number', min: 0, doc: "synthetic data only: image feature noise sigma_v (null = the preset's, 0.5); larger values hide the taste in the raw image features. An existing folder generated with another value is an error naming the key, so give another --dataset name" },
  models: { default: ['BPR', 'BM3', 'MMGCN'], doc: 'models to run (registry names)' },
  withCourier: { default: true, doc: 'also run <model>+ours on [image | COURIER] features for the models in courierModels' },
  courierModels: { default: ['BM3', 'MMGCN'], doc: 'models that also get a +ours row when withCourier (the paper: BM3 and MMGCN)' },
  seeds: { default: DEFAULT_SEEDS.slice(0, 1), doc: `training seeds per grid point (default 1 for a quick run; the paper protocol uses 5: ${DEFAULT_SEEDS.join(', ')})` },
  grid: { default: 'defaults', doc: '"full" = the MMRec grids (BPR 7, BM3 8, MMGCN 30, SLMRec 320, DualGNN 25, LATTICE 16, MGCN 3 points); "defaults" = one point per model', choices: ['full', 'defaults'] },
  selectBy: { default: 'valid', doc: 'grid-point selection: mean validation Recall@20 (paper) or "test" (MMRec quirk, parity only)', choices: ['valid', 'test'] },
  maxEpochs: { default: 50, doc: 'epoch cap per run (default 50 for a quick run; MMRec and the paper protocol: 1000)', integer: true, min: 1 },
  patience: { default: 20, doc: 'stop after patience+1 epochs without strict validation Recall@20 improvement', integer: true, min: 0 },
  batchSize: { default: 2048, doc: 'training rows per batch', integer: true, min: 1 },
  evalBlockSize: { default: 4096, doc: 'users scored per block in the full-ranking evaluation (no effect on results)', integer: true, min: 1 },
  mmgcnPaperMode: { default: false, doc: 'MMGCN: train E_id and user preferences (MMRec never does; parity mode = false)' },
  courierDim: { default: COURIER_PRETRAIN_DEFAULTS.dim, doc: 'COURIER embedding size d_c appended to the image features', integer: true, min: 1 },
  courierHidden: { default: COURIER_PRETRAIN_DEFAULTS.hidden, doc: 'hidden width of the COURIER feature encoder', integer: true, min: 1 },
  courierEpochs: { default: COURIER_PRETRAIN_DEFAULTS.epochs, doc: 'COURIER pre-training epochs over the label-3 users', integer: true, min: 1 },
  courierBatchUsers: { default: COURIER_PRETRAIN_DEFAULTS.batchUsers, doc: 'users per COURIER batch (in-batch negatives)', integer: true, min: 2 },
  courierLr: { default: COURIER_PRETRAIN_DEFAULTS.lr, doc: 'Adam learning rate of the COURIER encoder' },
  courierNegatives: { default: COURIER_PRETRAIN_DEFAULTS.negatives, doc: 'negatives per user (paper: 10)', integer: true, min: 0 },
  courierPvPositives: { default: COURIER_PRETRAIN_DEFAULTS.pvPositives, doc: 'positives per user put in the page view (the rest form the click history)', integer: true, min: 1 },
  courierClickLength: { default: COURIER_PRETRAIN_DEFAULTS.clickLength, doc: 'click-history length l_click', integer: true, min: 1 },
  courierTau: { default: 0.05, doc: 'COURIER softmax temperature' },
  courierFeatures: { default: null, type: 'string', doc: 'an existing image_feat_courier.npy to use instead of pre-training (e.g. from an earlier run with the same data)' },
  courierScale: { default: 'match-image', doc: 'scale of the appended COURIER rows (spec 11.3)', choices: ['match-image', 'unit', 'raw'] },
  checkpointEvery: { default: 0, doc: 'write a training checkpoint every this many epochs (0 = by time only); no effect on results', integer: true, min: 0 },
  checkpointMinutes: { default: 5, doc: 'also write one when this many minutes passed since the last (0 = off; default: at most ~5 min of a run is lost to a kill); no effect on results', min: 0 },
} as const satisfies ConfigSchema;

/** The benchmark's configuration (every key of AMAZON_BENCH_SCHEMA, typed by it). */
export type AmazonBenchConfig = ConfigOf<typeof AMAZON_BENCH_SCHEMA>;

export interface BenchEnv {
  outDir: string;
  seed: number;
  log: (line: string) => void;
  time<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /** `courierLoss` from @courier/courier bound to its options (injected by the app). */
  courierLoss: CourierLossFn;
  /** The options `courierLoss` is bound to (part of the COURIER features' fingerprint). */
  courierLossOptions?: unknown;
  /** Ignore finished runs, checkpoints and COURIER features under outDir: everything is computed again (`--fresh`). */
  fresh?: boolean;
  /** Test hook: every training run stops (as if killed) after this many epochs of this process, right after a checkpoint. */
  stopAfterEpochs?: number;
}

/** The workspace (libs/amazon-bench/src/../../..), for the code hash of the COURIER features. */
const WORKSPACE = path.resolve(__dirname, '..', '..', '..');

export async function runAmazonBench(cfg: AmazonBenchConfig, env: BenchEnv): Promise<{ report: AmazonReport; summary: Record<string, unknown> }> {
  fs.mkdirSync(env.outDir, { recursive: true });
  const lock = acquireRunLock(env.outDir);
  try {
    return await runLocked(cfg, env);
  } finally {
    lock.release();
  }
}

async function runLocked(cfg: AmazonBenchConfig, env: BenchEnv): Promise<{ report: AmazonReport; summary: Record<string, unknown> }> {
  removeTempEntries(env.outDir);
  const root = cfg.dataRoot ?? path.join(env.outDir, 'data');
  const dir = path.join(root, cfg.dataset);
  let generated: Record<string, unknown> | null = null;
  const exists = fs.existsSync(path.join(dir, `${cfg.dataset}.inter`));
  if (!exists && cfg.generate === 'none') throw new Error(`dataset ${dir}/${cfg.dataset}.inter not found and generate is "none"`);
  if (cfg.generate !== 'none') {
    const params = syntheticParams(cfg.generate, { seed: cfg.syntheticSeed, imageTaste: cfg.imageTaste, split: 'courier', ...(cfg.imageNoise === null ? {} : { imageNoise: cfg.imageNoise }) });
    if (!exists) {
      generated = (await env.time('generate', () => generateSynthetic(root, cfg.dataset, params, env.log))).stats;
    } else {
      // An existing synthetic folder is reused only when it is the data this run asks for.
      const diff = syntheticParamsMismatch(dir, params);
      if (diff && diff.length) {
        const keys = diff.map((d) => `${d.key}: folder ${JSON.stringify(d.existing)}, requested ${JSON.stringify(d.requested)}`).join('; ');
        throw new Error(
          `${path.join(dir, 'stats.json')}: dataset "${cfg.dataset}" was generated with other parameters (${keys}). ` +
            'Give another --dataset name, delete the folder to regenerate it, or set --generate none to read it as it is.',
        );
      }
    }
  }
  const models = cfg.models.map(getModel);
  const modalities = [...new Set(models.flatMap((m) => m.modalities))];
  const needImage = modalities.includes('image') || cfg.withCourier;
  const base = await env.time('load', () => loadMmrecDataset({ root, name: cfg.dataset, modalities: needImage ? [...new Set([...modalities, 'image' as const])] : modalities }));
  if (base.rejects.length) writeFileAtomicSync(path.join(env.outDir, 'rejects.jsonl'), base.rejects.map((r) => JSON.stringify(r)).join('\n') + '\n');
  env.log(`dataset ${cfg.dataset}: ${JSON.stringify(base.stats)}`);
  for (const w of featureWarnings(base.features)) env.log(w);
  if (base.stats.labelCounts.pretrain === 0 && cfg.withCourier) throw new Error(`${dir}: no pre-training rows (x_label 3); relabel with the COURIER 50/30/10/10 split first (amazon-bench split)`);

  const backend = `${currentBackend()?.name ?? tf.getBackend()} (tfjs ${tf.version_core})`;
  const code = runCodeHash();
  const baseData = dataHash(dir);

  let courierDs: MmrecDataset | null = null;
  let courierInfo: Record<string, unknown> | null = null;
  let courierData: string | null = null;
  const withOurs = (m: { name: string; modalities: string[] }): boolean => cfg.withCourier && m.modalities.includes('image') && cfg.courierModels.some((n) => n.toLowerCase() === m.name.toLowerCase());
  if (cfg.courierFeatures && models.some(withOurs)) {
    const feat = loadFeature(cfg.courierFeatures, base.nItems, 'image');
    for (const w of featureWarnings({ image: feat })) env.log(w);
    if (feat.dim <= base.features.image!.dim) throw new Error(`${cfg.courierFeatures}: ${feat.dim} columns, expected more than the ${base.features.image!.dim} of image_feat.npy ([image | C])`);
    courierDs = withFeatures(base, { image: feat });
    courierInfo = { featureFile: feat.file, featureDim: feat.dim, reused: true };
    courierData = dataHash(dir, [feat.file]);
  } else if (models.some(withOurs)) {
    // The features are reused by a later invocation when their own fingerprint matches (pre-training
    // options, seed, data, code); the +ours runs' fingerprints hash the feature file itself.
    const courierDir = path.join(env.outDir, 'courier');
    const fpFile = path.join(courierDir, 'fingerprint.json');
    const infoFile = path.join(courierDir, 'info.json');
    const featFile = path.join(courierDir, 'image_feat_courier.npy');
    const options = {
      dim: cfg.courierDim,
      hidden: cfg.courierHidden,
      epochs: cfg.courierEpochs,
      batchUsers: cfg.courierBatchUsers,
      lr: cfg.courierLr,
      negatives: cfg.courierNegatives,
      pvPositives: cfg.courierPvPositives,
      clickLength: cfg.courierClickLength,
    };
    const fingerprint = shortHash(
      {
        options,
        scale: cfg.courierScale,
        lossOptions: env.courierLossOptions ?? { tau: cfg.courierTau },
        seed: env.seed,
        data: baseData,
        code,
        courierCode: { plugin: contentHash(path.join(__dirname, 'courier-plugin.ts')), courier: sourceHash([path.join(WORKSPACE, 'libs', 'courier', 'src')]) },
        backend,
      },
      64,
    );
    let recorded: string | undefined;
    try {
      recorded = fs.existsSync(fpFile) ? (JSON.parse(fs.readFileSync(fpFile, 'utf8')) as { hash?: string }).hash : undefined;
    } catch {
      recorded = 'unreadable';
    }
    if (!env.fresh && recorded === fingerprint && fs.existsSync(featFile) && fs.existsSync(infoFile)) {
      const feat = loadFeature(featFile, base.nItems, 'image');
      courierDs = withFeatures(base, { image: feat });
      courierInfo = { ...(JSON.parse(fs.readFileSync(infoFile, 'utf8')) as Record<string, unknown>), reusedFromEarlierRun: true };
      env.log(`COURIER features: reusing ${featFile} (fingerprint ${fingerprint.slice(0, 12)} matches)`);
    } else {
      if (recorded !== undefined) env.log(`COURIER features: ${env.fresh ? 'fresh start asked for' : `recorded fingerprint ${String(recorded).slice(0, 12)} differs from ${fingerprint.slice(0, 12)} (options, seed, data or code changed)`}; pre-training again`);
      fs.rmSync(fpFile, { force: true });
      const pre = await env.time('courier-pretrain', () => pretrainCourier(base, { ...options, lossFn: env.courierLoss, seed: env.seed, log: env.log }));
      const feat = writeCourierFeatures(courierDir, base.features.image!, pre.embeddings, pre.dim, cfg.courierScale);
      courierDs = withFeatures(base, { image: feat });
      courierInfo = { usersUsed: pre.usersUsed, usersSkipped: pre.usersSkipped, epochLosses: pre.epochLosses, paramCount: pre.paramCount, seconds: pre.seconds, featureFile: feat.file, featureDim: feat.dim };
      writeJsonAtomic(infoFile, courierInfo);
      writeJsonAtomic(fpFile, { hash: fingerprint });
    }
    courierData = dataHash(dir, [featFile]);
  }

  const train: TrainOptions = { maxEpochs: cfg.maxEpochs, patience: cfg.patience, batchSize: cfg.batchSize, evalBlockSize: cfg.evalBlockSize, log: (l) => env.log(l), logEvery: 10 };
  const protocol = { maxEpochs: cfg.maxEpochs, patience: cfg.patience, batchSize: cfg.batchSize };

  // The plan: every (row, grid point, seed), classified from what <out>/runs holds.
  interface Row {
    label: string;
    entry: ModelEntry;
    features: 'original' | 'courier';
    ds: MmrecDataset;
    points: ModelParams[];
  }
  const rowsToRun: Row[] = [];
  for (const entry of models) {
    const overrides: ModelParams = entry.name === 'MMGCN' ? { paperMode: cfg.mmgcnPaperMode } : {};
    const points = gridPoints(entry, cfg.grid, overrides);
    rowsToRun.push({ label: entry.name, entry, features: 'original', ds: base, points });
    if (courierDs && withOurs(entry)) rowsToRun.push({ label: `${entry.name}+ours`, entry, features: 'courier', ds: courierDs, points });
  }
  const plan: PlannedRun[] = [];
  const planned = new Map<string, PlannedRun>();
  const keyOf = (label: string, params: ModelParams, seed: number) => `${label}\0${JSON.stringify(params)}\0${seed}`;
  for (const row of rowsToRun) {
    for (const params of row.points) {
      for (const seed of cfg.seeds) {
        const parts: RunFingerprintParts = { model: row.entry.name, features: row.features, params, seed, protocol, data: row.features === 'courier' ? courierData! : baseData, code, backend };
        const p = planRun(env.outDir, row.label, params, seed, parts, env.fresh === true);
        plan.push(p);
        planned.set(keyOf(row.label, params, seed), p);
      }
    }
  }
  const progress = new PlanProgress(plan);
  for (const line of progress.summary()) env.log(line);
  if (plan.some((p) => p.state === 'done')) env.log(progress.line());

  // runs.jsonl: one line per finished run of this plan (rewritten from the stored results, so
  // a torn last line of a killed process and results of other settings never stay in it).
  const runsFile = path.join(env.outDir, 'runs.jsonl');
  const lineOf = (p: PlannedRun, run: RunResult) =>
    JSON.stringify({
      label: p.label,
      model: run.model,
      params: run.params,
      seed: run.seed,
      bestEpoch: run.bestEpoch,
      epochsRun: run.epochs.length,
      stopReason: run.stopReason,
      seconds: runSeconds(run),
      trainSeconds: run.epochs.map((e) => +e.trainSeconds.toFixed(3)),
      evalSeconds: run.epochs.map((e) => +e.evalSeconds.toFixed(3)),
      valid: run.valid,
      test: run.test,
      fingerprint: p.fingerprint.slice(0, 16),
      ...(run.resumedFromEpoch !== undefined ? { resumedFromEpoch: run.resumedFromEpoch } : {}),
    });
  const finished = new Map<PlannedRun, RunResult>();
  for (const p of plan) if (p.stored) finished.set(p, p.stored.run);
  const rewriteRunsFile = () => writeFileAtomicSync(runsFile, plan.filter((p) => finished.has(p)).map((p) => `${lineOf(p, finished.get(p)!)}\n`).join(''));
  rewriteRunsFile();

  const checkpointPolicy = (p: PlannedRun) => ({
    file: path.join(p.dir, RUN_CHECKPOINT_FILE),
    fingerprint: p.fingerprint,
    everyEpochs: cfg.checkpointEvery,
    everySeconds: cfg.checkpointMinutes * 60,
    ...(env.stopAfterEpochs !== undefined ? { stopAfterEpochs: env.stopAfterEpochs } : {}),
  });
  const runOne = (row: Row) => async (params: ModelParams, seed: number): Promise<RunResult> => {
    const p = planned.get(keyOf(row.label, params, seed))!;
    if (p.stored) return p.stored.run;
    fs.mkdirSync(p.dir, { recursive: true });
    env.log(`${row.label} ${JSON.stringify(params)} seed ${seed}: ${p.state === 'resume' ? `resuming (${p.reason})` : p.state === 'rerun' ? `rerunning: ${p.reason}` : 'starting'}`);
    const run = await trainAndEvaluate(row.entry, row.ds, params, seed, { ...train, label: row.label, checkpoint: checkpointPolicy(p) });
    writeStoredRun(p.dir, row.label, p.parts, run);
    finished.set(p, run);
    fs.appendFileSync(runsFile, `${lineOf(p, run)}\n`);
    progress.finish(p, run);
    env.log(`${row.label} ${JSON.stringify(params)} seed ${seed}: best epoch ${run.bestEpoch} (${run.stopReason}), valid R@20 ${run.valid['recall@20']}, test R@20 ${run.test['recall@20']}, ${runSeconds(run).toFixed(0)} s${run.resumedFromEpoch !== undefined ? ` (resumed after epoch ${run.resumedFromEpoch - 1})` : ''}`);
    env.log(progress.line());
    return run;
  };

  const rows: { label: string; model: string; features: 'original' | 'courier'; grid: GridResult }[] = [];
  for (const row of rowsToRun) {
    const g = await env.time(`train-${row.label}`, () => runGrid(row.entry, row.ds, row.points, cfg.seeds, train, { selectBy: cfg.selectBy, run: runOne(row) }));
    rows.push({ label: row.label, model: row.entry.name, features: row.features, grid: g });
  }
  rewriteRunsFile();
  const counts = { runs: plan.length, skipped: plan.filter((p) => p.state === 'done').length, resumed: plan.filter((p) => p.state === 'resume').length, rerun: plan.filter((p) => p.state === 'rerun').length };
  const report = buildAmazonReport({
    dataset: cfg.dataset,
    rows,
    extra: {
      split: 'courier 50/30/10/10 (spec 2.3): MMRec valid/test kept, training rows split 3:5 per user into train/pre-training',
      protocol: { seeds: cfg.seeds, grid: cfg.grid, selectBy: cfg.selectBy, maxEpochs: cfg.maxEpochs, patience: cfg.patience, mmgcnMode: cfg.mmgcnPaperMode ? 'paper (E_id, preferences trainable)' : 'parity (E_id, preferences fixed)' },
      datasetStats: base.stats,
      courier: courierInfo,
      synthetic: generated,
      runRecords: `${path.join('runs', '<label>', '<params hash>-seed<seed>', 'result.json')} (fingerprinted; this invocation: ${counts.skipped} of ${counts.runs} reused)`,
    },
  });
  writeJsonAtomic(path.join(env.outDir, 'amazon-report.json'), report);
  const table = formatTable(report);
  writeFileAtomicSync(path.join(env.outDir, 'table.txt'), `${table}\n`);
  writeFileAtomicSync(path.join(env.outDir, 'table.md'), `${formatMarkdownTable(report)}\n`);
  env.log(`\n${table}`);
  return {
    report,
    summary: {
      report: path.join(env.outDir, 'amazon-report.json'),
      dataset: base.stats,
      rows: report.rows.map((r) => ({ label: r.label, ...Object.fromEntries(REPORT_METRICS.map((m) => [m, r[m]])) })),
      courier: courierInfo,
      runs: counts,
    },
  };
}

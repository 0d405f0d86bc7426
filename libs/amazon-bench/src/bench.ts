/**
 * The whole benchmark as one function the app calls: (generate a synthetic dataset if asked)
 * -> load -> COURIER pre-training on label-3 rows -> image_feat_courier.npy -> grid x seeds for
 * the chosen models (BPR, BM3, BM3+ours, MMGCN, MMGCN+ours by default; the paper's Table 2: also
 * SLMRec, DualGNN, LATTICE, MGCN) -> amazon-report.json (+ table.txt, table.md, runs.jsonl).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AmazonReport } from '@courier/data-contracts';
import { writeFileAtomicSync, writeJsonAtomic } from '@courier/io';
import type { ConfigOf, ConfigSchema } from '@courier/runtime';
import { COURIER_PRETRAIN_DEFAULTS, CourierLossFn, pretrainCourier, writeCourierFeatures } from './courier-plugin';
import { MmrecDataset, featureWarnings, loadFeature, loadMmrecDataset, withFeatures } from './dataset';
import { ModelParams, getModel } from './models';
import { DEFAULT_SEEDS, GridResult, REPORT_METRICS, buildAmazonReport, formatMarkdownTable, formatTable, gridPoints, runGrid, runSeconds } from './protocol';
import { generateSynthetic, syntheticParams, syntheticParamsMismatch } from './synthetic';
import { RunResult, TrainOptions } from './train';

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
}

export async function runAmazonBench(cfg: AmazonBenchConfig, env: BenchEnv): Promise<{ report: AmazonReport; summary: Record<string, unknown> }> {
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

  let courierDs: MmrecDataset | null = null;
  let courierInfo: Record<string, unknown> | null = null;
  const withOurs = (m: { name: string; modalities: string[] }): boolean => cfg.withCourier && m.modalities.includes('image') && cfg.courierModels.some((n) => n.toLowerCase() === m.name.toLowerCase());
  if (cfg.courierFeatures && models.some(withOurs)) {
    const feat = loadFeature(cfg.courierFeatures, base.nItems, 'image');
    for (const w of featureWarnings({ image: feat })) env.log(w);
    if (feat.dim <= base.features.image!.dim) throw new Error(`${cfg.courierFeatures}: ${feat.dim} columns, expected more than the ${base.features.image!.dim} of image_feat.npy ([image | C])`);
    courierDs = withFeatures(base, { image: feat });
    courierInfo = { featureFile: feat.file, featureDim: feat.dim, reused: true };
  } else if (models.some(withOurs)) {
    const pre = await env.time('courier-pretrain', () =>
      pretrainCourier(base, {
        dim: cfg.courierDim,
        hidden: cfg.courierHidden,
        epochs: cfg.courierEpochs,
        batchUsers: cfg.courierBatchUsers,
        lr: cfg.courierLr,
        negatives: cfg.courierNegatives,
        pvPositives: cfg.courierPvPositives,
        clickLength: cfg.courierClickLength,
        lossFn: env.courierLoss,
        seed: env.seed,
        log: env.log,
      }),
    );
    const feat = writeCourierFeatures(path.join(env.outDir, 'courier'), base.features.image!, pre.embeddings, pre.dim, cfg.courierScale);
    courierDs = withFeatures(base, { image: feat });
    courierInfo = { usersUsed: pre.usersUsed, usersSkipped: pre.usersSkipped, epochLosses: pre.epochLosses, paramCount: pre.paramCount, seconds: pre.seconds, featureFile: feat.file, featureDim: feat.dim };
  }

  const train: TrainOptions = { maxEpochs: cfg.maxEpochs, patience: cfg.patience, batchSize: cfg.batchSize, evalBlockSize: cfg.evalBlockSize, log: (l) => env.log(l), logEvery: 10 };
  const rows: { label: string; model: string; features: 'original' | 'courier'; grid: GridResult }[] = [];
  // One JSON line per finished run (every grid point and seed), so a long run leaves its results
  // before the report is written.
  const runsFile = path.join(env.outDir, 'runs.jsonl');
  fs.mkdirSync(env.outDir, { recursive: true });
  fs.writeFileSync(runsFile, '');
  const onRun = (label: string) => (run: RunResult) => {
    const line = {
      label,
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
    };
    fs.appendFileSync(runsFile, JSON.stringify(line) + '\n');
  };
  for (const entry of models) {
    const overrides: ModelParams = entry.name === 'MMGCN' ? { paperMode: cfg.mmgcnPaperMode } : {};
    const points = gridPoints(entry, cfg.grid, overrides);
    const g = await env.time(`train-${entry.name}`, () => runGrid(entry, base, points, cfg.seeds, train, { selectBy: cfg.selectBy, log: env.log, onRun: onRun(entry.name) }));
    rows.push({ label: entry.name, model: entry.name, features: 'original', grid: g });
    if (courierDs && withOurs(entry)) {
      const gc = await env.time(`train-${entry.name}+ours`, () => runGrid(entry, courierDs!, points, cfg.seeds, train, { selectBy: cfg.selectBy, log: env.log, onRun: onRun(`${entry.name}+ours`) }));
      rows.push({ label: `${entry.name}+ours`, model: entry.name, features: 'courier', grid: gc });
    }
  }
  const report = buildAmazonReport({
    dataset: cfg.dataset,
    rows,
    extra: {
      split: 'courier 50/30/10/10 (spec 2.3): MMRec valid/test kept, training rows split 3:5 per user into train/pre-training',
      protocol: { seeds: cfg.seeds, grid: cfg.grid, selectBy: cfg.selectBy, maxEpochs: cfg.maxEpochs, patience: cfg.patience, mmgcnMode: cfg.mmgcnPaperMode ? 'paper (E_id, preferences trainable)' : 'parity (E_id, preferences fixed)' },
      datasetStats: base.stats,
      courier: courierInfo,
      synthetic: generated,
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
    },
  };
}

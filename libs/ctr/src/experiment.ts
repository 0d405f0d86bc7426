/**
 * The downstream experiment of the paper (Table 5, Appendix Table 1, Fig. 4): train the CTR
 * model without image features (baseline) and with each feature set, on the same data with
 * the same seeds, evaluate on the eval day, and report AUC, GAUC, their deltas against the
 * baseline (mean over seeds, with spread) and the gain per category.
 */
import { CtrMethodResult, CtrReport, FeatureMode, validateCtrReport } from '@courier/data-contracts';
import { pairedAucDifference, pairedGroupAucDifference } from '@courier/metrics';
import type { CtrConfig } from './config';
import type { Catalogue, CtrData, CtrRejects } from './data';
import { splitValidation } from './data';
import { CtrCeiling, absentCeiling, headroomShare } from './ceiling';
import type { ImageFeatures } from './image-features';
import { CtrCheckpoint, CtrEvaluation, TrainedCtr, checkpointOf, evaluateScores, predictCtr, trainCtr } from './train';

export interface FeatureSet {
  /** Method name in the report (e.g. "courier", "simclr", "oracle"). */
  name: string;
  /** null for the baseline. */
  image: ImageFeatures | null;
}

export interface SeedRun {
  method: string;
  seed: number;
  evaluation: CtrEvaluation;
  train: TrainedCtr['stats'];
  evalSeconds: number;
  evalRowsPerSecond: number;
  /** The eval-day scores, kept so the report can pair each method with the baseline of its seed (evaluation-sampling errors). */
  scores?: Float32Array;
}

export interface ExperimentOptions {
  catalogue: Catalogue;
  data: CtrData;
  featureSets: FeatureSet[];
  seeds: number[];
  config: CtrConfig;
  /** Whether a category was used in pre-training (world.json); unknown categories count as false. */
  inPretraining?: (category: string) => boolean;
  /** Warm-start checkpoints per method name (optional). */
  warmStart?: (method: string, seed: number) => CtrCheckpoint | null;
  /** Ceiling rows from the world's ground truth (evaluation only); absent with a note when not given. */
  ceiling?: CtrCeiling | null;
  /** Called with each trained model (e.g. to write its checkpoint) before it is disposed. */
  onTrained?: (method: string, seed: number, checkpoint: () => CtrCheckpoint) => void;
  log?: (line: string) => void;
}

export interface ExperimentResult {
  report: CtrReport;
  runs: SeedRun[];
}

const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
/** Sample standard deviation (0 for one value). */
const std = (xs: number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

function req(value: number | null, what: string): number {
  if (value === null) throw new Error(`ctr experiment: ${what} is undefined (the eval split needs both clicks and non-clicks${what.includes('gauc') ? ' within at least one session' : ''})`);
  return value;
}

/** Mean of per-seed values, null if any seed is null. */
function meanOrNull(xs: (number | null)[]): number | null {
  return xs.some((x) => x === null) ? null : mean(xs as number[]);
}

export function runCtrExperiment(options: ExperimentOptions): ExperimentResult {
  const { catalogue, data, seeds, config } = options;
  const log = options.log ?? (() => undefined);
  if (seeds.length === 0) throw new Error('ctr experiment: at least one seed is needed');
  const names = new Set<string>();
  for (const fs of options.featureSets) {
    if (fs.name === 'baseline') throw new Error('ctr experiment: "baseline" is reserved for the run without image features');
    if (names.has(fs.name)) throw new Error(`ctr experiment: feature set "${fs.name}" given twice`);
    names.add(fs.name);
  }
  const all: FeatureSet[] = [{ name: 'baseline', image: null }, ...options.featureSets];
  const runs: SeedRun[] = [];
  // The last training day(s) are validation: early stopping and choices happen there, never on the eval day.
  const { fit, validation, validationDays } = splitValidation(data.train, config.validationDays);
  if (validation) log(`validation: day(s) ${validationDays.join(', ')} held out (${validation.n} rows); training on ${fit.n} rows`);
  else if (config.validationDays > 0) log(`validation: only one training day, so no validation split (training runs all ${config.epochs} epochs)`);
  for (const seed of seeds) {
    for (const fs of all) {
      const trained = trainCtr({ catalogue, train: fit, validation, image: fs.image, config, seed, label: `${fs.name} seed ${seed}`, warmStart: options.warmStart?.(fs.name, seed) ?? null, log });
      const { scores, seconds } = predictCtr(trained, data.eval);
      const evaluation = evaluateScores(data.eval, scores, catalogue, trained.items);
      runs.push({ method: fs.name, seed, evaluation, train: trained.stats, evalSeconds: seconds, evalRowsPerSecond: data.eval.n / Math.max(seconds, 1e-9), scores });
      log(
        `${fs.name} seed ${seed}: AUC ${evaluation.auc?.toFixed(4)} GAUC ${evaluation.gauc?.toFixed(4)} (weighted ${evaluation.gaucWeighted?.toFixed(4)}), ` +
          `train ${trained.stats.seconds.toFixed(1)}s (${Math.round(trained.stats.rowsPerSecond)} rows/s), eval ${Math.round(data.eval.n / Math.max(seconds, 1e-9))} rows/s`,
      );
      options.onTrained?.(fs.name, seed, () => checkpointOf(trained, catalogue));
      trained.model.dispose();
    }
  }
  const report = buildReport({
    catalogue,
    featureSets: options.featureSets,
    seeds,
    runs,
    inPretraining: options.inPretraining,
    data,
    config,
    ceiling: options.ceiling ?? null,
    validation: validation ? { days: validationDays, rows: validation.n, trainRows: fit.n } : null,
  });
  return { report, runs };
}

/**
 * Evaluation-sampling standard errors of one seed's ΔAUC (users as clusters: a user's sessions
 * share a taste) and ΔGAUC (sessions as the units), pairing the method's eval scores with the
 * baseline's of the same seed. Null when a run has no scores (a report built from summaries only).
 */
function pairedErrors(data: CtrData, run: SeedRun, base: SeedRun | undefined): { deltaAucSe: number | null; deltaGaucSe: number | null } {
  if (!run.scores || !base?.scores) return { deltaAucSe: null, deltaGaucSe: null };
  const e = data.eval;
  return {
    deltaAucSe: pairedAucDifference(run.scores, base.scores, e.label, e.userId)?.se ?? null,
    deltaGaucSe: pairedGroupAucDifference(run.scores, base.scores, e.label, e.sessionId)?.se ?? null,
  };
}

/** Root mean square of per-seed errors (the seeds share the eval rows, so their sampling errors do not average out). */
function rmsOrNull(xs: (number | null)[]): number | null {
  return xs.length === 0 || xs.some((x) => x === null) ? null : Math.sqrt((xs as number[]).reduce((a, x) => a + x * x, 0) / xs.length);
}

function summarise(runs: SeedRun[], method: string) {
  const mine = runs.filter((r) => r.method === method);
  const aucs = mine.map((r) => req(r.evaluation.auc, `${method} auc`));
  const gaucs = mine.map((r) => req(r.evaluation.gauc, `${method} gauc`));
  const gaucWs = mine.map((r) => req(r.evaluation.gaucWeighted, `${method} gaucWeighted`));
  return { mine, aucs, gaucs, gaucWs };
}

export function buildReport(args: {
  catalogue: Catalogue;
  featureSets: FeatureSet[];
  seeds: number[];
  runs: SeedRun[];
  data: CtrData;
  config: CtrConfig;
  inPretraining?: (category: string) => boolean;
  ceiling?: CtrCeiling | null;
  validation?: { days: number[]; rows: number; trainRows: number } | null;
}): CtrReport {
  const { catalogue, runs, seeds } = args;
  const ceiling = args.ceiling ?? absentCeiling('no click-truth.parquet beside items.parquet (real data, or a world from before ceilings): ceiling rows and headroom shares are left out');
  const validationOf = (mine: SeedRun[]) => {
    const best = mine.map((r) => r.train.curve[r.train.bestEpoch - 1]);
    const a = best.map((p) => p?.validationAuc ?? null);
    const g = best.map((p) => p?.validationGauc ?? null);
    return { auc: meanOrNull(a), gauc: meanOrNull(g), bestEpochs: mine.map((r) => r.train.bestEpoch) };
  };
  const curves = (mine: SeedRun[]) => mine.map((r) => ({ seed: r.seed, bestEpoch: r.train.bestEpoch, points: r.train.curve }));
  const inPre = args.inPretraining ?? (() => false);
  const base = summarise(runs, 'baseline');
  const baseCat = catalogue.categories.map((_, c) => meanOrNull(base.mine.map((r) => r.evaluation.perCategory[c].auc)));
  const baseNew = meanOrNull(base.mine.map((r) => r.evaluation.newItems.auc));
  const methods: CtrMethodResult[] = args.featureSets.map((fs) => {
    const m = summarise(runs, fs.name);
    const img = fs.image as ImageFeatures;
    const dAuc = m.aucs.map((a, i) => a - base.aucs[i]);
    const dGauc = m.gaucs.map((g, i) => g - base.gaucs[i]);
    const newAuc = meanOrNull(m.mine.map((r) => r.evaluation.newItems.auc));
    const errors = m.mine.map((r) => pairedErrors(args.data, r, base.mine.find((b) => b.seed === r.seed)));
    return {
      name: fs.name,
      embeddings: img.source.embeddings,
      mode: img.mode as FeatureMode,
      auc: mean(m.aucs),
      gauc: mean(m.gaucs),
      gaucWeighted: mean(m.gaucWs),
      deltaAuc: mean(dAuc),
      deltaGauc: mean(dGauc),
      deltaGaucWeighted: mean(m.gaucWs) - mean(base.gaucWs),
      std: { auc: std(m.aucs), gauc: std(m.gaucs), gaucWeighted: std(m.gaucWs), deltaAuc: std(dAuc), deltaGauc: std(dGauc) },
      seeds,
      perSeed: m.mine.map((r, i) => ({ seed: r.seed, auc: m.aucs[i], gauc: m.gaucs[i], gaucWeighted: m.gaucWs[i], deltaAuc: dAuc[i], deltaGauc: dGauc[i], ...errors[i] })),
      evalSamplingSe: { deltaAuc: rmsOrNull(errors.map((e) => e.deltaAucSe)), deltaGauc: rmsOrNull(errors.map((e) => e.deltaGaucSe)) },
      perCategory: catalogue.categories.map((category, c) => {
        const a = meanOrNull(m.mine.map((r) => r.evaluation.perCategory[c].auc));
        return { category, rows: m.mine[0].evaluation.perCategory[c].rows, auc: a, deltaAuc: a === null || baseCat[c] === null ? null : a - (baseCat[c] as number), inPretraining: inPre(category) };
      }),
      newItems: { rows: m.mine[0].evaluation.newItems.rows, auc: newAuc, deltaAuc: newAuc === null || baseNew === null ? null : newAuc - baseNew },
      headroomShare: headroomShare(ceiling, { auc: mean(dAuc), gauc: mean(dGauc) }),
      validation: validationOf(m.mine),
      curves: curves(m.mine),
      clusters: img.mode === 'cluster-id' ? { k: img.numClusters, source: img.clusterSource, file: img.source.clusters } : undefined,
      missingItems: img.missingItems,
      missingExamples: img.missingExamples,
      trainRowsPerSecond: mean(m.mine.map((r) => r.train.rowsPerSecond)),
      evalRowsPerSecond: mean(m.mine.map((r) => r.evalRowsPerSecond)),
    };
  });
  const rejects: CtrRejects = args.data.rejects;
  const report: CtrReport = {
    contract: 'ctr-report',
    version: 1,
    baseline: {
      auc: mean(base.aucs),
      gauc: mean(base.gaucs),
      gaucWeighted: mean(base.gaucWs),
      std: { auc: std(base.aucs), gauc: std(base.gaucs), gaucWeighted: std(base.gaucWs) },
      perSeed: base.mine.map((r, i) => ({ seed: r.seed, auc: base.aucs[i], gauc: base.gaucs[i], gaucWeighted: base.gaucWs[i] })),
      perCategory: catalogue.categories.map((category, c) => ({ category, auc: baseCat[c], inPretraining: inPre(category) })),
      newItems: { rows: base.mine[0].evaluation.newItems.rows, auc: baseNew },
      trainRowsPerSecond: mean(base.mine.map((r) => r.train.rowsPerSecond)),
      evalRowsPerSecond: mean(base.mine.map((r) => r.evalRowsPerSecond)),
      validation: validationOf(base.mine),
      curves: curves(base.mine),
    },
    ceiling,
    validation: args.validation ?? null,
    methods,
    seeds,
    samples: {
      trainRows: args.data.train.n,
      evalRows: args.data.eval.n,
      evalSessionsUsed: base.mine[0].evaluation.sessionsUsed,
      rejectedRows: rejects.unknownTarget,
      droppedHistoryItems: rejects.unknownHistoryItems,
    },
    config: args.config,
  };
  validateCtrReport(report);
  return report;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
const f4 = (x: number | null) => (x === null ? '   -  ' : x.toFixed(4));

/** A plain-text table in the shape of the paper's Table 5 (deltas in percentage points, ± seed spread). */
export function formatCtrTable(report: CtrReport): string {
  const lines: string[] = [];
  const nSeeds = (report.seeds as number[] | undefined)?.length ?? report.methods[0]?.seeds.length ?? 1;
  lines.push(`CTR on the eval day, mean over ${nSeeds} seed(s); deltas vs the same model without image features`);
  lines.push(`${'Method'.padEnd(28)}${'AUC'.padStart(8)}${'dAUC'.padStart(18)}${'GAUC'.padStart(9)}${'dGAUC'.padStart(18)}${'GAUC(w)'.padStart(9)}${'headroom'.padStart(14)}`);
  const b = report.baseline;
  const ceiling = report.ceiling as CtrCeiling | undefined;
  if (ceiling?.available) {
    lines.push(`${'ceiling: Bayes (true p)'.padEnd(28)}${f4(ceiling.bayes.auc).padStart(8)}${''.padStart(18)}${f4(ceiling.bayes.gauc).padStart(9)}`);
    lines.push(`${'ceiling: Bayes, no look'.padEnd(28)}${f4(ceiling.noLook.auc).padStart(8)}${''.padStart(18)}${f4(ceiling.noLook.gauc).padStart(9)}`);
    lines.push(`${'ceiling: Bayes, no position'.padEnd(28)}${f4(ceiling.noPosition.auc).padStart(8)}${''.padStart(18)}${f4(ceiling.noPosition.gauc).padStart(9)}`);
  } else if (ceiling) {
    lines.push(`(no ceiling rows: ${ceiling.note})`);
  }
  lines.push(`${'baseline (no image)'.padEnd(28)}${f4(b.auc).padStart(8)}${'-'.padStart(18)}${f4(b.gauc).padStart(9)}${'-'.padStart(18)}${f4(b.gaucWeighted).padStart(9)}`);
  for (const m of report.methods) {
    const s = m.std as { deltaAuc: number; deltaGauc: number } | undefined;
    const dA = `${pct(m.deltaAuc)} ±${(100 * (s?.deltaAuc ?? 0)).toFixed(2)}`;
    const dG = `${pct(m.deltaGauc)} ±${(100 * (s?.deltaGauc ?? 0)).toFixed(2)}`;
    const share = m.headroomShare as { auc: number | null; gauc: number | null } | undefined;
    const sh = share && share.auc !== null && share.gauc !== null ? `${(100 * share.auc).toFixed(0)}% / ${(100 * share.gauc).toFixed(0)}%` : '-';
    lines.push(`${`${m.name} [${m.mode}]`.padEnd(28)}${f4(m.auc).padStart(8)}${dA.padStart(18)}${f4(m.gauc).padStart(9)}${dG.padStart(18)}${f4(m.gaucWeighted).padStart(9)}${sh.padStart(14)}`);
  }
  if (ceiling?.available) lines.push(`(last column: share of the look headroom captured, AUC / GAUC; headroom ${pct(ceiling.lookHeadroom.auc ?? 0)} / ${pct(ceiling.lookHeadroom.gauc ?? 0)})`);
  const errors = report.methods.map((m) => ({ name: m.name, se: m.evalSamplingSe as { deltaAuc: number | null; deltaGauc: number | null } | undefined }));
  if (errors.some((e) => e.se?.deltaAuc !== null && e.se?.deltaAuc !== undefined)) {
    const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `±${(100 * x).toFixed(2)}`);
    lines.push(`(eval-row sampling error of one seed's dAUC / dGAUC, users / sessions as clusters; seed-to-seed training noise is the ± above: ${errors.map((e) => `${e.name} ${fmt(e.se?.deltaAuc)} / ${fmt(e.se?.deltaGauc)}`).join(', ')})`);
  }
  if (report.methods.length > 0) {
    lines.push('');
    lines.push(`Delta AUC per category (${'*'} = used in pre-training)`);
    const header = `${'category'.padEnd(16)}${'base AUC'.padStart(10)}${report.methods.map((m) => m.name.slice(0, 12).padStart(14)).join('')}`;
    lines.push(header);
    const baseCats = (report.baseline.perCategory as { category: string; auc: number | null; inPretraining: boolean }[] | undefined) ?? [];
    baseCats.forEach((bc, c) => {
      const cells = report.methods.map((m) => {
        const d = m.perCategory[c]?.deltaAuc;
        return (d === null || d === undefined ? '-' : pct(d)).padStart(14);
      });
      lines.push(`${`${bc.category}${bc.inPretraining ? '*' : ''}`.padEnd(16)}${f4(bc.auc).padStart(10)}${cells.join('')}`);
    });
  }
  return lines.join('\n');
}

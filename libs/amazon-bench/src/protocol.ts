/**
 * Hyper-parameter search and seeds (spec amazon-benchmark.md, section 4.4): for every grid point
 * run every seed; select the point with the highest mean VALIDATION Recall@20 (MMRec's
 * select-by-test rule is available for parity only); report mean and std over the seeds of the
 * selected point's test Recall and NDCG at 10, 20 and 50 (the paper's Table 2 columns). Also
 * builds the amazon-report.json rows and prints them like the paper's Table 2 (text and Markdown).
 */
import type { AmazonReport, AmazonReportRow } from '@courier/data-contracts';
import { validateAmazonReport } from '@courier/data-contracts';
import type { MmrecDataset } from './dataset';
import { ModelEntry, ModelParams } from './models';
import { RunResult, TrainOptions, trainAndEvaluate } from './train';

/**
 * Test metrics reported per row, per seed and per grid point: the paper's Table 2 columns
 * (R@10, R@20, R@50, N@10, N@20, N@50). Early stopping and grid selection stay on validation
 * Recall@20 (train.ts, `runGrid`); `evaluateSplits` computes every k of EVAL_KS anyway.
 */
export const REPORT_METRICS = ['recall@10', 'recall@20', 'recall@50', 'ndcg@10', 'ndcg@20', 'ndcg@50'] as const;
export type ReportMetric = (typeof REPORT_METRICS)[number];

/** Column headers of the tables (the paper's abbreviations). */
export const METRIC_LABELS: Record<ReportMetric, string> = { 'recall@10': 'R@10', 'recall@20': 'R@20', 'recall@50': 'R@50', 'ndcg@10': 'N@10', 'ndcg@20': 'N@20', 'ndcg@50': 'N@50' };

/** Seeds: MMRec's default 999 plus four fixed others. */
export const DEFAULT_SEEDS = [999, 2024, 7, 42, 1234];

export type GridMode = 'full' | 'defaults';

/** Cartesian product of a grid over the model defaults. */
export function gridPoints(entry: ModelEntry, mode: GridMode | Record<string, (number | boolean | string)[]>, overrides: ModelParams = {}): ModelParams[] {
  const grid = mode === 'defaults' ? {} : mode === 'full' ? entry.grid : mode;
  let points: ModelParams[] = [{ ...entry.defaults, ...overrides }];
  for (const [key, values] of Object.entries(grid)) {
    if (!(key in entry.defaults)) throw new Error(`grid for ${entry.name}: unknown parameter "${key}"; known: ${Object.keys(entry.defaults).join(', ')}`);
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return points;
}

export interface PointResult {
  params: ModelParams;
  runs: RunResult[];
  validMean: number;
  testMean: Record<string, number>;
  testStd: Record<string, number>;
}

export interface GridResult {
  model: string;
  selectBy: 'valid' | 'test';
  points: PointResult[];
  selected: PointResult;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/** Sample standard deviation (n - 1); 0 for a single seed. */
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export async function runGrid(
  entry: ModelEntry,
  ds: MmrecDataset,
  points: ModelParams[],
  seeds: number[],
  train: TrainOptions,
  options: {
    selectBy?: 'valid' | 'test';
    log?: (line: string) => void;
    onRun?: (run: RunResult) => void;
    /** Produces one run instead of `trainAndEvaluate` (the benchmark's: a stored result, or a resumable training run). */
    run?: (params: ModelParams, seed: number) => Promise<RunResult>;
  } = {},
): Promise<GridResult> {
  const selectBy = options.selectBy ?? 'valid';
  const results: PointResult[] = [];
  let done = 0;
  const total = points.length * seeds.length;
  const t0 = performance.now();
  for (const params of points) {
    const runs: RunResult[] = [];
    for (const seed of seeds) {
      const run = options.run ? await options.run(params, seed) : await trainAndEvaluate(entry, ds, params, seed, train);
      runs.push(run);
      options.onRun?.(run);
      done++;
      const elapsed = (performance.now() - t0) / 1000;
      options.log?.(
        `${entry.name} ${JSON.stringify(params)} seed ${seed}: best epoch ${run.bestEpoch} (${run.stopReason}), valid R@20 ${run.valid['recall@20']}, test R@20 ${run.test['recall@20']} ` +
          `[${done}/${total} runs, ${elapsed.toFixed(0)}s, ETA ${((elapsed / done) * (total - done)).toFixed(0)}s]`,
      );
    }
    const testMean: Record<string, number> = {};
    const testStd: Record<string, number> = {};
    for (const m of REPORT_METRICS) {
      const xs = runs.map((r) => r.test[m]);
      testMean[m] = mean(xs);
      testStd[m] = std(xs);
    }
    results.push({ params, runs, validMean: mean(runs.map((r) => r.valid['recall@20'])), testMean, testStd });
  }
  const key = (p: PointResult): number => (selectBy === 'valid' ? p.validMean : p.testMean['recall@20']);
  // First point wins ties (grid order), like a strict ">" scan.
  const selected = results.reduce((best, p) => (key(p) > key(best) ? p : best), results[0]);
  return { model: entry.name, selectBy, points: results, selected };
}

/** Training + evaluation seconds of one run (sum over its epochs), 2 decimals. */
export function runSeconds(r: RunResult): number {
  return Math.round(r.epochs.reduce((a, e) => a + e.trainSeconds + e.evalSeconds, 0) * 100) / 100;
}

export interface ReportInput {
  dataset: string;
  rows: { label: string; model: string; features: 'original' | 'courier'; grid: GridResult }[];
  extra?: Record<string, unknown>;
}

export function buildAmazonReport(input: ReportInput): AmazonReport {
  const rows: AmazonReportRow[] = input.rows.map(({ label, model, features, grid }) => {
    const sel = grid.selected;
    return {
      model,
      features,
      label,
      ...Object.fromEntries(REPORT_METRICS.map((m) => [m, sel.testMean[m]])),
      // The contract's required keys, named again for the type checker (the spread above is untyped).
      'recall@20': sel.testMean['recall@20'],
      'recall@50': sel.testMean['recall@50'],
      'ndcg@50': sel.testMean['ndcg@50'],
      std: { ...sel.testStd },
      seeds: sel.runs.map((r) => r.seed),
      selectedParams: { ...sel.params },
      selectedBy: grid.selectBy === 'valid' ? 'mean validation recall@20' : 'mean TEST recall@20 (MMRec parity rule)',
      validRecall20: sel.validMean,
      paramCount: sel.runs[0]?.paramCount,
      perSeed: sel.runs.map((r) => ({ seed: r.seed, bestEpoch: r.bestEpoch, epochsRun: r.epochs.length, seconds: runSeconds(r), stopReason: r.stopReason, valid: r.valid['recall@20'], ...Object.fromEntries(REPORT_METRICS.map((m) => [m, r.test[m]])) })),
      grid: grid.points.map((p) => ({ params: p.params, validRecall20: p.validMean, ...p.testMean })),
    };
  });
  const report: AmazonReport = { contract: 'amazon-report', version: 1, dataset: input.dataset, rows, ...(input.extra ?? {}) };
  validateAmazonReport(report);
  return report;
}

/** mean ± sd of one metric of a row; "-" when the row lacks it (reports written before R/N@10, N@20). */
function cell(row: AmazonReportRow, m: ReportMetric, sep: string): string {
  const v = row[m];
  if (typeof v !== 'number') return '-';
  return `${v.toFixed(4)}${sep}${(row.std[m] ?? 0).toFixed(4)}`;
}

/** The report as the paper's Table 2 (one dataset block): Method, R@10, R@20, R@50, N@10, N@20, N@50 (mean±std over seeds). */
export function formatTable(report: AmazonReport): string {
  const lines = [`Dataset ${report.dataset}`, `${'Method'.padEnd(14)}${REPORT_METRICS.map((m) => METRIC_LABELS[m].padEnd(16)).join('').trimEnd()}`];
  for (const row of report.rows) lines.push(`${String(row.label ?? row.model).padEnd(14)}${REPORT_METRICS.map((m) => cell(row, m, '±').padEnd(16)).join('').trimEnd()}`);
  return lines.join('\n');
}

/** The same table in Markdown (mean ± sample sd over seeds), with the seeds and the selected epochs per row. */
export function formatMarkdownTable(report: AmazonReport): string {
  const lines = [
    `| Method (${report.dataset}) | ${REPORT_METRICS.map((m) => METRIC_LABELS[m]).join(' | ')} | seeds | best epochs |`,
    `|---|${REPORT_METRICS.map(() => '---|').join('')}---|---|`,
  ];
  for (const row of report.rows) {
    const perSeed = Array.isArray(row.perSeed) ? (row.perSeed as { bestEpoch?: number }[]) : [];
    lines.push(`| ${String(row.label ?? row.model)} | ${REPORT_METRICS.map((m) => cell(row, m, ' ± ')).join(' | ')} | ${row.seeds.length} | ${perSeed.map((r) => r.bestEpoch ?? '-').join(', ')} |`);
  }
  return lines.join('\n');
}

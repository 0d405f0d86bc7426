/** Means, spreads and paired comparisons over seeds. */
import { ExperimentRow, Metric, SuiteReport } from './model';

export const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : NaN);
/** Sample standard deviation; null with fewer than 2 values. */
export const sd = (xs: number[]): number | null => {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation over seeds (null with one seed). */
  sd: number | null;
  /** Standard error of the mean (null with one seed). */
  se: number | null;
  perSeed: { seed: number; value: number }[];
}

export function summarise(values: { seed: number; value: number }[]): Summary {
  const xs = values.map((v) => v.value);
  const s = sd(xs);
  return { n: xs.length, mean: mean(xs), sd: s, se: s === null ? null : s / Math.sqrt(xs.length), perSeed: values };
}

export function metricOf(row: ExperimentRow, metric: Metric): number | null {
  const v = row[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Per-seed values of one variant's metric (rows without the metric are left out). */
export function variantValues(report: Pick<SuiteReport, 'rows'>, variant: string, metric: Metric): { seed: number; value: number }[] {
  const out: { seed: number; value: number }[] = [];
  for (const r of report.rows) {
    if (r.variant !== variant) continue;
    const v = metricOf(r, metric);
    if (v !== null) out.push({ seed: r.seed, value: v });
  }
  return out.sort((a, b) => a.seed - b.seed);
}

export function variantSummary(report: Pick<SuiteReport, 'rows'>, variant: string, metric: Metric): Summary {
  return summarise(variantValues(report, variant, metric));
}

/**
 * a - b per seed, on the seeds both have (same world, same CTR seed: a paired comparison, which
 * removes the world-to-world variation both share).
 */
export function pairedDifference(report: Pick<SuiteReport, 'rows'>, a: string, b: string, metric: Metric): Summary {
  const bOf = new Map(variantValues(report, b, metric).map((v) => [v.seed, v.value]));
  const diffs: { seed: number; value: number }[] = [];
  for (const v of variantValues(report, a, metric)) {
    const w = bOf.get(v.seed);
    if (w !== undefined) diffs.push({ seed: v.seed, value: v.value - w });
  }
  return summarise(diffs);
}

/** Two standard errors of the mean, the band within which a difference counts as noise (null with one seed). */
export const noiseBand = (s: Summary): number | null => (s.se === null ? null : 2 * s.se);

/** Table rows shared by the Markdown summary and the HTML page. */
import * as path from 'node:path';
import { ExperimentRow, Metric, SuiteReport, VariantInfo } from './model';
import { Summary, summarise, variantSummary } from './stats';

export const fmtPp = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(digits)}%`);
export const fmtSummary = (s: Summary, digits = 2): string => (s.n === 0 ? '–' : s.sd === null ? fmtPp(s.mean, digits) : `${fmtPp(s.mean, digits)} ± ${(100 * s.sd).toFixed(digits)}`);

/** A path relative to the runs folder when it lies inside it. */
export function relPath(report: Pick<SuiteReport, 'runsDir'>, p: string | null): string {
  if (!p) return '–';
  const rel = path.relative(report.runsDir, p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

export interface SummaryRow {
  variant: VariantInfo;
  auc: Summary;
  gauc: Summary;
  deltaAuc: Summary;
  deltaGauc: Summary;
  deltaAucPretrainCats: Summary;
  seeds: number[];
  /** Folder of the CTR report per seed (relative to runsDir). */
  ctrDirs: { seed: number; dir: string }[];
  pretrainDirs: { seed: number; dir: string }[];
}

export function summaryRows(report: SuiteReport): SummaryRow[] {
  return report.variants
    .filter((v) => report.rows.some((r) => r.variant === v.name))
    .map((variant) => {
      const rows = report.rows.filter((r) => r.variant === variant.name).sort((a, b) => a.seed - b.seed);
      const s = (metric: Metric) => variantSummary(report, variant.name, metric);
      const raw = (key: 'auc' | 'gauc') => variantSummary({ rows: rows.map((r) => ({ ...r, deltaAuc: r[key] })) }, variant.name, 'deltaAuc');
      return {
        variant,
        auc: raw('auc'),
        gauc: raw('gauc'),
        deltaAuc: s('deltaAuc'),
        deltaGauc: s('deltaGauc'),
        deltaAucPretrainCats: s('deltaAucPretrainCats'),
        seeds: rows.map((r) => r.seed),
        ctrDirs: rows.map((r) => ({ seed: r.seed, dir: relPath(report, path.dirname(r.ctrReport)) })),
        pretrainDirs: rows.filter((r) => r.pretrainDir).map((r) => ({ seed: r.seed, dir: relPath(report, r.pretrainDir) })),
      };
    });
}

export function seedRows(report: SuiteReport): ExperimentRow[] {
  const order = new Map(report.variants.map((v, i) => [v.name, i]));
  return [...report.rows].sort((a, b) => (order.get(a.variant) ?? 0) - (order.get(b.variant) ?? 0) || a.seed - b.seed);
}

/** Per-category ΔAUC, mean over seeds, per variant. */
export function categoryRows(report: SuiteReport): { variant: string; category: string; inPretraining: boolean; rows: number | null; deltaAuc: Summary }[] {
  const out: { variant: string; category: string; inPretraining: boolean; rows: number | null; deltaAuc: Summary }[] = [];
  for (const v of report.variants) {
    const rows = report.rows.filter((r) => r.variant === v.name);
    if (!rows.length) continue;
    const cats = rows[0].perCategory;
    for (const c of cats) {
      const values = rows.flatMap((r) => {
        const pc = r.perCategory.find((x) => x.category === c.category);
        return pc && pc.deltaAuc !== null ? [{ seed: r.seed, value: pc.deltaAuc }] : [];
      });
      const xs = values.map((x) => x.value);
      const m = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
      const sdv = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : null;
      out.push({ variant: v.name, category: c.category, inPretraining: c.inPretraining, rows: c.rows, deltaAuc: { n: xs.length, mean: m, sd: sdv, se: sdv === null ? null : sdv / Math.sqrt(xs.length), perSeed: values } });
    }
  }
  return out;
}

/** The CTR model without image features: mean AUC and GAUC over seeds (one value per seed). */
export function baselineSummary(report: Pick<SuiteReport, 'rows'>): { auc: Summary; gauc: Summary } | null {
  const perSeed = new Map<number, { auc: number; gauc: number }>();
  for (const r of report.rows) perSeed.set(r.seed, { auc: r.baselineAuc, gauc: r.baselineGauc });
  if (!perSeed.size) return null;
  const seeds = [...perSeed.keys()].sort((a, b) => a - b);
  const s = (key: 'auc' | 'gauc') => summarise(seeds.map((seed) => ({ seed, value: (perSeed.get(seed) as { auc: number; gauc: number })[key] })));
  return { auc: s('auc'), gauc: s('gauc') };
}

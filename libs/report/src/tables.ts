/** Table rows shared by the Markdown summary and the HTML page. */
import * as path from 'node:path';
import { CeilingRow, ExperimentRow, Metric, MetricPair, NUISANCE_ATTRIBUTES, PROBE_ATTRIBUTE_LABEL, ProbeAttribute, ProbeRow, SuiteReport, TASTE_ATTRIBUTES, VariantInfo } from './model';
import { Summary, mean, summarise, variantSummary } from './stats';

export const fmtPp = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(digits)}%`);
export const fmtSummary = (s: Summary, digits = 2): string => (s.n === 0 ? '–' : s.sd === null ? fmtPp(s.mean, digits) : `${fmtPp(s.mean, digits)} ± ${(100 * s.sd).toFixed(digits)}`);

/** A path relative to the runs folder when it lies inside it. */
export function relPath(report: Pick<SuiteReport, 'runsDir'>, p: string | null): string {
  if (!p) return '–';
  const rel = path.relative(report.runsDir, p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/** A share of the look headroom as a percentage (1 decimal), '–' when absent. */
export const fmtShare = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`);
export const fmtShareSummary = (s: Summary): string => (s.n === 0 ? '–' : s.sd === null ? fmtShare(s.mean) : `${fmtShare(s.mean)} ± ${(100 * s.sd).toFixed(1)}`);
export const fmtMetric = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

/** Optional per-row numbers (absent in older reports, null where unavailable). */
export type RowExtra = 'headroomShareAuc' | 'headroomShareGauc' | 'validationAuc' | 'validationGauc';

/** Mean and spread over seeds of an optional row number; rows without it are left out (n = 0 when none has it). */
export function extraSummary(rows: ExperimentRow[], key: RowExtra): Summary {
  const values = rows.flatMap((r) => {
    const v = r[key];
    return typeof v === 'number' && Number.isFinite(v) ? [{ seed: r.seed, value: v }] : [];
  });
  return summarise(values.sort((a, b) => a.seed - b.seed));
}

/** Whether any row has the number (decides whether a column is shown). */
export const hasExtra = (report: Pick<SuiteReport, 'rows'>, key: RowExtra): boolean => report.rows.some((r) => typeof r[key] === 'number' && Number.isFinite(r[key]));

/** Headroom-share columns: in every report with ceilings (also when every share is "–", as on the control world) or shares. */
export const showShare = (report: Pick<SuiteReport, 'rows' | 'ceilings'>): boolean => !!report.ceilings?.length || hasExtra(report, 'headroomShareAuc') || hasExtra(report, 'headroomShareGauc');
/** Validation columns and the model-selection section: only when some row has a validation AUC (not in older reports). */
export const showValidation = (report: Pick<SuiteReport, 'rows'>): boolean => hasExtra(report, 'validationAuc') || hasExtra(report, 'validationGauc');

export interface SummaryRow {
  variant: VariantInfo;
  auc: Summary;
  gauc: Summary;
  deltaAuc: Summary;
  deltaGauc: Summary;
  deltaAucPretrainCats: Summary;
  /** Share of the look headroom captured, mean ± sd over the seeds that have one. */
  headroomShareAuc: Summary;
  headroomShareGauc: Summary;
  /** Validation-day AUC / GAUC at the early-stopping epoch. */
  validationAuc: Summary;
  validationGauc: Summary;
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
        headroomShareAuc: extraSummary(rows, 'headroomShareAuc'),
        headroomShareGauc: extraSummary(rows, 'headroomShareGauc'),
        validationAuc: extraSummary(rows, 'validationAuc'),
        validationGauc: extraSummary(rows, 'validationGauc'),
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

export interface CeilingTable {
  /** One row per seed (available or not), then the mean over the available seeds (null when none is). */
  perSeed: CeilingRow[];
  mean: { n: number; bayes: MetricPair; noLook: MetricPair; noPosition: MetricPair; lookHeadroom: MetricPair } | null;
  /** Notes of the seeds without a ceiling. */
  notes: string[];
}

/** The ceiling rows of a report (per seed and mean), or null for reports without any (older results.json). */
export function ceilingTable(report: Pick<SuiteReport, 'ceilings'>): CeilingTable | null {
  const rows = [...(report.ceilings ?? [])].sort((a, b) => a.seed - b.seed);
  if (!rows.length) return null;
  const avail = rows.filter((c) => c.available);
  const m = (pick: (c: CeilingRow) => number | null): number | null => {
    const xs = avail.map(pick).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return xs.length ? mean(xs) : null;
  };
  const pair = (k: 'bayes' | 'noLook' | 'noPosition' | 'lookHeadroom'): MetricPair => ({ auc: m((c) => c[k].auc), gauc: m((c) => c[k].gauc) });
  return {
    perSeed: rows,
    mean: avail.length ? { n: avail.length, bayes: pair('bayes'), noLook: pair('noLook'), noPosition: pair('noPosition'), lookHeadroom: pair('lookHeadroom') } : null,
    notes: [...new Set(rows.filter((c) => !c.available && c.note).map((c) => c.note as string))],
  };
}

/** Header and cells of the ceiling table (shared by Markdown and HTML). */
export const CEILING_HEADER = ['seed', 'Bayes AUC', 'Bayes GAUC', 'no look AUC', 'no look GAUC', 'no position AUC', 'no position GAUC', 'look headroom AUC', 'look headroom GAUC'];
export function ceilingCells(t: CeilingTable): string[][] {
  const cells = (label: string, c: { bayes: MetricPair; noLook: MetricPair; noPosition: MetricPair; lookHeadroom: MetricPair }) => [
    label,
    fmtMetric(c.bayes.auc),
    fmtMetric(c.bayes.gauc),
    fmtMetric(c.noLook.auc),
    fmtMetric(c.noLook.gauc),
    fmtMetric(c.noPosition.auc),
    fmtMetric(c.noPosition.gauc),
    fmtPp(c.lookHeadroom.auc),
    fmtPp(c.lookHeadroom.gauc),
  ];
  // Multi-world suites: one ceiling per world and seed, labelled with the world; no mean across worlds.
  const worlds = t.perSeed.some((c) => c.world);
  const label = (c: CeilingRow) => (c.world ? `${c.seed} (${c.world})` : String(c.seed));
  const rows = worlds ? [...t.perSeed].sort((a, b) => (a.world ?? '').localeCompare(b.world ?? '') || a.seed - b.seed) : t.perSeed;
  return [...rows.map((c) => (c.available ? cells(label(c), c) : [label(c), ...CEILING_HEADER.slice(1).map(() => '–')])), ...(t.mean && t.perSeed.length > 1 && !worlds ? [cells(`mean (${t.mean.n} seed${t.mean.n === 1 ? '' : 's'})`, t.mean)] : [])];
}

export const CEILING_TEXT =
  'Ceiling: AUC and GAUC on the evaluation rows of the world\'s true click probability (Bayes), of the same without its look term (no look) and without position (no position); these come from the synthetic world\'s ground truth, which no model sees. Look headroom = Bayes − no look: what perfect knowledge of the look is worth on these rows.';
export const SHARE_TEXT =
  'Headroom share = (variant − baseline) / (Bayes − no look), per seed, then mean ± sd over seeds: the part of the look headroom the variant\'s image features capture (0% = none, 100% = as much as knowing the true look term; it can exceed 100% or go below 0%, since a feature can also carry item identity or cost accuracy). "–" where there is no ceiling (no ground truth) or no look headroom (e.g. the control world, where looks do not drive clicks).';

export interface SelectionRow {
  /** What is chosen, e.g. "tau" or the claim of a `best` check. */
  choice: string;
  variants: string[];
  /** Seeds every variant of the choice has a validation AUC on (the means are over these). */
  seeds: number[];
  /** Best by mean validation-day AUC (null when no validation numbers). */
  validation: { variant: string; auc: number } | null;
  /** Best by mean evaluation-day ΔAUC and ΔGAUC (what the paper's figure shows). */
  evalAuc: { variant: string; delta: number } | null;
  evalGauc: { variant: string; delta: number } | null;
  /** Evaluation-day ΔAUC of the validation pick. */
  validationPickEvalDelta: number | null;
}

/**
 * Where a suite chooses among variants (a sweep, a `best` check): the variant a choice on the
 * validation day would pick (highest mean validation AUC), next to the best on the evaluation day.
 * Reporting only: the checks' verdicts do not use it.
 */
export function selectionRows(report: SuiteReport): SelectionRow[] {
  const sets: { choice: string; variants: string[] }[] = [];
  if (report.layout === 'sweep') sets.push({ choice: `best ${report.paramName ?? 'parameter'}`, variants: report.variants.map((v) => v.name) });
  for (const c of report.checks) if (c.kind === 'best') sets.push({ choice: c.claim, variants: c.variants });
  const seen = new Set<string>();
  const out: SelectionRow[] = [];
  for (const set of sets) {
    const variants = set.variants.filter((v) => report.rows.some((r) => r.variant === v));
    const key = [...variants].sort().join('\u0000');
    if (variants.length < 2 || seen.has(key)) continue;
    seen.add(key);
    const rowsOf = (v: string) => report.rows.filter((r) => r.variant === v);
    const valSeeds = (v: string) => new Set(rowsOf(v).filter((r) => typeof r.validationAuc === 'number').map((r) => r.seed));
    const common = [...valSeeds(variants[0])].filter((s) => variants.every((v) => valSeeds(v).has(s))).sort((a, b) => a - b);
    const best = <T extends { v: string; x: number }>(xs: T[]): T | null => (xs.length ? xs.reduce((a, b) => (b.x > a.x ? b : a)) : null);
    const val = common.length ? best(variants.map((v) => ({ v, x: mean(rowsOf(v).filter((r) => common.includes(r.seed)).map((r) => r.validationAuc as number)) }))) : null;
    const evalBest = (metric: Metric) => best(variants.map((v) => ({ v, x: variantSummary(report, v, metric).mean })).filter((x) => Number.isFinite(x.x)));
    const eA = evalBest('deltaAuc');
    const eG = evalBest('deltaGauc');
    out.push({
      choice: set.choice,
      variants,
      seeds: common,
      validation: val ? { variant: val.v, auc: val.x } : null,
      evalAuc: eA ? { variant: eA.v, delta: eA.x } : null,
      evalGauc: eG ? { variant: eG.v, delta: eG.x } : null,
      validationPickEvalDelta: val ? variantSummary(report, val.v, 'deltaAuc').mean : null,
    });
  }
  return out;
}

export const SELECTION_TEXT =
  'A choice made on the evaluation day would be optimistic. The validation day (the last CTR training day, held out for early stopping) is where a choice belongs: "validation pick" is the variant with the highest mean validation AUC over the seeds every variant has, shown next to the best on the evaluation day. The checks above still compare evaluation-day numbers, as the paper reports them.';

/**
 * The "Every run" table: header and cells of one row per variant and seed. `text` escapes plain
 * text and `code` formats a path for the output format (Markdown backticks, HTML <code>).
 */
export function seedTable(report: SuiteReport, text: (s: string) => string, code: (s: string) => string): { header: string[]; rows: string[][] } {
  const share = showShare(report);
  const val = showValidation(report);
  return {
    header: ['variant', 'seed', 'AUC', 'GAUC', 'baseline AUC', 'ΔAUC', 'ΔGAUC', ...(share ? ['share AUC', 'share GAUC'] : []), ...(val ? ['val AUC', 'val GAUC'] : []), 'ctr-report.json (method)', 'pre-training folder'],
    rows: seedRows(report).map((r) => [
      text(r.variant),
      String(r.seed),
      r.auc.toFixed(4),
      r.gauc.toFixed(4),
      r.baselineAuc.toFixed(4),
      fmtPp(r.deltaAuc, 3),
      fmtPp(r.deltaGauc, 3),
      ...(share ? [fmtShare(r.headroomShareAuc), fmtShare(r.headroomShareGauc)] : []),
      ...(val ? [fmtMetric(r.validationAuc), fmtMetric(r.validationGauc)] : []),
      `${code(relPath(report, r.ctrReport))} (${text(r.ctrMethod)})`,
      code(relPath(report, r.pretrainDir)),
    ]),
  };
}

/** Header and cells of the probe table (shared by Markdown and HTML), or null for reports without probes. */
export function probeTable(report: Pick<SuiteReport, 'probes' | 'variants'>): { header: string[]; rows: string[][] } | null {
  const probes = report.probes ?? [];
  if (!probes.length) return null;
  const attrs = [...TASTE_ATTRIBUTES, ...NUISANCE_ATTRIBUTES];
  const header = ['variant', 'seeds', 'items', ...TASTE_ATTRIBUTES.map((a) => `${PROBE_ATTRIBUTE_LABEL[a]} (taste)`), ...NUISANCE_ATTRIBUTES.map((a) => `${PROBE_ATTRIBUTE_LABEL[a]} (nuisance)`)];
  const meanOf = (rows: ProbeRow[], part: 'agreement' | 'chance', a: ProbeAttribute): string => {
    const xs = rows.map((p) => p[part][a]).filter((x): x is number => typeof x === 'number');
    if (!xs.length) return '–';
    const m = mean(xs);
    const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) : null;
    return sd === null ? m.toFixed(3) : `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
  };
  const order = report.variants.map((v) => v.name).filter((name) => probes.some((p) => p.variant === name));
  const rows = order.map((name) => {
    const ps = probes.filter((p) => p.variant === name);
    return [name, String(new Set(ps.map((p) => p.seed)).size), String(Math.round(mean(ps.map((p) => p.items)))), ...attrs.map((a) => meanOf(ps, 'agreement', a))];
  });
  rows.push(['chance (random neighbours)', '', '', ...attrs.map((a) => meanOf(probes, 'chance', a).replace(/ ± .*/, ''))]);
  return { header, rows };
}

export const PROBE_TEXT =
  'Probes: the share of each item\'s 5 nearest neighbours in embedding space (cosine) that share its label, mean ± sd over seeds. Taste attributes (hue region, pattern) drive the clicks; the nuisance attributes (background bucket, merchant, lighting bucket) are interest-irrelevant image variation (the world\'s `nuisance` knob) and are invisible at nuisance 0. Labels come from the world\'s ground truth, which no model sees. Chance = the agreement of random neighbours.';

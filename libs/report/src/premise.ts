/**
 * The premise suite's verdicts (issue #19): predictions C0-C3 of apps/experiments/PREDICTIONS.md,
 * computed from the report's rows by the rules of its section "Computing the verdicts". Variants
 * of a multi-world suite are named `<method variant>@<world tag>`; every quantity is a per-seed
 * difference (seed s of every world shares the world seed, so worlds are paired by seed like
 * methods), summarised as mean, sd and standard error over the seeds it has.
 */
import { Metric, METRIC_LABEL, SuiteReport } from './model';
export type { PremiseSpec } from './model';
import { Summary, noiseBand, summarise, variantValues } from './stats';
import { fmtPp, fmtShareSummary, fmtSummary, extraSummary } from './tables';

export type PremiseVerdictStatus = 'agreed' | 'within-noise' | 'refuted' | 'not-run';
export const VERDICT_TEXT: Record<PremiseVerdictStatus, string> = { agreed: 'agreed', 'within-noise': 'within noise', refuted: 'REFUTED', 'not-run': 'not run' };

/** The name of variant `name` on world `world` in a multi-world report. */
export const worldVariant = (name: string, world: string): string => `${name}@${world}`;

export interface PremiseQuantity {
  /** e.g. "fall(simclr) = g_0 - g_1". */
  name: string;
  summary: Summary;
  /** 2 standard errors, or 0 with one seed (sign only). */
  band: number;
}

export interface PremiseMetricVerdict {
  metric: Metric;
  verdict: PremiseVerdictStatus;
  quantities: PremiseQuantity[];
  /** Why (the rule that decided), one sentence. */
  reason: string;
}

export interface PremiseVerdict {
  id: 'C0' | 'C1' | 'C2' | 'C3';
  claim: string;
  /** The worse of the two metrics' verdicts (refuted > within noise > agreed); not run if either is. */
  verdict: PremiseVerdictStatus;
  perMetric: PremiseMetricVerdict[];
  /** C1-C3 when C0 is refuted: their verdicts stand but are void until the leak is found. */
  void: boolean;
  /** Fewer than two seeds: no spread, sign only (a wiring check, not a result). */
  signOnly: boolean;
}

const METRICS: Metric[] = ['deltaAuc', 'deltaGauc'];
const RANK: Record<PremiseVerdictStatus, number> = { agreed: 0, 'within-noise': 1, refuted: 2, 'not-run': 3 };
const worse = (a: PremiseVerdictStatus, b: PremiseVerdictStatus): PremiseVerdictStatus => (RANK[a] >= RANK[b] ? a : b);

type SeedValues = Map<number, number>;
const gains = (report: Pick<SuiteReport, 'rows'>, variant: string, world: string, metric: Metric): SeedValues => new Map(variantValues(report, worldVariant(variant, world), metric).map((v) => [v.seed, v.value]));
/** A per-seed linear combination of gains, on the seeds every term has. */
function combine(terms: [number, SeedValues][]): Summary {
  const seeds = [...terms[0][1].keys()].filter((s) => terms.every(([, m]) => m.has(s))).sort((a, b) => a - b);
  return summarise(seeds.map((seed) => ({ seed, value: terms.reduce((acc, [c, m]) => acc + c * (m.get(seed) as number), 0) })));
}
const quantity = (name: string, summary: Summary): PremiseQuantity => ({ name, summary, band: noiseBand(summary) ?? 0 });
/** mean > 2 se (with one seed: mean > 0). */
const above = (q: PremiseQuantity) => q.summary.n > 0 && q.summary.mean > q.band;

export function describeQuantity(q: PremiseQuantity): string {
  const s = q.summary;
  if (!s.n) return `${q.name}: no data`;
  return `${q.name} = ${fmtPp(s.mean, 3)}${s.sd !== null ? ` ± ${(100 * s.sd).toFixed(3)} (sd, ${s.n} seeds; band ±${(100 * q.band).toFixed(3)} pp)` : ' (1 seed, sign only)'}`;
}

const CLAIMS = {
  C0: 'visualSignal 0 with nuisance 1: every method\'s gain within noise of zero',
  C1: 'nuisance 0 -> 1: SimCLR\'s and SimSiam\'s gain falls, COURIER\'s holds; COURIER - SimCLR grows and exceeds 2 se at 1',
  C2: 'swap world (taste on the background colour): SimCLR catches up with COURIER',
  C3: 'SimCLR with background randomisation closes the gap to COURIER at nuisance 1',
} as const;

/** Evaluates C0-C3 (PREDICTIONS.md, "Computing the verdicts"); null when the report has no premise spec. */
export function evaluatePremise(report: Pick<SuiteReport, 'rows' | 'variants' | 'premise'>): PremiseVerdict[] | null {
  const spec = report.premise;
  if (!spec) return null;
  const { worlds: W, methods: M } = spec;
  const has = (variant: string, world: string) => report.rows.some((r) => r.variant === worldVariant(variant, world));
  const seedsOf = new Set(report.rows.map((r) => r.seed));
  const signOnly = seedsOf.size < 2;
  const notRun = (id: PremiseVerdict['id'], missing: string[]): PremiseVerdict => ({
    id,
    claim: CLAIMS[id],
    verdict: 'not-run',
    perMetric: METRICS.map((metric) => ({ metric, verdict: 'not-run', quantities: [], reason: `no results for ${missing.join(', ')}` })),
    void: false,
    signOnly,
  });
  const need = (pairs: [string, string][]) => pairs.filter(([v, w]) => !has(v, w)).map(([v, w]) => worldVariant(v, w));
  const verdictOf = (id: PremiseVerdict['id'], perMetric: PremiseMetricVerdict[]): PremiseVerdict => ({ id, claim: CLAIMS[id], verdict: perMetric.map((p) => p.verdict).reduce(worse), perMetric, void: false, signOnly });
  const out: PremiseVerdict[] = [];

  // C0: every method on the control world, |mean| <= max(2 se, tolerance).
  const controlMethods = report.variants.filter((v) => v.name.endsWith(`@${W.control}`) && report.rows.some((r) => r.variant === v.name)).map((v) => v.name.slice(0, -(W.control.length + 1)));
  if (!controlMethods.length) out.push(notRun('C0', [`any method on ${W.control}`]));
  else
    out.push(
      verdictOf(
        'C0',
        METRICS.map((metric) => {
          const qs = controlMethods.map((m) => quantity(`g_control(${m})`, combine([[1, gains(report, m, W.control, metric)]])));
          const bad = qs.filter((q) => Math.abs(q.summary.mean) > Math.max(q.band, spec.c0Tolerance));
          return {
            metric,
            verdict: bad.length ? 'refuted' : 'agreed',
            quantities: qs,
            reason: bad.length ? `|mean| > max(2 se, ${(100 * spec.c0Tolerance).toFixed(1)} pp) for ${bad.map((q) => q.name).join(', ')}` : `every |mean| <= max(2 se, ${(100 * spec.c0Tolerance).toFixed(1)} pp)`,
          };
        }),
      ),
    );

  // C1: nuisance 0 -> 1.
  const c1Missing = need([M.courier, M.simclr, M.simsiam].flatMap((m): [string, string][] => [[m, W.nuisance0], [m, W.nuisance1]]));
  if (c1Missing.length) out.push(notRun('C1', c1Missing));
  else
    out.push(
      verdictOf(
        'C1',
        METRICS.map((metric) => {
          const g = (m: string, w: string) => gains(report, m, w, metric);
          const fallS = quantity(`fall(${M.simclr}) = g_0 - g_1`, combine([[1, g(M.simclr, W.nuisance0)], [-1, g(M.simclr, W.nuisance1)]]));
          const fallSS = quantity(`fall(${M.simsiam})`, combine([[1, g(M.simsiam, W.nuisance0)], [-1, g(M.simsiam, W.nuisance1)]]));
          const fallC = quantity(`fall(${M.courier})`, combine([[1, g(M.courier, W.nuisance0)], [-1, g(M.courier, W.nuisance1)]]));
          const growth = quantity(`growth = fall(${M.simclr}) - fall(${M.courier})`, combine([[1, g(M.simclr, W.nuisance0)], [-1, g(M.simclr, W.nuisance1)], [-1, g(M.courier, W.nuisance0)], [1, g(M.courier, W.nuisance1)]]));
          const gap1 = quantity(`gap_1 = g_1(${M.courier}) - g_1(${M.simclr})`, combine([[1, g(M.courier, W.nuisance1)], [-1, g(M.simclr, W.nuisance1)]]));
          const refutations = [
            fallS.summary.mean <= 0 ? `${M.simclr}'s gain does not fall` : '',
            fallSS.summary.mean <= 0 ? `${M.simsiam}'s gain does not fall` : '',
            above(fallC) ? `${M.courier}'s gain falls by more than 2 se` : '',
            growth.summary.mean <= 0 ? `${M.courier} falls as much as ${M.simclr}` : '',
            !above(gap1) ? `${M.courier} - ${M.simclr} at nuisance 1 is not above 2 se` : '',
          ].filter(Boolean);
          const unresolved = [!above(fallS) ? `fall(${M.simclr})` : '', !above(fallSS) ? `fall(${M.simsiam})` : '', !above(growth) ? 'growth' : ''].filter(Boolean);
          const verdict: PremiseVerdictStatus = refutations.length ? 'refuted' : unresolved.length ? 'within-noise' : 'agreed';
          const reason = refutations.length ? refutations.join('; ') : unresolved.length ? `no refutation, but inside the noise band: ${unresolved.join(', ')}` : 'both falls and the growth resolved above 0, COURIER holds, gap_1 above 2 se';
          return { metric, verdict, quantities: [fallS, fallSS, fallC, growth, gap1], reason };
        }),
      ),
    );

  // C2: the swap world against nuisance 1.
  const c2Missing = need([M.courier, M.simclr].flatMap((m): [string, string][] => [[m, W.nuisance1], [m, W.swap]]));
  if (c2Missing.length) out.push(notRun('C2', c2Missing));
  else
    out.push(
      verdictOf(
        'C2',
        METRICS.map((metric) => {
          const g = (m: string, w: string) => gains(report, m, w, metric);
          const gap1 = quantity(`gap_1 = g_1(${M.courier}) - g_1(${M.simclr})`, combine([[1, g(M.courier, W.nuisance1)], [-1, g(M.simclr, W.nuisance1)]]));
          const gapSwap = quantity(`gap_swap = g_swap(${M.courier}) - g_swap(${M.simclr})`, combine([[1, g(M.courier, W.swap)], [-1, g(M.simclr, W.swap)]]));
          const catchUp = quantity('catch-up = gap_1 - gap_swap', combine([[1, g(M.courier, W.nuisance1)], [-1, g(M.simclr, W.nuisance1)], [-1, g(M.courier, W.swap)], [1, g(M.simclr, W.swap)]]));
          const verdict: PremiseVerdictStatus = above(catchUp) ? 'agreed' : above(gap1) ? 'refuted' : 'within-noise';
          const reason = verdict === 'agreed' ? 'catch-up resolved above 0' : verdict === 'refuted' ? 'catch-up not above 2 se while gap_1 is' : 'catch-up not resolved, and gap_1 not resolved either (no gap to catch up on)';
          return { metric, verdict, quantities: [gap1, gapSwap, catchUp], reason };
        }),
      ),
    );

  // C3: background randomisation at nuisance 1.
  const c3Missing = need([M.courier, M.simclr, M.simclrBg].map((m): [string, string] => [m, W.nuisance1]));
  if (c3Missing.length) out.push(notRun('C3', c3Missing));
  else
    out.push(
      verdictOf(
        'C3',
        METRICS.map((metric) => {
          const g = (m: string) => gains(report, m, W.nuisance1, metric);
          const gap1 = quantity(`gap_1 = g_1(${M.courier}) - g_1(${M.simclr})`, combine([[1, g(M.courier)], [-1, g(M.simclr)]]));
          const gapBg = quantity(`gap_bg = g_1(${M.courier}) - g_1(${M.simclrBg})`, combine([[1, g(M.courier)], [-1, g(M.simclrBg)]]));
          const closing = quantity(`closing = g_1(${M.simclrBg}) - g_1(${M.simclr})`, combine([[1, g(M.simclrBg)], [-1, g(M.simclr)]]));
          const verdict: PremiseVerdictStatus = above(gapBg) && !above(closing) ? 'refuted' : !above(gapBg) && above(closing) ? 'agreed' : 'within-noise';
          const reason =
            verdict === 'refuted'
              ? 'gap_bg above 2 se and closing not above 2 se'
              : verdict === 'agreed'
                ? 'closing resolved above 0 and gap_bg no longer above 2 se'
                : above(gapBg)
                  ? 'the gap shrinks (closing above 2 se) but stays above 2 se'
                  : 'no resolved gap to COURIER, but no resolved gain over plain SimCLR either';
          return { metric, verdict, quantities: [gap1, gapBg, closing], reason };
        }),
      ),
    );

  if (out[0].verdict === 'refuted') for (const v of out.slice(1)) v.void = true;
  return out;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (header: string[], rows: string[][]) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

/** Gains per world: rows = method variants, columns = worlds; each cell ΔAUC / ΔGAUC (mean ± sd) and the headroom share of AUC. */
export function premiseGainTable(report: Pick<SuiteReport, 'rows' | 'variants' | 'premise' | 'worlds'>): { header: string[]; rows: string[][] } | null {
  if (!report.premise || !report.worlds?.length) return null;
  const worlds = report.worlds;
  const methods = [...new Set(report.variants.map((v) => v.name.split('@')[0]))];
  const header = ['method', ...worlds.map((w) => `${w.label} (\`${w.tag}\`)`)];
  const rows = methods.map((m) => [
    m,
    ...worlds.map((w) => {
      const name = worldVariant(m, w.tag);
      const rs = report.rows.filter((r) => r.variant === name);
      if (!rs.length) return '–';
      const s = (metric: Metric) => summarise(variantValues(report, name, metric));
      const share = extraSummary(rs, 'headroomShareAuc');
      return `${fmtSummary(s('deltaAuc'))} / ${fmtSummary(s('deltaGauc'))}${share.n ? ` (share ${fmtShareSummary(share)})` : ''}`;
    }),
  ]);
  return { header, rows };
}

export const PREMISE_TEXT =
  'Verdicts of the predictions in apps/experiments/PREDICTIONS.md, computed from the rows by the rules of its section "Computing the verdicts": every quantity is a per-seed paired difference (worlds share the seed), band = 2 standard errors; each prediction is judged on ΔAUC and on ΔGAUC, and its verdict is the worse of the two. With one seed there is no spread and only signs are looked at: a wiring check, not a result.';

export function premiseMarkdown(report: Pick<SuiteReport, 'rows' | 'variants' | 'premise' | 'worlds'>): string {
  const verdicts = evaluatePremise(report);
  if (!verdicts) return '';
  const out: string[] = ['## Premise predictions (PREDICTIONS.md)', '', PREMISE_TEXT, ''];
  out.push(
    table(
      ['prediction', 'verdict', 'ΔAUC', 'ΔGAUC', 'why (ΔAUC; ΔGAUC)'],
      verdicts.map((v) => [
        `${v.id}: ${v.claim}`,
        `**${VERDICT_TEXT[v.verdict]}**${v.void ? ' (void: C0 refuted)' : ''}${v.signOnly ? ' (1 seed: sign only)' : ''}`,
        VERDICT_TEXT[v.perMetric[0].verdict],
        VERDICT_TEXT[v.perMetric[1].verdict],
        v.perMetric.map((p) => p.reason).join('; '),
      ]),
    ),
    '',
  );
  out.push('Quantities (percentage points, mean ± sd over seeds):', '');
  for (const v of verdicts) for (const p of v.perMetric) if (p.quantities.length) out.push(`- ${v.id}, ${METRIC_LABEL[p.metric]}: ${p.quantities.map(describeQuantity).join('; ')}`);
  out.push('');
  const gains = premiseGainTable(report);
  if (gains) out.push('### Gains per world', '', 'ΔAUC / ΔGAUC (mean ± sd over seeds, in % of AUC) and the share of the look headroom captured (AUC).', '', table(gains.header, gains.rows), '');
  return `${out.join('\n')}\n`;
}

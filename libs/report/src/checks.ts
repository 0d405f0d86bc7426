/**
 * "Checks against the paper": each expected ordering is evaluated from the report's numbers, with
 * the mean and spread over seeds. Differences are paired by seed; a difference inside two standard
 * errors of its mean is "within noise". With a single seed there is no spread, so a check can
 * only look at the sign and says so.
 */
import { CheckSpec, METRIC_LABEL, SuiteReport } from './model';
import { Summary, noiseBand, pairedDifference, summarise, variantSummary } from './stats';

export type CheckStatus = 'agrees' | 'within-noise' | 'disagrees' | 'missing';

export interface CheckResult {
  spec: CheckSpec;
  status: CheckStatus;
  /** The claim, e.g. "COURIER > SimCLR (ΔAUC)". */
  claim: string;
  /** The measured quantity: a paired difference, a variant's mean, or a per-category mean. */
  measured: Summary | null;
  /** One sentence with the numbers (mean ± sd over n seeds, noise band). */
  detail: string;
}

export const STATUS_TEXT: Record<CheckStatus, string> = {
  agrees: 'agrees',
  'within-noise': 'within noise',
  disagrees: 'DISAGREES',
  missing: 'not run',
};

const pp = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(3)} pp`;

export function describeSummary(s: Summary): string {
  const band = noiseBand(s);
  if (s.n === 0) return 'no data';
  if (s.sd === null) return `${pp(s.mean)} (1 seed: no spread, sign only)`;
  return `${pp(s.mean)} ± ${(100 * s.sd).toFixed(3)} (sd over ${s.n} seeds; noise band ±${(100 * (band as number)).toFixed(3)} pp)`;
}

/** Status of "x > 0" (strict) or "x >= 0" for a measured difference. */
function signStatus(s: Summary, strict: boolean): CheckStatus {
  if (s.n === 0) return 'missing';
  const band = noiseBand(s);
  if (band === null) return s.mean > 0 || (!strict && s.mean === 0) ? 'agrees' : 'disagrees';
  if (s.mean > band) return 'agrees';
  if (s.mean < -band) return 'disagrees';
  // Inside the noise band: for "at most" claims (ablation <= full) a non-negative mean agrees.
  return !strict && s.mean >= 0 ? 'agrees' : 'within-noise';
}

export function evaluateCheck(report: Pick<SuiteReport, 'rows' | 'variants'>, spec: CheckSpec): CheckResult {
  const has = (v: string) => report.rows.some((r) => r.variant === v);
  const missing = (names: string[]): CheckResult | null => {
    const absent = names.filter((n) => !has(n));
    return absent.length ? { spec, status: 'missing', claim: spec.claim, measured: null, detail: `no results for ${absent.join(', ')}` } : null;
  };
  switch (spec.kind) {
    case 'order': {
      const m = missing([spec.a, spec.b]);
      if (m) return m;
      const d = pairedDifference(report, spec.a, spec.b, spec.metric);
      const status = signStatus(d, spec.strict);
      const band = noiseBand(d);
      // A ">=" claim agrees with a non-negative mean inside the noise band; say that it is not a resolved difference.
      const unresolved = status === 'agrees' && band !== null && Math.abs(d.mean) <= band ? '; inside the noise band: consistent, not a resolved difference' : '';
      return { spec, status, claim: spec.claim, measured: d, detail: `${spec.a} − ${spec.b} (${METRIC_LABEL[spec.metric]}): ${describeSummary(d)}${unresolved}` };
    }
    case 'positive': {
      const m = missing([spec.a]);
      if (m) return m;
      const s = variantSummary(report, spec.a, spec.metric);
      return { spec, status: signStatus(s, true), claim: spec.claim, measured: s, detail: `${spec.a} ${METRIC_LABEL[spec.metric]}: ${describeSummary(s)}` };
    }
    case 'near-zero': {
      const m = missing([spec.a]);
      if (m) return m;
      const s = variantSummary(report, spec.a, spec.metric);
      const allowed = Math.max(noiseBand(s) ?? 0, spec.tolerance);
      const status: CheckStatus = s.n === 0 ? 'missing' : Math.abs(s.mean) <= allowed ? 'agrees' : 'disagrees';
      return { spec, status, claim: spec.claim, measured: s, detail: `${spec.a} ${METRIC_LABEL[spec.metric]}: ${describeSummary(s)}; allowed |mean| <= ${(100 * allowed).toFixed(3)} pp (max of the noise band and the tolerance ${(100 * spec.tolerance).toFixed(3)} pp)` };
    }
    case 'best': {
      const present = spec.variants.filter(has);
      const m = missing([spec.expected]);
      if (m) return m;
      const means = present.map((v) => ({ v, mean: variantSummary(report, v, spec.metric).mean }));
      const best = means.reduce((a, b) => (b.mean > a.mean ? b : a));
      if (best.v === spec.expected) {
        const d = best.v === spec.expected && means.length > 1 ? pairedDifference(report, spec.expected, means.filter((x) => x.v !== spec.expected).reduce((a, b) => (b.mean > a.mean ? b : a)).v, spec.metric) : summarise([]);
        return { spec, status: 'agrees', claim: spec.claim, measured: d, detail: `best is ${best.v}; margin over the runner-up ${describeSummary(d)}` };
      }
      const d = pairedDifference(report, spec.expected, best.v, spec.metric);
      const band = noiseBand(d);
      const status: CheckStatus = band !== null && d.mean >= -band ? 'within-noise' : 'disagrees';
      return { spec, status, claim: spec.claim, measured: d, detail: `best is ${best.v}, not ${spec.expected}; ${spec.expected} − ${best.v}: ${describeSummary(d)}` };
    }
    case 'unseen-categories': {
      const m = missing([spec.a]);
      if (m) return m;
      const perSeed: { seed: number; value: number }[] = [];
      for (const r of report.rows) {
        if (r.variant !== spec.a) continue;
        const unseen = r.perCategory.filter((c) => !c.inPretraining && c.deltaAuc !== null);
        if (!unseen.length) continue;
        const w = unseen.reduce((a, c) => a + (c.rows ?? 1), 0);
        perSeed.push({ seed: r.seed, value: unseen.reduce((a, c) => a + (c.deltaAuc as number) * (c.rows ?? 1), 0) / w });
      }
      const s = summarise(perSeed);
      if (!s.n) return { spec, status: 'missing', claim: spec.claim, measured: s, detail: 'no category outside pre-training has a ΔAUC' };
      return { spec, status: signStatus(s, true), claim: spec.claim, measured: s, detail: `${spec.a}, row-weighted mean ΔAUC over categories not used in pre-training: ${describeSummary(s)}` };
    }
  }
}

export function evaluateChecks(report: Pick<SuiteReport, 'rows' | 'variants' | 'checks'>): CheckResult[] {
  return report.checks.map((c) => evaluateCheck(report, c));
}

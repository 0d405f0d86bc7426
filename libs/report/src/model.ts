/**
 * The data of an experiment report (`results.json`, contract "experiment-report"): one row per
 * variant and seed, each pointing at the CTR report and the pre-training folder it came from,
 * plus 2-D embedding maps and the checks against the paper that the renderer evaluates.
 */
export type FeatureMode = 'none' | 'vector' | 'simscore' | 'cluster-id';
export type Metric = 'deltaAuc' | 'deltaGauc' | 'deltaAucPretrainCats';

export const METRIC_LABEL: Record<Metric, string> = {
  deltaAuc: 'ΔAUC',
  deltaGauc: 'ΔGAUC',
  deltaAucPretrainCats: 'ΔAUC (pre-training categories)',
};

/** One variant as the suite defines it (the order of the report's tables and charts). */
export interface VariantInfo {
  /** Unique within the suite, e.g. "courier", "simclr", "no-ucs", "tau=0.05". */
  name: string;
  /** Pre-training method: courier, simclr, simsiam, clip, maskclip, supervised, oracle. */
  method: string;
  mode: FeatureMode;
  /** x value of a sweep (tau, batch size), null otherwise. */
  param: number | null;
  /** What the variant changes, in words. */
  description: string;
  /** Multi-world suites: the tag of the world this variant ran on (its name is `<variant>@<tag>`). */
  world?: string;
}

export interface PerCategoryDelta {
  category: string;
  deltaAuc: number | null;
  inPretraining: boolean;
  rows: number | null;
}

/** One variant on one seed: the numbers and where they came from. */
export interface ExperimentRow {
  variant: string;
  seed: number;
  auc: number;
  gauc: number;
  baselineAuc: number;
  baselineGauc: number;
  deltaAuc: number;
  deltaGauc: number;
  /** Row-weighted mean of the per-category ΔAUC over categories used in pre-training (the paper's "women's clothing" column). */
  deltaAucPretrainCats: number | null;
  perCategory: PerCategoryDelta[];
  /** ctr-report.json holding these numbers (method `ctrMethod` in it). */
  ctrReport: string;
  ctrMethod: string;
  /** Folder of the pre-training run whose embeddings fed the CTR model (null for the oracle). */
  pretrainDir: string | null;
  /**
   * Share of the look headroom this variant captures on this seed: (variant - baseline) / (Bayes -
   * Bayes without the look term), AUC and GAUC, from the seed's CTR report ceiling. Null without a
   * ceiling (no ground truth) or without headroom (control world); absent in reports written
   * before ceilings existed.
   */
  headroomShareAuc?: number | null;
  headroomShareGauc?: number | null;
  /** AUC / GAUC on the validation day (the held-out last CTR training day) at the early-stopping epoch; null or absent when not recorded. */
  validationAuc?: number | null;
  validationGauc?: number | null;
}

export interface MetricPair {
  auc: number | null;
  gauc: number | null;
}

/**
 * The ceiling of one seed's CTR evaluation (from its ctr-report.json `ceiling`): AUC / GAUC on the
 * evaluation rows of the world's true click probability (Bayes), of it without the look term and
 * without position; lookHeadroom = bayes - noLook, what perfect knowledge of the look is worth.
 */
export interface CeilingRow {
  seed: number;
  available: boolean;
  /** Why the ceiling is absent (no ground truth), or null. */
  note?: string | null;
  bayes: MetricPair;
  noLook: MetricPair;
  noPosition: MetricPair;
  lookHeadroom: MetricPair;
  /** ctr-report.json the ceiling came from. */
  ctrReport?: string;
  /** Multi-world suites: the world's tag. */
  world?: string;
}

export interface MapPoint {
  itemId: number;
  x: number;
  y: number;
  category: string;
  /** Hidden style of the item (ground truth). */
  style: string;
  inPretraining: boolean;
}

/** A 2-D map (UMAP) of one embedding table, coloured by category and by style. */
export interface EmbeddingMap {
  name: string;
  seed: number;
  /** The embeddings file that was mapped. */
  source: string;
  points: MapPoint[];
  /** How well the 2-D neighbourhoods separate the labels: share of each point's k nearest map neighbours with the same label. */
  neighbourAgreement?: { category: number; style: number; k: number };
}

/**
 * Probes of one embedding table (issue #19): the share of each item's k nearest neighbours (cosine)
 * with the same label, for the taste attributes (hueRegion, pattern) and the interest-irrelevant
 * ones (background bucket, merchant, lighting bucket) of the world's ground truth; `chance` is
 * the agreement of random neighbours. Null where the world has no such label (worlds written
 * before the nuisance knob).
 */
export interface ProbeRow {
  variant: string;
  seed: number;
  /** Items probed (a seeded sample, the same for every variant of a seed). */
  items: number;
  k: number;
  /** The world's nuisance strength (null: a world without the knob). */
  nuisance: number | null;
  agreement: Record<ProbeAttribute, number | null>;
  chance: Record<ProbeAttribute, number | null>;
  /** The embeddings file probed. */
  source: string;
}

export const PROBE_ATTRIBUTE_LABEL = {
  hueRegion: 'hue region',
  pattern: 'pattern',
  background: 'background',
  merchant: 'merchant',
  lighting: 'lighting',
} as const;
export type ProbeAttribute = keyof typeof PROBE_ATTRIBUTE_LABEL;
/** Taste attributes (users click on them) first, then the interest-irrelevant ones. */
export const TASTE_ATTRIBUTES: readonly ProbeAttribute[] = ['hueRegion', 'pattern'];
export const NUISANCE_ATTRIBUTES: readonly ProbeAttribute[] = ['background', 'merchant', 'lighting'];

/** Which worlds and which variants of a premise report play which role. */
export interface PremiseSpec {
  /** World tags. */
  worlds: { nuisance0: string; nuisanceHalf?: string; nuisance1: string; control: string; swap: string };
  /** Variant names (without the world suffix). */
  methods: { courier: string; simclr: string; simsiam: string; simclrBg: string };
  /** C0: |mean gain| allowed besides 2 standard errors, in AUC units (0.002 = 0.2 pp, the control suite's tolerance). */
  c0Tolerance: number;
}

/** A world of a multi-world suite: its folder tag, a label and the world overrides. */
export interface SuiteWorldInfo {
  tag: string;
  label: string;
  overrides: Record<string, unknown>;
}

/** Expected orderings of the paper, evaluated from the rows when the report is rendered. */
export type CheckSpec =
  /** variant a >= b on the metric (paired by seed); strict: a > b. */
  | { kind: 'order'; a: string; b: string; metric: Metric; strict: boolean; claim: string }
  /** variant a above zero. */
  | { kind: 'positive'; a: string; metric: Metric; claim: string }
  /** variant a within noise of zero (|mean| <= max(2 standard errors, tolerance)). */
  | { kind: 'near-zero'; a: string; metric: Metric; tolerance: number; claim: string }
  /** `expected` has the highest mean among `variants` (or is within noise of the best). */
  | { kind: 'best'; variants: string[]; expected: string; metric: Metric; claim: string }
  /** mean per-category ΔAUC of variant a over categories NOT used in pre-training is above zero. */
  | { kind: 'unseen-categories'; a: string; claim: string };

export interface SuiteReport {
  contract: 'experiment-report';
  version: 1;
  suite: string;
  title: string;
  /** What the suite reproduces (paper table or figure) and how. */
  description: string;
  preset: string;
  seeds: number[];
  createdAt: string;
  /** Root of the run folders; row paths are relative to it where possible. */
  runsDir: string;
  variants: VariantInfo[];
  rows: ExperimentRow[];
  maps: EmbeddingMap[];
  checks: CheckSpec[];
  /** Chart kind for the main chart: bars per variant, or a line over the variants' param (sweeps). */
  layout: 'bars' | 'sweep' | 'categories' | 'maps';
  /** Name of the sweep's parameter (x axis), e.g. "tau". */
  paramName?: string;
  /** What was run: training budgets, CTR config, seeds, backend. */
  settings: Record<string, unknown>;
  /** One ceiling per CTR report (seed); absent in reports written before ceilings existed. */
  ceilings?: CeilingRow[];
  /** Nearest-neighbour probes per variant and seed (absent in reports written before probes, and in suites without them). */
  probes?: ProbeRow[];
  /** Multi-world suites (issue #19): the worlds, in order; variants are then named `<variant>@<tag>`. */
  worlds?: SuiteWorldInfo[];
  /** The premise suite: which worlds and variants the predictions C0-C3 refer to (premise.ts evaluates them). */
  premise?: PremiseSpec;
}

/** Checks that a parsed object is a SuiteReport (keys and row fields), naming the first problem. */
export function validateSuiteReport(value: unknown, file = 'results.json'): asserts value is SuiteReport {
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!value || typeof value !== 'object') fail('expected an object');
  const r = value as Partial<SuiteReport>;
  if (r.contract !== 'experiment-report') fail(`contract: expected "experiment-report", got ${JSON.stringify(r.contract)}`);
  for (const key of ['suite', 'title', 'preset', 'runsDir'] as const) if (typeof r[key] !== 'string') fail(`${key}: expected a string`);
  for (const key of ['seeds', 'variants', 'rows', 'maps', 'checks'] as const) if (!Array.isArray(r[key])) fail(`${key}: expected an array`);
  const names = new Set((r.variants as VariantInfo[]).map((v) => v.name));
  (r.rows as ExperimentRow[]).forEach((row, i) => {
    if (!names.has(row.variant)) fail(`rows[${i}].variant: "${row.variant}" is not a variant of the suite`);
    for (const key of ['seed', 'auc', 'gauc', 'deltaAuc', 'deltaGauc'] as const) if (typeof row[key] !== 'number' || !Number.isFinite(row[key])) fail(`rows[${i}].${key}: expected a finite number`);
    if (typeof row.ctrReport !== 'string') fail(`rows[${i}].ctrReport: expected the path of a ctr-report.json`);
    for (const key of ['headroomShareAuc', 'headroomShareGauc', 'validationAuc', 'validationGauc'] as const) {
      const v = row[key];
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) fail(`rows[${i}].${key}: expected a finite number or null`);
    }
  });
  // Optional (reports from before ceilings have none).
  if (r.ceilings !== undefined) {
    if (!Array.isArray(r.ceilings)) fail('ceilings: expected an array');
    (r.ceilings as CeilingRow[]).forEach((c, i) => {
      if (!c || typeof c !== 'object') fail(`ceilings[${i}]: expected an object`);
      if (typeof c.seed !== 'number') fail(`ceilings[${i}].seed: expected a number`);
      if (typeof c.available !== 'boolean') fail(`ceilings[${i}].available: expected a boolean`);
      for (const k of ['bayes', 'noLook', 'noPosition', 'lookHeadroom'] as const) {
        const pair = c[k];
        if (!pair || typeof pair !== 'object') fail(`ceilings[${i}].${k}: expected { auc, gauc }`);
        for (const m of ['auc', 'gauc'] as const) if (pair[m] !== null && (typeof pair[m] !== 'number' || !Number.isFinite(pair[m]))) fail(`ceilings[${i}].${k}.${m}: expected a finite number or null`);
      }
    });
  }
  if (r.probes !== undefined) {
    if (!Array.isArray(r.probes)) fail('probes: expected an array');
    (r.probes as ProbeRow[]).forEach((p, i) => {
      if (!p || typeof p !== 'object') fail(`probes[${i}]: expected an object`);
      if (!names.has(p.variant)) fail(`probes[${i}].variant: "${p.variant}" is not a variant of the suite`);
      for (const key of ['seed', 'items', 'k'] as const) if (typeof p[key] !== 'number') fail(`probes[${i}].${key}: expected a number`);
      for (const part of ['agreement', 'chance'] as const) {
        if (!p[part] || typeof p[part] !== 'object') fail(`probes[${i}].${part}: expected an object`);
        for (const a of Object.keys(PROBE_ATTRIBUTE_LABEL) as ProbeAttribute[]) {
          const v = p[part][a];
          if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)) fail(`probes[${i}].${part}.${a}: expected a share in [0, 1] or null`);
        }
      }
    });
  }
}

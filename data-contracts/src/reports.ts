import { ContractError } from './errors';

/** Metadata written as run.json next to every stage output. */
export interface RunMetadata {
  contract: 'run';
  version: 1;
  stage: string;
  seed: number;
  backend: string;
  gitRevision: string | null;
  config: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  timings: Record<string, number>;
  /** Stage-specific keys (DESIGN.md lists the stable ones per stage). */
  [key: string]: unknown;
}

export type FeatureMode = 'none' | 'vector' | 'simscore' | 'cluster-id';

export interface CtrMetricsTriple {
  auc: number;
  gauc: number;
  gaucWeighted: number;
}

export interface CtrMethodResult extends CtrMetricsTriple {
  name: string;
  embeddings: string | null;
  mode: FeatureMode;
  deltaAuc: number;
  deltaGauc: number;
  seeds: number[];
  perSeed: { seed: number; auc: number; gauc: number; gaucWeighted?: number }[];
  perCategory: { category: string; auc: number | null; deltaAuc: number | null; inPretraining: boolean }[];
  [key: string]: unknown;
}

export interface CtrReport {
  contract: 'ctr-report';
  version: 1;
  baseline: CtrMetricsTriple & { [key: string]: unknown };
  methods: CtrMethodResult[];
  [key: string]: unknown;
}

export interface AmazonReportRow {
  model: string;
  features: 'original' | 'courier';
  'recall@20': number;
  'recall@50': number;
  'ndcg@50': number;
  std: Record<string, number>;
  seeds: number[];
  selectedParams: Record<string, unknown>;
  [key: string]: unknown;
}

export interface AmazonReport {
  contract: 'amazon-report';
  version: 1;
  dataset: string;
  rows: AmazonReportRow[];
  [key: string]: unknown;
}

/** The JSON kinds a report key may hold. */
export type KeyKind = 'number' | 'string' | 'array' | 'object' | 'boolean' | 'number|null' | 'string|null';

/**
 * Stable keys of the JSON reports (DESIGN.md, "the reports other tools read"): what the
 * validators check and what data-contracts/README.md lists. More keys are welcome; these must stay.
 */
export const REPORT_KEYS = {
  run: {
    contract: 'string',
    version: 'number',
    stage: 'string',
    seed: 'number',
    backend: 'string',
    gitRevision: 'string|null',
    config: 'object',
    startedAt: 'string',
    finishedAt: 'string',
    timings: 'object',
  },
  ctrReport: { contract: 'string', version: 'number', baseline: 'object', methods: 'array', ceiling: 'object' },
  ctrCeiling: { available: 'boolean', note: 'string|null', bayes: 'object', noLook: 'object', noPosition: 'object', lookHeadroom: 'object' },
  ctrMetricPair: { auc: 'number|null', gauc: 'number|null' },
  ctrBaseline: { auc: 'number', gauc: 'number', gaucWeighted: 'number' },
  ctrMethod: {
    name: 'string',
    embeddings: 'string|null',
    mode: 'string',
    auc: 'number',
    gauc: 'number',
    gaucWeighted: 'number',
    deltaAuc: 'number',
    deltaGauc: 'number',
    seeds: 'array',
    perSeed: 'array',
    perCategory: 'array',
    headroomShare: 'object',
  },
  ctrPerSeed: { seed: 'number', auc: 'number', gauc: 'number' },
  ctrPerCategory: { category: 'string', auc: 'number|null', deltaAuc: 'number|null', inPretraining: 'boolean' },
  amazonReport: { contract: 'string', version: 'number', dataset: 'string', rows: 'array' },
  amazonRow: { model: 'string', features: 'string', 'recall@20': 'number', 'recall@50': 'number', 'ndcg@50': 'number', std: 'object', seeds: 'array', selectedParams: 'object' },
} as const satisfies Record<string, Record<string, KeyKind>>;

/** Stage-specific keys of run.json that other tools read (DESIGN.md). */
export const RUN_STAGE_KEYS: Record<string, string[]> = {
  clusters: ['k', 'n', 'd', 'inertia', 'fitSeconds', 'assignSeconds', 'emptyClusters'],
  pretrain: ['backend', 'samplesPerSecond', 'finalLoss', 'steps', 'resumedFrom'],
};

export const FEATURE_MODES: readonly FeatureMode[] = ['none', 'vector', 'simscore', 'cluster-id'];

function kindMatches(kind: KeyKind, value: unknown): boolean {
  switch (kind) {
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'number|null':
      return value === null || typeof value === 'number';
    case 'string|null':
      return value === null || typeof value === 'string';
    default:
      return typeof value === kind;
  }
}

function requireKeys(file: string, obj: unknown, path: string, keys: Record<string, KeyKind>): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ContractError({ file, column: path || '(root)' }, 'an object', obj);
  const rec = obj as Record<string, unknown>;
  for (const [key, kind] of Object.entries(keys)) {
    const value = rec[key];
    if (!kindMatches(kind, value)) throw new ContractError({ file, column: path ? `${path}.${key}` : key }, `${kind === 'array' || kind === 'object' ? 'an' : 'a'} ${kind}`, value);
  }
}

function requireContract(file: string, report: { contract: unknown; version: unknown }, contract: string): void {
  if (report.contract !== contract) throw new ContractError({ file, column: 'contract' }, `"${contract}"`, report.contract);
  if (report.version !== 1) throw new ContractError({ file, column: 'version' }, 'version 1', report.version);
}

/** Validates a ctr-report.json object; throws ContractError naming the key path (e.g. `methods[2].perSeed[0].auc`). */
export function validateCtrReport(report: unknown, file = 'ctr-report.json'): asserts report is CtrReport {
  requireKeys(file, report, '', REPORT_KEYS.ctrReport);
  const r = report as CtrReport;
  requireContract(file, r, 'ctr-report');
  requireKeys(file, r.baseline, 'baseline', REPORT_KEYS.ctrBaseline);
  requireKeys(file, r.ceiling, 'ceiling', REPORT_KEYS.ctrCeiling);
  for (const k of ['bayes', 'noLook', 'noPosition', 'lookHeadroom'] as const) requireKeys(file, (r.ceiling as Record<string, unknown>)[k], `ceiling.${k}`, REPORT_KEYS.ctrMetricPair);
  r.methods.forEach((m, i) => {
    const p = `methods[${i}]`;
    requireKeys(file, m, p, REPORT_KEYS.ctrMethod);
    requireKeys(file, m.headroomShare, `${p}.headroomShare`, REPORT_KEYS.ctrMetricPair);
    if (!FEATURE_MODES.includes(m.mode)) throw new ContractError({ file, column: `${p}.mode` }, `one of ${FEATURE_MODES.join(', ')}`, m.mode);
    m.perSeed.forEach((s, j) => requireKeys(file, s, `${p}.perSeed[${j}]`, REPORT_KEYS.ctrPerSeed));
    m.perCategory.forEach((c, j) => requireKeys(file, c, `${p}.perCategory[${j}]`, REPORT_KEYS.ctrPerCategory));
  });
}

/** Validates an amazon-report.json object; throws ContractError naming the key path. */
export function validateAmazonReport(report: unknown, file = 'amazon-report.json'): asserts report is AmazonReport {
  requireKeys(file, report, '', REPORT_KEYS.amazonReport);
  const r = report as AmazonReport;
  requireContract(file, r, 'amazon-report');
  r.rows.forEach((row, i) => {
    requireKeys(file, row, `rows[${i}]`, REPORT_KEYS.amazonRow);
    if (row.features !== 'original' && row.features !== 'courier') throw new ContractError({ file, column: `rows[${i}].features` }, '"original" or "courier"', row.features);
  });
}

/** Validates a run.json object (the keys runStage writes). */
export function validateRunMetadata(meta: unknown, file = 'run.json'): asserts meta is RunMetadata {
  requireKeys(file, meta, '', REPORT_KEYS.run);
  const m = meta as RunMetadata;
  requireContract(file, m, 'run');
  for (const [k, v] of Object.entries(m.timings)) {
    if (typeof v !== 'number' || !(v >= 0)) throw new ContractError({ file, column: `timings.${k}` }, 'seconds (a number >= 0)', v);
  }
}

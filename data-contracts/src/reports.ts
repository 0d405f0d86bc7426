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

function requireKeys(file: string, obj: unknown, path: string, keys: Record<string, 'number' | 'string' | 'array' | 'object' | 'boolean' | 'number|null'>): void {
  if (obj === null || typeof obj !== 'object') throw new ContractError({ file, column: path || '(root)' }, 'an object', obj);
  const rec = obj as Record<string, unknown>;
  for (const [key, kind] of Object.entries(keys)) {
    const value = rec[key];
    const where = { file, column: path ? `${path}.${key}` : key };
    const ok =
      kind === 'array'
        ? Array.isArray(value)
        : kind === 'object'
          ? value !== null && typeof value === 'object' && !Array.isArray(value)
          : kind === 'number|null'
            ? value === null || typeof value === 'number'
            : typeof value === kind;
    if (!ok) throw new ContractError(where, `a ${kind}`, value);
  }
}

/** Validates a ctr-report.json object; throws ContractError naming the key. */
export function validateCtrReport(report: unknown, file = 'ctr-report.json'): asserts report is CtrReport {
  requireKeys(file, report, '', { contract: 'string', version: 'number', baseline: 'object', methods: 'array' });
  const r = report as CtrReport;
  if (r.contract !== 'ctr-report') throw new ContractError({ file, column: 'contract' }, '"ctr-report"', r.contract);
  requireKeys(file, r.baseline, 'baseline', { auc: 'number', gauc: 'number', gaucWeighted: 'number' });
  r.methods.forEach((m, i) => {
    const p = `methods[${i}]`;
    requireKeys(file, m, p, { name: 'string', mode: 'string', auc: 'number', gauc: 'number', gaucWeighted: 'number', deltaAuc: 'number', deltaGauc: 'number', seeds: 'array', perSeed: 'array', perCategory: 'array' });
    if (!['none', 'vector', 'simscore', 'cluster-id'].includes(m.mode)) throw new ContractError({ file, column: `${p}.mode` }, 'one of none, vector, simscore, cluster-id', m.mode);
  });
}

/** Validates an amazon-report.json object; throws ContractError naming the key. */
export function validateAmazonReport(report: unknown, file = 'amazon-report.json'): asserts report is AmazonReport {
  requireKeys(file, report, '', { contract: 'string', version: 'number', dataset: 'string', rows: 'array' });
  const r = report as AmazonReport;
  if (r.contract !== 'amazon-report') throw new ContractError({ file, column: 'contract' }, '"amazon-report"', r.contract);
  r.rows.forEach((row, i) => {
    requireKeys(file, row, `rows[${i}]`, { model: 'string', features: 'string', 'recall@20': 'number', 'recall@50': 'number', 'ndcg@50': 'number', std: 'object', seeds: 'array', selectedParams: 'object' });
  });
}

/** Validates a run.json object. */
export function validateRunMetadata(meta: unknown, file = 'run.json'): asserts meta is RunMetadata {
  requireKeys(file, meta, '', { contract: 'string', stage: 'string', seed: 'number', backend: 'string', config: 'object', startedAt: 'string', finishedAt: 'string', timings: 'object' });
}

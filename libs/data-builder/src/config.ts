import type { ConfigOf, ConfigSchema } from '@courier/runtime';

/**
 * DuckDB's default memory limit: below what a 1e6-row log's steps take (~200 MiB), so peak RSS is
 * the same at 1e6 and 4e6 rows (about Node + the limit + ~60 MiB DuckDB keeps outside it).
 */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '160MB';

/** Config keys of `nx run data:build` (flat camelCase; --seed, --out, --world are flags). */
export const DATA_BUILDER_SCHEMA = {
  lPv: { default: 5, doc: 'PV items kept per pre-training sample, positives first (paper l_pv)', integer: true, min: 1 },
  lClick: { default: 5, doc: 'latest clicks kept as the pre-training history (paper l_click)', integer: true, min: 1 },
  negativeRate: { default: 0.2, doc: 'share of unclicked PV items kept in pre-training samples, 0 to 1 (paper: 20%, a compute saving in its CTR data; 1 = keep all)', min: 0, max: 1 },
  maxHistory: { default: 50, doc: 'most recent clicks kept as a CTR sample history', integer: true, min: 1 },
  ctrNegativeRate: { default: 1, doc: 'share of unclicked CTR-train impressions kept (eval rows never down-sampled)', min: 0, max: 1 },
  pretrainCategories: { default: null, type: 'array', doc: "categories of the pre-training samples; null = world.json's inPretraining categories (all when there is no world.json)" },
  pretrainHistoryScope: { default: 'pretrain-categories', doc: 'pre-training histories: clicks on pre-training categories only, or all clicks', choices: ['pretrain-categories', 'all'] },
  pretrainDays: { default: null, type: 'array', doc: 'pre-training days; null = from world.json' },
  ctrTrainDays: { default: null, type: 'array', doc: 'CTR training days; null = from world.json' },
  evalDay: { default: null, type: 'number', doc: 'evaluation day; null = from world.json' },
  validateOutput: { default: true, doc: 'validate every output row against its contract before writing (js engine; the duckdb engine checks its input instead)' },
  duckdbMemoryLimit: { default: DEFAULT_DUCKDB_MEMORY_LIMIT, doc: "duckdb engine: DuckDB's memory limit; beyond it DuckDB spills to a temporary folder (outputs do not depend on it)" },
  engine: { default: 'duckdb', doc: "'duckdb' (SQL in embedded DuckDB, falls back to js when the binding cannot load) or 'js' (streaming TypeScript core); identical outputs", choices: ['duckdb', 'js'] },
} as const satisfies ConfigSchema;

/**
 * The data builder's configuration (every key of DATA_BUILDER_SCHEMA, typed by it). The schema
 * checks the list keys only as arrays (or null); their element types are stated here by hand,
 * as ConfigOf types a nullable array as unknown[] | null.
 */
export type DataBuilderConfig = Omit<ConfigOf<typeof DATA_BUILDER_SCHEMA>, 'pretrainCategories' | 'pretrainDays' | 'ctrTrainDays'> & {
  pretrainCategories: string[] | null;
  pretrainDays: number[] | null;
  ctrTrainDays: number[] | null;
};

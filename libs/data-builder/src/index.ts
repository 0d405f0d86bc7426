// Public API of @courier/data-builder: PV grouping, click histories, down-sampling, splits.
export { buildSamples, formatStats } from './build';
export type { BuildSamplesOptions, BuildStats } from './build';
export { SampleCore, keepCoin, keepCoinBase } from './core';
export { DUCKDB_DIALECT, SPARK_DIALECT, TRINO_DIALECT, keepHashSteps, outputQueries, samplesSteps, statsQueries } from './sql';
export type { SamplesSqlParams, SqlDialect, SqlStep } from './sql';
export { loadDuckDb } from './duckdb-engine';
export type { CoreOptions, CoreSink, CoreStats, RejectReason } from './core';
export { DATA_BUILDER_SCHEMA } from './config';
export type { DataBuilderConfig } from './config';
export { DATA_STAGE } from './stage-definition';

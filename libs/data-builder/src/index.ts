// Public API of @courier/data-builder: PV grouping, click histories, down-sampling, splits.
export { buildSamples, formatStats } from './build';
export type { BuildSamplesOptions, BuildStats } from './build';
export { SampleCore, keepCoin } from './core';
export type { CoreOptions, CoreSink, CoreStats, RejectReason } from './core';
export { DATA_BUILDER_SCHEMA } from './config';
export type { DataBuilderConfig } from './config';

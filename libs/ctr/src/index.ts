// Public API of @courier/ctr: the CTR model with self-attention history and image-feature modes,
// training, evaluation (AUC, GAUC, per category, ceiling rows) and the ctr stage. Named exports
// only: helpers the specs test (gatherRows, principalScores, clusterCentroids, pageViewGroups...)
// are imported from their modules; the fixture is `@courier/ctr/testing`.
export { CTR_MODEL_SCHEMA, DEFAULT_CTR_CONFIG, checkCtrConfig, resolveCtrConfig, type CtrConfig } from './config';
export { catalogueFromItems, loadCatalogue, loadCtrSamples, splitFromSamples, splitValidation, type Catalogue, type CtrData, type CtrRejects, type CtrSplit } from './data';
export { loadImageFeatures, type ImageFeatureOptions, type ImageFeatures, type ImageMode } from './image-features';
export { buildBatch, buildItemFeatures, buildVocab, type Batch, type BatchOptions, type ItemFeatureTable, type Vocab } from './features';
export { CtrModel, type ModelShape, type VariableSnapshot } from './model';
export { checkpointOf, evaluateScores, predictCtr, restoreCtr, trainCtr, type CtrCheckpoint, type CtrEvaluation, type EpochPoint, type TrainOptions, type TrainedCtr } from './train';
export { formatCtrTable, runCtrExperiment, type ExperimentOptions, type ExperimentResult, type FeatureSet, type SeedRun } from './experiment';
export { MIN_HEADROOM, headroomShare, type CtrCeiling, type MetricPair } from './ceiling';
export { CTR_CONFIG_SCHEMA, parseFeatureSets, runCtrEvaluateStage, runCtrFromCheckpoints, type CtrStageOptions, type FeatureSetRequest } from './stage';
export { CTR_STAGE } from './stage-definition';
export type { CtrComposeOptions } from './stage-definition';

// Public API of @courier/courier: the COURIER loss, trainer, pre-training stage and the
// pre-training baselines' stage. Named exports only: what other libraries, apps and tools use,
// and the types of their signatures. The backbone registry, optimiser, checkpoint writing,
// export, the float64 loss references and the baselines' losses, augmentations and heads stay in
// their modules (the specs import them there); golden vectors and fixtures are in
// @courier/courier/testing.
export { DEFAULT_LOSS_OPTIONS, courierLoss } from './loss';
export type { AttentionProjectionParams, CourierLossInputs, CourierLossOptions, CourierLossResult, CtrHeadParams } from './loss';
export { toInput } from './backbones/backbone';
export type { Backbone, BackboneInput, BackboneInputKind } from './backbones/backbone';
export { saveLayersModelToDir } from './backbones/layers-model';
export { AUTHORS_CODE_PRESET, PRETRAIN_CONFIG_SCHEMA, defaultPretrainConfig, validatePretrainConfig } from './config';
export type { PretrainConfig } from './config';
export { featureItems, imageItemsFromCatalogue } from './items';
export type { ImageItemsOptions, ItemInputs } from './items';
export { parquetSamples } from './samples';
export type { SampleSource } from './samples';
export { readCheckpoint } from './checkpoint';
export type { Checkpoint, CheckpointHeader } from './checkpoint';
export { CHECKPOINT_FILE, loadBackboneFromCheckpoint, resolveInitCheckpoint, trainCourier } from './trainer';
export type { StepInfo, TrainOptions, TrainResult } from './trainer';
export { chanceAgreement, embeddingSpread, neighbourAgreement, untrainedConfig } from './eval';
export { EMBEDDINGS_FILE, pretrainResumeConfig, runPretrainTrainStage } from './stage';
export type { PretrainTrainStageOptions } from './stage';
export { BASELINE_STAGE, PRETRAIN_STAGE } from './stage-definition';
export type { BaselineTrainComposeOptions, PretrainTrainComposeOptions } from './stage-definition';
export { BASELINE_CONFIG_SCHEMA, defaultBaselineConfig, readCatalogue, readPretrainScope, trainBaseline, trainBaselineModel, trainingItemIds } from './baselines';
export type { BaselineConfig, BaselineMethod, BaselineModelOptions, BaselineModelResult, BaselineStepInfo, PretrainScope, TrainBaselineOptions } from './baselines';

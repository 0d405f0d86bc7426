// Public API of @courier/courier: the COURIER loss, trainer and pre-training stage. Named exports
// only: what other libraries, apps and tools use, and the types of their signatures. The
// backbones, optimiser, checkpoint format, item inputs, sample streams and export it trains with
// are @courier/nn's; the pre-training baselines are @courier/baselines. The float64 loss
// references stay in their module (the specs import them there); golden vectors and fixtures are
// in @courier/courier/testing.
export { DEFAULT_LOSS_OPTIONS, courierLoss } from './loss';
export type { AttentionProjectionParams, CourierLossInputs, CourierLossOptions, CourierLossResult, CtrHeadParams } from './loss';
export { AUTHORS_CODE_PRESET, PRETRAIN_CONFIG_SCHEMA, defaultPretrainConfig, validatePretrainConfig } from './config';
export type { PretrainConfig } from './config';
export { CHECKPOINT_FILE, loadBackboneFromCheckpoint, resolveInitCheckpoint, trainCourier } from './trainer';
export type { StepInfo, TrainOptions, TrainResult } from './trainer';
export { chanceAgreement, embeddingSpread, neighbourAgreement, untrainedConfig } from './eval';
export { EMBEDDINGS_FILE, pretrainResumeConfig, runPretrainTrainStage } from './stage';
export type { PretrainTrainStageOptions } from './stage';
export { PRETRAIN_STAGE } from './stage-definition';
export type { PretrainTrainComposeOptions } from './stage-definition';

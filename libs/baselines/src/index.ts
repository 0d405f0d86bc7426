// Public API of @courier/baselines: the pre-training baselines' stage (SimCLR, SimSiam, CLIP,
// MaskCLIP, Supervised). Named exports only: what apps and tools use, and the types of their
// signatures. The losses, float64 loss references, augmentations, masking, heads and title encoder
// stay in their modules (the specs import them there).
export { BASELINE_CONFIG_SCHEMA, defaultBaselineConfig } from './config';
export type { BaselineConfig, BaselineMethod } from './config';
export { readCatalogue, readPretrainScope, trainingItemIds } from './data';
export type { PretrainScope } from './data';
export { trainBaselineModel } from './train';
export type { BaselineModelOptions, BaselineModelResult, BaselineStepInfo } from './train';
export { BASELINE_BACKBONE_FILE, trainBaseline } from './stage';
export type { TrainBaselineOptions } from './stage';
export { BASELINE_STAGE } from './stage-definition';
export type { BaselineTrainComposeOptions } from './stage-definition';

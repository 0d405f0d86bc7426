// Public API of the pre-training baselines (SimCLR, SimSiam, CLIP, MaskCLIP, Supervised), re-exported by
// @courier/courier.
export * from './config';
export * from './losses';
export * from './loss-reference';
export * from './augment';
export { makeMlpHead } from './heads';
export type { Head, MlpHeadOptions } from './heads';
export { TitleVocabulary, makeTitleEncoder, tokenize } from './text';
export { MASK_FILL, maskFeatures, maskImages, maskTitle, patchMask } from './masking';
export type { TitleEncoder, TitleEncoderOptions } from './text';
export { readCatalogue, readPretrainScope, trainingItemIds } from './data';
export type { PretrainScope } from './data';
export { trainBaselineModel } from './train';
export type { BaselineModelOptions, BaselineModelResult, BaselineStepInfo } from './train';
export { trainBaseline, BASELINE_EMBEDDINGS_FILE, BASELINE_REJECTS_FILE, BASELINE_BACKBONE_FILE } from './stage';
export type { TrainBaselineOptions } from './stage';

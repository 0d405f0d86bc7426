// Public API of @courier/nn: neural-network parts shared by the COURIER trainer and baselines,
// the CTR model and the Amazon benchmark models.
export { gatherRows } from './gather';
export { fans, fillNormal, fillUniform, glorotNormal, glorotUniform, heNormal, heUniform, normal, ones, uniform, zeros, type NormalOptions, type RandomSource } from './init';
export { addDense, dense, l2NormalizeRows, type DenseInit, type DenseParams, type L2NormalizeOptions } from './layers';
export { VariableStore, type NamedVariable, type VariableValues } from './store';
// Backbones (image or feature vector -> embedding), the seeded variable store and layers they are
// built from, Adam, the checkpoint format, item inputs, pre-training sample streams and the
// embedding export: what the COURIER trainer and the pre-training baselines both train with.
// The registry starts with the built-in backbones (cnn, mlp-pixels, mlp-features, layers-model,
// layers-model-features) on its first lookup; importing @courier/nn registers nothing.
export { SeededVariableStore, checkInput, denseLayer, l2Normalize, toInput, type Backbone, type BackboneEntry, type BackboneInput, type BackboneInputKind, type Dense } from './backbones/backbone';
export { createBackbone, getBackboneEntry } from './backbones/registry';
export { saveLayersModelToDir } from './backbones/layers-model';
export { Adam, type AdamOptions, type AdamState } from './optimizer';
export { BACKBONE_CHECKPOINT_FILE, readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointHeader } from './checkpoint';
export { exportEmbeddings, type ExportOptions, type ExportResult } from './export';
export { featureItems, imageItemsFromCatalogue, inMemoryItems, itemInputSize, type ImageItemsOptions, type ItemInputs } from './items';
export { arraySamples, epochOrder, parquetSamples, planBatch, validSamples, type EncodedBatchPlan, type SampleSource } from './samples';

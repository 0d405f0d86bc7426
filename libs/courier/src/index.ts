// Public API of @courier/courier: backbones, user-intention reconstruction, losses, trainer, export.
export * from './loss';
export { courierLossReference } from './loss-reference';
export type { ReferenceAttentionParams, ReferenceCtrHead, ReferenceLossInputs, ReferenceLossResult } from './loss-reference';
export * from './backbones/backbone';
export { CNN_BACKBONE } from './backbones/cnn';
export { MLP_PIXELS_BACKBONE, MLP_FEATURES_BACKBONE } from './backbones/mlp';
export { LAYERS_MODEL_BACKBONE, LAYERS_MODEL_FEATURES_BACKBONE, loadLayersModelFromDir, saveLayersModelToDir } from './backbones/layers-model';
export { BUILTIN_BACKBONES, registerBuiltinBackbones } from './backbones/register-all';
export * from './config';
export * from './items';
export * from './samples';
export * from './optimizer';
export * from './checkpoint';
export * from './trainer';
export * from './export';
export * from './eval';
export * from './stage';
export * from './baselines';

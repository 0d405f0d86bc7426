// The built-in backbones, in registration order. The registry (registry.ts) registers them itself
// on its first use, so importing @courier/nn (or this file) registers nothing.
import { CNN_BACKBONE } from './cnn';
import { LAYERS_MODEL_BACKBONE, LAYERS_MODEL_FEATURES_BACKBONE } from './layers-model';
import { MLP_FEATURES_BACKBONE, MLP_PIXELS_BACKBONE } from './mlp';

export const BUILTIN_BACKBONES = [CNN_BACKBONE, MLP_PIXELS_BACKBONE, MLP_FEATURES_BACKBONE, LAYERS_MODEL_BACKBONE, LAYERS_MODEL_FEATURES_BACKBONE];

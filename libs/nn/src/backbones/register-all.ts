// Side effect: registers every built-in backbone (STYLE guideline 5). Import once; idempotent.
import { backboneNames, registerBackbone } from './backbone';
import { CNN_BACKBONE } from './cnn';
import { LAYERS_MODEL_BACKBONE, LAYERS_MODEL_FEATURES_BACKBONE } from './layers-model';
import { MLP_FEATURES_BACKBONE, MLP_PIXELS_BACKBONE } from './mlp';

export const BUILTIN_BACKBONES = [CNN_BACKBONE, MLP_PIXELS_BACKBONE, MLP_FEATURES_BACKBONE, LAYERS_MODEL_BACKBONE, LAYERS_MODEL_FEATURES_BACKBONE];

export function registerBuiltinBackbones(): void {
  const known = new Set(backboneNames());
  for (const entry of BUILTIN_BACKBONES) if (!known.has(entry.name)) registerBackbone(entry);
}

registerBuiltinBackbones();

/**
 * Configuration of the pre-training baselines (SimCLR, SimSiam, CLIP, MaskCLIP, Supervised): every key with
 * its default and meaning, as a resolveConfig schema. Backbone, d and optimiser mirror the COURIER
 * trainer (same registry, same Adam) so that the embeddings differ only by the objective.
 * `null` defaults mean "the method's own default" (see `methodDefaults`).
 */
import { ConfigOf, ConfigSchema, configDefaults } from '@courier/runtime';

export const BASELINE_METHODS = ['simclr', 'simsiam', 'clip', 'maskclip', 'supervised'] as const;
export type BaselineMethod = (typeof BASELINE_METHODS)[number];

export const BASELINE_CONFIG_SCHEMA = {
  backbone: { default: 'cnn', doc: 'image backbone from the registry: cnn, mlp-pixels, mlp-features (feature inputs), layers-model' },
  backboneParams: { default: {}, type: 'object', doc: 'backbone-specific parameters, e.g. {"channels": [16, 32, 64]} (cnn), {"hidden": [256]} (mlp-*)' },
  dim: { default: 256, integer: true, min: 1, doc: 'embedding size d (the backbone head output; this is what is exported)' },
  imageSize: { default: 32, integer: true, min: 4, doc: 'side of the square image fed to image backbones, pixels' },
  batchSize: { default: 128, integer: true, min: 2, doc: 'images per batch (simclr/simsiam: 2 views each; clip, maskclip: image-title pairs) or page views per batch (supervised)' },
  epochs: { default: null, type: 'number', integer: true, min: 1, doc: 'passes over the training data; null = method default: 30 over the images (simclr, simsiam, clip, maskclip), 4 over the page views (supervised)' },
  steps: { default: 0, integer: true, min: 0, doc: 'optimiser steps; 0 = epochs x batches per epoch' },
  lr: { default: 1e-3, min: 0, doc: 'Adam learning rate (same optimiser as the COURIER trainer)' },
  weightDecay: { default: 1e-6, min: 0, doc: 'weight decay' },
  weightDecayMode: { default: 'l2', choices: ['l2', 'decoupled'], doc: 'l2 = added to the gradient (torch Adam), decoupled = AdamW' },
  tau: { default: null, type: 'number', min: 0, doc: 'temperature; null = method default: simclr 0.2, clip and maskclip 0.1 (the paper\'s tuned values); unused by simsiam/supervised' },
  projectionHidden: { default: 256, integer: true, min: 1, doc: 'hidden width of the simclr projection head / simsiam projector (loss only, not exported)' },
  projectionDim: { default: 128, integer: true, min: 1, doc: 'output width of the simclr projection head / simsiam projector' },
  predictorHidden: { default: 64, integer: true, min: 1, doc: 'bottleneck width of the simsiam predictor (projectionDim -> predictorHidden -> projectionDim)' },
  cropScaleMin: { default: 0.08, min: 0, max: 1, doc: 'random resized crop: smallest crop area as a fraction of the image (SimCLR: 0.08)' },
  cropScaleMax: { default: 1, min: 0, max: 1, doc: 'random resized crop: largest crop area fraction' },
  cropRatioMin: { default: 0.75, min: 0, doc: 'random resized crop: smallest aspect ratio w/h' },
  cropRatioMax: { default: 4 / 3, min: 0, doc: 'random resized crop: largest aspect ratio w/h' },
  flipProb: { default: 0.5, min: 0, max: 1, doc: 'probability of a horizontal flip' },
  jitterProb: { default: 0.8, min: 0, max: 1, doc: 'probability of colour jitter (SimCLR: 0.8)' },
  jitterStrength: { default: 0.5, min: 0, doc: 'colour jitter strength s: brightness/contrast/saturation 0.8s, hue 0.2s (SimCLR CIFAR: 0.5)' },
  grayscaleProb: { default: 0.2, min: 0, max: 1, doc: 'probability of converting a view to grey (SimCLR: 0.2)' },
  backgroundAugmentProb: { default: 0, min: 0, max: 1, doc: 'simclr/simsiam: probability that a view gets a random background colour (largest smooth region reaching the border, recoloured before the crop; augment.ts); 0 = off (issue #19, C3)' },
  backgroundTolerance: { default: 0.12, min: 0, doc: 'background randomisation: RGB colour distance ([0, 1] units) between neighbours of one smooth region (the background is the largest region reaching the border band)' },
  backgroundBand: { default: 0.2, min: 0, max: 0.5, doc: 'background randomisation: border band (fraction of the side) the background region must reach' },
  featureDropout: { default: 0.2, min: 0, max: 0.99, doc: 'feature backbones only: share of features zeroed per view (inverted dropout)' },
  featureNoise: { default: 0.1, min: 0, doc: 'feature backbones only: Gaussian noise per view, as a multiple of the row RMS' },
  clipAugment: { default: false, doc: 'clip, maskclip: random resized crop + flip on the image (false = the plain image)' },
  textEmbedDim: { default: 64, integer: true, min: 1, doc: 'clip, maskclip: token embedding size of the title encoder' },
  textHidden: { default: 256, integer: true, min: 1, doc: 'clip, maskclip: hidden width of the title MLP (mean token embedding -> hidden -> d)' },
  maxVocab: { default: 5000, integer: true, min: 1, doc: 'clip, maskclip: most frequent title tokens kept (the rest share one out-of-vocabulary id)' },
  maskRatio: { default: 0.5, min: 0, max: 0.95, doc: 'maskclip: share of the image patches greyed out in the student view (feature backbones: share of features zeroed)' },
  maskPatch: { default: 4, integer: true, min: 1, doc: 'maskclip: side of a masked square patch, pixels' },
  textMaskRatio: { default: 0.3, min: 0, max: 0.95, doc: 'maskclip: share of the title tokens dropped in the student view' },
  distillWeight: { default: 1, min: 0, doc: 'maskclip: weight of each self-distillation loss (image, text) next to the CLIP loss' },
  distillHidden: { default: 256, integer: true, min: 1, doc: 'maskclip: hidden width of the distillation predictors (d -> hidden -> d, loss only)' },
  teacherMomentum: { default: 0.99, min: 0, max: 1, doc: 'maskclip: EMA momentum of the teacher encoders (teacher = m teacher + (1 - m) student after every step)' },
  supervisedHidden: { default: 64, integer: true, min: 1, doc: 'supervised: hidden width of the click head over [e_item, mean e_history, e_item * mean e_history]' },
  itemScope: { default: 'pretrain-categories', choices: ['pretrain-categories', 'all'], doc: 'simclr/simsiam/clip/maskclip training images: items of world.json inPretraining categories, or all items' },
  excludeFutureItems: { default: true, doc: 'simclr/simsiam/clip/maskclip: drop items whose first_day is after the last pre-training day (COURIER cannot see them either)' },
  shuffleBuffer: { default: 10000, integer: true, min: 1, doc: 'supervised: samples in the seeded shuffle buffer' },
  exportBatchSize: { default: 256, integer: true, min: 1, doc: 'items per batch when exporting embeddings' },
  imageCacheEntries: { default: 8192, integer: true, min: 1, doc: 'decoded images kept in memory (LRU)' },
} as const satisfies ConfigSchema;

/** The baselines' configuration (every key of BASELINE_CONFIG_SCHEMA, typed by it); its augmentation keys (crop, flip, jitter, grayscale) make it an ImageAugmentOptions. */
export type BaselineConfig = ConfigOf<typeof BASELINE_CONFIG_SCHEMA>;

/** Schema defaults as a typed object, with overrides (unknown keys are an error). */
export function defaultBaselineConfig(overrides: Partial<BaselineConfig> = {}): BaselineConfig {
  for (const k of Object.keys(overrides)) {
    if (!(k in BASELINE_CONFIG_SCHEMA)) throw new Error(`baseline config: unknown key "${k}"; valid keys: ${Object.keys(BASELINE_CONFIG_SCHEMA).join(', ')}`);
  }
  return { ...configDefaults(BASELINE_CONFIG_SCHEMA), ...overrides };
}

export interface MethodDefaults {
  epochs: number;
  tau: number;
}

/** What the null keys mean per method. */
export function methodDefaults(method: BaselineMethod): MethodDefaults {
  switch (method) {
    case 'simclr':
      return { epochs: 30, tau: 0.2 };
    case 'simsiam':
      return { epochs: 30, tau: 0 };
    case 'clip':
    case 'maskclip':
      return { epochs: 30, tau: 0.1 };
    case 'supervised':
      return { epochs: 4, tau: 0 };
  }
}

/** Methods that pair each training image with its item title (clip, maskclip). */
export function usesTitles(method: BaselineMethod): boolean {
  return method === 'clip' || method === 'maskclip';
}

export function checkMethod(method: string): BaselineMethod {
  if (!(BASELINE_METHODS as readonly string[]).includes(method)) throw new Error(`baseline: unknown method "${method}"; known: ${BASELINE_METHODS.join(', ')}`);
  return method as BaselineMethod;
}

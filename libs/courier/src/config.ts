/**
 * Trainer configuration: every key with its default and meaning (resolveConfig schema). The
 * defaults follow the paper (appendix E): Adam, lr 1e-4, weight decay 1e-6, d = 256, tau = 0.05,
 * single-head cross-attention, UCS loss on, no projection head.
 */
import type { ConfigSchema } from '@courier/runtime';
import type { CourierLossOptions } from './loss';

export interface PretrainConfig {
  backbone: string;
  backboneParams: Record<string, unknown>;
  dim: number;
  imageSize: number;
  projectionHead: boolean;
  normalizeBeforeLoss: boolean;
  batchSize: number;
  epochs: number;
  steps: number;
  lr: number;
  weightDecay: number;
  weightDecayMode: 'l2' | 'decoupled';
  tau: number;
  heads: number;
  scaleBySqrtD: boolean;
  useUcs: boolean;
  contrastive: boolean;
  attention: 'cross' | 'self';
  useNegPv: boolean;
  dedupeImages: boolean;
  shuffleBuffer: number;
  checkpointEvery: number;
  checkpointSeconds: number;
  exportBatchSize: number;
  imageCacheEntries: number;
  seed: number;
}

export const PRETRAIN_CONFIG_SCHEMA: ConfigSchema = {
  backbone: { default: 'cnn', doc: 'image backbone: cnn, mlp-pixels, mlp-features, layers-model, layers-model-features' },
  backboneParams: { default: {}, type: 'object', doc: 'backbone-specific parameters, e.g. {"channels": [16, 32, 64]} (cnn), {"hidden": [256]} (mlp-*), {"modelDir": "..."} (layers-model)' },
  dim: { default: 256, integer: true, min: 1, doc: 'embedding size d (the linear head output)' },
  imageSize: { default: 32, integer: true, min: 4, doc: 'side of the square image fed to image backbones, pixels' },
  projectionHead: { default: false, doc: 'train through an MLP projection head (d->d->d) used only for the loss; the exported embedding is before it (paper: hurts)' },
  normalizeBeforeLoss: { default: false, doc: 'L2-normalise embeddings before the attention (the cosine in the loss normalises either way)' },
  batchSize: { default: 64, integer: true, min: 2, doc: 'page views per batch; all their PV items are in-batch negatives (larger is better)' },
  epochs: { default: 1, integer: true, min: 1, doc: 'passes over the samples (ignored when steps > 0)' },
  steps: { default: 0, integer: true, min: 0, doc: 'optimiser steps; 0 = epochs x batches per epoch' },
  lr: { default: 1e-4, min: 0, doc: 'Adam learning rate' },
  weightDecay: { default: 1e-6, min: 0, doc: 'weight decay' },
  weightDecayMode: { default: 'l2', choices: ['l2', 'decoupled'], doc: 'l2 = added to the gradient (torch.optim.Adam), decoupled = AdamW' },
  tau: { default: 0.05, min: 0, doc: 'temperature of the contrastive softmax' },
  heads: { default: 1, integer: true, min: 1, doc: 'attention heads (d split into heads, no projections); paper: 1' },
  scaleBySqrtD: { default: true, doc: 'divide attention logits by sqrt(d / heads)' },
  useUcs: { default: true, doc: 'add the user-click-sequence loss (ablation "w/o UCS" = false)' },
  contrastive: { default: true, doc: 'contrastive PV/UCS loss; false = mean 1 - cos over positives (ablation "w/o Contrast", collapses)' },
  attention: { default: 'cross', choices: ['cross', 'self'], doc: 'cross = user-intention reconstruction; self = pooled self-attention over the history (ablation "w/o Reconstruction")' },
  useNegPv: { default: true, doc: 'unclicked PV items in the softmax denominator (ablation "w/o Neg PV" = false)' },
  dedupeImages: { default: true, doc: 'encode each distinct image once per batch and gather its embedding into every slot' },
  shuffleBuffer: { default: 10000, integer: true, min: 1, doc: 'samples in the seeded shuffle buffer' },
  checkpointEvery: { default: 200, integer: true, min: 0, doc: 'steps between checkpoints (0 = only at the end)' },
  checkpointSeconds: { default: 60, min: 0, doc: 'also checkpoint when this many seconds passed since the last save (0 = off); a checkpoint holds the whole state, so results do not depend on when it is taken' },
  exportBatchSize: { default: 256, integer: true, min: 1, doc: 'items per batch when exporting embeddings' },
  imageCacheEntries: { default: 8192, integer: true, min: 1, doc: 'decoded images kept in memory (LRU)' },
  seed: { default: 0, integer: true, min: 0, doc: 'seed of weight initialisation and data order' },
};

/** Defaults as a typed object (schema defaults). */
export function defaultPretrainConfig(overrides: Partial<PretrainConfig> = {}): PretrainConfig {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(PRETRAIN_CONFIG_SCHEMA)) out[k] = structuredClone(spec.default);
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in PRETRAIN_CONFIG_SCHEMA)) throw new Error(`pretrain config: unknown key "${k}"`);
    out[k] = v;
  }
  return out as unknown as PretrainConfig;
}

export function lossOptionsOf(config: PretrainConfig): CourierLossOptions {
  return {
    tau: config.tau,
    scaleBySqrtD: config.scaleBySqrtD,
    useUcs: config.useUcs,
    contrastive: config.contrastive,
    attention: config.attention,
    useNegPv: config.useNegPv,
    heads: config.heads,
  };
}

/** Keys that may change between a checkpoint and its resumption (they do not change the math). */
export const RESUMABLE_CONFIG_KEYS: readonly (keyof PretrainConfig)[] = ['checkpointEvery', 'checkpointSeconds', 'exportBatchSize', 'imageCacheEntries', 'steps', 'epochs'];

/**
 * Trainer configuration: every key with its default and meaning (resolveConfig schema). The
 * defaults follow the paper (appendix E): Adam, lr 1e-4, weight decay 1e-6, d = 256, tau = 0.05,
 * single-head cross-attention, UCS loss on, no projection head.
 *
 * Keys marked "authors' code" (issue #18) reproduce what the released implementation
 * (ThyrixYang/COURIER: pl_module_base.py, pl_module_ctr.py, configs/base+remote_ctr.yaml) does
 * beyond the paper's text; their defaults keep the paper-text behaviour bit for bit.
 */
import { ConfigOf, ConfigSchema, configDefaults } from '@courier/runtime';
import type { CourierLossOptions } from './loss';

export const PRETRAIN_CONFIG_SCHEMA = {
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
  heads: { default: null, type: 'number', integer: true, min: 1, doc: 'attention heads (d split into heads); null = 1 (paper text), or 4 with attentionProjections (authors\' code); must divide dim' },
  attentionProjections: { default: false, doc: 'learned Q/K/V/O projections around the attention, multi-head, logits / sqrt(d / heads) (authors\' code: nn.MultiheadAttention(d, 4)); false = none, the reconstruction lies in the simplex of the history (paper text)' },
  scaleBySqrtD: { default: true, doc: 'divide attention logits by sqrt(d / heads)' },
  useUcs: { default: true, doc: 'add the user-click-sequence loss (ablation "w/o UCS" = false)' },
  contrastive: { default: true, doc: 'contrastive PV/UCS loss; false = mean 1 - cos over positives (ablation "w/o Contrast", collapses)' },
  attention: { default: 'cross', choices: ['cross', 'self'], doc: 'cross = user-intention reconstruction; self = pooled self-attention over the history (ablation "w/o Reconstruction")' },
  useNegPv: { default: true, doc: 'unclicked PV items in the softmax denominator (ablation "w/o Neg PV" = false)' },
  ucsTemperature: { default: null, type: 'number', doc: 'temperature of the UCS term; null = tau (paper text); authors\' code: 20 (its UCS logits are cos / 20, far weaker than the PV term\'s cos x 20); > 0' },
  ucsWeight: { default: 1, min: 0, doc: 'weight of the UCS term in the total (paper text and authors\' code: 1)' },
  ucsTarget: { default: 'latest', choices: ['latest', 'first'], doc: 'UCS target: latest = the most recent real history item (paper text), first = the oldest (authors\' code: history index 0)' },
  maskSameItemNegatives: { default: false, doc: 'drop in-batch negatives showing the positive\'s own item id (another page view or history slot) from its softmax (neither reading; our data: the same item often sits in another page view of the batch)' },
  ctrHeadWeight: { default: 0, min: 0, doc: 'weight of the auxiliary CTR head: an MLP on [R_j, E_pv_j] with BCE on every real PV item, its gradient reaching the backbone (authors\' code: 1.0; paper text: 0 = no head)' },
  ctrHeadHidden: { default: 1024, integer: true, min: 1, doc: 'hidden units of the auxiliary CTR head (authors\' code: 1024, there followed by BatchNorm, which we leave out); used only when ctrHeadWeight > 0' },
  initFrom: { default: null, type: 'string', doc: 'initialise the backbone from a checkpoint of another run (a COURIER checkpoint.ckpt, a baseline\'s backbone.ckpt, or their folder): the stand-in for the paper\'s ImageNet weights; null = the seeded random init. Backbone, dim, imageSize and backboneParams must match' },
  dedupeImages: { default: true, doc: 'encode each distinct image once per batch and gather its embedding into every slot' },
  shuffleBuffer: { default: 10000, integer: true, min: 1, doc: 'samples in the seeded shuffle buffer' },
  checkpointEvery: { default: 200, integer: true, min: 0, doc: 'steps between checkpoints (0 = only at the end)' },
  checkpointSeconds: { default: 60, min: 0, doc: 'also checkpoint when this many seconds passed since the last save (0 = off); a checkpoint holds the whole state, so results do not depend on when it is taken' },
  exportBatchSize: { default: 256, integer: true, min: 1, doc: 'items per batch when exporting embeddings' },
  imageCacheEntries: { default: 8192, integer: true, min: 1, doc: 'decoded images kept in memory (LRU)' },
  seed: { default: 0, integer: true, min: 0, doc: 'seed of weight initialisation and data order' },
} as const satisfies ConfigSchema;

/** The trainer's configuration (every key of PRETRAIN_CONFIG_SCHEMA, typed by it). */
export type PretrainConfig = ConfigOf<typeof PRETRAIN_CONFIG_SCHEMA>;

/** Defaults as a typed object (schema defaults), with `overrides` on top (unknown keys are errors). */
export function defaultPretrainConfig(overrides: Partial<PretrainConfig> = {}): PretrainConfig {
  const out = configDefaults(PRETRAIN_CONFIG_SCHEMA);
  for (const k of Object.keys(overrides)) {
    if (!(k in PRETRAIN_CONFIG_SCHEMA)) throw new Error(`pretrain config: unknown key "${k}"`);
  }
  return { ...out, ...overrides };
}

/** Attention heads a config trains with: `heads`, or (null) 1 without and 4 with attentionProjections. */
export function effectiveHeads(config: Pick<PretrainConfig, 'heads' | 'attentionProjections'>): number {
  return config.heads ?? (config.attentionProjections ? 4 : 1);
}

/**
 * Checks what the schema cannot (ranges that depend on other keys, exclusive bounds), naming the
 * key: throws `pretrain config: ...`. It does not run checkConfigValues over the whole config:
 * untrainedConfig (eval.ts) builds one outside the schema on purpose (epochs 0, ignored as steps > 0).
 */
export function validatePretrainConfig(config: PretrainConfig): void {
  const heads = effectiveHeads(config);
  if (!Number.isInteger(heads) || heads < 1 || config.dim % heads !== 0) {
    throw new Error(`pretrain config: heads = ${heads}${config.heads === null ? ' (the default with attentionProjections)' : ''} must be a positive integer dividing dim = ${config.dim}`);
  }
  if (!(config.tau > 0)) throw new Error(`pretrain config: tau must be > 0, got ${config.tau}`);
  if (config.ucsTemperature !== null && !(config.ucsTemperature > 0 && Number.isFinite(config.ucsTemperature))) {
    throw new Error(`pretrain config: ucsTemperature must be > 0 (or null = tau), got ${config.ucsTemperature}`);
  }
  if (!(config.ucsWeight >= 0 && Number.isFinite(config.ucsWeight))) throw new Error(`pretrain config: ucsWeight must be a finite number >= 0, got ${config.ucsWeight}`);
  if (config.ucsTarget !== 'latest' && config.ucsTarget !== 'first') throw new Error(`pretrain config: ucsTarget must be "latest" or "first", got ${JSON.stringify(config.ucsTarget)}`);
  if (!(config.ctrHeadWeight >= 0 && Number.isFinite(config.ctrHeadWeight))) throw new Error(`pretrain config: ctrHeadWeight must be a finite number >= 0, got ${config.ctrHeadWeight}`);
  if (!(Number.isInteger(config.ctrHeadHidden) && config.ctrHeadHidden >= 1)) throw new Error(`pretrain config: ctrHeadHidden must be an integer >= 1, got ${config.ctrHeadHidden}`);
  if (config.initFrom !== null && (typeof config.initFrom !== 'string' || config.initFrom.trim() === '')) {
    throw new Error(`pretrain config: initFrom must be a checkpoint path or null, got ${JSON.stringify(config.initFrom)}`);
  }
}

export function lossOptionsOf(config: PretrainConfig): CourierLossOptions {
  return {
    tau: config.tau,
    scaleBySqrtD: config.scaleBySqrtD,
    useUcs: config.useUcs,
    contrastive: config.contrastive,
    attention: config.attention,
    useNegPv: config.useNegPv,
    heads: effectiveHeads(config),
    attentionProjections: config.attentionProjections,
    ucsTemperature: config.ucsTemperature,
    ucsWeight: config.ucsWeight,
    ucsTarget: config.ucsTarget,
    maskSameItemNegatives: config.maskSameItemNegatives,
    ctrHeadWeight: config.ctrHeadWeight,
  };
}

/** Presets of the two readings (issue #18): spread into a config to get "the paper's text" or "the authors' code". */
export const PAPER_TEXT_PRESET: Readonly<Partial<PretrainConfig>> = Object.freeze({
  ctrHeadWeight: 0,
  attentionProjections: false,
  heads: null,
  ucsTemperature: null,
  ucsWeight: 1,
  ucsTarget: 'latest' as const,
  maskSameItemNegatives: false,
  initFrom: null,
});
export const AUTHORS_CODE_PRESET: Readonly<Partial<PretrainConfig>> = Object.freeze({
  ctrHeadWeight: 1,
  attentionProjections: true,
  heads: 4,
  ucsTemperature: 20,
  ucsWeight: 1,
  ucsTarget: 'first' as const,
  maskSameItemNegatives: false,
});

/** Keys that may change between a checkpoint and its resumption (they do not change the math). */
export const RESUMABLE_CONFIG_KEYS: readonly (keyof PretrainConfig)[] = ['checkpointEvery', 'checkpointSeconds', 'exportBatchSize', 'imageCacheEntries', 'steps', 'epochs'];

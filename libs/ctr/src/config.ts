/**
 * Configuration of the CTR model and its training: one schema declares every key's default,
 * meaning, range and choices; the type, the defaults and the checks all come from it.
 */
import { ConfigError, ConfigOf, ConfigSchema, checkConfigValues, configDefaults, nearestKey } from '@courier/runtime';

export const CTR_MODEL_SCHEMA = {
  // Chosen on the validation day (issue #16; libs/ctr README "Resolving power"): 50 history items
  // and one-dimensional id embeddings (a learned per-item / per-user bias). Wider id tables
  // memorise within the first epoch and leave the look features unlearned.
  maxHistory: { default: 50, integer: true, min: 1, doc: 'most recent history items the model sees per sample' },
  itemIdDim: { default: 1, integer: true, min: 1, doc: 'item-id embedding size (1 = a learned per-item bias)' },
  categoryDim: { default: 8, integer: true, min: 1, doc: 'category embedding size' },
  titleDim: { default: 8, integer: true, min: 1, doc: 'title-token embedding size (hashed tokens, masked mean pooled)' },
  titleBuckets: { default: 1024, integer: true, min: 2, doc: 'hash buckets for title tokens (0 = padding)' },
  titleMaxTokens: { default: 8, integer: true, min: 1, doc: 'title tokens kept per item' },
  priceBuckets: { default: 10, integer: true, min: 1, doc: 'price buckets (catalogue price quantiles)' },
  priceDim: { default: 4, integer: true, min: 1, doc: 'price-bucket embedding size' },
  imageFeatureDim: { default: 16, integer: true, min: 1, doc: 'image feature size in the item representation (vector: dense output; cluster-id: embedding)' },
  userDim: { default: 1, integer: true, min: 1, doc: 'user-id embedding size (1 = a learned per-user bias)' },
  attentionDim: { default: 32, integer: true, min: 1, doc: 'self-attention and target-attention width' },
  attentionHeads: { default: 2, integer: true, min: 1, doc: 'heads of the history self-attention (attentionDim must divide by it)' },
  targetAttention: { default: true, doc: 'add target attention over the self-attended history next to the mean pool' },
  din: { default: true, doc: 'DIN activation unit: target attention over the raw history items, an MLP on [h, t, h*t, h-t] scores each' },
  dinHidden: { default: 32, integer: true, min: 1, doc: 'hidden width of the DIN activation unit' },
  styleBuckets: { default: 32, integer: true, min: 2, doc: 'hash buckets of the merchant style tag (0 = no tag)' },
  styleDim: { default: 4, integer: true, min: 0, doc: 'style-tag embedding size (0 = style tag not used)' },
  positionBuckets: { default: 16, integer: true, min: 0, doc: 'position buckets, the last shared by lower positions (0 = position not used)' },
  positionDim: { default: 4, integer: true, min: 1, doc: 'position embedding size' },
  clusterMatchFeatures: { default: true, doc: 'cluster-id: add the id-match features (share of the history in the target cluster, count / L, latest matches)' },
  vectorProducts: { default: true, doc: 'vector: add the mean target-history element-wise products of the raw embeddings as MLP inputs' },
  imageInteraction: { default: true, doc: "vector / cluster-id: add the target's learned image feature times the history's mean one as MLP inputs" },
  wide: { default: true, doc: 'Wide & Deep: the image-match features (simscore, cluster match, vector products) also enter the logit linearly' },
  clusterEmbeddingStd: { default: 0.05, min: 0, doc: 'cluster-id: std of the initial cluster embeddings (as the id embeddings; 0.5 helps the oracle and hurts learned clusters on the validation day)' },
  // Chosen on the validation day (libs/ctr README, "Cluster embeddings from the centroids").
  clusterEmbeddingInit: {
    default: 'centroids',
    choices: ['centroids', 'random'],
    doc: "cluster-id: 'centroids' (the cluster centres' principal components, scaled to clusterEmbeddingStd, so clusters with similar centres start similar; needs the embeddings next to the assignments) or 'random' (normal with clusterEmbeddingStd)",
  },
  mlp: { default: [128, 64, 32, 16], type: 'array', doc: 'hidden layer sizes of the MLP' },
  learningRate: { default: 2e-3, min: 0, exclusiveMin: true, max: 1, doc: 'Adam learning rate' },
  batchSize: { default: 256, integer: true, min: 1, doc: 'training batch size' },
  // Chosen on the validation day (libs/ctr README, "Page-view batches"): 2-3x faster training.
  batchOrder: {
    default: 'page-views',
    choices: ['page-views', 'rows'],
    doc: "training batches: 'page-views' (page views shuffled, their rows kept together: the self-attention runs once per page view, several times faster) or 'rows' (rows shuffled one by one)",
  },
  epochs: { default: 8, integer: true, min: 1, doc: 'most passes over the training days (early stopping on validation AUC may stop sooner)' },
  patience: { default: 2, integer: true, min: 1, doc: 'epochs without a validation AUC gain before stopping; the best epoch is kept' },
  validationDays: { default: 1, integer: true, min: 0, doc: 'last CTR training days held out for validation (early stopping); 0 = none' },
  idDropout: { default: 0.1, min: 0, max: 1, doc: 'probability of replacing a training item id by the OOV id (trains the embedding new items use)' },
  simscoreTopK: { default: 3, integer: true, min: 1, doc: 'simscore: k of the top-k mean similarity feature' },
  imageDim: { default: 0, integer: true, min: 0, doc: 'expected image embedding dimension (0 = any; mismatch is an error)' },
  evalBatchSize: { default: 2048, integer: true, min: 1, doc: 'rows per evaluation batch' },
} as const satisfies ConfigSchema;

/** The CTR model's configuration (every key of CTR_MODEL_SCHEMA). */
export type CtrConfig = ConfigOf<typeof CTR_MODEL_SCHEMA>;

export const DEFAULT_CTR_CONFIG: CtrConfig = configDefaults(CTR_MODEL_SCHEMA);

/** Checks types, ranges and choices of a full config, and the rules across keys; throws naming the key, the value and what was expected. */
export function checkCtrConfig(config: CtrConfig, where = 'ctr config'): CtrConfig {
  checkConfigValues(CTR_MODEL_SCHEMA, config as unknown as Record<string, unknown>, where);
  if (config.mlp.length === 0 || config.mlp.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new ConfigError(`${where}: key "mlp" must be a non-empty list of positive integers (hidden layer sizes), got ${JSON.stringify(config.mlp)}`, 'mlp');
  }
  if (config.attentionDim % config.attentionHeads !== 0) {
    throw new ConfigError(`${where}: attentionDim ${config.attentionDim} must be divisible by attentionHeads ${config.attentionHeads}`, 'attentionDim');
  }
  return config;
}

export function resolveCtrConfig(overrides: Partial<CtrConfig> = {}): CtrConfig {
  const known = Object.keys(CTR_MODEL_SCHEMA);
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) {
      const near = nearestKey(key, known);
      throw new ConfigError(`ctr config: unknown key "${key}"${near ? `; did you mean "${near}"?` : ''} (known keys: ${known.join(', ')})`, key);
    }
  }
  return checkCtrConfig({ ...structuredClone(DEFAULT_CTR_CONFIG), ...overrides });
}

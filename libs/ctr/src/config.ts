/** Configuration of the CTR model and its training, with defaults and one-line meanings. */

export interface CtrConfig {
  /** Most recent history items the model sees per sample. */
  maxHistory: number;
  /** Item-id embedding size. */
  itemIdDim: number;
  /** Category embedding size. */
  categoryDim: number;
  /** Title-token embedding size (tokens hashed, masked mean pooled). */
  titleDim: number;
  /** Hash buckets for title tokens (bucket 0 = padding). */
  titleBuckets: number;
  /** Title tokens kept per item. */
  titleMaxTokens: number;
  /** Price buckets (quantiles of the catalogue's prices). */
  priceBuckets: number;
  /** Price-bucket embedding size. */
  priceDim: number;
  /** Size of the image feature inside the item representation (vector: dense layer output; cluster-id: embedding). */
  imageFeatureDim: number;
  /** User-id embedding size. */
  userDim: number;
  /** Self-attention (and target-attention) width. */
  attentionDim: number;
  /** Heads of the history self-attention (attentionDim must divide by it). */
  attentionHeads: number;
  /** Add target attention over the self-attended history next to the mean pool. */
  targetAttention: boolean;
  /** DIN activation unit (Zhou et al. 2018): target attention over the raw history items, scored by an MLP on [h, t, h*t, h-t]. */
  din: boolean;
  /** Hidden width of the DIN activation unit. */
  dinHidden: number;
  /** Hash buckets of the merchant style tag (0 = no tag). */
  styleBuckets: number;
  /** Style-tag embedding size (0 = not a feature). */
  styleDim: number;
  /** Position buckets (positions at or beyond the last share it; 0 = position is not a feature). */
  positionBuckets: number;
  /** Position embedding size. */
  positionDim: number;
  /** cluster-id mode: add the three id-match features (share of the history in the target's cluster, ...). */
  clusterMatchFeatures: boolean;
  /** vector mode: add the mean target-history element-wise products of the raw embeddings as MLP inputs. */
  vectorProducts: boolean;
  /** vector / cluster-id: add the target's learned image feature times the history's mean image feature as MLP inputs. */
  imageInteraction: boolean;
  /** cluster-id: standard deviation of the initial cluster embeddings (the id embeddings start at 0.05 too). */
  clusterEmbeddingStd: number;
  /** cluster-id: how the cluster embeddings start: 'random' (normal, clusterEmbeddingStd) or 'centroids' (the principal components of the cluster centres, same scale). */
  clusterEmbeddingInit: 'random' | 'centroids';
  /** Wide & Deep: the image-match features (simscore, cluster match, vector products) also enter the logit linearly. */
  wide: boolean;
  /** Hidden layer sizes of the MLP. */
  mlp: number[];
  /** Adam learning rate. */
  learningRate: number;
  batchSize: number;
  /**
   * Training batches: 'rows' (rows shuffled one by one) or 'page-views' (page views shuffled, their
   * rows kept together, so a batch holds ~batchSize / page size distinct histories and the
   * self-attention runs once per page view).
   */
  batchOrder: 'rows' | 'page-views';
  /** Most passes over the training days; training stops earlier when validation AUC stops improving. */
  epochs: number;
  /** Epochs without a validation AUC gain before stopping (the best epoch's weights are kept). */
  patience: number;
  /** Last CTR training days held out as validation (early stopping, choices); 0 = none. */
  validationDays: number;
  /** Probability of replacing a training item's id by the OOV id, so the OOV embedding (used by new items) is trained. */
  idDropout: number;
  /** simscore: top-k mean pooled similarity feature uses this k. */
  simscoreTopK: number;
  /** Expected image embedding dimension (0 = any; a mismatch is an error). */
  imageDim: number;
  /** Rows per evaluation batch. */
  evalBatchSize: number;
}

export const DEFAULT_CTR_CONFIG: CtrConfig = {
  // Chosen on the validation day (issue #16; libs/ctr README "Resolving power"): 50 history items
  // and one-dimensional id embeddings (a learned per-item / per-user bias). Wider id tables
  // memorise within the first epoch and leave the look features unlearned.
  maxHistory: 50,
  itemIdDim: 1,
  categoryDim: 8,
  titleDim: 8,
  titleBuckets: 1024,
  titleMaxTokens: 8,
  priceBuckets: 10,
  priceDim: 4,
  imageFeatureDim: 16,
  userDim: 1,
  attentionDim: 32,
  attentionHeads: 2,
  targetAttention: true,
  din: true,
  dinHidden: 32,
  styleBuckets: 32,
  styleDim: 4,
  positionBuckets: 16,
  positionDim: 4,
  clusterMatchFeatures: true,
  vectorProducts: true,
  imageInteraction: true,
  wide: true,
  clusterEmbeddingStd: 0.05,
  // Chosen on the validation day (libs/ctr README, "Cluster embeddings from the centroids").
  clusterEmbeddingInit: 'centroids',
  mlp: [128, 64, 32, 16],
  learningRate: 2e-3,
  batchSize: 256,
  // Chosen on the validation day (libs/ctr README, "Page-view batches"): 2-3x faster training.
  batchOrder: 'page-views',
  epochs: 8,
  patience: 2,
  validationDays: 1,
  idDropout: 0.1,
  simscoreTopK: 3,
  imageDim: 0,
  evalBatchSize: 2048,
};

/** Documentation of every key (for config schemas and the README). */
export const CTR_CONFIG_DOC: Record<keyof CtrConfig, string> = {
  maxHistory: 'most recent history items the model sees per sample',
  itemIdDim: 'item-id embedding size (1 = a learned per-item bias)',
  categoryDim: 'category embedding size',
  titleDim: 'title-token embedding size (hashed tokens, masked mean pooled)',
  titleBuckets: 'hash buckets for title tokens (0 = padding)',
  titleMaxTokens: 'title tokens kept per item',
  priceBuckets: 'price buckets (catalogue price quantiles)',
  priceDim: 'price-bucket embedding size',
  imageFeatureDim: 'image feature size in the item representation (vector: dense output; cluster-id: embedding)',
  userDim: 'user-id embedding size (1 = a learned per-user bias)',
  attentionDim: 'self-attention and target-attention width',
  attentionHeads: 'heads of the history self-attention (attentionDim must divide by it)',
  targetAttention: 'add target attention over the self-attended history next to the mean pool',
  din: 'DIN activation unit: target attention over the raw history items, an MLP on [h, t, h*t, h-t] scores each',
  dinHidden: 'hidden width of the DIN activation unit',
  styleBuckets: 'hash buckets of the merchant style tag (0 = no tag)',
  styleDim: 'style-tag embedding size (0 = style tag not used)',
  positionBuckets: 'position buckets, the last shared by lower positions (0 = position not used)',
  positionDim: 'position embedding size',
  clusterMatchFeatures: 'cluster-id: add the id-match features (share of the history in the target cluster, count / L, latest matches)',
  vectorProducts: 'vector: add the mean target-history element-wise products of the raw embeddings as MLP inputs',
  clusterEmbeddingStd: 'cluster-id: std of the initial cluster embeddings (as the id embeddings; 0.5 helps the oracle and hurts learned clusters on the validation day)',
  clusterEmbeddingInit: "cluster-id: 'random' (normal with clusterEmbeddingStd) or 'centroids' (the cluster centres' principal components, scaled to that std, so clusters with similar centres start similar; needs the embeddings next to the assignments)",
  wide: 'Wide & Deep: the image-match features (simscore, cluster match, vector products) also enter the logit linearly',
  imageInteraction: "vector / cluster-id: add the target's learned image feature times the history's mean one as MLP inputs",
  mlp: 'hidden layer sizes of the MLP',
  learningRate: 'Adam learning rate',
  batchSize: 'training batch size',
  batchOrder: "training batches: 'rows' (rows shuffled one by one) or 'page-views' (page views shuffled, their rows kept together: the self-attention runs once per page view, several times faster)",
  epochs: 'most passes over the training days (early stopping on validation AUC may stop sooner)',
  patience: 'epochs without a validation AUC gain before stopping; the best epoch is kept',
  validationDays: 'last CTR training days held out for validation (early stopping); 0 = none',
  idDropout: 'probability of replacing a training item id by the OOV id (trains the embedding new items use)',
  simscoreTopK: 'simscore: k of the top-k mean similarity feature',
  imageDim: 'expected image embedding dimension (0 = any; mismatch is an error)',
  evalBatchSize: 'rows per evaluation batch',
};

/** Ranges of the numeric keys (checked when a config is resolved, before any work). */
export const CTR_CONFIG_RANGES: Partial<Record<keyof CtrConfig, { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean }>> = {
  maxHistory: { integer: true, min: 1 },
  itemIdDim: { integer: true, min: 1 },
  categoryDim: { integer: true, min: 1 },
  titleDim: { integer: true, min: 1 },
  titleBuckets: { integer: true, min: 2 },
  titleMaxTokens: { integer: true, min: 1 },
  priceBuckets: { integer: true, min: 1 },
  priceDim: { integer: true, min: 1 },
  imageFeatureDim: { integer: true, min: 1 },
  userDim: { integer: true, min: 1 },
  attentionDim: { integer: true, min: 1 },
  attentionHeads: { integer: true, min: 1 },
  dinHidden: { integer: true, min: 1 },
  styleBuckets: { integer: true, min: 2 },
  styleDim: { integer: true, min: 0 },
  positionBuckets: { integer: true, min: 0 },
  positionDim: { integer: true, min: 1 },
  learningRate: { min: 0, exclusiveMin: true, max: 1 },
  batchSize: { integer: true, min: 1 },
  epochs: { integer: true, min: 1 },
  patience: { integer: true, min: 1 },
  validationDays: { integer: true, min: 0 },
  idDropout: { min: 0, max: 1 },
  simscoreTopK: { integer: true, min: 1 },
  imageDim: { integer: true, min: 0 },
  clusterEmbeddingStd: { min: 0 },
  evalBatchSize: { integer: true, min: 1 },
};

/** Checks types and ranges of a full config; throws naming the key, the value and what was expected. */
export function checkCtrConfig(config: CtrConfig, where = 'ctr config'): CtrConfig {
  for (const [key, range] of Object.entries(CTR_CONFIG_RANGES) as [keyof CtrConfig, NonNullable<(typeof CTR_CONFIG_RANGES)[keyof CtrConfig]>][]) {
    const v = config[key] as unknown;
    const what = `${range.integer ? 'an integer' : 'a number'}${range.min !== undefined ? ` ${range.exclusiveMin ? '>' : '>='} ${range.min}` : ''}${range.max !== undefined ? ` and <= ${range.max}` : ''}`;
    const bad = typeof v !== 'number' || !Number.isFinite(v) || (range.integer && !Number.isInteger(v)) || (range.min !== undefined && (range.exclusiveMin ? v <= range.min : v < range.min)) || (range.max !== undefined && v > range.max);
    if (bad) throw new Error(`${where}: key "${key}" must be ${what}, got ${JSON.stringify(v)}`);
  }
  if (!Array.isArray(config.mlp) || config.mlp.length === 0 || config.mlp.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new Error(`${where}: key "mlp" must be a non-empty list of positive integers (hidden layer sizes), got ${JSON.stringify(config.mlp)}`);
  }
  if (config.attentionDim % config.attentionHeads !== 0) {
    throw new Error(`${where}: attentionDim ${config.attentionDim} must be divisible by attentionHeads ${config.attentionHeads}`);
  }
  if (config.batchOrder !== 'rows' && config.batchOrder !== 'page-views') {
    throw new Error(`${where}: key "batchOrder" must be "rows" or "page-views", got ${JSON.stringify(config.batchOrder)}`);
  }
  if (config.clusterEmbeddingInit !== 'random' && config.clusterEmbeddingInit !== 'centroids') {
    throw new Error(`${where}: key "clusterEmbeddingInit" must be "random" or "centroids", got ${JSON.stringify(config.clusterEmbeddingInit)}`);
  }
  for (const key of ['targetAttention', 'din', 'clusterMatchFeatures', 'vectorProducts', 'imageInteraction', 'wide'] as const) {
    if (typeof config[key] !== 'boolean') throw new Error(`${where}: key "${key}" must be true or false, got ${JSON.stringify(config[key])}`);
  }
  return config;
}

export function resolveCtrConfig(overrides: Partial<CtrConfig> = {}): CtrConfig {
  const known = Object.keys(DEFAULT_CTR_CONFIG);
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) throw new Error(`ctr config: unknown key "${key}"; known keys: ${known.join(', ')}`);
  }
  return checkCtrConfig({ ...DEFAULT_CTR_CONFIG, ...overrides });
}

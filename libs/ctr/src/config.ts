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
  /** Add target attention over the self-attended history (DIN-style) next to the mean pool. */
  targetAttention: boolean;
  /** Hidden layer sizes of the MLP. */
  mlp: number[];
  /** Adam learning rate. */
  learningRate: number;
  batchSize: number;
  epochs: number;
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
  maxHistory: 20,
  itemIdDim: 16,
  categoryDim: 8,
  titleDim: 8,
  titleBuckets: 1024,
  titleMaxTokens: 8,
  priceBuckets: 10,
  priceDim: 4,
  imageFeatureDim: 16,
  userDim: 8,
  attentionDim: 32,
  targetAttention: true,
  mlp: [64, 32],
  learningRate: 2e-3,
  batchSize: 256,
  epochs: 2,
  idDropout: 0.1,
  simscoreTopK: 3,
  imageDim: 0,
  evalBatchSize: 2048,
};

/** Documentation of every key (for config schemas and the README). */
export const CTR_CONFIG_DOC: Record<keyof CtrConfig, string> = {
  maxHistory: 'most recent history items the model sees per sample',
  itemIdDim: 'item-id embedding size',
  categoryDim: 'category embedding size',
  titleDim: 'title-token embedding size (hashed tokens, masked mean pooled)',
  titleBuckets: 'hash buckets for title tokens (0 = padding)',
  titleMaxTokens: 'title tokens kept per item',
  priceBuckets: 'price buckets (catalogue price quantiles)',
  priceDim: 'price-bucket embedding size',
  imageFeatureDim: 'image feature size in the item representation (vector: dense output; cluster-id: embedding)',
  userDim: 'user-id embedding size',
  attentionDim: 'self-attention and target-attention width',
  targetAttention: 'add target attention over the self-attended history next to the mean pool',
  mlp: 'hidden layer sizes of the MLP',
  learningRate: 'Adam learning rate',
  batchSize: 'training batch size',
  epochs: 'passes over the training split',
  idDropout: 'probability of replacing a training item id by the OOV id (trains the embedding new items use)',
  simscoreTopK: 'simscore: k of the top-k mean similarity feature',
  imageDim: 'expected image embedding dimension (0 = any; mismatch is an error)',
  evalBatchSize: 'rows per evaluation batch',
};

export function resolveCtrConfig(overrides: Partial<CtrConfig> = {}): CtrConfig {
  const known = Object.keys(DEFAULT_CTR_CONFIG);
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) throw new Error(`ctr config: unknown key "${key}"; known keys: ${known.join(', ')}`);
  }
  return { ...DEFAULT_CTR_CONFIG, ...overrides };
}

/**
 * Static per-item features (per catalogue row) and the batch builder that turns sample
 * indices into the model's input arrays. A batch carries the unique items it touches
 * (targets and history), so each item is represented once per step.
 */
import type { Catalogue, CtrSplit } from './data';
import { titleTokens, tokenBucket } from './data';
import type { CtrConfig } from './config';
import type { ImageFeatures } from './image-features';

/** Id vocabulary: index 0 is OOV (unseen / new), ids[i - 1] has index i. */
export interface Vocab {
  ids: number[];
  index: Map<number, number>;
}

export function buildVocab(values: Iterable<number>, prior: number[] = []): Vocab {
  const ids = [...prior];
  const index = new Map<number, number>(ids.map((id, i) => [id, i + 1]));
  const fresh = new Set<number>();
  for (const v of values) if (!index.has(v)) fresh.add(v);
  // Appended in ascending order: deterministic, and a warm start keeps the old rows in place.
  for (const v of [...fresh].sort((a, b) => a - b)) {
    ids.push(v);
    index.set(v, ids.length);
  }
  return { ids, index };
}

export interface ItemFeatureTable {
  nItems: number;
  /** Item-id vocab index per row (0 = OOV). */
  idIndex: Int32Array;
  category: Int32Array;
  numCategories: number;
  /** titleMaxTokens buckets per row, 0 = padding. */
  tokens: Int32Array;
  tokenMask: Float32Array;
  priceBucket: Int32Array;
  /** Hashed merchant style tag per row in [1, styleBuckets); 0 = no tag. */
  styleBucket: Int32Array;
  image: ImageFeatures | null;
}

/** Quantile boundaries of log(1 + price) over the catalogue; bucket = number of boundaries <= value. */
export function priceBoundaries(prices: Float64Array, buckets: number): number[] {
  const sorted = Array.from(prices, (p) => Math.log1p(p)).sort((a, b) => a - b);
  const out: number[] = [];
  for (let q = 1; q < buckets; q++) out.push(sorted[Math.min(sorted.length - 1, Math.floor((q * sorted.length) / buckets))]);
  return out;
}

export function priceBucketOf(price: number, boundaries: number[]): number {
  const v = Math.log1p(price);
  let b = 0;
  while (b < boundaries.length && v >= boundaries[b]) b++;
  return b;
}

export function buildItemFeatures(catalogue: Catalogue, itemVocab: Vocab, config: CtrConfig, image: ImageFeatures | null): ItemFeatureTable {
  const n = catalogue.itemIds.length;
  const T = config.titleMaxTokens;
  const tokens = new Int32Array(n * T);
  const tokenMask = new Float32Array(n * T);
  const idIndex = new Int32Array(n);
  const priceBucket = new Int32Array(n);
  const styleBucket = new Int32Array(n);
  const bounds = priceBoundaries(catalogue.price, config.priceBuckets);
  for (let r = 0; r < n; r++) {
    idIndex[r] = itemVocab.index.get(catalogue.itemIds[r]) ?? 0;
    const toks = titleTokens(catalogue.titles[r]).slice(0, T);
    toks.forEach((t, j) => {
      tokens[r * T + j] = tokenBucket(t, config.titleBuckets);
      tokenMask[r * T + j] = 1;
    });
    priceBucket[r] = priceBucketOf(catalogue.price[r], bounds);
    const tag = catalogue.styleTags[r];
    styleBucket[r] = tag ? tokenBucket(`style:${tag.toLowerCase()}`, config.styleBuckets) : 0;
  }
  return { nItems: n, idIndex, category: catalogue.category, numCategories: catalogue.categories.length, tokens, tokenMask, priceBucket, styleBucket, image };
}

/** Model inputs of one batch (plain arrays; the model turns them into tensors). */
export interface Batch {
  /** Rows. */
  B: number;
  /** History positions. */
  L: number;
  /** Unique items in the batch. */
  U: number;
  /** Catalogue row of each unique item. */
  uRow: Int32Array;
  uId: Int32Array;
  uCategory: Int32Array;
  uTokens: Int32Array;
  uTokenMask: Float32Array;
  /** Title pooling weights: token mask / token count, [U, T]. */
  uTokenPool: Float32Array;
  uPrice: Int32Array;
  uStyle: Int32Array;
  uCluster: Int32Array | null;
  uVector: Float32Array | null;
  /** Local (unique-item) index of each row's target. */
  target: Int32Array;
  /** Local index per history position (most recent first; padding points at 0 with mask 0). */
  history: Int32Array;
  historyMask: Float32Array;
  /**
   * Distinct histories in the batch (rows of one page view share theirs): the self-attention
   * runs once per distinct history ([H, L, L] instead of [B, L, L]) and rows gather its output.
   */
  H: number;
  /** Distinct history of each row, in [0, H). */
  historyOf: Int32Array;
  /** Local item index per position of each distinct history [H, L]. */
  hHistory: Int32Array;
  /** Self-attention bias [H, L, L]: 0 for real keys, -1e9 for padded keys. */
  hAttnBias: Float32Array;
  /** Mean-pool weights of each distinct history [H, L]. */
  hPoolWeights: Float32Array;
  /** Target-attention bias [B, L]: 0 real, -1e9 padding. */
  keyBias: Float32Array;
  /** Mean-pool weights [B, L]: mask / history length (0 for empty histories). */
  poolWeights: Float32Array;
  /** [B, L]: 1 when the row has any history, else 0 (zeroes target attention). */
  hasHistory: Float32Array;
  user: Int32Array;
  /** Position bucket per row: min(position, positionBuckets - 1). */
  position: Int32Array;
  /** Per row: simscore features (simFeatureCount values), cluster-id match features (CLUSTER_MATCH_FEATURES) or vector products (dim), or null. */
  sim: Float32Array | null;
  label: Float32Array;
}

/** Number of simscore features: per-position similarities (L), mean, max, top-k mean, history fraction, has-embedding. */
export function simFeatureCount(config: CtrConfig): number {
  return config.maxHistory + 5;
}

export interface BatchOptions {
  config: CtrConfig;
  /** User vocab (index 0 = OOV). */
  userIndex: Map<number, number>;
  /** Per-row random draws for id dropout (training only): returns true to drop the id. */
  dropId?: () => boolean;
  /** Let rows with the same history share one self-attention (default true; false: one per row, for tests and benchmarks). */
  shareHistories?: boolean;
}

/**
 * Builds a batch from split rows `rows`. History keeps the `maxHistory` most recent items,
 * stored most recent first, so position p always means "p-th most recent click".
 */
export function buildBatch(split: CtrSplit, rows: ArrayLike<number>, items: ItemFeatureTable, options: BatchOptions): Batch {
  const { config } = options;
  const B = rows.length;
  const L = config.maxHistory;
  const T = config.titleMaxTokens;
  const local = new Map<number, number>();
  const uniq: number[] = [];
  const localOf = (r: number): number => {
    let l = local.get(r);
    if (l === undefined) {
      l = uniq.length;
      local.set(r, l);
      uniq.push(r);
    }
    return l;
  };
  const target = new Int32Array(B);
  const history = new Int32Array(B * L);
  const historyMask = new Float32Array(B * L);
  const historyOf = new Int32Array(B);
  const historyKey = new Map<string, number>();
  const distinctRows: number[] = [];
  const keyBias = new Float32Array(B * L).fill(-1e9);
  const poolWeights = new Float32Array(B * L);
  const hasHistory = new Float32Array(B * L);
  const user = new Int32Array(B);
  const position = new Int32Array(B);
  const maxPosition = Math.max(0, config.positionBuckets - 1);
  const label = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const i = rows[b];
    target[b] = localOf(split.itemRow[i]);
    user[b] = options.userIndex.get(split.userId[i]) ?? 0;
    label[b] = split.label[i];
    position[b] = Math.min(split.position[i], maxPosition);
    const start = split.histOffsets[i];
    const end = split.histOffsets[i + 1];
    const len = Math.min(L, end - start);
    for (let p = 0; p < len; p++) {
      history[b * L + p] = localOf(split.histItems[end - 1 - p]);
      historyMask[b * L + p] = 1;
      keyBias[b * L + p] = 0;
      poolWeights[b * L + p] = 1 / len;
    }
    if (len > 0) hasHistory.fill(1, b * L, (b + 1) * L);
    // Rows with the same history items in the same order share one distinct history.
    const key = Array.prototype.join.call(history.subarray(b * L, b * L + len), ',') as string;
    let h = historyKey.get(key);
    if (h === undefined) {
      h = distinctRows.length;
      historyKey.set(key, h);
      distinctRows.push(b);
    }
    historyOf[b] = h;
  }
  // Sharing pays for the gathers it adds only when many rows share (shuffled rows rarely do).
  if (options.shareHistories === false || distinctRows.length > 0.75 * B) {
    distinctRows.length = 0;
    for (let b = 0; b < B; b++) {
      distinctRows.push(b);
      historyOf[b] = b;
    }
  }
  const H = distinctRows.length;
  const hHistory = new Int32Array(H * L);
  const hPoolWeights = new Float32Array(H * L);
  const hAttnBias = new Float32Array(H * L * L).fill(-1e9);
  for (let h = 0; h < H; h++) {
    const b = distinctRows[h];
    hHistory.set(history.subarray(b * L, (b + 1) * L), h * L);
    hPoolWeights.set(poolWeights.subarray(b * L, (b + 1) * L), h * L);
    for (let p = 0; p < L; p++) {
      if (historyMask[b * L + p] === 0) continue;
      for (let qp = 0; qp < L; qp++) hAttnBias[(h * L + qp) * L + p] = 0;
    }
  }
  const U = uniq.length;
  const uId = new Int32Array(U);
  const uCategory = new Int32Array(U);
  const uTokens = new Int32Array(U * T);
  const uTokenMask = new Float32Array(U * T);
  const uTokenPool = new Float32Array(U * T);
  const uPrice = new Int32Array(U);
  const uStyle = new Int32Array(U);
  const image = items.image;
  const uCluster = image?.mode === 'cluster-id' ? new Int32Array(U) : null;
  const uVector = image?.mode === 'vector' ? new Float32Array(U * image.dim) : null;
  for (let u = 0; u < U; u++) {
    const r = uniq[u];
    uId[u] = options.dropId && options.dropId() ? 0 : items.idIndex[r];
    uCategory[u] = items.category[r];
    uTokens.set(items.tokens.subarray(r * T, (r + 1) * T), u * T);
    uTokenMask.set(items.tokenMask.subarray(r * T, (r + 1) * T), u * T);
    let count = 0;
    for (let j = 0; j < T; j++) count += items.tokenMask[r * T + j];
    for (let j = 0; j < T; j++) uTokenPool[u * T + j] = count > 0 ? items.tokenMask[r * T + j] / count : 0;
    uPrice[u] = items.priceBucket[r];
    uStyle[u] = items.styleBucket[r];
    if (uCluster && image?.clusterIds) uCluster[u] = image.clusterIds[r];
    if (uVector && image?.vectors) uVector.set(image.vectors.subarray(r * image.dim, (r + 1) * image.dim), u * image.dim);
  }
  let sim: Float32Array | null = null;
  if (image?.mode === 'simscore' && image.vectors) {
    sim = simscoreFeatures(split, rows, image, config);
  } else if (image?.mode === 'cluster-id' && image.clusterIds && config.clusterMatchFeatures) {
    sim = clusterMatchFeatures(split, rows, image, config);
  } else if (image?.mode === 'vector' && image.vectors && config.vectorProducts) {
    sim = vectorProductFeatures(split, rows, image, config);
  }
  return { B, L, U, uRow: Int32Array.from(uniq), uId, uCategory, uTokens, uTokenMask, uTokenPool, uPrice, uStyle, uCluster, uVector, target, history, historyMask, H, historyOf, hHistory, hAttnBias, hPoolWeights, keyBias, poolWeights, hasHistory, user, position, sim, label };
}

/**
 * vector mode: the mean over the real history of the element-wise products target x history item
 * of the raw embeddings ([dim] per row; zeros without history). Its sum is the mean dot product, and
 * each coordinate says on which dimensions the target agrees with what the user clicked, so the MLP
 * sees the target-history interaction directly instead of having to discover it.
 */
export function vectorProductFeatures(split: CtrSplit, rows: ArrayLike<number>, image: ImageFeatures, config: CtrConfig): Float32Array {
  const L = config.maxHistory;
  const D = image.dim;
  const vec = image.vectors as Float32Array;
  const out = new Float32Array(rows.length * D);
  for (let b = 0; b < rows.length; b++) {
    const i = rows[b];
    const t = split.itemRow[i] * D;
    const end = split.histOffsets[i + 1];
    const len = Math.min(L, end - split.histOffsets[i]);
    if (len === 0) continue;
    const o = b * D;
    for (let p = 0; p < len; p++) {
      const h = split.histItems[end - 1 - p] * D;
      for (let j = 0; j < D; j++) out[o + j] += vec[t + j] * vec[h + j];
    }
    for (let j = 0; j < D; j++) out[o + j] /= len;
  }
  return out;
}

/** Number of cluster-id match features: share of the history in the target's cluster, that count / L, most recent matches. */
export const CLUSTER_MATCH_FEATURES = 3;

/**
 * cluster-id match features per row (DIN-style id-match features): the share of real history
 * items whose cluster equals the target's, the same count divided by L, and 1 when the most
 * recent history item matches. The unknown id K never matches.
 */
export function clusterMatchFeatures(split: CtrSplit, rows: ArrayLike<number>, image: ImageFeatures, config: CtrConfig): Float32Array {
  const L = config.maxHistory;
  const ids = image.clusterIds as Int32Array;
  const K = image.numClusters;
  const out = new Float32Array(rows.length * CLUSTER_MATCH_FEATURES);
  for (let b = 0; b < rows.length; b++) {
    const i = rows[b];
    const t = ids[split.itemRow[i]];
    if (t === K) continue;
    const end = split.histOffsets[i + 1];
    const len = Math.min(L, end - split.histOffsets[i]);
    let same = 0;
    for (let p = 0; p < len; p++) if (ids[split.histItems[end - 1 - p]] === t) same++;
    if (len > 0) {
      out[b * 3] = same / len;
      out[b * 3 + 1] = same / L;
      out[b * 3 + 2] = ids[split.histItems[end - 1]] === t ? 1 : 0;
    }
  }
  return out;
}

/**
 * simscore features per row: cos(target, p-th most recent history item) for p < L (0 on
 * padding or a missing embedding), then mean, max and top-k mean over the real history,
 * the history length / L, and 1 when the target has an embedding.
 */
export function simscoreFeatures(split: CtrSplit, rows: ArrayLike<number>, image: ImageFeatures, config: CtrConfig): Float32Array {
  const L = config.maxHistory;
  const F = simFeatureCount(config);
  const D = image.dim;
  const vec = image.vectors as Float32Array;
  const out = new Float32Array(rows.length * F);
  const sims: number[] = [];
  for (let b = 0; b < rows.length; b++) {
    const i = rows[b];
    const t = split.itemRow[i];
    const start = split.histOffsets[i];
    const end = split.histOffsets[i + 1];
    const len = Math.min(L, end - start);
    let tNorm = 0;
    for (let j = 0; j < D; j++) tNorm += vec[t * D + j] * vec[t * D + j];
    sims.length = 0;
    for (let p = 0; p < len; p++) {
      const h = split.histItems[end - 1 - p];
      let s = 0;
      for (let j = 0; j < D; j++) s += vec[t * D + j] * vec[h * D + j];
      out[b * F + p] = s;
      sims.push(s);
    }
    if (len > 0) {
      const sorted = [...sims].sort((x, y) => y - x);
      const k = Math.min(config.simscoreTopK, len);
      out[b * F + L] = sims.reduce((a, x) => a + x, 0) / len;
      out[b * F + L + 1] = sorted[0];
      out[b * F + L + 2] = sorted.slice(0, k).reduce((a, x) => a + x, 0) / k;
    }
    out[b * F + L + 3] = len / L;
    out[b * F + L + 4] = tNorm > 0 ? 1 : 0;
  }
  return out;
}

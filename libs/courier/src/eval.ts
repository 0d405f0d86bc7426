/**
 * Quality checks of an embedding table against hidden labels (evaluation only, never training):
 * how often an item's nearest neighbours share its label, and how spread out the embeddings are
 * (a collapsed model maps everything to one direction: spread -> 0).
 */
import type { PretrainConfig } from './config';

/**
 * The config whose training run exports what the untrained network gives (the reference of
 * the look-learning checks): one Adam step at lr 1e-30 moves no float32 weight (Adam refuses
 * lr 0), no weight decay, no timed checkpoint. `seed` picks the initialisation.
 */
export function untrainedConfig(config: PretrainConfig, seed = config.seed): PretrainConfig {
  return { ...config, seed, steps: 1, epochs: 0, lr: 1e-30, weightDecay: 0, checkpointSeconds: 0 };
}

/**
 * Fraction of the k nearest neighbours (cosine, excluding the item) that share the item's label.
 * With `within` (a group label per item, e.g. its category) neighbours are searched only among
 * items of the same group; groups smaller than k + 1 contribute the neighbours they have.
 */
export function neighbourAgreement(vectors: Float32Array, dim: number, labels: ArrayLike<number | string>, k = 5, within?: ArrayLike<number | string>): number {
  const n = labels.length;
  if (vectors.length !== n * dim) throw new Error(`neighbourAgreement: ${n} labels x dim ${dim} needs ${n * dim} values, got ${vectors.length}`);
  if (n < 2) throw new Error('neighbourAgreement: needs at least 2 items');
  const unit = normalizeRows(vectors, dim);
  const kk = Math.min(k, n - 1);
  if (within !== undefined && within.length !== n) throw new Error(`neighbourAgreement: ${n} labels but ${within.length} group labels`);
  let agree = 0;
  let counted = 0;
  const sims = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += unit[i * dim + c] * unit[j * dim + c];
      sims[j] = j === i || (within !== undefined && within[j] !== within[i]) ? -Infinity : s;
    }
    order.sort((a, b) => sims[b] - sims[a] || a - b);
    for (let r = 0; r < kk; r++) {
      if (sims[order[r]] === -Infinity) break;
      if (labels[order[r]] === labels[i]) agree++;
      counted++;
    }
  }
  return counted === 0 ? 0 : agree / counted;
}

/** Agreement expected by chance: sum over labels of p_label * (count - 1) / (n - 1). */
export function chanceAgreement(labels: ArrayLike<number | string>): number {
  const n = labels.length;
  const counts = new Map<number | string, number>();
  for (let i = 0; i < n; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  let s = 0;
  for (const c of counts.values()) s += (c / n) * ((c - 1) / (n - 1));
  return s;
}

/** Mean squared distance of the unit rows to their centroid = 1 - |centroid|^2 (0 = collapsed). */
export function embeddingSpread(vectors: Float32Array, dim: number): number {
  const n = vectors.length / dim;
  const unit = normalizeRows(vectors, dim);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) mean[c] += unit[i * dim + c] / n;
  let sq = 0;
  for (let c = 0; c < dim; c++) sq += mean[c] * mean[c];
  return 1 - sq;
}

function normalizeRows(vectors: Float32Array, dim: number): Float64Array {
  const out = new Float64Array(vectors.length);
  for (let i = 0; i < vectors.length / dim; i++) {
    let s = 0;
    for (let c = 0; c < dim; c++) s += vectors[i * dim + c] ** 2;
    const norm = Math.max(Math.sqrt(s), 1e-12);
    for (let c = 0; c < dim; c++) out[i * dim + c] = vectors[i * dim + c] / norm;
  }
  return out;
}

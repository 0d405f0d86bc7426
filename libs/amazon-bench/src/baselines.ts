/**
 * Non-learned scorers for the synthetic generator's acceptance check (spec section 9): the
 * oracle (t_u . z_i from the latent files), image-profile (cosine to the mean of the user's
 * centred, L2-normalised training image rows), text-profile (same on text), popularity (training
 * count) and random. Each returns a BlockScorer for `evaluateSplits`.
 */
import { Rng } from '@courier/runtime';
import type { FeatureMatrix, MmrecDataset } from './dataset';
import type { BlockScorer } from './evaluate';

export function oracleScorer(latentUsers: Float32Array, latentItems: Float32Array, k: number, nItems: number): BlockScorer {
  return (users) => {
    const out = new Float32Array(users.length * nItems);
    users.forEach((u, b) => {
      for (let i = 0; i < nItems; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += latentUsers[u * k + j] * latentItems[i * k + j];
        out[b * nItems + i] = s;
      }
    });
    return out;
  };
}

export function profileScorer(ds: MmrecDataset, f: FeatureMatrix): BlockScorer {
  const { rows, dim, data } = f;
  const mean = new Float64Array(dim);
  for (let i = 0; i < rows; i++) for (let k = 0; k < dim; k++) mean[k] += data[i * dim + k] / rows;
  const unit = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    let n = 0;
    for (let k = 0; k < dim; k++) n += (data[i * dim + k] - mean[k]) ** 2;
    n = Math.sqrt(n) || 1;
    for (let k = 0; k < dim; k++) unit[i * dim + k] = (data[i * dim + k] - mean[k]) / n;
  }
  const byUser: number[][] = Array.from({ length: ds.nUsers }, () => []);
  ds.train.users.forEach((u, r) => byUser[u].push(ds.train.items[r]));
  return (users) => {
    const out = new Float32Array(users.length * rows);
    const p = new Float64Array(dim);
    users.forEach((u, b) => {
      p.fill(0);
      for (const i of byUser[u]) for (let k = 0; k < dim; k++) p[k] += unit[i * dim + k];
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += p[k] * unit[i * dim + k];
        out[b * rows + i] = s;
      }
    });
    return out;
  };
}

export function popularityScorer(ds: MmrecDataset): BlockScorer {
  const count = new Float32Array(ds.nItems);
  for (const i of ds.train.items) count[i]++;
  return (users) => {
    const out = new Float32Array(users.length * ds.nItems);
    users.forEach((_, b) => out.set(count, b * ds.nItems));
    return out;
  };
}

export function randomScorer(nItems: number, seed: number): BlockScorer {
  const rng = new Rng(seed);
  return (users) => Float32Array.from({ length: users.length * nItems }, () => rng.next());
}

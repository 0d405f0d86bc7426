/**
 * Probes of item embeddings (issue #19): what do an item's nearest neighbours in embedding space
 * share with it? The share of each item's k = 5 nearest neighbours (cosine similarity, the item
 * itself excluded) that carry the same label, for the taste attributes users click on (hue
 * region, pattern) and for the interest-irrelevant ones (background bucket, merchant, lighting
 * bucket; libs/world nuisance.ts). A generic image method on a world with nuisance is predicted
 * to agree on the nuisance attributes; COURIER on the taste ones (PREDICTIONS.md, C1).
 *
 * Labels come from the world's ground truth (evaluation only). Chance = the agreement of random
 * neighbours, sum over classes of n_c (n_c - 1) / (n (n - 1)).
 */
import { readVectorTable } from '@courier/io';
import { Rng } from '@courier/runtime';
import type { ProbeRow } from '@courier/report';
import { readGroundTruth } from '@courier/world';

export const PROBE_ATTRIBUTES = ['hueRegion', 'pattern', 'background', 'merchant', 'lighting'] as const;
export type ProbeAttribute = (typeof PROBE_ATTRIBUTES)[number];

export interface KnnAgreement {
  agreement: Record<string, number>;
  chance: Record<string, number>;
}

/**
 * k-nearest-neighbour label agreement of `n` vectors (row-major, `dim` each) under cosine
 * similarity, for each label set (one integer label per row). Ties in similarity go to the lower
 * row index. O(n^2 dim): meant for a sample of a few thousand items.
 */
export function knnAgreement(vectors: Float32Array, dim: number, labels: Record<string, ArrayLike<number>>, k = 5): KnnAgreement {
  const n = Math.floor(vectors.length / dim);
  if (n * dim !== vectors.length) throw new Error(`knnAgreement: ${vectors.length} values are not rows of dim ${dim}`);
  if (n <= k) throw new Error(`knnAgreement: ${n} items, need more than k = ${k}`);
  for (const [name, l] of Object.entries(labels)) if (l.length !== n) throw new Error(`knnAgreement: labels "${name}" has ${l.length} entries, expected ${n} (one per vector)`);
  // Unit rows (a zero row stays zero: similarity 0 to everything).
  const unit = new Float32Array(vectors.length);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[i * dim + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) unit[i * dim + j] = vectors[i * dim + j] * inv;
  }
  const names = Object.keys(labels);
  const same = new Float64Array(names.length);
  const bestSim = new Float64Array(k);
  const bestIdx = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    bestSim.fill(-Infinity);
    bestIdx.fill(-1);
    const oi = i * dim;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      const oj = j * dim;
      for (let d = 0; d < dim; d++) s += unit[oi + d] * unit[oj + d];
      // Insert into the sorted top k (strictly greater: an equal similarity keeps the lower index).
      if (s <= bestSim[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && s > bestSim[p - 1]) {
        bestSim[p] = bestSim[p - 1];
        bestIdx[p] = bestIdx[p - 1];
        p--;
      }
      bestSim[p] = s;
      bestIdx[p] = j;
    }
    names.forEach((name, a) => {
      const l = labels[name];
      for (let r = 0; r < k; r++) if (l[bestIdx[r]] === l[i]) same[a]++;
    });
  }
  const agreement: Record<string, number> = {};
  const chance: Record<string, number> = {};
  names.forEach((name, a) => {
    agreement[name] = same[a] / (n * k);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) counts.set(labels[name][i], (counts.get(labels[name][i]) ?? 0) + 1);
    let c = 0;
    for (const m of counts.values()) c += m * (m - 1);
    chance[name] = c / (n * (n - 1));
  });
  return { agreement, chance };
}

export interface ProbeOptions {
  /** Variant name the embeddings belong to. */
  name: string;
  seed: number;
  embeddingsFile: string;
  worldDir: string;
  /** Items in the probe (a seeded sample of the embedded items; the same ids for every method of a seed). */
  maxItems: number;
  k?: number;
}

/** Probes one embeddings file against its world's ground truth (see the module comment). */
export function probeEmbeddings(options: ProbeOptions): ProbeRow {
  const k = options.k ?? 5;
  const table = readVectorTable(options.embeddingsFile);
  const gt = readGroundTruth(options.worldDir);
  const rows = Array.from(table.ids, (id, row) => ({ id, row })).filter((r) => gt.items.has(r.id));
  rows.sort((a, b) => a.id - b.id);
  new Rng(options.seed).fork('probe-sample').shuffle(rows);
  const chosen = rows.slice(0, Math.min(options.maxItems, rows.length)).sort((a, b) => a.id - b.id);
  if (chosen.length <= k) throw new Error(`experiments probes: only ${chosen.length} items of ${options.embeddingsFile} are in ${options.worldDir}/ground-truth.json`);
  const vectors = new Float32Array(chosen.length * table.dim);
  chosen.forEach((r, i) => vectors.set(table.vectors.subarray(r.row * table.dim, (r.row + 1) * table.dim), i * table.dim));
  const labels: Record<string, Int32Array> = {
    hueRegion: Int32Array.from(chosen, (r) => gt.items.get(r.id)!.hueRegion),
    pattern: Int32Array.from(chosen, (r) => gt.items.get(r.id)!.pattern),
  };
  // Worlds written before the nuisance knob have no nuisance labels: those columns stay null.
  if (gt.nuisance) {
    const nz = gt.nuisance;
    labels.background = Int32Array.from(chosen, (r) => nz.get(r.id)!.background.bucket);
    labels.merchant = Int32Array.from(chosen, (r) => nz.get(r.id)!.merchant);
    labels.lighting = Int32Array.from(chosen, (r) => nz.get(r.id)!.lighting.bucket);
  }
  const { agreement, chance } = knnAgreement(vectors, table.dim, labels, k);
  const pick = (rec: Record<string, number>) => Object.fromEntries(PROBE_ATTRIBUTES.map((a) => [a, a in rec ? round(rec[a]) : null])) as Record<ProbeAttribute, number | null>;
  return {
    variant: options.name,
    seed: options.seed,
    items: chosen.length,
    k,
    nuisance: gt.doc.nuisance?.strength ?? null,
    agreement: pick(agreement),
    chance: pick(chance),
    source: options.embeddingsFile,
  };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Image features of the CTR model, in the paper's three downstream modes (COURIER Appendix,
 * Table 1): `vector` (the embedding itself, through a learned dense layer), `simscore`
 * (cosine of the target's embedding with each history item's embedding, as real-valued
 * features) and `cluster-id` (the nearest centre's id as a categorical feature; id K =
 * unknown). Features are attached to catalogue rows, so an item never seen in training (a new
 * item) still gets its feature from its image embedding, not from a learned id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLUSTER_ASSIGNMENTS, ContractError, FeatureMode, clusterAssignmentFromRow } from '@courier/data-contracts';
import { VectorTable, parquetInfo, readParquetRows, readVectorTable } from '@courier/io';
import type { Catalogue } from './data';

export type ImageMode = Exclude<FeatureMode, 'none'>;

export interface ImageFeatures {
  mode: ImageMode;
  /** Source files, for the report. */
  source: { embeddings: string | null; clusters: string | null };
  /** vector / simscore: per catalogue row, dim values (L2-normalised for simscore; zeros when missing). */
  vectors: Float32Array | null;
  dim: number;
  /** cluster-id: per catalogue row, in [0, numClusters]; numClusters = unknown. */
  clusterIds: Int32Array | null;
  numClusters: number;
  /** Catalogue items without a usable embedding or cluster (missing row, NaN or zero vector): fallback feature. */
  missingItems: number;
  missingExamples: number[];
  /** How cluster ids were obtained. */
  clusterSource: 'assignments' | 'exact-grouping' | null;
  /**
   * cluster-id with an embeddings file (unless `centroids: false`): per cluster, the mean of its
   * items' L2-normalised embeddings ([numClusters, centroidDim], zeros for an empty cluster); null otherwise.
   */
  centroids: Float32Array | null;
  centroidDim: number;
}

/** Mean L2-normalised vector per cluster id (ids in [0, k); id k = unknown is skipped). */
export function clusterCentroids(vectors: Float32Array, present: Uint8Array, dim: number, ids: Int32Array, k: number): Float32Array {
  const out = new Float32Array(k * dim);
  const counts = new Float64Array(k);
  const acc = new Float64Array(k * dim);
  for (let r = 0; r < present.length; r++) {
    const c = ids[r];
    if (!present[r] || c < 0 || c >= k) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[r * dim + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) acc[c * dim + j] += vectors[r * dim + j] * inv;
    counts[c]++;
  }
  for (let c = 0; c < k; c++) if (counts[c] > 0) for (let j = 0; j < dim; j++) out[c * dim + j] = acc[c * dim + j] / counts[c];
  return out;
}

export interface ImageFeatureOptions {
  mode: ImageMode;
  /** ITEM_EMBEDDINGS Arrow file (required for vector and simscore; for cluster-id when no assignments). */
  embeddingsFile?: string | null;
  /** CLUSTER_ASSIGNMENTS Parquet file (cluster-id). Without it, cluster-id groups identical vectors exactly. */
  clustersFile?: string | null;
  /** Expected embedding dimension (0 = any). A mismatch is an error. */
  expectedDim?: number;
  /**
   * cluster-id: also compute each cluster's centroid from the embeddings, for clusterEmbeddingInit
   * 'centroids' (the default). Default true whenever embeddings are given; false skips reading them
   * next to assignments (clusterEmbeddingInit 'random' does not need them).
   */
  centroids?: boolean;
  /** Upper bound on the number of distinct vectors exact grouping accepts (it is meant for oracle embeddings). */
  maxExactGroups?: number;
  log?: (line: string) => void;
}

function rowHasValue(vectors: Float32Array, i: number, dim: number): boolean {
  let nonZero = false;
  for (let j = 0; j < dim; j++) {
    const v = vectors[i * dim + j];
    if (Number.isNaN(v)) return false;
    if (v !== 0) nonZero = true;
  }
  return nonZero;
}

/**
 * Aligns an embeddings table with the catalogue: errors for ids outside the catalogue,
 * duplicate ids, a wrong dimension or no overlap; missing catalogue items are counted.
 * Returns per-row vectors and a has-value mask.
 */
export function alignEmbeddings(table: VectorTable, catalogue: Catalogue, file: string, expectedDim = 0): { vectors: Float32Array; present: Uint8Array } {
  const name = path.basename(file);
  const { ids, vectors, dim } = table;
  if (expectedDim > 0 && dim !== expectedDim) {
    throw new ContractError({ file: name, column: 'embedding' }, `embeddings of dimension ${expectedDim} (config imageDim / the warm-start checkpoint)`, `dimension ${dim}`);
  }
  if (table.metadata.dim !== undefined && Number(table.metadata.dim) !== dim) {
    throw new ContractError({ file: name, column: 'embedding' }, `vectors of the dimension in the schema metadata (dim=${table.metadata.dim})`, `length ${dim}`);
  }
  const n = catalogue.itemIds.length;
  const out = new Float32Array(n * dim);
  const present = new Uint8Array(n);
  const seen = new Uint8Array(n);
  const unknown: number[] = [];
  let unknownCount = 0;
  for (let i = 0; i < ids.length; i++) {
    const r = catalogue.rowOf.get(ids[i]);
    if (r === undefined) {
      unknownCount++;
      if (unknown.length < 5) unknown.push(ids[i]);
      continue;
    }
    if (seen[r]) throw new ContractError({ file: name, row: i, column: 'item_id' }, 'unique item ids', `item ${ids[i]} a second time`);
    seen[r] = 1;
    if (rowHasValue(vectors, i, dim)) {
      out.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim);
      present[r] = 1;
    }
  }
  if (unknownCount > 0) {
    throw new ContractError(
      { file: name, column: 'item_id' },
      `item ids from the catalogue (items.parquet, ${n} items), but ${unknownCount} of ${ids.length} ids are not in it (e.g. ${unknown.join(', ')}); are these embeddings from another world or catalogue?`,
    );
  }
  if (!present.some((p) => p === 1)) {
    throw new ContractError({ file: name }, 'at least one catalogue item with a finite, non-zero embedding', 'none');
  }
  return { vectors: out, present };
}

function l2NormaliseRows(vectors: Float32Array, dim: number): void {
  for (let r = 0; r < vectors.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[r * dim + j] ** 2;
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) vectors[r * dim + j] *= inv;
    }
  }
}

/**
 * Cluster ids by exact grouping of identical vectors (the oracle "look" vectors are shared by
 * all items of one look). Groups are numbered in catalogue order; missing rows get the unknown id.
 */
export function exactGroupIds(vectors: Float32Array, present: Uint8Array, dim: number, maxGroups: number, file: string): { ids: Int32Array; k: number } {
  const n = present.length;
  const groups = new Map<string, number>();
  const assigned = new Int32Array(n).fill(-1);
  for (let r = 0; r < n; r++) {
    if (!present[r]) continue;
    const key = Buffer.from(vectors.buffer, vectors.byteOffset + r * dim * 4, dim * 4).toString('base64');
    let g = groups.get(key);
    if (g === undefined) {
      g = groups.size;
      if (g >= maxGroups) {
        throw new ContractError(
          { file: path.basename(file) },
          `at most ${maxGroups} distinct vectors for cluster-id by exact grouping (meant for oracle embeddings; give --clusters NAME=assignments.parquet for learned ones)`,
          `more than ${maxGroups}`,
        );
      }
      groups.set(key, g);
    }
    assigned[r] = g;
  }
  const k = groups.size;
  for (let r = 0; r < n; r++) if (assigned[r] < 0) assigned[r] = k;
  return { ids: assigned, k };
}

async function readAssignments(file: string, catalogue: Catalogue): Promise<{ ids: Int32Array; k: number; missing: number[] }> {
  const name = path.basename(file);
  const info = await parquetInfo(file, CLUSTER_ASSIGNMENTS);
  const n = catalogue.itemIds.length;
  const ids = new Int32Array(n).fill(-1);
  let maxId = -1;
  let row = 0;
  const unknown: number[] = [];
  let unknownCount = 0;
  for await (const raw of readParquetRows(file, CLUSTER_ASSIGNMENTS)) {
    const a = clusterAssignmentFromRow(raw);
    const r = catalogue.rowOf.get(a.itemId);
    if (r === undefined) {
      unknownCount++;
      if (unknown.length < 5) unknown.push(a.itemId);
    } else {
      if (ids[r] >= 0) throw new ContractError({ file: name, row, column: 'item_id' }, 'unique item ids', `item ${a.itemId} a second time`);
      ids[r] = a.clusterId;
      maxId = Math.max(maxId, a.clusterId);
    }
    row++;
  }
  if (unknownCount > 0) {
    throw new ContractError({ file: name, column: 'item_id' }, `item ids from the catalogue (${n} items), but ${unknownCount} ids are not in it (e.g. ${unknown.join(', ')}); are these assignments from another catalogue?`);
  }
  // K from the metadata when the clusterer wrote it (id K = unknown), else max id + 1.
  const metaK = info.metadata.k !== undefined ? Number(info.metadata.k) : NaN;
  const k = Number.isInteger(metaK) && metaK > 0 ? metaK : maxId + 1;
  if (maxId > k) throw new ContractError({ file: name, column: 'cluster_id' }, `ids in [0, ${k}] (k=${k} in the metadata; ${k} = unknown)`, `id ${maxId}`);
  const missing: number[] = [];
  for (let r = 0; r < n; r++) {
    if (ids[r] < 0 || ids[r] === k) {
      if (ids[r] < 0) missing.push(catalogue.itemIds[r]);
      ids[r] = k;
    }
  }
  return { ids, k, missing };
}

/** Loads and aligns one feature set's image features. */
export async function loadImageFeatures(catalogue: Catalogue, options: ImageFeatureOptions): Promise<ImageFeatures> {
  const log = options.log ?? (() => undefined);
  const { mode } = options;
  const n = catalogue.itemIds.length;
  const base: ImageFeatures = {
    mode,
    source: { embeddings: options.embeddingsFile ?? null, clusters: options.clustersFile ?? null },
    vectors: null,
    dim: 0,
    clusterIds: null,
    numClusters: 0,
    missingItems: 0,
    missingExamples: [],
    clusterSource: null,
    centroids: null,
    centroidDim: 0,
  };
  if (mode === 'cluster-id' && options.clustersFile) {
    if (!fs.existsSync(options.clustersFile)) throw new ContractError({ file: options.clustersFile }, 'an existing cluster assignments file', 'no such file');
    const { ids, k, missing } = await readAssignments(options.clustersFile, catalogue);
    if (missing.length > 0) log(`warning: ${path.basename(options.clustersFile)} has no cluster for ${missing.length} of ${n} catalogue items (e.g. ${missing.slice(0, 5).join(', ')}); they get the unknown id ${k}`);
    // With the embeddings too, each cluster's centroid (for clusterEmbeddingInit 'centroids').
    let centroids: Float32Array | null = null;
    let centroidDim = 0;
    if (options.centroids !== false && options.embeddingsFile) {
      const table = readVectorTable(options.embeddingsFile);
      const aligned = alignEmbeddings(table, catalogue, options.embeddingsFile, options.expectedDim ?? 0);
      centroids = clusterCentroids(aligned.vectors, aligned.present, table.dim, ids, k);
      centroidDim = table.dim;
    }
    return { ...base, clusterIds: ids, numClusters: k, missingItems: missing.length, missingExamples: missing.slice(0, 10), clusterSource: 'assignments', centroids, centroidDim };
  }
  if (!options.embeddingsFile) throw new Error(`image features: mode "${mode}" needs an embeddings file${mode === 'cluster-id' ? ' or a cluster assignments file' : ''}`);
  const table = readVectorTable(options.embeddingsFile);
  const { vectors, present } = alignEmbeddings(table, catalogue, options.embeddingsFile, options.expectedDim ?? 0);
  const missing: number[] = [];
  for (let r = 0; r < n; r++) if (!present[r]) missing.push(catalogue.itemIds[r]);
  if (missing.length > 0) {
    log(`warning: ${path.basename(options.embeddingsFile)} has no usable embedding for ${missing.length} of ${n} catalogue items (e.g. ${missing.slice(0, 5).join(', ')}); they get the fallback feature (${mode === 'cluster-id' ? 'the unknown cluster id' : 'a zero vector'})`);
  }
  const common = { ...base, dim: table.dim, missingItems: missing.length, missingExamples: missing.slice(0, 10) };
  if (mode === 'cluster-id') {
    const { ids, k } = exactGroupIds(vectors, present, table.dim, options.maxExactGroups ?? 4096, options.embeddingsFile);
    log(`cluster-id by exact grouping of identical vectors: ${k} groups over ${n - missing.length} items`);
    const centroids = options.centroids !== false ? clusterCentroids(vectors, present, table.dim, ids, k) : null;
    return { ...common, clusterIds: ids, numClusters: k, clusterSource: 'exact-grouping', centroids, centroidDim: centroids ? table.dim : 0 };
  }
  if (mode === 'simscore') l2NormaliseRows(vectors, table.dim);
  return { ...common, vectors };
}

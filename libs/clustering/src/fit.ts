import { Rng } from '@courier/runtime';
import { Assigner, BatchAssignment, KernelChoice } from './assign';
import { copyRows, kmeansPlusPlus } from './init';
import { AssignRule, isValidRow } from './kernels';
import { KmeansBaselineResult, fitKmeansBaseline } from './kmeans-baseline';
import { SinglePassOptions, SinglePassResult, fitSinglePass } from './single-pass';

/** Vectors to cluster: row-major n x dim, optional item ids (used by the hashed split). */
export interface VectorInput {
  vectors: Float32Array;
  dim: number;
  ids?: Int32Array;
}

export type ClusterMethod = 'single-pass' | 'kmeans';

export interface FitClustersOptions extends Omit<SinglePassOptions, 'ids'> {
  method?: ClusterMethod;
  /** k-means baseline: iterations at most (default 100) and tolerance (default 1e-6). */
  kmeansMaxIterations?: number;
  kmeansTolerance?: number;
}

/** Fitted centres plus everything needed to assign new items with the same rule. */
export interface ClusterModel {
  method: ClusterMethod;
  k: number;
  d: number;
  rule: AssignRule;
  centres: Float32Array;
  fitSeconds: number;
  /** Clusters left empty (single-pass: summed over epochs; kmeans: in its last iteration is not reported, 0). */
  emptyClusters: number;
  /** Rows with a missing, NaN or zero embedding (they get the reserved id K). */
  invalidRows: number;
  singlePass?: SinglePassResult;
  kmeans?: KmeansBaselineResult;
}

/** Checks the shape and that k fits the usable rows; returns the count of usable rows. */
export function checkInput(input: VectorInput, k: number, where = 'clustering'): { n: number; valid: number } {
  const { vectors, dim } = input;
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${where}: dim must be an integer >= 1, got ${dim}`);
  if (vectors.length % dim !== 0) throw new Error(`${where}: ${vectors.length} values are not a whole number of rows of dim ${dim}`);
  const n = vectors.length / dim;
  if (n === 0) throw new Error(`${where}: the input has no rows (empty embeddings table)`);
  if (input.ids && input.ids.length !== n) throw new Error(`${where}: ${input.ids.length} ids for ${n} rows`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`${where}: k must be an integer >= 1, got ${k}`);
  let valid = 0;
  for (let i = 0; i < n; i++) if (isValidRow(vectors, i * dim, dim)) valid++;
  if (valid === 0) throw new Error(`${where}: none of the ${n} rows is usable (every embedding is missing, NaN or zero)`);
  if (k > valid) throw new Error(`${where}: k = ${k} exceeds the ${valid} usable rows (of ${n}; NaN/zero rows excluded); choose k <= ${valid}`);
  return { n, valid };
}

/**
 * Fits K centres with the single-pass clusterer (default) or the ml-kmeans baseline, behind one
 * interface. Rows with missing/NaN/zero embeddings are skipped and counted.
 */
export async function fitClusters(input: VectorInput, options: FitClustersOptions): Promise<ClusterModel> {
  const method = options.method ?? 'single-pass';
  const { n, valid } = checkInput(input, options.k, method);
  const { vectors, dim: d } = input;
  const t0 = performance.now();
  if (method === 'single-pass') {
    const r = await fitSinglePass(vectors, n, d, { ...options, ids: input.ids });
    return { method, k: r.k, d, rule: r.rule, centres: r.centres, fitSeconds: (performance.now() - t0) / 1000, emptyClusters: r.emptyClusters, invalidRows: n - valid, singlePass: r };
  }
  if (method !== 'kmeans') throw new Error(`clustering: unknown method "${String(method)}"; expected "single-pass" or "kmeans"`);
  if ((options.assign ?? 'l2') !== 'l2') throw new Error(`kmeans: only the 'l2' rule applies to Lloyd's k-means, got "${options.assign}"`);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (isValidRow(vectors, i * d, d)) rows.push(i);
  const m = copyRows(vectors, d, rows);
  let initCentres: Float32Array | undefined;
  const init = options.init;
  if (init && typeof init === 'object') initCentres = init.centres;
  else if (init === 'kmeans++') initCentres = kmeansPlusPlus(m, options.k, new Rng(options.seed).fork('clustering-init'));
  const r = fitKmeansBaseline(m, { k: options.k, seed: options.seed, maxIterations: options.kmeansMaxIterations, tolerance: options.kmeansTolerance, initCentres });
  return { method, k: options.k, d, rule: 'l2', centres: r.centres, fitSeconds: (performance.now() - t0) / 1000, emptyClusters: 0, invalidRows: n - valid, kmeans: r };
}

export interface AssignClustersResult extends BatchAssignment {
  assignSeconds: number;
  kernel: 'js' | 'tfjs';
}

/** Labels every row with its nearest centre (reserved id K for bad rows) using the model's rule. */
export async function assignClusters(
  input: VectorInput,
  model: Pick<ClusterModel, 'centres' | 'k' | 'd' | 'rule'>,
  options: { kernel?: KernelChoice; onProgress?: (done: number, total: number) => void } = {},
): Promise<AssignClustersResult> {
  if (input.dim !== model.d) throw new Error(`assign: the embeddings have dim ${input.dim} but the centres have dim ${model.d}`);
  if (input.vectors.length % input.dim !== 0) throw new Error(`assign: ${input.vectors.length} values are not a whole number of rows of dim ${input.dim}`);
  const n = input.vectors.length / input.dim;
  const t0 = performance.now();
  const a = await Assigner.create(model.centres, model.k, model.d, { rule: model.rule, kernel: options.kernel ?? 'auto' });
  try {
    const r = a.assignBatch(input.vectors, n, options.onProgress ? (done) => options.onProgress!(done, n) : undefined);
    return { ...r, assignSeconds: (performance.now() - t0) / 1000, kernel: a.kernel };
  } finally {
    a.dispose();
  }
}

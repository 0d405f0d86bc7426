import { Rng } from '@courier/runtime';
import { Matrix } from './init';

export interface KmeansBaselineOptions {
  k: number;
  seed: number;
  /** Lloyd iterations at most. Default 100. */
  maxIterations?: number;
  /** ml-kmeans convergence tolerance on centre moves. Default 1e-6. */
  tolerance?: number;
  /** Initial centres (K x d); default ml-kmeans' own k-means++ with a seed from `seed`. */
  initCentres?: Float32Array;
}

export interface KmeansBaselineResult {
  centres: Float32Array;
  iterations: number;
  converged: boolean;
}

type MlKmeans = (data: number[][], k: number, options: Record<string, unknown>) => { centroids: number[][]; iterations: number; converged: boolean };

/**
 * The baseline: Lloyd's k-means from `ml-kmeans` (v7) on the valid rows, behind the same
 * interface as the single-pass clusterer. It holds the data as number[][] (about 8·d bytes per
 * row plus array overhead) and scores every (row, centre) pair with a JS distance function.
 */
export function fitKmeansBaseline(m: Matrix, options: KmeansBaselineOptions): KmeansBaselineResult {
  const { data, n, d } = m;
  const { k } = options;
  if (k > n) throw new Error(`kmeans: k = ${k} exceeds the ${n} usable rows`);
  // ml-kmeans is an ES module; Node >= 20.19 can require() it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { kmeans } = require('ml-kmeans') as { kmeans: MlKmeans };
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(data.subarray(i * d, i * d + d));
  let initialization: unknown = 'kmeans++';
  if (options.initCentres) {
    const init: number[][] = [];
    for (let c = 0; c < k; c++) init.push(Array.from(options.initCentres.subarray(c * d, c * d + d)));
    initialization = init;
  }
  const res = kmeans(rows, k, {
    initialization,
    maxIterations: options.maxIterations ?? 100,
    tolerance: options.tolerance ?? 1e-6,
    seed: new Rng(options.seed).fork('ml-kmeans').seed(),
  });
  const centres = new Float32Array(k * d);
  for (let c = 0; c < k; c++) {
    const src = res.centroids[c];
    for (let j = 0; j < d; j++) centres[c * d + j] = src[j];
  }
  return { centres, iterations: res.iterations, converged: res.converged };
}

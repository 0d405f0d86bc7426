import { Rng, createLoggerSafe } from './log';
import { SumsState, clusterMean, createSums, mergeSums } from './accumulate';
import { Assigner, KernelCalibration, KernelChoice } from './assign';
import { Matrix, copyRows, greedyKmeansPlusPlus, hierarchicalMeans, kmeansPlusPlus, lloyd, randomRows } from './init';
import { AssignRule, isValidRow, squaredDistance } from './kernels';
import { ShardPool } from './pool';
import { softThreshold } from './prox';
import { ShardCounts, accumulateRows } from './shard';
import { SALT_EPOCH, SALT_ESTIMATION, SALT_INIT, epochOf, hashUnit, schedule } from './split';

export type InitMethod = 'sample-lloyd' | 'kmeans++' | 'random' | 'hierarchical';
export type InitSeeding = 'random' | 'greedy-kmeans++';

export interface SinglePassOptions {
  /** Number of clusters K (required). */
  k: number;
  /** Seed for the split, the init sample and the init clustering (required). */
  seed: number;
  /** Minimum mean points per cluster in S_1; sets the number of epochs. Default 20. */
  tMin?: number;
  /** Number of doubling subsets m (default from tMin). */
  epochs?: number;
  /** λ_1: 0 for dense data (default), a number, or 'auto' = 2σ̂·sqrt(2·ln d·K/T). */
  lambda1?: number | 'auto';
  /** λ_{t+1}/λ_t. Default 1/√2 (paper). */
  lambdaDecay?: number;
  /** Assignment rule: 'l2' (default, nearest centre) or 'ip' (the paper's argmax cᵀx). */
  assign?: AssignRule;
  /** Renormalise centres to unit norm after each update. Default false. */
  spherical?: boolean;
  /** Initial centres: a method, or explicit centres (K x d, row-major). Default 'sample-lloyd'. */
  init?: InitMethod | { centres: Float32Array };
  /** Rows in the init sample (drawn by hash, disjoint from S_1..S_m). Default: 32·K for
   * sample-lloyd/kmeans++/random, ⌈5K·ln n⌉ for hierarchical; at most n/4 (at least K). */
  initSampleSize?: number;
  /** Lloyd iterations on the init sample for 'sample-lloyd'. Default 4. */
  initIterations?: number;
  /** Starting centres of 'sample-lloyd': K distinct random sample rows ('random', default), or
   * greedy k-means++ on the sample ('greedy-kmeans++', sklearn's seeding: 2 + ⌊ln K⌋ candidates
   * per centre). Greedy seeding puts one seed in (almost) every well-separated group, which Lloyd
   * and the single pass cannot repair later. */
  initSeeding?: InitSeeding;
  /** Candidates per centre for greedy k-means++ (default 2 + ⌊ln K⌋). */
  seedingTrials?: number;
  /** Rows of the init sample that greedy k-means++ runs on (its cost is rows·trials·K·d):
   * the first this many (the sample is already a hashed random draw). Default 8·K. */
  seedingSample?: number;
  /** Lloyd passes over all usable rows after the single pass (each: assign every row to the
   * current centres, new centre = mean, exact sums as in the pass). 0 (default) keeps the method
   * single-pass (§10 pitfall 7: "add 1-2 Lloyd passes behind a flag"). */
  refinePasses?: number;
  /** Linkage of the hierarchical init. Default 'ward'. */
  linkage?: 'ward' | 'average';
  /** Use only about this many rows for estimation (hashed sample). Default: all. */
  estimationSample?: number;
  /** Worker threads, one per shard; 1 runs in-process. Default 1. */
  shards?: number;
  /** Nearest-centre kernel for the in-process path. Default 'auto'. */
  kernel?: KernelChoice;
  /** Count every row fetch of the estimation pass (tests, V6). Default false. */
  trackReads?: boolean;
  /** Keep the centres after each epoch (tests, V2). Default false. */
  keepHistory?: boolean;
  /** Item ids for the hashed split (default: row index). */
  ids?: Int32Array;
  log?: (line: string) => void;
}

export interface EpochStats {
  epoch: number;
  /** Rows of S_t (by hash). */
  rows: number;
  /** Rows actually fetched in this epoch (= rows). */
  read: number;
  invalid: number;
  lambda: number;
  emptyClusters: number;
  singletonClusters: number;
  /** Largest centre move ||ĉ^{t+1} - ĉ^t||. */
  maxShift: number;
  seconds: number;
  /** A Lloyd refinement pass over all rows (after the m epochs), not part of the single pass. */
  refine?: boolean;
}

export interface SinglePassResult {
  centres: Float32Array;
  k: number;
  d: number;
  rule: AssignRule;
  spherical: boolean;
  initCentres: Float32Array;
  initInertia: number | null;
  initRows: number;
  /** Wall time of the init clustering (before the pass). */
  initSeconds: number;
  sigmaHat: number | null;
  lambda1: number;
  epochs: number;
  firstSize: number;
  estimationRows: number;
  epochStats: EpochStats[];
  /** Sum over epochs of clusters left empty in that epoch. */
  emptyClusters: number;
  invalidRows: number;
  outOfRangeRows: number;
  kernel: 'js' | 'tfjs' | 'workers-js';
  calibration: KernelCalibration | null;
  history?: Float32Array[];
  /** Per-row fetch counts of the estimation pass (trackReads). */
  readCounts?: Int32Array;
  /** Init-sample row indices (trackReads). */
  initRowIndices?: Int32Array;
}

export function defaultInitSampleSize(method: InitMethod, k: number, n: number): number {
  const want = method === 'hierarchical' ? Math.ceil(5 * k * Math.log(n)) : 32 * k;
  // Capped at n/4 so that small inputs keep most rows for the pass itself.
  return Math.max(k, Math.min(want, Math.floor(n / 4)));
}

/**
 * The single-pass clusterer (Yi et al. 2014, Algorithm 1) on an in-memory row-major matrix:
 * hashed doubling subsets S_1..S_m, each estimation row fetched once, per epoch one nearest-centre
 * assignment against the current centres, exact per-cluster sums, soft-thresholded means, λ decay.
 */
export async function fitSinglePass(x: Float32Array, n: number, d: number, options: SinglePassOptions): Promise<SinglePassResult> {
  const k = options.k;
  const log = options.log ?? createLoggerSafe('clustering');
  if (!Number.isInteger(k) || k < 1) throw new Error(`single-pass: k must be an integer >= 1, got ${k}`);
  if (n === 0) throw new Error('single-pass: the input has no rows');
  if (x.length !== n * d) throw new Error(`single-pass: ${n} rows x dim ${d} need ${n * d} values, got ${x.length}`);
  if (k > n) throw new Error(`single-pass: k = ${k} exceeds the number of rows (${n})`);
  const rule = options.assign ?? 'l2';
  const spherical = options.spherical ?? false;
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`single-pass: shards must be an integer >= 1, got ${shards}`);
  const decay = options.lambdaDecay ?? Math.SQRT1_2;
  const seed = options.seed;
  const ids = options.ids;
  if (ids && ids.length !== n) throw new Error(`single-pass: ${ids.length} ids for ${n} rows`);
  const idOf = (i: number): number => (ids ? ids[i] : i);
  const rng = new Rng(seed).fork('clustering-init');

  // 1. Partition rows by hash of the item id: init sample, estimation rows (by epoch), unused.
  const init = options.init ?? 'sample-lloyd';
  const usesSample = typeof init === 'string';
  const initTarget = usesSample ? options.initSampleSize ?? defaultInitSampleSize(init, k, n) : 0;
  const initFrac = initTarget / n;
  const estFrac = options.estimationSample !== undefined ? Math.min(1, options.estimationSample / n) : 1;
  const initRows: number[] = [];
  const estRowsAll: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = idOf(i);
    if (usesSample && hashUnit(id, seed, SALT_INIT) < initFrac) initRows.push(i);
    else if (estFrac >= 1 || hashUnit(id, seed, SALT_ESTIMATION) < estFrac) estRowsAll.push(i);
  }
  const { epochs: m, firstSize } = schedule(estRowsAll.length, k, options.tMin ?? 20, options.epochs);
  const epochRows: number[][] = Array.from({ length: m }, () => []);
  for (const i of estRowsAll) epochRows[epochOf(hashUnit(idOf(i), seed, SALT_EPOCH), m) - 1].push(i);

  // 2. Initial centres.
  let centres: Float32Array;
  let initInertia: number | null = null;
  let sigmaHat: number | null = null;
  let sample: Matrix | null = null;
  const tInit = performance.now();
  if (!usesSample) {
    centres = Float32Array.from(init.centres);
    if (centres.length !== k * d) throw new Error(`single-pass: init centres have ${centres.length} values, expected K x d = ${k * d}`);
  } else {
    const validInit = initRows.filter((i) => isValidRow(x, i * d, d));
    if (validInit.length < k) {
      throw new Error(`single-pass: the init sample has ${validInit.length} usable rows (of ${initRows.length} drawn; NaN/zero rows are skipped) but k = ${k}; lower k or raise initSampleSize`);
    }
    sample = copyRows(x, d, validInit);
    const t0 = performance.now();
    if (init === 'hierarchical') centres = hierarchicalMeans(sample, k, options.linkage ?? 'ward');
    else if (init === 'kmeans++') centres = kmeansPlusPlus(sample, k, rng);
    else if (init === 'random') centres = randomRows(sample, k, rng);
    else {
      const seeding = options.initSeeding ?? 'random';
      let seeds: Float32Array;
      if (seeding === 'greedy-kmeans++') {
        const rows = Math.max(k, Math.min(sample.n, options.seedingSample ?? 8 * k));
        const sub = { data: sample.data.subarray(0, rows * d), n: rows, d };
        seeds = await greedyKmeansPlusPlus(sub, k, rng, { trials: options.seedingTrials, kernel: options.kernel });
      }
      else if (seeding === 'random') seeds = randomRows(sample, k, rng);
      else throw new Error(`single-pass: unknown initSeeding "${String(seeding)}"; expected "random" or "greedy-kmeans++"`);
      const iterations = options.initIterations ?? 4;
      centres = iterations > 0 ? (await lloyd(sample, seeds, k, { iterations, kernel: options.kernel, rule })).centres : seeds;
    }
    log(`init ${init}${init === 'sample-lloyd' ? ` (seeding ${options.initSeeding ?? 'random'})` : ''}: ${sample.n} sample rows, K=${k}, ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
  if (sample) {
    const a = await Assigner.create(centres, k, d, { rule, kernel: options.kernel ?? 'auto' });
    const out = new Int32Array(sample.n);
    a.nearest(sample.data, null, out, sample.n);
    a.dispose();
    let s = 0;
    for (let i = 0; i < sample.n; i++) s += squaredDistance(sample.data, i * d, centres, out[i], d);
    initInertia = s / sample.n;
    sigmaHat = Math.sqrt(initInertia / d);
  }
  let lambda: number;
  if (options.lambda1 === 'auto') {
    if (sigmaHat === null) throw new Error("single-pass: lambda1 'auto' needs an init sample to estimate sigma (use an init method, or give lambda1 as a number)");
    lambda = 2 * sigmaHat * Math.sqrt((2 * Math.log(d) * k) / Math.max(1, firstSize));
  } else {
    lambda = options.lambda1 ?? 0;
    if (!(lambda >= 0)) throw new Error(`single-pass: lambda1 must be >= 0 or 'auto', got ${options.lambda1}`);
  }
  const lambda1 = lambda;
  const initSeconds = (performance.now() - tInit) / 1000;
  const initCentres = Float32Array.from(centres);

  // 3. The pass.
  let readCountsBuf: SharedArrayBuffer | null = null;
  if (options.trackReads) readCountsBuf = new SharedArrayBuffer(4 * n);
  const readCounts = readCountsBuf ? new Int32Array(readCountsBuf) : null;
  let pool: ShardPool | null = null;
  let calibration: KernelCalibration | null = null;
  if (shards > 1) {
    let shared: SharedArrayBuffer;
    if (x.buffer instanceof SharedArrayBuffer && x.byteOffset === 0 && x.length * 4 === x.buffer.byteLength) shared = x.buffer;
    else {
      shared = new SharedArrayBuffer(x.length * 4);
      new Float32Array(shared).set(x);
    }
    pool = new ShardPool(shards, shared, d, readCountsBuf);
  }
  const epochStats: EpochStats[] = [];
  const history: Float32Array[] = [];
  let kernelUsed: SinglePassResult['kernel'] = 'js';
  let invalidRows = 0;
  let outOfRange = 0;
  let emptyTotal = 0;
  const mean = new Float64Array(d);
  const next = new Float64Array(d);
  try {
    if (!pool && (options.kernel ?? 'auto') === 'auto') {
      // Time the kernels before the pass, so epoch 1's time is the pass alone.
      calibration = (await Assigner.create(centres, k, d, { rule, kernel: 'auto' })).calibration;
    }
    const refine = options.refinePasses ?? 0;
    if (!Number.isInteger(refine) || refine < 0) throw new Error(`single-pass: refinePasses must be an integer >= 0, got ${refine}`);
    let allRows: Int32Array | null = null;
    if (refine > 0) {
      allRows = new Int32Array(estRowsAll.length + initRows.length);
      allRows.set(estRowsAll);
      allRows.set(initRows, estRowsAll.length);
      allRows.sort();
    }
    for (let t = 1; t <= m + refine; t++) {
      const t0 = performance.now();
      const rows = t <= m ? Int32Array.from(epochRows[t - 1]) : allRows!;
      let sums: SumsState;
      const counts: ShardCounts = { read: 0, invalid: 0, outOfRange: 0 };
      if (pool) {
        const parts: Int32Array[] = [];
        for (let s = 0; s < shards; s++) parts.push(rows.slice(Math.floor((s * rows.length) / shards), Math.floor(((s + 1) * rows.length) / shards)));
        const results = await pool.epoch(centres, k, rule, parts);
        sums = createSums(k, d);
        for (const r of results) {
          mergeSums(sums, r.sums); // shard order; exact, so any order gives the same bits
          counts.read += r.counts.read;
          counts.invalid += r.counts.invalid;
          counts.outOfRange += r.counts.outOfRange;
        }
        kernelUsed = 'workers-js';
      } else {
        const a = await Assigner.create(centres, k, d, { rule, kernel: options.kernel ?? 'auto' });
        calibration = a.calibration ?? calibration;
        kernelUsed = a.kernel;
        const r = accumulateRows(x, d, rows, (xs, rr, out, count) => a.nearest(xs, rr, out, count), k, readCounts);
        a.dispose();
        sums = r.sums;
        Object.assign(counts, r.counts);
      }
      if (t <= m) {
        // Refinement passes re-read the same rows: count bad rows once.
        invalidRows += counts.invalid;
        outOfRange += counts.outOfRange;
      }
      // Barrier: new centres from S_t alone; empty clusters keep their centre.
      const updated = Float32Array.from(centres);
      let empty = 0;
      let singletons = 0;
      let maxShift = 0;
      for (let c = 0; c < k; c++) {
        const nk = sums.counts[c];
        if (nk === 0) {
          empty++;
          continue;
        }
        if (nk === 1) singletons++;
        clusterMean(sums, c, mean);
        softThreshold(mean, lambda, next);
        if (spherical) {
          let norm = 0;
          for (let j = 0; j < d; j++) norm += next[j] * next[j];
          norm = Math.sqrt(norm);
          if (norm > 0) for (let j = 0; j < d; j++) next[j] /= norm;
        }
        let shift = 0;
        for (let j = 0; j < d; j++) {
          const v = Math.fround(next[j]);
          shift += (v - centres[c * d + j]) ** 2;
          updated[c * d + j] = v;
        }
        maxShift = Math.max(maxShift, Math.sqrt(shift));
      }
      centres = updated;
      emptyTotal += empty;
      const seconds = (performance.now() - t0) / 1000;
      epochStats.push({ epoch: t, rows: rows.length, read: counts.read, invalid: counts.invalid, lambda, emptyClusters: empty, singletonClusters: singletons, maxShift, seconds, ...(t > m ? { refine: true } : {}) });
      log(`${t > m ? `refine ${t - m}/${refine}` : `epoch ${t}/${m}`}: ${rows.length} rows in ${seconds.toFixed(2)} s (${(rows.length / Math.max(seconds, 1e-9)).toFixed(0)} rows/s, kernel ${kernelUsed}), lambda ${lambda.toPrecision(3)}, empty ${empty}, singletons ${singletons}, max shift ${maxShift.toPrecision(3)}`);
      if (options.keepHistory) history.push(Float32Array.from(centres));
      lambda *= decay;
    }
  } finally {
    await pool?.close();
  }
  if (outOfRange > 0) log(`warning: ${outOfRange} rows had a coordinate beyond +-2048 and were left out of the centre estimates`);
  const result: SinglePassResult = {
    centres,
    k,
    d,
    rule,
    spherical,
    initCentres,
    initInertia,
    initRows: sample ? sample.n : 0,
    initSeconds,
    sigmaHat,
    lambda1,
    epochs: m,
    firstSize,
    estimationRows: estRowsAll.length,
    epochStats,
    emptyClusters: emptyTotal,
    invalidRows,
    outOfRangeRows: outOfRange,
    kernel: kernelUsed,
    calibration,
  };
  if (options.keepHistory) result.history = history;
  if (readCounts) {
    result.readCounts = readCounts;
    result.initRowIndices = Int32Array.from(initRows);
  }
  return result;
}

import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { Assigner, KernelChoice } from './assign';
import { squaredDistance } from './kernels';

/** A small in-memory matrix (row-major). */
export interface Matrix {
  data: Float32Array;
  n: number;
  d: number;
}

/** Copies the given rows of x (row-major, d columns) into a new matrix: a host copy, no tensors. */
export function copyRows(x: Float32Array, d: number, rows: ArrayLike<number>): Matrix {
  const data = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) data.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return { data, n: rows.length, d };
}

/** k-means++ seeding (Arthur & Vassilvitskii 2007) on a sample; deterministic given the Rng. */
export function kmeansPlusPlus(m: Matrix, k: number, rng: Rng): Float32Array {
  const { data, n, d } = m;
  if (k > n) throw new Error(`k-means++: k = ${k} exceeds the ${n} sample rows`);
  const centres = new Float32Array(k * d);
  const dist = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let c = 0; c < k; c++) {
    centres.set(data.subarray(pick * d, pick * d + d), c * d);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = squaredDistance(data, i * d, centres, c, d);
      if (s < dist[i]) dist[i] = s;
      total += dist[i];
    }
    if (c + 1 === k) break;
    if (total > 0) pick = rng.weightedIndex(dist);
    else pick = rng.int(n); // all remaining points coincide with a centre
  }
  return centres;
}

export interface GreedySeedingOptions {
  /** Candidates drawn per centre; the one that lowers the potential most is kept. Default 2 + ⌊ln K⌋ (sklearn's). */
  trials?: number;
  /** 'js' = float64 loops; 'tfjs' = one float32 matMul per step on the current backend, then an
   * exact float64 recomputation of every distance the float32 value cannot rule out; 'auto' =
   * the assignment kernel's calibrated choice. All give the same centres. Default 'auto'. */
  kernel?: KernelChoice;
}

/**
 * Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, §6; sklearn's default): each step draws
 * `trials` candidates with probability ∝ D(x)² and keeps the one whose addition gives the lowest
 * potential Σ min(D(x)², ||x - c||²). Deterministic given the Rng, and the same for every kernel:
 * all kept distances are exact float64 values (the float32 GEMM only rules out candidates that
 * are provably farther than a row's current distance).
 */
export async function greedyKmeansPlusPlus(m: Matrix, k: number, rng: Rng, options: GreedySeedingOptions = {}): Promise<Float32Array> {
  const { data, n, d } = m;
  if (k > n) throw new Error(`greedy k-means++: k = ${k} exceeds the ${n} sample rows`);
  const trials = Math.max(1, options.trials ?? 2 + Math.floor(Math.log(k)));
  let kernel = options.kernel ?? 'auto';
  if (kernel === 'auto') {
    // The calibration is cached per (backend, K, d), so later assignments reuse it.
    const a = await Assigner.create(data.subarray(0, k * d), k, d, { kernel: 'auto' });
    kernel = a.kernel;
    a.dispose();
  }
  const centres = new Float32Array(k * d);
  const closest = new Float64Array(n);
  const cum = new Float64Array(n);
  const norms = new Float64Array(n);
  const bound = new Float64Array(n); // tolScale·||x_i||
  // |float32 x·c - exact| <= (d+2)·2^-24·||x||·||c||; the distance carries it twice; 4x margin.
  const tolScale = 8 * (d + 2) * 2 ** -24;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j] * data[i * d + j];
    norms[i] = s;
    bound[i] = tolScale * Math.sqrt(s);
  }
  const xT = kernel === 'tfjs' ? tf.tensor2d(data, [n, d]) : null;
  const candRows = new Int32Array(trials);
  const candBuf = new Float32Array(trials * d);
  // Per trial: rows the candidate improves, and their new (exact) distances.
  const improvedRows: Int32Array[] = Array.from({ length: trials }, () => new Int32Array(n));
  const improvedVals: Float64Array[] = Array.from({ length: trials }, () => new Float64Array(n));
  const improvedCount = new Int32Array(trials);
  try {
    const first = rng.int(n);
    centres.set(data.subarray(first * d, first * d + d), 0);
    for (let i = 0; i < n; i++) closest[i] = squaredDistance(data, i * d, centres, 0, d);
    for (let c = 1; c < k; c++) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += closest[i];
        cum[i] = acc;
      }
      for (let t = 0; t < trials; t++) {
        let r: number;
        if (acc > 0) {
          const u = rng.next() * acc;
          // first i with cum[i] > u (rows at distance 0 are never drawn)
          let lo = 0;
          let hi = n - 1;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (cum[mid] > u) hi = mid;
            else lo = mid + 1;
          }
          r = lo;
        } else r = rng.int(n); // every row coincides with a centre
        candRows[t] = r;
        candBuf.set(data.subarray(r * d, r * d + d), t * d);
      }
      improvedCount.fill(0);
      if (xT) {
        const candT = tf.tensor2d(candBuf, [trials, d]);
        const scoresT = tf.matMul(xT, candT, false, true);
        const scores = scoresT.dataSync() as Float32Array;
        candT.dispose();
        scoresT.dispose();
        for (let t = 0; t < trials; t++) {
          const r = candRows[t];
          const cn = norms[r];
          const cnorm = Math.sqrt(cn);
          const rowsT = improvedRows[t];
          const valsT = improvedVals[t];
          let cnt = 0;
          for (let i = 0; i < n; i++) {
            const est = norms[i] + cn - 2 * scores[i * trials + t];
            if (est - bound[i] * cnorm > closest[i]) continue; // provably not closer
            const v = squaredDistance(data, i * d, candBuf, t, d);
            if (v < closest[i]) {
              rowsT[cnt] = i;
              valsT[cnt++] = v;
            }
          }
          improvedCount[t] = cnt;
        }
      } else {
        for (let t = 0; t < trials; t++) {
          const rowsT = improvedRows[t];
          const valsT = improvedVals[t];
          let cnt = 0;
          for (let i = 0; i < n; i++) {
            const v = squaredDistance(data, i * d, candBuf, t, d);
            if (v < closest[i]) {
              rowsT[cnt] = i;
              valsT[cnt++] = v;
            }
          }
          improvedCount[t] = cnt;
        }
      }
      // Keep the candidate with the largest drop in potential (ties -> the earlier draw).
      let bestT = 0;
      let bestGain = -1;
      for (let t = 0; t < trials; t++) {
        let gain = 0;
        const rowsT = improvedRows[t];
        const valsT = improvedVals[t];
        for (let q = 0; q < improvedCount[t]; q++) gain += closest[rowsT[q]] - valsT[q];
        if (gain > bestGain) {
          bestGain = gain;
          bestT = t;
        }
      }
      centres.set(candBuf.subarray(bestT * d, bestT * d + d), c * d);
      const rowsB = improvedRows[bestT];
      const valsB = improvedVals[bestT];
      for (let q = 0; q < improvedCount[bestT]; q++) closest[rowsB[q]] = valsB[q];
    }
  } finally {
    xT?.dispose();
  }
  return centres;
}

/** K distinct random rows of the sample (distinct by index). */
export function randomRows(m: Matrix, k: number, rng: Rng): Float32Array {
  if (k > m.n) throw new Error(`random init: k = ${k} exceeds the ${m.n} sample rows`);
  const idx = Array.from({ length: m.n }, (_, i) => i);
  // Partial Fisher-Yates: the first k entries are a uniform k-subset.
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(m.n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return copyRows(m.data, m.d, idx.slice(0, k)).data;
}

export interface LloydResult {
  centres: Float32Array;
  ids: Int32Array;
  inertia: number;
  iterations: number;
  emptyClusters: number;
  /** Inertia after each iteration (mean squared distance, with the centres of that iteration's start). */
  history: number[];
}

/**
 * Lloyd's k-means on an in-memory matrix with the shared assignment kernel. Empty clusters keep
 * their centre. Stops after `iterations` or when no id changes.
 */
export async function lloyd(m: Matrix, init: Float32Array, k: number, options: { iterations: number; kernel?: 'auto' | 'js' | 'tfjs'; rule?: 'l2' | 'ip' } = { iterations: 20 }): Promise<LloydResult> {
  const { data, n, d } = m;
  let centres = Float32Array.from(init);
  const ids = new Int32Array(n).fill(-1);
  const out = new Int32Array(n);
  const history: number[] = [];
  let it = 0;
  let empty = 0;
  for (; it < options.iterations; it++) {
    const a = await Assigner.create(centres, k, d, { kernel: options.kernel ?? 'auto', rule: options.rule ?? 'l2' });
    a.nearest(data, null, out, n);
    a.dispose();
    let changed = 0;
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      if (ids[i] !== out[i]) changed++;
      ids[i] = out[i];
      inertia += squaredDistance(data, i * d, centres, out[i], d);
    }
    history.push(inertia / n);
    if (changed === 0) break;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = ids[i];
      counts[c]++;
      const o = c * d;
      for (let j = 0; j < d; j++) sums[o + j] += data[i * d + j];
    }
    const next = Float32Array.from(centres);
    empty = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        empty++;
        continue;
      }
      for (let j = 0; j < d; j++) next[c * d + j] = sums[c * d + j] / counts[c];
    }
    centres = next;
  }
  const a = await Assigner.create(centres, k, d, { kernel: options.kernel ?? 'auto', rule: options.rule ?? 'l2' });
  a.nearest(data, null, ids, n);
  a.dispose();
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squaredDistance(data, i * d, centres, ids[i], d);
  return { centres, ids, inertia: inertia / n, iterations: it, emptyClusters: empty, history };
}

/**
 * Agglomerative clustering of a small sample (the paper's init, Murtagh 1984) with the
 * Lance-Williams update on squared Euclidean distances; returns the means of the K final
 * clusters. O(n²) memory and O(n²·d + n³/…) time: for samples of a few thousand rows.
 */
export function hierarchicalMeans(m: Matrix, k: number, linkage: 'ward' | 'average' = 'ward'): Float32Array {
  const { data, n, d } = m;
  if (k > n) throw new Error(`hierarchical init: k = ${k} exceeds the ${n} sample rows`);
  if (n > 20000) throw new Error(`hierarchical init: ${n} sample rows would need ${((n * n * 8) / 1e9).toFixed(1)} GB; use init 'sample-lloyd' or 'kmeans++'`);
  // Ward's Lance-Williams form works on squared distances; average linkage on plain ones.
  const D = new Float64Array(n * n);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j] ** 2;
    norms[i] = s;
  }
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let dot = 0;
      const oa = a * d;
      const ob = b * d;
      for (let j = 0; j < d; j++) dot += data[oa + j] * data[ob + j];
      const sq = Math.max(0, norms[a] + norms[b] - 2 * dot);
      const v = linkage === 'ward' ? sq : Math.sqrt(sq);
      D[a * n + b] = v;
      D[b * n + a] = v;
    }
  }
  const size = new Float64Array(n).fill(1);
  const alive = new Uint8Array(n).fill(1);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  // Nearest-neighbour cache per active cluster, refreshed when stale (keeps merges ~O(n) each).
  const nn = new Int32Array(n);
  const nnDist = new Float64Array(n);
  const refresh = (a: number): void => {
    let best = Infinity;
    let bi = -1;
    for (let b = 0; b < n; b++) {
      if (b === a || !alive[b]) continue;
      const v = D[a * n + b];
      if (v < best) {
        best = v;
        bi = b;
      }
    }
    nn[a] = bi;
    nnDist[a] = best;
  };
  for (let a = 0; a < n; a++) refresh(a);
  for (let clusters = n; clusters > k; clusters--) {
    let a = -1;
    let best = Infinity;
    for (let i = 0; i < n; i++) {
      if (alive[i] && nnDist[i] < best) {
        best = nnDist[i];
        a = i;
      }
    }
    const b = nn[a];
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    // merge hi into lo
    const na = size[lo];
    const nb = size[hi];
    for (let c = 0; c < n; c++) {
      if (!alive[c] || c === lo || c === hi) continue;
      const nc = size[c];
      const dac = D[lo * n + c];
      const dbc = D[hi * n + c];
      const v = linkage === 'ward'
        ? ((na + nc) * dac + (nb + nc) * dbc - nc * D[lo * n + hi]) / (na + nb + nc)
        : (na * dac + nb * dbc) / (na + nb);
      D[lo * n + c] = v;
      D[c * n + lo] = v;
    }
    alive[hi] = 0;
    size[lo] = na + nb;
    for (let i = 0; i < n; i++) if (parent[i] === hi) parent[i] = lo;
    for (let c = 0; c < n; c++) {
      if (!alive[c]) continue;
      if (c === lo || nn[c] === lo || nn[c] === hi) refresh(c);
      else if (D[c * n + lo] < nnDist[c]) {
        nn[c] = lo;
        nnDist[c] = D[c * n + lo];
      }
    }
  }
  // Means of the surviving clusters, numbered by their lowest member.
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (alive[i]) roots.push(i);
  const slot = new Map(roots.map((r, i) => [r, i]));
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = slot.get(parent[i])!;
    counts[c]++;
    for (let j = 0; j < d; j++) sums[c * d + j] += data[i * d + j];
  }
  const centres = new Float32Array(k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j] / counts[c];
  return centres;
}

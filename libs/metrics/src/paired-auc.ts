/**
 * How much of a difference between two scorers on the same rows is evaluation-sampling noise.
 *
 * `pairedAucDifference` gives ΔAUC = AUC(a) - AUC(b) and its standard error from the rows that
 * happened to be in the evaluation set: DeLong's structural components, summed per cluster
 * (Obuchowski 1997), so rows of one session or user are not treated as independent. Cost:
 * O(n log n), no resampling. `pairedGroupAucDifference` does the same for GAUC, where the groups
 * are the sampling units: ΔGAUC is the mean of per-group differences, its error their sd / sqrt(G).
 *
 * Neither captures training noise (another seed gives another model); they say how large a gap
 * between two fixed models the evaluation rows can resolve.
 */
import { MetricInputError, gauc } from './auc';

export interface PairedDifference {
  /** metric(a) - metric(b). */
  delta: number;
  /** Standard error of delta from evaluation sampling (clusters as the sampling units). */
  se: number;
  /** Clusters (or groups) that carried information. */
  units: number;
}

/**
 * Per row, DeLong's placement value: for a positive, the share of negatives it outranks (ties
 * half); for a negative, the share of positives that outrank it. Sorting once per class.
 */
function placements(scores: ArrayLike<number>, labels: ArrayLike<number>, nPos: number, nNeg: number): Float64Array {
  const n = scores.length;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (labels[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  pos.sort();
  neg.sort();
  // #values in a sorted array strictly below x and below-or-equal x (binary searches).
  const below = (arr: Float64Array, x: number, orEqual: boolean): number => {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (arr[mid] < x || (orEqual && arr[mid] === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (labels[i] === 1) {
      const lt = below(neg, s, false);
      const le = below(neg, s, true);
      out[i] = (lt + 0.5 * (le - lt)) / nNeg;
    } else {
      const le = below(pos, s, true);
      const lt = below(pos, s, false);
      out[i] = (nPos - le + 0.5 * (le - lt)) / nPos;
    }
  }
  return out;
}

function check(fn: string, a: ArrayLike<number>, b: ArrayLike<number>, labels: ArrayLike<number>, clusters?: ArrayLike<number>): void {
  if (a.length !== labels.length || b.length !== labels.length) {
    throw new MetricInputError(fn, `'scoresA' (${a.length}), 'scoresB' (${b.length}) and 'labels' (${labels.length}) must have equal lengths`);
  }
  if (clusters && clusters.length !== labels.length) throw new MetricInputError(fn, `'clusters' has length ${clusters.length} but 'labels' has length ${labels.length}; expected equal lengths`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new MetricInputError(fn, `'labels'[${i}] is ${labels[i]}; expected 0 or 1`);
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) throw new MetricInputError(fn, `row ${i} has a NaN score; expected numbers`);
    if (clusters && !Number.isFinite(clusters[i])) throw new MetricInputError(fn, `'clusters'[${i}] is ${clusters[i]}; expected a finite number`);
  }
}

/**
 * ΔAUC of two scorers on the same rows with its evaluation-sampling standard error. `clusters`
 * (a session or user id per row) makes the error cluster-robust; without it every row is its own
 * cluster (plain DeLong). Null when one class is missing or there are fewer than two clusters.
 */
export function pairedAucDifference(scoresA: ArrayLike<number>, scoresB: ArrayLike<number>, labels: ArrayLike<number>, clusters?: ArrayLike<number>): PairedDifference | null {
  check('pairedAucDifference', scoresA, scoresB, labels, clusters);
  const n = labels.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += labels[i];
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  const va = placements(scoresA, labels, nPos, nNeg);
  const vb = placements(scoresB, labels, nPos, nNeg);
  // AUC = mean placement of the positives (= mean over negatives of 1 - theirs).
  let delta = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) delta += va[i] - vb[i];
  delta /= nPos;
  // Per cluster: X = sum over its positives of the placement difference minus m_k delta,
  // Y = the same over its negatives (placements of negatives count positives above them).
  const index = new Map<number, number>();
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = clusters ? clusters[i] : i;
    let k = index.get(key);
    if (k === undefined) {
      k = xs.length;
      index.set(key, k);
      xs.push(0);
      ys.push(0);
    }
    if (labels[i] === 1) xs[k] += va[i] - vb[i] - delta;
    else ys[k] += va[i] - vb[i] - delta;
  }
  const K = xs.length;
  if (K < 2) return null;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let k = 0; k < K; k++) {
    sxx += xs[k] * xs[k];
    syy += ys[k] * ys[k];
    sxy += xs[k] * ys[k];
  }
  const variance = (K / (K - 1)) * (sxx / (nPos * nPos) + syy / (nNeg * nNeg) + (2 * sxy) / (nPos * nNeg));
  return { delta, se: Math.sqrt(Math.max(variance, 0)), units: K };
}

/**
 * ΔGAUC (plain mean over groups with both classes) of two scorers on the same rows, with the
 * standard error of that mean over the groups. Null when fewer than two groups have both classes.
 */
export function pairedGroupAucDifference(scoresA: ArrayLike<number>, scoresB: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>): PairedDifference | null {
  check('pairedGroupAucDifference', scoresA, scoresB, labels, groups);
  const a = gauc(scoresA, labels, groups).perGroup;
  const b = gauc(scoresB, labels, groups).perGroup;
  const diffs: number[] = [];
  for (let g = 0; g < a.length; g++) {
    const x = a[g].auc;
    const y = b[g].auc;
    if (x !== null && y !== null) diffs.push(x - y);
  }
  const G = diffs.length;
  if (G < 2) return null;
  const mean = diffs.reduce((s, d) => s + d, 0) / G;
  const variance = diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (G - 1);
  return { delta: mean, se: Math.sqrt(variance / G), units: G };
}

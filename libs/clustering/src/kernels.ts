/**
 * Nearest-centre kernels on typed arrays. The rule everywhere (fitting, labelling, serving) is
 *   id(x) = argmax_k ( x·c_k - bias_k ),  ties -> lowest k,
 * with bias_k = ||c_k||²/2 for the 'l2' rule (= argmin ||x - c_k||²) and bias_k = 0 for the
 * paper's inner-product rule 'ip'. Every (row, centre) dot product is summed in float64 in the
 * same order (j = 0..d-1) whatever the blocking, so a row's id never depends on how rows are
 * batched or sharded.
 */

export type AssignRule = 'l2' | 'ip';

/** Per-centre bias of the rule, in float64. */
export function ruleBias(centres: Float32Array, k: number, d: number, rule: AssignRule): Float64Array {
  const bias = new Float64Array(k);
  if (rule === 'ip') return bias;
  for (let c = 0; c < k; c++) {
    let s = 0;
    const o = c * d;
    for (let j = 0; j < d; j++) s += centres[o + j] * centres[o + j];
    bias[c] = 0.5 * s;
  }
  return bias;
}

/** x·c_k - bias_k for one (row, centre) pair, in the canonical summation order. */
export function exactScore(x: ArrayLike<number>, xo: number, centres: Float32Array, c: number, d: number, bias: Float64Array): number {
  let s = 0;
  const o = c * d;
  for (let j = 0; j < d; j++) s += x[xo + j] * centres[o + j];
  return s - bias[c];
}

/** Squared Euclidean distance in float64 (exact recomputation for the winner, pitfall 10). */
export function squaredDistance(x: ArrayLike<number>, xo: number, centres: Float32Array, c: number, d: number): number {
  let s = 0;
  const o = c * d;
  for (let j = 0; j < d; j++) {
    const t = x[xo + j] - centres[o + j];
    s += t * t;
  }
  return s;
}

/**
 * A row is usable when every coordinate is finite and it is not all zeros. Rows that are not get
 * the reserved id K.
 */
export function isValidRow(x: ArrayLike<number>, xo: number, d: number): boolean {
  let nonZero = false;
  for (let j = 0; j < d; j++) {
    const v = x[xo + j];
    if (v - v !== 0) return false; // NaN or ±Infinity
    if (v !== 0) nonZero = true;
  }
  return nonZero;
}

const ROW_BLOCK = 8;
const CENTRE_BLOCK = 64;

/**
 * Blocked brute-force argmax over all centres for the rows `rows[r0..r1)` (indices into `x`,
 * row-major with width d). Writes the winning id into `out[r - r0]`. Rows are assumed valid.
 * Blocks of 8 rows x 64 centres keep a centre block in cache; the inner loop scores 4 centres
 * per loaded coordinate.
 */
export function nearestBlockJs(
  x: Float32Array,
  rows: Int32Array | null,
  r0: number,
  r1: number,
  centres: Float32Array,
  k: number,
  d: number,
  bias: Float64Array,
  out: Int32Array,
): void {
  const best = new Float64Array(ROW_BLOCK);
  const bestId = new Int32Array(ROW_BLOCK);
  const offs = new Int32Array(ROW_BLOCK);
  for (let rb = r0; rb < r1; rb += ROW_BLOCK) {
    const nr = Math.min(ROW_BLOCK, r1 - rb);
    for (let i = 0; i < nr; i++) {
      best[i] = -Infinity;
      bestId[i] = 0;
      offs[i] = (rows ? rows[rb + i] : rb + i) * d;
    }
    for (let cb = 0; cb < k; cb += CENTRE_BLOCK) {
      const ce = Math.min(k, cb + CENTRE_BLOCK);
      for (let i = 0; i < nr; i++) {
        const xo = offs[i];
        let bi = best[i];
        let bk = bestId[i];
        let c = cb;
        for (; c + 3 < ce; c += 4) {
          const o0 = c * d;
          const o1 = o0 + d;
          const o2 = o1 + d;
          const o3 = o2 + d;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let j = 0; j < d; j++) {
            const v = x[xo + j];
            s0 += v * centres[o0 + j];
            s1 += v * centres[o1 + j];
            s2 += v * centres[o2 + j];
            s3 += v * centres[o3 + j];
          }
          s0 -= bias[c];
          s1 -= bias[c + 1];
          s2 -= bias[c + 2];
          s3 -= bias[c + 3];
          if (s0 > bi) { bi = s0; bk = c; }
          if (s1 > bi) { bi = s1; bk = c + 1; }
          if (s2 > bi) { bi = s2; bk = c + 2; }
          if (s3 > bi) { bi = s3; bk = c + 3; }
        }
        for (; c < ce; c++) {
          const s = exactScore(x, xo, centres, c, d, bias);
          if (s > bi) { bi = s; bk = c; }
        }
        best[i] = bi;
        bestId[i] = bk;
      }
    }
    for (let i = 0; i < nr; i++) out[rb - r0 + i] = bestId[i];
  }
}

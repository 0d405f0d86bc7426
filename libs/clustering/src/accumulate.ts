/**
 * Exact per-cluster sufficient statistics (sum vector S_k and count N_k).
 *
 * Each coordinate is rounded to a multiple of 2^-40 (error <= 4.6e-13, far below float32
 * resolution of an embedding) and summed as an integer held in two float64 words: `lo` keeps
 * |lo| < 2^52 so every add is exact, and whole multiples of 2^32 are carried into `hi` (exact up
 * to 2^85). Integer addition is associative, so the total, and hence the mean, is bit-identical
 * for any order of rows, any shard count and any merge tree: the spec's "float64 accumulators +
 * fixed reduction order" made exact (V5). Coordinates must satisfy |x| <= 2^11.
 */

export const FIXED_SCALE = 2 ** 40;
const INV_FIXED_SCALE = 2 ** -40;
const CARRY_LIMIT = 2 ** 52;
const CARRY_UNIT = 2 ** 32;
// Adding and subtracting 1.5·2^52 rounds a float64 with |v| < 2^51 to the nearest integer (ties
// to even) without a Math.round call (much cheaper inside jest's sandbox too).
const ROUND_MAGIC = 6755399441055744;
export const MAX_ABS_COORDINATE = 2 ** 11;

export interface SumsState {
  k: number;
  d: number;
  hi: Float64Array;
  lo: Float64Array;
  counts: Float64Array;
}

export function createSums(k: number, d: number): SumsState {
  return { k, d, hi: new Float64Array(k * d), lo: new Float64Array(k * d), counts: new Float64Array(k) };
}

/** Adds row `x[xo..xo+d)` to cluster c. Returns false (and adds nothing) if a coordinate is out of range. */
export function addRow(s: SumsState, c: number, x: ArrayLike<number>, xo: number): boolean {
  const d = s.d;
  for (let j = 0; j < d; j++) {
    const v = x[xo + j];
    if (!(v <= MAX_ABS_COORDINATE && v >= -MAX_ABS_COORDINATE)) return false;
  }
  const { hi, lo } = s;
  const b = c * d;
  for (let j = 0; j < d; j++) {
    let v = lo[b + j] + (x[xo + j] * FIXED_SCALE + ROUND_MAGIC - ROUND_MAGIC);
    if (v >= CARRY_LIMIT || v <= -CARRY_LIMIT) {
      const carry = Math.trunc(v / CARRY_UNIT) * CARRY_UNIT;
      hi[b + j] += carry;
      v -= carry;
    }
    lo[b + j] = v;
  }
  s.counts[c] += 1;
  return true;
}

/** into += other (exact). */
export function mergeSums(into: SumsState, other: SumsState): void {
  if (into.k !== other.k || into.d !== other.d) throw new Error(`mergeSums: shapes differ (${into.k}x${into.d} vs ${other.k}x${other.d})`);
  const { hi, lo } = into;
  for (let i = 0; i < hi.length; i++) {
    hi[i] += other.hi[i];
    let v = lo[i] + other.lo[i];
    if (v >= CARRY_LIMIT || v <= -CARRY_LIMIT) {
      const carry = Math.trunc(v / CARRY_UNIT) * CARRY_UNIT;
      hi[i] += carry;
      v -= carry;
    }
    lo[i] = v;
  }
  for (let c = 0; c < into.k; c++) into.counts[c] += other.counts[c];
}

/** Mean of cluster c into out[0..d) (float64); the one rounding happens at hi + lo. */
export function clusterMean(s: SumsState, c: number, out: Float64Array): void {
  const n = s.counts[c];
  const b = c * s.d;
  for (let j = 0; j < s.d; j++) out[j] = ((s.hi[b + j] + s.lo[b + j]) * INV_FIXED_SCALE) / n;
}

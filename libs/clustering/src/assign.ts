import * as tf from '@tensorflow/tfjs';
import { currentBackend, initBackend } from '@courier/runtime';
import { AssignRule, exactScore, isValidRow, nearestBlockJs, ruleBias, squaredDistance } from './kernels';

/** 'js' = typed-array kernel; 'tfjs' = tf.matMul on the current backend; 'auto' = time both once and keep the faster. */
export type KernelChoice = 'auto' | 'js' | 'tfjs';

export interface AssignerOptions {
  rule?: AssignRule;
  kernel?: KernelChoice;
  /** Rows per tfjs matMul block (default 4096). */
  rowBlock?: number;
  /** Centres per tfjs matMul block (default 16384). */
  centreBlock?: number;
}

export interface BatchAssignment {
  /** Nearest-centre id per row; K (the reserved "unknown" id) for a missing, NaN or zero row. */
  ids: Int32Array;
  /** Exact squared distance to the winner (float64 recomputation); NaN for unknown rows. */
  distances: Float64Array;
  /** Mean squared distance over known rows (NaN if none). */
  inertia: number;
  unknown: number;
}

/** Timing of the kernel choice, for run reports. */
export interface KernelCalibration {
  chosen: 'js' | 'tfjs';
  backend: string;
  jsMacPerSecond: number | null;
  tfjsMacPerSecond: number | null;
}

const calibrations = new Map<string, KernelCalibration>();

/**
 * Nearest-centre assignment with one rule for fitting, batch labelling and serving:
 * id(x) = argmax_k (x·c_k - bias_k) (ties -> lowest k), reserved id K for bad rows.
 * The tfjs path scores in float32, then re-scores in float64 every centre within a provable
 * float32 error band of the row's best, so both kernels return identical ids.
 */
export class Assigner {
  readonly k: number;
  readonly d: number;
  readonly rule: AssignRule;
  readonly bias: Float64Array;
  private centresT: tf.Tensor2D[] | null = null;
  private biasT: tf.Tensor1D[] | null = null;
  private readonly tolScale: number;

  /** Use Assigner.create (kernel choice) or Assigner.js. */
  constructor(
    readonly centres: Float32Array,
    k: number,
    d: number,
    rule: AssignRule,
    readonly kernel: 'js' | 'tfjs',
    readonly calibration: KernelCalibration | null,
    private readonly rowBlock: number,
    private readonly centreBlock: number,
  ) {
    this.k = k;
    this.d = d;
    this.rule = rule;
    this.bias = ruleBias(centres, k, d, rule);
    let maxNorm = 0;
    let maxBias = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += centres[c * d + j] ** 2;
      maxNorm = Math.max(maxNorm, Math.sqrt(s));
      maxBias = Math.max(maxBias, Math.abs(this.bias[c]));
    }
    // |float32 dot - exact| <= ~d·2^-24·||x||·||c|| (plus the bias rounding); 4x margin.
    this.tolScale = 4 * (d + 2) * 2 ** -24;
    this.maxNorm = maxNorm;
    this.maxBias = maxBias;
  }
  private readonly maxNorm: number;
  private readonly maxBias: number;

  /** Synchronous construction with the typed-array kernel (serving, workers, tests). */
  static js(centres: Float32Array, k: number, d: number, rule: AssignRule = 'l2'): Assigner {
    checkCentres(centres, k, d);
    return new Assigner(centres, k, d, rule, 'js', null, 4096, 16384);
  }

  /** Picks the kernel ('auto' times both on a small block once per shape and backend). */
  static async create(centres: Float32Array, k: number, d: number, options: AssignerOptions = {}): Promise<Assigner> {
    checkCentres(centres, k, d);
    const rule = options.rule ?? 'l2';
    const choice = options.kernel ?? 'auto';
    const rowBlock = options.rowBlock ?? 4096;
    const centreBlock = options.centreBlock ?? 16384;
    if (choice === 'js') return new Assigner(centres, k, d, rule, 'js', null, rowBlock, centreBlock);
    if (!currentBackend()) await initBackend();
    if (choice === 'tfjs') return new Assigner(centres, k, d, rule, 'tfjs', null, rowBlock, centreBlock);
    const backend = tf.getBackend();
    const key = `${backend}:${k}:${d}`;
    let cal = calibrations.get(key);
    if (!cal) {
      cal = calibrate(centres, k, d, rule, backend);
      calibrations.set(key, cal);
    }
    return new Assigner(centres, k, d, rule, cal.chosen, cal, rowBlock, centreBlock);
  }

  /** Id of one vector (serving). Bad input (wrong length, NaN, zero, missing) -> K. */
  assignOne(x: ArrayLike<number> | null | undefined): { id: number; distance: number | null } {
    if (!x || x.length !== this.d || !isValidRow(x, 0, this.d)) return { id: this.k, distance: null };
    let best = -Infinity;
    let bestId = 0;
    for (let c = 0; c < this.k; c++) {
      const s = exactScore(x, 0, this.centres, c, this.d, this.bias);
      if (s > best) {
        best = s;
        bestId = c;
      }
    }
    return { id: bestId, distance: squaredDistance(x, 0, this.centres, bestId, this.d) };
  }

  /**
   * Ids of the given rows (indices into `x`, or all rows when `rows` is null) into `out`; rows
   * must be valid (callers filter with isValidRow). Used by the estimation pass.
   */
  nearest(x: Float32Array, rows: Int32Array | null, out: Int32Array, count = rows ? rows.length : x.length / this.d): void {
    if (this.kernel === 'js') nearestBlockJs(x, rows, 0, count, this.centres, this.k, this.d, this.bias, out);
    else this.nearestTfjs(x, rows, count, out);
  }

  /** Labels every row of a row-major matrix (n x d), with the reserved id for bad rows. */
  assignBatch(x: Float32Array, n = x.length / this.d, onProgress?: (done: number) => void): BatchAssignment {
    const d = this.d;
    if (x.length < n * d) throw new Error(`assignBatch: ${n} rows x dim ${d} need ${n * d} values, got ${x.length}`);
    const ids = new Int32Array(n).fill(this.k);
    const distances = new Float64Array(n).fill(NaN);
    const valid: number[] = [];
    for (let i = 0; i < n; i++) if (isValidRow(x, i * d, d)) valid.push(i);
    const rows = Int32Array.from(valid);
    const block = 65536;
    const out = new Int32Array(Math.min(block, rows.length));
    let sum = 0;
    for (let b = 0; b < rows.length; b += block) {
      const part = rows.subarray(b, Math.min(rows.length, b + block));
      this.nearest(x, part, out, part.length);
      for (let i = 0; i < part.length; i++) {
        const r = part[i];
        ids[r] = out[i];
        distances[r] = squaredDistance(x, r * d, this.centres, out[i], d);
        sum += distances[r];
      }
      onProgress?.(b + part.length);
    }
    return { ids, distances, inertia: rows.length ? sum / rows.length : NaN, unknown: n - rows.length };
  }

  /** Frees the tfjs copies of the centres. */
  dispose(): void {
    this.centresT?.forEach((t) => t.dispose());
    this.biasT?.forEach((t) => t.dispose());
    this.centresT = null;
    this.biasT = null;
  }

  private nearestTfjs(x: Float32Array, rows: Int32Array | null, count: number, out: Int32Array): void {
    const { k, d } = this;
    if (!this.centresT) {
      this.centresT = [];
      this.biasT = [];
      for (let c0 = 0; c0 < k; c0 += this.centreBlock) {
        const c1 = Math.min(k, c0 + this.centreBlock);
        this.centresT.push(tf.tensor2d(this.centres.subarray(c0 * d, c1 * d), [c1 - c0, d]));
        this.biasT.push(tf.tensor1d(Float32Array.from(this.bias.subarray(c0, c1))));
      }
    }
    const buf = new Float32Array(Math.min(this.rowBlock, count) * d);
    const best = new Float32Array(this.rowBlock);
    const scores: Float32Array[] = [];
    for (let r0 = 0; r0 < count; r0 += this.rowBlock) {
      const nr = Math.min(this.rowBlock, count - r0);
      for (let i = 0; i < nr; i++) {
        const src = (rows ? rows[r0 + i] : r0 + i) * d;
        buf.set(x.subarray(src, src + d), i * d);
      }
      scores.length = 0;
      const xt = tf.tensor2d(buf.subarray(0, nr * d), [nr, d]);
      best.fill(-Infinity);
      for (let b = 0; b < this.centresT.length; b++) {
        const s = tf.tidy(() => tf.sub(tf.matMul(xt, this.centresT![b], false, true), this.biasT![b]));
        const data = s.dataSync() as Float32Array;
        s.dispose();
        scores.push(data);
        const kb = data.length / nr;
        for (let i = 0; i < nr; i++) {
          let m = best[i];
          const o = i * kb;
          for (let c = 0; c < kb; c++) if (data[o + c] > m) m = data[o + c];
          best[i] = m;
        }
      }
      xt.dispose();
      // Re-score in float64 every centre whose float32 score is within the error band of the best.
      for (let i = 0; i < nr; i++) {
        const xo = (rows ? rows[r0 + i] : r0 + i) * d;
        let xn = 0;
        for (let j = 0; j < d; j++) xn += x[xo + j] * x[xo + j];
        const tol = this.tolScale * (Math.sqrt(xn) * this.maxNorm + this.maxBias) + 1e-30;
        const cut = best[i] - 2 * tol;
        let bi = -Infinity;
        let bk = 0;
        for (let b = 0; b < scores.length; b++) {
          const data = scores[b];
          const kb = data.length / nr;
          const o = i * kb;
          const base = b * this.centreBlock;
          for (let c = 0; c < kb; c++) {
            if (data[o + c] >= cut) {
              const s = exactScore(x, xo, this.centres, base + c, d, this.bias);
              if (s > bi) {
                bi = s;
                bk = base + c;
              }
            }
          }
        }
        out[r0 + i] = bk;
      }
    }
  }
}

function checkCentres(centres: Float32Array, k: number, d: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`Assigner: k must be an integer >= 1, got ${k}`);
  if (!Number.isInteger(d) || d < 1) throw new Error(`Assigner: dim must be an integer >= 1, got ${d}`);
  if (centres.length !== k * d) throw new Error(`Assigner: ${k} centres x dim ${d} need ${k * d} values, got ${centres.length}`);
  for (let i = 0; i < centres.length; i++) {
    if (!Number.isFinite(centres[i])) throw new Error(`Assigner: centre ${Math.floor(i / d)} has a non-finite coordinate ${centres[i]} at ${i % d}`);
  }
}

function calibrate(centres: Float32Array, k: number, d: number, rule: AssignRule, backend: string): KernelCalibration {
  // About 1e8 multiply-adds per kernel: enough to be past warm-up, short enough to be cheap.
  const rows = Math.max(16, Math.min(2048, Math.floor(1e8 / (k * d))));
  const x = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) x.set(centres.subarray((i % k) * d, (i % k) * d + d), i * d);
  for (let i = 0; i < x.length; i++) x[i] += ((i * 2654435761) % 1000) * 1e-6;
  const out = new Int32Array(rows);
  const time = (a: Assigner): number => {
    a.nearest(x, null, out, Math.min(rows, 16)); // warm-up
    const t0 = performance.now();
    a.nearest(x, null, out, rows);
    return (rows * k * d) / ((performance.now() - t0) / 1000);
  };
  const jsRate = time(new Assigner(centres, k, d, rule, 'js', null, 4096, 16384));
  let tfRate: number | null = null;
  try {
    const a = new Assigner(centres, k, d, rule, 'tfjs', null, 4096, 16384);
    tfRate = time(a);
    a.dispose();
  } catch {
    tfRate = null;
  }
  return { chosen: tfRate !== null && tfRate > jsRate ? 'tfjs' : 'js', backend, jsMacPerSecond: jsRate, tfjsMacPerSecond: tfRate };
}

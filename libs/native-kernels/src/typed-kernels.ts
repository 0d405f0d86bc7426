/**
 * Typed-array kernels for hand-written forward/backward passes (issue #23: libs/amazon-bench's
 * fused losses, sparse propagation and Adam). Each function runs in the addon when it is built
 * with it and otherwise as the JavaScript loop below; both give the same float32 values bit for
 * bit (the C++ does its arithmetic in double where JS does and rounds where JS stores into a
 * Float32Array), so results never depend on whether the addon is there.
 */
import * as tf from '@tensorflow/tfjs';

import { ACTIVATION_CODES, CourierBlasAddon, loadAddon } from './addon';

// COURIER_TYPED_KERNELS=0 runs the JS loops even when the addon has these kernels (A/B runs).
let enabled = process.env.COURIER_TYPED_KERNELS !== '0';
let cached: CourierBlasAddon | null | undefined;

function addon(): CourierBlasAddon | null {
  if (!enabled) return null;
  if (cached === undefined) cached = loadAddon().addon;
  return cached;
}

/** Turns the native path off (false) or back on; returns the previous setting. For tests and benchmarks. */
export function setTypedKernelsNative(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether the calls below run in the addon (built, loadable, with these kernels, and not turned off). */
export function typedKernelsNative(): boolean {
  const a = addon();
  return !!a && typeof a.spmmCsr === 'function' && typeof a.adamStep === 'function' && typeof a.dropoutRows === 'function' && typeof a.cosineRows === 'function' && typeof a.cosineGrad === 'function' && typeof a.leakyReluGrad === 'function' && typeof a.addLeakyRelu === 'function' && typeof a.rowsOp === 'function' && typeof a.colSums === 'function';
}

/**
 * A Float32Array for a kernel to overwrite in full: not zero-filled (the kernels' outputs are
 * tensors-to-be of up to a few MB each, allocated every step; zeroing them cost as much as the
 * sparse product itself). Small ones come from the JS heap as usual.
 */
export function outputArray(length: number): Float32Array {
  if (length < 1024) return new Float32Array(length);
  const bytes = Buffer.allocUnsafeSlow(length * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, length);
}

/** A sparse [rows, cols] operator in compressed sparse rows. */
export interface Csr {
  rows: number;
  cols: number;
  rowPtr: Int32Array;
  col: Int32Array;
  val: Float32Array;
}

/**
 * The operator out[dst_e] += w_e * in[src_e] ([nIn, d] -> [nOut, d]) of an edge list as CSR
 * over dst. Within a row the edges keep their edge-list order, so `spmmCsr` adds in the order
 * of the edge loop and gives its float32 sums exactly. Zero-weight edges are left out (the edge
 * loop skips them). The transposed operator is `csrFromEdges(dst, src, w, nIn, nOut)`.
 */
export function csrFromEdges(src: Int32Array, dst: Int32Array, w: ArrayLike<number>, nOut: number, nIn: number): Csr {
  if (dst.length !== src.length || w.length !== src.length) throw new Error(`csrFromEdges: ${src.length} src, ${dst.length} dst, ${w.length} weights`);
  const rowPtr = new Int32Array(nOut + 1);
  let nnz = 0;
  for (let e = 0; e < src.length; e++) {
    if (w[e] === 0) continue;
    if (!(dst[e] >= 0 && dst[e] < nOut)) throw new Error(`csrFromEdges: dst ${dst[e]} at edge ${e} outside [0, ${nOut})`);
    if (!(src[e] >= 0 && src[e] < nIn)) throw new Error(`csrFromEdges: src ${src[e]} at edge ${e} outside [0, ${nIn})`);
    rowPtr[dst[e] + 1]++;
    nnz++;
  }
  for (let r = 0; r < nOut; r++) rowPtr[r + 1] += rowPtr[r];
  const next = rowPtr.slice(0, nOut);
  const col = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  for (let e = 0; e < src.length; e++) {
    if (w[e] === 0) continue;
    const k = next[dst[e]]++;
    col[k] = src[e];
    val[k] = w[e];
  }
  return { rows: nOut, cols: nIn, rowPtr, col, val };
}

/**
 * out = A x for x [A.cols, d] (row-major), into `out` [A.rows, d] (overwritten) or a new array.
 * Each step is float32(out + w x) in double, the rounding of `out[t] += w * x[s]` on a Float32Array.
 */
export function spmmCsr(a: Csr, x: Float32Array, d: number, out: Float32Array = outputArray(a.rows * d), leakyAlpha?: number): Float32Array {
  if (x.length !== a.cols * d) throw new Error(`spmmCsr: x has ${x.length} values, expected ${a.cols} x ${d}`);
  if (out.length !== a.rows * d) throw new Error(`spmmCsr: out has ${out.length} values, expected ${a.rows} x ${d}`);
  const native = addon();
  if (native?.spmmCsr && native.leakyReluGrad) {
    native.spmmCsr(a.rowPtr, a.col, a.val, x, out, a.rows, a.cols, d, leakyAlpha);
    return out;
  }
  const { rowPtr, col, val } = a;
  out.fill(0);
  for (let r = 0; r < a.rows; r++) {
    const o = r * d;
    for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
      const w = val[k];
      const s = col[k] * d;
      for (let j = 0; j < d; j++) out[o + j] += w * x[s + j];
    }
  }
  if (leakyAlpha !== undefined) {
    const alpha = Math.fround(leakyAlpha);
    for (let i = 0; i < out.length; i++) if (out[i] < 0) out[i] = alpha * out[i];
  }
  return out;
}

/**
 * leakyRelu's gradient from its output: out = dy * (1 where y > 0, alpha elsewhere, NaN where
 * y is NaN), as tfjs's Step(alpha) and Multiply compute it (float32). y = leakyRelu(z) is
 * positive, zero or NaN exactly where z is, so the mask needs only the output.
 */
export function leakyReluGradInto(y: Float32Array, dy: Float32Array, out: Float32Array, alpha: number): Float32Array {
  if (dy.length !== y.length || out.length !== y.length) throw new Error(`leakyReluGradInto: lengths y ${y.length}, dy ${dy.length}, out ${out.length}`);
  const native = addon();
  if (native?.leakyReluGrad) {
    native.leakyReluGrad(y, dy, out, alpha);
    return out;
  }
  const a = Math.fround(alpha);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    out[i] = dy[i] * (v !== v ? v : v > 0 ? 1 : a);
  }
  return out;
}

/**
 * One Adam step (torch 1.13's formula, coupled weight decay) on one parameter: m and v are
 * updated in place and the new weights written to `out` (which may be `w`):
 * g' = g + wd w, m = b1 m + (1 - b1) g', v = b2 v + (1 - b2) g'^2, out = w - a m / (sqrt(v) + e2),
 * with a = lr sqrt(1 - b2^t) / (1 - b1^t) and e2 = eps sqrt(1 - b2^t) (one division per element).
 * `g` null: a zero gradient (no weight decay either: the parameter was not reached).
 */
export function adamStep(w: Float32Array, g: Float32Array | null, m: Float32Array, v: Float32Array, out: Float32Array, a: number, e2: number, beta1: number, beta2: number, weightDecay: number): void {
  const n = w.length;
  if ((g && g.length !== n) || m.length !== n || v.length !== n || out.length !== n) throw new Error(`adamStep: lengths w ${n}, g ${g?.length}, m ${m.length}, v ${v.length}, out ${out.length}`);
  const native = addon();
  if (native?.adamStep) {
    native.adamStep(w, g, m, v, out, a, e2, beta1, beta2, weightDecay);
    return;
  }
  const b1c = 1 - beta1;
  const b2c = 1 - beta2;
  if (g && weightDecay > 0) {
    for (let i = 0; i < n; i++) {
      const gi = g[i] + weightDecay * w[i];
      const mi = (m[i] = beta1 * m[i] + b1c * gi);
      const vi = (v[i] = beta2 * v[i] + b2c * gi * gi);
      out[i] = w[i] - (a * mi) / (Math.sqrt(vi) + e2);
    }
  } else if (g) {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = (m[i] = beta1 * m[i] + b1c * gi);
      const vi = (v[i] = beta2 * v[i] + b2c * gi * gi);
      out[i] = w[i] - (a * mi) / (Math.sqrt(vi) + e2);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const mi = (m[i] = beta1 * m[i]);
      const vi = (v[i] = beta2 * v[i]);
      out[i] = w[i] - (a * mi) / (Math.sqrt(vi) + e2);
    }
  }
}

/**
 * tf.dropout(x, 1 - keep, seed) on an [n, d] table with seedrandom's alea stream, state
 * [c, s0, s1, s2] (advanced in place; one draw per element, row-major, whether or not the row is
 * returned): mult = floor(float(float(u) + keep)) / keep, out = x * mult for all rows (`idx`
 * null, out [n, d]) or the rows `idx` (out [idx.length, d]). `keep` must be a float32 value.
 */
export function dropoutRowsInto(state: Float64Array, keep: number, x: Float32Array, n: number, d: number, idx: Int32Array | null, out: Float32Array): Float32Array {
  const unit = 2 ** 32;
  const isState = state.length === 4 && Number.isInteger(state[0]) && state[0] >= 0 && state[0] < 2 ** 21 && [1, 2, 3].every((q) => state[q] >= 0 && state[q] < 1 && Number.isInteger(state[q] * unit));
  // (seedrandom's seeding gives exactly such states; the native loop runs the recurrence in integers.)
  if (!isState) throw new Error('dropoutRowsInto: state must be an alea state [c, s0, s1, s2] (c < 2^21 an integer, s in [0, 1) multiples of 2^-32)');
  if (x.length !== n * d) throw new Error(`dropoutRowsInto: x has ${x.length} values, expected ${n} x ${d}`);
  if (out.length !== (idx ? idx.length : n) * d) throw new Error(`dropoutRowsInto: out has ${out.length} values, expected ${idx ? idx.length : n} x ${d}`);
  if (idx) {
    for (let r = 0; r < idx.length; r++) if (!(idx[r] >= 0 && idx[r] < n)) throw new Error(`dropoutRowsInto: idx[${r}] = ${idx[r]} outside [0, ${n})`);
  }
  const native = addon();
  if (native?.dropoutRows) {
    native.dropoutRows(state, keep, x, n, d, idx, out);
    return out;
  }
  // alea's recurrence with local state (a closure's context slots are ~5x slower in V8).
  let c = state[0];
  let s0 = state[1];
  let s1 = state[2];
  let s2 = state[3];
  const mult = idx ? new Float32Array(n * d) : out;
  for (let i = 0; i < n * d; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    s2 = t - (c = t | 0);
    mult[i] = Math.floor(Math.fround(Math.fround(s2) + keep)) / keep;
  }
  state[0] = c;
  state[1] = s0;
  state[2] = s1;
  state[3] = s2;
  if (!idx) {
    for (let i = 0; i < n * d; i++) out[i] *= x[i];
    return out;
  }
  for (let r = 0; r < idx.length; r++) {
    const s = idx[r] * d;
    const o = r * d;
    for (let k = 0; k < d; k++) out[o + k] = x[s + k] * mult[s + k];
  }
  return out;
}

/** Per-row cosines of two [n, d] tables and the row norms (double). */
export interface CosineRows {
  c: Float64Array;
  na: Float64Array;
  nb: Float64Array;
}

/**
 * c_r = a_r.t_r / max(|a_r| |t_r|, eps) (torch's F.cosine_similarity) with the norms na, nb, all
 * accumulated in double in k order.
 */
export function cosineRows(a: Float32Array, t: Float32Array, n: number, d: number, eps = 1e-8): CosineRows {
  if (a.length !== n * d || t.length !== n * d) throw new Error(`cosineRows: ${a.length} and ${t.length} values, expected ${n} x ${d}`);
  const c = new Float64Array(n);
  const na = new Float64Array(n);
  const nb = new Float64Array(n);
  const native = addon();
  if (native?.cosineRows) {
    native.cosineRows(a, t, n, d, eps, c, na, nb);
    return { c, na, nb };
  }
  for (let r = 0; r < n; r++) {
    let dot = 0;
    let sa = 0;
    let sb = 0;
    for (let k = r * d; k < r * d + d; k++) {
      dot += a[k] * t[k];
      sa += a[k] * a[k];
      sb += t[k] * t[k];
    }
    na[r] = Math.sqrt(sa);
    nb[r] = Math.sqrt(sb);
    c[r] = dot / Math.max(na[r] * nb[r], eps);
  }
  return { c, na, nb };
}

/**
 * out_r += coef d cos(a_r, t_r) / d a_r = s t_r - ca a_r, s = coef / max(|a||t|, eps),
 * ca = coef c / |a|^2 (0 when |a||t| < eps: max's gradient then goes to eps), for every row;
 * `cv` from `cosineRows(a, t)`. Returns `out`.
 */
export function cosineGradInto(a: Float32Array, t: Float32Array, cv: CosineRows, coef: number, n: number, d: number, out: Float32Array, eps = 1e-8): Float32Array {
  if (a.length !== n * d || t.length !== n * d || out.length !== n * d) throw new Error(`cosineGradInto: ${a.length}, ${t.length} and ${out.length} values, expected ${n} x ${d}`);
  if (cv.c.length !== n || cv.na.length !== n || cv.nb.length !== n) throw new Error(`cosineGradInto: row values for ${cv.c.length} rows, expected ${n}`);
  const native = addon();
  if (native?.cosineGrad) {
    native.cosineGrad(a, t, cv.c, cv.na, cv.nb, coef, n, d, eps, out);
    return out;
  }
  for (let r = 0; r < n; r++) {
    const prod = cv.na[r] * cv.nb[r];
    const s = prod >= eps ? coef / prod : coef / eps;
    const ca = prod >= eps ? (coef * cv.c[r]) / (cv.na[r] * cv.na[r]) : 0;
    for (let k = r * d; k < r * d + d; k++) out[k] += s * t[k] - ca * a[k];
  }
  return out;
}

/** out = leakyRelu(a + b, alpha) in float32 (tfjs's Add, then LeakyRelu's `v < 0 ? alpha v : v`). */
export function addLeakyReluInto(a: Float32Array, b: Float32Array, out: Float32Array, alpha: number): Float32Array {
  if (b.length !== a.length || out.length !== a.length) throw new Error(`addLeakyReluInto: lengths a ${a.length}, b ${b.length}, out ${out.length}`);
  const native = addon();
  if (native?.addLeakyRelu) {
    native.addLeakyRelu(a, b, out, alpha);
    return out;
  }
  const al = Math.fround(alpha);
  for (let i = 0; i < a.length; i++) {
    const v = Math.fround(a[i] + b[i]);
    out[i] = v < 0 ? al * v : v;
  }
  return out;
}

function checkRows(fn: string, idx: Int32Array, n: number): void {
  for (let r = 0; r < idx.length; r++) if (!(idx[r] >= 0 && idx[r] < n)) throw new Error(`${fn}: idx[${r}] = ${idx[r]} outside [0, ${n})`);
}

/** out[r] = x[idx[r]] for an [n, d] table x; out [idx.length, d] (overwritten). */
export function gatherRowsInto(x: Float32Array, idx: Int32Array, d: number, out: Float32Array = new Float32Array(idx.length * d)): Float32Array {
  if (out.length !== idx.length * d || x.length % d !== 0) throw new Error(`gatherRowsInto: out has ${out.length} values for ${idx.length} rows of ${d}; x has ${x.length}`);
  const native = addon();
  if (native?.rowsOp) {
    native.rowsOp(0, x, idx, d, out);
    return out;
  }
  checkRows('gatherRowsInto', idx, x.length / d);
  for (let r = 0; r < idx.length; r++) {
    const s = idx[r] * d;
    const o = r * d;
    for (let k = 0; k < d; k++) out[o + k] = x[s + k];
  }
  return out;
}

/** out[idx[r]] += y[r] in r order (float32 adds; duplicate rows summed in order); y [idx.length, d], out [n, d]. */
export function scatterAddRowsInto(y: Float32Array, idx: Int32Array, d: number, out: Float32Array): Float32Array {
  if (y.length !== idx.length * d || out.length % d !== 0) throw new Error(`scatterAddRowsInto: y has ${y.length} values for ${idx.length} rows of ${d}; out has ${out.length}`);
  const native = addon();
  if (native?.rowsOp) {
    native.rowsOp(1, y, idx, d, out);
    return out;
  }
  checkRows('scatterAddRowsInto', idx, out.length / d);
  for (let r = 0; r < idx.length; r++) {
    const t = idx[r] * d;
    for (let k = 0; k < d; k++) out[t + k] += y[r * d + k];
  }
  return out;
}

/** acc[k] += sum over rows of x[r, k] (double, rows in order); x [rows, d]. */
export function colSumsInto(x: Float32Array, rows: number, d: number, acc: Float64Array): Float64Array {
  if (x.length !== rows * d || acc.length !== d) throw new Error(`colSumsInto: x has ${x.length} values, expected ${rows} x ${d}; acc ${acc.length}`);
  const native = addon();
  if (native?.colSums) {
    native.colSums(x, rows, d, acc);
    return acc;
  }
  for (let r = 0; r < rows; r++) for (let k = 0; k < d; k++) acc[k] += x[r * d + k];
  return acc;
}

/**
 * out = op(a) op(b) (+ bias per column, then leakyRelu when `leakyAlpha` is given) for row-major a [m, k] (or [k, m] with transA) and b
 * [k, n] (or [n, k] with transB), into `out` [m, n]. In the addon: the same sgemm call (and bias
 * epilogue) as the native backend's BatchMatMul/_FusedMatMul kernels, so the same bits as
 * tf.matMul / tf.fused.matMul there; without it, tf.matMul / tf.fused.matMul on the current
 * backend (copied into out).
 */
export function matmulInto(a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, transA = false, transB = false, bias: Float32Array | null = null, leakyAlpha?: number): Float32Array {
  if (a.length !== m * k || b.length !== k * n || out.length !== m * n || (bias && bias.length !== n)) {
    throw new Error(`matmulInto: lengths a ${a.length}, b ${b.length}, out ${out.length}, bias ${bias?.length} for m ${m}, n ${n}, k ${k}`);
  }
  const native = addon();
  if (native) {
    const act = leakyAlpha === undefined ? ACTIVATION_CODES.linear : ACTIVATION_CODES.leakyrelu;
    native.matmul(a, b, out, 1, 1, 1, m, n, k, transA, transB, null, null, bias, act, leakyAlpha ?? 0, null);
    return out;
  }
  const r = tf.tidy(() => {
    const ta = tf.tensor2d(a, transA ? [k, m] : [m, k]);
    const tb = tf.tensor2d(b, transB ? [n, k] : [k, n]);
    const activation = leakyAlpha === undefined ? 'linear' : 'leakyrelu';
    return tf.fused.matMul({ a: ta, b: tb, transposeA: transA, transposeB: transB, bias: bias ? tf.tensor1d(bias) : undefined, activation, leakyreluAlpha: leakyAlpha });
  });
  out.set(r.dataSync());
  r.dispose();
  return out;
}

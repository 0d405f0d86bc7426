/**
 * COURIER losses: user-intention reconstruction + in-batch contrastive loss (PV loss) and the
 * user-click-sequence (UCS) loss. Source: Yang et al., "COURIER: Contrastive User Intention
 * Reconstruction for Large-Scale Visual Recommendation", sections 3.2-3.4 (eqs. 2-7); the
 * ablations follow section 4.3.2. Conventions (masking, cosine, which samples count) follow
 * /work/shared/golden/README.md, against whose float64 PyTorch reference this is tested.
 *
 * Shapes: B = batch, Lpv = PV slots, Lc = history slots, d = embedding size.
 *   ePv [B, Lpv, d], eClick [B, Lc, d], labels/pvMask [B, Lpv], clickMask [B, Lc] (1 = real item).
 *
 * Masks and labels are read on the host (they are small) and turned into gather indices, so padded
 * items never enter a softmax and their gradients are exactly 0 (a gather's gradient is a scatter).
 */
import * as tf from '@tensorflow/tfjs';

export interface CourierLossInputs {
  /** Page-view item embeddings [B, Lpv, d]. */
  ePv: tf.Tensor3D;
  /** Click-history item embeddings [B, Lc, d], oldest first, most recent last. */
  eClick: tf.Tensor3D;
  /** Click label per PV slot [B, Lpv], 0/1. */
  labels: tf.Tensor2D;
  /** 1 = real PV item, 0 = padding [B, Lpv]. */
  pvMask: tf.Tensor2D;
  /** 1 = real history item, 0 = padding [B, Lc]. */
  clickMask: tf.Tensor2D;
}

export interface CourierLossOptions {
  /** Softmax temperature of the contrastive losses (paper: 0.05). */
  tau: number;
  /** Divide attention logits by sqrt(d) (sqrt(d / heads) per head). */
  scaleBySqrtD: boolean;
  /** Add the user-click-sequence loss (ablation "w/o UCS" = false). */
  useUcs: boolean;
  /** Contrastive loss; false = mean of 1 - cos(E, R) over positives (ablation "w/o Contrast"). */
  contrastive: boolean;
  /**
   * 'cross': PV embedding is the query over the history (user-intention reconstruction);
   * 'self': mean of a parameter-free self-attention over the history, the same vector for every
   * PV item of a sample (ablation "w/o Reconstruction").
   */
  attention: 'cross' | 'self';
  /** false = only clicked (y = 1) PV items in the softmax denominator (ablation "w/o Neg PV"). */
  useNegPv: boolean;
  /** Attention heads: d is split into `heads` equal parts, no projections. Default 1 (paper). */
  heads?: number;
}

export const DEFAULT_LOSS_OPTIONS: Readonly<CourierLossOptions> = Object.freeze({
  tau: 0.05,
  scaleBySqrtD: true,
  useUcs: true,
  contrastive: true,
  attention: 'cross' as const,
  useNegPv: true,
  heads: 1,
});

export interface CourierLossResult {
  /** lPv + lUcs (lUcs is 0 when useUcs is false). */
  total: tf.Scalar;
  /** Mean PV loss over positives (0 when there are none). */
  lPv: tf.Scalar;
  /** Mean UCS loss over targets (0 when there are none or useUcs is false). */
  lUcs: tf.Scalar;
  /** Unmasked y = 1 PV items of samples with >= 1 unmasked history item. */
  numPvPositives: number;
  /** Samples with >= 2 unmasked history items (each contributes its latest one as target). */
  numUcsTargets: number;
}

// Large negative logit for masked keys: exp() underflows to exactly 0, and unlike -Infinity it
// cannot produce NaN when a whole row is masked (that row's output is then never used).
const MASKED_LOGIT = -1e30;
const COS_EPS = 1e-12;

/**
 * tf.gather along axis 0 with a scatter (ScatterNd) gradient. tfjs's own gather gradient needs the
 * UnsortedSegmentSum kernel, which the WebAssembly backend lacks; ScatterNd sums duplicate indices,
 * so the gradient is the same, and rows never gathered get exactly 0.
 */
export function gatherRows<T extends tf.Tensor>(x: T, indices: number[]): T {
  const idx = tf.tensor2d(indices, [indices.length, 1], 'int32');
  const shape = x.shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([idx]);
    return {
      value: tf.gatherND(input, idx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0], dy, shape),
    };
  });
  return op(x) as T;
}

function readMask(t: tf.Tensor2D, name: string, shape: [number, number]): number[][] {
  if (t.rank !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
    throw new Error(`courierLoss: \`${name}\` has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const rows = t.arraySync();
  for (let b = 0; b < rows.length; b++) {
    for (let j = 0; j < rows[b].length; j++) {
      const v = rows[b][j];
      if (v !== 0 && v !== 1) throw new Error(`courierLoss: \`${name}\`[${b}][${j}] = ${v}, expected 0 or 1`);
    }
  }
  return rows;
}

function validateOptions(o: CourierLossOptions, d: number): number {
  if (!(o.tau > 0)) throw new Error(`courierLoss: option \`tau\` must be > 0, got ${o.tau}`);
  if (o.attention !== 'cross' && o.attention !== 'self') throw new Error(`courierLoss: option \`attention\` must be "cross" or "self", got "${String(o.attention)}"`);
  const heads = o.heads ?? 1;
  if (!Number.isInteger(heads) || heads < 1 || d % heads !== 0) {
    throw new Error(`courierLoss: option \`heads\` = ${heads} must be a positive integer dividing d = ${d}`);
  }
  return heads;
}

/** Rows scaled to unit length with the norm clamped at 1e-12 (the golden cosine convention). [n, d] -> [n, d] */
function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), COS_EPS);
  return tf.div(x, norm) as tf.Tensor2D;
}

/** Splits the last axis into heads: [n, L, d] -> [n * h, L, d / h] (head-major within each row). */
function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor3D {
  if (heads === 1) return x;
  const [n, l, d] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, l, heads, d / heads]), [0, 2, 1, 3]), [n * heads, l, d / heads]);
}

function mergeHeads(x: tf.Tensor3D, n: number, heads: number): tf.Tensor3D {
  if (heads === 1) return x;
  const [, l, dh] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, heads, l, dh]), [0, 2, 1, 3]), [n, l, heads * dh]);
}

/**
 * Masked scaled dot-product attention without projections.
 * q [n, Lq, d], kv [n, Lk, d] (keys = values), keyMask [n, Lk] boolean -> [n, Lq, d].
 */
function attend(q: tf.Tensor3D, kv: tf.Tensor3D, keyMask: tf.Tensor2D, heads: number, scale: boolean): tf.Tensor3D {
  const n = q.shape[0];
  const d = q.shape[2];
  const qh = splitHeads(q, heads);
  const kh = splitHeads(kv, heads);
  let logits = tf.matMul(qh, kh, false, true) as tf.Tensor3D; // [n*h, Lq, Lk]
  if (scale) logits = tf.div(logits, Math.sqrt(d / heads));
  // Broadcast the key mask over heads and queries: [n, Lk] -> [n*h, 1, Lk].
  const mask = tf.reshape(tf.tile(tf.expandDims(keyMask, 1), [1, heads, 1]), [n * heads, 1, keyMask.shape[1]]);
  const masked = tf.where(tf.broadcastTo(mask, logits.shape), logits, tf.fill(logits.shape, MASKED_LOGIT));
  const alpha = tf.softmax(masked, -1);
  return mergeHeads(tf.matMul(alpha, kh) as tf.Tensor3D, n, heads);
}

/**
 * Reconstruction of each query from its own context set.
 * queries [n, d]; context [n, Lc, d]; contextMask [n, Lc] (0/1, >= 1 one per row) -> [n, d].
 */
function reconstruct(queries: tf.Tensor2D, context: tf.Tensor3D, contextMask: tf.Tensor2D, options: CourierLossOptions, heads: number): tf.Tensor2D {
  const maskBool = tf.cast(contextMask, 'bool') as tf.Tensor2D;
  if (options.attention === 'cross') {
    const out = attend(tf.expandDims(queries, 1) as tf.Tensor3D, context, maskBool, heads, options.scaleBySqrtD);
    return tf.squeeze(out, [1]) as tf.Tensor2D;
  }
  // 'self': every context item attends over the context; average the outputs of the real items.
  const selfOut = attend(context, context, maskBool, heads, options.scaleBySqrtD); // [n, Lc, d]
  const weights = tf.div(contextMask, tf.sum(contextMask, 1, true)); // [n, Lc]
  return tf.squeeze(tf.matMul(tf.expandDims(weights, 1), selfOut), [1]) as tf.Tensor2D;
}

/**
 * Column-wise InfoNCE: candidates [N, d] (rows j0), recon [P, d] (columns j1), target[p] = the
 * row index of column p's own item. Returns mean over p of -log softmax_j0(cos(E_j0, R_p) / tau)[target[p]].
 */
function columnContrastive(candidates: tf.Tensor2D, recon: tf.Tensor2D, target: number[], tau: number): tf.Scalar {
  const n = candidates.shape[0];
  const sim = tf.div(tf.matMul(unitRows(recon), unitRows(candidates), false, true), tau) as tf.Tensor2D; // [P, N]
  const logProb = tf.logSoftmax(sim, -1);
  const flat = tf.reshape(logProb, [-1]);
  const picked = gatherRows(flat, target.map((t, p) => p * n + t));
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

/** Mean over rows of 1 - cos(a_i, b_i). */
function meanOneMinusCos(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  const cos = tf.sum(tf.mul(unitRows(a), unitRows(b)), 1);
  return tf.mean(tf.sub(1, cos)) as tf.Scalar;
}

/**
 * COURIER loss L = L_pv + L_ucs for one batch. Differentiable w.r.t. ePv and eClick (wrap in
 * tf.grad / optimizer.minimize); call inside tf.tidy to free intermediates.
 */
export function courierLoss(inputs: CourierLossInputs, options: CourierLossOptions): CourierLossResult {
  const { ePv, eClick } = inputs;
  if (ePv.rank !== 3) throw new Error(`courierLoss: \`ePv\` has shape [${ePv.shape.join(', ')}], expected [B, Lpv, d]`);
  if (eClick.rank !== 3) throw new Error(`courierLoss: \`eClick\` has shape [${eClick.shape.join(', ')}], expected [B, Lc, d]`);
  const [B, Lpv, d] = ePv.shape;
  const Lc = eClick.shape[1];
  if (eClick.shape[0] !== B || eClick.shape[2] !== d) {
    throw new Error(`courierLoss: \`eClick\` has shape [${eClick.shape.join(', ')}], expected [${B}, Lc, ${d}] to match ePv`);
  }
  const heads = validateOptions(options, d);
  const labels = readMask(inputs.labels, 'labels', [B, Lpv]);
  const pvMask = readMask(inputs.pvMask, 'pvMask', [B, Lpv]);
  const clickMask = readMask(inputs.clickMask, 'clickMask', [B, Lc]);
  const historyCount = clickMask.map((row) => row.reduce((s, v) => s + v, 0));

  const pvFlat = tf.reshape(ePv, [B * Lpv, d]) as tf.Tensor2D;
  const clickFlat = tf.reshape(eClick, [B * Lc, d]) as tf.Tensor2D;
  // Connects a zero loss to both inputs, so tf.grad works (and gives zeros) when a term is empty.
  const zero = (): tf.Scalar => tf.add(tf.mul(tf.sum(pvFlat), 0), tf.mul(tf.sum(clickFlat), 0)) as tf.Scalar;

  // ---- PV loss ----
  const rowIdx: number[] = []; // flat PV indices in the softmax denominator (rows j0)
  const posIdx: number[] = []; // flat PV indices of positives (columns j1)
  const posSample: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Lpv; j++) {
      if (!pvMask[b][j]) continue;
      const clicked = labels[b][j] === 1;
      if (options.useNegPv || clicked) rowIdx.push(b * Lpv + j);
      if (clicked && historyCount[b] >= 1) {
        posIdx.push(b * Lpv + j);
        posSample.push(b);
      }
    }
  }
  let lPv: tf.Scalar;
  if (posIdx.length === 0) {
    lPv = zero();
  } else {
    const queries = gatherRows(pvFlat, posIdx);
    const context = gatherRows(eClick, posSample);
    const contextMask = tf.tensor2d(posSample.map((b) => clickMask[b]), [posSample.length, Lc]);
    const recon = reconstruct(queries, context, contextMask, options, heads);
    if (options.contrastive) {
      const rowOf = new Map(rowIdx.map((flat, r) => [flat, r]));
      const candidates = gatherRows(pvFlat, rowIdx);
      lPv = columnContrastive(candidates, recon, posIdx.map((flat) => rowOf.get(flat) as number), options.tau);
    } else {
      lPv = meanOneMinusCos(queries, recon);
    }
  }

  // ---- UCS loss: the latest real history item is the target, the other real ones its context ----
  const ucsSamples: number[] = [];
  const ucsTarget: number[] = [];
  const ucsMask: number[][] = [];
  for (let b = 0; b < B; b++) {
    if (historyCount[b] < 2) continue;
    const last = clickMask[b].lastIndexOf(1);
    ucsSamples.push(b);
    ucsTarget.push(b * Lc + last);
    ucsMask.push(clickMask[b].map((v, k) => (k === last ? 0 : v)));
  }
  let lUcs: tf.Scalar;
  if (!options.useUcs || ucsSamples.length === 0) {
    lUcs = zero();
  } else {
    const targets = gatherRows(clickFlat, ucsTarget);
    const context = gatherRows(eClick, ucsSamples);
    const recon = reconstruct(targets, context, tf.tensor2d(ucsMask, [ucsSamples.length, Lc]), options, heads);
    lUcs = options.contrastive
      ? columnContrastive(targets, recon, ucsSamples.map((_, i) => i), options.tau)
      : meanOneMinusCos(targets, recon);
  }
  return { total: tf.add(lPv, lUcs) as tf.Scalar, lPv, lUcs, numPvPositives: posIdx.length, numUcsTargets: ucsSamples.length };
}

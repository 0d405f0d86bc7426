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
import { gatherRows, l2NormalizeRows } from '@courier/nn';

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
  /** Item id of every PV slot [B][Lpv] (padding: any value); needed by `maskSameItemNegatives`. */
  pvItemIds?: readonly (readonly number[])[];
  /** Item id of every history slot [B][Lc] (padding: any value); needed by `maskSameItemNegatives`. */
  clickItemIds?: readonly (readonly number[])[];
  /** Learned Q/K/V/O projections of the attention; needed by `attentionProjections`. */
  attentionParams?: AttentionProjectionParams;
  /** Weights of the auxiliary CTR head; needed when `ctrHeadWeight` > 0. */
  ctrHead?: CtrHeadParams;
}

/**
 * The attention's learned projections as in the authors' code (`nn.MultiheadAttention(d, heads)`):
 * q = x wq + bq, k = x wk + bk, v = x wv + bv (each [d, d] / [d], i.e. torch's in_proj transposed),
 * the heads' outputs concatenated and projected by wo [d, d], bo [d].
 */
export interface AttentionProjectionParams {
  wq: tf.Tensor2D;
  bq: tf.Tensor1D;
  wk: tf.Tensor2D;
  bk: tf.Tensor1D;
  wv: tf.Tensor2D;
  bv: tf.Tensor1D;
  wo: tf.Tensor2D;
  bo: tf.Tensor1D;
}

/**
 * The auxiliary CTR head of the authors' code (`models/ctrnet.py`, without its BatchNorm): logit =
 * relu([R_j, E_pv_j] w1 + b1) w2 + b2, with the first kernel w1 [2d, h] held as its two row blocks
 * w1r = w1[:d] (for R) and w1e = w1[d:] (for E_pv), so [R, E] w1 = R w1r + E w1e is computed
 * without a concatenation (slow on the native backend: ~80 ms for [160, 512]); b1 [h], w2 [h, 1], b2 [1].
 */
export interface CtrHeadParams {
  w1r: tf.Tensor2D;
  w1e: tf.Tensor2D;
  b1: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
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
  /** Attention heads: d is split into `heads` equal parts (after the projections, if any). Default 1 (paper). */
  heads?: number;
  /**
   * Learned Q/K/V/O projections around the attention (authors' code: `nn.MultiheadAttention`);
   * `inputs.attentionParams` holds them. Default false (paper text: no projections).
   */
  attentionProjections?: boolean;
  /** Temperature of the UCS term; undefined/null = `tau` (paper text). Authors' code: 20 (it divides by its tau = 20). */
  ucsTemperature?: number | null;
  /** Weight of the UCS term in the total. Default 1 (paper text and authors' code). */
  ucsWeight?: number;
  /** UCS target: 'latest' real history item (paper text, default) or the 'first' (oldest; authors' code: index 0). */
  ucsTarget?: 'latest' | 'first';
  /**
   * Drop in-batch negatives that show the positive's own item (same item id, another slot) from its
   * softmax denominator, in the PV and the UCS term; needs `inputs.pvItemIds` / `clickItemIds`. Default false.
   */
  maskSameItemNegatives?: boolean;
  /**
   * Weight of the auxiliary CTR head's BCE (authors' code: 1.0, paper text: 0 = no head). The head
   * reads [R_j, E_pv_j] for every real PV item j of a sample with >= 1 history item; its gradient
   * reaches E_pv and E_click. `inputs.ctrHead` holds its weights.
   */
  ctrHeadWeight?: number;
}

export const DEFAULT_LOSS_OPTIONS: Readonly<CourierLossOptions> = Object.freeze({
  tau: 0.05,
  scaleBySqrtD: true,
  useUcs: true,
  contrastive: true,
  attention: 'cross' as const,
  useNegPv: true,
  heads: 1,
  attentionProjections: false,
  ucsTemperature: null,
  ucsWeight: 1,
  ucsTarget: 'latest' as const,
  maskSameItemNegatives: false,
  ctrHeadWeight: 0,
});

export interface CourierLossResult {
  /** lPv + ucsWeight lUcs + ctrHeadWeight lCtr (lUcs is 0 when useUcs is false; the lCtr term only when ctrHeadWeight > 0). */
  total: tf.Scalar;
  /** Mean PV loss over positives (0 when there are none). */
  lPv: tf.Scalar;
  /** Mean UCS loss over targets (0 when there are none or useUcs is false). */
  lUcs: tf.Scalar;
  /** Unmasked y = 1 PV items of samples with >= 1 unmasked history item. */
  numPvPositives: number;
  /** Samples with >= 2 unmasked history items (each contributes its latest one as target). */
  numUcsTargets: number;
  /** Mean BCE of the auxiliary CTR head (unweighted; 0 when ctrHeadWeight is 0 or nothing to score). */
  lCtr: tf.Scalar;
  /** PV items the CTR head scored (real, in a sample with >= 1 history item); 0 when ctrHeadWeight is 0. */
  numCtrItems: number;
  /** In-batch (column, row) pairs dropped by maskSameItemNegatives (PV and UCS terms together). */
  numMaskedNegatives: number;
}

// Large negative logit for masked keys: exp() underflows to exactly 0, and unlike -Infinity it
// cannot produce NaN when a whole row is masked (that row's output is then never used).
const MASKED_LOGIT = -1e30;

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

function checkShape(t: tf.Tensor | undefined, name: string, shape: number[]): void {
  if (!t) throw new Error(`courierLoss: \`${name}\` is missing`);
  if (t.rank !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
    throw new Error(`courierLoss: \`${name}\` has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
}

function checkIds(ids: readonly (readonly number[])[] | undefined, name: string, rows: number, cols: number): readonly (readonly number[])[] {
  if (!ids) throw new Error(`courierLoss: option \`maskSameItemNegatives\` needs \`inputs.${name}\` ([${rows}][${cols}] item ids)`);
  if (ids.length !== rows || ids.some((r) => r.length !== cols)) throw new Error(`courierLoss: \`${name}\` must be [${rows}][${cols}] item ids`);
  return ids;
}

function validateOptions(o: CourierLossOptions, d: number): number {
  if (!(o.tau > 0)) throw new Error(`courierLoss: option \`tau\` must be > 0, got ${o.tau}`);
  if (o.attention !== 'cross' && o.attention !== 'self') throw new Error(`courierLoss: option \`attention\` must be "cross" or "self", got "${String(o.attention)}"`);
  const heads = o.heads ?? 1;
  if (!Number.isInteger(heads) || heads < 1 || d % heads !== 0) {
    throw new Error(`courierLoss: option \`heads\` = ${heads} must be a positive integer dividing d = ${d}`);
  }
  if (o.ucsTemperature !== undefined && o.ucsTemperature !== null && !(o.ucsTemperature > 0 && Number.isFinite(o.ucsTemperature))) {
    throw new Error(`courierLoss: option \`ucsTemperature\` must be > 0 (or null = tau), got ${o.ucsTemperature}`);
  }
  if (o.ucsWeight !== undefined && !(o.ucsWeight >= 0 && Number.isFinite(o.ucsWeight))) throw new Error(`courierLoss: option \`ucsWeight\` must be a finite number >= 0, got ${o.ucsWeight}`);
  if (o.ucsTarget !== undefined && o.ucsTarget !== 'latest' && o.ucsTarget !== 'first') throw new Error(`courierLoss: option \`ucsTarget\` must be "latest" or "first", got "${String(o.ucsTarget)}"`);
  if (o.ctrHeadWeight !== undefined && !(o.ctrHeadWeight >= 0 && Number.isFinite(o.ctrHeadWeight))) throw new Error(`courierLoss: option \`ctrHeadWeight\` must be a finite number >= 0, got ${o.ctrHeadWeight}`);
  return heads;
}

/** Rows scaled to unit length with the norm clamped at 1e-12 (the golden cosine convention), tfjs's gradient of the composition. [n, d] -> [n, d] */
const unitRows = (x: tf.Tensor2D): tf.Tensor2D => l2NormalizeRows(x, { gradient: 'autodiff' });

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

/** x w + b over the last axis: [n, L, d] -> [n, L, d']. */
function project(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor3D {
  const [n, l, d] = x.shape;
  const y = tf.add(tf.matMul(tf.reshape(x, [n * l, d]) as tf.Tensor2D, w), b);
  return tf.reshape(y, [n, l, w.shape[1]]) as tf.Tensor3D;
}

/**
 * Masked scaled dot-product attention, without projections (paper) or with learned Q/K/V/O
 * projections (`proj`, authors' code).
 * q [n, Lq, d], kv [n, Lk, d] (keys = values without projections), keyMask [n, Lk] boolean -> [n, Lq, d].
 */
function attend(q: tf.Tensor3D, kv: tf.Tensor3D, keyMask: tf.Tensor2D, heads: number, scale: boolean, proj?: AttentionProjectionParams): tf.Tensor3D {
  const n = q.shape[0];
  const d = q.shape[2];
  const qh = splitHeads(proj ? project(q, proj.wq, proj.bq) : q, heads);
  const kh = splitHeads(proj ? project(kv, proj.wk, proj.bk) : kv, heads);
  const vh = proj ? splitHeads(project(kv, proj.wv, proj.bv), heads) : kh;
  let logits = tf.matMul(qh, kh, false, true) as tf.Tensor3D; // [n*h, Lq, Lk]
  if (scale) logits = tf.div(logits, Math.sqrt(d / heads));
  // Broadcast the key mask over heads and queries: [n, Lk] -> [n*h, 1, Lk].
  const mask = tf.reshape(tf.tile(tf.expandDims(keyMask, 1), [1, heads, 1]), [n * heads, 1, keyMask.shape[1]]);
  const masked = tf.where(tf.broadcastTo(mask, logits.shape), logits, tf.fill(logits.shape, MASKED_LOGIT));
  const alpha = tf.softmax(masked, -1);
  const out = mergeHeads(tf.matMul(alpha, vh) as tf.Tensor3D, n, heads);
  return proj ? project(out, proj.wo, proj.bo) : out;
}

/**
 * Reconstruction of each query from its own context set.
 * queries [n, d]; context [n, Lc, d]; contextMask [n, Lc] (0/1, >= 1 one per row) -> [n, d].
 */
function reconstruct(queries: tf.Tensor2D, context: tf.Tensor3D, contextMask: tf.Tensor2D, options: CourierLossOptions, heads: number, proj?: AttentionProjectionParams): tf.Tensor2D {
  const maskBool = tf.cast(contextMask, 'bool') as tf.Tensor2D;
  if (options.attention === 'cross') {
    const out = attend(tf.expandDims(queries, 1) as tf.Tensor3D, context, maskBool, heads, options.scaleBySqrtD, proj);
    return tf.squeeze(out, [1]) as tf.Tensor2D;
  }
  // 'self': every context item attends over the context; average the outputs of the real items.
  const selfOut = attend(context, context, maskBool, heads, options.scaleBySqrtD, proj); // [n, Lc, d]
  const weights = tf.div(contextMask, tf.sum(contextMask, 1, true)); // [n, Lc]
  return tf.squeeze(tf.matMul(tf.expandDims(weights, 1), selfOut), [1]) as tf.Tensor2D;
}

/**
 * Column-wise InfoNCE: candidates [N, d] (rows j0), recon [P, d] (columns j1), target[p] = the
 * row index of column p's own item. Returns mean over p of -log softmax_j0(cos(E_j0, R_p) / tau)[target[p]].
 * `exclude` lists (p, j0) pairs left out of column p's softmax (never p's own target).
 */
function columnContrastive(candidates: tf.Tensor2D, recon: tf.Tensor2D, target: number[], tau: number, exclude: readonly (readonly [number, number])[] = []): tf.Scalar {
  const n = candidates.shape[0];
  let sim = tf.div(tf.matMul(unitRows(recon), unitRows(candidates), false, true), tau) as tf.Tensor2D; // [P, N]
  if (exclude.length > 0) {
    const keep = new Uint8Array(target.length * n).fill(1);
    for (const [p, j] of exclude) keep[p * n + j] = 0;
    const keepT = tf.tensor2d(keep, [target.length, n], 'bool');
    sim = tf.where(keepT, sim, tf.fill(sim.shape, MASKED_LOGIT)) as tf.Tensor2D;
  }
  const logProb = tf.logSoftmax(sim, -1);
  const flat = tf.reshape(logProb, [-1]);
  const picked = gatherRows(flat, target.map((t, p) => p * n + t));
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

/** (column, row) pairs whose row shows the column's own item in another slot. */
function sameItemPairs(columnIds: readonly number[], rowIds: readonly number[], target: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  columnIds.forEach((id, p) => rowIds.forEach((rid, r) => r !== target[p] && rid === id && out.push([p, r])));
  return out;
}

/** Mean over rows of 1 - cos(a_i, b_i). */
function meanOneMinusCos(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  const cos = tf.sum(tf.mul(unitRows(a), unitRows(b)), 1);
  return tf.mean(tf.sub(1, cos)) as tf.Scalar;
}

/**
 * Mean binary cross-entropy of logits z [n] against labels y [n]: softplus(z) - y z (torch's
 * binary_cross_entropy_with_logits). tf.softplus is stable and its gradient is sigmoid(z)
 * everywhere (a relu/abs form would give a wrong gradient at z = 0).
 */
function meanBce(z: tf.Tensor1D, y: tf.Tensor1D): tf.Scalar {
  return tf.mean(tf.sub(tf.softplus(z), tf.mul(y, z))) as tf.Scalar;
}

/**
 * COURIER loss L = L_pv + ucsWeight L_ucs (+ ctrHeadWeight L_ctr) for one batch. Differentiable
 * w.r.t. ePv, eClick and the projection / head weights (wrap in tf.grad / tf.variableGrads); call
 * inside tf.tidy to free intermediates.
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
  let proj: AttentionProjectionParams | undefined;
  if (options.attentionProjections) {
    const p = inputs.attentionParams;
    if (!p) throw new Error('courierLoss: option `attentionProjections` needs `inputs.attentionParams` (wq, bq, wk, bk, wv, bv, wo, bo)');
    for (const w of ['wq', 'wk', 'wv', 'wo'] as const) checkShape(p[w], `attentionParams.${w}`, [d, d]);
    for (const b of ['bq', 'bk', 'bv', 'bo'] as const) checkShape(p[b], `attentionParams.${b}`, [d]);
    proj = p;
  }
  const ctrWeight = options.ctrHeadWeight ?? 0;
  if (ctrWeight > 0) {
    const h = inputs.ctrHead;
    if (!h) throw new Error('courierLoss: option `ctrHeadWeight` > 0 needs `inputs.ctrHead` (w1r, w1e, b1, w2, b2)');
    const hidden = h.w1r?.shape[1] ?? 0;
    checkShape(h.w1r, 'ctrHead.w1r', [d, hidden]);
    checkShape(h.w1e, 'ctrHead.w1e', [d, hidden]);
    checkShape(h.b1, 'ctrHead.b1', [hidden]);
    checkShape(h.w2, 'ctrHead.w2', [hidden, 1]);
    checkShape(h.b2, 'ctrHead.b2', [1]);
  }
  const maskSame = options.maskSameItemNegatives === true;
  const pvIds = maskSame ? checkIds(inputs.pvItemIds, 'pvItemIds', B, Lpv) : null;
  const clickIds = maskSame ? checkIds(inputs.clickItemIds, 'clickItemIds', B, Lc) : null;
  let numMaskedNegatives = 0;

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
  const pvIdOf = (flat: number) => (pvIds as readonly (readonly number[])[])[Math.floor(flat / Lpv)][flat % Lpv];
  let lPv: tf.Scalar;
  if (posIdx.length === 0) {
    lPv = zero();
  } else {
    const queries = gatherRows(pvFlat, posIdx);
    const context = gatherRows(eClick, posSample);
    const contextMask = tf.tensor2d(posSample.map((b) => clickMask[b]), [posSample.length, Lc]);
    const recon = reconstruct(queries, context, contextMask, options, heads, proj);
    if (options.contrastive) {
      const rowOf = new Map(rowIdx.map((flat, r) => [flat, r]));
      const candidates = gatherRows(pvFlat, rowIdx);
      const target = posIdx.map((flat) => rowOf.get(flat) as number);
      const exclude = maskSame ? sameItemPairs(posIdx.map(pvIdOf), rowIdx.map(pvIdOf), target) : [];
      numMaskedNegatives += exclude.length;
      lPv = columnContrastive(candidates, recon, target, options.tau, exclude);
    } else {
      lPv = meanOneMinusCos(queries, recon);
    }
  }

  // ---- UCS loss: the latest (or first) real history item is the target, the other real ones its context ----
  const ucsSamples: number[] = [];
  const ucsTarget: number[] = [];
  const ucsMask: number[][] = [];
  const first = options.ucsTarget === 'first';
  for (let b = 0; b < B; b++) {
    if (historyCount[b] < 2) continue;
    const k0 = first ? clickMask[b].indexOf(1) : clickMask[b].lastIndexOf(1);
    ucsSamples.push(b);
    ucsTarget.push(b * Lc + k0);
    ucsMask.push(clickMask[b].map((v, k) => (k === k0 ? 0 : v)));
  }
  let lUcs: tf.Scalar;
  if (!options.useUcs || ucsSamples.length === 0) {
    lUcs = zero();
  } else {
    const targets = gatherRows(clickFlat, ucsTarget);
    const context = gatherRows(eClick, ucsSamples);
    const recon = reconstruct(targets, context, tf.tensor2d(ucsMask, [ucsSamples.length, Lc]), options, heads, proj);
    if (options.contrastive) {
      const own = ucsSamples.map((_, i) => i);
      let exclude: [number, number][] = [];
      if (clickIds) {
        const ids = ucsTarget.map((flat) => clickIds[Math.floor(flat / Lc)][flat % Lc]);
        exclude = sameItemPairs(ids, ids, own);
      }
      numMaskedNegatives += exclude.length;
      lUcs = columnContrastive(targets, recon, own, options.ucsTemperature ?? options.tau, exclude);
    } else {
      lUcs = meanOneMinusCos(targets, recon);
    }
  }

  // ---- auxiliary CTR head (authors' code): BCE of every real PV item of a sample with history ----
  let lCtr: tf.Scalar;
  let numCtrItems = 0;
  if (ctrWeight > 0) {
    const items: number[] = [];
    const itemSample: number[] = [];
    const y: number[] = [];
    for (let b = 0; b < B; b++) {
      if (historyCount[b] < 1) continue;
      for (let j = 0; j < Lpv; j++) {
        if (!pvMask[b][j]) continue;
        items.push(b * Lpv + j);
        itemSample.push(b);
        y.push(labels[b][j]);
      }
    }
    numCtrItems = items.length;
    if (items.length === 0) lCtr = zero();
    else {
      const head = inputs.ctrHead as CtrHeadParams;
      const queries = gatherRows(pvFlat, items);
      const recon = reconstruct(queries, gatherRows(eClick, itemSample), tf.tensor2d(itemSample.map((b) => clickMask[b]), [items.length, Lc]), options, heads, proj);
      // relu([R, E] w1 + b1) with [R, E] w1 = R w1r + E w1e.
      const hidden = tf.relu(tf.add(tf.add(tf.matMul(recon, head.w1r), tf.matMul(queries, head.w1e)), head.b1));
      const z = tf.reshape(tf.add(tf.matMul(hidden, head.w2), head.b2), [items.length]) as tf.Tensor1D;
      lCtr = meanBce(z, tf.tensor1d(y));
    }
  } else lCtr = zero();

  const ucsWeight = options.ucsWeight ?? 1;
  let total = tf.add(lPv, ucsWeight === 1 ? lUcs : tf.mul(lUcs, ucsWeight)) as tf.Scalar;
  if (ctrWeight > 0) total = tf.add(total, tf.mul(lCtr, ctrWeight)) as tf.Scalar;
  return { total, lPv, lUcs, numPvPositives: posIdx.length, numUcsTargets: ucsSamples.length, lCtr, numCtrItems, numMaskedNegatives };
}

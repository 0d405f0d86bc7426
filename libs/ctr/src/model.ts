/**
 * The downstream CTR model of COURIER (paper Sec. 4.4 / "Downstream use"): item side =
 * item-id + category + pooled title tokens + price bucket + image feature; user side =
 * user-id + behaviour history (items represented like the item side) through
 * self-attention with padding masks, mean pooled, plus target attention; concat, MLP,
 * sigmoid, binary cross-entropy with Adam.
 *
 * Shapes: B rows, L history positions, U unique items in the batch, E item representation
 * width, A attention width.
 *
 * Embedding lookups use @courier/nn's gatherRows, whose gradient is a scatter-add (ScatterNd),
 * because the WebAssembly backend has no UnsortedSegmentSum kernel (tf.gather's own gradient).
 * On the native (BLAS) backend, concatenation has a typed-array gradient (see concatColsOp).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, currentBackend } from '@courier/runtime';
import { VariableStore, dense, fillNormal, gatherRows, glorotUniform, ones, zeros } from '@courier/nn';
import type { CtrConfig } from './config';
import type { Batch } from './features';
import { CLUSTER_MATCH_FEATURES, simFeatureCount } from './features';
import type { ImageMode } from './image-features';


/**
 * Whether the backend keeps tensors in JS typed arrays with element-by-element kernels (the native
 * backend: BLAS matMuls, tfjs's JS kernels for the rest). There, concatenation gets its own
 * typed-array gradient. WebAssembly and TensorFlow have a fast native split and keep tf.concat.
 */
function matMulFriendly(): boolean {
  return currentBackend()?.name === 'native';
}

/**
 * Column concatenation of 2-D tensors whose gradient splits dy's columns in one typed-array pass.
 * tf.concat's own gradient is SplitV, which the native (CPU) backend runs element by element
 * (1.5-2 s per CTR step, measured); the earlier sum of matMuls with selection matrices cost an
 * AddN and a GEMM per part (~0.25 s). The copy here is a few hundred microseconds.
 */
const concatByCount = new Map<number, (...parts: tf.Tensor[]) => tf.Tensor>();
function concatColsOp(count: number): (...parts: tf.Tensor[]) => tf.Tensor {
  let op = concatByCount.get(count);
  if (!op) {
    const impl = (...args: unknown[]) => {
      const parts = args.slice(0, count) as tf.Tensor2D[];
      const widths = parts.map((p) => p.shape[1]);
      return {
        value: tf.concat(parts, 1),
        gradFunc: (dy: tf.Tensor) => {
          const [rows, total] = dy.shape;
          const g = dy.dataSync() as Float32Array;
          let offset = 0;
          return widths.map((w) => {
            const out = new Float32Array(rows * w);
            for (let r = 0; r < rows; r++) out.set(g.subarray(r * total + offset, r * total + offset + w), r * w);
            offset += w;
            return tf.tensor2d(out, [rows, w]);
          });
        },
      };
    };
    op = tf.customGrad(impl as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...parts: tf.Tensor[]) => tf.Tensor;
    concatByCount.set(count, op);
  }
  return op;
}

/** tf.concat(parts, 1) with a typed-array gradient on the native backend (see concatColsOp). */
function concatCols(parts: tf.Tensor2D[]): tf.Tensor2D {
  if (!matMulFriendly()) return tf.concat(parts, 1);
  return concatColsOp(parts.length)(...parts) as tf.Tensor2D;
}

/** Width of the per-row image-match features (Batch.sim) the model gets in its mode. */
function inWidthOfSim(c: CtrConfig, shape: ModelShape): number {
  if (shape.image?.mode === 'simscore') return simFeatureCount(c);
  if (shape.image?.mode === 'cluster-id' && c.clusterMatchFeatures) return CLUSTER_MATCH_FEATURES;
  if (shape.image?.mode === 'vector' && c.vectorProducts) return shape.image.dim;
  return 0;
}

/**
 * Adam (Kingma & Ba; tfjs's formula: lr * m_hat / (sqrt(v_hat) + 1e-7)) over all variables in
 * one typed-array pass each. On the native backend every element-wise kernel is a JS loop with
 * a fixed cost per call, and tfjs's Adam issues about ten per variable per step (about 400 of a
 * CTR step's 1,200 kernels); here it is one gradient read and one assign per variable.
 */
export class TypedAdam {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 0;
  constructor(
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-7,
  ) {}

  /** One step on the loss; returns its value. */
  step(loss: () => tf.Scalar, vars: tf.Variable[]): number {
    const { value, grads } = tf.variableGrads(loss, vars);
    const lossValue = value.dataSync()[0];
    value.dispose();
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    const { beta1, beta2, eps, lr } = this;
    for (const variable of vars) {
      const grad = grads[variable.name];
      if (!grad) continue;
      const g = grad.dataSync() as Float32Array;
      const w = (variable.dataSync() as Float32Array).slice();
      let m = this.m.get(variable.name);
      let v = this.v.get(variable.name);
      if (!m || !v) {
        m = new Float32Array(w.length);
        v = new Float32Array(w.length);
        this.m.set(variable.name, m);
        this.v.set(variable.name, v);
      }
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        const mi = beta1 * m[i] + (1 - beta1) * gi;
        const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
      tf.tidy(() => variable.assign(tf.tensor(w, variable.shape)));
    }
    for (const g of Object.values(grads)) g.dispose();
    return lossValue;
  }

  dispose(): void {
    this.m.clear();
    this.v.clear();
  }
}

export interface ModelShape {
  /** Item-id vocab size including OOV (index 0). */
  itemVocab: number;
  userVocab: number;
  numCategories: number;
  image: {
    mode: ImageMode;
    dim: number;
    numClusters: number;
    /** cluster-id: the cluster centres [numClusters, centroidDim] (clusterEmbeddingInit 'centroids'). */
    centroids?: Float32Array | null;
    centroidDim?: number;
  } | null;
}

/**
 * Principal-component scores of the rows of `x` ([n, d]), centred: [n, width], columns by
 * decreasing variance (zeros past the rank), from the n x n Gram matrix by power iteration
 * with deflation (float64; n is the number of clusters, so this stays small).
 */
export function principalScores(x: Float32Array, n: number, d: number, width: number, rng: Rng, iterations = 100): Float32Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[a * d + j] - mean[j]) * (x[b * d + j] - mean[j]);
      gram[a * n + b] = s;
      gram[b * n + a] = s;
    }
  const out = new Float32Array(n * width);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let c = 0; c < Math.min(width, n); c++) {
    for (let i = 0; i < n; i++) v[i] = rng.normal(0, 1);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      let norm = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += gram[i * n + k] * v[k];
        w[i] = s;
        norm += s * s;
      }
      norm = Math.sqrt(norm);
      if (norm < 1e-12) {
        lambda = 0;
        break;
      }
      for (let i = 0; i < n; i++) v[i] = w[i] / norm;
      lambda = norm;
    }
    if (lambda < 1e-9) break; // the rest of the spectrum is empty
    const scale = Math.sqrt(lambda);
    for (let i = 0; i < n; i++) out[i * width + c] = v[i] * scale;
    // Deflate: G -= lambda v v^T.
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) gram[a * n + b] -= lambda * v[a] * v[b];
  }
  return out;
}

export interface VariableSnapshot {
  shape: number[];
  /** Float32 values, base64. */
  data: string;
}

export class CtrModel {
  /** The model's variables (tfjs names ctr<k>/<name>, unique per process). */
  readonly store = new VariableStore('ctr');
  readonly itemWidth: number;
  /** tfjs's Adam on backends with native kernels; a fused typed-array Adam where kernels are JS (see TypedAdam). */
  private readonly optimizer: tf.Optimizer | TypedAdam;

  constructor(
    readonly config: CtrConfig,
    readonly shape: ModelShape,
    seed: number,
  ) {
    // Checked before any variable exists, so a refused model leaks nothing.
    if (config.clusterEmbeddingInit === 'centroids' && shape.image?.mode === 'cluster-id' && (!shape.image.centroids || !shape.image.centroidDim)) {
      throw new Error('ctr: clusterEmbeddingInit "centroids" needs the embeddings next to the cluster assignments (a cluster-id feature set with both files)');
    }
    const rng = new Rng(seed);
    const c = config;
    const emb = (name: string, rows: number, dim: number) => this.add(name, [rows, dim], rng.fork(name), 'normal');
    const dense = (name: string, fanIn: number, fanOut: number) => {
      this.add(`${name}/w`, [fanIn, fanOut], rng.fork(`${name}/w`), 'glorot');
      this.add(`${name}/b`, [fanOut], rng.fork(`${name}/b`), 'zeros');
    };
    emb('item_id', shape.itemVocab, c.itemIdDim);
    emb('category', shape.numCategories, c.categoryDim);
    emb('title_token', c.titleBuckets, c.titleDim);
    emb('price', c.priceBuckets, c.priceDim);
    emb('user_id', shape.userVocab, c.userDim);
    let E = c.itemIdDim + c.categoryDim + c.titleDim + c.priceDim;
    if (c.styleDim > 0) {
      emb('style_tag', c.styleBuckets, c.styleDim);
      E += c.styleDim;
    }
    if (shape.image?.mode === 'vector') {
      dense('image_dense', shape.image.dim, c.imageFeatureDim);
      E += c.imageFeatureDim;
    } else if (shape.image?.mode === 'cluster-id') {
      // Ids 0..K-1 are clusters, K is the unknown id.
      // Initial scale clusterEmbeddingStd: a larger one (0.5) lets look interactions (products of these
      // rows) learn before the ids overfit, which helps the oracle but hurts learned clusters (README).
      this.add('cluster_id', [shape.image.numClusters + 1, c.imageFeatureDim], rng.fork('cluster_id'), 'normal', c.clusterEmbeddingStd);
      if (c.clusterEmbeddingInit === 'centroids') this.initClustersFromCentroids(shape.image, rng.fork('cluster_id/centroids'));
      E += c.imageFeatureDim;
    }
    this.itemWidth = E;
    const A = c.attentionDim;
    const Ah = A / c.attentionHeads;
    const weight = (name: string, rows: number, cols: number) => this.add(name, [rows, cols], rng.fork(name), 'glorot');
    // History encoder (paper appendix A): multi-head self-attention with a residual and layer norm.
    weight('history/input', E, A);
    for (let h = 0; h < c.attentionHeads; h++) {
      weight(`self_attention/${h}/wq`, E, Ah);
      weight(`self_attention/${h}/wk`, E, Ah);
      weight(`self_attention/${h}/wv`, E, Ah);
      weight(`self_attention/${h}/wo`, Ah, A);
    }
    this.add('history/ln_gamma', [A], rng.fork('history/ln_gamma'), 'ones');
    this.add('history/ln_beta', [A], rng.fork('history/ln_beta'), 'zeros');
    dense('history/proj', A, A);
    if (c.targetAttention) weight('target_attention/wq', E, A);
    if (c.din) {
      // DIN activation unit on [h, t, h*t, h-t] as h Wh + t Wt + (h*t) Wp (the h-t block folds into the other two).
      weight('din/proj', E, A);
      weight('din/wh', A, c.dinHidden);
      weight('din/wt', A, c.dinHidden);
      weight('din/wp', A, c.dinHidden);
      this.add('din/b', [c.dinHidden], rng.fork('din/b'), 'zeros');
      dense('din/out', c.dinHidden, 1);
    }
    if (c.positionBuckets > 0) emb('position', c.positionBuckets, c.positionDim);
    let inWidth = E + c.userDim + A + (c.targetAttention ? 2 * A : 0) + (c.din ? 2 * A : 0) + (c.positionBuckets > 0 ? c.positionDim : 0);
    inWidth += inWidthOfSim(c, shape);
    if ((shape.image?.mode === 'vector' || shape.image?.mode === 'cluster-id') && c.imageInteraction) inWidth += c.imageFeatureDim;
    let prev = inWidth;
    c.mlp.forEach((h, i) => {
      dense(`mlp/${i}`, prev, h);
      prev = h;
    });
    dense('mlp/out', prev, 1);
    // Wide part (Wide & Deep): the image-match features also enter the logit linearly, so a
    // simple match effect is learnt at once instead of through the MLP (zero init: starts as deep only).
    const simWidth = inWidthOfSim(c, shape);
    if (c.wide && simWidth > 0) this.add('wide/w', [simWidth, 1], rng.fork('wide/w'), 'zeros');
    this.optimizer = matMulFriendly() ? new TypedAdam(c.learningRate) : tf.train.adam(c.learningRate);
  }

  /** The variables by name, in creation order. */
  get vars(): ReadonlyMap<string, tf.Variable> {
    return this.store.byName;
  }

  private add(name: string, shape: number[], rng: Rng, init: 'normal' | 'glorot' | 'zeros' | 'ones', std = 0.05): void {
    const random = () => rng.next();
    // 'rng-normal' rounding: the values of successive rng.normal(0, std) calls, as before @courier/nn.
    const values =
      init === 'normal' ? fillNormal(shape.reduce((a, b) => a * b, 1), std, random, { mean: 0, rounding: 'rng-normal' }) : init === 'glorot' ? glorotUniform(shape, random) : init === 'ones' ? ones(shape) : zeros(shape);
    this.store.add(name, values, shape);
  }

  /**
   * clusterEmbeddingInit 'centroids': rows 0..K-1 of the cluster table become the principal
   * components of the cluster centres, scaled to the table's std (clusterEmbeddingStd), so that
   * clusters whose centres are alike start alike and the look interactions need not discover it
   * from clicks. The unknown id keeps its random row.
   */
  private initClustersFromCentroids(image: NonNullable<ModelShape['image']>, rng: Rng): void {
    const K = image.numClusters;
    const D = image.centroidDim as number;
    const F = this.config.imageFeatureDim;
    const scores = principalScores(image.centroids as Float32Array, K, D, F, rng);
    let ss = 0;
    for (const x of scores) ss += x * x;
    const std = Math.sqrt(ss / scores.length);
    const values = this.v('cluster_id').dataSync().slice() as Float32Array;
    const scale = std > 0 ? this.config.clusterEmbeddingStd / std : 0;
    for (let i = 0; i < K * F; i++) values[i] = scores[i] * scale;
    this.store.assign('cluster_id', values);
  }

  private v(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`CtrModel: no variable "${name}"`);
    return v;
  }

  private dense(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return dense(x, { w: this.v(`${name}/w`), b: this.v(`${name}/b`) });
  }

  /** Item representations of the batch's unique items: [U, E], and their image part [U, imageFeatureDim] (null without image). */
  private itemRepr(b: Batch): { items: tf.Tensor2D; image: tf.Tensor2D | null } {
    const c = this.config;
    const T = c.titleMaxTokens;
    const parts: tf.Tensor2D[] = [
      gatherRows(this.v('item_id'), b.uId) as tf.Tensor2D,
      gatherRows(this.v('category'), b.uCategory) as tf.Tensor2D,
    ];
    // Masked mean of title-token embeddings as a batched matMul: [U, 1, T] x [U, T, dT] -> [U, dT].
    // (Broadcasting element-wise ops are slow on the JS CPU backend; matMul is not.)
    const tok = tf.reshape(gatherRows(this.v('title_token'), b.uTokens), [b.U, T, c.titleDim]) as tf.Tensor3D;
    parts.push(tf.reshape(tf.matMul(tf.tensor3d(b.uTokenPool, [b.U, 1, T]), tok), [b.U, c.titleDim]));
    parts.push(gatherRows(this.v('price'), b.uPrice) as tf.Tensor2D);
    if (c.styleDim > 0) parts.push(gatherRows(this.v('style_tag'), b.uStyle) as tf.Tensor2D);
    const image = this.shape.image;
    let imagePart: tf.Tensor2D | null = null;
    if (image?.mode === 'vector' && b.uVector) {
      imagePart = this.dense(tf.tensor2d(b.uVector, [b.U, image.dim]), 'image_dense');
    } else if (image?.mode === 'cluster-id' && b.uCluster) {
      imagePart = gatherRows(this.v('cluster_id'), b.uCluster) as tf.Tensor2D;
    }
    if (imagePart) parts.push(imagePart);
    return { items: concatCols(parts), image: imagePart };
  }

  /**
   * Logits [B] of a batch. Queries, keys and values are projected once per unique item
   * ([U, E] x [E, A]) and then gathered to history positions, which is U/(B L) of the work of
   * projecting every position. The self-attention runs once per distinct history ([H, L, L]; the
   * rows of a page view share one) and its output is gathered to the rows that have it.
   */
  logits(b: Batch): tf.Tensor1D {
    const c = this.config;
    const { B, L, H } = b;
    const A = c.attentionDim;
    const Ah = A / c.attentionHeads;
    const { items, image } = this.itemRepr(b); // [U, E], [U, F]
    const atHistory = (x: tf.Tensor2D, width: number): tf.Tensor3D => tf.reshape(gatherRows(x, b.history), [B, L, width]) as tf.Tensor3D;
    const atDistinct = (x: tf.Tensor2D, width: number): tf.Tensor3D => tf.reshape(gatherRows(x, b.hHistory), [H, L, width]) as tf.Tensor3D;
    // Per-history tensors [H, ...] to per-row [B, ...] (no copy when every row has its own history).
    const historyOf = H === B ? null : b.historyOf;
    const toRows = (x: tf.Tensor2D): tf.Tensor2D => (historyOf ? (gatherRows(x, historyOf) as tf.Tensor2D) : x);
    const project = (w: string) => tf.matMul(items, this.v(w) as tf.Tensor2D) as tf.Tensor2D; // [U, w cols]
    // Multi-head self-attention over each distinct history; padded keys carry -1e9 in hAttnBias [H, L, L].
    const bias = tf.tensor3d(b.hAttnBias, [H, L, L]);
    let mixed = atDistinct(project('history/input'), A); // residual branch [H, L, A]
    for (let h = 0; h < c.attentionHeads; h++) {
      const q = atDistinct(tf.mul(project(`self_attention/${h}/wq`), tf.scalar(1 / Math.sqrt(Ah))) as tf.Tensor2D, Ah);
      const k = atDistinct(project(`self_attention/${h}/wk`), Ah);
      const v = atDistinct(project(`self_attention/${h}/wv`), Ah);
      const head = tf.matMul(tf.softmax(tf.add(tf.matMul(q, k, false, true), bias)), v); // [H, L, Ah]
      mixed = tf.add(mixed, tf.reshape(tf.matMul(tf.reshape(head, [H * L, Ah]), this.v(`self_attention/${h}/wo`) as tf.Tensor2D), [H, L, A]));
    }
    const { mean, variance } = tf.moments(mixed, -1, true);
    const histDistinct = tf.add(tf.mul(tf.div(tf.sub(mixed, mean), tf.sqrt(tf.add(variance, tf.scalar(1e-5)))), this.v('history/ln_gamma')), this.v('history/ln_beta')) as tf.Tensor3D;
    // Masked mean over real positions, then projected: hPoolWeights = mask / count, [H, 1, L] x [H, L, A].
    const pooled = toRows(this.dense(tf.reshape(tf.matMul(tf.tensor3d(b.hPoolWeights, [H, 1, L]), histDistinct), [H, A]) as tf.Tensor2D, 'history/proj'));
    const targetIdx = b.target;
    const target = gatherRows(items, targetIdx) as tf.Tensor2D; // [B, E]
    const user = gatherRows(this.v('user_id'), b.user) as tf.Tensor2D;
    const parts: tf.Tensor2D[] = [target, user, pooled];
    const hasHistory = tf.tensor2d(b.hasHistory, [B, L]);
    if (c.targetAttention) {
      const hist = tf.reshape(toRows(tf.reshape(histDistinct, [H, L * A]) as tf.Tensor2D), [B, L, A]) as tf.Tensor3D; // [B, L, A]
      const tq = gatherRows(tf.mul(project('target_attention/wq'), tf.scalar(1 / Math.sqrt(A))), targetIdx) as tf.Tensor2D; // [B, A]
      const scores = tf.add(tf.reshape(tf.matMul(hist, tf.reshape(tq, [B, A, 1])), [B, L]), tf.tensor2d(b.keyBias, [B, L]));
      // Rows with an empty history attend to nothing: their weights are zeroed.
      const w = tf.mul(tf.softmax(scores), hasHistory);
      const attended = tf.reshape(tf.matMul(tf.reshape(w, [B, 1, L]), hist), [B, A]) as tf.Tensor2D;
      parts.push(attended, tf.mul(tq, attended) as tf.Tensor2D);
    }
    if (c.din) {
      // DIN: each raw history item is scored against the target by a small MLP; the weights are not
      // normalised (Zhou et al.), only masked and scaled by 1/L. The masked mean of the target-history
      // products goes to the MLP as well, so the interaction is an input, not something to discover.
      const dinItems = project('din/proj'); // [U, A]
      const hd = atHistory(dinItems, A); // [B, L, A]
      const td = gatherRows(dinItems, targetIdx) as tf.Tensor2D; // [B, A]
      const prod = tf.mul(hd, tf.reshape(td, [B, 1, A])) as tf.Tensor3D; // [B, L, A]
      const hidden = tf.relu(
        tf.add(
          tf.reshape(tf.add(tf.matMul(tf.reshape(hd, [B * L, A]), this.v('din/wh') as tf.Tensor2D), tf.matMul(tf.reshape(prod, [B * L, A]), this.v('din/wp') as tf.Tensor2D)), [B, L, c.dinHidden]),
          tf.reshape(tf.add(tf.matMul(td, this.v('din/wt') as tf.Tensor2D), this.v('din/b')), [B, 1, c.dinHidden]),
        ),
      );
      const score = tf.reshape(this.dense(tf.reshape(hidden, [B * L, c.dinHidden]) as tf.Tensor2D, 'din/out'), [B, L]);
      const w = tf.mul(score, tf.mul(tf.tensor2d(b.historyMask, [B, L]), tf.scalar(1 / L)));
      parts.push(tf.reshape(tf.matMul(tf.reshape(w, [B, 1, L]), hd), [B, A]) as tf.Tensor2D);
      parts.push(tf.reshape(tf.matMul(tf.tensor3d(b.poolWeights, [B, 1, L]), prod), [B, A]) as tf.Tensor2D);
    }
    if (image && c.imageInteraction) {
      // The target's image feature times the mean image feature of the history ([B, F]): a factorised
      // look match (like an FM term) whose embedding can learn which looks go together.
      const F = c.imageFeatureDim;
      const histMean = toRows(tf.reshape(tf.matMul(tf.tensor3d(b.hPoolWeights, [H, 1, L]), atDistinct(image, F)), [H, F]) as tf.Tensor2D);
      parts.push(tf.mul(gatherRows(image, targetIdx), histMean) as tf.Tensor2D);
    }
    if (c.positionBuckets > 0) parts.push(gatherRows(this.v('position'), b.position) as tf.Tensor2D);
    const simWidth = inWidthOfSim(c, this.shape);
    const sim = simWidth > 0 && b.sim ? tf.tensor2d(b.sim, [B, simWidth]) : null;
    if (sim) parts.push(sim);
    let x: tf.Tensor2D = concatCols(parts);
    c.mlp.forEach((_, i) => {
      x = tf.relu(this.dense(x, `mlp/${i}`));
    });
    let out = this.dense(x, 'mlp/out');
    if (c.wide && sim) out = tf.add(out, tf.matMul(sim, this.v('wide/w') as tf.Tensor2D));
    return tf.reshape(out, [B]) as tf.Tensor1D;
  }

  /** Mean binary cross-entropy from logits (numerically stable form). */
  static bce(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
    return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))) as tf.Scalar;
  }

  /** One Adam step; returns the batch loss. */
  trainStep(b: Batch): number {
    const varList = [...this.vars.values()];
    const loss = () => tf.tidy(() => CtrModel.bce(this.logits(b), tf.tensor1d(b.label)));
    if (this.optimizer instanceof TypedAdam) return this.optimizer.step(loss, varList);
    const cost = this.optimizer.minimize(loss, true, varList);
    const value = (cost as tf.Scalar).dataSync()[0];
    cost?.dispose();
    return value;
  }

  /** Click probabilities [B]. */
  predict(b: Batch): Float32Array {
    return tf.tidy(() => tf.sigmoid(this.logits(b)).dataSync() as Float32Array);
  }

  snapshot(): Record<string, VariableSnapshot> {
    const out: Record<string, VariableSnapshot> = {};
    for (const [name, v] of this.vars) {
      const data = v.dataSync() as Float32Array;
      out[name] = { shape: v.shape, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
    }
    return out;
  }

  /**
   * Loads variables from a snapshot. Embedding tables whose vocab grew (warm start with new
   * ids appended) get their old rows copied; any other shape mismatch is an error.
   */
  restore(snapshot: Record<string, VariableSnapshot>, options: { partial?: boolean; growable?: string[] } = {}): { loaded: string[]; grown: string[]; skipped: string[] } {
    const loaded: string[] = [];
    const grown: string[] = [];
    const skipped: string[] = [];
    for (const [name, v] of this.vars) {
      const snap = snapshot[name];
      if (!snap) {
        if (!options.partial) throw new Error(`checkpoint: variable "${name}" is missing (different image mode or config?)`);
        skipped.push(name);
        continue;
      }
      const buf = Buffer.from(snap.data, 'base64');
      const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const same = snap.shape.length === v.shape.length && snap.shape.every((d, i) => d === v.shape[i]);
      if (same) {
        this.store.assign(name, values);
        loaded.push(name);
      } else if (options.growable?.includes(name) && snap.shape.length === 2 && snap.shape[1] === v.shape[1] && snap.shape[0] <= v.shape[0]) {
        const current = v.dataSync().slice() as Float32Array;
        current.set(values);
        this.store.assign(name, current);
        grown.push(name);
      } else {
        throw new Error(`checkpoint: variable "${name}" has shape [${snap.shape}] in the checkpoint but [${v.shape}] in this model (different config, image mode or embedding dimension)`);
      }
    }
    return { loaded, grown, skipped };
  }

  dispose(): void {
    this.store.dispose();
    this.optimizer.dispose();
  }
}

/**
 * LATTICE (Zhang et al., "Mining Latent Structures for Multimedia Recommendation", ACM MM 2021)
 * as MMRec implements it (src/models/lattice.py, configs/model/LATTICE.yaml), cf_model
 * 'lightgcn'. Shapes [rows, cols]; d = 64.
 *
 * - Parameters: E_u [U, d], E_i [I, d] (XU); trainable copies F_v [I, D_v], F_t [I, D_t] of the
 *   feature files; Linear(D_m, 64) per modality (PyTorch default init); modal weights [2] = 0.5.
 * - Fixed graphs: the user-item adjacency D^-1 (A + I) (row-normalised, self-loops, duplicate
 *   rows summed); per modality the kNN graph (k = 10, cosine, self included) of the RAW
 *   features, normalised s_r^-1/2 S s_c^-1/2 with s = kNN row sums ("original" graphs).
 * - Learned item graph, rebuilt on the first training step of every epoch and at evaluation
 *   (build_item_graph): kNN graphs of the projected features f_m = Linear_m(F_m), combined
 *   with w = softmax(modal weights): S = w_0 S_v + w_1 S_t, normalised as above; item graph
 *   G = (1 - lambda) norm(S) + lambda (w_0 O_v + w_1 O_t), lambda = 0.9. Gradients reach the
 *   projections, the feature copies and the modal weights only on that step; on the others G is
 *   a constant (detached), and those variables still move by Adam's momentum (see trainStep).
 * - Forward: h = G E_i (n_layers = 1 product); LightGCN over [E_u; E_i] with 2 layers
 *   (weight_size [64, 64]), mean of the 3 layer outputs; item rows + L2-normalised h.
 * - Loss: -mean logsigmoid(s(u,p) - s(u,q)) + reg * (|u|^2 + |p|^2 + |q|^2) / 2 / 2048 (MMRec
 *   divides by train_batch_size, also for the last partial batch) on the propagated rows.
 * - Evaluation: a fresh forward with a rebuilt learned graph.
 * Unused by the 'lightgcn' variant: the NGCF layers and mess_dropout (never created).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import type { MmrecDataset, Modality } from './dataset';
import type { BlockScorer } from './evaluate';
import type { Batch, ModelParams, RecModel } from './models';
import { dotScorer, num } from './model-kit';
import { EdgeList, knnIndices, knnNormalizedGraph, knnRows, rowNormalizedWithSelfLoops, spmm, toSparseGraph, WeightedGraph } from './graphs';
import { VariableStore, gatherRows, l2NormalizeRows } from '@courier/nn';
import { addAll, Linear, SparseGraph, xavierUniform } from './nn';

interface LatticeModality {
  name: Modality;
  /** Trainable copy of the feature matrix [I, D_m] (nn.Embedding.from_pretrained, freeze=False). */
  F: tf.Variable;
  trs: Linear;
  /** Fixed kNN graph of the raw features. */
  original: WeightedGraph;
}

export class Lattice implements RecModel {
  readonly name = 'LATTICE';
  readonly needsNegatives = true;
  private readonly store = new VariableStore('lattice');
  readonly Eu: tf.Variable;
  readonly Ei: tf.Variable;
  readonly modalWeight: tf.Variable;
  readonly modalities: LatticeModality[] = [];
  private readonly adj: SparseGraph;
  private readonly nUsers: number;
  private readonly nItems: number;
  private readonly k: number;
  private readonly lambda: number;
  private readonly uiLayers: number;
  private readonly itemLayers: number;
  private readonly reg: number;
  private readonly regDivisor: number;
  private buildNext = true;
  /** The detached item graph of the last build (used by the steps that do not rebuild). */
  private itemGraph: SparseGraph | null = null;

  constructor(ds: MmrecDataset, params: ModelParams, rng: Rng) {
    const d = num(params, 'embeddingSize');
    const featDim = num(params, 'featEmbedDim');
    this.k = num(params, 'knnK');
    this.lambda = num(params, 'lambdaCoeff');
    this.uiLayers = num(params, 'uiLayers');
    this.itemLayers = num(params, 'itemLayers');
    this.reg = num(params, 'reg');
    this.regDivisor = num(params, 'regDivisor');
    this.nUsers = ds.nUsers;
    this.nItems = ds.nItems;
    this.Eu = this.store.add('Eu', xavierUniform(rng, ds.nUsers, d), [ds.nUsers, d]);
    this.Ei = this.store.add('Ei', xavierUniform(rng, ds.nItems, d), [ds.nItems, d]);
    for (const m of ['image', 'text'] as Modality[]) {
      const f = ds.features[m];
      if (!f) throw new Error(`LATTICE needs the ${m} features; the dataset was loaded without them`);
      this.modalities.push({
        name: m,
        F: this.store.add(`F_${m}`, f.data, [f.rows, f.dim]),
        trs: new Linear(this.store, rng, f.dim, featDim, { weight: 'default', name: `${m}_trs` }),
        original: knnNormalizedGraph(f.data, f.rows, f.dim, this.k),
      });
    }
    this.modalWeight = this.store.add('modal_weight', Float32Array.from([0.5, 0.5]), [2]);
    const g = rowNormalizedWithSelfLoops(ds.nUsers, ds.nItems, ds.train.users, ds.train.items);
    this.adj = toSparseGraph(g, g.w);
  }

  trainable(): tf.Variable[] {
    return [this.Eu, this.Ei, ...this.modalities.flatMap((m) => [m.F, ...m.trs.variables()]), this.modalWeight];
  }

  preEpoch(): void {
    this.buildNext = true;
  }

  /**
   * The item graph G as an edge list with a differentiable [E] weight vector: the learned kNN
   * edges of both modalities (2 I k), then the original graphs' edges (I k each).
   */
  private buildItemGraph(): { edges: EdgeList; weight: tf.Tensor1D } {
    const n = this.nItems;
    const k = this.k;
    const rows = knnRows(n, k);
    const w = tf.softmax(this.modalWeight as tf.Tensor1D);
    const [w0, w1] = tf.split(w, 2) as tf.Tensor1D[];
    const raw: tf.Tensor1D[] = [];
    const cols: Int32Array[] = [];
    let rowSum: tf.Tensor1D | null = null;
    this.modalities.forEach((m, idx) => {
      const f = m.trs.apply(m.F as tf.Tensor2D);
      const fc = stopGrad(f);
      const c = knnIndices(fc, k);
      fc.dispose();
      const fn = tf.div(f, tf.norm(f, 2, 1, true)) as tf.Tensor2D;
      const vals = tf.sum(tf.mul(gatherRows(fn, rows), gatherRows(fn, c)), 1) as tf.Tensor1D;
      const scaled = tf.mul(vals, idx === 0 ? w0 : w1) as tf.Tensor1D;
      const s = tf.sum(tf.reshape(scaled, [n, k]), 1) as tf.Tensor1D;
      rowSum = rowSum ? (tf.add(rowSum, s) as tf.Tensor1D) : s;
      raw.push(scaled);
      cols.push(c);
    });
    const inv = tf.pow(rowSum!, -0.5);
    const dinv = tf.reshape(tf.where(tf.isInf(inv), tf.zerosLike(inv), inv), [n, 1]) as tf.Tensor2D;
    const learnedSrc = concatInt([cols[0], cols[1]]);
    const learnedDst = concatInt([rows, rows]);
    const norm = tf.mul(tf.mul(tf.concat(raw), tf.reshape(gatherRows(dinv, learnedDst), [-1])), tf.reshape(gatherRows(dinv, learnedSrc), [-1]));
    const [ov, ot] = this.modalities.map((m) => m.original);
    const weight = tf.concat([
      tf.mul(norm, 1 - this.lambda),
      tf.mul(tf.tensor1d(ov.w), tf.mul(w0, this.lambda)),
      tf.mul(tf.tensor1d(ot.w), tf.mul(w1, this.lambda)),
    ]) as tf.Tensor1D;
    const edges: EdgeList = {
      nIn: n,
      nOut: n,
      src: concatInt([learnedSrc, ov.src, ot.src]),
      dst: concatInt([learnedDst, ov.dst, ot.dst]),
    };
    return { edges, weight };
  }

  /** (u_g [U, d], i_g [I, d]); `build`: rebuild the learned item graph (differentiably). */
  forward(build: boolean): { ug: tf.Tensor2D; ig: tf.Tensor2D } {
    let h = this.Ei as tf.Tensor2D;
    if (build || !this.itemGraph) {
      const { edges, weight } = this.buildItemGraph();
      this.itemGraph = toSparseGraph(edges, weight.dataSync() as Float32Array);
      for (let l = 0; l < this.itemLayers; l++) h = spmm(h, edges, weight);
    } else {
      for (let l = 0; l < this.itemLayers; l++) h = this.itemGraph.propagate(h);
    }
    let ego = tf.concat([this.Eu, this.Ei], 0) as tf.Tensor2D;
    const all: tf.Tensor2D[] = [ego];
    for (let l = 0; l < this.uiLayers; l++) {
      ego = this.adj.propagate(ego);
      all.push(ego);
    }
    const mean = tf.div(addAll(all), all.length) as tf.Tensor2D;
    const [ug, igRaw] = tf.split(mean, [this.nUsers, this.nItems], 0) as tf.Tensor2D[];
    return { ug, ig: tf.add(igRaw, l2NormalizeRows(h)) };
  }

  loss(batch: Batch): tf.Scalar {
    const { ug, ig } = this.forward(this.buildNext);
    this.buildNext = false;
    return bprWithEmbReg(ug, ig, batch, this.reg, this.regDivisor);
  }

  scorer(): { score: BlockScorer; dispose(): void } {
    // MMRec evaluates with forward(build_item_graph=True): a fresh learned graph. The next
    // epoch rebuilds anyway, so the training state is not touched.
    const saved = this.itemGraph;
    const [u, i] = tf.tidy(() => {
      const { ug, ig } = this.forward(true);
      return [ug, ig];
    });
    this.itemGraph = saved;
    return dotScorer(u, i);
  }

  dispose(): void {
    this.store.dispose();
  }
}

function concatInt(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A copy outside the tape (for index computations). */
function stopGrad(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tensor2d(x.dataSync() as Float32Array, x.shape);
}

/**
 * LATTICE's and MGCN's bpr_loss: -mean logsigmoid(s(u,p) - s(u,q)) + reg * (|u|^2 + |p|^2 +
 * |q|^2) / 2 / regDivisor, on the gathered propagated rows.
 */
export function bprWithEmbReg(ug: tf.Tensor2D, ig: tf.Tensor2D, batch: Batch, reg: number, regDivisor: number): tf.Scalar {
  const u = gatherRows(ug, batch.users);
  const p = gatherRows(ig, batch.pos);
  const q = gatherRows(ig, batch.neg!);
  const diff = tf.sub(tf.sum(tf.mul(u, p), 1), tf.sum(tf.mul(u, q), 1));
  // logsigmoid(x) = -softplus(-x) (tf.logSigmoid's gradient fails on the native backend).
  const mf = tf.mean(tf.softplus(tf.neg(diff)));
  if (reg === 0) return mf as tf.Scalar;
  const sq = tf.addN([tf.sum(tf.square(u)), tf.sum(tf.square(p)), tf.sum(tf.square(q))]);
  return tf.add(mf, tf.mul(sq, reg / 2 / regDivisor)) as tf.Scalar;
}

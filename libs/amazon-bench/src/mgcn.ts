/**
 * MGCN (Yu et al., "Multi-View Graph Convolutional Network for Multimedia Recommendation",
 * ACM MM 2023) as MMRec implements it (src/models/mgcn.py, configs/model/MGCN.yaml). d = 64.
 *
 * - Parameters: E_u [U, d], E_i [I, d] (XU); trainable feature copies F_v, F_t; image_trs /
 *   text_trs Linear(D_m, d); query_common = Linear(d, d) -> tanh -> Linear(d, 1, no bias);
 *   gate_v, gate_t, gate_image_prefer, gate_text_prefer = Linear(d, d) -> sigmoid (all Linear
 *   layers PyTorch-default init).
 * - Graphs (fixed): the user-item adjacency D^-1/2 A D^-1/2 (no self-loops, duplicate rows
 *   summed) and its user-item block R; per modality the kNN graph of the raw features (k = 10,
 *   'sym' normalisation of the kNN values), as LATTICE's original graph.
 * - Forward: behaviour-guided purifier x_m = E_i * gate_m(trs_m(F_m)); user-item view =
 *   LightGCN mean over [E_u; E_i] and 2 layers (content); item-item view per modality:
 *   i_m = S_m x_m (n_layers = 1), u_m = R i_m, e_m = [u_m; i_m]; fuser: a_m = query(e_m),
 *   softmax over the two modalities (computed as sigmoid(a_v - a_t)), common = w_v e_v + w_t e_t,
 *   sep_m = (e_m - common) * prefer_m(content), side = (sep_v + sep_t + common) / 3;
 *   final = content + side.
 * - Loss: BPR (logsigmoid) + reg (1e-4) * (|u|^2 + |p|^2 + |q|^2) / 2 / 2048 + cl_loss *
 *   [InfoNCE(side[p], content[p]) + InfoNCE(side[u], content[u])], InfoNCE at temperature 0.2
 *   over the batch (L2-normalised rows; the other batch rows are the negatives).
 * - Evaluation: a fresh forward. lr 1e-3 with MMRec's scheduler 0.96^(epoch / 50).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import type { MmrecDataset, Modality } from './dataset';
import type { BlockScorer } from './evaluate';
import type { Batch, ModelParams, RecModel } from './models';
import { dotScorer, num } from './model-kit';
import { WeightedGraph, knnNormalizedGraph, spmm, symNormalizedBipartite, toSparseGraph, userFromItems } from './graphs';
import { bprWithEmbReg } from './lattice';
import { diagonalCrossEntropy } from './slmrec';
import { VariableStore, gatherRows, l2NormalizeRows } from '@courier/nn';
import { addAll, Linear, SparseGraph, xavierUniform } from './nn';

interface MgcnModality {
  name: Modality;
  F: tf.Variable;
  trs: Linear;
  gate: Linear;
  prefer: Linear;
  itemGraph: SparseGraph;
}

/**
 * InfoNCE over a batch: mean_b -log(exp(a_b . b_b / t) / sum_j exp(a_b . b_j / t)), rows
 * L2-normalised: the diagonal cross entropy of the normalised rows (same value; its custom
 * gradient is much faster than tfjs's autodiff of exp/sum/log over the B x B matrix).
 */
export function infoNce(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): tf.Scalar {
  return diagonalCrossEntropy(l2NormalizeRows(a), l2NormalizeRows(b), temperature);
}

export class Mgcn implements RecModel {
  readonly name = 'MGCN';
  readonly needsNegatives = true;
  private readonly store = new VariableStore('mgcn');
  readonly Eu: tf.Variable;
  readonly Ei: tf.Variable;
  readonly query1: Linear;
  readonly query2: Linear;
  readonly modalities: MgcnModality[] = [];
  private readonly adj: SparseGraph;
  private readonly R: WeightedGraph;
  private readonly nUsers: number;
  private readonly nItems: number;
  private readonly uiLayers: number;
  private readonly itemLayers: number;
  private readonly reg: number;
  private readonly regDivisor: number;
  private readonly clWeight: number;
  private readonly clTemp: number;

  constructor(ds: MmrecDataset, params: ModelParams, rng: Rng) {
    const d = num(params, 'embeddingSize');
    const k = num(params, 'knnK');
    this.uiLayers = num(params, 'uiLayers');
    this.itemLayers = num(params, 'itemLayers');
    this.reg = num(params, 'reg');
    this.regDivisor = num(params, 'regDivisor');
    this.clWeight = num(params, 'clLoss');
    this.clTemp = num(params, 'clTemp');
    this.nUsers = ds.nUsers;
    this.nItems = ds.nItems;
    this.Eu = this.store.add('Eu', xavierUniform(rng, ds.nUsers, d), [ds.nUsers, d]);
    this.Ei = this.store.add('Ei', xavierUniform(rng, ds.nItems, d), [ds.nItems, d]);
    this.query1 = new Linear(this.store, rng, d, d, { weight: 'default', name: 'query1' });
    this.query2 = new Linear(this.store, rng, d, 1, { weight: 'default', bias: false, name: 'query2' });
    for (const m of ['image', 'text'] as Modality[]) {
      const f = ds.features[m];
      if (!f) throw new Error(`MGCN needs the ${m} features; the dataset was loaded without them`);
      const g = knnNormalizedGraph(f.data, f.rows, f.dim, k);
      this.modalities.push({
        name: m,
        F: this.store.add(`F_${m}`, f.data, [f.rows, f.dim]),
        trs: new Linear(this.store, rng, f.dim, d, { weight: 'default', name: `${m}_trs` }),
        gate: new Linear(this.store, rng, d, d, { weight: 'default', name: `gate_${m}` }),
        prefer: new Linear(this.store, rng, d, d, { weight: 'default', name: `gate_${m}_prefer` }),
        itemGraph: toSparseGraph(g, g.w),
      });
    }
    const adj = symNormalizedBipartite(ds.nUsers, ds.nItems, ds.train.users, ds.train.items, { collapse: false, eps: 0 });
    this.adj = toSparseGraph(adj, adj.w);
    this.R = userFromItems(adj, ds.nUsers, ds.nItems);
  }

  trainable(): tf.Variable[] {
    return [
      this.Eu,
      this.Ei,
      ...this.modalities.flatMap((m) => [m.F, ...m.trs.variables()]),
      ...this.query1.variables(),
      ...this.query2.variables(),
      ...this.modalities.flatMap((m) => [...m.gate.variables(), ...m.prefer.variables()]),
    ];
  }

  private query(e: tf.Tensor2D): tf.Tensor2D {
    return this.query2.apply(tf.tanh(this.query1.apply(e)));
  }

  /** Final [U + I, d] embeddings, and the side / content views (for the contrastive loss). */
  forward(): { all: tf.Tensor2D; side: tf.Tensor2D; content: tf.Tensor2D } {
    let ego = tf.concat([this.Eu, this.Ei], 0) as tf.Tensor2D;
    const layers: tf.Tensor2D[] = [ego];
    for (let l = 0; l < this.uiLayers; l++) {
      ego = this.adj.propagate(ego);
      layers.push(ego);
    }
    const content = tf.div(addAll(layers), layers.length) as tf.Tensor2D;
    const views = this.modalities.map((m) => {
      let item = tf.mul(this.Ei, tf.sigmoid(m.gate.apply(m.trs.apply(m.F as tf.Tensor2D)))) as tf.Tensor2D;
      for (let l = 0; l < this.itemLayers; l++) item = m.itemGraph.propagate(item);
      const user = spmm(item, this.R, this.R.w);
      return tf.concat([user, item], 0) as tf.Tensor2D;
    });
    const [ev, et] = views;
    // softmax over [a_v, a_t] = [sigmoid(a_v - a_t), 1 - sigmoid(a_v - a_t)] (no axis-1 concat).
    const wv = tf.sigmoid(tf.sub(this.query(ev), this.query(et)));
    const common = tf.add(tf.mul(wv, ev), tf.mul(tf.sub(1, wv), et)) as tf.Tensor2D;
    const sep = this.modalities.map((m, i) => tf.mul(tf.sub(views[i], common), tf.sigmoid(m.prefer.apply(content))));
    const side = tf.div(addAll([...sep, common]), 3) as tf.Tensor2D;
    return { all: tf.add(content, side), side, content };
  }

  loss(batch: Batch): tf.Scalar {
    const { all, side, content } = this.forward();
    const [ua, ia] = tf.split(all, [this.nUsers, this.nItems], 0) as tf.Tensor2D[];
    const bpr = bprWithEmbReg(ua, ia, batch, this.reg, this.regDivisor);
    const posNode = batch.pos.map((i) => i + this.nUsers);
    const cl = tf.add(
      infoNce(gatherRows(side, posNode), gatherRows(content, posNode), this.clTemp),
      infoNce(gatherRows(side, batch.users), gatherRows(content, batch.users), this.clTemp),
    );
    return tf.add(bpr, tf.mul(cl, this.clWeight)) as tf.Scalar;
  }

  scorer(): { score: BlockScorer; dispose(): void } {
    const [u, i] = tf.tidy(() => tf.split(this.forward().all, [this.nUsers, this.nItems], 0) as tf.Tensor2D[]);
    return dotScorer(u, i);
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * SLMRec (Tao et al., "Self-supervised Learning for Multimedia Recommendation", IEEE TMM 2022)
 * as MMRec implements it (src/models/slmrec.py, configs/model/SLMRec.yaml): ssl_task 'FAC'
 * (fine and coarse cross-modal contrast), mm_fusion_mode 'concat', adj_type 'pre', image and
 * text only (no audio). d = recdim = 64.
 *
 * - Parameters: E_u [U, d], E_i [I, d] (XU); v_dense Linear(D_v, d), t_dense Linear(D_t, d)
 *   on the row-L2-normalised (fixed) features; FAC heads g_i_iv, g_v_iv, g_iv_iva, g_a_iva
 *   Linear(d, d) and g_iva_ivat, g_t_ivat Linear(d, d/2); fusion heads item/user_after_GCN
 *   Linear(3d, d). Weights XU, biases PyTorch default. g_a_iva (audio) is registered but never
 *   used, as in MMRec (counted, never updated).
 * - Graph: D^-1/2 A D^-1/2 of the user-item adjacency, duplicate rows collapsed, deg + 1e-8.
 * - Forward: three LightGCN passes (3 layers, mean of the 4 outputs) over [E_u; E_i],
 *   [E_u; v_dense(v)], [E_u; t_dense(t)]; user = user_after(concat of the three user parts),
 *   item = item_after(concat of the three item parts).
 * - Loss: InfoNCE(normalize(user[u]), normalize(item[p])) at temp 0.2 over the batch (cross
 *   entropy against the diagonal) + ssl_alpha * FAC(p): CE(g_i_iv(i_i) g_v_iv(v_i)^T / ssl_temp)
 *   + CE(g_iva_ivat(g_iv_iva(g_i_iv(i_i))) g_t_ivat(t_i)^T / ssl_temp) on the graph outputs of the
 *   batch's positive items (no normalisation there). No negatives.
 * - Adam with weight_decay 1e-4 (trainer option). `reg` is in MMRec's grid but no code reads it.
 * - Evaluation: the embeddings of the epoch's last training forward, scores through a sigmoid.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import type { MmrecDataset, Modality } from './dataset';
import type { BlockScorer } from './evaluate';
import type { Batch, ModelParams, RecModel } from './models';
import { dotScorer, num } from './model-kit';
import { symNormalizedBipartite, toSparseGraph } from './graphs';
import { VariableStore, gatherRows, l2NormalizeRows } from '@courier/nn';
import { addAll, Linear, SparseGraph, xavierUniform } from './nn';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * nn.CrossEntropyLoss of the [B, B] logits a b^T / t against labels 0..B-1: mean over rows of
 * logsumexp(row) - a_b . b_b / t. Custom gradient (softmax - I) / B: tfjs's own gradient of
 * logSumExp took 2.6 s for one 2048 x 2048 matrix on the CPU backends (the forward is ~50 ms).
 * Issue #23: few passes over the [B, B] matrix (16 MB at B = 2048): logits = (a / t) b^T, p =
 * softmax(logits) (one kernel); row r's loss is -log p_rr (a row whose p_rr < 1e-30 would lose
 * precision and gets logsumexp - logit from its logits row instead); backward da = c (p b - b)
 * / t, db = c (p^T (a / t) - a / t) with c = dy / B, i.e. the identity part and the scale are
 * applied to the [B, d] products.
 */
export function diagonalCrossEntropy(a: tf.Tensor2D, b: tf.Tensor2D, t: number): tf.Scalar {
  const op = tf.customGrad(((aa: tf.Tensor2D, bb: tf.Tensor2D, save: (ts: tf.Tensor[]) => void) => {
    const B = aa.shape[0];
    const at = tf.div(aa, t) as tf.Tensor2D;
    const logits = tf.matMul(at, bb, false, true);
    const p = tf.softmax(logits);
    const pv = p.dataSync() as Float32Array;
    let total = 0;
    let lv: Float32Array | null = null;
    for (let r = 0; r < B; r++) {
      const prr = pv[r * B + r];
      if (prr >= 1e-30) {
        total -= Math.log(prr);
        continue;
      }
      lv ??= logits.dataSync() as Float32Array;
      let m = -Infinity;
      for (let j = r * B; j < r * B + B; j++) if (lv[j] > m) m = lv[j];
      let z = 0;
      for (let j = r * B; j < r * B + B; j++) z += Math.exp(lv[j] - m);
      total += m + Math.log(z) - lv[r * B + r];
    }
    save([at, bb, p]);
    return {
      value: tf.scalar(total / B),
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [sa, sb, sp] = saved as tf.Tensor2D[];
        const c = dy.dataSync()[0] / B;
        return [tf.mul(tf.sub(tf.matMul(sp, sb), sb), c / t), tf.mul(tf.sub(tf.matMul(sp, sa, true, false), sa), c)];
      },
    };
  }) as unknown as CustomGradFn);
  return op(a, b) as tf.Scalar;
}

/** The previous formulation (tfjs ops, exp / sum / log), kept for the tests. */
export function diagonalCrossEntropyReference(a: tf.Tensor2D, b: tf.Tensor2D, t: number): tf.Scalar {
  const B = a.shape[0];
  const logits = tf.div(tf.matMul(a, b, false, true), t);
  const lse = tf.logSumExp(logits, 1);
  const diag = tf.div(tf.sum(tf.mul(a, b), 1), t);
  return tf.mean(tf.sub(lse, diag)).reshape([]) as tf.Scalar;
}

/** Linear(3d, d) on [a | b | c] without the axis-1 concat (its gradient is slow on tfjs-cpu). */
function linearOnConcat(lin: Linear, parts: tf.Tensor2D[]): tf.Tensor2D {
  // One row split of the weight (its gradient is one row concat; a tf.slice per part pads).
  const ws = tf.split(lin.w, parts.map((p) => p.shape[1]), 0) as tf.Tensor2D[];
  const terms = parts.map((p, i) => tf.matMul(p, ws[i]));
  return tf.add(addAll(terms), lin.b!) as tf.Tensor2D;
}

export class Slmrec implements RecModel {
  readonly name = 'SLMRec';
  readonly needsNegatives = false;
  private readonly store = new VariableStore('slmrec');
  readonly Eu: tf.Variable;
  readonly Ei: tf.Variable;
  readonly dense: { name: Modality; lin: Linear; features: tf.Tensor2D }[] = [];
  readonly heads: Record<'i_iv' | 'v_iv' | 'iv_iva' | 'a_iva' | 'iva_ivat' | 't_ivat', Linear>;
  readonly itemAfter: Linear;
  readonly userAfter: Linear;
  private readonly graph: SparseGraph;
  private readonly nUsers: number;
  private readonly nItems: number;
  private readonly layers: number;
  private readonly temp: number;
  private readonly sslTemp: number;
  private readonly sslAlpha: number;
  /** (user, item) from the last training forward (MMRec evaluates with them). */
  private cached: [tf.Tensor2D, tf.Tensor2D] | null = null;

  constructor(ds: MmrecDataset, params: ModelParams, rng: Rng) {
    const d = num(params, 'embeddingSize');
    this.layers = num(params, 'nLayers');
    this.temp = num(params, 'temp');
    this.sslTemp = num(params, 'sslTemp');
    this.sslAlpha = num(params, 'sslAlpha');
    this.nUsers = ds.nUsers;
    this.nItems = ds.nItems;
    this.Eu = this.store.add('Eu', xavierUniform(rng, ds.nUsers, d), [ds.nUsers, d]);
    this.Ei = this.store.add('Ei', xavierUniform(rng, ds.nItems, d), [ds.nItems, d]);
    const xu = (inDim: number, outDim: number, name: string) => new Linear(this.store, rng, inDim, outDim, { weight: 'xu', name });
    this.heads = {
      i_iv: xu(d, d, 'g_i_iv'),
      v_iv: xu(d, d, 'g_v_iv'),
      iv_iva: xu(d, d, 'g_iv_iva'),
      a_iva: xu(d, d, 'g_a_iva'),
      iva_ivat: xu(d, d / 2, 'g_iva_ivat'),
      t_ivat: xu(d, d / 2, 'g_t_ivat'),
    };
    for (const m of ['image', 'text'] as Modality[]) {
      const f = ds.features[m];
      if (!f) throw new Error(`SLMRec needs the ${m} features; the dataset was loaded without them`);
      const features = tf.tidy(() => l2NormalizeRows(tf.tensor2d(f.data, [f.rows, f.dim])));
      this.dense.push({ name: m, lin: xu(f.dim, d, `${m}_dense`), features });
    }
    this.itemAfter = xu(3 * d, d, 'item_after_gcn');
    this.userAfter = xu(3 * d, d, 'user_after_gcn');
    const g = symNormalizedBipartite(ds.nUsers, ds.nItems, ds.train.users, ds.train.items, { collapse: true, eps: 1e-8 });
    this.graph = toSparseGraph(g, g.w);
  }

  trainable(): tf.Variable[] {
    return [
      this.Eu,
      this.Ei,
      ...Object.values(this.heads).flatMap((h) => h.variables()),
      ...this.dense.flatMap((m) => m.lin.variables()),
      ...this.itemAfter.variables(),
      ...this.userAfter.variables(),
    ];
  }

  /** LightGCN mean over [E_u; items] and `layers` products, split into (users, items). */
  private lightGcn(items: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    let x = tf.concat([this.Eu, items], 0) as tf.Tensor2D;
    const all: tf.Tensor2D[] = [x];
    for (let l = 0; l < this.layers; l++) {
      x = this.graph.propagate(x);
      all.push(x);
    }
    return tf.split(tf.div(addAll(all), all.length), [this.nUsers, this.nItems], 0) as [tf.Tensor2D, tf.Tensor2D];
  }

  /** compute(): fused (user [U, d], item [I, d]) and the per-view item parts (FAC). */
  forward(): { user: tf.Tensor2D; item: tf.Tensor2D; iItem: tf.Tensor2D; vItem: tf.Tensor2D; tItem: tf.Tensor2D } {
    const [iU, iI] = this.lightGcn(this.Ei as tf.Tensor2D);
    const [vU, vI] = this.lightGcn(this.dense[0].lin.apply(this.dense[0].features));
    const [tU, tI] = this.lightGcn(this.dense[1].lin.apply(this.dense[1].features));
    return {
      user: linearOnConcat(this.userAfter, [iU, vU, tU]),
      item: linearOnConcat(this.itemAfter, [iI, vI, tI]),
      iItem: iI,
      vItem: vI,
      tItem: tI,
    };
  }

  loss(batch: Batch): tf.Scalar {
    const f = this.forward();
    this.cached?.forEach((t) => t.dispose());
    this.cached = [tf.keep(f.user.clone()), tf.keep(f.item.clone())];
    const u = l2NormalizeRows(gatherRows(f.user, batch.users));
    const p = l2NormalizeRows(gatherRows(f.item, batch.pos));
    const main = diagonalCrossEntropy(u, p, this.temp);
    // FAC on the batch's positive items.
    const h = this.heads;
    const xIiv = h.i_iv.apply(gatherRows(f.iItem, batch.pos));
    const xViv = h.v_iv.apply(gatherRows(f.vItem, batch.pos));
    const vLoss = diagonalCrossEntropy(xIiv, xViv, this.sslTemp);
    const xIvat = h.iva_ivat.apply(h.iv_iva.apply(xIiv));
    const xTivat = h.t_ivat.apply(gatherRows(f.tItem, batch.pos));
    const tLoss = diagonalCrossEntropy(xIvat, xTivat, this.sslTemp);
    return tf.add(main, tf.mul(tf.add(vLoss, tLoss), this.sslAlpha)) as tf.Scalar;
  }

  scorer(): { score: BlockScorer; dispose(): void } {
    const [u, i] = this.cached ? [this.cached[0].clone(), this.cached[1].clone()] : tf.tidy(() => {
      const f = this.forward();
      return [f.user, f.item];
    });
    return dotScorer(u, i, { sigmoid: true });
  }

  dispose(): void {
    this.store.dispose();
    this.dense.forEach((m) => m.features.dispose());
    this.cached?.forEach((t) => t.dispose());
    this.cached = null;
  }
}

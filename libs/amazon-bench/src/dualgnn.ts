/**
 * DualGNN (Wang et al., "DualGNN: Dual Graph Neural Network for Multimedia Recommendation",
 * IEEE TMM 2021) as MMRec implements it (src/models/dualgnn.py, configs/model/DualGNN.yaml,
 * preprocessing/dualgnn-gen-u-u-matrix.py), aggr_mode 'add', construction 'weighted_sum',
 * user_aggr_mode 'softmax', k = 40. d = dim_latent = 64.
 *
 * - User-user graph (MMRec precomputes it into user_graph_dict.npy; built here from the same
 *   rows): co-occurrence counts |items(u) & items(v)| over the training split, per user the
 *   nonzero ones by count descending (lower user id first among equal counts; torch.topk leaves
 *   ties unspecified), at most 200 kept. Every epoch (pre_epoch_processing) each user takes its
 *   first k = 40; a user with fewer pads the list by uniform picks from the list as it grows;
 *   weights = softmax of the (padded) counts; users without neighbours get zero weights.
 * - Per modality m (image, then text) a GCN: preference P_m [U, d] (XN, trainable), item input
 *   MLP_1(leaky_relu(MLP(F_m))) with MLP: Linear(D_m, 4d), MLP_1: Linear(4d, d) (default init),
 *   x = L2-normalise rows of [P_m; item input]; h = A x, h1 = A h with A the 'add' propagation
 *   D^-1/2 A D^-1/2 over both directions of every training row (duplicates kept, no
 *   self-loops); rep_m = h + x + h1. (Only the full edge list is ever used; the "dropped"
 *   edge lists MMRec builds are dead code.)
 * - Fusion: item = rep_v + rep_t; user = w_u0 * (rep_v + rep_t) + w_u1 * rep_t, where
 *   weight_u [U, 2] is XN-initialised then softmaxed per user (trainable). The (rep_v + rep_t)
 *   in the first term is MMRec's in-place `representation += t_rep` aliasing v_rep; kept.
 *   Then user += sum_j w_uj user[nbr_uj] (the sampled user graph).
 * - Loss: -mean log2 sigmoid(s(u,p) - s(u,q)) + reg * [mean(P_v[u]^2) + mean(P_t[u]^2) +
 *   mean(weight_u^2) + mean(weight_i^2)].
 * - Registered but unused in the forward, as in MMRec (counted, updated only through reg):
 *   weight_i [I, 2] (in the loss only), MLP_v, MLP_t (d x d, no bias), MLP_user Linear(3d, d).
 *   MMRec's result_embed parameter is not counted: on the GPU its `.to(device)` copy is a plain
 *   tensor, and on the CPU the forward's assignment to it raises.
 * - Evaluation: the embeddings of the epoch's last training forward.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import type { MmrecDataset, Modality } from './dataset';
import type { BlockScorer } from './evaluate';
import type { Batch, ModelParams, RecModel } from './models';
import { dotScorer, num } from './model-kit';
import { symNormalizedBipartite, toSparseGraph } from './graphs';
import { VariableStore, gatherRows, l2NormalizeRows } from '@courier/nn';
import { addAll, Linear, SparseGraph, fillNormal, leakyRelu, xavierNormal } from './nn';

/** Per user: neighbours by co-occurrence count descending (ids ascending among ties), at most `max`. */
export function coOccurrenceNeighbours(nUsers: number, nItems: number, users: Int32Array, items: Int32Array, max: number): { ids: Int32Array; counts: Int32Array }[] {
  const byItem: number[][] = Array.from({ length: nItems }, () => []);
  const byUser: number[][] = Array.from({ length: nUsers }, () => []);
  const seen = new Set<number>();
  for (let r = 0; r < users.length; r++) {
    const key = users[r] * nItems + items[r];
    if (seen.has(key)) continue;
    seen.add(key);
    byItem[items[r]].push(users[r]);
    byUser[users[r]].push(items[r]);
  }
  const counts = new Int32Array(nUsers);
  const out: { ids: Int32Array; counts: Int32Array }[] = [];
  for (let u = 0; u < nUsers; u++) {
    const touched: number[] = [];
    for (const i of byUser[u]) {
      for (const v of byItem[i]) {
        if (v === u) continue;
        if (counts[v] === 0) touched.push(v);
        counts[v]++;
      }
    }
    touched.sort((a, b) => counts[b] - counts[a] || a - b);
    const kept = touched.slice(0, max);
    out.push({ ids: Int32Array.from(kept), counts: Int32Array.from(kept, (v) => counts[v]) });
    for (const v of touched) counts[v] = 0;
  }
  return out;
}

/** One epoch's user graph (topk_sample): edges nbr -> u with softmax weights. */
export function sampleUserGraph(neigh: { ids: Int32Array; counts: Int32Array }[], k: number, rng: Rng): SparseGraph {
  const src: number[] = [];
  const dst: number[] = [];
  const w: number[] = [];
  neigh.forEach((n, u) => {
    if (n.ids.length === 0) return;
    const ids = Array.from(n.ids.subarray(0, k));
    const cs = Array.from(n.counts.subarray(0, k));
    while (ids.length < k) {
      const r = rng.int(ids.length);
      ids.push(ids[r]);
      cs.push(cs[r]);
    }
    const mx = Math.max(...cs);
    const ex = cs.map((c) => Math.exp(c - mx));
    const z = ex.reduce((a, b) => a + b, 0);
    ids.forEach((v, j) => {
      src.push(v);
      dst.push(u);
      w.push(ex[j] / z);
    });
  });
  return new SparseGraph(neigh.length, Int32Array.from(src), Int32Array.from(dst), Float32Array.from(w));
}

/**
 * user = a * w[:, 0] + b * w[:, 1] per row (the weighted_sum fusion), one op: tf.slice of the
 * weight columns and their PadV2 gradients were ~30% of a step on the JS kernels (issue #23).
 * Forward rounds like the tfjs composition (each product to float32, then the sum).
 */
export function pairFusion(a: tf.Tensor2D, b: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const [n, d] = a.shape;
  if (b.shape[0] !== n || b.shape[1] !== d || w.shape[0] !== n || w.shape[1] !== 2) throw new Error(`pairFusion: shapes ${a.shape}, ${b.shape}, ${w.shape}`);
  const op = tf.customGrad(((aa: tf.Tensor2D, bb: tf.Tensor2D, ww: tf.Tensor2D) => {
    const av = aa.dataSync() as Float32Array;
    const bv = bb.dataSync() as Float32Array;
    const wv = ww.dataSync() as Float32Array;
    const out = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      const w0 = wv[2 * r];
      const w1 = wv[2 * r + 1];
      for (let k = r * d; k < r * d + d; k++) out[k] = Math.fround(av[k] * w0) + Math.fround(bv[k] * w1);
    }
    return {
      value: tf.tensor2d(out, [n, d]),
      gradFunc: (dy: tf.Tensor2D) => {
        const g = dy.dataSync();
        const ga = new Float32Array(n * d);
        const gb = new Float32Array(n * d);
        const gw = new Float32Array(2 * n);
        for (let r = 0; r < n; r++) {
          const w0 = wv[2 * r];
          const w1 = wv[2 * r + 1];
          let s0 = 0;
          let s1 = 0;
          for (let k = r * d; k < r * d + d; k++) {
            ga[k] = g[k] * w0;
            gb[k] = g[k] * w1;
            s0 += g[k] * av[k];
            s1 += g[k] * bv[k];
          }
          gw[2 * r] = s0;
          gw[2 * r + 1] = s1;
        }
        return [tf.tensor2d(ga, [n, d]), tf.tensor2d(gb, [n, d]), tf.tensor2d(gw, [n, 2])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(a, b, w) as tf.Tensor2D;
}

/** Largest user count whose sampled user graph is multiplied as a dense matrix (64 MB). */
export const DENSE_USER_GRAPH_MAX = 4096;

interface DualGnnBranch {
  name: Modality;
  pref: tf.Variable;
  mlp: Linear;
  mlp1: Linear;
  features: tf.Tensor2D;
}

/** XN-initialised [n, 2] table (xavier_normal_ on [n, 2, 1]: std sqrt(2 / (n + 2))), softmaxed per row. */
function softmaxPairs(rng: Rng, n: number): Float32Array {
  const x = fillNormal(rng, 2 * n, Math.sqrt(2 / (n + 2)));
  for (let r = 0; r < n; r++) {
    const m = Math.max(x[2 * r], x[2 * r + 1]);
    const a = Math.exp(x[2 * r] - m);
    const b = Math.exp(x[2 * r + 1] - m);
    x[2 * r] = a / (a + b);
    x[2 * r + 1] = b / (a + b);
  }
  return x;
}

export class DualGnn implements RecModel {
  readonly name = 'DualGNN';
  readonly needsNegatives = true;
  private readonly store = new VariableStore('dualgnn');
  readonly branches: DualGnnBranch[] = [];
  readonly weightU: tf.Variable;
  readonly weightI: tf.Variable;
  /** Registered in MMRec, unused by the forward (see the header). */
  readonly unused: tf.Variable[];
  private readonly graph: SparseGraph;
  private readonly neighbours: { ids: Int32Array; counts: Int32Array }[];
  private userGraph: SparseGraph | null = null;
  /**
   * The sampled user graph as a dense [U, U] matrix when that is small (U <= 4096): with k = 40
   * neighbours per user it is ~2% dense at 2,000 users, and one BLAS product is several times
   * faster than the edge loop (issue #23). Same sums (duplicate edges add up), other order.
   */
  private userDense: tf.Tensor2D | null = null;
  private readonly sampleRng: Rng;
  private readonly nUsers: number;
  private readonly k: number;
  private readonly reg: number;
  private cached: tf.Tensor2D | null = null;

  constructor(ds: MmrecDataset, params: ModelParams, rng: Rng) {
    const d = num(params, 'embeddingSize');
    this.k = num(params, 'userGraphK');
    this.reg = num(params, 'reg');
    this.nUsers = ds.nUsers;
    const init = rng.fork('init');
    this.sampleRng = rng.fork('user-graph');
    const mlpV = new Linear(this.store, init, d, d, { weight: 'default', bias: false, name: 'MLP_v' });
    const mlpT = new Linear(this.store, init, d, d, { weight: 'default', bias: false, name: 'MLP_t' });
    this.weightU = this.store.add('weight_u', softmaxPairs(init, ds.nUsers), [ds.nUsers, 2]);
    this.weightI = this.store.add('weight_i', softmaxPairs(init, ds.nItems), [ds.nItems, 2]);
    const mlpUser = new Linear(this.store, init, 3 * d, d, { weight: 'default', name: 'MLP_user' });
    this.unused = [...mlpV.variables(), ...mlpT.variables(), ...mlpUser.variables()];
    for (const m of ['image', 'text'] as Modality[]) {
      const f = ds.features[m];
      if (!f) throw new Error(`DualGNN needs the ${m} features; the dataset was loaded without them`);
      this.branches.push({
        name: m,
        pref: this.store.add(`${m}/preference`, xavierNormal(init, ds.nUsers, d), [ds.nUsers, d]),
        mlp: new Linear(this.store, init, f.dim, 4 * d, { weight: 'default', name: `${m}/MLP` }),
        mlp1: new Linear(this.store, init, 4 * d, d, { weight: 'default', name: `${m}/MLP_1` }),
        features: tf.tensor2d(f.data, [f.rows, f.dim]),
      });
    }
    const g = symNormalizedBipartite(ds.nUsers, ds.nItems, ds.train.users, ds.train.items, { collapse: false, eps: 0 });
    this.graph = toSparseGraph(g, g.w);
    this.neighbours = coOccurrenceNeighbours(ds.nUsers, ds.nItems, ds.train.users, ds.train.items, num(params, 'userGraphMax'));
  }

  trainable(): tf.Variable[] {
    return [...this.unused.slice(0, 2), this.weightU, this.weightI, ...this.unused.slice(2), ...this.branches.flatMap((b) => [b.pref, ...b.mlp.variables(), ...b.mlp1.variables()])];
  }

  rngs(): Record<string, Rng> {
    return { userGraph: this.sampleRng };
  }

  preEpoch(): void {
    this.userGraph = sampleUserGraph(this.neighbours, this.k, this.sampleRng);
    this.userDense?.dispose();
    this.userDense = this.userGraph.nodes <= DENSE_USER_GRAPH_MAX ? tf.keep(this.userGraph.denseMatrix()) : null;
  }

  /** [U + I, d]: users then items. */
  forward(): tf.Tensor2D {
    if (!this.userGraph) this.preEpoch();
    const reps = this.branches.map((b) => {
      const items = b.mlp1.apply(leakyRelu(b.mlp.apply(b.features)));
      const x = l2NormalizeRows(tf.concat([b.pref, items], 0) as tf.Tensor2D);
      const h = this.graph.propagate(x);
      const h1 = this.graph.propagate(h);
      return addAll([h, x, h1]);
    });
    const sum = tf.add(reps[0], reps[1]) as tf.Tensor2D;
    const nu = this.nUsers;
    const [sumU, sumI] = tf.split(sum, [nu, sum.shape[0] - nu], 0) as tf.Tensor2D[];
    const tU = tf.split(reps[1], [nu, sum.shape[0] - nu], 0)[0] as tf.Tensor2D;
    const user = pairFusion(sumU, tU, this.weightU as tf.Tensor2D);
    const userOut = tf.add(user, this.userDense ? tf.matMul(this.userDense, user) : this.userGraph!.propagate(user));
    return tf.concat([userOut, sumI], 0) as tf.Tensor2D;
  }

  loss(batch: Batch): tf.Scalar {
    const R = this.forward();
    this.cached?.dispose();
    this.cached = tf.keep(R.clone());
    const nu = this.nUsers;
    const u = gatherRows(R, batch.users);
    const sp = tf.sum(tf.mul(u, gatherRows(R, batch.pos.map((i) => i + nu))), 1);
    const sq = tf.sum(tf.mul(u, gatherRows(R, batch.neg!.map((i) => i + nu))), 1);
    const bpr = tf.neg(tf.div(tf.mean(tf.log(tf.sigmoid(tf.sub(sp, sq)))), Math.LN2));
    if (this.reg === 0) return bpr as tf.Scalar;
    const prefReg = this.branches.map((b) => tf.mean(tf.square(gatherRows(b.pref as tf.Tensor2D, batch.users))));
    const reg = tf.addN([...prefReg, tf.mean(tf.square(this.weightU)), tf.mean(tf.square(this.weightI))]);
    return tf.add(bpr, tf.mul(reg, this.reg)) as tf.Scalar;
  }

  scorer(): { score: BlockScorer; dispose(): void } {
    const R = this.cached ? this.cached.clone() : tf.tidy(() => this.forward());
    const [u, i] = tf.split(R, [this.nUsers, R.shape[0] - this.nUsers], 0) as tf.Tensor2D[];
    R.dispose();
    return dotScorer(u, i);
  }

  dispose(): void {
    this.store.dispose();
    this.branches.forEach((b) => b.features.dispose());
    this.cached?.dispose();
    this.cached = null;
    this.userDense?.dispose();
    this.userDense = null;
  }
}

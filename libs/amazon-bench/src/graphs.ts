/**
 * Graph building blocks of the issue-#23 models (SLMRec, DualGNN, LATTICE, MGCN), beside
 * nn.ts's SparseGraph: a sparse product with an optional differentiable edge-weight vector
 * (LATTICE's learned item graph), the user-item adjacencies each reference model builds (they
 * differ in duplicate handling, self-loops and normalisation) and the item-item kNN graphs
 * of LATTICE and MGCN. Everything is an edge list (src -> dst, weight), never a dense matrix.
 */
import * as tf from '@tensorflow/tfjs';
import { Csr, csrFromEdges, spmmCsr } from '@courier/native-kernels';
import { SparseGraph, spmmInto } from './nn';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** A rectangular sparse operator out[dst_e] += w_e * in[src_e], in: [nIn, d], out: [nOut, d]. */
export interface EdgeList {
  nIn: number;
  nOut: number;
  src: Int32Array;
  dst: Int32Array;
}

function spmmJs(x: ArrayLike<number>, src: Int32Array, dst: Int32Array, w: ArrayLike<number>, nOut: number, d: number): Float32Array {
  return spmmInto(new Float32Array(nOut * d), x, src, dst, w, d);
}

/** CSR of fixed-weight operators and their transposes, built once per weight array (issue #23). */
const csrCache = new WeakMap<Float32Array, { src: Int32Array; dst: Int32Array; fwd: Csr; bwd: Csr }>();

function fixedCsr(g: EdgeList, w: Float32Array): { fwd: Csr; bwd: Csr } {
  const hit = csrCache.get(w);
  if (hit && hit.src === g.src && hit.dst === g.dst && hit.fwd.rows === g.nOut && hit.fwd.cols === g.nIn) return hit;
  const c = { src: g.src, dst: g.dst, fwd: csrFromEdges(g.src, g.dst, w, g.nOut, g.nIn), bwd: csrFromEdges(g.dst, g.src, w, g.nIn, g.nOut) };
  csrCache.set(w, c);
  return c;
}

/**
 * out = A x for the edge list A with weights `w`: a Float32Array (fixed) or a [E] tensor
 * (differentiable: dL/dw_e = dy[dst_e] . x[src_e]). The gradient to x is the transposed
 * operator.
 */
export function spmm(x: tf.Tensor2D, g: EdgeList, w: Float32Array | tf.Tensor1D): tf.Tensor2D {
  const [n, d] = x.shape;
  if (n !== g.nIn) throw new Error(`spmm: input has ${n} rows, expected ${g.nIn}`);
  const { src, dst, nIn, nOut } = g;
  if (w instanceof Float32Array) {
    const { fwd, bwd } = fixedCsr(g, w);
    const op = tf.customGrad(((xx: tf.Tensor2D) => ({
      value: tf.tensor2d(spmmCsr(fwd, xx.dataSync() as Float32Array, d), [nOut, d]),
      gradFunc: (dy: tf.Tensor2D) => tf.tensor2d(spmmCsr(bwd, dy.dataSync() as Float32Array, d), [nIn, d]),
    })) as unknown as CustomGradFn);
    return op(x) as tf.Tensor2D;
  }
  if (w.shape[0] !== src.length) throw new Error(`spmm: ${w.shape[0]} weights for ${src.length} edges`);
  const op = tf.customGrad(((xx: tf.Tensor2D, ww: tf.Tensor1D) => {
    const xv = xx.dataSync();
    const wv = ww.dataSync();
    return {
      value: tf.tensor2d(spmmJs(xv, src, dst, wv, nOut, d), [nOut, d]),
      gradFunc: (dy: tf.Tensor2D) => {
        const dyv = dy.dataSync();
        const dw = new Float32Array(src.length);
        for (let e = 0; e < src.length; e++) {
          const s = src[e] * d;
          const t = dst[e] * d;
          let acc = 0;
          for (let k = 0; k < d; k++) acc += dyv[t + k] * xv[s + k];
          dw[e] = acc;
        }
        return [tf.tensor2d(spmmJs(dyv, dst, src, wv, nIn, d), [nIn, d]), tf.tensor1d(dw)];
      },
    };
  }) as unknown as CustomGradFn);
  return op(x, w) as tf.Tensor2D;
}

/** Fixed-weight edge list as nn.ts's square SparseGraph (nIn = nOut). */
export function toSparseGraph(g: EdgeList, w: Float32Array): SparseGraph {
  if (g.nIn !== g.nOut) throw new Error(`toSparseGraph: ${g.nIn} x ${g.nOut} is not square`);
  return new SparseGraph(g.nIn, g.src, g.dst, w);
}

export interface WeightedGraph extends EdgeList {
  w: Float32Array;
}

/**
 * The symmetric user-item adjacency over nodes [users; nUsers + items], both directions.
 * `collapse`: duplicate (user, item) rows give one edge of weight 1 (scipy `csr.nonzero()`,
 * SLMRec); otherwise each row is its own edge, so a duplicated pair weighs 2 (scipy's coo ->
 * lil/csr sum, MGCN and LATTICE; PyG edge lists with repeated edges, DualGNN).
 */
function bipartite(nUsers: number, nItems: number, users: Int32Array, items: Int32Array, collapse: boolean): { src: Int32Array; dst: Int32Array } {
  let us: ArrayLike<number> = users;
  let is: ArrayLike<number> = items;
  if (collapse) {
    const seen = new Set<number>();
    const u: number[] = [];
    const i: number[] = [];
    for (let r = 0; r < users.length; r++) {
      const key = users[r] * nItems + items[r];
      if (seen.has(key)) continue;
      seen.add(key);
      u.push(users[r]);
      i.push(items[r]);
    }
    us = u;
    is = i;
  }
  const E = us.length;
  const src = new Int32Array(2 * E);
  const dst = new Int32Array(2 * E);
  for (let e = 0; e < E; e++) {
    src[e] = us[e];
    dst[e] = nUsers + is[e];
    src[E + e] = nUsers + is[e];
    dst[E + e] = us[e];
  }
  return { src, dst };
}

/**
 * D^-1/2 A D^-1/2 of the user-item adjacency, deg = weighted row sum + eps (a node without
 * edges has no edge to weigh). MGCN: duplicates summed, eps 0; DualGNN's 'add' GCN: the same
 * operator (PyG degree over repeated edges); SLMRec 'pre': duplicates collapsed, eps 1e-8.
 */
export function symNormalizedBipartite(nUsers: number, nItems: number, users: Int32Array, items: Int32Array, options: { collapse: boolean; eps: number }): WeightedGraph {
  const { src, dst } = bipartite(nUsers, nItems, users, items, options.collapse);
  const n = nUsers + nItems;
  const deg = new Float64Array(n);
  for (const s of src) deg[s] += 1;
  const w = new Float32Array(src.length);
  for (let e = 0; e < src.length; e++) w[e] = 1 / Math.sqrt((deg[src[e]] + options.eps) * (deg[dst[e]] + options.eps));
  return { nIn: n, nOut: n, src, dst, w };
}

/**
 * LATTICE's adjacency D^-1 (A + I): duplicates summed, a self-loop per node, each row divided
 * by its sum (degree + 1).
 */
export function rowNormalizedWithSelfLoops(nUsers: number, nItems: number, users: Int32Array, items: Int32Array): WeightedGraph {
  const b = bipartite(nUsers, nItems, users, items, false);
  const n = nUsers + nItems;
  const deg = new Float64Array(n).fill(1);
  for (const t of b.dst) deg[t] += 1;
  const E = b.src.length;
  const src = new Int32Array(E + n);
  const dst = new Int32Array(E + n);
  const w = new Float32Array(E + n);
  src.set(b.src);
  dst.set(b.dst);
  for (let e = 0; e < E; e++) w[e] = 1 / deg[b.dst[e]];
  for (let v = 0; v < n; v++) {
    src[E + v] = v;
    dst[E + v] = v;
    w[E + v] = 1 / deg[v];
  }
  return { nIn: n, nOut: n, src, dst, w };
}

/** The user rows of a bipartite operator restricted to item inputs (MGCN's R): [nItems, d] -> [nUsers, d]. */
export function userFromItems(g: WeightedGraph, nUsers: number, nItems: number): WeightedGraph {
  const src: number[] = [];
  const dst: number[] = [];
  const w: number[] = [];
  for (let e = 0; e < g.src.length; e++) {
    if (g.dst[e] < nUsers && g.src[e] >= nUsers) {
      src.push(g.src[e] - nUsers);
      dst.push(g.dst[e]);
      w.push(g.w[e]);
    }
  }
  return { nIn: nItems, nOut: nUsers, src: Int32Array.from(src), dst: Int32Array.from(dst), w: Float32Array.from(w) };
}

/**
 * Top-k column indices per row of a row-major [n, n] similarity block, by value descending,
 * lower index first among equal values (torch.topk leaves ties unspecified). NaN never enters.
 */
export function topKRows(sim: ArrayLike<number>, rows: number, cols: number, k: number, out: Int32Array, rowOffset = 0): void {
  if (k > cols) throw new Error(`kNN: k = ${k} exceeds the ${cols} items`);
  const topV = new Float64Array(k);
  const topI = new Int32Array(k);
  for (let r = 0; r < rows; r++) {
    let filled = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = sim[base + c];
      if (!(v === v)) continue;
      if (filled === k && v <= topV[k - 1]) continue;
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && topV[p - 1] < v) {
        topV[p] = topV[p - 1];
        topI[p] = topI[p - 1];
        p--;
      }
      topV[p] = v;
      topI[p] = c;
    }
    if (filled < k) throw new Error(`kNN: row ${rowOffset + r} has only ${filled} finite similarities (NaN in the features or an all-zero row?)`);
    out.set(topI, (rowOffset + r) * k);
  }
}

/**
 * k nearest neighbours of every row of x [n, dim] by cosine similarity (build_sim: rows
 * divided by their norm, no epsilon, then x x^T), self included. Computed in row blocks so the
 * n x n matrix never exists at once. Returns the [n * k] column indices, row-major.
 */
export function knnIndices(x: tf.Tensor2D, k: number, blockRows = 1024): Int32Array {
  const n = x.shape[0];
  const out = new Int32Array(n * k);
  const xn = tf.tidy(() => tf.div(x, tf.norm(x, 2, 1, true)) as tf.Tensor2D);
  try {
    for (let start = 0; start < n; start += blockRows) {
      const rows = Math.min(blockRows, n - start);
      const s = tf.tidy(() => tf.matMul(tf.slice(xn, [start, 0], [rows, -1]), xn, false, true));
      const data = s.dataSync();
      s.dispose();
      topKRows(data, rows, n, k, out, start);
    }
  } finally {
    xn.dispose();
  }
  return out;
}

/** Row index of each entry of an [n * k] row-major kNN list. */
export function knnRows(n: number, k: number): Int32Array {
  const rows = new Int32Array(n * k);
  for (let r = 0; r < n; r++) rows.fill(r, r * k, (r + 1) * k);
  return rows;
}

/**
 * d^-1/2 with torch's convention for zero (inf -> 0); a negative row sum gives NaN as in the
 * reference (`pow(negative, -0.5)`).
 */
function invSqrt(d: number): number {
  if (d === 0) return 0;
  return 1 / Math.sqrt(d);
}

/**
 * The fixed kNN item graph of raw features (LATTICE's `image_original_adj`, MGCN's sparse
 * 'sym' graph, identical operators): edges i -> r for the k most similar items i of row r
 * (self included), weight sim(r, i) / sqrt(s_r s_i), s = the row sums of the kNN values.
 * Used as out = A x, i.e. out[r] = sum_i A[r, i] x[i].
 */
export function knnNormalizedGraph(features: Float32Array, n: number, dim: number, k: number): WeightedGraph {
  const x = tf.tensor2d(features, [n, dim]);
  let cols: Int32Array;
  try {
    cols = knnIndices(x, k);
  } finally {
    x.dispose();
  }
  const norms = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += features[r * dim + j] ** 2;
    norms[r] = Math.sqrt(s);
  }
  const rows = knnRows(n, k);
  const vals = new Float64Array(n * k);
  const rowSum = new Float64Array(n);
  for (let e = 0; e < n * k; e++) {
    const a = rows[e] * dim;
    const b = cols[e] * dim;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += features[a + j] * features[b + j];
    vals[e] = dot / (norms[rows[e]] * norms[cols[e]]);
    rowSum[rows[e]] += vals[e];
  }
  const w = new Float32Array(n * k);
  for (let e = 0; e < n * k; e++) w[e] = vals[e] * invSqrt(rowSum[rows[e]]) * invSqrt(rowSum[cols[e]]);
  return { nIn: n, nOut: n, src: cols, dst: rows, w };
}

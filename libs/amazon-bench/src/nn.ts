/**
 * Small tfjs building blocks shared by the three models: seeded initialisers with the spec's
 * names (XN, XU, PyTorch-default Linear; @courier/nn's formulas over a bulk stream drawn from
 * the model's Rng), a Linear layer stored as [in, out], a stop-gradient,
 * cosine similarity, and the sparse graph propagation (gather + unsortedSegmentSum: never a
 * dense (users+items)^2 matrix).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { VariableStore, dense, fillNormal as nnFillNormal, fillUniform as nnFillUniform, glorotNormal, glorotUniform } from '@courier/nn';
import { Csr, addLeakyReluInto, cosineRows as cosineRowsTyped, csrFromEdges, dropoutRowsInto, leakyReluGradInto, outputArray, spmmCsr } from '@courier/native-kernels';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * A fast local stream for bulk initialisation: mulberry32 seeded with one draw of `rng`, so a
 * table of n values costs one Rng call (Rng.normal is slow under jest's transform).
 */
function bulkStream(rng: Rng): () => number {
  let a = rng.nextUint32();
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n draws from N(0, std^2) (Box-Muller pairs) from rng's bulk stream. */
export function fillNormal(rng: Rng, n: number, std: number): Float32Array {
  return nnFillNormal(n, std, bulkStream(rng));
}

/** n draws from U(low, high) from rng's bulk stream. */
export function fillUniform(rng: Rng, n: number, low: number, high: number): Float32Array {
  return nnFillUniform(n, low, high, bulkStream(rng));
}

/** Xavier-normal: N(0, 2/(rows+cols)). For an embedding table rows = n, cols = d. */
export function xavierNormal(rng: Rng, rows: number, cols: number): Float32Array {
  return glorotNormal([rows, cols], bulkStream(rng));
}

/** Xavier-uniform: U(-b, b), b = sqrt(6/(rows+cols)). */
export function xavierUniform(rng: Rng, rows: number, cols: number): Float32Array {
  return glorotUniform([rows, cols], bulkStream(rng));
}

/** PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function defaultUniform(rng: Rng, count: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  return fillUniform(rng, count, -bound, bound);
}

/**
 * Linear(in, out) as x[.., in] @ W[in, out] + b[out]; its variables are `<name>/w` and
 * `<name>/b` in the model's VariableStore (which disposes them).
 */
export class Linear {
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;

  constructor(
    store: VariableStore,
    rng: Rng,
    readonly inDim: number,
    readonly outDim: number,
    options: { weight: 'xn' | 'xu' | 'default'; bias?: boolean; name: string; trainable?: boolean },
  ) {
    const trainable = options.trainable ?? true;
    // Default init draws in PyTorch's (out, in) shape; the values are i.i.d., so the layout does not matter.
    const w =
      options.weight === 'xn' ? xavierNormal(rng, outDim, inDim) : options.weight === 'xu' ? xavierUniform(rng, outDim, inDim) : defaultUniform(rng, inDim * outDim, inDim);
    this.w = store.add(`${options.name}/w`, w, [inDim, outDim], trainable);
    this.b = options.bias === false ? null : store.add(`${options.name}/b`, defaultUniform(rng, outDim, inDim), [outDim], trainable);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return dense(x, this);
  }

  variables(): tf.Variable[] {
    return this.b ? [this.w, this.b] : [this.w];
  }
}

/**
 * a_0 + a_1 + ... as a chain of two-input adds, left to right (the same float32 sums as
 * tf.addN, whose kernel is a JS loop; Add is native). Gradient: dy to every input.
 */
export function addAll<T extends tf.Tensor>(ts: T[]): T {
  let out = ts[0];
  for (let i = 1; i < ts.length; i++) out = tf.add(out, ts[i]) as T;
  return ts.length === 1 ? (tf.clone(out) as T) : out;
}

/** Identity in the forward pass, zero gradient (tfjs has no tf.stopGradient). */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as CustomGradFn) as (x: tf.Tensor) => tf.Tensor;

// The element-wise helpers below are single custom-gradient ops with typed-array loops (issue
// #23, training speed): written as tfjs ops they cost 5-20 kernels each way (tf.norm's gradient
// goes through the JS Pow kernel, leakyRelu's through the JS Greater/Select kernels), which
// dominated the small models' steps. Same formulas as the tfjs compositions they replace
// (checked in nn.spec.ts, values and gradients); sums accumulate in double.

/** Rows/cols of a 2-D tensor's values (float32). */
function values2d(x: tf.Tensor): Float32Array {
  return x.dataSync() as Float32Array;
}

/**
 * Row cosines a.t / max(|a| |t|, eps) (torch's F.cosine_similarity), with the row norms for the
 * gradient (@courier/native-kernels' cosineRows: native when built, the same sums in JS otherwise).
 */
export function cosineValues(a: Float32Array, t: Float32Array, n: number, d: number, eps = 1e-8): { c: Float64Array; na: Float64Array; nb: Float64Array } {
  return cosineRowsTyped(a, t, n, d, eps);
}

/**
 * Row-wise cosine similarity a.b / max(|a| |b|, eps) (torch's F.cosine_similarity, eps 1e-8).
 * Gradient as tfjs's of that formula (max's gradient goes to |a||b| when it is >= eps).
 */
export function cosineRows(a: tf.Tensor2D, b: tf.Tensor2D, eps = 1e-8): tf.Tensor1D {
  const [n, d] = a.shape;
  if (b.shape[0] !== n || b.shape[1] !== d) throw new Error(`cosineRows: shapes ${a.shape} and ${b.shape} differ`);
  const op = tf.customGrad(((aa: tf.Tensor2D, bb: tf.Tensor2D) => {
    const av = values2d(aa);
    const bv = values2d(bb);
    const { c: c64, na, nb } = cosineValues(av, bv, n, d, eps);
    const c = Float32Array.from(c64);
    return {
      value: tf.tensor1d(c),
      gradFunc: (dy: tf.Tensor1D) => {
        const g = dy.dataSync();
        const ga = new Float32Array(n * d);
        const gb = new Float32Array(n * d);
        for (let r = 0; r < n; r++) {
          const prod = na[r] * nb[r];
          const k0 = r * d;
          if (prod >= eps) {
            // c = dot / (na nb): dc/da = b / (na nb) - c a / na^2.
            const s = g[r] / prod;
            const ca = (g[r] * c[r]) / (na[r] * na[r]);
            const cb = (g[r] * c[r]) / (nb[r] * nb[r]);
            for (let k = k0; k < k0 + d; k++) {
              ga[k] = s * bv[k] - ca * av[k];
              gb[k] = s * av[k] - cb * bv[k];
            }
          } else {
            const s = g[r] / eps;
            for (let k = k0; k < k0 + d; k++) {
              ga[k] = s * bv[k];
              gb[k] = s * av[k];
            }
          }
        }
        return [tf.tensor2d(ga, [n, d]), tf.tensor2d(gb, [n, d])];
      },
    };
  }) as unknown as CustomGradFn);
  return op(a, b) as tf.Tensor1D;
}

/**
 * cos(a_r, t_r) per row against a fixed target (no gradient to the target: BM3's stop-gradient
 * dropout targets), as `cosineRows` computes it. The [n, d] passes are whole-tensor kernels
 * (native on the native backend: a.t and a.a row sums forward, t s - a c backward) and the
 * per-row scalars are computed on [n] values; only a's gradient is formed. `target` holds
 * [rows, d] values.
 */
export function cosineToTarget(a: tf.Tensor2D, target: Float32Array, eps = 1e-8): tf.Tensor1D {
  const [n, d] = a.shape;
  if (target.length !== n * d) throw new Error(`cosineToTarget: target has ${target.length} values, expected ${n} x ${d}`);
  const nb = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let sb = 0;
    for (let k = r * d; k < r * d + d; k++) sb += target[k] * target[k];
    nb[r] = Math.sqrt(sb);
  }
  const op = tf.customGrad(((aa: tf.Tensor2D, save: (ts: tf.Tensor[]) => void) => {
    const t = tf.tensor2d(target, [n, d]);
    const dots = tf.sum(tf.mul(aa, t), 1).dataSync();
    const sqs = tf.sum(tf.square(aa), 1).dataSync();
    const c = new Float32Array(n);
    const na = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      na[r] = Math.sqrt(sqs[r]);
      c[r] = dots[r] / Math.max(na[r] * nb[r], eps);
    }
    save([aa, t]);
    return {
      value: tf.tensor1d(c),
      gradFunc: (dy: tf.Tensor1D, saved: tf.Tensor[]) => {
        const g = dy.dataSync();
        // dc/da = t / max(|a||t|, eps) - c a / |a|^2 (the second term only when |a||t| >= eps).
        const s = new Float32Array(n);
        const ca = new Float32Array(n);
        for (let r = 0; r < n; r++) {
          const prod = na[r] * nb[r];
          s[r] = prod >= eps ? g[r] / prod : g[r] / eps;
          ca[r] = prod >= eps ? (g[r] * c[r]) / (na[r] * na[r]) : 0;
        }
        return tf.sub(tf.mul(saved[1], tf.tensor2d(s, [n, 1])), tf.mul(saved[0], tf.tensor2d(ca, [n, 1])));
      },
    };
  }) as unknown as CustomGradFn);
  return op(a) as tf.Tensor1D;
}

/** seedrandom's alea seeding (J. Baagoe's Mash): the initial state [c, s0, s1, s2] for a seed string. */
function aleaState(seed: string): [number, number, number, number] {
  let n = 0xefc8249d;
  const mash = (data: string): number => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
  let s0 = mash(' ');
  let s1 = mash(' ');
  let s2 = mash(' ');
  s0 -= mash(seed);
  if (s0 < 0) s0 += 1;
  s1 -= mash(seed);
  if (s1 < 0) s1 += 1;
  s2 -= mash(seed);
  if (s2 < 0) s2 += 1;
  return [1, s0, s1, s2];
}

/**
 * seedrandom's `alea` generator, the stream tf.randomUniform draws from for a given seed (tfjs
 * passes String(seed)). `dropoutRows` runs the same recurrence (@courier/native-kernels' dropoutRowsInto).
 */
export function alea(seed: string): () => number {
  let [c, s0, s1, s2] = aleaState(seed);
  return () => {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    return (s2 = t - (c = t | 0));
  };
}

/**
 * tf.dropout(x, rate, undefined, seed) on the values of an [n, d] table, bit for bit (float32
 * multiplier floor(u + keep) / keep, u from alea(String(seed)) in row-major order), returning
 * only the rows `idx` ([idx.length, d]); the whole table's draws are consumed, so the stream is
 * tf.dropout's. No tensor, no gradient (BM3's stop-gradient targets).
 */
export function dropoutRows(x: Float32Array, n: number, d: number, rate: number, seed: number, idx: Int32Array | null, out?: Float32Array): Float32Array {
  if (x.length !== n * d) throw new Error(`dropoutRows: ${x.length} values, expected ${n} x ${d}`);
  if (!(rate > 0 && rate < 1)) throw new Error(`dropoutRows: rate must be in (0, 1), got ${rate}`);
  const keep = Math.fround(1 - rate);
  // The stream and the products run in the addon when it is built (libs/native-kernels
  // typed-kernels.ts; the same loop in JS otherwise, bit for bit).
  return dropoutRowsInto(Float64Array.from(aleaState(String(seed))), keep, x, n, d, idx, out ?? new Float32Array((idx ? idx.length : n) * d));
}

/**
 * Frobenius norm sqrt(sum x^2) of a whole tensor (tf.norm's default, torch.norm's); gradient
 * x / |x| (0 for an all-zero tensor, as torch's).
 */
export function frobeniusNorm(x: tf.Tensor): tf.Scalar {
  const op = tf.customGrad(((xx: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    // Whole-tensor kernels (native Square and Sum, the sum in double); the gradient is one scale.
    const norm = Math.sqrt(tf.sum(tf.square(xx)).dataSync()[0]);
    save([xx]);
    return {
      value: tf.scalar(norm),
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => tf.mul(saved[0], norm > 0 ? dy.dataSync()[0] / norm : 0),
    };
  }) as unknown as CustomGradFn);
  return op(x) as tf.Scalar;
}

/**
 * LeakyReLU(0.01); gradient dy * step(x, 0.01), i.e. dy where x > 0, else 0.01 dy (tfjs's and
 * torch's), as two element-wise kernels (tfjs's own gradient goes through Greater/Select,
 * which are JS kernels with a broadcasting index loop).
 */
export function leakyRelu(x: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad(((xx: tf.Tensor2D, save: (ts: tf.Tensor[]) => void) => {
    save([xx]);
    return {
      value: tf.leakyRelu(xx, 0.01),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.mul(dy, tf.step(saved[0], 0.01)),
    };
  }) as unknown as CustomGradFn);
  return op(x) as tf.Tensor2D;
}

/**
 * leakyReLU([x_0 | x_1 | ...] W + b, 0.01) without the column concat: W's rows are split by
 * the inputs' widths. Forward: one fused matmul (bias and activation in the native kernel's
 * epilogue) per input; gradient dz = dy * step(y, 0.01), dx_i = dz W_i^T, dW = [x_i^T dz],
 * db = column sums of dz (issue #23: MMGCN's linear layers, fewer whole-table kernels).
 */
export function linearLeakyRelu(xs: tf.Tensor2D[], w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const widths = xs.map((x) => x.shape[1]);
  if (widths.reduce((a, c) => a + c, 0) !== w.shape[0]) throw new Error(`linearLeakyRelu: input widths ${widths} do not sum to the weight's ${w.shape[0]} rows`);
  const n = xs.length;
  const op = tf.customGrad(((...args: tf.Tensor[]) => {
    const save = args.pop() as unknown as (ts: tf.Tensor[]) => void;
    const ins = args.slice(0, n) as tf.Tensor2D[];
    const ww = args[n] as tf.Tensor2D;
    const bb = args[n + 1] as tf.Tensor1D;
    const ws = n > 1 ? (tf.split(ww, widths, 0) as tf.Tensor2D[]) : [ww];
    let y: tf.Tensor2D;
    if (n === 1) {
      // tfjs runs a fused matMul with an activation unfused while a gradient is being recorded
      // (matMul, Add, LeakyRelu); with the bias only it stays one kernel (bias in the epilogue).
      const z = tf.fused.matMul({ a: ins[0], b: ws[0], bias: bb });
      y = tf.leakyRelu(z, 0.01) as tf.Tensor2D;
      z.dispose();
    } else {
      let z = tf.fused.matMul({ a: ins[0], b: ws[0], bias: bb });
      for (let i = 1; i < n - 1; i++) z = tf.add(z, tf.matMul(ins[i], ws[i])) as tf.Tensor2D;
      // The last Add and the LeakyRelu in one pass (typed kernel, native when built).
      const last = tf.matMul(ins[n - 1], ws[n - 1]);
      y = tf.tensor2d(addLeakyReluInto(z.dataSync() as Float32Array, last.dataSync() as Float32Array, outputArray(z.size), 0.01), z.shape as [number, number]);
      tf.dispose([z, last]);
    }
    save([...ins, ...ws, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const sx = saved.slice(0, n) as tf.Tensor2D[];
        const sw = saved.slice(n, 2 * n) as tf.Tensor2D[];
        // dy * step(y, 0.01) in one pass (the mask read from the output, as tfjs's Step on it).
        const yv = saved[2 * n].dataSync() as Float32Array;
        const dz = tf.tensor2d(leakyReluGradInto(yv, dy.dataSync() as Float32Array, outputArray(yv.length), 0.01), dy.shape as [number, number]);
        const dxs = sx.map((_, i) => tf.matMul(dz, sw[i], false, true));
        const dws = sx.map((x) => tf.matMul(x, dz, true, false));
        return [...dxs, n > 1 ? tf.concat(dws, 0) : dws[0], tf.sum(dz, 0)];
      },
    };
  }) as unknown as CustomGradFn);
  return op(...xs, w, b) as tf.Tensor2D;
}

// tfjs-cpu's UnsortedSegmentSum (also the gradient of tf.gather) loops over segments with a
// tensor op per segment, O(segments x rows): a single BPR step on 300 users took seconds.
// SparseGraph's product is a CSR loop with a custom gradient (native in @courier/native-kernels'
// spmmCsr when built; spmmInto below is the edge loop it reproduces bit for bit); the row gather
// is @courier/nn's gatherRows (tf.gather with a ScatterNd gradient, typed-array kernels on the
// native backend).

/**
 * out[dst_e] += w_e * x[src_e] in edge order (the float32 sums of the plain loop, bit for bit),
 * with the row loop unrolled by four (issue #23: ~1.4x faster in V8 on this host; the sparse
 * propagation is the largest JS cost of the graph models). Edges with weight 0 are skipped.
 */
export function spmmInto(out: Float32Array, x: ArrayLike<number>, src: Int32Array, dst: Int32Array, w: ArrayLike<number>, d: number): Float32Array {
  const d4 = d - (d % 4);
  for (let e = 0; e < src.length; e++) {
    const we = w[e];
    if (we === 0) continue;
    const s = src[e] * d;
    const t = dst[e] * d;
    let k = 0;
    for (; k < d4; k += 4) {
      out[t + k] += we * x[s + k];
      out[t + k + 1] += we * x[s + k + 1];
      out[t + k + 2] += we * x[s + k + 2];
      out[t + k + 3] += we * x[s + k + 3];
    }
    for (; k < d; k++) out[t + k] += we * x[s + k];
  }
  return out;
}

function checkIndices(idx: Int32Array, n: number, what: string): void {
  for (let r = 0; r < idx.length; r++) {
    if (idx[r] < 0 || idx[r] >= n) throw new Error(`${what}: index ${idx[r]} at position ${r} is outside [0, ${n})`);
  }
}

/**
 * A sparse operator out[dst] = sum_e weight_e * in[src_e] over a directed edge list
 * (never a dense (users+items)^2 matrix); its gradient is the transposed operator.
 */
export class SparseGraph {
  readonly weight: Float32Array;
  /** 1/in-degree per node (0 for isolated nodes), for mean aggregation. */
  readonly meanWeight: Float32Array;

  constructor(
    readonly nodes: number,
    readonly src: Int32Array,
    readonly dst: Int32Array,
    weight: Float32Array | null,
  ) {
    checkIndices(src, nodes, 'SparseGraph src');
    checkIndices(dst, nodes, 'SparseGraph dst');
    this.weight = weight ?? new Float32Array(src.length).fill(1);
    const deg = new Float32Array(nodes);
    for (const t of dst) deg[t] += 1;
    this.meanWeight = Float32Array.from(dst, (t) => 1 / deg[t]);
  }

  get edges(): number {
    return this.src.length;
  }

  /**
   * The operator (`mean` false: `weight`, true: `meanWeight`) and its transpose as CSR, built on
   * first use: rows keep the edge order, so the products equal the edge loop's sums bit for bit
   * (native in libs/native-kernels when built, issue #23).
   */
  csr(mean: boolean): { fwd: Csr; bwd: Csr } {
    const key = mean ? 'mean' : 'weight';
    let c = this.csrs.get(key);
    if (!c) {
      const w = mean ? this.meanWeight : this.weight;
      c = { fwd: csrFromEdges(this.src, this.dst, w, this.nodes, this.nodes), bwd: csrFromEdges(this.dst, this.src, w, this.nodes, this.nodes) };
      this.csrs.set(key, c);
    }
    return c;
  }

  private readonly csrs = new Map<string, { fwd: Csr; bwd: Csr }>();
  private readonly workArrays = new Map<number, Float32Array>();

  private work(length: number): Float32Array {
    let a = this.workArrays.get(length);
    if (!a) {
      a = new Float32Array(length);
      this.workArrays.set(length, a);
    }
    return a;
  }

  private apply(x: tf.Tensor2D, mean: boolean): tf.Tensor2D {
    const [n, d] = x.shape;
    if (n !== this.nodes) throw new Error(`SparseGraph: input has ${n} rows, expected ${this.nodes} nodes`);
    const { fwd, bwd } = this.csr(mean);
    const op = tf.customGrad(((xx: tf.Tensor2D) => ({
      value: tf.tensor2d(spmmCsr(fwd, xx.dataSync() as Float32Array, d), [n, d]),
      gradFunc: (dy: tf.Tensor2D) => tf.tensor2d(spmmCsr(bwd, dy.dataSync() as Float32Array, d), [n, d]),
    })) as unknown as CustomGradFn);
    return op(x) as tf.Tensor2D;
  }

  /**
   * leakyRelu(meanAggregate(x), 0.01) as one op (MMGCN's message passing): the activation in the
   * product's epilogue, the gradient's mask read from the output, then the transposed product.
   * Same float32 values as the two ops (nn.spec.ts), three [nodes, d] passes and tensors fewer.
   */
  meanAggregateLeakyRelu(x: tf.Tensor2D, alpha = 0.01): tf.Tensor2D {
    const [n, d] = x.shape;
    if (n !== this.nodes) throw new Error(`SparseGraph: input has ${n} rows, expected ${this.nodes} nodes`);
    const { fwd, bwd } = this.csr(true);
    const op = tf.customGrad(((xx: tf.Tensor2D) => {
      const y = spmmCsr(fwd, xx.dataSync() as Float32Array, d, outputArray(n * d), alpha);
      return {
        value: tf.tensor2d(y, [n, d]),
        gradFunc: (dy: tf.Tensor2D) => {
          // dz only lives until the product below: one work array per graph and width.
          const dz = leakyReluGradInto(y, dy.dataSync() as Float32Array, this.work(n * d), alpha);
          return tf.tensor2d(spmmCsr(bwd, dz, d), [n, d]);
        },
      };
    }) as unknown as CustomGradFn);
    return op(x) as tf.Tensor2D;
  }

  /** Weighted sum over in-edges: [nodes, d] -> [nodes, d]. */
  propagate(x: tf.Tensor2D): tf.Tensor2D {
    return this.apply(x, false);
  }

  /** The operator as a dense [nodes, nodes] matrix M (M[dst, src] += weight), for small graphs. */
  denseMatrix(): tf.Tensor2D {
    const n = this.nodes;
    const m = new Float32Array(n * n);
    for (let e = 0; e < this.src.length; e++) m[this.dst[e] * n + this.src[e]] += this.weight[e];
    return tf.tensor2d(m, [n, n]);
  }

  /** Mean over in-edges (0 for nodes without in-edges). */
  meanAggregate(x: tf.Tensor2D): tf.Tensor2D {
    return this.apply(x, true);
  }

  dispose(): void {
    // Plain arrays only; kept for symmetry with the models' dispose().
  }
}

/**
 * BM3's normalised adjacency D^-1/2 A D^-1/2 over nodes [users; nUsers + items]: duplicates
 * collapse to one edge, no self-loops, deg = row nnz + 1e-7.
 */
export function normalizedBipartite(nUsers: number, nItems: number, users: Int32Array, items: Int32Array): SparseGraph {
  const seen = new Set<number>();
  const us: number[] = [];
  const is: number[] = [];
  for (let r = 0; r < users.length; r++) {
    const key = users[r] * nItems + items[r];
    if (seen.has(key)) continue;
    seen.add(key);
    us.push(users[r]);
    is.push(items[r]);
  }
  const n = nUsers + nItems;
  const deg = new Float64Array(n);
  for (let e = 0; e < us.length; e++) {
    deg[us[e]]++;
    deg[nUsers + is[e]]++;
  }
  const E = us.length;
  const src = new Int32Array(2 * E);
  const dst = new Int32Array(2 * E);
  const w = new Float32Array(2 * E);
  for (let e = 0; e < E; e++) {
    const a = us[e];
    const b = nUsers + is[e];
    const v = 1 / Math.sqrt((deg[a] + 1e-7) * (deg[b] + 1e-7));
    src[e] = a;
    dst[e] = b;
    w[e] = v;
    src[E + e] = b;
    dst[E + e] = a;
    w[E + e] = v;
  }
  return new SparseGraph(n, src, dst, w);
}

/** MMGCN's edge list: every training row gives u->i and i->u (duplicates kept), unweighted. */
export function rowBipartite(nUsers: number, nItems: number, users: Int32Array, items: Int32Array): SparseGraph {
  const E = users.length;
  const src = new Int32Array(2 * E);
  const dst = new Int32Array(2 * E);
  for (let e = 0; e < E; e++) {
    src[e] = users[e];
    dst[e] = nUsers + items[e];
    src[E + e] = nUsers + items[e];
    dst[E + e] = users[e];
  }
  return new SparseGraph(nUsers + nItems, src, dst, null);
}

/** Number of scalars in a list of variables. */
export function countParams(vars: tf.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}

/**
 * MMGCN's three-layer GCN branch (parity mode: the id embedding fixed) as one custom-gradient op
 * over typed arrays (issue #23). The tfjs composition (Mmgcn.branchReference) ran ~70 kernels per
 * branch and step, each allocating its output; V8 then spent a large part of the step in garbage
 * collection. Here the intermediates live in work arrays reused from step to step, and only the
 * output and the gradients handed back to tfjs are allocated. The arithmetic is the composition's,
 * call for call: the products are the same sgemm calls as the native backend's matMul kernels
 * (`matmulInto`), the activations and masks the same float32 operations, so the values are the
 * same (checked in nn.spec.ts against the composition).
 *
 * Per layer, with x [N, a]: z = x Wc; h = leakyRelu(meanAggregate(z)); p = leakyRelu(x Wl + bl);
 * xh = p + id; y = leakyRelu(h Wg[:a] + bg + xh Wg[a:]).
 */
import * as tf from '@tensorflow/tfjs';
import { addLeakyReluInto, colSumsInto, leakyReluGradInto, matmulInto, outputArray, spmmCsr } from '@courier/native-kernels';
import type { SparseGraph } from './nn';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

const ALPHA = 0.01;

export interface GcnLayerWeights {
  conv: tf.Tensor2D; // [a, a]
  linW: tf.Tensor2D; // [a, d]
  linB: tf.Tensor1D; // [d]
  gW: tf.Tensor2D; // [a + d, d]
  gB: tf.Tensor1D; // [d]
}

/** Work arrays by name, reused across steps (a forward's arrays are read by its own backward only). */
export class WorkArrays {
  private readonly arrays = new Map<string, Float32Array>();

  get(key: string, length: number): Float32Array {
    let a = this.arrays.get(key);
    if (!a || a.length !== length) {
      a = new Float32Array(length);
      this.arrays.set(key, a);
    }
    return a;
  }
}

/**
 * The branch output [N, d] for the first-layer input x0 [N, a0]; gradients to x0 and every layer
 * weight. `id` is the fixed id embedding's values [N, d]; `work` holds this branch's arrays.
 */
export function gcnBranch(x0: tf.Tensor2D, layers: GcnLayerWeights[], graph: SparseGraph, id: Float32Array, work: WorkArrays, key: string): tf.Tensor2D {
  const N = x0.shape[0];
  const d = layers[0].linW.shape[1];
  const L = layers.length;
  const { fwd: A, bwd: At } = graph.csr(true);
  const inputs: tf.Tensor[] = [x0, ...layers.flatMap((l) => [l.conv, l.linW, l.linB, l.gW, l.gB])];
  const op = tf.customGrad(((...args: tf.Tensor[]) => {
    const vals = args.slice(0, inputs.length).map((t) => t.dataSync() as Float32Array);
    const xs: Float32Array[] = [vals[0]];
    const widths: number[] = [];
    const saved: { h: Float32Array; p: Float32Array; xh: Float32Array }[] = [];
    let y: Float32Array = vals[0];
    for (let l = 0; l < L; l++) {
      const [conv, linW, linB, gW, gB] = vals.slice(1 + 5 * l, 6 + 5 * l);
      const x = xs[l];
      const a = x.length / N;
      widths.push(a);
      const z = matmulInto(x, conv, work.get(`${key}z${l}`, N * a), N, a, a);
      const h = spmmCsr(A, z, a, work.get(`${key}h${l}`, N * a), ALPHA);
      // leakyRelu in the product's epilogue (the LeakyRelu kernel's float32 formula).
      const p = matmulInto(x, linW, work.get(`${key}p${l}`, N * d), N, d, a, false, false, linB, ALPHA);
      // xh = p + id (a float32 add: leakyRelu with slope 1 is the identity).
      const xh = addLeakyReluInto(p, id, work.get(`${key}xh${l}`, N * d), 1);
      const g1 = matmulInto(h, gW.subarray(0, a * d), work.get(`${key}g1`, N * d), N, d, a, false, false, gB);
      const g2 = matmulInto(xh, gW.subarray(a * d), work.get(`${key}g2`, N * d), N, d, d);
      y = addLeakyReluInto(g1, g2, l === L - 1 ? outputArray(N * d) : work.get(`${key}y${l}`, N * d), ALPHA);
      saved.push({ h, p, xh });
      xs.push(y);
    }
    return {
      value: tf.tensor2d(y, [N, d]),
      gradFunc: (dyT: tf.Tensor2D) => {
        let dy = dyT.dataSync() as Float32Array;
        const grads: Float32Array[] = [];
        for (let l = L - 1; l >= 0; l--) {
          const [conv, linW, , gW] = vals.slice(1 + 5 * l, 6 + 5 * l);
          const a = widths[l];
          const x = xs[l];
          const { h, p, xh } = saved[l];
          // y = leakyRelu(h Wg1 + xh Wg2 + bg)
          const dq = leakyReluGradInto(xs[l + 1], dy, work.get(`${key}dq`, N * d), ALPHA);
          const dgW = new Float32Array((a + d) * d);
          matmulInto(h, dq, dgW.subarray(0, a * d), a, d, N, true, false);
          matmulInto(xh, dq, dgW.subarray(a * d), d, d, N, true, false);
          const dgB = Float32Array.from(colSumsInto(dq, N, d, new Float64Array(d)));
          const dh = matmulInto(dq, gW.subarray(0, a * d), work.get(`${key}dh`, N * a), N, a, d, false, true);
          const dxh = matmulInto(dq, gW.subarray(a * d), work.get(`${key}dxh`, N * d), N, d, d, false, true);
          // p = leakyRelu(x Wl + bl); xh = p + id passes dxh to p.
          const dp = leakyReluGradInto(p, dxh, work.get(`${key}dp`, N * d), ALPHA);
          const dlinW = matmulInto(x, dp, new Float32Array(a * d), a, d, N, true, false);
          const dlinB = Float32Array.from(colSumsInto(dp, N, d, new Float64Array(d)));
          // h = leakyRelu(meanAggregate(z)), z = x Wc.
          const dzh = leakyReluGradInto(h, dh, work.get(`${key}dzh`, N * a), ALPHA);
          const dz = spmmCsr(At, dzh, a, work.get(`${key}dz`, N * a));
          const dconv = matmulInto(x, dz, new Float32Array(a * a), a, a, N, true, false);
          // dx = dp Wl^T + dz Wc^T (tfjs adds the later op's gradient first; a + b = b + a).
          const dxa = matmulInto(dp, linW, work.get(`${key}dxa`, N * a), N, a, d, false, true);
          const dxb = matmulInto(dz, conv, work.get(`${key}dxb`, N * a), N, a, a, false, true);
          const dx = addLeakyReluInto(dxa, dxb, l === 0 ? outputArray(N * a) : work.get(`${key}dx${l % 2}`, N * a), 1);
          grads.unshift(dconv, dlinW, dlinB, dgW, dgB);
          dy = dx;
        }
        const out: tf.Tensor[] = [tf.tensor2d(dy, [N, widths[0]])];
        for (let l = 0; l < L; l++) {
          const a = widths[l];
          const [dconv, dlinW, dlinB, dgW, dgB] = grads.slice(5 * l, 5 * l + 5);
          out.push(tf.tensor2d(dconv, [a, a]), tf.tensor2d(dlinW, [a, d]), tf.tensor1d(dlinB), tf.tensor2d(dgW, [a + d, d]), tf.tensor1d(dgB));
        }
        return out;
      },
    };
  }) as unknown as CustomGradFn);
  return op(...inputs) as tf.Tensor2D;
}

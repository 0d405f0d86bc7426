import * as tf from '@tensorflow/tfjs';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * Rows `indices` of `x` along axis 0 (any rank: [n, ...] -> [indices.length, ...]); the gradient
 * scatter-adds dy back into x's shape (ScatterNd: duplicate indices summed in index order in
 * float32, rows never gathered get exactly 0).
 *
 * Why not tf.gather's own gradient: it is UnsortedSegmentSum, which the WebAssembly backend
 * lacks and tfjs-cpu runs as one masked product per segment (seconds per step on large tables).
 * tf.gather + tf.scatterND stay on the backend (no host copy on wasm or TensorFlow); on the
 * native backend both are typed-array kernels (libs/native-kernels/src/gather.ts) and a host
 * loop measured the same (README, micro-benchmark).
 *
 * Indices are host integers or an int32 tensor (the caller keeps ownership), checked here so a
 * bad one names its position on every backend.
 */
export function gatherRows<T extends tf.Tensor>(x: T, indices: Int32Array | readonly number[] | tf.Tensor1D): T {
  const n = x.shape[0];
  if (x.rank < 1) throw new Error('gatherRows: x must have rank >= 1, got a scalar');
  const tensorIndices = indices instanceof tf.Tensor;
  if (tensorIndices && (indices.rank !== 1 || indices.dtype !== 'int32')) throw new Error(`gatherRows: an index tensor must be 1-D int32, got rank ${indices.rank} ${indices.dtype}`);
  const host = tensorIndices ? (indices.dataSync() as Int32Array) : indices;
  for (let r = 0; r < host.length; r++) {
    const i = host[r];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`gatherRows: index ${i} at position ${r} is outside [0, ${n})`);
  }
  const shape = x.shape;
  return tf.tidy(() => {
    // The index tensor lives in this tidy; the tape keeps its own copy for the gradient.
    const idx = tensorIndices ? indices : tf.tensor1d(host instanceof Int32Array ? host : Int32Array.from(host), 'int32');
    const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
      save([idx]);
      return {
        value: tf.gather(input, idx),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(tf.expandDims(saved[0], 1), dy, shape),
      };
    }) as unknown as CustomGradFn);
    return op(x) as T;
  });
}

// Gather / scatter / segment-sum kernels on typed arrays (no addon call needed: they move whole
// rows with TypedArray.set). tfjs-backend-cpu implements these element by element through
// TensorBuffer.get with a spread of the index array, which profiling showed taking ~60% of a
// COURIER training step (GatherNd forward, ScatterNd gradient); its UnsortedSegmentSum builds one
// masked product per segment, O(segments x rows), which rules out graph propagation.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** The subset of the CPU backend these kernels need (see CpuBackendLike in kernels.ts). */
interface Backend {
  data: { get(dataId: unknown): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
}

interface Fallback {
  run(name: string, args: { inputs: NamedTensorInfoMap; backend: Backend; attrs?: NamedAttrMap }): TensorInfo;
}

type Args = { inputs: NamedTensorInfoMap; backend: Backend; attrs?: NamedAttrMap };

const tag = (v: unknown) => Object.prototype.toString.call(v);

function floats(backend: Backend, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return tag(v) === '[object Float32Array]' ? (v as Float32Array) : null;
}

function ints(backend: Backend, t: TensorInfo): Int32Array | null {
  if (t.dtype !== 'int32') return null;
  const v = backend.data.get(t.dataId).values;
  return tag(v) === '[object Int32Array]' ? (v as Int32Array) : null;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** tf.gather: x [batch, outer, dim, slice] indexed along `dim` by indices [batch, n]. */
export function gatherV2(args: Args, cpu: Fallback): TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
  const values = floats(backend, x);
  const idx = ints(backend, indices);
  if (!values || !idx) return cpu.run(tf.GatherV2, args);
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const dimSize = x.shape[axis];
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    // The CPU kernel's check and message.
    if (!(v <= dimSize - 1 && v >= 0)) throw new Error(`GatherV2: the index value ${v} is not in [0, ${dimSize - 1}]`);
  }
  const batchDims = (attrs.batchDims as number | undefined) ?? 0;
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, axis, batchDims);
  const { batchSize, outerSize, sliceSize } = info;
  const perBatch = batchSize > 0 ? idx.length / batchSize : 0;
  const out = new Float32Array(sizeOf(info.outputShape));
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < outerSize; r++) {
      const base = (b * outerSize + r) * dimSize;
      for (let i = 0; i < perBatch; i++) {
        const from = (base + idx[b * perBatch + i]) * sliceSize;
        out.set(values.subarray(from, from + sliceSize), o);
        o += sliceSize;
      }
    }
  }
  return backend.makeTensorInfo(info.outputShape, 'float32', out);
}

/** tf.gatherND: slices of params addressed by the last dim of indices. */
export function gatherNd(args: Args, cpu: Fallback): TensorInfo {
  const { inputs, backend } = args;
  const { params, indices } = inputs as { params: TensorInfo; indices: TensorInfo };
  const values = floats(backend, params);
  const idx = ints(backend, indices);
  if (!values || !idx) return cpu.run(tf.GatherNd, args);
  const [resultShape, numSlices, sliceSize, strides] = tf.backend_util.prepareAndValidate(params as tf.Tensor, indices as tf.Tensor);
  const sliceRank = indices.shape[indices.shape.length - 1];
  const slices = sliceSize > 0 ? values.length / sliceSize : Infinity; // empty slices: nothing to check
  const out = new Float32Array(numSlices * sliceSize);
  for (let i = 0; i < numSlices; i++) {
    let flat = 0;
    for (let j = 0; j < sliceRank; j++) flat += idx[i * sliceRank + j] * strides[j];
    if (flat < 0 || flat >= slices) {
      throw new Error(`Invalid indices: ${Array.from(idx.subarray(i * sliceRank, (i + 1) * sliceRank))} does not index into ${params.shape}`);
    }
    out.set(values.subarray(flat * sliceSize, (flat + 1) * sliceSize), i * sliceSize);
  }
  return backend.makeTensorInfo(resultShape, 'float32', out);
}

/** tf.scatterND: zeros of `shape` plus each update slice at its index (duplicates summed). */
export function scatterNd(args: Args, cpu: Fallback): TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { indices, updates } = inputs as { indices: TensorInfo; updates: TensorInfo };
  const values = floats(backend, updates);
  const idx = ints(backend, indices);
  if (!values || !idx) return cpu.run(tf.ScatterNd, args);
  const shape = attrs.shape as number[];
  const { sliceRank, numUpdates, sliceSize, strides, outputSize } = tf.backend_util.calculateShapes(updates, indices, shape);
  const slices = sliceSize > 0 ? outputSize / sliceSize : Infinity;
  // Float32 accumulation in update order, as the CPU kernel does: identical bits.
  const out = new Float32Array(outputSize);
  for (let i = 0; i < numUpdates; i++) {
    let flat = 0;
    for (let j = 0; j < sliceRank; j++) flat += idx[i * sliceRank + j] * strides[j];
    if (flat < 0 || flat >= slices) throw new Error(`Invalid indices: ${Array.from(idx)} does not index into ${shape}`);
    const to = flat * sliceSize;
    const from = i * sliceSize;
    for (let k = 0; k < sliceSize; k++) out[to + k] += values[from + k];
  }
  return backend.makeTensorInfo(shape, 'float32', out);
}

/**
 * tf.unsortedSegmentSum with 1-D segment ids over x's first axis: out[s] = sum of rows with id s;
 * ids outside [0, numSegments) are dropped, like the CPU kernel's masks. Sums run in float64 in
 * row order (the CPU kernel's Sum also accumulates in doubles).
 */
export function unsortedSegmentSum(args: Args, cpu: Fallback): TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const values = floats(backend, x);
  const ids = ints(backend, segmentIds);
  if (!values || !ids || segmentIds.shape.length !== 1 || x.shape.length < 1 || x.shape[0] !== ids.length) {
    return cpu.run(tf.UnsortedSegmentSum, args);
  }
  const numSegments = attrs.numSegments as number;
  const rowSize = sizeOf(x.shape.slice(1));
  const acc = new Float64Array(numSegments * rowSize);
  for (let r = 0; r < ids.length; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue;
    const to = s * rowSize;
    const from = r * rowSize;
    for (let k = 0; k < rowSize; k++) acc[to + k] += values[from + k];
  }
  return backend.makeTensorInfo([numSegments, ...x.shape.slice(1)], 'float32', Float32Array.from(acc));
}

import * as tf from '@tensorflow/tfjs';
import type { DataId, DataType, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

import {
  ACTIVATION_CODES,
  type ActivationName,
  BINARY_OPS,
  type ConvGeometry,
  type CourierBlasAddon,
  REDUCE_OPS,
  UNARY_OPS,
} from './addon';
import { gatherNd, gatherV2, scatterNd, unsortedSegmentSum } from './gather';
import { activeBufferPool } from './buffer-pool';
import { outputArray } from './typed-kernels';

/**
 * The parts of tfjs-backend-cpu's MathBackendCPU the kernels use (the native backend *is* a
 * MathBackendCPU instance; this interface avoids a type dependency on the CPU package).
 */
export interface CpuBackendLike {
  data: { get(dataId: DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
  disposeIntermediateTensorInfo(tensorInfo: TensorInfo): void;
}

type KernelArgs = { inputs: NamedTensorInfoMap; backend: CpuBackendLike; attrs?: NamedAttrMap };
type NativeKernel = (args: KernelArgs, addon: CourierBlasAddon, cpu: CpuKernels) => TensorInfo;

/**
 * Call counts per kernel name: `calls` counts every call of an overridden kernel on the native
 * backend, `cpu` every call that went to a tfjs-backend-cpu kernel (fallbacks and the unfused
 * bias / activation steps). Tests use them to prove which path ran.
 */
export const kernelCounts = { calls: new Map<string, number>(), cpu: new Map<string, number>() };

const bump = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);

/** tfjs-backend-cpu's kernel functions, looked up by name (the fallback for unhandled cases). */
export class CpuKernels {
  private readonly cache = new Map<string, KernelFunc>();

  get(name: string): KernelFunc {
    let fn = this.cache.get(name);
    if (!fn) {
      const config = tf.getKernel(name, 'cpu');
      if (!config) throw new Error(`native-kernels: tfjs-backend-cpu has no kernel "${name}" to fall back on`);
      fn = config.kernelFunc;
      this.cache.set(name, fn);
    }
    return fn;
  }

  run(name: string, args: KernelArgs): TensorInfo {
    bump(kernelCounts.cpu, name);
    return this.get(name)(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * An output array for the addon. Every native entry point writes all of its output, so large
 * outputs skip the zero-fill of `new Float32Array` (one memory pass less per op) by taking
 * uninitialised memory with an ArrayBuffer of their own (Buffer.allocUnsafeSlow: unpooled), or
 * reuse a disposed output's buffer when the buffer pool is on (the default; buffer-pool.ts).
 */
function outputBuffer(length: number): Float32Array {
  return activeBufferPool()?.take(length) ?? outputArray(length);
}

/** The tensor's float32 values, or null when it is not a plain float32 CPU tensor. */
function f32(backend: CpuBackendLike, t: TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  // toString tag rather than instanceof: under jest the typed-array constructors of the test
  // context differ from tfjs's.
  return Object.prototype.toString.call(values) === '[object Float32Array]' ? (values as Float32Array) : null;
}

/**
 * A per-output-column vector (bias or PReLU weights) for an output whose last dim is `cols`
 * and rank is `outRank`: a scalar or a [..1.., cols] tensor. Anything else (a full bias tensor,
 * a shape that would broadcast the output to a bigger one) returns null -> unfused path.
 */
function perColumn(backend: CpuBackendLike, t: TensorInfo, cols: number, outRank: number): Float32Array | null {
  if (t.shape.length > outRank) return null;
  const size = sizeOf(t.shape);
  const last = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  if (size !== 1 && !(size === cols && last === cols)) return null;
  return f32(backend, t);
}

interface Epilogue {
  bias: Float32Array | null;
  activation: number;
  leakyAlpha: number;
  prelu: Float32Array | null;
}

const NO_EPILOGUE: Epilogue = { bias: null, activation: 0, leakyAlpha: 0, prelu: null };

function activationCode(name: unknown): number | null {
  if (name === undefined || name === null || name === '') return ACTIVATION_CODES.linear;
  return Object.prototype.hasOwnProperty.call(ACTIVATION_CODES, name as string)
    ? ACTIVATION_CODES[name as ActivationName]
    : null;
}

/**
 * Resolves bias + activation into an addon epilogue; null when some part has to go through the
 * CPU kernels instead (non-float32 or non-per-column bias / PReLU weights, unknown activation).
 */
function fusedEpilogue(
  backend: CpuBackendLike,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
  cols: number,
  outRank: number,
): Epilogue | null {
  const activation = activationCode(attrs.activation);
  if (activation === null) return null;
  let bias: Float32Array | null = null;
  if (inputs.bias) {
    bias = perColumn(backend, inputs.bias, cols, outRank);
    if (!bias) return null;
  }
  let prelu: Float32Array | null = null;
  if (activation === ACTIVATION_CODES.prelu) {
    if (!inputs.preluActivationWeights) return null;
    prelu = perColumn(backend, inputs.preluActivationWeights, cols, outRank);
    if (!prelu) return null;
  }
  const leakyAlpha = typeof attrs.leakyreluAlpha === 'number' ? attrs.leakyreluAlpha : 0.2;
  return { bias, activation, leakyAlpha, prelu };
}

/** Unfused bias add + activation through the CPU kernels (same order as tfjs's fused kernels). */
function finishUnfused(
  backend: CpuBackendLike,
  cpu: CpuKernels,
  result: TensorInfo,
  bias: TensorInfo | undefined,
  activation: unknown,
  prelu: TensorInfo | undefined,
  leakyAlpha: unknown,
): TensorInfo {
  let current = result;
  if (bias) {
    const next = cpu.run('Add', { inputs: { a: current, b: bias }, backend });
    backend.disposeIntermediateTensorInfo(current);
    current = next;
  }
  if (activation && activation !== 'linear') {
    let next: TensorInfo;
    switch (activation) {
      case 'relu':
        next = cpu.run('Relu', { inputs: { x: current }, backend });
        break;
      case 'relu6':
        next = cpu.run('Relu6', { inputs: { x: current }, backend });
        break;
      case 'elu':
        next = cpu.run('Elu', { inputs: { x: current }, backend });
        break;
      case 'sigmoid':
        next = cpu.run('Sigmoid', { inputs: { x: current }, backend });
        break;
      case 'prelu':
        next = cpu.run('Prelu', { inputs: { x: current, alpha: prelu }, backend });
        break;
      case 'leakyrelu':
        next = cpu.run('LeakyRelu', { inputs: { x: current }, backend, attrs: { alpha: leakyAlpha as number } });
        break;
      default:
        throw new Error(`Activation ${String(activation)} has not been implemented for the native backend.`);
    }
    backend.disposeIntermediateTensorInfo(current);
    current = next;
  }
  return current;
}

// ------------------------------------------------------------------------------------------
// Matmul

/** For each output batch index, the flat batch index of an operand broadcast to `outDims`. */
function broadcastIndex(dims: readonly number[], outDims: readonly number[]): Int32Array {
  const total = sizeOf(outDims);
  const rank = outDims.length;
  const padded = new Array<number>(rank - dims.length).fill(1).concat(dims);
  const index = new Int32Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let src = 0;
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rest % outDims[d];
      rest = Math.floor(rest / outDims[d]);
      if (padded[d] !== 1) src += coord * stride;
      stride *= padded[d];
    }
    index[flat] = src;
  }
  return index;
}

/** Batched matmul with tfjs semantics (broadcast batch dims), optionally with an epilogue. */
function nativeMatMul(
  backend: CpuBackendLike,
  addon: CourierBlasAddon,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  epilogue: Epilogue,
): TensorInfo | null {
  const aVals = f32(backend, a);
  const bVals = f32(backend, b);
  if (!aVals || !bVals) return null;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const innerA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const innerB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  if (innerA !== innerB) {
    throw new Error(
      `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const k = innerA;
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const batch = sizeOf(outBatchShape);
  const outShape = [...outBatchShape, m, n];
  const out = outputBuffer(batch * m * n);
  if (batchB === 1 && !transposeA && batchA === batch && batch > 1) {
    // [batch, m, k] @ [k, n]: one GEMM with batch * m rows (the layouts coincide).
    addon.matmul(aVals, bVals, out, 1, 1, 1, batch * m, n, k, false, transposeB, null, null,
      epilogue.bias, epilogue.activation, epilogue.leakyAlpha, epilogue.prelu);
  } else {
    const aIndex = batchA === batch || batchA === 1 ? null : broadcastIndex(outerA, outBatchShape);
    const bIndex = batchB === batch || batchB === 1 ? null : broadcastIndex(outerB, outBatchShape);
    addon.matmul(aVals, bVals, out, batch, batchA, batchB, m, n, k, transposeA, transposeB, aIndex, bIndex,
      epilogue.bias, epilogue.activation, epilogue.leakyAlpha, epilogue.prelu);
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

const batchMatMul: NativeKernel = ({ inputs, backend, attrs }, addon, cpu) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const transposeA = Boolean(attrs?.transposeA);
  const transposeB = Boolean(attrs?.transposeB);
  return (
    nativeMatMul(backend, addon, a, b, transposeA, transposeB, NO_EPILOGUE) ??
    cpu.run(tf.BatchMatMul, { inputs, backend, attrs })
  );
};

const fusedMatMul: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  const n = transposeB ? b!.shape[b!.shape.length - 2] : b!.shape[b!.shape.length - 1];
  const outRank = Math.max(a!.shape.length, b!.shape.length);
  const epilogue = fusedEpilogue(backend, inputs, attrs, n, outRank);
  if (epilogue) {
    const fused = nativeMatMul(backend, addon, a!, b!, transposeA, transposeB, epilogue);
    if (fused) return fused;
  }
  const product = nativeMatMul(backend, addon, a!, b!, transposeA, transposeB, NO_EPILOGUE);
  if (!product) return cpu.run(tf._FusedMatMul, { inputs, backend, attrs });
  return finishUnfused(backend, cpu, product, bias, attrs.activation, preluActivationWeights, attrs.leakyreluAlpha);
};

// ------------------------------------------------------------------------------------------
// Convolutions (NHWC; NCHW goes to the CPU kernels)

function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
  ];
}

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: NamedAttrMap,
  dilations: number | [number, number],
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides as number | [number, number],
    dilations,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    false,
    'channelsLast',
  );
}

const isNHWC = (attrs: NamedAttrMap | undefined) => attrs?.dataFormat === undefined || attrs.dataFormat === 'NHWC';

function nativeConv2D(
  backend: CpuBackendLike,
  addon: CourierBlasAddon,
  x: TensorInfo,
  filter: TensorInfo,
  attrs: NamedAttrMap,
  epilogue: Epilogue,
): TensorInfo | null {
  const xVals = f32(backend, x);
  const wVals = f32(backend, filter);
  if (!xVals || !wVals || !isNHWC(attrs) || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const info = convInfo(x.shape, filter.shape, attrs, (attrs.dilations as number | [number, number]) ?? 1);
  const out = outputBuffer(sizeOf(info.outShape));
  addon.conv2d(xVals, wVals, out, geometry(info), epilogue.bias, epilogue.activation, epilogue.leakyAlpha, epilogue.prelu);
  return backend.makeTensorInfo(info.outShape, 'float32', out);
}

const conv2D: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  return nativeConv2D(backend, addon, x, filter, attrs, NO_EPILOGUE) ?? cpu.run(tf.Conv2D, { inputs, backend, attrs });
};

const fusedConv2D: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
  if (!isNHWC(attrs)) return cpu.run(tf.FusedConv2D, { inputs, backend, attrs });
  const epilogue = fusedEpilogue(backend, inputs, attrs, filter!.shape[3], 4);
  if (epilogue) {
    const fused = nativeConv2D(backend, addon, x!, filter!, attrs, epilogue);
    if (fused) return fused;
  }
  const conv = nativeConv2D(backend, addon, x!, filter!, attrs, NO_EPILOGUE);
  if (!conv) return cpu.run(tf.FusedConv2D, { inputs, backend, attrs });
  return finishUnfused(backend, cpu, conv, bias, attrs.activation, preluActivationWeights, attrs.leakyreluAlpha);
};

const conv2DBackpropInput: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const dyVals = f32(backend, dy);
  const wVals = f32(backend, filter);
  const inputShape = attrs.inputShape as number[];
  if (dyVals && wVals && isNHWC(attrs) && dy.shape.length === 4 && filter.shape.length === 4) {
    const info = convInfo(inputShape, filter.shape, attrs, 1);
    if (info.outShape.every((d, i) => d === dy.shape[i])) {
      const dx = outputBuffer(sizeOf(info.inShape));
      addon.conv2dBackpropInput(dyVals, wVals, dx, geometry(info));
      return backend.makeTensorInfo(info.inShape, 'float32', dx);
    }
  }
  return cpu.run(tf.Conv2DBackpropInput, { inputs, backend, attrs });
};

const conv2DBackpropFilter: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const xVals = f32(backend, x);
  const dyVals = f32(backend, dy);
  const filterShape = attrs.filterShape as number[];
  if (xVals && dyVals && isNHWC(attrs) && x.shape.length === 4 && dy.shape.length === 4) {
    const info = convInfo(x.shape, filterShape, attrs, 1);
    if (info.outShape.every((d, i) => d === dy.shape[i])) {
      const dw = outputBuffer(sizeOf(info.filterShape));
      addon.conv2dBackpropFilter(xVals, dyVals, dw, geometry(info));
      return backend.makeTensorInfo(info.filterShape, 'float32', dw);
    }
  }
  return cpu.run(tf.Conv2DBackpropFilter, { inputs, backend, attrs });
};

// ------------------------------------------------------------------------------------------
// Softmax (last axis; one pass per row instead of six full-tensor kernels)

const softmax: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { logits } = inputs as { logits: TensorInfo };
  const rank = logits.shape.length;
  const dim = attrs.dim as number;
  const values = f32(backend, logits);
  if (!values || rank === 0 || !(dim === -1 || dim === rank - 1)) {
    return cpu.run(tf.Softmax, { inputs, backend, attrs });
  }
  const cols = logits.shape[rank - 1];
  const rows = cols === 0 ? 0 : values.length / cols;
  const out = outputBuffer(values.length);
  addon.softmax(values, out, rows, cols);
  return backend.makeTensorInfo(logits.shape, 'float32', out);
};

// ------------------------------------------------------------------------------------------
// Elementwise ops, reductions, transpose (float32; other dtypes go to the CPU kernels)

function binaryKernel(name: keyof typeof BINARY_OPS): NativeKernel {
  const op = BINARY_OPS[name];
  return ({ inputs, backend, attrs }, addon, cpu) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const aVals = f32(backend, a);
    const bVals = f32(backend, b);
    if (!aVals || !bVals || a.shape.length > 8 || b.shape.length > 8) return cpu.run(name, { inputs, backend, attrs });
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = outputBuffer(sizeOf(shape));
    addon.binary(op, aVals, a.shape, bVals, b.shape, out);
    return backend.makeTensorInfo(shape, 'float32', out);
  };
}

function unaryKernel(name: keyof typeof UNARY_OPS): NativeKernel {
  const op = UNARY_OPS[name];
  return ({ inputs, backend, attrs }, addon, cpu) => {
    const { x } = inputs as { x: TensorInfo };
    const values = f32(backend, x);
    if (!values) return cpu.run(name, { inputs, backend, attrs });
    const alpha = typeof attrs?.alpha === 'number' ? attrs.alpha : name === 'LeakyRelu' ? 0.2 : 0;
    const out = outputBuffer(values.length);
    addon.unary(op, values, out, alpha);
    return backend.makeTensorInfo(x.shape.slice(), 'float32', out);
  };
}

/**
 * Views `shape` reduced over `axes` as [outer, reduce, inner]; null when the reduced axes are
 * not one contiguous block (ignoring size-1 dims) or the reduction is empty.
 */
export function reductionBlock(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const set = new Set(axes);
  const lo = Math.min(...axes);
  const hi = Math.max(...axes);
  for (let d = lo; d <= hi; d++) if (!set.has(d) && shape[d] !== 1) return null;
  const outer = sizeOf(shape.slice(0, lo));
  const reduce = sizeOf(shape.slice(lo, hi + 1));
  const inner = sizeOf(shape.slice(hi + 1));
  return reduce === 0 ? null : [outer, reduce, inner];
}

function reduceKernel(name: keyof typeof REDUCE_OPS, axisAttr: 'axis' | 'reductionIndices'): NativeKernel {
  const op = REDUCE_OPS[name];
  return ({ inputs, backend, attrs = {} }, addon, cpu) => {
    const { x } = inputs as { x: TensorInfo };
    const values = f32(backend, x);
    if (!values) return cpu.run(name, { inputs, backend, attrs });
    const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
    const block = reductionBlock(x.shape, axes);
    if (!block) return cpu.run(name, { inputs, backend, attrs });
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = outputBuffer(block[0] * block[2]);
    addon.reduce(op, values, out, block[0], block[1], block[2]);
    const shape = attrs.keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    return backend.makeTensorInfo(shape, 'float32', out);
  };
}

const transpose: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { x } = inputs as { x: TensorInfo };
  const values = f32(backend, x);
  const perm = attrs.perm as number[];
  if (!values || x.shape.length > 8) return cpu.run(tf.Transpose, { inputs, backend, attrs });
  const out = outputBuffer(values.length);
  addon.transpose(values, x.shape, perm, out);
  return backend.makeTensorInfo(perm.map((p) => x.shape[p]), 'float32', out);
};

// ------------------------------------------------------------------------------------------
// The fused conv block (conv + bias + ReLU as one op with its own gradient; see conv-block.ts).

/** Kernel name of the fused conv block (native backend only). */
export const CONV_BIAS_RELU = 'CourierConvBiasRelu';

const convBiasRelu: NativeKernel = ({ inputs, backend, attrs = {} }, addon, cpu) => {
  const { x, filter, bias } = inputs as { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
  const b = f32(backend, bias);
  if (b && b.length === filter.shape[3]) {
    const out = nativeConv2D(backend, addon, x, filter, attrs, { bias: b, activation: ACTIVATION_CODES.relu, leakyAlpha: 0, prelu: null });
    if (out) return out;
  }
  return cpu.run(tf.FusedConv2D, { inputs, backend, attrs: { ...attrs, dataFormat: 'NHWC', dilations: 1, activation: 'relu' } });
};

/** Kernel name -> native implementation; every other kernel is tfjs-backend-cpu's. */
export const NATIVE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  [tf.BatchMatMul]: batchMatMul,
  [tf._FusedMatMul]: fusedMatMul,
  [tf.Conv2D]: conv2D,
  [tf.FusedConv2D]: fusedConv2D,
  [tf.Conv2DBackpropInput]: conv2DBackpropInput,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
  [CONV_BIAS_RELU]: convBiasRelu,
  [tf.Softmax]: softmax,
  ...Object.fromEntries((Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]).map((k) => [k, binaryKernel(k)])),
  ...Object.fromEntries((Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[]).map((k) => [k, unaryKernel(k)])),
  [tf.Sum]: reduceKernel('Sum', 'axis'),
  [tf.Mean]: reduceKernel('Mean', 'axis'),
  [tf.Max]: reduceKernel('Max', 'reductionIndices'),
  [tf.Min]: reduceKernel('Min', 'axis'),
  [tf.Transpose]: transpose,
  [tf.GatherV2]: (args, _addon, cpu) => gatherV2(args, cpu),
  [tf.GatherNd]: (args, _addon, cpu) => gatherNd(args, cpu),
  [tf.ScatterNd]: (args, _addon, cpu) => scatterNd(args, cpu),
  [tf.UnsortedSegmentSum]: (args, _addon, cpu) => unsortedSegmentSum(args, cpu),
};

/** KernelConfigs binding the native implementations to `backendName`. */
export function nativeKernelConfigs(backendName: string, addon: CourierBlasAddon): KernelConfig[] {
  const cpu = new CpuKernels();
  return Object.entries(NATIVE_KERNELS).map(([kernelName, impl]) => ({
    kernelName,
    backendName,
    kernelFunc: ((args: KernelArgs) => {
      bump(kernelCounts.calls, kernelName);
      return impl(args, addon, cpu);
    }) as unknown as KernelFunc,
  }));
}

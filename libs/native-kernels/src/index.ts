// Public API of @courier/native-kernels: BLAS-backed tfjs CPU kernels (N-API addon over OpenBLAS).
export {
  NATIVE_BACKEND_NAME,
  nativeKernelsStatus,
  registerNativeBackend,
  resolveThreads,
  resolveMallocTuning,
  MALLOC_TUNING,
  setNativeThreads,
  setNativeDnnl,
  resolveDnnl,
  resolveParallelKernels,
  PARALLEL_KERNEL_MIN_ELEMS,
  resolveBufferPool,
  nativeBufferPoolStats,
  BUFFER_POOL_MAX_FREE_BYTES,
  type NativeBackendOptions,
  type NativeKernelsStatus,
} from './backend';
export { NATIVE_KERNELS, CONV_BIAS_RELU } from './kernels';
export { type BufferPoolStats } from './buffer-pool';
export { convBiasRelu } from './conv-block';
export { type Csr, type CosineRows, csrFromEdges, spmmCsr, adamStep, dropoutRowsInto, leakyReluGradInto, addLeakyReluInto, cosineRows, cosineGradInto, gatherRowsInto, scatterAddRowsInto, colSumsInto, outputArray, matmulInto, setTypedKernelsNative, typedKernelsNative } from './typed-kernels';

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Activation codes understood by the addon's fused epilogue (csrc/courier_blas.cc). */
export const ACTIVATION_CODES = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  sigmoid: 4,
  leakyrelu: 5,
  prelu: 6,
} as const;

export type ActivationName = keyof typeof ACTIVATION_CODES;

/** Binary op codes (csrc BinaryOp), keyed by tfjs kernel name. */
export const BINARY_OPS = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
} as const;

/** Unary op codes (csrc UnaryOp), keyed by tfjs kernel name. */
export const UNARY_OPS = {
  Neg: 0,
  Exp: 1,
  Log: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Square: 5,
  Abs: 6,
  Relu: 7,
  Relu6: 8,
  Sigmoid: 9,
  Tanh: 10,
  Step: 11,
  Reciprocal: 12,
  Elu: 13,
  LeakyRelu: 14,
} as const;

/** Reduction op codes (csrc ReduceOp), keyed by tfjs kernel name. */
export const REDUCE_OPS = { Sum: 0, Mean: 1, Max: 2, Min: 3 } as const;

/**
 * Convolution geometry in the order the addon reads it: [batch, inH, inW, inC, outH, outW,
 * outC, filterH, filterW, strideH, strideW, dilationH, dilationW, padTop, padLeft] (NHWC).
 */
export type ConvGeometry = [
  number, number, number, number, number, number, number, number,
  number, number, number, number, number, number, number,
];

/** The N-API addon's surface. Outputs are caller-allocated; every length is checked in C++. */
export interface CourierBlasAddon {
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aIndex: Int32Array | null,
    bIndex: Int32Array | null,
    bias: Float32Array | null,
    activation: number,
    leakyAlpha: number,
    prelu: Float32Array | null,
  ): void;
  conv2d(
    x: Float32Array,
    filter: Float32Array,
    out: Float32Array,
    geometry: ConvGeometry,
    bias: Float32Array | null,
    activation: number,
    leakyAlpha: number,
    prelu: Float32Array | null,
  ): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: ConvGeometry): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: ConvGeometry): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** out = a op b with numpy broadcasting; op is a BINARY_OPS code. */
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array): void;
  /** out = f(x); op is a UNARY_OPS code; alpha is Step's value at x <= 0 and LeakyRelu's slope. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** x as [outer, reduce, inner] -> out [outer, inner]; op is a REDUCE_OPS code. */
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number): void;
  transpose(x: Float32Array, shape: number[], perm: number[], out: Float32Array): void;
  setThreads(threads: number): void;
  getThreads(): number;
  /** Benchmarking knob: im2col chunk size in floats (default 2^16). */
  setConvChunk(floats: number): void;
  /** Benchmarking knob: GEMMs with fewer multiply-adds run single-threaded (default 2^24). */
  setParallelMacs(macs: number): void;
  /**
   * Elementwise, broadcast-binary, reduction, softmax and reluBiasGrad calls touching fewer
   * elements run on the calling thread (default 2^16); bigger ones split their outputs across
   * the configured threads (the caller and helper threads). Returns the previous value.
   * Optional: older builds lack it.
   */
  setParallelElems?(elems: number): number;
  /** How long an idle helper thread polls for work before it sleeps (default 1000 µs); returns the previous value. */
  setParallelSpin?(micros: number): number;
  /** The threshold, the helpers' polling time, and how many helper threads have been started. */
  parallelKernels?(): { minElems: number; spinMicros: number; helpers: number };
  /** OpenBLAS build string, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH Zen MAX_THREADS=64". */
  config(): string;
  /** glibc mallopt(M_MMAP_THRESHOLD / M_TRIM_THRESHOLD); false where unsupported or refused. */
  tuneMalloc(mmapThresholdBytes: number, trimThresholdBytes: number): boolean;
  /** oneDNN build info when the addon was built with it (probe-dnnl.js), else null. Optional:
   * builds from before oneDNN support lack it. */
  dnnl?(): DnnlInfo | null;
  /** Runs convolutions on oneDNN (true) or im2col + sgemm (false); returns what is now in effect. */
  setDnnl?(on: boolean): boolean;
  /** Backward of bias + ReLU in one pass: dyMasked = dy where y > 0, db = column sums of it. */
  reluBiasGrad?(y: Float32Array, dy: Float32Array, dyMasked: Float32Array, db: Float32Array, rows: number, cols: number): void;
  /** CSR sparse-dense product out = A x (typed-kernels.ts). Optional: older builds lack it. */
  spmmCsr?(rowPtr: Int32Array, col: Int32Array, val: Float32Array, x: Float32Array, out: Float32Array, rows: number, inRows: number, d: number, leakyAlpha?: number): void;
  /** out = dy * step(y, alpha) (leakyRelu's gradient read from its output; typed-kernels.ts). */
  leakyReluGrad?(y: Float32Array, dy: Float32Array, out: Float32Array, alpha: number): void;
  /** out = leakyRelu(a + b) (typed-kernels.ts). */
  addLeakyRelu?(a: Float32Array, b: Float32Array, out: Float32Array, alpha: number): void;
  /** Row gather (mode 0) or in-order scatter-add (mode 1) of [rows, d] blocks (typed-kernels.ts). */
  rowsOp?(mode: 0 | 1, x: Float32Array, idx: Int32Array, d: number, out: Float32Array): void;
  /** acc[k] += column sums of x [rows, d], in double (typed-kernels.ts). */
  colSums?(x: Float32Array, rows: number, d: number, acc: Float64Array): void;
  /** One Adam update in place of m and v, new weights into out (may be w; typed-kernels.ts). */
  adamStep?(w: Float32Array, g: Float32Array | null, m: Float32Array, v: Float32Array, out: Float32Array, a: number, e2: number, beta1: number, beta2: number, weightDecay: number): void;
  /** tf.dropout's seeded mask times x, all rows or rows idx (typed-kernels.ts). */
  dropoutRows?(state: Float64Array, keep: number, x: Float32Array, n: number, d: number, idx: Int32Array | null, out: Float32Array): void;
  /** Row cosines of two [n, d] tables with the row norms, in double (typed-kernels.ts). */
  cosineRows?(a: Float32Array, t: Float32Array, n: number, d: number, eps: number, c: Float64Array, na: Float64Array, nb: Float64Array): void;
  /** out += coef d cos(a_r, t_r) / d a_r per row (typed-kernels.ts). */
  cosineGrad?(a: Float32Array, t: Float32Array, c: Float64Array, na: Float64Array, nb: Float64Array, coef: number, n: number, d: number, eps: number, out: Float32Array): void;
  abiVersion: number;
}

export interface DnnlInfo {
  version: string;
  /** Whether convolutions currently run on oneDNN (setDnnl). */
  enabled: boolean;
  /** oneDNN's implementation name of the last convolution it ran, e.g. "jit:avx2". */
  lastImpl: string;
  /** Cached convolution primitives. */
  cached: number;
}

/** Where node-gyp puts the addon (libs/native-kernels/build/Release/courier_blas.node). */
export const DEFAULT_ADDON_PATH = path.resolve(__dirname, '..', 'build', 'Release', 'courier_blas.node');

/** Bumped together with `abiVersion` in the C++ source when the call signatures change. */
const EXPECTED_ABI = 3;

export const BUILD_HINT = 'run npm run build:native; needs g++ and libopenblas-dev';

export type AddonLoad = { addon: CourierBlasAddon; reason?: undefined } | { addon: null; reason: string };

const cache = new Map<string, AddonLoad>();

/**
 * Loads the addon from `file` (default: the node-gyp output) once per path. Never throws:
 * a missing, unloadable or stale build gives `{ addon: null, reason }` with the reason and
 * the command that fixes it.
 */
export function loadAddon(file: string = DEFAULT_ADDON_PATH): AddonLoad {
  const hit = cache.get(file);
  if (hit) return hit;
  let result: AddonLoad;
  if (!fs.existsSync(file)) {
    result = { addon: null, reason: `native kernels not built: ${BUILD_HINT} (${file} is missing)` };
  } else {
    try {
      // process.dlopen loads the shared object directly (no module resolution, works under jest).
      const mod = { exports: {} as Record<string, unknown> };
      // oneDNN's OpenMP workers (libgomp) spin after each parallel region by default. On a busy
      // machine they then take the cores from OpenBLAS's threads and the JS thread (measured: 2-3x
      // slower steps at 2 threads, load 10); passive waiting sleeps instead. libgomp reads this
      // when it loads with the addon, so it is set just before; an explicit setting wins.
      if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
      process.dlopen(mod, file);
      const addon = mod.exports as unknown as CourierBlasAddon;
      if (addon.abiVersion !== EXPECTED_ABI || typeof addon.matmul !== 'function') {
        result = {
          addon: null,
          reason: `native kernels at ${file} are from another version (abi ${String(addon.abiVersion)}, expected ${EXPECTED_ABI}): ${BUILD_HINT}`,
        };
      } else {
        result = { addon };
      }
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      result = { addon: null, reason: `native kernels not built or not loadable: ${BUILD_HINT} (${message})` };
    }
  }
  cache.set(file, result);
  return result;
}

/** The loaded addon, or throws the clear "not built" error. */
export function requireAddon(file: string = DEFAULT_ADDON_PATH): CourierBlasAddon {
  const loaded = loadAddon(file);
  if (!loaded.addon) throw new Error(loaded.reason);
  return loaded.addon;
}

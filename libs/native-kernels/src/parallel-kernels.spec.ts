import * as tf from '@tensorflow/tfjs';

import { PARALLEL_KERNEL_MIN_ELEMS, resolveParallelKernels, resolveParallelSpin } from './backend';
import { nativeKernelsStatus, registerNativeBackend, setNativeThreads } from './index';
import { type BackendResult, kernelCounts, relativeMaxDiff, requireAddon, runOn, seededFloats } from './testing';

// Issue #21: the addon's large elementwise, broadcast-binary and reduction kernels (and softmax,
// reluBiasGrad) split their outputs across the configured threads. Their results must be the
// same bits at every thread count, and still match tfjs-backend-cpu.
const status = nativeKernelsStatus();
if (!status.available) console.warn(`native-kernels specs skipped: ${status.reason}`);
const describeNative = status.available ? describe : describe.skip;

const THREADS = [1, 2, 3];
const MIN_ELEMS = 1 << 16; // the threshold when the parallel kernels are on

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Seeded values whose magnitudes span 40 orders (1e-20 .. 1e20), with NaN, ±Infinity and -0
 * sprinkled in when `special`.
 */
function wide(seed: number, shape: number[], special = false): Float32Array {
  const v = seededFloats(seed, size(shape));
  const e = seededFloats(seed + 7919, v.length);
  for (let i = 0; i < v.length; i++) v[i] *= 10 ** Math.round(Math.max(-20, Math.min(20, e[i] * 10)));
  if (special) {
    for (let i = 0; i < v.length; i += 9973) {
      v[i] = [NaN, Infinity, -Infinity, -0][(i / 9973) % 4];
    }
  }
  return v;
}

/**
 * Data for a reduction of x viewed as [outer, red, inner] whose double sums depend on the order
 * of their terms: between normal noise terms, each output's first half adds terms around +1e12
 * that its second half takes away again exactly. The running sum is ~1e12-1e14, so the noise
 * added to it is rounded, while the result is the size of the noise: summing one output in
 * pieces (what a split across threads would do) moves its float32 result; `splitSums` shows
 * that for every case.
 */
function cancelling(seed: number, outer: number, red: number, inner: number): Float32Array {
  const noise = seededFloats(seed, outer * red * inner);
  const w = seededFloats(seed + 1, outer * red * inner);
  const half = Math.floor(red / 2);
  const v = new Float32Array(noise.length);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < red; r++) {
      const big = r < 2 * half && (r % half) % 2 === 0;
      for (let i = 0; i < inner; i++) {
        const k = (o * red + r) * inner + i;
        v[k] = big ? (r < half ? 1 : -1) * Math.fround(1e12 * Math.abs(w[(o * red + (r % half)) * inner + i])) : noise[k];
      }
    }
  }
  return v;
}

/** How many outputs' float32 sums change when each is summed in `parts` pieces (in double). */
function splitSums(x: Float32Array, outer: number, red: number, inner: number, parts: number): number {
  let changed = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let whole = 0;
      const piece = new Float64Array(parts);
      for (let r = 0; r < red; r++) {
        const v = x[(o * red + r) * inner + i];
        whole += v;
        piece[Math.floor((r * parts) / red)] += v;
      }
      const split = piece.reduce((a, b) => a + b, 0);
      if (Math.fround(whole) !== Math.fround(split)) changed++;
    }
  }
  return changed;
}

/** [outer, reduce, inner] of `shape` reduced over the contiguous `axes`. */
function blockOf(shape: number[], axes: number[]): [number, number, number] {
  const lo = Math.min(...axes);
  const hi = Math.max(...axes);
  return [size(shape.slice(0, lo)), size(shape.slice(lo, hi + 1)), size(shape.slice(hi + 1))];
}

/** The output's bytes (so NaN payloads and -0 count) as hex. */
const bytes = (r: BackendResult) => Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength);

/** Runs `build` on the native backend at each thread count and returns the results per count. */
async function atThreads(build: () => tf.Tensor | tf.Tensor[]): Promise<BackendResult[][]> {
  const out: BackendResult[][] = [];
  try {
    for (const t of THREADS) {
      setNativeThreads(t);
      out.push(await runOn('native', build));
    }
  } finally {
    setNativeThreads(1);
  }
  return out;
}

function expectSameBits(runs: BackendResult[][]): void {
  for (let t = 1; t < runs.length; t++) {
    expect(runs[t].length).toBe(runs[0].length);
    runs[0].forEach((r, i) => {
      expect(runs[t][i].shape).toEqual(r.shape);
      if (!bytes(runs[t][i]).equals(bytes(r))) throw new Error(`output ${i}: ${THREADS[t]} threads differ from 1 thread`);
    });
  }
}

/** Largest output size among the results: every case must be above the threading threshold. */
const largest = (runs: BackendResult[][]) => Math.max(...runs[0].map((r) => r.values.length));

describe('COURIER_PARALLEL_SPIN_US', () => {
  it('is unset, a number of microseconds, or an error', () => {
    expect(resolveParallelSpin({})).toBeUndefined();
    expect(resolveParallelSpin({ COURIER_PARALLEL_SPIN_US: '0' })).toBe(0);
    expect(resolveParallelSpin({ COURIER_PARALLEL_SPIN_US: '250' })).toBe(250);
    expect(() => resolveParallelSpin({ COURIER_PARALLEL_SPIN_US: '-1' })).toThrow('COURIER_PARALLEL_SPIN_US');
    expect(() => resolveParallelSpin({ COURIER_PARALLEL_SPIN_US: '1ms' })).toThrow('COURIER_PARALLEL_SPIN_US');
    expect(() => resolveParallelSpin({ COURIER_PARALLEL_SPIN_US: '2000000' })).toThrow('COURIER_PARALLEL_SPIN_US');
  });
});

describeNative('large kernels on several threads (issue #21)', () => {
  const addon = requireAddon();

  beforeAll(() => {
    expect(registerNativeBackend({ threads: 1, parallelKernels: true })).toBe('native');
  });
  afterAll(() => setNativeThreads(1));

  it('are off unless asked for (option or COURIER_PARALLEL_KERNELS=1), and on at 2^16 elements when asked', () => {
    expect(resolveParallelKernels(undefined, {})).toBe(false);
    expect(resolveParallelKernels(undefined, { COURIER_PARALLEL_KERNELS: '1' })).toBe(true);
    expect(resolveParallelKernels(false, { COURIER_PARALLEL_KERNELS: '1' })).toBe(false);
    expect(() => resolveParallelKernels(undefined, { COURIER_PARALLEL_KERNELS: 'yes' })).toThrow('COURIER_PARALLEL_KERNELS: expected 0 or 1, got "yes"');
    const saved = process.env.COURIER_PARALLEL_KERNELS;
    delete process.env.COURIER_PARALLEL_KERNELS;
    try {
      registerNativeBackend({ threads: 1 });
      expect(addon.parallelKernels?.().minElems).toBe(PARALLEL_KERNEL_MIN_ELEMS.off);
    } finally {
      if (saved !== undefined) process.env.COURIER_PARALLEL_KERNELS = saved;
      registerNativeBackend({ threads: 1, parallelKernels: true });
    }
    expect(addon.parallelKernels?.().minElems).toBe(MIN_ELEMS);
  });

  it('runs them on helper threads above 2^16 elements, and starts none at one thread', async () => {
    // Read after beforeAll's registration: a jest worker may have run other spec files first, and
    // the addon (loaded once per process) keeps the settings they left.
    const parallel = addon.parallelKernels?.();
    expect(parallel).toBeDefined();
    expect(parallel?.minElems).toBe(MIN_ELEMS);
    expect(parallel?.spinMicros).toBe(1000);
    // Every experiment runs COURIER_THREADS=1: no helper thread may start there.
    const before = parallel?.helpers ?? 0;
    setNativeThreads(1);
    await runOn('native', () => tf.relu(tf.tensor(seededFloats(70, 1 << 17))));
    expect(addon.parallelKernels?.().helpers).toBe(before);
    setNativeThreads(3);
    try {
      await runOn('native', () => tf.relu(tf.tensor(seededFloats(70, 1 << 17))));
    } finally {
      setNativeThreads(1);
    }
    expect(addon.parallelKernels?.().helpers).toBe(Math.max(before, 2));
  });

  // [name, op on seeded inputs, tolerance against the CPU backend]: float32 arithmetic gives
  // the CPU backend's values exactly (0: NaN for NaN, 0 for -0 allowed, as in kernels.spec.ts);
  // ops the JS kernels compute in double (exp, sigmoid, squared difference, leakyRelu) within 2e-5.
  // Every output has more than 2^16 elements (checked), so 2 and 3 threads split it.
  type Case = [string, () => tf.Tensor, number];
  const cache = new Map<string, Float32Array>();
  const cached = (key: string, make: () => Float32Array): Float32Array => {
    let v = cache.get(key);
    if (!v) {
      v = make();
      cache.set(key, v);
    }
    return v;
  };
  const t = (seed: number, shape: number[], special = false) => tf.tensor(cached(`w${seed}`, () => wide(seed, shape, special)), shape);
  const n = (seed: number, shape: number[]) => tf.tensor(cached(`n${seed}`, () => seededFloats(seed, size(shape))), shape);
  const binaryCases: Case[] = [
    ['Add, bias broadcast over the last dim [20,16,16,16] + [16]', () => tf.add(t(1, [20, 16, 16, 16], true), t(2, [16])), 0],
    ['Multiply, mean-pool gradient broadcast [80,1,1,64] * [80,4,4,64]', () => tf.mul(t(3, [80, 1, 1, 64]), t(4, [80, 4, 4, 64], true)), 0],
    ['Sub, outer broadcast on both sides [512,1] - [1,160]', () => tf.sub(t(5, [512, 1]), t(6, [1, 160])), 0],
    ['Multiply, same shape, one collapsed row [70001]', () => tf.mul(t(7, [70001], true), t(8, [70001])), 0],
    ['RealDiv by a scalar [80,4,4,64] / []', () => tf.div(t(9, [80, 4, 4, 64], true), tf.scalar(3)), 0],
    ['Maximum, middle dim broadcast [7,1,5] vs [7,2001,5] (NaN)', () => tf.maximum(t(10, [7, 1, 5]), t(11, [7, 2001, 5], true)), 0],
    ['SquaredDifference [2,1,12001] vs [2,3,1]', () => tf.squaredDifference(n(12, [2, 1, 12001]), n(13, [2, 3, 1])), 2e-5],
  ];
  const unaryCases: Case[] = [
    ['Relu', () => tf.relu(t(20, [20, 16, 16, 16], true)), 0],
    ['Step (the ReLU gradient mask)', () => tf.step(t(21, [20, 16, 16, 16], true)), 0],
    ['LeakyRelu (alpha * x in double in JS)', () => tf.leakyRelu(t(22, [70001], true), 0.1), 2e-5],
    ['Exp', () => tf.exp(n(23, [70001])), 2e-5],
    ['Sigmoid', () => tf.sigmoid(n(24, [70001])), 2e-5],
  ];
  it.each([...binaryCases, ...unaryCases])('%s: same bits at 1, 2 and 3 threads, equal to the CPU backend', async (_name, build, tol) => {
    const runs = await atThreads(build);
    expect(largest(runs)).toBeGreaterThanOrEqual(MIN_ELEMS);
    expectSameBits(runs);
    const cpu = await runOn('cpu', build);
    cpu.forEach((r, i) => expect(relativeMaxDiff(r, runs[1][i])).toBeLessThanOrEqual(tol));
  });

  // Reductions: [outer, reduce, inner] with every shape of split: columns (outer smaller than
  // the thread count), rows, a single row of columns, and one output per row (inner = 1).
  const reduceCases: [string, number[], number[]][] = [
    ['bias gradient: [20,16,16,16] over [0,1,2] (one row of 16 outputs: split by columns)', [20, 16, 16, 16], [0, 1, 2]],
    ['[200,400] over the last axis (inner 1: split by rows)', [200, 400], [1]],
    ['mean pool: [80,4,4,64] over [1,2] (split by rows)', [80, 4, 4, 64], [1, 2]],
    ['[2,700,50] over the middle axis (2 rows, 3 threads: split by columns)', [2, 700, 50], [1]],
    ['[400,200] over the first axis (split by columns)', [400, 200], [0]],
  ];
  it.each(reduceCases)('Sum, Mean, Max, Min of %s: same bits at 1, 2 and 3 threads, equal to the CPU backend / the serial sum', async (_name, shape, axes) => {
    const [outer, red, inner] = blockOf(shape, axes);
    const data = cancelling(30, outer, red, inner);
    // The data can tell: summing each output in 2 or 3 pieces would change results.
    expect(splitSums(data, outer, red, inner, 2)).toBeGreaterThan(0);
    expect(splitSums(data, outer, red, inner, 3)).toBeGreaterThan(0);
    const build = () => {
      const x = tf.tensor(data, shape);
      return [tf.sum(x, axes), tf.mean(x, axes), tf.max(x, axes), tf.min(x, axes)];
    };
    const before = kernelCounts.calls.get(tf.Sum) ?? 0;
    const runs = await atThreads(build);
    expect(kernelCounts.calls.get(tf.Sum) ?? 0).toBeGreaterThan(before);
    expect(size(shape)).toBeGreaterThanOrEqual(MIN_ELEMS);
    expectSameBits(runs);
    const cpu = await runOn('cpu', build);
    // tfjs-backend-cpu sums each output in double in the same order: the same bits. Max and Min
    // are exact. Its Mean divides every element first (other roundings: on this data, far
    // off), so Mean is checked against the serial double sum / count, which the addon computes.
    expect(bytes(runs[1][0]).equals(bytes(cpu[0]))).toBe(true);
    expect(bytes(runs[1][2]).equals(bytes(cpu[2]))).toBe(true);
    expect(bytes(runs[1][3]).equals(bytes(cpu[3]))).toBe(true);
    const mean = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let r = 0; r < red; r++) s += data[(o * red + r) * inner + i];
        mean[o * inner + i] = s / red;
      }
    }
    expect(bytes(runs[1][1]).equals(Buffer.from(mean.buffer))).toBe(true);
  });

  it('Softmax rows: same bits at 1, 2 and 3 threads, within 2e-5 of the CPU backend', async () => {
    const build = () => tf.softmax(n(40, [300, 250]).mul(5));
    const runs = await atThreads(build);
    expectSameBits(runs);
    const cpu = await runOn('cpu', build);
    expect(relativeMaxDiff(cpu[0], runs[1][0])).toBeLessThanOrEqual(2e-5);
  });

  it('reluBiasGrad: same bits at 1, 2 and 3 threads, equal to the serial loop in JS', () => {
    const rows = 2048;
    const cols = 48;
    const y = wide(50, [rows, cols]).map((v) => Math.max(v, 0) * (v > 1e-3 ? 1 : 0));
    const dy = wide(51, [rows, cols]);
    const expectMasked = new Float32Array(rows * cols);
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const v = y[r * cols + j] > 0 ? dy[r * cols + j] : 0;
        expectMasked[r * cols + j] = v;
        acc[j] += v;
      }
    }
    const expectDb = Float32Array.from(acc);
    try {
      for (const threads of THREADS) {
        setNativeThreads(threads);
        const masked = new Float32Array(rows * cols);
        const db = new Float32Array(cols);
        addon.reluBiasGrad?.(y, dy, masked, db, rows, cols);
        expect(Buffer.from(masked.buffer).equals(Buffer.from(expectMasked.buffer))).toBe(true);
        expect(Buffer.from(db.buffer).equals(Buffer.from(expectDb.buffer))).toBe(true);
      }
    } finally {
      setNativeThreads(1);
    }
  });

  it('with the threshold lowered to 1 element, small reductions split down to one output per thread', () => {
    // outer 5 rows x inner 3 columns, 3 threads: pieces of 1-2 rows; then 1 row x 7 columns.
    const previous = addon.setParallelElems?.(1);
    try {
      for (const [outer, red, inner] of [
        [5, 101, 3],
        [1, 333, 7],
        [2, 50, 1],
      ]) {
        const x = cancelling(60 + outer, outer, red, inner);
        const ref: Float32Array[] = [];
        for (const threads of THREADS) {
          addon.setThreads(threads);
          const outs = [0, 1, 2, 3].map((op) => {
            const o = new Float32Array(outer * inner);
            addon.reduce(op, x, o, outer, red, inner);
            return o;
          });
          if (threads === 1) ref.push(...outs);
          else outs.forEach((o, k) => expect(Buffer.from(o.buffer).equals(Buffer.from(ref[k].buffer))).toBe(true));
        }
      }
    } finally {
      if (previous !== undefined) addon.setParallelElems?.(previous);
      setNativeThreads(1);
    }
  });
});

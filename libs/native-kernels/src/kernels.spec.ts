import * as tf from '@tensorflow/tfjs';

import { nativeKernelsStatus, registerNativeBackend } from './index';
import { type BackendResult, kernelCounts, relativeMaxDiff, runOn, seededFloats } from './testing';

// Forward equivalence: every overridden kernel against tfjs-backend-cpu's pure-JS kernel.
const status = nativeKernelsStatus();
if (!status.available) console.warn(`native-kernels specs skipped: ${status.reason}`);
const describeNative = status.available ? describe : describe.skip;

const TOL = 2e-5;
let seed = 1000;
const rand = (shape: number[], scale = 1) => tf.tensor(seededFloats(seed++, shape.reduce((a, b) => a * b, 1), scale), shape);

/** Runs `build` on cpu and native (same seeded inputs) and checks the outputs agree. */
async function expectSame(build: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<BackendResult[]> {
  const start = seed;
  const cpu = await runOn('cpu', build);
  seed = start;
  const native = await runOn('native', build);
  expect(native.length).toBe(cpu.length);
  cpu.forEach((expected, i) => {
    const diff = relativeMaxDiff(expected, native[i]);
    if (!(diff <= tol)) {
      throw new Error(`output ${i}: cpu ${expected.shape} vs native ${native[i].shape}, relative diff ${diff}`);
    }
  });
  return native;
}

function nativeCalls(name: string): { calls: number; cpu: number } {
  return { calls: kernelCounts.calls.get(name) ?? 0, cpu: kernelCounts.cpu.get(name) ?? 0 };
}

/** Asserts that `fn` ran kernel `name` natively (not through the CPU fallback) at least once. */
async function expectNativePath(name: string, fn: () => Promise<unknown>): Promise<void> {
  const before = nativeCalls(name);
  await fn();
  const after = nativeCalls(name);
  expect(after.calls - before.calls - (after.cpu - before.cpu)).toBeGreaterThan(0);
}

describeNative('native kernels match tfjs-backend-cpu', () => {
  beforeAll(() => {
    expect(registerNativeBackend({ threads: 2 })).toBe('native');
  });

  describe('BatchMatMul', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[1, 1], [1, 1], false, false],
      [[7, 13], [13, 5], false, false],
      [[13, 7], [13, 5], true, false],
      [[7, 13], [5, 13], false, true],
      [[13, 7], [5, 13], true, true],
      [[33, 65], [65, 17], false, false],
      [[1, 64], [64, 1], false, false],
      [[4, 5, 6], [4, 6, 7], false, false],
      [[4, 6, 5], [4, 7, 6], true, true],
      [[4, 5, 6], [6, 7], false, false], // collapsed into one GEMM
      [[4, 6, 5], [6, 7], true, false],
      [[5, 6], [4, 6, 7], false, false], // a broadcast over b's batch
      [[2, 3, 5, 6], [2, 3, 7, 6], false, true],
      [[2, 3, 5, 6], [1, 6, 7], false, false],
      [[0, 5], [5, 3], false, false],
      [[3, 0], [0, 4], false, false], // empty inner dim: zeros
    ];
    it.each(cases)('%j x %j (transposeA=%s, transposeB=%s)', async (aShape, bShape, ta, tb) => {
      await expectNativePath(tf.BatchMatMul, () => expectSame(() => tf.matMul(rand(aShape), rand(bShape), ta, tb)));
    });

    it('broadcasts batch dims on both sides like the reference semantics', async () => {
      // [2,1] x [3] batch dims broadcast to [2,3]. tfjs-backend-cpu indexes batches modulo
      // their count (wrong here), so the reference is the CPU product of explicitly
      // broadcast operands.
      const a = seededFloats(1, 2 * 1 * 5 * 6);
      const b = seededFloats(2, 3 * 6 * 7);
      const cpu = await runOn('cpu', () =>
        tf.matMul(tf.broadcastTo(tf.tensor(a, [2, 1, 5, 6]), [2, 3, 5, 6]), tf.broadcastTo(tf.tensor(b, [3, 6, 7]), [2, 3, 6, 7])),
      );
      const native = await runOn('native', () => tf.matMul(tf.tensor(a, [2, 1, 5, 6]), tf.tensor(b, [3, 6, 7])));
      expect(relativeMaxDiff(cpu[0], native[0])).toBeLessThan(TOL);
    });

    it('falls back to the CPU kernel for int32 and keeps its dtype', async () => {
      const before = nativeCalls(tf.BatchMatMul);
      const out = await expectSame(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor2d([[5], [6]], undefined, 'int32')));
      expect(out[0].dtype).toBe('int32');
      expect(Array.from(out[0].values)).toEqual([17, 39]);
      expect(nativeCalls(tf.BatchMatMul).cpu).toBe(before.cpu + 1);
    });

    it('rejects mismatched inner dims with the CPU kernel message', async () => {
      await tf.setBackend('native');
      expect(() => tf.tidy(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 5])))).toThrow(/inner shapes \(3\) and \(4\)/);
    });
  });

  describe('_FusedMatMul', () => {
    const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
    it.each(activations)('activation %s with a per-column bias (fused epilogue)', async (activation) => {
      await expectNativePath(tf._FusedMatMul, () =>
        expectSame(() =>
          tf.fused.matMul({
            a: rand([9, 12], 2),
            b: rand([12, 11]),
            bias: rand([11]),
            activation,
            preluActivationWeights: activation === 'prelu' ? rand([11]) : undefined,
            leakyreluAlpha: 0.13,
          }),
        ),
      );
    });

    const shapes: [number[], number[], boolean, boolean, number[] | null][] = [
      [[9, 12], [11, 12], false, true, [1]],
      [[12, 9], [12, 11], true, false, [1, 11]],
      [[12, 9], [11, 12], true, true, null],
      [[3, 9, 12], [12, 11], false, false, [11]],
      [[3, 9, 12], [3, 12, 11], false, false, [9, 11]], // full bias: unfused add
      [[2, 3, 9, 12], [1, 12, 11], false, false, [9, 1]], // row bias: unfused add
      [[1, 1], [1, 1], false, false, [1]],
    ];
    it.each(shapes)('%j x %j (tA=%s, tB=%s) bias %j, relu', async (aShape, bShape, ta, tb, biasShape) => {
      await expectSame(() =>
        tf.fused.matMul({ a: rand(aShape), b: rand(bShape), transposeA: ta, transposeB: tb, bias: biasShape ? rand(biasShape) : undefined, activation: 'relu' }),
      );
    });

    it('prelu weights of a full output shape go through the CPU Prelu kernel', async () => {
      await expectSame(() =>
        tf.fused.matMul({ a: rand([6, 5]), b: rand([5, 4]), bias: rand([4]), activation: 'prelu', preluActivationWeights: rand([6, 4]) }),
      );
    });
  });

  describe('Conv2D / FusedConv2D', () => {
    type ConvCase = {
      x: number[];
      f: number[];
      strides: number | [number, number];
      pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
      dilations?: number | [number, number];
      rounding?: 'floor' | 'round' | 'ceil';
    };
    const cases: ConvCase[] = [
      { x: [1, 1, 1, 1], f: [1, 1, 1, 1], strides: 1, pad: 'valid' },
      { x: [1, 5, 5, 1], f: [3, 3, 1, 1], strides: 1, pad: 'valid' },
      { x: [2, 9, 11, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same', dilations: [1, 2] },
      { x: [2, 9, 11, 3], f: [3, 3, 3, 5], strides: 1, pad: 'valid', dilations: 2 },
      { x: [2, 9, 11, 3], f: [3, 2, 3, 4], strides: [2, 3], pad: 'same' },
      { x: [3, 8, 7, 2], f: [1, 1, 2, 6], strides: 1, pad: 'valid' },
      { x: [2, 8, 7, 2], f: [1, 1, 2, 6], strides: 2, pad: 'valid' },
      { x: [1, 10, 10, 4], f: [5, 5, 4, 3], strides: [2, 2], pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
      { x: [2, 6, 6, 3], f: [3, 3, 3, 2], strides: 1, pad: 1 },
      { x: [2, 7, 6, 3], f: [3, 3, 3, 2], strides: 2, pad: 1, rounding: 'ceil' },
      { x: [1, 3, 3, 2], f: [5, 5, 2, 2], strides: 1, pad: 'same' },
      { x: [4, 12, 12, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same' },
    ];
    it.each(cases)('conv2d %j', async (c) => {
      await expectNativePath(tf.Conv2D, () =>
        expectSame(() =>
          tf.conv2d(rand(c.x) as tf.Tensor4D, rand(c.f) as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations ?? 1, c.rounding),
        ),
      );
    });

    it('NCHW goes to the CPU kernel and still matches', async () => {
      const before = nativeCalls(tf.Conv2D);
      await expectSame(() => tf.conv2d(rand([2, 3, 7, 6]) as tf.Tensor4D, rand([3, 3, 3, 4]) as tf.Tensor4D, 1, 'same', 'NCHW'));
      expect(nativeCalls(tf.Conv2D).cpu).toBe(before.cpu + 1);
    });

    const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
    it.each(activations)('fused conv2d, bias + %s', async (activation) => {
      await expectNativePath(tf.FusedConv2D, () =>
        expectSame(() =>
          tf.fused.conv2d({
            x: rand([2, 7, 8, 3]) as tf.Tensor4D,
            filter: rand([3, 3, 3, 5]) as tf.Tensor4D,
            strides: [1, 2],
            pad: 'same',
            bias: rand([5]),
            activation,
            preluActivationWeights: activation === 'prelu' ? rand([5]) : undefined,
            leakyreluAlpha: 0.07,
          }),
        ),
      );
    });

    it('fused conv2d with a full-shape bias and no activation (unfused add)', async () => {
      await expectSame(() =>
        tf.fused.conv2d({ x: rand([1, 5, 5, 2]) as tf.Tensor4D, filter: rand([3, 3, 2, 3]) as tf.Tensor4D, strides: 1, pad: 'valid', bias: rand([1, 3, 3, 3]) }),
      );
    });
  });

  describe('Conv2DBackpropInput / Conv2DBackpropFilter', () => {
    type GradCase = { x: number[]; f: number[]; strides: number | [number, number]; pad: 'same' | 'valid' | number };
    const cases: GradCase[] = [
      { x: [1, 1, 1, 1], f: [1, 1, 1, 1], strides: 1, pad: 'valid' },
      { x: [2, 9, 11, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
      { x: [2, 9, 11, 3], f: [3, 2, 3, 4], strides: [2, 3], pad: 'same' },
      { x: [2, 10, 9, 2], f: [4, 3, 2, 3], strides: 2, pad: 'valid' },
      { x: [3, 8, 7, 2], f: [1, 1, 2, 6], strides: 1, pad: 'valid' },
      { x: [2, 6, 6, 3], f: [3, 3, 3, 2], strides: 1, pad: 2 },
      { x: [1, 3, 3, 2], f: [5, 5, 2, 2], strides: 2, pad: 'same' },
    ];
    it.each(cases)('gradients of conv2d %j', async (c) => {
      const [b, h, w] = c.x;
      await expectNativePath(tf.Conv2DBackpropFilter, () =>
        expectNativePath(tf.Conv2DBackpropInput, () =>
          expectSame(() => {
            const x = rand(c.x) as tf.Tensor4D;
            const f = rand(c.f) as tf.Tensor4D;
            const outShape = tf.conv2d(x, f, c.strides, c.pad).shape;
            const weights = rand(outShape);
            expect(outShape[0]).toBe(b);
            expect(h * w).toBeGreaterThan(0);
            const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.strides, c.pad).mul(weights).sum());
            return g([x, f]);
          }),
        ),
      );
    });

    it('conv2dTranspose (Conv2DBackpropInput as an op)', async () => {
      await expectSame(() =>
        tf.conv2dTranspose(rand([2, 4, 5, 6]) as tf.Tensor4D, rand([3, 3, 2, 6]) as tf.Tensor4D, [2, 8, 10, 2], 2, 'same'),
      );
    });
  });

  describe('elementwise binary ops (broadcasting)', () => {
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      [tf.Add, tf.add],
      [tf.Sub, tf.sub],
      [tf.Multiply, tf.mul],
      [tf.RealDiv, tf.div],
      [tf.Maximum, tf.maximum],
      [tf.Minimum, tf.minimum],
      [tf.SquaredDifference, tf.squaredDifference],
    ];
    const shapes: [number[], number[]][] = [
      [[7, 5], [7, 5]],
      [[7, 5], []],
      [[], [3, 4]],
      [[6, 5], [5]],
      [[6, 1], [1, 5]],
      [[2, 3, 4, 5], [3, 1, 5]],
      [[2, 1, 4, 1], [1, 3, 1, 6]],
      [[1], [1]],
      [[0, 3], [3]],
    ];
    it.each(ops)('%s over broadcast shapes', async (name, fn) => {
      for (const [aShape, bShape] of shapes) {
        await expectNativePath(name, () => expectSame(() => fn(rand(aShape), rand(bShape)), 1e-6));
      }
    });

    it('propagates NaN like the JS kernels and falls back for int32', async () => {
      await expectSame(() => [
        tf.maximum(tf.tensor1d([NaN, 1, -2]), tf.tensor1d([0, NaN, -3])),
        tf.minimum(tf.tensor1d([NaN, 1, -2]), tf.scalar(0)),
        tf.div(tf.tensor1d([1, 0, -1]), tf.scalar(0)),
        tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32')),
      ]);
    });
  });

  describe('elementwise unary ops', () => {
    const ops: [string, (x: tf.Tensor) => tf.Tensor][] = [
      [tf.Neg, tf.neg],
      [tf.Exp, tf.exp],
      [tf.Log, (x) => tf.log(tf.abs(x))],
      [tf.Sqrt, (x) => tf.sqrt(tf.abs(x))],
      [tf.Rsqrt, (x) => tf.rsqrt(tf.abs(x))],
      [tf.Square, tf.square],
      [tf.Abs, tf.abs],
      [tf.Relu, tf.relu],
      [tf.Relu6, (x) => tf.relu6(x.mul(5))],
      [tf.Sigmoid, tf.sigmoid],
      [tf.Tanh, tf.tanh],
      [tf.Step, (x) => tf.step(x, 0.25)],
      [tf.Reciprocal, tf.reciprocal],
      [tf.Elu, tf.elu],
      [tf.LeakyRelu, (x) => tf.leakyRelu(x, 0.3)],
    ];
    it.each(ops)('%s', async (name, fn) => {
      await expectNativePath(name, () => expectSame(() => [fn(rand([13, 7], 2)), fn(tf.tensor1d([0, -0, NaN, Infinity, -Infinity, 1e-30]))], 1e-6));
    });
  });

  describe('reductions and transpose', () => {
    const cases: [number[], number | number[] | undefined, boolean][] = [
      [[6, 5], 0, false],
      [[6, 5], 1, true],
      [[6, 5], undefined, false],
      [[4, 3, 5, 2], [0, 1, 2], false],
      [[4, 3, 5, 2], [1, 2], true],
      [[4, 1, 5, 2], [0, 2], false], // contiguous once the size-1 dim is ignored
      [[4, 3, 5, 2], [0, 2], false], // not contiguous: CPU kernel
      [[7], -1, false],
    ];
    it.each(cases)('Sum / Mean / Max / Min of %j over %j (keepDims %s)', async (shape, axis, keepDims) => {
      await expectSame(() => [
        tf.sum(rand(shape), axis, keepDims),
        tf.mean(rand(shape), axis, keepDims),
        tf.max(rand(shape), axis, keepDims),
        tf.min(rand(shape), axis, keepDims),
      ]);
    });

    it('Sum over the batch axes runs natively', async () => {
      await expectNativePath(tf.Sum, () => expectSame(() => tf.sum(rand([8, 6, 6, 4]), [0, 1, 2])));
    });

    it.each([
      [[2, 3], [1, 0]],
      [[2, 3, 4, 5], [0, 2, 1, 3]],
      [[2, 3, 4, 5], [3, 2, 1, 0]],
      [[2, 1, 4, 1], [3, 2, 0, 1]],
      [[1, 1], [1, 0]],
      [[3, 4, 5], [0, 1, 2]],
    ])('Transpose %j by %j', async (shape, perm) => {
      await expectNativePath(tf.Transpose, () => expectSame(() => tf.transpose(rand(shape), perm), 0));
    });
  });

  describe('gathers, scatters and segment sums', () => {
    // Seeded int32 indices in [lo, hi).
    const ints = (n: number, lo: number, hi: number, shape: number[] = [n]) =>
      tf.tensor(Array.from(seededFloats(seed++, n), (v) => lo + Math.min(hi - lo - 1, Math.floor(Math.abs(v) * 997) % (hi - lo))), shape, 'int32');

    it.each([
      [[7, 5], 0, [4], 0],
      [[7, 5], 1, [3, 2], 0],
      [[3, 4, 5], -1, [6], 0],
      [[3, 4, 5], 1, [1], 0],
      [[4, 6, 3], 1, [4, 5], 1], // batch dims
      [[1], 0, [1], 0],
      [[6, 2], 0, [0], 0],
    ])('GatherV2 of %j along %s with indices %j (batchDims %s)', async (xShape, axis, idxShape, batchDims) => {
      const dim = xShape[axis < 0 ? xShape.length + axis : axis];
      await expectNativePath(tf.GatherV2, () =>
        expectSame(() => tf.gather(rand(xShape), ints(idxShape.reduce((a, b) => a * b, 1), 0, dim, idxShape), axis, batchDims), 0),
      );
    });

    it.each([
      [[9, 4], [5, 1]],
      [[9, 4], [3, 2, 1]],
      [[5, 3, 4], [6, 2]],
      [[5, 3, 2], [2, 3]],
      [[4, 1], [4, 1]],
    ])('GatherNd of %j with indices %j', async (pShape, idxShape) => {
      const rank = idxShape[idxShape.length - 1];
      const n = idxShape.reduce((a, b) => a * b, 1) / rank;
      const idx = () => {
        const rows: number[][] = [];
        for (let i = 0; i < n; i++) rows.push(pShape.slice(0, rank).map((d, j) => (i * 7 + j * 3) % d));
        return tf.tensor(rows.flat(), idxShape, 'int32');
      };
      await expectNativePath(tf.GatherNd, () => expectSame(() => tf.gatherND(rand(pShape), idx()), 0));
    });

    it.each([
      [[6, 1], [6, 4], [8, 4]], // duplicate rows summed
      [[5, 2], [5, 3], [3, 4, 3]],
      [[3, 1], [3], [5]],
      [[1, 1], [1, 2], [1, 2]],
    ])('ScatterNd indices %j updates %j into %j (duplicates summed, identical bits)', async (idxShape, updShape, shape) => {
      const rank = idxShape[idxShape.length - 1];
      const n = idxShape[0];
      const idx = () => tf.tensor(Array.from({ length: n * rank }, (_, i) => (i * 5 + 1) % shape[i % rank] % shape[i % rank]), idxShape, 'int32');
      await expectNativePath(tf.ScatterNd, () => expectSame(() => tf.scatterND(idx(), rand(updShape), shape), 0));
    });

    it.each([
      [[10, 3], 4],
      [[10], 3],
      [[8, 2, 3], 5],
      [[1, 1], 1],
    ])('UnsortedSegmentSum of %j into %s segments', async (xShape, numSegments) => {
      await expectNativePath(tf.UnsortedSegmentSum, () =>
        expectSame(() => tf.unsortedSegmentSum(rand(xShape), ints(xShape[0], 0, numSegments) as tf.Tensor1D, numSegments)),
      );
    });

    it('errors on out-of-range indices like the CPU kernels', async () => {
      await tf.setBackend('native');
      expect(() => tf.tidy(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32')).dataSync())).toThrow('GatherV2: the index value 3 is not in [0, 2]');
      expect(() => tf.tidy(() => tf.gatherND(tf.ones([3, 2]), tf.tensor2d([[5]], [1, 1], 'int32')).dataSync())).toThrow(/Invalid indices: 5 does not index into 3,2/);
      expect(() => tf.tidy(() => tf.scatterND(tf.tensor2d([[4]], [1, 1], 'int32'), tf.ones([1, 2]), [3, 2]).dataSync())).toThrow(/does not index into 3,2/);
    });

    it('the gradient of gather (an UnsortedSegmentSum) matches the CPU backend', async () => {
      await expectSame(() => {
        const x = rand([6, 4]);
        const idx = tf.tensor1d([0, 5, 5, 2, 0], 'int32');
        const w = rand([5, 4]);
        const gGather = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(x);
        return [gGather];
      });
    });
  });

  it('leaks no tensors or backend data (fused fallbacks dispose their intermediates)', async () => {
    await tf.setBackend('native');
    const run = () =>
      tf.tidy(() => {
        const a = rand([6, 5]);
        const b = rand([5, 4]);
        tf.fused.matMul({ a, b, bias: rand([6, 4]), activation: 'prelu', preluActivationWeights: rand([6, 4]) });
        tf.fused.conv2d({ x: rand([1, 5, 5, 2]) as tf.Tensor4D, filter: rand([3, 3, 2, 3]) as tf.Tensor4D, strides: 1, pad: 'valid', bias: rand([1, 3, 3, 3]), activation: 'relu' });
        tf.sum(tf.transpose(tf.softmax(rand([4, 3, 2])), [2, 0, 1]), [0, 2]);
      });
    run();
    const before = tf.memory();
    run();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
  });

  it('is deterministic: repeated runs give identical bits (outputs are fully written)', async () => {
    const build = () => {
      seed = 4242;
      const x = rand([4, 16, 16, 8]);
      const y = tf.conv2d(x as tf.Tensor4D, rand([3, 3, 8, 16]) as tf.Tensor4D, 2, 'same');
      const z = tf.matMul(y.reshape([4 * 64, 16]), rand([16, 40]));
      return [y, z, tf.relu(z.add(rand([40]))), tf.sum(z, 0), tf.transpose(y, [0, 3, 1, 2]), tf.softmax(z)];
    };
    const first = await runOn('native', build);
    const second = await runOn('native', build);
    first.forEach((r, i) => expect(Buffer.from(second[i].values.buffer).equals(Buffer.from(r.values.buffer))).toBe(true));
  });

  describe('Softmax', () => {
    it.each([[[1, 1]], [[5, 7]], [[2, 3, 129]], [[4]]])('shape %j', async (shape) => {
      await expectNativePath(tf.Softmax, () => expectSame(() => tf.softmax(rand(shape, 3))));
    });

    it('is stable for large logits', async () => {
      const out = await expectSame(() => tf.softmax(tf.tensor2d([[1000, 999, -1000], [-5e4, -5e4, -5e4]])));
      expect(out[0].values[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
      expect(out[0].values[5]).toBeCloseTo(1 / 3, 6);
    });
  });
});

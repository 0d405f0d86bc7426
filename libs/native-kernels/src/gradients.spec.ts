import * as tf from '@tensorflow/tfjs';

import { nativeKernelsStatus, registerNativeBackend } from './index';
import { type BackendResult, kernelCounts, relativeMaxDiff, runOn, seededFloats } from './testing';

// Gradients through the native kernels equal the cpu backend's: a small model with conv,
// dense, attention (batched matmul + softmax) and the usual elementwise ops, differentiated
// with tf.variableGrads; and one training step of a tfjs-layers model.
const status = nativeKernelsStatus();
const describeNative = status.available ? describe : describe.skip;

const B = 4;
const IMG = 8;
const T = 6;
const D = 8;

interface Params {
  conv1: tf.Variable;
  conv1b: tf.Variable;
  conv2: tf.Variable;
  wq: tf.Variable;
  wk: tf.Variable;
  wv: tf.Variable;
  dense: tf.Variable;
  denseb: tf.Variable;
}

function makeParams(): Params {
  let seed = 1;
  const v = (shape: number[], scale: number) => tf.variable(tf.tensor(seededFloats(seed++, shape.reduce((a, b) => a * b, 1), scale), shape));
  return {
    conv1: v([3, 3, 3, 4], 0.3),
    conv1b: v([4], 0.1),
    conv2: v([3, 3, 4, D], 0.3),
    wq: v([D, D], 0.4),
    wk: v([D, D], 0.4),
    wv: v([D, D], 0.4),
    dense: v([D, 5], 0.4),
    denseb: v([5], 0.1),
  };
}

/** conv -> relu -> strided conv -> tokens -> one attention head -> mean pool -> dense -> CE. */
function loss(p: Params, x: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar {
  const h1 = tf.relu(tf.conv2d(x, p.conv1 as tf.Tensor4D, 1, 'same').add(p.conv1b));
  const h2 = tf.elu(tf.conv2d(h1 as tf.Tensor4D, p.conv2 as tf.Tensor4D, [2, 1], 'valid'));
  const tokens = h2.reshape([B, -1, D]).slice([0, 0, 0], [B, T, D]);
  // Projections as 2-D products: tfjs's BatchMatMul gradient does not reduce broadcast batch
  // dims (a tfjs limitation on every backend).
  const flat = tokens.reshape([B * T, D]);
  const q = tf.matMul(flat, p.wq).reshape([B, T, D]);
  const k = tf.matMul(flat, p.wk).reshape([B, T, D]);
  const v = tf.matMul(flat, p.wv).reshape([B, T, D]);
  const att = tf.softmax(tf.matMul(q, k, false, true).div(Math.sqrt(D)));
  const ctx = tf.matMul(att, v).add(tokens).mean(1);
  const logits = tf.fused.matMul({ a: ctx as tf.Tensor2D, b: p.dense as tf.Tensor2D, bias: p.denseb });
  return tf.losses.softmaxCrossEntropy(labels, tf.sigmoid(logits).mul(4)) as tf.Scalar;
}

async function gradsOn(backend: string): Promise<BackendResult[]> {
  return runOn(backend, () => {
    const params = makeParams();
    const x = tf.tensor(seededFloats(99, B * IMG * IMG * 3), [B, IMG, IMG, 3]) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5).toFloat() as tf.Tensor2D;
    const { value, grads } = tf.variableGrads(() => loss(params, x, labels));
    const names = Object.keys(params) as (keyof Params)[];
    const out = [value, ...names.map((n) => grads[params[n].name])];
    Object.values(params).forEach((v) => v.dispose());
    return out;
  });
}

describeNative('gradients through the native kernels', () => {
  beforeAll(() => {
    registerNativeBackend({ threads: 2 });
  });

  it('variableGrads of a conv + attention model match the cpu backend', async () => {
    const cpu = await gradsOn('cpu');
    const watched = [tf.Conv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.BatchMatMul, tf._FusedMatMul, tf.Softmax, tf.Sum];
    const count = () => watched.map((k) => (kernelCounts.calls.get(k) ?? 0) - (kernelCounts.cpu.get(k) ?? 0));
    const before = count();
    const native = await gradsOn('native');
    // Each of these kernels ran natively (not through a CPU fallback) in the backward pass.
    count().forEach((n, i) => expect({ kernel: watched[i], native: n - before[i] > 0 }).toEqual({ kernel: watched[i], native: true }));
    expect(native).toHaveLength(9);
    cpu.forEach((expected, i) => {
      expect(native[i].shape).toEqual(expected.shape);
      expect(relativeMaxDiff(expected, native[i])).toBeLessThan(1e-4);
    });
    // The gradients are not trivially zero.
    expect(Math.max(...Array.from(native[1].values, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('one tfjs-layers training step (Conv2D, Dense, Adam) gives the same weights', async () => {
    const stepOn = async (backend: string): Promise<BackendResult[]> => {
      await tf.setBackend(backend);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 6, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const x = tf.tensor(seededFloats(7, 5 * 8 * 8 * 2), [5, 8, 8, 2]);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3).toFloat();
      for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
      const weights = model.getWeights().map((w) => ({ shape: w.shape.slice(), dtype: w.dtype, values: w.dataSync().slice() as Float32Array }));
      tf.dispose([x, y]);
      model.dispose();
      return weights;
    };
    const cpu = await stepOn('cpu');
    const native = await stepOn('native');
    expect(native).toHaveLength(cpu.length);
    cpu.forEach((expected, i) => expect(relativeMaxDiff(expected, native[i])).toBeLessThan(1e-4));
  });
});

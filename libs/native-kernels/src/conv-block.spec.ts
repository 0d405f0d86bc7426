import * as tf from '@tensorflow/tfjs';

import { CONV_BIAS_RELU, convBiasRelu, nativeKernelsStatus, registerNativeBackend, setNativeDnnl } from './index';
import { kernelCounts, requireAddon, seededFloats } from './testing';

// The fused conv block: value and gradients equal relu(conv2d + bias) on tfjs's CPU backend.
const status = nativeKernelsStatus();
const describeNative = status.available ? describe : describe.skip;

type Case = { x: number[]; f: number[]; strides: number | [number, number]; pad: 'same' | 'valid' };
const CASES: Case[] = [
  { x: [6, 32, 32, 3], f: [3, 3, 3, 16], strides: 2, pad: 'same' },
  { x: [4, 9, 7, 5], f: [3, 3, 5, 6], strides: 1, pad: 'same' },
  { x: [3, 10, 9, 4], f: [3, 2, 4, 5], strides: [2, 3], pad: 'valid' },
];

function gradsOf(backend: string, c: Case, seed: number): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(seededFloats(seed, c.x.reduce((a, b) => a * b)), c.x as [number, number, number, number]);
    const w = tf.tensor4d(seededFloats(seed + 1, c.f.reduce((a, b) => a * b), 0.4), c.f as [number, number, number, number]);
    const b = tf.tensor1d(seededFloats(seed + 2, c.f[3], 0.3));
    const up = tf.tensor4d(seededFloats(seed + 3, tf.conv2d(x, w, c.strides, c.pad).size), tf.conv2d(x, w, c.strides, c.pad).shape);
    const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(convBiasRelu(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D, c.strides, c.pad), up));
    const { value, grads } = tf.valueAndGrads(f)([x, w, b]);
    return [value, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-30;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return a.length === b.length ? d / scale : Infinity;
}

describeNative('convBiasRelu (one native op per conv block)', () => {
  beforeAll(() => {
    expect(registerNativeBackend({ threads: 1 })).toBe('native');
  });
  afterAll(() => {
    setNativeDnnl(true);
  });

  it.each(CASES.map((c) => [JSON.stringify(c), c] as const))('value and gradients of x, filter and bias match the cpu backend: %s', (_, c) => {
    const cpu = gradsOf('cpu', c, 7);
    for (const dnnl of [true, false]) {
      setNativeDnnl(dnnl);
      const before = kernelCounts.calls.get(CONV_BIAS_RELU) ?? 0;
      const native = gradsOf('native', c, 7);
      expect(kernelCounts.calls.get(CONV_BIAS_RELU) ?? 0).toBeGreaterThan(before);
      expect(native.length).toBe(4);
      native.forEach((v, i) => expect(relDiff(cpu[i], v)).toBeLessThanOrEqual(2e-5));
    }
  });

  it('reluBiasGrad: mask and column sums in one pass; wrong lengths and aliasing throw', () => {
    const a = requireAddon();
    const y = new Float32Array([1, 0, 2, -0, 3, 0.5]);
    const dy = new Float32Array([10, 20, 30, 40, 50, 60]);
    const masked = new Float32Array(6);
    const db = new Float32Array(3);
    a.reluBiasGrad!(y, dy, masked, db, 2, 3);
    expect(Array.from(masked)).toEqual([10, 0, 30, 0, 50, 60]);
    expect(Array.from(db)).toEqual([10, 50, 90]);
    expect(() => a.reluBiasGrad!(y, dy, new Float32Array(5), db, 2, 3)).toThrow(/reluBiasGrad: dyMasked has length 5, expected 6/);
    expect(() => a.reluBiasGrad!(y, dy, masked, new Float32Array(2), 2, 3)).toThrow(/db has length 2, expected 3/);
    expect(() => a.reluBiasGrad!(y, dy, dy, db, 2, 3)).toThrow(/reluBiasGrad/);
  });

  it('leaks no tensors over training steps, and falls back to relu(add(conv2d)) on other backends', () => {
    tf.setBackend('native');
    const c = CASES[0];
    gradsOf('native', c, 3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) gradsOf('native', c, 3);
    tf.setBackend('native');
    expect(tf.memory().numTensors).toBe(before);
    tf.setBackend('cpu');
    const calls = kernelCounts.calls.get(CONV_BIAS_RELU) ?? 0;
    gradsOf('cpu', c, 3);
    expect(kernelCounts.calls.get(CONV_BIAS_RELU) ?? 0).toBe(calls);
  });
});

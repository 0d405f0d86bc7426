import * as tf from '@tensorflow/tfjs';

import type { CourierBlasAddon } from './addon';
import { CONV_BIAS_RELU } from './kernels';

/**
 * relu(conv2d(x, filter) + bias) as one op (NHWC, no dilation). On the `native` backend it is a
 * single kernel (oneDNN convolution with the bias and the ReLU fused, or im2col + sgemm with the
 * same epilogue) whose gradient makes one pass for the ReLU mask and the bias gradient and then
 * runs the two convolution gradients: per block and step five full passes over the activation
 * fewer than `relu(add(conv2d))` (tfjs runs `tf.fused.conv2d` unfused under a gradient tape).
 * On any other backend it is exactly `tf.relu(tf.add(tf.conv2d(x, filter, strides, pad), bias))`.
 */
export function convBiasRelu(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  strides: number | [number, number],
  pad: 'same' | 'valid',
): tf.Tensor4D {
  if (tf.getKernel(CONV_BIAS_RELU, tf.getBackend()) && tf.getGradient(CONV_BIAS_RELU) && x.dtype === 'float32' && filter.dtype === 'float32' && bias.dtype === 'float32' && bias.size === filter.shape[3]) {
    return tf.engine().runKernel(CONV_BIAS_RELU, { x, filter, bias }, { strides, pad }) as tf.Tensor4D;
  }
  return tf.tidy(() => tf.relu(tf.add(tf.conv2d(x, filter, strides, pad), bias)) as tf.Tensor4D);
}

/** Registers the gradient of the fused conv block (once; needs an addon with reluBiasGrad). */
export function registerConvBlockGradient(addon: CourierBlasAddon): void {
  if (!addon.reluBiasGrad || tf.getGradient(CONV_BIAS_RELU)) return;
  const reluBiasGrad = addon.reluBiasGrad.bind(addon);
  tf.registerGradient({
    kernelName: CONV_BIAS_RELU,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const g = dy as tf.Tensor4D;
      const { strides, pad } = attrs as unknown as { strides: number | [number, number]; pad: 'same' | 'valid' };
      // The mask and the bias gradient are computed once, in plain arrays (no tensor to keep
      // alive across the three closures), whichever closure the tape calls first.
      let cache: { masked: Float32Array; db: Float32Array } | null = null;
      const masked = () => {
        if (!cache) {
          const yv = y.dataSync() as Float32Array;
          const dyv = g.dataSync() as Float32Array;
          const cols = y.shape[3];
          cache = { masked: new Float32Array(yv.length), db: new Float32Array(cols) };
          reluBiasGrad(yv, dyv, cache.masked, cache.db, yv.length / Math.max(1, cols), cols);
        }
        return cache;
      };
      const conv = { strides, pad, dataFormat: 'NHWC' } as const;
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: tf.tensor4d(masked().masked, y.shape), filter }, { ...conv, inputShape: x.shape }) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: tf.tensor4d(masked().masked, y.shape) }, { ...conv, filterShape: filter.shape }) as tf.Tensor,
        bias: () => tf.tensor1d(masked().db),
      };
    },
  });
}

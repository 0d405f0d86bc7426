import * as tf from '@tensorflow/tfjs';
import { zeros } from './init';
import type { VariableStore } from './store';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** A dense layer's parameters: kernel [in, out], bias [out] or none. */
export interface DenseParams {
  w: tf.Tensor2D | tf.Variable;
  b: tf.Tensor1D | tf.Variable | null;
}

/** x W + b, then the activation. [n, in] -> [n, out] */
export function dense(x: tf.Tensor2D, layer: DenseParams, activation: 'linear' | 'relu' = 'linear'): tf.Tensor2D {
  const z = tf.matMul(x, layer.w as tf.Tensor2D);
  const y = (layer.b ? tf.add(z, layer.b) : z) as tf.Tensor2D;
  return activation === 'relu' ? tf.relu(y) : y;
}

export interface DenseInit {
  /** Kernel values for [fanIn, fanOut], e.g. `(s) => glorotUniform(s, random)`; drawn first. */
  kernel: (shape: [number, number]) => Float32Array;
  /** Bias values for [fanOut] (default zeros); null for no bias. */
  bias?: ((shape: [number]) => Float32Array) | null;
  /** Variable names under `name/` (default 'kernel' and 'bias'). */
  names?: { kernel: string; bias: string };
}

/** Adds a dense layer's variables `name/kernel` [fanIn, fanOut] and `name/bias` [fanOut] to a store. */
export function addDense(store: VariableStore, name: string, fanIn: number, fanOut: number, init: DenseInit): { w: tf.Variable; b: tf.Variable | null } {
  const names = init.names ?? { kernel: 'kernel', bias: 'bias' };
  const w = store.add(`${name}/${names.kernel}`, init.kernel([fanIn, fanOut]), [fanIn, fanOut]);
  if (init.bias === null) return { w, b: null };
  const b = store.add(`${name}/${names.bias}`, init.bias ? init.bias([fanOut]) : zeros([fanOut]), [fanOut]);
  return { w, b };
}

export interface L2NormalizeOptions {
  /**
   * 'closed-form' (default): one custom-gradient op, dx = (dy - y (dy . y)) / max(|x|, 1e-12),
   * a few whole-tensor kernels each way. 'autodiff': tfjs differentiates the composition (the
   * COURIER loss and backbones' numbers, which the golden tests pin). Same forward values.
   */
  gradient?: 'closed-form' | 'autodiff';
}

/**
 * Rows scaled to unit L2 norm, y = x / max(|x|, 1e-12) (torch's F.normalize). [n, d] -> [n, d].
 * An all-zero row stays zero; its closed-form gradient is dy / 1e-12 (autodiff gives NaN there).
 */
export function l2NormalizeRows(x: tf.Tensor2D, options: L2NormalizeOptions = {}): tf.Tensor2D {
  const unit = (t: tf.Tensor2D) => {
    const den = tf.maximum(tf.sqrt(tf.sum(tf.square(t), 1, true)), 1e-12);
    return { y: tf.div(t, den) as tf.Tensor2D, den };
  };
  if (options.gradient === 'autodiff') return unit(x).y;
  const op = tf.customGrad(((xx: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const { y, den } = unit(xx);
    save([y, den]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [yy, dd] = saved;
        return tf.div(tf.sub(dy, tf.mul(yy, tf.sum(tf.mul(dy, yy), 1, true))), dd);
      },
    };
  }) as unknown as CustomGradFn);
  return op(x) as tf.Tensor2D;
}

import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@courier/runtime';
import { conv3x3Im2col, stride2 } from './cnn';

describe('cnn strided block', () => {
  beforeAll(async () => {
    await initBackend({ log: () => undefined });
  });

  it('the im2col fallback (backends without conv gradients) equals conv2d stride 2 "same"', () => {
    for (const shape of [[2, 8, 8, 3], [1, 7, 6, 2]] as [number, number, number, number][]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, shape[3], 4], 0, 1, 'float32', 2) as tf.Tensor4D;
      const ref = tf.conv2d(x, w, 2, 'same');
      const ours = stride2(conv3x3Im2col(x, w));
      expect(ours.shape).toEqual(ref.shape);
      const diff = tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0];
      expect(diff).toBeLessThan(1e-4);
      tf.dispose([x, w, ref, ours]);
    }
  });

  it('the fallback is differentiable: its filter gradient equals conv2d stride 2 "same"', async () => {
    // tfjs has no StridedSlice gradient; the fallback must not need one. The reference gradient
    // comes from the CPU backend when this one has no Conv2DBackpropFilter (wasm).
    const backend = tf.getBackend();
    for (const shape of [[2, 8, 8, 3], [1, 7, 6, 2]] as [number, number, number, number][]) {
      const make = () => ({ x: tf.randomNormal(shape, 0, 1, 'float32', 3) as tf.Tensor4D, w: tf.randomNormal([3, 3, shape[3], 4], 0, 1, 'float32', 4) as tf.Tensor4D });
      const refBackend = tf.getKernel('Conv2DBackpropFilter', backend) ? backend : 'cpu';
      await tf.setBackend(refBackend);
      const ref = tf.tidy(() => {
        const { x, w } = make();
        return tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, 2, 'same'))))(w).dataSync().slice();
      });
      await tf.setBackend(backend);
      const ours = tf.tidy(() => {
        const { x, w } = make();
        return tf.grad((f: tf.Tensor) => tf.sum(tf.square(stride2(conv3x3Im2col(x, f as tf.Tensor4D)))))(w).dataSync().slice();
      });
      const scale = Math.max(1, ...Array.from(ref, Math.abs));
      const diff = Math.max(...Array.from(ref, (r, i) => Math.abs(r - ours[i])));
      expect(diff / scale).toBeLessThan(1e-4);
    }
  });
});

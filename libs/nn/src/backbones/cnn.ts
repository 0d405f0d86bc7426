/**
 * Small CNN trained from scratch on pixels: per entry of `channels` a conv3x3 -> ReLU block that
 * halves the resolution, then global average pool and a linear head to d. `downsample: 'stride'`
 * (default) halves with a stride-2 convolution; `'maxpool'` uses conv stride 1 + 2x2 max-pool (the
 * classic block). Measured on the native backend (128x32x32x16 -> 32, forward + backward): the
 * strided block 0.15 s, conv + max-pool 4.2 s, because tfjs's CPU MaxPoolGrad runs per element
 * in JS. Input [n, S, S, 3] in [0, 1], centred to
 * [-1, 1]. On backends without a Conv2DBackpropFilter kernel (the WebAssembly backend) the
 * convolution runs as im2col + matMul, which every backend can differentiate.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { dense } from '../layers';
import { Backbone, BackboneEntry, BackboneInput, SeededVariableStore, checkInput, denseLayer, intListParam, l2Normalize } from './backbone';

/** 3x3 'same' convolution via 9 shifted slices and one matMul. x [n, H, W, C], w [3, 3, C, O]. */
export function conv3x3Im2col(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [n, h, wd, c] = x.shape;
  const o = w.shape[3];
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const cols: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) cols.push(tf.slice(padded, [0, dy, dx, 0], [n, h, wd, c]));
  const patches = tf.reshape(tf.concat(cols, 3), [n * h * wd, 9 * c]);
  // w is [ky, kx, C, O] row-major, which matches the (dy, dx, c) order of the patch columns.
  return tf.reshape(tf.matMul(patches, tf.reshape(w, [9 * c, o])), [n, h, wd, o]);
}

/**
 * Every second row and column, starting at 1 for even sizes (TF 'same' stride-2 alignment).
 * Built from pad, reshape and slice (rank <= 4) because tfjs has no gradient for StridedSlice
 * and this path exists for backends without conv gradients.
 */
export function stride2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const hp = h + (h % 2);
  const wp = w + (w % 2);
  const oy = h % 2 === 0 ? 1 : 0;
  const ox = w % 2 === 0 ? 1 : 0;
  const even = hp !== h || wp !== w ? tf.pad(x, [[0, 0], [0, hp - h], [0, wp - w], [0, 0]]) : x;
  const rows = tf.slice(tf.reshape(even, [n * (hp / 2), 2, wp, c]), [0, oy, 0, 0], [n * (hp / 2), 1, wp, c]);
  const cols = tf.slice(tf.reshape(rows, [n * (hp / 2), wp / 2, 2, c]), [0, 0, ox, 0], [n * (hp / 2), wp / 2, 1, c]);
  return tf.reshape(cols, [n, hp / 2, wp / 2, c]);
}

function convUsesNativeGrad(): boolean {
  return tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
}

export const CNN_BACKBONE: BackboneEntry = {
  name: 'cnn',
  input: 'image',
  doc: 'small CNN from pixels: conv3x3/ReLU/max-pool blocks, global average pool, linear head',
  defaults: { channels: [16, 32, 64], downsample: 'stride' },
  create({ dim, imageSize, seed, params }): Backbone {
    const channels = intListParam('cnn', params, 'channels');
    const downsample = params.downsample ?? 'stride';
    if (downsample !== 'stride' && downsample !== 'maxpool') throw new Error(`cnn backbone: downsample must be "stride" or "maxpool", got ${JSON.stringify(downsample)}`);
    const store = new SeededVariableStore(new Rng(seed));
    const convs = channels.map((out, i) => {
      const cin = i === 0 ? 3 : channels[i - 1];
      return { w: store.uniform(`conv${i}/kernel`, [3, 3, cin, out], Math.sqrt(6 / (9 * cin))), b: store.zeros(`conv${i}/bias`, [out]) };
    });
    const head = denseLayer(store, 'head', channels[channels.length - 1], dim, false);
    const forward = (x: BackboneInput): tf.Tensor2D =>
      tf.tidy(() => {
        checkInput('cnn', x, [imageSize, imageSize, 3]);
        const native = convUsesNativeGrad();
        let h = tf.sub(tf.mul(x as tf.Tensor4D, 2), 1) as tf.Tensor4D;
        for (const c of convs) {
          const canHalve = h.shape[1] >= 2 && h.shape[2] >= 2;
          if (downsample === 'stride' && canHalve) {
            // Stride-1 'same' output sampled at odd positions = TF's stride-2 'same' convolution.
            const conv = native ? tf.conv2d(h, c.w as tf.Tensor4D, 2, 'same') : stride2(conv3x3Im2col(h, c.w as tf.Tensor4D));
            h = tf.relu(tf.add(conv, c.b)) as tf.Tensor4D;
          } else {
            const conv = native ? tf.conv2d(h, c.w as tf.Tensor4D, 1, 'same') : conv3x3Im2col(h, c.w as tf.Tensor4D);
            h = tf.relu(tf.add(conv, c.b)) as tf.Tensor4D;
            if (canHalve) h = tf.maxPool(h, 2, 2, 'valid');
          }
        }
        const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
        return dense(pooled, head);
      });
    return {
      name: 'cnn',
      input: 'image',
      dim,
      variables: store.variables,
      forward,
      embed: (x) => tf.tidy(() => l2Normalize(forward(x))),
      dispose: () => store.dispose(),
    };
  },
};

/**
 * MLP backbones: over raw pixels (`mlp-pixels`, input [n, S, S, 3] flattened and centred) and
 * over precomputed feature vectors (`mlp-features`, input [n, F]; the Amazon harness feeds its
 * 4096-d image features through this one). Hidden layers are ReLU; the last layer is the linear
 * head to d. `hidden: []` makes the backbone a single linear map.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { dense } from '../layers';
import { Backbone, BackboneEntry, BackboneInput, SeededVariableStore, checkInput, denseLayer, intListParam, l2Normalize } from './backbone';

function mlp(name: string, input: 'image' | 'features', inDim: number, dim: number, hidden: number[], seed: number, prepare: (x: BackboneInput) => tf.Tensor2D): Backbone {
  const store = new SeededVariableStore(new Rng(seed));
  const sizes = [inDim, ...hidden];
  const layers = hidden.map((h, i) => denseLayer(store, `hidden${i}`, sizes[i], h, true));
  const head = denseLayer(store, 'head', sizes[sizes.length - 1], dim, false);
  const forward = (x: BackboneInput): tf.Tensor2D =>
    tf.tidy(() => {
      let h = prepare(x);
      for (const l of layers) h = dense(h, l, 'relu');
      return dense(h, head);
    });
  return { name, input, dim, variables: store.variables, forward, embed: (x) => tf.tidy(() => l2Normalize(forward(x))), dispose: () => store.dispose() };
}

export const MLP_PIXELS_BACKBONE: BackboneEntry = {
  name: 'mlp-pixels',
  input: 'image',
  doc: 'MLP over the flattened pixels (ReLU hidden layers, linear head)',
  defaults: { hidden: [256] },
  create({ dim, imageSize, seed, params }) {
    const inDim = imageSize * imageSize * 3;
    return mlp('mlp-pixels', 'image', inDim, dim, intListParam('mlp-pixels', params, 'hidden'), seed, (x) => {
      checkInput('mlp-pixels', x, [imageSize, imageSize, 3]);
      return tf.sub(tf.mul(tf.reshape(x, [x.shape[0], inDim]), 2), 1) as tf.Tensor2D;
    });
  },
};

export const MLP_FEATURES_BACKBONE: BackboneEntry = {
  name: 'mlp-features',
  input: 'features',
  doc: 'MLP over precomputed feature vectors [n, F] (ReLU hidden layers, linear head)',
  defaults: { hidden: [512] },
  create({ dim, featureDim, seed, params }) {
    if (!Number.isInteger(featureDim) || featureDim < 1) throw new Error(`backbone "mlp-features": featureDim must be a positive integer, got ${featureDim}`);
    return mlp('mlp-features', 'features', featureDim, dim, intListParam('mlp-features', params, 'hidden'), seed, (x) => {
      checkInput('mlp-features', x, [featureDim]);
      return x as tf.Tensor2D;
    });
  },
};

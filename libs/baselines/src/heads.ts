/**
 * Small trainable heads used only for the baselines' losses (never exported): MLPs with optional
 * batch normalisation (SimSiam's projector and predictor use it; SimCLR's head does not).
 * Batch norm always uses the batch statistics: the heads only run in training.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { NamedVariable, SeededVariableStore, dense, denseLayer } from '@courier/nn';

export interface Head {
  readonly variables: readonly NamedVariable[];
  apply(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

export interface MlpHeadOptions {
  /** Layer widths, input first: [in, hidden..., out]. */
  sizes: number[];
  /** Batch norm after every hidden layer (before the ReLU). */
  hiddenBatchNorm: boolean;
  /** Batch norm on the output layer too (SimSiam's projector). */
  outputBatchNorm: boolean;
  seed: number;
  /** Variable name prefix (checkpoint-stable names). */
  name: string;
}

/** Batch norm with learnable scale (stored as 1 + gamma, so it starts at 1) and shift. */
function batchNorm(x: tf.Tensor2D, gamma: tf.Variable, beta: tf.Variable): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 0);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), tf.add(gamma, 1)), beta) as tf.Tensor2D;
}

export function makeMlpHead(options: MlpHeadOptions): Head {
  const { sizes, name } = options;
  if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) throw new Error(`head "${name}": sizes must be >= 2 positive integers, got ${JSON.stringify(sizes)}`);
  const store = new SeededVariableStore(new Rng(options.seed));
  const layers = sizes.slice(1).map((out, i) => {
    const last = i === sizes.length - 2;
    const bn = last ? options.outputBatchNorm : options.hiddenBatchNorm;
    return {
      layer: denseLayer(store, `${name}/layer${i}`, sizes[i], out, !last),
      last,
      bn: bn ? { gamma: store.zeros(`${name}/bn${i}/gamma`, [out]), beta: store.zeros(`${name}/bn${i}/beta`, [out]) } : null,
    };
  });
  return {
    variables: store.variables,
    apply: (x) =>
      tf.tidy(() => {
        let h = x;
        for (const l of layers) {
          h = dense(h, l.layer);
          if (l.bn) h = batchNorm(h, l.bn.gamma, l.bn.beta);
          if (!l.last) h = tf.relu(h);
        }
        return h;
      }),
    dispose: () => store.dispose(),
  };
}

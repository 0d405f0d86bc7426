/**
 * Helpers shared by every model file (models.ts and the per-model files of issue #23): a
 * typed parameter read and the dot-product block scorer of the full-ranking evaluation.
 */
import * as tf from '@tensorflow/tfjs';
import type { BlockScorer } from './evaluate';

type Params = Record<string, number | boolean | string>;

export function num(params: Params, key: string): number {
  const v = params[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`model parameter "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * [n, nItems] dot-product scores of user rows against all item rows (takes ownership of both
 * tensors). `sigmoid`: pass the scores through a sigmoid first (SLMRec's full_sort_predict
 * does; in float32 it saturates to 1 for scores above ~17, and saturated items then tie).
 */
export function dotScorer(userEmb: tf.Tensor2D, itemEmb: tf.Tensor2D, options: { sigmoid?: boolean } = {}): { score: BlockScorer; dispose(): void } {
  const itemT = tf.transpose(itemEmb);
  return {
    score: async (users) => {
      const t = tf.tidy(() => {
        const s = tf.matMul(tf.gather(userEmb, tf.tensor1d(users, 'int32')), itemT);
        return options.sigmoid ? tf.sigmoid(s) : s;
      });
      try {
        return (await t.data()) as Float32Array;
      } finally {
        t.dispose();
      }
    },
    dispose: () => {
      itemT.dispose();
      userEmb.dispose();
      itemEmb.dispose();
    },
  };
}

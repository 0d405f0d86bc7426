/**
 * The masked student views of MaskCLIP (Dong et al., CVPR 2023), drawn on the host from an Rng so
 * that a seed fixes them:
 *
 * - images: the image is cut into `patch` x `patch` squares and round(ratio x squares) of them,
 *   chosen per image, are painted mid-grey (0.5). MaskCLIP masks ViT patch tokens; with a
 *   convolutional backbone the closest stand-in is to blank the pixels of those patches. Grey
 *   rather than the image's mean colour, which would hand the student the colour it has to infer.
 * - feature vectors: each feature is zeroed with probability `ratio`.
 * - titles: each token is dropped with probability `ratio` (an empty title becomes the encoder's
 *   out-of-vocabulary bag, as for any empty title).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { tokenize } from './text';

/** Grey level painted over masked pixels (images are in [0, 1]). */
export const MASK_FILL = 0.5;

function checkRatio(name: string, ratio: number): void {
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`${name}: ratio must be in [0, 1), got ${ratio}`);
}

/**
 * Patch mask [n, size, size, 1] as a flat array: 1 = masked pixel. Exactly round(ratio x cells)
 * cells per image, cells = ceil(size / patch)^2 (edge cells may be smaller than `patch`).
 */
export function patchMask(n: number, size: number, patch: number, ratio: number, rng: Rng): Float32Array {
  checkRatio('patchMask', ratio);
  if (!Number.isInteger(patch) || patch < 1) throw new Error(`patchMask: patch must be a positive integer, got ${patch}`);
  const side = Math.ceil(size / patch);
  const cells = side * side;
  const masked = Math.round(ratio * cells);
  const out = new Float32Array(n * size * size);
  const order = Array.from({ length: cells }, (_, i) => i);
  for (let img = 0; img < n; img++) {
    rng.shuffle(order);
    for (let k = 0; k < masked; k++) {
      const cy = Math.floor(order[k] / side);
      const cx = order[k] % side;
      for (let y = cy * patch; y < Math.min(size, (cy + 1) * patch); y++) {
        for (let x = cx * patch; x < Math.min(size, (cx + 1) * patch); x++) out[(img * size + y) * size + x] = 1;
      }
    }
  }
  return out;
}

/** Images [n, H, W, 3] with the patches of `patchMask` painted MASK_FILL. */
export function maskImages(images: tf.Tensor4D, patch: number, ratio: number, rng: Rng): tf.Tensor4D {
  const [n, h, w] = images.shape;
  if (h !== w) throw new Error(`maskImages: square images expected, got ${h}x${w}`);
  const mask = patchMask(n, h, patch, ratio, rng);
  return tf.tidy(() => {
    const m = tf.tensor4d(mask, [n, h, w, 1]);
    return tf.add(tf.mul(images, tf.sub(1, m)), tf.mul(m, MASK_FILL)) as tf.Tensor4D;
  });
}

/** Feature rows [n, k] with each entry zeroed with probability `ratio`. */
export function maskFeatures(x: tf.Tensor2D, ratio: number, rng: Rng): tf.Tensor2D {
  checkRatio('maskFeatures', ratio);
  const keep = new Float32Array(x.size);
  for (let i = 0; i < keep.length; i++) keep[i] = rng.next() < ratio ? 0 : 1;
  return tf.tidy(() => tf.mul(x, tf.tensor2d(keep, x.shape)) as tf.Tensor2D);
}

/** The title with each token dropped with probability `ratio` (tokens as the vocabulary sees them). */
export function maskTitle(title: string, ratio: number, rng: Rng): string {
  checkRatio('maskTitle', ratio);
  return tokenize(title)
    .filter(() => rng.next() >= ratio)
    .join(' ');
}

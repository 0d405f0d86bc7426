/**
 * Losses of the baselines, as tfjs ops (differentiable, used inside tf.variableGrads):
 *
 * - NT-Xent (SimCLR): z1, z2 [n, k] are two views of the same n images. All 2n rows are
 *   L2-normalised; row i's positive is its other view, its negatives the other 2n - 2 rows;
 *   loss = mean over the 2n rows of -log softmax_j(cos(i, j) / tau)[positive], j != i.
 * - SimSiam: D(p, z) = -cos(p, stopgrad(z)); loss = D(p1, z2) / 2 + D(p2, z1) / 2, batch mean.
 *   No gradient flows into z (the target branch).
 * - Symmetric InfoNCE (CLIP): logits = cos(image_i, text_j) / tau [n, n]; loss = mean of the
 *   row-wise (image -> text) and column-wise (text -> image) cross-entropies with the diagonal
 *   as the targets.
 * - Self-distillation (MaskCLIP): 1 - cos(prediction, stopgrad(teacher target)), batch mean.
 * - Masked binary cross-entropy with logits (Supervised).
 */
import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '@courier/nn';

/**
 * Identity in the forward pass, zero gradient in the backward pass (tfjs has no stopGradient op).
 * The value is a fresh tensor, so disposing it does not dispose the input.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return f(x) as T;
}

function checkPair(name: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new Error(`${name}: expected two [n, k] tensors of the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  if (a.shape[0] < 1) throw new Error(`${name}: empty batch`);
}

/** NT-Xent over two views [n, k] each (n >= 2 for any negatives). */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, tau: number): tf.Scalar {
  checkPair('ntXentLoss', z1, z2);
  if (!(tau > 0)) throw new Error(`ntXentLoss: tau must be > 0, got ${tau}`);
  const n = z1.shape[0];
  return tf.tidy(() => {
    const z = l2Normalize(tf.concat([z1, z2], 0) as tf.Tensor2D);
    // Self-similarity is removed from the softmax by a large negative offset on the diagonal.
    const logits = tf.sub(tf.div(tf.matMul(z, z, false, true), tau), tf.mul(tf.eye(2 * n), 1e9));
    const logp = tf.logSoftmax(logits, 1);
    // Positive of row i is row (i + n) mod 2n.
    const positives = tf.concat([tf.concat([tf.zeros([n, n]), tf.eye(n)], 1), tf.concat([tf.eye(n), tf.zeros([n, n])], 1)], 0);
    return tf.neg(tf.div(tf.sum(tf.mul(logp, positives)), 2 * n)) as tf.Scalar;
  });
}

/** Row-wise cosine similarity [n, k] x [n, k] -> [n]. */
export function rowCosine(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(l2Normalize(a), l2Normalize(b)), 1) as tf.Tensor1D);
}

/** SimSiam's symmetric negative cosine with stop-gradient on the projector outputs z1, z2. */
export function simsiamLoss(p1: tf.Tensor2D, p2: tf.Tensor2D, z1: tf.Tensor2D, z2: tf.Tensor2D): tf.Scalar {
  checkPair('simsiamLoss', p1, z2);
  checkPair('simsiamLoss', p2, z1);
  return tf.tidy(() => {
    const d1 = tf.neg(tf.mean(rowCosine(p1, stopGradient(z2))));
    const d2 = tf.neg(tf.mean(rowCosine(p2, stopGradient(z1))));
    return tf.mul(tf.add(d1, d2), 0.5) as tf.Scalar;
  });
}

/** CLIP's symmetric InfoNCE between matched rows of image and text embeddings [n, k]. */
export function clipLoss(image: tf.Tensor2D, text: tf.Tensor2D, tau: number): tf.Scalar {
  checkPair('clipLoss', image, text);
  if (!(tau > 0)) throw new Error(`clipLoss: tau must be > 0, got ${tau}`);
  const n = image.shape[0];
  return tf.tidy(() => {
    const logits = tf.div(tf.matMul(l2Normalize(image), l2Normalize(text), false, true), tau);
    const eye = tf.eye(n);
    const imageToText = tf.neg(tf.div(tf.sum(tf.mul(tf.logSoftmax(logits, 1), eye)), n));
    const textToImage = tf.neg(tf.div(tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits), 1), eye)), n));
    return tf.mul(tf.add(imageToText, textToImage), 0.5) as tf.Scalar;
  });
}

/**
 * MaskCLIP's self-distillation term: mean over rows of 1 - cos(prediction, target), with no
 * gradient into the target (the EMA teacher's output for the unmasked input).
 */
export function cosineDistillLoss(prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  checkPair('cosineDistillLoss', prediction, target);
  return tf.tidy(() => tf.sub(1, tf.mean(rowCosine(prediction, stopGradient(target)))) as tf.Scalar);
}

/**
 * Mean binary cross-entropy of logits against 0/1 labels over entries with mask 1 (numerically
 * stable form max(l, 0) - l y + log(1 + exp(-|l|))). Throws when the mask is empty.
 */
export function maskedSigmoidCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  if (logits.size !== labels.size || logits.size !== mask.size) throw new Error(`maskedSigmoidCrossEntropy: sizes differ (logits ${logits.size}, labels ${labels.size}, mask ${mask.size})`);
  return tf.tidy(() => {
    const l = tf.reshape(logits, [-1]);
    const y = tf.reshape(labels, [-1]);
    const m = tf.reshape(mask, [-1]);
    const per = tf.add(tf.sub(tf.relu(l), tf.mul(l, y)), tf.log1p(tf.exp(tf.neg(tf.abs(l)))));
    return tf.div(tf.sum(tf.mul(per, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

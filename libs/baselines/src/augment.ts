/**
 * SimCLR-style augmentations on batches of images [n, H, W, 3] in [0, 1], written as tfjs ops.
 * Random parameters are drawn on the host from an Rng (so a seed fixes every view); the pixel
 * work is tf ops:
 *
 * 1. random resized crop (area fraction in [scaleMin, scaleMax], aspect ratio log-uniform in
 *    [ratioMin, ratioMax], 10 tries then the whole image), resized back to the output size with
 *    bilinear `tf.image.cropAndResize`; a horizontal flip is the same crop with x1 and x2 swapped;
 * 2. colour jitter with probability `jitterProb`, in the fixed order brightness, contrast,
 *    saturation, hue (torchvision draws the order at random), each clipped to [0, 1]:
 *    brightness x * b; contrast (x - m) * c + m with m the image's mean grey level; saturation
 *    grey + (x - grey) * s; hue a rotation of the chroma plane in YIQ space by 2 pi h (a linear
 *    stand-in for the HSV hue shift). Factors b, c, s ~ U[1 - 0.8k, 1 + 0.8k], h ~ U[-0.2k, 0.2k]
 *    for strength k;
 * 3. greyscale with probability `grayscaleProb`.
 * Saturation, hue and greyscale are per-image 3x3 colour matrices, applied as one batched matMul.
 * Gaussian blur (SimCLR's ImageNet recipe, dropped in its CIFAR recipe) is not applied.
 *
 * Feature inputs (mlp-features) get a feature-space analogue instead: inverted dropout plus
 * Gaussian noise scaled by the row's RMS.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';

export interface ImageAugmentOptions {
  cropScaleMin: number;
  cropScaleMax: number;
  cropRatioMin: number;
  cropRatioMax: number;
  flipProb: number;
  jitterProb: number;
  jitterStrength: number;
  grayscaleProb: number;
}

export const DEFAULT_IMAGE_AUGMENT: ImageAugmentOptions = {
  cropScaleMin: 0.08,
  cropScaleMax: 1,
  cropRatioMin: 3 / 4,
  cropRatioMax: 4 / 3,
  flipProb: 0.5,
  jitterProb: 0.8,
  jitterStrength: 0.5,
  grayscaleProb: 0.2,
};

/** The random draws of one view of n images. */
export interface ViewParams {
  n: number;
  /** [n * 4] crop boxes (y1, x1, y2, x2) in cropAndResize's normalised coordinates; x1 > x2 flips. */
  boxes: Float32Array;
  /** [n] brightness and contrast factors (1 = unchanged). */
  brightness: Float32Array;
  contrast: Float32Array;
  /** [n * 9] row-form colour matrices (x' = x A) for saturation, then hue and greyscale. */
  saturation: Float32Array;
  hueGray: Float32Array;
  /** Which images were flipped / jittered / turned grey (for tests and logs). */
  flipped: boolean[];
  jittered: boolean[];
  gray: boolean[];
}

const GRAY = [0.299, 0.587, 0.114];
/** RGB -> YIQ (column form: yiq = T rgb). */
const YIQ = [
  [0.299, 0.587, 0.114],
  [0.596, -0.274, -0.322],
  [0.211, -0.523, 0.312],
];

type M3 = number[][];
const identity3 = (): M3 => [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const mul3 = (a: M3, b: M3): M3 => a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));
const transpose3 = (a: M3): M3 => [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[j][i]));

function inverse3(m: M3): M3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
const YIQ_INV = inverse3(YIQ);

/** Row-form greyscale matrix: (x G)_j = grey(x) for every channel j. */
function grayMatrix(): M3 {
  return GRAY.map((w) => [w, w, w]);
}

/** Row-form saturation matrix: s x + (1 - s) grey(x). */
export function saturationMatrix(s: number): M3 {
  const g = grayMatrix();
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? s : 0) + (1 - s) * g[i][j]));
}

/** Row-form hue matrix: rotate the (I, Q) chroma plane by 2 pi h. h = 0 is exactly the identity. */
export function hueMatrix(h: number): M3 {
  if (h === 0) return identity3();
  const t = 2 * Math.PI * h;
  const rot: M3 = [
    [1, 0, 0],
    [0, Math.cos(t), -Math.sin(t)],
    [0, Math.sin(t), Math.cos(t)],
  ];
  return transpose3(mul3(YIQ_INV, mul3(rot, YIQ)));
}

function checkOptions(o: ImageAugmentOptions): void {
  if (!(o.cropScaleMin > 0 && o.cropScaleMin <= o.cropScaleMax && o.cropScaleMax <= 1)) throw new Error(`augment: need 0 < cropScaleMin <= cropScaleMax <= 1, got ${o.cropScaleMin}, ${o.cropScaleMax}`);
  if (!(o.cropRatioMin > 0 && o.cropRatioMin <= o.cropRatioMax)) throw new Error(`augment: need 0 < cropRatioMin <= cropRatioMax, got ${o.cropRatioMin}, ${o.cropRatioMax}`);
  for (const k of ['flipProb', 'jitterProb', 'grayscaleProb'] as const) if (!(o[k] >= 0 && o[k] <= 1)) throw new Error(`augment: ${k} must be in [0, 1], got ${o[k]}`);
  if (!(o.jitterStrength >= 0)) throw new Error(`augment: jitterStrength must be >= 0, got ${o.jitterStrength}`);
}

/** Draws the parameters of one view of n square images (torchvision RandomResizedCrop logic). */
export function sampleViewParams(n: number, rng: Rng, options: ImageAugmentOptions = DEFAULT_IMAGE_AUGMENT): ViewParams {
  checkOptions(options);
  const o = options;
  const p: ViewParams = {
    n,
    boxes: new Float32Array(n * 4),
    brightness: new Float32Array(n).fill(1),
    contrast: new Float32Array(n).fill(1),
    saturation: new Float32Array(n * 9),
    hueGray: new Float32Array(n * 9),
    flipped: [],
    jittered: [],
    gray: [],
  };
  const logRatio = [Math.log(o.cropRatioMin), Math.log(o.cropRatioMax)];
  const k = o.jitterStrength;
  const bcs = Math.min(0.8 * k, 1);
  const hueMax = Math.min(0.2 * k, 0.5);
  for (let i = 0; i < n; i++) {
    // Crop in relative units of the side (square image: area fraction = w * h).
    let box: [number, number, number, number] = [0, 0, 1, 1];
    for (let attempt = 0; attempt < 10; attempt++) {
      const area = rng.uniform(o.cropScaleMin, o.cropScaleMax);
      const ratio = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
      const w = Math.sqrt(area * ratio);
      const h = Math.sqrt(area / ratio);
      if (w <= 1 && h <= 1) {
        const y = rng.uniform(0, 1 - h);
        const x = rng.uniform(0, 1 - w);
        box = [y, x, y + h, x + w];
        break;
      }
    }
    const flip = rng.uniform() < o.flipProb;
    if (flip) box = [box[0], box[3], box[2], box[1]];
    p.boxes.set(box, i * 4);
    p.flipped.push(flip);

    const jitter = rng.uniform() < o.jitterProb;
    let sat = identity3();
    let hue = identity3();
    if (jitter) {
      p.brightness[i] = rng.uniform(1 - bcs, 1 + bcs);
      p.contrast[i] = rng.uniform(1 - bcs, 1 + bcs);
      sat = saturationMatrix(rng.uniform(1 - bcs, 1 + bcs));
      hue = hueMatrix(rng.uniform(-hueMax, hueMax));
    }
    p.jittered.push(jitter);
    const gray = rng.uniform() < o.grayscaleProb;
    p.gray.push(gray);
    const hueGray = gray ? mul3(hue, grayMatrix()) : hue;
    p.saturation.set(sat.flat(), i * 9);
    p.hueGray.set(hueGray.flat(), i * 9);
  }
  return p;
}

function applyColourMatrix(x: tf.Tensor4D, matrices: Float32Array): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const m = tf.tensor3d(matrices, [n, 3, 3]);
  return tf.reshape(tf.matMul(tf.reshape(x, [n, h * w, 3]), m), [n, h, w, 3]);
}

/** Applies one view's parameters to images [n, H, W, 3] in [0, 1]; output [n, size, size, 3] in [0, 1]. */
export function applyView(images: tf.Tensor4D, params: ViewParams, outSize = images.shape[1]): tf.Tensor4D {
  const n = images.shape[0];
  if (params.n !== n) throw new Error(`applyView: params are for ${params.n} images, the batch has ${n}`);
  if (images.rank !== 4 || images.shape[3] !== 3) throw new Error(`applyView: expected images [n, H, W, 3], got [${images.shape.join(', ')}]`);
  return tf.tidy(() => {
    const boxes = tf.tensor2d(params.boxes, [n, 4]);
    const index = tf.tensor1d(Array.from({ length: n }, (_, i) => i), 'int32');
    let x: tf.Tensor = tf.image.cropAndResize(images, boxes, index, [outSize, outSize], 'bilinear');
    x = tf.clipByValue(tf.mul(x, tf.reshape(tf.tensor1d(params.brightness), [n, 1, 1, 1])), 0, 1);
    const grey = tf.sum(tf.mul(x, tf.tensor1d(GRAY)), 3);
    const mean = tf.reshape(tf.mean(grey, [1, 2]), [n, 1, 1, 1]);
    x = tf.clipByValue(tf.add(tf.mul(tf.sub(x, mean), tf.reshape(tf.tensor1d(params.contrast), [n, 1, 1, 1])), mean), 0, 1);
    x = tf.clipByValue(applyColourMatrix(x as tf.Tensor4D, params.saturation), 0, 1);
    x = tf.clipByValue(applyColourMatrix(x as tf.Tensor4D, params.hueGray), 0, 1);
    return x as tf.Tensor4D;
  });
}

/** Draws and applies one augmented view (convenience for the two-view methods). */
export function augmentImages(images: tf.Tensor4D, rng: Rng, options: ImageAugmentOptions = DEFAULT_IMAGE_AUGMENT): tf.Tensor4D {
  return applyView(images, sampleViewParams(images.shape[0], rng, options));
}

export interface FeatureAugmentOptions {
  /** Share of features zeroed (the rest scaled by 1 / (1 - dropout)). */
  dropout: number;
  /** Noise standard deviation as a multiple of the row's RMS. */
  noise: number;
}

/** One augmented view of feature vectors [n, F]: inverted dropout plus RMS-scaled Gaussian noise. */
export function augmentFeatures(x: tf.Tensor2D, rng: Rng, options: FeatureAugmentOptions): tf.Tensor2D {
  const { dropout, noise } = options;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`augmentFeatures: dropout must be in [0, 1), got ${dropout}`);
  if (!(noise >= 0)) throw new Error(`augmentFeatures: noise must be >= 0, got ${noise}`);
  const size = x.size;
  const mask = new Float32Array(size);
  const eps = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    mask[i] = rng.uniform() < dropout ? 0 : 1 / (1 - dropout);
    eps[i] = rng.normal();
  }
  return tf.tidy(() => {
    const rms = tf.sqrt(tf.mean(tf.square(x), 1, true));
    return tf.add(tf.mul(x, tf.tensor(mask, x.shape)), tf.mul(tf.tensor(eps, x.shape), tf.mul(rms, noise))) as tf.Tensor2D;
  });
}

/**
 * Background randomisation (issue #19, prediction C3 of apps/experiments/PREDICTIONS.md): a view
 * whose background has a random colour, so that a two-view method learns to ignore the
 * background. Generic: it uses nothing but the pixels (no ground truth, no world parameters), as
 * a real user could run it on catalogue photos (a "magic wand" from the border):
 *
 * 1. smooth regions: 4-connected components of pixels whose colour differs from a neighbour's by
 *    at most `tolerance` (RGB distance, [0, 1] units): a plain or gradient background is one
 *    region, the item's edge separates it from the item;
 * 2. the background is the largest region that reaches the border band (`band` of the side);
 *    its mean colour is the reference colour. Regions next to it whose mean colour is within
 *    2 x `tolerance` of the reference join it, repeatedly (the cells of a textured background);
 * 3. per view and image, with probability `prob`: a colour c uniform in the RGB cube, and every
 *    background pixel moved by c - reference (the background's own gradient or texture is kept,
 *    its colour replaced), clipped to [0, 1]. Other pixels (the item) are untouched, bit for bit.
 *
 * The mask is computed once per batch (it depends only on the image); the colours are drawn from
 * the view's Rng, after its crop and colour parameters. prob = 0 (the default) draws nothing and
 * changes nothing. Limits: an item whose colour is within `tolerance` of the background along its
 * edge merges with it; a frame wider than the background area would be taken for it.
 */
export interface BackgroundAugmentOptions {
  /** Probability that a view of an image gets a random background colour (0 = off). */
  prob: number;
  /** Colour distance ([0, 1] RGB, Euclidean) between neighbours within one smooth region. */
  tolerance: number;
  /** Width of the border band the background must reach, as a fraction of the side. */
  band: number;
}

export const DEFAULT_BACKGROUND_AUGMENT: BackgroundAugmentOptions = { prob: 0, tolerance: 0.12, band: 0.2 };

export interface BackgroundMasks {
  n: number;
  h: number;
  w: number;
  /** [n * h * w]: 1 where the pixel is background, 0 elsewhere. */
  mask: Float32Array;
  /** [n * 3]: the estimated background colour of each image. */
  reference: Float32Array;
}

function checkBackgroundOptions(o: BackgroundAugmentOptions): void {
  if (!(o.prob >= 0 && o.prob <= 1)) throw new Error(`augment: backgroundAugmentProb must be in [0, 1], got ${o.prob}`);
  if (!(o.tolerance > 0)) throw new Error(`augment: backgroundTolerance must be > 0, got ${o.tolerance}`);
  if (!(o.band > 0 && o.band <= 0.5)) throw new Error(`augment: backgroundBand must be in (0, 0.5], got ${o.band}`);
}

/** Background masks and reference colours of images [n, H, W, 3] in [0, 1] given as HWC floats (see BackgroundAugmentOptions). */
export function backgroundMasks(pixels: Float32Array, n: number, h: number, w: number, options: Pick<BackgroundAugmentOptions, 'tolerance' | 'band'> = DEFAULT_BACKGROUND_AUGMENT): BackgroundMasks {
  if (pixels.length !== n * h * w * 3) throw new Error(`backgroundMasks: ${pixels.length} values are not ${n} images of ${h}x${w}x3`);
  checkBackgroundOptions({ prob: 0, ...options });
  const mask = new Float32Array(n * h * w);
  const reference = new Float32Array(n * 3);
  const bandPx = Math.max(1, Math.round(options.band * Math.min(h, w)));
  const tol2 = options.tolerance ** 2;
  const join2 = (2 * options.tolerance) ** 2;
  const hw = h * w;
  const label = new Int32Array(hw);
  const queue = new Int32Array(hw);
  const neighbours = (p: number, f: (q: number) => void) => {
    const y = Math.floor(p / w);
    const x = p - y * w;
    if (y > 0) f(p - w);
    if (y < h - 1) f(p + w);
    if (x > 0) f(p - 1);
    if (x < w - 1) f(p + 1);
  };
  for (let i = 0; i < n; i++) {
    const base = i * hw;
    const px = (p: number, c: number) => pixels[(base + p) * 3 + c];
    const dist2 = (p: number, q: number) => (px(p, 0) - px(q, 0)) ** 2 + (px(p, 1) - px(q, 1)) ** 2 + (px(p, 2) - px(q, 2)) ** 2;
    // 1. Smooth regions (labels 0..count-1), their sizes, mean colours and whether they reach the band.
    label.fill(-1);
    const size: number[] = [];
    const sum: number[][] = [];
    const inBand: boolean[] = [];
    for (let s = 0; s < hw; s++) {
      if (label[s] >= 0) continue;
      const id = size.length;
      let head = 0;
      let tail = 0;
      label[s] = id;
      queue[tail++] = s;
      const acc = [0, 0, 0];
      let band = false;
      while (head < tail) {
        const p = queue[head++];
        for (let c = 0; c < 3; c++) acc[c] += px(p, c);
        const y = Math.floor(p / w);
        const x = p - y * w;
        if (y < bandPx || x < bandPx || y >= h - bandPx || x >= w - bandPx) band = true;
        neighbours(p, (q) => {
          if (label[q] < 0 && dist2(p, q) <= tol2) {
            label[q] = id;
            queue[tail++] = q;
          }
        });
      }
      size.push(tail);
      sum.push(acc);
      inBand.push(band);
    }
    const meanOf = (r: number) => sum[r].map((v) => v / size[r]);
    // 2. The largest region reaching the band (ties: the first found), then similar neighbours.
    let bg = -1;
    for (let r = 0; r < size.length; r++) if (inBand[r] && (bg < 0 || size[r] > size[bg])) bg = r;
    const ref = meanOf(bg);
    reference.set(ref, i * 3);
    const selected = new Uint8Array(size.length);
    selected[bg] = 1;
    let changed = true;
    while (changed) {
      changed = false;
      for (let p = 0; p < hw; p++) {
        if (!selected[label[p]]) continue;
        neighbours(p, (q) => {
          const r = label[q];
          if (selected[r]) return;
          const m = meanOf(r);
          if ((m[0] - ref[0]) ** 2 + (m[1] - ref[1]) ** 2 + (m[2] - ref[2]) ** 2 <= join2) {
            selected[r] = 1;
            changed = true;
          }
        });
      }
    }
    for (let p = 0; p < hw; p++) if (selected[label[p]]) mask[base + p] = 1;
  }
  return { n, h, w, mask, reference };
}

/**
 * One background-randomised view of images [n, H, W, 3] (see BackgroundAugmentOptions): with
 * probability `prob` per image, masked pixels are moved by (random colour - reference). Draws from
 * `rng` only when prob > 0 (one Bernoulli and, when it fires, three uniforms per image).
 */
export function randomBackground(images: tf.Tensor4D, masks: BackgroundMasks, rng: Rng, prob: number): tf.Tensor4D {
  const [n, h, w] = images.shape;
  if (masks.n !== n || masks.h !== h || masks.w !== w) throw new Error(`randomBackground: masks are for ${masks.n} images of ${masks.h}x${masks.w}, the batch is [${images.shape.join(', ')}]`);
  if (!(prob > 0)) return tf.clone(images);
  const shift = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (!(rng.uniform() < prob)) continue;
    for (let c = 0; c < 3; c++) shift[i * 3 + c] = rng.uniform() - masks.reference[i * 3 + c];
  }
  return tf.tidy(() => {
    const m = tf.tensor4d(masks.mask, [n, h, w, 1]);
    const s = tf.tensor4d(shift, [n, 1, 1, 3]);
    // Unmasked pixels: x + 0 * s = x exactly; clipping leaves values in [0, 1] as they are.
    return tf.clipByValue(tf.add(images, tf.mul(m, s)), 0, 1) as tf.Tensor4D;
  });
}

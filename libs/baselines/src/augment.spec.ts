import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '@courier/runtime';
import { renderItem, sampleItems, uniformStrength } from '@courier/world';
import { DEFAULT_BACKGROUND_AUGMENT, DEFAULT_IMAGE_AUGMENT, ViewParams, applyView, augmentFeatures, augmentImages, backgroundMasks, hueMatrix, randomBackground, sampleViewParams, saturationMatrix } from './augment';

const S = 12;
const N = 6;

/** Seeded random images [N, S, S, 3] in [0, 1] with some structure (a bright square). */
function images(seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const v = new Float32Array(N * S * S * 3);
  for (let i = 0; i < v.length; i++) v[i] = rng.uniform(0, 0.5);
  for (let n = 0; n < N; n++) for (let y = 2; y < 6; y++) for (let x = 3; x < 8; x++) v[((n * S + y) * S + x) * 3 + (n % 3)] = 1;
  return tf.tensor4d(v, [N, S, S, 3]);
}

/** Parameters that change nothing: whole-image box, factors 1, identity colour matrices. */
function identityParams(n: number, flip = false): ViewParams {
  const eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  return {
    n,
    boxes: Float32Array.from(Array.from({ length: n }, () => (flip ? [0, 1, 1, 0] : [0, 0, 1, 1])).flat()),
    brightness: new Float32Array(n).fill(1),
    contrast: new Float32Array(n).fill(1),
    saturation: Float32Array.from(Array.from({ length: n }, () => eye).flat()),
    hueGray: Float32Array.from(Array.from({ length: n }, () => eye).flat()),
    flipped: [],
    jittered: [],
    gray: [],
  };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const meanAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};
const applyM = (m: number[][], rgb: number[]) => [0, 1, 2].map((j) => rgb[0] * m[0][j] + rgb[1] * m[1][j] + rgb[2] * m[2][j]);

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('image augmentations', () => {
  it('are deterministic by seed, keep shape and the [0, 1] range, and the two views differ', () => {
    const x = images(1);
    const a1 = augmentImages(x, new Rng(5)).dataSync();
    const a2 = augmentImages(x, new Rng(5)).dataSync();
    expect(Array.from(a2)).toEqual(Array.from(a1));
    const rng = new Rng(5);
    const v1 = augmentImages(x, rng);
    const v2 = augmentImages(x, rng); // second view: the same rng, drawn on
    expect(v1.shape).toEqual([N, S, S, 3]);
    const d1 = v1.dataSync();
    const d2 = v2.dataSync();
    expect(Math.min(...d1)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...d1)).toBeLessThanOrEqual(1);
    expect(Array.from(d1)).toEqual(Array.from(a1));
    expect(meanAbsDiff(d1, d2)).toBeGreaterThan(0.02);
    expect(meanAbsDiff(d1, x.dataSync())).toBeGreaterThan(0.02);
    // Another seed, other views.
    expect(meanAbsDiff(augmentImages(x, new Rng(6)).dataSync(), a1)).toBeGreaterThan(0.02);
  });

  it('sampled parameters follow the options: crop area and ratio in range, flip/jitter/grey rates near their probabilities', () => {
    const n = 2000;
    const p = sampleViewParams(n, new Rng(3), DEFAULT_IMAGE_AUGMENT);
    const bad: string[] = []; // plain checks in the loop (2000 jest expects would take seconds)
    for (let i = 0; i < n; i++) {
      const [y1, x1, y2, x2] = p.boxes.subarray(i * 4, i * 4 + 4);
      const w = Math.abs(x2 - x1);
      const h = y2 - y1;
      if (Math.min(y1, x1, y2, x2) < -1e-6 || Math.max(y1, x1, y2, x2) > 1 + 1e-6) bad.push(`box ${i} outside the image`);
      if (w * h < 0.08 - 1e-5) bad.push(`box ${i} area ${w * h}`);
      if (w / h < 0.75 - 1e-4 || w / h > 4 / 3 + 1e-4) bad.push(`box ${i} ratio ${w / h}`);
      if (x2 < x1 !== p.flipped[i]) bad.push(`box ${i} flip flag`);
      if (!p.jittered[i] && (p.brightness[i] !== 1 || p.contrast[i] !== 1)) bad.push(`image ${i} factors without jitter`);
      if (Math.abs(p.brightness[i] - 1) > 0.4 + 1e-6 || Math.abs(p.contrast[i] - 1) > 0.4 + 1e-6) bad.push(`image ${i} factor out of range`);
    }
    expect(bad).toEqual([]);
    const rate = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
    expect(rate(p.flipped)).toBeCloseTo(0.5, 1);
    expect(rate(p.jittered)).toBeCloseTo(0.8, 1);
    expect(rate(p.gray)).toBeCloseTo(0.2, 1);
  });

  it('identity parameters return the image; a swapped box is a horizontal flip', () => {
    const x = images(2);
    expect(maxAbsDiff(applyView(x, identityParams(N)).dataSync(), x.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(applyView(x, identityParams(N, true)).dataSync(), tf.reverse(x, 2).dataSync())).toBeLessThan(1e-5);
  });

  it('a crop box takes exactly that region (quadrant image -> one colour)', () => {
    // Top-left quadrant red, the rest blue.
    const v = new Float32Array(S * S * 3);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) v.set(y < S / 2 && x < S / 2 ? [1, 0, 0] : [0, 0, 1], (y * S + x) * 3);
    const p = identityParams(1);
    p.boxes.set([0, 0, (S / 2 - 1) / (S - 1), (S / 2 - 1) / (S - 1)]);
    const out = applyView(tf.tensor4d(v, [1, S, S, 3]), p).dataSync();
    for (let i = 0; i < S * S; i++) expect([out[i * 3], out[i * 3 + 1], out[i * 3 + 2]].map((c) => Math.round(c * 1e4) / 1e4)).toEqual([1, 0, 0]);
  });

  it('colour matrices: saturation 0 is grey, hue keeps grey pixels and luma, hue(h) then hue(-h) is the identity', () => {
    const rgb = [0.8, 0.3, 0.1];
    const grey = applyM(saturationMatrix(0), rgb);
    expect(grey[0]).toBeCloseTo(grey[1], 10);
    expect(grey[1]).toBeCloseTo(grey[2], 10);
    expect(grey[0]).toBeCloseTo(0.299 * 0.8 + 0.587 * 0.3 + 0.114 * 0.1, 10);
    expect(applyM(saturationMatrix(1), rgb)).toEqual(rgb);
    const h = hueMatrix(0.15);
    applyM(h, [0.4, 0.4, 0.4]).forEach((c) => expect(c).toBeCloseTo(0.4, 10));
    const shifted = applyM(h, rgb);
    const luma = (c: number[]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    expect(luma(shifted)).toBeCloseTo(luma(rgb), 10);
    expect(Math.max(...shifted.map((c, i) => Math.abs(c - rgb[i])))).toBeGreaterThan(0.05);
    applyM(hueMatrix(-0.15), shifted).forEach((c, i) => expect(c).toBeCloseTo(rgb[i], 10));
    expect(hueMatrix(0)).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('greyscale views have equal channels; brightness/contrast factors act as written', () => {
    const x = images(3);
    const p = identityParams(N);
    const g = [0.299, 0.587, 0.114].map((w) => [w, w, w]).flat();
    for (let i = 0; i < N; i++) p.hueGray.set(g, i * 9);
    const out = applyView(x, p).dataSync();
    for (let i = 0; i < out.length; i += 3) {
      expect(Math.abs(out[i] - out[i + 1])).toBeLessThan(1e-5);
      expect(Math.abs(out[i] - out[i + 2])).toBeLessThan(1e-5);
    }
    const q = identityParams(N);
    q.brightness.fill(0.5);
    expect(maxAbsDiff(applyView(x, q).dataSync(), tf.mul(x, 0.5).dataSync())).toBeLessThan(1e-5);
    const c = identityParams(N);
    c.contrast.fill(0);
    const flat = applyView(x, c).dataSync(); // contrast 0: every pixel is the image's mean grey
    for (let i = 0; i < S * S * 3; i++) expect(flat[i]).toBeCloseTo(flat[0], 5);
  });

  it('rejects bad options and mismatched parameter counts', () => {
    expect(() => sampleViewParams(2, new Rng(1), { ...DEFAULT_IMAGE_AUGMENT, cropScaleMin: 0 })).toThrow(/cropScaleMin/);
    expect(() => sampleViewParams(2, new Rng(1), { ...DEFAULT_IMAGE_AUGMENT, flipProb: 2 })).toThrow(/flipProb/);
    expect(() => applyView(images(1), identityParams(2))).toThrow(/params are for 2 images/);
  });
});

describe('feature augmentations', () => {
  it('are deterministic by seed, keep the shape, and two views differ', () => {
    const rng = new Rng(9);
    const x = tf.tensor2d(Array.from({ length: 8 * 20 }, () => rng.normal()), [8, 20]);
    const opts = { dropout: 0.2, noise: 0.1 };
    const a = augmentFeatures(x, new Rng(1), opts).dataSync();
    expect(Array.from(augmentFeatures(x, new Rng(1), opts).dataSync())).toEqual(Array.from(a));
    const r = new Rng(1);
    const v1 = augmentFeatures(x, r, opts);
    const v2 = augmentFeatures(x, r, opts);
    expect(v1.shape).toEqual([8, 20]);
    expect(meanAbsDiff(v1.dataSync(), v2.dataSync())).toBeGreaterThan(0.1);
    // Without noise, about `dropout` of the entries are zeroed and the rest scaled by 1 / (1 - p).
    const dropped = augmentFeatures(x, new Rng(2), { dropout: 0.25, noise: 0 }).dataSync();
    const xs = x.dataSync();
    let zeros = 0;
    for (let i = 0; i < xs.length; i++) {
      if (dropped[i] === 0) zeros++;
      else expect(dropped[i]).toBeCloseTo(xs[i] / 0.75, 5);
    }
    expect(zeros / xs.length).toBeGreaterThan(0.15);
    expect(zeros / xs.length).toBeLessThan(0.35);
    expect(Array.from(augmentFeatures(x, new Rng(1), { dropout: 0, noise: 0 }).dataSync())).toEqual(Array.from(x.dataSync()));
  });
});

describe('background randomisation (issue #19, C3)', () => {
  const SIZE = 32;
  const COUNT = 24;
  /**
   * Rendered world images at nuisance 1, and a ground-truth background mask: the same item rendered
   * again (same pixel-noise stream) with its background's hue and lightness changed; the pixels
   * that differ are the background, the others the item, a copy or prop, the merchant's frame and logo.
   */
  function rendered(): { pixels: Float32Array; background: Uint8Array } {
    const { items, nuisance, merchants } = sampleItems(COUNT, 11);
    const pixels = new Float32Array(COUNT * SIZE * SIZE * 3);
    const background = new Uint8Array(COUNT * SIZE * SIZE);
    items.forEach((item, i) => {
      const nz = nuisance[i];
      const strength = uniformStrength(1);
      const a = renderItem(item, SIZE, 6, new Rng(3).fork(i), { learnablePatterns: true, nuisance: { item: nz, merchant: merchants[nz.merchant], strength } });
      const other = { ...nz, background: { ...nz.background, hue: (nz.background.hue + 0.5) % 1, lightness: nz.background.lightness > 0.6 ? 0.4 : 0.85 } };
      const b = renderItem(item, SIZE, 6, new Rng(3).fork(i), { learnablePatterns: true, nuisance: { item: other, merchant: merchants[nz.merchant], strength } });
      for (let p = 0; p < SIZE * SIZE; p++) {
        let diff = 0;
        for (let c = 0; c < 3; c++) {
          pixels[(i * SIZE * SIZE + p) * 3 + c] = a[p * 3 + c] / 255;
          diff = Math.max(diff, Math.abs(a[p * 3 + c] - b[p * 3 + c]));
        }
        background[i * SIZE * SIZE + p] = diff > 0 ? 1 : 0;
      }
    });
    return { pixels, background };
  }

  it('recolours the background of rendered images and leaves the item\'s central pixels alone; deterministic; off by default', () => {
    const { pixels, background } = rendered();
    const x = tf.tensor4d(pixels, [COUNT, SIZE, SIZE, 3]);
    const masks = backgroundMasks(pixels, COUNT, SIZE, SIZE, DEFAULT_BACKGROUND_AUGMENT);
    const out = randomBackground(x, masks, new Rng(4), 1).dataSync();
    expect(Array.from(randomBackground(x, masks, new Rng(4), 1).dataSync())).toEqual(Array.from(out));
    let bgPixels = 0;
    let bgChanged = 0;
    let centre = 0;
    let centreUntouched = 0;
    let centreWrong = 0;
    let other = 0;
    let otherMasked = 0;
    const c0 = SIZE * 0.375;
    const c1 = SIZE * 0.625;
    for (let i = 0; i < COUNT; i++)
      for (let y = 0; y < SIZE; y++)
        for (let xx = 0; xx < SIZE; xx++) {
          const p = i * SIZE * SIZE + y * SIZE + xx;
          let d = 0;
          for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(out[p * 3 + c] - pixels[p * 3 + c]));
          if (background[p]) {
            bgPixels++;
            if (d > 0.02) bgChanged++;
          } else {
            other++;
            if (masks.mask[p]) otherMasked++;
          }
          if (!background[p] && y >= c0 && y < c1 && xx >= c0 && xx < c1) {
            centre++;
            if (d === 0) centreUntouched++;
            if (masks.mask[p]) centreWrong++;
          }
        }
    expect(bgPixels).toBeGreaterThan(COUNT * SIZE * SIZE * 0.3);
    expect(centre).toBeGreaterThan(COUNT * 20);
    expect(bgChanged / bgPixels).toBeGreaterThan(0.7);
    expect(centreUntouched / centre).toBeGreaterThan(0.97);
    // Item, copies, props, frames and logos are rarely taken for background.
    expect(otherMasked / other).toBeLessThan(0.1);
    // Another seed, other colours; prob 0 (the default) is the identity and draws nothing.
    expect(meanAbsDiff(randomBackground(x, masks, new Rng(5), 1).dataSync(), out)).toBeGreaterThan(0.02);
    const rng = new Rng(6);
    const before = rng.uniform();
    const r2 = new Rng(6);
    expect(Array.from(randomBackground(x, masks, r2, DEFAULT_BACKGROUND_AUGMENT.prob).dataSync())).toEqual(Array.from(pixels));
    expect(r2.uniform()).toBe(before);
    expect(() => backgroundMasks(pixels.subarray(3), COUNT, SIZE, SIZE)).toThrow(/not 24 images of 32x32x3/);
  });

  it('a plain background around a centred square: the whole background is masked, the square never', () => {
    const S2 = 16;
    const px = new Float32Array(S2 * S2 * 3);
    for (let y = 0; y < S2; y++)
      for (let x = 0; x < S2; x++) {
        const inside = y >= 5 && y < 11 && x >= 5 && x < 11;
        const o = (y * S2 + x) * 3;
        // A gradient background (0.3 -> 0.6 grey across the image) and a saturated red square.
        const g = 0.3 + (0.3 * x) / S2;
        px.set(inside ? [0.9, 0.1, 0.1] : [g, g, g + 0.1], o);
      }
    const m = backgroundMasks(px, 1, S2, S2, { tolerance: 0.12, band: 0.2 });
    for (let y = 0; y < S2; y++) for (let x = 0; x < S2; x++) expect(m.mask[y * S2 + x]).toBe(y >= 5 && y < 11 && x >= 5 && x < 11 ? 0 : 1);
  });
});

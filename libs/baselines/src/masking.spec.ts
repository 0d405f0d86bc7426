import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '@courier/runtime';
import { MASK_FILL, maskFeatures, maskImages, maskTitle, patchMask } from './masking';
import { tokenize } from './text';

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('MaskCLIP student views', () => {
  it('patchMask masks exactly round(ratio x cells) whole patches per image, other patches per image', () => {
    const size = 10; // patch 4 -> 3 x 3 cells, edge cells 2 px wide
    const mask = patchMask(50, size, 4, 0.5, new Rng(1));
    const patterns = new Set<string>();
    for (let img = 0; img < 50; img++) {
      const m = mask.subarray(img * size * size, (img + 1) * size * size);
      let cells = 0;
      for (let cy = 0; cy < 3; cy++) {
        for (let cx = 0; cx < 3; cx++) {
          const values = new Set<number>();
          for (let y = cy * 4; y < Math.min(size, cy * 4 + 4); y++) for (let x = cx * 4; x < Math.min(size, cx * 4 + 4); x++) values.add(m[y * size + x]);
          expect(values.size).toBe(1); // a cell is masked as a whole or not at all
          if (values.has(1)) cells++;
        }
      }
      expect(cells).toBe(Math.round(0.5 * 9));
      patterns.add(Array.from(m).join(''));
    }
    expect(patterns.size).toBeGreaterThan(30);
    expect(Array.from(patchMask(50, size, 4, 0.5, new Rng(1)))).toEqual(Array.from(mask)); // seeded
    expect(patchMask(3, size, 4, 0, new Rng(1)).every((v) => v === 0)).toBe(true);
    expect(() => patchMask(1, size, 4, 1, new Rng(1))).toThrow(/ratio must be in \[0, 1\)/);
  });

  it('maskImages paints the masked pixels grey and keeps the others', () => {
    const rng = new Rng(3);
    const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const before = x.dataSync();
    const after = maskImages(x, 2, 0.75, rng).dataSync();
    const mask = patchMask(4, 8, 2, 0.75, new Rng(3));
    let masked = 0;
    for (let p = 0; p < mask.length; p++) {
      for (let ch = 0; ch < 3; ch++) {
        if (mask[p]) expect(after[p * 3 + ch]).toBeCloseTo(MASK_FILL, 6);
        else expect(after[p * 3 + ch]).toBeCloseTo(before[p * 3 + ch], 6);
      }
      masked += mask[p];
    }
    expect(masked).toBe(4 * 12 * 4); // 12 of 16 cells of 2x2 pixels per image
    x.dispose();
  });

  it('maskFeatures zeroes about the ratio and leaves the rest unscaled; maskTitle drops about the ratio of tokens', () => {
    const x = tf.ones([200, 50]) as tf.Tensor2D;
    const out = maskFeatures(x, 0.3, new Rng(5)).dataSync();
    const zeros = out.filter((v) => v === 0).length / out.length;
    expect(zeros).toBeGreaterThan(0.27);
    expect(zeros).toBeLessThan(0.33);
    expect(out.every((v) => v === 0 || v === 1)).toBe(true);
    x.dispose();

    const title = Array.from({ length: 2000 }, (_, i) => `Tok${i % 7}`).join('  ');
    const kept = tokenize(maskTitle(title, 0.3, new Rng(2)));
    expect(kept.length / 2000).toBeGreaterThan(0.66);
    expect(kept.length / 2000).toBeLessThan(0.74);
    expect(kept.every((t) => /^tok[0-6]$/.test(t))).toBe(true); // lower-cased tokens, order kept
    expect(maskTitle('Red Dress', 0, new Rng(2))).toBe('red dress');
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_LOSS_OPTIONS, courierLoss } from '@courier/courier';
import { Rng, initBackend } from '@courier/runtime';
import { buildPretrainLists, pretrainCourier, writeCourierFeatures } from './courier-plugin';
import { loadMmrecDataset } from './dataset';
import { LABEL_PRETRAIN } from './inter';
import { readNpy } from './npy';
import { makeSyntheticDataset } from './testing';

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('COURIER plug-in', () => {
  const { root, name } = makeSyntheticDataset('tiny', { seed: 5 });
  const ds = loadMmrecDataset({ root, name, modalities: ['image'] });

  it('builds per-user lists from label-3 rows only, with negatives outside the positives', () => {
    const lists = buildPretrainLists(ds, 10, new Rng(1));
    const pre = new Map<number, number[]>();
    ds.inter.users.forEach((u, r) => {
      if (ds.inter.labels[r] === LABEL_PRETRAIN) pre.set(u, [...(pre.get(u) ?? []), ds.inter.items[r]]);
    });
    expect(lists.users.length + lists.skipped).toBe(pre.size);
    lists.users.forEach((u, k) => {
      expect([...lists.positives[k]].sort()).toEqual([...pre.get(u)!].sort());
      expect(lists.negatives[k]).toHaveLength(10);
      for (const q of lists.negatives[k]) expect(pre.get(u)!.includes(q)).toBe(false);
    });
  });

  it('pre-trains deterministically, embeds every item and writes [image | C] with matched scale', async () => {
    const opts = { dim: 16, hidden: 32, epochs: 1, batchUsers: 64, lr: 1e-3, negatives: 10, pvPositives: 2, clickLength: 5, seed: 9, lossFn: (i: Parameters<typeof courierLoss>[0]) => courierLoss(i, DEFAULT_LOSS_OPTIONS) };
    const before = tf.memory().numTensors;
    const a = await pretrainCourier(ds, opts);
    expect(tf.memory().numTensors).toBe(before);
    const b = await pretrainCourier(ds, opts);
    expect(a.embeddings).toEqual(b.embeddings);
    expect(a.embeddings.length).toBe(ds.nItems * 16);
    expect(a.epochLosses.every(Number.isFinite)).toBe(true);
    expect(a.paramCount).toBe(32 * 32 + 32 + 32 * 16 + 16);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-feat-'));
    const image = ds.features.image!;
    writeCourierFeatures(dir, image, a.embeddings, 16, 'match-image');
    const f = readNpy(path.join(dir, 'image_feat_courier.npy'), [ds.nItems, image.dim + 16]);
    let meanNorm = 0;
    for (let i = 0; i < ds.nItems; i++) meanNorm += Math.hypot(...image.data.subarray(i * image.dim, (i + 1) * image.dim)) / ds.nItems;
    for (const i of [0, 17, ds.nItems - 1]) {
      const row = f.data.subarray(i * (image.dim + 16), (i + 1) * (image.dim + 16));
      expect(Array.from(row.subarray(0, image.dim))).toEqual(Array.from(image.data.subarray(i * image.dim, (i + 1) * image.dim)));
      expect(Math.hypot(...row.subarray(image.dim))).toBeCloseTo(meanNorm, 3);
    }
    // The enlarged file loads as the image modality with the right row count.
    const enlarged = loadMmrecDataset({ root, name, modalities: ['image'], imageFile: path.join(dir, 'image_feat_courier.npy') });
    expect(enlarged.features.image!.dim).toBe(image.dim + 16);
  });
});

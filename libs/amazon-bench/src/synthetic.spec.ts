import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '@courier/runtime';
import { oracleScorer, popularityScorer, profileScorer, randomScorer } from './baselines';
import { loadMmrecDataset } from './dataset';
import { evaluateSplits } from './evaluate';
import { readInter } from './inter';
import { readNpy } from './npy';
import { AMAZON_BENCH_SCHEMA, AmazonBenchConfig, runAmazonBench } from './bench';
import { syntheticParams, syntheticParamsMismatch } from './synthetic';
import { makeSyntheticDataset } from './testing';

describe('synthetic generator (tiny preset)', () => {
  const { root, name } = makeSyntheticDataset('tiny', { seed: 3 });
  const ds = loadMmrecDataset({ root, name, modalities: ['image', 'text'] });

  it('writes MMRec files whose sizes, shapes and label shares match the parameters', () => {
    const p = syntheticParams('tiny');
    expect([ds.nUsers, ds.nItems]).toEqual([p.users, p.items]);
    expect([ds.features.image!.dim, ds.features.text!.dim]).toEqual([32, 16]);
    const counts = new Map<number, number>();
    ds.inter.items.forEach((i) => counts.set(i, (counts.get(i) ?? 0) + 1));
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(5); // every item >= 5 users
    const shares = ds.stats.labelCounts;
    const n = ds.stats.rows;
    // Courier split: valid/test one row per (small) user; pre-training ~ 5/8 of the training part.
    expect(shares.valid).toBe(p.users);
    expect(shares.pretrain / (shares.pretrain + shares.train)).toBeGreaterThan(0.5);
    expect(shares.pretrain / (shares.pretrain + shares.train)).toBeLessThan(0.7);
    expect(shares.train + shares.valid + shares.test + shares.pretrain).toBe(n);
    for (let i = 0; i < ds.features.image!.data.length; i++) expect(ds.features.image!.data[i]).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(fs.readFileSync(path.join(root, name, 'stats.json'), 'utf8')).users).toBe(300);
  });

  it('is deterministic in the seed', () => {
    const again = makeSyntheticDataset('tiny', { seed: 3, nuisanceScale: 1 }); // different cache key, same params
    const a = readInter(path.join(root, name, `${name}.inter`)).table;
    const b = readInter(path.join(again.root, again.name, `${again.name}.inter`)).table;
    expect(Array.from(b.items)).toEqual(Array.from(a.items));
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(readNpy(path.join(again.root, again.name, 'image_feat.npy')).data).toEqual(ds.features.image!.data);
  });

  it('plants the taste signal: oracle >> image-profile > random; the control removes the image advantage', async () => {
    const zi = readNpy(path.join(root, name, 'latent_items.npy'));
    const tu = readNpy(path.join(root, name, 'latent_users.npy'));
    const evalOpts = { nItems: ds.nItems, trainItemsByUser: ds.trainItemsByUser };
    const r20 = async (s: Parameters<typeof evaluateSplits>[0], d = ds) => (await evaluateSplits(s, { test: d.test }, evalOpts)).test['recall@20'];
    const oracle = await r20(oracleScorer(tu.data, zi.data, zi.shape[1], ds.nItems));
    const image = await r20(profileScorer(ds, ds.features.image!));
    const random = await r20(randomScorer(ds.nItems, 1));
    expect(oracle).toBeGreaterThan(image + 0.2);
    expect(image).toBeGreaterThan(random + 0.05);
    await r20(popularityScorer(ds)); // runs; its value is not ordered against text on tiny data
    const ctl = makeSyntheticDataset('tiny', { seed: 3, imageTaste: false });
    const cds = loadMmrecDataset({ root: ctl.root, name: ctl.name, modalities: ['image'] });
    // Same interactions (the image draw is a separate stream), no taste in the image.
    expect(Array.from(cds.inter.items)).toEqual(Array.from(ds.inter.items));
    const ctlImage = await r20(profileScorer(cds, cds.features.image!), cds);
    expect(ctlImage).toBeLessThan(image - 0.05);
  });
});

describe('reusing a generated dataset folder', () => {
  const { root, name } = makeSyntheticDataset('tiny', { seed: 3 });
  const dir = path.join(root, name);

  it('finds no mismatch for the parameters it was generated with, and names every key that differs', () => {
    expect(syntheticParamsMismatch(dir, syntheticParams('tiny', { seed: 3 }))).toEqual([]);
    const diff = syntheticParamsMismatch(dir, syntheticParams('tiny', { seed: 4, imageNoise: 1.5 }));
    expect(diff).toEqual([
      { key: 'imageNoise', existing: 0.5, requested: 1.5 },
      { key: 'seed', existing: 3, requested: 4 },
    ]);
  });

  it('has nothing to compare in a folder without generator parameters (real data)', () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'amazon-real-'));
    expect(syntheticParamsMismatch(bare, syntheticParams('tiny'))).toBeNull();
    fs.writeFileSync(path.join(bare, 'stats.json'), JSON.stringify({ users: 10 }));
    expect(syntheticParamsMismatch(bare, syntheticParams('tiny'))).toBeNull();
  });

  it('makes a run that asks for other synthetic data fail before training, naming the file and key', async () => {
    const config = resolveConfig<AmazonBenchConfig>(AMAZON_BENCH_SCHEMA, {
      overrides: { dataset: name, dataRoot: root, generate: 'tiny', syntheticSeed: 3, imageNoise: 1.5 },
    });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'amazon-run-'));
    const env = { outDir: out, seed: 1, log: () => {}, time: <T>(_n: string, fn: () => Promise<T> | T) => Promise.resolve(fn()), courierLoss: () => { throw new Error('not reached'); } };
    await expect(runAmazonBench(config, env)).rejects.toThrow(`${path.join(dir, 'stats.json')}: dataset "${name}" was generated with other parameters (imageNoise: folder 0.5, requested 1.5)`);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});

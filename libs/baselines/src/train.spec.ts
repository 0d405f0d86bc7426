import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RAW_ITEMS, rawItemFromRow } from '@courier/data-contracts';
import { buildSamples } from '@courier/data-builder';
import { readParquetAll, readVectorTable } from '@courier/io';
import { Rng, createLogger, initBackend } from '@courier/runtime';
import { readWorldInfo } from '@courier/world';
import { makeTinyWorld } from '@courier/world/testing';
import { BACKBONE_CHECKPOINT_FILE, ItemInputs, createBackbone, exportEmbeddings, imageItemsFromCatalogue, inMemoryItems, readCheckpoint } from '@courier/nn';
import { BaselineConfig, BaselineMethod, defaultBaselineConfig } from './config';
import { trainBaseline } from './stage';
import { emaUpdate, trainBaselineModel } from './train';

const S = 8;
const D = 16;
const quiet = createLogger('baseline-spec', { level: 'warn' });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-baselines-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Tiny models; a batch larger than the data makes every step a full pass, so losses are comparable. */
const TINY: Partial<BaselineConfig> = { backbone: 'mlp-pixels', backboneParams: { hidden: [32] }, dim: D, imageSize: S, batchSize: 300, steps: 12, lr: 3e-3 };

let world: string;
let samplesDir: string;
let items: ItemInputs;
let catalogueIds: number[];

beforeAll(async () => {
  await initBackend({ log: () => {} });
  world = await makeTinyWorld(1);
  samplesDir = path.join(root, 'samples');
  await buildSamples({ worldDir: world, outDir: samplesDir, seed: 1, log: quiet });
  // Decoded once and shared by the runs (trainBaseline decodes the world's images itself when not given).
  items = await imageItemsFromCatalogue(path.join(world, RAW_ITEMS.fileName), { imageSize: S });
  catalogueIds = items.itemIds();
});

describe('trainBaseline on a tiny world', () => {
  for (const method of ['simclr', 'simsiam', 'clip', 'maskclip', 'supervised'] as BaselineMethod[]) {
    it(`${method}: loss falls over a few steps; embeddings.arrow covers every item (unit rows, method "${method}"); run.json`, async () => {
      const outDir = path.join(root, method);
      const losses: number[] = [];
      const tensorsBefore = tf.memory().numTensors;
      const meta = await trainBaseline({ method, worldDir: world, samplesDir, outDir, seed: 4, items, log: quiet, progress: false, config: TINY, onStep: (s) => losses.push(s.loss) });
      expect(tf.memory().numTensors).toBe(tensorsBefore); // no tensor left behind

      expect(losses).toHaveLength(12);
      const first = mean(losses.slice(0, 3));
      const last = mean(losses.slice(-3));
      // eslint-disable-next-line no-console
      console.log(`${method}: loss ${losses.map((l) => l.toFixed(3)).join(' ')}`);
      expect(last).toBeLessThan(first - (method === 'supervised' ? 0.004 : 0.05));

      const run = JSON.parse(fs.readFileSync(path.join(outDir, 'run.json'), 'utf8'));
      expect(run.stage).toBe(`baseline-${method}`);
      expect(typeof run.backend).toBe('string');
      expect(run.samplesPerSecond).toBeGreaterThan(0);
      expect(run.finalLoss).toBeCloseTo(mean(losses), 5);
      expect(run.steps).toBe(12);
      expect(run.config.method).toBe(method);
      expect(meta.itemsExported).toBe(catalogueIds.length);

      const table = readVectorTable(path.join(outDir, 'embeddings.arrow'));
      expect(Array.from(table.ids)).toEqual(catalogueIds);
      expect(table.dim).toBe(D);
      expect(table.metadata.method).toBe(method);
      expect(table.metadata.normalized).toBe('true');
      let worst = 0;
      for (let i = 0; i < table.ids.length; i++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += table.vectors[i * D + j] ** 2;
        worst = Math.max(worst, Math.abs(Math.sqrt(s) - 1));
      }
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it('image methods train on the pre-training categories, without items that arrive after the last pre-training day', async () => {
    const info = readWorldInfo(world);
    const cats = new Set(info.categories.filter((c) => c.inPretraining).map((c) => c.name));
    const last = Math.max(...info.days.pretrain);
    const rows = (await readParquetAll(path.join(world, RAW_ITEMS.fileName), RAW_ITEMS)).map(rawItemFromRow);
    const expected = rows.filter((r) => cats.has(r.category) && r.firstDay <= last).length;
    expect(expected).toBeGreaterThan(20);
    expect(expected).toBeLessThan(rows.length / 2);
    const run = JSON.parse(fs.readFileSync(path.join(root, 'clip', 'run.json'), 'utf8'));
    expect(run.trainExamples).toBe(expected);
  });

  it('is deterministic by seed (same seed, same embeddings; another seed, others)', async () => {
    const run = async (seed: number, dir: string) => {
      await trainBaseline({ method: 'simsiam', worldDir: world, outDir: path.join(root, dir), seed, items, log: quiet, progress: false, config: { ...TINY, steps: 2, batchSize: 32 } });
      return readVectorTable(path.join(root, dir, 'embeddings.arrow')).vectors;
    };
    const a = await run(7, 'det-a');
    const b = await run(7, 'det-b');
    const c = await run(8, 'det-c');
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('backbone.ckpt holds the backbone alone, in the form a COURIER run starts from (initFrom, issue #18): loaded into a fresh backbone it reproduces embeddings.arrow', async () => {
    // libs/courier's init-from-baseline.spec reads a fixture of this form (it may not import this stage).
    const outDir = path.join(root, 'simclr');
    const ckpt = readCheckpoint(path.join(outDir, BACKBONE_CHECKPOINT_FILE));
    const config = ckpt.header.config as Record<string, unknown>;
    expect({ backbone: config.backbone, backboneParams: config.backboneParams, dim: config.dim, imageSize: config.imageSize }).toEqual({ backbone: TINY.backbone, backboneParams: TINY.backboneParams, dim: D, imageSize: S });
    expect(ckpt.header.model.featureDim).toBe(0);
    const backbone = await createBackbone(String(config.backbone), { dim: D, imageSize: S, featureDim: 0, seed: 12345, params: config.backboneParams as Record<string, unknown> });
    expect([...ckpt.tensors.keys()].sort()).toEqual(backbone.variables.map((v) => `model/${v.name}`).sort());
    for (const { name, variable } of backbone.variables) {
      const value = tf.tensor(ckpt.tensors.get(`model/${name}`)!.values, variable.shape);
      variable.assign(value);
      value.dispose();
    }
    const mine = (await exportEmbeddings({ backbone, items, progress: false })).vectors;
    backbone.dispose();
    const theirs = readVectorTable(path.join(outDir, 'embeddings.arrow')).vectors;
    let worst = 0;
    mine.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - theirs[i]))));
    expect(worst).toBeLessThan(1e-6);
  });

  it('errors: supervised without samples, unknown config key, backbone/input mismatch', async () => {
    await expect(trainBaseline({ method: 'supervised', worldDir: world, outDir: path.join(root, 'err1'), seed: 1, items, log: quiet })).rejects.toThrow(/samplesDir is required/);
    await expect(trainBaseline({ method: 'simclr', worldDir: world, outDir: path.join(root, 'err2'), seed: 1, items, log: quiet, config: { tempreature: 0.1 } as never })).rejects.toThrow(/unknown config key "tempreature"/);
    await expect(trainBaseline({ method: 'nope' as never, worldDir: world, outDir: path.join(root, 'err3'), seed: 1 })).rejects.toThrow(/unknown method "nope"/);
    await expect(trainBaselineModel({ method: 'simclr', seed: 1, items, config: defaultBaselineConfig({ ...TINY, backbone: 'mlp-features' }), progress: false, log: quiet })).rejects.toThrow(/takes features inputs/);
  });
});

describe('trainBaselineModel with the cnn backbone', () => {
  it('every method runs through the convolutional backbone (a couple of small steps, finite losses)', async () => {
    // The tfjs CPU backend's convolution gradient is slow: few images, two steps each.
    const ids = catalogueIds.slice(0, 12);
    const titles = new Map(ids.map((id) => [id, `title ${id % 3}`]));
    for (const method of ['simclr', 'simsiam', 'clip', 'maskclip'] as const) {
      const r = await trainBaselineModel({ method, seed: 5, items, trainIds: ids, titles, progress: false, log: quiet, config: defaultBaselineConfig({ backbone: 'cnn', backboneParams: { channels: [4] }, dim: D, imageSize: S, batchSize: 12, steps: 2 }) });
      expect(r.lossHistory).toHaveLength(2);
      expect(r.lossHistory.every(Number.isFinite)).toBe(true);
      expect(r.backbone.name).toBe('cnn');
      r.dispose();
    }
  });
});

describe('trainBaselineModel on feature vectors (mlp-features)', () => {
  it('simclr and simsiam use feature-space augmentations; the loss falls', async () => {
    const rng = new Rng(2);
    const F = 24;
    const vectors = new Map<number, Float32Array>();
    for (let id = 0; id < 64; id++) vectors.set(id, Float32Array.from({ length: F }, () => rng.normal() + (id % 4 === 0 ? 2 : 0)));
    const featureItems = inMemoryItems('features', [F], vectors);
    for (const method of ['simclr', 'simsiam'] as const) {
      const r = await trainBaselineModel({ method, seed: 3, items: featureItems, progress: false, log: quiet, config: defaultBaselineConfig({ backbone: 'mlp-features', backboneParams: { hidden: [32] }, dim: D, batchSize: 64, steps: 10, lr: 3e-3 }) });
      expect(r.trainExamples).toBe(64);
      expect(mean(r.lossHistory.slice(-3))).toBeLessThan(mean(r.lossHistory.slice(0, 3)) - 0.02);
      expect(r.backbone.embed(tf.zeros([2, F]) as tf.Tensor2D).shape).toEqual([2, D]);
      r.dispose();
    }
  });
});

describe('MaskCLIP teacher update', () => {
  it('emaUpdate: momentum 1 keeps the teacher, 0 copies the student, 0.75 blends', () => {
    const v = (name: string, values: number[]) => ({ name, variable: tf.variable(tf.tensor1d(values)) });
    const student = [v('w', [4, 8])];
    const teacher = [v('w', [0, 0])];
    emaUpdate(teacher, student, 1);
    expect(Array.from(teacher[0].variable.dataSync())).toEqual([0, 0]);
    emaUpdate(teacher, student, 0.75);
    expect(Array.from(teacher[0].variable.dataSync())).toEqual([1, 2]);
    emaUpdate(teacher, student, 0);
    expect(Array.from(teacher[0].variable.dataSync())).toEqual([4, 8]);
    expect(() => emaUpdate([], student, 0.5)).toThrow(/teacher has 0 variables, student 1/);
    [...student, ...teacher].forEach((x) => x.variable.dispose());
  });
});

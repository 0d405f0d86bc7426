import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKBONE_CHECKPOINT_FILE, ItemInputs, createBackbone, exportEmbeddings, inMemoryItems, writeCheckpoint } from '@courier/nn';
import { Rng, initBackend } from '@courier/runtime';
import { defaultPretrainConfig } from './config';
import { createInitialBackbone, initBackboneFrom } from './trainer';

const S = 8;
const D = 16;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-init-from-baseline-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The backbone of a tiny baseline run (as in @courier/baselines' train.spec): an 8x8 MLP. */
const BACKBONE = { backbone: 'mlp-pixels', backboneParams: { hidden: [32] }, dim: D, imageSize: S };

let items: ItemInputs;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  const rng = new Rng(3);
  const images = new Map<number, Float32Array>();
  for (let id = 1; id <= 40; id++) images.set(id, Float32Array.from({ length: S * S * 3 }, () => rng.next()));
  items = inMemoryItems('image', [S, S, 3], images);
});

/**
 * A baseline run folder as @courier/baselines writes it, made here with @courier/nn alone (a stage's
 * spec does not import another stage): backbone.ckpt holds the backbone's variables as
 * `model/<name>`, the header `config` names backbone, dim, imageSize and backboneParams, and
 * `model.featureDim` is 0 for images. libs/baselines' train.spec checks that trainBaseline writes
 * exactly this; apps/experiments composes the two (the init-simclr and init-supervised variants).
 */
async function baselineRunFixture(outDir: string, seed: number): Promise<Float32Array> {
  const backbone = await createBackbone(BACKBONE.backbone, { dim: D, imageSize: S, featureDim: 0, seed, params: BACKBONE.backboneParams });
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const { name, variable } of backbone.variables) tensors.set(`model/${name}`, { shape: variable.shape, values: (await variable.data()) as Float32Array });
  fs.mkdirSync(outDir, { recursive: true });
  writeCheckpoint(path.join(outDir, BACKBONE_CHECKPOINT_FILE), {
    header: { version: 1, step: 2, epoch: 0, position: 0, complete: true, rngState: [0, 0, 0, 0], lossHistory: [], config: { ...BACKBONE, method: 'simclr' }, model: { featureDim: 0, backboneInput: 'image', method: 'simclr' }, savedAt: new Date(0).toISOString() },
    tensors,
  });
  const vectors = (await exportEmbeddings({ backbone, items, progress: false })).vectors.slice();
  backbone.dispose();
  return vectors;
}

describe('initFrom a baseline run (issue #18)', () => {
  it('a COURIER backbone initialised from a baseline folder\'s backbone.ckpt reproduces the baseline\'s embeddings; another dim is refused', async () => {
    const outDir = path.join(root, 'init-source');
    const theirs = await baselineRunFixture(outDir, 6);
    const cfg = defaultPretrainConfig({ backbone: BACKBONE.backbone, backboneParams: BACKBONE.backboneParams, dim: D, imageSize: S, seed: 99 });
    const backbone = await createInitialBackbone(cfg);
    const before = (await exportEmbeddings({ backbone, items, progress: false })).vectors.slice();
    expect(initBackboneFrom(backbone, cfg, 0, outDir)).toBe(path.join(outDir, BACKBONE_CHECKPOINT_FILE));
    const mine = (await exportEmbeddings({ backbone, items, progress: false })).vectors;
    backbone.dispose();
    let worst = 0;
    let moved = 0;
    mine.forEach((x, i) => {
      worst = Math.max(worst, Math.abs(x - theirs[i]));
      moved = Math.max(moved, Math.abs(x - before[i]));
    });
    expect(worst).toBeLessThan(1e-6);
    expect(moved).toBeGreaterThan(1e-2);
    expect(() => initBackboneFrom(backbone, { ...cfg, dim: 8 }, 0, outDir)).toThrow(/backbone.ckpt was trained with dim=16, this run has dim=8/);
  });
});

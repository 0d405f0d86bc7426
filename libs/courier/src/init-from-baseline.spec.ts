import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RAW_ITEMS } from '@courier/data-contracts';
import { BASELINE_BACKBONE_FILE, BaselineConfig, trainBaseline } from '@courier/baselines';
import { readVectorTable } from '@courier/io';
import { ItemInputs, exportEmbeddings, imageItemsFromCatalogue } from '@courier/nn';
import { createLogger, initBackend } from '@courier/runtime';
import { makeTinyWorld } from '@courier/world/testing';
import { defaultPretrainConfig } from './config';
import { createInitialBackbone, initBackboneFrom } from './trainer';

const S = 8;
const D = 16;
const quiet = createLogger('init-from-baseline-spec', { level: 'warn' });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-init-from-baseline-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A tiny baseline (as in @courier/baselines' train.spec): two steps of SimCLR on an 8x8 MLP. */
const TINY: Partial<BaselineConfig> = { backbone: 'mlp-pixels', backboneParams: { hidden: [32] }, dim: D, imageSize: S, batchSize: 32, steps: 2, lr: 3e-3 };

let world: string;
let items: ItemInputs;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  world = await makeTinyWorld(1);
  items = await imageItemsFromCatalogue(path.join(world, RAW_ITEMS.fileName), { imageSize: S });
});

describe('initFrom a baseline run (issue #18)', () => {
  it('leaves backbone.ckpt, from which a COURIER backbone (initFrom, issue #18) reproduces the baseline\'s embeddings', async () => {
    const outDir = path.join(root, 'init-source');
    await trainBaseline({ method: 'simclr', worldDir: world, outDir, seed: 6, items, log: quiet, progress: false, config: TINY });
    expect(fs.existsSync(path.join(outDir, BASELINE_BACKBONE_FILE))).toBe(true);
    const cfg = defaultPretrainConfig({ backbone: TINY.backbone, backboneParams: TINY.backboneParams, dim: D, imageSize: S, seed: 99 });
    const backbone = await createInitialBackbone(cfg);
    const before = (await exportEmbeddings({ backbone, items, progress: false })).vectors.slice();
    initBackboneFrom(backbone, cfg, 0, outDir);
    const mine = (await exportEmbeddings({ backbone, items, progress: false })).vectors;
    backbone.dispose();
    const theirs = readVectorTable(path.join(outDir, 'embeddings.arrow')).vectors;
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

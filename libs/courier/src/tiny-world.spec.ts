/**
 * COURIER end to end on the synthetic tiny world (@courier/world + @courier/data-builder): real
 * Parquet samples, PNG images decoded through @courier/io, the pretrain stage writing run.json and
 * embeddings.arrow. The tiny world has only ~260 pre-training page views over ~110 items, too few
 * for the look to be learned reliably (README: neighbour agreement by hue region stays near its
 * initial level there); what it must show is that the loss falls, every catalogue item gets an
 * embedding, and the no-contrast ablation collapses while COURIER does not.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@courier/runtime';
import { readVectorTable } from '@courier/io';
import { makeTinyWorld } from '@courier/world/testing';
import { readGroundTruth } from '@courier/world';
import { buildSamples } from '@courier/data-builder';
import { defaultPretrainConfig } from './config';
import { runPretrainExportStage, runPretrainTrainStage } from './stage';
import { chanceAgreement, embeddingSpread, neighbourAgreement } from './eval';

describe('COURIER on the tiny world', () => {
  let world = '';
  let samplesDir = '';
  beforeAll(async () => {
    await initBackend({ log: () => {} });
    world = await makeTinyWorld(1);
    samplesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-tw-samples-'));
    await buildSamples({ worldDir: world, outDir: samplesDir, seed: 1 });
  });

  it('trains from files, exports every item, keeps its spread while the no-contrast ablation collapses', async () => {
    const base = defaultPretrainConfig({ backbone: 'mlp-pixels', backboneParams: { hidden: [64] }, dim: 32, imageSize: 16, batchSize: 32, steps: 12, lr: 1e-3, checkpointEvery: 6, seed: 1 });
    const outFull = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-tw-full-'));
    const outFlat = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-tw-flat-'));
    const losses: number[] = [];
    const meta = await runPretrainTrainStage({ samples: samplesDir, world, outDir: outFull, config: base, onStep: (s) => losses.push(s.loss) });
    expect(losses.length).toBe(12);
    expect(losses.slice(-4).reduce((a, b) => a + b) / 4).toBeLessThan(losses.slice(0, 2).reduce((a, b) => a + b) / 2);
    await runPretrainTrainStage({ samples: samplesDir, world, outDir: outFlat, config: { ...base, contrastive: false } });

    // run.json: the stable keys of DESIGN.md.
    const run = JSON.parse(fs.readFileSync(path.join(outFull, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ stage: 'pretrain', steps: 12, resumedFrom: null, backend: expect.any(String) });
    expect(run.samplesPerSecond).toBeGreaterThan(0);
    expect(run.finalLoss).toBe(meta.finalLoss);
    expect(run.imagesEncoded).toBeLessThan(run.imageSlots);

    const gt = readGroundTruth(world);
    const full = readVectorTable(path.join(outFull, 'embeddings.arrow'));
    const flat = readVectorTable(path.join(outFlat, 'embeddings.arrow'));
    // Every catalogue item, including those no pre-training sample shows.
    expect(full.ids.length).toBe(gt.items.size);
    expect(full.metadata).toMatchObject({ method: 'courier', normalized: 'true' });
    const hue = Array.from(full.ids, (id) => gt.items.get(id)!.hueRegion);
    const spreadFull = embeddingSpread(full.vectors, full.dim);
    const spreadFlat = embeddingSpread(flat.vectors, flat.dim);
    const agreeFull = neighbourAgreement(full.vectors, full.dim, hue);
    // eslint-disable-next-line no-console
    console.log(JSON.stringify({ finalLoss: run.finalLoss, spreadFull, spreadFlat, agreeFull, chance: chanceAgreement(hue) }));
    expect(spreadFlat).toBeLessThan(0.3 * spreadFull);
    expect(agreeFull).toBeGreaterThan(2 * chanceAgreement(hue));

    // A second `train` in the same folder resumes the finished checkpoint and trains nothing.
    const again = await runPretrainTrainStage({ samples: samplesDir, world, outDir: outFull, config: base, exportEmbeddings: false });
    expect(again).toMatchObject({ resumedFrom: 12, steps: 12 });
    // `export` from the checkpoint reproduces the training run's embeddings.
    const outExport = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-tw-export-'));
    await runPretrainExportStage({ from: outFull, world, outDir: outExport });
    const re = readVectorTable(path.join(outExport, 'embeddings.arrow'));
    expect(Array.from(re.ids)).toEqual(Array.from(full.ids));
    let maxDiff = 0;
    re.vectors.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - full.vectors[i]))));
    expect(maxDiff).toBeLessThan(1e-5);
  });
});

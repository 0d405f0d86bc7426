/**
 * Benchmark of the pre-training baselines: training throughput (samples/s) and peak RSS of
 * SimCLR, SimSiam, CLIP, MaskCLIP and Supervised on the default tfjs backend, with the default
 * backbone (cnn [16, 32, 64]), d = 256 and 32x32 images on a generated world. Images are decoded before timing (the decode
 * cache is warm), so the numbers are the training step alone.
 *
 *   npx tsx tools/bench/baselines.ts [--preset tiny|demo] [--steps 8] [--batch 64] [--backbone cnn]
 *                                    [--image-size 32] [--methods simclr,simsiam,clip,maskclip,supervised]
 *
 * samples/s counts images for simclr/simsiam (each gives two views), image-title pairs for clip
 * and maskclip (maskclip also encodes a masked copy and runs the teacher), and page views (up to 10 images each, deduplicated per batch) for supervised.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RAW_ITEMS } from '@courier/data-contracts';
import { buildSamples } from '@courier/data-builder';
import { createLogger, initBackend, parseCliArgs } from '@courier/runtime';
import { WorldPreset, generateWorld } from '@courier/world';
import { imageItemsFromCatalogue, parquetSamples } from '@courier/nn';
import { BaselineMethod, defaultBaselineConfig, readCatalogue, readPretrainScope, trainBaselineModel, trainingItemIds } from '@courier/baselines';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const preset = String(flags.preset ?? 'tiny') as WorldPreset;
  const steps = Number(flags.steps ?? 8);
  const batchSize = Number(flags.batch ?? 64);
  const backbone = String(flags.backbone ?? 'cnn');
  const imageSize = Number(flags['image-size'] ?? 32);
  const methods = String(flags.methods ?? 'simclr,simsiam,clip,maskclip,supervised').split(',') as BaselineMethod[];
  const quiet = createLogger('bench', { level: 'warn' });
  const backend = await initBackend();

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-baselines-'));
  try {
    const world = path.join(root, 'world');
    await generateWorld({ preset, outDir: world, seed: 1, log: quiet });
    await buildSamples({ worldDir: world, outDir: path.join(root, 'samples'), seed: 1, log: quiet });
    const itemsFile = path.join(world, RAW_ITEMS.fileName);
    const catalogue = await readCatalogue(itemsFile);
    const items = await imageItemsFromCatalogue(itemsFile, { imageSize });
    const t0 = performance.now();
    await items.load(items.itemIds()); // warm the decode cache
    const decodeSeconds = (performance.now() - t0) / 1000;
    const trainIds = trainingItemIds(catalogue, readPretrainScope(world), true);
    const titles = new Map(catalogue.map((it) => [it.itemId, it.title]));
    const rows: Record<string, unknown>[] = [];
    for (const method of methods) {
      const config = defaultBaselineConfig({ backbone, dim: 256, imageSize, batchSize, steps });
      const r = await trainBaselineModel({ method, seed: 1, items, trainIds, titles, samples: parquetSamples(path.join(root, 'samples', 'pretrain-samples.parquet')), config, progress: false, log: quiet });
      rows.push({ method, samplesPerSecond: Number(r.samplesPerSecond.toFixed(1)), steps: r.steps, batchSize, firstLoss: Number(r.lossHistory[0].toFixed(4)), lastLoss: Number(r.lossHistory[r.lossHistory.length - 1].toFixed(4)), trainExamples: r.trainExamples });
      r.dispose();
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
    console.log(
      JSON.stringify({ bench: 'baselines', preset, backend: backend.name, backbone, imageSize, dim: 256, items: catalogue.length, trainImages: trainIds.length, decodeSeconds: Number(decodeSeconds.toFixed(2)), loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))), cores: os.cpus().length, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), results: rows }, null, 1),
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * Where a CTR training step spends its time: tf.profile of a few steps on the planted-look fixture,
 * kernel milliseconds summed by kernel name, plus wall time per step split into batch building,
 * forward+backward and the optimizer.
 *
 *   npx tsx tools/bench/ctr-profile.ts [--users 200] [--steps 5] [--mode cluster-id|simscore|vector|baseline] [--order shuffled|sequential]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend, parseCliArgs } from '@courier/runtime';
import { CtrModel, buildBatch, buildItemFeatures, buildVocab, loadCatalogue, loadCtrSamples, loadImageFeatures, resolveCtrConfig } from '@courier/ctr';
import { makeCtrFixture } from '@courier/ctr/testing';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const nUsers = Number(flags.users ?? 200);
  const steps = Number(flags.steps ?? 5);
  const mode = String(flags.mode ?? 'cluster-id');
  const backend = await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctr-profile-'));
  try {
    const fx = await makeCtrFixture({ seed: 1, nUsers, outDir: dir });
    const config = resolveCtrConfig({});
    const catalogue = await loadCatalogue(fx.itemsFile);
    const data = await loadCtrSamples(fx.samplesFile, catalogue, { maxHistory: config.maxHistory });
    const image = mode === 'baseline' ? null : await loadImageFeatures(catalogue, { mode: mode as 'cluster-id', embeddingsFile: fx.oracleFile });
    const train = data.train;
    const itemIds: number[] = [];
    for (let i = 0; i < train.n; i++) itemIds.push(catalogue.itemIds[train.itemRow[i]]);
    for (let j = 0; j < train.histItems.length; j++) itemIds.push(catalogue.itemIds[train.histItems[j]]);
    const itemVocab = buildVocab(itemIds);
    const userVocab = buildVocab(train.userId);
    const items = buildItemFeatures(catalogue, itemVocab, config, image);
    const shape = { itemVocab: itemVocab.ids.length + 1, userVocab: userVocab.ids.length + 1, numCategories: catalogue.categories.length, image: image ? { mode: image.mode, dim: image.dim, numClusters: image.numClusters, centroids: image.centroids, centroidDim: image.centroidDim } : null };
    const model = new CtrModel(config, shape as ConstructorParameters<typeof CtrModel>[1], 1);
    const bs = config.batchSize;
    // 'shuffled': rows drawn at random (training with row shuffling); 'sequential': consecutive rows,
    // so the rows of a page view share a batch (evaluation order, page-view batches).
    const order = String(flags.order ?? 'shuffled');
    const pick = new Rng(7);
    const batches = Array.from({ length: steps + 2 }, (_, s) =>
      Int32Array.from({ length: bs }, (_, i) => (order === 'sequential' ? (s * bs + i) % train.n : Math.floor(pick.next() * train.n))),
    );
    let t = performance.now();
    const built = batches.map((rows) => buildBatch(train, rows, items, { config, userIndex: userVocab.index }));
    const buildMs = (performance.now() - t) / batches.length;
    model.trainStep(built[0]);
    model.trainStep(built[1]); // warm-up
    t = performance.now();
    for (let s = 2; s < built.length; s++) model.trainStep(built[s]);
    const msPerStep = (performance.now() - t) / steps;
    const byName = new Map<string, { ms: number; n: number }>();
    let kernelMs = 0;
    let kernelCount = 0;
    const info = await tf.profile(() => {
      for (let s = 2; s < built.length; s++) model.trainStep(built[s]);
    });
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { ms: 0, n: 0 };
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.ms += ms / steps;
      e.n += 1 / steps;
      kernelMs += ms / steps;
      kernelCount += 1 / steps;
      byName.set(k.name, e);
    }
    const byKernel = [...byName.entries()].map(([n, e]) => [n, e.ms, Math.round(e.n)] as [string, number, number]).sort((a, b) => b[1] - a[1]);
    const r = { msPerStep, buildMs, kernelMs, kernelCount: Math.round(kernelCount), byKernel };
    console.log(`backend ${backend.name}, mode ${mode}, order ${order}, batch ${config.batchSize}, L ${config.maxHistory}, distinct histories per batch ${(built.reduce((a, b) => a + b.H, 0) / built.length).toFixed(1)}`);
    console.log(`wall per step: ${r.msPerStep.toFixed(1)} ms (${Math.round((config.batchSize * 1000) / r.msPerStep)} rows/s); batch build ${r.buildMs.toFixed(1)} ms; kernels ${r.kernelCount} per step; kernel ms ${r.kernelMs.toFixed(1)}`);
    for (const [name, ms, count] of r.byKernel.slice(0, 25)) console.log(`${name.padEnd(28)} ${ms.toFixed(1).padStart(8)} ms ${String(count).padStart(5)} calls`);
    void tf;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

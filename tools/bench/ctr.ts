/**
 * CTR benchmark: training rows/s and evaluation rows/s of the CTR model (default config, on
 * the planted-look fixture), and AUC + GAUC time on 1e7 rows.
 *
 *   npx tsx tools/bench/ctr.ts [--rows 10000000] [--users 200] [--epochs 1]
 *   npx tsx tools/bench/ctr.ts --world DIR --samples DIR [--epochs 1] [--modes baseline,cluster-id]
 *
 * With --world and --samples (a generated world and its data-builder output, e.g. the demo
 * pipeline's), it measures the real CTR data instead: training rows/s of one epoch with
 * batchOrder 'rows' and 'page-views' and scoring rows/s, for the baseline and the oracle's
 * cluster id, default config.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auc, gauc } from '@courier/metrics';
import { Rng, initBackend, parseCliArgs } from '@courier/runtime';
import { loadCatalogue, loadCtrSamples, loadImageFeatures, predictCtr, resolveCtrConfig, splitValidation, trainCtr } from '@courier/ctr';
import { makeCtrFixture } from '@courier/ctr/testing';

async function onWorld(world: string, samples: string, epochs: number, modeNames: string[]): Promise<void> {
  const backend = await initBackend();
  const results: Record<string, unknown> = { backend: backend.name, cpus: os.cpus().length, loadAverage: os.loadavg()[0], world, samples };
  const config = resolveCtrConfig({ epochs });
  const catalogue = await loadCatalogue(path.join(world, 'items.parquet'));
  const data = await loadCtrSamples(path.join(samples, 'ctr-samples.parquet'), catalogue, { maxHistory: config.maxHistory });
  const { fit } = splitValidation(data.train, config.validationDays);
  results.trainRows = fit.n;
  results.evalRows = data.eval.n;
  for (const mode of modeNames) {
    const image =
      mode === 'baseline'
        ? null
        : await loadImageFeatures(catalogue, { mode: 'cluster-id', embeddingsFile: path.join(world, 'oracle-embeddings.arrow'), clustersFile: path.join(world, 'oracle-clusters.parquet') });
    const row: Record<string, number> = {};
    for (const batchOrder of ['rows', 'page-views'] as const) {
      const trained = trainCtr({ catalogue, train: fit, image, config: resolveCtrConfig({ epochs, batchOrder }), seed: 1 });
      row[`train-${batchOrder}`] = Math.round(trained.stats.rowsPerSecond);
      if (batchOrder === 'rows') {
        const { seconds } = predictCtr(trained, data.eval);
        row.score = Math.round(data.eval.n / seconds);
      }
      trained.model.dispose();
    }
    results[mode] = row;
    console.log(`${mode}: train ${row['train-rows']} rows/s (batchOrder rows), ${row['train-page-views']} rows/s (page-views, ${(row['train-page-views'] / row['train-rows']).toFixed(2)}x); scoring ${row.score} rows/s`);
  }
  results.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify(results, null, 2));
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  if (flags.world || flags.samples) {
    if (!flags.world || !flags.samples) throw new Error('ctr bench: --world and --samples go together (a world folder and its data-builder output)');
    await onWorld(String(flags.world), String(flags.samples), Number(flags.epochs ?? 1), String(flags.modes ?? 'baseline,cluster-id').split(','));
    return;
  }
  const nRows = Number(flags.rows ?? 1e7);
  const nUsers = Number(flags.users ?? 200);
  const epochs = Number(flags.epochs ?? 1);
  const backend = await initBackend();
  const results: Record<string, unknown> = { backend: backend.name, cpus: os.cpus().length, loadAverage: os.loadavg()[0] };

  // Metrics on nRows: ~10 rows per session, 20% positives, scores with ties (rounded to 1e-4).
  const rng = new Rng(1);
  const scores = new Float32Array(nRows);
  const labels = new Uint8Array(nRows);
  const groups = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    labels[i] = rng.next() < 0.2 ? 1 : 0;
    scores[i] = Math.round((rng.next() + 0.3 * labels[i]) * 1e4) / 1e4;
    groups[i] = Math.floor(i / 10);
  }
  let t = process.hrtime.bigint();
  const a = auc(scores, labels);
  const aucSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  t = process.hrtime.bigint();
  const g = gauc(scores, labels, groups);
  const gaucSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  Object.assign(results, { metricRows: nRows, auc: a, aucSeconds, gauc: g.gauc, gaucGroups: g.perGroup.length, gaucSeconds, metricsSeconds: aucSeconds + gaucSeconds });
  console.log(`AUC on ${nRows} rows: ${aucSeconds.toFixed(2)} s; GAUC over ${g.perGroup.length} sessions: ${gaucSeconds.toFixed(2)} s`);

  // Model throughput on the fixture with the default config.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctr-bench-'));
  try {
    const fx = await makeCtrFixture({ seed: 1, nUsers, outDir: dir });
    const config = resolveCtrConfig({ epochs });
    const catalogue = await loadCatalogue(fx.itemsFile);
    const data = await loadCtrSamples(fx.samplesFile, catalogue, { maxHistory: config.maxHistory });
    const modes = [
      { name: 'baseline', image: null },
      { name: 'cluster-id', image: await loadImageFeatures(catalogue, { mode: 'cluster-id', embeddingsFile: fx.oracleFile }) },
      { name: 'simscore', image: await loadImageFeatures(catalogue, { mode: 'simscore', embeddingsFile: fx.oracleFile }) },
    ];
    const model: Record<string, unknown> = { trainRows: data.train.n, evalRows: data.eval.n, maxHistory: config.maxHistory, batchSize: config.batchSize, epochs };
    for (const m of modes) {
      const trained = trainCtr({ catalogue, train: data.train, image: m.image, config, seed: 1 });
      const { seconds } = predictCtr(trained, data.eval);
      model[m.name] = { trainRowsPerSecond: Math.round(trained.stats.rowsPerSecond), evalRowsPerSecond: Math.round(data.eval.n / seconds) };
      console.log(`${m.name}: train ${Math.round(trained.stats.rowsPerSecond)} rows/s, eval ${Math.round(data.eval.n / seconds)} rows/s`);
      trained.model.dispose();
    }
    results.model = model;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

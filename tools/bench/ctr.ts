/**
 * CTR benchmark: training rows/s and evaluation rows/s of the CTR model (default config, on
 * the planted-look fixture), and AUC + GAUC time on 1e7 rows.
 *
 *   npx tsx tools/bench/ctr.ts [--rows 10000000] [--users 200] [--epochs 1]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auc, gauc } from '@courier/metrics';
import { Rng, initBackend, parseCliArgs } from '@courier/runtime';
import { loadCatalogue, loadCtrSamples, loadImageFeatures, predictCtr, resolveCtrConfig, trainCtr } from '@courier/ctr';
import { makeCtrFixture } from '@courier/ctr/testing';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
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

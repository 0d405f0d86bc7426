// Benchmark: seconds per training epoch and per full-ranking evaluation for BPR, BM3 and MMGCN on
// a synthetic dataset of the Baby size (19,445 users, 7,050 items, 4096-d image, 384-d text),
// plus peak RSS. Runs only a couple of epochs (no early stopping).
//   npx tsx tools/bench/amazon.ts [--preset baby] [--epochs 2] [--models BPR,BM3,MMGCN] [--data DIR] [--split courier|mmrec]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SyntheticPreset, evaluateSplits, generateSynthetic, getModel, loadMmrecDataset, syntheticParams, trainAndEvaluate } from '@courier/amazon-bench';
import { Rng, initBackend, parseCliArgs } from '@courier/runtime';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const preset = String(flags.preset ?? 'baby') as SyntheticPreset;
  const epochs = Number(flags.epochs ?? 2);
  const split = String(flags.split ?? 'courier') as 'courier' | 'mmrec';
  const models = String(flags.models ?? 'BPR,BM3,MMGCN').split(',');
  const root = String(flags.data ?? path.join(os.tmpdir(), 'amazon-bench-data'));
  const name = `synthetic-${preset}-${split}`;
  const backend = await initBackend();
  const rssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
  if (!fs.existsSync(path.join(root, name, `${name}.inter`))) {
    const t = performance.now();
    generateSynthetic(root, name, syntheticParams(preset, { seed: 0, split }), (l) => console.log(l));
    console.log(`generated ${preset} in ${((performance.now() - t) / 1000).toFixed(1)}s`);
  }
  const results: Record<string, unknown>[] = [];
  for (const model of models) {
    const entry = getModel(model);
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const run = await trainAndEvaluate(entry, ds, entry.defaults, 999, { maxEpochs: epochs, patience: 1000, batchSize: 2048, evalBlockSize: 4096, skipEval: true, log: (l) => console.log(l) });
    // One full-ranking evaluation (valid + test) with a freshly built model's scorer.
    const m = entry.create(ds, entry.defaults, new Rng(1));
    const t = performance.now();
    const sc = m.scorer();
    await evaluateSplits(sc.score, { valid: ds.valid, test: ds.test }, { nItems: ds.nItems, trainItemsByUser: ds.trainItemsByUser });
    sc.dispose();
    m.dispose();
    const evalSeconds = (performance.now() - t) / 1000;
    const perEpoch = run.epochs.map((e) => e.trainSeconds);
    results.push({ model, trainRows: ds.train.users.length, params: run.paramCount, losses: run.epochs.map((e) => e.loss), secondsPerEpoch: perEpoch.map((s) => +s.toFixed(3)), evalSeconds: +evalSeconds.toFixed(2), peakRssMb: rssMb() });
    console.log(JSON.stringify(results[results.length - 1]));
  }
  console.log(JSON.stringify({ preset, split, backend: backend.name, cpus: os.cpus().length, loadavg: os.loadavg().map((x) => +x.toFixed(1)), results }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

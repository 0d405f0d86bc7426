/**
 * "+ours" rerun with every test metric (issue #23): written when the app's report kept only R@20,
 * R@50 and N@50 per seed; this records R@10/20/50 and N@10/20/50 (the app reports all six since
 * commit 2809865; this tool still adds the paired ours - plain table). Same training call as `amazon-bench run`
 * (trainAndEvaluate with each model's `defaults` point, batches of 2048, early stopping on
 * validation Recall@20), on a dataset folder the app generated and the `image_feat_courier.npy`
 * an app run wrote (`<out>/courier/`). The +ours side reads a copy of the folder whose
 * image_feat.npy is that file (the other files are symlinks), i.e. what the app's withFeatures
 * does in memory.
 *
 *   npx tsx tools/bench/amazon-ours.ts --data DIR/synthetic-small --courier-features OUT/courier/image_feat_courier.npy \
 *       [--models BM3,MMGCN] [--seeds 1,2,3,4,5] [--max-epochs 40] [--patience 20] --out rows.jsonl   # appends one JSON line per run
 *   npx tsx tools/bench/amazon-ours.ts --merge rows.jsonl[,more.jsonl]   # mean ± sd table and paired ours - plain
 *
 * Seeds are the outer loop, so an interrupted run leaves complete pairs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getModel, loadMmrecDataset, trainAndEvaluate } from '@courier/amazon-bench';
import { initBackend, parseCliArgs } from '@courier/runtime';

interface Row {
  model: string;
  features: 'original' | 'courier';
  seed: number;
  bestEpoch: number;
  epochs: number;
  stopReason: string;
  trainSecondsPerEpoch: number;
  evalSecondsPerEpoch: number;
  valid: Record<string, number>;
  test: Record<string, number>;
}

const METRICS = ['recall@10', 'recall@20', 'recall@50', 'ndcg@10', 'ndcg@20', 'ndcg@50'];
const SHORT: Record<string, string> = { 'recall@10': 'R@10', 'recall@20': 'R@20', 'recall@50': 'R@50', 'ndcg@10': 'N@10', 'ndcg@20': 'N@20', 'ndcg@50': 'N@50' };
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sd = (xs: number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pm = (xs: number[]): string => (xs.length ? `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}` : '-');
const signed = (xs: number[]): string => (xs.length ? `${mean(xs) >= 0 ? '+' : ''}${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}` : '-');

function merge(files: string[]): void {
  const rows = files.flatMap((f) =>
    fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Row),
  );
  const models = [...new Set(rows.map((r) => r.model))];
  const lines = [`| method | seeds | ${METRICS.map((m) => SHORT[m]).join(' | ')} | best epochs |`, `|---|---|${METRICS.map(() => '---|').join('')}---|`];
  for (const model of models) {
    for (const features of ['original', 'courier'] as const) {
      const rs = rows.filter((r) => r.model === model && r.features === features).sort((a, b) => a.seed - b.seed);
      if (!rs.length) continue;
      lines.push(
        `| ${model}${features === 'courier' ? '+ours' : ''} | ${rs.map((r) => r.seed).join(',')} | ${METRICS.map((m) => pm(rs.map((r) => r.test[m]))).join(' | ')} | ${rs.map((r) => r.bestEpoch).join(', ')} |`,
      );
    }
  }
  lines.push('', `| ours − plain (paired by seed) | seeds | ${METRICS.map((m) => SHORT[m]).join(' | ')} | valid R@20 |`, `|---|---|${METRICS.map(() => '---|').join('')}---|`);
  for (const model of models) {
    const plain = new Map(rows.filter((r) => r.model === model && r.features === 'original').map((r) => [r.seed, r]));
    const pairs = rows.filter((r) => r.model === model && r.features === 'courier' && plain.has(r.seed)).sort((a, b) => a.seed - b.seed);
    if (!pairs.length) continue;
    const d = (m: string, k: 'test' | 'valid'): number[] => pairs.map((o) => o[k][m] - plain.get(o.seed)![k][m]);
    const pos = (m: string): number => d(m, 'test').filter((x) => x > 0).length;
    lines.push(
      `| ${model} | ${pairs.map((r) => r.seed).join(',')} | ${METRICS.map((m) => `${signed(d(m, 'test'))} (${pos(m)}/${pairs.length} > 0)`).join(' | ')} | ${signed(d('recall@20', 'valid'))} |`,
    );
  }
  const secs = models.map((m) => {
    const rs = rows.filter((r) => r.model === m);
    return `${m}: train ${mean(rs.map((r) => r.trainSecondsPerEpoch)).toFixed(3)} s/epoch, eval ${mean(rs.map((r) => r.evalSecondsPerEpoch)).toFixed(3)} s, ${mean(rs.map((r) => r.epochs)).toFixed(1)} epochs per run`;
  });
  console.log([...lines, '', ...secs].join('\n'));
}

/** A sibling folder `<name>` holding the dataset with image_feat.npy replaced by `courierFile`. */
function courierFolder(dataDir: string, courierFile: string): string {
  const name = path.basename(dataDir);
  const root = path.join(path.dirname(dataDir), 'with-courier');
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dataDir)) {
    const target = path.join(dir, f);
    if (fs.existsSync(target)) fs.rmSync(target);
    fs.symlinkSync(path.resolve(f === 'image_feat.npy' ? courierFile : path.join(dataDir, f)), target);
  }
  return root;
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  if (flags.merge) return merge(String(flags.merge).split(','));
  const dataDir = path.resolve(String(flags.data));
  const courierFile = String(flags['courier-features']);
  const models = String(flags.models ?? 'BM3,MMGCN').split(',');
  const seeds = String(flags.seeds ?? '1,2,3,4,5').split(',').map(Number);
  const maxEpochs = Number(flags['max-epochs'] ?? 40);
  const patience = Number(flags.patience ?? 20);
  const out = String(flags.out);
  const backend = await initBackend({ log: () => {} });
  console.log(`backend ${JSON.stringify(backend)}`);
  const name = path.basename(dataDir);
  const sides = { original: path.dirname(dataDir), courier: courierFolder(dataDir, courierFile) };
  for (const seed of seeds) {
    for (const model of models) {
      const entry = getModel(model);
      for (const features of ['original', 'courier'] as const) {
        const ds = loadMmrecDataset({ root: sides[features], name, modalities: entry.modalities });
        const t0 = performance.now();
        const run = await trainAndEvaluate(entry, ds, entry.defaults, seed, { maxEpochs, patience, batchSize: 2048, evalBlockSize: 4096 });
        const row: Row = {
          model,
          features,
          seed,
          bestEpoch: run.bestEpoch,
          epochs: run.epochs.length,
          stopReason: run.stopReason,
          trainSecondsPerEpoch: mean(run.epochs.map((e) => e.trainSeconds)),
          evalSecondsPerEpoch: mean(run.epochs.map((e) => e.evalSeconds)),
          valid: run.valid,
          test: run.test,
        };
        fs.appendFileSync(out, JSON.stringify(row) + '\n');
        console.log(`${new Date().toISOString()} ${model}${features === 'courier' ? '+ours' : ''} seed ${seed}: best ${run.bestEpoch}/${run.epochs.length} (${run.stopReason}) test R@20 ${run.test['recall@20']} N@20 ${run.test['ndcg@20']} [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Accuracy and speed parity of the amazon-bench models with the reference implementation (MMRec,
 * PyTorch) on the same generated MMRec-format folder (issue #23).
 *
 *   npx tsx tools/bench/amazon-parity.ts [--preset small] [--split courier|mmrec] [--data DIR]
 *       [--models SLMRec,DualGNN,LATTICE,MGCN] [--seeds 1,2,3] [--max-epochs 1000] [--patience 20]
 *       [--set key=value,...] [--mmrec /path/to/MMRec] [--python python3] [--out results.json]
 *       [--sides both|ours|reference]
 *   npx tsx tools/bench/amazon-parity.ts --merge ours.json,reference.json   # one table from two runs
 *
 * Both sides: the model's `defaults` point (same hyper-parameters; --set overrides ours and the
 * mapped MMRec keys), Adam, batches of 2048, one negative per row, evaluation every epoch, early
 * stopping on validation Recall@20 (patience 20), test metrics at the best-validation epoch.
 * Ours runs in this process (one backend thread when COURIER_THREADS=1); the reference runs
 * tools/bench/amazon-peer/run_mmrec.py on a copy of the MMRec checkout given by --mmrec (needs
 * a python3 with torch, numpy, scipy, pandas, pyyaml; absent: ours only). Seeds draw different
 * random numbers on the two sides (no cross-language RNG equality): compare means over seeds.
 * Prints a markdown table: test R@20 and N@20 (mean +- sample sd), seconds per training epoch
 * and per evaluation (valid + test), epochs run, parameter counts, first-epoch mean batch loss.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SyntheticPreset, generateSynthetic, getModel, loadMmrecDataset, syntheticParams, trainAndEvaluate, ModelParams } from '@courier/amazon-bench';
import { initBackend, parseCliArgs } from '@courier/runtime';
import { MMREC_KEYS } from './amazon-mmrec-keys';


interface SeedRow {
  side: 'ours' | 'reference';
  model: string;
  seed: number;
  paramCount: number;
  epochs: number;
  bestEpoch: number;
  firstEpochLoss: number;
  trainSecondsPerEpoch: number;
  evalSecondsPerEpoch: number;
  test: Record<string, number>;
  valid: Record<string, number>;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sd = (xs: number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pm = (xs: number[]): string => (xs.length ? `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}` : '-');
const num = (xs: number[], digits: number): string => (xs.length ? mean(xs).toFixed(digits) : '-');

function table(rows: SeedRow[], models: string[], header: string): string[] {
  const lines = [
    header,
    '',
    '| model | R@20 ours | R@20 reference | N@20 ours | N@20 reference | train s/epoch ours / ref | eval s ours / ref | epochs ours / ref | params ours / ref | first-epoch loss ours / ref |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const model of models) {
    const o = rows.filter((r) => r.model === model && r.side === 'ours');
    const f = rows.filter((r) => r.model === model && r.side === 'reference');
    const col = (rs: SeedRow[], k: keyof SeedRow, d: number) => num(rs.map((r) => r[k] as number), d);
    lines.push(
      `| ${model} | ${pm(o.map((r) => r.test['recall@20']))} | ${pm(f.map((r) => r.test['recall@20']))} | ${pm(o.map((r) => r.test['ndcg@20']))} | ${pm(f.map((r) => r.test['ndcg@20']))} | ` +
        `${col(o, 'trainSecondsPerEpoch', 3)} / ${col(f, 'trainSecondsPerEpoch', 3)} | ${col(o, 'evalSecondsPerEpoch', 2)} / ${col(f, 'evalSecondsPerEpoch', 2)} | ` +
        `${col(o, 'epochs', 0)} / ${col(f, 'epochs', 0)} | ${o[0]?.paramCount ?? '-'} / ${f[0]?.paramCount ?? '-'} | ${col(o, 'firstEpochLoss', 4)} / ${col(f, 'firstEpochLoss', 4)} |`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  if (flags.merge) {
    // A --out JSON, or a captured stdout log (its per-seed JSON lines; e.g. of an interrupted run).
    const runs = String(flags.merge)
      .split(',')
      .map((f) => {
        const text = fs.readFileSync(f, 'utf8');
        if (f.endsWith('.json')) return JSON.parse(text) as { rows: SeedRow[]; header: string; models: string[] };
        const rows = text.split('\n').filter((l) => l.startsWith('{') && l.includes('"side"')).map((l) => JSON.parse(l) as SeedRow);
        return { rows, header: `${f}: ${rows.length} seed runs`, models: [...new Set(rows.map((r) => r.model))] };
      });
    const rows = runs.flatMap((r) => r.rows);
    const models = [...new Set(runs.flatMap((r) => r.models))];
    console.log(table(rows, models, runs.map((r) => r.header).join('\n')).join('\n'));
    return;
  }
  const sides = String(flags.sides ?? 'both');
  const preset = String(flags.preset ?? 'small') as SyntheticPreset;
  const split = String(flags.split ?? 'courier') as 'courier' | 'mmrec';
  const root = path.resolve(String(flags.data ?? path.join(os.tmpdir(), 'amazon-bench-data')));
  const models = String(flags.models ?? 'SLMRec,DualGNN,LATTICE,MGCN').split(',');
  const seeds = String(flags.seeds ?? '1,2,3').split(',').map(Number);
  const maxEpochs = Number(flags['max-epochs'] ?? 1000);
  const patience = Number(flags.patience ?? 20);
  const mmrec = flags.mmrec ? path.resolve(String(flags.mmrec)) : '';
  const python = String(flags.python ?? 'python3');
  const overrides: ModelParams = {};
  for (const kv of String(flags.set ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    overrides[k] = Number.isFinite(Number(v)) ? Number(v) : v;
  }
  const name = `synthetic-${preset}-${split}`;
  const backend = await initBackend({ log: () => {} });
  if (!fs.existsSync(path.join(root, name, `${name}.inter`))) {
    generateSynthetic(root, name, syntheticParams(preset, { seed: 0, split }), (l) => console.log(l));
  }
  const rows: SeedRow[] = [];
  for (const model of models) {
    const entry = getModel(model);
    const params = { ...entry.defaults, ...overrides };
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    for (const seed of sides === 'reference' ? [] : seeds) {
      const run = await trainAndEvaluate(entry, ds, params, seed, { maxEpochs, patience, batchSize: 2048, evalBlockSize: 4096 });
      const row: SeedRow = {
        side: 'ours',
        model,
        seed,
        paramCount: run.paramCount,
        epochs: run.epochs.length,
        bestEpoch: run.bestEpoch,
        firstEpochLoss: run.firstEpochLoss,
        trainSecondsPerEpoch: mean(run.epochs.map((e) => e.trainSeconds)),
        evalSecondsPerEpoch: mean(run.epochs.map((e) => e.evalSeconds)),
        test: run.test,
        valid: run.valid,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    if (!mmrec || sides === 'ours') continue;
    const map = MMREC_KEYS[model];
    if (!map) throw new Error(`no MMRec key mapping for ${model}`);
    const refParams: Record<string, unknown> = { ...(map.extra ?? {}) };
    for (const [ours, ref] of Object.entries(map.keys)) refParams[ref] = params[ours];
    const script = path.join(__dirname, 'amazon-peer', 'run_mmrec.py');
    const args = [script, '--mmrec', mmrec, '--data-root', root, '--dataset', name, '--model', model, '--seeds', seeds.join(','), '--max-epochs', String(maxEpochs), '--patience', String(patience), '--params', JSON.stringify(refParams)];
    const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`reference ${model} failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-3000)}`);
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const row = JSON.parse(line) as SeedRow;
      rows.push(row);
      console.log(line);
    }
  }
  const header = `preset ${preset}, split ${split}, generator seed 0, seeds ${seeds.join(',')}, max epochs ${maxEpochs}, patience ${patience}, sides ${sides}, backend ${backend.name}, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}`;
  const lines = table(rows, models, header);
  console.log(lines.join('\n'));
  if (flags.out) fs.writeFileSync(String(flags.out), JSON.stringify({ preset, split, seeds, maxEpochs, patience, sides, models, header, overrides, backend: backend.name, loadavg: os.loadavg(), rows, table: lines }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

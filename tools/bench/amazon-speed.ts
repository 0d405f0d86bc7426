/**
 * Training and evaluation speed of the amazon-bench models against the reference (MMRec on
 * PyTorch) in one script run, alternating the two sides so that both see the same machine load
 * (issue #23). Each round trains one seed for --epochs epochs with evaluation after every epoch,
 * ours in this process (trainAndEvaluate), then the reference (amazon-peer/run_mmrec.py, the
 * same generated folder, the model's `defaults` point). Prints per model the median and the
 * minimum over all epochs of all rounds of the training seconds per epoch and of one
 * evaluation (valid + test), and writes the raw per-epoch numbers with --out.
 *
 *   COURIER_THREADS=1 npx tsx tools/bench/amazon-speed.ts --mmrec /path/to/MMRec --python /usr/bin/python3
 *       [--models BPR,BM3,MMGCN] [--epochs 8] [--rounds 2] [--preset small] [--out speed.json]
 *       [--sides both|ours|reference]
 *
 * To compare with an older revision too, run that revision's copy of this script with
 * --sides ours (e.g. from a `git archive` of it, node_modules linked) between rounds of this
 * one, each with --rounds 1, and pool the --out files (their `raw` per-epoch lists).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SyntheticPreset, generateSynthetic, getModel, loadMmrecDataset, syntheticParams, trainAndEvaluate } from '@courier/amazon-bench';
import { initBackend, parseCliArgs } from '@courier/runtime';
import { MMREC_KEYS } from './amazon-mmrec-keys';
import { median } from './stats';


const fmt = (xs: number[], d = 3): string => (xs.length ? `${median(xs).toFixed(d)} (min ${Math.min(...xs).toFixed(d)})` : '-');

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const preset = String(flags.preset ?? 'small') as SyntheticPreset;
  const models = String(flags.models ?? 'BPR,BM3,MMGCN').split(',');
  const epochs = Number(flags.epochs ?? 8);
  const rounds = Number(flags.rounds ?? 2);
  const mmrec = flags.mmrec ? path.resolve(String(flags.mmrec)) : '';
  const python = String(flags.python ?? 'python3');
  const sides = String(flags.sides ?? 'both');
  const root = path.resolve(String(flags.data ?? path.join(os.tmpdir(), 'amazon-bench-data')));
  const name = `synthetic-${preset}-courier`;
  const backend = await initBackend({ log: () => {} });
  if (!fs.existsSync(path.join(root, name, `${name}.inter`))) generateSynthetic(root, name, syntheticParams(preset, { seed: 0, split: 'courier' }));
  const raw: Record<string, { ours: { train: number[]; eval: number[]; firstLoss: number[] }; reference: { train: number[]; eval: number[]; firstLoss: number[] } }> = {};
  const load: number[] = [];
  for (const model of models) {
    const entry = getModel(model);
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const r = (raw[model] = { ours: { train: [] as number[], eval: [] as number[], firstLoss: [] as number[] }, reference: { train: [] as number[], eval: [] as number[], firstLoss: [] as number[] } });
    for (let round = 0; round < rounds; round++) {
      load.push(os.loadavg()[0]);
      if (sides !== 'reference') {
        const run = await trainAndEvaluate(entry, ds, entry.defaults, 999, { maxEpochs: epochs, patience: 10_000, batchSize: 2048, evalBlockSize: 4096 });
        r.ours.train.push(...run.epochs.map((e) => e.trainSeconds));
        r.ours.eval.push(...run.epochs.map((e) => e.evalSeconds));
        r.ours.firstLoss.push(run.firstEpochLoss);
        console.log(`${model} round ${round} ours: train ${run.epochs.map((e) => e.trainSeconds.toFixed(3)).join(' ')}`);
      }
      if (!mmrec || sides === 'ours') continue;
      const map = MMREC_KEYS[model];
      const refParams: Record<string, unknown> = { ...(map.extra ?? {}) };
      for (const [ours, ref] of Object.entries(map.keys)) refParams[ref] = entry.defaults[ours];
      const script = path.join(__dirname, 'amazon-peer', 'run_mmrec.py');
      const args = [script, '--mmrec', mmrec, '--data-root', root, '--dataset', name, '--model', model, '--seeds', '999', '--max-epochs', String(epochs), '--patience', '10000', '--params', JSON.stringify(refParams)];
      const p = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
      if (p.status !== 0) throw new Error(`reference ${model} failed (exit ${p.status}):\n${(p.stderr ?? '').slice(-3000)}`);
      for (const line of p.stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const row = JSON.parse(line) as { trainSecondsEachEpoch: number[]; evalSecondsEachEpoch: number[]; firstEpochLoss: number };
        r.reference.train.push(...row.trainSecondsEachEpoch);
        // valid + test per epoch.
        for (let i = 0; i + 1 < row.evalSecondsEachEpoch.length; i += 2) r.reference.eval.push(row.evalSecondsEachEpoch[i] + row.evalSecondsEachEpoch[i + 1]);
        r.reference.firstLoss.push(row.firstEpochLoss);
        console.log(`${model} round ${round} reference: train ${row.trainSecondsEachEpoch.map((s) => s.toFixed(3)).join(' ')}`);
      }
    }
  }
  const header = `preset ${preset} (courier split), seed 999, ${epochs} epochs x ${rounds} rounds per side, alternating; backend ${backend.name}, COURIER_THREADS=${process.env.COURIER_THREADS ?? '-'}, ${os.cpus().length} cpus, load ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}`;
  const lines = [header, '', '| model | train s/epoch ours, median (min) | reference | eval s ours | reference | first-epoch loss ours / reference |', '|---|---|---|---|---|---|'];
  for (const model of models) {
    const r = raw[model];
    lines.push(`| ${model} | ${fmt(r.ours.train)} | ${fmt(r.reference.train)} | ${fmt(r.ours.eval, 2)} | ${fmt(r.reference.eval, 2)} | ${r.ours.firstLoss[0]?.toFixed(4) ?? '-'} / ${r.reference.firstLoss[0]?.toFixed(4) ?? '-'} |`);
  }
  console.log(lines.join('\n'));
  if (flags.out) fs.writeFileSync(String(flags.out), JSON.stringify({ header, models, epochs, rounds, raw, table: lines }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * Projected time of the Table 2 command (issue #23) from a short timing run of the same command:
 * per row (method) the median training seconds per epoch (epochs after the first, which carries
 * the warm-up) and the median evaluation seconds per epoch from the run's runs.jsonl, times the
 * epochs a run is assumed to take and the number of seeds; plus the run's one-off phases from
 * run.json (generation, load, COURIER pre-training scaled to its full epoch count).
 *
 *   npx tsx apps/amazon-bench/src/main.ts run --config apps/amazon-bench/table2.yaml --out DIR --seeds 1 --max-epochs 3 --courier-epochs 1
 *   npx tsx tools/bench/amazon-table2-eta.ts --run DIR [--seeds 5] [--epochs 50,100,200] [--courier-epochs 5] [--json out.json]
 *
 * `--epochs`: epochs per run (best epoch + patience 21 when early stopping ends it; the cap 1000
 * bounds it). No dependencies beyond node: reads the two files only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { median } from './stats';

interface RunLine {
  label: string;
  seed: number;
  epochsRun: number;
  seconds: number;
  /** Absent in runs.jsonl files written before they were added: then seconds / epochsRun is used for both. */
  trainSeconds?: number[];
  evalSeconds?: number[];
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}


const hours = (s: number): string => `${(s / 3600).toFixed(1)} h`;

function main(): void {
  const dir = flag('run', '');
  if (!dir) throw new Error('--run DIR (an amazon-bench run folder with runs.jsonl and run.json) is required');
  const seeds = Number(flag('seeds', '5'));
  const epochsList = flag('epochs', '50,100,200').split(',').map(Number);
  const courierEpochs = Number(flag('courier-epochs', '5'));
  const lines = fs
    .readFileSync(path.join(dir, 'runs.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunLine);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { timings: Record<string, number>; config: Record<string, unknown> };
  const labels = [...new Set(lines.map((l) => l.label))];
  const rows = labels.map((label) => {
    const rs = lines.filter((l) => l.label === label);
    const split = rs.every((r) => r.trainSeconds && r.evalSeconds);
    const whole = median(rs.map((r) => r.seconds / Math.max(1, r.epochsRun)));
    const train = split ? median(rs.flatMap((r) => (r.trainSeconds!.length > 1 ? r.trainSeconds!.slice(1) : r.trainSeconds!))) : whole;
    const evalS = split ? median(rs.flatMap((r) => r.evalSeconds!)) : 0;
    const firstEpoch = split ? median(rs.map((r) => r.trainSeconds![0])) : whole;
    return { label, epochsMeasured: rs.map((r) => r.epochsRun), firstEpochTrain: firstEpoch, trainPerEpoch: train, evalPerEpoch: evalS, perEpoch: train + evalS };
  });
  const courierRun = meta.timings['courier-pretrain'] ?? 0;
  const courierRunEpochs = Number(meta.config.courierEpochs ?? 1);
  const oneOff = { generate: meta.timings.generate ?? 0, load: meta.timings.load ?? 0, courierPretrain: (courierRun / courierRunEpochs) * courierEpochs };
  const perEpochAll = rows.reduce((a, r) => a + r.perEpoch, 0);
  const projections = epochsList.map((e) => ({
    epochsPerRun: e,
    perModelSeed: Object.fromEntries(rows.map((r) => [r.label, +(r.perEpoch * e).toFixed(0)])),
    totalSeconds: +(perEpochAll * e * seeds + oneOff.courierPretrain + oneOff.load + oneOff.generate).toFixed(0),
  }));
  const out = { run: dir, dataset: meta.config.dataset, seeds, courierEpochs, rows, oneOff, projections };
  const md = [
    `| method | train s/epoch (first epoch) | eval s/epoch | ${epochsList.map((e) => `one seed at ${e} epochs`).join(' | ')} |`,
    `|---|---|---|${epochsList.map(() => '---|').join('')}`,
    ...rows.map((r) => `| ${r.label} | ${r.trainPerEpoch.toFixed(2)} (${r.firstEpochTrain.toFixed(2)}) | ${r.evalPerEpoch.toFixed(2)} | ${epochsList.map((e) => `${(r.perEpoch * e / 60).toFixed(0)} min`).join(' | ')} |`),
    `| all ${rows.length} rows x ${seeds} seeds + one-off | | | ${projections.map((p) => hours(p.totalSeconds)).join(' | ')} |`,
    '',
    `one-off: generation ${oneOff.generate.toFixed(0)} s, load ${oneOff.load.toFixed(0)} s, COURIER pre-training ${oneOff.courierPretrain.toFixed(0)} s (${courierEpochs} epochs, from ${courierRun.toFixed(0)} s for ${courierRunEpochs})`,
  ].join('\n');
  console.log(md);
  const json = flag('json', '');
  if (json) fs.writeFileSync(json, JSON.stringify(out, null, 2) + '\n');
}

main();

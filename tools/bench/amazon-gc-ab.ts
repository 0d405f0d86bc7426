/**
 * A/B of node's `--single-threaded-gc` on training speed (issue #23): per model and round, two
 * processes back to back, `node [--single-threaded-gc] --import tsx tools/bench/amazon.ts --preset P
 * --epochs E --models M` (training only, no evaluation), the order alternating between rounds
 * (flag first in odd rounds), so machine-load drift does not favour one side. The flag cannot be
 * set through NODE_OPTIONS or from inside the process, hence the child processes.
 *
 *   npx tsx tools/bench/amazon-gc-ab.ts [--models MMGCN,BM3] [--rounds 6] [--epochs 12] [--preset small] [--data DIR] [--out ab.json]
 *
 * Per run: median seconds per training epoch over epochs 2..E (epoch 1 carries the JIT warm-up).
 * Prints each round's ratio without / with the flag (> 1: the flag is faster) and the median and
 * range of the ratios per model.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseCliArgs } from '@courier/runtime';
import { median } from './stats';


function runOnce(flag: boolean, model: string, epochs: number, preset: string, data: string): { perEpoch: number[]; median: number; wall: number } {
  const args = [...(flag ? ['--single-threaded-gc'] : []), '--import', 'tsx', 'tools/bench/amazon.ts', '--preset', preset, '--epochs', String(epochs), '--models', model, '--data', data];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env, maxBuffer: 64 << 20 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"model"'));
  if (!line) throw new Error(`no result line in the output of node ${args.join(' ')}`);
  const perEpoch = (JSON.parse(line) as { secondsPerEpoch: number[] }).secondsPerEpoch;
  return { perEpoch, median: median(perEpoch.slice(1)), wall };
}

function main(): void {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const models = String(flags.models ?? 'MMGCN,BM3').split(',');
  const rounds = Number(flags.rounds ?? 6);
  const epochs = Number(flags.epochs ?? 12);
  const preset = String(flags.preset ?? 'small');
  const data = String(flags.data ?? path.join(os.tmpdir(), 'amazon-bench-data'));
  const out = flags.out ? String(flags.out) : null;
  const rows: Record<string, unknown>[] = [];
  const ratios: Record<string, number[]> = Object.fromEntries(models.map((m) => [m, []]));
  // Generate the dataset once outside the timed runs.
  runOnce(false, models[0], 1, preset, data);
  for (let round = 1; round <= rounds; round++) {
    for (const model of models) {
      const order = round % 2 ? [true, false] : [false, true];
      const res: Record<string, { perEpoch: number[]; median: number; wall: number }> = {};
      const load0 = os.loadavg()[0];
      for (const flag of order) res[flag ? 'flag' : 'plain'] = runOnce(flag, model, epochs, preset, data);
      const ratio = res.plain.median / res.flag.median;
      ratios[model].push(ratio);
      const row = { round, model, order: order.map((f) => (f ? 'flag' : 'plain')).join(','), load: +load0.toFixed(1), plain: res.plain, flag: res.flag, ratio: +ratio.toFixed(3) };
      rows.push(row);
      console.log(
        `${new Date().toISOString()} round ${round} ${model} (${row.order}, load ${row.load}): plain ${res.plain.median.toFixed(3)} s/epoch, --single-threaded-gc ${res.flag.median.toFixed(3)} s/epoch, plain/flag ${ratio.toFixed(2)}`,
      );
      if (out) fs.writeFileSync(out, JSON.stringify({ preset, epochs, rounds: rows }, null, 2));
    }
  }
  for (const model of models) {
    const r = ratios[model];
    console.log(`${model}: plain/flag per round ${r.map((x) => x.toFixed(2)).join(', ')}; median ${median(r).toFixed(2)}, range ${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)}; flag faster in ${r.filter((x) => x > 1).length}/${r.length}`);
  }
}

main();

// CLI: `tsx apps/amazon-bench/src/main.ts run|generate|split [--out DIR] [--config FILE] [--seed N] [--key value ...]`
//   run       the benchmark (see AMAZON_BENCH_SCHEMA; `--help` lists every key with its default)
//   generate  --preset tiny|small|baby|sports|clothing --out ROOT [--name NAME] [--image-taste false] [--seed N]
//   split     --in FILE.inter --out FILE.inter [--seed N]: COURIER 50/30/10/10 relabelling of an MMRec file
import * as path from 'node:path';
import { AMAZON_BENCH_SCHEMA, AmazonBenchConfig, LABEL_TRAIN, SyntheticPreset, courierRelabel, generateSynthetic, labelCounts, readInter, runAmazonBench, syntheticParams, writeInter } from '@courier/amazon-bench';
import { DEFAULT_LOSS_OPTIONS, courierLoss } from '@courier/courier';
import { Rng, createLogger, initBackend, overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig, runStage } from '@courier/runtime';

const USAGE = 'usage: amazon-bench run [--out DIR] [--config FILE] [--seed N] [--key value ...]\n       amazon-bench generate --preset P --out ROOT [--name NAME] [--image-taste false] [--seed N]\n       amazon-bench split --in FILE --out FILE [--seed N]\n\n';

function intFlag(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`--${name} must be an integer, got ${String(value)}`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0];
  if (flags.help || flags.h || !['run', 'generate', 'split'].includes(command)) {
    process.stdout.write(USAGE);
    printConfigHelp(AMAZON_BENCH_SCHEMA, { title: 'amazon-bench run config keys (defaults)' });
    if (!flags.help && !flags.h) process.exitCode = 2;
    return;
  }
  const seed = intFlag(flags.seed, 'seed', 0);
  const log = createLogger('amazon-bench');
  if (command === 'generate') {
    const preset = String(flags.preset ?? 'small') as SyntheticPreset;
    if (typeof flags.out !== 'string') throw new Error('amazon-bench generate: --out ROOT is required');
    const taste = flags['image-taste'] === undefined ? true : !['false', '0', 'no'].includes(String(flags['image-taste']));
    const name = typeof flags.name === 'string' ? flags.name : `synthetic-${preset}${taste ? '' : '-notaste'}`;
    generateSynthetic(flags.out, name, syntheticParams(preset, { seed, imageTaste: taste }), (l) => log.info(l));
    return;
  }
  if (command === 'split') {
    if (typeof flags.in !== 'string' || typeof flags.out !== 'string') throw new Error('amazon-bench split: --in FILE and --out FILE are required');
    const { table } = readInter(flags.in);
    const labels = courierRelabel(table.users, table.labels, table.nUsers, new Rng(seed).fork('split-courier'));
    writeInter(flags.out, { ...table, labels });
    log.info(`split ${flags.in} -> ${flags.out}: ${JSON.stringify(labelCounts(labels))} (training rows before: ${table.labels.filter((l) => l === LABEL_TRAIN).length})`);
    return;
  }
  const config = resolveConfig<AmazonBenchConfig>(AMAZON_BENCH_SCHEMA, {
    file: typeof flags.config === 'string' ? flags.config : undefined,
    overrides: overridesFromFlags(flags, AMAZON_BENCH_SCHEMA),
    where: 'amazon-bench run',
  });
  const outDir = typeof flags.out === 'string' ? flags.out : path.join('runs', `amazon-${config.dataset}-seed${seed}`);
  await initBackend();
  const lossOptions = { ...DEFAULT_LOSS_OPTIONS, tau: config.courierTau };
  await runStage({ stage: 'amazon-bench', outDir, seed, config: { ...config, courierLossOptions: lossOptions }, log }, async (ctx) => {
    const { summary } = await runAmazonBench(config, {
      outDir,
      seed,
      log: (line) => ctx.log.info(line),
      time: (name, fn) => ctx.time(name, fn),
      courierLoss: (inputs) => courierLoss(inputs, lossOptions),
    });
    return summary;
  });
  process.stdout.write(`${path.join(outDir, 'amazon-report.json')}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`amazon-bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * data: builds COURIER pre-training samples and CTR samples from raw logs.
 *
 *   tsx apps/data/src/main.ts build --world DIR [--out DIR] [--seed N] [--config FILE] [--l-pv 5 ...]
 *   tsx apps/data/src/main.ts build --items F --impressions F --pretrain-days 0,1 --ctr-train-days 2 --eval-day 3
 *   tsx apps/data/src/main.ts help
 * Default --out: the sibling `samples/` of the world folder (runs/<preset>-seed<seed>/samples).
 */
import * as path from 'node:path';
import { overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig, runStage } from '@courier/runtime';
import { DATA_BUILDER_SCHEMA, DataBuilderConfig, buildSamples } from '@courier/data-builder';
import { checkDataInputs } from './inputs';

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0] ?? 'build';
  if (command === 'help' || flags.help || flags.h) {
    printConfigHelp(DATA_BUILDER_SCHEMA, { title: 'data builder config (data build --world DIR --config FILE --<key> VALUE)' });
    return;
  }
  if (command !== 'build') throw new Error(`data: unknown command "${command}"; expected build or help`);
  const { world, items, impressions, ...rest } = flags;
  const str = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`data: --${name} needs a path`);
    return path.resolve(v);
  };
  const worldDir = str(world, 'world');
  const itemsFile = str(items, 'items');
  const impressionsFile = str(impressions, 'impressions');
  if (!worldDir && !(itemsFile && impressionsFile)) throw new Error('data: give --world DIR, or both --items FILE and --impressions FILE');
  checkDataInputs({ worldDir, itemsFile, impressionsFile });
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`data: --seed must be an integer, got ${JSON.stringify(flags.seed)}`);
  const config = resolveConfig<DataBuilderConfig>(DATA_BUILDER_SCHEMA, { file: typeof flags.config === 'string' ? flags.config : undefined, overrides: overridesFromFlags(rest), where: 'data' });
  const base = worldDir ?? path.dirname(impressionsFile!);
  const outDir = path.resolve(typeof flags.out === 'string' ? flags.out : path.join(path.dirname(base), 'samples'));
  const dayKeys = [config.pretrainDays, config.ctrTrainDays, config.evalDay];
  if (dayKeys.some((d) => d !== null) && dayKeys.some((d) => d === null)) throw new Error('data: set all of pretrainDays, ctrTrainDays and evalDay, or none (then world.json gives them)');
  const days = config.pretrainDays && config.ctrTrainDays && config.evalDay !== null ? { pretrain: config.pretrainDays.map(Number), ctrTrain: config.ctrTrainDays.map(Number), eval: config.evalDay } : null;
  await runStage({ stage: 'data', outDir, seed, config: { ...config, world: worldDir ?? null, items: itemsFile ?? null, impressions: impressionsFile ?? null } }, async (ctx) => {
    const stats = await ctx.time('build', () =>
      buildSamples({ worldDir, itemsFile, impressionsFile, outDir, seed, ...config, days, log: ctx.log }),
    );
    process.stdout.write(`${JSON.stringify({ rowsIn: stats.rowsIn, rowsUsed: stats.rowsUsed, rejects: stats.rejects, pretrain: stats.pretrain, ctr: stats.ctr }, null, 2)}\n`);
    return { rowsIn: stats.rowsIn, rowsUsed: stats.rowsUsed, rejects: stats.rejects, pretrainSamples: stats.pretrain.samples, ctrSamples: { train: stats.ctr.train.samples, eval: stats.ctr.eval.samples }, impressionsPerSecond: stats.impressionsPerSecond };
  });
  process.stdout.write(`${outDir}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

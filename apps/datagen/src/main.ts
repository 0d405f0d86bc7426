/**
 * datagen: writes a synthetic world (items, impressions, images, ground truth) to a folder.
 *
 *   tsx apps/datagen/src/main.ts generate [--preset tiny|demo|bench] [--seed N] [--out DIR]
 *       [--config FILE] [--n-items N] [--n-users N] [--visual-signal A] [...any world config key]
 *   tsx apps/datagen/src/main.ts help [--preset P]     (prints every config key with its default)
 */
import * as path from 'node:path';
import { overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig, runStage } from '@courier/runtime';
import { WORLD_PRESETS, WorldPreset, generateWorld, worldConfigSchema } from '@courier/world';

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0] ?? 'generate';
  const preset = String(flags.preset ?? 'demo') as WorldPreset;
  if (!WORLD_PRESETS.includes(preset)) throw new Error(`datagen: unknown --preset "${preset}"; known: ${WORLD_PRESETS.join(', ')}`);
  const schema = worldConfigSchema(preset);
  if (command === 'help' || flags.help || flags.h) {
    printConfigHelp(schema, { title: `world config, preset "${preset}" (datagen generate --preset ${preset} --config FILE --<key> VALUE)` });
    return;
  }
  if (command !== 'generate') throw new Error(`datagen: unknown command "${command}"; expected generate or help`);
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`datagen: --seed must be an integer, got ${JSON.stringify(flags.seed)}`);
  const { preset: _preset, ...rest } = flags;
  const config = resolveConfig<Record<string, unknown>>(schema, { file: typeof flags.config === 'string' ? flags.config : undefined, overrides: overridesFromFlags(rest), where: 'datagen' });
  const outDir = path.resolve(typeof flags.out === 'string' ? flags.out : path.join('runs', `${preset}-seed${seed}`, 'world'));
  await runStage({ stage: 'datagen', outDir, seed, config: { preset, ...config } }, async (ctx) => {
    const summary = await ctx.time('generate', () => generateWorld({ preset, outDir, seed, overrides: config, log: ctx.log }));
    return { preset, counts: summary.counts, ctr: summary.ctr, days: summary.days, generateTimings: summary.timings };
  });
  process.stdout.write(`${outDir}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

/**
 * datagen: writes a synthetic world (items, impressions, images, ground truth) to a folder.
 *
 *   tsx apps/datagen/src/main.ts generate [--preset tiny|demo|bench] [--seed N] [--out DIR]
 *       [--config FILE] [--n-items N] [--n-users N] [--visual-signal A] [...any world config key]
 *   tsx apps/datagen/src/main.ts help [--preset P]     (prints every config key with its default)
 *   tsx apps/datagen/src/main.ts export-byo --out DIR [--world WORLD_DIR | --preset P --seed N [...world keys]]
 *       a world as a bring-your-own-data folder: items.parquet, impressions.parquet, images/ and
 *       nothing else (no world.json, ground truth, oracle or click truth), for `pipeline run --data DIR`
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
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
  if (command === 'export-byo') return exportByo(flags, preset, schema);
  if (command !== 'generate') throw new Error(`datagen: unknown command "${command}"; expected generate, export-byo or help`);
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

/** The files a team's own data folder holds (data-contracts raw-items, raw-impressions, the images). */
const BYO_FILES = ['items.parquet', 'impressions.parquet', 'images'];

async function exportByo(flags: Record<string, string | boolean>, preset: WorldPreset, schema: ReturnType<typeof worldConfigSchema>): Promise<void> {
  if (typeof flags.out !== 'string') throw new Error('datagen export-byo: --out DIR is required (the folder to write items.parquet, impressions.parquet and images/ to)');
  const outDir = path.resolve(flags.out);
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) throw new Error(`datagen export-byo: ${outDir} is not empty; give a new folder`);
  let worldDir = typeof flags.world === 'string' ? path.resolve(flags.world) : null;
  let tmp: string | null = null;
  try {
    if (!worldDir) {
      const seed = flags.seed === undefined ? 1 : Number(flags.seed);
      if (!Number.isSafeInteger(seed)) throw new Error(`datagen: --seed must be an integer, got ${JSON.stringify(flags.seed)}`);
      const { preset: _p, out: _o, seed: _s, world: _w, ...rest } = flags;
      const config = resolveConfig<Record<string, unknown>>(schema, { file: typeof flags.config === 'string' ? flags.config : undefined, overrides: overridesFromFlags(rest), where: 'datagen export-byo' });
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-export-byo-'));
      worldDir = tmp;
      await generateWorld({ preset, outDir: tmp, seed, overrides: config });
    }
    for (const f of BYO_FILES) if (!fs.existsSync(path.join(worldDir, f))) throw new Error(`datagen export-byo: ${path.join(worldDir, f)} is missing; is ${worldDir} a world folder?`);
    const staging = `${outDir}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    for (const f of BYO_FILES) fs.cpSync(path.join(worldDir, f), path.join(staging, f), { recursive: true });
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.renameSync(staging, outDir);
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  const images = fs.readdirSync(path.join(outDir, 'images')).length;
  process.stderr.write(`datagen export-byo: wrote ${BYO_FILES.join(', ')} (${images} images) to ${outDir}; no ground truth. Next: npx nx run pipeline:run --data ${path.relative(process.cwd(), outDir) || '.'}\n`);
  process.stdout.write(`${outDir}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StageDefinition } from '@courier/runtime';
import { StageCliError, runStage, stageCommand } from '@courier/runtime';
import { WORLD_PRESETS, WorldPreset, worldConfigSchema } from './config';
import { generateWorld } from './generate';

/** `--preset` (default demo): it picks the config schema, so it is read before the config. */
function presetOf(flags: Readonly<Record<string, string | boolean | undefined>>): WorldPreset {
  const preset = String(flags.preset ?? 'demo') as WorldPreset;
  if (!WORLD_PRESETS.includes(preset)) throw new StageCliError(`datagen: unknown --preset "${preset}"; known: ${WORLD_PRESETS.join(', ')}`);
  return preset;
}

const PRESET_OPTION = { name: 'preset', doc: `world preset, its config defaults (${WORLD_PRESETS.join(', ')}; default demo)`, valueName: 'P' };

/** The files a team's own data folder holds (data-contracts raw-items, raw-impressions, the images). */
const BYO_FILES = ['items.parquet', 'impressions.parquet', 'images'];

/** The datagen app: writes a synthetic world, or a world as a bring-your-own-data folder. */
export const DATAGEN_STAGE: StageDefinition = {
  name: 'datagen',
  description: 'writes a synthetic world (items, impressions, images, ground truth) to a folder',
  code: ['libs/world'],
  commands: {
    generate: stageCommand<Record<string, unknown>>({
      summary: 'generates a world from a preset and config keys',
      config: (flags) => worldConfigSchema(presetOf(flags)),
      options: [PRESET_OPTION],
      out: { doc: 'the world folder; default runs/<preset>-seed<seed>/world', default: ({ flags, seed }) => path.join('runs', `${presetOf(flags)}-seed${seed}`, 'world') },
      outputs: ['items.parquet', 'impressions.parquet', 'images/', 'world.json', 'ground truth', 'run.json'],
      produces: ['items.parquet', 'impressions.parquet', 'world.json', 'images', 'ground-truth.json', 'oracle-embeddings.arrow', 'oracle-clusters.parquet', 'click-truth.parquet'],
      seed: true,
      async run({ flags, config, seed, outDir }) {
        const preset = presetOf(flags);
        await runStage({ stage: 'datagen', outDir, seed, config: { preset, ...config } }, async (ctx) => {
          const summary = await ctx.time('generate', () => generateWorld({ preset, outDir, seed, overrides: config, log: ctx.log }));
          return { preset, counts: summary.counts, ctr: summary.ctr, days: summary.days, generateTimings: summary.timings };
        });
        return outDir;
      },
    }),
    'export-byo': stageCommand<Record<string, unknown>>({
      summary: 'a world as a bring-your-own-data folder (no world.json, ground truth, oracle or click truth), for `pipeline run --data DIR`',
      config: (flags) => worldConfigSchema(presetOf(flags)),
      inputs: [{ name: 'world', doc: 'an existing world folder; without it a world is generated from --preset, --seed and the config keys', kind: 'dir' }],
      options: [PRESET_OPTION],
      out: { doc: 'a new (or empty) folder for items.parquet, impressions.parquet and images/' },
      outputs: BYO_FILES,
      seed: true,
      async run({ inputs, flags, config, seed, outDir }) {
        if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) throw new Error(`datagen export-byo: ${outDir} is not empty; give a new folder`);
        let worldDir = inputs.world ?? null;
        let tmp: string | null = null;
        try {
          if (!worldDir) {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-export-byo-'));
            worldDir = tmp;
            await generateWorld({ preset: presetOf(flags), outDir: tmp, seed, overrides: config });
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
        return outDir;
      },
    }),
  },
};

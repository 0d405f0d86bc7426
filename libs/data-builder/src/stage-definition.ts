import * as path from 'node:path';
import type { StageDefinition } from '@courier/runtime';
import { runStage, stageCommand } from '@courier/runtime';
import { buildSamples } from './build';
import { DATA_BUILDER_SCHEMA, DataBuilderConfig } from './config';
import { checkDataInputs } from './inputs';

/**
 * The data app: `data build --world DIR` (or `--items F --impressions F`) -> pre-training and CTR
 * samples. The pipeline and the experiments run the same command through a StageRunner: the
 * statistics then go to run.json and the composition's log only (the command line also prints them
 * to stdout, as JSON, before the output folder).
 */
export const DATA_STAGE: StageDefinition = {
  name: 'data',
  description: 'builds COURIER pre-training samples and CTR samples from raw logs',
  code: ['libs/data-builder'],
  commands: {
    build: stageCommand<DataBuilderConfig>({
      summary: 'groups page views, keeps click histories, down-samples and splits by day',
      config: DATA_BUILDER_SCHEMA,
      inputs: [
        { name: 'world', doc: 'world folder (items.parquet, impressions.parquet, world.json); or give --items and --impressions', kind: 'dir' },
        { name: 'items', doc: 'items.parquet (instead of, or overriding, the world\'s)', kind: 'file' },
        { name: 'impressions', doc: 'impressions.parquet (instead of, or overriding, the world\'s)', kind: 'file' },
      ],
      out: {
        doc: 'the samples folder; default: `samples/` beside the world folder (runs/<preset>-seed<seed>/samples)',
        default: ({ inputs }) => path.join(path.dirname(inputs.world ?? path.dirname(inputs.impressions!)), 'samples'),
      },
      outputs: ['pretrain-samples.parquet', 'ctr-samples.parquet', 'stats.json', 'rejects.jsonl', 'run.json'],
      produces: ['pretrain-samples.parquet', 'ctr-samples.parquet', 'stats.json'],
      seed: true,
      check({ inputs, config }) {
        const { world: worldDir, items: itemsFile, impressions: impressionsFile } = inputs;
        if (!worldDir && !(itemsFile && impressionsFile)) throw new Error('data: give --world DIR, or both --items FILE and --impressions FILE');
        checkDataInputs({ worldDir, itemsFile, impressionsFile });
        const dayKeys = [config.pretrainDays, config.ctrTrainDays, config.evalDay];
        if (dayKeys.some((d) => d !== null) && dayKeys.some((d) => d === null)) throw new Error('data: set all of pretrainDays, ctrTrainDays and evalDay, or none (then world.json gives them)');
      },
      async run({ inputs, config, seed, outDir, composed }) {
        const { world: worldDir, items: itemsFile, impressions: impressionsFile } = inputs;
        const days = config.pretrainDays && config.ctrTrainDays && config.evalDay !== null ? { pretrain: config.pretrainDays.map(Number), ctrTrain: config.ctrTrainDays.map(Number), eval: config.evalDay } : null;
        await runStage({ stage: 'data', outDir, seed, config: { ...config, world: worldDir ?? null, items: itemsFile ?? null, impressions: impressionsFile ?? null }, log: composed?.log }, async (ctx) => {
          const stats = await ctx.time('build', () => buildSamples({ worldDir, itemsFile, impressionsFile, outDir, seed, ...config, days, log: ctx.log }));
          if (!composed) process.stdout.write(`${JSON.stringify({ rowsIn: stats.rowsIn, rowsUsed: stats.rowsUsed, rejects: stats.rejects, pretrain: stats.pretrain, ctr: stats.ctr }, null, 2)}\n`);
          return { rowsIn: stats.rowsIn, rowsUsed: stats.rowsUsed, rejects: stats.rejects, pretrainSamples: stats.pretrain.samples, ctrSamples: { train: stats.ctr.train.samples, eval: stats.ctr.eval.samples }, impressionsPerSecond: stats.impressionsPerSecond };
        });
        return outDir;
      },
    }),
  },
};

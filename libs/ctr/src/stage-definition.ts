import * as path from 'node:path';
import type { StageCommand, StageDefinition } from '@courier/runtime';
import { stageCommand } from '@courier/runtime';
import type { CtrConfig } from './config';
import { CTR_CONFIG_SCHEMA, parseFeatureSets, runCtrEvaluateStage, runCtrFromCheckpoints } from './stage';

type CtrCliConfig = CtrConfig & { seeds: number[] };

/** train and evaluate share their flags; `evaluate --from` reuses the checkpoints of a train run. */
function ctrCommand(name: 'train' | 'evaluate'): StageCommand {
  return stageCommand<CtrCliConfig>({
    summary:
      name === 'train'
        ? 'trains the baseline and every feature set over the seeds, keeping checkpoints, and evaluates them'
        : 'trains and evaluates as train does, or with --from evaluates the checkpoints of an earlier train without training',
    config: CTR_CONFIG_SCHEMA,
    inputs: [
      { name: 'samples', doc: 'ctr-samples.parquet or its folder (data build)', kind: 'dir', required: true },
      { name: 'world', doc: 'world folder (items.parquet, world.json) or the items.parquet file', kind: 'dir', required: true },
      { name: 'embeddings', doc: 'an image feature set: item embeddings and how the model uses them (vector, simscore or cluster-id)', kind: 'file', repeatable: true, valueName: 'NAME=FILE[:mode]' },
      { name: 'clusters', doc: 'cluster ids of feature set NAME (cluster assignments.parquet)', kind: 'file', repeatable: true, valueName: 'NAME=FILE' },
      { name: 'warm-start', doc: 'start from the checkpoints of an earlier train run (its --out)', kind: 'dir' },
      ...(name === 'evaluate' ? [{ name: 'from', doc: 'evaluate the checkpoints of this train run (its --out) without training', kind: 'dir' } as const] : []),
    ],
    // `--seed N` is one seed, the same as `--seeds N`.
    aliases: { seed: 'seeds' },
    out: { doc: 'the report folder' },
    outputs: ['ctr-report.json', 'rejects.jsonl', 'run.json', ...(name === 'train' ? ['models/<method>-seed<N>.json'] : [])],
    seed: false,
    async run({ inputs, lists, config, outDir }) {
      const options = {
        samples: inputs.samples!,
        world: inputs.world!,
        outDir,
        featureSets: parseFeatureSets([...lists.embeddings], [...lists.clusters]),
        config,
        warmStartDir: inputs['warm-start'] ?? null,
      };
      if (inputs.from !== undefined) await runCtrFromCheckpoints({ ...options, fromDir: inputs.from });
      else await runCtrEvaluateStage(options, name === 'train' ? 'ctr-train' : 'ctr');
      return path.join(outDir, 'ctr-report.json');
    },
  });
}

/** The ctr app: the downstream CTR evaluation of image features (paper Table 5). */
export const CTR_STAGE: StageDefinition = {
  name: 'ctr',
  description: 'the downstream CTR evaluation of image features (AUC, GAUC against the no-image baseline)',
  commands: { train: ctrCommand('train'), evaluate: ctrCommand('evaluate') },
};

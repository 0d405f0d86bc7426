import * as path from 'node:path';
import type { StageCommand, StageDefinition } from '@courier/runtime';
import { stageCommand } from '@courier/runtime';
import type { CtrConfig } from './config';
import { CTR_CONFIG_SCHEMA, FeatureSetRequest, parseFeatureSets, runCtrEvaluateStage, runCtrFromCheckpoints } from './stage';

type CtrCliConfig = CtrConfig & { seeds: number[] };

/** What a composition (pipeline, experiments) may give `ctr train` / `ctr evaluate` besides its flags. */
export interface CtrComposeOptions {
  /**
   * The feature sets as records, in report order (the report lists methods in this order). The
   * command line's `--embeddings` / `--clusters` strings cannot say where a stand-alone
   * cluster-id set goes (`parseFeatureSets` puts them last); give one or the other.
   */
  featureSets: FeatureSetRequest[];
}

/** train and evaluate share their flags; `evaluate --from` reuses the checkpoints of a train run. */
function ctrCommand(name: 'train' | 'evaluate'): StageCommand {
  return stageCommand<CtrCliConfig, CtrComposeOptions>({
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
    produces: ['ctr-report.json'],
    seed: false,
    check({ lists, composed }) {
      if (composed?.options.featureSets && (lists.embeddings.length || lists.clusters.length)) throw new Error('ctr: give the feature sets either as records (a composition\'s featureSets) or as --embeddings / --clusters, not both');
    },
    async run({ inputs, lists, config, outDir, composed }) {
      const options = {
        samples: inputs.samples!,
        world: inputs.world!,
        outDir,
        featureSets: composed?.options.featureSets ?? parseFeatureSets([...lists.embeddings], [...lists.clusters]),
        config,
        warmStartDir: inputs['warm-start'] ?? null,
        log: composed?.log,
      };
      if (inputs.from !== undefined) await runCtrFromCheckpoints({ ...options, fromDir: inputs.from });
      else await runCtrEvaluateStage(options, name === 'train' ? 'ctr-train' : 'ctr');
      return path.join(outDir, 'ctr-report.json');
    },
  });
}

/**
 * The ctr app: the downstream CTR evaluation of image features (paper Table 5). The pipeline and the
 * experiments run `evaluate` through a StageRunner with the feature sets as records
 * (`CtrComposeOptions`), so the report keeps their order.
 */
export const CTR_STAGE: StageDefinition = {
  name: 'ctr',
  description: 'the downstream CTR evaluation of image features (AUC, GAUC against the no-image baseline)',
  // The metrics compute every number of the report; the model's layers and embedding gathers
  // (and their native kernels) come from @courier/nn, so a change there reruns the stage too.
  code: ['libs/ctr', 'libs/metrics', 'libs/nn', 'libs/native-kernels'],
  commands: { train: ctrCommand('train'), evaluate: ctrCommand('evaluate') },
};

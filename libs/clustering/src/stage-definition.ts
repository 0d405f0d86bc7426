import type { StageDefinition } from '@courier/runtime';
import { stageCommand } from '@courier/runtime';
import { CLUSTER_CONFIG_SCHEMA, ClusterConfig, runClusterAssign, runClusterFit } from './stage';

// The input paths are flags here, so the CLI's schema leaves out the two path keys.
const { embeddings: _embeddings, centres: _centres, ...CLI_SCHEMA } = CLUSTER_CONFIG_SCHEMA;
type CliConfig = Omit<ClusterConfig, 'embeddings' | 'centres'>;

const EMBEDDINGS = { name: 'embeddings', doc: 'ITEM_EMBEDDINGS Arrow file (pretrain export)', kind: 'file', required: true } as const;

/**
 * The cluster app: `cluster fit|assign --embeddings FILE --out DIR [--centres FILE] ...`.
 * The input paths are flags; they reach the stage through its config keys `embeddings` and
 * `centres`, as the pipeline passes them (so a config file for this CLI does not hold them).
 */
export const CLUSTER_STAGE: StageDefinition = {
  name: 'cluster',
  description: 'single-pass sparse clustering of item embeddings into cluster ids',
  code: ['libs/clustering'],
  commands: {
    fit: stageCommand<CliConfig>({
      summary: 'fits the centres and labels every item',
      config: CLI_SCHEMA,
      inputs: [EMBEDDINGS],
      out: { doc: 'the cluster folder' },
      outputs: ['centres.arrow', 'assignments.parquet', 'run.json'],
      produces: ['centres.arrow', 'assignments.parquet'],
      seed: true,
      async run({ inputs, config, seed, outDir }) {
        await runClusterFit({ outDir, seed, config: { ...config, embeddings: inputs.embeddings ?? null, centres: null } });
        return outDir;
      },
    }),
    assign: stageCommand<CliConfig>({
      summary: 'labels items with the centres of an earlier fit',
      config: CLI_SCHEMA,
      inputs: [EMBEDDINGS, { name: 'centres', doc: 'CLUSTER_CENTRES file of an earlier fit', kind: 'file', required: true }],
      out: { doc: 'the folder for the assignments' },
      outputs: ['assignments.parquet', 'run.json'],
      produces: ['assignments.parquet'],
      seed: true,
      async run({ inputs, config, seed, outDir }) {
        await runClusterAssign({ outDir, seed, config: { ...config, embeddings: inputs.embeddings ?? null, centres: inputs.centres ?? null } });
        return outDir;
      },
    }),
  },
};

import { resolveConfig } from '@courier/runtime';
import { CTR_CONFIG_SCHEMA, CtrConfig, FeatureSetRequest, runCtrEvaluateStage } from '@courier/ctr';

export interface PipelineCtrOptions {
  worldDir: string;
  samplesDir: string;
  outDir: string;
  embeddingsFile: string;
  assignmentsFile: string;
  /** The world's oracle embeddings (hidden looks), or null to leave the oracle out. */
  oracleFile: string | null;
  /** The world's exact look groups (hue region x pattern) as cluster assignments: the oracle of the cluster-id mode. */
  oracleClustersFile?: string | null;
  modes: ('cluster-id' | 'simscore' | 'vector')[];
  seeds: number[];
  ctrOverrides: Record<string, unknown>;
  seed: number;
}

/** The feature sets the pipeline compares: COURIER in each requested mode, plus the oracle. */
export function pipelineFeatureSets(
  o: Pick<PipelineCtrOptions, 'embeddingsFile' | 'assignmentsFile' | 'oracleFile' | 'oracleClustersFile' | 'modes'>,
  clusterEmbeddingInit: CtrConfig['clusterEmbeddingInit'] = 'random',
): FeatureSetRequest[] {
  // Method names must be unique in a report; the cluster-id mode (the paper's best) keeps the plain name.
  const named = (base: string, mode: string) => (mode === 'cluster-id' ? base : `${base}-${mode}`);
  const sets: FeatureSetRequest[] = o.modes.map((mode) => ({
    name: named('courier', mode),
    mode,
    embeddings: o.embeddingsFile,
    clusters: mode === 'cluster-id' ? o.assignmentsFile : null,
  }));
  // The oracle (the hidden look) in every mode, so each mode has its own upper bound. Its cluster id is
  // the exact look group when the world wrote one, else identical oracle vectors grouped exactly.
  if (o.oracleFile) {
    for (const mode of o.modes) {
      const clusters = mode === 'cluster-id' ? (o.oracleClustersFile ?? null) : null;
      // Ready-made groups stand alone, unless the cluster embeddings start from the centroids, which need
      // the vectors (kept out otherwise so the default stage's inputs, and fingerprint, stay as they were).
      const embeddings = clusters && clusterEmbeddingInit !== 'centroids' ? null : o.oracleFile;
      sets.push({ name: named('oracle', mode), mode, embeddings, clusters });
    }
  }
  return sets;
}

/** The CTR stage of the pipeline: baseline vs every feature set, over the CTR seeds. */
export async function runCtrStage(o: PipelineCtrOptions): Promise<void> {
  const config = resolveConfig<CtrConfig & { seeds: number[] }>(CTR_CONFIG_SCHEMA, { overrides: { ...o.ctrOverrides, seeds: o.seeds }, where: 'pipeline ctr' });
  await runCtrEvaluateStage({ samples: o.samplesDir, world: o.worldDir, outDir: o.outDir, featureSets: pipelineFeatureSets(o, config.clusterEmbeddingInit), config });
}

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
  modes: ('cluster-id' | 'simscore' | 'vector')[];
  seeds: number[];
  ctrOverrides: Record<string, unknown>;
  seed: number;
}

/** The feature sets the pipeline compares: COURIER in each requested mode, plus the oracle. */
export function pipelineFeatureSets(o: Pick<PipelineCtrOptions, 'embeddingsFile' | 'assignmentsFile' | 'oracleFile' | 'modes'>): FeatureSetRequest[] {
  const sets: FeatureSetRequest[] = o.modes.map((mode) => ({
    // Method names must be unique in a report; the cluster-id mode (the paper's best) keeps the plain name.
    name: mode === 'cluster-id' ? 'courier' : `courier-${mode}`,
    mode,
    embeddings: o.embeddingsFile,
    clusters: mode === 'cluster-id' ? o.assignmentsFile : null,
  }));
  if (o.oracleFile) sets.push({ name: 'oracle', mode: 'vector', embeddings: o.oracleFile, clusters: null });
  return sets;
}

/** The CTR stage of the pipeline: baseline vs every feature set, over the CTR seeds. */
export async function runCtrStage(o: PipelineCtrOptions): Promise<void> {
  const config = resolveConfig<CtrConfig & { seeds: number[] }>(CTR_CONFIG_SCHEMA, { overrides: { ...o.ctrOverrides, seeds: o.seeds }, where: 'pipeline ctr' });
  await runCtrEvaluateStage({ samples: o.samplesDir, world: o.worldDir, outDir: o.outDir, featureSets: pipelineFeatureSets(o), config });
}

import type { CtrConfig, FeatureSetRequest } from '@courier/ctr';

/** Where the pipeline's feature sets come from. */
export interface PipelineFeatureInputs {
  embeddingsFile: string;
  assignmentsFile: string;
  /** The world's oracle embeddings (hidden looks), or null to leave the oracle out. */
  oracleFile: string | null;
  /** The world's exact look groups (hue region x pattern) as cluster assignments: the oracle of the cluster-id mode. */
  oracleClustersFile?: string | null;
  modes: ('cluster-id' | 'simscore' | 'vector')[];
}

/**
 * The feature sets the pipeline compares, in report order: COURIER in each requested mode, then the
 * oracle in each mode. The ctr stage's `evaluate` command gets them as records
 * (`CtrComposeOptions.featureSets`), so the order stays.
 */
export function pipelineFeatureSets(o: PipelineFeatureInputs, clusterEmbeddingInit: CtrConfig['clusterEmbeddingInit'] = 'random'): FeatureSetRequest[] {
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

// Public API of @courier/clustering: single-pass sparse-centre clusterer (Yi et al. 2014), the
// ml-kmeans baseline, nearest-centre assignment with a reserved unknown id, and the stage. Named
// exports only: what other libraries, apps and tools use, and the types of their signatures; the
// proximal step, kernels, split schedule, other seedings and the one-vector serve path stay in
// their modules (the specs import them there).
export { Assigner } from './assign';
export type { AssignerOptions, BatchAssignment, KernelCalibration, KernelChoice } from './assign';
export type { AssignRule } from './kernels';
export { assignClusters, fitClusters } from './fit';
export type { AssignClustersResult, ClusterMethod, ClusterModel, FitClustersOptions, VectorInput } from './fit';
export { fitSinglePass } from './single-pass';
export type { EpochStats, InitMethod, InitSeeding, SinglePassOptions, SinglePassResult } from './single-pass';
export { fitKmeansBaseline } from './kmeans-baseline';
export type { KmeansBaselineOptions, KmeansBaselineResult } from './kmeans-baseline';
export { kmeansPlusPlus, lloyd, randomRows } from './init';
export type { LloydResult, Matrix } from './init';
export { CLUSTER_CONFIG_SCHEMA, runClusterFit } from './stage';
export type { ClusterConfig } from './stage';
export { CLUSTER_STAGE } from './stage-definition';

// Public API of @courier/clustering: single-pass sparse-centre clusterer (Yi et al. 2014),
// the ml-kmeans baseline, nearest-centre assignment with a reserved unknown id, and the stage.
export { softThreshold } from './prox';
export { isValidRow, ruleBias } from './kernels';
export type { AssignRule } from './kernels';
export { Assigner } from './assign';
export type { AssignerOptions, BatchAssignment, KernelCalibration, KernelChoice } from './assign';
export { epochOf, hashUnit, schedule } from './split';
export { copyRows, greedyKmeansPlusPlus, hierarchicalMeans, kmeansPlusPlus, lloyd, randomRows } from './init';
export type { GreedySeedingOptions } from './init';
export type { Matrix, LloydResult } from './init';
export { fitSinglePass } from './single-pass';
export type { EpochStats, InitMethod, InitSeeding, SinglePassOptions, SinglePassResult } from './single-pass';
export { fitKmeansBaseline } from './kmeans-baseline';
export type { KmeansBaselineOptions, KmeansBaselineResult } from './kmeans-baseline';
export { assignClusters, checkInput, fitClusters } from './fit';
export type { AssignClustersResult, ClusterMethod, ClusterModel, FitClustersOptions, VectorInput } from './fit';
export { CLUSTER_CONFIG_SCHEMA, runClusterAssign, runClusterFit } from './stage';
export type { ClusterConfig } from './stage';
export { assignOne } from './serve';
export { CLUSTER_STAGE } from './stage-definition';

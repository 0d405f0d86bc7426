// Public API of @courier/amazon-bench: the stage (MMRec-format loader, splits, BPR, BM3, MMGCN,
// SLMRec, DualGNN, LATTICE, MGCN, the full-ranking protocol and the COURIER plug-in) and the pieces
// tools/bench drives directly. Named exports only: what other projects use, the types of their
// signatures and the error a bad .npy file throws; model internals, graph builders, the reference
// losses and the report writer stay in their modules (the specs import them there).
export { amazonBenchStage } from './stage-definition';
export type { CourierLossPlugin } from './stage-definition';
export type { CourierLossFn } from './courier-plugin';
export { loadMmrecDataset } from './dataset';
export type { DatasetStats, EvalSplit, FeatureMatrix, LoadOptions, MmrecDataset, Modality, PairList } from './dataset';
export type { InterReject, InterTable } from './inter';
export { NpyError, writeNpy } from './npy';
export type { NpyWriteOptions } from './npy';
export { generateSynthetic, syntheticParams } from './synthetic';
export type { SyntheticParams, SyntheticPreset, SyntheticResult } from './synthetic';
export { getModel } from './models';
export type { Batch, ModelEntry, ModelParams, RecModel } from './models';
export { evaluateSplits } from './evaluate';
export type { BlockScorer, EvalOptions, MetricRecord } from './evaluate';
export { MmrecAdam, sampleNegatives, trainAndEvaluate } from './train';
export type { EpochRecord, RunResult, TrainOptions } from './train';

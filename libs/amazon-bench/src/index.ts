// Public API of @courier/amazon-bench: MMRec-format loader, splits, synthetic data, BPR, BM3,
// MMGCN, SLMRec, DualGNN, LATTICE, MGCN, the full-ranking protocol and the COURIER plug-in.
export * from './npy';
export * from './inter';
export * from './dataset';
export * from './synthetic';
export * from './evaluate';
export * from './nn';
export * from './models';
export * from './model-kit';
export * from './graphs';
export * from './slmrec';
export * from './dualgnn';
export * from './lattice';
export * from './mgcn';
export * from './train';
export * from './courier-plugin';
export * from './protocol';
export * from './bench';
export * from './baselines';
export { amazonBenchStage, type CourierLossPlugin } from './stage-definition';

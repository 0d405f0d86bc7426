// Public API of @courier/ctr: CTR model with self-attention history, image-feature modes,
// training, evaluation (AUC, GAUC, per category) and the downstream experiment report.
export * from './config';
export * from './data';
export * from './image-features';
export * from './features';
export * from './model';
export * from './train';
export * from './experiment';
export * from './ceiling';
export * from './stage';

// Public API of @courier/runtime: tfjs backend choice, seeding, config, CLI flags, logging,
// progress, and stage runs (run.json).
export * from './random';
export * from './backend';
export * from './config';
export * from './cli';
export * from './log';
export * from './progress';
export * from './stage';
export * from './slow-backend';
export * from './stage-cli';

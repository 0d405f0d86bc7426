// Public API of @courier/runtime: tfjs backend choice, seeding, config, logging, progress.
export * from './random';
export * from './backend';

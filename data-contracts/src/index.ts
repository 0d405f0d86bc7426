// Public API of @courier/data-contracts: the schema, validator and doc of every stage boundary.
export * from './errors';
export * from './fields';
export * from './tables';
export * from './records';
export * from './reports';

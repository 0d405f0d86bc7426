// Public API of @courier/nn: neural-network parts shared by the COURIER trainer and baselines,
// the CTR model and the Amazon benchmark models.
export { gatherRows } from './gather';
export { fans, fillNormal, fillUniform, glorotNormal, glorotUniform, heNormal, heUniform, normal, ones, uniform, zeros, type NormalOptions, type RandomSource } from './init';
export { addDense, dense, l2NormalizeRows, type DenseInit, type DenseParams, type L2NormalizeOptions } from './layers';
export { VariableStore, type NamedVariable, type VariableValues } from './store';

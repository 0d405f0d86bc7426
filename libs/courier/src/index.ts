// Public API of @courier/courier: backbones, user-intention reconstruction, losses, export.
export * from './loss';
export { courierLossReference } from './loss-reference';
export type { ReferenceLossInputs, ReferenceLossResult } from './loss-reference';

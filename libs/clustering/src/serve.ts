import { Assigner } from './assign';
import { AssignRule } from './kernels';

/**
 * Serving: the id of one new item's embedding, with the rule used at fit and batch labelling;
 * the reserved id K for a missing, NaN, zero or wrong-length vector. For many calls build one
 * `Assigner.js(centres, k, d, rule)` and call `assignOne` on it (no per-call setup).
 */
export function assignOne(centres: Float32Array, k: number, d: number, x: ArrayLike<number> | null | undefined, rule: AssignRule = 'l2'): number {
  return Assigner.js(centres, k, d, rule).assignOne(x).id;
}

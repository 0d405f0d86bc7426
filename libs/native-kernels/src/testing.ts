// Test helpers for @courier/native-kernels (entry point @courier/native-kernels/testing).
// Kept free of @courier/runtime: runtime loads this library, so depending back on it would
// make a cycle.
import * as tf from '@tensorflow/tfjs';

export { loadAddon, requireAddon, DEFAULT_ADDON_PATH, type CourierBlasAddon, type DnnlInfo } from './addon';
export { registerNativeBackendWith, statusFrom } from './backend';
export { kernelCounts } from './kernels';

/** Seeded uniform / normal floats (mulberry32 + Box-Muller); deterministic per seed. */
export function seededFloats(seed: number, length: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const u = Math.max(next(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

export interface BackendResult {
  shape: number[];
  dtype: string;
  values: Float32Array | Int32Array | Uint8Array;
}

/**
 * Runs `build` on the given tfjs backend and returns every output's shape, dtype and values.
 * `build` must create its inputs itself (from plain arrays) so each backend gets its own copy.
 */
export async function runOn(backend: string, build: () => tf.Tensor | tf.Tensor[]): Promise<BackendResult[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  const results: BackendResult[] = [];
  // Collected outside tidy's return value: tidy walks returned typed arrays element by element.
  tf.tidy(() => {
    const out = build();
    for (const t of Array.isArray(out) ? out : [out]) {
      results.push({ shape: t.shape.slice(), dtype: t.dtype, values: t.dataSync().slice() as BackendResult['values'] });
    }
  });
  return results;
}

/**
 * Largest |a - b| relative to max(1, max finite |a|); Infinity when shapes or dtypes differ or
 * a NaN / infinity appears on one side only.
 */
export function relativeMaxDiff(expected: BackendResult, actual: BackendResult): number {
  if (expected.dtype !== actual.dtype || expected.shape.join(',') !== actual.shape.join(',')) return Infinity;
  if (expected.values.length !== actual.values.length) return Infinity;
  let scale = 1;
  for (const v of expected.values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let diff = 0;
  for (let i = 0; i < expected.values.length; i++) {
    const a = expected.values[i];
    const b = actual.values[i];
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    // NaN vs number, or an infinity vs anything else, is a mismatch of its own kind.
    if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
    diff = Math.max(diff, Math.abs(a - b));
  }
  return diff / scale;
}

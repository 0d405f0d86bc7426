/**
 * Hashed random split of rows into epochs (spec §7): u_i = H(itemId, seed) in [0, 1), and
 * epoch(i) = min{ t : u_i < (2^t - 1)/(2^m - 1) } (1-based), so E|S_t| = T·2^(t-1). The split is
 * random with respect to storage order and needs no global shuffle; a worker decides a row's epoch
 * from its id alone. Independent hashes (different salts) pick the init sample and the optional
 * estimation sample.
 */

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform in [0, 1) from (id, seed, salt); 32-bit resolution. */
export function hashUnit(id: number, seed: number, salt: number): number {
  const s = mix32((seed >>> 0) ^ mix32(salt + 0x9e3779b9));
  const hiPart = Math.floor(id / 4294967296);
  return mix32(mix32((id >>> 0) ^ s) ^ mix32(hiPart + s)) / 4294967296;
}

export const SALT_EPOCH = 1;
export const SALT_INIT = 2;
export const SALT_ESTIMATION = 3;

/** 1-based epoch of a row with hash u among m doubling subsets. */
export function epochOf(u: number, m: number): number {
  const total = 2 ** m - 1;
  for (let t = 1; t < m; t++) if (u < (2 ** t - 1) / total) return t;
  return m;
}

/** The spec's schedule: m = max(1, floor(log2(n / (tMin·K) + 1))), T = floor(n / (2^m - 1)). */
export function schedule(n: number, k: number, tMin: number, epochs?: number): { epochs: number; firstSize: number } {
  const m = epochs ?? Math.max(1, Math.floor(Math.log2(n / (tMin * k) + 1)));
  if (!Number.isInteger(m) || m < 1) throw new Error(`epochs must be an integer >= 1, got ${m}`);
  return { epochs: m, firstSize: Math.floor(n / (2 ** m - 1)) };
}

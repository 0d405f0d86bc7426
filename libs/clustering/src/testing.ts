// Test and benchmark fixtures for @courier/clustering (seeded synthetic data).
import { Worker } from 'node:worker_threads';
import { Rng } from '@courier/runtime';

// Marsaglia polar method on a mulberry32 stream; plain JS so it can also run in a bare worker.
const FILL_NORMAL_SOURCE = `function fillNormal(out, seed, scale) {
  let a = seed >>> 0;
  let i = 0;
  const n = out.length;
  while (i < n) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
    a = (a + 0x6d2b79f5) | 0;
    t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
    const q = u * u + v * v;
    if (q >= 1 || q === 0) continue;
    const f = scale * Math.sqrt((-2 * Math.log(q)) / q);
    out[i++] = u * f;
    if (i < n) out[i++] = v * f;
  }
}`;

/**
 * Seeded standard normals (times `scale`) into a new Float32Array of length `length`. Large
 * fills run in a bare worker thread: inside jest's sandbox the same loop is ~10x slower.
 */
export async function normalArray(length: number, seed: number, scale = 1): Promise<Float32Array> {
  const buf = new SharedArrayBuffer(length * 4);
  const out = new Float32Array(buf);
  if (length < 1e6) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function(`${FILL_NORMAL_SOURCE}; return fillNormal;`)()(out, seed, scale);
    return out;
  }
  const code = `const { parentPort, workerData } = require('node:worker_threads'); ${FILL_NORMAL_SOURCE};
    fillNormal(new Float32Array(workerData.buf), workerData.seed, workerData.scale); parentPort.postMessage('done');`;
  await new Promise<void>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { buf, seed, scale } });
    w.once('message', () => {
      void w.terminate();
      resolve();
    });
    w.once('error', reject);
  });
  return out;
}

export interface Mixture {
  x: Float32Array;
  n: number;
  d: number;
  labels: Int32Array;
  means: Float32Array;
}

/**
 * V4-style dense mixture: `components` Gaussian means N(0, (sep²/d)·I), noise N(0, I/d), rows
 * optionally L2-normalised; labels uniform.
 */
export async function denseMixture(options: { n: number; d: number; components: number; sep: number; seed: number; normalise?: boolean }): Promise<Mixture> {
  const { n, d, components, sep, seed } = options;
  const rng = new Rng(seed);
  const means = new Float32Array(components * d);
  const ms = sep / Math.sqrt(d);
  for (let i = 0; i < means.length; i++) means[i] = rng.normal() * ms;
  const x = await normalArray(n * d, rng.seed(), 1 / Math.sqrt(d));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(components);
    labels[i] = c;
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const v = means[c * d + j] + x[i * d + j];
      x[i * d + j] = v;
      norm += v * v;
    }
    if (options.normalise ?? true) {
      norm = Math.sqrt(norm);
      for (let j = 0; j < d; j++) x[i * d + j] /= norm;
    }
  }
  return { x, n, d, labels, means };
}

/**
 * V2 planted sparse centres: K unit centres with s random non-zeros of value 1/√s, points
 * c_label + N(0, σ²I), labels uniform.
 */
export async function sparseMixture(options: { n: number; d: number; k: number; s: number; sigma: number; seed: number }): Promise<Mixture & { supports: number[][] }> {
  const { n, d, k, s, sigma, seed } = options;
  const rng = new Rng(seed);
  const means = new Float32Array(k * d);
  const supports: number[][] = [];
  const all = Array.from({ length: d }, (_, j) => j);
  for (let c = 0; c < k; c++) {
    const support = rng.shuffle(all.slice()).slice(0, s).sort((a, b) => a - b);
    supports.push(support);
    for (const j of support) means[c * d + j] = 1 / Math.sqrt(s);
  }
  const x = await normalArray(n * d, rng.seed(), sigma);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    labels[i] = c;
    for (const j of supports[c]) x[i * d + j] += means[c * d + j];
  }
  return { x, n, d, labels, means, supports };
}

/** Greedy matching of estimated to true centres by distance; returns per-true-centre error and match. */
export function matchCentres(est: Float32Array, truth: Float32Array, k: number, d: number): { errors: number[]; maxError: number; match: number[] } {
  const pairs: { e: number; t: number; dist: number }[] = [];
  for (let e = 0; e < k; e++) {
    for (let t = 0; t < k; t++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (est[e * d + j] - truth[t * d + j]) ** 2;
      pairs.push({ e, t, dist: Math.sqrt(s) });
    }
  }
  pairs.sort((a, b) => a.dist - b.dist);
  const usedE = new Set<number>();
  const match = new Array<number>(k).fill(-1);
  const errors = new Array<number>(k).fill(0);
  for (const p of pairs) {
    if (usedE.has(p.e) || match[p.t] >= 0) continue;
    usedE.add(p.e);
    match[p.t] = p.e;
    errors[p.t] = p.dist;
  }
  return { errors, maxError: Math.max(...errors), match };
}

/** Mean squared distance of every row to its nearest centre (exact, float64). */
export function inertiaOf(x: Float32Array, n: number, d: number, centres: Float32Array, k: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - centres[c * d + j]) ** 2;
      if (s < best) best = s;
    }
    total += best;
  }
  return total / n;
}

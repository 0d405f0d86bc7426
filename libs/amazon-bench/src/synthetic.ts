/**
 * Synthetic stand-in for the Amazon data in exactly MMRec's format (spec amazon-benchmark.md,
 * section 9). Image features carry a user-taste signal (item taste factors z_i mixed with
 * nuisance factors, then ReLU), text features only a quarter of it, so an image encoder
 * pre-trained on user histories has something to learn that text does not give.
 *
 * `imageTaste: false` is the control: the image mixes an independent N(0, I) draw in place of
 * z_i, so the files have the same statistics but no taste signal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '@courier/io';
import { Rng } from '@courier/runtime';
import { courierRelabel, labelCounts, mmrecLabels, writeInter } from './inter';
import { writeNpy } from './npy';

export type SyntheticPreset = 'tiny' | 'small' | 'baby' | 'sports' | 'clothing';

export interface SyntheticParams {
  users: number;
  items: number;
  /** Mean interactions per user (n_u = 5 + Poisson(m - 5)). */
  meanPerUser: number;
  minPerUser: number;
  minPerItem: number;
  tasteDim: number;
  nuisanceDim: number;
  nuisanceScale: number;
  imageDim: number;
  textDim: number;
  /** beta: taste strength in the affinity. */
  tasteStrength: number;
  /** a: popularity exponent. */
  popularityExponent: number;
  imageNoise: number;
  textNoise: number;
  /** phi: fraction of taste factors the text sees. */
  textVisibleFraction: number;
  split: 'mmrec' | 'courier';
  /** false = control: image features carry no taste signal. */
  imageTaste: boolean;
  seed: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticParams = {
  users: 2000,
  items: 600,
  meanPerUser: 8,
  minPerUser: 5,
  minPerItem: 5,
  tasteDim: 16,
  nuisanceDim: 16,
  nuisanceScale: 1,
  imageDim: 256,
  textDim: 64,
  tasteStrength: 3,
  popularityExponent: 0.2,
  imageNoise: 0.5,
  textNoise: 0.5,
  textVisibleFraction: 0.25,
  split: 'courier',
  imageTaste: true,
  seed: 0,
};

export const SYNTHETIC_PRESETS: Record<SyntheticPreset, Partial<SyntheticParams>> = {
  tiny: { users: 300, items: 100, meanPerUser: 6, imageDim: 32, textDim: 16 },
  small: {},
  baby: { users: 19445, items: 7050, meanPerUser: 8.27, imageDim: 4096, textDim: 384 },
  sports: { users: 35598, items: 18357, meanPerUser: 8.32, imageDim: 4096, textDim: 384 },
  clothing: { users: 39387, items: 23033, meanPerUser: 7.08, imageDim: 4096, textDim: 384 },
};

export function syntheticParams(preset: SyntheticPreset, overrides: Partial<SyntheticParams> = {}): SyntheticParams {
  if (!(preset in SYNTHETIC_PRESETS)) throw new Error(`unknown synthetic preset "${preset}"; known: ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
  return { ...SYNTHETIC_DEFAULTS, ...SYNTHETIC_PRESETS[preset], ...overrides };
}

export interface SyntheticResult {
  dir: string;
  name: string;
  params: SyntheticParams;
  stats: Record<string, unknown>;
}

function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.next();
  } while (p > l);
  return k - 1;
}

function gumbel(rng: Rng): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  return -Math.log(-Math.log(u));
}

/** Indices of the n largest values (descending). */
function topN(keys: Float64Array, n: number): number[] {
  const idx = Array.from(keys.keys());
  idx.sort((a, b) => keys[b] - keys[a] || a - b);
  return idx.slice(0, n);
}

export interface ParamMismatch {
  key: string;
  existing: unknown;
  requested: unknown;
}

/**
 * Compares the generator parameters recorded in `<dir>/stats.json` with the ones a run asks for.
 * Returns the keys that differ, or null when the folder records no parameters (real Amazon data,
 * or a dataset from elsewhere), in which case there is nothing to compare.
 */
export function syntheticParamsMismatch(dir: string, requested: SyntheticParams): ParamMismatch[] | null {
  const file = path.join(dir, 'stats.json');
  if (!fs.existsSync(file)) return null;
  let recorded: unknown;
  try {
    recorded = (JSON.parse(fs.readFileSync(file, 'utf8')) as { params?: unknown }).params;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); delete the dataset folder to regenerate it`);
  }
  if (recorded === null || typeof recorded !== 'object') return null;
  const existing = recorded as Record<string, unknown>;
  return (Object.keys(requested) as (keyof SyntheticParams)[])
    .filter((key) => existing[key] !== requested[key])
    .map((key) => ({ key, existing: key in existing ? existing[key] : '(absent)', requested: requested[key] }));
}

function normalMatrix(rng: Rng, rows: number, cols: number, std: number): Float64Array {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.normal(0, std);
  return m;
}

/**
 * Generates `<outRoot>/<name>/{<name>.inter, image_feat.npy, text_feat.npy, stats.json,
 * latent_items.npy, latent_users.npy}`. Deterministic in params.seed.
 */
export function generateSynthetic(outRoot: string, name: string, params: SyntheticParams, log: (line: string) => void = () => {}): SyntheticResult {
  const p = params;
  const rng = new Rng(p.seed);
  const k = p.tasteDim;
  const U = p.users;
  const I = p.items;
  // 1. Latent factors and popularity.
  const rLatent = rng.fork('latent');
  const z = normalMatrix(rLatent, I, k, 1);
  const t = normalMatrix(rLatent, U, k, 1);
  const rho = rLatent.shuffle(Array.from({ length: I }, (_, i) => i + 1));
  const popTerm = Float64Array.from(rho, (r) => -p.popularityExponent * Math.log(r));
  const sqrtK = Math.sqrt(k);
  const affinity = (u: number, i: number): number => {
    let s = 0;
    for (let j = 0; j < k; j++) s += t[u * k + j] * z[i * k + j];
    return (p.tasteStrength * s) / sqrtK + popTerm[i];
  };
  // 2. Per-user item sets by Gumbel-top-n over exp(S[u,.]).
  const rPick = rng.fork('interactions');
  const held: Set<number>[] = [];
  const itemUsers: number[][] = Array.from({ length: I }, () => []);
  const cap = Math.floor(I / 2);
  const keys = new Float64Array(I);
  for (let u = 0; u < U; u++) {
    const n = Math.min(cap, p.minPerUser + poisson(rPick, Math.max(0, p.meanPerUser - p.minPerUser)));
    for (let i = 0; i < I; i++) keys[i] = affinity(u, i) + gumbel(rPick);
    const chosen = topN(keys, n);
    held.push(new Set(chosen));
    for (const i of chosen) itemUsers[i].push(u);
  }
  // 3. Repair items with fewer than minPerItem users (same Gumbel rule over users).
  let repaired = 0;
  const ukeys = new Float64Array(U);
  for (let i = 0; i < I; i++) {
    const need = p.minPerItem - itemUsers[i].length;
    if (need <= 0) continue;
    for (let u = 0; u < U; u++) ukeys[u] = held[u].has(i) ? -Infinity : affinity(u, i) + gumbel(rPick);
    for (const u of topN(ukeys, need)) {
      held[u].add(i);
      itemUsers[i].push(u);
      repaired++;
    }
  }
  // 4. Image features: v_i = max(0, A_v [z_i; w_i] + sigma_v eps).
  const rImg = rng.fork('image');
  const kn = p.nuisanceDim;
  const kv = k + kn;
  const Av = normalMatrix(rImg, p.imageDim, kv, 1 / Math.sqrt(kv));
  const zImage = p.imageTaste ? z : normalMatrix(rng.fork('image-control'), I, k, 1);
  const image = new Float32Array(I * p.imageDim);
  const lat = new Float64Array(kv);
  for (let i = 0; i < I; i++) {
    for (let j = 0; j < k; j++) lat[j] = zImage[i * k + j];
    for (let j = 0; j < kn; j++) lat[k + j] = rImg.normal(0, p.nuisanceScale);
    for (let d = 0; d < p.imageDim; d++) {
      let s = 0;
      for (let j = 0; j < kv; j++) s += Av[d * kv + j] * lat[j];
      image[i * p.imageDim + d] = Math.max(0, s + p.imageNoise * rImg.normal());
    }
  }
  // 5. Text features: x_i = A_t z_i[:k_t] + sigma_t eps, rows L2-normalised.
  const rTxt = rng.fork('text');
  const kt = Math.max(1, Math.round(p.textVisibleFraction * k));
  const At = normalMatrix(rTxt, p.textDim, kt, 1 / Math.sqrt(kt));
  const text = new Float32Array(I * p.textDim);
  const row = new Float64Array(p.textDim);
  for (let i = 0; i < I; i++) {
    let norm = 0;
    for (let d = 0; d < p.textDim; d++) {
      let s = 0;
      for (let j = 0; j < kt; j++) s += At[d * kt + j] * z[i * k + j];
      row[d] = s + p.textNoise * rTxt.normal();
      norm += row[d] * row[d];
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < p.textDim; d++) text[i * p.textDim + d] = row[d] / norm;
  }
  // 6. Rows grouped by user; ratings 1..5, sorted timestamps in [1.3e9, 1.4e9).
  const rRows = rng.fork('rows');
  const users: number[] = [];
  const items: number[] = [];
  const ratings: number[] = [];
  const stamps: number[] = [];
  for (let u = 0; u < U; u++) {
    const list = rRows.shuffle(Array.from(held[u]));
    const ts = list.map(() => Math.floor(1.3e9 + rRows.next() * 1e8)).sort((a, b) => a - b);
    list.forEach((i, j) => {
      users.push(u);
      items.push(i);
      ratings.push(1 + rRows.int(5));
      stamps.push(ts[j]);
    });
  }
  const usersArr = Int32Array.from(users);
  let labels = mmrecLabels(usersArr, U, rng.fork('split-mmrec'));
  if (p.split === 'courier') labels = courierRelabel(usersArr, labels, U, rng.fork('split-courier'));
  const dir = path.join(outRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  writeNpy(path.join(dir, 'image_feat.npy'), image, [I, p.imageDim]);
  writeNpy(path.join(dir, 'text_feat.npy'), text, [I, p.textDim]);
  writeNpy(path.join(dir, 'latent_items.npy'), z, [I, k]);
  writeNpy(path.join(dir, 'latent_users.npy'), t, [U, k]);
  const counts = labelCounts(labels);
  const stats = {
    generator: 'amazon-bench synthetic (spec section 9)',
    users: U,
    items: I,
    interactions: users.length,
    meanPerUser: users.length / U,
    repairedEdges: repaired,
    labelCounts: counts,
    labelShares: Object.fromEntries(Object.entries(counts).map(([key, v]) => [key, v / users.length])),
    params: p,
  };
  writeJsonAtomic(path.join(dir, 'stats.json'), stats);
  // The .inter file last: a run treats the folder as present when it exists, so a generation
  // killed half way (the first minutes of a Table 2 run) is regenerated, not half read.
  writeInter(path.join(dir, `${name}.inter`), { users: usersArr, items: Int32Array.from(items), labels, ratings: Float64Array.from(ratings), timestamps: Float64Array.from(stamps) });
  log(`[amazon-bench] synthetic ${name}: ${U} users, ${I} items, ${users.length} rows, labels ${JSON.stringify(counts)}`);
  return { dir, name, params: p, stats };
}

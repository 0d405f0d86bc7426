/**
 * Generates a synthetic search-shopping world (specs/synthetic-world.md) into a folder:
 * items.parquet, impressions.parquet, images/, world.json, ground-truth.json,
 * oracle-embeddings.arrow. Deterministic by seed: every random draw comes from forks of one Rng.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLICK_TRUTH, CLUSTER_ASSIGNMENTS, RAW_IMPRESSIONS, RAW_ITEMS, clickTruthToRow, clusterAssignmentToRow, impressionToRow, rawItemToRow } from '@courier/data-contracts';
import { ParquetTableWriter, writeJsonAtomic, writeParquetRows, writeVectorTable } from '@courier/io';
import { Logger, Progress, Rng, createLogger } from '@courier/runtime';
import { WorldConfig, WorldPreset, resolveWorldConfig } from './config';
import { writeImageFile } from './image-file';
import {
  CATEGORIES,
  HiddenItem,
  HUE_REGIONS,
  HiddenUser,
  MatchCentres,
  ORACLE_DIM,
  PATTERNS,
  STYLES,
  clickLogit,
  generateItems,
  lookMatchRaw,
  generateUsers,
  hueRegionOf,
  matchCentres,
  oracleVector,
} from './model';
import { ItemNuisance, MerchantTemplate, generateMerchants, generateNuisance, uniformStrength } from './nuisance';
import { renderItem } from './render';

export const SECONDS_PER_DAY = 86400;

export interface GenerateWorldOptions {
  preset: WorldPreset;
  outDir: string;
  seed: number;
  /** Keys over the preset's values (validated: unknown keys and wrong types are errors). */
  overrides?: Partial<WorldConfig> | Record<string, unknown>;
  /** Config file layered between the preset and the overrides. */
  configFile?: string;
  log?: Logger;
}

export interface WorldDays {
  pretrain: number[];
  ctrTrain: number[];
  eval: number;
}

export interface WorldCounts {
  items: number;
  users: number;
  sessions: number;
  impressions: number;
  clicks: number;
  newItemsOnEvalDay: number;
}

/** world.json: what downstream stages may know about a world (no hidden attributes). */
export interface WorldInfo {
  contract: 'world';
  version: 1;
  preset: WorldPreset;
  seed: number;
  config: WorldConfig;
  days: WorldDays;
  categories: { name: string; inPretraining: boolean }[];
  styles: string[];
  imageSize: number;
  imageFormat: string;
  imagesRendered: boolean;
  visualSignal: number;
  counts: WorldCounts;
  ctr: { all: number; pretrain: number; ctrTrain: number; eval: number };
  files: { items: string; impressions: string; images: string; groundTruth: string; oracleEmbeddings: string; oracleClusters: string; clickTruth: string };
}

export interface WorldSummary extends WorldInfo {
  outDir: string;
  timings: Record<string, number>;
}

export function worldDays(config: Pick<WorldConfig, 'pretrainDays' | 'ctrTrainDays'>): WorldDays {
  const pretrain = Array.from({ length: config.pretrainDays }, (_, d) => d);
  const ctrTrain = Array.from({ length: config.ctrTrainDays }, (_, d) => config.pretrainDays + d);
  return { pretrain, ctrTrain, eval: config.pretrainDays + config.ctrTrainDays };
}

function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(rng.normal(lambda, Math.sqrt(lambda))));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Evaluation-only file of the oracle look groups (cluster-assignments contract). */
export const ORACLE_CLUSTERS_FILE = 'oracle-clusters.parquet';
/** Number of exact look groups: hue region x pattern. */
export const LOOK_GROUPS = HUE_REGIONS * PATTERNS.length;
export const lookGroup = (it: Pick<HiddenItem, 'hueRegion' | 'pattern'>): number => it.hueRegion * PATTERNS.length + it.pattern;

// E[sigmoid(x + s z)], z ~ N(0, 1), by the trapezoid rule on z in [-7, 7] (spectrally accurate for
// this smooth Gaussian integrand: error far below 1e-6 at step 0.1).
const QUAD_Z = Array.from({ length: 141 }, (_, i) => -7 + i * 0.1);
const QUAD_W = (() => {
  const w = QUAD_Z.map((z) => Math.exp(-0.5 * z * z));
  const total = w.reduce((a, x) => a + x, 0);
  return w.map((x) => x / total);
})();
/** Expected sigmoid of a Gaussian logit with mean `x` and standard deviation `s`. */
export function expectedSigmoid(x: number, s: number): number {
  if (s === 0) return sigmoid(x);
  let p = 0;
  for (let i = 0; i < QUAD_Z.length; i++) p += QUAD_W[i] * sigmoid(x + s * QUAD_Z[i]);
  return p;
}

export async function generateWorld(options: GenerateWorldOptions): Promise<WorldSummary> {
  const log = options.log ?? createLogger('world');
  const config = resolveWorldConfig(options.preset, { file: options.configFile, overrides: options.overrides as Record<string, unknown> });
  if (!Number.isSafeInteger(options.seed)) throw new Error(`world: seed must be an integer, got ${options.seed}`);
  const outDir = path.resolve(options.outDir);
  fs.mkdirSync(outDir, { recursive: true });
  // world.json marks a finished world: remove it first so a killed run never looks finished.
  fs.rmSync(path.join(outDir, 'world.json'), { force: true });
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = (performance.now() - t0) / 1000;
    }
  };
  const root = new Rng(options.seed);
  const days = worldDays(config);
  const lastDay = days.eval;

  const items = generateItems(config, lastDay, root.fork('items'));
  const users = generateUsers(config, root.fork('users'));
  // Interest-irrelevant variation: its own stream, so taste, ranker and clicks never see it.
  const nuisanceRng = root.fork('nuisance');
  const merchants = generateMerchants(config.merchants, nuisanceRng.fork('merchants'));
  const nuisance = generateNuisance(items.map((it) => it.itemId), config.merchants, nuisanceRng.fork('items'));
  // What the click model sees of each item: the item itself, or (the swap world) the item with the
  // background's hue in place of its own. Images always show the item's own hue.
  const tasteItems = tasteView(items, nuisance, config);
  const centres = matchCentres(users, tasteItems, root.fork('centres'));
  log.info(`preset=${options.preset} seed=${options.seed}: ${items.length} items, ${users.length} users, days pretrain=${days.pretrain.join(',')} ctrTrain=${days.ctrTrain.join(',')} eval=${days.eval}, visualSignal=${config.visualSignal}, nuisance=${config.nuisance}${config.learnablePatterns ? ', learnablePatterns' : ''}`);

  const ext = config.imageFormat === 'jpg' ? 'jpg' : 'png';
  await timed('items', () =>
    writeParquetRows(
      path.join(outDir, RAW_ITEMS.fileName),
      RAW_ITEMS,
      items.map((it) =>
        rawItemToRow({ itemId: it.itemId, category: CATEGORIES[it.category].name, title: it.title, price: it.price, imagePath: `images/${it.itemId}.${ext}`, styleTag: it.styleTag, firstDay: it.firstDay }),
      ),
    ),
  );

  if (config.renderImages) await timed('images', () => renderImages(items, nuisance, merchants, config, outDir, ext, root.fork('images'), log));

  const sim = await timed('impressions', () => simulateImpressions(tasteItems, users, centres, config, days, outDir, root.fork('sessions'), log));

  await timed('groundTruth', () => {
    const oracle = new Float32Array(items.length * ORACLE_DIM);
    tasteItems.forEach((it, i) => oracleVector(it, oracle, i * ORACLE_DIM));
    writeVectorTable(path.join(outDir, 'oracle-embeddings.arrow'), {
      ids: Int32Array.from(items, (it) => it.itemId),
      vectors: oracle,
      dim: ORACLE_DIM,
      metadata: { method: 'oracle', normalized: 'false', layout: `hue-region one-hot(8), 0.5*cos/sin(hue), pattern one-hot(5: ${PATTERNS.join(',')}), lightness, saturation` },
    });
    writeJsonAtomic(path.join(outDir, 'ground-truth.json'), groundTruthDocument(config, centres, items, users, nuisance, merchants));
  });
  // The exact look group (hue region x pattern) as cluster ids: the oracle of the cluster-id mode.
  await timed('oracleClusters', () =>
    writeParquetRows(
      path.join(outDir, ORACLE_CLUSTERS_FILE),
      CLUSTER_ASSIGNMENTS,
      tasteItems.map((it) => clusterAssignmentToRow({ itemId: it.itemId, clusterId: lookGroup(it), distance: 0 })),
      { metadata: { k: String(LOOK_GROUPS), rule: 'hue region x pattern (ground truth)', unknownId: String(LOOK_GROUPS) } },
    ),
  );

  const info: WorldInfo = {
    contract: 'world',
    version: 1,
    preset: options.preset,
    seed: options.seed,
    config,
    days,
    categories: CATEGORIES.map((c) => ({ name: c.name, inPretraining: c.inPretraining })),
    styles: STYLES.map((s) => s.name),
    imageSize: config.imageSize,
    imageFormat: ext,
    imagesRendered: config.renderImages,
    visualSignal: config.visualSignal,
    counts: {
      items: items.length,
      users: users.length,
      sessions: sim.sessions,
      impressions: sim.impressions,
      clicks: sim.clicks,
      newItemsOnEvalDay: items.filter((it) => it.firstDay === days.eval).length,
    },
    ctr: sim.ctr,
    files: { items: RAW_ITEMS.fileName, impressions: RAW_IMPRESSIONS.fileName, images: 'images', groundTruth: 'ground-truth.json', oracleEmbeddings: 'oracle-embeddings.arrow', oracleClusters: ORACLE_CLUSTERS_FILE, clickTruth: CLICK_TRUTH.fileName },
  };
  writeJsonAtomic(path.join(outDir, 'world.json'), info);
  log.info(
    `wrote ${outDir}: ${sim.sessions} page views, ${sim.impressions} impressions, CTR ${sim.ctr.all.toFixed(4)} ` +
      `(${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}s`).join(', ')})`,
  );
  return { ...info, outDir, timings };
}

/**
 * The items as the click model (and the oracle) sees them. With `tasteHue: 'background'` (the swap
 * world of apps/experiments/PREDICTIONS.md, C2) users' hue taste is on the photo background: each
 * item's hue and hue region are replaced by its background's, and its own hue becomes as
 * interest-irrelevant as the rest of the nuisance. Otherwise the items themselves (same objects).
 */
function tasteView(items: HiddenItem[], nuisance: ItemNuisance[], config: WorldConfig): HiddenItem[] {
  if (config.tasteHue !== 'background') return items;
  if (!(config.nuisance > 0)) throw new Error('world: tasteHue "background" needs nuisance > 0 (at nuisance 0 every background is the same light grey, so the taste would be invisible)');
  return items.map((it, i) => ({ ...it, hue: nuisance[i].background.hue, hueRegion: hueRegionOf(nuisance[i].background.hue) }));
}

async function renderImages(items: HiddenItem[], nuisance: ItemNuisance[], merchants: MerchantTemplate[], config: WorldConfig, outDir: string, ext: string, rng: Rng, log: Logger): Promise<void> {
  // Images go to a temporary folder renamed onto images/ when all are written.
  const finalDir = path.join(outDir, 'images');
  const tmpDir = path.join(outDir, `.images.tmp-${process.pid}`);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  const progress = new Progress('world/images', items.length, { unit: 'images', log: log.child('images') });
  const batch = config.imageConcurrency * 4;
  const strength = uniformStrength(config.nuisance);
  const options = (i: number) => ({
    learnablePatterns: config.learnablePatterns,
    nuisance: config.nuisance > 0 ? { item: nuisance[i], merchant: merchants[nuisance[i].merchant], strength } : null,
  });
  for (let start = 0; start < items.length; start += batch) {
    const slice = items.slice(start, start + batch);
    // Rendering is synchronous JS; encoding runs on sharp's thread pool, `imageConcurrency` at a time.
    const pixels = slice.map((it, j) => renderItem(it, config.imageSize, config.pixelNoise, rng.fork(it.itemId), options(start + j)));
    for (let k = 0; k < slice.length; k += config.imageConcurrency) {
      await Promise.all(
        slice.slice(k, k + config.imageConcurrency).map((it, j) => writeImageFile(path.join(tmpDir, `${it.itemId}.${ext}`), pixels[k + j], config.imageSize, config.imageSize)),
      );
    }
    progress.tick(slice.length);
  }
  progress.done();
  fs.rmSync(finalDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, finalDir);
}

interface SimResult {
  sessions: number;
  impressions: number;
  clicks: number;
  ctr: { all: number; pretrain: number; ctrTrain: number; eval: number };
}

async function simulateImpressions(
  items: HiddenItem[],
  users: HiddenUser[],
  centres: MatchCentres,
  config: WorldConfig,
  days: WorldDays,
  outDir: string,
  rng: Rng,
  log: Logger,
): Promise<SimResult> {
  const writer = await ParquetTableWriter.open(path.join(outDir, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS, {
    // Rows are built here from typed values; the data builder validates them on read.
    validate: false,
    rowGroupSize: 16384,
  });
  // The true click probabilities of the CTR days (evaluation only): the ceiling rows of the CTR report.
  const truth = await ParquetTableWriter.open(path.join(outDir, CLICK_TRUTH.fileName), CLICK_TRUTH, { validate: false, rowGroupSize: 16384 });
  const expected = Math.round(users.reduce((s, u) => s + u.activity, 0) * config.sessionsPerUserDay * (days.eval + 1));
  const progress = new Progress('world/sessions', expected, { unit: 'page views', log: log.child('sessions') });
  let sessionId = 0;
  let impressions = 0;
  let clicks = 0;
  const shown = { pretrain: 0, ctrTrain: 0, eval: 0 };
  const clicked = { pretrain: 0, ctrTrain: 0, eval: 0 };
  const pool: number[] = [];
  const scores: number[] = [];
  try {
    for (let day = 0; day <= days.eval; day++) {
      const dayRng = rng.fork(`day:${day}`);
      const phase = day === days.eval ? 'eval' : days.pretrain.includes(day) ? 'pretrain' : 'ctrTrain';
      const available: number[][] = CATEGORIES.map(() => []);
      for (const it of items) if (it.firstDay <= day) available[it.category].push(it.itemId);
      const catWeight = available.map((a) => (a.length > 0 ? 1 : 0));
      const sessions: { ts: number; user: number; category: number }[] = [];
      for (const u of users) {
        const n = poisson(dayRng, u.activity * config.sessionsPerUserDay);
        for (let s = 0; s < n; s++) {
          const category = dayRng.weightedIndex(u.categoryWeights.map((w, c) => w * catWeight[c]));
          sessions.push({ ts: day * SECONDS_PER_DAY + dayRng.int(SECONDS_PER_DAY), user: u.userId, category });
        }
      }
      sessions.sort((a, b) => a.ts - b.ts || a.user - b.user || a.category - b.category);
      for (const s of sessions) {
        const user = users[s.user];
        const cands = available[s.category];
        pool.length = 0;
        if (cands.length <= config.candidatePool) pool.push(...cands);
        else {
          const seen = new Set<number>();
          while (pool.length < config.candidatePool) {
            const id = cands[dayRng.int(cands.length)];
            if (!seen.has(id)) {
              seen.add(id);
              pool.push(id);
            }
          }
        }
        // The stand-in production ranker: quality, popularity, freshness and noise; blind to taste.
        scores.length = 0;
        for (const id of pool) {
          const it = items[id];
          const fresh = it.firstDay > 0 && day - it.firstDay < 2 ? config.rankerRecencyBoost : 0;
          scores.push(it.quality + config.rankerPopularityWeight * it.popularity + fresh + dayRng.normal(0, config.rankerNoise));
        }
        const order = pool.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || pool[a] - pool[b]);
        const page = order.slice(0, config.pageSize).map((i) => pool[i]);
        const query = CATEGORIES[s.category].name;
        for (let pos = 0; pos < page.length; pos++) {
          const it = items[page[pos]];
          const examined = dayRng.bernoulli(config.examinationDecay ** pos);
          const trueLogit = clickLogit(config, centres, user, it, pos);
          const logit = trueLogit + dayRng.normal(0, config.clickNoise);
          const label = examined && dayRng.bernoulli(sigmoid(logit)) ? 1 : 0;
          await writer.append(impressionToRow({ sessionId, userId: user.userId, query, itemId: it.itemId, position: pos, label, timestamp: s.ts, day }));
          if (phase !== 'pretrain') {
            const examine = config.examinationDecay ** pos;
            const lookTerm = config.visualSignal * (lookMatchRaw(user, it) - centres.look);
            const positionTerm = -config.positionWeight * Math.log1p(pos);
            await truth.append(
              clickTruthToRow({
                sessionId,
                itemId: it.itemId,
                day,
                pClick: examine * expectedSigmoid(trueLogit, config.clickNoise),
                pClickNoLook: examine * expectedSigmoid(trueLogit - lookTerm, config.clickNoise),
                pClickNoPosition: expectedSigmoid(trueLogit - positionTerm, config.clickNoise),
              }),
            );
          }
          impressions++;
          clicks += label;
          shown[phase]++;
          clicked[phase] += label;
        }
        sessionId++;
        progress.tick(1, { impressions });
      }
    }
    await writer.close();
    await truth.close();
  } catch (err) {
    await writer.abort();
    await truth.abort();
    throw err;
  }
  progress.done({ impressions });
  const rate = (c: number, n: number) => (n > 0 ? Math.round((c / n) * 1e6) / 1e6 : 0);
  return {
    sessions: sessionId,
    impressions,
    clicks,
    ctr: { all: rate(clicks, impressions), pretrain: rate(clicked.pretrain, shown.pretrain), ctrTrain: rate(clicked.ctrTrain, shown.ctrTrain), eval: rate(clicked.eval, shown.eval) },
  };
}

/** ground-truth.json: hidden attributes for evaluation and plots only, never for training. */
export interface GroundTruth {
  contract: 'world-ground-truth';
  version: 1;
  config: WorldConfig;
  centres: MatchCentres;
  categories: string[];
  styles: string[];
  patterns: string[];
  items: (Omit<HiddenItem, 'category' | 'style' | 'pattern' | 'title' | 'styleTag'> & { category: string; style: string; pattern: string })[];
  users: (Omit<HiddenUser, 'styles' | 'patterns'> & { styles: string[]; patterns: string[] })[];
  /**
   * Interest-irrelevant variation (nuisance.ts): every item's draws at full strength (the images
   * show them scaled by `strength` = config.nuisance) and the merchants' templates. Absent in
   * worlds written before the knob existed.
   */
  nuisance?: { strength: number; merchants: MerchantTemplate[]; items: ItemNuisance[] };
  /**
   * Whose hue the users' hue taste is on: 'item' (the items' hue above) or 'background' (the swap
   * world: the background's hue in `nuisance.items`, its region by hueRegionOf). Absent = 'item'.
   */
  tasteHue?: 'item' | 'background';
}

function groundTruthDocument(config: WorldConfig, centres: MatchCentres, items: HiddenItem[], users: HiddenUser[], nuisance: ItemNuisance[], merchants: MerchantTemplate[]): GroundTruth {
  const r = (x: number, k = 4) => Math.round(x * 10 ** k) / 10 ** k;
  return {
    contract: 'world-ground-truth',
    version: 1,
    config,
    centres,
    categories: CATEGORIES.map((c) => c.name),
    styles: STYLES.map((s) => s.name),
    patterns: [...PATTERNS],
    items: items.map((it) => ({
      itemId: it.itemId,
      category: CATEGORIES[it.category].name,
      variant: it.variant,
      style: STYLES[it.style].name,
      hueRegion: it.hueRegion,
      hue: r(it.hue, 2),
      saturation: r(it.saturation),
      lightness: r(it.lightness),
      pattern: PATTERNS[it.pattern],
      patternScale: r(it.patternScale),
      quality: r(it.quality),
      popularity: r(it.popularity),
      price: it.price,
      firstDay: it.firstDay,
    })),
    users: users.map((u) => ({ ...u, styles: u.styles.map((s) => STYLES[s].name), patterns: u.patterns.map((p) => PATTERNS[p]), priceSensitivity: r(u.priceSensitivity), activity: r(u.activity) })),
    nuisance: { strength: config.nuisance, merchants, items: nuisance },
    ...(config.tasteHue === 'background' ? { tasteHue: 'background' as const } : {}),
  };
}

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLICK_TRUTH, RAW_IMPRESSIONS, RAW_ITEMS, clickTruthFromRow, impressionFromRow } from '@courier/data-contracts';
import { loadImage, readParquetAll, readVectorTable } from '@courier/io';
import { Rng, createLogger } from '@courier/runtime';
import {
  BACKGROUND_BUCKETS,
  LIGHTING_BUCKETS,
  ORACLE_DIM,
  PATTERNS,
  WorldConfig,
  factorRms,
  generateWorld,
  hueRegionOf,
  patternPeriodFraction,
  readGroundTruth,
  readWorldInfo,
  renderItem,
  resolveWorldConfig,
  sampleItems,
  truthFeatures,
  uniformStrength,
} from './index';

const quiet = createLogger('world', { level: 'warn' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'world-nuisance-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const small = { nItems: 60, nUsers: 15, pretrainDays: 1, ctrTrainDays: 1 };
const small48 = { nItems: 20, nUsers: 10, pretrainDays: 1, ctrTrainDays: 1, imageSize: 48 };

const worlds = new Map<string, Promise<string>>();
/** A small world, generated once per (name) in this file. */
function world(name: string, overrides: Partial<WorldConfig>, seed = 5): Promise<string> {
  if (!worlds.has(name)) {
    const dir = path.join(tmp, name);
    worlds.set(name, generateWorld({ preset: 'tiny', outDir: dir, seed, overrides, log: quiet }).then(() => dir));
  }
  return worlds.get(name) as Promise<string>;
}

const jsonOf = (rows: unknown) => JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
const sha = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** sha256 of the image files in id order, and of their decoded pixels (Float32, io's loader). */
async function imageHashes(dir: string, size: number): Promise<{ png: string; pixels: string; n: number }> {
  const n = fs.readdirSync(path.join(dir, 'images')).length;
  const png = crypto.createHash('sha256');
  const pixels = crypto.createHash('sha256');
  for (let id = 0; id < n; id++) {
    const file = path.join(dir, 'images', `${id}.png`);
    png.update(fs.readFileSync(file));
    const px = await loadImage(file, { width: size, height: size });
    pixels.update(Buffer.from(px.buffer, px.byteOffset, px.byteLength));
  }
  return { png: png.digest('hex'), pixels: pixels.digest('hex'), n };
}

describe('nuisance 0 is today\'s world, byte for byte', () => {
  // Reference hashes computed with the code BEFORE the nuisance knob existed (commit 46489f3),
  // seed 5, preset tiny with the overrides above: the PNG bytes of every image in id order and
  // the impression rows. The pixel hashes were computed from the same (identical) PNG files with
  // io's loader, so they still hold if a sharp upgrade ever changes the PNG encoder's bytes.
  const REFERENCE = {
    small: {
      png: '0363b6dffd7e62afeb39386c003d86e817f749bb955020ad8428654e31e2ba85',
      pixels: '117b92b8a8cf7a05b49a00a7a2e6a36a66196ce42f0c056a3d7d921c8bbed897',
      impressions: '8ecc89803c1b50662112d6ee82016a03c2f75373d04d36bef65c8b8c3fbc2bef',
    },
    small48: {
      png: '69d964ed46fe11eae32f84b6d989012b048c56e47f7d9ef60c368efe1ba8358c',
      pixels: '2de2e3586198106e2507899c29b190cc62d14c69a433e3e8723fe0c06863607a',
      impressions: '3ced78c5ccc853de757691625f46d39144232a327a62027d602a128df44d34d4',
    },
  };

  it.each([
    ['small', small, 32],
    ['small48', small48, 48],
  ] as const)('%s world: default config and an explicit nuisance 0 give the reference images and impressions', async (name, overrides, size) => {
    for (const dir of [await world(`${name}-default`, overrides), await world(`${name}-zero`, { ...overrides, nuisance: 0 })]) {
      const h = await imageHashes(dir, size);
      expect(h.n).toBe(overrides.nItems);
      expect({ png: h.png, pixels: h.pixels }).toEqual({ png: REFERENCE[name].png, pixels: REFERENCE[name].pixels });
      const rows = await readParquetAll(path.join(dir, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS);
      expect(sha(jsonOf(rows))).toBe(REFERENCE[name].impressions);
    }
  });
});

describe('nuisance changes the pictures and nothing else', () => {
  it('nuisance 1: same items, taste attributes, impressions, clicks and click truth as nuisance 0; most images differ', async () => {
    const zero = await world('small-default', small);
    const one = await world('small-one', { ...small, nuisance: 1 });
    for (const spec of [RAW_ITEMS, RAW_IMPRESSIONS, CLICK_TRUTH]) {
      expect(jsonOf(await readParquetAll(path.join(one, spec.fileName), spec))).toBe(jsonOf(await readParquetAll(path.join(zero, spec.fileName), spec)));
    }
    const g0 = readGroundTruth(zero);
    const g1 = readGroundTruth(one);
    expect(g1.doc.items).toEqual(g0.doc.items);
    expect(g1.doc.users).toEqual(g0.doc.users);
    expect(g1.centres).toEqual(g0.centres);
    expect(readWorldInfo(one).ctr).toEqual(readWorldInfo(zero).ctr);
    // The draws are the same at every strength (their own stream); only the strength differs.
    expect(g1.doc.nuisance?.items).toEqual(g0.doc.nuisance?.items);
    expect(g1.doc.nuisance?.strength).toBe(1);
    expect(g0.doc.nuisance?.strength).toBe(0);
    let differ = 0;
    for (let id = 0; id < small.nItems; id++) {
      const a = fs.readFileSync(path.join(zero, 'images', `${id}.png`));
      const b = fs.readFileSync(path.join(one, 'images', `${id}.png`));
      if (!a.equals(b)) differ++;
    }
    expect(differ).toBe(small.nItems);
  });

  it('ground truth holds every item\'s merchant, background, lighting and composition, with buckets in range', async () => {
    const gt = readGroundTruth(await world('small-one', { ...small, nuisance: 1 }));
    expect(gt.nuisance?.size).toBe(small.nItems);
    expect(gt.doc.nuisance?.merchants).toHaveLength(40);
    const merchants = new Set<number>();
    for (const n of gt.nuisance?.values() ?? []) {
      merchants.add(n.merchant);
      expect(n.merchant).toBeGreaterThanOrEqual(0);
      expect(n.merchant).toBeLessThan(40);
      expect(n.background.bucket).toBeGreaterThanOrEqual(0);
      expect(n.background.bucket).toBeLessThan(BACKGROUND_BUCKETS);
      expect(n.lighting.bucket).toBeGreaterThanOrEqual(0);
      expect(n.lighting.bucket).toBeLessThan(LIGHTING_BUCKETS);
      expect(n.background.saturation).toBeLessThanOrEqual(0.6);
      expect(n.background.lightness).toBeGreaterThanOrEqual(0.35);
      expect(n.background.lightness).toBeLessThanOrEqual(0.95);
      expect(n.composition.scale).toBeGreaterThanOrEqual(0.65);
      expect(n.composition.scale).toBeLessThanOrEqual(1.08);
      expect(Math.abs(n.composition.dx)).toBeLessThanOrEqual(0.18);
    }
    expect(merchants.size).toBeGreaterThan(20);
  });

  it('each factor strength 0 leaves the rendered image untouched; the draws do not consume the image stream', () => {
    const { items, nuisance, merchants } = sampleItems(20, 3);
    for (let i = 0; i < items.length; i++) {
      const plain = renderItem(items[i], 32, 6, new Rng(9).fork(i));
      const zero = renderItem(items[i], 32, 6, new Rng(9).fork(i), { nuisance: { item: nuisance[i], merchant: merchants[nuisance[i].merchant], strength: uniformStrength(0) } });
      expect(Buffer.from(zero).equals(Buffer.from(plain))).toBe(true);
    }
  });
});

describe('how much each factor changes the pixels', () => {
  it('all nuisance at full strength changes pixels at least twice as much as hue; half strength less than full', () => {
    const rows = factorRms({ items: 24, imageSize: 16, seed: 2 }); // 16 px keeps the test fast; the README's table is 32 px, 500 items
    const get = (factor: string, strength: number) => rows.find((r) => r.factor === factor && r.strength === strength)?.rms as number;
    const hue = get('hue', 0);
    expect(hue).toBeGreaterThan(10);
    expect(get('pattern', 0)).toBeGreaterThan(5);
    expect(get('all nuisance', 1)).toBeGreaterThanOrEqual(2 * hue);
    expect(get('all nuisance', 0.5)).toBeLessThan(get('all nuisance', 1));
    for (const f of ['background', 'lighting', 'composition', 'merchant template']) {
      expect(get(f, 1)).toBeGreaterThan(get(f, 0.5));
      expect(get(f, 0.5)).toBeGreaterThan(0);
    }
  });
});

describe('learnable patterns and 64 px images', () => {
  it('pattern periods are at least 12% of the width at any size with learnablePatterns (today: from 8%)', () => {
    for (let k = 0; k <= 10; k++) {
      expect(patternPeriodFraction(k / 10, true)).toBeGreaterThanOrEqual(0.12);
      expect(patternPeriodFraction(k / 10, false)).toBeGreaterThanOrEqual(0.08);
    }
    expect(patternPeriodFraction(0, false)).toBeCloseTo(0.08, 12);
  });

  it('a 64 px world with learnable patterns and nuisance: same clicks as the plain 32 px world; images decode at 64 px', async () => {
    const dir = await world('small64', { ...small, imageSize: 64, learnablePatterns: true, nuisance: 0.5 });
    const plain = await world('small-default', small);
    expect(jsonOf(await readParquetAll(path.join(dir, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS))).toBe(jsonOf(await readParquetAll(path.join(plain, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)));
    const info = readWorldInfo(dir);
    expect(info.imageSize).toBe(64);
    expect(info.config.learnablePatterns).toBe(true);
    const px = await loadImage(path.join(dir, 'images', '0.png'), { width: 64, height: 64 });
    expect(px.length).toBe(64 * 64 * 3);
    // Pattern types are the world's own: learnablePatterns changes their period only.
    expect(readGroundTruth(dir).doc.patterns).toEqual([...PATTERNS]);
  });

  it('premise-bench preset: bench sizes, 4x the pre-training days, learnable patterns, nuisance off unless asked', () => {
    const bench = resolveWorldConfig('bench');
    const premise = resolveWorldConfig('premise-bench');
    expect(premise.nItems).toBe(bench.nItems);
    expect(premise.nUsers).toBe(bench.nUsers);
    expect(premise.ctrTrainDays).toBe(bench.ctrTrainDays);
    expect(premise.pretrainDays).toBe(4 * bench.pretrainDays);
    expect(premise.learnablePatterns).toBe(true);
    expect(premise.nuisance).toBe(0);
    expect(bench.learnablePatterns).toBe(false);
  });
});

describe('the swap world: tasteHue "background" (PREDICTIONS.md, C2)', () => {
  it('needs nuisance > 0', async () => {
    await expect(generateWorld({ preset: 'tiny', outDir: path.join(tmp, 'swap-zero'), seed: 5, overrides: { ...small, tasteHue: 'background' }, log: quiet })).rejects.toThrow(/tasteHue "background" needs nuisance > 0/);
  });

  it('same items and pictures as the nuisance-1 world; clicks follow the background hue, not the item hue', async () => {
    const plain = await world('small-one', { ...small, nuisance: 1 });
    const swap = await world('small-swap', { ...small, nuisance: 1, tasteHue: 'background' });
    expect(jsonOf(await readParquetAll(path.join(swap, RAW_ITEMS.fileName), RAW_ITEMS))).toBe(jsonOf(await readParquetAll(path.join(plain, RAW_ITEMS.fileName), RAW_ITEMS)));
    for (let id = 0; id < small.nItems; id++) expect(fs.readFileSync(path.join(swap, 'images', `${id}.png`)).equals(fs.readFileSync(path.join(plain, 'images', `${id}.png`)))).toBe(true);
    const gt = readGroundTruth(swap);
    expect(gt.doc.tasteHue).toBe('background');
    // doc.items keep the item's own hue (what it shows); the loaded items carry the taste hue (the background's).
    expect(gt.doc.items).toEqual(readGroundTruth(plain).doc.items);
    for (const it of gt.items.values()) {
      const bg = gt.nuisance?.get(it.itemId)?.background.hue as number;
      expect(it.hue).toBe(bg);
      expect(it.hueRegion).toBe(hueRegionOf(bg));
    }
    // The oracle embedding one-hots the taste hue region.
    const oracle = readVectorTable(path.join(swap, 'oracle-embeddings.arrow'));
    for (let row = 0; row < oracle.ids.length; row++) expect(oracle.vectors[row * ORACLE_DIM + (gt.items.get(oracle.ids[row]) as { hueRegion: number }).hueRegion]).toBe(1);
    // The click truth is the click model's: its look term follows truthFeatures on the swap ground truth.
    const rows = (await readParquetAll(path.join(swap, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)).map(impressionFromRow);
    const truth = (await readParquetAll(path.join(swap, CLICK_TRUTH.fileName), CLICK_TRUTH)).map(clickTruthFromRow);
    const byKey = new Map(rows.map((r) => [`${r.sessionId}:${r.itemId}`, r]));
    const info = readWorldInfo(swap);
    // With the item's own hue (the plain world's ground truth: same users and items) the signs disagree often.
    const itemHue = readGroundTruth(plain);
    let itemHueDisagrees = 0;
    for (const t of truth.slice(0, 300)) {
      const r = byKey.get(`${t.sessionId}:${t.itemId}`)!;
      const f = truthFeatures(gt, r.userId, r.itemId, r.position);
      // pClickNoLook removes exactly a * lookMatch: zero look match <=> equal probabilities.
      expect(Math.abs(f.lookMatch) < 1e-9).toBe(Math.abs(t.pClick - t.pClickNoLook) < 1e-12);
      expect(t.pClick >= t.pClickNoLook).toBe(f.lookMatch * info.visualSignal >= 0);
      if (t.pClick >= t.pClickNoLook !== truthFeatures(itemHue, r.userId, r.itemId, r.position).lookMatch >= 0) itemHueDisagrees++;
    }
    expect(itemHueDisagrees).toBeGreaterThan(30);
  });
});

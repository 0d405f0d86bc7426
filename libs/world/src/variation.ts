/**
 * How much each factor of the world's images changes the pixels (issue #19: "at full strength the
 * nuisance should change pixels at least twice as much as hue does").
 *
 * For a sample of items, each factor is swapped with a random other item's value of that factor
 * while everything else stays (the same image random stream, so the pixel noise cancels), and the
 * RMS pixel difference (0-255 scale, over pixels and channels, pooled over items) is measured:
 * the between-item variation that factor alone puts into the pictures.
 *
 * Factors: hue (hue region and hue of another item), pattern (another pattern type, same scale),
 * and the nuisance factors (background, lighting, composition, merchant template, and all four)
 * at a given strength: item i's draws against item j's draws, both at that strength.
 */
import { Rng } from '@courier/runtime';
import { resolveWorldConfig } from './config';
import { HiddenItem, PATTERNS, generateItems } from './model';
import { ItemNuisance, MerchantTemplate, NuisanceStrength, ZERO_STRENGTH, generateMerchants, generateNuisance, uniformStrength } from './nuisance';
import { renderItem } from './render';

export interface FactorRms {
  factor: string;
  /** Nuisance strength of the row (0 for the taste factors). */
  strength: number;
  rms: number;
}

export interface FactorRmsOptions {
  items?: number;
  imageSize?: number;
  seed?: number;
  learnablePatterns?: boolean;
  /** Nuisance strengths to measure (default [0.5, 1]). */
  strengths?: number[];
}

/** A sample of items with their nuisance draws and the merchants' templates (the world's own generators). */
export function sampleItems(count: number, seed: number): { items: HiddenItem[]; nuisance: ItemNuisance[]; merchants: MerchantTemplate[] } {
  const config = resolveWorldConfig('tiny', { overrides: { nItems: Math.max(14, count) } });
  const root = new Rng(seed);
  const items = generateItems(config, 1, root.fork('items')).slice(0, count);
  const nuisanceRng = root.fork('nuisance');
  const merchants = generateMerchants(config.merchants, nuisanceRng.fork('merchants'));
  const nuisance = generateNuisance(items.map((it) => it.itemId), config.merchants, nuisanceRng.fork('items'));
  return { items, nuisance, merchants };
}

/** RMS pixel difference per factor (see the module comment). */
export function factorRms(options: FactorRmsOptions = {}): FactorRms[] {
  const n = options.items ?? 200;
  const size = options.imageSize ?? 32;
  const seed = options.seed ?? 1;
  const strengths = options.strengths ?? [0.5, 1];
  const { items, nuisance, merchants } = sampleItems(n, seed);
  const pick = new Rng(seed).fork('partners');
  // Each item's partner: a random other item whose factor value it borrows.
  const partner = items.map((_, i) => (i + 1 + pick.int(n - 1)) % n);
  const imageRng = new Rng(seed).fork('images');
  const render = (it: HiddenItem, nz: ItemNuisance, strength: NuisanceStrength) =>
    renderItem(it, size, 6, imageRng.fork(it.itemId), {
      learnablePatterns: options.learnablePatterns ?? false,
      nuisance: { item: nz, merchant: merchants[nz.merchant], strength },
    });
  const rmsOf = (variant: (i: number) => { a: Uint8Array; b: Uint8Array }) => {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const { a, b } = variant(i);
      for (let k = 0; k < a.length; k++) sum += (a[k] - b[k]) ** 2;
      count += a.length;
    }
    return Math.sqrt(sum / count);
  };
  const rows: FactorRms[] = [];
  rows.push({
    factor: 'hue',
    strength: 0,
    rms: rmsOf((i) => {
      const other = items[partner[i]];
      return { a: render(items[i], nuisance[i], ZERO_STRENGTH), b: render({ ...items[i], hue: other.hue, hueRegion: other.hueRegion }, nuisance[i], ZERO_STRENGTH) };
    }),
  });
  rows.push({
    factor: 'pattern',
    strength: 0,
    rms: rmsOf((i) => {
      const p = (items[i].pattern + 1 + pick.int(PATTERNS.length - 1)) % PATTERNS.length;
      return { a: render(items[i], nuisance[i], ZERO_STRENGTH), b: render({ ...items[i], pattern: p }, nuisance[i], ZERO_STRENGTH) };
    }),
  });
  const factors: [string, (s: number) => NuisanceStrength][] = [
    ['background', (s) => ({ ...ZERO_STRENGTH, background: s })],
    ['lighting', (s) => ({ ...ZERO_STRENGTH, lighting: s })],
    ['composition', (s) => ({ ...ZERO_STRENGTH, composition: s })],
    ['merchant template', (s) => ({ ...ZERO_STRENGTH, template: s })],
    ['all nuisance', (s) => uniformStrength(s)],
  ];
  for (const s of strengths) {
    for (const [factor, strength] of factors) {
      rows.push({ factor, strength: s, rms: rmsOf((i) => ({ a: render(items[i], nuisance[i], strength(s)), b: render(items[i], nuisance[partner[i]], strength(s)) })) });
    }
  }
  return rows;
}

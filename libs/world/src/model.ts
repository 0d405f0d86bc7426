/**
 * The entities of the synthetic world and the hidden "look" that drives part of the clicks.
 *
 * An item's look (hue region, saturation, lightness, pattern, pattern scale) is never written to
 * items.parquet: it only reaches the outside through the rendered image (and, rarely, a noisy
 * colour word in the title). Its style shifts the look, and the style leaks through noisy
 * merchant tags and titles, as in a real catalogue.
 */
import { Rng } from '@courier/runtime';
import type { WorldConfig } from './config';

export const HUE_REGIONS = 8;
/** Region r covers hues around r * 45 degrees. */
export const HUE_NAMES = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink'] as const;
export const PATTERNS = ['solid', 'stripes', 'dots', 'checks', 'noise'] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface StyleSpec {
  name: string;
  /** Hue regions and patterns the style prefers, and its lightness shift. */
  hues: number[];
  patterns: Pattern[];
  lightShift: number;
}

export const STYLES: StyleSpec[] = [
  { name: 'cool', hues: [4, 5], patterns: ['solid', 'stripes'], lightShift: -0.08 },
  { name: 'sexy', hues: [0, 7], patterns: ['solid', 'dots'], lightShift: -0.05 },
  { name: 'mature', hues: [1, 6], patterns: ['solid', 'checks'], lightShift: -0.12 },
  { name: 'cute', hues: [7, 2], patterns: ['dots', 'checks'], lightShift: 0.15 },
  { name: 'grace', hues: [5, 6], patterns: ['solid', 'stripes'], lightShift: 0.06 },
  { name: 'antique', hues: [1, 3], patterns: ['checks', 'noise'], lightShift: -0.15 },
];

export interface CategorySpec {
  name: string;
  /** Women's clothing: the pre-training subset. */
  inPretraining: boolean;
  /** Typical price (currency units). */
  basePrice: number;
}

/** Silhouettes live in render.ts, keyed by these names. */
export const CATEGORIES: CategorySpec[] = [
  { name: 'dress', inPretraining: true, basePrice: 180 },
  { name: 'skirt', inPretraining: true, basePrice: 90 },
  { name: 'blouse', inPretraining: true, basePrice: 80 },
  { name: 'coat', inPretraining: true, basePrice: 400 },
  { name: 'trousers', inPretraining: true, basePrice: 120 },
  { name: 'tshirt', inPretraining: false, basePrice: 50 },
  { name: 'shoe', inPretraining: false, basePrice: 220 },
  { name: 'bag', inPretraining: false, basePrice: 260 },
  { name: 'hat', inPretraining: false, basePrice: 60 },
  { name: 'scarf', inPretraining: false, basePrice: 70 },
  { name: 'watch', inPretraining: false, basePrice: 500 },
  { name: 'backpack', inPretraining: false, basePrice: 150 },
  { name: 'mug', inPretraining: false, basePrice: 30 },
  { name: 'lamp', inPretraining: false, basePrice: 120 },
];

const FILLERS = [
  'new', '2026', 'fashion', 'slim', 'loose', 'premium', 'korean', 'summer', 'autumn', 'winter', 'spring', 'casual',
  'classic', 'trendy', 'hot', 'sale', 'original', 'quality', 'design', 'style', 'popular', 'brand', 'comfortable',
  'soft', 'large', 'small', 'free', 'shipping', 'gift', 'official', 'store', 'limited', 'edition', 'daily', 'simple',
];

export interface HiddenItem {
  itemId: number;
  category: number;
  variant: number;
  style: number;
  hueRegion: number;
  /** Degrees in [0, 360). */
  hue: number;
  saturation: number;
  lightness: number;
  pattern: number;
  patternScale: number;
  quality: number;
  popularity: number;
  price: number;
  firstDay: number;
  title: string;
  styleTag: string | null;
}

export interface HiddenUser {
  userId: number;
  hueRegions: number[];
  patterns: number[];
  styles: number[];
  priceSensitivity: number;
  activity: number;
  /** Unnormalised interest per category. */
  categoryWeights: number[];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function pickDistinct(rng: Rng, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(all);
  return all.slice(0, k).sort((a, b) => a - b);
}

export function generateItems(config: WorldConfig, lastDay: number, rng: Rng): HiddenItem[] {
  const items: HiddenItem[] = [];
  for (let id = 0; id < config.nItems; id++) {
    // The first 14 items cover every category, so no category is empty on day 0.
    const category = id < CATEGORIES.length ? id : rng.int(CATEGORIES.length);
    const cat = CATEGORIES[category];
    const style = rng.int(STYLES.length);
    const st = STYLES[style];
    const hueRegion = rng.bernoulli(config.styleLookShift) ? rng.pick(st.hues) : rng.int(HUE_REGIONS);
    const hue = (hueRegion * 45 + rng.uniform(-17, 17) + 360) % 360;
    const patternName = rng.bernoulli(config.styleLookShift) ? rng.pick(st.patterns) : rng.pick(PATTERNS);
    const quality = rng.normal();
    const popularity = 0.5 * quality + rng.normal(0, 0.85);
    const price = Math.round(cat.basePrice * Math.exp(0.3 * quality + rng.normal(0, 0.35)) * 100) / 100;
    const firstDay = id >= CATEGORIES.length && rng.bernoulli(config.newItemShare) && lastDay > 0 ? 1 + rng.int(lastDay) : 0;
    const tokens: string[] = [];
    for (let k = 0; k < config.fillerWords; k++) tokens.push(rng.pick(FILLERS));
    if (rng.bernoulli(config.styleInTitleRate)) tokens.splice(rng.int(tokens.length + 1), 0, st.name);
    if (rng.bernoulli(config.colourWordNoise)) tokens.splice(rng.int(tokens.length + 1), 0, HUE_NAMES[rng.bernoulli(0.5) ? hueRegion : rng.int(HUE_REGIONS)]);
    tokens.splice(rng.int(tokens.length + 1), 0, cat.name);
    const tagDraw = rng.next();
    const styleTag = tagDraw < config.styleTagMissing ? null : tagDraw < config.styleTagMissing + config.styleTagNoise ? STYLES[rng.int(STYLES.length)].name : st.name;
    items.push({
      itemId: id,
      category,
      variant: rng.int(3),
      style,
      hueRegion,
      hue,
      saturation: rng.uniform(0.45, 0.95),
      lightness: clamp(rng.uniform(0.32, 0.68) + st.lightShift, 0.18, 0.85),
      pattern: PATTERNS.indexOf(patternName),
      patternScale: rng.next(),
      quality,
      popularity,
      price,
      firstDay,
      title: tokens.join(' '),
      styleTag,
    });
  }
  return items;
}

export function generateUsers(config: WorldConfig, rng: Rng): HiddenUser[] {
  const users: HiddenUser[] = [];
  for (let id = 0; id < config.nUsers; id++) {
    const categoryWeights = CATEGORIES.map((c) => (c.inPretraining ? config.womenCategoryWeight : 1) * Math.exp(rng.normal(0, 0.5)));
    for (const f of pickDistinct(rng, CATEGORIES.length, Math.min(config.favouriteCategories, CATEGORIES.length))) categoryWeights[f] *= 5;
    users.push({
      userId: id,
      hueRegions: pickDistinct(rng, HUE_REGIONS, 1 + rng.int(2)),
      patterns: pickDistinct(rng, PATTERNS.length, 1 + rng.int(2)),
      styles: pickDistinct(rng, STYLES.length, 1 + rng.int(2)),
      priceSensitivity: rng.uniform(0, 1.5),
      activity: Math.exp(rng.normal(-0.125, 0.5)), // mean ~1
      categoryWeights: categoryWeights.map((w) => Math.round(w * 1e4) / 1e4),
    });
  }
  return users;
}

/** The hue region (0-7) of a hue in degrees: region r covers hues within 22.5 degrees of r * 45. */
export function hueRegionOf(hue: number): number {
  return Math.round((((hue % 360) + 360) % 360) / 45) % HUE_REGIONS;
}

/** Circular hue distance in degrees, in [0, 180]. */
function hueDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

/**
 * Raw look match in [0, 1.7]: a soft hue match (1 at a preferred region's centre, falling to 0
 * at 45 degrees away) plus 0.7 for a preferred pattern. Only the image carries these attributes.
 */
export function lookMatchRaw(user: HiddenUser, item: HiddenItem): number {
  let hue = 0;
  for (const r of user.hueRegions) hue = Math.max(hue, 1 - hueDistance(item.hue, r * 45) / 45);
  return hue + (user.patterns.includes(item.pattern) ? 0.7 : 0);
}

export function styleMatchRaw(user: HiddenUser, item: HiddenItem): number {
  return user.styles.includes(item.style) ? 1 : 0;
}

/** Price term of the click logit: sensitive users avoid items priced above their category's norm. */
export function priceTerm(user: HiddenUser, item: HiddenItem): number {
  return -user.priceSensitivity * Math.log(item.price / CATEGORIES[item.category].basePrice);
}

/** Mean matches over random user-item pairs, subtracted so that `visualSignal` barely moves the CTR. */
export interface MatchCentres {
  look: number;
  style: number;
}

export function matchCentres(users: HiddenUser[], items: HiddenItem[], rng: Rng, pairs = 4000): MatchCentres {
  let look = 0;
  let style = 0;
  for (let i = 0; i < pairs; i++) {
    const u = users[rng.int(users.length)];
    const it = items[rng.int(items.length)];
    look += lookMatchRaw(u, it);
    style += styleMatchRaw(u, it);
  }
  return { look: Math.round((look / pairs) * 1e6) / 1e6, style: Math.round((style / pairs) * 1e6) / 1e6 };
}

/** The click logit without its noise term (the ground truth an oracle could know). */
export function clickLogit(config: WorldConfig, centres: MatchCentres, user: HiddenUser, item: HiddenItem, position: number): number {
  return (
    config.clickBias +
    config.visualSignal * (lookMatchRaw(user, item) - centres.look) +
    config.styleWeight * (styleMatchRaw(user, item) - centres.style) +
    config.qualityWeight * item.quality +
    config.priceWeight * priceTerm(user, item) -
    config.positionWeight * Math.log1p(position)
  );
}

/** The oracle embedding: one-hot hue region, hue on the circle, one-hot pattern, lightness, saturation. */
export const ORACLE_DIM = HUE_REGIONS + 2 + PATTERNS.length + 2;

export function oracleVector(item: HiddenItem, out: Float32Array, offset = 0): void {
  out.fill(0, offset, offset + ORACLE_DIM);
  out[offset + item.hueRegion] = 1;
  const rad = (item.hue * Math.PI) / 180;
  out[offset + HUE_REGIONS] = 0.5 * Math.cos(rad);
  out[offset + HUE_REGIONS + 1] = 0.5 * Math.sin(rad);
  out[offset + HUE_REGIONS + 2 + item.pattern] = 1;
  out[offset + HUE_REGIONS + 2 + PATTERNS.length] = item.lightness;
  out[offset + HUE_REGIONS + 2 + PATTERNS.length + 1] = item.saturation;
}

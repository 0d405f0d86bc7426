import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError, described } from '@courier/data-contracts';
import type { GroundTruth, WorldInfo } from './generate';
import { CATEGORIES, HiddenItem, HiddenUser, MatchCentres, PATTERNS, STYLES, hueRegionOf, lookMatchRaw, priceTerm, styleMatchRaw } from './model';
import type { ItemNuisance } from './nuisance';

function readJson(file: string, what: string): unknown {
  if (!fs.existsSync(file)) throw new ContractError({ file }, `${what} (is this a world folder written by \`nx run datagen:generate\`?)`, described('no such file'));
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ContractError({ file }, `${what} as JSON`, described(`unparsable text (${(err as Error).message})`));
  }
}

/** Reads and checks `<dir>/world.json` (days, categories, counts; no hidden attributes). */
export function readWorldInfo(dir: string): WorldInfo {
  const file = path.join(dir, 'world.json');
  const info = readJson(file, 'world.json') as Partial<WorldInfo>;
  if (info.contract !== 'world') throw new ContractError({ file, column: 'contract' }, '"world"', info.contract);
  const days = info.days;
  if (!days || !Array.isArray(days.pretrain) || !Array.isArray(days.ctrTrain) || typeof days.eval !== 'number') {
    throw new ContractError({ file, column: 'days' }, '{ pretrain: number[], ctrTrain: number[], eval: number }', days);
  }
  if (!Array.isArray(info.categories) || !info.categories.every((c) => typeof c?.name === 'string' && typeof c?.inPretraining === 'boolean')) {
    throw new ContractError({ file, column: 'categories' }, '[{ name: string, inPretraining: boolean }]', info.categories);
  }
  return info as WorldInfo;
}

/** Hidden attributes in the generator's own form, for evaluation code and world tests. */
export interface LoadedGroundTruth {
  doc: GroundTruth;
  /**
   * Items as the click model sees them: in the swap world (`tasteHue: 'background'`) hue and
   * hueRegion are the background's (what users' hue taste is on); `doc.items` keeps the item's own
   * hue (what the item shows).
   */
  items: Map<number, HiddenItem>;
  users: Map<number, HiddenUser>;
  centres: MatchCentres;
  /** Each item's nuisance draws at full strength (null for a world written before the knob). */
  nuisance: Map<number, ItemNuisance> | null;
}

/** Reads `<dir>/ground-truth.json`. Evaluation and plots only: never feed this to training. */
export function readGroundTruth(dir: string): LoadedGroundTruth {
  const file = path.join(dir, 'ground-truth.json');
  const doc = readJson(file, 'ground-truth.json') as GroundTruth;
  if (doc.contract !== 'world-ground-truth') throw new ContractError({ file, column: 'contract' }, '"world-ground-truth"', doc.contract);
  const catIndex = new Map(CATEGORIES.map((c, i) => [c.name, i]));
  const styleIndex = new Map(STYLES.map((s, i) => [s.name, i]));
  const patternIndex = new Map(PATTERNS.map((p, i) => [p as string, i]));
  const items = new Map<number, HiddenItem>();
  for (const it of doc.items) {
    items.set(it.itemId, { ...it, category: catIndex.get(it.category)!, style: styleIndex.get(it.style)!, pattern: patternIndex.get(it.pattern)!, title: '', styleTag: null });
  }
  if (doc.tasteHue === 'background') {
    if (!doc.nuisance) throw new ContractError({ file, column: 'nuisance' }, 'the nuisance draws of a tasteHue "background" world', described('none'));
    for (const n of doc.nuisance.items) {
      const it = items.get(n.itemId);
      if (it) items.set(n.itemId, { ...it, hue: n.background.hue, hueRegion: hueRegionOf(n.background.hue) });
    }
  }
  const users = new Map<number, HiddenUser>();
  for (const u of doc.users) users.set(u.userId, { ...u, styles: u.styles.map((s) => styleIndex.get(s)!), patterns: u.patterns.map((p) => patternIndex.get(p)!) });
  const nuisance = doc.nuisance ? new Map(doc.nuisance.items.map((n) => [n.itemId, n])) : null;
  return { doc, items, users, centres: doc.centres, nuisance };
}

/** The hidden click-model features of one impression (centred matches as in the click logit). */
export interface TruthFeatures {
  lookMatch: number;
  styleMatch: number;
  quality: number;
  priceTerm: number;
  logPosition: number;
}

export function truthFeatures(gt: LoadedGroundTruth, userId: number, itemId: number, position: number): TruthFeatures {
  const u = gt.users.get(userId);
  const it = gt.items.get(itemId);
  if (!u || !it) throw new Error(`ground truth: unknown ${!u ? `user ${userId}` : `item ${itemId}`}`);
  return {
    lookMatch: lookMatchRaw(u, it) - gt.centres.look,
    styleMatch: styleMatchRaw(u, it) - gt.centres.style,
    quality: it.quality,
    priceTerm: priceTerm(u, it),
    logPosition: Math.log1p(position),
  };
}

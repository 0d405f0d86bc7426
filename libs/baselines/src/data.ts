/**
 * Training data of the baselines: the catalogue (ids, categories, titles, first days) and the
 * pre-training scope from world.json (which categories and days COURIER pre-trains on), so that
 * SimCLR, SimSiam and CLIP see the same images COURIER could see.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RAW_ITEMS, RawItem, rawItemFromRow } from '@courier/data-contracts';
import { readParquetRows } from '@courier/io';

export async function readCatalogue(itemsFile: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  for await (const row of readParquetRows(itemsFile, RAW_ITEMS)) items.push(rawItemFromRow(row));
  if (items.length === 0) throw new Error(`${itemsFile}: the catalogue has no items`);
  return items;
}

export interface PretrainScope {
  /** Category names used in pre-training. */
  categories: string[];
  /** Pre-training days (ascending). */
  days: number[];
}

/** Reads the pre-training categories and days of `<worldDir>/world.json`; errors name the file and key. */
export function readPretrainScope(worldDir: string): PretrainScope {
  const file = path.join(worldDir, 'world.json');
  if (!fs.existsSync(file)) throw new Error(`baseline: ${file} not found (give a world folder with world.json, or set itemScope "all")`);
  let doc: { categories?: unknown; days?: { pretrain?: unknown } };
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`baseline: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const cats = doc.categories;
  if (!Array.isArray(cats) || !cats.every((c) => typeof c?.name === 'string' && typeof c?.inPretraining === 'boolean')) {
    throw new Error(`baseline: ${file}: key "categories" must be [{ name: string, inPretraining: boolean }], got ${JSON.stringify(cats)?.slice(0, 80)}`);
  }
  const days = doc.days?.pretrain;
  if (!Array.isArray(days) || !days.every((d) => Number.isInteger(d))) throw new Error(`baseline: ${file}: key "days.pretrain" must be a list of integers, got ${JSON.stringify(days)}`);
  const categories = (cats as { name: string; inPretraining: boolean }[]).filter((c) => c.inPretraining).map((c) => c.name);
  if (categories.length === 0) throw new Error(`baseline: ${file}: no category has inPretraining = true`);
  return { categories, days: (days as number[]).slice().sort((a, b) => a - b) };
}

/**
 * Ids (ascending) of the items the image methods train on: in a pre-training category (unless
 * scope is null = all items) and, with `excludeFuture`, available by the last pre-training day.
 */
export function trainingItemIds(items: readonly RawItem[], scope: PretrainScope | null, excludeFuture: boolean): number[] {
  const cats = scope ? new Set(scope.categories) : null;
  const lastDay = scope && scope.days.length ? scope.days[scope.days.length - 1] : Infinity;
  return items
    .filter((it) => (!cats || cats.has(it.category)) && (!excludeFuture || it.firstDay <= lastDay))
    .map((it) => it.itemId)
    .sort((a, b) => a - b);
}

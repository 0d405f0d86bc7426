/**
 * Bring your own data (issue #22): `pipeline run --data DIR` on a folder with items.parquet,
 * impressions.parquet and images/ per data-contracts (raw-items, raw-impressions), without any
 * ground truth. This stage checks the folder against the contracts and writes what the later
 * stages read from a world folder:
 *
 * - items.parquet: the catalogue with absolute image paths; an item whose image is missing, empty,
 *   not an image, corrupt or over the pixel limit is a counted reject (rejects.jsonl), so its
 *   impressions become counted `unknown-item` rejects of the samples stage;
 * - world.json: the day roles (derived from the impressions unless the data section sets them)
 *   and the categories (all in pre-training); no ground truth, so the CTR stage leaves out the
 *   oracle and the ceiling rows;
 * - data-check.json: counts of items, impressions, days, rejects.
 *
 * A contract violation that is not skippable (a missing column, a wrong type, a label outside
 * {0,1}, a duplicate item id, an empty table, fewer than 4 days) is an error naming the file, the
 * row and the column. Your folder is only read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError, RAW_IMPRESSIONS, RAW_ITEMS, described, rawItemFromRow, rawItemToRow } from '@courier/data-contracts';
import { loadImage, readParquetRows, writeJsonAtomic, writeParquetRows, writeFileAtomicSync } from '@courier/io';
import { Logger } from '@courier/runtime';

/** Files the check leaves in the world folder (the stage is up to date only while all exist). */
export const BYO_STAGE_OUTPUTS = ['items.parquet', 'world.json', 'data-check.json', 'rejects.jsonl'];

export interface DayRoles {
  pretrain: number[];
  ctrTrain: number[];
  eval: number;
}

export interface ByoCheckSummary {
  items: number;
  itemsRejected: number;
  impressions: number;
  impressionsOfUnknownItems: number;
  clicks: number;
  days: DayRoles;
  daysDerived: boolean;
  categories: string[];
}

/**
 * Day roles from the distinct days of the log: the last day is the evaluation day, the
 * ceil((n-1)/3) days before it (at least 2: the CTR model validates on the last) train the CTR
 * model, the rest pre-train. Needs at least 4 days.
 */
export function deriveDayRoles(days: readonly number[], file = RAW_IMPRESSIONS.fileName): DayRoles {
  const d = [...new Set(days)].sort((a, b) => a - b);
  if (d.length < 4) {
    throw new ContractError({ file, column: 'day' }, 'at least 4 distinct days (pre-training, 2 CTR training days, evaluation), or set data.pretrainDays, data.ctrTrainDays and data.evalDay', described(`${d.length} day(s): ${d.join(', ')}`));
  }
  const nCtr = Math.max(2, Math.ceil((d.length - 1) / 3));
  return { pretrain: d.slice(0, d.length - 1 - nCtr), ctrTrain: d.slice(d.length - 1 - nCtr, d.length - 1), eval: d[d.length - 1] };
}

function requireFile(dir: string, name: string, what: string): string {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new ContractError({ file }, what, described('no such file'));
  return file;
}

export async function checkByoData(options: { dataDir: string; outDir: string; days: DayRoles | null; log: Logger; imageConcurrency?: number }): Promise<ByoCheckSummary> {
  const { dataDir, outDir, log } = options;
  const itemsFile = requireFile(dataDir, RAW_ITEMS.fileName, 'the item catalogue (raw-items contract: item_id, category, title, price, image_path, style_tag, first_day)');
  const impressionsFile = requireFile(dataDir, RAW_IMPRESSIONS.fileName, 'the impression log (raw-impressions contract: session_id, user_id, query, item_id, position, label, timestamp, day)');
  // Files of an earlier run in this folder (a generated world's ground truth above all) must not
  // be read as if they belonged to this data.
  fs.mkdirSync(outDir, { recursive: true });
  for (const entry of fs.readdirSync(outDir)) fs.rmSync(path.join(outDir, entry), { recursive: true, force: true });

  // Items: contract per row (errors name file, row and column), unique ids, decodable images.
  const items: ReturnType<typeof rawItemFromRow>[] = [];
  const seen = new Map<number, number>();
  let row = 0;
  for await (const r of readParquetRows(itemsFile, RAW_ITEMS)) {
    const item = rawItemFromRow(r);
    const earlier = seen.get(item.itemId);
    if (earlier !== undefined) throw new ContractError({ file: itemsFile, row, column: 'item_id' }, 'a unique item id', described(`${item.itemId}, already on row ${earlier}`));
    seen.set(item.itemId, row);
    items.push(item);
    row++;
  }
  if (items.length === 0) throw new ContractError({ file: itemsFile }, 'at least one item', described('an empty table'));

  const rejects: string[] = [];
  const ok = new Array<boolean>(items.length).fill(false);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i];
      const file = path.isAbsolute(item.imagePath) ? item.imagePath : path.join(dataDir, item.imagePath);
      try {
        await loadImage(file, { width: 8, height: 8 });
        ok[i] = true;
        item.imagePath = file;
      } catch (err) {
        rejects.push(JSON.stringify({ file: RAW_ITEMS.fileName, row: i, item_id: item.itemId, column: 'image_path', reason: (err as Error).message }));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.imageConcurrency ?? 4) }, worker));
  const kept = items.filter((_, i) => ok[i]);
  if (kept.length === 0) throw new ContractError({ file: itemsFile, column: 'image_path' }, 'at least one item with a readable image', described(`none of ${items.length} (first problem: ${JSON.parse(rejects[0]).reason})`));
  if (rejects.length) log.warn(`${rejects.length} of ${items.length} items rejected for their image (see ${path.join(outDir, 'rejects.jsonl')}); their impressions become unknown-item rejects of the samples stage`);

  // Impressions: contract per row; days and clicks counted; impressions of unknown items counted
  // here and rejected (counted, with examples) by the samples stage.
  const known = new Set(kept.map((i) => i.itemId));
  const daySet = new Set<number>();
  let impressions = 0;
  let unknown = 0;
  let clicks = 0;
  for await (const r of readParquetRows(impressionsFile, RAW_IMPRESSIONS)) {
    daySet.add(r.day as number);
    if (!known.has(r.item_id as number)) unknown++;
    clicks += r.label as number;
    impressions++;
  }
  if (impressions === 0) throw new ContractError({ file: impressionsFile }, 'at least one impression', described('an empty table'));
  if (clicks === 0) throw new ContractError({ file: impressionsFile, column: 'label' }, 'some clicks (label 1): pre-training learns from clicked items', described('no label 1 in any row'));
  const days = options.days ?? deriveDayRoles([...daySet], impressionsFile);
  const missingDays = [...days.pretrain, ...days.ctrTrain, days.eval].filter((d) => !daySet.has(d));
  if (missingDays.length) log.warn(`day roles name days without impressions: ${missingDays.join(', ')}`);
  const categories = [...new Set(kept.map((i) => i.category))].sort();

  await writeParquetRows(path.join(outDir, RAW_ITEMS.fileName), RAW_ITEMS, kept.map(rawItemToRow));
  writeFileAtomicSync(path.join(outDir, 'rejects.jsonl'), rejects.length ? `${rejects.join('\n')}\n` : '');
  writeJsonAtomic(path.join(outDir, 'world.json'), {
    contract: 'byo-data',
    version: 1,
    source: dataDir,
    groundTruth: false,
    days,
    categories: categories.map((name) => ({ name, inPretraining: true })),
  });
  const summary: ByoCheckSummary = { items: kept.length, itemsRejected: items.length - kept.length, impressions, impressionsOfUnknownItems: unknown, clicks, days, daysDerived: options.days === null, categories };
  writeJsonAtomic(path.join(outDir, 'data-check.json'), { contract: 'byo-data-check', version: 1, source: dataDir, ...summary });
  log.info(
    `your data: ${kept.length} items (${items.length - kept.length} rejected), ${impressions} impressions (${unknown} of unknown items), ${clicks} clicks; ` +
      `days ${options.days ? 'from the data section' : 'derived'}: pre-training ${days.pretrain.join(',')}, CTR training ${days.ctrTrain.join(',')}, evaluation ${days.eval}`,
  );
  return summary;
}

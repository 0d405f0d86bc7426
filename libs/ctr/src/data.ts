/**
 * Loading the CTR model's inputs into columnar, typed arrays: the item catalogue
 * (RAW_ITEMS: category, title, price) and the CTR samples (CTR_SAMPLES, split train/eval).
 * Everything is indexed by a catalogue row `r` in [0, nItems); row `nItems` is padding.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CTR_SAMPLES, ContractError, RAW_ITEMS, ctrSampleFromRow, rawItemFromRow } from '@courier/data-contracts';
import { readParquetRows } from '@courier/io';
import { hashString } from '@courier/runtime';

export interface Catalogue {
  /** Item ids in catalogue order (ascending). */
  itemIds: Int32Array;
  /** item id -> catalogue row. */
  rowOf: Map<number, number>;
  /** Category index per row, into `categories`. */
  category: Int32Array;
  categories: string[];
  /** Title tokens per row (raw strings; hashed by buildItemFeatures). */
  titles: string[];
  price: Float64Array;
  firstDay: Int32Array;
  /** Merchant style tag per row (null when absent): a catalogue field every platform has. */
  styleTags: (string | null)[];
}

/** One CTR split in columnar form. History of row i: histItems[histOffsets[i] .. histOffsets[i+1]) (catalogue rows, oldest first). */
export interface CtrSplit {
  n: number;
  sessionId: Int32Array;
  userId: Int32Array;
  /** Target item as a catalogue row. */
  itemRow: Int32Array;
  day: Int32Array;
  /** Rank on the page (0 = top): position bias is a feature, as in production CTR models. */
  position: Int32Array;
  label: Float32Array;
  histOffsets: Int32Array;
  histItems: Int32Array;
}

export interface CtrRejects {
  /** Rows whose target item is not in the catalogue (skipped). */
  unknownTarget: number;
  /** History entries whose item is not in the catalogue (dropped from the history). */
  unknownHistoryItems: number;
  /** Up to 100 examples, for rejects.jsonl. */
  examples: { row: number; reason: string; itemId: number }[];
}

export interface CtrData {
  train: CtrSplit;
  eval: CtrSplit;
  rejects: CtrRejects;
}

export async function loadCatalogue(itemsFile: string): Promise<Catalogue> {
  const rows: { itemId: number; category: string; title: string; price: number; firstDay: number; styleTag: string | null }[] = [];
  for await (const row of readParquetRows(itemsFile, RAW_ITEMS)) rows.push(rawItemFromRow(row));
  if (rows.length === 0) throw new ContractError({ file: path.basename(itemsFile) }, 'at least one item', 'an empty table');
  return catalogueFromItems(rows, path.basename(itemsFile));
}

/** Builds a catalogue from in-memory items (tests, other loaders). */
export function catalogueFromItems(items: { itemId: number; category: string; title: string; price: number; firstDay?: number; styleTag?: string | null }[], source = 'items'): Catalogue {
  const sorted = [...items].sort((a, b) => a.itemId - b.itemId);
  const rowOf = new Map<number, number>();
  sorted.forEach((it, r) => {
    if (rowOf.has(it.itemId)) throw new ContractError({ file: source, column: 'item_id' }, 'unique item ids', `item ${it.itemId} twice`);
    rowOf.set(it.itemId, r);
  });
  const categories = [...new Set(sorted.map((it) => it.category))].sort();
  const catIndex = new Map(categories.map((c, i) => [c, i]));
  return {
    itemIds: Int32Array.from(sorted.map((it) => it.itemId)),
    rowOf,
    category: Int32Array.from(sorted.map((it) => catIndex.get(it.category) as number)),
    categories,
    titles: sorted.map((it) => it.title),
    price: Float64Array.from(sorted.map((it) => it.price)),
    firstDay: Int32Array.from(sorted.map((it) => it.firstDay ?? 0)),
    styleTags: sorted.map((it) => it.styleTag ?? null),
  };
}

class SplitBuilder {
  sessionId: number[] = [];
  userId: number[] = [];
  itemRow: number[] = [];
  day: number[] = [];
  position: number[] = [];
  label: number[] = [];
  histOffsets: number[] = [0];
  histItems: number[] = [];
  build(): CtrSplit {
    return {
      n: this.sessionId.length,
      sessionId: Int32Array.from(this.sessionId),
      userId: Int32Array.from(this.userId),
      itemRow: Int32Array.from(this.itemRow),
      day: Int32Array.from(this.day),
      position: Int32Array.from(this.position),
      label: Float32Array.from(this.label),
      histOffsets: Int32Array.from(this.histOffsets),
      histItems: Int32Array.from(this.histItems),
    };
  }
}

/**
 * Reads ctr-samples.parquet and maps item ids to catalogue rows. Rows with an unknown target
 * item are skipped and unknown history items dropped; both are counted in `rejects`.
 * `maxHistory` keeps only the most recent entries (0 = all).
 */
export async function loadCtrSamples(file: string, catalogue: Catalogue, options: { maxHistory?: number; log?: (line: string) => void } = {}): Promise<CtrData> {
  if (!fs.existsSync(file)) throw new ContractError({ file }, 'an existing ctr-samples.parquet (give --samples DIR, the data builder output)', 'no such file');
  const builders = { train: new SplitBuilder(), eval: new SplitBuilder() };
  const rejects: CtrRejects = { unknownTarget: 0, unknownHistoryItems: 0, examples: [] };
  const maxHistory = options.maxHistory ?? 0;
  let rowIndex = 0;
  const started = Date.now();
  let lastLog = started;
  for await (const raw of readParquetRows(file, CTR_SAMPLES)) {
    const s = ctrSampleFromRow(raw);
    const target = catalogue.rowOf.get(s.itemId);
    if (target === undefined) {
      rejects.unknownTarget++;
      if (rejects.examples.length < 100) rejects.examples.push({ row: rowIndex, reason: 'target item not in items.parquet', itemId: s.itemId });
      rowIndex++;
      continue;
    }
    const b = builders[s.split];
    b.sessionId.push(s.sessionId);
    b.userId.push(s.userId);
    b.itemRow.push(target);
    b.day.push(s.day);
    b.position.push(s.position);
    b.label.push(s.label);
    const hist = maxHistory > 0 ? s.historyItemIds.slice(-maxHistory) : s.historyItemIds;
    for (const h of hist) {
      const r = catalogue.rowOf.get(h);
      if (r === undefined) {
        rejects.unknownHistoryItems++;
        if (rejects.examples.length < 100) rejects.examples.push({ row: rowIndex, reason: 'history item not in items.parquet (dropped)', itemId: h });
        continue;
      }
      b.histItems.push(r);
    }
    b.histOffsets.push(b.histItems.length);
    rowIndex++;
    if (options.log && Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      options.log(`read ${rowIndex} CTR samples (${Math.round(rowIndex / ((lastLog - started) / 1000))} rows/s)`);
    }
  }
  const data = { train: builders.train.build(), eval: builders.eval.build(), rejects };
  if (data.train.n === 0) throw new ContractError({ file: path.basename(file), column: 'split' }, 'at least one row with split "train"', 'none');
  if (data.eval.n === 0) throw new ContractError({ file: path.basename(file), column: 'split' }, 'at least one row with split "eval"', 'none');
  return data;
}

/** Builds a split from in-memory samples (tests). Item ids must be in the catalogue. */
export function splitFromSamples(samples: { sessionId: number; userId: number; itemId: number; day: number; position?: number; label: number; historyItemIds: number[] }[], catalogue: Catalogue): CtrSplit {
  const b = new SplitBuilder();
  for (const s of samples) {
    const r = catalogue.rowOf.get(s.itemId);
    if (r === undefined) throw new Error(`splitFromSamples: item ${s.itemId} is not in the catalogue`);
    b.sessionId.push(s.sessionId);
    b.userId.push(s.userId);
    b.itemRow.push(r);
    b.day.push(s.day);
    b.position.push(s.position ?? 0);
    b.label.push(s.label);
    for (const h of s.historyItemIds) {
      const hr = catalogue.rowOf.get(h);
      if (hr !== undefined) b.histItems.push(hr);
    }
    b.histOffsets.push(b.histItems.length);
  }
  return b.build();
}

/** Tokens of a title: lower-cased, split on whitespace. */
export function titleTokens(title: string): string[] {
  return title.toLowerCase().split(/\s+/).filter((t) => t.length > 0);
}

/** Hash bucket of a token in [1, buckets); 0 is padding. */
export function tokenBucket(token: string, buckets: number): number {
  return 1 + (hashString(token) % (buckets - 1));
}

/** Rows `rows` of a split, as a split of their own (history kept). */
export function subsetSplit(split: CtrSplit, rows: ArrayLike<number>): CtrSplit {
  const b = new SplitBuilder();
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    b.sessionId.push(split.sessionId[i]);
    b.userId.push(split.userId[i]);
    b.itemRow.push(split.itemRow[i]);
    b.day.push(split.day[i]);
    b.position.push(split.position[i]);
    b.label.push(split.label[i]);
    for (let j = split.histOffsets[i]; j < split.histOffsets[i + 1]; j++) b.histItems.push(split.histItems[j]);
    b.histOffsets.push(b.histItems.length);
  }
  return b.build();
}

/**
 * Holds out the last `days` training days as the validation split (early stopping and every
 * choice are made there, never on the evaluation day). With `days` 0, or a single training day,
 * there is no validation split.
 */
export function splitValidation(train: CtrSplit, days: number): { fit: CtrSplit; validation: CtrSplit | null; validationDays: number[] } {
  const allDays = [...new Set(train.day)].sort((a, b) => a - b);
  if (days <= 0 || allDays.length <= days) return { fit: train, validation: null, validationDays: [] };
  const held = new Set(allDays.slice(-days));
  const fitRows: number[] = [];
  const valRows: number[] = [];
  for (let i = 0; i < train.n; i++) (held.has(train.day[i]) ? valRows : fitRows).push(i);
  return { fit: subsetSplit(train, fitRows), validation: subsetSplit(train, valRows), validationDays: [...held] };
}

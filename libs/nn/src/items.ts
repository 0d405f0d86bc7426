/**
 * Where the backbone's inputs come from, per item id: decoded images (a world's items.parquet +
 * image files, decoded by @courier/io's ImageCache) or precomputed feature vectors (in memory).
 */
import * as path from 'node:path';
import { RAW_ITEMS, rawItemFromRow } from '@courier/data-contracts';
import { ImageCache, readParquetRows } from '@courier/io';

export interface ItemInputs {
  readonly kind: 'image' | 'features';
  /** Shape of one item's input: [S, S, 3] for images, [F] for features. */
  readonly itemShape: readonly number[];
  /** Every catalogue item id, ascending. */
  itemIds(): number[];
  has(itemId: number): boolean;
  /** Inputs of `ids`, concatenated row-major: ids.length * prod(itemShape) floats. */
  load(ids: readonly number[]): Promise<Float32Array>;
}

export function itemInputSize(items: ItemInputs): number {
  return items.itemShape.reduce((a, b) => a * b, 1);
}

export interface ImageItemsOptions {
  /** Side of the square image fed to the backbone (pixels). */
  imageSize: number;
  /** Decoded images kept in memory (LRU). Default 8192. */
  cacheEntries?: number;
  /** Images decoded at once. Default 8. */
  concurrency?: number;
}

/** Item images of a catalogue: `items.parquet` (RAW_ITEMS), image paths relative to its folder. */
export async function imageItemsFromCatalogue(itemsFile: string, options: ImageItemsOptions): Promise<ItemInputs> {
  const dir = path.dirname(path.resolve(itemsFile));
  const files = new Map<number, string>();
  for await (const row of readParquetRows(itemsFile, RAW_ITEMS)) {
    const item = rawItemFromRow(row);
    files.set(item.itemId, path.isAbsolute(item.imagePath) ? item.imagePath : path.join(dir, item.imagePath));
  }
  if (files.size === 0) throw new Error(`${itemsFile}: the catalogue has no items`);
  const size = options.imageSize;
  const cache = new ImageCache({ width: size, height: size, maxEntries: options.cacheEntries ?? 8192 });
  const per = size * size * 3;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const ids = [...files.keys()].sort((a, b) => a - b);
  return {
    kind: 'image',
    itemShape: [size, size, 3],
    itemIds: () => ids.slice(),
    has: (id) => files.has(id),
    async load(batch) {
      const out = new Float32Array(batch.length * per);
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const i = next++;
          const file = files.get(batch[i]);
          if (file === undefined) throw new Error(`item ${batch[i]} is not in ${itemsFile}`);
          out.set(await cache.get(batch[i], file), i * per);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
      return out;
    },
  };
}

/**
 * In-memory inputs: one Float32Array per item (images flattened HWC, or feature vectors). Used for
 * precomputed features (the Amazon harness) and by tests.
 */
export function inMemoryItems(kind: 'image' | 'features', itemShape: readonly number[], inputs: ReadonlyMap<number, Float32Array>): ItemInputs {
  const per = itemShape.reduce((a, b) => a * b, 1);
  for (const [id, v] of inputs) {
    if (v.length !== per) throw new Error(`inMemoryItems: item ${id} has ${v.length} values, expected ${per} (shape [${itemShape.join(', ')}])`);
  }
  const ids = [...inputs.keys()].sort((a, b) => a - b);
  return {
    kind,
    itemShape,
    itemIds: () => ids.slice(),
    has: (id) => inputs.has(id),
    async load(batch) {
      const out = new Float32Array(batch.length * per);
      batch.forEach((id, i) => {
        const v = inputs.get(id);
        if (!v) throw new Error(`inMemoryItems: unknown item ${id}`);
        out.set(v, i * per);
      });
      return out;
    },
  };
}

/** Feature vectors as a row-major matrix [ids.length, dim] (e.g. image_feat.npy of an MMRec folder). */
export function featureItems(ids: ArrayLike<number>, matrix: Float32Array, dim: number): ItemInputs {
  if (matrix.length !== ids.length * dim) throw new Error(`featureItems: ${ids.length} ids x dim ${dim} needs ${ids.length * dim} values, got ${matrix.length}`);
  const map = new Map<number, Float32Array>();
  for (let i = 0; i < ids.length; i++) {
    if (map.has(ids[i])) throw new Error(`featureItems: duplicate item id ${ids[i]} at row ${i}`);
    map.set(ids[i], matrix.subarray(i * dim, (i + 1) * dim));
  }
  return inMemoryItems('features', [dim], map);
}

/**
 * `serve batch`: embeds and assigns every image of a folder (the day's new items) into Parquet.
 *
 * Output `new-items.parquet` (contract `new-item-assignments`): one row per readable image, in
 * file-name order: file (relative to the folder), item_id (the file name's number, e.g. 123.png,
 * else null), cluster_id (in [0, K), or K = unknown), distance, embedding (d floats, L2-normalised).
 * Unreadable files (not an image, corrupt, truncated, over the pixel limit, empty) are counted and
 * listed in `new-items.rejects.jsonl` beside it; they never stop the batch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractSpec } from '@courier/data-contracts';
import { ParquetTableWriter, writeFileAtomicSync } from '@courier/io';
import type { ServeModel } from './model';

export const NEW_ITEM_ASSIGNMENTS: ContractSpec = {
  name: 'new-item-assignments',
  version: 1,
  fileName: 'new-items.parquet',
  doc: 'Embedding and cluster id of each new image (serve batch).',
  fields: [
    { name: 'file', type: 'utf8', doc: 'image file, relative to the batch folder' },
    { name: 'item_id', type: 'int32', nullable: true, doc: 'the number in the file name (123.png), else null' },
    { name: 'cluster_id', type: 'int32', doc: 'nearest centre in [0, K), or K = unknown' },
    { name: 'distance', type: 'float32', nullable: true, doc: 'squared distance to the centre; null for unknown' },
    { name: 'embedding', type: 'float32-vector', doc: 'the L2-normalised embedding, length dim' },
  ],
  metadataKeys: { dim: 'embedding dimension', k: 'number of centres', checkpoint: 'backbone checkpoint', centres: 'centres file' },
};

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export interface BatchResult {
  out: string;
  rejectsFile: string;
  files: number;
  written: number;
  rejected: number;
  seconds: number;
  imagesPerSecond: number;
}

export async function runBatch(model: ServeModel, options: { images: string; out: string; batchSize?: number; log?: (line: string) => void }): Promise<BatchResult> {
  const log = options.log ?? (() => undefined);
  const dir = path.resolve(options.images);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`serve batch: --images ${options.images} is not a folder`);
  const files = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE_EXT.has(path.extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (files.length === 0) throw new Error(`serve batch: no .png, .jpg, .jpeg or .webp files in ${dir}`);
  const out = path.resolve(options.out.endsWith('.parquet') ? options.out : path.join(options.out, NEW_ITEM_ASSIGNMENTS.fileName));
  const rejectsFile = out.replace(/\.parquet$/, '.rejects.jsonl');
  const writer = await ParquetTableWriter.open(out, NEW_ITEM_ASSIGNMENTS, { metadata: { dim: String(model.dim), k: String(model.k), checkpoint: model.files.checkpoint, centres: model.files.centres } });
  const rejects: string[] = [];
  const batchSize = options.batchSize ?? 64;
  const t0 = performance.now();
  try {
    for (let start = 0; start < files.length; start += batchSize) {
      const names = files.slice(start, start + batchSize);
      const bytes = await Promise.all(names.map((f) => fs.promises.readFile(path.join(dir, f))));
      // Embed the batch; on a bad image, fall back to one at a time to find and skip it.
      let results: (Awaited<ReturnType<ServeModel['embedImages']>>[number] | Error)[];
      try {
        results = await model.embedImages(bytes, names);
      } catch {
        results = [];
        for (let i = 0; i < names.length; i++) {
          try {
            results.push((await model.embedImages([bytes[i]], [names[i]]))[0]);
          } catch (err) {
            results.push(err as Error);
          }
        }
      }
      for (let i = 0; i < names.length; i++) {
        const r = results[i];
        if (r instanceof Error) {
          rejects.push(JSON.stringify({ file: names[i], reason: r.message }));
          continue;
        }
        const id = /^(\d+)\.[a-z]+$/i.exec(names[i]);
        await writer.append({ file: names[i], item_id: id && Number(id[1]) <= 2147483647 ? Number(id[1]) : null, cluster_id: r.clusterId, distance: r.distance, embedding: r.embedding });
      }
      log(`${Math.min(start + batchSize, files.length)}/${files.length} images`);
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  writeFileAtomicSync(rejectsFile, rejects.length ? `${rejects.join('\n')}\n` : '');
  const seconds = (performance.now() - t0) / 1000;
  return { out, rejectsFile, files: files.length, written: files.length - rejects.length, rejected: rejects.length, seconds, imagesPerSecond: files.length / Math.max(seconds, 1e-9) };
}

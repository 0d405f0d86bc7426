/**
 * Embedding export: every catalogue item (seen in training or not) through the trained backbone,
 * in batches, to an ITEM_EMBEDDINGS Arrow file (L2-normalised rows, metadata method "courier").
 */
import * as tf from '@tensorflow/tfjs';
import { writeVectorTable } from '@courier/io';
import { Logger, Progress, createLogger } from '@courier/runtime';
import { Backbone, toInput } from './backbones/backbone';
import type { ItemInputs } from './items';

export interface ExportOptions {
  backbone: Backbone;
  items: ItemInputs;
  /** Target file, e.g. <out>/embeddings.arrow (written atomically). */
  file?: string;
  batchSize?: number;
  /** Extra schema metadata (method, dim and normalized are set here). */
  metadata?: Record<string, string>;
  log?: Logger;
  progress?: boolean;
}

export interface ExportResult {
  ids: Int32Array;
  vectors: Float32Array;
  dim: number;
  seconds: number;
}

/** Embeds every item of `items` (ascending id) and writes the table when `file` is given. */
export async function exportEmbeddings(options: ExportOptions): Promise<ExportResult> {
  const { backbone, items } = options;
  const batchSize = options.batchSize ?? 256;
  const log = options.log ?? createLogger('pretrain/export');
  const ids = items.itemIds();
  const dim = backbone.dim;
  const vectors = new Float32Array(ids.length * dim);
  const progress = options.progress === false ? null : new Progress('export', ids.length, { log, unit: 'items' });
  const t0 = performance.now();
  let pending = ids.length ? items.load(ids.slice(0, batchSize)) : null;
  for (let start = 0; start < ids.length; start += batchSize) {
    const batch = ids.slice(start, start + batchSize);
    const inputs = await pending!;
    const nextStart = start + batchSize;
    pending = nextStart < ids.length ? items.load(ids.slice(nextStart, nextStart + batchSize)) : null;
    const out = tf.tidy(() => backbone.embed(toInput(inputs, [batch.length, ...items.itemShape])).dataSync());
    vectors.set(out, start * dim);
    progress?.tick(batch.length);
  }
  progress?.done();
  const result = { ids: Int32Array.from(ids), vectors, dim, seconds: (performance.now() - t0) / 1000 };
  if (options.file) {
    writeVectorTable(options.file, { ids: result.ids, vectors, dim, metadata: { method: 'courier', normalized: 'true', backbone: backbone.name, ...options.metadata } });
    log.info(`wrote ${ids.length} embeddings (d=${dim}) to ${options.file}`);
  }
  return result;
}

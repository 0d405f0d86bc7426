/**
 * What a person looks at to trust an embedding (issue #22): the pre-training loss per step, a
 * gallery of clusters (the items nearest the centre of a sample of clusters, as thumbnails) and
 * the nearest neighbours of a few items, for report.html. Thumbnails are inlined as data URIs
 * (sharp, 56 px), so the page stays one self-contained file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { CLUSTER_ASSIGNMENTS, RAW_ITEMS, rawItemFromRow } from '@courier/data-contracts';
import { readParquetRows, readVectorTable } from '@courier/io';

export const LOSS_CURVE_FILE = 'loss-curve.json';

export interface LossCurve {
  /** Optimiser step of each loss (1-based). */
  steps: number[];
  loss: number[];
  /** Where the losses come from: this run's steps, or only the last steps a checkpoint kept. */
  source: 'steps' | 'checkpoint-history';
}

export interface GalleryItem {
  id: number;
  category: string;
  thumb: string | null;
  /** Cosine similarity to the query (neighbours) or squared distance to the centre (clusters). */
  score: number | null;
}

export interface Galleries {
  clusters: { clusterId: number; size: number; topCategories: string; items: GalleryItem[] }[];
  neighbours: { query: GalleryItem; neighbours: GalleryItem[] }[];
  k: number;
  n: number;
}

const THUMB = 56;

async function thumbnail(file: string): Promise<string | null> {
  try {
    const png = await sharp(file, { limitInputPixels: 4096 * 4096 }).resize(THUMB, THUMB, { fit: 'cover', withoutEnlargement: true }).png().toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch {
    return null; // a missing image shows as an empty box, never breaks the report
  }
}

/** Evenly spaced picks (deterministic): `count` of `n` indices. */
const spread = (n: number, count: number) => Array.from({ length: Math.min(n, count) }, (_, i) => Math.floor(((i + 0.5) * n) / Math.min(n, count)));

/** Builds the cluster gallery and neighbour rows from a run's files; null when a file is missing. */
export async function buildGalleries(o: { itemsFile: string; embeddingsFile: string; assignmentsFile: string; clusters?: number; perCluster?: number; queries?: number; neighbours?: number }): Promise<Galleries | null> {
  if (![o.itemsFile, o.embeddingsFile, o.assignmentsFile].every((f) => fs.existsSync(f))) return null;
  const dir = path.dirname(path.resolve(o.itemsFile));
  const items = new Map<number, { category: string; file: string }>();
  for await (const row of readParquetRows(o.itemsFile, RAW_ITEMS)) {
    const it = rawItemFromRow(row);
    items.set(it.itemId, { category: it.category, file: path.isAbsolute(it.imagePath) ? it.imagePath : path.join(dir, it.imagePath) });
  }
  const members = new Map<number, { id: number; distance: number }[]>();
  let k = 0;
  for await (const row of readParquetRows(o.assignmentsFile, CLUSTER_ASSIGNMENTS)) {
    const c = row.cluster_id as number;
    const d = row.distance as number | null;
    if (d === null) continue; // the unknown id
    k = Math.max(k, c + 1);
    const list = members.get(c) ?? [];
    list.push({ id: row.item_id as number, distance: d });
    members.set(c, list);
  }
  const thumbs = new Map<number, Promise<string | null>>();
  const thumbOf = (id: number) => {
    let t = thumbs.get(id);
    if (!t) {
      const it = items.get(id);
      t = it ? thumbnail(it.file) : Promise.resolve(null);
      thumbs.set(id, t);
    }
    return t;
  };
  const item = async (id: number, score: number | null): Promise<GalleryItem> => ({ id, category: items.get(id)?.category ?? '?', thumb: await thumbOf(id), score });

  // Clusters: a spread over the size ranking (largest to smallest non-trivial), items nearest the centre.
  const bySize = [...members.entries()].filter(([, m]) => m.length >= 2).sort((a, b) => b[1].length - a[1].length || a[0] - b[0]);
  const clusters = await Promise.all(
    spread(bySize.length, o.clusters ?? 8).map(async (i) => {
      const [clusterId, list] = bySize[i];
      const counts = new Map<string, number>();
      for (const m of list) counts.set(items.get(m.id)?.category ?? '?', (counts.get(items.get(m.id)?.category ?? '?') ?? 0) + 1);
      const topCategories = [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([c, n]) => `${c} ${Math.round((100 * n) / list.length)}%`)
        .join(', ');
      const nearest = [...list].sort((a, b) => a.distance - b.distance || a.id - b.id).slice(0, o.perCluster ?? 10);
      return { clusterId, size: list.length, topCategories, items: await Promise.all(nearest.map((m) => item(m.id, m.distance))) };
    }),
  );

  // Nearest neighbours by cosine similarity of the embeddings.
  const table = readVectorTable(o.embeddingsFile);
  const { ids, vectors, dim } = table;
  const norms = new Float64Array(ids.length);
  for (let r = 0; r < ids.length; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[r * dim + j] ** 2;
    norms[r] = Math.sqrt(s);
  }
  const valid = [...ids.keys()].filter((r) => norms[r] > 0 && Number.isFinite(norms[r]));
  const neighbours = await Promise.all(
    spread(valid.length, o.queries ?? 6).map(async (qi) => {
      const q = valid[qi];
      const sims: { r: number; sim: number }[] = [];
      for (const r of valid) {
        if (r === q) continue;
        let s = 0;
        for (let j = 0; j < dim; j++) s += vectors[q * dim + j] * vectors[r * dim + j];
        sims.push({ r, sim: s / (norms[q] * norms[r]) });
      }
      sims.sort((a, b) => b.sim - a.sim || a.r - b.r);
      return { query: await item(ids[q], null), neighbours: await Promise.all(sims.slice(0, o.neighbours ?? 8).map((x) => item(ids[x.r], x.sim))) };
    }),
  );
  return { clusters, neighbours, k, n: ids.length };
}

/** The last steps a checkpoint kept (when the run recorded no curve of its own). */
export function lossCurveOf(pretrainDir: string, checkpointHistory: () => { step: number; lossHistory: number[] } | null): LossCurve | null {
  const file = path.join(pretrainDir, LOSS_CURVE_FILE);
  if (fs.existsSync(file)) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as LossCurve;
    } catch {
      // fall through to the checkpoint
    }
  }
  const h = checkpointHistory();
  if (!h || h.lossHistory.length === 0) return null;
  const first = h.step - h.lossHistory.length + 1;
  return { steps: h.lossHistory.map((_, i) => first + i), loss: h.lossHistory, source: 'checkpoint-history' };
}

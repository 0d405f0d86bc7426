/**
 * 2-D maps of item embeddings (paper Fig. 5/6): a seeded sample of items, UMAP (umap-js) to two
 * dimensions, labels from the world's ground truth (category, hidden style). The neighbour
 * agreement (share of each point's k nearest map neighbours with its label) turns "the colours
 * form islands" into a number that can be compared between methods.
 */
import { UMAP } from 'umap-js';
import { readVectorTable } from '@courier/io';
import { Rng } from '@courier/runtime';
import { readGroundTruth, readWorldInfo } from '@courier/world';
import type { EmbeddingMap, MapPoint } from '@courier/report';

export interface MapOptions {
  name: string;
  seed: number;
  embeddingsFile: string;
  worldDir: string;
  maxPoints: number;
  /** Neighbours for UMAP's graph and for the agreement score. */
  neighbours?: number;
}

/** Share of each point's k nearest neighbours (2-D Euclidean) that carry the same label. */
export function neighbourAgreement(xy: { x: number; y: number }[], labels: string[], k: number): number {
  const n = xy.length;
  if (n <= k) return NaN;
  let same = 0;
  const d = new Float64Array(n);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) d[j] = j === i ? Infinity : (xy[i].x - xy[j].x) ** 2 + (xy[i].y - xy[j].y) ** 2;
    idx.sort((a, b) => d[a] - d[b]);
    for (let r = 0; r < k; r++) if (labels[idx[r]] === labels[i]) same++;
  }
  return same / (n * k);
}

export function embeddingMap(options: MapOptions): EmbeddingMap {
  const table = readVectorTable(options.embeddingsFile);
  const truth = readGroundTruth(options.worldDir).doc;
  const inPre = new Set(readWorldInfo(options.worldDir).categories.filter((c) => c.inPretraining).map((c) => c.name));
  const byId = new Map(truth.items.map((it) => [it.itemId, it]));
  // The same seeded sample of item ids for every map of a seed (sorted ids, then shuffled).
  const rows = Array.from(table.ids, (id, row) => ({ id, row })).filter((r) => byId.has(r.id));
  rows.sort((a, b) => a.id - b.id);
  const rng = new Rng(options.seed).fork('map-sample');
  rng.shuffle(rows);
  const chosen = rows.slice(0, Math.min(options.maxPoints, rows.length)).sort((a, b) => a.id - b.id);
  if (chosen.length < 10) throw new Error(`experiments maps: only ${chosen.length} items of ${options.embeddingsFile} are in ${options.worldDir}/ground-truth.json`);
  const data = chosen.map((r) => Array.from(table.vectors.subarray(r.row * table.dim, (r.row + 1) * table.dim)));
  const k = options.neighbours ?? 15;
  const umapRng = new Rng(options.seed).fork(`umap-${options.name}`);
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(k, chosen.length - 1), minDist: 0.1, random: () => umapRng.next() });
  const xy = umap.fit(data);
  const points: MapPoint[] = chosen.map((r, i) => {
    const it = byId.get(r.id)!;
    return { itemId: r.id, x: round(xy[i][0]), y: round(xy[i][1]), category: it.category, style: it.style, inPretraining: inPre.has(it.category) };
  });
  const kAgree = 10;
  return {
    name: options.name,
    seed: options.seed,
    source: options.embeddingsFile,
    points,
    neighbourAgreement: {
      category: neighbourAgreement(points, points.map((p) => p.category), kAgree),
      style: neighbourAgreement(points, points.map((p) => p.style), kAgree),
      k: kAgree,
    },
  };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * What a person looks at to trust an embedding (issue #22): a gallery of clusters (the items
 * nearest the centre of a sample of clusters, as thumbnails) and the nearest neighbours of a few
 * items, for the pipeline's report.html and, per method, the experiments reports. Thumbnails are
 * inlined as data URIs (sharp, 56 px), so a page stays one self-contained file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { esc } from './escape';
import { CLUSTER_ASSIGNMENTS, RAW_ITEMS, rawItemFromRow } from '@courier/data-contracts';
import { readParquetRows, readVectorTable } from '@courier/io';

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

const thumbHtml = (it: GalleryItem, title: string) =>
  it.thumb ? `<img class="thumb" src="${it.thumb}" width="56" height="56" alt="item ${it.id}" title="${esc(title)}">` : `<span class="thumb missing" title="${esc(title)}">?</span>`;

/** CSS the gallery markup needs (the page's own <style> includes it). */
export const GALLERY_CSS =
  '.thumbs{display:flex;flex-wrap:wrap;gap:4px}.thumb{width:56px;height:56px;image-rendering:pixelated;border:1px solid #ddd}.thumb.missing{display:inline-block;text-align:center;line-height:56px;color:#999}.nb{text-align:center;font-size:10px}table.neighbours td{vertical-align:top;text-align:left}';

/**
 * Thumbnails of the items nearest the centre of a sample of clusters, and nearest neighbours of a
 * few items. `idPrefix` keeps element ids unique when a page shows several methods; `level` is the
 * heading level of the two sections.
 */
export function galleriesHtml(g: Galleries | null | undefined, o: { idPrefix?: string; level?: 2 | 3 | 4; heading?: string } = {}): string {
  if (!g) return '';
  const h = `h${o.level ?? 2}`;
  const prefix = o.idPrefix ?? '';
  const clusters = g.clusters
    .map(
      (c) =>
        `<div class="cluster"><p><b>cluster ${c.clusterId}</b>: ${c.size} items (${esc(c.topCategories)})</p><div class="thumbs">${c.items.map((it) => thumbHtml(it, `item ${it.id}, ${it.category}, squared distance to the centre ${it.score?.toFixed(3)}`)).join('')}</div></div>`,
    )
    .join('\n');
  const neighbours = g.neighbours
    .map(
      (r) =>
        `<tr><td>${thumbHtml(r.query, `item ${r.query.id}, ${r.query.category}`)}<br><small>${r.query.id} ${esc(r.query.category)}</small></td><td><div class="thumbs">${r.neighbours.map((it) => `<span class="nb">${thumbHtml(it, `item ${it.id}, ${it.category}, cosine ${it.score?.toFixed(3)}`)}<br><small>${it.score?.toFixed(2)} ${esc(it.category)}</small></span>`).join('')}</div></td></tr>`,
    )
    .join('\n');
  const of = o.heading ? `: ${esc(o.heading)}` : '';
  return `<${h} id="${esc(prefix)}cluster-gallery">What the clusters group together${of}</${h}>
<p>${g.clusters.length} of ${g.k} clusters, spread from the largest to the smallest; in each, the items nearest the centre (hover for item id, category and distance). ${g.n} items embedded.</p>
${clusters}
<${h} id="${esc(prefix)}neighbours">Nearest neighbours${of}</${h}>
<p>A few items (left) and their nearest items by cosine similarity of the embeddings (similarity and category under each).</p>
<table class="neighbours"><tbody>
${neighbours}
</tbody></table>`;
}

/** One method's galleries in an experiments report (its first seed; thumbnails inlined). */
export interface MethodGallery {
  /** The report's variant name (`<variant>@<world>` in multi-world suites). */
  name: string;
  seed: number;
  galleries: Galleries;
}

/** The galleries' file beside results.json (kept apart: the thumbnails are most of its bytes). */
export const GALLERIES_FILE = 'galleries.json';

export function validateMethodGalleries(value: unknown, where: string): asserts value is MethodGallery[] {
  const fail = (what: string) => {
    throw new Error(`${where}: ${what}`);
  };
  if (!Array.isArray(value)) fail('expected an array of { name, seed, galleries }');
  (value as unknown[]).forEach((g, i) => {
    const x = g as Partial<MethodGallery> | null;
    if (!x || typeof x.name !== 'string' || typeof x.seed !== 'number' || !x.galleries || !Array.isArray(x.galleries.clusters) || !Array.isArray(x.galleries.neighbours))
      fail(`entry ${i}: expected { name: string, seed: number, galleries: { clusters: [], neighbours: [] } }`);
  });
}

/** Per method, in folded sections: what each embedding's clusters and neighbours look like. */
export function methodGalleriesHtml(list: MethodGallery[] | null | undefined): string {
  if (!list?.length) return '';
  const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  const blocks = list
    .map((m, i) => `<details class="gallery"${i === 0 ? ' open' : ''}><summary><b>${esc(m.name)}</b> (seed ${m.seed}): ${m.galleries.k} clusters, ${m.galleries.n} items</summary>${galleriesHtml(m.galleries, { idPrefix: `${slug(m.name)}-`, level: 4, heading: m.name })}</details>`)
    .join('\n');
  return `<h2 id="method-galleries">What each embedding groups together</h2>
<p class="note">For each method, seed ${list[0].seed}: thumbnails of the items nearest the centre of a sample of its clusters, and the nearest neighbours of the same few items by cosine similarity (a person's check that an embedding groups what it should). Click a method to unfold it.</p>
${blocks}`;
}

/**
 * The world README's nuisance figures (issue #19):
 * - the RMS pixel difference per factor (hue, pattern, each nuisance factor at strength 0.5 and 1),
 *   printed as a Markdown table;
 * - sample image grids of the same items at nuisance 0, 0.5 and 1 (and with learnable patterns),
 *   written as PNG to libs/world/docs/.
 *
 *   npx tsx libs/world/tools/nuisance-figures.ts [--items 200] [--image-size 32] [--no-grids]
 */
import * as path from 'node:path';
import { encodeImage } from '@courier/io';
import { Rng, parseCliArgs } from '@courier/runtime';
import { factorRms, renderItem, sampleItems, uniformStrength } from '../src/index';

const DOCS = path.join(__dirname, '..', 'docs');

async function grid(file: string, strength: number, options: { learnablePatterns?: boolean; size?: number; cols?: number; rows?: number; zoom?: number } = {}): Promise<void> {
  const size = options.size ?? 32;
  const cols = options.cols ?? 8;
  const rows = options.rows ?? 3;
  const zoom = options.zoom ?? 3;
  const gap = 2;
  const { items, nuisance, merchants } = sampleItems(cols * rows, 4);
  const tile = size * zoom;
  const width = cols * tile + (cols + 1) * gap;
  const height = rows * tile + (rows + 1) * gap;
  const out = new Uint8Array(width * height * 3).fill(255);
  const imageRng = new Rng(4).fork('images');
  items.forEach((it, i) => {
    const px = renderItem(it, size, 6, imageRng.fork(it.itemId), {
      learnablePatterns: options.learnablePatterns ?? false,
      nuisance: { item: nuisance[i], merchant: merchants[nuisance[i].merchant], strength: uniformStrength(strength) },
    });
    const x0 = gap + (i % cols) * (tile + gap);
    const y0 = gap + Math.floor(i / cols) * (tile + gap);
    for (let y = 0; y < tile; y++) {
      for (let x = 0; x < tile; x++) {
        const s = (Math.floor(y / zoom) * size + Math.floor(x / zoom)) * 3;
        const d = ((y0 + y) * width + x0 + x) * 3;
        out[d] = px[s];
        out[d + 1] = px[s + 1];
        out[d + 2] = px[s + 2];
      }
    }
  });
  await encodeImage(file, out, width, height);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)} (${width}x${height})\n`);
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const items = Number(flags.items ?? 200);
  const imageSize = Number(flags['image-size'] ?? 32);
  for (const learnablePatterns of [false, true]) {
    const t0 = performance.now();
    const rows = factorRms({ items, imageSize, learnablePatterns });
    const hue = rows.find((r) => r.factor === 'hue')!.rms;
    process.stdout.write(`\n${imageSize} px, ${items} items, learnablePatterns ${learnablePatterns} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n\n`);
    process.stdout.write('| factor | strength | RMS pixel difference (0-255) | x hue |\n|---|---|---|---|\n');
    for (const r of rows) process.stdout.write(`| ${r.factor} | ${r.strength === 0 ? '-' : r.strength} | ${r.rms.toFixed(1)} | ${(r.rms / hue).toFixed(2)} |\n`);
  }
  if (flags.grids !== false && flags['no-grids'] === undefined) {
    for (const s of [0, 0.5, 1]) await grid(path.join(DOCS, `nuisance-${s}.png`), s);
    await grid(path.join(DOCS, 'learnable-patterns.png'), 0, { learnablePatterns: true });
    await grid(path.join(DOCS, 'nuisance-1-64px.png'), 1, { size: 64, zoom: 2, learnablePatterns: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});

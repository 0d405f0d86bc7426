/**
 * Page views per item in the pre-training days of a preset's world (issue #19: the paper has
 * ~88 appearances per item). Generates the log only (no images) into a temporary folder.
 *
 *   npx tsx libs/world/tools/appearances.ts --preset bench [--seed 1]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RAW_IMPRESSIONS, impressionFromRow } from '@courier/data-contracts';
import { readParquetRows } from '@courier/io';
import { createLogger, parseCliArgs } from '@courier/runtime';
import { CATEGORIES, WorldPreset, generateWorld, readGroundTruth } from '../src/index';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const preset = String(flags.preset ?? 'bench') as WorldPreset;
  const seed = Number(flags.seed ?? 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `appearances-${preset}-`));
  try {
    const t0 = performance.now();
    const info = await generateWorld({ preset, outDir: dir, seed, overrides: { renderImages: false }, log: createLogger('world', { level: 'warn' }) });
    const seconds = (performance.now() - t0) / 1000;
    const women = new Set(CATEGORIES.filter((c) => c.inPretraining).map((c) => c.name));
    const gt = readGroundTruth(dir);
    const pretrain = new Set(info.days.pretrain);
    const lastPretrain = Math.max(...info.days.pretrain);
    const shown = new Map<number, number>();
    const pageViews = new Set<number>();
    for await (const row of readParquetRows(path.join(dir, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)) {
      const r = impressionFromRow(row);
      if (!pretrain.has(r.day) || !women.has(r.query)) continue;
      shown.set(r.itemId, (shown.get(r.itemId) ?? 0) + 1);
      pageViews.add(r.sessionId);
    }
    // Items of the pre-training categories that exist during pre-training (first day <= its last day).
    const available = gt.doc.items.filter((it) => women.has(it.category) && it.firstDay <= lastPretrain).length;
    const total = [...shown.values()].reduce((a, b) => a + b, 0);
    const counts = [...shown.values()].sort((a, b) => a - b);
    process.stdout.write(
      `${preset} seed ${seed}: ${info.days.pretrain.length} pre-training days, ${pageViews.size} pre-training page views in the pre-training categories, ` +
        `${available} items available, ${shown.size} shown; appearances per available item ${(total / available).toFixed(1)}, ` +
        `per shown item ${(total / shown.size).toFixed(1)} (median ${counts[Math.floor(counts.length / 2)]}); generated in ${seconds.toFixed(0)} s; ` +
        `whole log: ${info.counts.sessions} page views, ${info.counts.impressions} impressions, CTR ${info.ctr.all.toFixed(3)}\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});

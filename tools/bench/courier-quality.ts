/**
 * Does COURIER learn the look? Compares a finished pipeline run's embeddings with the same
 * backbone at initialisation (same config and seed, zero learning rate) and with a backbone
 * initialised from another seed: how often an item's 5 nearest neighbours share its hidden hue
 * region, pattern, style and category (from the world's ground truth), against chance, plus the spread of
 * the embeddings (a collapse shows as spread near 0).
 *
 *   npx tsx tools/bench/courier-quality.ts [--run runs/demo-seed1] [--k 5] [--json FILE]
 *
 * `--run` is a pipeline output folder (world/, samples/, pretrain/ with run.json and
 * embeddings.arrow). Needs no labels beyond ground-truth.json, which is evaluation-only.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, parseCliArgs } from '@courier/runtime';
import { readVectorTable, writeJsonAtomic } from '@courier/io';
import { readGroundTruth } from '@courier/world';
import { EMBEDDINGS_FILE, PretrainConfig, chanceAgreement, untrainedConfig, embeddingSpread, neighbourAgreement, runPretrainTrainStage } from '@courier/courier';

interface Row {
  embeddings: string;
  hueRegion: number;
  pattern: number;
  /** Same, with neighbours searched only among items of the item's own category (a page's competitors). */
  hueInCategory: number;
  patternInCategory: number;
  style: number;
  category: number;
  spread: number;
}

async function initialEmbeddings(runDir: string, config: PretrainConfig, seed: number): Promise<string> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `courier-quality-init${seed}-`));
  const { samples: _s, items: _i, ...rest } = config as PretrainConfig & { samples?: string; items?: string };
  await runPretrainTrainStage({
    samples: path.join(runDir, 'samples'),
    world: path.join(runDir, 'world'),
    outDir: out,
    config: untrainedConfig(rest as PretrainConfig, seed),
  });
  return path.join(out, EMBEDDINGS_FILE);
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const runDir = path.resolve(String(flags.run ?? 'runs/demo-seed1'));
  const k = Number(flags.k ?? 5);
  const trained = path.join(runDir, 'pretrain', EMBEDDINGS_FILE);
  const runJson = path.join(runDir, 'pretrain', 'run.json');
  for (const f of [trained, runJson, path.join(runDir, 'world', 'ground-truth.json')]) {
    if (!fs.existsSync(f)) throw new Error(`courier-quality: ${f} is missing; run the pipeline first (npx nx run pipeline:run) or pass --run <pipeline output folder>`);
  }
  await initBackend();
  const config = JSON.parse(fs.readFileSync(runJson, 'utf8')).config as PretrainConfig;
  const truth = readGroundTruth(path.join(runDir, 'world'));

  const measure = (file: string): Row => {
    const table = readVectorTable(file);
    const label = (key: 'hueRegion' | 'pattern' | 'style' | 'category') => Array.from(table.ids, (id) => {
      const item = truth.items.get(id);
      if (!item) throw new Error(`courier-quality: item ${id} of ${file} is not in the world's ground truth`);
      return item[key];
    });
    return {
      embeddings: path.relative(process.cwd(), file),
      hueRegion: neighbourAgreement(table.vectors, table.dim, label('hueRegion'), k),
      pattern: neighbourAgreement(table.vectors, table.dim, label('pattern'), k),
      hueInCategory: neighbourAgreement(table.vectors, table.dim, label('hueRegion'), k, label('category')),
      patternInCategory: neighbourAgreement(table.vectors, table.dim, label('pattern'), k, label('category')),
      style: neighbourAgreement(table.vectors, table.dim, label('style'), k),
      category: neighbourAgreement(table.vectors, table.dim, label('category'), k),
      spread: embeddingSpread(table.vectors, table.dim),
    };
  };

  const items = Array.from(truth.items.values());
  const chance = {
    hueRegion: chanceAgreement(items.map((i) => i.hueRegion)),
    pattern: chanceAgreement(items.map((i) => i.pattern)),
    style: chanceAgreement(items.map((i) => i.style)),
    category: chanceAgreement(items.map((i) => i.category)),
  };
  const rows: [string, Row][] = [
    ['COURIER (trained)', measure(trained)],
    ['same backbone at initialisation', measure(await initialEmbeddings(runDir, config, config.seed))],
    ['random init, another seed', measure(await initialEmbeddings(runDir, config, config.seed + 1000))],
  ];
  const pct = (x: number) => x.toFixed(3);
  const lines = [
    `neighbour agreement (share of each item's ${k} nearest neighbours with the same hidden attribute), ${truth.items.size} items, backbone ${config.backbone}`,
    `${'embeddings'.padEnd(34)} ${'hue region'.padStart(10)} ${'pattern'.padStart(8)} ${'hue|cat'.padStart(8)} ${'pat|cat'.padStart(8)} ${'style'.padStart(8)} ${'category'.padStart(8)} ${'spread'.padStart(8)}`,
    ...rows.map(([name, r]) => `${name.padEnd(34)} ${pct(r.hueRegion).padStart(10)} ${pct(r.pattern).padStart(8)} ${pct(r.hueInCategory).padStart(8)} ${pct(r.patternInCategory).padStart(8)} ${pct(r.style).padStart(8)} ${pct(r.category).padStart(8)} ${pct(r.spread).padStart(8)}`),
    `${'chance'.padEnd(34)} ${pct(chance.hueRegion).padStart(10)} ${pct(chance.pattern).padStart(8)} ${''.padStart(8)} ${''.padStart(8)} ${pct(chance.style).padStart(8)} ${pct(chance.category).padStart(8)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (typeof flags.json === 'string') writeJsonAtomic(flags.json, { run: runDir, k, chance, rows: Object.fromEntries(rows) });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

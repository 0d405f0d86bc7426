/**
 * Does COURIER learn the hidden look on a given world? Generates a world (preset + overrides),
 * builds its samples, trains COURIER with the given pretrain keys, and prints how often an
 * item's 5 nearest neighbours share its hidden hue region / pattern / hue x pattern / category,
 * globally and among items of the same category ("In"), for the trained network and the same
 * network untrained. World and samples are reused when the folder already has them.
 *
 *   npx tsx tools/bench/look-learning.ts --out /tmp/ll --preset tiny \
 *     --world '{"nItems":1200,"nUsers":1200,"pretrainDays":8,"sessionsPerUserDay":2.5}' \
 *     --pretrain '{"backbone":"mlp-pixels","dim":32,"imageSize":16,"epochs":3,"lr":0.001}' [--tag name]
 *
 * Prints one JSON line (the numbers in libs/courier/README.md, "What the embeddings learn").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger, initBackend, parseCliArgs } from '@courier/runtime';
import { readVectorTable } from '@courier/io';
import { WorldPreset, generateWorld, readGroundTruth } from '@courier/world';
import { buildSamples } from '@courier/data-builder';
import { EMBEDDINGS_FILE, chanceAgreement, defaultPretrainConfig, embeddingSpread, neighbourAgreement, runPretrainTrainStage, untrainedConfig } from '@courier/courier';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const out = path.resolve(String(flags.out ?? '/tmp/look-learning'));
  const tag = String(flags.tag ?? 'trained');
  const worldOverrides = JSON.parse(String(flags.world ?? '{}'));
  const pretrainKeys = JSON.parse(String(flags.pretrain ?? '{}'));
  await initBackend({ log: () => {} });
  const world = path.join(out, 'world');
  const samples = path.join(out, 'samples');
  const t0 = Date.now();
  if (!fs.existsSync(path.join(world, 'world.json'))) {
    await generateWorld({ preset: String(flags.preset ?? 'tiny') as WorldPreset, outDir: world, seed: 1, overrides: worldOverrides, log: createLogger('world', { level: 'warn' }) });
  }
  if (!fs.existsSync(path.join(samples, 'pretrain-samples.parquet'))) await buildSamples({ worldDir: world, outDir: samples, seed: 1 });
  const t1 = Date.now();
  const truth = readGroundTruth(world);
  const measure = (file: string) => {
    const t = readVectorTable(file);
    const label = (k: 'hueRegion' | 'pattern' | 'category') => Array.from(t.ids, (id) => truth.items.get(id)![k]);
    const look = Array.from(t.ids, (id) => truth.items.get(id)!.hueRegion * 10 + truth.items.get(id)!.pattern);
    const category = label('category');
    const agree = (labels: number[], within?: number[]) => +neighbourAgreement(t.vectors, t.dim, labels, 5, within).toFixed(3);
    return {
      hue: agree(label('hueRegion')), pat: agree(label('pattern')), look: agree(look), cat: agree(category),
      hueIn: agree(label('hueRegion'), category), patIn: agree(label('pattern'), category), lookIn: agree(look, category),
      spread: +embeddingSpread(t.vectors, t.dim).toFixed(3),
    };
  };
  const config = defaultPretrainConfig({ seed: 1, checkpointSeconds: 0, ...pretrainKeys });
  const initDir = path.join(out, `${tag}-init`);
  const trainedDir = path.join(out, tag);
  for (const d of [initDir, trainedDir]) fs.rmSync(d, { recursive: true, force: true });
  await runPretrainTrainStage({ samples, world, outDir: initDir, config: untrainedConfig(config) });
  const losses: number[] = [];
  const meta = await runPretrainTrainStage({ samples, world, outDir: trainedDir, config, onStep: (s) => losses.push(s.loss) });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const items = Array.from(truth.items.values());
  process.stdout.write(`${JSON.stringify({
    tag, dataSeconds: (t1 - t0) / 1000, samples: meta.validSamples, steps: losses.length, trainSeconds: (Date.now() - t1) / 1000,
    lossFirst5: mean(losses.slice(0, 5)), lossLast5: mean(losses.slice(-5)),
    chance: { hue: +chanceAgreement(items.map((i) => i.hueRegion)).toFixed(3), pat: +chanceAgreement(items.map((i) => i.pattern)).toFixed(3) },
    init: measure(path.join(initDir, EMBEDDINGS_FILE)), trained: measure(path.join(trainedDir, EMBEDDINGS_FILE)),
  })}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});

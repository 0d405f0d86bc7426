/**
 * COURIER trainer benchmark: samples/s and peak RSS per backbone and tfjs backend, with and
 * without once-per-batch image encoding (dedupeImages).
 *
 *   npx tsx tools/bench/courier-train.ts [--backends native,wasm,cpu] [--backbones cnn,mlp-pixels,mlp-features,layers-model]
 *       [--steps 8] [--batch 32] [--image-size 32] [--json FILE]
 *
 * The parent generates a tiny world (@courier/world) and its pre-training samples
 * (@courier/data-builder) once, then runs each configuration in a fresh child process (a process
 * can initialise only one tfjs backend; peak RSS is per process). Images are decoded from PNG
 * through @courier/io's ImageCache, as in a real run. The rate excludes the first step (warm-up).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseCliArgs } from '@courier/runtime';
import { generateWorld } from '@courier/world';
import { buildSamples } from '@courier/data-builder';
import { defaultPretrainConfig, trainCourier, PretrainConfig } from '@courier/courier';
import { featureItems, imageItemsFromCatalogue, parquetSamples, saveLayersModelToDir, ItemInputs } from '@courier/nn';

interface RunSpec {
  backend: string;
  backbone: string;
  dedupe: boolean;
}

interface RunResult extends RunSpec {
  ok: boolean;
  error?: string;
  samplesPerSecond?: number;
  stepsPerSecond?: number;
  peakRssMb?: number;
  imagesEncodedPerStep?: number;
  imageSlotsPerStep?: number;
  tfjsBackend?: string;
}

const BACKBONE_PARAMS: Record<string, Record<string, unknown>> = {
  cnn: { channels: [16, 32, 64] },
  'mlp-pixels': { hidden: [256] },
  'mlp-features': { hidden: [512] },
  'layers-model': {},
};
const FEATURE_DIM = 512;

async function child(flags: Record<string, string | boolean>): Promise<void> {
  const spec: RunSpec = { backend: String(flags.backend), backbone: String(flags.backbone), dedupe: flags.dedupe === 'true' };
  const dataDir = String(flags.data);
  const steps = Number(flags.steps);
  const info = await initBackend({ backend: spec.backend as 'cpu', log: () => {} });
  const imageSize = Number(flags['image-size']);
  let items: ItemInputs;
  const params = { ...BACKBONE_PARAMS[spec.backbone] };
  if (spec.backbone === 'mlp-features') {
    // Stand-in for precomputed CNN features (the Amazon harness's input): a fixed random matrix.
    const catalogue = await imageItemsFromCatalogue(path.join(dataDir, 'world', 'items.parquet'), { imageSize });
    const ids = catalogue.itemIds();
    const m = new Float32Array(ids.length * FEATURE_DIM).map((_, i) => Math.sin(i * 12.9898) * 0.5);
    items = featureItems(ids, m, FEATURE_DIM);
  } else {
    items = await imageItemsFromCatalogue(path.join(dataDir, 'world', 'items.parquet'), { imageSize });
  }
  if (spec.backbone === 'layers-model') params.modelDir = path.join(dataDir, `layers-model-${imageSize}`);
  const config: PretrainConfig = defaultPretrainConfig({ backbone: spec.backbone, backboneParams: params, imageSize, batchSize: Number(flags.batch), steps, checkpointEvery: 0, dedupeImages: spec.dedupe, lr: 1e-4, seed: 1 });
  const times: number[] = [];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-bench-run-'));
  const result = await trainCourier({ config, samples: parquetSamples(path.join(dataDir, 'samples', 'pretrain-samples.parquet')), items, outDir: out, progress: false, onStep: () => times.push(performance.now()) });
  const seconds = (times[times.length - 1] - times[0]) / 1000;
  const perStep = result.steps > 1 ? seconds / (result.steps - 1) : NaN;
  const res: RunResult = {
    ...spec,
    ok: true,
    tfjsBackend: info.tfjsBackend,
    stepsPerSecond: 1 / perStep,
    samplesPerSecond: config.batchSize / perStep,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    imagesEncodedPerStep: result.imagesEncoded / result.steps,
    imageSlotsPerStep: result.imageSlots / result.steps,
  };
  result.dispose();
  fs.rmSync(out, { recursive: true, force: true });
  process.stdout.write(`RESULT ${JSON.stringify(res)}\n`);
}

async function prepareData(dir: string, imageSize: number): Promise<void> {
  if (fs.existsSync(path.join(dir, 'samples', 'pretrain-samples.parquet'))) return;
  await generateWorld({ preset: 'tiny', outDir: path.join(dir, 'world'), seed: 1, overrides: { imageSize } });
  await buildSamples({ worldDir: path.join(dir, 'world'), outDir: path.join(dir, 'samples'), seed: 1 });
  // A small "pretrained" conv LayersModel, saved the way tfjs saves one (model.json + weights.bin).
  await initBackend({ backend: 'cpu', log: () => {} });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [imageSize, imageSize, 3], filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
      tf.layers.globalAveragePooling2d({}),
    ],
  });
  await saveLayersModelToDir(model, path.join(dir, `layers-model-${imageSize}`));
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  if (flags.child) return child(flags);
  const backends = String(flags.backends ?? 'native,wasm,cpu').split(',');
  const steps = Number(flags.steps ?? 8);
  const batch = Number(flags.batch ?? 32);
  const imageSize = Number(flags['image-size'] ?? 32);
  const dataDir = path.join(os.tmpdir(), `courier-bench-data-${imageSize}`);
  console.error(`preparing tiny world + samples in ${dataDir} ...`);
  await prepareData(dataDir, imageSize);
  const backbones = String(flags.backbones ?? 'cnn,mlp-pixels,mlp-features,layers-model').split(',');
  const specs: RunSpec[] = [];
  for (const backend of backends) {
    for (const backbone of backbones) {
      if (!(backbone in BACKBONE_PARAMS)) throw new Error(`courier-train bench: unknown backbone "${backbone}"; known: ${Object.keys(BACKBONE_PARAMS).join(', ')}`);
      // Once-per-batch encoding matters for image backbones; features are cheap either way.
      specs.push({ backend, backbone, dedupe: true });
      if (backbone === 'cnn' || backbone === 'mlp-pixels') specs.push({ backend, backbone, dedupe: false });
    }
  }
  const results: RunResult[] = [];
  for (const spec of specs) {
    const args = ['tsx', __filename, '--child', '--backend', spec.backend, '--backbone', spec.backbone, '--dedupe', String(spec.dedupe), '--data', dataDir, '--steps', String(steps), '--batch', String(batch), '--image-size', String(imageSize)];
    let res: RunResult;
    try {
      const out = execFileSync('npx', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COURIER_LOG: 'warn' }, maxBuffer: 64 * 1024 * 1024 });
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      res = line ? (JSON.parse(line.slice(7)) as RunResult) : { ...spec, ok: false, error: 'no result line' };
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message);
      const msg = stderr.split('\n').find((l) => /Error|error:/.test(l)) ?? stderr.split('\n')[0];
      res = { ...spec, ok: false, error: msg.trim().slice(0, 160) };
    }
    results.push(res);
    console.error(JSON.stringify(res));
  }
  const fmt = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  console.log(`\nCOURIER trainer: batch ${batch} page views (l_pv 5, l_click 5), ${imageSize}px images, d 256, ${steps} steps (rate over steps 2..${steps}); host ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}\n`);
  console.log('| backend | backbone | dedupe | samples/s | steps/s | images encoded/step | image slots/step | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (!r.ok) console.log(`| ${r.backend} | ${r.backbone} | ${r.dedupe} | failed: ${r.error} | | | | |`);
    else console.log(`| ${r.tfjsBackend ?? r.backend} | ${r.backbone} | ${r.dedupe} | ${fmt(r.samplesPerSecond)} | ${fmt(r.stepsPerSecond, 2)} | ${fmt(r.imagesEncodedPerStep)} | ${fmt(r.imageSlotsPerStep)} | ${fmt(r.peakRssMb, 0)} |`);
  }
  if (typeof flags.json === 'string') fs.writeFileSync(flags.json, JSON.stringify(results, null, 2));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});

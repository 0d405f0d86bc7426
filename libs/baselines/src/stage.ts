/**
 * `trainBaseline`: the baseline pre-training stage. Reads the world's catalogue (and, for
 * Supervised, the pretrain samples), trains the chosen baseline on the same backbone and d as
 * COURIER, exports every catalogue item's embedding to `<outDir>/embeddings.arrow` (ITEM_EMBEDDINGS,
 * L2-normalised, metadata method = the baseline's name) and writes `<outDir>/run.json` through
 * runStage (keys backend, samplesPerSecond, finalLoss, steps, ...). Outputs are written atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRETRAIN_SAMPLES, RAW_ITEMS } from '@courier/data-contracts';
import { writeFileAtomicSync } from '@courier/io';
import { Logger, RunMetadata, initBackend, resolveConfig, runStage } from '@courier/runtime';
import type { RngState } from '@courier/runtime';
import { BACKBONE_CHECKPOINT_FILE, ItemInputs, exportEmbeddings, imageItemsFromCatalogue, parquetSamples, writeCheckpoint } from '@courier/nn';
import { BASELINE_CONFIG_SCHEMA, BaselineConfig, BaselineMethod, checkMethod, usesTitles } from './config';
import { readCatalogue, readPretrainScope, trainingItemIds } from './data';
import { BaselineStepInfo, trainBaselineModel } from './train';

export const BASELINE_EMBEDDINGS_FILE = 'embeddings.arrow';
export const BASELINE_REJECTS_FILE = 'rejects.jsonl';
/** The trained backbone's weights (COURIER-CKPT1, `model/<name>` tensors): what a COURIER run's `initFrom` reads. */
export const BASELINE_BACKBONE_FILE = BACKBONE_CHECKPOINT_FILE;

export interface TrainBaselineOptions {
  method: BaselineMethod;
  /** World folder: items.parquet, images, world.json (pre-training categories and days). */
  worldDir: string;
  /** Folder holding pretrain-samples.parquet (or the file); required for supervised. */
  samplesDir?: string;
  outDir: string;
  seed: number;
  /** Config overrides (highest priority), over `configFile` and the schema defaults. */
  config?: Partial<BaselineConfig>;
  /** JSON or YAML config file. */
  configFile?: string;
  /**
   * Item inputs to use instead of decoding the world's images, e.g. precomputed feature vectors
   * for the mlp-features backbone. Must cover every catalogue item.
   */
  items?: ItemInputs;
  log?: Logger;
  /** Show progress lines (default true). */
  progress?: boolean;
  /** Called after every training step. */
  onStep?: (info: BaselineStepInfo) => void;
}

function samplesFileOf(samples: string): string {
  const file = fs.existsSync(samples) && fs.statSync(samples).isDirectory() ? path.join(samples, PRETRAIN_SAMPLES.fileName) : samples;
  if (!fs.existsSync(file)) throw new Error(`baseline supervised: samples file ${file} not found (give samplesDir a folder with ${PRETRAIN_SAMPLES.fileName})`);
  return file;
}

/** Trains one baseline and exports its embeddings; returns the run metadata written to run.json. */
export async function trainBaseline(options: TrainBaselineOptions): Promise<RunMetadata> {
  const method = checkMethod(options.method);
  const where = `baseline ${method}`;
  const config = resolveConfig<BaselineConfig>(BASELINE_CONFIG_SCHEMA, { file: options.configFile, overrides: options.config as Record<string, unknown> | undefined, where });
  const itemsFile = path.join(options.worldDir, RAW_ITEMS.fileName);
  if (!fs.existsSync(itemsFile)) throw new Error(`${where}: catalogue ${itemsFile} not found (worldDir must be a world folder)`);
  let samplesFile: string | null = null;
  if (method === 'supervised') {
    if (!options.samplesDir) throw new Error(`${where}: samplesDir is required (the pretrain samples from buildSamples)`);
    samplesFile = samplesFileOf(options.samplesDir);
  }
  await initBackend();
  return runStage(
    { stage: `baseline-${method}`, outDir: options.outDir, seed: options.seed, config: { ...config, method, world: options.worldDir, samples: samplesFile } as Record<string, unknown>, log: options.log },
    async (ctx) => {
      const catalogue = await ctx.time('loadCatalogue', () => readCatalogue(itemsFile));
      const items = options.items ?? (await imageItemsFromCatalogue(itemsFile, { imageSize: config.imageSize, cacheEntries: config.imageCacheEntries }));
      const missing = catalogue.find((it) => !items.has(it.itemId));
      if (missing) throw new Error(`${where}: item ${missing.itemId} of ${itemsFile} has no input in the given item source`);
      const scope = config.itemScope === 'pretrain-categories' ? readPretrainScope(options.worldDir) : null;
      const trainIds = method === 'supervised' ? undefined : trainingItemIds(catalogue, scope, config.excludeFutureItems && scope !== null);
      const titles = usesTitles(method) ? new Map(catalogue.map((it) => [it.itemId, it.title])) : undefined;
      const result = await ctx.time('train', () =>
        trainBaselineModel({ method, config, seed: options.seed, items, trainIds, titles, samples: samplesFile ? parquetSamples(samplesFile) : undefined, log: ctx.log, progress: options.progress, onStep: options.onStep }),
      );
      try {
        const rejectsFile = path.join(options.outDir, BASELINE_REJECTS_FILE);
        if (result.rejects.length) writeFileAtomicSync(rejectsFile, `${result.rejects.join('\n')}\n`);
        else fs.rmSync(rejectsFile, { force: true });
        // The backbone alone, so a COURIER run can start from it (`initFrom`, issue #18).
        const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
        for (const { name, variable } of result.backbone.variables) tensors.set(`model/${name}`, { shape: variable.shape, values: (await variable.data()) as Float32Array });
        writeCheckpoint(path.join(options.outDir, BASELINE_BACKBONE_FILE), {
          header: {
            version: 1,
            step: result.steps,
            epoch: 0,
            position: 0,
            complete: true,
            rngState: [0, 0, 0, 0] as RngState,
            lossHistory: result.lossHistory.slice(-20),
            config: { ...config, method } as unknown as Record<string, unknown>,
            model: { featureDim: items.kind === 'features' ? items.itemShape[0] : 0, backboneInput: items.kind, method },
            savedAt: new Date().toISOString(),
          },
          tensors,
        });
        const file = path.join(options.outDir, BASELINE_EMBEDDINGS_FILE);
        const out = await ctx.time('export', () =>
          exportEmbeddings({ backbone: result.backbone, items, file, batchSize: config.exportBatchSize, metadata: { method, backbone: config.backbone }, log: ctx.log, progress: options.progress }),
        );
        const first = result.lossHistory.slice(0, 5);
        return {
          method,
          samplesPerSecond: result.samplesPerSecond,
          finalLoss: result.finalLoss,
          firstLoss: first.length ? first.reduce((a, b) => a + b, 0) / first.length : null,
          steps: result.steps,
          totalSteps: result.totalSteps,
          epochs: result.epochs,
          tau: result.tau,
          trainExamples: result.trainExamples,
          rejectedSamples: result.rejects.length,
          embeddings: file,
          itemsExported: out.ids.length,
        };
      } finally {
        result.dispose();
      }
    },
  );
}

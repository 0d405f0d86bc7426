/**
 * The pretrain stage as the apps run it: resolve inputs, train (resuming a checkpoint in the
 * output folder), export every catalogue item's embedding, write run.json (DESIGN.md stable
 * keys: backend, samplesPerSecond, finalLoss, steps, resumedFrom).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRETRAIN_SAMPLES, RAW_ITEMS } from '@courier/data-contracts';
import { contentHash, shortHash } from '@courier/io';
import { Logger, RunMetadata, initBackend, runStage } from '@courier/runtime';
import { PretrainConfig, validatePretrainConfig } from './config';
import { exportEmbeddings, imageItemsFromCatalogue, parquetSamples } from '@courier/nn';
import { CHECKPOINT_FILE, TrainOptions, loadBackboneFromCheckpoint, trainCourier } from './trainer';

export const EMBEDDINGS_FILE = 'embeddings.arrow';

/** `--samples DIR_OR_FILE`: a pretrain-samples.parquet file, or a folder holding one. */
export function resolveSamplesFile(samples: string): string {
  const file = fs.existsSync(samples) && fs.statSync(samples).isDirectory() ? path.join(samples, PRETRAIN_SAMPLES.fileName) : samples;
  if (!fs.existsSync(file)) throw new Error(`pretrain: samples file ${file} not found (give --samples a ${PRETRAIN_SAMPLES.fileName} or its folder)`);
  return file;
}

/** `--world DIR` (holding items.parquet) or an items.parquet file. */
export function resolveItemsFile(world: string): string {
  const file = fs.existsSync(world) && fs.statSync(world).isDirectory() ? path.join(world, RAW_ITEMS.fileName) : world;
  if (!fs.existsSync(file)) throw new Error(`pretrain: catalogue ${file} not found (give --world a folder with ${RAW_ITEMS.fileName})`);
  return file;
}

export interface PretrainTrainStageOptions {
  samples: string;
  world: string;
  outDir: string;
  config: PretrainConfig;
  /** Also write embeddings.arrow after training (default true). */
  exportEmbeddings?: boolean;
  /** Called after every training step. */
  onStep?: TrainOptions['onStep'];
  /**
   * Recorded in the checkpoint; a checkpoint of another fingerprint is not resumed (see
   * TrainOptions.fingerprint). Default: a hash of the samples and catalogue file contents.
   */
  fingerprint?: string;
  /** Train from scratch even if a checkpoint of this fingerprint exists. */
  fresh?: boolean;
  /** The stage's logger (default one scoped `pretrain`). */
  log?: Logger;
}

/**
 * The config keys that change what training computes (every key but checkpoint cadence, export
 * batch size and image cache size): what a composition's checkpoint resume key hashes, so a
 * killed run resumes only under the same math.
 */
export function pretrainResumeConfig(config: PretrainConfig): Omit<PretrainConfig, 'checkpointEvery' | 'checkpointSeconds' | 'exportBatchSize' | 'imageCacheEntries'> {
  const { checkpointEvery: _e, checkpointSeconds: _s, exportBatchSize: _b, imageCacheEntries: _c, ...math } = config;
  return math;
}

/** `pretrain train`: trains (or resumes) and exports; returns the run metadata written to run.json. */
export async function runPretrainTrainStage(options: PretrainTrainStageOptions): Promise<RunMetadata> {
  const { config, outDir } = options;
  validatePretrainConfig(config);
  await initBackend();
  const samplesFile = resolveSamplesFile(options.samples);
  const itemsFile = resolveItemsFile(options.world);
  return runStage({ stage: 'pretrain', outDir, seed: config.seed, config: { ...config, samples: samplesFile, items: itemsFile } as Record<string, unknown>, log: options.log }, async (ctx) => {
    const items = await ctx.time('loadCatalogue', () => imageItemsFromCatalogue(itemsFile, { imageSize: config.imageSize, cacheEntries: config.imageCacheEntries }));
    const fingerprint = options.fingerprint ?? shortHash({ samples: contentHash(samplesFile), items: contentHash(itemsFile) }, 64);
    const result = await ctx.time('train', () =>
      trainCourier({ config, samples: parquetSamples(samplesFile), items, outDir, log: ctx.log, onStep: options.onStep, fingerprint, fresh: options.fresh }),
    );
    try {
      let exported: number | null = null;
      if (options.exportEmbeddings !== false) {
        const out = await ctx.time('export', () => exportEmbeddings({ backbone: result.backbone, items, file: path.join(outDir, EMBEDDINGS_FILE), batchSize: config.exportBatchSize, log: ctx.log }));
        exported = out.ids.length;
      }
      return {
        samplesPerSecond: result.samplesPerSecond,
        finalLoss: result.finalLoss,
        steps: result.steps,
        totalSteps: result.totalSteps,
        resumedFrom: result.resumedFrom,
        validSamples: result.validSamples,
        rejectedSamples: result.rejectedSamples,
        imagesEncoded: result.imagesEncoded,
        imageSlots: result.imageSlots,
        encodeSaving: result.imageSlots > 0 ? 1 - result.imagesEncoded / result.imageSlots : 0,
        checkpoint: path.join(outDir, CHECKPOINT_FILE),
        embeddings: exported === null ? null : path.join(outDir, EMBEDDINGS_FILE),
        itemsExported: exported,
      };
    } finally {
      result.dispose();
    }
  });
}

export interface PretrainExportStageOptions {
  /** Folder of a train run (holding checkpoint.ckpt), or the checkpoint file. */
  from: string;
  world: string;
  outDir: string;
  batchSize?: number;
}

/** `pretrain export`: embeds every catalogue item with a trained checkpoint. */
export async function runPretrainExportStage(options: PretrainExportStageOptions): Promise<RunMetadata> {
  await initBackend();
  const ckptFile = fs.existsSync(options.from) && fs.statSync(options.from).isDirectory() ? path.join(options.from, CHECKPOINT_FILE) : options.from;
  if (!fs.existsSync(ckptFile)) throw new Error(`pretrain export: no checkpoint at ${ckptFile} (run \`pretrain train\` first)`);
  const itemsFile = resolveItemsFile(options.world);
  const { backbone, checkpoint } = await loadBackboneFromCheckpoint(ckptFile);
  const config = checkpoint.header.config as unknown as PretrainConfig;
  const batchSize = options.batchSize ?? config.exportBatchSize;
  try {
    return await runStage({ stage: 'pretrain-export', outDir: options.outDir, seed: config.seed, config: { ...config, checkpoint: ckptFile, items: itemsFile, exportBatchSize: batchSize } as Record<string, unknown> }, async (ctx) => {
      if (!checkpoint.header.complete) ctx.log.warn(`${ckptFile} is from an unfinished run (step ${checkpoint.header.step}); exporting it anyway`);
      const items = await imageItemsFromCatalogue(itemsFile, { imageSize: config.imageSize, cacheEntries: config.imageCacheEntries });
      const file = path.join(options.outDir, EMBEDDINGS_FILE);
      const out = await ctx.time('export', () => exportEmbeddings({ backbone, items, file, batchSize, log: ctx.log }));
      const losses = checkpoint.header.lossHistory.slice(-20);
      return {
        steps: checkpoint.header.step,
        finalLoss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
        checkpoint: ckptFile,
        embeddings: file,
        itemsExported: out.ids.length,
        itemsPerSecond: out.seconds > 0 ? out.ids.length / out.seconds : null,
      };
    });
  } finally {
    backbone.dispose();
  }
}

/**
 * The served model: an exported COURIER backbone (a pretrain checkpoint, `pretrain/checkpoint.ckpt`)
 * and the cluster centres (`clusters/centres.arrow`). Images go through exactly what the export
 * does (decode with sharp, cover-resize to the trained image size, [0, 1] floats, backbone.embed:
 * L2-normalised rows), and ids through the clusterer's serving rule (Assigner.assignOne).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CLUSTER_CENTRES } from '@courier/data-contracts';
import { Assigner, AssignRule } from '@courier/clustering';
import { CHECKPOINT_FILE, PretrainConfig, loadBackboneFromCheckpoint } from '@courier/courier';
import { toInput } from '@courier/nn';
import { DEFAULT_MAX_PIXELS, decodeImage, readVectorTable } from '@courier/io';

export interface ServeModelFiles {
  /** A pretrain checkpoint (checkpoint.ckpt) or the pretrain folder holding one. */
  checkpoint: string;
  /** Cluster centres (centres.arrow) or the clusters folder holding them. */
  centres: string;
}

export interface Embedded {
  embedding: Float32Array;
  clusterId: number;
  /** Squared distance to the centre; null for the reserved unknown id K. */
  distance: number | null;
}

export interface ServeModel {
  readonly imageSize: number;
  readonly dim: number;
  readonly k: number;
  readonly rule: AssignRule;
  readonly files: { checkpoint: string; centres: string };
  /** Decodes (throws a ContractError naming `names[i]` for a bad image) and embeds a batch. */
  embedImages(images: Buffer[], names: string[]): Promise<Embedded[]>;
  dispose(): void;
}

/** Largest source image accepted (pixels), guarding against decompression bombs. */
export const MAX_SOURCE_PIXELS = DEFAULT_MAX_PIXELS;

function inFolder(p: string, file: string): string {
  const abs = path.resolve(p);
  return fs.existsSync(abs) && fs.statSync(abs).isDirectory() ? path.join(abs, file) : abs;
}

/** `--run DIR` (a pipeline output folder) as the two files. */
export function filesOfRun(runDir: string): ServeModelFiles {
  return { checkpoint: path.join(runDir, 'pretrain', CHECKPOINT_FILE), centres: path.join(runDir, 'clusters', 'centres.arrow') };
}

export async function loadServeModel(files: ServeModelFiles, options: { maxPixels?: number } = {}): Promise<ServeModel> {
  const checkpoint = inFolder(files.checkpoint, CHECKPOINT_FILE);
  const centresFile = inFolder(files.centres, 'centres.arrow');
  if (!fs.existsSync(checkpoint)) throw new Error(`serve: no checkpoint at ${checkpoint} (run the pipeline or \`nx run pretrain:train\` first, or give --checkpoint)`);
  const { backbone, checkpoint: ckpt } = await loadBackboneFromCheckpoint(checkpoint);
  const config = ckpt.header.config as unknown as PretrainConfig;
  const centres = readVectorTable(centresFile, CLUSTER_CENTRES);
  const k = centres.ids.length;
  const rule = (centres.metadata.rule ?? 'l2') as AssignRule;
  if (rule !== 'l2' && rule !== 'ip') throw new Error(`serve: ${centresFile}: unknown assignment rule "${rule}"; expected l2 or ip`);
  if (centres.dim !== backbone.dim) throw new Error(`serve: ${centresFile} has centres of dimension ${centres.dim}, the backbone of ${checkpoint} embeds in ${backbone.dim}: are they from the same run?`);
  if (backbone.input !== 'image') throw new Error(`serve: ${checkpoint} is a ${backbone.input} backbone; serving takes image backbones only`);
  const assigner = Assigner.js(centres.vectors, k, centres.dim, rule);
  const size = config.imageSize;
  const maxPixels = options.maxPixels ?? MAX_SOURCE_PIXELS;
  return {
    imageSize: size,
    dim: backbone.dim,
    k,
    rule,
    files: { checkpoint, centres: centresFile },
    async embedImages(images, names) {
      const per = size * size * 3;
      const pixels = new Float32Array(images.length * per);
      // Decode all first: one bad image fails the request before any tensor work.
      await Promise.all(images.map(async (bytes, i) => pixels.set(await decodeImage(bytes, { width: size, height: size, maxPixels }, names[i]), i * per)));
      const vectors = tf.tidy(() => backbone.embed(toInput(pixels, [images.length, size, size, 3])).dataSync()) as Float32Array;
      return images.map((_, i) => {
        const embedding = vectors.slice(i * backbone.dim, (i + 1) * backbone.dim);
        const { id, distance } = assigner.assignOne(embedding);
        return { embedding, clusterId: id, distance };
      });
    },
    dispose: () => backbone.dispose(),
  };
}

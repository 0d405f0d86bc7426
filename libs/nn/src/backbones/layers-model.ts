/**
 * A pretrained tfjs LayersModel loaded from a local folder (model.json + weight .bin files, the
 * layout `model.save('file://...')` writes), followed by a linear head to d. tfjs's `file://`
 * handler needs @tensorflow/tfjs-node, so the folder is read here with node:fs and handed to
 * tf.io.fromMemory. `saveLayersModelToDir` writes the same layout through a custom save handler.
 *
 * Two registry entries share this code: `layers-model` (input images [n, S, S, 3] in [0, 1]) and
 * `layers-model-features` (input [n, F]). The base is fine-tuned end to end by default, as the
 * paper fine-tunes its ImageNet Swin-tiny; `trainBase: false` freezes it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { writeFileAtomicSync } from '@courier/io';
import { dense } from '../layers';
import { Backbone, BackboneEntry, BackboneInput, NamedVariable, SeededVariableStore, denseLayer, l2Normalize } from './backbone';

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** Loads a LayersModel from `<dir>/model.json` and the weight files its manifest names. */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const file = path.join(dir, 'model.json');
  if (!fs.existsSync(file)) throw new Error(`loadLayersModelFromDir: ${file} not found (expected a tfjs LayersModel folder: model.json + weights .bin)`);
  let json: ModelJson;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson;
  } catch (err) {
    throw new Error(`loadLayersModelFromDir: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`loadLayersModelFromDir: ${file} lacks "modelTopology" or "weightsManifest" (is it a tfjs LayersModel, not a GraphModel?)`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const bin = path.join(dir, p);
      if (!fs.existsSync(bin)) throw new Error(`loadLayersModelFromDir: weight file ${bin} (named in ${file}) not found`);
      const bytes = fs.readFileSync(bin);
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const weightData = tf.io.CompositeArrayBuffer.join(buffers);
  const expected = weightSpecs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (w.dtype === 'float32' || w.dtype === 'int32' || w.dtype === undefined ? 4 : 1), 0);
  if (weightData.byteLength < expected) {
    throw new Error(`loadLayersModelFromDir: weight files of ${file} hold ${weightData.byteLength} bytes, the manifest needs ${expected}`);
  }
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs, weightData, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy ?? null }));
}

/** Saves a LayersModel as `<dir>/model.json` + `<dir>/weights.bin` (each file written atomically). */
export async function saveLayersModelToDir(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      fs.mkdirSync(dir, { recursive: true });
      const data = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      writeFileAtomicSync(path.join(dir, 'weights.bin'), new Uint8Array(data));
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
      };
      writeFileAtomicSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    }),
  );
}

function layersModelEntry(name: string, input: 'image' | 'features'): BackboneEntry {
  return {
    name,
    input,
    doc: `pretrained tfjs LayersModel loaded from a local folder (${input === 'image' ? 'images' : 'feature vectors'} in), linear head`,
    defaults: { modelDir: '', trainBase: true, inputScale: 'unit' },
    async create({ dim, imageSize, featureDim, seed, params }): Promise<Backbone> {
      const modelDir = params.modelDir;
      if (typeof modelDir !== 'string' || modelDir === '') throw new Error(`backbone "${name}": parameter "modelDir" (a folder with model.json) is required`);
      const inputScale = params.inputScale;
      if (inputScale !== 'unit' && inputScale !== 'centered') throw new Error(`backbone "${name}": parameter "inputScale" must be "unit" ([0, 1]) or "centered" ([-1, 1]), got ${JSON.stringify(inputScale)}`);
      const model = await loadLayersModelFromDir(modelDir);
      const inShape = model.inputs[0].shape.slice(1);
      const want = input === 'image' ? [imageSize, imageSize, 3] : [featureDim];
      if (inShape.length !== want.length || inShape.some((s, i) => s !== null && s !== want[i])) {
        throw new Error(`backbone "${name}": the model in ${modelDir} takes input [n, ${inShape.join(', ')}], expected [n, ${want.join(', ')}] (imageSize / featureDim)`);
      }
      const outShape = model.outputs[0].shape.slice(1);
      if (outShape.some((s) => s === null)) throw new Error(`backbone "${name}": the model's output shape [n, ${outShape.join(', ')}] must be fully defined`);
      const outDim = (outShape as number[]).reduce((a, b) => a * b, 1);
      const trainBase = params.trainBase !== false;
      model.trainable = trainBase;
      const store = new SeededVariableStore(new Rng(seed));
      const head = denseLayer(store, 'head', outDim, dim, false);
      const baseVars: NamedVariable[] = trainBase ? model.trainableWeights.map((w) => ({ name: `base/${w.originalName}`, variable: w.read() as tf.Variable })) : [];
      const forward = (x: BackboneInput, training: boolean): tf.Tensor2D =>
        tf.tidy(() => {
          const scaled = inputScale === 'centered' ? tf.sub(tf.mul(x, 2), 1) : x;
          const out = model.apply(scaled, { training }) as tf.Tensor;
          return dense(tf.reshape(out, [x.shape[0], outDim]) as tf.Tensor2D, head);
        });
      return {
        name,
        input,
        dim,
        variables: [...baseVars, ...store.variables],
        forward,
        embed: (x) => tf.tidy(() => l2Normalize(forward(x, false))),
        dispose: () => {
          model.dispose();
          store.dispose();
        },
      };
    },
  };
}

export const LAYERS_MODEL_BACKBONE = layersModelEntry('layers-model', 'image');
export const LAYERS_MODEL_FEATURES_BACKBONE = layersModelEntry('layers-model-features', 'features');

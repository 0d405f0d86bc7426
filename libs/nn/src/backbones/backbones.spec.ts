import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@courier/runtime';
import { BackboneInput } from './backbone';
import { BUILTIN_BACKBONES } from './builtin';
import { backboneNames, createBackbone, registerBackbone } from './registry';
import { CNN_BACKBONE, conv3x3Im2col } from './cnn';
import { loadLayersModelFromDir, saveLayersModelToDir } from './layers-model';

const SIZE = 16;
const FEATURES = 24;
let modelDirImage = '';
let modelDirFeatures = '';

async function saveTinyModels(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-bb-'));
  const img = tf.sequential({
    layers: [
      // No Conv2D here: the WebAssembly backend has no Conv2DBackpropFilter kernel, so a conv
      // base can be fine-tuned only on the other backends (see README).
      tf.layers.averagePooling2d({ inputShape: [SIZE, SIZE, 3], poolSize: 4 }),
      tf.layers.flatten({}),
      tf.layers.dense({ units: 6, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const feat = tf.sequential({ layers: [tf.layers.dense({ inputShape: [FEATURES], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
  modelDirImage = path.join(root, 'image-model');
  modelDirFeatures = path.join(root, 'feature-model');
  await saveLayersModelToDir(img, modelDirImage);
  await saveLayersModelToDir(feat, modelDirFeatures);
  img.dispose();
  feat.dispose();
}

function inputFor(kind: 'image' | 'features', n: number, seed: number): BackboneInput {
  return kind === 'image' ? (tf.randomUniform([n, SIZE, SIZE, 3], 0, 1, 'float32', seed) as tf.Tensor4D) : (tf.randomNormal([n, FEATURES], 0, 1, 'float32', seed) as tf.Tensor2D);
}

describe('backbone registry', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
    await saveTinyModels();
  });

  it('@courier/nn\'s index only re-exports: importing it registers nothing (the registry registers the built-in backbones on first use)', () => {
    const code = fs.readFileSync(path.join(__dirname, '..', 'index.ts'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//'));
    expect(code.filter((l) => !l.startsWith('export '))).toEqual([]);
    expect(fs.readFileSync(path.join(__dirname, 'registry.ts'), 'utf8')).not.toMatch(/^registerBuiltinBackbones\(\);/m);
  });

  it('registers every built-in backbone and rejects unknown names and duplicates', async () => {
    expect(backboneNames()).toEqual(expect.arrayContaining(['cnn', 'mlp-pixels', 'mlp-features', 'layers-model', 'layers-model-features']));
    await expect(createBackbone('resnet', { dim: 8, imageSize: SIZE, featureDim: 0, seed: 1 })).rejects.toThrow(/Unknown backbone "resnet"; known: .*cnn/);
    expect(() => registerBackbone(CNN_BACKBONE)).toThrow(/already registered/);
    await expect(createBackbone('cnn', { dim: 8, imageSize: SIZE, featureDim: 0, seed: 1, params: { chanels: [4] } })).rejects.toThrow(/unknown parameter "chanels"; known: channels/);
  });

  const cases = BUILTIN_BACKBONES.map((e) => [e.name, e] as const);
  describe.each(cases)('%s', (name, entry) => {
    const params = (): Record<string, unknown> =>
      name === 'layers-model' ? { modelDir: modelDirImage } : name === 'layers-model-features' ? { modelDir: modelDirFeatures } : name === 'cnn' ? { channels: [4, 8] } : { hidden: [16] };

    it('gives [n, d] unit rows, is deterministic by seed, trains, and leaks no tensors', async () => {
      const opts = { dim: 8, imageSize: SIZE, featureDim: FEATURES, seed: 7, params: params() };
      const a = await createBackbone(name, opts);
      const b = await createBackbone(name, opts);
      const x = inputFor(entry.input, 5, 3);
      const ea = a.embed(x);
      expect(ea.shape).toEqual([5, 8]);
      const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(ea), 1)).arraySync() as number[]);
      norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
      // Same seed, same weights (the pretrained base is loaded from the same files).
      const eb = b.embed(x);
      expect(Array.from(eb.dataSync())).toEqual(Array.from(ea.dataSync()));
      // One gradient step on a toy objective changes the output: every variable is connected.
      const before = tf.tidy(() => a.forward(x, true).arraySync());
      const optimizer = tf.train.sgd(0.1);
      a.embed(x).dispose(); // burn-in
      const tensors = tf.memory().numTensors;
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(a.forward(x, true))) as tf.Scalar, a.variables.map((v) => v.variable));
        for (const v of a.variables) expect(grads[v.variable.name]).toBeDefined();
        optimizer.applyGradients(grads);
      });
      a.embed(x).dispose();
      expect(tf.memory().numTensors).toBe(tensors);
      const after = tf.tidy(() => a.forward(x, true).arraySync());
      expect(after).not.toEqual(before);
      if (name === 'layers-model') expect(a.variables.some((v) => v.name.startsWith('base/'))).toBe(true);
      tf.dispose([x, ea, eb]);
      optimizer.dispose();
      a.dispose();
      b.dispose();
    });
  });

  it('layers-model rejects a missing folder and a mismatched input shape', async () => {
    await expect(createBackbone('layers-model', { dim: 8, imageSize: SIZE, featureDim: 0, seed: 1, params: { modelDir: '/nonexistent/model' } })).rejects.toThrow(/model\.json not found/);
    await expect(createBackbone('layers-model', { dim: 8, imageSize: 32, featureDim: 0, seed: 1, params: { modelDir: modelDirImage } })).rejects.toThrow(/takes input \[n, 16, 16, 3\], expected \[n, 32, 32, 3\]/);
  });

  it('layers-model: the loaded base computes what the saved model computed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-bb-rt-'));
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [FEATURES], units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }), biasInitializer: 'ones' })] });
    await saveLayersModelToDir(model, dir);
    const loaded = await loadLayersModelFromDir(dir);
    const x = tf.randomNormal([3, FEATURES], 0, 1, 'float32', 5);
    const y0 = (model.predict(x) as tf.Tensor).arraySync();
    const y1 = (loaded.predict(x) as tf.Tensor).arraySync();
    expect(y1).toEqual(y0);
    model.dispose();
    loaded.dispose();
    x.dispose();
  });

  it('cnn: the im2col convolution equals tf.conv2d', () => {
    // Exercised indirectly on backends without Conv2DBackpropFilter; checked directly here.
    const x = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ref = tf.conv2d(x, w, 1, 'same');
    const got = conv3x3Im2col(x, w);
    expect(tf.max(tf.abs(tf.sub(ref, got))).arraySync()).toBeLessThan(1e-5);
    tf.dispose([x, w, ref, got]);
  });
});

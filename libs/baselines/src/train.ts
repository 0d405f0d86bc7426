/**
 * Training loop of the baselines. One loop, four objectives:
 *
 * - simclr:     two augmented views per image -> backbone -> projection MLP -> NT-Xent (tau 0.2).
 * - simsiam:    two views -> backbone -> projector (BN) -> predictor (BN, bottleneck);
 *               symmetric negative cosine with stop-gradient on the projector outputs.
 * - clip:       image -> backbone; title -> token-embedding bag -> MLP; symmetric InfoNCE (tau 0.1).
 * - maskclip:   CLIP's loss plus masked self-distillation: an EMA teacher encodes the full image
 *               and title; the student sees patch-masked images and token-dropped titles, and a
 *               predictor maps its output onto the teacher's (1 - cos each, weight distillWeight).
 * - supervised: page views: every PV item's L2-normalised embedding e and the mean h of the
 *               normalised history embeddings feed an MLP over [e, h, e * h] that predicts the
 *               click label (masked logistic loss); trained end to end with the backbone.
 *
 * Heads and the text encoder exist only for the loss; the exported embedding is the backbone's
 * (L2-normalised linear head output, as for COURIER). The backbone starts from the same weights
 * as a COURIER run with the same seed. Every random draw (weights, data order, augmentations)
 * comes from Rng(seed) forks, so a seed fixes the result.
 */
import * as tf from '@tensorflow/tfjs';
import type { PretrainSample } from '@courier/data-contracts';
import { Logger, Progress, Rng, createLogger } from '@courier/runtime';
import { Adam, Backbone, BackboneInput, EncodedBatchPlan, ItemInputs, NamedVariable, SampleSource, SeededVariableStore, arraySamples, createBackbone, dense, denseLayer, epochOrder, gatherRows, getBackboneEntry, l2Normalize, planBatch, toInput, validSamples } from '@courier/nn';
import { ImageAugmentOptions, applyView, augmentFeatures, backgroundMasks, randomBackground, sampleViewParams } from './augment';
import { BaselineConfig, BaselineMethod, checkMethod, methodDefaults, usesTitles } from './config';
import { makeMlpHead } from './heads';
import { clipLoss, cosineDistillLoss, maskedSigmoidCrossEntropy, ntXentLoss, simsiamLoss } from './losses';
import { maskFeatures, maskImages, maskTitle } from './masking';
import { TitleEncoder, TitleVocabulary, makeTitleEncoder } from './text';

/** Steps averaged into `finalLoss` (as the COURIER trainer). */
const FINAL_LOSS_WINDOW = 20;
/** Supervised: valid page views held in memory at most (beyond, every epoch streams the file). */
const IN_MEMORY_SAMPLES = 2_000_000;

export interface BaselineStepInfo {
  step: number;
  epoch: number;
  loss: number;
}

export interface BaselineModelOptions {
  method: BaselineMethod;
  config: BaselineConfig;
  seed: number;
  /** Inputs of every item (images or feature vectors). */
  items: ItemInputs;
  /** simclr/simsiam/clip: the items to train on (default: every item of `items`). */
  trainIds?: readonly number[];
  /** clip, maskclip: the title of every training item. */
  titles?: ReadonlyMap<number, string>;
  /** supervised: the page views (pretrain samples). */
  samples?: SampleSource;
  log?: Logger;
  /** Show progress lines (default true). */
  progress?: boolean;
  onStep?: (info: BaselineStepInfo) => void;
}

export interface BaselineModelResult {
  method: BaselineMethod;
  backbone: Backbone;
  steps: number;
  totalSteps: number;
  epochs: number;
  /** The temperature used (0 for simsiam and supervised). */
  tau: number;
  /** Mean loss of the last (up to) 20 steps; null when no step ran. */
  finalLoss: number | null;
  lossHistory: number[];
  /** Training examples per second: images (simclr, simsiam, clip) or page views (supervised). */
  samplesPerSecond: number;
  /** Training images (simclr, simsiam, clip) or valid page views (supervised). */
  trainExamples: number;
  /** Invalid page views skipped (supervised), as JSON lines with row and reason. */
  rejects: string[];
  /** Disposes the backbone and the loss-only heads. */
  dispose(): void;
}

/** One batch, ready for a step: the inputs to encode and what the objective needs. */
interface Batch {
  epoch: number;
  /** Examples in the batch (images or page views). */
  size: number;
  encodeIds: number[];
  inputs: Float32Array;
  plan?: EncodedBatchPlan;
  titles?: string[];
}

interface Objective {
  variables: NamedVariable[];
  /** Loss of one batch from the tensors `prepare` made. Runs inside tf.variableGrads. */
  loss(batch: Batch, inputs: tf.Tensor[]): tf.Scalar;
  /** Inputs of the loss, made outside the gradient (augmented views, title bags); default [x]. */
  prepare?(batch: Batch, x: tf.Tensor): tf.Tensor[];
  /** Runs after each optimiser step (maskclip: the EMA update of the teachers). */
  afterStep?(): void;
  dispose(): void;
}

/** One-hot matrices beyond this many entries fall back to the scatter-gradient gather. */
const ONE_HOT_GATHER_LIMIT = 16_000_000;

/**
 * Rows of x [n, d] picked by `rows`, as a one-hot [m, n] matMul: its gradient is another matMul,
 * far faster on the CPU backends than the scatter/segment-sum gradient of a gather.
 */
function pickRows(x: tf.Tensor2D, rows: number[]): tf.Tensor2D {
  const n = x.shape[0];
  if (rows.length * n > ONE_HOT_GATHER_LIMIT) return gatherRows(x, rows);
  const oneHot = new Float32Array(rows.length * n);
  rows.forEach((r, i) => (oneHot[i * n + r] = 1));
  return tf.matMul(tf.tensor2d(oneHot, [rows.length, n]), x);
}

function splitRows(x: tf.Tensor2D, n: number): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.slice(x, [0, 0], [n, -1]), tf.slice(x, [n, 0], [-1, -1])];
}

function augmentOptions(c: BaselineConfig, cropOnly = false): ImageAugmentOptions {
  return {
    cropScaleMin: c.cropScaleMin,
    cropScaleMax: c.cropScaleMax,
    cropRatioMin: c.cropRatioMin,
    cropRatioMax: c.cropRatioMax,
    flipProb: c.flipProb,
    jitterProb: cropOnly ? 0 : c.jitterProb,
    jitterStrength: c.jitterStrength,
    grayscaleProb: cropOnly ? 0 : c.grayscaleProb,
  };
}

/** Two augmented views of the batch, stacked [2n, ...]. */
function twoViews(x: tf.Tensor, kind: 'image' | 'features', rng: Rng, c: BaselineConfig): tf.Tensor {
  const n = x.shape[0];
  return tf.tidy(() => {
    if (kind === 'image') {
      const opts = augmentOptions(c);
      if (c.backgroundAugmentProb > 0) {
        // Background randomisation (issue #19, C3): one mask per image, a colour per view, before the crop.
        const [, h, w] = x.shape as number[];
        const masks = backgroundMasks(x.dataSync() as Float32Array, n, h, w, { tolerance: c.backgroundTolerance, band: c.backgroundBand });
        const view = () => {
          const p = sampleViewParams(n, rng, opts);
          return applyView(randomBackground(x as tf.Tensor4D, masks, rng, c.backgroundAugmentProb), p);
        };
        const v1 = view();
        return tf.concat([v1, view()], 0);
      }
      const p1 = sampleViewParams(n, rng, opts);
      const p2 = sampleViewParams(n, rng, opts);
      return tf.concat([applyView(x as tf.Tensor4D, p1), applyView(x as tf.Tensor4D, p2)], 0);
    }
    const opts = { dropout: c.featureDropout, noise: c.featureNoise };
    return tf.concat([augmentFeatures(x as tf.Tensor2D, rng, opts), augmentFeatures(x as tf.Tensor2D, rng, opts)], 0);
  });
}

/** teacher <- m teacher + (1 - m) student, variable by variable (same constructor, same order). */
export function emaUpdate(teacher: readonly NamedVariable[], student: readonly NamedVariable[], momentum: number): void {
  if (teacher.length !== student.length) throw new Error(`EMA update: teacher has ${teacher.length} variables, student ${student.length}`);
  tf.tidy(() => teacher.forEach((t, i) => t.variable.assign(tf.add(tf.mul(t.variable, momentum), tf.mul(student[i].variable, 1 - momentum)))));
}

/**
 * What CLIP and MaskCLIP share: the title encoder (`newTextEncoder()` again gives an identical
 * copy, same seed and initial weights: MaskCLIP's teacher), title bags, and the image of a pair
 * (the plain image, or a random resized crop + flip with clipAugment).
 */
function imageTitlePairs(method: BaselineMethod, c: BaselineConfig, kind: 'image' | 'features', d: number, rng: Rng, augRng: Rng, titles: ReadonlyMap<number, string> | undefined) {
  if (!titles) throw new Error(`baseline ${method}: titles are required`);
  const vocabulary = TitleVocabulary.fromTitles(titles.values(), c.maxVocab);
  const textOptions = { embedDim: c.textEmbedDim, hidden: c.textHidden, dim: d, seed: rng.fork('text').seed() };
  const newTextEncoder = (): TitleEncoder => makeTitleEncoder(vocabulary, textOptions);
  const cropOpts = augmentOptions(c, true);
  return {
    text: newTextEncoder(),
    newTextEncoder,
    bag: (t: readonly string[]) => tf.tensor2d(vocabulary.bagMatrix(t), [t.length, vocabulary.size]),
    image: (batch: Batch, x: tf.Tensor) => (c.clipAugment && kind === 'image' ? applyView(x as tf.Tensor4D, sampleViewParams(batch.size, augRng, cropOpts)) : tf.clone(x)),
  };
}

function makeObjective(method: BaselineMethod, backbone: Backbone, kind: 'image' | 'features', c: BaselineConfig, tau: number, rng: Rng, titles: ReadonlyMap<number, string> | undefined, teacher?: Backbone): Objective {
  const augRng = rng.fork('augment');
  const d = backbone.dim;
  switch (method) {
    case 'simclr': {
      const head = makeMlpHead({ name: 'simclr/projection', sizes: [d, c.projectionHidden, c.projectionDim], hiddenBatchNorm: false, outputBatchNorm: false, seed: rng.fork('projection').seed() });
      return {
        variables: [...backbone.variables, ...head.variables],
        prepare: (_b, x) => [twoViews(x, kind, augRng, c)],
        loss(batch, [views]) {
          const z = head.apply(backbone.forward(views as BackboneInput, true));
          const [z1, z2] = splitRows(z, batch.size);
          return ntXentLoss(z1, z2, tau);
        },
        dispose: () => head.dispose(),
      };
    }
    case 'simsiam': {
      const projector = makeMlpHead({ name: 'simsiam/projector', sizes: [d, c.projectionHidden, c.projectionDim], hiddenBatchNorm: true, outputBatchNorm: true, seed: rng.fork('projector').seed() });
      const predictor = makeMlpHead({ name: 'simsiam/predictor', sizes: [c.projectionDim, c.predictorHidden, c.projectionDim], hiddenBatchNorm: true, outputBatchNorm: false, seed: rng.fork('predictor').seed() });
      return {
        variables: [...backbone.variables, ...projector.variables, ...predictor.variables],
        prepare: (_b, x) => [twoViews(x, kind, augRng, c)],
        loss(batch, [views]) {
          // One backbone pass over both views; the BN heads see each view's batch separately.
          const [h1, h2] = splitRows(backbone.forward(views as BackboneInput, true), batch.size);
          const z1 = projector.apply(h1);
          const z2 = projector.apply(h2);
          return simsiamLoss(predictor.apply(z1), predictor.apply(z2), z1, z2);
        },
        dispose: () => {
          projector.dispose();
          predictor.dispose();
        },
      };
    }
    case 'clip': {
      const { text, bag, image } = imageTitlePairs(method, c, kind, d, rng, augRng, titles);
      return {
        variables: [...backbone.variables, ...text.variables],
        prepare: (batch, x) => [image(batch, x), bag(batch.titles!)],
        loss(_batch, [images, bag]) {
          return clipLoss(backbone.forward(images as BackboneInput, true), text.apply(bag as tf.Tensor2D), tau);
        },
        dispose: () => text.dispose(),
      };
    }
    case 'maskclip': {
      if (!teacher) throw new Error('baseline maskclip: a teacher backbone is required');
      const { text, newTextEncoder, bag, image } = imageTitlePairs(method, c, kind, d, rng, augRng, titles);
      // Teachers start as copies of the students (same seeds, same initial weights) and then
      // follow them by EMA; they get no gradient.
      const textTeacher = newTextEncoder();
      const imagePredictor = makeMlpHead({ name: 'maskclip/image-predictor', sizes: [d, c.distillHidden, d], hiddenBatchNorm: false, outputBatchNorm: false, seed: rng.fork('image-predictor').seed() });
      const textPredictor = makeMlpHead({ name: 'maskclip/text-predictor', sizes: [d, c.distillHidden, d], hiddenBatchNorm: false, outputBatchNorm: false, seed: rng.fork('text-predictor').seed() });
      const maskRng = rng.fork('mask');
      return {
        variables: [...backbone.variables, ...text.variables, ...imagePredictor.variables, ...textPredictor.variables],
        prepare(batch, x) {
          const images = image(batch, x);
          const masked = kind === 'image' ? maskImages(images as tf.Tensor4D, c.maskPatch, c.maskRatio, maskRng) : maskFeatures(images as tf.Tensor2D, c.maskRatio, maskRng);
          const titlesFull = batch.titles!;
          const titlesMasked = titlesFull.map((t) => maskTitle(t, c.textMaskRatio, maskRng));
          const bagFull = bag(titlesFull);
          // Full and masked inputs in one pass each (concatenated along the batch).
          return [tf.concat([images, masked], 0), tf.concat([bagFull, bag(titlesMasked)], 0), teacher.forward(images as BackboneInput, true), textTeacher.apply(bagFull)];
        },
        loss(batch, [images, bags, imageTarget, textTarget]) {
          const [imageFull, imageMasked] = splitRows(backbone.forward(images as BackboneInput, true), batch.size);
          const [textFull, textMasked] = splitRows(text.apply(bags as tf.Tensor2D), batch.size);
          const distill = tf.add(cosineDistillLoss(imagePredictor.apply(imageMasked), imageTarget as tf.Tensor2D), cosineDistillLoss(textPredictor.apply(textMasked), textTarget as tf.Tensor2D));
          return tf.add(clipLoss(imageFull, textFull, tau), tf.mul(distill, c.distillWeight)) as tf.Scalar;
        },
        afterStep() {
          emaUpdate(teacher.variables, backbone.variables, c.teacherMomentum);
          emaUpdate(textTeacher.variables, text.variables, c.teacherMomentum);
        },
        dispose: () => {
          text.dispose();
          textTeacher.dispose();
          imagePredictor.dispose();
          textPredictor.dispose();
          teacher.dispose();
        },
      };
    }
    case 'supervised': {
      // Click head over [e, h, e * h]; its first layer is applied as three matMuls with row blocks
      // of one kernel (same math as on the concatenation; the gradient of an axis-1 concat is a
      // strided split, very slow on the CPU backends).
      const store = new SeededVariableStore(rng.fork('click-head'));
      const hidden = denseLayer(store, 'supervised/hidden', 3 * d, c.supervisedHidden, true);
      const out = denseLayer(store, 'supervised/out', c.supervisedHidden, 1, false);
      const head = { variables: store.variables, dispose: () => store.dispose() };
      return {
        variables: [...backbone.variables, ...head.variables],
        loss(batch, [x]) {
          const plan = batch.plan!;
          const B = batch.size;
          const lPv = plan.labels[0].length;
          const lClick = plan.clickMask[0].length;
          const e = l2Normalize(backbone.forward(x as BackboneInput, true));
          const ePv = pickRows(e, plan.pvRows);
          const clickMask = tf.tensor3d(plan.clickMask.flat(), [B, lClick, 1]);
          const eClick = tf.reshape(pickRows(e, plan.clickRows), [B, lClick, d]);
          const hist = tf.div(tf.sum(tf.mul(eClick, clickMask), 1), tf.maximum(tf.sum(clickMask, 1), 1)) as tf.Tensor2D; // [B, d]
          // Repeat each sample's history mean for its lPv slots (a gather: tile's gradient is slow on CPU).
          const histPerPv = pickRows(hist, Array.from({ length: B * lPv }, (_, i) => Math.floor(i / lPv)));
          const block = (i: number) => tf.slice(hidden.w, [i * d, 0], [d, -1]) as tf.Tensor2D;
          const pre = tf.add(tf.add(tf.add(tf.matMul(ePv, block(0)), tf.matMul(histPerPv, block(1))), tf.matMul(tf.mul(ePv, histPerPv), block(2))), hidden.b);
          const logits = dense(tf.relu(pre) as tf.Tensor2D, out);
          return maskedSigmoidCrossEntropy(logits, tf.tensor1d(plan.labels.flat()), tf.tensor1d(plan.pvMask.flat()));
        },
        dispose: () => head.dispose(),
      };
    }
  }
}

async function firstShape(source: SampleSource): Promise<{ lPv: number; lClick: number }> {
  for await (const s of source.open()) return { lPv: s.pvItemIds.length, lClick: s.clickItemIds.length };
  throw new Error(`baseline supervised: ${source.name} holds no samples`);
}

/** Trains one baseline; returns the trained backbone (caller disposes the result). */
export async function trainBaselineModel(options: BaselineModelOptions): Promise<BaselineModelResult> {
  const method = checkMethod(options.method);
  const { config: c, items, seed } = options;
  const log = options.log ?? createLogger(`baseline-${method}`);
  const defaults = methodDefaults(method);
  const epochs = c.epochs ?? defaults.epochs;
  const tau = c.tau ?? defaults.tau;
  const entry = getBackboneEntry(c.backbone);
  if (entry.input !== items.kind) throw new Error(`baseline ${method}: backbone "${c.backbone}" takes ${entry.input} inputs, the item source gives ${items.kind}`);
  if (items.kind === 'image' && (items.itemShape[0] !== c.imageSize || items.itemShape[1] !== c.imageSize)) {
    throw new Error(`baseline ${method}: item images are ${items.itemShape.join('x')}, config imageSize is ${c.imageSize}`);
  }
  const itemShape = items.itemShape as number[];

  // Training examples and the batch stream.
  const rejects: string[] = [];
  let trainExamples: number;
  let batchesPerEpoch: number;
  let batches: () => AsyncGenerator<Omit<Batch, 'inputs'>>;
  if (method === 'supervised') {
    const source = options.samples;
    if (!source) throw new Error('baseline supervised: pretrain samples are required (samplesDir)');
    const shape = await firstShape(source);
    const has = (id: number) => items.has(id);
    // Valid samples are kept in memory up to a bound (then each epoch re-reads the source).
    let kept: PretrainSample[] | null = [];
    let valid = 0;
    for await (const s of validSamples(source, shape, has, (row, s, reason) => rejects.push(JSON.stringify({ row, sessionId: s.sessionId, reason })))) {
      valid++;
      if (kept && kept.length < IN_MEMORY_SAMPLES) kept.push(s);
      else kept = null;
    }
    const epochSource = kept ? arraySamples(kept, source.name) : source;
    if (rejects.length) log.warn(`${rejects.length} of ${valid + rejects.length} samples rejected; first: ${rejects[0]}`);
    if (valid === 0) throw new Error(`baseline supervised: no valid samples in ${source.name}`);
    trainExamples = valid;
    batchesPerEpoch = Math.ceil(valid / c.batchSize);
    batches = async function* () {
      for (let epoch = 0; ; epoch++) {
        let group: PretrainSample[] = [];
        const flush = () => {
          const plan = planBatch(group, true);
          const out = { epoch, size: group.length, encodeIds: plan.encodeIds, plan };
          group = [];
          return out;
        };
        for await (const s of epochOrder(kept ? epochSource.open() : validSamples(source, shape, has), seed, epoch, c.shuffleBuffer)) {
          group.push(s);
          if (group.length === c.batchSize) yield flush();
        }
        if (group.length > 0) yield flush();
      }
    };
  } else {
    const ids = (options.trainIds ?? items.itemIds()).slice();
    for (const id of ids) if (!items.has(id)) throw new Error(`baseline ${method}: training item ${id} has no input`);
    if (usesTitles(method)) {
      if (!options.titles) throw new Error(`baseline ${method}: titles are required`);
      for (const id of ids) if (!options.titles.has(id)) throw new Error(`baseline ${method}: training item ${id} has no title`);
    }
    if (ids.length < 2) throw new Error(`baseline ${method}: needs at least 2 training items, got ${ids.length}`);
    trainExamples = ids.length;
    const size = Math.min(c.batchSize, ids.length);
    // Incomplete trailing batches are dropped (drop_last): fewer in-batch negatives would make the
    // loss of that step incomparable. The reshuffle of the next epoch trains on the left-out items.
    const chunks = Math.floor(ids.length / size);
    batchesPerEpoch = chunks;
    batches = async function* () {
      for (let epoch = 0; ; epoch++) {
        const order = ids.slice();
        new Rng(seed).fork(`epoch-${epoch}`).shuffle(order);
        for (let b = 0; b < chunks; b++) {
          const chunk = order.slice(b * size, (b + 1) * size);
          yield { epoch, size: chunk.length, encodeIds: chunk, titles: usesTitles(method) ? chunk.map((id) => options.titles!.get(id)!) : undefined };
        }
      }
    };
  }
  const totalSteps = c.steps > 0 ? c.steps : epochs * batchesPerEpoch;

  // Model: the backbone starts where a COURIER run with this seed starts.
  const rng = new Rng(seed);
  const backboneOptions = {
    dim: c.dim,
    imageSize: c.imageSize,
    featureDim: items.kind === 'features' ? itemShape[0] : 0,
    seed: new Rng(seed).fork('backbone').seed(),
    params: c.backboneParams,
  };
  const backbone = await createBackbone(c.backbone, backboneOptions);
  // maskclip's EMA teacher starts as an exact copy of the student.
  const teacher = method === 'maskclip' ? await createBackbone(c.backbone, backboneOptions) : undefined;
  const objective = makeObjective(method, backbone, items.kind, c, tau, rng.fork(method), options.titles, teacher);
  const adam = new Adam(objective.variables, { lr: c.lr, weightDecay: c.weightDecay, weightDecayMode: c.weightDecayMode });
  const varList = objective.variables.map((v) => v.variable);
  log.info(`${method}: ${trainExamples} training ${method === 'supervised' ? 'page views' : 'images'}, ${totalSteps} steps (${batchesPerEpoch}/epoch), batch ${c.batchSize}, tau ${tau || '-'}, backbone ${c.backbone} d=${c.dim}`);

  const stream = batches()[Symbol.asyncIterator]();
  const load = async (): Promise<Batch> => {
    const next = await stream.next();
    const b = next.value as Omit<Batch, 'inputs'>;
    return { ...b, inputs: await items.load(b.encodeIds) };
  };
  const progress = options.progress === false ? null : new Progress(`baseline-${method}`, totalSteps, { log, unit: 'steps' });
  const lossHistory: number[] = [];
  let examples = 0;
  const t0 = performance.now();
  let pending: Promise<Batch> | null = totalSteps > 0 ? load() : null;
  try {
    for (let step = 1; step <= totalSteps; step++) {
      const batch = await pending!;
      pending = step < totalSteps ? load() : null; // decode the next batch while this one trains
      const loss = tf.tidy(() => {
        const x = toInput(batch.inputs, [batch.encodeIds.length, ...itemShape]);
        const extra = objective.prepare ? objective.prepare(batch, x) : [x];
        const { value, grads } = tf.variableGrads(() => objective.loss(batch, extra), varList);
        adam.apply(grads);
        objective.afterStep?.();
        return value.dataSync()[0];
      });
      if (!Number.isFinite(loss)) throw new Error(`baseline ${method}: loss became ${loss} at step ${step} (lr ${c.lr}, tau ${tau})`);
      lossHistory.push(loss);
      examples += batch.size;
      options.onStep?.({ step, epoch: batch.epoch, loss });
      const elapsed = (performance.now() - t0) / 1000;
      progress?.tick(1, { loss, 'samples/s': elapsed > 0 ? examples / elapsed : 0, epoch: batch.epoch });
    }
  } catch (err) {
    objective.dispose();
    backbone.dispose();
    throw err;
  } finally {
    adam.dispose();
    await pending?.catch(() => undefined);
    await stream.return?.(undefined);
  }
  progress?.done();
  const seconds = (performance.now() - t0) / 1000;
  const window = lossHistory.slice(-FINAL_LOSS_WINDOW);
  return {
    method,
    backbone,
    steps: lossHistory.length,
    totalSteps,
    epochs,
    tau,
    finalLoss: window.length ? window.reduce((a, b) => a + b, 0) / window.length : null,
    lossHistory,
    samplesPerSecond: seconds > 0 ? examples / seconds : 0,
    trainExamples,
    rejects,
    dispose: () => {
      objective.dispose();
      backbone.dispose();
    },
  };
}

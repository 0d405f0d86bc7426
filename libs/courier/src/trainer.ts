/**
 * The COURIER training loop (paper section 3, appendix E).
 *
 * Per step: take `batchSize` page views in the seeded epoch order; decode the images of their PV
 * and history items; encode each distinct image once (`dedupeImages`) and gather the embeddings
 * back into the [B, lPv, d] and [B, lClick, d] slots; compute `courierLoss`; one Adam step. The
 * next batch's images are decoded while the current step computes.
 *
 * Checkpoints (`<outDir>/checkpoint.ckpt`, atomic) hold the weights, Adam's state, the Rng state,
 * the epoch and the position in it, the step and recent losses. Because the data order is a pure
 * function of (seed, epoch), a killed run that restarts from its checkpoint ends with the same
 * weights as an uninterrupted one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PretrainSample } from '@courier/data-contracts';
import { contentHash, shortHash, writeFileAtomicSync } from '@courier/io';
import { Logger, Progress, Rng, createLogger } from '@courier/runtime';
import { Adam, BACKBONE_CHECKPOINT_FILE, Backbone, Checkpoint, EncodedBatchPlan, ItemInputs, NamedVariable, SampleSource, SeededVariableStore, createBackbone, dense, denseLayer, epochOrder, gatherRows, getBackboneEntry, itemInputSize, l2Normalize, planBatch, readCheckpoint, toInput, validSamples, writeCheckpoint } from '@courier/nn';
import { PRETRAIN_CONFIG_SCHEMA, PretrainConfig, RESUMABLE_CONFIG_KEYS, lossOptionsOf, validatePretrainConfig } from './config';
import { AttentionProjectionParams, CtrHeadParams, courierLoss } from './loss';

export const CHECKPOINT_FILE = 'checkpoint.ckpt';
export const REJECTS_FILE = 'rejects.jsonl';
/** Steps averaged into `finalLoss`. */
const FINAL_LOSS_WINDOW = 20;
const LOSS_HISTORY = 200;

export interface TrainOptions {
  config: PretrainConfig;
  samples: SampleSource;
  items: ItemInputs;
  /** Checkpoint and rejects go here; an existing checkpoint is resumed. */
  outDir: string;
  log?: Logger;
  /** Show progress lines (default true). */
  progress?: boolean;
  /**
   * What this training run is a function of (config, seed, input contents, code), recorded in the
   * checkpoint. A checkpoint recorded under another fingerprint is never resumed: training starts
   * over and the log says why. Omitted: only the config and the data checks guard resumption.
   */
  fingerprint?: string;
  /** Ignore (and replace) an existing checkpoint: train from scratch (`--force pretrain`). */
  fresh?: boolean;
  /** Test hook: stop (as if killed) after this many steps of this process, right after a checkpoint. */
  stopAfterSteps?: number;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
}

export interface StepInfo {
  step: number;
  epoch: number;
  loss: number;
  lPv: number;
  lUcs: number;
  numPvPositives: number;
  numUcsTargets: number;
  /** Auxiliary CTR head BCE (0 when ctrHeadWeight is 0). */
  lCtr: number;
  /** In-batch negatives dropped by maskSameItemNegatives this step. */
  numMaskedNegatives: number;
}

export interface TrainResult {
  backbone: Backbone;
  /** Steps done in total (including those before a resume). */
  steps: number;
  totalSteps: number;
  /** Mean total loss of the last (up to) 20 steps; null when no step ran. */
  finalLoss: number | null;
  /** Samples per second of this process's training loop (0 when it trained nothing). */
  samplesPerSecond: number;
  /** Step of the checkpoint this run resumed from, or null. */
  resumedFrom: number | null;
  lossHistory: number[];
  /** Images run through the backbone vs. real image slots of the batches (this process). */
  imagesEncoded: number;
  imageSlots: number;
  validSamples: number;
  rejectedSamples: number;
  /** True when stopAfterSteps ended the run before totalSteps. */
  stoppedEarly: boolean;
  /** Projection head (if configured); disposed with the result by the caller. */
  dispose(): void;
}

/** Projection head: an MLP d -> d (ReLU) -> d used only for the loss (paper appendix D). */
function makeProjection(dim: number, seed: number): { variables: NamedVariable[]; apply(x: tf.Tensor2D): tf.Tensor2D; dispose(): void } {
  const store = new SeededVariableStore(new Rng(seed));
  const l1 = denseLayer(store, 'projection/hidden', dim, dim, true);
  const l2 = denseLayer(store, 'projection/out', dim, dim, false);
  return { variables: store.variables, apply: (x) => dense(dense(x, l1, 'relu'), l2), dispose: () => store.dispose() };
}

/**
 * Learned Q/K/V/O projections of the attention (authors' code: nn.MultiheadAttention(d, heads)):
 * Glorot-uniform [d, d] kernels, zero biases, named `attention/{query,key,value,output}/...`.
 */
function makeAttentionProjections(dim: number, seed: number): { variables: NamedVariable[]; params: AttentionProjectionParams; dispose(): void } {
  const store = new SeededVariableStore(new Rng(seed));
  const [q, k, v, o] = ['query', 'key', 'value', 'output'].map((n) => denseLayer(store, `attention/${n}`, dim, dim, false));
  const params = { wq: q.w, bq: q.b, wk: k.w, bk: k.b, wv: v.w, bv: v.b, wo: o.w, bo: o.b } as unknown as AttentionProjectionParams;
  return { variables: store.variables, params, dispose: () => store.dispose() };
}

/** Auxiliary CTR head (authors' code, models/ctrnet.py without its BatchNorm): 2d -> hidden (ReLU) -> 1. */
function makeCtrHead(dim: number, hidden: number, seed: number): { variables: NamedVariable[]; params: CtrHeadParams; dispose(): void } {
  const store = new SeededVariableStore(new Rng(seed));
  // He-uniform over the first layer's fan-in 2d, held as its two row blocks (R rows, E_pv rows).
  const limit = Math.sqrt(6 / (2 * dim));
  const w1r = store.uniform('ctr-head/hidden/kernel-r', [dim, hidden], limit);
  const w1e = store.uniform('ctr-head/hidden/kernel-e', [dim, hidden], limit);
  const b1 = store.zeros('ctr-head/hidden/bias', [hidden]);
  const l2 = denseLayer(store, 'ctr-head/out', hidden, 1, false);
  const params = { w1r, w1e, b1, w2: l2.w, b2: l2.b } as unknown as CtrHeadParams;
  return { variables: store.variables, params, dispose: () => store.dispose() };
}

/** The checkpoint file `initFrom` names: the file itself, or in a run folder checkpoint.ckpt (COURIER) or backbone.ckpt (baselines). */
export function resolveInitCheckpoint(initFrom: string): string {
  const p = path.resolve(initFrom);
  if (!fs.existsSync(p)) throw new Error(`pretrain: initFrom ${p} does not exist (expected a checkpoint file, or a run folder holding ${CHECKPOINT_FILE} or ${BACKBONE_CHECKPOINT_FILE})`);
  if (!fs.statSync(p).isDirectory()) return p;
  for (const name of [CHECKPOINT_FILE, BACKBONE_CHECKPOINT_FILE]) if (fs.existsSync(path.join(p, name))) return path.join(p, name);
  throw new Error(`pretrain: initFrom folder ${p} holds neither ${CHECKPOINT_FILE} (COURIER run) nor ${BACKBONE_CHECKPOINT_FILE} (baseline run)`);
}

/**
 * Loads the backbone weights of another run's checkpoint (`initFrom`) into `backbone`: only the
 * backbone's own variables (`model/<name>`); heads, projections and optimiser state are not
 * taken. The checkpoint must describe the same backbone (name, dim, imageSize, backboneParams,
 * featureDim); otherwise the error names the first difference. Returns the file read.
 */
export function initBackboneFrom(backbone: Backbone, config: PretrainConfig, featureDim: number, initFrom: string): string {
  const file = resolveInitCheckpoint(initFrom);
  let ckpt: Checkpoint;
  try {
    ckpt = readCheckpoint(file);
  } catch (err) {
    throw new Error(`pretrain: initFrom ${file} is not a readable checkpoint (${(err as Error).message})`, { cause: err });
  }
  const theirs = ckpt.header.config ?? {};
  for (const key of ['backbone', 'dim', 'imageSize', 'backboneParams'] as const) {
    const a = JSON.stringify(theirs[key] ?? null);
    const b = JSON.stringify(config[key]);
    // imageSize only matters to image backbones.
    if (key === 'imageSize' && getBackboneEntry(config.backbone).input !== 'image') continue;
    if (a !== b) throw new Error(`pretrain: initFrom ${file} was trained with ${key}=${a}, this run has ${key}=${b}; the backbones are incompatible`);
  }
  if (Number(ckpt.header.model?.featureDim ?? 0) !== featureDim) throw new Error(`pretrain: initFrom ${file} has featureDim ${String(ckpt.header.model?.featureDim)}, the items have ${featureDim}`);
  assignVariables(backbone.variables, ckpt, file);
  return file;
}

/** Why the checkpoint cannot be resumed by this run (null: it can), naming the first difference. */
export function whyNotResumable(
  header: Checkpoint['header'],
  run: { config: PretrainConfig; fingerprint?: string; validSamples: number; totalSteps: number; shape: { lPv: number; lClick: number }; featureDim: number },
  file: string,
): string | null {
  if (run.fingerprint !== undefined && header.fingerprint !== run.fingerprint) {
    return `the checkpoint ${file} was trained under fingerprint ${header.fingerprint ? header.fingerprint.slice(0, 12) : '(none)'}, this run's is ${run.fingerprint.slice(0, 12)} (config, seed, input data or code changed)`;
  }
  for (const key of Object.keys(run.config) as (keyof PretrainConfig)[]) {
    if (RESUMABLE_CONFIG_KEYS.includes(key)) continue;
    // A key the checkpoint predates was at its default then (new keys default to the old behaviour).
    const a = JSON.stringify(key in header.config ? header.config[key] : PRETRAIN_CONFIG_SCHEMA[key]?.default);
    const b = JSON.stringify(run.config[key]);
    if (a !== b) return `the checkpoint ${file} was trained with ${key}=${a}, the config says ${key}=${b}`;
  }
  const m = header.model ?? {};
  if (m.lPv !== run.shape.lPv || m.lClick !== run.shape.lClick) return `the checkpoint ${file} was trained on lists of ${String(m.lPv)}/${String(m.lClick)} items, the samples have ${run.shape.lPv}/${run.shape.lClick}`;
  if (Number(m.featureDim ?? 0) !== run.featureDim) return `the checkpoint ${file} has featureDim ${String(m.featureDim)}, the items have ${run.featureDim}`;
  const ok = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!ok(header.step) || !ok(header.epoch) || !ok(header.position)) return `the checkpoint ${file} holds an invalid position (step ${header.step}, epoch ${header.epoch}, position ${header.position})`;
  if (header.step > run.totalSteps) return `the checkpoint ${file} is at step ${header.step}, beyond this run's ${run.totalSteps} steps`;
  if (header.position >= run.validSamples) return `the checkpoint ${file} is at position ${header.position} of epoch ${header.epoch}, but the samples hold only ${run.validSamples} valid samples`;
  const stepsPerEpoch = Math.ceil(run.validSamples / run.config.batchSize);
  if (header.position % run.config.batchSize !== 0 || header.step !== header.epoch * stepsPerEpoch + header.position / run.config.batchSize) {
    return `the checkpoint ${file} (step ${header.step}, epoch ${header.epoch}, position ${header.position}) does not fit ${run.validSamples} valid samples in batches of ${run.config.batchSize} (the samples changed since it was written)`;
  }
  return null;
}

/** Rebuilds the model a checkpoint describes and loads its weights (for export or resumption). */
export async function loadBackboneFromCheckpoint(file: string): Promise<{ backbone: Backbone; checkpoint: Checkpoint }> {
  const checkpoint = readCheckpoint(file);
  const config = checkpoint.header.config as unknown as PretrainConfig;
  const backbone = await createInitialBackbone(config, Number(checkpoint.header.model.featureDim ?? 0));
  assignVariables(backbone.variables, checkpoint, file);
  return { backbone, checkpoint };
}

function assignVariables(variables: readonly NamedVariable[], checkpoint: Checkpoint, file: string): void {
  for (const { name, variable } of variables) {
    const t = checkpoint.tensors.get(`model/${name}`);
    if (!t) throw new Error(`checkpoint ${file}: no tensor "model/${name}" (was it written for another backbone?)`);
    if (t.values.length !== variable.size) throw new Error(`checkpoint ${file}: "model/${name}" has ${t.values.length} values, the model needs ${variable.size} ([${variable.shape.join(', ')}])`);
    const value = tf.tensor(t.values, variable.shape);
    variable.assign(value);
    value.dispose();
  }
}

/**
 * The untrained backbone a run with this config starts from (same seed, same weights): the
 * "at initialisation" baseline of evaluations.
 */
export async function createInitialBackbone(config: PretrainConfig, featureDim = 0): Promise<Backbone> {
  const seed = new Rng(config.seed).fork('backbone').seed();
  return createBackbone(config.backbone, { dim: config.dim, imageSize: config.imageSize, featureDim, seed, params: config.backboneParams });
}

async function firstShape(source: SampleSource): Promise<{ lPv: number; lClick: number }> {
  for await (const s of source.open()) return { lPv: s.pvItemIds.length, lClick: s.clickItemIds.length };
  throw new Error(`pretrain: ${source.name} holds no samples`);
}

async function* batchesOf(stream: AsyncIterable<PretrainSample>, skip: number, size: number): AsyncGenerator<PretrainSample[]> {
  let skipped = 0;
  let batch: PretrainSample[] = [];
  for await (const s of stream) {
    if (skipped < skip) {
      skipped++;
      continue;
    }
    batch.push(s);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

interface PreparedBatch {
  samples: PretrainSample[];
  plan: EncodedBatchPlan;
  inputs: Float32Array;
}

/** Trains (or resumes) COURIER; returns the trained backbone. */
export async function trainCourier(options: TrainOptions): Promise<TrainResult> {
  const { config, samples, items, outDir } = options;
  const log = options.log ?? createLogger('pretrain');
  validatePretrainConfig(config);
  fs.mkdirSync(outDir, { recursive: true });
  const ckptFile = path.join(outDir, CHECKPOINT_FILE);
  const backboneKind = getBackboneEntry(config.backbone).input;
  if (backboneKind !== items.kind) throw new Error(`pretrain: backbone "${config.backbone}" takes ${backboneKind} inputs, the item source gives ${items.kind}`);
  if (items.kind === 'image' && (items.itemShape[0] !== config.imageSize || items.itemShape[1] !== config.imageSize)) {
    throw new Error(`pretrain: item images are ${items.itemShape.join('x')}, config imageSize is ${config.imageSize}`);
  }
  const featureDim = items.kind === 'features' ? items.itemShape[0] : 0;

  // Pre-pass: fix the list lengths, validate every sample, count them, write rejects.
  const shape = await firstShape(samples);
  const rejects: string[] = [];
  let valid = 0;
  for await (const _ of validSamples(samples, shape, (id) => items.has(id), (row, s, reason) => rejects.push(JSON.stringify({ row, sessionId: s.sessionId, reason })))) valid++;
  const rejectsFile = path.join(outDir, REJECTS_FILE);
  if (rejects.length > 0) {
    writeFileAtomicSync(rejectsFile, `${rejects.join('\n')}\n`);
    log.warn(`${rejects.length} of ${valid + rejects.length} samples rejected (see ${rejectsFile}); first: ${rejects[0]}`);
  } else fs.rmSync(rejectsFile, { force: true });
  if (valid === 0) throw new Error(`pretrain: no valid samples in ${samples.name}`);
  const stepsPerEpoch = Math.ceil(valid / config.batchSize);
  const totalSteps = config.steps > 0 ? config.steps : config.epochs * stepsPerEpoch;

  // Model, projection head, optimiser.
  const rng = new Rng(config.seed);
  const backbone = await createInitialBackbone(config, featureDim);
  const projection = config.projectionHead ? makeProjection(config.dim, rng.fork('projection').seed()) : null;
  const attention = config.attentionProjections ? makeAttentionProjections(config.dim, rng.fork('attention').seed()) : null;
  const ctrHead = config.ctrHeadWeight > 0 ? makeCtrHead(config.dim, config.ctrHeadHidden, rng.fork('ctr-head').seed()) : null;
  const variables = [...backbone.variables, ...(projection?.variables ?? []), ...(attention?.variables ?? []), ...(ctrHead?.variables ?? [])];
  // initFrom: the backbone starts from another run's weights. The content of that checkpoint is
  // part of this run's fingerprint, so a retrained source never lets a stale checkpoint resume.
  let fingerprint = options.fingerprint;
  if (config.initFrom !== null) {
    const initFile = initBackboneFrom(backbone, config, featureDim, config.initFrom);
    fingerprint = shortHash({ run: fingerprint ?? null, initFrom: contentHash(initFile) }, 64);
    log.info(`backbone initialised from ${initFile}`);
  }
  const adam = new Adam(variables, { lr: config.lr, weightDecay: config.weightDecay, weightDecayMode: config.weightDecayMode });
  const trainRng = rng.fork('train');

  let step = 0;
  let epoch = 0;
  let position = 0;
  let lossHistory: number[] = [];
  let resumedFrom: number | null = null;
  let ckpt: Checkpoint | null = null;
  if (fs.existsSync(ckptFile)) {
    let why: string | null;
    if (options.fresh) why = 'a fresh start was asked for (--force)';
    else {
      try {
        ckpt = readCheckpoint(ckptFile);
        why = whyNotResumable(ckpt.header, { config, fingerprint, validSamples: valid, totalSteps, shape, featureDim }, ckptFile);
      } catch (err) {
        why = `the checkpoint is unreadable (${(err as Error).message})`;
      }
    }
    if (why !== null) {
      log.warn(`not resuming ${ckptFile}: ${why}; training from scratch`);
      ckpt = null;
      fs.rmSync(ckptFile, { force: true });
    }
  }
  if (ckpt) {
    assignVariables(variables, ckpt, ckptFile);
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const { name } of variables) {
      m[name] = ckpt.tensors.get(`adam.m/${name}`)?.values ?? new Float32Array(0);
      v[name] = ckpt.tensors.get(`adam.v/${name}`)?.values ?? new Float32Array(0);
    }
    adam.setState({ step: ckpt.header.step, m, v });
    trainRng.setState(ckpt.header.rngState);
    ({ step, epoch, position } = ckpt.header);
    lossHistory = ckpt.header.lossHistory.slice();
    resumedFrom = step;
    log.info(`resuming from ${ckptFile}: step ${step}/${totalSteps}, epoch ${epoch}, position ${position}`);
  }

  const saveCheckpoint = async (complete: boolean): Promise<void> => {
    const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const { name, variable } of variables) tensors.set(`model/${name}`, { shape: variable.shape, values: (await variable.data()) as Float32Array });
    const state = await adam.getState();
    for (const { name, variable } of variables) {
      tensors.set(`adam.m/${name}`, { shape: variable.shape, values: state.m[name] });
      tensors.set(`adam.v/${name}`, { shape: variable.shape, values: state.v[name] });
    }
    writeCheckpoint(ckptFile, {
      header: {
        version: 1,
        ...(fingerprint !== undefined ? { fingerprint } : {}),
        step,
        epoch,
        position,
        complete,
        rngState: trainRng.getState(),
        lossHistory: lossHistory.slice(-LOSS_HISTORY),
        config: config as unknown as Record<string, unknown>,
        model: { featureDim, lPv: shape.lPv, lClick: shape.lClick, backboneInput: items.kind },
        savedAt: new Date().toISOString(),
      },
      tensors,
    });
  };

  const lossOptions = lossOptionsOf(config);
  const inputShape = items.itemShape as number[];
  const perItem = itemInputSize(items);
  const hasItem = (id: number) => items.has(id);
  // Counts this process's steps only, so the rate and ETA stay right after a resume.
  const progress = options.progress === false || step >= totalSteps ? null : new Progress('pretrain', totalSteps - step, { log, unit: 'steps' });
  let imagesEncoded = 0;
  let imageSlots = 0;
  let samplesTrained = 0;
  let stepsThisRun = 0;
  let stoppedEarly = false;
  const t0 = performance.now();
  let lastSave = t0;

  const prepare = async (it: AsyncIterator<PretrainSample[]>): Promise<PreparedBatch | null> => {
    const next = await it.next();
    if (next.done) return null;
    const plan = planBatch(next.value, config.dedupeImages);
    return { samples: next.value, plan, inputs: await items.load(plan.encodeIds) };
  };

  const trainStep = (batch: PreparedBatch): StepInfo => {
    const { plan } = batch;
    const B = batch.samples.length;
    let parts = { lPv: 0, lUcs: 0, numPvPositives: 0, numUcsTargets: 0, lCtr: 0, numMaskedNegatives: 0 };
    const ids = config.maskSameItemNegatives ? { pvItemIds: batch.samples.map((s) => s.pvItemIds), clickItemIds: batch.samples.map((s) => s.clickItemIds) } : {};
    const loss = tf.tidy(() => {
      const x = toInput(batch.inputs, [plan.encodeIds.length, ...inputShape]);
      const labels = tf.tensor2d(plan.labels, [B, shape.lPv]);
      const pvMask = tf.tensor2d(plan.pvMask, [B, shape.lPv]);
      const clickMask = tf.tensor2d(plan.clickMask, [B, shape.lClick]);
      const { value, grads } = tf.variableGrads(() => {
        let e = backbone.forward(x, true);
        if (projection) e = projection.apply(e);
        if (config.normalizeBeforeLoss) e = l2Normalize(e);
        const d = e.shape[1];
        const ePv = tf.reshape(gatherRows(e, plan.pvRows), [B, shape.lPv, d]) as tf.Tensor3D;
        const eClick = tf.reshape(gatherRows(e, plan.clickRows), [B, shape.lClick, d]) as tf.Tensor3D;
        const r = courierLoss({ ePv, eClick, labels, pvMask, clickMask, ...ids, attentionParams: attention?.params, ctrHead: ctrHead?.params }, lossOptions);
        parts = {
          lPv: r.lPv.dataSync()[0],
          lUcs: r.lUcs.dataSync()[0],
          numPvPositives: r.numPvPositives,
          numUcsTargets: r.numUcsTargets,
          lCtr: r.lCtr.dataSync()[0],
          numMaskedNegatives: r.numMaskedNegatives,
        };
        return r.total;
      }, variables.map((v) => v.variable));
      adam.apply(grads);
      return value.dataSync()[0];
    });
    if (!Number.isFinite(loss)) throw new Error(`pretrain: loss became ${loss} at step ${step + 1} (lr ${config.lr}, tau ${config.tau})`);
    return { step: step + 1, epoch, loss, ...parts };
  };

  training: while (step < totalSteps) {
    const order = epochOrder(validSamples(samples, shape, hasItem), config.seed, epoch, config.shuffleBuffer);
    const it = batchesOf(order, position, config.batchSize)[Symbol.asyncIterator]();
    let pending = prepare(it);
    let batchesThisPass = 0;
    for (;;) {
      const batch = await pending;
      if (!batch) {
        // A pass that yields no batch would repeat forever (the data shrank under a position).
        if (batchesThisPass === 0) throw new Error(`pretrain: epoch ${epoch} from position ${position} of ${samples.name} yields no batch (${valid} valid samples); training makes no progress`);
        // The stream ended before `position` reached `valid` (the data changed while training).
        if (position !== 0) throw new Error(`pretrain: epoch ${epoch} of ${samples.name} ended at position ${position}, expected ${valid} valid samples (did the file change during training?)`);
        break;
      }
      batchesThisPass++;
      pending = step + 1 < totalSteps ? prepare(it) : Promise.resolve(null);
      const info = trainStep(batch);
      step++;
      stepsThisRun++;
      position += batch.samples.length;
      samplesTrained += batch.samples.length;
      imagesEncoded += batch.plan.encodeIds.length;
      imageSlots += batch.plan.slots;
      lossHistory.push(info.loss);
      if (lossHistory.length > LOSS_HISTORY) lossHistory.shift();
      if (position >= valid) {
        epoch++;
        position = 0;
      }
      options.onStep?.(info);
      const elapsed = (performance.now() - t0) / 1000;
      progress?.tick(1, { step, loss: info.loss, 'samples/s': elapsed > 0 ? samplesTrained / elapsed : 0, epoch });
      const atEnd = step >= totalSteps;
      const dueBySteps = config.checkpointEvery > 0 && step % config.checkpointEvery === 0;
      const dueByTime = config.checkpointSeconds > 0 && performance.now() - lastSave >= config.checkpointSeconds * 1000;
      if (atEnd || dueBySteps || dueByTime) {
        await saveCheckpoint(atEnd);
        lastSave = performance.now();
      }
      if (options.stopAfterSteps !== undefined && stepsThisRun >= options.stopAfterSteps && !atEnd) {
        if (config.checkpointEvery === 0 || step % config.checkpointEvery !== 0) await saveCheckpoint(false);
        stoppedEarly = true;
        await pending; // let an in-flight decode settle
        break training;
      }
      if (atEnd) break training;
      if (position === 0) break; // epoch finished: rebuild the order for the next one
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  progress?.done();
  if (!stoppedEarly && stepsThisRun === 0 && resumedFrom !== null) log.info(`checkpoint ${ckptFile} is already at step ${step}; nothing to train`);
  adam.dispose();
  const window = lossHistory.slice(-FINAL_LOSS_WINDOW);
  return {
    backbone,
    steps: step,
    totalSteps,
    finalLoss: window.length ? window.reduce((a, b) => a + b, 0) / window.length : null,
    samplesPerSecond: seconds > 0 ? samplesTrained / seconds : 0,
    resumedFrom,
    lossHistory,
    imagesEncoded,
    imageSlots,
    validSamples: valid,
    rejectedSamples: rejects.length,
    stoppedEarly,
    dispose: () => {
      projection?.dispose();
      attention?.dispose();
      ctrHead?.dispose();
      backbone.dispose();
    },
  };
}

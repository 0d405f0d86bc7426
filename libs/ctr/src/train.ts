/**
 * Training, prediction, evaluation and checkpoints of the CTR model.
 */
import * as tf from '@tensorflow/tfjs';
import { auc, gauc } from '@courier/metrics';
import { Rng } from '@courier/runtime';
import type { VariableValues } from '@courier/nn';
import type { CtrConfig } from './config';
import type { Catalogue, CtrSplit } from './data';
import { Batch, ItemFeatureTable, Vocab, buildBatch, buildItemFeatures, buildVocab } from './features';
import type { ImageFeatures } from './image-features';
import { CtrModel, ModelShape, VariableSnapshot } from './model';

export interface CtrCheckpoint {
  contract: 'ctr-checkpoint';
  version: 1;
  config: CtrConfig;
  seed: number;
  image: { mode: ImageFeatures['mode']; dim: number; numClusters: number; embeddings: string | null; clusters: string | null } | null;
  categories: string[];
  itemVocab: number[];
  userVocab: number[];
  variables: Record<string, VariableSnapshot>;
}

export interface TrainedCtr {
  model: CtrModel;
  items: ItemFeatureTable;
  itemVocab: Vocab;
  userVocab: Vocab;
  image: ImageFeatures | null;
  seed: number;
  stats: {
    rows: number;
    steps: number;
    seconds: number;
    rowsPerSecond: number;
    finalLoss: number;
    warmStart: { loaded: number; grown: string[] } | null;
    /** Per epoch: mean training loss and validation AUC / GAUC (null without a validation split). */
    curve: EpochPoint[];
    /** Epoch (1-based) whose weights were kept: best validation AUC, or the last without validation. */
    bestEpoch: number;
  };
}

export interface EpochPoint {
  epoch: number;
  loss: number;
  validationAuc: number | null;
  validationGauc: number | null;
}

export interface TrainOptions {
  catalogue: Catalogue;
  train: CtrSplit;
  /** Held-out training days: scored after every epoch; training stops when its AUC stops improving and keeps the best epoch. */
  validation?: CtrSplit | null;
  image: ImageFeatures | null;
  config: CtrConfig;
  seed: number;
  /** Label for progress lines. */
  label?: string;
  /** Start from an earlier checkpoint: its vocab is kept (new ids appended) and matching variables loaded. */
  warmStart?: CtrCheckpoint | null;
  log?: (line: string) => void;
}

/** Rows grouped by page view (session id), groups in order of first appearance: [offsets, rows]. */
export function pageViewGroups(split: CtrSplit): { offsets: Int32Array; rows: Int32Array } {
  const groupOf = new Map<number, number>();
  const counts: number[] = [];
  const group = new Int32Array(split.n);
  for (let i = 0; i < split.n; i++) {
    let g = groupOf.get(split.sessionId[i]);
    if (g === undefined) {
      g = counts.length;
      groupOf.set(split.sessionId[i], g);
      counts.push(0);
    }
    group[i] = g;
    counts[g]++;
  }
  const offsets = new Int32Array(counts.length + 1);
  for (let g = 0; g < counts.length; g++) offsets[g + 1] = offsets[g] + counts[g];
  const fill = offsets.slice(0, counts.length);
  const rows = new Int32Array(split.n);
  for (let i = 0; i < split.n; i++) rows[fill[group[i]]++] = i;
  return { offsets, rows };
}

/** batchOrder 'page-views': the page views in a random order, each one's rows together (in row order). */
function shufflePageViews(out: Int32Array, groups: { offsets: Int32Array; rows: Int32Array }, rng: Rng): void {
  const perm = Int32Array.from({ length: groups.offsets.length - 1 }, (_, g) => g);
  shuffleInPlace(perm, rng);
  let k = 0;
  for (const g of perm) for (let j = groups.offsets[g]; j < groups.offsets[g + 1]; j++) out[k++] = groups.rows[j];
}

function shuffleInPlace(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

function imageShape(image: ImageFeatures | null): ModelShape['image'] {
  return image ? { mode: image.mode, dim: image.dim, numClusters: image.numClusters, centroids: image.centroids, centroidDim: image.centroidDim } : null;
}

/** Trains one CTR model on a split. Every random choice (init, order, id dropout) comes from `seed`. */
export function trainCtr(options: TrainOptions): TrainedCtr {
  const { catalogue, train, image, config, seed } = options;
  const log = options.log ?? (() => undefined);
  const label = options.label ?? (image ? image.mode : 'baseline');
  const warm = options.warmStart ?? null;
  if (warm) {
    if (warm.categories.join('\u0000') !== catalogue.categories.join('\u0000')) {
      throw new Error(`warm start: the checkpoint's categories (${warm.categories.join(', ')}) differ from the catalogue's (${catalogue.categories.join(', ')})`);
    }
    if ((warm.image?.mode ?? null) !== (image?.mode ?? null)) {
      throw new Error(`warm start: the checkpoint's image mode is ${warm.image?.mode ?? 'none'}, this model's is ${image?.mode ?? 'none'}`);
    }
    if (warm.image && image && warm.image.dim !== image.dim) {
      throw new Error(`warm start: the checkpoint's image embeddings have dimension ${warm.image.dim}, these have ${image.dim}`);
    }
  }
  const itemIds: number[] = [];
  for (let i = 0; i < train.n; i++) itemIds.push(catalogue.itemIds[train.itemRow[i]]);
  for (let j = 0; j < train.histItems.length; j++) itemIds.push(catalogue.itemIds[train.histItems[j]]);
  const itemVocab = buildVocab(itemIds, warm?.itemVocab ?? []);
  const userVocab = buildVocab(train.userId, warm?.userVocab ?? []);
  const items = buildItemFeatures(catalogue, itemVocab, config, image);
  const rng = new Rng(seed);
  const model = new CtrModel(
    config,
    { itemVocab: itemVocab.ids.length + 1, userVocab: userVocab.ids.length + 1, numCategories: catalogue.categories.length, image: imageShape(image) },
    rng.fork('init').seed(),
  );
  let warmStats: TrainedCtr['stats']['warmStart'] = null;
  if (warm) {
    const r = model.restore(warm.variables, { growable: ['item_id', 'user_id'] });
    warmStats = { loaded: r.loaded.length + r.grown.length, grown: r.grown };
    log(`${label}: warm start from checkpoint (seed ${warm.seed}): ${r.loaded.length} variables loaded, grown: ${r.grown.join(', ') || 'none'}`);
  }
  const order = Int32Array.from({ length: train.n }, (_, i) => i);
  const pageViews = config.batchOrder === 'page-views' ? pageViewGroups(train) : null;
  const shuffleRng = rng.fork('shuffle');
  const dropRng = rng.fork('id-dropout');
  const dropId = config.idDropout > 0 ? () => dropRng.next() < config.idDropout : undefined;
  const bs = config.batchSize;
  const stepsPerEpoch = Math.ceil(train.n / bs);
  const totalSteps = stepsPerEpoch * config.epochs;
  const started = Date.now();
  let lastLog = started;
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  let finalLoss = NaN;
  const validation = options.validation && options.validation.n > 0 ? options.validation : null;
  const curve: EpochPoint[] = [];
  // The best epoch's weights as host copies: nothing to dispose, nothing left behind if training throws.
  let best: { epoch: number; auc: number; weights: Record<string, VariableValues> } | null = null;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    if (pageViews) shufflePageViews(order, pageViews, shuffleRng);
    else shuffleInPlace(order, shuffleRng);
    let epochLoss = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const rows = order.subarray(s * bs, Math.min(train.n, (s + 1) * bs));
      const batch = buildBatch(train, rows, items, { config, userIndex: userVocab.index, dropId });
      const loss = model.trainStep(batch);
      if (!Number.isFinite(loss)) throw new Error(`${label}: training loss is ${loss} at step ${step} (lower learningRate?)`);
      lossSum += loss;
      lossCount++;
      epochLoss += loss;
      step++;
      const now = Date.now();
      if (now - lastLog > 5000 || step === totalSteps) {
        const rate = (step * bs) / ((now - started) / 1000);
        const eta = ((totalSteps - step) * bs) / rate;
        finalLoss = lossSum / lossCount;
        log(`${label}: epoch ${epoch + 1}/${config.epochs} step ${step}/${totalSteps} loss ${finalLoss.toFixed(4)} ${Math.round(rate)} rows/s ETA ${eta.toFixed(0)}s (at most)`);
        lossSum = 0;
        lossCount = 0;
        lastLog = now;
      }
    }
    const point: EpochPoint = { epoch: epoch + 1, loss: epochLoss / stepsPerEpoch, validationAuc: null, validationGauc: null };
    curve.push(point);
    if (!validation) continue;
    const scores = predictWith(model, items, userVocab, validation);
    point.validationAuc = auc(scores, validation.label);
    point.validationGauc = gauc(scores, validation.label, validation.sessionId).gauc;
    const v = point.validationAuc ?? -Infinity;
    if (!best || v > best.auc) {
      best = { epoch: epoch + 1, auc: v, weights: model.store.snapshot() };
    }
    log(`${label}: epoch ${epoch + 1} validation AUC ${point.validationAuc?.toFixed(4)} GAUC ${point.validationGauc?.toFixed(4)} (best epoch ${best.epoch})`);
    if (epoch + 1 - best.epoch >= config.patience) break;
  }
  let bestEpoch = curve.length;
  if (best) {
    // Keep the best epoch's weights (early stopping on the validation days).
    model.store.restore(best.weights);
    bestEpoch = best.epoch;
  }
  if (Number.isNaN(finalLoss) && curve.length > 0) finalLoss = curve[curve.length - 1].loss;
  const seconds = (Date.now() - started) / 1000;
  const rowsSeen = train.n * curve.length;
  return {
    model,
    items,
    itemVocab,
    userVocab,
    image,
    seed,
    stats: { rows: rowsSeen, steps: step, seconds, rowsPerSecond: rowsSeen / Math.max(seconds, 1e-9), finalLoss, warmStart: warmStats, curve, bestEpoch },
  };
}

function predictWith(model: CtrModel, items: ItemFeatureTable, userVocab: Vocab, split: CtrSplit): Float32Array {
  const scores = new Float32Array(split.n);
  const bs = model.config.evalBatchSize;
  const rows = Int32Array.from({ length: split.n }, (_, i) => i);
  for (let s = 0; s < split.n; s += bs) {
    const batch: Batch = buildBatch(split, rows.subarray(s, Math.min(split.n, s + bs)), items, { config: model.config, userIndex: userVocab.index });
    scores.set(model.predict(batch), s);
  }
  return scores;
}

/** Click probabilities for every row of a split, in row order. */
export function predictCtr(trained: TrainedCtr, split: CtrSplit): { scores: Float32Array; seconds: number } {
  const started = Date.now();
  const scores = predictWith(trained.model, trained.items, trained.userVocab, split);
  return { scores, seconds: (Date.now() - started) / 1000 };
}

export interface CtrEvaluation {
  auc: number | null;
  gauc: number | null;
  gaucWeighted: number | null;
  sessionsUsed: number;
  rows: number;
  perCategory: { category: string; rows: number; auc: number | null }[];
  /** Rows whose target item has no learned id (not in the training vocab: new items). */
  newItems: { rows: number; auc: number | null };
}

/** AUC over all rows, GAUC by session (plain and impression-weighted), AUC per target category and on new items. */
export function evaluateScores(split: CtrSplit, scores: Float32Array, catalogue: Catalogue, items: ItemFeatureTable | null): CtrEvaluation {
  const g = gauc(scores, split.label, split.sessionId);
  const byCat: number[][] = catalogue.categories.map(() => []);
  for (let i = 0; i < split.n; i++) byCat[catalogue.category[split.itemRow[i]]].push(i);
  const subsetAuc = (idx: number[]) => auc(idx.map((i) => scores[i]), idx.map((i) => split.label[i]));
  const newIdx: number[] = [];
  if (items) for (let i = 0; i < split.n; i++) if (items.idIndex[split.itemRow[i]] === 0) newIdx.push(i);
  return {
    auc: auc(scores, split.label),
    gauc: g.gauc,
    gaucWeighted: g.gaucWeighted,
    sessionsUsed: g.nGroupsUsed,
    rows: split.n,
    perCategory: catalogue.categories.map((category, c) => ({ category, rows: byCat[c].length, auc: subsetAuc(byCat[c]) })),
    newItems: { rows: newIdx.length, auc: newIdx.length ? subsetAuc(newIdx) : null },
  };
}

export function checkpointOf(trained: TrainedCtr, catalogue: Catalogue): CtrCheckpoint {
  const img = trained.image;
  return {
    contract: 'ctr-checkpoint',
    version: 1,
    config: trained.model.config,
    seed: trained.seed,
    image: img ? { mode: img.mode, dim: img.dim, numClusters: img.numClusters, embeddings: img.source.embeddings, clusters: img.source.clusters } : null,
    categories: catalogue.categories,
    itemVocab: trained.itemVocab.ids,
    userVocab: trained.userVocab.ids,
    variables: trained.model.snapshot(),
  };
}

/** Rebuilds a trained model from a checkpoint (for evaluation). The image features must match its mode and dimension. */
export function restoreCtr(checkpoint: CtrCheckpoint, catalogue: Catalogue, image: ImageFeatures | null, source = 'checkpoint'): TrainedCtr {
  if (checkpoint.contract !== 'ctr-checkpoint') throw new Error(`${source}: expected contract "ctr-checkpoint", got ${JSON.stringify(checkpoint.contract)}`);
  if ((checkpoint.image?.mode ?? null) !== (image?.mode ?? null)) throw new Error(`${source}: checkpoint image mode ${checkpoint.image?.mode ?? 'none'}, given ${image?.mode ?? 'none'}`);
  if (checkpoint.image && image && (checkpoint.image.dim !== image.dim || checkpoint.image.numClusters !== image.numClusters)) {
    throw new Error(`${source}: checkpoint image features have dim ${checkpoint.image.dim} / ${checkpoint.image.numClusters} clusters, given ${image.dim} / ${image.numClusters}`);
  }
  if (checkpoint.categories.join('\u0000') !== catalogue.categories.join('\u0000')) throw new Error(`${source}: categories differ from the catalogue's`);
  const itemVocab = buildVocab([], checkpoint.itemVocab);
  const userVocab = buildVocab([], checkpoint.userVocab);
  const items = buildItemFeatures(catalogue, itemVocab, checkpoint.config, image);
  const model = new CtrModel(
    checkpoint.config,
    { itemVocab: itemVocab.ids.length + 1, userVocab: userVocab.ids.length + 1, numCategories: catalogue.categories.length, image: imageShape(image) },
    0,
  );
  model.restore(checkpoint.variables);
  return { model, items, itemVocab, userVocab, image, seed: checkpoint.seed, stats: { rows: 0, steps: 0, seconds: 0, rowsPerSecond: 0, finalLoss: NaN, warmStart: null, curve: [], bestEpoch: 0 } };
}

/** Number of live tensors, for leak checks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

/**
 * COURIER plug-in for the public benchmark (spec amazon-benchmark.md, section 8; paper 4.1):
 * pre-train an image encoder on the pre-training rows (x_label 3) with the COURIER losses
 * (`courierLoss` from @courier/courier), embed EVERY item, and write
 * `image_feat_courier.npy` = [image_feat | C] for the downstream models.
 *
 * Samples (project choices, recorded in the report; spec 11.6): per user, Pos_u = its label-3
 * items in time order and 10 negatives drawn once per user, uniformly from all items not in
 * Pos_u (labels 0/1/2 are never read). Each epoch, for each user with >= 2 positives, a sample
 * takes up to `pvPositives` random positives (never all of them) plus the 10 negatives as the
 * page view, and the remaining positives (latest `clickLength`, oldest first) as the click
 * history whose attention-reconstruction must pick out the page view's positives.
 *
 * The loss is injected (`lossFn`): the app passes @courier/courier's `courierLoss` bound to its
 * options (a stage library may not import another stage).
 *
 * Encoder (spec 11.3: input is the item's image feature vector, not pixels): standardise each
 * feature column, then Linear(D_v, hidden) -> ReLU -> Linear(hidden, d_c).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { VariableStore } from '@courier/nn';
import type { FeatureMatrix, MmrecDataset } from './dataset';
import { Linear, countParams } from './nn';
import { writeNpy } from './npy';

/** The COURIER loss, e.g. `(inputs) => courierLoss(inputs, DEFAULT_LOSS_OPTIONS)`. Shapes as in @courier/courier. */
export type CourierLossFn = (inputs: { ePv: tf.Tensor3D; eClick: tf.Tensor3D; labels: tf.Tensor2D; pvMask: tf.Tensor2D; clickMask: tf.Tensor2D }) => { total: tf.Scalar };

export interface CourierPretrainOptions {
  /** Embedding size d_c. */
  dim: number;
  hidden: number;
  epochs: number;
  /** Users per batch (in-batch contrast: bigger is better). */
  batchUsers: number;
  lr: number;
  negatives: number;
  pvPositives: number;
  clickLength: number;
  lossFn: CourierLossFn;
  seed: number;
  log?: (line: string) => void;
}

export const COURIER_PRETRAIN_DEFAULTS: Omit<CourierPretrainOptions, 'seed' | 'log' | 'lossFn'> = {
  dim: 64,
  hidden: 256,
  epochs: 5,
  batchUsers: 256,
  lr: 1e-3,
  negatives: 10,
  pvPositives: 2,
  clickLength: 5,
};

export interface CourierPretrainResult {
  /** [nItems, dim] row-major, raw encoder output (not normalised). */
  embeddings: Float32Array;
  dim: number;
  usersUsed: number;
  usersSkipped: number;
  epochLosses: number[];
  paramCount: number;
  seconds: number;
}

/** Per-user pre-training lists: positives in time order, negatives drawn once. */
export function buildPretrainLists(ds: MmrecDataset, negatives: number, rng: Rng): { users: number[]; positives: number[][]; negatives: number[][]; skipped: number } {
  const byUser = new Map<number, { item: number; t: number; row: number }[]>();
  const { users, items, timestamps } = ds.pretrain;
  for (let r = 0; r < users.length; r++) {
    let l = byUser.get(users[r]);
    if (!l) byUser.set(users[r], (l = []));
    l.push({ item: items[r], t: timestamps ? timestamps[r] : r, row: r });
  }
  const out = { users: [] as number[], positives: [] as number[][], negatives: [] as number[][], skipped: 0 };
  const ids = [...byUser.keys()].sort((a, b) => a - b);
  for (const u of ids) {
    const list = byUser.get(u)!.sort((a, b) => a.t - b.t || a.row - b.row);
    if (list.length < 2) {
      out.skipped++;
      continue;
    }
    const pos = list.map((x) => x.item);
    const own = new Set(pos);
    if (own.size >= ds.nItems) throw new Error(`pre-training: user ${u} holds every item; no negative can be drawn`);
    const neg: number[] = [];
    while (neg.length < negatives) {
      const q = rng.int(ds.nItems);
      if (!own.has(q)) neg.push(q);
    }
    out.users.push(u);
    out.positives.push(pos);
    out.negatives.push(neg);
  }
  return out;
}

class FeatureEncoder {
  readonly l1: Linear;
  readonly l2: Linear;
  readonly store = new VariableStore('courier-encoder');
  constructor(rng: Rng, inDim: number, hidden: number, outDim: number) {
    this.l1 = new Linear(this.store, rng, inDim, hidden, { weight: 'xn', name: 'l1' });
    this.l2 = new Linear(this.store, rng, hidden, outDim, { weight: 'xn', name: 'l2' });
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.l2.apply(tf.relu(this.l1.apply(x)));
  }
  variables(): tf.Variable[] {
    return [...this.l1.variables(), ...this.l2.variables()];
  }
}

/** Column-standardised copy of a feature matrix (std floor 1e-6). */
function standardise(f: FeatureMatrix): Float32Array {
  const { rows, dim, data } = f;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < rows; i++) for (let k = 0; k < dim; k++) mean[k] += data[i * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= rows;
  for (let i = 0; i < rows; i++) for (let k = 0; k < dim; k++) sq[k] += (data[i * dim + k] - mean[k]) ** 2;
  const out = new Float32Array(rows * dim);
  for (let k = 0; k < dim; k++) sq[k] = 1 / Math.max(1e-6, Math.sqrt(sq[k] / rows));
  for (let i = 0; i < rows; i++) for (let k = 0; k < dim; k++) out[i * dim + k] = (data[i * dim + k] - mean[k]) * sq[k];
  return out;
}

export async function pretrainCourier(ds: MmrecDataset, options: CourierPretrainOptions): Promise<CourierPretrainResult> {
  const image = ds.features.image;
  if (!image) throw new Error('COURIER pre-training needs the image features; load the dataset with modality "image"');
  const t0 = performance.now();
  const rng = new Rng(options.seed).fork('courier-pretrain');
  const lists = buildPretrainLists(ds, options.negatives, rng.fork('negatives'));
  if (lists.users.length === 0) throw new Error(`${ds.name}: no user has >= 2 pre-training rows (x_label 3); cannot pre-train COURIER`);
  const Xdata = standardise(image);
  const X = tf.tensor2d(Xdata, [image.rows, image.dim]);
  const rowsOf = (ids: Int32Array): Float32Array => {
    const out = new Float32Array(ids.length * image.dim);
    ids.forEach((id, r) => out.set(Xdata.subarray(id * image.dim, (id + 1) * image.dim), r * image.dim));
    return out;
  };
  const enc = new FeatureEncoder(rng.fork('init'), image.dim, options.hidden, options.dim);
  const vars = enc.variables();
  const optimizer = tf.train.adam(options.lr);
  const sampleRng = rng.fork('samples');
  const lPv = options.pvPositives + options.negatives;
  const lC = options.clickLength;
  const epochLosses: number[] = [];
  const order = lists.users.map((_, k) => k);
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      sampleRng.shuffle(order);
      let sum = 0;
      let n = 0;
      for (let start = 0; start < order.length; start += options.batchUsers) {
        const batch = order.slice(start, start + options.batchUsers);
        const B = batch.length;
        const pvIds = new Int32Array(B * lPv);
        const pvLab = new Float32Array(B * lPv);
        const pvMask = new Float32Array(B * lPv);
        const cIds = new Int32Array(B * lC);
        const cMask = new Float32Array(B * lC);
        batch.forEach((k, b) => {
          const pos = lists.positives[k];
          const nT = Math.min(options.pvPositives, pos.length - 1);
          const picks = new Set(sampleRng.shuffle(pos.map((_, j) => j)).slice(0, nT));
          const targets = pos.filter((_, j) => picks.has(j));
          const history = pos.filter((_, j) => !picks.has(j)).slice(-lC);
          targets.forEach((it, j) => {
            pvIds[b * lPv + j] = it;
            pvLab[b * lPv + j] = 1;
            pvMask[b * lPv + j] = 1;
          });
          lists.negatives[k].forEach((it, j) => {
            pvIds[b * lPv + options.pvPositives + j] = it;
            pvMask[b * lPv + options.pvPositives + j] = 1;
          });
          history.forEach((it, j) => {
            cIds[b * lC + j] = it;
            cMask[b * lC + j] = 1;
          });
        });
        const lossT = optimizer.minimize(
          () =>
            tf.tidy(() => {
              // Input rows gathered on the host (constant input; tfjs-cpu's gather kernel is slow).
              const ePv = tf.reshape(enc.apply(tf.tensor2d(rowsOf(pvIds), [pvIds.length, image.dim])), [B, lPv, options.dim]) as tf.Tensor3D;
              const eClick = tf.reshape(enc.apply(tf.tensor2d(rowsOf(cIds), [cIds.length, image.dim])), [B, lC, options.dim]) as tf.Tensor3D;
              const res = options.lossFn({ ePv, eClick, labels: tf.tensor2d(pvLab, [B, lPv]), pvMask: tf.tensor2d(pvMask, [B, lPv]), clickMask: tf.tensor2d(cMask, [B, lC]) });
              return res.total;
            }),
          true,
          vars,
        );
        const v = (await lossT!.data())[0];
        lossT!.dispose();
        if (!Number.isFinite(v)) throw new Error(`COURIER pre-training: loss became ${v} at epoch ${epoch}`);
        sum += v;
        n++;
      }
      epochLosses.push(sum / Math.max(1, n));
      options.log?.(`COURIER pre-train epoch ${epoch + 1}/${options.epochs}: loss ${epochLosses[epoch].toFixed(4)} (${lists.users.length} users, ${((performance.now() - t0) / 1000).toFixed(1)}s)`);
    }
    const C = tf.tidy(() => enc.apply(X));
    const embeddings = (await C.data()) as Float32Array;
    C.dispose();
    return {
      embeddings,
      dim: options.dim,
      usersUsed: lists.users.length,
      usersSkipped: lists.skipped,
      epochLosses,
      paramCount: countParams(vars),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    X.dispose();
    enc.store.dispose();
    optimizer.dispose();
  }
}

/**
 * [image | C] row-wise, float32. `scale` (spec 11.3): 'match-image' L2-normalises C's rows and
 * multiplies them by the mean row norm of the image features (default); 'unit' only
 * normalises; 'raw' keeps the encoder output.
 */
export function concatCourierFeatures(image: FeatureMatrix, C: Float32Array, dim: number, scale: 'match-image' | 'unit' | 'raw'): Float32Array {
  const { rows, dim: dv, data } = image;
  if (C.length !== rows * dim) throw new Error(`concatCourierFeatures: embeddings hold ${C.length} values, expected ${rows} x ${dim}`);
  let target = 1;
  if (scale === 'match-image') {
    let s = 0;
    for (let i = 0; i < rows; i++) {
      let q = 0;
      for (let k = 0; k < dv; k++) q += data[i * dv + k] ** 2;
      s += Math.sqrt(q);
    }
    target = s / rows;
  }
  const out = new Float32Array(rows * (dv + dim));
  for (let i = 0; i < rows; i++) {
    out.set(data.subarray(i * dv, (i + 1) * dv), i * (dv + dim));
    let q = 0;
    for (let k = 0; k < dim; k++) q += C[i * dim + k] ** 2;
    const f = scale === 'raw' ? 1 : target / Math.max(1e-12, Math.sqrt(q));
    for (let k = 0; k < dim; k++) out[i * (dv + dim) + dv + k] = C[i * dim + k] * f;
  }
  return out;
}

/** Writes `<dir>/image_feat_courier.npy` and `<dir>/courier_embeddings.npy`; returns the feature matrix. */
export function writeCourierFeatures(dir: string, image: FeatureMatrix, C: Float32Array, dim: number, scale: 'match-image' | 'unit' | 'raw'): FeatureMatrix {
  const data = concatCourierFeatures(image, C, dim, scale);
  const file = `${dir}/image_feat_courier.npy`;
  writeNpy(`${dir}/courier_embeddings.npy`, C, [image.rows, dim]);
  writeNpy(file, data, [image.rows, image.dim + dim]);
  return { file, data, rows: image.rows, dim: image.dim + dim };
}

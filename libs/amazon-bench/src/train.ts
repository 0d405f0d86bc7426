/**
 * One training run of one model at one grid point and one seed (spec amazon-benchmark.md,
 * sections 4.3 and 5): Adam, batches of 2048 shuffled training rows (last partial batch kept),
 * evaluation after every epoch, early stopping on validation Recall@20 rounded to 4 decimals
 * (strict improvement; stop after `patience + 1` non-improving epochs), NaN loss ends the run.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { adamStep } from '@courier/native-kernels';
import type { MmrecDataset } from './dataset';
import { MetricRecord, evaluateSplits, round4 } from './evaluate';
import { Batch, ModelEntry, ModelParams, RecModel, trainableParamCount } from './models';
import { CheckpointPolicy, EpochRecord, TrainState, loadTrainState, saveTrainState, variableKeys } from './train-checkpoint';

export type { CheckpointPolicy, EpochRecord, TrainState } from './train-checkpoint';

export interface TrainOptions {
  maxEpochs: number;
  patience: number;
  batchSize: number;
  evalBlockSize: number;
  /** Progress lines (one per `logEvery` epochs, default every epoch). */
  log?: (line: string) => void;
  logEvery?: number;
  /** Stop after this many epochs regardless of early stopping (benchmarks); default none. */
  epochLimit?: number;
  /** Skip evaluation (benchmarks timing training only). */
  skipEval?: boolean;
  /**
   * Epoch checkpoints (train-checkpoint.ts): an existing checkpoint of the same run is resumed,
   * one is written every `everyEpochs` epochs or `everySeconds` seconds. The caller deletes it
   * once the run's result is stored. Absent: no checkpoints.
   */
  checkpoint?: CheckpointPolicy;
  /** The run's name in the checkpoint and resume log lines (default the model's; the benchmark passes its row label, e.g. BM3+ours). */
  label?: string;
  /** Test hook: the state at the end (variables, Adam, Rng states, early stopping), before the model is disposed. */
  onFinalState?: (state: TrainState) => void;
}

/** Thrown by `trainAndEvaluate` when `checkpoint.stopAfterEpochs` stops a run (a simulated kill, after the checkpoint is written). */
export class TrainingStopped extends Error {
  constructor(
    readonly epochsDone: number,
    readonly file: string,
  ) {
    super(`training stopped after epoch ${epochsDone - 1} (checkpoint ${file})`);
    this.name = 'TrainingStopped';
  }
}

export interface RunResult {
  model: string;
  params: ModelParams;
  seed: number;
  paramCount: number;
  bestEpoch: number;
  /** Validation metrics at the best epoch (rounded to 4 decimals). */
  valid: MetricRecord;
  /** Test metrics at the best-validation epoch (rounded to 4 decimals). */
  test: MetricRecord;
  epochs: EpochRecord[];
  stopReason: 'patience' | 'max-epochs' | 'nan-loss' | 'epoch-limit';
  firstEpochLoss: number;
  /** Epochs restored from a checkpoint when this process started the run (absent: trained from epoch 0). */
  resumedFromEpoch?: number;
}

/** Sorted-array membership. */
function contains(sorted: Int32Array, x: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === x) return true;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** One negative per row: uniform over items of the training split, redrawn while the user has it. */
export function sampleNegatives(ds: MmrecDataset, users: Int32Array, rng: Rng): Int32Array {
  const pool = ds.trainItemPool;
  const out = new Int32Array(users.length);
  for (let b = 0; b < users.length; b++) {
    const own = ds.trainItemsByUser[users[b]];
    if (own.length >= pool.length) throw new Error(`user ${users[b]} has every training item; no negative can be drawn`);
    let q: number;
    do q = pool[rng.int(pool.length)];
    while (contains(own, q));
    out[b] = q;
  }
  return out;
}

function roundAll(m: MetricRecord): MetricRecord {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round4(v)]));
}

/**
 * Adam as MMRec's loop runs it with PyTorch 1.13: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
 * w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps), computed with one division per
 * element as w -= (lr c2 / (1 - b1^t)) m / (sqrt(v) + eps c2), c2 = sqrt(1 - b2^t) (the same
 * value up to rounding; so is tfjs's `tf.train.adam`), one typed-array pass per variable (issue #23: tfjs's Adam issues ~10 kernels per
 * variable per step, 5-40 ms of a small model's step). Per step, as `trainStep` defines it:
 * with weight decay, g += wd * param (torch Adam's coupled L2, only for variables that received
 * a gradient); a trainable variable the loss did not reach gets a ZERO gradient (1.13's
 * zero_grad keeps zero tensors, so Adam's moments keep moving it: LATTICE's feature branch gets
 * gradients only on an epoch's first step); a variable that never had a gradient stays put
 * (zero moments give a zero update). Moments are float32 like torch's; the update arithmetic
 * runs in double and is stored as float32.
 */
export class MmrecAdam {
  /** Read on every step (LATTICE and MGCN change it per epoch). */
  learningRate: number;
  private readonly m = new Map<tf.Variable, Float32Array>();
  private readonly v = new Map<tf.Variable, Float32Array>();
  private t = 0;

  constructor(
    learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
    private readonly weightDecay = 0,
  ) {
    this.learningRate = learningRate;
  }

  /** One step on the loss over `vars`; returns the loss tensor (the caller disposes it). */
  step(loss: () => tf.Scalar, vars: tf.Variable[]): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, vars);
    try {
      this.t++;
      const { beta1, beta2, eps, weightDecay } = this;
      const stepSize = this.learningRate / (1 - beta1 ** this.t);
      const c2 = Math.sqrt(1 - beta2 ** this.t);
      for (const variable of vars) {
        const grad = grads[variable.name];
        const w = variable.dataSync() as Float32Array;
        let m = this.m.get(variable);
        let v = this.v.get(variable);
        if (!m || !v) {
          m = new Float32Array(w.length);
          v = new Float32Array(w.length);
          this.m.set(variable, m);
          this.v.set(variable, v);
        }
        const out = new Float32Array(w.length);
        // w - (lr / c1) m / (sqrt(v) / c2 + eps) = w - (lr c2 / c1) m / (sqrt(v) + eps c2): one
        // division per element (same value up to rounding). Native in @courier/native-kernels'
        // adamStep when built (the same loop in JS otherwise, bit for bit).
        adamStep(w, grad ? (grad.dataSync() as Float32Array) : null, m, v, out, stepSize * c2, eps * c2, beta1, beta2, weightDecay);
        const next = tf.tensor(out, variable.shape, 'float32');
        variable.assign(next);
        next.dispose();
      }
    } finally {
      tf.dispose(Object.values(grads));
    }
    return value;
  }

  /** Step count and the moments of `vars` (empty arrays for a variable that has had no step yet). */
  getState(vars: readonly tf.Variable[]): { step: number; m: Float32Array[]; v: Float32Array[] } {
    return { step: this.t, m: vars.map((x) => this.m.get(x)?.slice() ?? new Float32Array(0)), v: vars.map((x) => this.v.get(x)?.slice() ?? new Float32Array(0)) };
  }

  /** Restores `getState`'s output for the same variables (in the same order). */
  setState(vars: readonly tf.Variable[], state: { step: number; m: Float32Array[]; v: Float32Array[] }): void {
    this.t = state.step;
    this.m.clear();
    this.v.clear();
    vars.forEach((x, i) => {
      if (state.m[i].length === 0) return;
      if (state.m[i].length !== x.size || state.v[i].length !== x.size) throw new Error(`MmrecAdam.setState: moments of ${x.name} have ${state.m[i].length}/${state.v[i].length} values, the variable ${x.size}`);
      this.m.set(x, state.m[i].slice());
      this.v.set(x, state.v[i].slice());
    });
  }

  dispose(): void {
    this.m.clear();
    this.v.clear();
  }
}

/**
 * One optimizer step with tfjs's optimizer (kept for reference and tests; `trainAndEvaluate`
 * uses `MmrecAdam`, which computes the same update): gradients of the loss; with weight decay,
 * g += wd * param, only for parameters that received a gradient; a trainable variable the loss
 * did not reach this step gets a ZERO gradient. See `MmrecAdam` for why.
 */
export function trainStep(optimizer: tf.Optimizer, loss: () => tf.Scalar, vars: tf.Variable[], weightDecay = 0): tf.Scalar {
  const { value, grads } = tf.variableGrads(loss, vars);
  const named: tf.NamedTensorMap = {};
  tf.tidy(() => {
    for (const v of vars) {
      const g = grads[v.name];
      named[v.name] = tf.keep(g ? (weightDecay > 0 ? tf.add(g, tf.mul(v, weightDecay)) : g) : tf.zerosLike(v));
    }
  });
  optimizer.applyGradients(named);
  tf.dispose(Object.values(grads));
  tf.dispose(Object.values(named));
  return value;
}

export async function trainAndEvaluate(entry: ModelEntry, ds: MmrecDataset, params: ModelParams, seed: number, options: TrainOptions): Promise<RunResult> {
  const rng = new Rng(seed).fork(entry.name);
  const model: RecModel = entry.create(ds, params, rng.fork('model'));
  const shuffleRng = rng.fork('shuffle');
  const negRng = rng.fork('negatives');
  const lr = Number(params.lr);
  // PyTorch Adam's (coupled) weight decay, MMRec's `weight_decay` (SLMRec: 1e-4; 0 elsewhere).
  const weightDecay = params.weightDecay === undefined ? 0 : Number(params.weightDecay);
  if (!Number.isFinite(weightDecay) || weightDecay < 0) throw new Error(`model parameter "weightDecay" must be a non-negative number, got ${JSON.stringify(params.weightDecay)}`);
  const optimizer = new MmrecAdam(lr, 0.9, 0.999, 1e-8, weightDecay);
  const vars = model.trainable();
  const nRows = ds.train.users.length;
  const order = Array.from({ length: nRows }, (_, i) => i);
  let epochs: EpochRecord[] = [];
  let best = -Infinity;
  let bestEpoch = -1;
  let bestValid: MetricRecord = {};
  let bestTest: MetricRecord = {};
  let sinceBest = 0;
  let stopReason: RunResult['stopReason'] = 'max-epochs';
  let firstEpochLoss = NaN;
  const limit = Math.min(options.maxEpochs, options.epochLimit ?? Infinity);
  // Every random stream that moves during training (train-checkpoint.ts).
  const rngs: Record<string, Rng> = { shuffle: shuffleRng, negatives: negRng, ...Object.fromEntries(Object.entries(model.rngs?.() ?? {}).map(([k, r]) => [`model.${k}`, r])) };
  const keys = variableKeys(vars);
  const identity = { model: entry.name, params, seed, nRows };
  const captureState = (epochsDone: number): TrainState => {
    const adam = optimizer.getState(vars);
    return {
      epochsDone,
      adamStep: adam.step,
      variables: vars.map((x, i) => ({ key: keys[i], shape: x.shape.slice(), values: (x.dataSync() as Float32Array).slice(), m: adam.m[i], v: adam.v[i] })),
      rngs: Object.fromEntries(Object.entries(rngs).map(([k, r]) => [k, r.getState()])),
      order: Int32Array.from(order),
      best,
      bestEpoch,
      bestValid,
      bestTest,
      sinceBest,
      firstEpochLoss,
      epochs: epochs.map((e) => ({ ...e })),
    };
  };
  const ck = options.checkpoint;
  let startEpoch = 0;
  let resumedFromEpoch: number | undefined;
  if (ck && fs.existsSync(ck.file)) {
    const state = ck.fresh ? 'a fresh start was asked for' : loadTrainState(ck.file, identity, ck.fingerprint, { keys, shapes: vars.map((x) => x.shape.slice()), rngs: Object.keys(rngs) });
    if (typeof state === 'string') {
      options.log?.(`${options.label ?? entry.name} seed ${seed}: not resuming ${ck.file}: ${state}; training from epoch 0`);
      fs.rmSync(ck.file, { force: true });
    } else {
      state.variables.forEach((v, i) => {
        const t = tf.tensor(v.values, v.shape, 'float32');
        vars[i].assign(t);
        t.dispose();
      });
      optimizer.setState(vars, { step: state.adamStep, m: state.variables.map((v) => v.m), v: state.variables.map((v) => v.v) });
      for (const [k, r] of Object.entries(rngs)) r.setState(state.rngs[k]);
      for (let i = 0; i < nRows; i++) order[i] = state.order[i];
      ({ best, bestEpoch, bestValid, bestTest, sinceBest, firstEpochLoss, epochs } = state);
      startEpoch = resumedFromEpoch = state.epochsDone;
      options.log?.(`${options.label ?? entry.name} seed ${seed}: resuming from ${ck.file} after epoch ${startEpoch - 1} (best valid R@20 ${Number.isFinite(best) ? best.toFixed(4) : '-'} @${bestEpoch}, ${sinceBest} epochs since)`);
    }
  }
  let lastSave = performance.now();
  try {
    for (let epoch = startEpoch; epoch < limit; epoch++) {
      const t0 = performance.now();
      if (entry.lrSchedule) optimizer.learningRate = lr * entry.lrSchedule.factor ** (epoch / entry.lrSchedule.every);
      model.preEpoch?.(epoch);
      shuffleRng.shuffle(order);
      let lossSum = 0;
      let nBatches = 0;
      let nan = false;
      for (let start = 0; start < nRows; start += options.batchSize) {
        const B = Math.min(options.batchSize, nRows - start);
        const users = new Int32Array(B);
        const pos = new Int32Array(B);
        for (let b = 0; b < B; b++) {
          const r = order[start + b];
          users[b] = ds.train.users[r];
          pos[b] = ds.train.items[r];
        }
        const neg = model.needsNegatives ? sampleNegatives(ds, users, negRng) : null;
        const batch: Batch = { users, pos, neg: neg ?? undefined };
        const lossT = optimizer.step(() => model.loss(batch), vars);
        const loss = (await lossT.data())[0];
        lossT.dispose();
        if (!Number.isFinite(loss)) {
          nan = true;
          break;
        }
        lossSum += loss;
        nBatches++;
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const epochLoss = lossSum / Math.max(1, nBatches);
      if (epoch === 0) firstEpochLoss = epochLoss;
      if (nan) {
        stopReason = 'nan-loss';
        options.log?.(`${entry.name} epoch ${epoch}: NaN loss, stopping (best epoch ${bestEpoch})`);
        break;
      }
      if (options.skipEval) {
        epochs.push({ epoch, loss: epochLoss, trainSeconds, evalSeconds: 0, validRecall20: NaN });
        options.log?.(`${entry.name} epoch ${epoch}: loss ${epochLoss.toFixed(4)} train ${trainSeconds.toFixed(2)}s`);
      } else {
        const t1 = performance.now();
        const scorer = model.scorer();
        let res: Record<string, MetricRecord>;
        try {
          res = await evaluateSplits(scorer.score, { valid: ds.valid, test: ds.test }, { nItems: ds.nItems, trainItemsByUser: ds.trainItemsByUser, blockSize: options.evalBlockSize });
        } finally {
          scorer.dispose();
        }
        const evalSeconds = (performance.now() - t1) / 1000;
        const valid = roundAll(res.valid);
        const test = roundAll(res.test);
        const v = valid['recall@20'];
        epochs.push({ epoch, loss: epochLoss, trainSeconds, evalSeconds, validRecall20: v });
        if (v > best) {
          best = v;
          bestEpoch = epoch;
          bestValid = valid;
          bestTest = test;
          sinceBest = 0;
        } else {
          sinceBest++;
        }
        if (epoch % (options.logEvery ?? 1) === 0) options.log?.(
          `${entry.name} epoch ${epoch}: loss ${epochLoss.toFixed(4)} valid R@20 ${v.toFixed(4)} test R@20 ${test['recall@20'].toFixed(4)} ` +
            `(best ${best.toFixed(4)} @${bestEpoch}) train ${trainSeconds.toFixed(2)}s eval ${evalSeconds.toFixed(2)}s`,
        );
        if (sinceBest > options.patience) {
          stopReason = 'patience';
          break;
        }
        if (epoch + 1 === limit && limit < options.maxEpochs) stopReason = 'epoch-limit';
      }
      // The run goes on: checkpoint when due (the finished run's result is the caller's to store).
      const done = epoch + 1;
      if (ck && done < limit) {
        const stop = ck.stopAfterEpochs !== undefined && done - startEpoch >= ck.stopAfterEpochs;
        const due = (ck.everyEpochs > 0 && done % ck.everyEpochs === 0) || (ck.everySeconds > 0 && performance.now() - lastSave >= ck.everySeconds * 1000);
        if (due || stop) {
          const s0 = performance.now();
          const bytes = saveTrainState(ck.file, captureState(done), identity, ck.fingerprint);
          lastSave = performance.now();
          options.log?.(`${options.label ?? entry.name} seed ${seed}: checkpoint after epoch ${epoch} (${(bytes / 1e6).toFixed(1)} MB, ${((lastSave - s0) / 1000).toFixed(2)} s)`);
        }
        if (stop) throw new TrainingStopped(done, ck.file);
      }
    }
    options.onFinalState?.(captureState(epochs.length));
    return {
      model: entry.name,
      params,
      seed,
      paramCount: trainableParamCount(model),
      bestEpoch,
      valid: bestValid,
      test: bestTest,
      epochs,
      stopReason,
      firstEpochLoss,
      ...(resumedFromEpoch !== undefined ? { resumedFromEpoch } : {}),
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

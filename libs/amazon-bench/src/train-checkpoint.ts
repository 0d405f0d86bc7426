/**
 * Epoch checkpoints of one training run (issue #23: a Table 2 run lasts days, a session hours).
 *
 * `trainAndEvaluate` carries exactly this from one epoch to the next, so a run restarted from a
 * checkpoint taken at an epoch boundary continues bit for bit like one that was never stopped:
 * - the trainable variables (in `trainable()` order; the others are rebuilt from the seed and
 *   never change), Adam's moments and step count;
 * - the Rng states: the batch shuffle, the negative sampler and the model's own streams
 *   (`RecModel.rngs()`: BM3's dropout, DualGNN's user-graph sampling), and the row order the
 *   shuffle permutes in place (it carries over between epochs);
 * - early stopping: best validation Recall@20, its epoch, the validation and TEST metrics of that
 *   epoch, the epochs since it, and the per-epoch records (loss, seconds, validation R@20).
 * What a model caches between steps (the last forward pass the scorer reuses, LATTICE's learned
 * graph, DualGNN's sampled user graph) is rebuilt by the next epoch's steps before it is read.
 *
 * The file is @courier/nn's checkpoint format (`writeCheckpoint`: one file, written atomically:
 * temporary name, then rename), the same as COURIER pre-training's: tensors `model/<i>:<name>`,
 * `adam.m/<i>:<name>`, `adam.v/<i>:<name>`, `state/order`; the header's `fingerprint` is the
 * run's (run-store.ts), `step` Adam's step, `epoch` the epochs done, `rngState` the shuffle's,
 * `lossHistory` the epoch losses and `model` the rest. A checkpoint whose fingerprint, model,
 * seed, shapes or data size differ from the run's is never resumed (the caller logs why).
 */
import * as fs from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import type { RngState } from '@courier/runtime';
import { Checkpoint, CheckpointHeader, readCheckpoint, writeCheckpoint } from '@courier/nn';
import type { MetricRecord } from './evaluate';
import type { ModelParams } from './models';

export const RUN_CHECKPOINT_FILE = 'checkpoint.ckpt';

/** When and where `trainAndEvaluate` writes its checkpoint. */
export interface CheckpointPolicy {
  file: string;
  /** The run's fingerprint (model, params, seed, protocol, data, code); a checkpoint with another is not resumed. */
  fingerprint: string;
  /** Write after every this many epochs (0 = off). */
  everyEpochs: number;
  /** Also write when this many seconds passed since the last write or the run's start in this process (0 = off). */
  everySeconds: number;
  /** Ignore (and delete) an existing checkpoint. */
  fresh?: boolean;
  /** Test hook: after this many epochs of this process, write a checkpoint and throw `TrainingStopped` (as if killed). */
  stopAfterEpochs?: number;
}

/** Per-epoch record (train.ts re-exports it). */
export interface EpochRecord {
  epoch: number;
  loss: number;
  trainSeconds: number;
  evalSeconds: number;
  validRecall20: number;
}

/** Everything that carries over an epoch boundary (see the module comment). */
export interface TrainState {
  /** Epochs done = the next epoch's index. */
  epochsDone: number;
  adamStep: number;
  /** Trainable variables in `trainable()` order, keyed `<i>:<name without the store scope>`. */
  variables: { key: string; shape: number[]; values: Float32Array; m: Float32Array; v: Float32Array }[];
  rngs: Record<string, RngState>;
  order: Int32Array;
  best: number;
  bestEpoch: number;
  bestValid: MetricRecord;
  bestTest: MetricRecord;
  sinceBest: number;
  firstEpochLoss: number;
  epochs: EpochRecord[];
}

/** What the run is, checked against a checkpoint before it is resumed. */
export interface RunIdentity {
  model: string;
  params: ModelParams;
  seed: number;
  nRows: number;
}

/** `<i>:<name>`: the variable's place in `trainable()` and its name without the process-global store scope (`bm30/Eu` -> `Eu`). */
export function variableKeys(vars: readonly tf.Variable[]): string[] {
  return vars.map((v, i) => `${i}:${v.name.includes('/') ? v.name.slice(v.name.indexOf('/') + 1) : v.name}`);
}

/** JSON cannot hold NaN or +-Infinity: they travel as the strings "NaN", "Infinity", "-Infinity". */
export function encodeNonFinite(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(encodeNonFinite);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, encodeNonFinite(v)]));
  return value;
}

export function decodeNonFinite<T>(value: unknown): T {
  if (value === 'NaN') return NaN as T;
  if (value === 'Infinity') return Infinity as T;
  if (value === '-Infinity') return -Infinity as T;
  if (Array.isArray(value)) return value.map((v) => decodeNonFinite(v)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, decodeNonFinite(v)])) as T;
  return value as T;
}

interface StateHeaderModel {
  kind: 'amazon-bench-train';
  rngs: Record<string, RngState>;
  best: unknown;
  bestEpoch: number;
  bestValid: unknown;
  bestTest: unknown;
  sinceBest: number;
  firstEpochLoss: unknown;
  epochs: unknown;
  variables: string[];
}

/** Writes the state atomically (@courier/nn's format); returns the bytes written. */
export function saveTrainState(file: string, state: TrainState, id: RunIdentity, fingerprint: string): number {
  if (state.order.length > 1 << 24) throw new Error(`saveTrainState: ${state.order.length} training rows do not fit float32 exactly (at most 2^24)`);
  const tensors: Checkpoint['tensors'] = new Map();
  for (const v of state.variables) {
    tensors.set(`model/${v.key}`, { shape: v.shape, values: v.values });
    tensors.set(`adam.m/${v.key}`, { shape: [v.m.length], values: v.m });
    tensors.set(`adam.v/${v.key}`, { shape: [v.v.length], values: v.v });
  }
  tensors.set('state/order', { shape: [state.order.length], values: Float32Array.from(state.order) });
  const model: StateHeaderModel = {
    kind: 'amazon-bench-train',
    rngs: state.rngs,
    best: encodeNonFinite(state.best),
    bestEpoch: state.bestEpoch,
    bestValid: encodeNonFinite(state.bestValid),
    bestTest: encodeNonFinite(state.bestTest),
    sinceBest: state.sinceBest,
    firstEpochLoss: encodeNonFinite(state.firstEpochLoss),
    epochs: encodeNonFinite(state.epochs),
    variables: state.variables.map((v) => v.key),
  };
  const header: CheckpointHeader = {
    version: 1,
    fingerprint,
    step: state.adamStep,
    epoch: state.epochsDone,
    position: 0,
    complete: false,
    rngState: state.rngs.shuffle,
    lossHistory: state.epochs.map((e) => e.loss),
    config: { model: id.model, params: id.params, seed: id.seed, nRows: id.nRows },
    model: model as unknown as Record<string, unknown>,
    savedAt: new Date().toISOString(),
  };
  writeCheckpoint(file, { header, tensors });
  return fs.statSync(file).size;
}

/**
 * The header of a checkpoint without reading its tensors (a BM3 checkpoint on the Baby-sized
 * data is ~400 MB): the layout of @courier/nn's checkpoint.ts, "COURIER-CKPT1\n" | u32 LE header
 * length | header JSON. Null when the file is missing or not a checkpoint.
 */
export function readCheckpointHeader(file: string): CheckpointHeader | null {
  const MAGIC = 'COURIER-CKPT1\n';
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const prefix = Buffer.alloc(MAGIC.length + 4);
    if (fs.readSync(fd, prefix, 0, prefix.length, 0) !== prefix.length || prefix.toString('utf8', 0, MAGIC.length) !== MAGIC) return null;
    const len = prefix.readUInt32LE(MAGIC.length);
    const json = Buffer.alloc(len);
    if (fs.readSync(fd, json, 0, len, prefix.length) !== len) return null;
    return JSON.parse(json.toString('utf8')) as CheckpointHeader;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The state in `file` if this run may resume it, else why not (a sentence for the log).
 * `expected`: the run's variable keys and shapes and its Rng stream names.
 */
export function loadTrainState(file: string, id: RunIdentity, fingerprint: string, expected: { keys: string[]; shapes: number[][]; rngs: string[] }): TrainState | string {
  let ckpt: Checkpoint;
  try {
    ckpt = readCheckpoint(file);
  } catch (err) {
    return `the checkpoint is unreadable (${(err as Error).message})`;
  }
  const h = ckpt.header;
  const m = h.model as unknown as StateHeaderModel;
  if (m?.kind !== 'amazon-bench-train') return 'it is not an amazon-bench training checkpoint';
  if (h.fingerprint !== fingerprint) return `it was written under fingerprint ${String(h.fingerprint).slice(0, 12)}, this run's is ${fingerprint.slice(0, 12)} (data, settings or code changed)`;
  const c = h.config as Partial<RunIdentity>;
  if (c.model !== id.model || c.seed !== id.seed || c.nRows !== id.nRows) return `it is for ${String(c.model)} seed ${String(c.seed)} on ${String(c.nRows)} rows, this run is ${id.model} seed ${id.seed} on ${id.nRows}`;
  if (m.variables.length !== expected.keys.length || m.variables.some((k, i) => k !== expected.keys[i])) return `its variables (${m.variables.length}) are not the model's (${expected.keys.length})`;
  const missingRng = expected.rngs.filter((r) => !m.rngs[r]);
  if (missingRng.length) return `it lacks the Rng state of ${missingRng.join(', ')}`;
  const variables: TrainState['variables'] = [];
  for (let i = 0; i < expected.keys.length; i++) {
    const key = expected.keys[i];
    const w = ckpt.tensors.get(`model/${key}`);
    const mm = ckpt.tensors.get(`adam.m/${key}`);
    const vv = ckpt.tensors.get(`adam.v/${key}`);
    if (!w || !mm || !vv) return `it lacks tensor model/adam of "${key}"`;
    const shape = expected.shapes[i];
    if (w.shape.length !== shape.length || w.shape.some((d, j) => d !== shape[j])) return `variable "${key}" is [${w.shape}] there, [${shape}] here`;
    if ((mm.values.length !== 0 && mm.values.length !== w.values.length) || mm.values.length !== vv.values.length) return `Adam's moments of "${key}" have the wrong size`;
    variables.push({ key, shape, values: w.values, m: mm.values, v: vv.values });
  }
  const order = ckpt.tensors.get('state/order');
  if (!order || order.values.length !== id.nRows) return `its row order has ${order?.values.length ?? 0} entries, the data ${id.nRows} rows`;
  const epochs = decodeNonFinite<EpochRecord[]>(m.epochs);
  if (epochs.length !== h.epoch) return `it records ${epochs.length} epochs but says ${h.epoch} are done`;
  return {
    epochsDone: h.epoch,
    adamStep: h.step,
    variables,
    rngs: m.rngs,
    order: Int32Array.from(order.values),
    best: decodeNonFinite<number>(m.best),
    bestEpoch: m.bestEpoch,
    bestValid: decodeNonFinite<MetricRecord>(m.bestValid),
    bestTest: decodeNonFinite<MetricRecord>(m.bestTest),
    sinceBest: m.sinceBest,
    firstEpochLoss: decodeNonFinite<number>(m.firstEpochLoss),
    epochs,
  };
}

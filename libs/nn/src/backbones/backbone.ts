/**
 * Image backbones: image (or precomputed feature vector) -> embedding. One interface (here), one
 * registry (registry.ts, STYLE guideline 4): each backend registers `{ name, input, defaults,
 * create }`; `createBackbone` looks it up (unknown name -> error listing the known ones), builds
 * it and checks it yields [n, dim] on a probe input.
 *
 * Every backbone ends in a linear head to `dim` (paper: d = 256). `forward` returns the head's raw
 * output (what the COURIER loss sees, see trainer.ts); `embed` returns it L2-normalised (what is
 * exported). Weights are seeded from an Rng, so the same seed gives the same initial model.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { RandomSource, glorotUniform, heUniform, uniform, zeros } from '../init';
import { addDense, l2NormalizeRows } from '../layers';
import { NamedVariable, VariableStore } from '../store';

export type { NamedVariable } from '../store';

/** [n, H, W, 3] images in [0, 1] (RGB, channels last) or [n, F] feature vectors. */
export type BackboneInput = tf.Tensor4D | tf.Tensor2D;
export type BackboneInputKind = 'image' | 'features';

export interface Backbone {
  readonly name: string;
  readonly input: BackboneInputKind;
  /** Output size d. */
  readonly dim: number;
  /** Trainable variables, in a fixed order. */
  readonly variables: readonly NamedVariable[];
  /** Linear-head output [n, dim], not normalised. */
  forward(x: BackboneInput, training: boolean): tf.Tensor2D;
  /** L2-normalised embedding [n, dim]. */
  embed(x: BackboneInput): tf.Tensor2D;
  dispose(): void;
}

export interface BackboneCreateOptions {
  /** Embedding size d. */
  dim: number;
  /** Side of the square input image in pixels (image backbones). */
  imageSize: number;
  /** Length of the precomputed feature vectors (feature backbones). */
  featureDim: number;
  /** Seed of the weight initialisation. */
  seed: number;
  /** Backbone-specific parameters, merged over the entry's defaults. */
  params: Record<string, unknown>;
}

export interface BackboneEntry {
  name: string;
  input: BackboneInputKind;
  /** One line for READMEs and errors. */
  doc: string;
  /** Backbone-specific parameters with their defaults (config key `backboneParams`). */
  defaults: Record<string, unknown>;
  create(options: BackboneCreateOptions): Backbone | Promise<Backbone>;
}

// ---------------------------------------------------------------------------------------------
// Building blocks shared by the backbones.

/**
 * A @courier/nn VariableStore whose initial values are drawn from one Rng in creation order
 * (each backbone, head and projection has its own, so adding one does not shift another's).
 * tfjs names: courier-bb<k>/<name>.
 */
export class SeededVariableStore extends VariableStore {
  readonly random: RandomSource;
  constructor(rng: Rng) {
    super('courier-bb');
    this.random = () => rng.next();
  }

  /** A variable drawn from U(-limit, limit) (He-uniform for ReLU layers: limit = sqrt(6 / fanIn)). */
  uniform(name: string, shape: number[], limit: number): tf.Variable {
    return this.add(name, uniform(shape, -limit, limit, this.random), shape);
  }

  zeros(name: string, shape: number[]): tf.Variable {
    return this.add(name, zeros(shape), shape);
  }
}

export interface Dense {
  w: tf.Variable;
  b: tf.Variable;
}

/** A dense layer `name/kernel`, `name/bias`: He-uniform weights for ReLU layers, Glorot-uniform for linear ones; zero bias. */
export function denseLayer(store: SeededVariableStore, name: string, fanIn: number, fanOut: number, relu: boolean): Dense {
  const { w, b } = addDense(store, name, fanIn, fanOut, { kernel: (shape) => (relu ? heUniform(shape, store.random) : glorotUniform(shape, store.random)) });
  return { w, b: b as tf.Variable }; // addDense made a bias (no `bias: null`)
}

/**
 * Rows scaled to unit L2 norm (norm clamped at 1e-12), in a tidy. [n, d] -> [n, d]. tfjs's
 * gradient of the composition (@courier/nn's 'autodiff'), which the golden tests pin.
 */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => l2NormalizeRows(x, { gradient: 'autodiff' }));
}

/** Reads a numeric list parameter (e.g. hidden sizes), naming the backbone and key on error. */
export function intListParam(backbone: string, params: Record<string, unknown>, key: string): number[] {
  const v = params[key];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x > 0)) {
    throw new Error(`backbone "${backbone}": parameter "${key}" must be a list of positive integers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

/** Checks the input's rank and trailing shape against what the backbone expects. */
export function checkInput(backbone: string, x: tf.Tensor, expected: number[]): void {
  const ok = x.rank === expected.length + 1 && expected.every((s, i) => x.shape[i + 1] === s);
  if (!ok) throw new Error(`backbone "${backbone}": input has shape [${x.shape.join(', ')}], expected [n, ${expected.join(', ')}]`);
}

/** A backbone input tensor from row-major values and a shape [n, ...itemShape]. */
export function toInput(values: Float32Array, shape: readonly number[]): BackboneInput {
  const t: tf.Tensor = tf.tensor(values, shape.slice());
  return t as BackboneInput;
}

/**
 * Adam with weight decay, written out so its whole state (moments and step) can be checkpointed
 * and restored exactly. Matches torch.optim.Adam (eps outside the square root, bias correction
 * computed in float64 on the host). Weight decay:
 *   'l2'        g += wd * w before the moments (torch.optim.Adam's weight_decay; the paper's
 *               setting "Adam, weight decay 1e-6" is read this way, the default);
 *   'decoupled' w -= lr * wd * w after the step (AdamW).
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from './backbones/backbone';

export interface AdamOptions {
  lr: number;
  weightDecay: number;
  weightDecayMode: 'l2' | 'decoupled';
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamState {
  step: number;
  /** First and second moments by variable name. */
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class Adam {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    private readonly variables: readonly NamedVariable[],
    private readonly options: AdamOptions,
  ) {
    if (!(options.lr > 0)) throw new Error(`Adam: lr must be > 0, got ${options.lr}`);
    if (!(options.weightDecay >= 0)) throw new Error(`Adam: weightDecay must be >= 0, got ${options.weightDecay}`);
    if (options.weightDecayMode !== 'l2' && options.weightDecayMode !== 'decoupled') throw new Error(`Adam: weightDecayMode must be "l2" or "decoupled", got "${String(options.weightDecayMode)}"`);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    for (const { name, variable } of variables) {
      for (const store of [this.m, this.v]) {
        const zeros = tf.zerosLike(variable);
        store.set(name, tf.variable(zeros, false));
        zeros.dispose();
      }
    }
  }

  get step(): number {
    return this.t;
  }

  /** One update; `grads` maps tfjs variable names (variable.name) to gradients. */
  apply(grads: Record<string, tf.Tensor>): void {
    this.t++;
    const { lr, weightDecay, weightDecayMode } = this.options;
    const bc1 = 1 - Math.pow(this.beta1, this.t);
    const bc2 = 1 - Math.pow(this.beta2, this.t);
    tf.tidy(() => {
      for (const { name, variable } of this.variables) {
        let g = grads[variable.name];
        if (!g) throw new Error(`Adam: no gradient for variable "${name}" (is it connected to the loss?)`);
        if (weightDecayMode === 'l2' && weightDecay > 0) g = tf.add(g, tf.mul(variable, weightDecay));
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.epsilon);
        let next = tf.sub(variable, tf.mul(tf.div(m, denom), lr / bc1));
        if (weightDecayMode === 'decoupled' && weightDecay > 0) next = tf.sub(next, tf.mul(variable, lr * weightDecay));
        variable.assign(next);
      }
    });
  }

  async getState(): Promise<AdamState> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const { name } of this.variables) {
      m[name] = (await this.m.get(name)!.data()) as Float32Array;
      v[name] = (await this.v.get(name)!.data()) as Float32Array;
    }
    return { step: this.t, m, v };
  }

  setState(state: AdamState): void {
    for (const { name, variable } of this.variables) {
      for (const [which, store] of [['m', this.m], ['v', this.v]] as const) {
        const values = state[which][name];
        if (!values || values.length !== variable.size) throw new Error(`Adam.setState: ${which} of "${name}" has ${values?.length ?? 'no'} values, expected ${variable.size}`);
        const t = tf.tensor(values, variable.shape);
        store.get(name)!.assign(t);
        t.dispose();
      }
    }
    this.t = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

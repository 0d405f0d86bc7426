import * as tf from '@tensorflow/tfjs';

/** A variable with a short name that is stable across processes (checkpoints key on it). */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/** Host copy of one variable: its shape and float32 values. */
export interface VariableValues {
  shape: number[];
  values: Float32Array;
}

const prefixCounts = new Map<string, number>();

/**
 * Named variables of one model, in creation order, with one `dispose()`.
 *
 * tfjs variable names are process-global, so each store registers its variables as
 * `<prefix><k>/<name>` (k counts stores per prefix); `name` is the short one. Every tensor the
 * store makes for a variable's value is disposed once the variable holds it, so building,
 * restoring and disposing a model leaves `tf.memory().numTensors` where it was.
 */
export class VariableStore {
  readonly variables: NamedVariable[] = [];
  private readonly table = new Map<string, tf.Variable>();
  private readonly scope: string;
  private disposed = false;

  constructor(prefix = 'nn') {
    const k = prefixCounts.get(prefix) ?? 0;
    prefixCounts.set(prefix, k + 1);
    this.scope = `${prefix}${k}`;
  }

  /** A new variable initialised to `values` (row-major, `shape`); a second one with the same name is an error. */
  add(name: string, values: Float32Array, shape: readonly number[], trainable = true): tf.Variable {
    this.checkOpen();
    if (this.table.has(name)) throw new Error(`VariableStore: duplicate variable "${name}"`);
    checkSize(name, values, shape);
    // tf.variable keeps its own reference to the data; the initial tensor is ours to dispose.
    const initial = tf.tensor(values, shape.slice(), 'float32');
    const variable = tf.variable(initial, trainable, `${this.scope}/${name}`);
    initial.dispose();
    this.table.set(name, variable);
    this.variables.push({ name, variable });
    return variable;
  }

  /** The variables by short name, in creation order (a read-only view). */
  get byName(): ReadonlyMap<string, tf.Variable> {
    return this.table;
  }

  get(name: string): tf.Variable {
    const v = this.table.get(name);
    if (!v) throw new Error(`VariableStore: no variable "${name}"`);
    return v;
  }

  has(name: string): boolean {
    return this.table.has(name);
  }

  /** The tf.Variables in creation order (for tf.variableGrads / optimisers). */
  list(): tf.Variable[] {
    return this.variables.map((v) => v.variable);
  }

  /** Replaces one variable's value; the temporary tensor is disposed and the old value released. */
  assign(name: string, values: Float32Array): void {
    this.checkOpen();
    const v = this.get(name);
    checkSize(name, values, v.shape);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
  }

  /** Host copies of every variable, by short name. */
  snapshot(): Record<string, VariableValues> {
    this.checkOpen();
    const out: Record<string, VariableValues> = {};
    for (const { name, variable } of this.variables) out[name] = { shape: variable.shape.slice(), values: (variable.dataSync() as Float32Array).slice() };
    return out;
  }

  /**
   * Assigns every variable from a snapshot (shapes must match). A variable missing from the
   * snapshot is an error unless `partial`, then it keeps its value and is listed in `skipped`.
   */
  restore(snapshot: Record<string, VariableValues>, options: { partial?: boolean } = {}): { loaded: string[]; skipped: string[] } {
    this.checkOpen();
    const loaded: string[] = [];
    const skipped: string[] = [];
    // Checked before any assignment, so a refused snapshot changes nothing.
    for (const { name, variable } of this.variables) {
      const snap = snapshot[name];
      if (!snap) {
        if (!options.partial) throw new Error(`VariableStore.restore: variable "${name}" is missing from the snapshot`);
        continue;
      }
      const same = snap.shape.length === variable.shape.length && snap.shape.every((d, i) => d === variable.shape[i]);
      if (!same) throw new Error(`VariableStore.restore: variable "${name}" has shape [${snap.shape}] in the snapshot but [${variable.shape}] here`);
    }
    for (const { name } of this.variables) {
      const snap = snapshot[name];
      if (!snap) {
        skipped.push(name);
        continue;
      }
      this.assign(name, snap.values);
      loaded.push(name);
    }
    return { loaded, skipped };
  }

  /** Disposes every variable; the store cannot be used afterwards. A second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { variable } of this.variables) variable.dispose();
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('VariableStore: used after dispose()');
  }
}

function checkSize(name: string, values: Float32Array, shape: readonly number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw new Error(`VariableStore: variable "${name}" has ${values.length} values for shape [${shape.join(', ')}] (${size})`);
}

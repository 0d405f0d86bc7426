import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '@courier/runtime';
import { VariableStore, addDense, dense, fillNormal, fillUniform, gatherRows, glorotNormal, glorotUniform, heNormal, heUniform, l2NormalizeRows, zeros } from './index';

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

const random = (seed: number) => {
  const rng = new Rng(seed);
  return () => rng.next();
};

function meanVar(v: Float32Array): { mean: number; variance: number } {
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, variance: q / v.length };
}

describe('gatherRows', () => {
  it('gathers rows of any rank and its gradient equals a float64 scatter-add', () => {
    const n = 7;
    const d = 5;
    const rng = new Rng(3);
    const xv = Float32Array.from({ length: n * d }, () => rng.normal());
    const idx = Int32Array.from([4, 0, 4, 6, 2, 4, 0]); // duplicates accumulate; rows 1, 3, 5 never gathered
    const wv = Float32Array.from({ length: idx.length * d }, () => rng.normal());
    const x = tf.tensor2d(xv, [n, d]);
    const w = tf.tensor2d(wv, [idx.length, d]);
    const out = gatherRows(x, idx);
    expect(out.shape).toEqual([idx.length, d]);
    const ov = out.dataSync();
    for (let r = 0; r < idx.length; r++) for (let k = 0; k < d; k++) expect(ov[r * d + k]).toBe(xv[idx[r] * d + k]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, idx), w)))(x).dataSync();
    // Reference: scatter-add of dy = w in float64.
    const ref = new Float64Array(n * d);
    for (let r = 0; r < idx.length; r++) for (let k = 0; k < d; k++) ref[idx[r] * d + k] += wv[r * d + k];
    for (let i = 0; i < n * d; i++) expect(g[i]).toBeCloseTo(ref[i], 5);
    for (const row of [1, 3, 5]) for (let k = 0; k < d; k++) expect(g[row * d + k]).toBe(0);
    // Rank 3 and a plain number[] of indices; an int32 tensor of indices gives the same rows.
    const x3 = tf.reshape(x, [n, 1, d]);
    expect(gatherRows(x3, [6, 6]).shape).toEqual([2, 1, d]);
    const it = tf.tensor1d(idx, 'int32');
    expect(Array.from(gatherRows(x, it).dataSync())).toEqual(Array.from(ov));
    expect(() => gatherRows(x, tf.tensor1d([0.5]))).toThrow(/1-D int32/);
    tf.dispose([x, w, out, x3, it]);
  });

  it('names a bad index and its position, and leaves no tensors behind', () => {
    const x = tf.zeros([5, 2]) as tf.Tensor2D;
    expect(() => gatherRows(x, Int32Array.from([1, 5]))).toThrow(/gatherRows: index 5 at position 1 is outside \[0, 5\)/);
    expect(() => gatherRows(x, [-1])).toThrow(/index -1 at position 0/);
    const before = tf.memory().numTensors;
    tf.grad((t: tf.Tensor) => tf.sum(gatherRows(t as tf.Tensor2D, [0, 0, 3])))(x).dispose();
    gatherRows(x, [2]).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('initialisers', () => {
  it('are deterministic per seed and differ between seeds', () => {
    for (const init of [glorotUniform, glorotNormal, heUniform, heNormal]) {
      const a = init([30, 20], random(5));
      expect(Array.from(init([30, 20], random(5)))).toEqual(Array.from(a));
      expect(Array.from(init([30, 20], random(6)))).not.toEqual(Array.from(a));
    }
    expect(Array.from(zeros([3, 2]))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('have the expected range and variance', () => {
    const [fi, fo] = [200, 300];
    const gu = glorotUniform([fi, fo], random(1));
    const gLimit = Math.sqrt(6 / (fi + fo));
    expect(Math.max(...gu)).toBeLessThan(gLimit);
    expect(Math.min(...gu)).toBeGreaterThanOrEqual(-gLimit);
    expect(meanVar(gu).variance).toBeCloseTo(gLimit ** 2 / 3, 4); // U(-b, b): b^2 / 3 = 2 / (in + out)
    const hu = heUniform([fi, fo], random(2));
    expect(Math.max(...hu.map(Math.abs))).toBeLessThan(Math.sqrt(6 / fi));
    expect(meanVar(hu).variance / (2 / fi)).toBeCloseTo(1, 1);
    const gn = meanVar(glorotNormal([fi, fo], random(3)));
    expect(Math.abs(gn.mean)).toBeLessThan(0.002);
    expect(gn.variance / (2 / (fi + fo))).toBeCloseTo(1, 1);
    const hn = meanVar(heNormal([fi, fo], random(4)));
    expect(hn.variance / (2 / fi)).toBeCloseTo(1, 1);
    // A conv kernel [kh, kw, in, out] folds the receptive field into the fans.
    const conv = heUniform([3, 3, 4, 8], random(5));
    expect(conv.length).toBe(288);
    expect(Math.max(...conv.map(Math.abs))).toBeLessThan(Math.sqrt(6 / 36));
  });

  it("keep the caller's stream: uniform equals Rng.uniform, rng-normal rounding equals Rng.normal", () => {
    const a = new Rng(9);
    const b = new Rng(9);
    const u = fillUniform(101, -0.3, 0.3, () => a.next());
    expect(Array.from(u)).toEqual(Array.from(Float32Array.from({ length: 101 }, () => b.uniform(-0.3, 0.3))));
    const c = new Rng(10);
    const e = new Rng(10);
    const nv = fillNormal(101, 0.05, () => c.next(), { mean: 0, rounding: 'rng-normal' });
    expect(Array.from(nv)).toEqual(Array.from(Float32Array.from({ length: 101 }, () => e.normal(0, 0.05))));
    // Both streams drew the same count (51 pairs, the last spare unused).
    expect(c.next()).toBe(e.next());
  });
});

describe('dense and l2NormalizeRows', () => {
  it('dense computes x W + b, with relu', () => {
    const x = tf.tensor2d([[1, 2], [-3, 0.5]]);
    const layer = { w: tf.tensor2d([[1, -1, 0], [0.5, 2, -2]]), b: tf.tensor1d([0.1, -0.2, 0.3]) };
    const ref = [
      [1 + 1 + 0.1, -1 + 4 - 0.2, 0 - 4 + 0.3],
      [-3 + 0.25 + 0.1, 3 + 1 - 0.2, 0 - 1 + 0.3],
    ];
    const y = dense(x, layer).arraySync();
    for (let r = 0; r < 2; r++) for (let k = 0; k < 3; k++) expect(y[r][k]).toBeCloseTo(ref[r][k], 5);
    const z = dense(x, layer, 'relu').arraySync();
    for (let r = 0; r < 2; r++) for (let k = 0; k < 3; k++) expect(z[r][k]).toBeCloseTo(Math.max(0, ref[r][k]), 5);
    expect(dense(x, { w: layer.w, b: null }).arraySync()[0][0]).toBeCloseTo(2, 5);
    tf.dispose([x, layer.w, layer.b]);
  });

  it('l2NormalizeRows: unit rows, and the closed-form gradient equals autodiff', () => {
    const rng = new Rng(4);
    const x = tf.tensor2d(Float32Array.from({ length: 24 }, () => rng.normal()), [6, 4]);
    const w = tf.tensor2d(Float32Array.from({ length: 24 }, () => rng.normal()), [6, 4]);
    const y = l2NormalizeRows(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(l2NormalizeRows(x, { gradient: 'autodiff' }).dataSync()));
    const norms = tf.sum(tf.square(y), 1).dataSync();
    for (const s of norms) expect(s).toBeCloseTo(1, 5);
    const grad = (mode: 'closed-form' | 'autodiff') => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(l2NormalizeRows(t as tf.Tensor2D, { gradient: mode }), w)))(x).dataSync();
    const a = grad('closed-form');
    const b = grad('autodiff');
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
  });
});

describe('VariableStore', () => {
  it('builds, snapshots, restores and disposes without leaving tensors', () => {
    const start = tf.memory().numTensors;
    const store = new VariableStore('spec');
    const rnd = random(1);
    const layer = addDense(store, 'fc', 4, 3, { kernel: (s) => glorotUniform(s, rnd) });
    store.add('table', fillNormal(10, 0.1, rnd), [5, 2]);
    expect(store.variables.map((v) => v.name)).toEqual(['fc/kernel', 'fc/bias', 'table']);
    expect(Array.from(layer.b!.dataSync())).toEqual([0, 0, 0]);
    expect(tf.memory().numTensors).toBe(start + 3);
    const snap = store.snapshot();
    store.assign('table', new Float32Array(10).fill(7));
    store.assign('fc/kernel', new Float32Array(12));
    expect(tf.memory().numTensors).toBe(start + 3);
    const restored = store.restore(snap);
    expect(restored.loaded).toEqual(['fc/kernel', 'fc/bias', 'table']);
    expect(Array.from(store.get('table').dataSync())).toEqual(Array.from(snap.table.values));
    expect(tf.memory().numTensors).toBe(start + 3);
    expect(() => store.add('table', new Float32Array(2), [2])).toThrow(/duplicate variable "table"/);
    expect(() => store.restore({ ...snap, table: { shape: [2, 5], values: snap.table.values } })).toThrow(/shape \[2,5\]/);
    const { table: _dropped, ...partial } = snap;
    expect(store.restore(partial, { partial: true }).skipped).toEqual(['table']);
    store.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(() => store.get('table').dataSync()).toThrow();
    expect(() => store.snapshot()).toThrow(/after dispose/);
  });

  it('gives two stores of one prefix distinct tfjs names', () => {
    const a = new VariableStore('twin');
    const b = new VariableStore('twin');
    const va = a.add('w', zeros([1]), [1]);
    const vb = b.add('w', zeros([1]), [1]);
    expect(va.name).not.toBe(vb.name);
    a.dispose();
    b.dispose();
  });
});

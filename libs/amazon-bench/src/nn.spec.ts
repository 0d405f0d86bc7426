/**
 * The fused custom-gradient ops of the training-speed work (issue #23) against the tfjs
 * compositions they replaced, values and gradients, and the typed-array Adam against tfjs's
 * Adam driven the way the trainer drove it before (trainStep: weight decay, zero gradients).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '@courier/runtime';
import { loadMmrecDataset } from './dataset';
import { Bm3, Mmgcn, bprLoss, bprLossReference, getModel, rowBprLoss, rowBprLossReference } from './models';
import { l2NormalizeRows } from '@courier/nn';
import { SparseGraph, spmmInto, linearLeakyRelu, cosineRows, cosineToTarget, dropoutRows, fillNormal, frobeniusNorm, leakyRelu } from './nn';
import { makeSyntheticDataset } from './testing';
import { MmrecAdam, sampleNegatives, trainStep } from './train';
import { diagonalCrossEntropy, diagonalCrossEntropyReference } from './slmrec';
import { pairFusion } from './dualgnn';
import { setTypedKernelsNative, typedKernelsNative } from '@courier/native-kernels';

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

function rand(seed: number, shape: [number, number], std = 1): tf.Tensor2D {
  return tf.tensor2d(fillNormal(new Rng(seed), shape[0] * shape[1], std), shape);
}

/** max |a - b| / max(1, max |b|). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  let s = 1;
  for (let i = 0; i < b.length; i++) s = Math.max(s, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / s;
}

/** Value and gradients (w.r.t. every input) of sum(w * f(inputs)) for fixed random weights w. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const out = f(...inputs);
    const w = tf.tensor(fillNormal(new Rng(77), out.size, 1), out.shape);
    const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(inputs);
    return [out.dataSync() as Float32Array, ...g.map((t) => t.dataSync() as Float32Array)];
  });
}

function expectSame(fused: Float32Array[], reference: Float32Array[], tol: number): void {
  expect(fused.length).toBe(reference.length);
  fused.forEach((a, i) => {
    expect(a.length).toBe(reference[i].length);
    expect(relDiff(a, reference[i])).toBeLessThan(tol);
  });
}

describe('fused ops = the tfjs compositions they replace', () => {
  it('cosineRows (and a zero row: value 0, finite gradients, where tfjs gives NaN)', () => {
    const a = rand(1, [50, 16]);
    const b = rand(2, [50, 16]);
    const reference = (x: tf.Tensor, y: tf.Tensor) => {
      const dot = tf.sum(tf.mul(x, y), 1);
      return tf.div(dot, tf.maximum(tf.mul(tf.sqrt(tf.sum(tf.square(x), 1)), tf.sqrt(tf.sum(tf.square(y), 1))), 1e-8));
    };
    expectSame(valueAndGrads((x, y) => cosineRows(x as tf.Tensor2D, y as tf.Tensor2D), [a, b]), valueAndGrads(reference, [a, b]), 1e-5);
    const z = tf.concat([rand(2, [1, 16]), tf.zeros([1, 16])]) as tf.Tensor2D;
    const [value, ga, gz] = valueAndGrads((x, y) => cosineRows(x as tf.Tensor2D, y as tf.Tensor2D), [tf.slice(a, 0, 2), z]);
    expect(value[1]).toBe(0);
    expect([...ga, ...gz].every(Number.isFinite)).toBe(true);
  });

  it('frobeniusNorm = tf.norm', () => {
    const a = rand(3, [40, 8]);
    expectSame(valueAndGrads((x) => frobeniusNorm(x), [a]), valueAndGrads((x) => tf.norm(x), [a]), 1e-5);
  });

  it('l2NormalizeRows and leakyRelu', () => {
    const a = rand(4, [30, 12]);
    const reference = (x: tf.Tensor) => tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12));
    expectSame(valueAndGrads((x) => l2NormalizeRows(x as tf.Tensor2D), [a]), valueAndGrads(reference, [a]), 1e-5);
    expectSame(valueAndGrads((x) => leakyRelu(x as tf.Tensor2D), [a]), valueAndGrads((x) => tf.leakyRelu(x, 0.01), [a]), 1e-6);
  });

  it('bprLoss = the tfjs BPR loss (duplicates in the batch, reg on)', () => {
    const U = rand(5, [20, 8], 0.5);
    const I = rand(6, [15, 8], 0.5);
    const users = Int32Array.from({ length: 64 }, (_, b) => (b * 7) % 20);
    const pos = Int32Array.from({ length: 64 }, (_, b) => (b * 5) % 15);
    const neg = Int32Array.from({ length: 64 }, (_, b) => (b * 11 + 3) % 15);
    for (const reg of [0, 1e-4, 2]) {
      const f = (fn: typeof bprLoss) => (u: tf.Tensor, i: tf.Tensor) => fn(u as tf.Tensor2D, i as tf.Tensor2D, users, pos, neg, reg);
      expectSame(valueAndGrads(f(bprLoss), [U, I]), valueAndGrads(f(bprLossReference), [U, I]), 1e-5);
    }
    expect(() => bprLoss(U, I, users, pos, Int32Array.from([15]), 0)).toThrow(/64 users, 64 positives, 1 negatives/);
  });
});

describe('MMGCN BPR term', () => {
  it('rowBprLoss = the tfjs composition (one table, duplicate rows, a saturated pair), value and gradient', () => {
    const R = rand(21, [50, 16], 0.7);
    const rng = new Rng(22);
    const users = Int32Array.from({ length: 80 }, () => rng.int(20));
    const pos = Int32Array.from({ length: 80 }, () => 20 + rng.int(30));
    const neg = Int32Array.from({ length: 80 }, () => 20 + rng.int(30));
    neg[3] = pos[3]; // x = 0 exactly
    const a = valueAndGrads((r) => rowBprLoss(r as tf.Tensor2D, users, pos, neg), [R]);
    const b = valueAndGrads((r) => rowBprLossReference(r as tf.Tensor2D, users, pos, neg), [R]);
    expect(relDiff(a[0], b[0])).toBeLessThan(1e-6);
    expect(relDiff(a[1], b[1])).toBeLessThan(1e-5);
    R.dispose();
  });
});

describe('MMGCN GCN branch', () => {
  it('gcnBranch = the tfjs composition bit for bit: output and every gradient (both branches), native and JS kernels', () => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel('MMGCN');
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const m = entry.create(ds, entry.defaults, new Rng(4)) as Mmgcn;
    const vars = m.trainable();
    const run = (fused: boolean): Float32Array[] =>
      tf.tidy(() => {
        const R = m.forward(fused);
        const w = tf.tensor(fillNormal(new Rng(78), R.size, 1), R.shape);
        R.dispose();
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.forward(fused), w)) as tf.Scalar, vars);
        return [value.dataSync() as Float32Array, ...vars.map((v) => grads[v.name].dataSync() as Float32Array)];
      });
    tf.tidy(() => m.forward(false)); // creates the model's cached fixed first-layer inputs
    const before = tf.memory().numTensors;
    const ref = run(false);
    const fused = run(true);
    const js = withJsKernels(() => run(true));
    expect(tf.memory().numTensors).toBe(before);
    expect(fused.length).toBe(vars.length + 1);
    fused.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(ref[i])));
    js.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(ref[i])));
    m.dispose();
  });
});

describe('MMGCN linear layers', () => {
  it('linearLeakyRelu([x0, x1], W, b) = leakyRelu(x0 W[:a] + x1 W[a:] + b) (tfjs ops), values and gradients', () => {
    const x0 = rand(17, [40, 6]);
    const x1 = rand(18, [40, 3]);
    const w = rand(19, [9, 5]);
    const b = tf.tensor1d([0.1, -0.2, 0.3, 0, 0.5]);
    const ref2 = (p: tf.Tensor, q: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      tf.leakyRelu(tf.add(tf.add(tf.matMul(p as tf.Tensor2D, tf.slice(ww, [0, 0], [6, -1]) as tf.Tensor2D), tf.matMul(q as tf.Tensor2D, tf.slice(ww, [6, 0], [-1, -1]) as tf.Tensor2D)), bb), 0.01);
    const ours2 = (p: tf.Tensor, q: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => linearLeakyRelu([p as tf.Tensor2D, q as tf.Tensor2D], ww as tf.Tensor2D, bb as tf.Tensor1D);
    expectSame(valueAndGrads(ours2, [x0, x1, w, b]), valueAndGrads(ref2, [x0, x1, w, b]), 1e-5);
    const w1 = tf.slice(w, [0, 0], [6, -1]);
    const ref1 = (p: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.leakyRelu(tf.add(tf.matMul(p as tf.Tensor2D, ww as tf.Tensor2D), bb), 0.01);
    const ours1 = (p: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => linearLeakyRelu([p as tf.Tensor2D], ww as tf.Tensor2D, bb as tf.Tensor1D);
    expectSame(valueAndGrads(ours1, [x0, w1, b]), valueAndGrads(ref1, [x0, w1, b]), 1e-5);
  });
});

describe('dense form of a small graph', () => {
  it('denseMatrix() x = propagate(x), duplicate edges summed (DualGNN user graph), values and gradients', () => {
    const g = new SparseGraph(6, Int32Array.from([0, 1, 1, 5, 2, 2]), Int32Array.from([1, 0, 0, 3, 4, 4]), Float32Array.from([0.5, 0.25, 0.25, 1, 0.3, 0.7]));
    const M = g.denseMatrix();
    expect(M.arraySync()[0][1]).toBeCloseTo(0.5, 6);
    const x = rand(13, [6, 4]);
    expectSame(valueAndGrads((t) => tf.matMul(M, t), [x]), valueAndGrads((t) => g.propagate(t as tf.Tensor2D), [x]), 1e-6);
  });
});

describe('DualGNN fusion', () => {
  it('pairFusion = a * w[:, 0] + b * w[:, 1] with column slices (tfjs ops), values and gradients', () => {
    const a = rand(14, [30, 8]);
    const b = rand(15, [30, 8]);
    const w = rand(16, [30, 2]);
    const reference = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.add(tf.mul(x, tf.slice(z, [0, 0], [-1, 1])), tf.mul(y, tf.slice(z, [0, 1], [-1, 1])));
    expectSame(valueAndGrads((x, y, z) => pairFusion(x as tf.Tensor2D, y as tf.Tensor2D, z as tf.Tensor2D), [a, b, w]), valueAndGrads(reference, [a, b, w]), 1e-6);
  });
});

describe('batch cross entropy', () => {
  it.each([0.2, 0.1])('diagonalCrossEntropy = logSumExp - diagonal (tfjs ops), value and gradients, t %p', (t) => {
    const a = rand(11, [64, 16], 0.7);
    const b = rand(12, [64, 16], 0.7);
    expectSame(valueAndGrads((x, y) => diagonalCrossEntropy(x as tf.Tensor2D, y as tf.Tensor2D, t), [a, b]), valueAndGrads((x, y) => diagonalCrossEntropyReference(x as tf.Tensor2D, y as tf.Tensor2D, t), [a, b]), 1e-5);
  });

  it('rows whose diagonal probability underflows take logsumexp from the logits', () => {
    // Row 0's diagonal logit is ~ -200 below the row's largest: p_00 underflows in float32.
    const a = tf.tensor2d([[10, 0], [0, 1], [1, 1]]);
    const b = tf.tensor2d([[-2, 0], [0, 1], [2, 0]]);
    const ours = diagonalCrossEntropy(a, b, 0.1).dataSync()[0];
    const ref = diagonalCrossEntropyReference(a, b, 0.1).dataSync()[0];
    expect(Number.isFinite(ours)).toBe(true);
    expect(Math.abs(ours - ref) / Math.abs(ref)).toBeLessThan(1e-6);
  });
});

describe('BM3 targets and loss', () => {
  it('dropoutRows = tf.dropout bit for bit (whole table and gathered rows)', () => {
    const x = rand(8, [37, 5]);
    const xv = x.dataSync() as Float32Array;
    for (const [rate, seed] of [[0.3, 123456789], [0.5, 42]]) {
      const ref = tf.dropout(x, rate, undefined, seed).dataSync() as Float32Array;
      expect(Array.from(dropoutRows(xv, 37, 5, rate, seed, null))).toEqual(Array.from(ref));
      const idx = Int32Array.from([4, 0, 36, 4]);
      const rows = dropoutRows(xv, 37, 5, rate, seed, idx);
      idx.forEach((r, i) => expect(Array.from(rows.subarray(i * 5, i * 5 + 5))).toEqual(Array.from(ref.subarray(r * 5, r * 5 + 5))));
    }
  });

  it('cosineToTarget = cosineRows against a constant target (value and gradient)', () => {
    const a = rand(9, [40, 6]);
    const t = rand(10, [40, 6]);
    const tv = t.dataSync() as Float32Array;
    expectSame(valueAndGrads((x) => cosineToTarget(x as tf.Tensor2D, tv), [a]), valueAndGrads((x) => cosineRows(x as tf.Tensor2D, t), [a]), 1e-5);
  });

  it.each([0.3, 0])('BM3 loss = the tfjs composition it replaced (dropout %p): value and every gradient', (dropout) => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel('BM3');
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const params = { ...entry.defaults, dropout, nLayers: 2 };
    const rng = new Rng(4);
    const users = Int32Array.from({ length: 96 }, () => ds.train.users[rng.int(ds.train.users.length)]);
    const pos = Int32Array.from(users, (_, b) => ds.train.items[(b * 13) % ds.train.items.length]);
    const a = entry.create(ds, params, new Rng(6)) as Bm3;
    const b = entry.create(ds, params, new Rng(6)) as Bm3;
    for (let step = 0; step < 2; step++) {
      const ga = tf.variableGrads(() => a.loss({ users, pos }), a.trainable());
      const gb = tf.variableGrads(() => b.lossReference({ users, pos }), b.trainable());
      expect(relDiff(ga.value.dataSync(), gb.value.dataSync())).toBeLessThan(1e-6);
      a.trainable().forEach((v, i) => {
        const x = Array.from(ga.grads[v.name].dataSync());
        const y = Array.from(gb.grads[b.trainable()[i].name].dataSync());
        // Relative to the gradient's own scale (some are ~1e-4 in absolute terms).
        const scale = y.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
        expect(scale).toBeGreaterThan(0);
        expect(x.reduce((m, t, k) => Math.max(m, Math.abs(t - y[k])), 0) / scale).toBeLessThan(1e-4);
      });
      tf.dispose([ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
    }
    a.dispose();
    b.dispose();
  });
});

describe('MmrecAdam', () => {
  it.each([
    ['BPR', {}],
    ['SLMRec', {}], // weight decay 1e-4
    ['LATTICE', {}], // feature branch reached on an epoch's first step only: zero gradients after it
    ['BM3', { weightDecay: 0.01 }],
  ])('%s: same weights as tfjs Adam through trainStep after 4 steps %j', (model, extra) => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel(model);
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const params = { ...entry.defaults, lr: 0.01, ...extra };
    const wd = Number(params.weightDecay ?? 0);
    const rng = new Rng(9);
    const users = Int32Array.from({ length: 64 }, () => ds.train.users[rng.int(ds.train.users.length)]);
    const pos = Int32Array.from(users, (_, b) => ds.train.items[b]);
    const neg = sampleNegatives(ds, users, rng);
    const run = (fused: boolean): Float32Array[] => {
      const m = entry.create(ds, params, new Rng(3));
      const vars = m.trainable();
      const ours = new MmrecAdam(0.01, 0.9, 0.999, 1e-8, wd);
      const theirs = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) {
        if (s === 1) m.preEpoch?.(1);
        const loss = fused ? ours.step(() => m.loss({ users, pos, neg }), vars) : trainStep(theirs, () => m.loss({ users, pos, neg }), vars, wd);
        losses.push(loss.dataSync()[0]);
        loss.dispose();
      }
      const out = [Float32Array.from(losses), ...vars.map((v) => (v.dataSync() as Float32Array).slice())];
      theirs.dispose();
      m.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    const a = run(true);
    const b = run(false);
    expect(tf.memory().numTensors).toBe(before);
    expectSame(a, b, 1e-5);
  });
});

function withJsKernels<T>(f: () => T): T {
  const was = setTypedKernelsNative(false);
  try {
    return f();
  } finally {
    setTypedKernelsNative(was);
  }
}

// @courier/native-kernels' typed kernels (CSR products, Adam, dropout mask, cosines) run in the
// addon when it is built; the models must train exactly as with their JS loops (issue #23).
describe('typed kernels: native = JS', () => {
  const withJs = <T>(f: () => T): T => {
    const was = setTypedKernelsNative(false);
    try {
      return f();
    } finally {
      setTypedKernelsNative(was);
    }
  };

  it('SparseGraph.propagate / meanAggregate = the edge loop, values and gradients', () => {
    if (!typedKernelsNative()) console.warn('typed kernels not built: JS path only');
    const n = 40;
    const rng = new Rng(5);
    const src = Int32Array.from({ length: 300 }, () => rng.int(n));
    const dst = Int32Array.from({ length: 300 }, () => rng.int(n - 2)); // two nodes without in-edges
    const w = Float32Array.from(fillNormal(new Rng(6), 300, 1), (v, e) => (e % 9 === 0 ? 0 : v));
    const g = new SparseGraph(n, src, dst, w);
    const x = rand(7, [n, 12]);
    for (const mean of [false, true]) {
      const f = (xx: tf.Tensor): tf.Tensor => (mean ? g.meanAggregate(xx as tf.Tensor2D) : g.propagate(xx as tf.Tensor2D));
      const nat = valueAndGrads(f, [x]);
      const js = withJs(() => valueAndGrads(f, [x]));
      const ww = mean ? g.meanWeight : w;
      const up = tf.tensor(fillNormal(new Rng(77), n * 12, 1), [n, 12]).dataSync() as Float32Array;
      expect(Array.from(nat[0])).toEqual(Array.from(spmmInto(new Float32Array(n * 12), x.dataSync(), src, dst, ww, 12)));
      expect(Array.from(nat[1])).toEqual(Array.from(spmmInto(new Float32Array(n * 12), up, dst, src, ww, 12)));
      nat.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(js[i])));
    }
    x.dispose();
  });

  it('meanAggregateLeakyRelu = leakyRelu(meanAggregate(x)) bit for bit, values and gradients, native and JS', () => {
    const n = 30;
    const rng = new Rng(8);
    const src = Int32Array.from({ length: 200 }, () => rng.int(n));
    const dst = Int32Array.from({ length: 200 }, () => rng.int(n - 1));
    const g = new SparseGraph(n, src, dst, null);
    const x = rand(9, [n, 16]);
    const xv = x.dataSync();
    xv[5] = 0; // a zero pre-activation row entry (mask alpha) is fine; NaN is left out
    const fused = (xx: tf.Tensor): tf.Tensor => g.meanAggregateLeakyRelu(xx as tf.Tensor2D);
    const twoOps = (xx: tf.Tensor): tf.Tensor => leakyRelu(g.meanAggregate(xx as tf.Tensor2D));
    const ref = valueAndGrads(twoOps, [x]);
    const nat = valueAndGrads(fused, [x]);
    const js = withJs(() => valueAndGrads(fused, [x]));
    expect(ref[0].some((v) => v < 0)).toBe(true);
    nat.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(ref[i])));
    js.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(ref[i])));
    x.dispose();
  });

  it.each(['BM3', 'MMGCN', 'LATTICE'])('%s: three MmrecAdam steps give the same losses and weights bit for bit', (model) => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel(model);
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const rng = new Rng(9);
    const users = Int32Array.from({ length: 64 }, () => ds.train.users[rng.int(ds.train.users.length)]);
    const pos = Int32Array.from(users, (_, b) => ds.train.items[b]);
    const neg = sampleNegatives(ds, users, rng);
    const run = (): Float32Array[] => {
      const m = entry.create(ds, entry.defaults, new Rng(3));
      const vars = m.trainable();
      const opt = new MmrecAdam(0.01, 0.9, 0.999, 1e-8, 0);
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        const loss = opt.step(() => m.loss({ users, pos, neg }), vars);
        losses.push(loss.dataSync()[0]);
        loss.dispose();
      }
      const out = [Float32Array.from(losses), ...vars.map((v) => (v.dataSync() as Float32Array).slice())];
      m.dispose();
      return out;
    };
    const nat = run();
    const js = withJs(run);
    expect(nat.length).toBe(js.length);
    nat.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(js[i])));
  });
});

import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '@courier/runtime';
import { buildDataset, loadMmrecDataset, withFeatures } from './dataset';
import { syntheticParams } from './synthetic';
import { getModel, listModels, trainableParamCount } from './models';
import { gatherRows } from '@courier/nn';
import { SparseGraph, normalizedBipartite } from './nn';
import { makeSyntheticDataset } from './testing';
import { trainAndEvaluate } from './train';

/**
 * Parameter tensors MMRec's model classes register (sum of numel over model.parameters()), read
 * off src/models/*.py with the yaml defaults: (U users, I items, D_v, D_t, d = 64).
 */
const REFERENCE_COUNTS: Record<string, (U: number, I: number, Dv: number, Dt: number, d: number) => number[]> = {
  // embedding_user/item; g_i_iv, g_v_iv, g_iv_iva, g_a_iva (d->d); g_iva_ivat, g_t_ivat (d->d/2);
  // v_dense, t_dense; embedding_item/user_after_GCN (3d->d).
  SLMRec: (U, I, Dv, Dt, d) => [U * d, I * d, 4 * (d * d + d), 2 * (d * (d / 2) + d / 2), Dv * d + d, Dt * d + d, 2 * (3 * d * d + d)],
  // MLP_v, MLP_t (no bias); weight_u [U,2,1]; weight_i [I,2,1]; MLP_user (3d->d); per modality
  // preference [U,d], MLP (D->4d), MLP_1 (4d->d). result_embed excluded (see dualgnn.ts).
  DualGNN: (U, I, Dv, Dt, d) => [2 * d * d, 2 * U, 2 * I, 3 * d * d + d, U * d, Dv * 4 * d + 4 * d, 4 * d * d + d, U * d, Dt * 4 * d + 4 * d, 4 * d * d + d],
  // user/item_id embeddings; image/text_embedding (from_pretrained, freeze=False); image/text_trs; modal_weight.
  LATTICE: (U, I, Dv, Dt, d) => [U * d, I * d, I * Dv, I * Dt, Dv * d + d, Dt * d + d, 2],
  // user/item_id embeddings; image/text_embedding; image/text_trs; query_common (d->d, d->1 no
  // bias); gate_v, gate_t, gate_image_prefer, gate_text_prefer.
  MGCN: (U, I, Dv, Dt, d) => [U * d, I * d, I * Dv, I * Dt, Dv * d + d, Dt * d + d, d * d + d + d, 4 * (d * d + d)],
};

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('models', () => {
  it('parameter counts equal the spec figures for the small preset sizes', () => {
    // Counts depend only on n_users, n_items and the feature dims: the small preset's, in memory.
    const p = syntheticParams('small');
    const users = Int32Array.from({ length: p.users }, (_, u) => u);
    const items = Int32Array.from({ length: p.users }, (_, u) => u % p.items);
    const inter = { file: 'mem.inter', users, items, labels: new Int32Array(p.users), ratings: null, timestamps: null, nUsers: p.users, nItems: p.items, ignoredLabelRows: 0 };
    const feature = (dim: number) => ({ file: 'mem.npy', data: new Float32Array(p.items * dim).fill(0.1), rows: p.items, dim });
    const ds = withFeatures(buildDataset(inter, [], '/mem', { name: 'small', modalities: [] }), { image: feature(p.imageDim), text: feature(p.textDim) });
    // Issue #23 models: what MMRec's classes register on these shapes (U 2000, I 600, D_v 256,
    // D_t 64, d 64), term by term in REFERENCE_COUNTS below.
    const expected: Record<string, number> = { BPR: 166_400, BM3: 383_168, MMGCN: 250_880, SLMRec: 232_512, DualGNN: 397_072, LATTICE: 379_010, MGCN: 399_872 };
    for (const [model, terms] of Object.entries(REFERENCE_COUNTS)) expect(terms(p.users, p.items, p.imageDim, p.textDim, 64).reduce((a, b) => a + b, 0)).toBe(expected[model]);
    for (const model of listModels()) {
      const m = getModel(model).create(ds, getModel(model).defaults, new Rng(1));
      expect(trainableParamCount(m)).toBe(expected[model]);
      m.dispose();
    }
    // Paper mode registers E_id and both user preference tables.
    const entry = getModel('MMGCN');
    const m = entry.create(ds, { ...entry.defaults, paperMode: true }, new Rng(1));
    expect(trainableParamCount(m)).toBe(250_880 + 2600 * 64 + 2000 * 256 + 2000 * 64);
    m.dispose();
  });

  it('unknown model names list the known ones', () => {
    expect(listModels()).toEqual(['BPR', 'BM3', 'MMGCN', 'SLMRec', 'DualGNN', 'LATTICE', 'MGCN']);
    expect(() => getModel('LightGCN')).toThrow('Unknown model "LightGCN"; known: BPR, BM3, MMGCN, SLMRec, DualGNN, LATTICE, MGCN');
  });

  it('sparse propagation and row gather match dense arithmetic, values and gradients', () => {
    const users = Int32Array.from([0, 0, 1, 2, 2, 2]);
    const items = Int32Array.from([0, 1, 1, 0, 1, 1]); // (2,1) duplicated: collapses in BM3's graph
    const g = normalizedBipartite(3, 2, users, items);
    expect(g.edges).toBe(2 * 5);
    const A = [
      [0, 0, 0, 1, 1],
      [0, 0, 0, 0, 1],
      [0, 0, 0, 1, 1],
      [1, 0, 1, 0, 0],
      [1, 1, 1, 0, 0],
    ];
    const deg = A.map((r) => r.reduce((s, v) => s + v, 0) + 1e-7);
    const norm = A.map((r, i) => r.map((v, j) => v / Math.sqrt(deg[i] * deg[j])));
    const x = tf.tensor2d(Array.from({ length: 10 }, (_, i) => Math.sin(i + 1)), [5, 2]);
    const dense = tf.tensor2d(norm);
    const w = tf.tensor2d([[0.3, -1], [2, 0.5]]);
    const f = (fn: (t: tf.Tensor2D) => tf.Tensor2D) => (t: tf.Tensor) => tf.sum(tf.square(tf.matMul(fn(t as tf.Tensor2D), w)));
    expect(g.propagate(x).arraySync()).toEqual((tf.matMul(dense, x).arraySync() as number[][]).map((r) => r.map((v) => expect.closeTo(v, 5))));
    const gs = tf.grad(f((t) => g.propagate(t)))(x).arraySync() as number[][];
    const gd = tf.grad(f((t) => tf.matMul(dense, t)))(x).arraySync() as number[][];
    gs.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(gd[i][j], 5)));
    // Mean aggregation over in-edges with a duplicate edge (MMGCN keeps duplicates).
    const m = new SparseGraph(3, Int32Array.from([0, 1, 1]), Int32Array.from([2, 2, 2]), null);
    expect(m.meanAggregate(tf.tensor2d([[3], [6], [0]])).arraySync()).toEqual([[0], [0], [5]]);
    // gatherRows: duplicate indices accumulate in the gradient.
    const idx = Int32Array.from([4, 1, 4]);
    const gg = tf.grad((t: tf.Tensor) => tf.sum(gatherRows(t as tf.Tensor2D, idx)))(x).arraySync();
    expect(gg).toEqual([[0, 0], [1, 1], [0, 0], [0, 0], [2, 2]]);
    expect(() => gatherRows(x, Int32Array.from([5]))).toThrow(/index 5 at position 0 is outside \[0, 5\)/);
  });

  it.each(['BPR', 'BM3', 'MMGCN', 'SLMRec', 'DualGNN', 'LATTICE', 'MGCN'])('%s trains on tiny data deterministically without leaking tensors', async (model) => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel(model);
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const opts = { maxEpochs: 1, patience: 20, batchSize: 256, evalBlockSize: 128 };
    const a = await trainAndEvaluate(entry, ds, entry.defaults, 3, opts); // also the burn-in
    const before = tf.memory().numTensors;
    const b = await trainAndEvaluate(entry, ds, entry.defaults, 3, opts);
    expect(tf.memory().numTensors).toBe(before);
    expect(a.epochs.map((e) => e.loss)).toEqual(b.epochs.map((e) => e.loss));
    expect(a.test).toEqual(b.test);
    expect(Number.isFinite(a.firstEpochLoss)).toBe(true);
    expect(a.test['recall@20']).toBeGreaterThan(0);
  });
});

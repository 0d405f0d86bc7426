import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CLUSTER_ASSIGNMENTS, clusterAssignmentToRow } from '@courier/data-contracts';
import { readVectorTable, writeParquetRows, writeVectorTable } from '@courier/io';
import { Rng, initBackend } from '@courier/runtime';
import { CtrFixture, makeCtrFixture } from './testing';
import {
  Catalogue,
  CtrData,
  CtrModel,
  buildBatch,
  buildItemFeatures,
  buildVocab,
  checkpointOf,
  loadCatalogue,
  loadCtrSamples,
  loadImageFeatures,
  predictCtr,
  resolveCtrConfig,
  restoreCtr,
  runCtrEvaluateStage,
  runCtrExperiment,
  splitValidation,
  trainCtr,
} from './index';
import { clusterCentroids } from './image-features';
import { gatherRows } from '@courier/nn';
import { principalScores } from './model';
import { pageViewGroups } from './train';
import { auc } from '@courier/metrics';

// Small and fast: the planted-signal checks live in ctr-signal.spec.ts.
const config = resolveCtrConfig({ maxHistory: 8, attentionDim: 16, mlp: [16], epochs: 1, batchSize: 128 });

let fx: CtrFixture;
let catalogue: Catalogue;
let data: CtrData;
let tmp: string;

beforeAll(async () => {
  await initBackend({ log: () => undefined });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctr-spec-'));
  fx = await makeCtrFixture({ seed: 5, nUsers: 40, nItems: 120, sessionsPerUserDay: 2, days: 3, outDir: path.join(tmp, 'fixture') });
  catalogue = await loadCatalogue(fx.itemsFile);
  data = await loadCtrSamples(fx.samplesFile, catalogue, { maxHistory: config.maxHistory });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('data loading', () => {
  it('reads the catalogue and both splits, histories truncated to the most recent', async () => {
    expect(catalogue.itemIds.length).toBe(120);
    expect(catalogue.categories).toEqual(['bag', 'coat', 'dress', 'shoe']);
    expect(data.train.n + data.eval.n).toBe(40 * 2 * 3 * 10);
    expect(data.eval.n).toBe(40 * 2 * 10);
    for (let i = 0; i < data.train.n; i++) expect(data.train.histOffsets[i + 1] - data.train.histOffsets[i]).toBeLessThanOrEqual(config.maxHistory);
    expect(data.rejects.unknownTarget).toBe(0);
  });

  it('rows with an unknown target are counted as rejects, not silently dropped', async () => {
    const small = await loadCatalogue(fx.itemsFile);
    // Remove one item from the catalogue map: its rows must be rejected and counted.
    const dropped = small.itemIds[0];
    small.rowOf.delete(dropped);
    const d = await loadCtrSamples(fx.samplesFile, small, { maxHistory: 8 });
    expect(d.rejects.unknownTarget).toBeGreaterThan(0);
    expect(d.rejects.examples[0].itemId).toBe(dropped);
    expect(d.train.n + d.eval.n + d.rejects.unknownTarget).toBe(data.train.n + data.eval.n);
  });
});

describe('batches', () => {
  it('history is most-recent-first with masks, biases and pooling weights consistent', () => {
    const iv = buildVocab(Array.from(data.train.itemRow, (r) => catalogue.itemIds[r]));
    const uv = buildVocab(data.train.userId);
    const items = buildItemFeatures(catalogue, iv, config, null);
    const rows = Int32Array.from({ length: 64 }, (_, i) => data.train.n - 1 - i);
    const b = buildBatch(data.train, rows, items, { config, userIndex: uv.index });
    const L = config.maxHistory;
    for (let r = 0; r < b.B; r++) {
      const i = rows[r];
      const start = data.train.histOffsets[i];
      const end = data.train.histOffsets[i + 1];
      const len = end - start;
      let poolSum = 0;
      for (let p = 0; p < L; p++) {
        expect(b.historyMask[r * L + p]).toBe(p < len ? 1 : 0);
        expect(b.keyBias[r * L + p]).toBe(p < len ? 0 : -1e9);
        poolSum += b.poolWeights[r * L + p];
      }
      for (let p = 0; p < Math.min(len, L); p++) {
        // Position p is the p-th most recent click.
        expect(b.uRow[b.history[r * L + p]]).toBe(data.train.histItems[end - 1 - p]);
      }
      expect(b.uRow[b.target[r]]).toBe(data.train.itemRow[i]);
      if (len > 0) expect(poolSum).toBeCloseTo(1, 6);
      else expect(poolSum).toBe(0);
    }
  });
});

describe('image features: bad input', () => {
  it('an embeddings file missing items is reported, and those items get the fallback (unknown cluster / zero vector)', async () => {
    const t = readVectorTable(fx.oracleFile);
    const keep = 100;
    const file = path.join(tmp, 'partial.arrow');
    writeVectorTable(file, { ids: t.ids.slice(0, keep), vectors: t.vectors.slice(0, keep * t.dim), dim: t.dim, metadata: { method: 'oracle' } });
    const warnings: string[] = [];
    const cl = await loadImageFeatures(catalogue, { mode: 'cluster-id', embeddingsFile: file, log: (l) => warnings.push(l) });
    expect(cl.missingItems).toBe(20);
    expect(cl.missingExamples[0]).toBe(t.ids[keep]);
    expect(warnings.join('\n')).toMatch(/no usable embedding for 20 of 120 catalogue items/);
    const missingRow = catalogue.rowOf.get(t.ids[keep]) as number;
    expect(cl.clusterIds?.[missingRow]).toBe(cl.numClusters); // id K = unknown
    const vec = await loadImageFeatures(catalogue, { mode: 'vector', embeddingsFile: file });
    expect(Array.from(vec.vectors?.subarray(missingRow * vec.dim, (missingRow + 1) * vec.dim) ?? [])).toEqual(new Array(vec.dim).fill(0));
  });

  it('a wrong dimension is a clear error', async () => {
    await expect(loadImageFeatures(catalogue, { mode: 'vector', embeddingsFile: fx.oracleFile, expectedDim: 256 })).rejects.toThrow(
      /oracle-embeddings\.arrow column "embedding": expected embeddings of dimension 256 .*got "dimension 8"/,
    );
  });

  it('item ids outside the catalogue are a clear error', async () => {
    const t = readVectorTable(fx.oracleFile);
    const ids = t.ids.slice();
    ids[3] = 999999;
    const file = path.join(tmp, 'foreign.arrow');
    writeVectorTable(file, { ...t, ids });
    await expect(loadImageFeatures(catalogue, { mode: 'vector', embeddingsFile: file })).rejects.toThrow(/foreign\.arrow column "item_id": expected item ids from the catalogue .*1 of 120 ids are not in it \(e\.g\. 999999\)/);
  });

  it('centroids come from the embeddings next to the assignments (the default init needs them); centroids: false skips them', async () => {
    const file = path.join(tmp, 'assignments-centroids.parquet');
    const rows = Array.from(catalogue.itemIds, (itemId, i) => clusterAssignmentToRow({ itemId, clusterId: i % 4, distance: 0.1 }));
    await writeParquetRows(file, CLUSTER_ASSIGNMENTS, rows, { metadata: { k: '4' } });
    const plain = await loadImageFeatures(catalogue, { mode: 'cluster-id', clustersFile: file, embeddingsFile: fx.oracleFile, centroids: false });
    expect(plain.centroids).toBeNull();
    expect((await loadImageFeatures(catalogue, { mode: 'cluster-id', clustersFile: file })).centroids).toBeNull(); // no embeddings, no centroids
    const withCentroids = await loadImageFeatures(catalogue, { mode: 'cluster-id', clustersFile: file, embeddingsFile: fx.oracleFile });
    const dim = readVectorTable(fx.oracleFile).dim;
    expect(withCentroids.centroidDim).toBe(dim);
    expect(withCentroids.centroids?.length).toBe(4 * dim);
    expect(Array.from(withCentroids.clusterIds ?? [])).toEqual(Array.from(plain.clusterIds ?? []));
    const exact = await loadImageFeatures(catalogue, { mode: 'cluster-id', embeddingsFile: fx.oracleFile });
    expect(exact.centroids?.length).toBe(exact.numClusters * dim);
  });

  it('the stage refuses a cluster-id set without embeddings under the default centroid init, naming the set and both fixes', async () => {
    const file = path.join(tmp, 'assignments-bare.parquet');
    const rows = Array.from(catalogue.itemIds, (itemId, i) => clusterAssignmentToRow({ itemId, clusterId: i % 4, distance: 0.1 }));
    await writeParquetRows(file, CLUSTER_ASSIGNMENTS, rows, { metadata: { k: '4' } });
    const out = path.join(tmp, 'stage-bare');
    const featureSets = [{ name: 'external', mode: 'cluster-id' as const, embeddings: null, clusters: file }];
    await expect(runCtrEvaluateStage({ samples: fx.samplesFile, world: fx.itemsFile, outDir: out, featureSets, config: { ...config, seeds: [1] } })).rejects.toThrow(
      /external have cluster assignments but no embeddings.*--embeddings NAME=FILE.*--clusterEmbeddingInit random/,
    );
    expect(fs.existsSync(path.join(out, 'ctr-report.json'))).toBe(false);
  });

  it('cluster assignments: ids from another catalogue are an error; missing items get the unknown id K', async () => {
    const file = path.join(tmp, 'assignments.parquet');
    const rows = Array.from(catalogue.itemIds.slice(0, 110), (itemId, i) => clusterAssignmentToRow({ itemId, clusterId: i % 5, distance: 0.1 }));
    await writeParquetRows(file, CLUSTER_ASSIGNMENTS, rows, { metadata: { k: '5' } });
    const f = await loadImageFeatures(catalogue, { mode: 'cluster-id', clustersFile: file, log: () => undefined });
    expect(f.numClusters).toBe(5);
    expect(f.missingItems).toBe(10);
    expect(f.clusterIds?.[115]).toBe(5);
    expect(f.clusterIds?.[7]).toBe(2);
    const bad = path.join(tmp, 'bad-assignments.parquet');
    await writeParquetRows(bad, CLUSTER_ASSIGNMENTS, [clusterAssignmentToRow({ itemId: 424242, clusterId: 0, distance: 0 })]);
    await expect(loadImageFeatures(catalogue, { mode: 'cluster-id', clustersFile: bad })).rejects.toThrow(/bad-assignments\.parquet.*1 ids are not in it \(e\.g\. 424242\)/);
  });
});

describe('cluster embeddings from the centroids (clusterEmbeddingInit)', () => {
  it('centroids are the means of the L2-normalised member vectors; absent rows and the unknown id are skipped', () => {
    const v = new Float32Array([3, 4, 0, 2, 9, 9, 1, 0]); // rows: (3,4) (0,2) (9,9) (1,0)
    const c = clusterCentroids(v, new Uint8Array([1, 1, 0, 1]), 2, new Int32Array([0, 0, 1, 2]), 2);
    expect(Array.from(c)).toEqual([expect.closeTo(0.3, 6), expect.closeTo(0.9, 6), 0, 0]); // mean of (0.6,0.8) and (0,1); cluster 1 empty
  });

  it('principal scores reproduce the centred Gram matrix when the width covers the rank', () => {
    // 6 points in 3-d of rank 2 after centring: scores S satisfy S S^T = X_c X_c^T.
    const x = new Float32Array([1, 0, 0, 0, 1, 0, -1, 0, 0, 0, -1, 0, 2, 2, 0, -1, -2, 0]);
    const n = 6;
    const d = 3;
    const s = principalScores(x, n, d, 4, new Rng(3), 300);
    const mean = [0, 1, 2].map((j) => Array.from({ length: n }, (_, i) => x[i * d + j]).reduce((a, b) => a + b, 0) / n);
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) {
        let g = 0;
        for (let j = 0; j < d; j++) g += (x[a * d + j] - mean[j]) * (x[b * d + j] - mean[j]);
        let h = 0;
        for (let k = 0; k < 4; k++) h += s[a * 4 + k] * s[b * 4 + k];
        expect(h).toBeCloseTo(g, 4);
      }
    // Rank 2: the last two columns are zero.
    for (let a = 0; a < n; a++) expect([s[a * 4 + 2], s[a * 4 + 3]]).toEqual([0, 0]);
  });

  it('planted: clusters with alike centres start alike (their initial rows correlate), at the configured scale; random init does not', () => {
    // 8 clusters: two families of four whose centres share a direction.
    const K = 8;
    const D = 16;
    const rng = new Rng(11);
    const centroids = new Float32Array(K * D);
    for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) centroids[k * D + j] = (j === (k < 4 ? 0 : 1) ? 3 : 0) + rng.normal(0, 0.2);
    const cfg = resolveCtrConfig({ clusterEmbeddingInit: 'centroids' });
    const shape = { itemVocab: 10, userVocab: 5, numCategories: 4, image: { mode: 'cluster-id' as const, dim: 0, numClusters: K, centroids, centroidDim: D } };
    const start = tf.memory().numTensors;
    const cosines = (m: CtrModel) => {
      const t = m.vars.get('cluster_id') as tf.Variable;
      const rows = t.arraySync() as number[][];
      const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
      let within = 0;
      let across = 0;
      for (let a = 0; a < K; a++)
        for (let b = a + 1; b < K; b++) {
          if (a < 4 === b < 4) within += cos(rows[a], rows[b]) / 12;
          else across += cos(rows[a], rows[b]) / 16;
        }
      const values = rows.slice(0, K).flat();
      const std = Math.sqrt(values.reduce((s, x) => s + x * x, 0) / values.length);
      return { within, across, std, unknownRow: rows[K] };
    };
    const fromCentroids = new CtrModel(cfg, shape, 1);
    const random = new CtrModel(resolveCtrConfig({ clusterEmbeddingInit: 'random' }), shape, 1);
    const c = cosines(fromCentroids);
    const r = cosines(random);
    expect(c.within).toBeGreaterThan(0.5);
    expect(c.across).toBeLessThan(-0.5);
    expect(Math.abs(r.within - r.across)).toBeLessThan(0.3);
    expect(c.std).toBeCloseTo(cfg.clusterEmbeddingStd, 6);
    expect(c.unknownRow).toEqual(r.unknownRow); // the unknown id keeps its random row
    fromCentroids.dispose();
    random.dispose();
    expect(tf.memory().numTensors).toBe(start);
    // Without centroids the option is a clear error.
    expect(() => new CtrModel(cfg, { ...shape, image: { mode: 'cluster-id', dim: 0, numClusters: K } }, 1)).toThrow(/clusterEmbeddingInit "centroids" needs the embeddings/);
    expect(() => resolveCtrConfig({ clusterEmbeddingInit: 'pca' as 'random' })).toThrow(/key "clusterEmbeddingInit" must be one of "centroids", "random", got the string "pca"/);
  });
});

describe('shared histories (rows of a page view run one self-attention)', () => {
  const setup = async () => {
    const iv = buildVocab(Array.from(data.train.itemRow, (r) => catalogue.itemIds[r]));
    const uv = buildVocab(data.train.userId);
    const image = await loadImageFeatures(catalogue, { mode: 'cluster-id', embeddingsFile: fx.oracleFile });
    const items = buildItemFeatures(catalogue, iv, config, image);
    const model = new CtrModel(config, { itemVocab: catalogue.itemIds.length + 1, userVocab: uv.ids.length + 1, numCategories: 4, image: { mode: 'cluster-id', dim: image.dim, numClusters: image.numClusters, centroids: image.centroids, centroidDim: image.centroidDim } }, 3);
    return { uv, items, model };
  };
  // The first 40 training rows in file order: four page views of 10 rows, each sharing one history.
  const rows = Int32Array.from({ length: 40 }, (_, i) => i);

  it('rows of a page view share one distinct history, and the per-history arrays match the per-row ones', async () => {
    const { uv, items, model } = await setup();
    const b = buildBatch(data.train, rows, items, { config, userIndex: uv.index });
    const L = config.maxHistory;
    expect(b.H).toBeLessThan(b.B);
    expect(new Set(Array.from(rows, (i) => data.train.sessionId[i])).size).toBeGreaterThanOrEqual(b.H);
    for (let r = 0; r < b.B; r++) {
      const h = b.historyOf[r];
      for (let p = 0; p < L; p++) {
        expect(b.hHistory[h * L + p]).toBe(b.history[r * L + p]);
        expect(b.hPoolWeights[h * L + p]).toBe(b.poolWeights[r * L + p]);
        // Every query position of the distinct history masks exactly the row's padded keys.
        expect(b.hAttnBias[(h * L + (p % L)) * L + p]).toBe(b.historyMask[r * L + p] === 1 ? 0 : -1e9);
      }
    }
    const unshared = buildBatch(data.train, rows, items, { config, userIndex: uv.index, shareHistories: false });
    expect(unshared.H).toBe(unshared.B);
    expect(Array.from(unshared.historyOf)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    model.dispose();
  });

  it('sharing changes neither the logits nor the gradients (up to float rounding)', async () => {
    const { uv, items, model } = await setup();
    const shared = buildBatch(data.train, rows, items, { config, userIndex: uv.index });
    const unshared = buildBatch(data.train, rows, items, { config, userIndex: uv.index, shareHistories: false });
    expect(shared.H).toBeLessThan(unshared.H);
    const vars = [...model.vars.values()];
    const run = (b: typeof shared) => {
      const logits = tf.tidy(() => Array.from(model.logits(b).dataSync()));
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => CtrModel.bce(model.logits(b), tf.tensor1d(b.label))), vars);
      const g = Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, Array.from(t.dataSync())]));
      value.dispose();
      Object.values(grads).forEach((t) => t.dispose());
      return { logits, g };
    };
    const a = run(shared);
    const u = run(unshared);
    a.logits.forEach((x, i) => expect(x).toBeCloseTo(u.logits[i], 5));
    let checked = 0;
    for (const [name, ga] of Object.entries(a.g)) {
      const gu = u.g[name];
      const scale = Math.max(1e-6, ...gu.map(Math.abs));
      ga.forEach((x, i) => expect(Math.abs(x - gu[i]) / scale).toBeLessThan(1e-4));
      checked++;
    }
    expect(checked).toBe(vars.length);
    model.dispose();
  });

  it("batchOrder 'page-views' keeps each page view's rows together and visits every row once per epoch", () => {
    const groups = pageViewGroups(data.train);
    expect(groups.rows.length).toBe(data.train.n);
    expect(new Set(groups.rows).size).toBe(data.train.n);
    for (let g = 0; g + 1 < groups.offsets.length; g++) {
      const ids = new Set<number>();
      for (let j = groups.offsets[g]; j < groups.offsets[g + 1]; j++) ids.add(data.train.sessionId[groups.rows[j]]);
      expect(ids.size).toBe(1);
    }
    expect(() => resolveCtrConfig({ batchOrder: 'sessions' as 'rows' })).toThrow(/batchOrder/);
    // Training with it runs and is seeded.
    const a = trainCtr({ catalogue, train: data.train, image: null, config: resolveCtrConfig({ ...config, batchOrder: 'page-views' }), seed: 2 });
    const b = trainCtr({ catalogue, train: data.train, image: null, config: resolveCtrConfig({ ...config, batchOrder: 'page-views' }), seed: 2 });
    expect(a.stats.finalLoss).toBe(b.stats.finalLoss);
    a.model.dispose();
    b.model.dispose();
  });
});

describe('model', () => {
  it('embedding gather gradient sums duplicate rows (ScatterNd path)', () => {
    const table = tf.variable(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
    const { grads } = tf.variableGrads(() => {
      // Rows [0, 2, 0], weighted by column so the gradient shows both columns.
      const idx = tf.tensor1d([0, 2, 0], 'int32');
      return tf.sum(tf.mul(gatherRows(table, idx), tf.tensor2d([[1, 10]]))) as tf.Scalar;
    }, [table]);
    expect(Array.from(grads[table.name].dataSync())).toEqual([2, 20, 0, 0, 1, 10]);
    Object.values(grads).forEach((g) => g.dispose());
    table.dispose();
  });

  it('no tensors leak across a training step and a prediction (after burn-in)', () => {
    const iv = buildVocab(Array.from(data.train.itemRow, (r) => catalogue.itemIds[r]));
    const uv = buildVocab(data.train.userId);
    const items = buildItemFeatures(catalogue, iv, config, null);
    const model = new CtrModel(config, { itemVocab: catalogue.itemIds.length + 1, userVocab: uv.ids.length + 1, numCategories: 4, image: null }, 1);
    const b = buildBatch(data.train, Int32Array.from({ length: 32 }, (_, i) => i), items, { config, userIndex: uv.index });
    model.trainStep(b);
    model.predict(b);
    const before = tf.memory().numTensors;
    model.trainStep(b);
    model.predict(b);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('building, training, restoring and disposing a model leaves no tensor behind', () => {
    const start = tf.memory().numTensors;
    const iv = buildVocab(Array.from(data.train.itemRow, (r) => catalogue.itemIds[r]));
    const uv = buildVocab(data.train.userId);
    const items = buildItemFeatures(catalogue, iv, config, null);
    const shape = { itemVocab: iv.ids.length + 1, userVocab: uv.ids.length + 1, numCategories: 4, image: null };
    const model = new CtrModel(config, shape, 1);
    model.trainStep(buildBatch(data.train, Int32Array.from({ length: 16 }, (_, i) => i), items, { config, userIndex: uv.index }));
    const copy = new CtrModel(config, shape, 2);
    copy.restore(model.snapshot());
    model.dispose();
    copy.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('building, restoring (same shape and grown vocab) and disposing a model with an image part leaves no tensor behind', () => {
    // Counted before the first model exists, so a tensor leaked while building the variables shows.
    const start = tf.memory().numTensors;
    const centroids = Float32Array.from({ length: 3 * 4 }, (_, i) => Math.sin(i + 1));
    const shape = { itemVocab: 10, userVocab: 5, numCategories: 4, image: { mode: 'cluster-id' as const, dim: 8, numClusters: 3, centroids, centroidDim: 4 } };
    const small = new CtrModel(config, shape, 1);
    const grown = new CtrModel(config, { ...shape, itemVocab: 14, userVocab: 7 }, 2);
    const restored = grown.restore(small.snapshot(), { growable: ['item_id', 'user_id'] });
    expect(restored.grown.sort()).toEqual(['item_id', 'user_id']);
    expect(restored.loaded).toContain('cluster_id');
    small.dispose();
    grown.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('early stopping keeps the epoch with the best validation AUC, and its weights', () => {
    const valDay = Math.max(...data.train.day);
    const split = splitValidation(data.train, 1);
    expect(split.validationDays).toEqual([valDay]);
    expect(split.fit.n + (split.validation?.n ?? 0)).toBe(data.train.n);
    expect(Array.from(split.fit.day).every((d) => d < valDay)).toBe(true);
    const validation = split.validation as NonNullable<typeof split.validation>;
    const t = trainCtr({ catalogue, train: split.fit, validation, image: null, config: { ...config, epochs: 4, patience: 1 }, seed: 3 });
    const curve = t.stats.curve;
    expect(curve.length).toBeGreaterThanOrEqual(1);
    expect(curve.length).toBeLessThanOrEqual(4);
    const best = Math.max(...curve.map((p) => p.validationAuc as number));
    expect(curve[t.stats.bestEpoch - 1].validationAuc).toBe(best);
    // Stopped because patience ran out, or used every epoch.
    expect(curve.length === 4 || curve.length - t.stats.bestEpoch === 1).toBe(true);
    const kept = predictCtr(t, validation).scores;
    expect(auc(kept, validation.label)).toBeCloseTo(best, 6);
    t.model.dispose();
  });

  it('position and style tag reach the batch (position capped at the last bucket)', () => {
    const iv = buildVocab(Array.from(data.train.itemRow, (r) => catalogue.itemIds[r]));
    const uv = buildVocab(data.train.userId);
    const small = { ...config, positionBuckets: 4 };
    const items = buildItemFeatures(catalogue, iv, small, null);
    const rows = Int32Array.from({ length: 40 }, (_, i) => i);
    const b = buildBatch(data.train, rows, items, { config: small, userIndex: uv.index });
    rows.forEach((i, k) => expect(b.position[k]).toBe(Math.min(3, data.train.position[i])));
    expect(Math.max(...b.position)).toBe(3);
    for (let u = 0; u < b.U; u++) expect(b.uStyle[u] > 0).toBe(catalogue.styleTags[b.uRow[u]] !== null);
  });

  it('config keys are range-checked when resolved, naming the key', () => {
    expect(() => resolveCtrConfig({ epochs: 0 })).toThrow(/key "epochs" must be an integer >= 1, got 0/);
    expect(() => resolveCtrConfig({ learningRate: -1 })).toThrow(/key "learningRate" must be a number > 0 and <= 1, got -1/);
    expect(() => resolveCtrConfig({ batchSize: -5 })).toThrow(/key "batchSize" must be an integer >= 1, got -5/);
    expect(() => resolveCtrConfig({ batchSize: '64' as unknown as number })).toThrow(/key "batchSize" must be an integer >= 1, got the string "64"/);
    expect(() => resolveCtrConfig({ attentionDim: 30, attentionHeads: 4 })).toThrow(/attentionDim 30 must be divisible by attentionHeads 4/);
    expect(() => resolveCtrConfig({ mlp: [] })).toThrow(/key "mlp" must be a non-empty list/);
    expect(() => resolveCtrConfig({ epocs: 3 } as never)).toThrow(/unknown key "epocs"/);
  });

  it('same seed, same scores; a different seed differs', async () => {
    const image = await loadImageFeatures(catalogue, { mode: 'cluster-id', embeddingsFile: fx.oracleFile, log: () => undefined });
    const run = (seed: number) => {
      const t = trainCtr({ catalogue, train: data.train, image, config, seed });
      const s = predictCtr(t, data.eval).scores;
      t.model.dispose();
      return s;
    };
    const a = run(3);
    const b = run(3);
    const c = run(4);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('checkpoint round trip gives the same scores; warm start keeps and grows the vocab', async () => {
    const image = await loadImageFeatures(catalogue, { mode: 'vector', embeddingsFile: fx.oracleFile });
    const t = trainCtr({ catalogue, train: data.train, image, config, seed: 9 });
    const before = predictCtr(t, data.eval).scores;
    const ckpt = JSON.parse(JSON.stringify(checkpointOf(t, catalogue)));
    const restored = restoreCtr(ckpt, catalogue, image);
    expect(Array.from(predictCtr(restored, data.eval).scores)).toEqual(Array.from(before));
    // Warm start on a split that contains eval items too: old ids keep their rows, new ids are appended.
    const warm = trainCtr({ catalogue, train: data.eval, image, config: { ...config, epochs: 1 }, seed: 9, warmStart: ckpt });
    expect(warm.stats.warmStart?.grown).toEqual(expect.arrayContaining(['item_id']));
    expect(warm.itemVocab.ids.slice(0, ckpt.itemVocab.length)).toEqual(ckpt.itemVocab);
    expect(() => trainCtr({ catalogue, train: data.train, image: null, config, seed: 9, warmStart: ckpt })).toThrow(/checkpoint's image mode is vector, this model's is none/);
    [t, restored, warm].forEach((x) => x.model.dispose());
  });

  it('experiment report has the ctr-report keys, seeds and per-category entries', async () => {
    const image = await loadImageFeatures(catalogue, { mode: 'simscore', embeddingsFile: fx.oracleFile });
    const { report } = runCtrExperiment({
      catalogue,
      data,
      featureSets: [{ name: 'oracle', image }],
      seeds: [1, 2],
      config,
      inPretraining: (c) => c === 'dress',
    });
    expect(report.contract).toBe('ctr-report');
    expect(report.methods[0].mode).toBe('simscore');
    expect(report.methods[0].seeds).toEqual([1, 2]);
    expect(report.methods[0].perSeed.map((p) => p.seed)).toEqual([1, 2]);
    const m = report.methods[0];
    expect(m.deltaAuc).toBeCloseTo(m.auc - report.baseline.auc, 12);
    expect(m.deltaGauc).toBeCloseTo(m.gauc - report.baseline.gauc, 12);
    expect(m.perCategory.map((c) => [c.category, c.inPretraining])).toEqual([['bag', false], ['coat', false], ['dress', true], ['shoe', false]]);
    // Evaluation-sampling errors of each seed's deltas (paired with the baseline of the same seed), and their root mean square.
    const perSeed = m.perSeed as unknown as { deltaAucSe: number; deltaGaucSe: number }[];
    for (const p of perSeed) {
      expect(p.deltaAucSe).toBeGreaterThan(0);
      expect(p.deltaAucSe).toBeLessThan(0.2);
      expect(p.deltaGaucSe).toBeGreaterThan(0);
    }
    const rms = Math.sqrt((perSeed[0].deltaAucSe ** 2 + perSeed[1].deltaAucSe ** 2) / 2);
    expect((m.evalSamplingSe as { deltaAuc: number }).deltaAuc).toBeCloseTo(rms, 12);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLUSTER_ASSIGNMENTS, CLUSTER_CENTRES } from '@courier/data-contracts';
import { readParquetAll, readVectorTable, writeVectorTable } from '@courier/io';
import { initBackend, resolveConfig } from '@courier/runtime';
import { Assigner } from './assign';
import { assignClusters, fitClusters } from './fit';
import { assignOne } from './serve';
import { fitSinglePass } from './single-pass';
import { CLUSTER_CONFIG_SCHEMA, ClusterConfig, runClusterAssign, runClusterFit } from './stage';
import { denseMixture, Mixture } from './testing';

process.env.COURIER_LOG = 'warn';
const quiet = () => undefined;

function bruteForce(x: Float32Array, xo: number, c: Float32Array, k: number, d: number): number {
  let best = Infinity;
  let id = -1;
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[xo + j] - c[i * d + j]) ** 2;
    if (s < best) {
      best = s;
      id = i;
    }
  }
  return id;
}

describe('V7: one assignment rule for fitting, batch labelling and serving', () => {
  beforeAll(async () => {
    await initBackend({ log: quiet });
  });

  it('js and tfjs kernels, batch and serving all give the brute-force nearest centre', async () => {
    const m = await denseMixture({ n: 3000, d: 48, components: 40, sep: 1, seed: 8 });
    const k = 257; // not a multiple of the kernel's blocks
    const centres = m.x.slice(0, k * m.d);
    for (let i = 0; i < centres.length; i++) centres[i] *= 0.9 + 0.2 * ((i * 7919) % 13) / 13; // unequal norms
    const js = await Assigner.create(centres, k, m.d, { kernel: 'js' });
    const tfjs = await Assigner.create(centres, k, m.d, { kernel: 'tfjs', rowBlock: 700, centreBlock: 100 });
    const a = js.assignBatch(m.x);
    const b = tfjs.assignBatch(m.x);
    tfjs.dispose();
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
    const serving = Assigner.js(centres, k, m.d);
    let mismatches = 0;
    for (let i = 0; i < m.n; i++) {
      const row = m.x.subarray(i * m.d, i * m.d + m.d);
      if (a.ids[i] !== bruteForce(m.x, i * m.d, centres, k, m.d)) mismatches++;
      if (serving.assignOne(row).id !== a.ids[i]) mismatches++;
      if (i < 50 && assignOne(centres, k, m.d, row) !== a.ids[i]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('ties go to the lowest id; the ip rule is the paper argmax cᵀx', () => {
    const c = Float32Array.from([1, 0, 1, 0, 0, 2]); // centres 0 and 1 identical
    expect(assignOne(c, 3, 2, [0.9, 0.1])).toBe(0);
    expect(assignOne(c, 3, 2, [0.5, 0.6])).toBe(0); // l2: (1,0) is nearer than (0,2)
    expect(assignOne(c, 3, 2, [0.5, 0.6], "ip")).toBe(2); // ip: 1.2 > 0.5
  });

  it('reserved id K for NaN, infinite, zero, missing and wrong-length vectors', async () => {
    const c = Float32Array.from([1, 0, 0, 1]);
    const a = Assigner.js(c, 2, 2);
    for (const bad of [[NaN, 1], [Infinity, 0], [0, 0], null, undefined, [1, 0, 0], []]) expect(a.assignOne(bad as number[] | null).id).toBe(2);
    const batch = a.assignBatch(Float32Array.from([1, 0.1, NaN, 0, 0, 0, 0.1, 2]));
    expect(Array.from(batch.ids)).toEqual([0, 2, 2, 1]);
    expect(batch.unknown).toBe(2);
    expect(Number.isNaN(batch.distances[1])).toBe(true);
  });
});

describe('bad input: clear errors or the reserved id, never a crash', () => {
  let m: Mixture;
  beforeAll(async () => {
    await initBackend({ log: quiet });
    m = await denseMixture({ n: 2000, d: 8, components: 5, sep: 3, seed: 3 });
  });

  it('NaN and zero rows are skipped in fitting, counted, and get id K', async () => {
    const x = Float32Array.from(m.x);
    for (const r of [0, 17, 500]) x[r * 8 + 3] = NaN;
    for (const r of [1, 900]) x.fill(0, r * 8, r * 8 + 8);
    const model = await fitClusters({ vectors: x, dim: 8 }, { k: 5, seed: 1, log: quiet });
    expect(model.invalidRows).toBe(5);
    expect(Number.isFinite(model.centres.reduce((s, v) => s + v, 0))).toBe(true);
    const sp = model.singlePass!;
    expect(sp.invalidRows).toBeLessThanOrEqual(5);
    const labelled = await assignClusters({ vectors: x, dim: 8 }, model);
    expect(labelled.unknown).toBe(5);
    for (const r of [0, 1, 17, 500, 900]) expect(labelled.ids[r]).toBe(5);
    expect(Number.isFinite(labelled.inertia)).toBe(true);
  });

  it('empty input, K > n, K > usable rows, ragged vectors and dim mismatch are errors that say what was expected', async () => {
    await expect(fitClusters({ vectors: new Float32Array(0), dim: 8 }, { k: 2, seed: 1 })).rejects.toThrow(/no rows/);
    await expect(fitClusters({ vectors: m.x.subarray(0, 80), dim: 8 }, { k: 11, seed: 1 })).rejects.toThrow(/k = 11 exceeds the 10 usable rows/);
    await expect(fitClusters({ vectors: new Float32Array(24).fill(NaN), dim: 8 }, { k: 1, seed: 1 })).rejects.toThrow(/none of the 3 rows is usable/);
    await expect(fitClusters({ vectors: m.x.subarray(0, 81), dim: 8 }, { k: 2, seed: 1 })).rejects.toThrow(/not a whole number of rows of dim 8/);
    await expect(fitClusters({ vectors: m.x, dim: 8 }, { k: 0, seed: 1 })).rejects.toThrow(/k must be an integer >= 1/);
    await expect(fitClusters({ vectors: m.x, dim: 8 }, { k: 2, seed: 1, method: 'bogus' as 'kmeans' })).rejects.toThrow(/unknown method "bogus"/);
    await expect(fitSinglePass(m.x, 2000, 8, { k: 300, seed: 1, initSampleSize: 100, log: quiet })).rejects.toThrow(/init sample has \d+ usable rows .* but k = 300/);
    const model = await fitClusters({ vectors: m.x, dim: 8 }, { k: 3, seed: 1, log: quiet });
    await expect(assignClusters({ vectors: new Float32Array(20), dim: 10 }, model)).rejects.toThrow(/dim 10 but the centres have dim 8/);
    expect(() => Assigner.js(new Float32Array(7), 2, 4)).toThrow(/need 8 values, got 7/);
  });

  it('the stage: fit writes contract files; assign labels new items with the saved centres; a wrong-dim file is rejected', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clustering-stage-'));
    const emb = path.join(dir, 'embeddings.arrow');
    const x = Float32Array.from(m.x);
    x[3 * 8] = NaN;
    const ids = Int32Array.from({ length: m.n }, (_, i) => i + 10);
    writeVectorTable(emb, { ids, vectors: x, dim: 8, metadata: { method: 'test', normalized: 'true' } });
    const config = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, { overrides: { embeddings: emb, k: 6 } });
    const meta = await runClusterFit({ outDir: path.join(dir, 'fit'), seed: 2, config });
    expect(meta.unknownRows).toBe(1);
    const centres = readVectorTable(path.join(dir, 'fit', 'centres.arrow'), CLUSTER_CENTRES);
    expect(centres.metadata.k).toBe('6');
    expect(centres.metadata.rule).toBe('l2');
    const rows = await readParquetAll(path.join(dir, 'fit', 'assignments.parquet'), CLUSTER_ASSIGNMENTS);
    expect(rows.length).toBe(m.n);
    expect(rows[3]).toMatchObject({ item_id: 13, cluster_id: 6, distance: null });
    // serving the same vectors with the saved centres gives the batch ids
    const a = Assigner.js(centres.vectors, 6, 8);
    for (let i = 0; i < 50; i++) expect(a.assignOne(x.subarray(i * 8, i * 8 + 8)).id).toBe(rows[i].cluster_id);
    // cluster:assign with the saved centres reproduces the fit's labels
    const assignConfig = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, { overrides: { embeddings: emb, centres: path.join(dir, 'fit', 'centres.arrow') } });
    await runClusterAssign({ outDir: path.join(dir, 'assign'), seed: 2, config: assignConfig });
    const again = await readParquetAll(path.join(dir, 'assign', 'assignments.parquet'), CLUSTER_ASSIGNMENTS);
    expect(again.map((r) => r.cluster_id)).toEqual(rows.map((r) => r.cluster_id));
    // wrong dimension
    const wrong = path.join(dir, 'wrong.arrow');
    writeVectorTable(wrong, { ids: Int32Array.from([1, 2]), vectors: new Float32Array(10).fill(0.5), dim: 5, metadata: {} });
    const wrongConfig = { ...assignConfig, embeddings: wrong };
    await expect(runClusterAssign({ outDir: path.join(dir, 'wrong'), seed: 2, config: wrongConfig })).rejects.toThrow(/dim 5 but the centres have dim 8/);
    await expect(runClusterFit({ outDir: path.join(dir, 'none'), seed: 2, config: { ...config, embeddings: path.join(dir, 'missing.arrow') } })).rejects.toThrow(/missing\.arrow/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

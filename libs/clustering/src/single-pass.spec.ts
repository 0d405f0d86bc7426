import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@courier/runtime';
import { writeVectorTable } from '@courier/io';
import { denseMixture, Mixture } from './testing';
import { fitSinglePass } from './single-pass';
import { assignClusters, fitClusters } from './fit';
import { runClusterFit, CLUSTER_CONFIG_SCHEMA, ClusterConfig } from './stage';
import { resolveConfig } from '@courier/runtime';

const quiet = () => undefined;
process.env.COURIER_LOG = 'warn';

describe('single-pass accounting, sharding and determinism', () => {
  let m: Mixture;
  let ids: Int32Array;
  beforeAll(async () => {
    await initBackend({ log: quiet });
    m = await denseMixture({ n: 12000, d: 24, components: 30, sep: 2, seed: 21 });
    ids = Int32Array.from({ length: m.n }, (_, i) => 1000 + 7 * i);
  });

  it('V6: a counting reader sees each estimation row exactly once; |S_t| within 5 sd of T·2^(t-1)', async () => {
    const r = await fitSinglePass(m.x, m.n, m.d, { k: 30, seed: 3, ids, tMin: 5, trackReads: true, log: quiet });
    expect(r.epochs).toBeGreaterThanOrEqual(4);
    const counts = r.readCounts!;
    const init = new Set(Array.from(r.initRowIndices!));
    let estimation = 0;
    for (let i = 0; i < m.n; i++) {
      if (init.has(i)) expect(counts[i]).toBe(0); // init rows never enter the pass
      else {
        expect(counts[i]).toBe(1);
        estimation++;
      }
    }
    expect(estimation).toBe(r.estimationRows);
    const total = 2 ** r.epochs - 1;
    for (const e of r.epochStats) {
      expect(e.read).toBe(e.rows);
      const p = 2 ** (e.epoch - 1) / total;
      const mean = r.estimationRows * p;
      const sd = Math.sqrt(r.estimationRows * p * (1 - p));
      expect(Math.abs(e.rows - mean)).toBeLessThanOrEqual(5 * sd);
    }
    expect(r.epochStats.reduce((s, e) => s + e.rows, 0)).toBe(r.estimationRows);
  });

  it('V5: 1, 4 and 7 shards give bit-identical centres (exact sums, any merge order)', async () => {
    const opts = { k: 30, seed: 9, ids, tMin: 5, log: quiet };
    const one = await fitSinglePass(m.x, m.n, m.d, { ...opts, shards: 1, kernel: 'js' });
    const four = await fitSinglePass(m.x, m.n, m.d, { ...opts, shards: 4 });
    const seven = await fitSinglePass(m.x, m.n, m.d, { ...opts, shards: 7 });
    const tfjs = await fitSinglePass(m.x, m.n, m.d, { ...opts, shards: 1, kernel: 'tfjs' });
    expect(four.kernel).toBe('workers-js');
    expect(tfjs.kernel).toBe('tfjs');
    let maxDiff = 0;
    for (const other of [four, seven, tfjs]) for (let i = 0; i < one.centres.length; i++) maxDiff = Math.max(maxDiff, Math.abs(one.centres[i] - other.centres[i]));
    expect(maxDiff).toBe(0); // the spec asks 1e-9; the fixed-point sums give equality
    expect(Buffer.from(four.centres.buffer).equals(Buffer.from(seven.centres.buffer))).toBe(true);
  });

  it('V8: same seed and input -> byte-identical centres.arrow and identical ids; another seed differs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clustering-v8-'));
    const file = path.join(dir, 'embeddings.arrow');
    writeVectorTable(file, { ids, vectors: m.x, dim: m.d, metadata: { method: 'test', normalized: 'true' } });
    const config = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, { overrides: { embeddings: file, k: 30 } });
    await runClusterFit({ outDir: path.join(dir, 'a'), seed: 4, config });
    await runClusterFit({ outDir: path.join(dir, 'b'), seed: 4, config });
    await runClusterFit({ outDir: path.join(dir, 'c'), seed: 5, config });
    const bytes = (run: string, f: string) => fs.readFileSync(path.join(dir, run, f));
    expect(bytes('a', 'centres.arrow').equals(bytes('b', 'centres.arrow'))).toBe(true);
    expect(bytes('a', 'assignments.parquet').equals(bytes('b', 'assignments.parquet'))).toBe(true);
    expect(bytes('a', 'centres.arrow').equals(bytes('c', 'centres.arrow'))).toBe(false);
    const run = JSON.parse(bytes('a', 'run.json').toString());
    for (const key of ['k', 'n', 'd', 'inertia', 'fitSeconds', 'assignSeconds', 'emptyClusters']) expect(run).toHaveProperty(key);
    expect(run.k).toBe(30);
    expect(run.n).toBe(m.n);
    expect(run.d).toBe(m.d);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('single-pass quality on this mixture is close to the k-means baseline', async () => {
    const sp = await fitClusters({ vectors: m.x, dim: m.d }, { k: 30, seed: 2, log: quiet });
    const km = await fitClusters({ vectors: m.x, dim: m.d }, { method: 'kmeans', init: 'kmeans++', k: 30, seed: 2, kmeansMaxIterations: 20 });
    const a = await assignClusters({ vectors: m.x, dim: m.d }, sp);
    const b = await assignClusters({ vectors: m.x, dim: m.d }, km);
    expect(a.inertia / b.inertia).toBeLessThan(1.1);
  });
});

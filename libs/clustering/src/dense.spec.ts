import { initBackend, Rng } from '@courier/runtime';
import { assignClusters } from './fit';
import { kmeansPlusPlus, lloyd } from './init';
import { fitSinglePass } from './single-pass';
import { denseMixture } from './testing';

process.env.COURIER_LOG = 'warn';
const quiet = () => undefined;

// V4 (spec §9), one configuration of the grid (the full grid is in tools/bench/clustering-quality.ts):
// n = 60,000, d = 64, K = 100, a mixture of 100 components with sep = 1.5, rows L2-normalised.
describe('V4: dense single-pass vs Lloyd from the same k-means++ seeding', () => {
  it('inertia <= 1.10x Lloyd-20 and <= 0.75x the seeding alone, for T = 20K and T = 5K', async () => {
    await initBackend({ log: quiet });
    const k = 100;
    const m = await denseMixture({ n: 60000, d: 64, components: 100, sep: 1.5, seed: 404 });
    const input = { vectors: m.x, dim: m.d };
    const rng = new Rng(1);
    const sampleRows = rng.shuffle(Array.from({ length: m.n }, (_, i) => i)).slice(0, 5000);
    const sample = new Float32Array(5000 * m.d);
    sampleRows.forEach((r, i) => sample.set(m.x.subarray(r * m.d, r * m.d + m.d), i * m.d));
    const seeding = kmeansPlusPlus({ data: sample, n: 5000, d: m.d }, k, rng.fork('kmeans++'));
    const initOnly = (await assignClusters(input, { centres: seeding, k, d: m.d, rule: 'l2' })).inertia;
    const lloyd20 = await lloyd({ data: m.x, n: m.n, d: m.d }, seeding, k, { iterations: 20 });
    const results: Record<string, number> = {};
    for (const tMin of [20, 5]) {
      const sp = await fitSinglePass(m.x, m.n, m.d, { k, seed: 3, tMin, init: { centres: seeding }, lambda1: 0, log: quiet });
      expect(sp.epochs).toBe(tMin === 20 ? 4 : 6);
      const inertia = (await assignClusters(input, { centres: sp.centres, k, d: m.d, rule: 'l2' })).inertia;
      results[`T=${tMin}K`] = inertia / lloyd20.inertia;
      expect(inertia).toBeLessThanOrEqual((tMin === 20 ? 1.1 : 1.1) * lloyd20.inertia);
      expect(inertia).toBeLessThanOrEqual(0.75 * initOnly);
    }
    // The seeding is much worse than Lloyd: the control that makes the ratios meaningful.
    expect(initOnly).toBeGreaterThan(1.2 * lloyd20.inertia);
    process.stderr.write(`V4 inertia ratios vs Lloyd-20: ${JSON.stringify(results)}; init-only/Lloyd ${(initOnly / lloyd20.inertia).toFixed(3)}\n`);
  });
});

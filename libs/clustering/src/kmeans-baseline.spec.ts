import { denseMixture } from './testing';
import { assignClusters, fitClusters } from './fit';
import { lloyd, kmeansPlusPlus } from './init';
import { Rng } from '@courier/runtime';

describe('ml-kmeans baseline behind the same interface', () => {
  it("method 'kmeans' fits, and from the same seeding agrees with our Lloyd", async () => {
    const m = await denseMixture({ n: 3000, d: 16, components: 8, sep: 3, seed: 5 });
    const seeding = kmeansPlusPlus({ data: m.x, n: m.n, d: m.d }, 8, new Rng(3));
    const base = await fitClusters({ vectors: m.x, dim: m.d }, { method: 'kmeans', k: 8, seed: 1, init: { centres: seeding }, kmeansMaxIterations: 30 });
    const ours = await lloyd({ data: m.x, n: m.n, d: m.d }, seeding, 8, { iterations: 30 });
    const a = await assignClusters({ vectors: m.x, dim: m.d }, base);
    expect(a.inertia).toBeCloseTo(ours.inertia, 4);
    expect(base.kmeans!.iterations).toBeGreaterThan(1);
  });
});

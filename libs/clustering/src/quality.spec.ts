import { initBackend, Rng } from '@courier/runtime';
import { assignClusters } from './fit';
import { greedyKmeansPlusPlus, kmeansPlusPlus, lloyd } from './init';
import { fitSinglePass } from './single-pass';
import { denseMixture, Mixture } from './testing';

process.env.COURIER_LOG = 'warn';
const quiet = () => undefined;

// The quality options (issue #21): greedy k-means++ seeding of the init sample and Lloyd
// refinement passes after the single pass. Defaults stay as they were (random seeding, no
// refinement), so every other spec is unchanged.
describe('greedy k-means++ seeding and refinement passes', () => {
  let m: Mixture;
  const k = 60;
  beforeAll(async () => {
    await initBackend({ log: quiet });
    // Well-separated groups: a seeding that misses a group (two seeds in another) is stuck there.
    m = await denseMixture({ n: 12000, d: 32, components: k, sep: 2, seed: 77 });
  });

  it('is deterministic and identical for the js and tfjs kernels (exact float64 distances)', async () => {
    const sample = { data: m.x.subarray(0, 2000 * m.d), n: 2000, d: m.d };
    const a = await greedyKmeansPlusPlus(sample, k, new Rng(4), { kernel: 'js' });
    const b = await greedyKmeansPlusPlus(sample, k, new Rng(4), { kernel: 'tfjs' });
    const c = await greedyKmeansPlusPlus(sample, k, new Rng(4));
    const other = await greedyKmeansPlusPlus(sample, k, new Rng(5), { kernel: 'js' });
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(other.buffer))).toBe(false);
    // every centre is a sample row
    for (let c0 = 0; c0 < k; c0++) {
      let found = false;
      for (let i = 0; i < sample.n && !found; i++) {
        let same = true;
        for (let j = 0; j < m.d && same; j++) same = sample.data[i * m.d + j] === a[c0 * m.d + j];
        found = same;
      }
      expect(found).toBe(true);
    }
    await expect(greedyKmeansPlusPlus({ data: sample.data.subarray(0, 10 * m.d), n: 10, d: m.d }, k, new Rng(1))).rejects.toThrow(/exceeds the 10 sample rows/);
  });

  it('covers more groups and lowers the potential vs plain k-means++ (same sample, 5 seeds)', async () => {
    const sample = { data: m.x.subarray(0, 3000 * m.d), n: 3000, d: m.d };
    const labels = m.labels.subarray(0, 3000);
    const groupsHit = (centres: Float32Array): number => {
      const hit = new Set<number>();
      for (let c = 0; c < k; c++) {
        for (let i = 0; i < sample.n; i++) {
          if (sample.data[i * m.d] === centres[c * m.d] && sample.data[i * m.d + 1] === centres[c * m.d + 1]) {
            hit.add(labels[i]);
            break;
          }
        }
      }
      return hit.size;
    };
    let greedyHits = 0;
    let plainHits = 0;
    let greedyPot = 0;
    let plainPot = 0;
    for (let s = 0; s < 5; s++) {
      const g = await greedyKmeansPlusPlus(sample, k, new Rng(s), { kernel: 'js' });
      const p = kmeansPlusPlus(sample, k, new Rng(s));
      greedyHits += groupsHit(g);
      plainHits += groupsHit(p);
      greedyPot += (await assignClusters({ vectors: sample.data, dim: m.d }, { centres: g, k, d: m.d, rule: 'l2' })).inertia;
      plainPot += (await assignClusters({ vectors: sample.data, dim: m.d }, { centres: p, k, d: m.d, rule: 'l2' })).inertia;
    }
    process.stderr.write(`groups hit of ${k} (mean of 5): greedy ${greedyHits / 5}, plain ${plainHits / 5}; potential ratio ${(greedyPot / plainPot).toFixed(3)}\n`);
    expect(greedyHits).toBeGreaterThan(plainHits);
    expect(greedyHits / 5).toBeGreaterThanOrEqual(0.95 * k); // seen 58 of 60 (plain: 48)
    expect(greedyPot).toBeLessThan(plainPot);
  });

  it('greedy seeding + 1 refinement pass: within 3% of Lloyd-20 from greedy k-means++ on all rows, and better than the default', async () => {
    const input = { vectors: m.x, dim: m.d };
    const inertia = async (c: Float32Array) => (await assignClusters(input, { centres: c, k, d: m.d, rule: 'l2' })).inertia;
    const def = await fitSinglePass(m.x, m.n, m.d, { k, seed: 3, log: quiet });
    const q = await fitSinglePass(m.x, m.n, m.d, { k, seed: 3, initSeeding: 'greedy-kmeans++', initIterations: 0, refinePasses: 1, log: quiet });
    const ref = await lloyd({ data: m.x, n: m.n, d: m.d }, await greedyKmeansPlusPlus({ data: m.x, n: m.n, d: m.d }, k, new Rng(9)), k, { iterations: 20 });
    const [iDef, iQ] = [await inertia(def.centres), await inertia(q.centres)];
    process.stderr.write(`inertia: default ${iDef.toFixed(4)}, greedy+refine ${iQ.toFixed(4)}, Lloyd-20 (greedy k-means++ on all rows) ${ref.inertia.toFixed(4)}\n`);
    expect(iQ).toBeLessThanOrEqual(1.03 * ref.inertia);
    expect(iQ).toBeLessThan(iDef);
    // the refinement pass is reported as such and reads every usable row once more
    const last = q.epochStats[q.epochStats.length - 1];
    expect(last.refine).toBe(true);
    expect(last.rows).toBe(m.n);
    expect(q.epochStats.filter((e) => !e.refine).length).toBe(q.epochs);
    expect(def.epochStats.some((e) => e.refine)).toBe(false);
  });

  it('refinement passes keep shard invariance and determinism; trackReads counts 1 + passes per estimation row', async () => {
    const opts = { k, seed: 5, initSeeding: 'greedy-kmeans++' as const, refinePasses: 2, trackReads: true, log: quiet };
    const one = await fitSinglePass(m.x, m.n, m.d, { ...opts, kernel: 'js' });
    const again = await fitSinglePass(m.x, m.n, m.d, { ...opts, kernel: 'tfjs' });
    const three = await fitSinglePass(m.x, m.n, m.d, { ...opts, shards: 3 });
    expect(Buffer.from(one.centres.buffer).equals(Buffer.from(again.centres.buffer))).toBe(true);
    expect(Buffer.from(one.centres.buffer).equals(Buffer.from(three.centres.buffer))).toBe(true);
    const init = new Set(Array.from(one.initRowIndices!));
    for (let i = 0; i < m.n; i++) expect(one.readCounts![i]).toBe(init.has(i) ? 2 : 3);
    await expect(fitSinglePass(m.x, m.n, m.d, { k, seed: 5, refinePasses: -1, log: quiet })).rejects.toThrow(/refinePasses must be an integer >= 0/);
    await expect(fitSinglePass(m.x, m.n, m.d, { k, seed: 5, initSeeding: 'nope' as never, log: quiet })).rejects.toThrow(/unknown initSeeding "nope"/);
  });
});

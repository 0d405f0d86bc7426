import { initBackend, Rng } from '@courier/runtime';
import { fitSinglePass, SinglePassResult } from './single-pass';
import { matchCentres, Mixture, sparseMixture } from './testing';

process.env.COURIER_LOG = 'warn';
const quiet = () => undefined;

// V2 (spec §9): planted sparse centres, d = 5000, K = 10, s = 50, σ = 0.02, T ≈ 400, m = 6.
describe('V2: planted sparse centres are recovered', () => {
  const d = 5000;
  const k = 10;
  const s = 50;
  const sigma = 0.02;
  const n = 25200;
  let data: Mixture & { supports: number[][] };
  const base = { k, seed: 7, epochs: 6, keepHistory: true, log: quiet } as const;
  let auto: SinglePassResult;
  let zero: SinglePassResult;

  beforeAll(async () => {
    await initBackend({ log: quiet });
    data = await sparseMixture({ n, d, k, s, sigma, seed: 2014 });
    auto = await fitSinglePass(data.x, n, d, { ...base, init: 'hierarchical', lambda1: 'auto' });
    // same hierarchical init, plain means (the init is reused rather than recomputed: saves ~5 s)
    zero = await fitSinglePass(data.x, n, d, { ...base, init: { centres: auto.initCentres }, lambda1: 0 });
  });

  it('hierarchical init on ⌈5K ln n⌉ points lands inside the convergence radius Δ_max', () => {
    expect(auto.initRows).toBeGreaterThan(420);
    expect(auto.initRows).toBeLessThan(600);
    let rho = 0;
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += data.means[a * d + j] * data.means[b * d + j];
      rho = Math.max(rho, dot);
    }
    const deltaMax = (1 - rho) / 2 - sigma * Math.sqrt(5 * Math.log(3 * k));
    const delta1 = matchCentres(auto.initCentres, data.means, k, d).maxError;
    expect(deltaMax).toBeGreaterThan(0.35);
    expect(delta1).toBeLessThan(deltaMax);
    expect(delta1).toBeLessThan(0.3);
  });

  it("λ_1 = 'auto' (≈0.026) reaches error ≤ 0.03, shrinking ≤ 0.8x per epoch, with the true supports", () => {
    expect(auto.lambda1).toBeGreaterThan(0.02);
    expect(auto.lambda1).toBeLessThan(0.033);
    const errors = [matchCentres(auto.initCentres, data.means, k, d).maxError, ...auto.history!.map((c) => matchCentres(c, data.means, k, d).maxError)];
    const final = errors[errors.length - 1];
    expect(final).toBeLessThanOrEqual(0.03);
    // geometric mean error ratio over the epochs after the first (Theorem 1: 1/√2)
    const ratio = (final / errors[1]) ** (1 / (errors.length - 2));
    expect(ratio).toBeLessThanOrEqual(0.8);
    const { match } = matchCentres(auto.centres, data.means, k, d);
    let tp = 0;
    let est = 0;
    for (let t = 0; t < k; t++) {
      const e = match[t];
      const truth = new Set(data.supports[t]);
      for (let j = 0; j < d; j++) {
        if (auto.centres[e * d + j] !== 0) {
          est++;
          if (truth.has(j)) tp++;
        }
      }
    }
    expect(tp / (k * s)).toBeGreaterThanOrEqual(0.99); // support recall
    expect(tp / est).toBeGreaterThanOrEqual(0.95); // support precision
  });

  it('λ_1 = 0 (plain means) is worse: error ≤ 0.06 and ≥ 1.5x the thresholded error', () => {
    const eAuto = matchCentres(auto.centres, data.means, k, d).maxError;
    const eZero = matchCentres(zero.centres, data.means, k, d).maxError;
    expect(eZero).toBeLessThanOrEqual(0.06);
    expect(eZero).toBeGreaterThanOrEqual(1.5 * eAuto);
  });

  it('oracle init (truth + 0.3·random unit vector, λ_1 = 0.015) reaches error ≤ 0.03', async () => {
    const rng = new Rng(99);
    const init = Float32Array.from(data.means);
    for (let c = 0; c < k; c++) {
      const u = Float64Array.from({ length: d }, () => rng.normal());
      const norm = Math.hypot(...u);
      for (let j = 0; j < d; j++) init[c * d + j] += (0.3 * u[j]) / norm;
    }
    const r = await fitSinglePass(data.x, n, d, { ...base, init: { centres: init }, lambda1: 0.3 / (2 * Math.sqrt(2 * s)) });
    expect(matchCentres(r.centres, data.means, k, d).maxError).toBeLessThanOrEqual(0.03);
  });
});

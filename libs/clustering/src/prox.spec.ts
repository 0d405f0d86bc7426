import { Rng } from '@courier/runtime';
import { softThreshold } from './prox';

describe('V1: soft-threshold prox step (eq. 1-2)', () => {
  it('satisfies the optimality conditions of min λ||c||_1 + ||c - x̄||² for random x̄ and λ', () => {
    const rng = new Rng(11);
    let zeros = 0;
    let nonZeros = 0;
    for (let trial = 0; trial < 200; trial++) {
      const d = 50;
      const mean = Float64Array.from({ length: d }, () => rng.normal(0, 0.3));
      const lambda = rng.uniform(0, 0.8);
      const c = softThreshold(mean, lambda);
      for (let j = 0; j < d; j++) {
        if (c[j] !== 0) {
          nonZeros++;
          // stationarity: 2(c_j - x̄_j) + λ·sign(c_j) = 0
          expect(Math.abs(2 * (c[j] - mean[j]) + lambda * Math.sign(c[j]))).toBeLessThan(1e-12);
          expect(Math.sign(c[j])).toBe(Math.sign(mean[j]));
        } else {
          zeros++;
          // subgradient: |2 x̄_j| <= λ
          expect(Math.abs(2 * mean[j])).toBeLessThanOrEqual(lambda + 1e-12);
        }
      }
    }
    expect(zeros).toBeGreaterThan(100);
    expect(nonZeros).toBeGreaterThan(100);
  });

  it('thresholds at λ/2, not λ', () => {
    expect(Array.from(softThreshold([0.3, -0.3, 0.1, -0.05], 0.4))).toEqual([0.3 - 0.2, -0.3 + 0.2, 0, 0]);
  });

  it('λ = 0 returns the plain mean exactly, and rejects negative λ', () => {
    const mean = Float64Array.from([0.1, -1e-300, 3.5, -0.2, 0]);
    expect(Array.from(softThreshold(mean, 0))).toEqual(Array.from(mean));
    expect(() => softThreshold(mean, -1)).toThrow(/lambda must be >= 0/);
  });
});

import { Rng } from './random';

describe('Rng', () => {
  it('is deterministic by seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.nextUint32());
    const xb = Array.from({ length: 5 }, () => b.nextUint32());
    const xc = Array.from({ length: 5 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('resumes from a saved state', () => {
    const a = new Rng(7);
    a.next();
    const saved = a.getState();
    const expected = [a.next(), a.next()];
    const b = new Rng(1);
    b.setState(saved);
    expect([b.next(), b.next()]).toEqual(expected);
  });

  it('forks independent, reproducible streams', () => {
    const root = new Rng(5);
    const f1 = root.fork('world').next();
    const f2 = new Rng(5).fork('world').next();
    const f3 = new Rng(5).fork('trainer').next();
    expect(f1).toBe(f2);
    expect(f1).not.toBe(f3);
  });

  it('draws uniform and normal values with the right moments', () => {
    const rng = new Rng(1);
    const n = 20000;
    let sumU = 0;
    let sumN = 0;
    let sumN2 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (u < 0 || u >= 1) throw new Error(`uniform draw out of range: ${u}`);
      sumU += u;
      const z = rng.normal();
      sumN += z;
      sumN2 += z * z;
    }
    expect(sumU / n).toBeCloseTo(0.5, 1);
    expect(sumN / n).toBeCloseTo(0, 1);
    expect(sumN2 / n).toBeCloseTo(1, 1);
  });

  it('shuffles to a permutation and picks by weight', () => {
    const rng = new Rng(3);
    const arr = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...arr].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[rng.weightedIndex([1, 0, 3])]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.3);
    expect(() => rng.int(0)).toThrow(/n must be >= 1/);
  });
});

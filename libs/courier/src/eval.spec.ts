import { chanceAgreement, neighbourAgreement } from './eval';

describe('neighbourAgreement', () => {
  // Four items on a line in 2-D: a, b close together, c, d close together; labels chosen so
  // that the global and the within-group answers differ.
  const vectors = new Float32Array([1, 0, 0.99, 0.14, 0, 1, 0.14, 0.99]);
  const labels = [0, 1, 1, 0];

  it('counts how often the nearest neighbour shares the label', () => {
    // a's nearest is b (label differs), b's is a, c's is d, d's is c: 0 of 4 agree.
    expect(neighbourAgreement(vectors, 2, labels, 1)).toBe(0);
    expect(neighbourAgreement(vectors, 2, [0, 0, 1, 1], 1)).toBe(1);
  });

  it('searches neighbours only inside the group with `within`', () => {
    // Groups {a, c} and {b, d}: a's only neighbour is c (label 1 vs 0), c's is a; b's is d
    // (1 vs 0), d's is b: still 0 agree; with labels [0, 1, 0, 1] all agree.
    const groups = [0, 1, 0, 1];
    expect(neighbourAgreement(vectors, 2, labels, 1, groups)).toBe(0);
    expect(neighbourAgreement(vectors, 2, [0, 1, 0, 1], 1, groups)).toBe(1);
    // k larger than a group: only the one available neighbour counts.
    expect(neighbourAgreement(vectors, 2, [0, 1, 0, 1], 3, groups)).toBe(1);
    // Singleton groups have no neighbours at all.
    expect(neighbourAgreement(vectors, 2, labels, 1, [0, 1, 2, 3])).toBe(0);
    expect(() => neighbourAgreement(vectors, 2, labels, 1, [0, 1])).toThrow(/4 labels but 2 group labels/);
  });

  it('chance agreement is the probability that two other items share the label', () => {
    expect(chanceAgreement([0, 0, 1, 1])).toBeCloseTo(1 / 3, 12);
  });
});

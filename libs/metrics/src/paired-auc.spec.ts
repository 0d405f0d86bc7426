import { Rng } from '@courier/runtime';
import { MetricInputError, auc, gauc } from './auc';
import { pairedAucDifference, pairedGroupAucDifference } from './paired-auc';

/**
 * A click log with sessions: each session has a shared offset (so its rows are correlated), a
 * per-row signal, and two scorers that see the signal with different noise. Returns flat arrays.
 */
function sessionLog(rng: Rng, sessions: number, rowsPerSession: number, sessionSd: number) {
  const n = sessions * rowsPerSession;
  const labels = new Float64Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const cluster = new Float64Array(n);
  for (let s = 0; s < sessions; s++) {
    const offset = rng.normal(0, sessionSd);
    // A session-level error both scorers share part of: rows of one session move together.
    const sharedError = rng.normal(0, 1);
    for (let r = 0; r < rowsPerSession; r++) {
      const i = s * rowsPerSession + r;
      const signal = rng.normal(0, 1);
      const logit = signal + offset - 1.5;
      labels[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
      a[i] = signal + offset + 0.6 * rng.normal(0, 1) + 2 * sessionSd * sharedError;
      b[i] = signal + offset + 1.0 * rng.normal(0, 1) - 2 * sessionSd * sharedError;
      cluster[i] = s;
    }
  }
  return { labels, a, b, cluster };
}

/** Cluster bootstrap of ΔAUC: resample whole clusters with replacement. */
function bootstrapSe(a: Float64Array, b: Float64Array, labels: Float64Array, sessions: number, rowsPerSession: number, reps: number, rng: Rng): number {
  const deltas: number[] = [];
  const n = sessions * rowsPerSession;
  const ra = new Float64Array(n);
  const rb = new Float64Array(n);
  const rl = new Float64Array(n);
  for (let t = 0; t < reps; t++) {
    for (let s = 0; s < sessions; s++) {
      const from = rng.int(sessions) * rowsPerSession;
      for (let r = 0; r < rowsPerSession; r++) {
        ra[s * rowsPerSession + r] = a[from + r];
        rb[s * rowsPerSession + r] = b[from + r];
        rl[s * rowsPerSession + r] = labels[from + r];
      }
    }
    deltas.push((auc(ra, rl) as number) - (auc(rb, rl) as number));
  }
  const mean = deltas.reduce((x, y) => x + y, 0) / reps;
  return Math.sqrt(deltas.reduce((x, d) => x + (d - mean) ** 2, 0) / (reps - 1));
}

/** Textbook DeLong (pairwise placements, (m-1) and (n-1) denominators) for independent rows. */
function delongSe(a: Float64Array, b: Float64Array, labels: Float64Array): number {
  const pos: number[] = [];
  const neg: number[] = [];
  labels.forEach((y, i) => (y === 1 ? pos : neg).push(i));
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const v10 = pos.map((i) => neg.reduce((s, j) => s + psi(a[i], a[j]) - psi(b[i], b[j]), 0) / neg.length);
  const v01 = neg.map((j) => pos.reduce((s, i) => s + psi(a[i], a[j]) - psi(b[i], b[j]), 0) / pos.length);
  const variance = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
  };
  return Math.sqrt(variance(v10) / pos.length + variance(v01) / neg.length);
}

describe('pairedAucDifference', () => {
  it('delta is AUC(a) - AUC(b), ties included', () => {
    const rng = new Rng(3);
    const { labels, a, b, cluster } = sessionLog(rng, 60, 8, 0.5);
    for (let i = 0; i < a.length; i += 7) a[i] = Math.round(a[i]); // ties
    const d = pairedAucDifference(a, b, labels, cluster);
    expect(d).not.toBeNull();
    expect(d?.delta).toBeCloseTo((auc(a, labels) as number) - (auc(b, labels) as number), 12);
    expect(d?.units).toBe(60);
  });

  it('without clusters it is DeLong: matches the pairwise formula', () => {
    const rng = new Rng(5);
    const { labels, a, b } = sessionLog(rng, 150, 2, 0);
    const d = pairedAucDifference(a, b, labels) as NonNullable<ReturnType<typeof pairedAucDifference>>;
    const reference = delongSe(a, b, labels);
    expect(Math.abs(d.se - reference) / reference).toBeLessThan(0.02);
  });

  it('with session clusters it agrees with a cluster bootstrap, and the row-level error is too small', () => {
    const rng = new Rng(11);
    const sessions = 300;
    const rows = 10;
    const { labels, a, b, cluster } = sessionLog(rng, sessions, rows, 1.0);
    const clustered = pairedAucDifference(a, b, labels, cluster) as NonNullable<ReturnType<typeof pairedAucDifference>>;
    const rowLevel = pairedAucDifference(a, b, labels) as NonNullable<ReturnType<typeof pairedAucDifference>>;
    const boot = bootstrapSe(a, b, labels, sessions, rows, 300, new Rng(12));
    expect(Math.abs(clustered.se - boot) / boot).toBeLessThan(0.2);
    // The planted session effect makes rows of a session move together: ignoring it understates the error.
    expect(rowLevel.se).toBeLessThan(0.8 * clustered.se);
  });

  it('identical scorers differ by exactly zero with zero error', () => {
    const rng = new Rng(7);
    const { labels, a, cluster } = sessionLog(rng, 40, 5, 0.5);
    const d = pairedAucDifference(a, a, labels, cluster);
    expect(d?.delta).toBe(0);
    expect(d?.se).toBe(0);
  });

  it('is null with one class, and names bad input', () => {
    expect(pairedAucDifference([0.1, 0.2], [0.3, 0.4], [1, 1])).toBeNull();
    expect(() => pairedAucDifference([0.1], [0.2, 0.3], [1, 0])).toThrow(MetricInputError);
    expect(() => pairedAucDifference([0.1, 0.2], [0.2, 0.3], [1, 2])).toThrow("'labels'[1] is 2");
  });
});

describe('pairedGroupAucDifference', () => {
  it('delta is GAUC(a) - GAUC(b); the error is the sd of per-group differences over sqrt(G)', () => {
    const rng = new Rng(9);
    const { labels, a, b, cluster } = sessionLog(rng, 80, 12, 0.5);
    const d = pairedGroupAucDifference(a, b, labels, cluster) as NonNullable<ReturnType<typeof pairedGroupAucDifference>>;
    const ga = gauc(a, labels, cluster);
    const gb = gauc(b, labels, cluster);
    expect(d.delta).toBeCloseTo((ga.gauc as number) - (gb.gauc as number), 12);
    expect(d.units).toBe(ga.nGroupsUsed);
    const diffs = ga.perGroup.flatMap((g, i) => (g.auc === null ? [] : [g.auc - (gb.perGroup[i].auc as number)]));
    const mean = diffs.reduce((s, x) => s + x, 0) / diffs.length;
    const sd = Math.sqrt(diffs.reduce((s, x) => s + (x - mean) ** 2, 0) / (diffs.length - 1));
    expect(d.se).toBeCloseTo(sd / Math.sqrt(diffs.length), 12);
  });
});

import { Rng } from '@courier/runtime';
import type { EvalSplit } from './dataset';
import { evaluateSplits, userMetrics } from './evaluate';
import { bruteForceMetrics } from './testing';

describe('blocked full-ranking evaluator', () => {
  it('equals a brute-force evaluator on random data, with masking, ties and duplicate targets', async () => {
    const rng = new Rng(7);
    const nUsers = 60;
    const nItems = 80;
    // Quantised scores create ties (broken by lower index in both evaluators).
    const scores = Array.from({ length: nUsers }, () => Float32Array.from({ length: nItems }, () => Math.round(rng.normal() * 4) / 4));
    const trainItemsByUser = Array.from({ length: nUsers }, () => Int32Array.from(new Set(Array.from({ length: 1 + rng.int(10) }, () => rng.int(nItems)))).sort());
    const makeSplit = (): EvalSplit => {
      const users = rng.shuffle(Array.from({ length: nUsers }, (_, u) => u)).slice(0, 45);
      // Targets may repeat an item and may include a (masked, never hit) training item.
      const targets = users.map((u) => Int32Array.from({ length: 1 + rng.int(6) }, (_, j) => (j === 0 && rng.bernoulli(0.2) ? trainItemsByUser[u][0] : rng.int(nItems))));
      return { users: Int32Array.from(users), targets, rows: targets.reduce((s, t) => s + t.length, 0) };
    };
    const splits = { valid: makeSplit(), test: makeSplit() };
    expect(splits.test.targets.some((t) => new Set(t).size < t.length)).toBe(true);
    const ks = [5, 10, 20, 50];
    for (const blockSize of [1, 7, 4096]) {
      let calls = 0;
      const res = await evaluateSplits(
        (users) => {
          calls++;
          const out = new Float32Array(users.length * nItems);
          users.forEach((u, b) => out.set(scores[u], b * nItems));
          return out;
        },
        splits,
        { nItems, trainItemsByUser, blockSize, ks },
      );
      const union = new Set([...splits.valid.users, ...splits.test.users]).size;
      expect(calls).toBe(Math.ceil(union / blockSize));
      for (const name of ['valid', 'test'] as const) {
        const ref = bruteForceMetrics((u) => scores[u], splits[name], trainItemsByUser, ks);
        for (const [key, v] of Object.entries(ref)) expect(res[name][key]).toBeCloseTo(v, 10);
      }
    }
  });

  it('hand-checked multiset case: |T_u| counts duplicates, a hit counts once per rank', () => {
    // ranked [3, 1, 2]; T = {1, 1, 9}: one hit at rank 2.
    const m = userMetrics([3, 1, 2], Int32Array.from([1, 1, 9]), [2]);
    expect(m['recall@2']).toBeCloseTo(1 / 3, 12);
    expect(m['ndcg@2']).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(m['precision@2']).toBeCloseTo(0.5, 12);
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '@courier/runtime';
import { auc, aucPairwise, gauc, MetricInputError } from './auc';
import { rankTopK, recallAtK, ndcgAtK, evaluateTopK } from './topk';

// Golden vectors: $COURIER_GOLDEN_DIR, else shared/golden beside the repo root
// (repo root = 3 levels up from libs/metrics/src).
const goldenDir = process.env.COURIER_GOLDEN_DIR ?? path.resolve(__dirname, '../../..', '..', 'shared', 'golden');
const golden = JSON.parse(fs.readFileSync(path.join(goldenDir, 'metrics.json'), 'utf8'));
const { rtol, atol } = golden.tolerance.float64 as { rtol: number; atol: number };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- golden JSON is untyped
const cases = (kind: string): [string, any][] => golden[kind].map((c: { name: string }) => [c.name, c]);

function close(actual: number | null, expected: number | null, what: string): void {
  if (expected === null || actual === null) {
    if (actual !== expected) throw new Error(`${what}: got ${actual}, expected ${expected}`);
    return;
  }
  if (!(Math.abs(actual - expected) <= rtol * Math.abs(expected) + atol)) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (rtol ${rtol}, atol ${atol})`);
  }
}

describe('golden metrics.json', () => {
  it.each(cases('auc'))('auc %s', (_name, c: any) => {
    close(auc(c.inputs.scores, c.inputs.labels), c.outputs.auc, `auc ${c.name}`);
    close(aucPairwise(c.inputs.scores, c.inputs.labels), c.outputs.auc, `aucPairwise ${c.name}`);
  });

  it.each(cases('gauc'))('gauc %s', (_name, c: any) => {
    const r = gauc(c.inputs.scores, c.inputs.labels, c.inputs.groups);
    close(r.gauc, c.outputs.gauc, `gauc ${c.name}`);
    close(r.gaucWeighted, c.outputs.gauc_weighted, `gaucWeighted ${c.name}`);
    expect(r.nGroupsUsed).toBe(c.outputs.n_groups_used);
    expect(r.perGroup.length).toBe(c.outputs.per_group.length);
    c.outputs.per_group.forEach((g: { group: number; size: number; auc: number | null }, i: number) => {
      expect(r.perGroup[i].group).toBe(g.group);
      expect(r.perGroup[i].size).toBe(g.size);
      close(r.perGroup[i].auc, g.auc, `gauc ${c.name} per_group[${i}]`);
    });
  });

  it.each(cases('topk'))('topk %s', (_name, c: any) => {
    const { scores, train_mask: mask, test_items: test, ks } = c.inputs as {
      scores: number[][];
      train_mask: number[][];
      test_items: number[][];
      ks: number[];
    };
    const r = evaluateTopK({
      nUsers: scores.length,
      userScores: (u) => scores[u],
      testItems: (u) => test[u],
      excluded: (u, i) => mask[u][i] === 1,
      ks,
    });
    expect(r.nUsersEvaluated).toBe(c.outputs.n_users_evaluated);
    for (const k of ks) {
      for (const m of [`recall@${k}`, `ndcg@${k}`]) {
        close(r.metrics[m], c.outputs[m], `${c.name} ${m}`);
        const ref = c.outputs.per_user[m] as (number | null)[];
        expect(r.perUser[m].length).toBe(ref.length);
        ref.forEach((v, u) => close(r.perUser[m][u], v, `${c.name} ${m} user ${u}`));
      }
    }
  });
});

describe('hand-checked cases', () => {
  it('auc: 2 positives, 2 negatives, one tie', () => {
    // pairs (p,n): (0.9,0.1)=1 (0.9,0.5)=1 (0.5,0.1)=1 (0.5,0.5)=0.5 -> 3.5/4
    expect(auc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])).toBe(3.5 / 4);
  });
  it('gauc excludes single-class groups and weights by size', () => {
    // group 1: AUC 1 (size 2); group 2: AUC 0 (size 3: 1 pos, 2 neg below?); group 3: only positives
    const r = gauc([0.9, 0.1, 0.1, 0.5, 0.6, 0.3], [1, 0, 1, 0, 0, 1], [1, 1, 2, 2, 2, 3]);
    expect(r.perGroup.map((g) => g.auc)).toEqual([1, 0, null]);
    expect(r.gauc).toBe((1 + 0) / 2);
    expect(r.gaucWeighted).toBe((1 * 2 + 0 * 3) / 5);
    expect(r.nGroupsUsed).toBe(2);
  });
  it('rankTopK: score descending, ties by lower index, exclusions skipped', () => {
    expect(rankTopK([0.5, 0.9, 0.5, 0.9, 0.1], 4)).toEqual([1, 3, 0, 2]);
    expect(rankTopK([0.5, 0.9, 0.5, 0.9, 0.1], 10, (i) => i === 1)).toEqual([3, 0, 2, 4]);
  });
  it('recall and ndcg', () => {
    const ranked = [4, 2, 7, 1];
    const rel = new Set([2, 9]);
    expect(recallAtK(ranked, rel, 3)).toBe(1 / 2);
    // hit at rank 2: DCG = 1/log2(3); IDCG over min(2,3) = 2 items: 1 + 1/log2(3)
    expect(ndcgAtK(ranked, rel, 3)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK(ranked, rel, 1)).toBe(0);
  });
  it('bad input names the function and argument', () => {
    expect(() => auc([0.1, 0.2], [1])).toThrow(/auc: 'scores' has length 2 but 'labels' has length 1/);
    expect(() => auc([0.1, 0.2], [1, 2])).toThrow(/'labels'\[1\] is 2; expected 0 or 1/);
    expect(() => auc([NaN, 0.2], [1, 0])).toThrow(MetricInputError);
    expect(() => gauc([0.1], [1], [1, 2])).toThrow(/'groups' has length 2/);
  });
});

describe('brute-force cross-check', () => {
  it('auc equals the pairwise count on random inputs with ties', () => {
    const rng = new Rng(7);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rng.next() * 60);
      const levels = 1 + Math.floor(rng.next() * 8); // few distinct scores -> many ties
      const scores = Array.from({ length: n }, () => Math.floor(rng.next() * levels) / levels);
      const labels = Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
      const fast = auc(scores, labels);
      const slow = aucPairwise(scores, labels);
      if (slow === null) expect(fast).toBeNull();
      else expect(Math.abs((fast as number) - slow)).toBeLessThan(1e-12);
    }
  });
  it('gauc per group equals auc of the group rows', () => {
    const rng = new Rng(11);
    const n = 500;
    const scores = Array.from({ length: n }, () => Math.round(rng.next() * 10) / 10);
    const labels = Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
    const groups = Array.from({ length: n }, () => Math.floor(rng.next() * 40) * 3);
    const r = gauc(scores, labels, groups);
    let sum = 0;
    let used = 0;
    for (const g of r.perGroup) {
      const idx = groups.map((x, i) => (x === g.group ? i : -1)).filter((i) => i >= 0);
      expect(g.size).toBe(idx.length);
      const ref = aucPairwise(idx.map((i) => scores[i]), idx.map((i) => labels[i]));
      if (ref === null) expect(g.auc).toBeNull();
      else {
        expect(Math.abs((g.auc as number) - ref)).toBeLessThan(1e-12);
        sum += ref;
        used++;
      }
    }
    expect(r.nGroupsUsed).toBe(used);
    expect(Math.abs((r.gauc as number) - sum / used)).toBeLessThan(1e-12);
  });
});

/**
 * Test fixtures for @courier/amazon-bench: a brute-force full-ranking evaluator written directly
 * from the spec's formulas (section 4), and a cached tiny synthetic dataset.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalSplit } from './dataset';
import { SyntheticParams, SyntheticPreset, generateSynthetic, syntheticParams } from './synthetic';

/**
 * Spec 4.1-4.2 literally: mask training items with -1e10, full sort (score desc, lower index
 * first), hit(u, r) = item at rank r in T_u, Recall = hits/|T_u|, NDCG with IDCG over
 * min(|T_u|, k). Returns means over the split's users.
 */
export function bruteForceMetrics(scores: (u: number) => Float32Array, split: EvalSplit, trainItemsByUser: Int32Array[], ks: number[]): Record<string, number> {
  const sums: Record<string, number> = {};
  split.users.forEach((u, idx) => {
    const s = Float64Array.from(scores(u));
    for (const i of trainItemsByUser[u]) s[i] = -1e10;
    const order = Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);
    const T = Array.from(split.targets[idx]);
    const inT = new Set(T);
    for (const k of ks) {
      let hits = 0;
      let dcg = 0;
      for (let r = 0; r < k && r < order.length; r++) {
        if (inT.has(order[r])) {
          hits++;
          dcg += 1 / Math.log2(r + 2);
        }
      }
      let idcg = 0;
      for (let r = 0; r < Math.min(T.length, k); r++) idcg += 1 / Math.log2(r + 2);
      sums[`recall@${k}`] = (sums[`recall@${k}`] ?? 0) + hits / T.length;
      sums[`ndcg@${k}`] = (sums[`ndcg@${k}`] ?? 0) + dcg / idcg;
    }
  });
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / split.users.length]));
}

const cache = new Map<string, string>();

/** Generates (once per process) a synthetic dataset; returns { root, name }. */
export function makeSyntheticDataset(preset: SyntheticPreset, overrides: Partial<SyntheticParams> = {}): { root: string; name: string } {
  const key = JSON.stringify([preset, overrides]);
  let root = cache.get(key);
  const name = `synthetic-${preset}`;
  if (!root) {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'amazon-bench-'));
    generateSynthetic(root, name, syntheticParams(preset, overrides));
    cache.set(key, root);
  }
  return { root, name };
}

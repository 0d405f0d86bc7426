/**
 * MMRec full-ranking evaluation (spec amazon-benchmark.md, section 4): every evaluated user's
 * scores over ALL items, training items masked, top K_max = 50, Recall/NDCG/Precision@k
 * averaged over users. Users are scored in blocks (one [block, nItems] score matrix at a time)
 * and ranked with `rankTopK` from @courier/metrics.
 *
 * T_u is a multiset: |T_u| counts duplicates while a hit counts once per rank position. The
 * set-based `recallAtK` / `ndcgAtK` are rescaled to that definition: recall by |set|/|T_u|,
 * NDCG by IDCG(min(|set|,k)) / IDCG(min(|T_u|,k)) (equal to 1 without duplicates).
 */
import { ndcgAtK, rankTopK, recallAtK } from '@courier/metrics';
import type { EvalSplit } from './dataset';

export const EVAL_KS = [5, 10, 20, 50] as const;

/** Scores a block of users: row-major [users.length, nItems]. */
export type BlockScorer = (users: Int32Array) => Float32Array | Promise<Float32Array>;

export type MetricRecord = Record<string, number>;

export interface EvalOptions {
  nItems: number;
  /** Unique training items per user (masked). */
  trainItemsByUser: Int32Array[];
  ks?: readonly number[];
  /** Users per score block (no effect on results). */
  blockSize?: number;
}

function idcg(n: number): number {
  let s = 0;
  for (let r = 0; r < n; r++) s += 1 / Math.log2(r + 2);
  return s;
}

/** Metrics of one user from its ranked list (multiset-aware; see module comment). */
export function userMetrics(ranked: number[], targets: Int32Array, ks: readonly number[]): MetricRecord {
  const set = new Set<number>(targets);
  const out: MetricRecord = {};
  const dupRecall = set.size / targets.length;
  for (const k of ks) {
    out[`recall@${k}`] = recallAtK(ranked, set, k) * dupRecall;
    const nd = ndcgAtK(ranked, set, k);
    out[`ndcg@${k}`] = set.size === targets.length ? nd : (nd * idcg(Math.min(set.size, k))) / idcg(Math.min(targets.length, k));
    let hits = 0;
    for (let r = 0; r < Math.min(k, ranked.length); r++) if (set.has(ranked[r])) hits++;
    out[`precision@${k}`] = hits / k;
  }
  return out;
}

/**
 * Evaluates several splits from the same scores (scores do not depend on the split), blockwise.
 * Returns the plain mean over each split's evaluated users.
 */
export async function evaluateSplits(score: BlockScorer, splits: Record<string, EvalSplit>, options: EvalOptions): Promise<Record<string, MetricRecord>> {
  const ks = options.ks ?? EVAL_KS;
  const kMax = Math.max(...ks);
  const blockSize = options.blockSize ?? 4096;
  const { nItems } = options;
  // Union of evaluated users with, for each, the splits it belongs to.
  const membership = new Map<number, { split: string; targets: Int32Array }[]>();
  for (const [name, split] of Object.entries(splits)) {
    split.users.forEach((u, k) => {
      let m = membership.get(u);
      if (!m) {
        m = [];
        membership.set(u, m);
      }
      m.push({ split: name, targets: split.targets[k] });
    });
  }
  const users = Int32Array.from(membership.keys());
  const sums: Record<string, MetricRecord> = {};
  for (const name of Object.keys(splits)) sums[name] = {};
  const mask = new Uint8Array(nItems);
  for (let start = 0; start < users.length; start += blockSize) {
    const block = users.subarray(start, Math.min(users.length, start + blockSize));
    const scores = await score(block);
    if (scores.length !== block.length * nItems) throw new Error(`evaluateSplits: scorer returned ${scores.length} values for ${block.length} users x ${nItems} items`);
    for (let b = 0; b < block.length; b++) {
      const u = block[b];
      const trainItems = options.trainItemsByUser[u];
      for (const i of trainItems) mask[i] = 1;
      const row = scores.subarray(b * nItems, (b + 1) * nItems);
      const ranked = rankTopK(row, kMax, (i) => mask[i] === 1);
      for (const i of trainItems) mask[i] = 0;
      for (const { split, targets } of membership.get(u)!) {
        const m = userMetrics(ranked, targets, ks);
        const acc = sums[split];
        for (const [key, v] of Object.entries(m)) acc[key] = (acc[key] ?? 0) + v;
      }
    }
  }
  const out: Record<string, MetricRecord> = {};
  for (const [name, split] of Object.entries(splits)) {
    const n = split.users.length;
    out[name] = Object.fromEntries(Object.entries(sums[name]).map(([k, v]) => [k, n > 0 ? v / n : 0]));
    if (n === 0) for (const k of ks) for (const m of ['recall', 'ndcg', 'precision']) out[name][`${m}@${k}`] = 0;
  }
  return out;
}

/** MMRec rounds every reported value to 4 decimals (and compares validation after rounding). */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

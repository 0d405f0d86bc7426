/**
 * Top-K ranking metrics (Recall@K, NDCG@K with binary relevance), as in MMRec's full-sort
 * protocol: rank every item not excluded (e.g. training interactions) by score descending,
 * ties broken by the lower item index.
 */
import { MetricInputError } from './auc';

/**
 * Indices of the k highest scores, score descending, ties by lower index; items for which
 * `excluded(item)` is true are never ranked. Returns fewer than k when fewer items remain.
 * O(n log k) with a bounded binary heap.
 */
export function rankTopK(scores: ArrayLike<number>, k: number, excluded?: (item: number) => boolean): number[] {
  if (!Number.isInteger(k) || k < 0) throw new MetricInputError('rankTopK', `'k' is ${k}; expected a non-negative integer`);
  if (k === 0) return [];
  // Min-heap of the current best k; the root is the "worst" kept item.
  // worse(a, b): a ranks below b (lower score, or equal score and higher index).
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean => scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  const siftUp = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const siftDown = (i: number): void => {
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < n && worse(heap[l], heap[w])) w = l;
      if (r < n && worse(heap[r], heap[w])) w = r;
      if (w === i) break;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new MetricInputError('rankTopK', `'scores'[${i}] is NaN; expected a number`);
    if (excluded && excluded(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      siftUp(heap.length - 1);
    } else if (worse(heap[0], i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (scores[b] - scores[a]) || a - b);
}

function checkK(fn: string, k: number): void {
  if (!Number.isInteger(k) || k <= 0) throw new MetricInputError(fn, `'k' is ${k}; expected a positive integer`);
}

/** Hits among the first k ranked items divided by |relevant|. 0 when nothing is relevant. */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  checkK('recallAtK', k);
  if (relevant.size === 0) return 0;
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let r = 0; r < n; r++) if (relevant.has(ranked[r])) hits++;
  return hits / relevant.size;
}

/**
 * NDCG@k with binary relevance: DCG = sum over hits at 1-based rank r <= k of 1/log2(r + 1),
 * IDCG = the same sum over ranks 1..min(|relevant|, k). 0 when nothing is relevant.
 */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  checkK('ndcgAtK', k);
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let r = 0; r < n; r++) if (relevant.has(ranked[r])) dcg += 1 / Math.log2(r + 2);
  let idcg = 0;
  const m = Math.min(relevant.size, k);
  for (let r = 0; r < m; r++) idcg += 1 / Math.log2(r + 2);
  return dcg / idcg;
}

export interface TopKEvaluation {
  /** Mean over evaluated users, keyed `recall@K` / `ndcg@K`. */
  metrics: Record<string, number>;
  /** Users with at least one test item. */
  nUsersEvaluated: number;
  /** Per-user values keyed like `metrics`; null for users without test items. */
  perUser: Record<string, (number | null)[]>;
}

/**
 * Full-sort evaluation over users: for each user with test items, rank all items not in
 * `excluded(user, item)` and average Recall@K and NDCG@K for every K in `ks`.
 * `userScores(u)` returns that user's score row (one score per item).
 */
export function evaluateTopK(options: {
  nUsers: number;
  userScores: (user: number) => ArrayLike<number>;
  testItems: (user: number) => ArrayLike<number>;
  excluded?: (user: number, item: number) => boolean;
  ks: number[];
}): TopKEvaluation {
  const { nUsers, ks } = options;
  ks.forEach((k) => checkK('evaluateTopK', k));
  const maxK = Math.max(...ks);
  const perUser: Record<string, (number | null)[]> = {};
  const sums: Record<string, number> = {};
  for (const k of ks) {
    for (const name of [`recall@${k}`, `ndcg@${k}`]) {
      perUser[name] = new Array(nUsers).fill(null);
      sums[name] = 0;
    }
  }
  let evaluated = 0;
  for (let u = 0; u < nUsers; u++) {
    const test = new Set(Array.from(options.testItems(u)));
    if (test.size === 0) continue;
    evaluated++;
    const excluded = options.excluded;
    const ranked = rankTopK(options.userScores(u), maxK, excluded ? (item) => excluded(u, item) : undefined);
    for (const k of ks) {
      const rec = recallAtK(ranked, test, k);
      const nd = ndcgAtK(ranked, test, k);
      perUser[`recall@${k}`][u] = rec;
      perUser[`ndcg@${k}`][u] = nd;
      sums[`recall@${k}`] += rec;
      sums[`ndcg@${k}`] += nd;
    }
  }
  const metrics: Record<string, number> = {};
  for (const name of Object.keys(sums)) metrics[name] = evaluated > 0 ? sums[name] / evaluated : 0;
  return { metrics, nUsersEvaluated: evaluated, perUser };
}

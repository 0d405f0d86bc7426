// Public API of @courier/metrics: AUC, GAUC, top-K ranking, Recall@K, NDCG@K. Named exports only:
// what other libraries and apps use, the types of their signatures and the error they throw;
// the brute-force references and evaluateTopK stay in their modules (the specs import them there).
export { MetricInputError, auc, gauc } from './auc';
export type { GaucResult, GroupAuc } from './auc';
export { ndcgAtK, rankTopK, recallAtK } from './topk';
export { pairedAucDifference, pairedGroupAucDifference } from './paired-auc';
export type { PairedDifference } from './paired-auc';

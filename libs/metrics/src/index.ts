// Public API of @courier/metrics: AUC, GAUC, Recall@K, NDCG@K.
export * from './auc';
export * from './topk';

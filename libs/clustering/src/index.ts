// Public API of @courier/clustering: single-pass sparse-centre clusterer, k-means baseline.
export {};

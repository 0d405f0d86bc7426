// Public API of @courier/amazon-bench: MMRec-format loader, BPR, BM3, MMGCN.
export {};

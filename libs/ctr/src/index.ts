// Public API of @courier/ctr: CTR model with self-attention history.
export {};

// Public API of @courier/native-kernels: BLAS-backed tfjs CPU kernels (N-API).
export {};

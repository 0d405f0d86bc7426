// Public API of @courier/io: Parquet/Arrow streaming I/O, atomic writes, image decoding.
export * from './atomic';
export * from './parquet';
export * from './embeddings';
export * from './images';
export * from './fingerprint';
export * from './lock';

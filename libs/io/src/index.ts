// Public API of @courier/io: Parquet/Arrow streaming I/O, atomic writes, image decoding, stage
// fingerprints and run locks. Named exports only: what other libraries and apps use, and the
// types of their signatures; helpers stay in their modules.
export { temporaryPathFor, writeAtomically, writeFileAtomic, writeFileAtomicSync, writeJsonAtomic } from './atomic';
export { DEFAULT_ROW_GROUP_SIZE, ParquetTableWriter, parquetInfo, readParquetAll, readParquetRows, writeParquetRows } from './parquet';
export type { ParquetReadOptions, ParquetWriteOptions } from './parquet';
export { readVectorTable, writeVectorTable } from './embeddings';
export type { VectorTable } from './embeddings';
export { DEFAULT_MAX_PIXELS, IMAGE_FORMATS, ImageCache, decodeImage, encodeImage, loadImage, loadImageBatch } from './images';
export type { EncodeImageOptions, ImageCacheOptions, ImageCacheStats, ImageFit, LoadImageOptions } from './images';
export { FINGERPRINT_FILE, ContentHashCache, contentHash, isUpToDate, markDone, shortHash, sourceHash, stableJson, stageFingerprint, stageState, stageStatus } from './fingerprint';
export type { StageFingerprint, StageState } from './fingerprint';
export { LOCK_FILE, acquireRunLock, removeTempEntries } from './lock';
export type { LockOwner, RunLock } from './lock';

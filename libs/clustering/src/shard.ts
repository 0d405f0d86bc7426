import { SumsState, addRow, createSums } from './accumulate';
import { isValidRow } from './kernels';

export interface ShardCounts {
  /** Rows fetched (each estimation row exactly once over the whole pass). */
  read: number;
  /** Rows skipped as missing/NaN/zero (they get the reserved id at labelling). */
  invalid: number;
  /** Rows with a coordinate beyond the accumulator's range (|x| > 2048), skipped. */
  outOfRange: number;
}

const CHUNK = 4096;

/** Writes the nearest-centre id of rows[0..count) (valid rows) into out. */
export type NearestFn = (x: Float32Array, rows: Int32Array, out: Int32Array, count: number) => void;

/**
 * One shard's share of one epoch: fetch each row once, assign it to its nearest current centre
 * and add it to that centre's exact sufficient statistics. Shared by the in-process path and the
 * worker threads, so both give the same statistics.
 */
export function accumulateRows(x: Float32Array, d: number, rows: Int32Array, nearest: NearestFn, k: number, readCounts: Int32Array | null, sums: SumsState = createSums(k, d)): { sums: SumsState; counts: ShardCounts } {
  const counts: ShardCounts = { read: 0, invalid: 0, outOfRange: 0 };
  const valid = new Int32Array(Math.min(CHUNK, rows.length));
  const ids = new Int32Array(Math.min(CHUNK, rows.length));
  for (let c0 = 0; c0 < rows.length; c0 += CHUNK) {
    const c1 = Math.min(rows.length, c0 + CHUNK);
    let nv = 0;
    for (let i = c0; i < c1; i++) {
      const r = rows[i];
      counts.read++;
      if (readCounts) readCounts[r]++;
      if (isValidRow(x, r * d, d)) valid[nv++] = r;
      else counts.invalid++;
    }
    nearest(x, valid, ids, nv);
    for (let i = 0; i < nv; i++) {
      if (!addRow(sums, ids[i], x, valid[i] * d)) counts.outOfRange++;
    }
  }
  return { sums, counts };
}

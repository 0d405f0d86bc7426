/**
 * Pre-training samples: sources, validation, seeded shuffling and batching.
 *
 * The order of an epoch is a pure function of (seed, epoch, the file): the stream of valid
 * samples goes through a shuffle buffer driven by Rng(seed).fork(`epoch-<e>`). A resumed run
 * rebuilds the same order and skips the samples already trained on, so resuming is exact.
 */
import { PRETRAIN_SAMPLES, PretrainSample, pretrainSampleFromRow } from '@courier/data-contracts';
import { readParquetRows } from '@courier/io';
import { Rng } from '@courier/runtime';

/** A re-iterable stream of samples (called once per epoch). */
export interface SampleSource {
  /** For messages: the file or "memory". */
  readonly name: string;
  open(): AsyncIterable<PretrainSample>;
}

export function parquetSamples(file: string): SampleSource {
  return {
    name: file,
    async *open() {
      for await (const row of readParquetRows(file, PRETRAIN_SAMPLES)) yield pretrainSampleFromRow(row);
    },
  };
}

export function arraySamples(samples: readonly PretrainSample[], name = 'memory'): SampleSource {
  return {
    name,
    async *open() {
      yield* samples;
    },
  };
}

/** Why a sample cannot be trained on, or null. `lPv`/`lClick` are fixed by the first sample. */
export function sampleProblem(s: PretrainSample, lPv: number, lClick: number, hasItem: (id: number) => boolean): string | null {
  if (s.pvItemIds.length !== lPv || s.pvLabels.length !== lPv || s.pvMask.length !== lPv) {
    return `PV lists have lengths ${s.pvItemIds.length}/${s.pvLabels.length}/${s.pvMask.length}, expected ${lPv}`;
  }
  if (s.clickItemIds.length !== lClick || s.clickMask.length !== lClick) return `history lists have lengths ${s.clickItemIds.length}/${s.clickMask.length}, expected ${lClick}`;
  for (let j = 0; j < lPv; j++) {
    if (s.pvMask[j] === 1 && !hasItem(s.pvItemIds[j])) return `PV item ${s.pvItemIds[j]} is not in the catalogue`;
    if (s.pvMask[j] === 0 && s.pvLabels[j] !== 0) return `padded PV slot ${j} has label ${s.pvLabels[j]}`;
  }
  for (let k = 0; k < lClick; k++) if (s.clickMask[k] === 1 && !hasItem(s.clickItemIds[k])) return `history item ${s.clickItemIds[k]} is not in the catalogue`;
  return null;
}

/** Valid samples of one pass, in file order; invalid ones go to `onReject` with their row index. */
export async function* validSamples(
  source: SampleSource,
  shape: { lPv: number; lClick: number },
  hasItem: (id: number) => boolean,
  onReject?: (row: number, sample: PretrainSample, reason: string) => void,
): AsyncGenerator<PretrainSample> {
  let row = 0;
  for await (const s of source.open()) {
    const problem = sampleProblem(s, shape.lPv, shape.lClick, hasItem);
    if (problem) onReject?.(row, s, problem);
    else yield s;
    row++;
  }
}

/**
 * Shuffle-buffer permutation of a stream: fill `bufferSize` items, then emit a random buffered
 * item for each new one; drain the rest in random order. Memory is bounded by the buffer.
 */
export async function* shuffleBuffer<T>(stream: AsyncIterable<T>, bufferSize: number, rng: Rng): AsyncGenerator<T> {
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new Error(`shuffleBuffer: bufferSize must be a positive integer, got ${bufferSize}`);
  const buffer: T[] = [];
  for await (const item of stream) {
    if (buffer.length < bufferSize) {
      buffer.push(item);
      continue;
    }
    const j = rng.int(bufferSize);
    yield buffer[j];
    buffer[j] = item;
  }
  rng.shuffle(buffer);
  yield* buffer;
}

/** The seeded sample order of one epoch. */
export function epochOrder(valid: AsyncIterable<PretrainSample>, seed: number, epoch: number, bufferSize: number): AsyncGenerator<PretrainSample> {
  return shuffleBuffer(valid, bufferSize, new Rng(seed).fork(`epoch-${epoch}`));
}

/** A batch laid out for the encoder: distinct inputs once, PV/history slots index into them. */
export interface EncodedBatchPlan {
  /** Item ids to encode, one row each (distinct when deduplicated). */
  encodeIds: number[];
  /** Row of encodeIds per PV slot [B * lPv] (padding points at row 0; its gradient is 0). */
  pvRows: number[];
  /** Row of encodeIds per history slot [B * lClick]. */
  clickRows: number[];
  labels: number[][];
  pvMask: number[][];
  clickMask: number[][];
  /** Real (unmasked) image slots in the batch. */
  slots: number;
}

/**
 * Lays out a batch. With `dedupe`, each distinct item is encoded once and its embedding gathered
 * into every slot showing it; without, each real slot is encoded separately.
 */
export function planBatch(samples: readonly PretrainSample[], dedupe: boolean): EncodedBatchPlan {
  const encodeIds: number[] = [];
  const rowOf = new Map<number, number>();
  let slots = 0;
  const rowFor = (id: number): number => {
    slots++;
    if (!dedupe) return encodeIds.push(id) - 1;
    let r = rowOf.get(id);
    if (r === undefined) {
      r = encodeIds.push(id) - 1;
      rowOf.set(id, r);
    }
    return r;
  };
  const pvRows: number[] = [];
  const clickRows: number[] = [];
  for (const s of samples) {
    s.pvItemIds.forEach((id, j) => pvRows.push(s.pvMask[j] === 1 ? rowFor(id) : -1));
    s.clickItemIds.forEach((id, k) => clickRows.push(s.clickMask[k] === 1 ? rowFor(id) : -1));
  }
  if (encodeIds.length === 0) throw new Error('planBatch: the batch has no real items');
  return {
    encodeIds,
    pvRows: pvRows.map((r) => (r < 0 ? 0 : r)),
    clickRows: clickRows.map((r) => (r < 0 ? 0 : r)),
    labels: samples.map((s) => s.pvLabels.slice()),
    pvMask: samples.map((s) => s.pvMask.slice()),
    clickMask: samples.map((s) => s.clickMask.slice()),
    slots,
  };
}

/**
 * The ceiling rows of a CTR evaluation: how well the world's true click probabilities rank the
 * evaluation rows (Bayes), the same without the look term (what is knowable without the image)
 * and without position. They come from the world's click-truth.parquet, an evaluation-only file
 * that is never a training input; real logs have none, and then the rows are absent with a note.
 *
 * The look headroom is bayes - noLook: what perfect knowledge of the look is worth. A method's
 * headroomShare is its gain over the no-image baseline as a share of that headroom.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLICK_TRUTH, ContractError, clickTruthFromRow } from '@courier/data-contracts';
import { readParquetRows } from '@courier/io';
import { auc, gauc } from '@courier/metrics';
import type { CtrSplit } from './data';

export interface MetricPair {
  auc: number | null;
  gauc: number | null;
}

export interface CtrCeiling {
  available: boolean;
  /** Why the ceiling is absent (no ground truth), or null. */
  note: string | null;
  /** Rows scored (the evaluation rows). */
  rows: number;
  source: string | null;
  bayes: MetricPair;
  noLook: MetricPair;
  noPosition: MetricPair;
  /** bayes - noLook: what perfect knowledge of the look is worth on these rows. */
  lookHeadroom: MetricPair;
}

/** True click probabilities per evaluation row, in row order. */
export interface TruthScores {
  bayes: Float64Array;
  noLook: Float64Array;
  noPosition: Float64Array;
  source: string;
}

const NONE: MetricPair = { auc: null, gauc: null };

/** A ceiling without numbers, with the reason. */
export function absentCeiling(note: string, rows = 0): CtrCeiling {
  return { available: false, note, rows, source: null, bayes: NONE, noLook: NONE, noPosition: NONE, lookHeadroom: NONE };
}

/**
 * Reads click-truth.parquet and aligns it with the rows of `split` by (session_id, item_id).
 * Returns null when the file does not exist (real data); a split row without a truth row is an
 * error naming the file and the row, since a partial ceiling would be misleading.
 */
export async function loadTruthScores(worldDir: string, split: CtrSplit, itemIdOfRow: (row: number) => number): Promise<TruthScores | null> {
  const file = path.join(worldDir, CLICK_TRUTH.fileName);
  if (!fs.existsSync(file)) return null;
  const key = (session: number, item: number) => `${session}:${item}`;
  const wanted = new Map<string, number>();
  const sessions = new Set<number>();
  for (let i = 0; i < split.n; i++) {
    wanted.set(key(split.sessionId[i], itemIdOfRow(split.itemRow[i])), i);
    sessions.add(split.sessionId[i]);
  }
  const bayes = new Float64Array(split.n).fill(NaN);
  const noLook = new Float64Array(split.n).fill(NaN);
  const noPosition = new Float64Array(split.n).fill(NaN);
  for await (const raw of readParquetRows(file, CLICK_TRUTH)) {
    const t = clickTruthFromRow(raw);
    if (!sessions.has(t.sessionId)) continue;
    const i = wanted.get(key(t.sessionId, t.itemId));
    if (i === undefined) continue;
    bayes[i] = t.pClick;
    noLook[i] = t.pClickNoLook;
    noPosition[i] = t.pClickNoPosition;
  }
  for (let i = 0; i < split.n; i++) {
    if (Number.isNaN(bayes[i])) {
      throw new ContractError(
        { file: path.basename(file), column: 'session_id' },
        `a row for every evaluation impression (eval row ${i}: session ${split.sessionId[i]}, item ${itemIdOfRow(split.itemRow[i])}); is the world folder the one the samples were built from?`,
      );
    }
  }
  return { bayes, noLook, noPosition, source: file };
}

const pair = (scores: ArrayLike<number>, split: CtrSplit): MetricPair => ({ auc: auc(scores, split.label), gauc: gauc(scores, split.label, split.sessionId).gauc });
const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/** AUC and GAUC of the true probabilities on the split's rows, and the look headroom. */
export function ceilingOf(split: CtrSplit, truth: TruthScores): CtrCeiling {
  const bayes = pair(truth.bayes, split);
  const noLook = pair(truth.noLook, split);
  return {
    available: true,
    note: null,
    rows: split.n,
    source: truth.source,
    bayes,
    noLook,
    noPosition: pair(truth.noPosition, split),
    lookHeadroom: { auc: diff(bayes.auc, noLook.auc), gauc: diff(bayes.gauc, noLook.gauc) },
  };
}

/** Headrooms below this (AUC points) count as none: the share is undefined there (e.g. the control world). */
export const MIN_HEADROOM = 1e-6;

/** (metric_method - metric_baseline) / (metric_bayes - metric_noLook); null without a ceiling or a headroom. */
export function headroomShare(ceiling: CtrCeiling, delta: { auc: number; gauc: number }): MetricPair {
  const share = (d: number, h: number | null) => (h === null || Math.abs(h) < MIN_HEADROOM ? null : d / h);
  return { auc: share(delta.auc, ceiling.lookHeadroom.auc), gauc: share(delta.gauc, ceiling.lookHeadroom.gauc) };
}

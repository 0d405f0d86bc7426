/**
 * Loads an MMRec dataset folder (`<root>/<name>/<name>.inter`, `image_feat.npy`, `text_feat.npy`)
 * into the splits the protocol needs (spec amazon-benchmark.md, sections 2-3).
 *
 * A requested modality whose file is missing is an error, never a silent fallback to fewer
 * modalities; a feature file whose row count differs from n_items is an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError, described } from '@courier/data-contracts';
import { InterReject, InterTable, LABEL_PRETRAIN, LABEL_TEST, LABEL_TRAIN, LABEL_VALID, checkInterIds, interRowLocation, labelCounts, readInter } from './inter';
import { readNpy, readNpyHeader } from './npy';

export type Modality = 'image' | 'text';

export interface FeatureMatrix {
  file: string;
  /** Row-major [nItems, dim], float32. */
  data: Float32Array;
  rows: number;
  dim: number;
  /** All-zero rows (a warning, logged by the run; an error when every row is zero). */
  zeroRows?: { count: number; first: number };
}

/** Largest |value| accepted in a feature file (loadFeature). */
export const MAX_FEATURE_ABS = 1e6;

/** Interaction pairs of one split. */
export interface PairList {
  users: Int32Array;
  items: Int32Array;
}

/** An evaluation split: users in order of first appearance, each with its multiset of items. */
export interface EvalSplit {
  users: Int32Array;
  /** targets[k] = items of users[k] in this split (duplicates kept: |T_u| counts them). */
  targets: Int32Array[];
  rows: number;
}

export interface MmrecDataset {
  name: string;
  dir: string;
  nUsers: number;
  nItems: number;
  inter: InterTable;
  rejects: InterReject[];
  /** Label-0 rows (downstream training). */
  train: PairList;
  /** Label-3 rows (COURIER pre-training), with timestamps when the file has them. */
  pretrain: PairList & { timestamps: Float64Array | null };
  valid: EvalSplit;
  test: EvalSplit;
  /** Unique training items per user, sorted (masking and negative sampling). */
  trainItemsByUser: Int32Array[];
  /** Items that occur in the training split (negative sampling pool), sorted. */
  trainItemPool: Int32Array;
  features: Partial<Record<Modality, FeatureMatrix>>;
  stats: DatasetStats;
}

export interface DatasetStats {
  nUsers: number;
  nItems: number;
  rows: number;
  labelCounts: Record<string, number>;
  coldStartDropped: { valid: number; test: number };
  evaluatedUsers: { valid: number; test: number };
  features: Partial<Record<Modality, { file: string; rows: number; dim: number }>>;
}

export interface LoadOptions {
  /** Folder holding `<name>/<name>.inter`. */
  root: string;
  name: string;
  /** Modalities to load (BPR: none; BM3/MMGCN: image and text). Missing files are errors. */
  modalities: Modality[];
  /** Override the image feature file (e.g. the COURIER-enlarged `image_feat_courier.npy`). */
  imageFile?: string;
  /** Override the text feature file. */
  textFile?: string;
  /** Drop valid/test rows of users without a training row (MMRec default true). */
  coldStartFilter?: boolean;
  onBadRow?: 'error' | 'reject';
}

export function datasetDir(root: string, name: string): string {
  return path.join(root, name);
}

function buildEvalSplit(inter: InterTable, label: number, hasTrain: Uint8Array, coldStart: boolean): { split: EvalSplit; dropped: number } {
  const order: number[] = [];
  const byUser = new Map<number, number[]>();
  let dropped = 0;
  let rows = 0;
  for (let r = 0; r < inter.users.length; r++) {
    if (inter.labels[r] !== label) continue;
    const u = inter.users[r];
    if (coldStart && !hasTrain[u]) {
      dropped++;
      continue;
    }
    rows++;
    let list = byUser.get(u);
    if (!list) {
      list = [];
      byUser.set(u, list);
      order.push(u);
    }
    list.push(inter.items[r]);
  }
  return { split: { users: Int32Array.from(order), targets: order.map((u) => Int32Array.from(byUser.get(u)!)), rows }, dropped };
}

/** Loads a feature matrix, checking it has exactly nItems rows. */
export function loadFeature(file: string, nItems: number, modality: Modality): FeatureMatrix {
  if (!fs.existsSync(file)) {
    throw new ContractError({ file }, `the ${modality} feature file (the model needs the ${modality} modality; a missing file is not skipped)`, 'file not found');
  }
  const arr = readNpy(file);
  if (arr.shape.length !== 2) throw new ContractError({ file, column: 'shape' }, `a 2-d array (n_items, dim)`, `(${arr.shape.join(', ')})`);
  if (arr.shape[0] !== nItems) {
    throw new ContractError({ file, column: 'shape[0]' }, `${nItems} rows (n_items = max(itemID)+1 of the .inter file; row i is item i)`, arr.shape[0]);
  }
  const rows = arr.shape[0];
  const dim = arr.shape[1];
  const zeroRows = checkFeatureValues(file, arr.data, rows, dim);
  const out: FeatureMatrix = { file, data: arr.data, rows, dim };
  if (zeroRows.count > 0) out.zeroRows = zeroRows;
  return out;
}

/**
 * Value checks of a feature matrix: NaN/Inf and |x| > MAX_FEATURE_ABS are errors naming the
 * file, the first bad row (= item, 0-based) and column; all-zero rows are counted (an error
 * only when every row is zero: such a file carries no information).
 */
export function checkFeatureValues(file: string, data: Float32Array, rows: number, dim: number): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let r = 0; r < rows; r++) {
    let allZero = true;
    const o = r * dim;
    for (let c = 0; c < dim; c++) {
      const v = data[o + c];
      if (v === 0) continue;
      allZero = false;
      if (!Number.isFinite(v)) {
        throw new ContractError({ file: `${file} row ${r} (item ${r}, 0-based),`, column: String(c) }, 'a finite number (NaN/Inf in a feature file would propagate into every score)', described(String(v)));
      }
      if (Math.abs(v) > MAX_FEATURE_ABS) {
        throw new ContractError(
          { file: `${file} row ${r} (item ${r}, 0-based),`, column: String(c) },
          `a feature value with |x| <= ${MAX_FEATURE_ABS} (MMRec image/text features are of order 1-100; larger values suggest a wrong dtype or corrupt data)`,
          described(String(v)),
        );
      }
    }
    if (allZero && dim > 0) {
      if (count === 0) first = r;
      count++;
    }
  }
  if (rows > 0 && dim > 0 && count === rows) throw new ContractError({ file }, 'at least one non-zero feature row', described(`all ${rows} rows are zero`));
  return { count, first };
}

/** Warnings for a loaded dataset's feature files (all-zero rows), one line each. */
export function featureWarnings(features: Partial<Record<Modality, FeatureMatrix>>): string[] {
  const out: string[] = [];
  for (const [m, f] of Object.entries(features)) {
    if (f?.zeroRows && f.zeroRows.count > 0) {
      out.push(`WARNING ${f.file}: ${f.zeroRows.count} of ${f.rows} ${m} feature rows are all zero (first: row ${f.zeroRows.first}); those items have no ${m} signal`);
    }
  }
  return out;
}

/**
 * Every itemID must index a row of each feature file: the first .inter row whose item is past
 * the feature rows is the error (the .inter file is blamed, not the feature file). Files that
 * are missing or unreadable are left to loadFeature, which names them.
 */
function checkItemsAgainstFeatures(inter: InterTable, file: string): void {
  let rows: number;
  try {
    const h = readNpyHeader(file);
    if (h.shape.length !== 2) return;
    rows = h.shape[0];
  } catch {
    return;
  }
  for (let r = 0; r < inter.items.length; r++) {
    if (inter.items[r] >= rows) {
      throw new ContractError(
        { file: interRowLocation(inter, r), column: 'itemID' },
        `an itemID below ${rows} (${path.basename(file)} has ${rows} rows; row i is the feature vector of item i)`,
        inter.items[r],
      );
    }
  }
}

export function loadMmrecDataset(options: LoadOptions): MmrecDataset {
  const dir = datasetDir(options.root, options.name);
  const interFile = path.join(dir, `${options.name}.inter`);
  // Ids are checked in buildDataset, after the itemIDs are checked against the feature rows.
  const { table: inter, rejects } = readInter(interFile, { onBadRow: options.onBadRow, checkIds: false });
  return buildDataset(inter, rejects, dir, options);
}

/** Builds the splits from an in-memory table (also used by tests). */
export function buildDataset(inter: InterTable, rejects: InterReject[], dir: string, options: Omit<LoadOptions, 'root'>): MmrecDataset {
  const featureFile = (m: Modality): string => (m === 'image' ? (options.imageFile ?? path.join(dir, 'image_feat.npy')) : (options.textFile ?? path.join(dir, 'text_feat.npy')));
  // Before anything of size n_users / n_items is allocated.
  for (const m of options.modalities) checkItemsAgainstFeatures(inter, featureFile(m));
  checkInterIds(inter);
  const { nUsers, nItems } = inter;
  const coldStart = options.coldStartFilter ?? true;
  const trainU: number[] = [];
  const trainI: number[] = [];
  const preU: number[] = [];
  const preI: number[] = [];
  const preT: number[] = [];
  const hasTrain = new Uint8Array(nUsers);
  const trainSets: Set<number>[] = Array.from({ length: nUsers }, () => new Set<number>());
  const pool = new Uint8Array(nItems);
  for (let r = 0; r < inter.users.length; r++) {
    const l = inter.labels[r];
    if (l === LABEL_TRAIN) {
      trainU.push(inter.users[r]);
      trainI.push(inter.items[r]);
      hasTrain[inter.users[r]] = 1;
      trainSets[inter.users[r]].add(inter.items[r]);
      pool[inter.items[r]] = 1;
    } else if (l === LABEL_PRETRAIN) {
      preU.push(inter.users[r]);
      preI.push(inter.items[r]);
      preT.push(inter.timestamps ? inter.timestamps[r] : 0);
    }
  }
  if (trainU.length === 0) throw new ContractError({ file: inter.file, column: 'x_label' }, 'at least one training row (x_label 0)', 'none');
  const valid = buildEvalSplit(inter, LABEL_VALID, hasTrain, coldStart);
  const test = buildEvalSplit(inter, LABEL_TEST, hasTrain, coldStart);
  const features: Partial<Record<Modality, FeatureMatrix>> = {};
  for (const m of options.modalities) {
    features[m] = loadFeature(featureFile(m), nItems, m);
  }
  const poolItems: number[] = [];
  pool.forEach((v, i) => v && poolItems.push(i));
  return {
    name: options.name,
    dir,
    nUsers,
    nItems,
    inter,
    rejects,
    train: { users: Int32Array.from(trainU), items: Int32Array.from(trainI) },
    pretrain: { users: Int32Array.from(preU), items: Int32Array.from(preI), timestamps: inter.timestamps ? Float64Array.from(preT) : null },
    valid: valid.split,
    test: test.split,
    trainItemsByUser: trainSets.map((s) => Int32Array.from(s).sort()),
    trainItemPool: Int32Array.from(poolItems),
    features,
    stats: {
      nUsers,
      nItems,
      rows: inter.users.length,
      labelCounts: labelCounts(inter.labels),
      coldStartDropped: { valid: valid.dropped, test: test.dropped },
      evaluatedUsers: { valid: valid.split.users.length, test: test.split.users.length },
      features: Object.fromEntries(Object.entries(features).map(([k, f]) => [k, { file: f.file, rows: f.rows, dim: f.dim }])),
    },
  };
}

/** Same dataset with different feature files (shares the interaction arrays). */
export function withFeatures(ds: MmrecDataset, features: Partial<Record<Modality, FeatureMatrix>>): MmrecDataset {
  const merged = { ...ds.features, ...features };
  return {
    ...ds,
    features: merged,
    stats: { ...ds.stats, features: Object.fromEntries(Object.entries(merged).map(([k, f]) => [k, { file: f.file, rows: f.rows, dim: f.dim }])) },
  };
}

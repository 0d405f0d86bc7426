/**
 * MMRec `.inter` interaction files (spec amazon-benchmark.md, section 2.1): tab-separated, one
 * header line naming the columns; `userID`, `itemID`, `x_label` are required, `rating` and
 * `timestamp` optional. Labels: 0 train, 1 valid, 2 test, 3 COURIER pre-training (project
 * convention); other values are ignored for splits (as MMRec does) but counted, and every row
 * counts towards n_users / n_items.
 */
import * as fs from 'node:fs';
import { ContractError } from '@courier/data-contracts';
import { writeFileAtomicSync } from '@courier/io';
import { Rng } from '@courier/runtime';

export const LABEL_TRAIN = 0;
export const LABEL_VALID = 1;
export const LABEL_TEST = 2;
export const LABEL_PRETRAIN = 3;

export interface InterTable {
  file: string;
  users: Int32Array;
  items: Int32Array;
  labels: Int32Array;
  /** null when the file has no `rating` column. */
  ratings: Float64Array | null;
  /** null when the file has no `timestamp` column. */
  timestamps: Float64Array | null;
  nUsers: number;
  nItems: number;
  /** Rows whose x_label is not 0..3 (kept for sizes, ignored for splits). */
  ignoredLabelRows: number;
}

export interface InterReject {
  line: number;
  reason: string;
  text: string;
}

export interface ReadInterOptions {
  /** 'error' (default): the first malformed row throws, naming its line; 'reject': skip and collect. */
  onBadRow?: 'error' | 'reject';
}

const REQUIRED = ['userID', 'itemID', 'x_label'] as const;

function parseIntField(text: string): number | null {
  if (!/^-?\d+(\.0+)?$/.test(text)) return null;
  return Number(text);
}

/** Parses `.inter` text; line numbers in errors are 1-based file lines (header = line 1). */
export function parseInter(text: string, file = '<text>', options: ReadInterOptions = {}): { table: InterTable; rejects: InterReject[] } {
  const onBad = options.onBadRow ?? 'error';
  const lines = text.split('\n');
  if (lines.length === 0 || lines[0].trim() === '') throw new ContractError({ file, row: 1 }, 'a header line naming the columns (userID, itemID, x_label, ...)', lines[0] ?? '');
  const header = lines[0].replace(/\r$/, '').split('\t').map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  for (const name of REQUIRED) {
    if (col(name) < 0) throw new ContractError({ file, row: 1, column: name }, `a header column "${name}" (found: ${header.join(', ')})`);
  }
  const cu = col('userID');
  const ci = col('itemID');
  const cl = col('x_label');
  const cr = col('rating');
  const ct = col('timestamp');
  const users: number[] = [];
  const items: number[] = [];
  const labels: number[] = [];
  const ratings: number[] = [];
  const timestamps: number[] = [];
  const rejects: InterReject[] = [];
  let ignoredLabelRows = 0;
  // Errors name "<file> line N" (1-based, header = line 1), the column and what was expected.
  const bad = (line: number, column: string, expected: string, raw: string): void => {
    if (onBad === 'error') throw new ContractError({ file: `${file} line ${line},`, column }, expected, raw);
    rejects.push({ line, reason: `${column}: expected ${expected}`, text: raw });
  };
  for (let li = 1; li < lines.length; li++) {
    const raw = lines[li].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const lineNo = li + 1;
    const f = raw.split('\t');
    if (f.length !== header.length) {
      bad(lineNo, '(row)', `${header.length} tab-separated fields`, raw);
      continue;
    }
    const u = parseIntField(f[cu].trim());
    if (u === null || u < 0) {
      bad(lineNo, 'userID', 'a non-negative integer', f[cu]);
      continue;
    }
    const it = parseIntField(f[ci].trim());
    if (it === null || it < 0) {
      bad(lineNo, 'itemID', 'a non-negative integer', f[ci]);
      continue;
    }
    const lab = parseIntField(f[cl].trim());
    if (lab === null) {
      bad(lineNo, 'x_label', 'an integer label (0 train, 1 valid, 2 test, 3 pre-training)', f[cl]);
      continue;
    }
    let r = 0;
    if (cr >= 0) {
      r = Number(f[cr]);
      if (f[cr].trim() === '' || !Number.isFinite(r)) {
        bad(lineNo, 'rating', 'a number', f[cr]);
        continue;
      }
    }
    let t = 0;
    if (ct >= 0) {
      t = Number(f[ct]);
      if (f[ct].trim() === '' || !Number.isFinite(t)) {
        bad(lineNo, 'timestamp', 'a number (unix seconds)', f[ct]);
        continue;
      }
    }
    if (lab < 0 || lab > 3) ignoredLabelRows++;
    users.push(u);
    items.push(it);
    labels.push(lab);
    ratings.push(r);
    timestamps.push(t);
  }
  if (users.length === 0) throw new ContractError({ file }, 'at least one interaction row', 'none');
  let nUsers = 0;
  let nItems = 0;
  for (let i = 0; i < users.length; i++) {
    if (users[i] + 1 > nUsers) nUsers = users[i] + 1;
    if (items[i] + 1 > nItems) nItems = items[i] + 1;
  }
  return {
    table: {
      file,
      users: Int32Array.from(users),
      items: Int32Array.from(items),
      labels: Int32Array.from(labels),
      ratings: cr >= 0 ? Float64Array.from(ratings) : null,
      timestamps: ct >= 0 ? Float64Array.from(timestamps) : null,
      nUsers,
      nItems,
      ignoredLabelRows,
    },
    rejects,
  };
}

export function readInter(file: string, options: ReadInterOptions = {}): { table: InterTable; rejects: InterReject[] } {
  if (!fs.existsSync(file)) throw new ContractError({ file }, 'an existing .inter file', 'file not found');
  return parseInter(fs.readFileSync(file, 'utf8'), file, options);
}

function formatNumber(x: number, float: boolean): string {
  if (!float) return String(x);
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** Writes an .inter file (header `userID itemID rating timestamp x_label`), atomically. */
export function writeInter(file: string, table: Omit<InterTable, 'file' | 'nUsers' | 'nItems' | 'ignoredLabelRows'>): void {
  const parts: string[] = ['userID\titemID\trating\ttimestamp\tx_label'];
  for (let i = 0; i < table.users.length; i++) {
    const r = table.ratings ? table.ratings[i] : 0;
    const t = table.timestamps ? table.timestamps[i] : 0;
    parts.push(`${table.users[i]}\t${table.items[i]}\t${formatNumber(r, true)}\t${formatNumber(t, false)}\t${table.labels[i]}`);
  }
  writeFileAtomicSync(file, `${parts.join('\n')}\n`);
}

/** Row indices grouped by user, in file order. */
export function rowsByUser(users: Int32Array, nUsers: number): Int32Array[] {
  const counts = new Int32Array(nUsers);
  for (let i = 0; i < users.length; i++) counts[users[i]]++;
  const out = Array.from({ length: nUsers }, (_, u) => new Int32Array(counts[u]));
  const fill = new Int32Array(nUsers);
  for (let i = 0; i < users.length; i++) out[users[i]][fill[users[i]]++] = i;
  return out;
}

/**
 * MMRec's own per-user label rule (section 2.1), rows in random (seeded) order:
 * n < 10 -> n-2 train, 1 valid, 1 test; n >= 10 -> vt = floor(0.2 n), valid = floor(vt/2),
 * test = vt - valid, rest train. Returns a label per row.
 */
export function mmrecLabels(users: Int32Array, nUsers: number, rng: Rng): Int32Array {
  const labels = new Int32Array(users.length);
  for (const rows of rowsByUser(users, nUsers)) {
    const order = rng.shuffle(Array.from(rows));
    const n = order.length;
    let nValid: number;
    let nTest: number;
    if (n < 10) {
      nValid = n >= 3 ? 1 : 0;
      nTest = n >= 2 ? 1 : 0;
    } else {
      const vt = Math.floor(0.2 * n);
      nValid = Math.floor(vt / 2);
      nTest = vt - nValid;
    }
    const nTrain = n - nValid - nTest;
    order.forEach((row, k) => {
      labels[row] = k < nTrain ? LABEL_TRAIN : k < nTrain + nValid ? LABEL_VALID : LABEL_TEST;
    });
  }
  return labels;
}

/**
 * COURIER 50/30/10/10 split (section 2.3): keeps labels 1 and 2; per user, of the n_tr
 * training rows (random seeded order) keeps max(1, floor(3/8 n_tr + 0.5)) as training and
 * relabels the rest 3 (pre-training). Returns new labels.
 */
export function courierRelabel(users: Int32Array, labels: Int32Array, nUsers: number, rng: Rng): Int32Array {
  const out = Int32Array.from(labels);
  for (const rows of rowsByUser(users, nUsers)) {
    const train = rng.shuffle(Array.from(rows).filter((r) => labels[r] === LABEL_TRAIN));
    if (train.length === 0) continue;
    const keep = Math.max(1, Math.floor((3 / 8) * train.length + 0.5));
    for (let k = keep; k < train.length; k++) out[train[k]] = LABEL_PRETRAIN;
  }
  return out;
}

export function labelCounts(labels: Int32Array): Record<string, number> {
  const c: Record<string, number> = { train: 0, valid: 0, test: 0, pretrain: 0, other: 0 };
  for (const l of labels) {
    if (l === 0) c.train++;
    else if (l === 1) c.valid++;
    else if (l === 2) c.test++;
    else if (l === 3) c.pretrain++;
    else c.other++;
  }
  return c;
}

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
  /** 1-based file line of each row (header = line 1), for error messages; absent for tables built in memory. */
  lines?: Int32Array;
}

export interface InterReject {
  line: number;
  reason: string;
  text: string;
}

export interface ReadInterOptions {
  /** 'error' (default): the first malformed row throws, naming its line; 'reject': skip and collect. */
  onBadRow?: 'error' | 'reject';
  /**
   * Check that userIDs and itemIDs are dense 0-based indices (`checkInterIds`). Default: true in
   * `readInter`, false in `parseInter` (callers of the text parser check themselves).
   */
  checkIds?: boolean;
}

/** Largest id accepted by the parser: ids are stored as int32 row indices. */
export const MAX_ID = 2 ** 31 - 2;

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
  const lineNos: number[] = [];
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
    if (u > MAX_ID) {
      bad(lineNo, 'userID', `an id of at most ${MAX_ID} (ids are int32 row indices)`, f[cu]);
      continue;
    }
    const it = parseIntField(f[ci].trim());
    if (it === null || it < 0) {
      bad(lineNo, 'itemID', 'a non-negative integer', f[ci]);
      continue;
    }
    if (it > MAX_ID) {
      bad(lineNo, 'itemID', `an id of at most ${MAX_ID} (ids are int32 row indices)`, f[ci]);
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
    lineNos.push(lineNo);
  }
  if (users.length === 0) throw new ContractError({ file }, 'at least one interaction row', 'none');
  let nUsers = 0;
  let nItems = 0;
  for (let i = 0; i < users.length; i++) {
    if (users[i] + 1 > nUsers) nUsers = users[i] + 1;
    if (items[i] + 1 > nItems) nItems = items[i] + 1;
  }
  const table: InterTable = {
    file,
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    labels: Int32Array.from(labels),
    ratings: cr >= 0 ? Float64Array.from(ratings) : null,
    timestamps: ct >= 0 ? Float64Array.from(timestamps) : null,
    nUsers,
    nItems,
    ignoredLabelRows,
    lines: Int32Array.from(lineNos),
  };
  if (options.checkIds === true) checkInterIds(table);
  return { table, rejects };
}

export function readInter(file: string, options: ReadInterOptions = {}): { table: InterTable; rejects: InterReject[] } {
  if (!fs.existsSync(file)) throw new ContractError({ file }, 'an existing .inter file', 'file not found');
  return parseInter(fs.readFileSync(file, 'utf8'), file, { ...options, checkIds: options.checkIds ?? true });
}

/** "<file> line N," for row r of a table (the file line when known, else the 0-based data row). */
export function interRowLocation(table: InterTable, r: number): string {
  return table.lines ? `${table.file} line ${table.lines[r]},` : `${table.file} data row ${r},`;
}

/**
 * MMRec uses userID and itemID as dense 0-based row indices: n_users = max(userID) + 1 sizes
 * the embedding tables, so an id must be 0..n-1 with every id in that range used. A sparse id
 * (e.g. one userID of 2,000,000,000, or 99999 among 300 users) would silently allocate tables
 * for ids that have no rows, or run out of memory. This refuses such tables, naming the line
 * and column of the largest id, before anything of size max id is allocated (memory is
 * O(rows)). Ids are not remapped: item ids are also row indices of the feature files.
 */
export function checkInterIds(table: InterTable): void {
  checkDense(table, table.users, 'userID', 'user');
  checkDense(table, table.items, 'itemID', 'item');
}

function checkDense(table: InterTable, ids: Int32Array, column: string, what: string): void {
  const n = ids.length;
  if (n === 0) return;
  let max = -1;
  let maxRow = 0;
  for (let r = 0; r < n; r++) {
    if (ids[r] > max) {
      max = ids[r];
      maxRow = r;
    }
  }
  const where = { file: interRowLocation(table, maxRow), column };
  const rule = `MMRec uses ids as dense 0-based row indices and sizes its tables by max id + 1`;
  if (max >= n) {
    // More ids than rows: cannot be dense; refuse before allocating anything of size max.
    throw new ContractError(
      where,
      `a ${column} below ${n} (the file has ${n} rows, so at most ${n} distinct ${what}s; ${rule}, so this id would make ${max + 1} ${what}s; ` +
        `remap the ids to 0..n-1${column === 'itemID' ? ' together with the rows of the feature files' : ''})`,
      max,
    );
  }
  const seen = new Uint8Array(max + 1); // max < rows: bounded by the file size
  let distinct = 0;
  for (let r = 0; r < n; r++) {
    if (!seen[ids[r]]) {
      seen[ids[r]] = 1;
      distinct++;
    }
  }
  if (distinct === max + 1) return;
  const firstUnused = seen.indexOf(0);
  throw new ContractError(
    where,
    `dense 0-based ${column}s (${rule}): ${distinct} distinct ${what}s occur but the largest id makes ${max + 1}; ` +
      `${max + 1 - distinct} ids in 0..${max} never occur, the first is ${firstUnused}; remap the ids to 0..${distinct - 1}` +
      `${column === 'itemID' ? ' together with the rows of the feature files' : ''}`,
    max,
  );
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

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError, ContractSpec, FieldSpec, FieldType, described, validateColumns, validateRecord } from '@courier/data-contracts';
import { temporaryPathFor } from './atomic';

/*
 * Parquet I/O on top of parquetjs-lite (pure JS, pinned at 0.8.7).
 *
 * parquetjs-lite's per-row path is slow: `appendRow` shreds every record with the generic
 * Dremel algorithm (allocating a Set and arrays per row), and its cursor re-assembles records
 * generically and `shift()`s them off an array. Our contracts are flat (scalars, nullable
 * scalars and lists of primitives), so this module shreds rows into parquetjs-lite's column
 * buffer itself and assembles rows from decoded column chunks itself; parquetjs-lite still does
 * all encoding, compression, page and footer writing, and decoding. Measured numbers: README.
 *
 * The column buffer layout we fill (`rowBuffer`: rowCount, pageRowCount, columnData{dlevels,
 * rlevels, values, distinct_values, count}, pages) is internal to parquetjs-lite 0.8.7; the
 * tests round-trip every contract through it and read our files back with DuckDB, so a change
 * in that layout fails loudly. `fastShred: false` falls back to plain `appendRow`.
 */
// parquetjs-lite ships no type declarations; the small surface we use is typed below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parquet = require('parquetjs-lite');
// Data pages encoded RLE_DICTIONARY (the Parquet 2 name, written by DuckDB, Arrow/pyarrow and
// Spark) are byte-for-byte the PLAIN_DICTIONARY layout (bit width + RLE/bit-packed indices);
// parquetjs-lite only knows the old name, so register the alias on its codec table.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const codecs = require('parquetjs-lite/lib/codec') as Record<string, unknown>;
codecs.RLE_DICTIONARY ??= codecs.PLAIN_DICTIONARY;

type Row = Record<string, unknown>;

const PARQUET_TYPE: Record<FieldType, { type: string; repeated?: boolean }> = {
  int32: { type: 'INT32' },
  int64: { type: 'INT64' },
  float32: { type: 'FLOAT' },
  float64: { type: 'DOUBLE' },
  utf8: { type: 'UTF8' },
  'int32-list': { type: 'INT32', repeated: true },
  'float32-vector': { type: 'FLOAT', repeated: true },
};

/** Default rows per row group: the writer's and the reader's memory bound. */
export const DEFAULT_ROW_GROUP_SIZE = 8192;

/** parquetjs-lite schema for a contract (`statistics: false` omits min/max/distinct-count statistics). */
export function parquetSchemaFor(spec: ContractSpec, options: { statistics?: boolean } = {}): unknown {
  const fields: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const t = PARQUET_TYPE[f.type];
    fields[f.name] = {
      type: t.type,
      compression: 'SNAPPY',
      ...(t.repeated ? { repeated: true } : {}),
      ...(f.nullable ? { optional: true } : {}),
      ...(options.statistics === false ? { statistics: false } : {}),
    };
  }
  return new parquet.ParquetSchema(fields);
}

export interface ParquetWriteOptions {
  /** Rows buffered per row group: the writer's memory bound. Default 8192. */
  rowGroupSize?: number;
  /** Key-value metadata stored in the file footer (in addition to contract and version). */
  metadata?: Record<string, string>;
  /** Validate each row against the contract before writing (default true). */
  validate?: boolean;
  /** Shred rows with our flat-schema shredder (default true); false uses parquetjs-lite's appendRow. */
  fastShred?: boolean;
  /**
   * Write column statistics (min, max, null and distinct counts) per page and column chunk
   * (default true). They let readers such as DuckDB skip row groups; computing them keeps a Set
   * of the distinct values of each column chunk, so turning them off makes writing faster.
   */
  statistics?: boolean;
}

/** Thrown strings (parquetjs-lite throws strings) and Errors alike. */
function messageOf(err: unknown): string {
  const m = (err as { message?: unknown })?.message;
  return (typeof m === 'string' ? m : String(err)).split('\n')[0];
}

interface ColumnBuffer {
  dlevels: number[];
  rlevels: number[];
  values: unknown[];
  distinct_values: Set<unknown>;
  count: number;
}

interface RowBuffer {
  rowCount: number;
  pageRowCount: number;
  columnData: Record<string, ColumnBuffer>;
  pages: Record<string, unknown[]>;
}

interface PqWriter {
  appendRow(row: Row): Promise<void>;
  close(): Promise<void>;
  setMetadata(k: string, v: string): void;
  rowBuffer: RowBuffer | Record<string, never>;
  rowGroupSize: number;
}

function emptyRowBuffer(spec: ContractSpec): RowBuffer {
  const columnData: Record<string, ColumnBuffer> = {};
  const pages: Record<string, unknown[]> = {};
  for (const f of spec.fields) {
    columnData[f.name] = { dlevels: [], rlevels: [], values: [], distinct_values: new Set(), count: 0 };
    pages[f.name] = [];
  }
  return { rowCount: 0, pageRowCount: 0, columnData, pages };
}

type Shredder = (value: unknown, col: ColumnBuffer, file: string, row: number) => void;

/** The stored primitive of one value of a field type; throws a ContractError when it has none. */
function primitive(type: FieldType, v: unknown, file: string, row: number, column: string): unknown {
  switch (type) {
    case 'utf8':
      // Kept as a string: parquetjs-lite's BYTE_ARRAY encoder runs Buffer.from on every value anyway.
      if (typeof v !== 'string') throw new ContractError({ file, row, column }, 'a string', v);
      return v;
    case 'int64':
      if (typeof v === 'bigint') return v;
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ContractError({ file, row, column }, 'an integer', v);
      return v;
    case 'int32':
    case 'int32-list':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new ContractError({ file, row, column }, 'a 32-bit integer', v);
      return v;
    default:
      // float32/float64 and vector elements (NaN is allowed in vectors; validation checks the rest).
      if (typeof v !== 'number') throw new ContractError({ file, row, column }, 'a number', v);
      return v;
  }
}

/**
 * Flat-schema Dremel shredding. Required scalar: d=0; optional scalar: d=1 present, 0 null;
 * repeated primitive: one entry per element (r=0 for the first, 1 after, d=1), or a single
 * (r=0, d=0) entry for an empty list. `distinct_values` holds raw values (parquetjs-lite derives
 * min/max statistics from it).
 */
function shredderFor(field: FieldSpec, statistics: boolean): Shredder {
  const { name, type } = field;
  if (type === 'int32-list' || type === 'float32-vector') {
    return (value, col, file, row) => {
      if (value === null || value === undefined) {
        col.rlevels.push(0);
        col.dlevels.push(0);
        col.count++;
        return;
      }
      const arr = value as ArrayLike<unknown>;
      if (typeof arr !== 'object' || typeof arr.length !== 'number') throw new ContractError({ file, row, column: name }, `a list (${type})`, value);
      if (arr.length === 0) {
        col.rlevels.push(0);
        col.dlevels.push(0);
        col.count++;
        return;
      }
      for (let i = 0; i < arr.length; i++) {
        const v = primitive(type, arr[i], file, row, name);
        col.values.push(v);
        if (statistics) col.distinct_values.add(v);
        col.rlevels.push(i === 0 ? 0 : 1);
        col.dlevels.push(1);
      }
      col.count += arr.length;
    };
  }
  const optional = field.nullable ?? false;
  return (value, col, file, row) => {
    if (value === null || value === undefined) {
      if (!optional) throw new ContractError({ file, row, column: name }, `a value (${type}, not nullable)`, value);
      col.rlevels.push(0);
      col.dlevels.push(0);
      col.count++;
      return;
    }
    col.values.push(primitive(type, value, file, row, name));
    if (statistics) col.distinct_values.add(value);
    col.rlevels.push(0);
    col.dlevels.push(optional ? 1 : 0);
    col.count++;
  };
}

/**
 * Streaming writer for one contract's Parquet file. Rows go to a temporary file that is renamed
 * onto the target by `close()`; `abort()` removes it. Memory is bounded by one row group.
 */
export class ParquetTableWriter {
  private rows = 0;
  private closed = false;
  private buffer: RowBuffer;
  private readonly shredders: Shredder[];
  private readonly fileName: string;

  private constructor(
    readonly target: string,
    readonly spec: ContractSpec,
    private readonly tmp: string,
    private readonly writer: PqWriter,
    private readonly validate: boolean,
    private readonly fastShred: boolean,
    private readonly rowGroupSize: number,
    statistics: boolean,
  ) {
    this.buffer = emptyRowBuffer(spec);
    this.shredders = spec.fields.map((f) => shredderFor(f, statistics));
    this.fileName = target;
  }

  static async open(target: string, spec: ContractSpec, options: ParquetWriteOptions = {}): Promise<ParquetTableWriter> {
    const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
    if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) throw new Error(`${target}: rowGroupSize must be a positive integer, got ${rowGroupSize}`);
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    const tmp = temporaryPathFor(target);
    // One data page per column chunk: pageSize >= rowGroupSize.
    const statistics = options.statistics ?? true;
    const writer = (await parquet.ParquetWriter.openFile(parquetSchemaFor(spec, { statistics }), tmp, { rowGroupSize, pageSize: rowGroupSize })) as PqWriter;
    writer.setMetadata('contract', spec.name);
    writer.setMetadata('version', String(spec.version));
    for (const [k, v] of Object.entries(options.metadata ?? {})) writer.setMetadata(k, v);
    return new ParquetTableWriter(target, spec, tmp, writer, options.validate ?? true, options.fastShred ?? true, rowGroupSize, statistics);
  }

  get rowCount(): number {
    return this.rows;
  }

  async append(row: Row): Promise<void> {
    if (this.closed) throw new Error(`${this.target}: append after close`);
    if (this.fastShred && this.buffer.rowCount < this.rowGroupSize - 1) this.shred(row);
    else await this.appendAndFlush(row);
  }

  /**
   * Appends many rows; same result as `append` for each, but a synchronous iterable (an array,
   * a generator) is shredded without an await per row (awaits happen only when a group is full).
   */
  async appendAll(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    if (this.closed) throw new Error(`${this.target}: append after close`);
    if (!this.fastShred || !(Symbol.iterator in rows)) {
      for await (const row of rows) await this.append(row);
      return;
    }
    const last = this.rowGroupSize - 1;
    for (const row of rows as Iterable<Row>) {
      if (this.buffer.rowCount < last) this.shred(row);
      else await this.appendAndFlush(row);
    }
  }

  private shred(row: Row): void {
    if (this.validate) validateRecord(this.spec, row, { file: this.fileName, row: this.rows });
    const fields = this.spec.fields;
    for (let i = 0; i < fields.length; i++) this.shredders[i](row[fields[i].name], this.buffer.columnData[fields[i].name], this.fileName, this.rows);
    this.buffer.rowCount++;
    this.buffer.pageRowCount++;
    this.rows++;
  }

  // The last row of a group goes through parquetjs-lite's appendRow, which shreds it onto our
  // buffer and then encodes and writes the whole row group.
  private async appendAndFlush(row: Row): Promise<void> {
    if (this.validate) validateRecord(this.spec, row, { file: this.fileName, row: this.rows });
    if (this.fastShred) this.writer.rowBuffer = this.buffer;
    await this.wrap(() => this.writer.appendRow(toParquetRow(this.spec, row)));
    if (this.fastShred) this.buffer = emptyRowBuffer(this.spec);
    this.rows++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.fastShred && this.buffer.rowCount > 0) this.writer.rowBuffer = this.buffer;
    try {
      await this.wrap(() => this.writer.close());
      fs.renameSync(this.tmp, this.target);
    } catch (err) {
      fs.rmSync(this.tmp, { force: true }); // abort() is a no-op once closed
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.close();
    } catch {
      /* the partial file is removed below */
    }
    fs.rmSync(this.tmp, { force: true });
  }

  // parquetjs-lite throws plain strings; give them the file name.
  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Error) throw err;
      throw new Error(`${this.fileName} row ${this.rows}: parquet writer: ${messageOf(err)}`);
    }
  }
}

function toParquetRow(spec: ContractSpec, row: Row): Row {
  const out: Row = {};
  for (const f of spec.fields) {
    const v = row[f.name];
    if (v === null || v === undefined) continue;
    if (f.type === 'int32-list' || f.type === 'float32-vector') out[f.name] = Array.from(v as ArrayLike<number>);
    else out[f.name] = v;
  }
  return out;
}

/** Writes all rows of an iterable to a contract's Parquet file, atomically. Returns the row count. */
export async function writeParquetRows(target: string, spec: ContractSpec, rows: Iterable<Row> | AsyncIterable<Row>, options: ParquetWriteOptions = {}): Promise<number> {
  const writer = await ParquetTableWriter.open(target, spec, options);
  try {
    await writer.appendAll(rows);
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.rowCount;
}

export interface ParquetReadOptions {
  /** Validate each row against the contract (default true). */
  validate?: boolean;
}

// ---- reading ----

interface PqSchemaField {
  name: string;
  path: string[];
  primitiveType?: string;
  originalType?: string;
  repetitionType: 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
  rLevelMax: number;
  dLevelMax: number;
  isNested?: boolean;
  fields?: Record<string, PqSchemaField>;
}

interface PqColumnData {
  dlevels: number[];
  rlevels: number[];
  values: unknown[];
  count: number;
}

interface PqReader {
  close(): Promise<void>;
  getSchema(): { fields: Record<string, PqSchemaField> };
  metadata: { num_rows: unknown; row_groups: { num_rows: unknown }[]; key_value_metadata?: { key: string; value: string }[] | null };
  envelopeReader: { readRowGroup(schema: unknown, rowGroup: unknown, columnList: string[][]): Promise<{ rowCount: number; columnData: Record<string, PqColumnData> }> };
  schema: unknown;
}

/** How one top-level file column maps to a contract column, and how to decode its leaf. */
interface FileColumn {
  name: string;
  /** The contract type it corresponds to, or a description of an unsupported shape. */
  type: FieldType | string;
  leafPath: string[];
  isList: boolean;
  dLevelMax: number;
  /** Definition level at which a list is present but empty (lists only). */
  listPresentLevel: number;
  /** Definition level below which the whole list is null (lists only). */
  listNullBelow: number;
  primitiveType: string;
  originalType?: string;
}

function scalarType(primitiveType: string | undefined, originalType: string | undefined): FieldType | string {
  switch (primitiveType) {
    case 'INT32':
      return 'int32';
    case 'INT64':
      return 'int64';
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float64';
    case 'BYTE_ARRAY':
      return originalType === 'UTF8' ? 'utf8' : 'binary';
    default:
      return primitiveType ? primitiveType.toLowerCase() : 'a nested group';
  }
}

const levelOf = (f: PqSchemaField): number => (f.repetitionType === 'REQUIRED' ? 0 : 1);

/** Maps a top-level schema field: a scalar, a repeated primitive (2-level list) or a 3-level LIST group. */
function describeFileColumn(name: string, f: PqSchemaField): FileColumn {
  const base = { name, isList: false, dLevelMax: f.dLevelMax, listPresentLevel: 0, listNullBelow: 0, leafPath: [name], primitiveType: f.primitiveType ?? '', originalType: f.originalType };
  if (!f.isNested) {
    const scalar = scalarType(f.primitiveType, f.originalType);
    if (f.repetitionType !== 'REPEATED') return { ...base, type: scalar };
    // Legacy 2-level list: `repeated int32 name`; no entries (d=0) is an empty list.
    const type = scalar === 'int32' ? 'int32-list' : scalar === 'float32' ? 'float32-vector' : `a list of ${scalar}`;
    return { ...base, type, isList: true, listPresentLevel: 1, listNullBelow: 0 };
  }
  // 3-level list (Arrow, DuckDB, Spark): `<opt> group name (LIST) { repeated group list { <opt> element } }`.
  const children = Object.values(f.fields ?? {});
  const mid = children.length === 1 ? children[0] : undefined;
  if (mid && mid.repetitionType === 'REPEATED') {
    const leaf = mid.isNested ? (Object.values(mid.fields ?? {}).length === 1 ? Object.values(mid.fields ?? {})[0] : undefined) : mid;
    if (leaf && !leaf.isNested) {
      const scalar = scalarType(leaf.primitiveType, leaf.originalType);
      const type = scalar === 'int32' ? 'int32-list' : scalar === 'float32' ? 'float32-vector' : `a list of ${scalar}`;
      const outer = levelOf(f);
      return {
        ...base,
        type,
        isList: true,
        leafPath: leaf.path,
        dLevelMax: leaf.dLevelMax,
        primitiveType: leaf.primitiveType ?? '',
        originalType: leaf.originalType,
        listNullBelow: outer,
        listPresentLevel: outer + 1,
      };
    }
  }
  return { ...base, type: 'a nested group' };
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const int64Value = (v: bigint): number | bigint => (v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v);

/**
 * Converts a decoded primitive to the contract's in-memory value. parquetjs-lite 0.8.7 turns
 * every dictionary value into a string (`decodeDictionaryPage` ends in `.map(d => d.toString())`),
 * so dictionary-encoded numbers (DuckDB, pyarrow and Spark write them) arrive as decimal strings
 * and are parsed back here; a JS number's string form round-trips exactly.
 */
function converterFor(col: FileColumn): (v: unknown) => unknown {
  switch (col.primitiveType) {
    case 'BYTE_ARRAY':
      return (v) => (typeof v === 'string' ? v : (v as Buffer).toString('utf8'));
    case 'INT64':
      return (v) => (typeof v === 'bigint' ? int64Value(v) : typeof v === 'string' ? int64Value(BigInt(v)) : v);
    case 'INT32':
    case 'FLOAT':
    case 'DOUBLE':
      return (v) => (typeof v === 'string' ? Number(v) : v);
    default:
      return (v) => v;
  }
}

interface OpenedReader {
  reader: PqReader;
  rowCount: number;
  metadata: Record<string, string>;
  columns: FileColumn[];
}

async function openReader(file: string, spec: ContractSpec): Promise<OpenedReader> {
  if (!fs.existsSync(file)) throw new ContractError({ file }, `an existing ${spec.name} Parquet file`, described('no such file'));
  const size = fs.statSync(file).size;
  if (size === 0) throw new ContractError({ file }, `a ${spec.name} Parquet file`, described('an empty (0-byte) file'));
  let reader: PqReader;
  try {
    reader = await parquet.ParquetReader.openFile(file);
  } catch (err) {
    throw new ContractError({ file }, `a readable Parquet file (${spec.name} contract)`, described(`an unreadable file (${messageOf(err)}); is it truncated or not Parquet?`));
  }
  const columns = Object.entries(reader.getSchema().fields).map(([colName, f]) => describeFileColumn(colName, f));
  try {
    validateColumns(spec, columns as { name: string; type: FieldType }[], file);
  } catch (err) {
    await reader.close();
    throw err;
  }
  // parquetjs-lite's getMetadata() fails on files without key-value metadata (e.g. DuckDB's).
  const metadata: Record<string, string> = {};
  for (const kv of reader.metadata.key_value_metadata ?? []) metadata[kv.key] = kv.value;
  return { reader, rowCount: Number(String(reader.metadata.num_rows)), metadata, columns };
}

/** Row count and footer metadata of a Parquet file, after checking its columns against the contract. */
export async function parquetInfo(file: string, spec: ContractSpec): Promise<{ rowCount: number; rowGroups: number; metadata: Record<string, string> }> {
  const opened = await openReader(file, spec);
  const rowGroups = opened.reader.metadata.row_groups.length;
  await opened.reader.close();
  return { rowCount: opened.rowCount, rowGroups, metadata: opened.metadata };
}

/**
 * Assembles the rows of one decoded row group (contract columns only, in contract order).
 * Throws a ContractError naming the column when the levels do not add up to the row count.
 */
function assembleRows(spec: ContractSpec, columns: Map<string, FileColumn>, data: Record<string, PqColumnData>, rowCount: number, file: string, firstRow: number): Row[] {
  const rows: Row[] = new Array(rowCount);
  for (let i = 0; i < rowCount; i++) rows[i] = {};
  for (const field of spec.fields) {
    const col = columns.get(field.name);
    if (!col) {
      for (let i = 0; i < rowCount; i++) rows[i][field.name] = null; // absent nullable column
      continue;
    }
    const chunk = data[col.leafPath.join(',')];
    if (!chunk) throw new ContractError({ file, row: firstRow, column: field.name }, 'a column chunk in every row group', described('a missing chunk'));
    const convert = converterFor(col);
    const { dlevels, rlevels, values } = chunk;
    const n = dlevels.length; // one level entry per value or empty/null slot
    let vi = 0;
    if (!col.isList) {
      if (n !== rowCount) throw new ContractError({ file, row: firstRow, column: field.name }, `${rowCount} values in the row group`, described(`${n}`));
      if (col.dLevelMax === 0) {
        for (let i = 0; i < rowCount; i++) rows[i][field.name] = convert(values[i]);
      } else {
        for (let i = 0; i < rowCount; i++) rows[i][field.name] = dlevels[i] === col.dLevelMax ? convert(values[vi++]) : null;
      }
      continue;
    }
    let r = -1;
    let list: unknown[] | null = null;
    for (let j = 0; j < n; j++) {
      if (rlevels[j] === 0) {
        r++;
        if (r >= rowCount) break;
        const d0 = dlevels[j];
        list = d0 < col.listNullBelow ? null : [];
        rows[r][field.name] = list;
      }
      const d = dlevels[j];
      if (d === col.dLevelMax) list?.push(convert(values[vi++]));
      else if (d >= col.listPresentLevel) list?.push(null); // a null element
    }
    if (r + 1 !== rowCount) throw new ContractError({ file, row: firstRow, column: field.name }, `${rowCount} lists in the row group`, described(`${r + 1}`));
  }
  return rows;
}

/**
 * Streams the rows of a contract's Parquet file (snake_case records). Columns are checked before
 * the first row; each row is validated (unless `validate: false`), and errors name file, row and
 * column. Columns outside the contract are not read. Memory is bounded by one decoded row group.
 */
export async function* readParquetRows(file: string, spec: ContractSpec, options: ParquetReadOptions = {}): AsyncGenerator<Row> {
  const { reader, columns } = await openReader(file, spec);
  const name = file;
  const validate = options.validate ?? true;
  const wanted = new Set(spec.fields.map((f) => f.name));
  const byName = new Map(columns.filter((c) => wanted.has(c.name)).map((c) => [c.name, c]));
  const columnList = [...byName.values()].map((c) => c.leafPath);
  try {
    let rowIndex = 0;
    for (const group of reader.metadata.row_groups) {
      let rows: Row[];
      try {
        const data = await reader.envelopeReader.readRowGroup(reader.schema, group, columnList);
        rows = assembleRows(spec, byName, data.columnData, Number(String(group.num_rows)), name, rowIndex);
      } catch (err) {
        if (err instanceof ContractError) throw err;
        throw new ContractError({ file: name, row: rowIndex }, 'a readable row group', described(`a decoding error (${messageOf(err)}); the file may be truncated or corrupt`));
      }
      for (let i = 0; i < rows.length; i++) {
        if (validate) validateRecord(spec, rows[i], { file: name, row: rowIndex });
        yield rows[i];
        rowIndex++;
      }
    }
  } finally {
    await reader.close();
  }
}

/** Reads a whole (small) Parquet file into memory. Prefer `readParquetRows` for large files. */
export async function readParquetAll(file: string, spec: ContractSpec, options: ParquetReadOptions = {}): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of readParquetRows(file, spec, options)) rows.push(row);
  return rows;
}

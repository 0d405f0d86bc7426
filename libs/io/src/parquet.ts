import * as fs from 'node:fs';
import * as path from 'node:path';
// parquetjs-lite ships no type declarations; the small surface we use is typed below.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const parquet = require('parquetjs-lite');
import { ContractError, ContractSpec, FieldType, described, validateColumns, validateRecord } from '@courier/data-contracts';
import { temporaryPathFor } from './atomic';

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

const FIELD_TYPE_OF: Record<string, FieldType> = { INT32: 'int32', INT64: 'int64', FLOAT: 'float32', DOUBLE: 'float64', UTF8: 'utf8', BYTE_ARRAY: 'utf8' };

/** parquetjs-lite schema for a contract. */
export function parquetSchemaFor(spec: ContractSpec): unknown {
  const fields: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const t = PARQUET_TYPE[f.type];
    fields[f.name] = { type: t.type, compression: 'SNAPPY', ...(t.repeated ? { repeated: true } : {}), ...(f.nullable ? { optional: true } : {}) };
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
}

/**
 * Streaming writer for one contract's Parquet file. Rows go to a temporary file that is renamed
 * onto the target by `close()`; `abort()` removes it. Memory is bounded by one row group.
 */
export class ParquetTableWriter {
  private rows = 0;
  private closed = false;

  private constructor(
    readonly target: string,
    readonly spec: ContractSpec,
    private readonly tmp: string,
    private readonly writer: { appendRow(row: Row): Promise<void>; close(): Promise<void>; setMetadata(k: string, v: string): void },
    private readonly validate: boolean,
  ) {}

  static async open(target: string, spec: ContractSpec, options: ParquetWriteOptions = {}): Promise<ParquetTableWriter> {
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    const tmp = temporaryPathFor(target);
    const writer = await parquet.ParquetWriter.openFile(parquetSchemaFor(spec), tmp, { rowGroupSize: options.rowGroupSize ?? 8192 });
    writer.setMetadata('contract', spec.name);
    writer.setMetadata('version', String(spec.version));
    for (const [k, v] of Object.entries(options.metadata ?? {})) writer.setMetadata(k, v);
    return new ParquetTableWriter(target, spec, tmp, writer, options.validate ?? true);
  }

  get rowCount(): number {
    return this.rows;
  }

  async append(row: Row): Promise<void> {
    if (this.closed) throw new Error(`${this.target}: append after close`);
    if (this.validate) validateRecord(this.spec, row, { file: path.basename(this.target), row: this.rows });
    await this.writer.appendRow(toParquetRow(this.spec, row));
    this.rows++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close();
    fs.renameSync(this.tmp, this.target);
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
    for await (const row of rows) await writer.append(row);
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

interface OpenedReader {
  reader: { getCursor(): { next(): Promise<Row | null> }; close(): Promise<void>; getRowCount(): unknown; getMetadata(): Record<string, string> };
  rowCount: number;
  metadata: Record<string, string>;
}

async function openReader(file: string, spec: ContractSpec): Promise<OpenedReader> {
  const name = path.basename(file);
  if (!fs.existsSync(file)) throw new ContractError({ file }, `an existing ${spec.name} Parquet file`, described('no such file'));
  const size = fs.statSync(file).size;
  if (size === 0) throw new ContractError({ file }, `a ${spec.name} Parquet file`, described('an empty (0-byte) file'));
  let reader: OpenedReader['reader'];
  try {
    reader = await parquet.ParquetReader.openFile(file);
  } catch (err) {
    throw new ContractError({ file }, `a readable Parquet file (${spec.name} contract)`, described(`an unreadable file (${(err as Error).message}); is it truncated or not Parquet?`));
  }
  const schemaFields = (reader as unknown as { getSchema(): { fields: Record<string, { primitiveType?: string; repetitionType?: string }> } }).getSchema().fields;
  const columns = Object.entries(schemaFields).map(([colName, f]) => {
    const base = FIELD_TYPE_OF[f.primitiveType ?? ''] ?? ('utf8' as FieldType);
    const type: FieldType = f.repetitionType === 'REPEATED' ? (base === 'int32' ? 'int32-list' : 'float32-vector') : base;
    return { name: colName, type };
  });
  try {
    validateColumns(spec, columns, name);
  } catch (err) {
    await reader.close();
    throw err;
  }
  return { reader, rowCount: Number(String(reader.getRowCount())), metadata: reader.getMetadata() ?? {} };
}

/** Row count and footer metadata of a Parquet file, after checking its columns against the contract. */
export async function parquetInfo(file: string, spec: ContractSpec): Promise<{ rowCount: number; metadata: Record<string, string> }> {
  const opened = await openReader(file, spec);
  await opened.reader.close();
  return { rowCount: opened.rowCount, metadata: opened.metadata };
}

/**
 * Streams the rows of a contract's Parquet file (snake_case records). Columns are checked before
 * the first row; each row is validated (unless `validate: false`), and errors name file, row and
 * column. Memory is bounded by one row group.
 */
export async function* readParquetRows(file: string, spec: ContractSpec, options: ParquetReadOptions = {}): AsyncGenerator<Row> {
  const { reader } = await openReader(file, spec);
  const name = path.basename(file);
  const validate = options.validate ?? true;
  const listFields = spec.fields.filter((f) => f.type === 'int32-list' || f.type === 'float32-vector').map((f) => f.name);
  const int64Fields = spec.fields.filter((f) => f.type === 'int64').map((f) => f.name);
  const nullableFields = spec.fields.filter((f) => f.nullable).map((f) => f.name);
  try {
    const cursor = reader.getCursor();
    let rowIndex = 0;
    for (;;) {
      let row: Row | null;
      try {
        row = await cursor.next();
      } catch (err) {
        throw new ContractError({ file: name, row: rowIndex }, 'a readable row group', described(`a decoding error (${(err as Error).message}); the file may be truncated or corrupt`));
      }
      if (!row) break;
      // parquetjs-lite omits empty repeated fields and nulls, and returns INT64 as bigint.
      for (const f of listFields) if (row[f] === undefined) row[f] = [];
      for (const f of nullableFields) if (row[f] === undefined) row[f] = null;
      for (const f of int64Fields) if (typeof row[f] === 'bigint') row[f] = Number(row[f]);
      if (validate) validateRecord(spec, row, { file: name, row: rowIndex });
      yield row;
      rowIndex++;
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

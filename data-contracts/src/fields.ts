import * as arrow from 'apache-arrow';
import { ContractError, described } from './errors';

/**
 * Column types used by the contracts. Lists are variable length; `float32-vector` is a
 * fixed-size list whose length (the embedding dimension d) is stored in the schema metadata.
 */
export type FieldType = 'int32' | 'int64' | 'float32' | 'float64' | 'utf8' | 'int32-list' | 'float32-vector';

export interface FieldSpec {
  /** On-disk (snake_case) column name. */
  name: string;
  type: FieldType;
  nullable?: boolean;
  /** One line for the contract's doc page: meaning, unit, invariants. */
  doc: string;
  /** Extra check on a non-null value; returns what was expected when the value is wrong. */
  check?: (value: never) => string | null;
}

export interface ContractSpec {
  /** Contract name, stored in the schema metadata as `contract`. */
  name: string;
  version: number;
  /** Conventional file name inside a stage folder. */
  fileName: string;
  doc: string;
  fields: FieldSpec[];
  /** Schema (footer) metadata keys beyond `contract` and `version`, with their meaning. */
  metadataKeys?: Record<string, string>;
  /** The in-memory (camelCase) type and its converters in records.ts, if any. */
  recordType?: string;
}

/** Arrow schema of a contract; `dim` fixes the length of float32-vector columns. */
export function arrowSchema(spec: ContractSpec, options: { dim?: number; metadata?: Record<string, string> } = {}): arrow.Schema {
  const fields = spec.fields.map((f) => new arrow.Field(f.name, arrowType(f, options.dim), f.nullable ?? false));
  const metadata = new Map<string, string>([
    ['contract', spec.name],
    ['version', String(spec.version)],
    ...(options.dim !== undefined ? ([['dim', String(options.dim)]] as [string, string][]) : []),
    ...Object.entries(options.metadata ?? {}),
  ]);
  return new arrow.Schema(fields, metadata);
}

function arrowType(field: FieldSpec, dim?: number): arrow.DataType {
  switch (field.type) {
    case 'int32':
      return new arrow.Int32();
    case 'int64':
      return new arrow.Int64();
    case 'float32':
      return new arrow.Float32();
    case 'float64':
      return new arrow.Float64();
    case 'utf8':
      return new arrow.Utf8();
    case 'int32-list':
      return new arrow.List(new arrow.Field('item', new arrow.Int32(), false));
    case 'float32-vector':
      if (dim === undefined || !(dim > 0)) throw new Error(`contract column "${field.name}" is a vector: the dimension must be given`);
      return new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), false));
  }
}

const isInt32 = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;

function typeProblem(type: FieldType, value: unknown, dim?: number): string | null {
  switch (type) {
    case 'int32':
      return isInt32(value) ? null : 'a 32-bit integer';
    case 'int64':
      if (typeof value === 'bigint') return null;
      return typeof value === 'number' && Number.isSafeInteger(value) ? null : 'an integer';
    case 'float32':
    case 'float64':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'a finite number';
    case 'utf8':
      return typeof value === 'string' ? null : 'a string';
    case 'int32-list': {
      if (!Array.isArray(value) && !(value instanceof Int32Array)) return 'a list of 32-bit integers';
      const arr = value as ArrayLike<unknown>;
      for (let i = 0; i < arr.length; i++) if (!isInt32(arr[i])) return 'a list of 32-bit integers';
      return null;
    }
    case 'float32-vector': {
      if (!Array.isArray(value) && !(value instanceof Float32Array) && !(value instanceof Float64Array)) return 'a vector of numbers';
      const arr = value as ArrayLike<number>;
      if (dim !== undefined && arr.length !== dim) return `a vector of length ${dim} (got length ${arr.length})`;
      for (let i = 0; i < arr.length; i++) if (typeof arr[i] !== 'number') return 'a vector of numbers';
      return null;
    }
  }
}

/**
 * Checks one record (on-disk column names) against a contract; throws a ContractError naming
 * file, row and column. NaN inside vectors is allowed here (the clusterer maps such items to
 * its reserved id); everything else must be well typed. The happy path allocates nothing
 * (it runs once per row on every read and write).
 */
export function validateRecord(
  spec: ContractSpec,
  record: Record<string, unknown>,
  where: { file: string; row?: number },
  options: { dim?: number } = {},
): void {
  const fields = spec.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const value = record[field.name];
    if (value === null || value === undefined) {
      if (field.nullable) continue;
      throw new ContractError({ file: where.file, row: where.row, column: field.name }, `a value (${field.type}, not nullable)`, value);
    }
    const problem = typeProblem(field.type, value, options.dim);
    if (problem) throw new ContractError({ file: where.file, row: where.row, column: field.name }, problem, value);
    if (field.check) {
      const expected = field.check(value as never);
      if (expected) throw new ContractError({ file: where.file, row: where.row, column: field.name }, expected, value);
    }
  }
}

/** Checks that a file's column names and types match a contract (before any row is read). */
export function validateColumns(
  spec: ContractSpec,
  columns: { name: string; type: FieldType }[],
  file: string,
): void {
  const present = new Map(columns.map((c) => [c.name, c.type]));
  for (const field of spec.fields) {
    const type = present.get(field.name);
    if (type === undefined) {
      if (field.nullable) continue;
      throw new ContractError(
        { file, column: field.name },
        `column "${field.name}" (${field.type}) of the ${spec.name} contract v${spec.version}; the file has: ${[...present.keys()].join(', ') || 'no columns'}`,
      );
    }
    if (!compatible(field.type, type)) {
      throw new ContractError({ file, column: field.name }, `type ${field.type}`, described(type));
    }
  }
}

function compatible(want: FieldType, got: FieldType): boolean {
  if (want === got) return true;
  // Writers may widen: int32 stored as int64, float32 as float64.
  return (want === 'int32' && got === 'int64') || (want === 'int64' && got === 'int32') || (want === 'float32' && got === 'float64') || (want === 'float64' && got === 'float32');
}

/** Markdown section of a contract for its doc page: file, version, metadata keys and a field table. */
export function describeContract(spec: ContractSpec): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = spec.fields.map((f) => `| \`${f.name}\` | ${f.type} | ${f.nullable ? 'yes' : 'no'} | ${cell(f.doc)} |`);
  const meta = Object.entries({ contract: `"${spec.name}"`, version: `"${spec.version}"`, ...(spec.metadataKeys ?? {}) }).map(([k, v]) => `\`${k}\` (${cell(v)})`);
  return [
    `### ${spec.name} (v${spec.version})`,
    '',
    spec.doc,
    '',
    `- File: \`${spec.fileName}\` (${spec.fileName.endsWith('.arrow') ? 'Arrow IPC' : 'Parquet'})`,
    `- Schema metadata: ${meta.join(', ')}`,
    ...(spec.recordType ? [`- In memory: ${spec.recordType}`] : []),
    '',
    '| column | type | nullable | meaning, unit and invariants |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

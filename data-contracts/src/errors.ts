/** Where a value came from: the file, and optionally the row (0-based) and column or key. */
export interface Location {
  file: string;
  row?: number;
  column?: string;
}

/**
 * A value that breaks a data contract. The message names the file, the row, the column and
 * what was expected, e.g. `impressions.parquet row 17, column "label": expected 0 or 1, got 2`.
 */
export class ContractError extends Error {
  readonly file: string;
  readonly row?: number;
  readonly column?: string;
  readonly expected: string;
  readonly got?: string;

  /** `got` is optional; passing `undefined` explicitly reports "got nothing (missing)". */
  constructor(where: Location, expected: string, ...got: [unknown?]) {
    const gotText = got.length === 0 ? undefined : describeValue(got[0]);
    super(`${formatLocation(where)}: expected ${expected}${gotText === undefined ? '' : `, got ${gotText}`}`);
    this.name = 'ContractError';
    this.file = where.file;
    this.row = where.row;
    this.column = where.column;
    this.expected = expected;
    this.got = gotText;
  }
}

export function formatLocation(where: Location): string {
  let text = where.file;
  if (where.row !== undefined) text += ` row ${where.row}`;
  if (where.column !== undefined) text += `${where.row !== undefined ? ',' : ''} column "${where.column}"`;
  return text;
}

/**
 * Marks the `got` part of a ContractError as a description rather than a value, so it is printed
 * as is (`got an empty (0-byte) file`) instead of quoted like a string value (`got "abc"`).
 */
export class Described {
  constructor(readonly text: string) {}
}

/** `new ContractError(where, expected, described('no such file'))`. */
export const described = (text: string): Described => new Described(text);

export function describeValue(value: unknown): string {
  if (value instanceof Described) return value.text;
  if (value === null) return 'null';
  if (value === undefined) return 'nothing (missing)';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const arr = Array.from(value as ArrayLike<unknown>);
    return `[${arr.slice(0, 6).map(describeValue).join(', ')}${arr.length > 6 ? `, ... (${arr.length} items)` : ''}]`;
  }
  if (typeof value === 'object') return `an object ${JSON.stringify(value).slice(0, 80)}`;
  return String(value);
}

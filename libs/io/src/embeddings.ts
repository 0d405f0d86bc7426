import * as fs from 'node:fs';
import * as arrow from 'apache-arrow';
import { ContractError, ContractSpec, ITEM_EMBEDDINGS, arrowSchema, described } from '@courier/data-contracts';
import { writeFileAtomicSync } from './atomic';

/** A dense table of vectors keyed by integer id (item embeddings, cluster centres). */
export interface VectorTable {
  ids: Int32Array;
  /** Row-major, ids.length x dim. */
  vectors: Float32Array;
  dim: number;
  metadata: Record<string, string>;
}

/**
 * Writes a vector table as an Arrow IPC file under a contract with (id, vector) columns, e.g.
 * ITEM_EMBEDDINGS or CLUSTER_CENTRES. Written atomically.
 */
export function writeVectorTable(target: string, table: VectorTable, spec: ContractSpec = ITEM_EMBEDDINGS): void {
  const { ids, vectors, dim } = table;
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${target}: vector dim must be a positive integer, got ${dim}`);
  if (vectors.length !== ids.length * dim) throw new Error(`${target}: ${ids.length} ids x dim ${dim} needs ${ids.length * dim} values, got ${vectors.length}`);
  const schema = arrowSchema(spec, { dim, metadata: table.metadata });
  const idData = arrow.makeData({ type: new arrow.Int32(), length: ids.length, data: ids });
  const valueData = arrow.makeData({ type: new arrow.Float32(), length: vectors.length, data: vectors });
  const listType = schema.fields[1].type as arrow.FixedSizeList;
  const vecData = arrow.makeData({ type: listType, length: ids.length, child: valueData });
  const struct = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: ids.length,
    children: [idData, vecData],
  });
  const batch = new arrow.RecordBatch(schema, struct);
  const tbl = new arrow.Table(schema, [batch]);
  writeFileAtomicSync(target, arrow.tableToIPC(tbl, 'file'));
}

/**
 * Reads a vector table written by `writeVectorTable` (or any Arrow IPC file, file or stream
 * format, with the contract's columns: int32 ids and a fixed-size list of floats). Errors name the
 * file, column and row: missing file, not Arrow, missing column, wrong type, a different
 * contract in the metadata, a null or duplicate id. A null vector becomes a row of NaN (the
 * contract's "no embedding" marker).
 */
export function readVectorTable(file: string, spec: ContractSpec = ITEM_EMBEDDINGS): VectorTable {
  if (!fs.existsSync(file)) throw new ContractError({ file }, `an existing ${spec.name} Arrow file`, described('no such file'));
  const bytes = fs.readFileSync(file);
  if (bytes.length === 0) throw new ContractError({ file }, `an Arrow IPC file (${spec.name} contract)`, described('an empty (0-byte) file'));
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(bytes);
  } catch (err) {
    throw new ContractError({ file }, `an Arrow IPC file (${spec.name} contract)`, described(`an unreadable file (${(err as Error).message}); is it truncated or not Arrow?`));
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of table.schema.metadata) metadata[k] = v;
  if (metadata.contract && metadata.contract !== spec.name) throw new ContractError({ file }, `contract "${spec.name}"`, described(`contract "${metadata.contract}"`));
  const [idSpec, vecSpec] = spec.fields;
  const idCol = table.getChild(idSpec.name);
  const vecCol = table.getChild(vecSpec.name);
  const present = table.schema.fields.map((f) => f.name).join(', ') || 'no columns';
  if (!idCol) throw new ContractError({ file, column: idSpec.name }, `column "${idSpec.name}" (int32); the file has: ${present}`, described('a missing column'));
  if (!vecCol) throw new ContractError({ file, column: vecSpec.name }, `column "${vecSpec.name}" (fixed-size list of float32); the file has: ${present}`, described('a missing column'));
  if (!(idCol.type instanceof arrow.Int) || idCol.type.bitWidth > 32) throw new ContractError({ file, column: idSpec.name }, 'an int32 column', described(String(idCol.type)));
  const vecType = vecCol.type;
  if (!(vecType instanceof arrow.FixedSizeList) || !(vecType.children[0].type instanceof arrow.Float)) {
    throw new ContractError({ file, column: vecSpec.name }, 'a fixed-size list of float32', described(String(vecType)));
  }
  const dim = vecType.listSize;
  if (metadata.dim !== undefined && Number(metadata.dim) !== dim) throw new ContractError({ file, column: vecSpec.name }, `vectors of length dim = ${metadata.dim} (schema metadata)`, described(`length ${dim}`));
  const n = table.numRows;
  const ids = new Int32Array(n);
  const vectors = new Float32Array(n * dim);
  let row = 0;
  for (const chunk of vecCol.data) {
    const child = chunk.children[0];
    const values = child.values as Float32Array | Float64Array;
    // A FixedSizeList slice keeps its child unsliced: row r of the chunk starts at (offset + r) * dim.
    const first = chunk.offset * dim + child.offset;
    vectors.set(values.subarray(first, first + chunk.length * dim), row * dim);
    if (chunk.nullCount > 0) {
      for (let r = 0; r < chunk.length; r++) if (!chunk.getValid(r)) vectors.fill(NaN, (row + r) * dim, (row + r + 1) * dim);
    }
    row += chunk.length;
  }
  const seen = new Set<number>();
  let i = 0;
  for (const v of idCol) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ContractError({ file, row: i, column: idSpec.name }, 'an integer id', v);
    if (seen.has(v)) throw new ContractError({ file, row: i, column: idSpec.name }, 'a unique id', described(`id ${v} again`));
    seen.add(v);
    ids[i++] = v;
  }
  return { ids, vectors, dim, metadata };
}

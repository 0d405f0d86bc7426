import * as fs from 'node:fs';
import * as path from 'node:path';
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
  if (vectors.length !== ids.length * dim) throw new Error(`${path.basename(target)}: ${ids.length} ids x dim ${dim} needs ${ids.length * dim} values, got ${vectors.length}`);
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

/** Reads a vector table written by `writeVectorTable` (or any Arrow IPC file with the contract's columns). */
export function readVectorTable(file: string, spec: ContractSpec = ITEM_EMBEDDINGS): VectorTable {
  const name = path.basename(file);
  if (!fs.existsSync(file)) throw new ContractError({ file }, `an existing ${spec.name} Arrow file`, 'no such file');
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(fs.readFileSync(file));
  } catch (err) {
    throw new ContractError({ file: name }, `an Arrow IPC file (${spec.name} contract)`, `an unreadable file (${(err as Error).message})`);
  }
  const [idSpec, vecSpec] = spec.fields;
  const idCol = table.getChild(idSpec.name);
  const vecCol = table.getChild(vecSpec.name);
  if (!idCol) throw new ContractError({ file: name, column: idSpec.name }, `column "${idSpec.name}" (int32)`, described('a missing column'));
  if (!vecCol) throw new ContractError({ file: name, column: vecSpec.name }, `column "${vecSpec.name}" (fixed-size list of float32)`, described('a missing column'));
  const vecType = vecCol.type;
  if (!(vecType instanceof arrow.FixedSizeList)) throw new ContractError({ file: name, column: vecSpec.name }, 'a fixed-size list of float32', described(String(vecType)));
  const dim = vecType.listSize;
  const n = table.numRows;
  const ids = new Int32Array(n);
  const vectors = new Float32Array(n * dim);
  let offset = 0;
  for (const chunk of vecCol.data) {
    const child = chunk.children[0];
    const values = child.values as Float32Array | Float64Array;
    const first = chunk.offset * dim + child.offset;
    vectors.set(values.subarray(first, first + chunk.length * dim), offset);
    offset += chunk.length * dim;
  }
  let i = 0;
  for (const v of idCol) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ContractError({ file: name, row: i, column: idSpec.name }, 'an integer id', v);
    ids[i++] = v;
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of table.schema.metadata) metadata[k] = v;
  if (metadata.contract && metadata.contract !== spec.name) throw new ContractError({ file: name }, `contract "${spec.name}"`, `contract "${metadata.contract}"`);
  return { ids, vectors, dim, metadata };
}

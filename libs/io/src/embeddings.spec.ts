import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as arrow from 'apache-arrow';
import { CLUSTER_CENTRES, ContractError, ITEM_EMBEDDINGS } from '@courier/data-contracts';
import { readVectorTable, writeVectorTable } from './index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-arrow-'));
const at = (name: string) => path.join(dir, name);

describe('Arrow IPC vector tables', () => {
  it('round-trips ids, vectors (with a NaN row), dim and metadata; an empty table too', () => {
    const ids = Int32Array.from([5, 9, 2]);
    const vectors = Float32Array.from([0.5, -1, NaN, NaN, 1e-8, 3.25]);
    writeVectorTable(at('e.arrow'), { ids, vectors, dim: 2, metadata: { method: 'courier', normalized: 'false' } });
    const back = readVectorTable(at('e.arrow'));
    expect(Array.from(back.ids)).toEqual([5, 9, 2]);
    expect(Array.from(back.vectors)).toEqual(Array.from(vectors));
    expect(back.dim).toBe(2);
    expect(back.metadata).toEqual({ contract: 'item-embeddings', version: '1', dim: '2', method: 'courier', normalized: 'false' });
    writeVectorTable(at('c.arrow'), { ids: Int32Array.from([0]), vectors: Float32Array.from([1, 2, 3]), dim: 3, metadata: { k: '1' } }, CLUSTER_CENTRES);
    expect(readVectorTable(at('c.arrow'), CLUSTER_CENTRES).metadata.contract).toBe('cluster-centres');
    writeVectorTable(at('none.arrow'), { ids: new Int32Array(0), vectors: new Float32Array(0), dim: 4, metadata: {} });
    expect(readVectorTable(at('none.arrow'))).toMatchObject({ dim: 4, ids: new Int32Array(0) });
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('reads multi-batch and sliced tables written by other Arrow code, and null vectors as NaN', () => {
    const dim = 3;
    const type = new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), false));
    const makeBatch = (ids: number[], vecs: (number[] | null)[]) => {
      const vec = arrow.vectorFromArray(vecs, type);
      return new arrow.Table({ item_id: arrow.vectorFromArray(ids, new arrow.Int32()), embedding: vec });
    };
    const t1 = makeBatch([1, 2], [[1, 2, 3], [4, 5, 6]]);
    const t2 = makeBatch([3, 4, 5], [[7, 8, 9], null, [13, 14, 15]]).slice(1); // ids 4, 5
    const table = t1.concat(t2);
    fs.writeFileSync(at('multi.arrow'), arrow.tableToIPC(table, 'stream'));
    const back = readVectorTable(at('multi.arrow'));
    expect(Array.from(back.ids)).toEqual([1, 2, 4, 5]);
    expect(Array.from(back.vectors)).toEqual([1, 2, 3, 4, 5, 6, NaN, NaN, NaN, 13, 14, 15]);
  });

  it('names file and column for a wrong column, wrong type, other contract, duplicate id', () => {
    const write = (name: string, t: arrow.Table) => fs.writeFileSync(at(name), arrow.tableToIPC(t, 'file'));
    const vecType = new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Float32(), false));
    write('wrong-col.arrow', new arrow.Table({ item_id: arrow.vectorFromArray([1], new arrow.Int32()), vector: arrow.vectorFromArray([[1, 2]], vecType) }));
    expect(() => readVectorTable(at('wrong-col.arrow'))).toThrow(/wrong-col\.arrow column "embedding": expected column "embedding" \(fixed-size list of float32\); the file has: item_id, vector, got a missing column/);
    write('list.arrow', new arrow.Table({ item_id: arrow.vectorFromArray([1], new arrow.Int32()), embedding: arrow.vectorFromArray([[1, 2]], new arrow.List(new arrow.Field('item', new arrow.Float32()))) }));
    expect(() => readVectorTable(at('list.arrow'))).toThrow(/list\.arrow column "embedding": expected a fixed-size list of float32, got List<Float32>/);
    const intVec = new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Int32(), false));
    write('intvec.arrow', new arrow.Table({ item_id: arrow.vectorFromArray([1], new arrow.Int32()), embedding: arrow.vectorFromArray([[1, 2]], intVec) }));
    expect(() => readVectorTable(at('intvec.arrow'))).toThrow(/intvec\.arrow column "embedding": expected a fixed-size list of float32, got FixedSizeList\[2\]<Int32>/);
    write('strid.arrow', new arrow.Table({ item_id: arrow.vectorFromArray(['a']), embedding: arrow.vectorFromArray([[1, 2]], vecType) }));
    expect(() => readVectorTable(at('strid.arrow'))).toThrow(/strid\.arrow column "item_id": expected an int32 column, got Dictionary<Int32, Utf8>/);
    writeVectorTable(at('centres.arrow'), { ids: Int32Array.from([0]), vectors: Float32Array.from([1, 2]), dim: 2, metadata: {} }, CLUSTER_CENTRES);
    expect(() => readVectorTable(at('centres.arrow'), ITEM_EMBEDDINGS)).toThrow(/centres\.arrow: expected contract "item-embeddings", got contract "cluster-centres"/);
    writeVectorTable(at('dup.arrow'), { ids: Int32Array.from([3, 4, 3]), vectors: new Float32Array(6), dim: 2, metadata: {} });
    expect(() => readVectorTable(at('dup.arrow'))).toThrow(/dup\.arrow row 2, column "item_id": expected a unique id, got id 3 again/);
  });

  it('names the file when it is missing, empty, not Arrow or truncated', () => {
    expect(() => readVectorTable(at('missing.arrow'))).toThrow(/missing\.arrow: expected an existing item-embeddings Arrow file, got no such file/);
    fs.writeFileSync(at('empty.arrow'), '');
    expect(() => readVectorTable(at('empty.arrow'))).toThrow(/empty\.arrow: expected an Arrow IPC file \(item-embeddings contract\), got an empty \(0-byte\) file/);
    fs.writeFileSync(at('text.arrow'), 'item_id,embedding\n1,"[1,2]"\n');
    expect(() => readVectorTable(at('text.arrow'))).toThrow(ContractError);
    const bytes = fs.readFileSync(at('e.arrow'));
    fs.writeFileSync(at('cut.arrow'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(() => readVectorTable(at('cut.arrow'))).toThrow(/cut\.arrow: expected an Arrow IPC file \(item-embeddings contract\), got an unreadable file/);
    expect(() => writeVectorTable(at('bad.arrow'), { ids: Int32Array.from([1]), vectors: new Float32Array(3), dim: 2, metadata: {} })).toThrow(/bad\.arrow: 1 ids x dim 2 needs 2 values, got 3/);
    expect(() => writeVectorTable(at('bad.arrow'), { ids: new Int32Array(0), vectors: new Float32Array(0), dim: 0, metadata: {} })).toThrow(/vector dim must be a positive integer/);
  });
});

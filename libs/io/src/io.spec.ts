import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RAW_IMPRESSIONS, PRETRAIN_SAMPLES, ITEM_EMBEDDINGS } from '@courier/data-contracts';
import { readParquetAll, writeParquetRows, readVectorTable, writeVectorTable } from './index';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'courier-io-'));

describe('parquet round trip', () => {
  it('writes and reads impressions and list columns', async () => {
    const dir = tmpDir();
    const rows = Array.from({ length: 50 }, (_, i) => ({ session_id: i >> 2, user_id: 7, query: 'dress', item_id: i, position: i % 4, label: i % 3 === 0 ? 1 : 0, timestamp: 1000 + i, day: 0 }));
    await writeParquetRows(path.join(dir, 'imp.parquet'), RAW_IMPRESSIONS, rows, { rowGroupSize: 16 });
    expect(await readParquetAll(path.join(dir, 'imp.parquet'), RAW_IMPRESSIONS)).toEqual(rows);
    const samples = [{ session_id: 1, user_id: 2, day: 0, pv_item_ids: [3, -1], pv_labels: [1, 0], pv_mask: [1, 0], click_item_ids: [], click_mask: [] }];
    await writeParquetRows(path.join(dir, 's.parquet'), PRETRAIN_SAMPLES, samples);
    expect(await readParquetAll(path.join(dir, 's.parquet'), PRETRAIN_SAMPLES)).toEqual(samples);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rejects a bad label with file, row and column', async () => {
    const dir = tmpDir();
    const bad = [{ session_id: 0, user_id: 0, query: 'q', item_id: 1, position: 0, label: 2, timestamp: 0, day: 0 }];
    await expect(writeParquetRows(path.join(dir, 'imp.parquet'), RAW_IMPRESSIONS, bad)).rejects.toThrow(/imp\.parquet row 0, column "label": expected 0 or 1, got 2/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('vector tables', () => {
  it('round-trips embeddings through Arrow IPC', () => {
    const dir = tmpDir();
    const ids = Int32Array.from([5, 9, 2]);
    const vectors = Float32Array.from([1, 2, 3, 4, 5, 6]);
    writeVectorTable(path.join(dir, 'e.arrow'), { ids, vectors, dim: 2, metadata: { method: 'test' } }, ITEM_EMBEDDINGS);
    const back = readVectorTable(path.join(dir, 'e.arrow'));
    expect(Array.from(back.ids)).toEqual([5, 9, 2]);
    expect(Array.from(back.vectors)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.dim).toBe(2);
    expect(back.metadata.method).toBe('test');
    expect(back.metadata.contract).toBe('item-embeddings');
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { CLUSTER_ASSIGNMENTS, CTR_SAMPLES, ContractError, ContractSpec, PRETRAIN_SAMPLES, RAW_IMPRESSIONS, RAW_ITEMS } from '@courier/data-contracts';
import { ParquetTableWriter, parquetInfo, readParquetAll, readParquetRows, writeParquetRows } from './index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-pq-'));
const at = (name: string) => path.join(dir, name);

const impressions = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ session_id: i >> 2, user_id: 7 + (i % 3), query: i % 5 ? 'dress' : 'shoe — ünïcode', item_id: i, position: i % 4, label: i % 3 === 0 ? 1 : 0, timestamp: 2 ** 40 + i, day: i % 2 }));
const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ item_id: i, category: 'dress', title: `red dress ${i}`, price: i * 1.25, image_path: `images/${i}.png`, style_tag: i % 3 === 0 ? null : `tag${i % 4}`, first_day: i % 5 }));
const pretrain = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    session_id: i,
    user_id: i % 4,
    day: 0,
    pv_item_ids: i % 4 === 0 ? [] : [i, i + 1, -1],
    pv_labels: i % 4 === 0 ? [] : [1, 0, 0],
    pv_mask: i % 4 === 0 ? [] : [1, 1, 0],
    click_item_ids: Array.from({ length: i % 3 }, (_, k) => 100 + k),
    click_mask: Array.from({ length: i % 3 }, () => 1),
  }));
const ctr = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ session_id: i >> 1, user_id: 1, item_id: i, day: 3, position: i % 2, label: i % 2, split: i % 4 ? 'train' : 'eval', history_item_ids: Array.from({ length: i % 5 }, (_, k) => k) }));
const assignments = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ item_id: i, cluster_id: i % 4 === 3 ? 3 : i % 3, distance: i % 4 === 3 ? null : Math.fround(i / 7) }));

const CASES: [ContractSpec, (n: number) => Record<string, unknown>[]][] = [
  [RAW_IMPRESSIONS, impressions],
  [RAW_ITEMS, items],
  [PRETRAIN_SAMPLES, pretrain],
  [CTR_SAMPLES, ctr],
  [CLUSTER_ASSIGNMENTS, assignments],
];

describe('Parquet round trips', () => {
  it.each(CASES.map(([spec, make]) => [spec.name, spec, make] as const))('%s: nulls, empty lists, group boundaries, both shredders, without statistics', async (_name, spec, make) => {
    for (const n of [0, 1, 6, 7, 20]) {
      const rows = make(n);
      for (const [mode, options] of Object.entries({ fast: {}, parquetjs: { fastShred: false }, nostats: { statistics: false } })) {
        const file = at(`${spec.name}-${n}-${mode}.parquet`);
        expect(await writeParquetRows(file, spec, rows, { rowGroupSize: 3, ...options })).toBe(n);
        expect(await readParquetAll(file, spec)).toEqual(rows);
        const info = await parquetInfo(file, spec);
        expect(info.rowCount).toBe(n);
        expect(info.rowGroups).toBe(Math.ceil(n / 3)); // memory bound: one group of <= 3 rows at a time
        expect(info.metadata).toMatchObject({ contract: spec.name, version: String(spec.version) });
      }
    }
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('accepts typed-array lists, keeps int64 beyond 2^53 as bigint, stores footer metadata', async () => {
    const file = at('typed.parquet');
    const row = { session_id: 1, user_id: 2, day: 0, pv_item_ids: Int32Array.from([5, -1]), pv_labels: [1, 0], pv_mask: [1, 0], click_item_ids: Int32Array.from([9]), click_mask: [1] };
    await writeParquetRows(file, PRETRAIN_SAMPLES, [row], { metadata: { l_pv: '2', l_click: '1' } });
    expect(await readParquetAll(file, PRETRAIN_SAMPLES)).toEqual([{ ...row, pv_item_ids: [5, -1], click_item_ids: [9] }]);
    expect((await parquetInfo(file, PRETRAIN_SAMPLES)).metadata).toMatchObject({ l_pv: '2', l_click: '1' });
    const big = { ...impressions(1)[0], timestamp: 2n ** 60n };
    await writeParquetRows(at('big.parquet'), RAW_IMPRESSIONS, [big]);
    expect((await readParquetAll(at('big.parquet'), RAW_IMPRESSIONS))[0].timestamp).toBe(2n ** 60n);
  });

  it('streams with a bounded number of rows decoded at a time', async () => {
    const file = at('stream.parquet');
    const writer = await ParquetTableWriter.open(file, RAW_IMPRESSIONS, { rowGroupSize: 4 });
    await writer.appendAll(impressions(10));
    await writer.append(impressions(11)[10]);
    expect(writer.rowCount).toBe(11);
    await writer.close();
    await writer.close(); // idempotent
    await expect(writer.append(impressions(1)[0])).rejects.toThrow(/append after close/);
    let seen = 0;
    for await (const row of readParquetRows(file, RAW_IMPRESSIONS)) {
      expect(row.item_id).toBe(seen++);
      if (seen === 5) break; // early exit closes the reader
    }
    expect(seen).toBe(5);
  });
});

describe('Parquet bad input', () => {
  const good = at('good.parquet');
  beforeAll(async () => {
    await writeParquetRows(good, RAW_IMPRESSIONS, impressions(100), { rowGroupSize: 10 });
  });

  it('names the file for a missing, empty, non-Parquet or truncated file', async () => {
    await expect(readParquetAll(at('nope.parquet'), RAW_IMPRESSIONS)).rejects.toThrow(/nope\.parquet: expected an existing raw-impressions Parquet file, got no such file/);
    fs.writeFileSync(at('empty.parquet'), '');
    await expect(readParquetAll(at('empty.parquet'), RAW_IMPRESSIONS)).rejects.toThrow(/empty\.parquet: expected a raw-impressions Parquet file, got an empty \(0-byte\) file/);
    fs.writeFileSync(at('text.parquet'), 'session_id,user_id\n1,2\n');
    await expect(readParquetAll(at('text.parquet'), RAW_IMPRESSIONS)).rejects.toThrow(/text\.parquet: expected a readable Parquet file \(raw-impressions contract\), got an unreadable file .*is it truncated or not Parquet\?/);
    const bytes = fs.readFileSync(good);
    fs.writeFileSync(at('cut.parquet'), bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const err = await readParquetAll(at('cut.parquet'), RAW_IMPRESSIONS).catch((e) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err.message).toMatch(/cut\.parquet: expected a readable Parquet file/);
  });

  it('names file and first row of a row group whose pages are corrupt', async () => {
    const bytes = Buffer.from(fs.readFileSync(good));
    bytes.fill(0xff, 1500, 1540); // inside the second row group's pages
    fs.writeFileSync(at('corrupt.parquet'), bytes);
    const err = await readParquetAll(at('corrupt.parquet'), RAW_IMPRESSIONS).catch((e) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err.message).toMatch(/corrupt\.parquet row \d+0: expected a readable row group, got a decoding error .*truncated or corrupt/);
  });

  it('checks columns before reading rows: a missing column and a wrong type', async () => {
    await writeParquetRows(at('items-as-imp.parquet'), RAW_ITEMS, items(3));
    await expect(readParquetAll(at('items-as-imp.parquet'), RAW_IMPRESSIONS)).rejects.toThrow(
      /items-as-imp\.parquet column "session_id": expected column "session_id" \(int32\) of the raw-impressions contract v1; the file has: item_id, category, title, price, image_path, style_tag, first_day/,
    );
    // CTR samples have label/position etc. but `split` is utf8 where assignments want ints: build a real type clash
    const clash = { ...RAW_IMPRESSIONS, fields: RAW_IMPRESSIONS.fields.map((f) => (f.name === 'label' ? { name: 'label', type: 'utf8' as const, doc: '' } : f)) };
    await writeParquetRows(at('label-str.parquet'), clash, impressions(2).map((r) => ({ ...r, label: String(r.label) })));
    await expect(readParquetAll(at('label-str.parquet'), RAW_IMPRESSIONS)).rejects.toThrow(/label-str\.parquet column "label": expected type int32, got utf8/);
  });

  it('validates rows on read and on write, naming file, row and column', async () => {
    const bad = impressions(5);
    bad[3] = { ...bad[3], label: 2 };
    await writeParquetRows(at('unchecked.parquet'), RAW_IMPRESSIONS, bad, { validate: false });
    await expect(readParquetAll(at('unchecked.parquet'), RAW_IMPRESSIONS)).rejects.toThrow(/unchecked\.parquet row 3, column "label": expected 0 or 1, got 2/);
    expect(await readParquetAll(at('unchecked.parquet'), RAW_IMPRESSIONS, { validate: false })).toEqual(bad);
    await expect(writeParquetRows(at('w.parquet'), RAW_IMPRESSIONS, bad)).rejects.toThrow(/w\.parquet row 3, column "label": expected 0 or 1, got 2/);
    // even without validation the shredder refuses what it cannot store
    const nullRow = [{ ...impressions(1)[0], query: null }];
    await expect(writeParquetRows(at('w.parquet'), RAW_IMPRESSIONS, nullRow, { validate: false })).rejects.toThrow(/w\.parquet row 0, column "query": expected a value \(utf8, not nullable\), got null/);
    const strInt = [{ ...impressions(1)[0], item_id: '12' }];
    await expect(writeParquetRows(at('w.parquet'), RAW_IMPRESSIONS, strInt, { validate: false })).rejects.toThrow(/column "item_id": expected a 32-bit integer, got "12"/);
    expect(fs.existsSync(at('w.parquet'))).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('Parquet interoperability with DuckDB (an independent reader and writer)', () => {
  let instance: DuckDBInstance;
  let con: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    con = await instance.connect();
  });
  afterAll(() => {
    con?.closeSync();
    instance?.closeSync();
  });
  const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJS();
  const types = async (file: string) => Object.fromEntries((await query(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [r.column_name, r.column_type]));

  it('DuckDB reads the values we wrote: ints, int64, strings, nulls, floats, lists', async () => {
    const imp = impressions(25);
    await writeParquetRows(at('duck-imp.parquet'), RAW_IMPRESSIONS, imp, { rowGroupSize: 10 });
    expect(await types(at('duck-imp.parquet'))).toEqual({ session_id: 'INTEGER', user_id: 'INTEGER', query: 'VARCHAR', item_id: 'INTEGER', position: 'INTEGER', label: 'INTEGER', timestamp: 'BIGINT', day: 'INTEGER' });
    const back = await query(`SELECT * FROM read_parquet('${at('duck-imp.parquet')}')`);
    expect(back.map((r) => ({ ...r, timestamp: Number(r.timestamp) }))).toEqual(imp);

    const it = items(10);
    await writeParquetRows(at('duck-items.parquet'), RAW_ITEMS, it);
    expect(await query(`SELECT * FROM read_parquet('${at('duck-items.parquet')}')`)).toEqual(it);

    const pre = pretrain(9);
    await writeParquetRows(at('duck-pre.parquet'), PRETRAIN_SAMPLES, pre, { rowGroupSize: 4 });
    expect((await types(at('duck-pre.parquet'))).pv_item_ids).toBe('INTEGER[]');
    expect(await query(`SELECT * FROM read_parquet('${at('duck-pre.parquet')}')`)).toEqual(pre);

    const asg = assignments(8);
    await writeParquetRows(at('duck-asg.parquet'), CLUSTER_ASSIGNMENTS, asg);
    expect(await query(`SELECT * FROM read_parquet('${at('duck-asg.parquet')}')`)).toEqual(asg);
    await writeParquetRows(at('duck-asg-nostats.parquet'), CLUSTER_ASSIGNMENTS, asg, { statistics: false });
    expect(await query(`SELECT * FROM read_parquet('${at('duck-asg-nostats.parquet')}') WHERE distance IS NULL OR distance >= 0`)).toEqual(asg);
    // with statistics, DuckDB sees our min/max per column chunk
    const stats = await query(`SELECT stats_min, stats_max FROM parquet_metadata('${at('duck-imp.parquet')}') WHERE path_in_schema = 'item_id' ORDER BY row_group_id`);
    expect(stats.map((r) => [Number(r.stats_min), Number(r.stats_max)])).toEqual([[0, 9], [10, 19], [20, 24]]);
  });

  it('we read what DuckDB wrote: scalars, nulls, 3-level lists, extra columns ignored', async () => {
    await con.run(`COPY (SELECT (i // 4)::INTEGER AS session_id, 7::INTEGER AS user_id, 'dress' AS query, i::INTEGER AS item_id, (i % 4)::INTEGER AS position, (i % 2)::INTEGER AS label, (1000 + i)::BIGINT AS timestamp, 0::INTEGER AS day, 'x' AS extra
      FROM range(30) t(i)) TO '${at('from-duck.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 8)`);
    const rows = await readParquetAll(at('from-duck.parquet'), RAW_IMPRESSIONS);
    expect(rows).toHaveLength(30);
    expect(rows[13]).toEqual({ session_id: 3, user_id: 7, query: 'dress', item_id: 13, position: 1, label: 1, timestamp: 1013, day: 0 });
    expect('extra' in rows[0]).toBe(false);

    await con.run(`COPY (SELECT i::INTEGER AS session_id, 1::INTEGER AS user_id, 0::INTEGER AS day,
        CASE WHEN i % 3 = 0 THEN []::INTEGER[] ELSE [i, -1]::INTEGER[] END AS pv_item_ids, [1, 0]::INTEGER[] AS pv_labels, [1, 0]::INTEGER[] AS pv_mask,
        range(i % 4)::INTEGER[] AS click_item_ids, [1 for x in range(i % 4)]::INTEGER[] AS click_mask
      FROM range(10) t(i)) TO '${at('pre-duck.parquet')}' (FORMAT parquet)`);
    const pre = await readParquetAll(at('pre-duck.parquet'), PRETRAIN_SAMPLES);
    expect(pre[0]).toMatchObject({ pv_item_ids: [], click_item_ids: [], click_mask: [] });
    expect(pre[5]).toEqual({ session_id: 5, user_id: 1, day: 0, pv_item_ids: [5, -1], pv_labels: [1, 0], pv_mask: [1, 0], click_item_ids: [0], click_mask: [1] });

    await con.run(`COPY (SELECT i::INTEGER AS item_id, 'c' AS category, 't' AS title, 1.5::DOUBLE AS price, 'a.png' AS image_path, CASE WHEN i % 2 = 0 THEN NULL ELSE 'tag' END AS style_tag, 0::INTEGER AS first_day
      FROM range(4) t(i)) TO '${at('items-duck.parquet')}' (FORMAT parquet)`);
    const duckItems = await readParquetAll(at('items-duck.parquet'), RAW_ITEMS);
    expect(duckItems.map((r) => r.style_tag)).toEqual([null, 'tag', null, 'tag']);
    expect(duckItems.map((r) => r.price)).toEqual([1.5, 1.5, 1.5, 1.5]); // dictionary-encoded doubles

    // dictionary-encoded float32 and int64 values, and nulls in a float column
    await con.run(`COPY (SELECT i::INTEGER AS item_id, (i % 2)::INTEGER AS cluster_id, CASE WHEN i = 3 THEN NULL ELSE (0.1 * (i % 2))::FLOAT END AS distance
      FROM range(6) t(i)) TO '${at('asg-duck.parquet')}' (FORMAT parquet)`);
    const asg = await readParquetAll(at('asg-duck.parquet'), CLUSTER_ASSIGNMENTS);
    expect(asg.map((r) => r.distance)).toEqual([0, Math.fround(0.1), 0, null, 0, Math.fround(0.1)]);
  });

  it('rejects a DuckDB file with a wrong column type or an unsupported codec', async () => {
    await con.run(`COPY (SELECT 1::INTEGER AS session_id, 1::INTEGER AS user_id, 'q' AS query, 1::INTEGER AS item_id, 0::INTEGER AS position, 'yes' AS label, 0::BIGINT AS timestamp, 0::INTEGER AS day) TO '${at('bad-duck.parquet')}' (FORMAT parquet)`);
    await expect(readParquetAll(at('bad-duck.parquet'), RAW_IMPRESSIONS)).rejects.toThrow(/bad-duck\.parquet column "label": expected type int32, got utf8/);
    await con.run(`COPY (SELECT 1::INTEGER AS session_id, 1::INTEGER AS user_id, 0::INTEGER AS day, ['a']::VARCHAR[] AS pv_item_ids, [1]::INTEGER[] AS pv_labels, [1]::INTEGER[] AS pv_mask, []::INTEGER[] AS click_item_ids, []::INTEGER[] AS click_mask) TO '${at('bad-list.parquet')}' (FORMAT parquet)`);
    await expect(readParquetAll(at('bad-list.parquet'), PRETRAIN_SAMPLES)).rejects.toThrow(/bad-list\.parquet column "pv_item_ids": expected type int32-list, got a list of utf8/);
    // a codec we cannot decode (ZSTD before Node 22.15) is refused before any row, naming the codec and the writer's fix
    await con.run(`COPY (SELECT i::INTEGER AS item_id, 0::INTEGER AS cluster_id, 1.0::FLOAT AS distance FROM range(3) t(i)) TO '${at('zstd.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    if (typeof (zlib as unknown as Record<string, unknown>).zstdDecompressSync !== 'function')
      await expect(readParquetAll(at('zstd.parquet'), CLUSTER_ASSIGNMENTS)).rejects.toThrow(/zstd\.parquet column "item_id": expected a Parquet codec this reader decodes .*got ZSTD compression.*COMPRESSION snappy/);
    await con.run(`COPY (SELECT i::INTEGER AS item_id, 0::INTEGER AS cluster_id, 1.0::FLOAT AS distance FROM range(3) t(i)) TO '${at('gzip.parquet')}' (FORMAT parquet, COMPRESSION gzip)`);
    expect(await readParquetAll(at('gzip.parquet'), CLUSTER_ASSIGNMENTS)).toHaveLength(3);
  });
});

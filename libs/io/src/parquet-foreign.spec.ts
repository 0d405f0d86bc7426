import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { CLUSTER_ASSIGNMENTS, ContractError, PRETRAIN_SAMPLES, RAW_IMPRESSIONS, RAW_ITEMS } from '@courier/data-contracts';
import { parquetInfo, readParquetAll, writeParquetRows } from './index';

/*
 * Files written by other writers (DuckDB here, from the test itself), in each encoding, codec and
 * page version they produce, read back by our reader and compared value by value with what was
 * written. See README "Reading files of other writers".
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-pq-foreign-'));
const at = (name: string) => path.join(dir, name);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let instance: DuckDBInstance;
let con: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  con = await instance.connect();
  await con.run('SET threads = 1');
});
afterAll(() => {
  con?.closeSync();
  instance?.closeSync();
});
const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJS();
/** Encodings of each column chunk (column -> distinct encodings of its chunks). */
const encodings = async (file: string) => {
  const rows = await query(`SELECT path_in_schema AS p, encodings AS e, compression AS c FROM parquet_metadata('${file}')`);
  const out: Record<string, string> = {};
  for (const r of rows) out[String(r.p)] = [...new Set([...(out[String(r.p)] ?? '').split(',').filter(Boolean), ...String(r.e).split(', ')])].join(',');
  return { enc: out, codecs: [...new Set(rows.map((r) => String(r.c)))] };
};

/**
 * Impressions with page views of `perSession` rows: session_id, user_id, timestamp and day repeat
 * in runs, so dictionary-encoded pages hold RLE runs of indices of every bit width up to
 * log2(rows / perSession).
 */
const IMPRESSIONS_SQL = (n: number, perSession: number) => `SELECT (i // ${perSession})::INTEGER AS session_id, ((i // ${perSession}) % 997)::INTEGER AS user_id,
    'q' || ((i // ${perSession}) % 3) AS query, ((i * 7919) % 100003)::INTEGER AS item_id, (i % ${perSession})::INTEGER AS position,
    (i % 7 = 0)::INTEGER AS label, (1000 + (i // ${perSession}) * 5)::BIGINT AS timestamp, ((1000 + (i // ${perSession}) * 5) // 86400)::INTEGER AS day
  FROM range(${n}) t(i)`;
const expectedImpression = (i: number, perSession: number) => {
  const s = Math.floor(i / perSession);
  const ts = 1000 + s * 5;
  return { session_id: s, user_id: s % 997, query: `q${s % 3}`, item_id: (i * 7919) % 100003, position: i % perSession, label: i % 7 === 0 ? 1 : 0, timestamp: ts, day: Math.floor(ts / 86400) };
};
/** Compares every row and reports the first few differences (a diff of 10^5 rows is unreadable). */
const mismatches = (rows: Record<string, unknown>[], n: number, perSession: number) => {
  const bad: string[] = [];
  if (rows.length !== n) bad.push(`${rows.length} rows, expected ${n}`);
  for (let i = 0; i < rows.length && bad.length < 5; i++) {
    const want = expectedImpression(i, perSession);
    for (const [k, v] of Object.entries(want)) if (rows[i][k] !== v) bad.push(`row ${i} ${k}: ${String(rows[i][k])} != ${v}`);
  }
  return bad;
};

describe('dictionary encoding with RLE runs and any dictionary size (finding: index 256 read as 1)', () => {
  it('> 256 distinct values (bit width 9-12): DuckDB default settings, every value', async () => {
    const file = at('dict-300.parquet');
    await con.run(`COPY (${IMPRESSIONS_SQL(3000, 10)}) TO '${file}' (FORMAT parquet)`);
    const { enc } = await encodings(file);
    expect(enc.session_id).toMatch(/DICTIONARY/);
    expect(enc.timestamp).toMatch(/DICTIONARY/);
    // before the fix: row 2560 read session 1 (dictionary index 256 = bytes 00 01 summed) and timestamp 1005
    expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 3000, 10)).toEqual([]);
  });

  it('> 65536 distinct values (bit width 17) with runs of 8 in one row group', async () => {
    const file = at('dict-66k.parquet');
    const n = 66_000 * 8;
    await con.run(`COPY (${IMPRESSIONS_SQL(n, 8)}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)`);
    const { enc } = await encodings(file);
    expect(enc.session_id).toMatch(/DICTIONARY/);
    expect((await parquetInfo(file, RAW_IMPRESSIONS)).rowGroups).toBe(1);
    // only the dictionary columns with runs (a contract of two columns: the others are not read)
    const spec = { ...RAW_IMPRESSIONS, fields: RAW_IMPRESSIONS.fields.filter((f) => f.name === 'session_id' || f.name === 'timestamp') };
    const rows = await readParquetAll(file, spec, { validate: false });
    expect(rows).toHaveLength(n);
    const bad = rows.findIndex((r, i) => r.session_id !== i >> 3 || r.timestamp !== 1000 + (i >> 3) * 5);
    expect(bad === -1 ? 'all equal' : { row: bad, got: rows[bad] }).toBe('all equal');
  });

  it('long runs (run-length headers of several varint bytes) and bit-packed runs mixed', async () => {
    const file = at('runs.parquet');
    // one row group of 300 sessions of 100 rows: RLE runs of 100 need a 2-byte header; session 256+ needs 9 bits
    await con.run(`COPY (${IMPRESSIONS_SQL(30_000, 100)}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)`);
    expect((await encodings(file)).enc.session_id).toMatch(/DICTIONARY/);
    expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 30_000, 100)).toEqual([]);
  });
});

describe('plain encoding, codecs, data page v2', () => {
  it('PLAIN pages (dictionary off) read every value', async () => {
    const file = at('plain.parquet');
    await con.run(`COPY (${IMPRESSIONS_SQL(5000, 16)}) TO '${file}' (FORMAT parquet, DICTIONARY_SIZE_LIMIT 1)`);
    const { enc } = await encodings(file);
    expect(enc.session_id).toBe('PLAIN');
    expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 5000, 16)).toEqual([]);
  });

  it.each(['uncompressed', 'snappy', 'gzip', 'brotli', 'lz4'])('%s: every value', async (codec) => {
    const file = at(`codec-${codec}.parquet`);
    await con.run(`COPY (${IMPRESSIONS_SQL(4000, 10)}) TO '${file}' (FORMAT parquet, COMPRESSION ${codec})`);
    expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 4000, 10)).toEqual([]);
  });

  it('zstd: read where Node has zstd, else refused before any row with the codec and the writer fix', async () => {
    const file = at('codec-zstd.parquet');
    await con.run(`COPY (${IMPRESSIONS_SQL(4000, 10)}) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
    if (typeof (zlib as unknown as Record<string, unknown>).zstdDecompressSync === 'function') {
      expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 4000, 10)).toEqual([]);
      return;
    }
    const err = await readParquetAll(file, RAW_IMPRESSIONS).catch((e) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err.message).toMatch(/codec-zstd\.parquet column "session_id": expected a Parquet codec this reader decodes .* got ZSTD compression, which Node v\d+.* cannot decode .*compression='snappy'.*COMPRESSION snappy/);
    await expect(parquetInfo(file, RAW_IMPRESSIONS)).rejects.toThrow(/ZSTD compression/);
  });

  it('PARQUET_VERSION V2: data pages v2, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT; nulls and lists', async () => {
    const file = at('v2.parquet');
    await con.run(`COPY (${IMPRESSIONS_SQL(20_000, 10)}) TO '${file}' (FORMAT parquet, PARQUET_VERSION V2, ROW_GROUP_SIZE 6000)`);
    const { enc } = await encodings(file);
    expect(enc.item_id).toMatch(/DELTA_BINARY_PACKED/);
    expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 20_000, 10)).toEqual([]);

    // nullable strings and doubles (BYTE_STREAM_SPLIT for floats when DuckDB picks it), distinct strings (delta lengths)
    const items = at('v2-items.parquet');
    await con.run(`COPY (SELECT i::INTEGER AS item_id, 'cat' || (i % 5) AS category, 'title ' || i || repeat('x', i % 13) AS title, (i * 1.25 + 0.001)::DOUBLE AS price,
        'images/' || i || '.png' AS image_path, CASE WHEN i % 3 = 0 THEN NULL ELSE 'tag' || (i % 4) END AS style_tag, (i % 9)::INTEGER AS first_day
      FROM range(3000) t(i)) TO '${items}' (FORMAT parquet, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 1)`);
    const got = await readParquetAll(items, RAW_ITEMS);
    const want = Array.from({ length: 3000 }, (_, i) => ({ item_id: i, category: `cat${i % 5}`, title: `title ${i}${'x'.repeat(i % 13)}`, price: i * 1.25 + 0.001, image_path: `images/${i}.png`, style_tag: i % 3 === 0 ? null : `tag${i % 4}`, first_day: i % 9 }));
    expect(got).toEqual(want);

    const lists = at('v2-lists.parquet');
    await con.run(`COPY (SELECT i::INTEGER AS session_id, (i % 50)::INTEGER AS user_id, 0::INTEGER AS day,
        CASE WHEN i % 3 = 0 THEN []::INTEGER[] ELSE [i, i + 1000, -1]::INTEGER[] END AS pv_item_ids, [1, 0, 0]::INTEGER[] AS pv_labels, [1, 1, 0]::INTEGER[] AS pv_mask,
        range(i % 4)::INTEGER[] AS click_item_ids, [1 for x in range(i % 4)]::INTEGER[] AS click_mask
      FROM range(2000) t(i)) TO '${lists}' (FORMAT parquet, PARQUET_VERSION V2)`);
    const pre = await readParquetAll(lists, PRETRAIN_SAMPLES, { validate: false });
    expect(pre).toHaveLength(2000);
    const bad = pre.filter((r, i) => JSON.stringify(r) !== JSON.stringify({ session_id: i, user_id: i % 50, day: 0, pv_item_ids: i % 3 === 0 ? [] : [i, i + 1000, -1], pv_labels: [1, 0, 0], pv_mask: [1, 1, 0], click_item_ids: Array.from({ length: i % 4 }, (_, k) => k), click_mask: Array.from({ length: i % 4 }, () => 1) }));
    expect(bad.slice(0, 3)).toEqual([]);

    const asg = at('v2-floats.parquet');
    await con.run(`COPY (SELECT i::INTEGER AS item_id, (i % 64)::INTEGER AS cluster_id, CASE WHEN i % 10 = 3 THEN NULL ELSE (i / 7)::FLOAT END AS distance FROM range(5000) t(i)) TO '${asg}' (FORMAT parquet, PARQUET_VERSION V2)`);
    const dist = (await readParquetAll(asg, CLUSTER_ASSIGNMENTS)).map((r) => r.distance);
    expect(dist).toEqual(Array.from({ length: 5000 }, (_, i) => (i % 10 === 3 ? null : Math.fround(i / 7))));
  });
});

describe('footers of other writers', () => {
  /** Sets FileMetaData.version (Thrift field 1, i32) in place: pyarrow's format 2.x writes 2. */
  const setFooterVersion = (file: string, version: number) => {
    const bytes = fs.readFileSync(file);
    const footerStart = bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8);
    expect(bytes[footerStart]).toBe(0x15); // field 1, type i32
    bytes[footerStart + 1] = version * 2; // zigzag varint, one byte
    fs.writeFileSync(file, bytes);
  };

  it('a version-2 footer (pyarrow format 2.6) is read, not refused as "truncated or not Parquet"', async () => {
    const file = at('footer-v2.parquet');
    await con.run(`COPY (${IMPRESSIONS_SQL(1000, 10)}) TO '${file}' (FORMAT parquet, PARQUET_VERSION V2)`);
    setFooterVersion(file, 2);
    expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 1000, 10)).toEqual([]);
    const ours = at('ours-v2.parquet');
    await writeParquetRows(ours, RAW_IMPRESSIONS, [expectedImpression(0, 1)]);
    setFooterVersion(ours, 2);
    expect(await readParquetAll(ours, RAW_IMPRESSIONS)).toEqual([expectedImpression(0, 1)]);
  });

  it('a directory (DuckDB PER_THREAD_OUTPUT, partitioned writes) is refused, saying how to make one file', async () => {
    const out = at('per-thread');
    await con.run(`COPY (${IMPRESSIONS_SQL(100, 10)}) TO '${out}' (FORMAT parquet, PER_THREAD_OUTPUT true)`);
    await expect(readParquetAll(out, RAW_IMPRESSIONS)).rejects.toThrow(/per-thread: expected a raw-impressions Parquet file, got a directory .*COPY \(SELECT \* FROM read_parquet/);
  });

  it('int64 ids (pandas default) read as int32 columns; a TIMESTAMP column is refused naming its type', async () => {
    const file = at('int64-ids.parquet');
    await con.run(`COPY (SELECT session_id::BIGINT AS session_id, user_id::BIGINT AS user_id, query, item_id::BIGINT AS item_id, position::BIGINT AS position, label::BIGINT AS label, timestamp, day::BIGINT AS day FROM (${IMPRESSIONS_SQL(600, 2)})) TO '${file}' (FORMAT parquet)`);
    expect(mismatches(await readParquetAll(file, RAW_IMPRESSIONS), 600, 2)).toEqual([]);
    const ts = at('timestamp-type.parquet');
    await con.run(`COPY (SELECT session_id, user_id, query, item_id, position, label, to_timestamp(timestamp) AS timestamp, day FROM (${IMPRESSIONS_SQL(10, 2)})) TO '${ts}' (FORMAT parquet)`);
    await expect(readParquetAll(ts, RAW_IMPRESSIONS)).rejects.toThrow(/timestamp-type\.parquet column "timestamp": expected type int64, got timestamp\[us\]/);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CTR_SAMPLES, Impression, PRETRAIN_SAMPLES, RAW_IMPRESSIONS, RAW_ITEMS, impressionToRow, rawItemToRow } from '@courier/data-contracts';
import { parquetInfo, readParquetAll, writeParquetRows } from '@courier/io';
import { createLogger } from '@courier/runtime';
import { makeTinyWorld } from '@courier/world/testing';
import { BuildSamplesOptions, DUCKDB_DIALECT, buildSamples, keepCoin, keepCoinBase, keepHashSteps } from './index';
import { explainOutOfMemory, inputCheckQueries } from './duckdb-engine';

/*
 * The duckdb engine (sql.ts) and the js engine (core.ts) must give identical outputs: every row
 * of both sample tables in the same order, the same stats.json (but timings and paths), the same
 * rejects.jsonl and the same Parquet footer metadata.
 */

const quiet = createLogger('data-builder', { level: 'warn' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'data-builder-engines-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let runs = 0;
/** The demo world's sizes (libs/world presets), without images. */
const DEMO_SIZED = { nItems: 3000, nUsers: 400, pretrainDays: 6, ctrTrainDays: 4, sessionsPerUserDay: 2.75, renderImages: false };

async function outputs(options: Omit<BuildSamplesOptions, 'outDir' | 'log'>, engine: 'duckdb' | 'js') {
  const outDir = path.join(tmp, `out-${runs++}-${engine}`);
  const lines: string[] = [];
  const log = createLogger('data-builder', { level: 'info', write: (l: string) => lines.push(l) });
  const stats = await buildSamples({ ...options, outDir, engine, log });
  // the duckdb engine really ran (no fallback to js)
  expect(lines.filter((l) => /js engine/.test(l))).toEqual([]);
  const { inputs, outputs: outs, seconds, impressionsPerSecond, ...rest } = stats;
  void [inputs, outs, seconds, impressionsPerSecond];
  const meta = async (f: string, spec: typeof PRETRAIN_SAMPLES) => (await parquetInfo(path.join(outDir, f), spec)).metadata;
  return {
    stats: rest,
    statsKeys: JSON.stringify(rest),
    pretrain: await readParquetAll(path.join(outDir, PRETRAIN_SAMPLES.fileName), PRETRAIN_SAMPLES),
    ctr: await readParquetAll(path.join(outDir, CTR_SAMPLES.fileName), CTR_SAMPLES),
    rejects: fs.readFileSync(path.join(outDir, 'rejects.jsonl'), 'utf8'),
    ptMeta: await meta(PRETRAIN_SAMPLES.fileName, PRETRAIN_SAMPLES),
    ctrMeta: await meta(CTR_SAMPLES.fileName, CTR_SAMPLES),
  };
}

async function expectSame(options: Omit<BuildSamplesOptions, 'outDir' | 'log'>) {
  const js = await outputs(options, 'js');
  const duck = await outputs(options, 'duckdb');
  expect(duck.stats).toEqual(js.stats);
  expect(duck.statsKeys).toBe(js.statsKeys); // same key order and numbers as text
  expect(duck.rejects).toBe(js.rejects);
  expect(duck.pretrain.length).toBe(js.pretrain.length);
  expect(duck.ctr.length).toBe(js.ctr.length);
  expect(duck.pretrain).toEqual(js.pretrain);
  expect(duck.ctr).toEqual(js.ctr);
  expect(duck.ptMeta).toMatchObject(js.ptMeta);
  expect(duck.ctrMeta).toMatchObject(js.ctrMeta);
  return js;
}

describe('keepCoin in SQL', () => {
  it('the BIGINT hash chain equals keepCoin * 2^32 bit for bit (large ids, odd seeds)', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    try {
      const specials = [0, 1, 2, 255, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, 2 ** 53 - 1];
      let x = 12345;
      const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
      for (const seed of [1, 9, 0, -1, -123456, 2 ** 31, 2 ** 33 + 7, 0x9e3779b9, 1 ^ 0x5bd1e995]) {
        const cases: [number, number][] = [];
        for (const s of specials) for (const i of specials) cases.push([s, i]);
        for (let k = 0; k < 300; k++) cases.push([next() % 2 ** 31, next()]);
        let q = `(SELECT * FROM (VALUES ${cases.map(([s, i], k) => `(${k}, ${s}, ${i})`).join(', ')}) AS t(k, session_id, item_id))`;
        for (const [name, expr] of keepHashSteps(DUCKDB_DIALECT, keepCoinBase(seed), 'session_id', 'item_id', 'h')) q = `(SELECT q.*, ${expr} AS ${name} FROM ${q} q)`;
        const got = (await con.runAndReadAll(`SELECT h FROM ${q} x ORDER BY k`)).getRows().map((r) => Number(r[0]));
        expect(got).toEqual(cases.map(([s, i]) => keepCoin(seed, s, i) * 4294967296));
      }
    } finally {
      con.closeSync();
      inst.closeSync();
    }
  });
});

const DAY = 86400;
const ITEMS = Array.from({ length: 10 }, (_, id) => ({ itemId: id, category: id <= 5 ? 'dress' : id <= 7 ? 'shoe' : 'bag', title: `t${id}`, price: 10 + id, imagePath: `images/${id}.png`, styleTag: null, firstDay: 0 }));
const imp = (sessionId: number, userId: number, ts: number, itemId: number, position: number, label: number, day = Math.floor(ts / DAY)): Impression => ({ sessionId, userId, query: 'q', itemId, position, label, timestamp: ts, day });

/** Every reject reason, equal timestamps across users, repeated positions, several days. */
const LOG: Impression[] = [
  imp(0, 1, 100, 0, 0, 1),
  imp(0, 1, 100, 1, 1, 0),
  imp(0, 1, 100, 2, 2, 0),
  imp(1, 1, 200, 3, 0, 0),
  imp(1, 1, 200, 4, 1, 1),
  imp(1, 1, 200, 5, 2, 1),
  imp(1, 1, 200, 0, 3, 0),
  imp(2, 2, 200, 6, 0, 1),
  imp(2, 2, 200, 1, 1, 0),
  imp(2, 3, 200, 2, 2, 1), // inconsistent-session
  imp(3, 1, 200, 2, 0, 1),
  imp(3, 1, 200, 3, 0, 1), // same position twice: the row order decides
  imp(4, 2, 300, 0, 0, 1),
  imp(0, 1, 300, 5, 3, 1), // session-split
  imp(9, 4, 300, 1, 0, 1, 1), // day-mismatch (opens nothing)
  imp(9, 4, 300, 2, 1, 1), // session 9 opens here
  imp(5, 1, DAY + 10, 7, 0, 0),
  imp(5, 1, DAY + 10, 8, 1, 1),
  imp(6, 2, DAY + 10, 999, 0, 1), // unknown-item
  imp(6, 2, DAY + 10, 9, 1, 0),
  imp(6, 2, DAY + 10, 9, 2, 0), // duplicate-impression
  imp(6, 5, DAY + 10, 9, 3, 0), // inconsistent-session (and a repeated item of another user)
  imp(10, 2, DAY + 20, 3, 0, 1),
  imp(10, 2, DAY + 20, 4, 1, 0),
  imp(7, 1, 2 * DAY + 5, 1, 0, 0),
  imp(7, 1, 2 * DAY + 5, 4, 1, 1),
  imp(8, 2, 2 * DAY + 5, 0, 0, 0),
];

describe('duckdb engine = js engine', () => {
  let files: { itemsFile: string; impressionsFile: string };
  beforeAll(async () => {
    const dir = path.join(tmp, 'fixture');
    files = { itemsFile: path.join(dir, 'items.parquet'), impressionsFile: path.join(dir, 'impressions.parquet') };
    await writeParquetRows(files.itemsFile, RAW_ITEMS, ITEMS.map(rawItemToRow));
    await writeParquetRows(files.impressionsFile, RAW_IMPRESSIONS, LOG.map(impressionToRow), { validate: false });
  });

  const base = { seed: 1, days: { pretrain: [0], ctrTrain: [1], eval: 2 }, pretrainCategories: ['dress'] };
  it.each<[string, Partial<BuildSamplesOptions>]>([
    ['defaults', {}],
    ['keep all negatives', { negativeRate: 1 }],
    ['short lists', { negativeRate: 1, lPv: 1, lClick: 2, maxHistory: 2 }],
    ["scope 'all'", { negativeRate: 1, pretrainHistoryScope: 'all' }],
    ['CTR down-sampling', { ctrNegativeRate: 0.5, seed: 4 }],
  ])('hand-written log with every reject reason: %s', async (_name, extra) => {
    const js = await expectSame({ ...files, ...base, ...extra });
    expect(Object.keys(js.stats.rejects).sort()).toEqual(['day-mismatch', 'duplicate-impression', 'inconsistent-session', 'session-split', 'unknown-item']);
  });

  describe('tiny world', () => {
    let world: string;
    beforeAll(async () => {
      world = await makeTinyWorld(5);
    });
    it('defaults (seed 9)', async () => {
      const js = await expectSame({ worldDir: world, seed: 9 });
      expect(js.pretrain.length).toBeGreaterThan(100);
    });
    it('other settings: rates, lengths, scope all, CTR down-sampling', async () => {
      await expectSame({ worldDir: world, seed: 3, negativeRate: 0.5, ctrNegativeRate: 0.3, lPv: 3, lClick: 7, maxHistory: 20, pretrainHistoryScope: 'all' });
    });
  });

  it('long click histories fit a small memory limit (the CTR history is a slice of one list per user, not one row per slot)', async () => {
    // Demo-sized log (0.12M impressions, histories up to 50 clicks). Slot rows (page views x 50)
    // in an ordered aggregate needed more than 64 MB here and more than 512 MB on bench; DuckDB
    // cannot spill that aggregate, so the build died with "Out of Memory Error".
    const world = await makeTinyWorld(2, DEMO_SIZED);
    const outDir = path.join(tmp, `out-${runs++}-memory`);
    const stats = await buildSamples({ worldDir: world, outDir, seed: 1, engine: 'duckdb', duckdbMemoryLimit: '64MB', log: quiet });
    expect(stats.rowsIn).toBeGreaterThan(100_000);
    expect(stats.ctr.train.meanHistory).toBeGreaterThan(20);
  }, 60_000);

  it('out of memory: the error names the step, the limit and both ways out; other errors pass through', () => {
    // DuckDB's own message (its memory use at a given limit varies with threads and timing, so a
    // build is not forced to fail here; the long-history test above covers the SQL's footprint).
    const duck = new Error('Out of Memory Error: failed to allocate data of size 8.0 KiB (244.1 MiB/244.1 MiB used)\n\nPossible solutions: ...');
    expect(explainOutOfMemory(duck, 'ctr_hist', '256MB')?.message).toBe(
      'data builder (duckdb engine): step "ctr_hist" ran out of DuckDB\'s memory limit of 256MB (Out of Memory Error: failed to allocate data of size 8.0 KiB (244.1 MiB/244.1 MiB used)); raise it with --duckdb-memory-limit 1GB (config key duckdbMemoryLimit) or build with --engine js',
    );
    expect(explainOutOfMemory(new Error('Binder Error: column x not found'), 'rows', '256MB')).toBeNull();
  });

  it('bad rows: the duckdb engine hands the file to the js engine, so the error is the same', async () => {
    const bad = LOG.map((r) => ({ ...r }));
    bad[5].label = 2;
    const dir = path.join(tmp, 'bad-label');
    const f = { itemsFile: files.itemsFile, impressionsFile: path.join(dir, 'impressions.parquet') };
    await writeParquetRows(f.impressionsFile, RAW_IMPRESSIONS, bad.map(impressionToRow), { validate: false });
    const errors: string[] = [];
    const lines: string[] = [];
    for (const engine of ['js', 'duckdb'] as const) {
      const log = createLogger('data-builder', { level: 'info', write: (l: string) => lines.push(l) });
      await buildSamples({ ...f, ...base, outDir: path.join(dir, engine), engine, log }).catch((e: Error) => errors.push(e.message));
    }
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/impressions\.parquet row 5, column "label": expected 0 or 1, got 2/);
    expect(errors[1]).toBe(errors[0]);
    expect(lines.join('\n')).toMatch(/duckdb engine: impressions\.parquet row 5 fails the input check; building with the js engine/);
    expect(fs.existsSync(path.join(dir, 'duckdb', PRETRAIN_SAMPLES.fileName))).toBe(false);
  });

  /** 24,000 sorted rows, with the timestamp of `badRow` (if any) below its predecessor's. */
  const unsortedRows = (badRow: number | null): Impression[] => {
    const rows: Impression[] = Array.from({ length: 24000 }, (_, i) => imp(Math.floor(i / 10), Math.floor(i / 10) % 7, 1000 + Math.floor(i / 10), i % 10, i % 10, i % 3 === 0 ? 1 : 0));
    if (badRow !== null) rows[badRow] = { ...rows[badRow], timestamp: rows[badRow - 1].timestamp - 1 };
    return rows;
  };

  it.each([16384, 20001])('timestamps going back at row %i (the windowed check runs in blocks of 16,384 rows): the js engine reports it', async (badRow) => {
    const rows = unsortedRows(badRow);
    const dir = path.join(tmp, `unsorted-${badRow}`);
    const f = { itemsFile: files.itemsFile, impressionsFile: path.join(dir, 'impressions.parquet') };
    await writeParquetRows(f.impressionsFile, RAW_IMPRESSIONS, rows.map(impressionToRow), { validate: false });
    const lines: string[] = [];
    const log = createLogger('data-builder', { level: 'info', write: (l: string) => lines.push(l) });
    await expect(buildSamples({ ...f, ...base, outDir: path.join(dir, 'out'), log })).rejects.toThrow(new RegExp(`row ${badRow}, column "timestamp": expected non-decreasing timestamps \\(row ${badRow - 1} has`));
    expect(lines.join('\n')).toMatch(new RegExp(`row ${badRow} fails the input check`));
  });

  it('input check: the streaming pass and the windowed one find the same row; the streaming pass notices rows out of file order', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const first = async (sql: string) => {
      const r = (await con.runAndReadAll(sql)).getRowObjects()[0];
      return { row: r.row === null ? null : Number(r.row), misordered: Number(r.misordered ?? 0) };
    };
    try {
      for (const badRow of [16384, 20001, null]) {
        const file = path.join(tmp, `check-${badRow}`, 'impressions.parquet');
        await writeParquetRows(file, RAW_IMPRESSIONS, unsortedRows(badRow).map(impressionToRow), { validate: false });
        const scan = `SELECT timestamp, file_row_number AS rn FROM read_parquet('${file}', file_row_number = true)`;
        const checks = inputCheckQueries('NULL');
        await con.run(`CREATE OR REPLACE VIEW impressions AS ${scan}`);
        expect(await first(checks.streamed)).toEqual({ row: badRow, misordered: 0 });
        expect(await first(checks.windowed)).toEqual({ row: badRow, misordered: 0 });
        // Rows reaching the streaming window in another order: it says so, and the windowed check still finds the row.
        await con.run(`CREATE OR REPLACE VIEW impressions AS SELECT * FROM (${scan}) ORDER BY rn DESC`);
        expect((await first(checks.streamed)).misordered).toBeGreaterThan(0);
        expect(await first(checks.windowed)).toEqual({ row: badRow, misordered: 0 });
      }
    } finally {
      con.closeSync();
      inst.closeSync();
    }
  });

  it('COURIER_DUCKDB=0 (binding unavailable): the js engine builds, with a log line', async () => {
    const lines: string[] = [];
    const log = createLogger('data-builder', { level: 'warn', write: (l: string) => lines.push(l) });
    process.env.COURIER_DUCKDB = '0';
    try {
      const stats = await buildSamples({ ...files, ...base, outDir: path.join(tmp, 'no-duck'), log });
      expect(stats.rowsIn).toBe(LOG.length);
      expect(lines.join('\n')).toMatch(/duckdb engine unavailable \(COURIER_DUCKDB=0\); building with the js engine/);
    } finally {
      delete process.env.COURIER_DUCKDB;
    }
  });
});

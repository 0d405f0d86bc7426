/**
 * The `duckdb` engine: runs the SQL of sql.ts in an embedded DuckDB (@duckdb/node-api) and
 * writes the two sample tables with DuckDB's Parquet writer (COPY). Same rows, order, stats and
 * rejects as the TypeScript engine (core.ts); the equivalence test builds both.
 *
 * When the native binding cannot load, `loadDuckDb` returns null and the builder uses the
 * TypeScript engine (with a log line). When the input check finds a bad row (null, range, label,
 * timestamps going back), `runDuckDbEngine` returns `{ fallback }` and the TypeScript engine
 * builds the file, so bad input gives exactly the errors it always gave.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Impression, impressionFromRow } from '@courier/data-contracts';
import { CoreStats, ctrSplitStats } from './core';
import { DEFAULT_DUCKDB_MEMORY_LIMIT } from './config';
import { DUCKDB_DIALECT, SamplesSqlParams, outputQueries, samplesSteps, statsQueries } from './sql';

type DuckDbModule = typeof import('@duckdb/node-api');

let cached: { mod: DuckDbModule | null; why: string } | null = null;

/**
 * The DuckDB module, or null with the reason (binding missing or unloadable; or COURIER_DUCKDB=0,
 * which simulates that).
 */
export function loadDuckDb(): { mod: DuckDbModule | null; why: string } {
  if (process.env.COURIER_DUCKDB === '0') return { mod: null, why: 'COURIER_DUCKDB=0' };
  if (cached) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = { mod: require('@duckdb/node-api') as DuckDbModule, why: '' };
  } catch (err) {
    cached = { mod: null, why: (err as Error).message.split('\n')[0] };
  }
  return cached;
}

export interface DuckDbRunOptions {
  impressionsFile: string;
  /** Pre-training category names (items of these categories have is_pt = 1). */
  pretrainCategoryNames: string[];
  params: SamplesSqlParams;
  ptTmp: string;
  ctrTmp: string;
  ptMetadata: Record<string, string>;
  ctrMetadata: Record<string, string>;
  /** Called once per rejected row, in row order. */
  reject: (row: number, reason: string, record: Impression) => void;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

function kvMetadata(m: Record<string, string>): string {
  return `{${Object.entries(m).map(([k, v]) => `${q(k)}: ${q(v)}`).join(', ')}}`;
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const int32Bad = (c: string) => `${c} IS NULL OR ${c} < 0 OR ${c} > 2147483647`;

/**
 * DuckDB's "Out of Memory Error" as an error naming the step, the limit and both ways out; null for
 * any other error. (Not every operator spills: an ordered aggregate holds its groups in memory.)
 */
export function explainOutOfMemory(err: unknown, step: string, memoryLimit: string): Error | null {
  const message = err instanceof Error ? err.message : String(err);
  if (!/out of memory/i.test(message)) return null;
  return new Error(
    `data builder (duckdb engine): step "${step}" ran out of DuckDB's memory limit of ${memoryLimit} (${message.split('\n')[0]}); ` +
      `raise it with --duckdb-memory-limit 1GB (config key duckdbMemoryLimit) or build with --engine js`,
  );
}

/**
 * The input check over the view `impressions` (with `rn`): `row` is the first bad row (null: none),
 * from `rowChecks` (a scalar subquery, or NULL) and timestamps going back.
 *
 * `streamed`, the default: lag() OVER () runs as DuckDB's streaming window (nothing buffered, so
 * constant memory; `windowed` held the whole log's (rn, timestamp) at once, +270 MiB at 4e6 rows).
 * It sees the rows in scan order, which is the file's order; the same pass proves that (every row's
 * predecessor is row rn - 1, `misordered` counts the rows where not), and when it does not hold
 * the caller runs `windowed`: blocks of 16,384 rows in parallel, then across the blocks' boundaries.
 */
export function inputCheckQueries(rowChecks: string): { streamed: string; windowed: string } {
  return {
    streamed: `WITH w AS (SELECT rn, timestamp, lag(timestamp) OVER () AS prev, lag(rn) OVER () AS prev_rn FROM impressions)
      SELECT least(${rowChecks}, min(CASE WHEN prev > timestamp THEN rn END)) AS row,
        count(*) FILTER (WHERE rn > 0 AND prev_rn IS DISTINCT FROM rn - 1) AS misordered
      FROM w`,
    windowed: `WITH t AS (SELECT rn, timestamp, rn >> 14 AS blk FROM impressions),
      w AS (SELECT rn, timestamp, lag(timestamp) OVER (PARTITION BY blk ORDER BY rn) AS prev FROM t),
      e AS (SELECT blk, min(rn) AS first_rn, arg_min(timestamp, rn) AS first_ts, arg_max(timestamp, rn) AS last_ts FROM t GROUP BY blk),
      x AS (SELECT first_rn, first_ts, lag(last_ts) OVER (ORDER BY blk) AS prev_last FROM e)
      SELECT least(
        ${rowChecks},
        (SELECT min(rn) FROM w WHERE prev > timestamp),
        (SELECT min(first_rn) FROM x WHERE prev_last > first_ts)
      ) AS row`,
  };
}


/** One embedded DuckDB (in memory, spilling to a temporary folder beyond its memory limit). */
export class DuckDbSession {
  private t = performance.now();
  private cpu = process.cpuUsage();
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
    private readonly tempDir: string,
    private readonly debug: (message: string) => void,
    private readonly memoryLimit: string,
  ) {}

  static async open(mod: DuckDbModule, o: { threads?: number; memoryLimit?: string; debug?: (message: string) => void }): Promise<DuckDbSession> {
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-builder-duckdb-'));
    const memoryLimit = o.memoryLimit ?? DEFAULT_DUCKDB_MEMORY_LIMIT;
    // The allocator settings keep the process's peak near the limit (README, "Memory and
    // streaming"): DuckDB's jemalloc keeps up to 128 MiB after a task by default; 16 MiB, with the
    // background thread returning freed pages: 418-428 instead of 438-441 MiB at 4e6 rows, no
    // difference in time beyond the machine's noise.
    const config: Record<string, string> = {
      temp_directory: tempDir,
      memory_limit: memoryLimit,
      allocator_flush_threshold: '16MB',
      allocator_background_threads: 'true',
    };
    if (o.threads) config.threads = String(o.threads);
    try {
      const instance = await mod.DuckDBInstance.create(':memory:', config);
      return new DuckDbSession(instance, await instance.connect(), tempDir, o.debug ?? (() => undefined), memoryLimit);
    } catch (err) {
      fs.rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
    fs.rmSync(this.tempDir, { recursive: true, force: true });
  }

  private lap(what: string): void {
    const now = performance.now();
    const cpu = process.cpuUsage();
    this.debug(`duckdb ${what}: ${((now - this.t) / 1000).toFixed(3)} s (cpu ${((cpu.user + cpu.system - this.cpu.user - this.cpu.system) / 1e6).toFixed(3)} s)`);
    this.t = now;
    this.cpu = cpu;
  }

  /** Runs one step; DuckDB's out-of-memory error gets the step's name and the two ways out. */
  private async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw explainOutOfMemory(err, name, this.memoryLimit) ?? err;
    }
  }

  private async one(sql: string): Promise<Record<string, unknown>> {
    const r = await this.con.runAndReadAll(sql);
    return (r.getRowObjects()[0] ?? {}) as Record<string, unknown>;
  }

  /**
   * Loads items.parquet (the caller has checked its columns): category names in order of first
   * appearance and the item count; null when a row breaks the contract (or ids repeat, or the table
   * is empty), so that the TypeScript reader reports it with its exact message.
   */
  async catalogue(itemsFile: string): Promise<{ names: string[]; count: number } | null> {
    try {
      await this.con.run(`CREATE TEMP TABLE items_raw AS SELECT item_id, category, file_row_number AS rn FROM read_parquet(${q(itemsFile)}, file_row_number = true)`);
      const bad = await this.one(
        `SELECT count(*) AS rows,
           (SELECT count(*) FROM read_parquet(${q(itemsFile)}) WHERE ${int32Bad('item_id')} OR category IS NULL OR category = '' OR title IS NULL
              OR price IS NULL OR NOT isfinite(price) OR price < 0 OR image_path IS NULL OR image_path = '' OR ${int32Bad('first_day')}) AS bad,
           count(*) - count(DISTINCT item_id) AS repeated
         FROM items_raw`,
      );
      if (n(bad.rows) === 0 || n(bad.bad) > 0 || n(bad.repeated) > 0) return null;
      const names = (await this.con.runAndReadAll(`SELECT category, min(rn) AS first_row FROM items_raw GROUP BY category ORDER BY first_row`)).getRowObjects().map((r) => String(r.category));
      this.lap('items');
      return { names, count: n(bad.rows) };
    } catch {
      return null; // unreadable for DuckDB: the TypeScript reader says why
    }
  }

  /**
   * True when the footer's statistics (null counts, min/max of every row group; bounds, so
   * conservative) already prove the per-row checks: no nulls, ids in 0..2^31-1, labels in 0..1,
   * timestamps safe integers. Then the input check reads only the timestamps (for their order).
   */
  private async footerProvesRanges(file: string): Promise<boolean> {
    const limits: Record<string, [number, number] | null> = {
      session_id: [0, 2147483647],
      user_id: [0, 2147483647],
      item_id: [0, 2147483647],
      position: [0, 2147483647],
      day: [0, 2147483647],
      label: [0, 1],
      timestamp: [-9007199254740991, 9007199254740991],
      query: null,
    };
    const rows = (
      await this.con.runAndReadAll(
        `SELECT path_in_schema AS col, count(*) AS chunks, sum(stats_null_count) AS nulls, count(stats_null_count) AS with_nulls,
           min(TRY_CAST(stats_min_value AS BIGINT)) AS lo, max(TRY_CAST(stats_max_value AS BIGINT)) AS hi,
           count(TRY_CAST(stats_min_value AS BIGINT)) AS with_lo, count(TRY_CAST(stats_max_value AS BIGINT)) AS with_hi
         FROM parquet_metadata(${q(file)}) GROUP BY path_in_schema`,
      )
    ).getRowObjects();
    const byCol = new Map(rows.map((r) => [String(r.col), r]));
    for (const [col, range] of Object.entries(limits)) {
      const r = byCol.get(col);
      if (!r || n(r.with_nulls) !== n(r.chunks) || n(r.nulls) !== 0) return false;
      if (range && (n(r.with_lo) !== n(r.chunks) || n(r.with_hi) !== n(r.chunks) || n(r.lo) < range[0] || n(r.hi) > range[1])) return false;
    }
    return true;
  }

  /** Builds the samples (the catalogue must be loaded); `fallback` when the impressions fail the input check. */
  async build(o: DuckDbRunOptions): Promise<{ stats: CoreStats } | { fallback: string }> {
    const con = this.con;
    await con.run(
      `CREATE VIEW impressions AS SELECT session_id, user_id, query, item_id, position, label, timestamp, day, file_row_number AS rn FROM read_parquet(${q(o.impressionsFile)}, file_row_number = true)`,
    );
    // Input check: what the contract validation and the sortedness check of the TypeScript
    // engine refuse. Any hit: the TypeScript engine runs and reports it with its exact message.
    // One streaming pass; the windowed check only when the scan's order was not the file's.
    let bad: Record<string, unknown>;
    try {
      const rowChecks = (await this.footerProvesRanges(o.impressionsFile))
        ? 'NULL'
        : `(SELECT min(rn) FROM impressions
            WHERE ${['session_id', 'user_id', 'item_id', 'position', 'day'].map(int32Bad).join(' OR ')}
               OR query IS NULL OR label IS NULL OR label NOT IN (0, 1)
               OR timestamp IS NULL OR timestamp > 9007199254740991 OR timestamp < -9007199254740991)`;
      const checks = inputCheckQueries(rowChecks);
      const streamed = await this.one(checks.streamed);
      bad = n(streamed.misordered) === 0 ? streamed : await this.one(checks.windowed);
    } catch (err) {
      // A file DuckDB cannot read (corrupt, truncated): the js engine's reader names file, row and column.
      return { fallback: `cannot be read by DuckDB (${(err as Error).message.split('\n')[0]})` };
    }
    if (bad.row !== null && bad.row !== undefined) return { fallback: `row ${n(bad.row)} fails the input check` };
    this.lap('input check');

    const cats = o.pretrainCategoryNames.length ? o.pretrainCategoryNames.map(q).join(', ') : 'NULL';
    await con.run(`CREATE TEMP TABLE catalogue AS SELECT item_id, CASE WHEN category IN (${cats}) THEN 1 ELSE 0 END AS is_pt FROM items_raw`);
    for (const step of samplesSteps(o.params, DUCKDB_DIALECT)) {
      await this.step(step.name, () => con.run(`CREATE TEMP ${step.materialize ? 'TABLE' : 'VIEW'} ${step.name} AS ${step.sql}`));
      this.lap(step.name);
    }

    const out = outputQueries(o.params, DUCKDB_DIALECT);
    const copy = (sql: string, file: string, meta: Record<string, string>) =>
      con.run(`COPY (${sql}) TO ${q(file)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 16384, KV_METADATA ${kvMetadata(meta)})`);
    await this.step('write pretrain samples', () => copy(out.pretrain, o.ptTmp, o.ptMetadata));
    this.lap('write pretrain samples');
    await this.step('write ctr samples', () => copy(out.ctr, o.ctrTmp, o.ctrMetadata));
    this.lap('write ctr samples');

    const sq = statsQueries(o.params);
    const rowsS = await this.one(sq.rows);
    // Rejects in row order; the counts' keys come in order of first occurrence, as in core.ts.
    const rejects: Record<string, number> = {};
    // (The record comes from the file itself, so only rejected rows carry their query string.)
    const rejected = await con.stream(
      `SELECT r.rn, r.reason, i.session_id, i.user_id, i.query, i.item_id, i.position, i.label, i.timestamp, i.day
       FROM (SELECT rn, reason FROM rows WHERE reason IS NOT NULL) r JOIN impressions i ON i.rn = r.rn ORDER BY r.rn`,
    );
    for await (const rows of rejected.yieldRowObjects()) {
      for (const r of rows) {
        const reason = String(r.reason);
        rejects[reason] = (rejects[reason] ?? 0) + 1;
        o.reject(n(r.rn), reason, impressionFromRow(r as Record<string, unknown>));
      }
    }
    this.lap('rejects');
    const pt = await this.one(sq.pretrain);
    const ctrAgg = { train: { samples: 0, clicks: 0, hist: 0, empty: 0 }, eval: { samples: 0, clicks: 0, hist: 0, empty: 0 } };
    for (const r of (await con.runAndReadAll(sq.ctr)).getRowObjects()) {
      ctrAgg[String(r.split) as 'train' | 'eval'] = { samples: n(r.samples), clicks: n(r.clicks), hist: n(r.hist), empty: n(r.empty) };
    }
    const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
    const ctrPart = ctrSplitStats;
    const samples = n(pt.samples);
    const sampleItems = n(pt.sample_items);
    // Key order as in SampleCore.finish, so stats.json is the same text.
    const stats: CoreStats = {
      rowsIn: n(rowsS.rows_in),
      rowsUsed: n(rowsS.rows_used),
      rejects,
      pageViews: n(rowsS.page_views),
      users: n(rowsS.users),
      pretrain: {
        candidatePageViews: n(pt.candidates),
        samples,
        dropped: { noPositive: n(pt.no_positive), noHistory: n(pt.no_history) },
        ctrBeforeDownsampling: ratio(n(pt.clicks_before), n(pt.items_before)),
        ctrAfterDownsampling: ratio(n(pt.clicks_after), n(pt.items_after)),
        ctrInSamples: ratio(n(pt.sample_pos), sampleItems),
        meanHistory: ratio(n(pt.hist_sum), samples),
        meanPvItems: ratio(sampleItems, samples),
        positivesTruncated: n(pt.truncated_pos),
        distinctUsers: n(pt.distinct_users),
        distinctItems: n(pt.distinct_items),
      },
      ctr: { train: ctrPart(ctrAgg.train), eval: ctrPart(ctrAgg.eval) },
    };
    this.lap('stats');
    return { stats };
  }
}

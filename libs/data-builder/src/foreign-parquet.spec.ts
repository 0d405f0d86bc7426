import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { CTR_SAMPLES, PRETRAIN_SAMPLES, RAW_IMPRESSIONS } from '@courier/data-contracts';
import { readParquetAll } from '@courier/io';
import { createLogger } from '@courier/runtime';
import { makeTinyWorld } from '@courier/world/testing';
import { buildSamples } from './index';

/*
 * Impressions written by another writer (DuckDB: default settings, and dictionary encoding
 * forced into one row group) must give exactly the samples, statistics and rejects that the same
 * rows written by our writer give. Before the reader fix, DuckDB's dictionary-encoded timestamp
 * column (1,170 distinct values in runs of 10) read index 256 as 1 and the file was refused as
 * unsorted; with sorted timestamps but a dictionary-encoded session_id the same bug split
 * sessions (pyarrow: 12,210 of 14,810 rows rejected as session-split).
 */

const quiet = createLogger('data-builder', { level: 'warn' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'data-builder-foreign-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

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

/** A world folder whose impressions.parquet DuckDB rewrote from `world` with `options`. */
async function duckWorld(world: string, name: string, select: string, options: string): Promise<string> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['world.json', 'items.parquet']) fs.copyFileSync(path.join(world, f), path.join(dir, f));
  await con.run(`COPY (${select.replace('$src', `read_parquet('${path.join(world, RAW_IMPRESSIONS.fileName)}')`)}) TO '${path.join(dir, RAW_IMPRESSIONS.fileName)}' (FORMAT parquet${options})`);
  return dir;
}

async function samplesOf(worldDir: string, name: string) {
  const outDir = path.join(tmp, `out-${name}`);
  const stats = await buildSamples({ worldDir, outDir, seed: 9, log: quiet, validateOutput: false });
  // paths and timings differ between runs; everything else must not
  const { inputs, outputs, seconds, impressionsPerSecond, ...rest } = stats as unknown as Record<string, unknown>;
  void [inputs, outputs, seconds, impressionsPerSecond];
  return {
    stats: rest as unknown as typeof stats,
    pretrain: await readParquetAll(path.join(outDir, PRETRAIN_SAMPLES.fileName), PRETRAIN_SAMPLES),
    ctr: await readParquetAll(path.join(outDir, CTR_SAMPLES.fileName), CTR_SAMPLES),
    rejects: fs.readFileSync(path.join(outDir, 'rejects.jsonl'), 'utf8').replaceAll(worldDir, 'WORLD'),
  };
}

describe('impressions written by DuckDB give the same samples as our writer', () => {
  let world: string;
  let ours: Awaited<ReturnType<typeof samplesOf>>;
  beforeAll(async () => {
    world = await makeTinyWorld(5);
    ours = await samplesOf(world, 'ours');
  });

  const cases: [string, string, string][] = [
    ['default settings', 'SELECT * FROM $src', ''],
    ['dictionary encoding forced, one row group', 'SELECT * FROM $src', ', DICTIONARY_SIZE_LIMIT 1000000, ROW_GROUP_SIZE 1000000'],
    ['int64 ids and dictionary (pandas/pyarrow style)', 'SELECT session_id::BIGINT AS session_id, user_id::BIGINT AS user_id, query, item_id::BIGINT AS item_id, position::BIGINT AS position, label::BIGINT AS label, timestamp, day::BIGINT AS day FROM $src', ', ROW_GROUP_SIZE 1000000'],
    ['PARQUET_VERSION V2 (delta encodings)', 'SELECT * FROM $src', ', PARQUET_VERSION V2'],
  ];
  it.each(cases)('%s', async (name, select, options) => {
    const dir = await duckWorld(world, name.replace(/\W+/g, '-'), select, options);
    const theirs = await samplesOf(dir, name.replace(/\W+/g, '-'));
    expect(theirs.stats.rowsIn).toBe(ours.stats.rowsIn);
    expect(theirs.stats.rejects).toEqual(ours.stats.rejects);
    expect(theirs.stats).toEqual(ours.stats);
    expect(theirs.rejects).toBe(ours.rejects);
    expect(theirs.pretrain).toEqual(ours.pretrain);
    expect(theirs.ctr).toEqual(ours.ctr);
  });
});

/**
 * Data-builder benchmark: impressions/s and peak RSS.
 *
 *   npx tsx tools/bench/data-builder.ts [--core 1000000,10000000] [--e2e 200000] [--no-duckdb] [--users 100000]
 *
 * 1. core: the streaming SampleCore (grouping, down-sampling, histories, row conversion; no
 *    Parquet) on a synthetic log, each size in a child process so peak RSS is per size. The user
 *    count is fixed, so RSS should stay flat as the log grows (memory ~ per-user history state).
 * 2. e2e: buildSamples end to end on a Parquet log (parquetjs-lite read + write), with and without
 *    output validation, plus a read-only pass to show where the time goes.
 * 3. duckdb: the same grouping in SQL (@duckdb/node-api) on the same Parquet file, for a ratio.
 *    DuckDB's hash() stands in for keepCoin, so pre-training counts match only approximately.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Impression, RAW_IMPRESSIONS, RAW_ITEMS, ctrSampleToRow, impressionToRow, pretrainSampleToRow, rawItemToRow } from '@courier/data-contracts';
import { SampleCore, buildSamples } from '@courier/data-builder';
import { readParquetRows, writeParquetRows } from '@courier/io';
import { Rng, createLogger, parseCliArgs } from '@courier/runtime';

const N_ITEMS_CORE = 100_000;
const N_CATEGORIES = 14;
const PRETRAIN_CATS = new Set([0, 1, 2, 3, 4]);
const DAYS = { pretrain: [0, 1, 2, 3, 4, 5], ctrTrain: [6, 7, 8], eval: 9 };

/** A synthetic time-ordered log over 10 days: pages of 10 items, ~10% clicks. */
function* syntheticLog(n: number, users: number, items: number, seed = 1): Generator<Impression> {
  const rng = new Rng(seed);
  const sessions = Math.ceil(n / 10);
  const step = (10 * 86400) / sessions;
  let ts = 0;
  let emitted = 0;
  for (let s = 0; s < sessions && emitted < n; s++) {
    const t = Math.floor(ts);
    ts += step * 2 * rng.next();
    if (ts >= 10 * 86400) ts = 10 * 86400 - 1;
    const user = rng.int(users);
    const cat = rng.int(N_CATEGORIES);
    for (let p = 0; p < 10 && emitted < n; p++) {
      const item = rng.int(Math.floor(items / N_CATEGORIES)) * N_CATEGORIES + cat;
      yield { sessionId: s, userId: user, query: `c${cat}`, itemId: item, position: p, label: rng.bernoulli(0.1) ? 1 : 0, timestamp: t, day: Math.floor(t / 86400) };
      emitted++;
    }
  }
}

function coreRun(n: number, users: number): void {
  let pt = 0;
  let ctr = 0;
  const core = new SampleCore(
    {
      lPv: 5,
      lClick: 5,
      maxHistory: 50,
      negativeRate: 0.2,
      ctrNegativeRate: 1,
      seed: 1,
      pretrainDays: new Set(DAYS.pretrain),
      ctrTrainDays: new Set(DAYS.ctrTrain),
      evalDay: DAYS.eval,
      itemCategory: (id) => (id >= 0 && id < N_ITEMS_CORE ? id % N_CATEGORIES : -1),
      pretrainCategories: PRETRAIN_CATS,
      pretrainHistoryScope: 'pretrain-categories',
    },
    {
      pretrain: (s) => {
        pretrainSampleToRow(s);
        pt++;
      },
      ctr: (s) => {
        ctrSampleToRow(s);
        ctr++;
      },
      reject: () => undefined,
    },
  );
  // Generating the log costs time too; measure it alone and subtract.
  let t0 = performance.now();
  let sink = 0;
  for (const r of syntheticLog(n, users, N_ITEMS_CORE)) sink += r.label;
  const genSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  let row = 0;
  let peak = 0;
  for (const r of syntheticLog(n, users, N_ITEMS_CORE)) {
    core.push(r, row++);
    if ((row & 0xfffff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const stats = core.finish();
  const total = (performance.now() - t0) / 1000;
  const coreSeconds = total - genSeconds;
  process.stdout.write(
    `${JSON.stringify({ n, users, clicks: sink, pretrainSamples: pt, ctrSamples: ctr, pageViews: stats.pageViews, seconds: total, generatorSeconds: genSeconds, impressionsPerSecond: n / coreSeconds, impressionsPerSecondInclGenerator: n / total, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

async function e2e(n: number, users: number, duckdb: boolean): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-data-builder-'));
  const nItems = 20_000;
  const itemsFile = path.join(dir, 'items.parquet');
  const impressionsFile = path.join(dir, 'impressions.parquet');
  const quiet = createLogger('bench', { level: 'warn' });
  try {
    let t0 = performance.now();
    await writeParquetRows(
      itemsFile,
      RAW_ITEMS,
      Array.from({ length: nItems }, (_, id) => rawItemToRow({ itemId: id, category: `c${id % N_CATEGORIES}`, title: 't', price: 1, imagePath: `i/${id}.png`, styleTag: null, firstDay: 0 })),
      { validate: false },
    );
    await writeParquetRows(impressionsFile, RAW_IMPRESSIONS, (function* () {
      for (const r of syntheticLog(n, users, nItems)) yield impressionToRow(r);
    })(), { validate: false, rowGroupSize: 16384 });
    const writeSeconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ step: 'write input (parquetjs-lite)', rows: n, seconds: writeSeconds, rowsPerSecond: n / writeSeconds }));

    t0 = performance.now();
    let c = 0;
    for await (const _ of readParquetRows(impressionsFile, RAW_IMPRESSIONS)) c++;
    const readSeconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ step: 'read only, validated (parquetjs-lite)', rows: c, seconds: readSeconds, rowsPerSecond: c / readSeconds }));

    const pretrainCategories = [...PRETRAIN_CATS].map((i) => `c${i}`);
    let ours: Awaited<ReturnType<typeof buildSamples>> | null = null;
    for (const validateOutput of [false, true]) {
      const rss0 = process.resourceUsage().maxRSS;
      const stats = await buildSamples({ itemsFile, impressionsFile, outDir: path.join(dir, `out-${validateOutput}`), seed: 1, days: DAYS, pretrainCategories, validateOutput, log: quiet });
      ours = stats;
      console.log(
        JSON.stringify({
          step: `buildSamples (validateOutput=${validateOutput})`,
          rows: stats.rowsIn,
          seconds: stats.seconds,
          impressionsPerSecond: stats.impressionsPerSecond,
          pretrainSamples: stats.pretrain.samples,
          ctrSamples: stats.ctr.train.samples + stats.ctr.eval.samples,
          peakRssMiB: Math.max(rss0, process.resourceUsage().maxRSS) / 1024,
        }),
      );
    }

    if (duckdb) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { DuckDBInstance } = require('@duckdb/node-api');
      const inst = await DuckDBInstance.create(':memory:');
      const conn = await inst.connect();
      t0 = performance.now();
      await conn.run(`CREATE TABLE imp AS SELECT * FROM read_parquet('${impressionsFile}')`);
      await conn.run(`CREATE TABLE items AS SELECT item_id, category FROM read_parquet('${itemsFile}')`);
      const loadSeconds = (performance.now() - t0) / 1000;
      const ptCats = pretrainCategories.map((x) => `'${x}'`).join(',');
      t0 = performance.now();
      // CTR samples: every row of the CTR days with the latest 50 clicks strictly earlier.
      await conn.run(`
        CREATE TABLE ctr AS
        WITH s AS (SELECT DISTINCT session_id, user_id, timestamp FROM imp WHERE day >= ${DAYS.ctrTrain[0]}),
        c AS (SELECT user_id, timestamp, position, item_id FROM imp WHERE label = 1),
        ranked AS (
          SELECT s.session_id, c.item_id, c.timestamp, c.position,
                 row_number() OVER (PARTITION BY s.session_id ORDER BY c.timestamp DESC, c.position DESC) AS rn
          FROM s JOIN c ON c.user_id = s.user_id AND c.timestamp < s.timestamp),
        h AS (SELECT session_id, list(item_id ORDER BY timestamp, position) AS hist FROM ranked WHERE rn <= 50 GROUP BY session_id)
        SELECT i.session_id, i.user_id, i.item_id, i.day, i.position, i.label,
               CASE WHEN i.day = ${DAYS.eval} THEN 'eval' ELSE 'train' END AS split, coalesce(h.hist, []) AS history_item_ids
        FROM imp i LEFT JOIN h USING (session_id) WHERE i.day >= ${DAYS.ctrTrain[0]}`);
      // Pre-training samples: PV items of pre-training categories, negatives kept by a hash coin,
      // positives first, first 5; the latest 5 pre-training-category clicks strictly before.
      await conn.run(`
        CREATE TABLE pt AS
        WITH pv AS (
          SELECT i.* FROM imp i JOIN items USING (item_id)
          WHERE i.day <= ${DAYS.pretrain[DAYS.pretrain.length - 1]} AND items.category IN (${ptCats})
            AND (i.label = 1 OR (hash(1, i.session_id, i.item_id) % 1000000) < 200000)),
        g AS (
          SELECT session_id, any_value(user_id) AS user_id, any_value(timestamp) AS ts,
                 list(item_id ORDER BY label DESC, position)[1:5] AS pv_items, list(label ORDER BY label DESC, position)[1:5] AS pv_labels
          FROM pv GROUP BY session_id HAVING sum(label) > 0),
        c AS (SELECT i.user_id, i.timestamp, i.position, i.item_id FROM imp i JOIN items USING (item_id) WHERE i.label = 1 AND items.category IN (${ptCats})),
        ranked AS (
          SELECT g.session_id, c.item_id, c.timestamp, c.position,
                 row_number() OVER (PARTITION BY g.session_id ORDER BY c.timestamp DESC, c.position DESC) AS rn
          FROM g JOIN c ON c.user_id = g.user_id AND c.timestamp < g.ts),
        h AS (SELECT session_id, list(item_id ORDER BY timestamp, position) AS hist FROM ranked WHERE rn <= 5 GROUP BY session_id)
        SELECT g.session_id, g.user_id, g.pv_items, g.pv_labels, h.hist FROM g JOIN h USING (session_id)`);
      const querySeconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      await conn.run(`COPY pt TO '${path.join(dir, 'duck-pt.parquet')}' (FORMAT parquet)`);
      await conn.run(`COPY ctr TO '${path.join(dir, 'duck-ctr.parquet')}' (FORMAT parquet)`);
      const writeOutSeconds = (performance.now() - t0) / 1000;
      const count = async (t: string) => Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t}`)).getRows()[0][0]);
      const duckTotal = loadSeconds + querySeconds + writeOutSeconds;
      console.log(
        JSON.stringify({
          step: 'duckdb SQL (same grouping; load + query + write Parquet)',
          rows: n,
          loadSeconds,
          querySeconds,
          writeOutSeconds,
          seconds: duckTotal,
          impressionsPerSecond: n / duckTotal,
          pretrainSamples: await count('pt'),
          ctrSamples: await count('ctr'),
          ratioOursOverDuckdb: ours ? ours.seconds / duckTotal : null,
          threads: Number((await conn.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0][0]),
        }),
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { positionals, flags } = parseCliArgs(process.argv.slice(2));
  const users = Number(flags.users ?? 100_000);
  if (positionals[0] === 'child-core') return coreRun(Number(positionals[1]), users);
  const coreSizes = String(flags.core ?? '1000000,10000000').split(',').filter(Boolean).map(Number);
  for (const n of coreSizes) {
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, 'child-core', String(n), '--users', String(users)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`core run n=${n} failed with status ${child.status}`);
    console.log(`core ${child.stdout.trim()}`);
  }
  const e2eN = Number(flags.e2e ?? 200_000);
  if (e2eN > 0) await e2e(e2eN, Math.min(users, Math.max(1000, Math.floor(e2eN / 20))), flags.duckdb !== false);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

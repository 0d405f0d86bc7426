/**
 * Data-builder benchmark: impressions/s and peak RSS.
 *
 *   npx tsx tools/bench/data-builder.ts [--core 1000000,10000000] [--e2e 1000000,4000000] [--repeat 3] [--e2e-users 50000] [--js-max 1000000] [--users 100000]
 *   npx tsx tools/bench/data-builder.ts --world runs/demo-seed1/world     # both engines on a world: times, identical outputs?
 *
 * 1. core: the streaming SampleCore of the js engine (grouping, down-sampling, histories, row
 *    conversion; no Parquet) on a synthetic log, each size in a child process so peak RSS is per size.
 * 2. e2e, per size (fixed user count, so memory should not grow with the log): the synthetic log is
 *    written as Parquet, then each in its own process: the reference DuckDB SQL of the same
 *    grouping (load + query + write Parquet), buildSamples with engine 'duckdb' (what
 *    `nx run data:build` runs) and with engine 'js' (sizes up to --js-max). The reference and the
 *    duckdb engine alternate --repeat times. Prints each run and a summary with the median rows/s,
 *    the peak RSS (max over repeats) and the ratio ours / DuckDB, in wall time and in CPU time
 *    (the process's user + system seconds, all threads; less sensitive to the shared machine's load).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CTR_SAMPLES, Impression, PRETRAIN_SAMPLES, RAW_IMPRESSIONS, RAW_ITEMS, ctrSampleToRow, impressionToRow, pretrainSampleToRow, rawItemToRow } from '@courier/data-contracts';
import { SampleCore, buildSamples } from '@courier/data-builder';
import { readParquetAll, writeParquetRows } from '@courier/io';
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

/** Writes the synthetic log of n rows (and a 20k-item catalogue) with our writer; returns the files. */
async function writeInput(dir: string, n: number, users: number): Promise<{ itemsFile: string; impressionsFile: string; seconds: number }> {
  const nItems = 20_000;
  const itemsFile = path.join(dir, 'items.parquet');
  const impressionsFile = path.join(dir, 'impressions.parquet');
  const t0 = performance.now();
  await writeParquetRows(
    itemsFile,
    RAW_ITEMS,
    Array.from({ length: nItems }, (_, id) => rawItemToRow({ itemId: id, category: `c${id % N_CATEGORIES}`, title: 't', price: 1, imagePath: `i/${id}.png`, styleTag: null, firstDay: 0 })),
    { validate: false },
  );
  await writeParquetRows(impressionsFile, RAW_IMPRESSIONS, (function* () {
    for (const r of syntheticLog(n, users, nItems)) yield impressionToRow(r);
  })(), { validate: false, rowGroupSize: 16384 });
  return { itemsFile, impressionsFile, seconds: (performance.now() - t0) / 1000 };
}

const PRETRAIN_CAT_NAMES = [...PRETRAIN_CATS].map((i) => `c${i}`);

/**
 * One end-to-end run in this (child) process, so peak RSS is its own: `duckdb` and `js` are
 * buildSamples (what `nx run data:build` runs) with that engine; `sql-ref` is the reference
 * DuckDB SQL of the same grouping (no rejects accounting, DuckDB's own hash for down-sampling).
 */
async function e2eChild(dir: string, what: string): Promise<void> {
  const itemsFile = path.join(dir, 'items.parquet');
  const impressionsFile = path.join(dir, 'impressions.parquet');
  const outDir = path.join(dir, `out-${what}`);
  const quiet = createLogger('bench', { level: 'warn' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let extra: Record<string, unknown> = {};
  let rows = 0;
  if (what === 'duckdb' || what === 'js') {
    const stats = await buildSamples({ itemsFile, impressionsFile, outDir, seed: 1, days: DAYS, pretrainCategories: PRETRAIN_CAT_NAMES, engine: what, log: quiet });
    rows = stats.rowsIn;
    extra = { pretrainSamples: stats.pretrain.samples, ctrSamples: stats.ctr.train.samples + stats.ctr.eval.samples, rejects: stats.rejects };
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DuckDBInstance } = require('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    fs.mkdirSync(outDir, { recursive: true });
    await conn.run(`CREATE TABLE imp AS SELECT * FROM read_parquet('${impressionsFile}')`);
    await conn.run(`CREATE TABLE items AS SELECT item_id, category FROM read_parquet('${itemsFile}')`);
    const ptCats = PRETRAIN_CAT_NAMES.map((x) => `'${x}'`).join(',');
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
    await conn.run(`COPY pt TO '${path.join(outDir, 'duck-pt.parquet')}' (FORMAT parquet)`);
    await conn.run(`COPY ctr TO '${path.join(outDir, 'duck-ctr.parquet')}' (FORMAT parquet)`);
    const count = async (t: string) => Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t}`)).getRows()[0][0]);
    rows = await count('imp');
    extra = { pretrainSamples: await count('pt'), ctrSamples: await count('ctr'), threads: Number((await conn.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0][0]) };
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ what, rows, seconds, rowsPerSecond: rows / seconds, cpuSeconds, rowsPerCpuSecond: rows / cpuSeconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, ...extra })}\n`);
}

function child(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed with status ${r.status}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** End to end at each size: our data build with both engines and the reference DuckDB SQL, each in its own process. */
async function e2e(sizes: number[], users: number, jsMax: number, repeat: number): Promise<void> {
  for (const n of sizes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-data-builder-'));
    try {
      const input = await writeInput(dir, n, users);
      console.log(JSON.stringify({ step: 'write input (our writer)', rows: n, users, seconds: input.seconds }));
      // Alternate the two sides `repeat` times; the summary takes each side's median (the shared
      // machine's load moves both).
      const refs: Record<string, unknown>[] = [];
      const ducks: Record<string, unknown>[] = [];
      for (let r = 0; r < repeat; r++) {
        refs.push(child(['child-e2e', dir, 'sql-ref']));
        console.log(JSON.stringify({ step: 'reference DuckDB SQL (load + query + write Parquet)', ...refs[r] }));
        ducks.push(child(['child-e2e', dir, 'duckdb']));
        console.log(JSON.stringify({ step: "buildSamples engine 'duckdb' (data:build default)", ...ducks[r] }));
      }
      const median = (xs: Record<string, unknown>[]) => [...xs].sort((a, b) => (a.rowsPerSecond as number) - (b.rowsPerSecond as number))[(xs.length - 1) >> 1];
      const ref = median(refs);
      const duck = { ...median(ducks), peakRssMiB: Math.max(...ducks.map((d) => d.peakRssMiB as number)) };
      const js = n <= jsMax ? child(['child-e2e', dir, 'js']) : null;
      if (js) console.log(JSON.stringify({ step: "buildSamples engine 'js'", ...js }));
      const rps = (x: Record<string, unknown> | null) => (x ? Math.round(x.rowsPerSecond as number) : null);
      const ratio = (x: Record<string, unknown> | null) => (x ? Number(((x.rowsPerSecond as number) / (ref.rowsPerSecond as number)).toFixed(2)) : null);
      // CPU seconds (both processes, all threads) move less with the machine's load than wall time.
      const cpuMedian = (xs: Record<string, unknown>[]) => [...xs].map((x) => x.cpuSeconds as number).sort((a, b) => a - b)[(xs.length - 1) >> 1];
      const cpuRatio = Number((cpuMedian(refs) / cpuMedian(ducks)).toFixed(2));
      console.log(
        JSON.stringify({
          summary: n,
          repeats: repeat,
          duckdbRef: { rowsPerSecond: rps(ref), cpuSeconds: cpuMedian(refs), peakRssMiB: Math.round(ref.peakRssMiB as number) },
          ours: { rowsPerSecond: rps(duck), cpuSeconds: cpuMedian(ducks), peakRssMiB: Math.round(duck.peakRssMiB as number), ratioToDuckdb: ratio(duck), cpuRatioToDuckdb: cpuRatio },
          oursJs: js ? { rowsPerSecond: rps(js), peakRssMiB: Math.round(js.peakRssMiB as number), ratioToDuckdb: ratio(js) } : 'skipped (--js-max)',
        }),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Both engines on a world folder: times, and whether every output is identical. */
async function compareWorld(worldDir: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-data-builder-world-'));
  const quiet = createLogger('bench', { level: 'warn' });
  try {
    const out: Record<string, { stats: Record<string, unknown>; pt: unknown[]; ctr: unknown[]; rejects: string }> = {};
    for (const engine of ['js', 'duckdb'] as const) {
      const outDir = path.join(dir, engine);
      const stats = await buildSamples({ worldDir, outDir, seed: 1, engine, log: quiet });
      const { inputs, outputs, seconds, impressionsPerSecond, ...rest } = stats;
      void [inputs, outputs];
      console.log(JSON.stringify({ world: worldDir, engine, rows: stats.rowsIn, seconds, impressionsPerSecond: Math.round(impressionsPerSecond), pretrainSamples: stats.pretrain.samples, ctrSamples: stats.ctr.train.samples + stats.ctr.eval.samples }));
      out[engine] = {
        stats: rest as unknown as Record<string, unknown>,
        pt: await readParquetAll(path.join(outDir, PRETRAIN_SAMPLES.fileName), PRETRAIN_SAMPLES),
        ctr: await readParquetAll(path.join(outDir, CTR_SAMPLES.fileName), CTR_SAMPLES),
        rejects: fs.readFileSync(path.join(outDir, 'rejects.jsonl'), 'utf8'),
      };
    }
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    console.log(JSON.stringify({ identical: { stats: same(out.js.stats, out.duckdb.stats), pretrainRows: same(out.js.pt, out.duckdb.pt), ctrRows: same(out.js.ctr, out.duckdb.ctr), rejects: out.js.rejects === out.duckdb.rejects } }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { positionals, flags } = parseCliArgs(process.argv.slice(2));
  const users = Number(flags.users ?? 100_000);
  if (positionals[0] === 'child-core') return coreRun(Number(positionals[1]), users);
  if (positionals[0] === 'child-e2e') return e2eChild(positionals[1], positionals[2]);
  if (typeof flags.world === 'string') return compareWorld(path.resolve(flags.world));
  const coreSizes = String(flags.core ?? '1000000,10000000').split(',').filter(Boolean).map(Number);
  for (const n of coreSizes) {
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, 'child-core', String(n), '--users', String(users)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`core run n=${n} failed with status ${child.status}`);
    console.log(`core ${child.stdout.trim()}`);
  }
  const e2eSizes = String(flags.e2e ?? '1000000').split(',').filter(Boolean).map(Number).filter((x) => x > 0);
  if (e2eSizes.length) await e2e(e2eSizes, Number(flags['e2e-users'] ?? 50_000), Number(flags['js-max'] ?? 1_000_000), Number(flags.repeat ?? 3));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

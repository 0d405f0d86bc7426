/**
 * The data builder's grouping as SQL (README, "The SQL and the dialect it keeps to"): the same
 * rules as core.ts, written for a distributed SQL engine (Spark SQL, Trino) as well as DuckDB,
 * the embedded default.
 *
 * Every step is one SELECT over named inputs; the runner stores the steps in order (DuckDB:
 * CREATE TEMP TABLE, or VIEW for cheap filters; Spark: temp views or cached tables). The text keeps to window
 * functions with explicit frames, joins, GROUP BY and CASE. What differs between engines is
 * collected in `SqlDialect`: bitwise operators (for the down-sampling hash), ordered array
 * aggregation and the empty-array literal.
 *
 * Inputs: `impressions` (the contract columns plus `rn`, the 0-based row number in the file) and
 * `catalogue` (item_id, is_pt: 1 when the item's category is a pre-training category).
 * The runner checks the input first (non-null, ranges, sorted timestamps); the steps assume it
 * (with sorted timestamps a session's first valid row is also its earliest).
 */

export interface SqlDialect {
  name: string;
  xor(a: string, b: string): string;
  and(a: string, b: string): string;
  shr(a: string, n: number): string;
  shl(a: string, n: number): string;
  /** Ordered array aggregate of an int expression. */
  arrayAgg(value: string, orderBy: string): string;
  /** The `length` elements of an array from 1-based position `start` on. */
  slice(array: string, start: string, length: string): string;
  emptyIntArray: string;
}

export const DUCKDB_DIALECT: SqlDialect = {
  name: 'duckdb',
  xor: (a, b) => `xor(${a}, ${b})`,
  and: (a, b) => `(${a} & ${b})`,
  shr: (a, n) => `(${a} >> ${n})`,
  shl: (a, n) => `(${a} << ${n})`,
  arrayAgg: (v, o) => `array_agg(${v} ORDER BY ${o})`,
  slice: (a, start, length) => `list_slice(${a}, ${start}, (${start}) + (${length}) - 1)`,
  emptyIntArray: 'CAST([] AS INTEGER[])',
};

/** Spark SQL 3.x spelling (not run by the tests; documented mapping). */
export const SPARK_DIALECT: SqlDialect = {
  name: 'spark',
  xor: (a, b) => `(${a} ^ ${b})`,
  and: (a, b) => `(${a} & ${b})`,
  shr: (a, n) => `shiftright(${a}, ${n})`,
  shl: (a, n) => `shiftleft(${a}, ${n})`,
  arrayAgg: (v, o) => `transform(array_sort(collect_list(struct(${o} AS k, ${v} AS v))), x -> x.v)`,
  slice: (a, start, length) => `slice(${a}, ${start}, ${length})`,
  emptyIntArray: 'CAST(array() AS ARRAY<INT>)',
};

/** Trino spelling (not run by the tests; documented mapping). */
export const TRINO_DIALECT: SqlDialect = {
  name: 'trino',
  xor: (a, b) => `bitwise_xor(${a}, ${b})`,
  and: (a, b) => `bitwise_and(${a}, ${b})`,
  shr: (a, n) => `bitwise_right_shift(${a}, ${n})`,
  shl: (a, n) => `bitwise_left_shift(${a}, ${n})`,
  arrayAgg: (v, o) => `array_agg(${v} ORDER BY ${o})`,
  slice: (a, start, length) => `slice(${a}, ${start}, ${length})`,
  emptyIntArray: 'CAST(ARRAY[] AS ARRAY(INTEGER))',
};

export interface SamplesSqlParams {
  lPv: number;
  lClick: number;
  maxHistory: number;
  /** keepCoin's first hash state for the pre-training coin: (seed ^ 0x9e3779b9) >>> 0. */
  ptCoinBase: number;
  /** Same for the CTR-train coin (seed ^ CTR_COIN_SALT, core.ts). */
  ctrCoinBase: number;
  /** Integer thresholds: coin < rate  <=>  hash < ceil(rate * 2^32). */
  ptThreshold: number;
  ctrThreshold: number;
  pretrainDays: number[];
  ctrTrainDays: number[];
  evalDay: number;
  scope: 'pretrain-categories' | 'all';
}

const M32 = '4294967295';

/** (a * c) mod 2^32 for 0 <= a, c < 2^32, in BIGINT without overflow (products stay below 2^49). */
function imul32(d: SqlDialect, a: string, c: number): string {
  const lo = `${d.and(a, '65535')} * ${c}`;
  const hi = d.shl(d.and(`${d.shr(a, 16)} * ${c}`, '65535'), 16);
  return d.and(`(${lo}) + ${hi}`, M32);
}

/**
 * keepCoin(seed, session, item) * 2^32 as a BIGINT expression chain: returns steps to apply in
 * order (each defines one column from the previous ones), the last one named `out`.
 */
export function keepHashSteps(d: SqlDialect, base: number, session: string, item: string, out: string): [string, string][] {
  const p = `${out}_`;
  return [
    [`${p}1`, imul32(d, d.xor(String(base >>> 0), d.and(`CAST(${session} AS BIGINT)`, M32)), 0x85ebca6b)],
    [`${p}2`, imul32(d, d.xor(d.xor(`${p}1`, d.shr(`${p}1`, 13)), d.and(`CAST(${item} AS BIGINT)`, M32)), 0xc2b2ae35)],
    [`${p}3`, imul32(d, d.xor(`${p}2`, d.shr(`${p}2`, 16)), 0x27d4eb2f)],
    [out, d.xor(`${p}3`, d.shr(`${p}3`, 15))],
  ];
}

/** Wraps `from` in one subquery per step, so each step can use the previous columns. */
function withSteps(from: string, steps: [string, string][]): string {
  let q = from;
  for (const [name, expr] of steps) q = `(SELECT q.*, ${expr} AS ${name} FROM ${q} q)`;
  return q;
}

const values = (n: number, col: string) => `(VALUES ${Array.from({ length: n }, (_, i) => `(${i})`).join(', ')}) AS slots(${col})`;
const inList = (xs: number[]) => (xs.length ? xs.join(', ') : 'NULL');

export interface SqlStep {
  name: string;
  sql: string;
  /** true: computed once and stored (a table); false: a view, recomputed where used (cheap filters). */
  materialize: boolean;
}

/**
 * The steps, in order. `rows`: every input row with its reject reason (null = used) and its
 * session's first used row `sfr`; `used`, `clicks`, `pv`, `pt_sess`, `pv_rank` intermediate;
 * the outputs are the queries of `outputQueries`.
 */
export function samplesSteps(p: SamplesSqlParams, d: SqlDialect = DUCKDB_DIALECT): SqlStep[] {
  const steps: SqlStep[] = [];
  // 1. Rejects, in core.ts's order of checks. The first valid row of a session (known item, day
  // matching) opens it; with sorted timestamps it is also the earliest. Valid rows at a later
  // timestamp are session splits, rows of another user at its timestamp are inconsistent, and of
  // the rest a repeated item is a duplicate (the first row is kept).
  steps.push({
    name: 'rows',
    sql: `
WITH a AS (
  SELECT i.rn, i.session_id, i.user_id, i.item_id, i.position, i.label, i.timestamp, i.day,
         CASE WHEN c.item_id IS NULL THEN 0 ELSE 1 END AS known,
         CASE WHEN c.is_pt = 1 THEN 1 ELSE 0 END AS is_pt
  FROM impressions i LEFT JOIN catalogue c ON c.item_id = i.item_id
), b AS (
  SELECT a.*, CASE WHEN known = 1 AND CAST(day AS DOUBLE) = floor(CAST(timestamp AS DOUBLE) / CAST(86400 AS DOUBLE)) THEN 1 ELSE 0 END AS valid FROM a
), f AS (
  SELECT b.*,
    first_value(CASE WHEN valid = 1 THEN timestamp END) OVER w AS t0,
    first_value(CASE WHEN valid = 1 THEN user_id END) OVER w AS u0,
    first_value(CASE WHEN valid = 1 THEN rn END) OVER w AS sfr
  FROM b
  WINDOW w AS (PARTITION BY session_id ORDER BY valid DESC, rn ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
), g AS (
  SELECT f.*, CASE WHEN valid = 1 AND timestamp = t0 AND user_id = u0 THEN 1 ELSE 0 END AS consistent FROM f
), h AS (
  SELECT g.*, row_number() OVER (PARTITION BY session_id, item_id, consistent ORDER BY rn) AS dup FROM g
)
SELECT rn, session_id, user_id, item_id, position, label, timestamp, day, is_pt, sfr,
  CASE WHEN known = 0 THEN 'unknown-item'
       WHEN valid = 0 THEN 'day-mismatch'
       WHEN timestamp <> t0 THEN 'session-split'
       WHEN user_id <> u0 THEN 'inconsistent-session'
       WHEN dup > 1 THEN 'duplicate-impression'
  END AS reason
FROM h`,
    materialize: true,
  });
  steps.push({ name: 'used', sql: `SELECT rn, session_id, user_id, item_id, position, label, timestamp, day, is_pt, sfr FROM rows WHERE reason IS NULL`, materialize: false });
  // 2. Clicks in history order: timestamp group, then the group's sessions by first row, then
  // position (then row). seq_all numbers a user's clicks; seq_pt its pre-training-category clicks.
  steps.push({
    name: 'clicks',
    sql: `
SELECT user_id, timestamp, item_id, is_pt,
  row_number() OVER (PARTITION BY user_id ORDER BY timestamp, sfr, position, rn) AS seq_all,
  sum(is_pt) OVER (PARTITION BY user_id ORDER BY timestamp, sfr, position, rn ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS seq_pt
FROM used WHERE label = 1`,
    materialize: true,
  });
  // 3. Page views, with the number of the user's clicks strictly before (n_all, n_pt): a running
  // count over page views and clicks, page views first at equal timestamps.
  steps.push({
    name: 'pv',
    sql: `
WITH s AS (
  -- a session's first used row (rn = sfr) carries its user, timestamp and day
  SELECT session_id, user_id, timestamp, day, sfr FROM used WHERE rn = sfr
), ev AS (
  SELECT user_id, timestamp, 0 AS kind, session_id, 0 AS c_all, 0 AS c_pt FROM s
  UNION ALL
  SELECT user_id, timestamp, 1 AS kind, -1 AS session_id, 1 AS c_all, is_pt AS c_pt FROM clicks
), n AS (
  SELECT session_id, kind,
    sum(c_all) OVER (PARTITION BY user_id ORDER BY timestamp, kind ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n_all,
    sum(c_pt) OVER (PARTITION BY user_id ORDER BY timestamp, kind ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n_pt
  FROM ev
)
SELECT s.session_id, s.user_id, s.timestamp, s.day, s.sfr, CAST(n.n_all AS BIGINT) AS n_all, CAST(n.n_pt AS BIGINT) AS n_pt
FROM s JOIN n ON n.session_id = s.session_id AND n.kind = 0`,
    materialize: true,
  });
  // 4. Pre-training: PV items of pre-training categories on pre-training days, negatives kept by
  // the keepCoin hash (exact integer arithmetic), per-session counts.
  const nh = p.scope === 'all' ? 'n_all' : 'n_pt';
  const ptCoin = withSteps(
    `(SELECT u.rn, u.session_id, u.item_id, u.position, u.label FROM used u WHERE u.is_pt = 1 AND u.day IN (${inList(p.pretrainDays)}))`,
    keepHashSteps(d, p.ptCoinBase, 'session_id', 'item_id', 'coin'),
  );
  steps.push({
    name: 'pt_rows',
    sql: `SELECT rn, session_id, item_id, position, label, CASE WHEN label = 1 OR coin < ${p.ptThreshold} THEN 1 ELSE 0 END AS kept FROM ${ptCoin} t`,
    materialize: false,
  });
  steps.push({
    name: 'pt_sess',
    sql: `
SELECT s.session_id, v.user_id, v.day, v.sfr, v.${nh} AS n_h, s.items_before, s.clicks_before, s.items_after, s.clicks_after,
  CASE WHEN s.clicks_after > 0 AND v.${nh} > 0 THEN 1 ELSE 0 END AS is_sample
FROM (
  SELECT session_id, count(*) AS items_before, sum(label) AS clicks_before, sum(kept) AS items_after, sum(kept * label) AS clicks_after
  FROM pt_rows GROUP BY session_id
) s JOIN pv v ON v.session_id = s.session_id`,
    materialize: true,
  });
  // Positives first, then page position (then row, as the stable sort in core.ts); first lPv.
  steps.push({
    name: 'pv_rank',
    sql: `
SELECT * FROM (
  SELECT r.session_id, r.item_id, r.label,
    row_number() OVER (PARTITION BY r.session_id ORDER BY r.label DESC, r.position, r.rn) AS k
  FROM pt_rows r JOIN pt_sess s ON s.session_id = r.session_id
  WHERE r.kept = 1 AND s.is_sample = 1
) x WHERE k <= ${p.lPv}`,
    materialize: true,
  });
  // History slots: slot j < m = min(n, L) holds click number n - m + 1 + j (oldest first).
  const seqCol = p.scope === 'all' ? 'seq_all' : 'seq_pt';
  const ptFilter = p.scope === 'all' ? '' : ' AND c.is_pt = 1';
  steps.push({
    name: 'pt_hist',
    sql: `
SELECT t.session_id, t.j, c.item_id FROM (
  SELECT s.session_id, s.user_id, slots.j,
    CASE WHEN slots.j < least(s.n_h, ${p.lClick}) THEN s.n_h - least(s.n_h, ${p.lClick}) + 1 + slots.j END AS want
  FROM pt_sess s CROSS JOIN ${values(p.lClick, 'j')} WHERE s.is_sample = 1
) t LEFT JOIN clicks c ON c.user_id = t.user_id AND c.${seqCol} = t.want${ptFilter}`,
    materialize: true,
  });
  // 5. CTR: page views of the CTR days, their latest maxHistory clicks strictly before: a slice of
  // the user's click list (list position = seq_all). One list per user, not one row per history
  // slot: slot rows (page views x maxHistory) fed an ordered aggregate that DuckDB cannot spill,
  // and the bench world (0.66M impressions) ran out of a 512 MB limit there.
  steps.push({
    name: 'user_clicks',
    sql: `SELECT user_id, ${d.arrayAgg('CAST(item_id AS INTEGER)', 'seq_all')} AS items FROM clicks GROUP BY user_id`,
    materialize: true,
  });
  steps.push({
    name: 'ctr_hist',
    sql: `
SELECT v.session_id, ${d.slice('u.items', `v.n_all - least(v.n_all, ${p.maxHistory}) + 1`, `least(v.n_all, ${p.maxHistory})`)} AS items
FROM pv v JOIN user_clicks u ON u.user_id = v.user_id
WHERE (v.day = ${p.evalDay} OR v.day IN (${inList(p.ctrTrainDays)})) AND v.n_all > 0`,
    materialize: true,
  });
  const ctrCoin = p.ctrThreshold >= 4294967296 ? null : keepHashSteps(d, p.ctrCoinBase, 'session_id', 'item_id', 'coin');
  const ctrBase = `(SELECT u.rn, u.session_id, u.user_id, u.item_id, u.day, u.position, u.label FROM used u WHERE u.day = ${p.evalDay} OR u.day IN (${inList(p.ctrTrainDays)}))`;
  steps.push({
    name: 'ctr_rows',
    sql: ctrCoin
      ? `SELECT rn, session_id, user_id, item_id, day, position, label FROM ${withSteps(ctrBase, ctrCoin)} t WHERE day = ${p.evalDay} OR label = 1 OR coin < ${p.ctrThreshold}`
      : `SELECT rn, session_id, user_id, item_id, day, position, label FROM ${ctrBase} t`,
    materialize: false,
  });
  return steps;
}

/** The two sample tables, in the TypeScript engine's order, with contract column types. */
export function outputQueries(p: SamplesSqlParams, d: SqlDialect = DUCKDB_DIALECT): { pretrain: string; ctr: string } {
  const pvSlots = `
SELECT s.session_id, slots.j, r.item_id, r.label FROM pt_sess s CROSS JOIN ${values(p.lPv, 'j')}
LEFT JOIN pv_rank r ON r.session_id = s.session_id AND r.k = slots.j + 1 WHERE s.is_sample = 1`;
  const pretrain = `
WITH pvl AS (
  SELECT session_id,
    ${d.arrayAgg('CAST(coalesce(item_id, -1) AS INTEGER)', 'j')} AS pv_item_ids,
    ${d.arrayAgg('CAST(coalesce(label, 0) AS INTEGER)', 'j')} AS pv_labels,
    ${d.arrayAgg('CAST(CASE WHEN item_id IS NULL THEN 0 ELSE 1 END AS INTEGER)', 'j')} AS pv_mask
  FROM (${pvSlots}) x GROUP BY session_id
), hl AS (
  SELECT session_id,
    ${d.arrayAgg('CAST(coalesce(item_id, -1) AS INTEGER)', 'j')} AS click_item_ids,
    ${d.arrayAgg('CAST(CASE WHEN item_id IS NULL THEN 0 ELSE 1 END AS INTEGER)', 'j')} AS click_mask
  FROM pt_hist GROUP BY session_id
)
SELECT CAST(s.session_id AS INTEGER) AS session_id, CAST(s.user_id AS INTEGER) AS user_id, CAST(s.day AS INTEGER) AS day,
  pvl.pv_item_ids, pvl.pv_labels, pvl.pv_mask, hl.click_item_ids, hl.click_mask
FROM pt_sess s JOIN pvl ON pvl.session_id = s.session_id JOIN hl ON hl.session_id = s.session_id
WHERE s.is_sample = 1
ORDER BY s.sfr`;
  const ctr = `
SELECT CAST(r.session_id AS INTEGER) AS session_id, CAST(r.user_id AS INTEGER) AS user_id, CAST(r.item_id AS INTEGER) AS item_id,
  CAST(r.day AS INTEGER) AS day, CAST(r.position AS INTEGER) AS position, CAST(r.label AS INTEGER) AS label,
  CASE WHEN r.day = ${p.evalDay} THEN 'eval' ELSE 'train' END AS split,
  coalesce(h.items, ${d.emptyIntArray}) AS history_item_ids
FROM ctr_rows r LEFT JOIN ctr_hist h ON h.session_id = r.session_id
ORDER BY r.rn`;
  return { pretrain, ctr };
}

/** Counters for stats.json (integers; the ratios are computed in TypeScript as in core.ts). */
export function statsQueries(p: SamplesSqlParams): Record<'rows' | 'pretrain' | 'ctr', string> {
  return {
    rows: `SELECT count(*) AS rows_in, sum(CASE WHEN reason IS NULL THEN 1 ELSE 0 END) AS rows_used, count(DISTINCT CASE WHEN reason IS NULL THEN user_id END) AS users,
      (SELECT count(*) FROM pv) AS page_views FROM rows`,
    pretrain: `
SELECT count(*) AS candidates, sum(items_before) AS items_before, sum(clicks_before) AS clicks_before,
  sum(items_after) AS items_after, sum(clicks_after) AS clicks_after,
  sum(CASE WHEN clicks_after = 0 THEN 1 ELSE 0 END) AS no_positive,
  sum(CASE WHEN clicks_after > 0 AND n_h = 0 THEN 1 ELSE 0 END) AS no_history,
  sum(is_sample) AS samples,
  sum(CASE WHEN is_sample = 1 THEN least(items_after, ${p.lPv}) ELSE 0 END) AS sample_items,
  sum(CASE WHEN is_sample = 1 THEN least(n_h, ${p.lClick}) ELSE 0 END) AS hist_sum,
  sum(CASE WHEN is_sample = 1 AND clicks_after > ${p.lPv} THEN clicks_after - ${p.lPv} ELSE 0 END) AS truncated_pos,
  count(DISTINCT CASE WHEN is_sample = 1 THEN user_id END) AS distinct_users,
  (SELECT sum(label) FROM pv_rank) AS sample_pos,
  (SELECT count(DISTINCT item_id) FROM (SELECT item_id FROM pv_rank UNION ALL SELECT item_id FROM pt_hist WHERE item_id IS NOT NULL) x) AS distinct_items
FROM pt_sess`,
    ctr: `
SELECT CASE WHEN r.day = ${p.evalDay} THEN 'eval' ELSE 'train' END AS split, count(*) AS samples, sum(r.label) AS clicks,
  sum(least(v.n_all, ${p.maxHistory})) AS hist, sum(CASE WHEN v.n_all = 0 THEN 1 ELSE 0 END) AS empty
FROM ctr_rows r JOIN pv v ON v.session_id = r.session_id
GROUP BY CASE WHEN r.day = ${p.evalDay} THEN 'eval' ELSE 'train' END`,
  };
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CTR_SAMPLES,
  ContractSpec,
  Impression,
  PRETRAIN_SAMPLES,
  RAW_IMPRESSIONS,
  RAW_ITEMS,
  ctrSampleFromRow,
  impressionFromRow,
  impressionToRow,
  pretrainSampleFromRow,
  rawItemToRow,
} from '@courier/data-contracts';
import { parquetInfo, readParquetAll, writeParquetRows } from '@courier/io';
import { createLogger } from '@courier/runtime';
import { makeTinyWorld } from '@courier/world/testing';
import { BuildSamplesOptions, buildSamples, keepCoin } from './index';

const quiet = createLogger('data-builder', { level: 'warn' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'data-builder-spec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let fixtureCount = 0;

const DAY = 86400;
const DAYS = { pretrain: [0], ctrTrain: [1], eval: 2 };
// Items 0-5 are dresses (the pre-training category), 6-7 shoes, 8-9 bags.
const ITEMS = Array.from({ length: 10 }, (_, id) => ({
  itemId: id,
  category: id <= 5 ? 'dress' : id <= 7 ? 'shoe' : 'bag',
  title: `t${id}`,
  price: 10 + id,
  imagePath: `images/${id}.png`,
  styleTag: null,
  firstDay: 0,
}));

const imp = (sessionId: number, userId: number, ts: number, itemId: number, position: number, label: number): Impression => ({
  sessionId,
  userId,
  query: 'q',
  itemId,
  position,
  label,
  timestamp: ts,
  day: Math.floor(ts / DAY),
});

/** The rule fixture: each line names the rule it exercises. */
const LOG: Impression[] = [
  // s0: user 1's first page view: a click but no earlier history -> dropped (no-history).
  imp(0, 1, 100, 0, 0, 1),
  imp(0, 1, 100, 1, 1, 0),
  imp(0, 1, 100, 2, 2, 0),
  // s1: history [0]; positives (4, 5) go first, then negatives by position (3, 0).
  imp(1, 1, 200, 3, 0, 0),
  imp(1, 1, 200, 4, 1, 1),
  imp(1, 1, 200, 5, 2, 1),
  imp(1, 1, 200, 0, 3, 0),
  // s2: user 2, same timestamp; its only dress was not clicked -> no-positive (the shoe click is out of scope).
  imp(2, 2, 200, 6, 0, 1),
  imp(2, 2, 200, 1, 1, 0),
  // s3: user 1 again at the SAME timestamp as s1: s1's clicks (4, 5) are not "strictly earlier".
  imp(3, 1, 200, 2, 0, 1),
  // s4: user 2 later the same day: pre-training history holds dress clicks only -> no-history.
  imp(4, 2, 300, 0, 0, 1),
  // s5 (CTR train day): history of user 1 = all earlier clicks, oldest first.
  imp(5, 1, DAY + 10, 7, 0, 0),
  imp(5, 1, DAY + 10, 8, 1, 1),
  // s6: unknown item (reject), duplicate (session, item) (reject), a valid row.
  imp(6, 2, DAY + 10, 999, 0, 1),
  imp(6, 2, DAY + 10, 9, 1, 0),
  imp(6, 2, DAY + 10, 9, 2, 0),
  // s7 (eval day).
  imp(7, 1, 2 * DAY + 5, 1, 0, 0),
];

async function writeFixture(log: Impression[], items = ITEMS): Promise<{ itemsFile: string; impressionsFile: string }> {
  const dir = path.join(tmp, `fixture-${fixtureCount++}`);
  const itemsFile = path.join(dir, 'items.parquet');
  const impressionsFile = path.join(dir, 'impressions.parquet');
  await writeParquetRows(itemsFile, RAW_ITEMS, items.map(rawItemToRow));
  await writeParquetRows(impressionsFile, RAW_IMPRESSIONS, log.map(impressionToRow), { validate: false });
  return { itemsFile, impressionsFile };
}

async function build(files: { itemsFile: string; impressionsFile: string }, extra: Partial<BuildSamplesOptions> = {}) {
  const outDir = path.join(path.dirname(files.itemsFile), `out-${fixtureCount++}`);
  const stats = await buildSamples({ ...files, outDir, seed: 1, days: DAYS, pretrainCategories: ['dress'], log: quiet, ...extra });
  const pretrain = (await readParquetAll(path.join(outDir, PRETRAIN_SAMPLES.fileName), PRETRAIN_SAMPLES)).map(pretrainSampleFromRow);
  const ctr = (await readParquetAll(path.join(outDir, CTR_SAMPLES.fileName), CTR_SAMPLES)).map(ctrSampleFromRow);
  const rejects = fs
    .readFileSync(path.join(outDir, 'rejects.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { stats, pretrain, ctr, rejects, outDir };
}

describe('hand-written log: exact outputs', () => {
  it('groups page views, orders positives first, keeps strictly earlier clicks, pads with -1', async () => {
    const files = await writeFixture(LOG);
    const { stats, pretrain, ctr, rejects, outDir } = await build(files, { negativeRate: 1 });
    expect(pretrain).toEqual([
      { sessionId: 1, userId: 1, day: 0, pvItemIds: [4, 5, 3, 0, -1], pvLabels: [1, 1, 0, 0, 0], pvMask: [1, 1, 1, 1, 0], clickItemIds: [0, -1, -1, -1, -1], clickMask: [1, 0, 0, 0, 0] },
      { sessionId: 3, userId: 1, day: 0, pvItemIds: [2, -1, -1, -1, -1], pvLabels: [1, 0, 0, 0, 0], pvMask: [1, 0, 0, 0, 0], clickItemIds: [0, -1, -1, -1, -1], clickMask: [1, 0, 0, 0, 0] },
    ]);
    expect(ctr).toEqual([
      { sessionId: 5, userId: 1, itemId: 7, day: 1, position: 0, label: 0, split: 'train', historyItemIds: [0, 4, 5, 2] },
      { sessionId: 5, userId: 1, itemId: 8, day: 1, position: 1, label: 1, split: 'train', historyItemIds: [0, 4, 5, 2] },
      { sessionId: 6, userId: 2, itemId: 9, day: 1, position: 1, label: 0, split: 'train', historyItemIds: [6, 0] },
      { sessionId: 7, userId: 1, itemId: 1, day: 2, position: 0, label: 0, split: 'eval', historyItemIds: [0, 4, 5, 2, 8] },
    ]);
    expect(rejects).toEqual([
      { file: 'impressions.parquet', row: 13, reason: 'unknown-item', record: LOG[13] },
      { file: 'impressions.parquet', row: 15, reason: 'duplicate-impression', record: LOG[15] },
    ]);
    expect(stats.rowsIn).toBe(LOG.length);
    expect(stats.rowsUsed + 2).toBe(stats.rowsIn);
    expect(stats.rejects).toEqual({ 'unknown-item': 1, 'duplicate-impression': 1 });
    expect(stats.pageViews).toBe(8);
    expect(stats.pretrain.candidatePageViews).toBe(5);
    expect(stats.pretrain.dropped).toEqual({ noPositive: 1, noHistory: 2 });
    // Candidates' dress items: s0 3 (1 click), s1 4 (2), s2 1 (0), s3 1 (1), s4 1 (1) -> 5 / 10.
    expect(stats.pretrain.ctrBeforeDownsampling).toBeCloseTo(5 / 10, 12);
    expect(stats.pretrain.meanPvItems).toBeCloseTo(5 / 2, 12);
    expect(stats.pretrain.meanHistory).toBe(1);
    expect(stats.ctr.train).toEqual({ samples: 3, clicks: 1, ctr: 1 / 3, meanHistory: 10 / 3, emptyHistory: 0 });
    expect(JSON.parse(fs.readFileSync(path.join(outDir, 'stats.json'), 'utf8')).rowsIn).toBe(LOG.length);
    const meta = (await parquetInfo(path.join(outDir, PRETRAIN_SAMPLES.fileName), PRETRAIN_SAMPLES)).metadata;
    expect(meta).toMatchObject({ l_pv: '5', l_click: '5', negative_rate: '1' });
  });

  it('negativeRate 0 drops every unclicked PV item; lPv truncates after sorting; histories keep the latest clicks', async () => {
    const files = await writeFixture(LOG);
    const none = await build(files, { negativeRate: 0 });
    expect(none.pretrain.map((s) => s.pvItemIds)).toEqual([
      [4, 5, -1, -1, -1],
      [2, -1, -1, -1, -1],
    ]);
    const short = await build(files, { negativeRate: 1, lPv: 1, lClick: 2, maxHistory: 2 });
    expect(short.pretrain.map((s) => [s.pvItemIds, s.pvLabels])).toEqual([
      [[4], [1]],
      [[2], [1]],
    ]);
    expect(short.ctr.map((s) => s.historyItemIds)).toEqual([[5, 2], [5, 2], [6, 0], [2, 8]]);
    expect(short.stats.pretrain.positivesTruncated).toBe(1);
  });

  it("history scope 'all' lets clicks on other categories into pre-training histories", async () => {
    const files = await writeFixture(LOG);
    const all = await build(files, { negativeRate: 1, pretrainHistoryScope: 'all' });
    // s4: user 2 clicked a shoe (item 6) at t=200, so the dress page view at t=300 now has a history.
    expect(all.pretrain.map((s) => [s.sessionId, s.clickItemIds.filter((i) => i >= 0)])).toEqual([
      [1, [0]],
      [3, [0]],
      [4, [6]],
    ]);
  });

  it('a session whose rows reappear at a later timestamp is counted as rejects, not merged', async () => {
    // Small and huge (> 2^27, the bitset limit) session ids.
    const big = 2_000_000_000;
    const files = await writeFixture([imp(0, 1, 10, 0, 0, 1), imp(big, 1, 15, 3, 0, 0), imp(1, 1, 20, 1, 0, 1), imp(0, 1, 30, 2, 1, 0), imp(big, 1, 40, 4, 0, 0)]);
    const { stats, rejects } = await build(files);
    expect(stats.rejects).toEqual({ 'session-split': 2 });
    expect(rejects.map((r) => [r.row, r.reason])).toEqual([
      [3, 'session-split'],
      [4, 'session-split'],
    ]);
  });
});

describe('bad input', () => {
  const days = { days: DAYS };
  it('a label outside {0, 1}: error naming file, row and column', async () => {
    const log = LOG.slice(0, 4).map((r) => ({ ...r }));
    log[2].label = 2;
    const files = await writeFixture(log);
    await expect(buildSamples({ ...files, outDir: path.join(tmp, 'bad-label'), seed: 1, ...days, log: quiet })).rejects.toThrow(/impressions\.parquet row 2, column "label": expected 0 or 1, got 2/);
  });

  it('out-of-order timestamps: error naming the row', async () => {
    const log = [imp(0, 1, 100, 0, 0, 1), imp(1, 1, 50, 1, 0, 1)];
    const files = await writeFixture(log);
    await expect(buildSamples({ ...files, outDir: path.join(tmp, 'bad-order'), seed: 1, ...days, log: quiet })).rejects.toThrow(/impressions\.parquet row 1, column "timestamp": expected non-decreasing timestamps \(row 0 has 100\)/);
    expect(fs.existsSync(path.join(tmp, 'bad-order', 'pretrain-samples.parquet'))).toBe(false);
  });

  it('missing and mistyped columns: error naming the column', async () => {
    const files = await writeFixture(LOG);
    const noLabel: ContractSpec = { ...RAW_IMPRESSIONS, fields: RAW_IMPRESSIONS.fields.filter((f) => f.name !== 'label') };
    const f1 = path.join(tmp, 'no-label.parquet');
    await writeParquetRows(f1, noLabel, LOG.map(impressionToRow));
    await expect(buildSamples({ itemsFile: files.itemsFile, impressionsFile: f1, outDir: path.join(tmp, 'bad-col'), seed: 1, ...days, log: quiet })).rejects.toThrow(/no-label\.parquet,? column "label": expected column "label"/);
    const textUser: ContractSpec = { ...RAW_IMPRESSIONS, fields: RAW_IMPRESSIONS.fields.map((f) => (f.name === 'user_id' ? { ...f, type: 'utf8' as const, check: undefined } : f)) };
    const f2 = path.join(tmp, 'text-user.parquet');
    await writeParquetRows(f2, textUser, LOG.map((r) => ({ ...impressionToRow(r), user_id: `u${r.userId}` })));
    await expect(buildSamples({ itemsFile: files.itemsFile, impressionsFile: f2, outDir: path.join(tmp, 'bad-type'), seed: 1, ...days, log: quiet })).rejects.toThrow(/text-user\.parquet,? column "user_id": expected type int32, got "?utf8/);
  });

  it('a duplicated item id in items.parquet: error naming the row', async () => {
    const files = await writeFixture(LOG, [...ITEMS, { ...ITEMS[3], title: 'again' }]);
    await expect(buildSamples({ ...files, outDir: path.join(tmp, 'dup-item'), seed: 1, ...days, log: quiet })).rejects.toThrow(/items\.parquet row 10, column "item_id": expected a unique item id, got 3, already on an earlier row/);
  });

  it('empty impressions and missing day roles: clear errors', async () => {
    const files = await writeFixture([]);
    await expect(buildSamples({ ...files, outDir: path.join(tmp, 'empty'), seed: 1, ...days, log: quiet })).rejects.toThrow(/impressions\.parquet: expected at least one impression row, got an empty table/);
    const ok = await writeFixture(LOG);
    await expect(buildSamples({ ...ok, outDir: path.join(tmp, 'nodays'), seed: 1, log: quiet })).rejects.toThrow(/world\.json is missing, so set the days/);
  });
});

describe('on a generated tiny world', () => {
  let world: string;
  let out: Awaited<ReturnType<typeof build>>;
  let log: Impression[];
  beforeAll(async () => {
    world = await makeTinyWorld(5);
    const outDir = path.join(tmp, 'tiny-out');
    const stats = await buildSamples({ worldDir: world, outDir, seed: 9, log: quiet, validateOutput: false });
    out = {
      stats,
      outDir,
      pretrain: (await readParquetAll(path.join(outDir, PRETRAIN_SAMPLES.fileName), PRETRAIN_SAMPLES)).map(pretrainSampleFromRow),
      ctr: (await readParquetAll(path.join(outDir, CTR_SAMPLES.fileName), CTR_SAMPLES)).map(ctrSampleFromRow),
      rejects: [],
    };
    log = (await readParquetAll(path.join(world, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)).map(impressionFromRow);
  });

  it('rows in = rows used + rejects; Table 3 statistics are sane', () => {
    const s = out.stats;
    expect(s.rowsIn).toBe(log.length);
    expect(s.rowsUsed + Object.values(s.rejects).reduce((a, b) => a + b, 0)).toBe(s.rowsIn);
    expect(s.pretrain.samples).toBe(out.pretrain.length);
    expect(s.pretrain.samples).toBeGreaterThan(100);
    expect(s.pretrain.samples + s.pretrain.dropped.noHistory + s.pretrain.dropped.noPositive).toBe(s.pretrain.candidatePageViews);
    expect(s.pretrain.ctrAfterDownsampling).toBeGreaterThan(2 * s.pretrain.ctrBeforeDownsampling);
    expect(s.ctr.train.samples + s.ctr.eval.samples).toBe(out.ctr.length);
  });

  it('every sample: a positive, a history, positives first, masks match padding', () => {
    const problems: string[] = [];
    for (const s of out.pretrain) {
      const n = s.pvMask.reduce((a, b) => a + b, 0);
      const h = s.clickMask.reduce((a, b) => a + b, 0);
      if (s.pvLabels[0] !== 1) problems.push(`session ${s.sessionId}: no positive first`);
      if (h === 0) problems.push(`session ${s.sessionId}: no history`);
      for (let i = 0; i < 5; i++) {
        if ((s.pvMask[i] === 1) !== i < n || (s.pvItemIds[i] === -1) !== i >= n) problems.push(`session ${s.sessionId}: pv mask/padding`);
        if ((s.clickItemIds[i] === -1) !== i >= h) problems.push(`session ${s.sessionId}: click mask/padding`);
        if (i > 0 && s.pvLabels[i] > s.pvLabels[i - 1]) problems.push(`session ${s.sessionId}: a positive after a negative`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('histories equal a brute-force recomputation: the latest clicks strictly before the page view', () => {
    const info = JSON.parse(fs.readFileSync(path.join(world, 'world.json'), 'utf8')) as { categories: { name: string; inPretraining: boolean }[] };
    const women = new Set(info.categories.filter((c) => c.inPretraining).map((c) => c.name));
    const sessionTs = new Map(log.map((r) => [r.sessionId, r.timestamp]));
    const clicks = log.filter((r) => r.label === 1);
    const before = (user: number, ts: number, scope: (r: Impression) => boolean) => clicks.filter((c) => c.userId === user && c.timestamp < ts && scope(c)).map((c) => c.itemId);
    const problems: string[] = [];
    for (const s of out.pretrain) {
      const expected = before(s.userId, sessionTs.get(s.sessionId)!, (c) => women.has(c.query)).slice(-5);
      const got = s.clickItemIds.filter((i) => i >= 0);
      if (JSON.stringify(got) !== JSON.stringify(expected)) problems.push(`pretrain session ${s.sessionId}: ${got} != ${expected}`);
    }
    for (const s of out.ctr.filter((_, i) => i % 7 === 0)) {
      const expected = before(s.userId, sessionTs.get(s.sessionId)!, () => true).slice(-50);
      if (JSON.stringify(s.historyItemIds) !== JSON.stringify(expected)) problems.push(`ctr session ${s.sessionId}: history differs`);
    }
    expect(problems).toEqual([]);
  });

  it('down-samples unclicked PV items at the configured rate (within tolerance)', () => {
    const info = JSON.parse(fs.readFileSync(path.join(world, 'world.json'), 'utf8')) as { days: { pretrain: number[] }; categories: { name: string; inPretraining: boolean }[] };
    const women = new Set(info.categories.filter((c) => c.inPretraining).map((c) => c.name));
    const negatives = log.filter((r) => r.label === 0 && info.days.pretrain.includes(r.day) && women.has(r.query));
    const kept = negatives.filter((r) => keepCoin(9, r.sessionId, r.itemId) < 0.2).length;
    expect(negatives.length).toBeGreaterThan(2000);
    expect(kept / negatives.length).toBeGreaterThan(0.17);
    expect(kept / negatives.length).toBeLessThan(0.23);
    // Every negative in a sample passed the coin; no negative that failed it appears.
    for (const s of out.pretrain) s.pvItemIds.forEach((id, i) => s.pvMask[i] && !s.pvLabels[i] && expect(keepCoin(9, s.sessionId, id)).toBeLessThan(0.2));
  });

  it('is deterministic: same seed, same rows; another seed changes the down-sampling', async () => {
    const again = path.join(tmp, 'tiny-again');
    const other = path.join(tmp, 'tiny-other');
    await buildSamples({ worldDir: world, outDir: again, seed: 9, log: quiet, validateOutput: false });
    await buildSamples({ worldDir: world, outDir: other, seed: 10, log: quiet, validateOutput: false });
    const read = async (dir: string) => (await readParquetAll(path.join(dir, PRETRAIN_SAMPLES.fileName), PRETRAIN_SAMPLES)).map(pretrainSampleFromRow);
    expect(await read(again)).toEqual(out.pretrain);
    expect(await read(other)).not.toEqual(out.pretrain);
    expect((await readParquetAll(path.join(again, CTR_SAMPLES.fileName), CTR_SAMPLES)).map(ctrSampleFromRow)).toEqual(out.ctr);
  });
});

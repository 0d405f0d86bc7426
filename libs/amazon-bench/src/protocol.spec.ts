import { validateAmazonReport } from '@courier/data-contracts';
import { initBackend } from '@courier/runtime';
import { loadMmrecDataset } from './dataset';
import { evaluateSplits, userMetrics } from './evaluate';
import { getModel } from './models';
import { REPORT_METRICS, buildAmazonReport, formatMarkdownTable, formatTable, gridPoints, runGrid } from './protocol';
import { makeSyntheticDataset } from './testing';

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

// A ranked list of 60 items (item ids 100..159 in rank order) and a user whose 4 test items sit at
// ranks 3, 15 and 40 (1-based) plus one item that is not in the top 50.
const ranked = Array.from({ length: 60 }, (_, r) => 100 + r);
const targets = Int32Array.from([ranked[2], ranked[14], ranked[39], 7]);
// By hand: hits 1 / 2 / 3 of |T_u| = 4 within the top 10 / 20 / 50.
// DCG@10 = 1/log2(4) = 0.5; DCG@20 = 0.5 + 1/log2(16) = 0.75; DCG@50 = 0.75 + 1/log2(41) = 0.936652;
// IDCG = 1 + 1/log2(3) + 1/log2(4) + 1/log2(5) = 2.561606 (min(|T_u|, k) = 4 for every k).
const HAND: Record<string, number> = {
  'recall@10': 0.25,
  'recall@20': 0.5,
  'recall@50': 0.75,
  'ndcg@10': 0.195190025,
  'ndcg@20': 0.292785037,
  'ndcg@50': 0.365650415,
};

describe('Table 2 metrics: Recall and NDCG at 10, 20, 50', () => {
  it('REPORT_METRICS are the paper\'s six columns', () => {
    expect([...REPORT_METRICS]).toEqual(['recall@10', 'recall@20', 'recall@50', 'ndcg@10', 'ndcg@20', 'ndcg@50']);
  });

  it('userMetrics matches hand-computed recall and NDCG at 10, 20, 50', () => {
    const m = userMetrics(ranked.slice(0, 50), targets, [10, 20, 50]);
    for (const [key, v] of Object.entries(HAND)) expect(m[key]).toBeCloseTo(v, 8);
  });

  it('evaluateSplits with its default cut-offs returns the same six numbers (scores ranking 100..159 first, training item masked)', async () => {
    const nItems = 160;
    // Item 99 scores highest but is a training item of user 0: masked, so the ranking starts at 100.
    const scores = new Float32Array(nItems);
    scores[99] = 1000;
    ranked.forEach((item, r) => (scores[item] = 100 - r));
    const split = { users: Int32Array.from([0]), targets: [targets], rows: targets.length };
    const res = await evaluateSplits((users) => scores.slice(0, users.length * nItems), { test: split }, { nItems, trainItemsByUser: [Int32Array.from([99])] });
    for (const [key, v] of Object.entries(HAND)) expect(res.test[key]).toBeCloseTo(v, 8);
  });

  it('runGrid and the report carry mean and sd over seeds of all six metrics; tables print them', async () => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel('BPR');
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const seen: number[] = [];
    const grid = await runGrid(entry, ds, gridPoints(entry, 'defaults'), [1, 2], { maxEpochs: 2, patience: 20, batchSize: 256, evalBlockSize: 128 }, { onRun: (r) => seen.push(r.seed) });
    expect(seen).toEqual([1, 2]);
    const runs = grid.selected.runs;
    for (const m of REPORT_METRICS) {
      const xs = runs.map((r) => r.test[m]);
      expect(xs.every((x) => Number.isFinite(x))).toBe(true);
      const mean = (xs[0] + xs[1]) / 2;
      expect(grid.selected.testMean[m]).toBeCloseTo(mean, 12);
      expect(grid.selected.testStd[m]).toBeCloseTo(Math.abs(xs[0] - xs[1]) / Math.SQRT2, 12);
    }
    // Selection (and early stopping) stay on validation Recall@20.
    expect(grid.selected.validMean).toBeCloseTo((runs[0].valid['recall@20'] + runs[1].valid['recall@20']) / 2, 12);

    const report = buildAmazonReport({ dataset: name, rows: [{ label: 'BPR', model: 'BPR', features: 'original', grid }] });
    validateAmazonReport(report);
    const row = report.rows[0];
    for (const m of REPORT_METRICS) {
      expect(row[m]).toBe(grid.selected.testMean[m]);
      expect(row.std[m]).toBe(grid.selected.testStd[m]);
    }
    const perSeed = row.perSeed as Record<string, number>[];
    for (const m of REPORT_METRICS) expect(perSeed.map((s) => s[m])).toEqual(runs.map((r) => r.test[m]));
    expect(perSeed.map((s) => s.epochsRun)).toEqual(runs.map((r) => r.epochs.length));

    const text = formatTable(report).split('\n');
    expect(text[1].split(/\s+/)).toEqual(['Method', 'R@10', 'R@20', 'R@50', 'N@10', 'N@20', 'N@50']);
    expect(text[2].split(/\s+/)).toEqual(['BPR', ...REPORT_METRICS.map((m) => `${(row[m] as number).toFixed(4)}±${row.std[m].toFixed(4)}`)]);
    const md = formatMarkdownTable(report).split('\n');
    expect(md[0]).toBe(`| Method (${name}) | R@10 | R@20 | R@50 | N@10 | N@20 | N@50 | seeds | best epochs |`);
    expect(md[2]).toBe(`| BPR | ${REPORT_METRICS.map((m) => `${(row[m] as number).toFixed(4)} ± ${row.std[m].toFixed(4)}`).join(' | ')} | 2 | ${runs.map((r) => r.bestEpoch).join(', ')} |`);
  });

  it('a report written before the six columns (R@20, R@50, N@50 only) still prints, "-" for the missing ones', () => {
    const row = { model: 'BM3', features: 'original' as const, label: 'BM3', 'recall@20': 0.1, 'recall@50': 0.2, 'ndcg@50': 0.05, std: { 'recall@20': 0.01, 'recall@50': 0.02, 'ndcg@50': 0.005 }, seeds: [1], selectedParams: {} };
    const text = formatTable({ contract: 'amazon-report', version: 1, dataset: 'old', rows: [row] }).split('\n');
    expect(text[2].split(/\s+/)).toEqual(['BM3', '-', '0.1000±0.0100', '0.2000±0.0200', '-', '-', '0.0500±0.0050']);
  });
});

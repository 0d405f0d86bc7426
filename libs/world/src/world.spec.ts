import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLICK_TRUTH, CLUSTER_ASSIGNMENTS, RAW_IMPRESSIONS, RAW_ITEMS, clickTruthFromRow, clusterAssignmentFromRow, impressionFromRow, rawItemFromRow } from '@courier/data-contracts';
import { loadImage, readParquetAll, readVectorTable } from '@courier/io';
import { auc } from '@courier/metrics';
import { Rng, createLogger } from '@courier/runtime';
import { makeTinyWorld } from './testing';
import { CATEGORIES, HUE_NAMES, LOOK_GROUPS, ORACLE_DIM, PATTERNS, expectedSigmoid, generateWorld, readGroundTruth, readWorldInfo, truthFeatures } from './index';

const quiet = createLogger('world', { level: 'warn' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'world-spec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('tiny world', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTinyWorld(7);
  });

  it('writes world.json with day roles, >= 12 categories and a women-clothing pre-training subset', () => {
    const info = readWorldInfo(dir);
    expect(info.days).toEqual({ pretrain: [0, 1, 2], ctrTrain: [3, 4], eval: 5 });
    expect(info.categories.length).toBeGreaterThanOrEqual(12);
    const women = info.categories.filter((c) => c.inPretraining).map((c) => c.name);
    expect(women).toEqual(['dress', 'skirt', 'blouse', 'coat', 'trousers']);
    expect(info.counts.items).toBe(400);
    expect(info.counts.users).toBe(100);
    expect(info.counts.impressions).toBeGreaterThan(5000);
    expect(info.ctr.all).toBeGreaterThan(0.04);
    expect(info.ctr.all).toBeLessThan(0.25);
  });

  it('items: titles carry the category and never the pattern; colour words only as rare noise; new items arrive', async () => {
    const items = (await readParquetAll(path.join(dir, RAW_ITEMS.fileName), RAW_ITEMS)).map(rawItemFromRow);
    expect(items).toHaveLength(400);
    const colourTitles = items.filter((it) => it.title.split(' ').some((t) => (HUE_NAMES as readonly string[]).includes(t))).length;
    expect(colourTitles / items.length).toBeLessThan(0.06);
    for (const it of items) {
      const tokens = it.title.split(' ');
      expect(tokens).toContain(it.category);
      for (const p of PATTERNS) expect(tokens).not.toContain(p);
      expect(it.imagePath).toBe(`images/${it.itemId}.png`);
    }
    const info = readWorldInfo(dir);
    expect(items.filter((it) => it.firstDay === info.days.eval).length).toBe(info.counts.newItemsOnEvalDay);
    expect(info.counts.newItemsOnEvalDay).toBeGreaterThan(0);
    // Style tags are noisy copies of the hidden style: mostly right, sometimes wrong or missing.
    const gt = readGroundTruth(dir);
    const right = items.filter((it) => it.styleTag === gt.doc.items[it.itemId].style).length / items.length;
    expect(right).toBeGreaterThan(0.6);
    expect(right).toBeLessThan(0.9);
  });

  it('impressions: sorted by timestamp, pages of 10, unique (session, item), items shown only from their first day', async () => {
    const rows = (await readParquetAll(path.join(dir, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)).map(impressionFromRow);
    const items = new Map((await readParquetAll(path.join(dir, RAW_ITEMS.fileName), RAW_ITEMS)).map((r) => [r.item_id as number, rawItemFromRow(r)]));
    const seen = new Set<string>();
    const perSession = new Map<number, number>();
    const problems: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const it = items.get(r.itemId)!;
      if (i > 0 && r.timestamp < rows[i - 1].timestamp) problems.push(`row ${i}: timestamp goes back`);
      if (r.day !== Math.floor(r.timestamp / 86400)) problems.push(`row ${i}: day ${r.day} != floor(timestamp / 86400)`);
      const key = `${r.sessionId}:${r.itemId}`;
      if (seen.has(key)) problems.push(`row ${i}: duplicate (session, item) ${key}`);
      seen.add(key);
      perSession.set(r.sessionId, (perSession.get(r.sessionId) ?? 0) + 1);
      if (it.firstDay > r.day) problems.push(`row ${i}: item ${r.itemId} shown on day ${r.day} before its first day ${it.firstDay}`);
      if (r.query !== it.category) problems.push(`row ${i}: query ${r.query} != category ${it.category}`);
    }
    expect(problems).toEqual([]);
    expect([...perSession.values()].every((n) => n === 10)).toBe(true);
  });

  it('images decode at 32 px; oracle embeddings encode the hidden look', async () => {
    const px = await loadImage(path.join(dir, 'images', '3.png'), { width: 32, height: 32 });
    expect(px.length).toBe(32 * 32 * 3);
    expect(fs.readdirSync(path.join(dir, 'images')).length).toBe(400);
    const oracle = readVectorTable(path.join(dir, 'oracle-embeddings.arrow'));
    expect(oracle.metadata.method).toBe('oracle');
    expect(oracle.dim).toBe(ORACLE_DIM);
    expect(oracle.ids.length).toBe(400);
    const gt = readGroundTruth(dir);
    const it = gt.doc.items[5];
    expect(oracle.vectors[5 * ORACLE_DIM + it.hueRegion]).toBe(1);
    expect(oracle.vectors[5 * ORACLE_DIM + 10 + PATTERNS.indexOf(it.pattern as (typeof PATTERNS)[number])]).toBe(1);
  });

  it('the image carries the look: mean colour of the silhouette tracks the hidden hue', async () => {
    const gt = readGroundTruth(dir);
    let agree = 0;
    const n = 40;
    for (let id = 0; id < n; id++) {
      const px = await loadImage(path.join(dir, 'images', `${id}.png`), { width: 32, height: 32 });
      // Foreground = pixels far from the light grey background; dominant channel ~ hue family.
      let r = 0;
      let g = 0;
      let b = 0;
      for (let i = 0; i < px.length; i += 3) {
        if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 0.15) {
          r += px[i];
          g += px[i + 1];
          b += px[i + 2];
        }
      }
      const hue = gt.doc.items[id].hue;
      const dominant = r >= g && r >= b ? 'r' : g >= b ? 'g' : 'b';
      const expected = hue < 60 || hue >= 300 ? 'r' : hue < 180 ? 'g' : 'b';
      // Borders between families (yellow, cyan, magenta) are ambiguous; count clear agreements.
      if (dominant === expected) agree++;
    }
    expect(agree / n).toBeGreaterThan(0.6);
  });
});

describe('determinism', () => {
  it('same seed -> identical rows, ground truth and image bytes; another seed differs', async () => {
    const small = { nItems: 40, nUsers: 15, pretrainDays: 1, ctrTrainDays: 1 };
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const c = path.join(tmp, 'c');
    await generateWorld({ preset: 'tiny', outDir: a, seed: 3, overrides: small, log: quiet });
    await generateWorld({ preset: 'tiny', outDir: b, seed: 3, overrides: small, log: quiet });
    await generateWorld({ preset: 'tiny', outDir: c, seed: 4, overrides: { ...small, renderImages: false }, log: quiet });
    for (const spec of [RAW_ITEMS, RAW_IMPRESSIONS]) {
      expect(await readParquetAll(path.join(b, spec.fileName), spec)).toEqual(await readParquetAll(path.join(a, spec.fileName), spec));
    }
    expect(await readParquetAll(path.join(c, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)).not.toEqual(await readParquetAll(path.join(a, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS));
    expect(fs.readFileSync(path.join(b, 'ground-truth.json'))).toEqual(fs.readFileSync(path.join(a, 'ground-truth.json')));
    expect(fs.readFileSync(path.join(b, 'world.json'))).toEqual(fs.readFileSync(path.join(a, 'world.json')));
    for (const f of fs.readdirSync(path.join(a, 'images'))) expect(fs.readFileSync(path.join(b, 'images', f))).toEqual(fs.readFileSync(path.join(a, 'images', f)));
  });

  it('rejects unknown config keys with the nearest valid key', async () => {
    await expect(generateWorld({ preset: 'tiny', outDir: path.join(tmp, 'bad'), seed: 1, overrides: { visualSignl: 1 } as never, log: quiet })).rejects.toThrow(/unknown config key "visualSignl".*visualSignal/);
  });
});

/** Logistic regression by Newton's method (IRLS) with a small ridge; features are standardised. */
function fitLogistic(x: number[][], y: number[], iterations = 12): (row: number[]) => number {
  const d = x[0].length + 1;
  const mean = new Array(d - 1).fill(0);
  const sd = new Array(d - 1).fill(0);
  for (const r of x) r.forEach((v, j) => (mean[j] += v / x.length));
  for (const r of x) r.forEach((v, j) => (sd[j] += (v - mean[j]) ** 2 / x.length));
  const z = (r: number[]) => [1, ...r.map((v, j) => (v - mean[j]) / (Math.sqrt(sd[j]) || 1))];
  const xs = x.map(z);
  const w = new Array(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const grad = new Array(d).fill(0);
    const hess = Array.from({ length: d }, () => new Array(d).fill(0));
    xs.forEach((r, i) => {
      const p = 1 / (1 + Math.exp(-r.reduce((s, v, j) => s + v * w[j], 0)));
      for (let j = 0; j < d; j++) {
        grad[j] += (p - y[i]) * r[j];
        for (let k = 0; k < d; k++) hess[j][k] += p * (1 - p) * r[j] * r[k];
      }
    });
    for (let j = 0; j < d; j++) hess[j][j] += 1e-3;
    const step = solve(hess, grad);
    for (let j = 0; j < d; j++) w[j] -= step[j];
  }
  return (row) => z(row).reduce((s, v, j) => s + v * w[j], 0);
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((r, i) => r[n] / r[i]);
}

/** AUC gain of a model that knows the hidden look over one that does not (train: earlier 70%). */
async function lookGain(visualSignal: number): Promise<{ base: number; full: number }> {
  const dir = path.join(tmp, `control-${visualSignal}`);
  await generateWorld({
    preset: 'tiny',
    outDir: dir,
    seed: 11,
    overrides: { visualSignal, renderImages: false, nUsers: 200, nItems: 300, pretrainDays: 2, ctrTrainDays: 1, sessionsPerUserDay: 3 },
    log: quiet,
  });
  const gt = readGroundTruth(dir);
  const rows = (await readParquetAll(path.join(dir, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)).map(impressionFromRow);
  const feats = rows.map((r) => truthFeatures(gt, r.userId, r.itemId, r.position));
  const baseX = feats.map((f) => [f.styleMatch, f.quality, f.priceTerm, f.logPosition]);
  const fullX = feats.map((f) => [f.styleMatch, f.quality, f.priceTerm, f.logPosition, f.lookMatch]);
  const y = rows.map((r) => r.label);
  const cut = Math.floor(rows.length * 0.7);
  const evalAuc = (x: number[][]) => {
    const model = fitLogistic(x.slice(0, cut), y.slice(0, cut));
    return auc(x.slice(cut).map(model), y.slice(cut)) as number;
  };
  return { base: evalAuc(baseX), full: evalAuc(fullX) };
}

describe('the visual-signal control', () => {
  it('with visualSignal 0, knowing the hidden look gains no AUC; the gain rises with the signal', async () => {
    const control = await lookGain(0);
    const half = await lookGain(1);
    const signal = await lookGain(2);
    // eslint-disable-next-line no-console
    console.log(`look-aware AUC gain: control ${(control.full - control.base).toFixed(4)} (${control.base.toFixed(4)} -> ${control.full.toFixed(4)}), a=1 ${(half.full - half.base).toFixed(4)}, a=2 ${(signal.full - signal.base).toFixed(4)} (${signal.base.toFixed(4)} -> ${signal.full.toFixed(4)})`);
    expect(Math.abs(control.full - control.base)).toBeLessThan(0.01);
    expect(half.full - half.base).toBeGreaterThan(0.02);
    expect(signal.full - signal.base).toBeGreaterThan(half.full - half.base + 0.02);
    expect(signal.full - signal.base).toBeGreaterThan(0.06);
  });
});

it('every category has a silhouette and a price', () => {
  expect(CATEGORIES.length).toBeGreaterThanOrEqual(12);
  for (const c of CATEGORIES) expect(c.basePrice).toBeGreaterThan(0);
});

describe('evaluation-only truth files', () => {
  it('click-truth.parquet holds the true click probability of every CTR-day impression; the look term vanishes with visualSignal 0', async () => {
    const check = async (visualSignal: number) => {
      // Seed 7 with the preset's signal is the world the other specs of this file use.
      const dir = await makeTinyWorld(7, visualSignal === 2 ? {} : { visualSignal });
      const info = readWorldInfo(dir);
      const impressions = (await readParquetAll(path.join(dir, RAW_IMPRESSIONS.fileName), RAW_IMPRESSIONS)).map(impressionFromRow);
      const ctrDays = impressions.filter((r) => r.day >= info.days.ctrTrain[0]);
      const truth = (await readParquetAll(path.join(dir, CLICK_TRUTH.fileName), CLICK_TRUTH)).map(clickTruthFromRow);
      expect(truth.length).toBe(ctrDays.length);
      const key = (s: number, i: number) => `${s}:${i}`;
      const shown = new Map(ctrDays.map((r) => [key(r.sessionId, r.itemId), r]));
      for (const t of truth) {
        const imp = shown.get(key(t.sessionId, t.itemId));
        expect(imp).toBeDefined();
        expect(t.day).toBe(imp?.day);
        // Examination only lowers the probability; dropping position and examination never lowers it.
        expect(t.pClick).toBeLessThanOrEqual(t.pClickNoPosition + 1e-12);
      }
      // The truth predicts the logged clicks (it generated them), and better than without the look.
      const labels = truth.map((t) => shown.get(key(t.sessionId, t.itemId))?.label as number);
      return { truth, bayes: auc(truth.map((t) => t.pClick), labels) as number, noLook: auc(truth.map((t) => t.pClickNoLook), labels) as number };
    };
    const control = await check(0);
    expect(control.truth.every((t) => t.pClick === t.pClickNoLook)).toBe(true);
    const signal = await check(2);
    expect(signal.bayes).toBeGreaterThan(signal.noLook + 0.03);
    expect(signal.bayes).toBeGreaterThan(0.65);
  }, 400_000);

  it('expectedSigmoid matches a fine Simpson integration and a Monte Carlo average of sigmoid(x + s z)', () => {
    const rng = new Rng(11);
    for (const [x, s] of [[-1.8, 0.5], [0.3, 1.2], [2, 0]]) {
      // Simpson's rule on z in [-12, 12] with 24,000 intervals: an independent reference to ~1e-10.
      const n = 24000;
      const h = 24 / n;
      let simpson = 0;
      for (let i = 0; i <= n; i++) {
        const z = -12 + i * h;
        const f = (Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)) / (1 + Math.exp(-(x + s * z)));
        simpson += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * f;
      }
      expect(expectedSigmoid(x, s)).toBeCloseTo((simpson * h) / 3, 7);
      let mc = 0;
      const draws = 200000;
      for (let i = 0; i < draws; i++) mc += 1 / (1 + Math.exp(-(x + s * rng.normal())));
      // 5 standard errors of the Monte Carlo mean (sd of a sigmoid value <= 0.5).
      expect(Math.abs(expectedSigmoid(x, s) - mc / draws)).toBeLessThan(5 * (0.5 / Math.sqrt(draws)));
    }
  });

  it('oracle-clusters.parquet gives every item its exact look group (hue region x pattern), k = 40', async () => {
    const dir = await makeTinyWorld(7);
    const gt = readGroundTruth(dir);
    const rows = (await readParquetAll(path.join(dir, 'oracle-clusters.parquet'), CLUSTER_ASSIGNMENTS)).map(clusterAssignmentFromRow);
    expect(rows.length).toBe(gt.doc.items.length);
    const byId = new Map(rows.map((r) => [r.itemId, r.clusterId]));
    for (const it of gt.doc.items) expect(byId.get(it.itemId)).toBe(it.hueRegion * PATTERNS.length + PATTERNS.indexOf(it.pattern as (typeof PATTERNS)[number]));
    expect(LOOK_GROUPS).toBe(40);
  });
});

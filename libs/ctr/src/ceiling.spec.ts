/**
 * Ceiling rows: computed from a hand-made world whose click logit is known, aligned by
 * (session, item) whatever the file order, and the headroom share of a planted perfect feature
 * is 1 while a random feature's is near 0.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLICK_TRUTH, clickTruthToRow } from '@courier/data-contracts';
import { writeParquetRows } from '@courier/io';
import { auc, gauc } from '@courier/metrics';
import { Rng } from '@courier/runtime';
import { catalogueFromItems, headroomShare, splitFromSamples } from './index';
import { absentCeiling, ceilingOf, loadTruthScores } from './ceiling';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** 600 pages of 8 items: logit = -1 + look (+-1.5, known) + a visible term - 0.2 * position. */
function handMadeWorld(lookWeight: number, seed = 3) {
  const rng = new Rng(seed);
  const items = Array.from({ length: 50 }, (_, i) => ({ itemId: 100 + i, category: i % 2 ? 'a' : 'b', title: 't', price: 1 }));
  const catalogue = catalogueFromItems(items);
  const samples: { sessionId: number; userId: number; itemId: number; day: number; position: number; label: number; historyItemIds: number[] }[] = [];
  const truth: { sessionId: number; itemId: number; day: number; pClick: number; pClickNoLook: number; pClickNoPosition: number }[] = [];
  const lookTerm: number[] = [];
  for (let s = 0; s < 600; s++) {
    const shown = rng.shuffle(items.map((it) => it.itemId)).slice(0, 8);
    shown.forEach((itemId, position) => {
      const look = lookWeight * (rng.bernoulli(0.5) ? 1.5 : -1.5);
      const visible = rng.normal(0, 0.7);
      const pos = -0.2 * position;
      const p = sigmoid(-1 + look + visible + pos);
      samples.push({ sessionId: s, userId: s % 40, itemId, day: 5, position, label: rng.bernoulli(p) ? 1 : 0, historyItemIds: [] });
      truth.push({ sessionId: s, itemId, day: 5, pClick: p, pClickNoLook: sigmoid(-1 + visible + pos), pClickNoPosition: sigmoid(-1 + look + visible) });
      lookTerm.push(look);
    });
  }
  return { catalogue, split: splitFromSamples(samples, catalogue), truth, lookTerm };
}

async function writeTruth(truth: Parameters<typeof clickTruthToRow>[0][], seed: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceiling-'));
  // Shuffled, plus rows of another day: alignment is by (session, item), not by order.
  const rows = new Rng(seed).shuffle([...truth, { sessionId: 9999, itemId: 100, day: 4, pClick: 0.5, pClickNoLook: 0.5, pClickNoPosition: 0.5 }]);
  await writeParquetRows(path.join(dir, CLICK_TRUTH.fileName), CLICK_TRUTH, rows.map(clickTruthToRow));
  return dir;
}

describe('ceiling rows', () => {
  it('are the AUC / GAUC of the known click probabilities, aligned by session and item', async () => {
    const w = handMadeWorld(1);
    const dir = await writeTruth(w.truth, 1);
    const scores = await loadTruthScores(dir, w.split, (r) => w.catalogue.itemIds[r]);
    expect(scores).not.toBeNull();
    const c = ceilingOf(w.split, scores as NonNullable<typeof scores>);
    const direct = (key: 'pClick' | 'pClickNoLook' | 'pClickNoPosition') => {
      const s = w.truth.map((t) => t[key]);
      return { auc: auc(s, w.split.label), gauc: gauc(s, w.split.label, w.split.sessionId).gauc };
    };
    expect(c.available).toBe(true);
    expect(c.bayes.auc).toBeCloseTo(direct('pClick').auc as number, 12);
    expect(c.bayes.gauc).toBeCloseTo(direct('pClick').gauc as number, 12);
    expect(c.noLook.auc).toBeCloseTo(direct('pClickNoLook').auc as number, 12);
    expect(c.noPosition.gauc).toBeCloseTo(direct('pClickNoPosition').gauc as number, 12);
    // The look carries most of the signal here: the Bayes scorer beats the no-look one clearly.
    expect(c.lookHeadroom.auc as number).toBeGreaterThan(0.1);
    expect(c.lookHeadroom.gauc as number).toBeGreaterThan(0.1);
    expect(c.bayes.auc as number).toBeGreaterThan(c.noPosition.auc as number);
  });

  it('has no look headroom when the look does not enter the logit (control world), and so no share', async () => {
    const w = handMadeWorld(0);
    const dir = await writeTruth(w.truth, 2);
    const c = ceilingOf(w.split, (await loadTruthScores(dir, w.split, (r) => w.catalogue.itemIds[r])) as NonNullable<Awaited<ReturnType<typeof loadTruthScores>>>);
    expect(c.lookHeadroom.auc).toBe(0);
    expect(c.lookHeadroom.gauc).toBe(0);
    expect(headroomShare(c, { auc: 0.01, gauc: 0.01 })).toEqual({ auc: null, gauc: null });
  });

  it('gives a planted perfect look feature a share of 1 and a random feature a share near 0', async () => {
    const w = handMadeWorld(1);
    const dir = await writeTruth(w.truth, 3);
    const c = ceilingOf(w.split, (await loadTruthScores(dir, w.split, (r) => w.catalogue.itemIds[r])) as NonNullable<Awaited<ReturnType<typeof loadTruthScores>>>);
    const metrics = (s: number[]) => ({ auc: auc(s, w.split.label) as number, gauc: gauc(s, w.split.label, w.split.sessionId).gauc as number });
    // Baseline: everything but the look. Perfect: the baseline plus the exact look term. Random: plus noise of the same scale.
    const logit = (p: number) => Math.log(p / (1 - p));
    const base = metrics(w.truth.map((t) => logit(t.pClickNoLook)));
    const perfect = metrics(w.truth.map((t, i) => logit(t.pClickNoLook) + w.lookTerm[i]));
    const rng = new Rng(7);
    const random = metrics(w.truth.map((t) => logit(t.pClickNoLook) + (rng.bernoulli(0.5) ? 1.5 : -1.5)));
    const sharePerfect = headroomShare(c, { auc: perfect.auc - base.auc, gauc: perfect.gauc - base.gauc });
    const shareRandom = headroomShare(c, { auc: random.auc - base.auc, gauc: random.gauc - base.gauc });
    expect(sharePerfect.auc as number).toBeCloseTo(1, 9);
    expect(sharePerfect.gauc as number).toBeCloseTo(1, 9);
    expect(shareRandom.auc as number).toBeLessThan(0.05);
    expect(shareRandom.gauc as number).toBeLessThan(0.05);
  });

  it('is absent with a note when the data has no ground truth, and names the file when a row is missing', async () => {
    const w = handMadeWorld(1);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ceiling-none-'));
    expect(await loadTruthScores(empty, w.split, (r) => w.catalogue.itemIds[r])).toBeNull();
    expect(absentCeiling('no ground truth').available).toBe(false);
    const dir = await writeTruth(w.truth.slice(1), 4);
    await expect(loadTruthScores(dir, w.split, (r) => w.catalogue.itemIds[r])).rejects.toThrow(/click-truth\.parquet.*eval row 0: session 0/);
  });
});

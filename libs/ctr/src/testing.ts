/**
 * Test fixture: a small synthetic shop whose clicks depend on a hidden "look" that no id,
 * category, title or price carries (the paper's premise), written in the real contracts:
 * items.parquet (RAW_ITEMS), ctr-samples.parquet (CTR_SAMPLES) and oracle-embeddings.arrow
 * (ITEM_EMBEDDINGS: one-hot look, identical for all items of one look).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CTR_SAMPLES, RAW_ITEMS, ctrSampleToRow, rawItemToRow, CtrSample, RawItem } from '@courier/data-contracts';
import { writeParquetRows, writeVectorTable } from '@courier/io';
import { Rng } from '@courier/runtime';

export interface CtrFixtureOptions {
  seed?: number;
  /** Strength of the look match in the click logit (0 = control: looks do not matter). */
  visualSignal?: number;
  nItems?: number;
  nUsers?: number;
  looks?: number;
  sessionsPerUserDay?: number;
  /** Days 0..days-1; the last is the eval day. */
  days?: number;
  pageSize?: number;
  /** Share of items that first appear on the eval day (new items). */
  newItemShare?: number;
  outDir?: string;
}

export interface CtrFixture {
  dir: string;
  itemsFile: string;
  samplesFile: string;
  oracleFile: string;
  categories: string[];
  /** Hidden look per item id (ground truth). */
  lookOf: Map<number, number>;
}

const CATEGORIES = ['dress', 'coat', 'shoe', 'bag'];
const FILLER = ['new', 'hot', 'sale', 'classic', 'fashion', 'soft', 'daily', 'premium', 'light', 'basic'];

export async function makeCtrFixture(options: CtrFixtureOptions = {}): Promise<CtrFixture> {
  const seed = options.seed ?? 1;
  const a = options.visualSignal ?? 2.5;
  const nItems = options.nItems ?? 400;
  const nUsers = options.nUsers ?? 200;
  const looks = options.looks ?? 8;
  const sessions = options.sessionsPerUserDay ?? 3;
  const days = options.days ?? 4;
  const pageSize = options.pageSize ?? 10;
  const newShare = options.newItemShare ?? 0.2;
  const dir = options.outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ctr-fixture-'));
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const evalDay = days - 1;

  const items: (RawItem & { look: number; quality: number })[] = [];
  for (let i = 0; i < nItems; i++) {
    const category = CATEGORIES[i % CATEGORIES.length];
    const title = [category, rng.pick(FILLER), rng.pick(FILLER)].join(' ');
    items.push({
      itemId: 1000 + i,
      category,
      title,
      price: Math.round(Math.exp(rng.normal(3, 0.6)) * 100) / 100,
      imagePath: `images/${1000 + i}.png`,
      // Tags by index (no random draw, so every other value of the fixture stays as it was).
      styleTag: i % 3 === 0 ? null : i % 2 ? 'cute' : 'cool',
      firstDay: rng.next() < newShare ? evalDay : 0,
      look: rng.int(looks),
      quality: rng.normal(0, 1),
    });
  }
  const byCategory = CATEGORIES.map((c) => items.filter((it) => it.category === c));
  const users = Array.from({ length: nUsers }, (_, u) => {
    const liked = new Set<number>();
    while (liked.size < 2) liked.add(rng.int(looks));
    const interest = CATEGORIES.map(() => rng.uniform(0.2, 1));
    return { userId: u, liked, interest };
  });

  const samples: CtrSample[] = [];
  const history = new Map<number, number[]>();
  let sessionId = 0;
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  for (let day = 0; day < days; day++) {
    for (let s = 0; s < sessions; s++) {
      for (const user of users) {
        const c = rng.weightedIndex(user.interest);
        const pool = byCategory[c].filter((it) => it.firstDay <= day);
        const page = rng.shuffle([...pool]).slice(0, pageSize);
        const hist = history.get(user.userId) ?? [];
        const clicks: number[] = [];
        page.forEach((it, position) => {
          const match = user.liked.has(it.look) ? 1 : -0.5;
          const p = sigmoid(-1.6 + a * match + 0.6 * it.quality - 0.08 * position);
          const label = rng.next() < p ? 1 : 0;
          samples.push({ sessionId, userId: user.userId, itemId: it.itemId, day, position, label, split: day === evalDay ? 'eval' : 'train', historyItemIds: hist.slice(-50) });
          if (label) clicks.push(it.itemId);
        });
        history.set(user.userId, [...hist, ...clicks]);
        sessionId++;
      }
    }
  }
  const itemsFile = path.join(dir, 'items.parquet');
  const samplesFile = path.join(dir, 'ctr-samples.parquet');
  const oracleFile = path.join(dir, 'oracle-embeddings.arrow');
  await writeParquetRows(itemsFile, RAW_ITEMS, items.map((it) => rawItemToRow(it)));
  await writeParquetRows(samplesFile, CTR_SAMPLES, samples.map(ctrSampleToRow));
  const vectors = new Float32Array(nItems * looks);
  items.forEach((it, i) => (vectors[i * looks + it.look] = 1));
  writeVectorTable(oracleFile, { ids: Int32Array.from(items.map((it) => it.itemId)), vectors, dim: looks, metadata: { method: 'oracle', normalized: 'true' } });
  fs.writeFileSync(
    path.join(dir, 'world.json'),
    JSON.stringify({ preset: 'ctr-fixture', seed, days: { pretrain: [], ctrTrain: Array.from({ length: evalDay }, (_, d) => d), eval: evalDay }, categories: CATEGORIES.map((name, i) => ({ name, inPretraining: i < 2 })), visualSignal: a }, null, 2),
  );
  return { dir, itemsFile, samplesFile, oracleFile, categories: CATEGORIES, lookOf: new Map(items.map((it) => [it.itemId, it.look])) };
}

/**
 * A small in-memory world for tests: coloured squares whose "users" click by colour.
 *
 * Each item has a hidden look (a group: the colour of a small centred square, a quarter of the
 * image side) and a random background colour that covers the rest and carries no taste. Each user
 * prefers one group and clicks shown items of it with high probability, others rarely. A model
 * trained on co-clicks must learn to look at the square and ignore the larger background, which a
 * random network does not do, so neighbour agreement by group measures what training learned.
 */
import type { PretrainSample } from '@courier/data-contracts';
import { Rng } from '@courier/runtime';
import { ItemInputs, inMemoryItems } from '@courier/nn';

export interface SquaresFixtureOptions {
  seed?: number;
  items?: number;
  groups?: number;
  users?: number;
  sessionsPerUser?: number;
  imageSize?: number;
  lPv?: number;
  lClick?: number;
  /** Click probability for the preferred group / other groups. */
  pClickLiked?: number;
  pClickOther?: number;
  /** Side of the coloured square as a fraction of the image side (default 0.25). */
  squareFraction?: number;
}

export interface SquaresFixture {
  items: ItemInputs;
  samples: PretrainSample[];
  /** Hidden group of each item, indexed like items.itemIds(). */
  groupOf: number[];
  itemIds: number[];
}

const GROUP_COLOURS: [number, number, number][] = [
  [0.95, 0.1, 0.1],
  [0.1, 0.85, 0.1],
  [0.1, 0.2, 0.95],
  [0.95, 0.9, 0.1],
  [0.9, 0.1, 0.9],
  [0.1, 0.9, 0.9],
];

export function makeSquaresFixture(options: SquaresFixtureOptions = {}): SquaresFixture {
  const rng = new Rng(options.seed ?? 1);
  const nItems = options.items ?? 120;
  const groups = options.groups ?? 4;
  const S = options.imageSize ?? 16;
  const lPv = options.lPv ?? 5;
  const lClick = options.lClick ?? 5;
  if (groups > GROUP_COLOURS.length) throw new Error(`makeSquaresFixture: at most ${GROUP_COLOURS.length} groups`);
  const imgRng = rng.fork('images');
  const inputs = new Map<number, Float32Array>();
  const groupOf: number[] = [];
  const byGroup: number[][] = Array.from({ length: groups }, () => []);
  for (let id = 0; id < nItems; id++) {
    const g = id % groups;
    groupOf.push(g);
    byGroup[g].push(id);
    const bg = [imgRng.next(), imgRng.next(), imgRng.next()];
    const fg = GROUP_COLOURS[g].map((c) => Math.min(1, Math.max(0, c + imgRng.uniform(-0.08, 0.08))));
    const img = new Float32Array(S * S * 3);
    const side = Math.max(2, Math.round(S * (options.squareFraction ?? 0.25)));
    const lo = Math.floor((S - side) / 2);
    const hi = lo + side;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const inside = y >= lo && y < hi && x >= lo && x < hi;
        for (let c = 0; c < 3; c++) img[(y * S + x) * 3 + c] = Math.min(1, Math.max(0, (inside ? fg[c] : bg[c]) + imgRng.uniform(-0.04, 0.04)));
      }
    }
    inputs.set(id, img);
  }

  const userRng = rng.fork('users');
  const samples: PretrainSample[] = [];
  const pLiked = options.pClickLiked ?? 0.85;
  const pOther = options.pClickOther ?? 0.03;
  let session = 0;
  for (let u = 0; u < (options.users ?? 40); u++) {
    const liked = userRng.int(groups);
    const history: number[] = Array.from({ length: 3 }, () => userRng.pick(byGroup[liked]));
    for (let s = 0; s < (options.sessionsPerUser ?? 20); s++) {
      const shown = userRng.shuffle(Array.from({ length: nItems }, (_, i) => i)).slice(0, lPv);
      const clicks = shown.map((id) => (userRng.bernoulli(groupOf[id] === liked ? pLiked : pOther) ? 1 : 0));
      const order = shown.map((id, j) => ({ id, y: clicks[j] })).sort((a, b) => b.y - a.y);
      if (order[0].y === 1 && history.length > 0) {
        const h = history.slice(-lClick);
        samples.push({
          sessionId: session,
          userId: u,
          day: 0,
          pvItemIds: order.map((o) => o.id),
          pvLabels: order.map((o) => o.y),
          pvMask: order.map(() => 1),
          clickItemIds: [...h, ...Array(lClick - h.length).fill(-1)],
          clickMask: [...h.map(() => 1), ...Array(lClick - h.length).fill(0)],
        });
      }
      for (const o of order) if (o.y === 1) history.push(o.id);
      session++;
    }
  }
  return { items: inMemoryItems('image', [S, S, 3], inputs), samples, groupOf, itemIds: [...inputs.keys()] };
}

/**
 * The streaming core of the data builder: impressions in, COURIER pre-training samples and CTR
 * samples out (specs/courier-method.md, "Data"; paper section 4.2.1).
 *
 * Rows arrive in non-decreasing timestamp order. Rows sharing a timestamp are buffered as one
 * group; every page view of the group is turned into samples using only the clicks of earlier
 * timestamps, and only then are the group's clicks appended to the users' histories. So a
 * history never holds a click from the same instant or later (no leakage), even when two page
 * views of one user share a timestamp. Memory: the per-user history rings plus one timestamp
 * group, independent of the log length.
 */
import { CtrSample, Impression, PAD_ITEM_ID, PretrainSample } from '@courier/data-contracts';

export type RejectReason = 'unknown-item' | 'duplicate-impression' | 'session-split' | 'inconsistent-session' | 'day-mismatch';

export interface CoreOptions {
  /** PV items kept per pre-training sample (positives first). */
  lPv: number;
  /** Latest clicks kept as the pre-training history. */
  lClick: number;
  /** Most recent clicks kept as a CTR sample's history. */
  maxHistory: number;
  /** Share of unclicked PV items kept in pre-training samples (deterministic by seed, session, item). */
  negativeRate: number;
  /** Share of unclicked impressions kept as CTR samples (1 = all; eval rows are never down-sampled). */
  ctrNegativeRate: number;
  seed: number;
  pretrainDays: ReadonlySet<number>;
  ctrTrainDays: ReadonlySet<number>;
  evalDay: number;
  /** Category index of each item id (-1 or undefined: unknown item). */
  itemCategory: (itemId: number) => number;
  /** Categories whose PV items form pre-training samples. */
  pretrainCategories: ReadonlySet<number>;
  /** 'pretrain-categories': pre-training histories hold only clicks on those categories; 'all': any click. */
  pretrainHistoryScope: 'pretrain-categories' | 'all';
}

export interface CoreSink {
  pretrain(sample: PretrainSample): void;
  ctr(sample: CtrSample): void;
  reject(row: number, reason: RejectReason, record: Impression): void;
}

export interface CoreStats {
  rowsIn: number;
  rowsUsed: number;
  rejects: Record<string, number>;
  pageViews: number;
  users: number;
  pretrain: {
    candidatePageViews: number;
    samples: number;
    dropped: { noPositive: number; noHistory: number };
    /** Clicks / PV items over candidate page views, before negative down-sampling. */
    ctrBeforeDownsampling: number;
    /** Same after down-sampling (before truncation to lPv and drops). */
    ctrAfterDownsampling: number;
    /** Share of positives among the unmasked PV items of the written samples. */
    ctrInSamples: number;
    meanHistory: number;
    meanPvItems: number;
    positivesTruncated: number;
    distinctUsers: number;
    distinctItems: number;
  };
  ctr: {
    train: { samples: number; clicks: number; ctr: number; meanHistory: number; emptyHistory: number };
    eval: { samples: number; clicks: number; ctr: number; meanHistory: number; emptyHistory: number };
  };
}

/** keepCoin's first hash state for a seed (sql.ts starts its integer chain from it). */
/** XORed into the seed for the CTR negatives' coin, so they are drawn apart from the pre-training ones (both engines use it). */
export const CTR_COIN_SALT = 0x5bd1e995;

/** The parameter checks of the sample core (both engines run them before any work). */
export function checkCoreOptions(opts: Pick<CoreOptions, 'lPv' | 'lClick' | 'maxHistory' | 'negativeRate' | 'ctrNegativeRate'>): void {
  for (const [k, v] of Object.entries({ lPv: opts.lPv, lClick: opts.lClick, maxHistory: opts.maxHistory })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`data-builder: ${k} must be an integer >= 1, got ${v}`);
  }
  for (const [k, v] of Object.entries({ negativeRate: opts.negativeRate, ctrNegativeRate: opts.ctrNegativeRate })) {
    if (!(v >= 0 && v <= 1)) throw new Error(`data-builder: ${k} must be in [0, 1], got ${v}`);
  }
}

export function keepCoinBase(seed: number): number {
  return (seed ^ 0x9e3779b9) >>> 0;
}

/** A uniform number in [0, 1) from (seed, session, item): the down-sampling coin. */
export function keepCoin(seed: number, sessionId: number, itemId: number): number {
  let h = keepCoinBase(seed);
  h = Math.imul(h ^ sessionId, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ itemId, 0xc2b2ae35) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f) >>> 0;
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** Fixed-capacity ring of the latest clicks of one user. */
class ClickRing {
  private readonly buf: Int32Array;
  private start = 0;
  count = 0;
  constructor(capacity: number) {
    this.buf = new Int32Array(Math.max(1, capacity));
  }
  push(item: number): void {
    const cap = this.buf.length;
    if (this.count < cap) this.buf[(this.start + this.count++) % cap] = item;
    else {
      this.buf[this.start] = item;
      this.start = (this.start + 1) % cap;
    }
  }
  /** The latest min(k, count) clicks, oldest first. */
  latest(k: number): number[] {
    const n = Math.min(k, this.count);
    const out = new Array<number>(n);
    const cap = this.buf.length;
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.start + this.count - n + i) % cap];
    return out;
  }
}

interface UserState {
  all: ClickRing;
  pretrain: ClickRing | null;
}

interface PendingSession {
  sessionId: number;
  userId: number;
  day: number;
  rows: Impression[];
  items: Set<number>;
}

/**
 * Closed session ids: a growable bitset for ids below 2^27 (at most 16 MiB), a Set above, so
 * sparse huge ids from real logs cannot blow the bitset up.
 */
class ClosedSessions {
  private static readonly BITSET_LIMIT = 1 << 27;
  private bits = new Uint32Array(1024);
  private readonly large = new Set<number>();
  has(i: number): boolean {
    if (i >= ClosedSessions.BITSET_LIMIT) return this.large.has(i);
    const w = i >>> 5;
    return w < this.bits.length && (this.bits[w] & (1 << (i & 31))) !== 0;
  }
  add(i: number): void {
    if (i >= ClosedSessions.BITSET_LIMIT) {
      this.large.add(i);
      return;
    }
    const w = i >>> 5;
    if (w >= this.bits.length) {
      let n = this.bits.length;
      while (n <= w) n *= 2;
      const next = new Uint32Array(n);
      next.set(this.bits);
      this.bits = next;
    }
    this.bits[w] |= 1 << (i & 31);
  }
}

export class SampleCore {
  private readonly users = new Map<number, UserState>();
  private readonly closedSessions = new ClosedSessions();
  private group = new Map<number, PendingSession>();
  private groupTs = -Infinity;
  private rowsIn = 0;
  private rowsUsed = 0;
  private readonly rejects: Record<string, number> = {};
  private pageViews = 0;
  private readonly pt = { candidates: 0, samples: 0, noPositive: 0, noHistory: 0, itemsBefore: 0, clicksBefore: 0, itemsAfter: 0, clicksAfter: 0, sampleItems: 0, samplePos: 0, histSum: 0, truncatedPos: 0 };
  private readonly ptUsers = new Set<number>();
  private readonly ptItems = new Set<number>();
  private readonly ctrAgg = { train: { samples: 0, clicks: 0, hist: 0, empty: 0 }, eval: { samples: 0, clicks: 0, hist: 0, empty: 0 } };
  private readonly needPretrainRing: boolean;

  constructor(
    private readonly opts: CoreOptions,
    private readonly sink: CoreSink,
  ) {
    checkCoreOptions(opts);
    this.needPretrainRing = opts.pretrainHistoryScope === 'pretrain-categories';
  }

  /**
   * Feeds one impression (already checked against the contract, in timestamp order; the caller
   * verifies the order). `row` is the 0-based row index used in rejects.
   */
  push(imp: Impression, row: number): void {
    this.rowsIn++;
    if (imp.timestamp !== this.groupTs) {
      this.flush();
      this.groupTs = imp.timestamp;
    }
    if (this.opts.itemCategory(imp.itemId) < 0) return this.reject(row, 'unknown-item', imp);
    if (imp.day !== Math.floor(imp.timestamp / 86400)) return this.reject(row, 'day-mismatch', imp);
    if (this.closedSessions.has(imp.sessionId)) return this.reject(row, 'session-split', imp);
    let s = this.group.get(imp.sessionId);
    if (!s) {
      s = { sessionId: imp.sessionId, userId: imp.userId, day: imp.day, rows: [], items: new Set() };
      this.group.set(imp.sessionId, s);
    } else if (s.userId !== imp.userId) {
      return this.reject(row, 'inconsistent-session', imp);
    }
    if (s.items.has(imp.itemId)) return this.reject(row, 'duplicate-impression', imp);
    s.items.add(imp.itemId);
    s.rows.push(imp);
    this.rowsUsed++;
  }

  private reject(row: number, reason: RejectReason, imp: Impression): void {
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
    this.sink.reject(row, reason, imp);
  }

  private userState(userId: number): UserState {
    let u = this.users.get(userId);
    if (!u) {
      u = { all: new ClickRing(Math.max(this.opts.maxHistory, this.opts.lClick)), pretrain: this.needPretrainRing ? new ClickRing(this.opts.lClick) : null };
      this.users.set(userId, u);
    }
    return u;
  }

  /** Emits the samples of the buffered timestamp group, then adds its clicks to the histories. */
  flush(): void {
    if (this.group.size === 0) return;
    const o = this.opts;
    for (const s of this.group.values()) {
      this.pageViews++;
      const user = this.userState(s.userId);
      if (o.pretrainDays.has(s.day)) this.pretrainSample(s, user);
      const split = s.day === o.evalDay ? 'eval' : o.ctrTrainDays.has(s.day) ? 'train' : null;
      if (split) {
        const history = user.all.latest(o.maxHistory);
        const agg = this.ctrAgg[split];
        for (const r of s.rows) {
          if (split === 'train' && r.label === 0 && o.ctrNegativeRate < 1 && keepCoin(o.seed ^ CTR_COIN_SALT, r.sessionId, r.itemId) >= o.ctrNegativeRate) continue;
          agg.samples++;
          agg.clicks += r.label;
          agg.hist += history.length;
          if (history.length === 0) agg.empty++;
          this.sink.ctr({ sessionId: r.sessionId, userId: r.userId, itemId: r.itemId, day: r.day, position: r.position, label: r.label, split, historyItemIds: history });
        }
      }
    }
    for (const s of this.group.values()) {
      const user = this.userState(s.userId);
      const clicks = s.rows.filter((r) => r.label === 1).sort((a, b) => a.position - b.position);
      for (const r of clicks) {
        user.all.push(r.itemId);
        if (user.pretrain && o.pretrainCategories.has(o.itemCategory(r.itemId))) user.pretrain.push(r.itemId);
      }
      this.closedSessions.add(s.sessionId);
    }
    this.group = new Map();
  }

  private pretrainSample(s: PendingSession, user: UserState): void {
    const o = this.opts;
    const pv = s.rows.filter((r) => o.pretrainCategories.has(o.itemCategory(r.itemId)));
    if (pv.length === 0) return;
    const pt = this.pt;
    pt.candidates++;
    pt.itemsBefore += pv.length;
    const kept: Impression[] = [];
    for (const r of pv) {
      pt.clicksBefore += r.label;
      if (r.label === 1 || keepCoin(o.seed, r.sessionId, r.itemId) < o.negativeRate) kept.push(r);
    }
    let positives = 0;
    for (const r of kept) positives += r.label;
    pt.itemsAfter += kept.length;
    pt.clicksAfter += positives;
    if (positives === 0) {
      pt.noPositive++;
      return;
    }
    const history = (user.pretrain ?? user.all).latest(o.lClick);
    if (history.length === 0) {
      pt.noHistory++;
      return;
    }
    // Positives first, then by page position (the ranker's order); keep the first lPv.
    kept.sort((a, b) => b.label - a.label || a.position - b.position);
    const pvRows = kept.slice(0, o.lPv);
    if (positives > o.lPv) pt.truncatedPos += positives - o.lPv;
    const pvItemIds = new Array<number>(o.lPv).fill(PAD_ITEM_ID);
    const pvLabels = new Array<number>(o.lPv).fill(0);
    const pvMask = new Array<number>(o.lPv).fill(0);
    pvRows.forEach((r, i) => {
      pvItemIds[i] = r.itemId;
      pvLabels[i] = r.label;
      pvMask[i] = 1;
      this.ptItems.add(r.itemId);
      pt.samplePos += r.label;
    });
    const clickItemIds = new Array<number>(o.lClick).fill(PAD_ITEM_ID);
    const clickMask = new Array<number>(o.lClick).fill(0);
    history.forEach((id, i) => {
      clickItemIds[i] = id;
      clickMask[i] = 1;
      this.ptItems.add(id);
    });
    pt.samples++;
    pt.sampleItems += pvRows.length;
    pt.histSum += history.length;
    this.ptUsers.add(s.userId);
    this.sink.pretrain({ sessionId: s.sessionId, userId: s.userId, day: s.day, pvItemIds, pvLabels, pvMask, clickItemIds, clickMask });
  }

  /** Flushes the last group; returns the counters. */
  finish(): CoreStats {
    this.flush();
    const pt = this.pt;
    const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
    const ctrPart = ctrSplitStats;
    return {
      rowsIn: this.rowsIn,
      rowsUsed: this.rowsUsed,
      rejects: { ...this.rejects },
      pageViews: this.pageViews,
      users: this.users.size,
      pretrain: {
        candidatePageViews: pt.candidates,
        samples: pt.samples,
        dropped: { noPositive: pt.noPositive, noHistory: pt.noHistory },
        ctrBeforeDownsampling: ratio(pt.clicksBefore, pt.itemsBefore),
        ctrAfterDownsampling: ratio(pt.clicksAfter, pt.itemsAfter),
        ctrInSamples: ratio(pt.samplePos, pt.sampleItems),
        meanHistory: ratio(pt.histSum, pt.samples),
        meanPvItems: ratio(pt.sampleItems, pt.samples),
        positivesTruncated: pt.truncatedPos,
        distinctUsers: this.ptUsers.size,
        distinctItems: this.ptItems.size,
      },
      ctr: { train: ctrPart(this.ctrAgg.train), eval: ctrPart(this.ctrAgg.eval) },
    };
  }
}

/** Stats of one CTR split from its sums (both engines report them alike). */
export function ctrSplitStats(a: { samples: number; clicks: number; hist: number; empty: number }): { samples: number; clicks: number; ctr: number; meanHistory: number; emptyHistory: number } {
  const ratio = (x: number, y: number) => (y > 0 ? x / y : 0);
  return { samples: a.samples, clicks: a.clicks, ctr: ratio(a.clicks, a.samples), meanHistory: ratio(a.hist, a.samples), emptyHistory: a.empty };
}

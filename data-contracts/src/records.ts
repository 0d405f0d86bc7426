/**
 * In-memory (camelCase) forms of the table contracts and the one converter each way.
 * On disk the columns are snake_case (see tables.ts); code works with these types.
 */

export interface RawItem {
  itemId: number;
  category: string;
  title: string;
  price: number;
  imagePath: string;
  styleTag: string | null;
  firstDay: number;
}

export interface Impression {
  sessionId: number;
  userId: number;
  query: string;
  itemId: number;
  position: number;
  label: number;
  timestamp: number;
  day: number;
}

export interface PretrainSample {
  sessionId: number;
  userId: number;
  day: number;
  pvItemIds: number[];
  pvLabels: number[];
  pvMask: number[];
  clickItemIds: number[];
  clickMask: number[];
}

export interface CtrSample {
  sessionId: number;
  userId: number;
  itemId: number;
  day: number;
  position: number;
  label: number;
  split: 'train' | 'eval';
  historyItemIds: number[];
}

export interface ClusterAssignment {
  itemId: number;
  clusterId: number;
  distance: number | null;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const ints = (v: unknown): number[] => Array.from((v ?? []) as ArrayLike<number>, (x) => num(x));

export const rawItemToRow = (r: RawItem): Row => ({
  item_id: r.itemId,
  category: r.category,
  title: r.title,
  price: r.price,
  image_path: r.imagePath,
  style_tag: r.styleTag,
  first_day: r.firstDay,
});
export const rawItemFromRow = (r: Row): RawItem => ({
  itemId: num(r.item_id),
  category: r.category as string,
  title: r.title as string,
  price: num(r.price),
  imagePath: r.image_path as string,
  styleTag: (r.style_tag ?? null) as string | null,
  firstDay: num(r.first_day),
});

export const impressionToRow = (r: Impression): Row => ({
  session_id: r.sessionId,
  user_id: r.userId,
  query: r.query,
  item_id: r.itemId,
  position: r.position,
  label: r.label,
  timestamp: r.timestamp,
  day: r.day,
});
export const impressionFromRow = (r: Row): Impression => ({
  sessionId: num(r.session_id),
  userId: num(r.user_id),
  query: r.query as string,
  itemId: num(r.item_id),
  position: num(r.position),
  label: num(r.label),
  timestamp: num(r.timestamp),
  day: num(r.day),
});

export const pretrainSampleToRow = (r: PretrainSample): Row => ({
  session_id: r.sessionId,
  user_id: r.userId,
  day: r.day,
  pv_item_ids: r.pvItemIds,
  pv_labels: r.pvLabels,
  pv_mask: r.pvMask,
  click_item_ids: r.clickItemIds,
  click_mask: r.clickMask,
});
export const pretrainSampleFromRow = (r: Row): PretrainSample => ({
  sessionId: num(r.session_id),
  userId: num(r.user_id),
  day: num(r.day),
  pvItemIds: ints(r.pv_item_ids),
  pvLabels: ints(r.pv_labels),
  pvMask: ints(r.pv_mask),
  clickItemIds: ints(r.click_item_ids),
  clickMask: ints(r.click_mask),
});

export const ctrSampleToRow = (r: CtrSample): Row => ({
  session_id: r.sessionId,
  user_id: r.userId,
  item_id: r.itemId,
  day: r.day,
  position: r.position,
  label: r.label,
  split: r.split,
  history_item_ids: r.historyItemIds,
});
export const ctrSampleFromRow = (r: Row): CtrSample => ({
  sessionId: num(r.session_id),
  userId: num(r.user_id),
  itemId: num(r.item_id),
  day: num(r.day),
  position: num(r.position),
  label: num(r.label),
  split: r.split as 'train' | 'eval',
  historyItemIds: ints(r.history_item_ids),
});

export const clusterAssignmentToRow = (r: ClusterAssignment): Row => ({
  item_id: r.itemId,
  cluster_id: r.clusterId,
  distance: r.distance,
});
export const clusterAssignmentFromRow = (r: Row): ClusterAssignment => ({
  itemId: num(r.item_id),
  clusterId: num(r.cluster_id),
  distance: r.distance === null || r.distance === undefined ? null : num(r.distance),
});

/** One row of click-truth.parquet (evaluation only). */
export interface ClickTruth {
  sessionId: number;
  itemId: number;
  day: number;
  pClick: number;
  pClickNoLook: number;
  pClickNoPosition: number;
}
export const clickTruthToRow = (r: ClickTruth): Row => ({
  session_id: r.sessionId,
  item_id: r.itemId,
  day: r.day,
  p_click: r.pClick,
  p_click_no_look: r.pClickNoLook,
  p_click_no_position: r.pClickNoPosition,
});
export const clickTruthFromRow = (r: Row): ClickTruth => ({
  sessionId: num(r.session_id),
  itemId: num(r.item_id),
  day: num(r.day),
  pClick: num(r.p_click),
  pClickNoLook: num(r.p_click_no_look),
  pClickNoPosition: num(r.p_click_no_position),
});

import { ContractSpec } from './fields';

const nonNegative = (v: number) => (v >= 0 ? null : 'a value >= 0');
const binaryLabel = (v: number) => (v === 0 || v === 1 ? null : '0 or 1');
const nonEmpty = (v: string) => (v.length > 0 ? null : 'a non-empty string');
const maskValues = (v: number[]) => (v.every((x) => x === 0 || x === 1) ? null : 'a list of 0/1 mask values');

/** Padding value of item-id lists in fixed-length (padded) columns. */
export const PAD_ITEM_ID = -1;

export const RAW_ITEMS: ContractSpec = {
  name: 'raw-items',
  version: 1,
  fileName: 'items.parquet',
  recordType: '`RawItem` (`rawItemToRow` / `rawItemFromRow`)',
  doc: 'The item catalogue: one row per item. `image_path` is relative to the folder of this file (or absolute).',
  fields: [
    { name: 'item_id', type: 'int32', doc: 'item id, unique, >= 0', check: nonNegative },
    { name: 'category', type: 'utf8', doc: 'leaf category name (e.g. "dress")', check: nonEmpty },
    { name: 'title', type: 'utf8', doc: 'title, tokens separated by single spaces' },
    { name: 'price', type: 'float64', doc: 'price in currency units, >= 0', check: nonNegative },
    { name: 'image_path', type: 'utf8', doc: 'cover image file (PNG/JPEG/WebP)', check: nonEmpty },
    { name: 'style_tag', type: 'utf8', nullable: true, doc: 'merchant style tag (noisy); null when absent' },
    { name: 'first_day', type: 'int32', doc: 'first day the item can be shown (new items arrive over time), >= 0', check: nonNegative },
  ],
};

export const RAW_IMPRESSIONS: ContractSpec = {
  name: 'raw-impressions',
  version: 1,
  fileName: 'impressions.parquet',
  recordType: '`Impression` (`impressionToRow` / `impressionFromRow`)',
  doc:
    'Search page-view log: one row per shown item. Rows of a session (page view) share session_id, user_id, query and timestamp. ' +
    'Rows are in non-decreasing timestamp order; (session_id, item_id) is unique.',
  fields: [
    { name: 'session_id', type: 'int32', doc: 'page-view id, >= 0', check: nonNegative },
    { name: 'user_id', type: 'int32', doc: 'user id, >= 0', check: nonNegative },
    { name: 'query', type: 'utf8', doc: 'search query (the searched category in the synthetic world)' },
    { name: 'item_id', type: 'int32', doc: 'shown item; must exist in items.parquet', check: nonNegative },
    { name: 'position', type: 'int32', doc: 'rank on the page, 0 = top', check: nonNegative },
    { name: 'label', type: 'int32', doc: 'click label, 0 or 1', check: binaryLabel },
    { name: 'timestamp', type: 'int64', doc: 'seconds since the start of the log, non-decreasing over rows' },
    { name: 'day', type: 'int32', doc: 'day index = floor(timestamp / 86400), >= 0', check: nonNegative },
  ],
};

export const PRETRAIN_SAMPLES: ContractSpec = {
  name: 'pretrain-samples',
  version: 1,
  fileName: 'pretrain-samples.parquet',
  metadataKeys: { l_pv: 'PV list length', l_click: 'history list length' },
  recordType: '`PretrainSample` (`pretrainSampleToRow` / `pretrainSampleFromRow`)',
  doc:
    'One COURIER pre-training sample per search page view. Lists have fixed length (l_pv, l_click, stored in the schema ' +
    'metadata) and are padded with item id -1 and mask 0. PV items: positives first, unclicked items down-sampled; ' +
    'at least one positive and one history item. History: clicks strictly before the page view, oldest first, most recent last.',
  fields: [
    { name: 'session_id', type: 'int32', doc: 'page-view id', check: nonNegative },
    { name: 'user_id', type: 'int32', doc: 'user id', check: nonNegative },
    { name: 'day', type: 'int32', doc: 'day of the page view', check: nonNegative },
    { name: 'pv_item_ids', type: 'int32-list', doc: 'page-view items, length l_pv, positives first, padding -1' },
    { name: 'pv_labels', type: 'int32-list', doc: 'click label per PV item (0 on padding)', check: maskValues },
    { name: 'pv_mask', type: 'int32-list', doc: '1 = real PV item, 0 = padding', check: maskValues },
    { name: 'click_item_ids', type: 'int32-list', doc: 'latest l_click clicks before the page view, oldest first, padding -1 at the end' },
    { name: 'click_mask', type: 'int32-list', doc: '1 = real history item, 0 = padding', check: maskValues },
  ],
};

export const CTR_SAMPLES: ContractSpec = {
  name: 'ctr-samples',
  version: 1,
  fileName: 'ctr-samples.parquet',
  metadataKeys: { max_history: 'longest history kept' },
  recordType: '`CtrSample` (`ctrSampleToRow` / `ctrSampleFromRow`)',
  doc:
    'One CTR sample per shown item of the CTR days. Item features (category, title, price, image) are joined from ' +
    'items.parquet by item id, for the target and for every history item. The history holds only clicks strictly ' +
    'before this page view (no leakage), oldest first, at most `max_history` (schema metadata) items.',
  fields: [
    { name: 'session_id', type: 'int32', doc: 'page-view id (GAUC groups by it)', check: nonNegative },
    { name: 'user_id', type: 'int32', doc: 'user id', check: nonNegative },
    { name: 'item_id', type: 'int32', doc: 'target (shown) item', check: nonNegative },
    { name: 'day', type: 'int32', doc: 'day of the impression', check: nonNegative },
    { name: 'position', type: 'int32', doc: 'rank on the page', check: nonNegative },
    { name: 'label', type: 'int32', doc: 'click label, 0 or 1', check: binaryLabel },
    { name: 'split', type: 'utf8', doc: '"train" (CTR training days) or "eval" (the evaluation day)', check: (v: string) => (v === 'train' || v === 'eval' ? null : '"train" or "eval"') },
    { name: 'history_item_ids', type: 'int32-list', doc: 'earlier clicked items, oldest first, no padding' },
  ],
};

export const ITEM_EMBEDDINGS: ContractSpec = {
  name: 'item-embeddings',
  version: 1,
  fileName: 'embeddings.arrow',
  metadataKeys: { dim: 'embedding dimension d', method: 'courier, simclr, oracle, ...', normalized: '"true" when rows are L2-normalised' },
  recordType: '`VectorTable` from @courier/io (`writeVectorTable` / `readVectorTable`)',
  doc:
    'One embedding per catalogue item (Arrow IPC file). Schema metadata: `dim` (d), `method` (courier, simclr, oracle, ...), ' +
    '`normalized` ("true" when rows are L2-normalised). A row of NaN marks an item without an embedding.',
  fields: [
    { name: 'item_id', type: 'int32', doc: 'item id, unique', check: nonNegative },
    { name: 'embedding', type: 'float32-vector', doc: 'the embedding, length dim' },
  ],
};

export const CLUSTER_CENTRES: ContractSpec = {
  name: 'cluster-centres',
  version: 1,
  fileName: 'centres.arrow',
  metadataKeys: { dim: 'centre dimension', k: 'number of centres K', rule: 'assignment rule, e.g. "l2"' },
  recordType: '`VectorTable` from @courier/io (`writeVectorTable(file, table, CLUSTER_CENTRES)`)',
  doc: 'K cluster centres (Arrow IPC file). Schema metadata: `dim`, `k`, `rule` (assignment rule, e.g. "l2").',
  fields: [
    { name: 'cluster_id', type: 'int32', doc: 'centre id in [0, K)', check: nonNegative },
    { name: 'centre', type: 'float32-vector', doc: 'centre vector, length dim' },
  ],
};

export const CLUSTER_ASSIGNMENTS: ContractSpec = {
  name: 'cluster-assignments',
  version: 1,
  fileName: 'assignments.parquet',
  metadataKeys: { k: 'number of centres K', rule: 'assignment rule', unknownId: 'the reserved id (= K)' },
  recordType: '`ClusterAssignment` (`clusterAssignmentToRow` / `clusterAssignmentFromRow`)',
  doc: 'Nearest-centre id of every item. Id K (the reserved "unknown" id) marks a missing, NaN or zero embedding; its distance is null.',
  fields: [
    { name: 'item_id', type: 'int32', doc: 'item id', check: nonNegative },
    { name: 'cluster_id', type: 'int32', doc: 'nearest centre in [0, K), or K = unknown', check: nonNegative },
    { name: 'distance', type: 'float32', nullable: true, doc: 'squared Euclidean distance to the centre; null for unknown' },
  ],
};

const probability = (v: number) => (v >= 0 && v <= 1 ? null : 'a probability in [0, 1]');

export const CLICK_TRUTH: ContractSpec = {
  name: 'click-truth',
  version: 1,
  fileName: 'click-truth.parquet',
  recordType: '`ClickTruth` (`clickTruthToRow` / `clickTruthFromRow`)',
  doc:
    'Evaluation only, never a training input: the true click probability of every impression on the CTR days (training and ' +
    'evaluation), from the world that generated it. p_click = P(examined at position) x E[sigmoid(logit + noise)], the Bayes-optimal ' +
    'score; p_click_no_look drops the look term from the logit (what is knowable without the image); p_click_no_position drops the ' +
    'position term and the examination probability. (session_id, item_id) matches raw-impressions.',
  fields: [
    { name: 'session_id', type: 'int32', doc: 'page-view id (raw-impressions)', check: nonNegative },
    { name: 'item_id', type: 'int32', doc: 'shown item', check: nonNegative },
    { name: 'day', type: 'int32', doc: 'day index', check: nonNegative },
    { name: 'p_click', type: 'float64', doc: 'true click probability (Bayes)', check: probability },
    { name: 'p_click_no_look', type: 'float64', doc: 'the same without the look term of the click logit', check: probability },
    { name: 'p_click_no_position', type: 'float64', doc: 'the same without the position term and the examination probability', check: probability },
  ],
};

export const TABLE_CONTRACTS: ContractSpec[] = [
  RAW_ITEMS,
  RAW_IMPRESSIONS,
  PRETRAIN_SAMPLES,
  CTR_SAMPLES,
  ITEM_EMBEDDINGS,
  CLUSTER_CENTRES,
  CLUSTER_ASSIGNMENTS,
  CLICK_TRUTH,
];

import * as fs from 'node:fs';
import {
  CLUSTER_ASSIGNMENTS,
  CTR_SAMPLES,
  ContractError,
  ITEM_EMBEDDINGS,
  PRETRAIN_SAMPLES,
  RAW_IMPRESSIONS,
  RAW_ITEMS,
  TABLE_CONTRACTS,
  arrowSchema,
  clusterAssignmentFromRow,
  clusterAssignmentToRow,
  ctrSampleFromRow,
  ctrSampleToRow,
  describeValue,
  described,
  impressionFromRow,
  impressionToRow,
  pretrainSampleFromRow,
  pretrainSampleToRow,
  rawItemFromRow,
  rawItemToRow,
  validateAmazonReport,
  validateColumns,
  validateCtrReport,
  validateRecord,
  validateRunMetadata,
} from './index';
import { README_PATH, renderContractsDoc } from './generate-docs';

const imp = { session_id: 3, user_id: 1, query: 'dress', item_id: 9, position: 0, label: 1, timestamp: 1000, day: 0 };
const where = { file: 'impressions.parquet', row: 17 };

/** The ContractError thrown by fn (fails the test if none). */
function caught(fn: () => void): ContractError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return err as ContractError;
  }
  throw new Error('expected a ContractError');
}

describe('validateRecord', () => {
  it('accepts valid records of every contract, typed arrays, bigint int64 and nulls where nullable', () => {
    validateRecord(RAW_IMPRESSIONS, imp, where);
    validateRecord(RAW_IMPRESSIONS, { ...imp, timestamp: 2n ** 60n }, where);
    validateRecord(RAW_ITEMS, { item_id: 0, category: 'c', title: '', price: 0, image_path: 'a.png', style_tag: null, first_day: 0 }, where);
    validateRecord(PRETRAIN_SAMPLES, { session_id: 0, user_id: 0, day: 0, pv_item_ids: Int32Array.from([1, -1]), pv_labels: [1, 0], pv_mask: [1, 0], click_item_ids: [], click_mask: [] }, where);
    validateRecord(CTR_SAMPLES, { session_id: 0, user_id: 0, item_id: 0, day: 0, position: 0, label: 0, split: 'eval', history_item_ids: [] }, where);
    validateRecord(ITEM_EMBEDDINGS, { item_id: 1, embedding: Float32Array.from([NaN, 1]) }, where, { dim: 2 });
    validateRecord(CLUSTER_ASSIGNMENTS, { item_id: 1, cluster_id: 4, distance: null }, where);
  });

  it.each([
    ['missing value', { ...imp, query: undefined }, 'query', 'a value (utf8, not nullable)', 'nothing (missing)'],
    ['null in a non-nullable column', { ...imp, item_id: null }, 'item_id', 'a value (int32, not nullable)', 'null'],
    ['float in int32', { ...imp, position: 1.5 }, 'position', 'a 32-bit integer', '1.5'],
    ['int32 overflow', { ...imp, user_id: 2 ** 31 }, 'user_id', 'a 32-bit integer', '2147483648'],
    ['string in int32', { ...imp, session_id: '3' }, 'session_id', 'a 32-bit integer', '"3"'],
    ['unsafe int64', { ...imp, timestamp: 2 ** 60 }, 'timestamp', 'an integer', String(2 ** 60)],
    ['number in utf8', { ...imp, query: 5 }, 'query', 'a string', '5'],
    ['label outside {0,1}', { ...imp, label: 2 }, 'label', '0 or 1', '2'],
    ['negative id', { ...imp, item_id: -4 }, 'item_id', 'a value >= 0', '-4'],
  ])('%s names file, row, column, expected and got', (_case, record, column, expected, got) => {
    const err = caught(() => validateRecord(RAW_IMPRESSIONS, record as Record<string, unknown>, where));
    expect(err.message).toBe(`impressions.parquet row 17, column "${column}": expected ${expected}, got ${got}`);
    expect(err).toMatchObject({ file: 'impressions.parquet', row: 17, column, expected, got });
  });

  it('checks lists, masks, vectors, floats and enumerations', () => {
    const pre = { session_id: 0, user_id: 0, day: 0, pv_item_ids: [1], pv_labels: [1], pv_mask: [1], click_item_ids: [2], click_mask: [1] };
    expect(caught(() => validateRecord(PRETRAIN_SAMPLES, { ...pre, pv_item_ids: [1, 2.5] }, { file: 'p.parquet', row: 0 })).message).toBe('p.parquet row 0, column "pv_item_ids": expected a list of 32-bit integers, got [1, 2.5]');
    expect(caught(() => validateRecord(PRETRAIN_SAMPLES, { ...pre, click_mask: [1, 2] }, { file: 'p.parquet', row: 1 })).message).toBe('p.parquet row 1, column "click_mask": expected a list of 0/1 mask values, got [1, 2]');
    expect(caught(() => validateRecord(ITEM_EMBEDDINGS, { item_id: 0, embedding: [1, 2, 3] }, { file: 'e.arrow', row: 4 }, { dim: 2 })).message).toBe('e.arrow row 4, column "embedding": expected a vector of length 2 (got length 3), got [1, 2, 3]');
    expect(caught(() => validateRecord(RAW_ITEMS, { item_id: 0, category: '', title: '', price: 1, image_path: 'a', style_tag: null, first_day: 0 }, { file: 'items.parquet', row: 2 })).message).toBe('items.parquet row 2, column "category": expected a non-empty string, got ""');
    expect(caught(() => validateRecord(RAW_ITEMS, { item_id: 0, category: 'c', title: '', price: Infinity, image_path: 'a', style_tag: null, first_day: 0 }, { file: 'items.parquet' })).message).toBe('items.parquet column "price": expected a finite number, got Infinity');
    expect(caught(() => validateRecord(CTR_SAMPLES, { session_id: 0, user_id: 0, item_id: 0, day: 0, position: 0, label: 0, split: 'test', history_item_ids: [] }, { file: 'c.parquet', row: 9 })).message).toBe('c.parquet row 9, column "split": expected "train" or "eval", got "test"');
  });
});

describe('validateColumns', () => {
  const cols = RAW_IMPRESSIONS.fields.map((f) => ({ name: f.name, type: f.type }));
  it('accepts the contract columns in any order, extra columns and widened numbers', () => {
    validateColumns(RAW_IMPRESSIONS, [...cols].reverse(), 'f.parquet');
    validateColumns(RAW_IMPRESSIONS, [...cols.map((c) => (c.name === 'label' ? { ...c, type: 'int64' as const } : c)), { name: 'extra', type: 'utf8' }], 'f.parquet');
    // a missing nullable column is allowed (reads as null)
    validateColumns(RAW_ITEMS, RAW_ITEMS.fields.filter((f) => f.name !== 'style_tag').map((f) => ({ name: f.name, type: f.type })), 'items.parquet');
  });

  it('names file, column and what was expected for a missing column or a wrong type', () => {
    const missing = caught(() => validateColumns(RAW_IMPRESSIONS, cols.filter((c) => c.name !== 'day'), 'imp.parquet'));
    expect(missing.message).toBe('imp.parquet column "day": expected column "day" (int32) of the raw-impressions contract v1; the file has: session_id, user_id, query, item_id, position, label, timestamp');
    expect(missing).toMatchObject({ file: 'imp.parquet', column: 'day', row: undefined });
    const wrong = caught(() => validateColumns(RAW_IMPRESSIONS, cols.map((c) => (c.name === 'query' ? { ...c, type: 'int32' as const } : c)), 'imp.parquet'));
    expect(wrong.message).toBe('imp.parquet column "query": expected type utf8, got int32');
    expect(caught(() => validateColumns(RAW_IMPRESSIONS, [], 'x.parquet')).message).toMatch(/the file has: no columns$/);
  });
});

describe('ContractError and value descriptions', () => {
  it('formats values compactly and keeps descriptions unquoted', () => {
    expect(describeValue('x'.repeat(70))).toBe(`"${'x'.repeat(60)}..."`);
    expect(describeValue([1, 2, 3, 4, 5, 6, 7, 8])).toBe('[1, 2, 3, 4, 5, 6, ... (8 items)]');
    expect(describeValue(5n)).toBe('5n');
    expect(describeValue({ a: 1 })).toBe('an object {"a":1}');
    expect(new ContractError({ file: 'f' }, 'a file', described('no such file')).message).toBe('f: expected a file, got no such file');
    expect(new ContractError({ file: 'f', row: 0 }, 'x').message).toBe('f row 0: expected x');
  });
});

describe('records', () => {
  it('converts each contract between on-disk rows and in-memory records, both ways', () => {
    const item = { itemId: 1, category: 'c', title: 't', price: 2.5, imagePath: 'i.png', styleTag: null, firstDay: 3 };
    expect(rawItemFromRow(rawItemToRow(item))).toEqual(item);
    validateRecord(RAW_ITEMS, rawItemToRow(item), { file: 'x' });
    const im = { sessionId: 1, userId: 2, query: 'q', itemId: 3, position: 4, label: 1, timestamp: 5, day: 0 };
    expect(impressionFromRow(impressionToRow(im))).toEqual(im);
    expect(impressionFromRow({ ...impressionToRow(im), timestamp: 5n }).timestamp).toBe(5);
    const pre = { sessionId: 1, userId: 2, day: 0, pvItemIds: [3, -1], pvLabels: [1, 0], pvMask: [1, 0], clickItemIds: [7], clickMask: [1] };
    expect(pretrainSampleFromRow(pretrainSampleToRow(pre))).toEqual(pre);
    expect(pretrainSampleFromRow({ ...pretrainSampleToRow(pre), pv_item_ids: Int32Array.from([3, -1]) }).pvItemIds).toEqual([3, -1]);
    const ctr = { sessionId: 1, userId: 2, itemId: 3, day: 4, position: 0, label: 0, split: 'train' as const, historyItemIds: [1, 2] };
    expect(ctrSampleFromRow(ctrSampleToRow(ctr))).toEqual(ctr);
    const asg = { itemId: 1, clusterId: 2, distance: null };
    expect(clusterAssignmentFromRow(clusterAssignmentToRow(asg))).toEqual(asg);
  });
});

describe('contract tables', () => {
  it('have unique names and files, snake_case columns, a doc line per column', () => {
    expect(new Set(TABLE_CONTRACTS.map((c) => c.name)).size).toBe(TABLE_CONTRACTS.length);
    expect(new Set(TABLE_CONTRACTS.map((c) => c.fileName)).size).toBe(TABLE_CONTRACTS.length);
    for (const c of TABLE_CONTRACTS) {
      for (const f of c.fields) {
        expect(f.name).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(f.doc.length).toBeGreaterThan(3);
      }
    }
  });

  it('builds Arrow schemas with the version and dim in the metadata', () => {
    const schema = arrowSchema(ITEM_EMBEDDINGS, { dim: 8, metadata: { method: 'courier' } });
    expect(Object.fromEntries(schema.metadata)).toEqual({ contract: 'item-embeddings', version: '1', dim: '8', method: 'courier' });
    expect(String(schema.fields[1].type)).toBe('FixedSizeList[8]<Float32>');
    expect(() => arrowSchema(ITEM_EMBEDDINGS)).toThrow('contract column "embedding" is a vector: the dimension must be given');
  });
});

describe('report validators', () => {
  const ctrReport = () => ({
    contract: 'ctr-report',
    version: 1,
    baseline: { auc: 0.7, gauc: 0.6, gaucWeighted: 0.61 },
    ceiling: {
      available: true,
      note: null,
      bayes: { auc: 0.77, gauc: 0.76 },
      noLook: { auc: 0.68, gauc: 0.68 },
      noPosition: { auc: 0.74, gauc: 0.73 },
      lookHeadroom: { auc: 0.09, gauc: 0.08 },
    } as Record<string, unknown>,
    methods: [
      {
        name: 'courier',
        embeddings: 'runs/x/embeddings.arrow',
        mode: 'vector',
        auc: 0.72,
        gauc: 0.62,
        gaucWeighted: 0.63,
        deltaAuc: 0.02,
        deltaGauc: 0.02,
        seeds: [1, 2],
        perSeed: [{ seed: 1, auc: 0.72, gauc: 0.62 }],
        perCategory: [{ category: 'dress', auc: null, deltaAuc: null, inPretraining: true }],
        headroomShare: { auc: 0.22, gauc: null } as { auc: number | null; gauc: number | null },
        extraKeysAreFine: true,
      },
    ],
  });
  const amazonReport = () => ({
    contract: 'amazon-report',
    version: 1,
    dataset: 'baby',
    rows: [{ model: 'BPR', features: 'courier', 'recall@20': 0.05, 'recall@50': 0.09, 'ndcg@50': 0.04, std: { 'recall@20': 0.001 }, seeds: [1], selectedParams: { lr: 0.001 } }],
  });
  const run = () => ({ contract: 'run', version: 1, stage: 'pretrain', seed: 1, backend: 'cpu', gitRevision: null, config: {}, startedAt: 't0', finishedAt: 't1', timings: { total: 1.5 } });

  it('accept valid reports', () => {
    validateCtrReport(ctrReport());
    validateAmazonReport(amazonReport());
    validateRunMetadata(run());
  });

  it('name the file and the key path of a missing or mistyped key', () => {
    const r1 = ctrReport();
    delete (r1.methods[0] as Partial<(typeof r1.methods)[0]>).deltaGauc;
    expect(caught(() => validateCtrReport(r1)).message).toBe('ctr-report.json column "methods[0].deltaGauc": expected a number, got nothing (missing)');
    const rc = ctrReport();
    delete rc.ceiling.noLook;
    expect(caught(() => validateCtrReport(rc)).message).toBe('ctr-report.json column "ceiling.noLook": expected an object, got nothing (missing)');
    const rh = ctrReport();
    rh.methods[0].headroomShare = { auc: 'most' as unknown as number, gauc: null };
    expect(caught(() => validateCtrReport(rh)).message).toBe('ctr-report.json column "methods[0].headroomShare.auc": expected a number|null, got "most"');
    const r2 = ctrReport();
    r2.methods[0].mode = 'pixels';
    expect(caught(() => validateCtrReport(r2, 'runs/a/ctr-report.json')).message).toBe('runs/a/ctr-report.json column "methods[0].mode": expected one of none, vector, simscore, cluster-id, got "pixels"');
    const r3 = ctrReport();
    (r3.methods[0].perSeed[0] as Record<string, unknown>).auc = '0.7';
    expect(caught(() => validateCtrReport(r3)).message).toBe('ctr-report.json column "methods[0].perSeed[0].auc": expected a number, got "0.7"');
    const r4 = ctrReport();
    (r4.methods[0].perCategory[0] as Record<string, unknown>).inPretraining = 'yes';
    expect(caught(() => validateCtrReport(r4)).message).toMatch(/column "methods\[0\]\.perCategory\[0\]\.inPretraining": expected a boolean/);
    expect(caught(() => validateCtrReport({ ...ctrReport(), contract: 'amazon-report' })).message).toBe('ctr-report.json column "contract": expected "ctr-report", got "amazon-report"');
    expect(caught(() => validateCtrReport({ ...ctrReport(), version: 2 })).message).toBe('ctr-report.json column "version": expected version 1, got 2');
    expect(caught(() => validateCtrReport([])).message).toBe('ctr-report.json column "(root)": expected an object, got []');

    const a1 = amazonReport();
    (a1.rows[0] as Record<string, unknown>)['ndcg@50'] = undefined;
    expect(caught(() => validateAmazonReport(a1)).message).toBe('amazon-report.json column "rows[0].ndcg@50": expected a number, got nothing (missing)');
    const a2 = amazonReport();
    a2.rows[0].features = 'both';
    expect(caught(() => validateAmazonReport(a2)).message).toBe('amazon-report.json column "rows[0].features": expected "original" or "courier", got "both"');

    expect(caught(() => validateRunMetadata({ ...run(), gitRevision: 5 })).message).toBe('run.json column "gitRevision": expected a string|null, got 5');
    expect(caught(() => validateRunMetadata({ ...run(), timings: { total: -1 } }, 'x/run.json')).message).toBe('x/run.json column "timings.total": expected seconds (a number >= 0), got -1');
    expect(caught(() => validateRunMetadata({ ...run(), contract: 'ctr-report' })).message).toMatch(/column "contract": expected "run"/);
  });
});

describe('generated documentation', () => {
  it('README.md matches the contract specs (regenerate: npx tsx data-contracts/src/generate-docs.ts)', () => {
    const text = renderContractsDoc();
    for (const c of TABLE_CONTRACTS) {
      expect(text).toContain(`### ${c.name} (v${c.version})`);
      for (const f of c.fields) expect(text).toContain(`| \`${f.name}\` | ${f.type} |`);
    }
    expect(fs.readFileSync(README_PATH, 'utf8')).toBe(text);
  });
});
